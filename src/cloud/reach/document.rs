//! The `NetworkReachableAnalysisResult` document (§8.5), in the NIS JSON shape.

use super::analyze::Verdict;
use super::finding::{Code, Leg, Severity};
use super::hop::Hop;
use crate::cloud::packet::Direction;
use serde_json::{json, Map, Value};

/// NIS `status` for a verdict (ASSUMED mapping): `finish` when reachable, else the stage of
/// the first failing check.
pub fn status(v: &Verdict) -> &'static str {
    match v.first_error().map(|f| f.code) {
        None => "finish",
        Some(Code::SgEgressDeny) => "security_group_checking_source",
        Some(Code::SgIngressDeny) => "security_group_checking_target",
        Some(Code::NaclEgressDeny | Code::NaclIngressDeny | Code::NaclReturnDeny) => {
            "network_acl_checking"
        }
        Some(c) if c.check_item() == "Route configuration" => "route_checking",
        Some(c) if c.check_item() == "Peering connection status" => "route_checking",
        Some(_) => "finish",
    }
}

fn node(h: &Hop) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(h.node_id));
    m.insert("bizInsId".into(), json!(h.node_id));
    m.insert("nodeType".into(), json!(h.node_type.as_str()));
    m.insert("aZone".into(), json!(h.zone));
    m.insert("regionNoAlias".into(), json!(h.region));
    m.insert(
        "ip".into(),
        json!(h.ip.map(|i| i.to_string()).unwrap_or_default()),
    );
    m.insert(
        "cidr".into(),
        json!(h.cidr.map(|c| c.to_string()).unwrap_or_default()),
    );
    m.insert("status".into(), json!(h.action.as_str()));
    let next: Vec<Value> = h
        .matched_route
        .iter()
        .map(|r| {
            json!({"routeTableId": r.route_table_id, "routeEntryId": r.route_entry_id,
                "destinationCidrBlock": r.destination, "nextHopType": r.next_hop_type,
                "nextHopId": r.next_hop_id})
        })
        .collect();
    m.insert("matchedRoute".into(), json!({ "nextHopSet": next }));
    Value::Object(m)
}

fn links(hops: &[Hop]) -> Vec<Value> {
    hops.windows(2)
        .map(|w| {
            let (a, b) = (&w[0].node_id, &w[1].node_id);
            json!({"id": format!("{a}-->{b}"), "source": a, "target": b})
        })
        .collect()
}

fn direction(d: Direction) -> &'static str {
    d.as_str()
}

/// Builds the result document for `v`, with the given analysis and request ids.
pub fn result_document(v: &Verdict, nra_id: &str, request_id: &str) -> Value {
    let legs = [(Leg::Forward, &v.forward), (Leg::Reverse, &v.reverse)];
    let mut routes = Vec::new();
    let mut sgs = Vec::new();
    let mut acls = Vec::new();
    for (leg, hops) in legs {
        for h in hops.iter() {
            if let Some(r) = &h.matched_route {
                routes.push(json!({"routeTableId": r.route_table_id, "destinationCidrBlock": r.destination,
                    "nextHopType": r.next_hop_type, "nextHopId": r.next_hop_id, "direction": leg.nis_name()}));
            }
            if let Some(s) = &h.matched_sg_rule {
                sgs.push(json!({
                    "resourceId": h.node_id,
                    "securityGroupId": s.security_group_id.clone().unwrap_or_default(),
                    "policy": s.policy.as_str(),
                    "description": s.description,
                    "matchedRule": {
                        "direction": direction(s.direction),
                        "policy": if s.policy == crate::cloud::packet::Action::Accept { "Accept" } else { "Drop" },
                        "priority": s.priority.map(|p| p.to_string()).unwrap_or_default(),
                        "ruleId": s.rule_id.clone().unwrap_or_default(),
                    }
                }));
            }
            for a in &h.matched_acl_rules {
                acls.push(
                    json!({"networkAclId": a.network_acl_id, "vSwitchId": a.vswitch_id,
                    "direction": direction(a.direction), "policy": a.policy.as_str(),
                    "matchedEntryId": a.matched_entry_id}),
                );
            }
        }
    }
    let sg_policy = if sgs.iter().any(|s| s["policy"] == "drop") {
        "drop"
    } else {
        "accept"
    };
    let findings: Vec<Value> = v
        .findings
        .iter()
        .map(|f| {
            json!({"code": f.code.as_str(), "severity": match f.severity { Severity::Error => "Error", Severity::Warning => "Warning", Severity::Info => "Info" },
                "checkItem": f.code.check_item(), "componentId": f.component_id, "detail": f.detail,
                "direction": f.leg.nis_name()})
        })
        .collect();
    let mut d = json!({
        "nraId": nra_id,
        "requestId": request_id,
        "reachable": v.reachable,
        "errorCode": v.first_error().map(|f| f.code.as_str()).unwrap_or(""),
        "status": status(v),
        "findings": findings,
        "routeData": {"routeItems": routes},
        "securityGroupData": {"policy": sg_policy, "securityGroupItems": sgs},
        "networkAclData": {"networkAclItems": acls},
        "topologyData": {
            "positive": {"linkList": links(&v.forward), "nodeList": v.forward.iter().map(node).collect::<Vec<_>>()},
            "reverse": {"revLinkList": links(&v.reverse), "revNodeList": v.reverse.iter().map(node).collect::<Vec<_>>()},
        }
    });
    if !v.candidates.is_empty() {
        let list: Vec<Value> = v
            .candidates
            .iter()
            .map(|c| {
                let backends: Vec<Value> = c
                    .backends
                    .iter()
                    .map(|b| {
                        json!({"serverId": b.server_id, "ip": b.ip.to_string(), "port": b.port,
                            "source": b.source.to_string(),
                            "reachable": b.ok, "code": b.code.map(|x| x.as_str()),
                            "cause": b.cause.map(|x| x.as_str())})
                    })
                    .collect();
                json!({"ip": c.ip.to_string(), "reachable": c.reachable,
                    "code": c.code.map(|x| x.as_str()), "backends": backends})
            })
            .collect();
        if let Value::Object(m) = &mut d {
            m.insert("candidates".into(), Value::Array(list));
        }
    }
    d
}
