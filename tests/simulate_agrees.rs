//! `simulate`'s main matrix decides every row on the gateway's one decision path (issue 16):
//! over the bundled worlds (`corpus/worlds/*.json`, the simulate fixture) and random worlds
//! (control policies on folders, roles with random trust policies, role sessions with and
//! without session policies, users' AccessKeys), for every principal and every row whose call
//! reaches authorization, the row's decision is the decision the gateway makes for that call,
//! made for real on a copy of the state. Rows carry the call they stand for (their objects,
//! region and target account); the test fills in the parameters that do not bear on
//! authorization. Both answers must be reached in earnest, over many APIs, with control
//! policies, session policies and dependent actions among the deciders.

mod random_world;
use ramsim::api::catalog::by_action;
use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use ramsim::authz::{Outcome, PolicyType};
use ramsim::check::prng::Rng;
use ramsim::cloud::declare::ParamType;
use ramsim::cloud::vpcpeer::PeerStatus;
use ramsim::simulate::{load_state, resolve, simulate, PrincipalSpec, Row, SimulateOptions};
use random_world::{A, B};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

const DOC: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#;

/// What the comparison saw.
#[derive(Default)]
struct Tally {
    allowed: usize,
    denied: usize,
    not_authorized: usize,
    refused_before_ram: usize,
    apis: BTreeSet<String>,
    control_denials: usize,
    session_deciders: usize,
    dependent_denials: usize,
    target_rows: usize,
    mismatches: Vec<String>,
}

/// The request a row stands for: its own parameters (objects, region), the target account's
/// objects for rows with a target, and harmless values for the parameters that remain.
fn request_for(state: &SimState, account: &str, row: &Row) -> Option<ApiRequest> {
    let entry = by_action(&row.action)?;
    if entry.api != row.api {
        // Several products share the action name only through their own APIs.
        return None;
    }
    let mut params: Map<String, Value> = row
        .call
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let w = &state.world;
    let own_vpc = w.vpcs().find(|v| v.owner_uid == account);
    let region = params
        .get("RegionId")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| own_vpc.map(|v| v.region_id.clone()))
        .unwrap_or_else(|| "cn-hangzhou".into());
    match (entry.api, row.target.as_deref()) {
        ("CreateVpcPeerConnection", Some(t)) => {
            let from = own_vpc?;
            let to = w
                .vpcs()
                .find(|v| v.owner_uid == t && v.vpc_id != from.vpc_id)?;
            params.insert("RegionId".into(), json!(from.region_id));
            params.insert("VpcId".into(), json!(from.vpc_id));
            params.insert("AcceptingAliUid".into(), json!(t));
            params.insert("AcceptingRegionId".into(), json!(to.region_id));
            params.insert("AcceptingVpcId".into(), json!(to.vpc_id));
        }
        ("AcceptVpcPeerConnection", Some(t)) => {
            let p = w.peerings().find(|p| {
                p.accepting_owner_uid == account
                    && p.owner_uid == t
                    && w.peering_status(&p.instance_id) == Some(PeerStatus::Accepting)
            })?;
            params.insert("InstanceId".into(), json!(p.instance_id));
        }
        ("GrantInstanceToTransitRouter", Some(t)) => {
            let vpc = own_vpc?;
            params.insert("CenOwnerId".into(), json!(t));
            params.insert("RegionId".into(), json!(vpc.region_id));
            params.insert("InstanceId".into(), json!(vpc.vpc_id));
            params.insert("InstanceType".into(), json!("VPC"));
            params.insert("CenId".into(), json!("cen-simulated"));
        }
        ("AssumeRole", _) => {
            params.insert("RoleArn".into(), json!(row.resources.first()?));
            params.insert("RoleSessionName".into(), json!("simulated"));
        }
        _ => {}
    }
    for p in entry.params.iter().filter(|p| p.required) {
        let name = p.name.replace(".N.", ".1.");
        if params.contains_key(&name) {
            continue;
        }
        let v = match (p.name, p.ty) {
            ("RegionId", _) => json!(region),
            ("CidrBlock", _) => json!("10.250.0.0/24"),
            ("DestinationCidrBlock" | "TransitRouterRouteEntryDestinationCidrBlock", _) => {
                json!("10.251.0.0/16")
            }
            ("PolicyDocument" | "InnerAccessPolicy", _) => json!(DOC),
            ("AssumeRolePolicyDocument", _) => json!(format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["acs:ram::{account}:root"]}}}}]}}"#
            )),
            ("PolicyType", _) => json!("Custom"),
            ("InstanceType", _) => json!("VPC"),
            ("PrincipalType", _) => json!("IMSUser"),
            ("ZoneId", _) => json!(format!("{region}-a")),
            (_, ParamType::Int) => json!("10"),
            (_, ParamType::Bool) => json!("false"),
            (_, ParamType::Uid) => json!(account),
            _ => json!("simulated1"),
        };
        params.insert(name, v);
    }
    Some(ApiRequest {
        product: Some(entry.product.to_string()),
        action: entry.api.to_string(),
        params,
    })
}

/// Compares every row of `who`'s matrix over `gw`'s state with the gateway.
fn compare(gw: &Gateway, who: &str, label: &str, tally: &mut Tally) {
    let state = &gw.state;
    let spec = PrincipalSpec::parse(who).expect("spec");
    let Ok(subject) = resolve(state, &spec, who) else {
        return;
    };
    let matrix = simulate(state, &subject, &SimulateOptions::default()).expect("simulate");
    let envelope = Envelope {
        caller: who.to_string(),
        ..Envelope::default()
    };
    for row in &matrix.rows {
        let Some(req) = request_for(state, &subject.account, row) else {
            continue;
        };
        match gw.authorization_query(&envelope, &req) {
            Err(_) => {
                tally.refused_before_ram += 1;
                continue;
            }
            Ok(None) => {
                tally.not_authorized += 1;
                if row.decision != Outcome::Allow {
                    tally.mismatches.push(format!(
                        "{label}: {who} {} {:?}: simulate {:?}, the gateway does not authorize it",
                        row.api, row.resources, row.decision
                    ));
                }
                continue;
            }
            Ok(Some(_)) => {}
        }
        // The call, for real, on a copy of the state.
        let mut probe = Gateway::new(state.clone());
        let result = probe.call(&envelope, &req);
        let Some(d) = result.decision else {
            tally.refused_before_ram += 1;
            continue;
        };
        if d.outcome != row.decision {
            tally.mismatches.push(format!(
                "{label}: {who} {} {:?} target {:?}: simulate {:?} ({:?}), the gateway {:?} ({:?}) on {:?}",
                row.api,
                row.resources,
                row.target,
                row.decision,
                row.policy_type,
                d.outcome,
                d.policy_type,
                req.params
            ));
            continue;
        }
        tally.apis.insert(row.api.clone());
        if row.target.is_some() {
            tally.target_rows += 1;
        }
        if d.outcome == Outcome::Allow {
            tally.allowed += 1;
        } else {
            tally.denied += 1;
            match row.policy_type {
                Some(PolicyType::ControlPolicy) => tally.control_denials += 1,
                Some(PolicyType::SessionPolicy) => tally.session_deciders += 1,
                _ => {}
            }
            if row.denied_pair.is_some() {
                tally.dependent_denials += 1;
            }
        }
    }
}

fn call(gw: &mut Gateway, who: &str, action: &str, params: Value) -> Value {
    gw.call(
        &Envelope {
            caller: who.into(),
            ..Envelope::default()
        },
        &ApiRequest {
            product: None,
            action: action.into(),
            params: params.as_object().cloned().unwrap_or_default(),
        },
    )
    .body
    .into_value()
}

/// Every principal of a world: users, roots, a session of every role (every other one with a
/// session policy), and an AccessKey of the first user of each account.
fn principals(gw: &mut Gateway, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    let accounts: Vec<(String, Vec<String>, Vec<String>)> = gw
        .state
        .iam
        .accounts
        .iter()
        .map(|(uid, a)| {
            (
                uid.clone(),
                a.users.keys().cloned().collect(),
                a.roles.values().map(|r| r.name.clone()).collect(),
            )
        })
        .collect();
    for (uid, users, roles) in &accounts {
        out.push(format!("root@{uid}"));
        out.extend(users.iter().map(|u| format!("{u}@{uid}")));
        if let Some(u) = users.first() {
            let body = call(
                gw,
                &format!("root@{uid}"),
                "CreateAccessKey",
                json!({"UserName": u}),
            );
            if let Some(ak) = body["AccessKey"]["AccessKeyId"].as_str() {
                out.push(ak.to_string());
            }
        }
        for (i, role) in roles.iter().enumerate() {
            let mut params = json!({"RoleArn": format!("acs:ram::{uid}:role/{role}"),
                "RoleSessionName": format!("agree{i}")});
            if rng.chance(50) {
                let policy = [
                    DOC,
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*","ram:Get*","ram:List*"],"Resource":"*"}]}"#,
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"vpc:Create*","Resource":"*"}]}"#,
                ][rng.below(3)];
                params["Policy"] = json!(policy);
            }
            let body = call(gw, &format!("root@{uid}"), "AssumeRole", params);
            if let Some(ak) = body["Credentials"]["AccessKeyId"].as_str() {
                out.push(ak.to_string());
            }
        }
    }
    out
}

const IDENTITY_DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*","cdt:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:*","nlb:*","cen:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":["vpc:CreateVpcPeerConnection","vpc:AcceptVpcPeerConnection"],"Resource":"*","Condition":{"StringNotLike":{"acs:TargetRDPath":"rd-abc123/r-root01/fd-prod01/*"}}}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:Create*","Resource":"acs:ram::*:user/u*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"acs:vpc:cn-hangzhou:*:*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"acs:PrincipalARN":"acs:ram::*:role/*"}}}]}"#,
];

const CONTROL_DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"cdt:*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:Create*","Resource":"*","Condition":{"StringNotEquals":{"acs:TargetRDId":"rd-abc123"}}}]}"#,
];

fn trust(rng: &mut Rng) -> Value {
    let principal = match rng.below(3) {
        0 => json!({"RAM": [format!("acs:ram::{A}:root")]}),
        1 => json!({"RAM": [format!("acs:ram::{B}:root")]}),
        _ => json!({"RAM": [format!("acs:ram::{A}:root"), format!("acs:ram::{B}:root")]}),
    };
    let effect = if rng.chance(15) { "Deny" } else { "Allow" };
    json!({"Version": "1", "Statement": [
        {"Effect": effect, "Action": "sts:AssumeRole", "Principal": principal}]})
}

fn random_world(rng: &mut Rng) -> SimState {
    random_world::random_world(
        rng,
        &random_world::Mix {
            identity_docs: IDENTITY_DOCS,
            min_policies: 1,
            control_docs: CONTROL_DOCS,
            control_chance: 50,
            trust,
        },
    )
}

/// Pending peerings towards A and B, so that AcceptVpcPeerConnection rows have calls.
fn pending_peerings(gw: &mut Gateway) {
    let vpcs: Vec<(String, String, String)> = gw
        .state
        .world
        .vpcs()
        .map(|v| (v.owner_uid.clone(), v.vpc_id.clone(), v.region_id.clone()))
        .collect();
    for (from, to) in [(1, 0), (2, 0), (0, 1), (2, 1)] {
        let (Some(f), Some(t)) = (vpcs.get(from), vpcs.get(to)) else {
            continue;
        };
        call(
            gw,
            &format!("root@{}", f.0),
            "CreateVpcPeerConnection",
            json!({"RegionId": f.2, "VpcId": f.1, "AcceptingAliUid": t.0,
                "AcceptingRegionId": t.2, "AcceptingVpcId": t.1}),
        );
    }
}

#[test]
fn every_simulate_row_is_the_gateways_decision() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut tally = Tally::default();
    let mut rng = Rng::new(1616);
    // The bundled worlds.
    let mut files: Vec<_> = std::fs::read_dir(root.join("corpus/worlds"))
        .expect("corpus/worlds")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files.push(root.join("tests/fixtures/simulate/teams.json"));
    let mut bundled = 0;
    for file in &files {
        let Ok(state) = load_state(file) else {
            continue;
        };
        bundled += 1;
        let mut gw = Gateway::new(state);
        let who = principals(&mut gw, &mut rng);
        let label = file.file_name().map(|f| f.to_string_lossy().into_owned());
        for p in &who {
            compare(&gw, p, label.as_deref().unwrap_or("?"), &mut tally);
        }
    }
    assert!(bundled >= 15, "{bundled} bundled worlds loaded");
    // Random worlds.
    for n in 0..12 {
        let mut gw = Gateway::new(random_world(&mut rng));
        pending_peerings(&mut gw);
        let who = principals(&mut gw, &mut rng);
        for p in &who {
            compare(&gw, p, &format!("random world {n}"), &mut tally);
        }
    }
    assert!(
        tally.mismatches.is_empty(),
        "{} rows disagree with the gateway:\n{}",
        tally.mismatches.len(),
        tally.mismatches.join("\n")
    );
    let summary = format!(
        "{} allowed, {} denied, {} not authorized by RAM, {} refused before RAM; {} APIs; {} control-policy denials, {} session-policy deciders, {} dependent-action denials, {} target rows",
        tally.allowed,
        tally.denied,
        tally.not_authorized,
        tally.refused_before_ram,
        tally.apis.len(),
        tally.control_denials,
        tally.session_deciders,
        tally.dependent_denials,
        tally.target_rows
    );
    println!("{summary}");
    assert!(tally.allowed >= 1_000 && tally.denied >= 1_000, "{summary}");
    assert!(tally.apis.len() >= 60, "{summary}");
    assert!(
        tally.control_denials >= 20
            && tally.session_deciders >= 20
            && tally.dependent_denials >= 5
            && tally.target_rows >= 50,
        "{summary}"
    );
}
