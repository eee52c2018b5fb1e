//! Reading recorded requests for `ramsim diff --requests`: ActionTrail events as written by
//! `ramsim log --format json` (action, resources and context reconstructed from
//! `requestParameters`, `userIdentity` and the catalog, with the world for what the event does
//! not carry), or `ramsim eval --requests` lines.

use super::space::DEFAULT_ACCOUNT;
use super::{DiffKind, Probe};
use crate::api::catalog::by_api;
use crate::api::SimState;
use crate::authz::{ActionResource, Principal, PrincipalKind, RequestContext};
use crate::simulate::instances::{fill, DEFAULT_REGION};
use serde_json::{Map, Value};

fn param(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The items of list parameter `name` (`Name.1`, `Name.2`, …, and for `SecurityGroupId` the
/// `SecurityGroupIds.N` spelling too), when the request has no plain `name`.
fn list_items(params: &Map<String, Value>, name: &str) -> Option<Vec<String>> {
    if param(params, name).is_some() && name != "SecurityGroupId" {
        return None;
    }
    let mut out: Vec<String> = param(params, name).into_iter().collect();
    for list in [name.to_string(), format!("{name}s")] {
        for i in 1.. {
            match param(params, &format!("{list}.{i}")) {
                Some(v) => out.push(v),
                None => break,
            }
        }
    }
    Some(out)
}

/// The `(List, Field)` of a template's `{List.N.Field}` placeholder, if it has one.
fn list_placeholder(template: &str) -> Option<(&str, &str)> {
    crate::simulate::instances::placeholders(template)
        .into_iter()
        .find_map(|name| name.split_once(".N."))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Reconstructs the request an ActionTrail event recorded.
pub fn from_audit_event(
    event: &Value,
    state: Option<&SimState>,
    kind: DiffKind,
    source: String,
) -> Result<Probe, String> {
    let event_type = str_at(event, &["eventType"]).unwrap_or("");
    if event_type != "ApiCall" {
        return Err(format!("`{event_type}` event, not an API call"));
    }
    let api = str_at(event, &["eventName"]).ok_or("no `eventName`")?;
    let entry = by_api(api).ok_or_else(|| format!("`{api}` is not a modeled API"))?;
    let empty = Map::new();
    let params = event
        .get("requestParameters")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let who = event.get("userIdentity").ok_or("no `userIdentity`")?;
    let account = str_at(who, &["accountId"])
        .filter(|a| !a.is_empty())
        .ok_or("no `userIdentity.accountId`")?
        .to_string();
    let user_name = str_at(who, &["userName"]).unwrap_or("");
    let mut principal = match str_at(who, &["type"]).unwrap_or("") {
        "ram-user" => Principal::new(PrincipalKind::RamUser, &account, user_name),
        "assumed-role" => Principal::new(
            PrincipalKind::AssumedRoleUser,
            &account,
            &user_name.replacen(':', "/", 1),
        ),
        "root-account" => Principal::new(PrincipalKind::Root, &account, "root"),
        other => return Err(format!("caller type `{other}` cannot be replayed")),
    };
    principal.in_resource_directory = kind == DiffKind::Control
        || state.is_some_and(|s| {
            s.world
                .resource_directory()
                .is_some_and(|rd| rd.members.contains_key(&account))
        });
    let region = param(params, "RegionId")
        .or_else(|| str_at(event, &["acsRegion"]).map(str::to_string))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let world = state.map(|s| &s.world);
    let role = param(params, "RoleArn").and_then(|arn| {
        let rest = arn.strip_prefix("acs:ram::")?;
        let (uid, r) = rest.split_once(":role/")?;
        Some((uid.to_string(), r.to_string()))
    });
    let value = |name: &str| -> Option<String> {
        match name {
            "region" => Some(region.clone()),
            "account" => Some(account.clone()),
            "RoleAccount" => role.as_ref().map(|(u, _)| u.clone()),
            "RoleName" => role
                .as_ref()
                .map(|(_, r)| r.clone())
                .or_else(|| param(params, "RoleName")),
            "RouteTableId" => param(params, "RouteTableId").or_else(|| {
                let entry = param(params, "RouteEntryId")?;
                world?.route_entry(&entry).map(|e| e.route_table_id.clone())
            }),
            "TargetPath" => {
                let target = param(params, "TargetId")?;
                let rd = world.and_then(|w| w.resource_directory());
                Some(
                    rd.and_then(|rd| rd.folder_path(&target).or_else(|| rd.member_path(&target)))
                        .unwrap_or(target),
                )
            }
            other => param(params, other),
        }
    };
    // A `{List.N.Field}` placeholder, or a template naming a list parameter (`{ResourceId}` of
    // `ResourceId.N`, `{SecurityGroupId}` of `SecurityGroupIds.N`), stands for one ARN per item
    // the request names (none when it names none).
    let mut resources: Vec<String> = Vec::new();
    for t in entry.resources {
        if let Some((list, field)) = list_placeholder(t) {
            for k in 1.. {
                let Some(item) = param(params, &format!("{list}.{k}.{field}")) else {
                    break;
                };
                let arn = fill(t, |name| {
                    if name.contains(".N.") {
                        Some(item.clone())
                    } else {
                        value(name)
                    }
                });
                if !resources.contains(&arn) {
                    resources.push(arn);
                }
            }
            continue;
        }
        let items = crate::simulate::instances::placeholders(t)
            .into_iter()
            .find_map(|name| {
                list_items(params, name)
                    .filter(|v| !v.is_empty())
                    .map(|v| (name, v))
            });
        match items {
            Some((name, values)) => {
                for item in values {
                    let r = fill(t, |n| {
                        if n == name {
                            Some(item.clone())
                        } else {
                            value(n)
                        }
                    });
                    if !resources.contains(&r) {
                        resources.push(r);
                    }
                }
            }
            None => resources.push(fill(t, value)),
        }
    }
    // Associate/UnassociateNetworkAcl authorize each vSwitch under its owner.
    if let Some(w) = world {
        for r in &mut resources {
            let Some((_, id)) = r.split_once(":vswitch/") else {
                continue;
            };
            if let Some(s) = w.vswitch(id) {
                *r = format!("acs:vpc:{}:{}:vswitch/{id}", s.region_id, s.owner_uid);
            }
        }
    }
    // CreateVSwitch authorizes the VPC under its owner and region.
    if let (Some(w), Some(vpc_id)) = (world, param(params, "VpcId")) {
        if let Some(vpc) = w.vpc(&vpc_id) {
            for r in &mut resources {
                if r.ends_with(&format!(":vpc/{vpc_id}")) {
                    *r = format!("acs:vpc:{}:{}:vpc/{}", vpc.region_id, vpc.owner_uid, vpc_id);
                }
            }
        }
    }
    let mut pairs: Vec<ActionResource> = resources
        .iter()
        .map(|r| ActionResource::new(entry.action, r.as_str()))
        .collect();
    let own = pairs.len();
    pairs.extend(
        entry
            .dependent
            .iter()
            .map(|(a, r)| ActionResource::new(*a, *r)),
    );
    let mut context = RequestContext::new();
    if let Some(t) = str_at(event, &["eventTime"]) {
        context.insert("acs:CurrentTime", t);
    }
    if let Some(ip) = str_at(event, &["sourceIpAddress"]).filter(|s| !s.is_empty()) {
        context.insert("acs:SourceIp", ip);
    }
    let scheme = str_at(event, &["additionalEventData", "Scheme"]).unwrap_or("https");
    context.insert(
        "acs:SecureTransport",
        if scheme.eq_ignore_ascii_case("http") {
            "false"
        } else {
            "true"
        },
    );
    if principal.kind == PrincipalKind::AssumedRoleUser {
        if let Some(ak) = str_at(who, &["accessKeyId"]).filter(|s| !s.is_empty()) {
            context.insert("acs:AccessId", ak);
        }
    }
    if let Some(arn) = principal.principal_arn_key() {
        context.insert("acs:PrincipalARN", arn);
    }
    if let Some(w) = world {
        let peer = match api {
            "CreateVpcPeerConnection" => param(params, "AcceptingAliUid"),
            "AcceptVpcPeerConnection" => param(params, "InstanceId")
                .and_then(|id| w.peering(&id).map(|p| p.owner_uid.clone())),
            _ => None,
        };
        if let Some(peer) = peer {
            if let (Some(id), Some(path)) = (w.rd_id(&peer), w.rd_path(&peer)) {
                context.insert("acs:TargetRDId", id);
                context.insert("acs:TargetRDPath", path);
            }
        }
    }
    let resource_group = param(params, "ResourceGroupId").or_else(|| {
        let w = world?;
        param(params, "VpcId")
            .and_then(|id| w.vpc(&id).map(|v| v.resource_group_id.clone()))
            .or_else(|| {
                param(params, "InstanceId")
                    .and_then(|id| w.peering(&id).map(|p| p.resource_group_id.clone()))
            })
    });
    Ok(Probe {
        principal,
        pairs,
        own,
        context,
        resource_group,
        source,
    })
}

fn strings(v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("expected strings, found {i}"))
            })
            .collect(),
        Some(other) => Err(format!("expected a string or a list, found {other}")),
    }
}

/// Reads an `eval --requests` line (principal fields default to a RAM user of the default
/// account; control-kind diffs put every principal in the directory).
pub fn from_eval_line(line: &Value, kind: DiffKind, source: String) -> Result<Probe, String> {
    let action = line
        .get("action")
        .and_then(Value::as_str)
        .ok_or("no `action`")?;
    let mut resources = strings(line.get("resource"))?;
    if resources.is_empty() {
        resources.push("*".into());
    }
    let mut pairs: Vec<ActionResource> = resources
        .iter()
        .map(|r| ActionResource::new(action, r.as_str()))
        .collect();
    let own = pairs.len();
    for d in strings(line.get("dependent"))? {
        pairs.push(match d.split_once('=') {
            Some((a, r)) => ActionResource::new(a, r),
            None => ActionResource::new(d.as_str(), "*"),
        });
    }
    let mut context = RequestContext::new();
    if let Some(map) = line.get("context") {
        let map = map.as_object().ok_or("`context` must be an object")?;
        for (k, v) in map {
            let values = strings(Some(v)).map_err(|e| format!("context `{k}`: {e}"))?;
            context.set(k, values);
        }
    }
    let account = line
        .get("account")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_ACCOUNT);
    let kind_name = line
        .get("principal_type")
        .and_then(Value::as_str)
        .unwrap_or("RamUser");
    let in_rd = line.get("in_rd").and_then(Value::as_bool).unwrap_or(false);
    let mgmt = line
        .get("management_account")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let principal = Principal::from_parts(
        kind_name,
        account,
        line.get("principal_id").and_then(Value::as_str),
        line.get("principal_arn").and_then(Value::as_str),
        (in_rd || kind == DiffKind::Control, mgmt, false),
    )?;
    Ok(Probe {
        principal,
        pairs,
        own,
        context,
        resource_group: line
            .get("resource_group")
            .and_then(Value::as_str)
            .map(str::to_string),
        source,
    })
}

/// Reads a JSON-lines file of audit events or eval requests (the format is detected per line).
/// Returns the requests and the lines skipped, with reasons.
pub fn read_requests(
    text: &str,
    file: &str,
    state: Option<&SimState>,
    kind: DiffKind,
) -> (Vec<Probe>, Vec<String>) {
    let mut probes = Vec::new();
    let mut skipped = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let source = format!("{file}:{}", i + 1);
        let result = serde_json::from_str::<Value>(line)
            .map_err(|e| format!("invalid JSON: {e}"))
            .and_then(|v| {
                if v.get("eventName").is_some() {
                    from_audit_event(&v, state, kind, source.clone())
                } else if v.get("action").is_some() {
                    from_eval_line(&v, kind, source.clone())
                } else {
                    Err("neither an audit event (`eventName`) nor a request (`action`)".into())
                }
            });
        match result {
            Ok(p) => probes.push(p),
            Err(e) => skipped.push(format!("{source}: {e}")),
        }
    }
    (probes, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn audit_events_are_reconstructed() {
        let e = json!({
            "eventType": "ApiCall", "eventName": "CreateRouteEntry", "eventTime": "2025-01-01T00:00:00Z",
            "acsRegion": "cn-hangzhou", "sourceIpAddress": "192.0.2.10",
            "requestParameters": {"RegionId": "cn-hangzhou", "RouteTableId": "vtb-1"},
            "userIdentity": {"type": "ram-user", "accountId": "123", "userName": "netops", "accessKeyId": ""},
            "additionalEventData": {"Scheme": "http"}
        });
        let p = from_audit_event(&e, None, DiffKind::Identity, "log:1".into()).unwrap();
        assert_eq!(p.pairs[0].action, "vpc:CreateRouteEntry");
        assert_eq!(
            p.pairs[0].resource,
            "acs:vpc:cn-hangzhou:123:routetable/vtb-1"
        );
        assert_eq!(
            p.context.get("acs:SecureTransport"),
            Some(&["false".to_string()][..])
        );
        assert_eq!(
            p.context.get("acs:PrincipalARN"),
            Some(&["acs:ram::123:user/netops".to_string()][..])
        );
        let (probes, skipped) = read_requests(
            "\n{\"eventType\":\"AliyunServiceEvent\",\"eventName\":\"X\"}\nnot json\n{\"action\":\"vpc:DescribeVpcs\"}\n",
            "f",
            None,
            DiffKind::Identity,
        );
        assert_eq!(probes.len(), 1);
        assert_eq!(skipped.len(), 2);
        assert!(skipped[0].starts_with("f:2: "));
    }

    #[test]
    fn list_placeholders_give_one_arn_per_item() {
        let event = |params: serde_json::Value| {
            json!({
                "eventType": "ApiCall", "eventName": "AssociateNetworkAcl",
                "eventTime": "2025-01-01T00:00:00Z", "acsRegion": "cn-hangzhou",
                "requestParameters": params,
                "userIdentity": {"type": "ram-user", "accountId": "123", "userName": "netops"}
            })
        };
        let e = event(json!({"RegionId": "cn-hangzhou", "NetworkAclId": "nacl-1",
            "Resource.1.ResourceType": "VSwitch", "Resource.1.ResourceId": "vsw-1",
            "Resource.2.ResourceType": "VSwitch", "Resource.2.ResourceId": "vsw-2",
            "Resource.3.ResourceType": "VSwitch", "Resource.3.ResourceId": "vsw-1"}));
        let p = from_audit_event(&e, None, DiffKind::Identity, "log:1".into()).unwrap();
        let arns: Vec<&str> = p.pairs.iter().map(|x| x.resource.as_str()).collect();
        assert_eq!(
            arns,
            [
                "acs:vpc:cn-hangzhou:123:networkacl/nacl-1",
                "acs:vpc:cn-hangzhou:123:vswitch/vsw-1",
                "acs:vpc:cn-hangzhou:123:vswitch/vsw-2",
            ]
        );
        assert!(p
            .pairs
            .iter()
            .all(|x| x.action == "vpc:AssociateNetworkAcl"));
        // A request naming no vSwitch is authorized against the ACL alone, as the gateway does.
        let e = event(json!({"RegionId": "cn-hangzhou", "NetworkAclId": "nacl-1"}));
        let p = from_audit_event(&e, None, DiffKind::Identity, "log:1".into()).unwrap();
        assert_eq!(p.pairs.len(), 1);
    }
}
