//! `builtin:no-privilege-escalation` counts what a principal can become through a role session
//! it holds as the role's permissions *limited by the session's session policy* (issue 16).
//!
//! The world: `dev` may call `sts:AssumeRole` and read VPCs; role `deployer` (administrator)
//! trusts `dev` only from 01:00 on, so at the start `dev` cannot become `deployer`. After the
//! clock passes 01:00, `dev` assumes `deployer`: holding that session is an escalation — unless
//! the session policy limits the session to what `dev` could already do.

use ramsim::api::SimState;
use ramsim::check::invariant::Invariant;
use ramsim::check::{Arg, CheckConfig, Checker, Step, StepKind};
use std::path::Path;

const A: &str = "1234567890123456";

fn world() -> SimState {
    let json = format!(
        r#"{{
  "start_time": "2025-01-01T00:00:00Z",
  "accounts": [{{"uid": "{A}", "alias": "A"}}],
  "vpcs": [{{"owner": "{A}", "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "a-hz"}}],
  "identity": {{"accounts": {{"A": {{
    "users": [{{"name": "dev", "policies": ["System:AliyunSTSAssumeRoleAccess", "System:AliyunVPCReadOnlyAccess"]}}],
    "roles": [{{"name": "deployer",
      "trust": {{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {{"RAM": ["acs:ram::{A}:user/dev"]}},
        "Condition": {{"DateGreaterThan": {{"acs:CurrentTime": "2025-01-01T01:00:00Z"}}}}}}]}},
      "policies": ["System:AdministratorAccess"]}}]
  }}}}}}
}}"#
    );
    SimState::from_world_json(&json, Path::new(".")).expect("world builds")
}

fn checker() -> Checker {
    let inv = Invariant::from_arg("builtin:no-privilege-escalation").expect("invariant");
    Checker::new(world(), vec![inv], CheckConfig::default())
}

/// Two hours pass, then `dev` assumes `deployer`, with `policy` as session policy.
fn steps(policy: Option<&str>) -> Vec<Step> {
    let lit = |s: &str| Arg::Lit(s.to_string());
    let mut params = vec![
        (
            "RoleArn".to_string(),
            lit(&format!("acs:ram::{A}:role/deployer")),
        ),
        ("RoleSessionName".to_string(), lit("s1")),
    ];
    if let Some(p) = policy {
        params.push(("Policy".to_string(), lit(p)));
    }
    vec![
        Step {
            id: 1,
            kind: StepKind::Advance(7_200),
        },
        Step {
            id: 2,
            kind: StepKind::Call {
                caller: lit("dev@A"),
                action: "AssumeRole".into(),
                params,
            },
        },
    ]
}

#[test]
fn the_world_is_clean_at_the_start_and_the_trust_condition_holds_later() {
    let mut c = checker();
    // Without the session, nothing has changed.
    assert!(!c.replay_violates(&steps(None)[..1], 0).expect("replays"));
}

#[test]
fn a_session_without_a_session_policy_is_the_whole_role() {
    let mut c = checker();
    let v = c
        .replay_witness(&steps(None), 0)
        .expect("replays")
        .expect("dev holding an administrator session is an escalation");
    let witness = v.join("\n");
    assert!(
        witness.contains(&format!(
            "user/dev@{A} → role/deployer@{A} (holds a session of it, from step 2)"
        )),
        "{witness}"
    );
}

#[test]
fn a_session_policy_within_what_dev_could_do_blocks_the_escalation() {
    let mut c = checker();
    let read_only = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:Describe*","vpc:Get*","vpc:List*"],"Resource":"*"}]}"#;
    assert!(
        !c.replay_violates(&steps(Some(read_only)), 0)
            .expect("replays"),
        "the session can do only what dev could already do"
    );
}

#[test]
fn a_session_policy_wider_than_dev_does_not_block_it() {
    let mut c = checker();
    let vpc_all =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*"}]}"#;
    let v = c
        .replay_witness(&steps(Some(vpc_all)), 0)
        .expect("replays")
        .expect("the session may create VPCs, dev could not");
    let witness = v.join("\n");
    assert!(witness.contains("gained vpc:"), "{witness}");
    assert!(
        witness.contains("holds this session of role deployer, from step 2: the role's permissions as its session policy limits them"),
        "{witness}"
    );
    // Only VPC actions: the session policy keeps RAM out of reach.
    assert!(!witness.contains("gained ram:"), "{witness}");
}
