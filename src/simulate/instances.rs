//! Instantiating the catalog's resource ARN templates with the real objects of a world: one
//! [`Instance`] per combination of the objects an API names (`{VpcId}`, `{UserName}`, …), seen
//! from one account. Shared by `simulate` (the permission matrix) and `diff` (the request space).

use crate::api::catalog::ApiEntry;
use crate::api::SimState;

/// Region used when an account owns nothing that names a region.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// One concrete request an API could make: the ARNs it is authorized against and what the
/// gateway would pass along with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Resource ARNs, one per catalog template, in template order (`*` for All-Resource actions).
    pub resources: Vec<String>,
    /// Owner of the target when it is not the caller's account (`sts:AssumeRole`).
    pub resource_account: Option<String>,
    /// Resource group of the target resource, for resource-group-scope identity policies.
    pub resource_group: Option<String>,
    /// The trust policy of the role being assumed (`sts:AssumeRole` only).
    pub trust: Option<String>,
    /// The request parameters the instance names: each placeholder's value (`VpcId`,
    /// `UserName`, `ResourceGroupId`, …; "any name" placeholders left out) and `RegionId`
    /// when the templates name a region.
    pub params: Vec<(String, String)>,
}

/// A value a placeholder can take, with what it implies about the request.
#[derive(Debug, Clone)]
struct Candidate {
    value: String,
    region: Option<String>,
    resource_group: Option<String>,
    role_account: Option<String>,
    trust: Option<String>,
}

impl Candidate {
    fn plain(value: impl Into<String>) -> Candidate {
        Candidate {
            value: value.into(),
            region: None,
            resource_group: None,
            role_account: None,
            trust: None,
        }
    }
}

/// The `{Name}` placeholders of a template, in order.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest.get(start..).and_then(|r| r.find('}')) else {
            break;
        };
        if let Some(name) = rest.get(start + 1..start + len) {
            out.push(name);
        }
        rest = rest.get(start + len + 1..).unwrap_or("");
    }
    out
}

/// Replaces `{Name}` placeholders in `template` using `value`; unknown names become `*`.
pub fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(rest.get(..start).unwrap_or(""));
        let Some(len) = rest.get(start..).and_then(|r| r.find('}')) else {
            out.push_str(rest.get(start..).unwrap_or(""));
            rest = "";
            break;
        };
        let name = rest.get(start + 1..start + len).unwrap_or("");
        out.push_str(&value(name).unwrap_or_else(|| "*".to_string()));
        rest = rest.get(start + len + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn candidates(state: &SimState, account: &str, product: &str, name: &str) -> Vec<Candidate> {
    let w = &state.world;
    let iam = state.iam.accounts.get(account);
    if product == "Ecs" {
        if let Some(c) = ecs_candidates(state, account, name) {
            return c;
        }
    }
    match name {
        "VpcId" => w
            .vpcs()
            .filter(|v| v.owner_uid == account)
            .map(|v| Candidate {
                region: Some(v.region_id.clone()),
                resource_group: Some(v.resource_group_id.clone()),
                ..Candidate::plain(v.vpc_id.clone())
            })
            .collect(),
        "RouteTableId" => w
            .route_tables
            .values()
            .filter(|t| t.owner_uid == account)
            .map(|t| Candidate {
                region: Some(t.region_id.clone()),
                resource_group: w.vpc(&t.vpc_id).map(|v| v.resource_group_id.clone()),
                ..Candidate::plain(t.route_table_id.clone())
            })
            .collect(),
        "InstanceId" => w
            .peerings
            .values()
            .filter(|p| p.owner_uid == account || p.accepting_owner_uid == account)
            .map(|p| Candidate {
                resource_group: Some(p.resource_group_id.clone()),
                ..Candidate::plain(p.instance_id.clone())
            })
            .collect(),
        "SecurityGroupId" => w
            .ecs()
            .security_groups
            .values()
            .filter(|g| g.owner_uid == account)
            .map(|g| Candidate {
                region: Some(g.region_id.clone()),
                ..Candidate::plain(g.security_group_id.clone())
            })
            .collect(),
        "NetworkAclId" => w
            .nacl()
            .acls
            .values()
            .filter(|a| a.owner_uid == account)
            .map(|a| Candidate {
                region: Some(a.region_id.clone()),
                resource_group: w.vpc(&a.vpc_id).map(|v| v.resource_group_id.clone()),
                ..Candidate::plain(a.network_acl_id.clone())
            })
            .collect(),
        // AssociateNetworkAcl / UnassociateNetworkAcl name vSwitches in `Resource.N.ResourceId`.
        "Resource.N.ResourceId" => w
            .vswitches
            .values()
            .filter(|s| s.owner_uid == account)
            .map(|s| Candidate {
                region: Some(s.region_id.clone()),
                ..Candidate::plain(s.vswitch_id.clone())
            })
            .collect(),
        "UserName" => iam
            .map(|a| a.users.keys().map(Candidate::plain).collect())
            .unwrap_or_default(),
        "GroupName" => iam
            .map(|a| a.groups.keys().map(Candidate::plain).collect())
            .unwrap_or_default(),
        "PolicyName" => iam
            .map(|a| a.policies.keys().map(Candidate::plain).collect())
            .unwrap_or_default(),
        "RoleName" => iam
            .map(|a| a.roles.keys().map(Candidate::plain).collect())
            .unwrap_or_default(),
        "ResourceGroupId" => w
            .account(account)
            .map(|a| {
                a.resource_groups
                    .iter()
                    .map(|rg| Candidate {
                        resource_group: Some(rg.clone()),
                        ..Candidate::plain(rg.clone())
                    })
                    .collect()
            })
            .unwrap_or_default(),
        "PolicyId" => state
            .iam
            .control_policies
            .keys()
            .map(Candidate::plain)
            .collect(),
        "AccountPath" => w
            .resource_directory()
            .map(|rd| {
                rd.members
                    .keys()
                    .filter_map(|uid| rd.member_path(uid))
                    .map(Candidate::plain)
                    .collect()
            })
            .unwrap_or_default(),
        "TargetPath" | "FolderPath" => w
            .resource_directory()
            .map(|rd| {
                std::iter::once(rd.root_folder_id.as_str())
                    .chain(rd.folders.keys().map(String::as_str))
                    .filter_map(|f| rd.folder_path(f))
                    .map(Candidate::plain)
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The objects an Ecs API's placeholders name: the account's instances (`{InstanceId}`,
/// `{ResourceId}`), security groups and vSwitches; `None` for names Ecs shares with others.
fn ecs_candidates(state: &SimState, account: &str, name: &str) -> Option<Vec<Candidate>> {
    let w = &state.world;
    Some(match name {
        "InstanceId" | "ResourceId" => w
            .ecs()
            .instances
            .values()
            .filter(|i| i.owner_uid == account)
            .map(|i| Candidate {
                region: Some(String::from(&i.region_id)),
                ..Candidate::plain(i.instance_id.clone())
            })
            .collect(),
        "SecurityGroupId" => w
            .ecs()
            .security_groups
            .values()
            .filter(|g| g.owner_uid == account)
            .map(|g| Candidate {
                region: Some(g.region_id.clone()),
                ..Candidate::plain(g.security_group_id.clone())
            })
            .collect(),
        "VSwitchId" => w
            .vswitches
            .values()
            .filter(|s| s.owner_uid == account)
            .map(|s| Candidate {
                region: Some(s.region_id.clone()),
                resource_group: w.vpc(&s.vpc_id).map(|v| v.resource_group_id.clone()),
                ..Candidate::plain(s.vswitch_id.clone())
            })
            .collect(),
        _ => return None,
    })
}

/// Roles of every account, for `sts:AssumeRole` (`{RoleAccount}` and `{RoleName}` together).
fn assumable_roles(state: &SimState) -> Vec<Candidate> {
    state
        .iam
        .accounts
        .iter()
        .flat_map(|(uid, a)| {
            a.roles.values().map(move |r| Candidate {
                role_account: Some(uid.clone()),
                trust: Some(r.trust_policy.clone()),
                ..Candidate::plain(r.name.clone())
            })
        })
        .collect()
}

/// Regions `account` has objects in (sorted), or the default region.
pub fn account_regions(state: &SimState, account: &str) -> Vec<String> {
    let mut regions: Vec<String> = state
        .world
        .vpcs()
        .filter(|v| v.owner_uid == account)
        .map(|v| v.region_id.clone())
        .collect();
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        regions.push(DEFAULT_REGION.to_string());
    }
    regions
}

/// Every instance of `entry` for a caller in `account`: All-Resource actions give one instance
/// on `*`; otherwise the cartesian product of the objects each placeholder can name (a
/// placeholder with no object in the world becomes `*`, "any name"), and for templates with a
/// `{region}` not implied by an object, every region the account has VPCs in.
pub fn instances(state: &SimState, account: &str, entry: &ApiEntry) -> Vec<Instance> {
    if entry.all_resource() {
        return vec![Instance {
            resources: vec!["*".to_string()],
            resource_account: None,
            resource_group: None,
            trust: None,
            params: Vec::new(),
        }];
    }
    let mut names: Vec<&str> = Vec::new();
    for t in entry.resources {
        for p in placeholders(t) {
            if !matches!(p, "region" | "account" | "RoleAccount") && !names.contains(&p) {
                names.push(p);
            }
        }
    }
    let assume_role = entry.resources.iter().any(|t| t.contains("{RoleAccount}"));
    let per_name: Vec<Vec<Candidate>> = names
        .iter()
        .map(|n| {
            let c = if assume_role && *n == "RoleName" {
                assumable_roles(state)
            } else {
                candidates(state, account, entry.product, n)
            };
            if c.is_empty() {
                vec![Candidate::plain("*")]
            } else {
                c
            }
        })
        .collect();
    let uses_region = entry.resources.iter().any(|t| t.contains("{region}"));
    let regions = account_regions(state, account);
    let mut out = Vec::new();
    let mut index = vec![0usize; per_name.len()];
    loop {
        let chosen: Vec<&Candidate> = index
            .iter()
            .zip(&per_name)
            .filter_map(|(&i, c)| c.get(i))
            .collect();
        let implied_region = chosen.iter().find_map(|c| c.region.clone());
        let region_choices: Vec<String> = match (&implied_region, uses_region) {
            (Some(r), _) => vec![r.clone()],
            (None, true) => regions.clone(),
            (None, false) => vec![DEFAULT_REGION.to_string()],
        };
        let role_account = chosen.iter().find_map(|c| c.role_account.clone());
        for region in region_choices {
            let resources = entry
                .resources
                .iter()
                .map(|t| {
                    fill(t, |name| match name {
                        "region" => Some(region.clone()),
                        "account" => Some(account.to_string()),
                        "RoleAccount" => role_account.clone(),
                        other => names
                            .iter()
                            .position(|n| *n == other)
                            .and_then(|i| chosen.get(i))
                            .map(|c| c.value.clone()),
                    })
                })
                .collect();
            let mut params: Vec<(String, String)> = names
                .iter()
                .zip(&chosen)
                .filter(|(_, c)| c.value != "*")
                .map(|(n, c)| ((*n).to_string(), c.value.clone()))
                .collect();
            if uses_region || implied_region.is_some() {
                params.push(("RegionId".to_string(), region.clone()));
            }
            out.push(Instance {
                resources,
                resource_account: role_account.clone(),
                resource_group: chosen.iter().find_map(|c| c.resource_group.clone()),
                trust: chosen.iter().find_map(|c| c.trust.clone()),
                params,
            });
        }
        // Next combination (odometer).
        let mut k = 0;
        loop {
            let Some(slot) = index.get_mut(k) else {
                return out;
            };
            *slot += 1;
            if *slot < per_name.get(k).map_or(0, Vec::len) {
                break;
            }
            *slot = 0;
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_fill() {
        let t = "acs:vpc:{region}:{account}:vpc/{VpcId}";
        assert_eq!(placeholders(t), vec!["region", "account", "VpcId"]);
        let filled = fill(t, |n| (n == "region").then(|| "cn-beijing".to_string()));
        assert_eq!(filled, "acs:vpc:cn-beijing:*:vpc/*");
        assert_eq!(fill("a{b", |_| None), "a{b");
        assert_eq!(placeholders("a{b"), Vec::<&str>::new());
    }
}
