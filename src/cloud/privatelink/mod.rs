//! PrivateLink (API version 2020-04-15, RAM code `privatelink`): endpoint services and
//! interface endpoints (spec `network-model.md` §4).
//!
//! State only so far: the resource model of §4.1 and the lookups other products need (an
//! NLB attached to a service cannot be deleted).

use crate::cloud::declare::{Denial, Product};
use crate::cloud::world::World;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The PrivateLink product: 403 `Forbidden.NoPermission` on a RAM denial (§9.5, ASSUMED).
pub const PRODUCT: Product = Product {
    name: "Privatelink",
    version: "2020-04-15",
    ram_code: "privatelink",
    endpoint: "privatelink.aliyuncs.com",
    regional_endpoint: Some("privatelink"),
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// One attached load balancer row of a service (§4.1 ServiceResource).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceResource {
    /// `ResourceId`.
    pub resource_id: String,
    /// `ResourceType` (`slb` | `alb` | `nlb`).
    pub resource_type: String,
    /// `ZoneId`.
    pub zone_id: String,
}

/// An endpoint service (§4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointService {
    /// `epsrv-…`.
    pub service_id: String,
    /// Home region.
    pub region_id: String,
    /// Provider account.
    pub owner_uid: String,
    /// Attached resources.
    pub resources: Vec<ServiceResource>,
}

/// All PrivateLink state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateLinkState {
    /// Endpoint services by id.
    pub services: BTreeMap<String, EndpointService>,
}

impl PrivateLinkState {
    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}

/// The endpoint service that has load balancer `resource_id` attached, if any.
pub fn service_using<'w>(w: &'w World, resource_id: &str) -> Option<&'w str> {
    w.privatelink
        .services
        .values()
        .find(|s| s.resources.iter().any(|r| r.resource_id == resource_id))
        .map(|s| s.service_id.as_str())
}
