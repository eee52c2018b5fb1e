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

/// Objects of one kind by id and by name: key → (id, scope) of every object whose id or name
/// is the key, in id order. Built once per world file, so resolving each instance's references
/// costs a hash lookup and a scan of the few same-named objects, not a scan of every object
/// (which made building a world quadratic).
struct ByIdOrName {
    keys: std::collections::HashMap<String, Vec<(String, String)>>,
}

impl ByIdOrName {
    /// `objects`: (id, name, scope) in id order; `scope` is what [`ByIdOrName::resolve`]'s
    /// filter sees (the VPC of a vSwitch or security group).
    fn new<'a>(objects: impl Iterator<Item = (&'a str, &'a str, &'a str)>) -> Self {
        let mut keys: std::collections::HashMap<String, Vec<(String, String)>> =
            std::collections::HashMap::new();
        for (id, name, scope) in objects {
            let entry = (id.to_string(), scope.to_string());
            keys.entry(id.to_string()).or_default().push(entry.clone());
            if name != id {
                keys.entry(name.to_string()).or_default().push(entry);
            }
        }
        ByIdOrName { keys }
    }

    /// The one object whose id or name is `key` among those `keep` accepts (given id and
    /// scope), else an error naming the path: none, or an ambiguous name with its candidates.
    fn resolve(
        &self,
        path: impl Fn() -> String,
        what: &str,
        key: &str,
        keep: impl Fn(&str, &str) -> bool,
    ) -> Result<String, SpecError> {
        let mut hits: Vec<&str> = self
            .keys
            .get(key)
            .into_iter()
            .flatten()
            .filter(|(id, scope)| keep(id, scope))
            .map(|(id, _)| id.as_str())
            .collect();
        // An object named by its own id is listed under that key once; ids are distinct.
        hits.sort_unstable();
        hits.dedup();
        match hits.as_slice() {
            [one] => Ok((*one).to_string()),
            [] => Err(invalid(path(), format!("no {what} `{key}`"))),
            many => Err(invalid(
                path(),
                format!("{what} name `{key}` is ambiguous: {}", many.join(", ")),
            )),
        }
    }
}

/// Builds the declared instances, in file order (after the VPCs, security groups and network
/// ACLs of the world file).
pub(crate) fn build_instances(
    w: &mut World,
    instances: &[InstanceSpec],
    t: Timestamp,
) -> Result<(), SpecError> {
    if instances.is_empty() {
        return Ok(());
    }
    // Instances create neither vSwitches nor security groups: both indexes hold for the loop.
    let vswitches = ByIdOrName::new(
        w.vswitches
            .values()
            .map(|v| (v.vswitch_id.as_str(), v.name.as_str(), v.vpc_id.as_str())),
    );
    let groups = ByIdOrName::new(w.ecs.security_groups.values().map(|g| {
        (
            g.security_group_id.as_str(),
            g.name.as_str(),
            g.vpc_id.as_str(),
        )
    }));
    // The (owner, region) index is rebuilt in bulk after the loop: kept in step, it cost a
    // random B-tree insert per instance and per ENI.
    w.ecs.by_owner.built = false;
    for (i, s) in instances.iter().enumerate() {
        // Paths are spelled only for an error: a world of 100,000 instances has none.
        let path = || format!("instances[{i}]");
        let vsw = vswitches.resolve(
            || format!("{}.vswitch", path()),
            "vSwitch",
            &s.vswitch,
            |_, vpc| w.vpcs.get(vpc).is_some_and(|p| p.visible_to(&s.owner)),
        )?;
        let (vpc_id, region) = w
            .vswitches
            .get(&vsw)
            .map(|v| (v.vpc_id.clone(), v.region_id.clone()))
            .unwrap_or_default();
        let mut sgs = Vec::new();
        for (j, g) in s.security_groups.iter().enumerate() {
            sgs.push(groups.resolve(
                || format!("{}.security_groups[{j}]", path()),
                "security group",
                g,
                |id, vpc| {
                    vpc == vpc_id
                        && w.ecs
                            .security_groups
                            .get(id)
                            .is_some_and(|x| x.owner_uid == s.owner)
                },
            )?);
        }
        let mut tags: Vec<TagParam> = s.tags.iter().map(|(k, v)| TagParam::new(k, v)).collect();
        if let Some(l) = &s.listening {
            if s.tags.contains_key(LISTENING_TAG) {
                return Err(invalid(
                    format!("{}.listening", path()),
                    format!("given both as `listening` and as the tag `{LISTENING_TAG}`"),
                ));
            }
            parse_listening(l).map_err(|e| invalid(format!("{}.listening", path()), e))?;
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
        w.execute(&ctx, &op).map_err(|error| SpecError::Api {
            path: path(),
            error,
        })?;
        // Initial instances are settled even in Stepped mode (a full pass: only when needed).
        if w.stepped() {
            w.settle();
        }
    }
    w.reindex();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ByIdOrName {
        // (id, name, scope) in id order, as a BTreeMap of objects yields them.
        ByIdOrName::new(
            [
                ("vsw-1", "web", "vpc-a"),
                ("vsw-2", "vsw-3", "vpc-a"),
                ("vsw-3", "db", "vpc-b"),
                ("vsw-4", "web", "vpc-b"),
                ("vsw-5", "vsw-5", "vpc-a"),
            ]
            .into_iter(),
        )
    }

    fn resolve(key: &str, scopes: &[&str]) -> Result<String, String> {
        index()
            .resolve(
                || "p".into(),
                "vSwitch",
                key,
                |_, scope| scopes.contains(&scope),
            )
            .map_err(|e| e.to_string())
    }

    #[test]
    fn finds_by_id_or_name_within_the_filter() {
        assert_eq!(resolve("vsw-1", &["vpc-a"]), Ok("vsw-1".into()));
        assert_eq!(resolve("db", &["vpc-b"]), Ok("vsw-3".into()));
        assert_eq!(resolve("web", &["vpc-b"]), Ok("vsw-4".into()));
        // An object whose name is its own id is one candidate, not two.
        assert_eq!(resolve("vsw-5", &["vpc-a"]), Ok("vsw-5".into()));
        assert!(resolve("db", &["vpc-a"])
            .unwrap_err()
            .contains("no vSwitch `db`"));
    }

    #[test]
    fn ambiguous_names_list_every_candidate_in_id_order() {
        let e = resolve("web", &["vpc-a", "vpc-b"]).unwrap_err();
        assert!(
            e.contains("vSwitch name `web` is ambiguous: vsw-1, vsw-4"),
            "{e}"
        );
        // One object's id is another's name: both are candidates, in id order.
        let e = resolve("vsw-3", &["vpc-a", "vpc-b"]).unwrap_err();
        assert!(e.contains("ambiguous: vsw-2, vsw-3"), "{e}");
    }
}
