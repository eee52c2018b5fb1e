//! The ECS part of world files (`cloud::spec`): `instances`, each built through the same
//! plan/apply code the gateway runs (the RunInstances declaration). Security groups are
//! declared by `cloud::spec`'s `security_groups` (with their rules) and joined by name.
//!
//! ```json
//! "instances": [{"owner": "…", "name": "web-1", "vswitch": "prod-a",
//!                "security_groups": ["web"], "private_ip": "10.0.1.10",
//!                "listening": "tcp/80,tcp/22", "tags": {"team": "blue"}}]
//! ```
//!
//! VPCs, vSwitches and security groups are named by id or by name (names are looked up among
//! the owner's objects; an ambiguous name is an error naming the candidates).

use super::api::RunInstances;
use super::instance::{parse_listening, RunInstances as RunParams, TagParam, LISTENING_TAG};
use crate::cloud::operation::Operation;
use crate::cloud::spec::SpecError;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An initial ECS instance, created by RunInstances' rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSpec {
    /// Owner uid.
    pub owner: String,
    /// `InstanceName`.
    #[serde(default)]
    pub name: Option<String>,
    /// vSwitch, by id or by name (the owner's, or of a VPC shared with the owner).
    pub vswitch: String,
    /// Security groups, by id or by name (1–5, in the vSwitch's VPC).
    pub security_groups: Vec<String>,
    /// `PrivateIpAddress` (default: the lowest free usable address).
    #[serde(default)]
    pub private_ip: Option<String>,
    /// What the instance listens on: `tcp/80,tcp/22` (stored as the `ramsim:listening` tag).
    #[serde(default)]
    pub listening: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `InstanceType` (stored only).
    #[serde(default)]
    pub instance_type: Option<String>,
    /// `ImageId` (stored only).
    #[serde(default)]
    pub image_id: Option<String>,
}

fn invalid(path: String, message: String) -> SpecError {
    SpecError::Invalid { path, message }
}

/// The one object among `candidates` (id, name) whose id or name is `key`.
fn resolve<'a>(
    path: &str,
    what: &str,
    key: &str,
    candidates: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<String, SpecError> {
    let mut hits: Vec<&str> = candidates
        .filter(|(id, name)| *id == key || *name == key)
        .map(|(id, _)| id)
        .collect();
    hits.dedup();
    match hits.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(invalid(path.into(), format!("no {what} `{key}`"))),
        many => Err(invalid(
            path.into(),
            format!("{what} name `{key}` is ambiguous: {}", many.join(", ")),
        )),
    }
}

/// Builds the declared instances, in file order (after the VPCs, security groups and network
/// ACLs of the world file).
pub(crate) fn build_instances(
    w: &mut World,
    instances: &[InstanceSpec],
    t: Timestamp,
) -> Result<(), SpecError> {
    for (i, s) in instances.iter().enumerate() {
        let path = format!("instances[{i}]");
        let vsw = resolve(
            &format!("{path}.vswitch"),
            "vSwitch",
            &s.vswitch,
            w.vswitches
                .values()
                .filter(|v| {
                    w.vpcs
                        .get(&v.vpc_id)
                        .is_some_and(|p| p.visible_to(&s.owner))
                })
                .map(|v| (v.vswitch_id.as_str(), v.name.as_str())),
        )?;
        let (vpc_id, region) = w
            .vswitches
            .get(&vsw)
            .map(|v| (v.vpc_id.clone(), v.region_id.clone()))
            .unwrap_or_default();
        let mut sgs = Vec::new();
        for (j, g) in s.security_groups.iter().enumerate() {
            sgs.push(resolve(
                &format!("{path}.security_groups[{j}]"),
                "security group",
                g,
                w.ecs
                    .security_groups
                    .values()
                    .filter(|x| x.owner_uid == s.owner && x.vpc_id == vpc_id)
                    .map(|x| (x.security_group_id.as_str(), x.name.as_str())),
            )?);
        }
        let mut tags: Vec<TagParam> = s.tags.iter().map(|(k, v)| TagParam::new(k, v)).collect();
        if let Some(l) = &s.listening {
            if s.tags.contains_key(LISTENING_TAG) {
                return Err(invalid(
                    format!("{path}.listening"),
                    format!("given both as `listening` and as the tag `{LISTENING_TAG}`"),
                ));
            }
            parse_listening(l).map_err(|e| invalid(format!("{path}.listening"), e))?;
            tags.push(TagParam::new(LISTENING_TAG, l));
        }
        let op = Operation::RunInstances(RunInstances {
            region_id: region,
            params: RunParams {
                zone_id: None,
                vswitch_id: Some(vsw),
                security_group_ids: sgs,
                private_ip_address: s.private_ip.clone(),
                instance_type: s.instance_type.clone(),
                image_id: s.image_id.clone(),
                instance_name: s.name.clone(),
                amount: None,
                tags,
                dry_run: false,
            },
            client_token: None,
        });
        let ctx = CallContext {
            caller_account: s.owner.clone(),
            time: t,
            request_id: format!("spec-instance-{i}"),
        };
        w.execute(&ctx, &op)
            .map_err(|error| SpecError::Api { path, error })?;
        // Initial instances are settled even in Stepped mode (a full pass: only when needed).
        if w.stepped() {
            w.settle();
        }
    }
    Ok(())
}
