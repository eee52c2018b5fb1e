//! The CEN part of world files (`cloud::spec`): `cens`, each created by the `CreateCen` and
//! `CreateTransitRouter` rules the gateway runs, so a world can start with a company's CEN and
//! its Enterprise transit routers in place.
//!
//! ```json
//! "cens": [{"owner": "1111111111111111", "name": "corp", "transit_routers": ["cn-hangzhou"]}]
//! ```

use super::api::{CreateCen, CreateTransitRouter};
use crate::cloud::operation::Operation;
use crate::cloud::spec::SpecError;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};

/// An initial CEN instance with its transit routers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CenSpec {
    /// Owner uid.
    pub owner: String,
    /// `Name` (scenarios refer to the CEN as `${cen:NAME}` once saved; ids are generated).
    #[serde(default)]
    pub name: Option<String>,
    /// Regions with an Enterprise transit router of this CEN (one each, §6.3.1).
    #[serde(default)]
    pub transit_routers: Vec<String>,
}

/// Builds the `cens` of a world file at time `t`, in order.
pub fn build_cens(w: &mut World, cens: &[CenSpec], t: Timestamp) -> Result<(), SpecError> {
    for (i, c) in cens.iter().enumerate() {
        let path = format!("cens[{i}]");
        if w.account(&c.owner).is_none() {
            return Err(SpecError::Invalid {
                path: format!("{path}.owner"),
                message: format!("unknown account {}", c.owner),
            });
        }
        let ctx = CallContext {
            caller_account: c.owner.clone(),
            time: t,
            request_id: format!("spec-cen-{i}"),
        };
        let op = Operation::CreateCen(CreateCen {
            name: c.name.clone(),
            description: None,
            protection_level: None,
            resource_group_id: None,
            client_token: None,
        });
        let resp = w.execute(&ctx, &op).map_err(|error| SpecError::Api {
            path: path.clone(),
            error,
        })?;
        let cen_id = resp
            .get("CenId")
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .unwrap_or_default();
        for (j, region) in c.transit_routers.iter().enumerate() {
            let op = Operation::CreateTransitRouter(CreateTransitRouter {
                cen_id: cen_id.clone(),
                region_id: region.clone(),
                name: None,
                description: None,
                support_multicast: false,
                cidrs: Vec::new(),
                dry_run: false,
                client_token: None,
            });
            w.execute(&ctx, &op).map_err(|error| SpecError::Api {
                path: format!("{path}.transit_routers[{j}]"),
                error,
            })?;
        }
    }
    Ok(())
}
