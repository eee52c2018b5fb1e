//! `ramsim simulate --peers`: "which peers can alice connect to?" One row per target of the
//! world — for `CreateVpcPeerConnection` every (own VPC, other VPC) pair, for
//! `AcceptVpcPeerConnection` every pending peering the caller's account accepts — with the
//! `acs:TargetRDId`/`acs:TargetRDPath` the gateway itself would inject (the accepting account's
//! for Create, the requester's for Accept) and the gateway's decision: the request is planned by
//! the gateway ([`crate::api::Gateway::authorization_query`], which runs the checks that precede
//! RAM) and decided on the shared decision path ([`crate::api::decision`]). A call the gateway
//! would refuse before authorizing (CDT not enabled, a VPC in another region, …) shows its error
//! code instead of a decision.

use crate::api::decision::{with_request, Presented};
use crate::api::{ApiRequest, Envelope, Gateway, SimState};
use crate::authz::{decide, EvalOptions};
use crate::cloud::vpcpeer::PeerStatus;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

/// One row of the peer table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerRow {
    /// `CreateVpcPeerConnection` or `AcceptVpcPeerConnection`.
    pub api: String,
    /// The caller's VPC (Create) or the pending peering (Accept).
    pub from: String,
    /// The peer account uid.
    pub target_account: String,
    /// Its alias, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_alias: Option<String>,
    /// The peer VPC.
    pub target_vpc: String,
    /// The peer VPC's region.
    pub target_region: String,
    /// `acs:TargetRDId` the gateway injects (absent outside every directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rd_id: Option<String>,
    /// `acs:TargetRDPath` the gateway injects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rd_path: Option<String>,
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny`, or the error code of a refusal before RAM.
    pub decision: String,
}

fn request(action: &str, params: Value) -> ApiRequest {
    ApiRequest {
        product: None,
        action: action.to_string(),
        params: params.as_object().cloned().unwrap_or_else(Map::new),
    }
}

/// The peer table of the caller `who` (a user, `root@ACCT` or an AccessKeyId) in `state`.
pub fn peers(state: &SimState, who: &str) -> Result<Vec<PeerRow>, String> {
    let caller = state
        .iam
        .authenticate(&state.world, who)
        .map_err(|e| format!("principal `{who}`: {}: {}", e.code, e.message))?;
    let gw = Gateway::new(state.clone());
    let store = state.iam.policy_store(&state.world, &caller);
    let principal = state.iam.principal(&state.world, &caller);
    let envelope = Envelope {
        caller: who.to_string(),
        ..Envelope::default()
    };
    let account = caller.account().to_string();
    let w = &state.world;
    let alias = |uid: &str| w.account(uid).and_then(|a| a.alias.clone());
    let decide_row = |req: &ApiRequest| -> (String, Option<String>, Option<String>) {
        match gw.authorization_query(&envelope, req) {
            Err(e) => (e.code, None, None),
            Ok(None) => ("Allow".into(), None, None),
            Ok(Some((caller, query))) => {
                let key = |k: &str| {
                    query
                        .keys
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.clone())
                };
                let d = with_request(
                    w,
                    &store,
                    &principal,
                    &caller,
                    Presented {
                        envelope: &envelope,
                        access_key: who.starts_with("LTAI").then_some(who),
                    },
                    w.now(),
                    &query,
                    Some(&req.params),
                    |store, r, _| decide(store, r, &EvalOptions::default()),
                );
                (
                    d.outcome.as_str().to_string(),
                    key("acs:TargetRDId"),
                    key("acs:TargetRDPath"),
                )
            }
        }
    };
    let mut rows = Vec::new();
    for from in w.vpcs().filter(|v| v.owner_uid == account) {
        for to in w.vpcs().filter(|v| v.vpc_id != from.vpc_id) {
            let req = request(
                "CreateVpcPeerConnection",
                json!({"RegionId": from.region_id, "VpcId": from.vpc_id,
                    "AcceptingAliUid": to.owner_uid, "AcceptingRegionId": to.region_id,
                    "AcceptingVpcId": to.vpc_id}),
            );
            let (decision, rd_id, rd_path) = decide_row(&req);
            rows.push(PeerRow {
                api: "CreateVpcPeerConnection".into(),
                from: format!("{} ({})", from.vpc_id, from.region_id),
                target_account: to.owner_uid.clone(),
                target_alias: alias(&to.owner_uid),
                target_vpc: to.vpc_id.clone(),
                target_region: to.region_id.clone(),
                target_rd_id: rd_id,
                target_rd_path: rd_path,
                decision,
            });
        }
    }
    for p in w.peerings().filter(|p| {
        p.accepting_owner_uid == account
            && w.peering_status(&p.instance_id) == Some(PeerStatus::Accepting)
    }) {
        let req = request(
            "AcceptVpcPeerConnection",
            json!({"InstanceId": p.instance_id}),
        );
        let (decision, rd_id, rd_path) = decide_row(&req);
        rows.push(PeerRow {
            api: "AcceptVpcPeerConnection".into(),
            from: p.instance_id.clone(),
            target_account: p.owner_uid.clone(),
            target_alias: alias(&p.owner_uid),
            target_vpc: p.vpc_id.clone(),
            target_region: p.region_id.clone(),
            target_rd_id: rd_id,
            target_rd_path: rd_path,
            decision,
        });
    }
    Ok(rows)
}

/// The columns of [`table`].
pub const COLUMNS: [&str; 6] = [
    "API",
    "FROM",
    "PEER ACCOUNT",
    "PEER VPC",
    "acs:TargetRDPath",
    "DECISION",
];

/// An aligned table, with a count line.
pub fn table(who: &str, rows: &[PeerRow]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.api.clone(),
                r.from.clone(),
                match &r.target_alias {
                    Some(a) => format!("{} ({a})", r.target_account),
                    None => r.target_account.clone(),
                },
                format!("{} ({})", r.target_vpc, r.target_region),
                r.target_rd_path
                    .clone()
                    .unwrap_or_else(|| "- (outside the directory)".into()),
                r.decision.clone(),
            ]
        })
        .collect();
    let mut width = COLUMNS.map(|c| c.chars().count());
    for r in &cells {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = format!("peers of {who}\n");
    let line = |out: &mut String, r: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in r.iter().zip(width).enumerate() {
            if i + 1 == r.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut out, &COLUMNS.map(str::to_string));
    for r in &cells {
        line(&mut out, r);
    }
    let allowed = rows.iter().filter(|r| r.decision == "Allow").count();
    let _ = writeln!(out, "{allowed} of {} allowed", rows.len());
    out
}
