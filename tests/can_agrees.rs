//! `can()` in `ramsim check` invariants asks exactly what the gateway decides (issue 16): on
//! random worlds (users, groups, roles with random trust policies, control policies on
//! folders, role sessions with and without session policies, expired ones) and random calls,
//! the question `can(caller, action, resource, target)` built from the call's primary pair is
//! presented to the engine as the same query the gateway builds (dependent actions, trust
//! policy, `acs:TargetRDId`/`acs:TargetRDPath`) and gets the gateway's decision. 10,000+ cases.

mod random_world;
use ramsim::api::decision::query_for_action;
use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use ramsim::check::invariant::eval::{can, EvalCache};
use ramsim::check::prng::Rng;
use ramsim::iam::Caller;
use random_world::{A, B, C, M};
use serde_json::{json, Map, Value};

const UIDS: [&str; 4] = [A, B, C, M];

const IDENTITY_DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:*","cdt:*"],"Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"acs:ram::*:role/admin"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection","Resource":"*","Condition":{"StringNotLike":{"acs:TargetRDPath":"rd-abc123/r-root01/fd-prod01/*"}}}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:CreateUser","Resource":"acs:ram::*:user/u*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"acs:PrincipalARN":"acs:ram::*:role/*"}}}]}"#,
];

const CONTROL_DOCS: &[&str] = &[
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:*","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"cdt:*","Resource":"*"}]}"#,
];

fn trust(rng: &mut Rng) -> Value {
    let principal = match rng.below(4) {
        0 => json!({"RAM": [format!("acs:ram::{A}:root")]}),
        1 => json!({"RAM": [format!("acs:ram::{B}:root")]}),
        2 => json!({"RAM": [format!("acs:ram::{A}:user/u0")]}),
        _ => json!({"RAM": [format!("acs:ram::{A}:root"), format!("acs:ram::{B}:root")]}),
    };
    let mut st = json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal});
    if rng.chance(15) {
        st["Effect"] = json!("Deny");
    }
    json!({"Version": "1", "Statement": [st]})
}

fn random_world(rng: &mut Rng) -> SimState {
    random_world::random_world(
        rng,
        &random_world::Mix {
            identity_docs: IDENTITY_DOCS,
            min_policies: 0,
            control_docs: CONTROL_DOCS,
            control_chance: 40,
            trust,
        },
    )
}

fn call(gw: &mut Gateway, who: &str, action: &str, params: Value) -> ramsim::api::CallResult {
    let params = params.as_object().cloned().unwrap_or_default();
    gw.call(
        &Envelope {
            caller: who.into(),
            ..Envelope::default()
        },
        &ApiRequest {
            product: None,
            action: action.into(),
            params,
        },
    )
}

/// A few role sessions (some with a session policy), then maybe time passes so that some
/// expire; the callers to draw from.
fn callers(gw: &mut Gateway, rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = ["u0@A", "u1@A", "u2@A", "u0@B", "u1@B", "root@A"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for i in 0..3 {
        let who = out[rng.below(5)].clone();
        let role = ["admin", "reader"][rng.below(2)];
        let acct = [A, B][rng.below(2)];
        let mut params = json!({"RoleArn": format!("acs:ram::{acct}:role/{role}"),
            "RoleSessionName": format!("s{i}"), "DurationSeconds": "900"});
        if rng.chance(40) {
            params["Policy"] = json!(IDENTITY_DOCS[rng.below(4)]);
        }
        let r = call(gw, &who, "AssumeRole", params);
        if let Some(ak) = r.body["Credentials"]["AccessKeyId"].as_str() {
            out.push(ak.to_string());
        }
    }
    if rng.chance(30) {
        let to = gw.state.world.now().plus(3_600);
        gw.advance_clock(to);
    }
    out
}

fn request(rng: &mut Rng, state: &SimState) -> (String, Map<String, Value>) {
    let vpc = |owner: &str| {
        state
            .world
            .vpcs()
            .find(|v| v.owner_uid == owner)
            .map(|v| (v.vpc_id.clone(), v.region_id.clone()))
            .expect("vpc")
    };
    let (action, params) = match rng.below(5) {
        0 | 1 => {
            let acct = UIDS[rng.below(3)];
            let role = ["admin", "reader", "nosuch"][rng.below(3)];
            (
                "AssumeRole",
                json!({"RoleArn": format!("acs:ram::{acct}:role/{role}"), "RoleSessionName": "q"}),
            )
        }
        2 => {
            let from = [A, B][rng.below(2)];
            let to = [A, B, C][rng.below(3)];
            let ((vpc_id, region), (to_vpc, to_region)) = (vpc(from), vpc(to));
            (
                "CreateVpcPeerConnection",
                json!({"RegionId": region, "VpcId": vpc_id, "AcceptingAliUid": to,
                    "AcceptingRegionId": to_region, "AcceptingVpcId": to_vpc}),
            )
        }
        3 => ("CreateUser", {
            let name = ["u9", "x9"][rng.below(2)];
            json!({ "UserName": name })
        }),
        _ => {
            let role = ["admin", "reader"][rng.below(2)];
            (
                "UpdateRole",
                json!({"RoleName": role, "NewAssumeRolePolicyDocument": IDENTITY_DOCS[0]}),
            )
        }
    };
    (
        action.to_string(),
        params.as_object().cloned().unwrap_or_default(),
    )
}

#[test]
fn can_agrees_with_the_gateway_on_random_worlds_and_requests() {
    let mut rng = Rng::new(16);
    let (mut cases, mut allowed, mut denied, mut refused, mut expired) = (0, 0, 0, 0, 0);
    let mut world_no = 0;
    while cases < 10_000 {
        world_no += 1;
        let state = random_world(&mut rng);
        let mut gw = Gateway::new(state);
        let pool = callers(&mut gw, &mut rng);
        for _ in 0..50 {
            let who = pool[rng.below(pool.len())].clone();
            let (action, params) = request(&mut rng, &gw.state);
            let envelope = Envelope {
                caller: who.clone(),
                ..Envelope::default()
            };
            let req = ApiRequest {
                product: None,
                action: action.clone(),
                params,
            };
            let caller = gw
                .state
                .iam
                .resolve_caller(&gw.state.world, &who)
                .expect("known caller");
            let query = match gw.authorization_query(&envelope, &req) {
                Ok(Some(q)) => q,
                Ok(None) => continue,
                Err(e) => {
                    // Refused before authorization: for expired credentials can() answers
                    // false on anything.
                    if e.code.contains("Expired") {
                        expired += 1;
                        let mut cache = EvalCache::new();
                        assert!(
                            !can(
                                &gw.state,
                                &mut cache,
                                &caller,
                                "vpc:DescribeVpcs",
                                "*",
                                None
                            ),
                            "world {world_no}: an expired session can do nothing"
                        );
                    } else {
                        refused += 1;
                    }
                    continue;
                }
            };
            let (_, gateway_query) = query;
            let primary = &gateway_query.pairs[0];
            let target = gateway_query
                .keys
                .iter()
                .find(|(k, _)| k == "acs:TargetRDPath")
                .and_then(|(_, p)| p.rsplit('/').next().map(str::to_string))
                .or_else(|| {
                    (action == "CreateVpcPeerConnection")
                        .then(|| req.params["AcceptingAliUid"].as_str().map(str::to_string))
                        .flatten()
                });
            // The question can() builds is the gateway's query.
            let built = query_for_action(
                &gw.state,
                &primary.action,
                &primary.resource,
                target.as_deref(),
            )
            .expect("the role exists when the gateway authorizes");
            assert_eq!(
                built, gateway_query,
                "world {world_no}: {who} {action} {:?}",
                req.params
            );
            // And its answer is the gateway's decision.
            let mut probe = Gateway::new(gw.state.clone());
            let result = probe.call(&envelope, &req);
            let decision = result.decision.expect("authorized").is_allowed();
            let mut cache = EvalCache::new();
            let answer = can(
                &gw.state,
                &mut cache,
                &caller,
                &primary.action,
                &primary.resource,
                target.as_deref(),
            );
            assert_eq!(
                answer, decision,
                "world {world_no}: can({who}, {}, {}, {target:?}) vs the gateway on {action} {:?}",
                primary.action, primary.resource, req.params
            );
            if decision {
                allowed += 1;
            } else {
                denied += 1;
            }
            cases += 1;
            if let Caller::Session { .. } = caller {
                assert!(who.starts_with("STS."));
            }
        }
    }
    // The generator reaches both answers and the refusals in earnest.
    assert!(
        allowed > 1_000 && denied > 1_000,
        "{allowed} allowed, {denied} denied"
    );
    assert!(
        expired > 0 && refused > 0,
        "{expired} expired, {refused} refused"
    );
}
