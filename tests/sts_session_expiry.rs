//! STS role sessions expire (issue 9, "Wrong answers"): a session whose `Expiration` has
//! passed on the scenario clock is refused with `InvalidSecurityToken.Expired` by the gateway,
//! by `simulate`, by the invariant language's `can()` and by `check`'s caller pool, and
//! AssumeRole honours `DurationSeconds` (900 … the role's `MaxSessionDuration`, default 3600).

#[path = "gateway_support/mod.rs"]
mod gateway_support;

use gateway_support::*;
use ramsim::check::invariant::{EvalCache, Invariant, Monitor, StepInfo, Verdict};
use ramsim::cloud::time::Timestamp;
use ramsim::simulate::{resolve, PrincipalSpec};
use serde_json::{json, Value};
use std::sync::Arc;

fn world() -> Value {
    world_with(json!([]))
}

/// The world with a role `longrole` whose MaxSessionDuration is 12 h.
fn world_with_long_role() -> Value {
    let trust_a = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [format!("acs:ram::{A}:root")]}}]});
    world_with(
        json!([{"name": "longrole", "trust": trust_a, "policies": ["System:AliyunVPCReadOnlyAccess"],
        "max_session_duration": 43200}]),
    )
}

fn world_with(extra_roles: Value) -> Value {
    let trust_a = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [format!("acs:ram::{A}:root")]}}]});
    let mut roles = vec![
        json!({"name": "netrole", "trust": trust_a, "policies": ["System:AliyunVPCReadOnlyAccess"]}),
    ];
    roles.extend(extra_roles.as_array().cloned().unwrap_or_default());
    fixture(json!({
        "vpcs": [{"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "a_hz"}],
        "identity": {"accounts": {"A": {
            "users": [{"name": "admin", "policies": ["System:AliyunSTSAssumeRoleAccess", "System:AliyunRAMFullAccess"]}],
            "roles": roles
        }}}
    }))
}

fn assume(sim: &mut Sim, role: &str, duration: Option<i64>) -> Value {
    let mut p = json!({"RoleArn": format!("acs:ram::{A}:role/{role}"), "RoleSessionName": "s1"});
    if let Some(d) = duration {
        p["DurationSeconds"] = json!(d.to_string());
    }
    let r = sim.json("admin", "AssumeRole", p);
    r.body.into_value()
}

fn access_key(body: &Value) -> String {
    body["Credentials"]["AccessKeyId"]
        .as_str()
        .unwrap_or_else(|| panic!("no credentials in {body}"))
        .to_string()
}

fn can_holds(sim: &Sim, who: &str) -> bool {
    let inv = Invariant::from_expr(
        "session-can-read",
        &format!(r#"can("{who}", "vpc:DescribeVpcs", "*")"#),
    )
    .expect("invariant parses");
    let state = &sim.gw.state;
    let mut monitor = Monitor::new(Arc::new(inv), state);
    let step = StepInfo {
        caller: None,
        request_id: None,
        audit_before: state.audit.len(),
    };
    match monitor
        .check(state, &step, &mut EvalCache::new())
        .expect("evaluates")
    {
        Verdict::Holds => true,
        Verdict::Fails(_) => false,
    }
}

const DESCRIBE: &str = "aliyun vpc DescribeVpcs --RegionId cn-hangzhou";

#[test]
fn an_expired_session_is_refused_everywhere() {
    let mut sim = gateway(&world());
    let t0 = sim.gw.state.world.now();
    let body = assume(&mut sim, "netrole", Some(900));
    assert_eq!(
        body["Credentials"]["Expiration"],
        json!(t0.plus(900).to_string())
    );
    let key = access_key(&body);

    // Valid until the last second before Expiration.
    sim.gw.advance_clock(t0.plus(899));
    sim.ok(&key, DESCRIBE);
    assert!(can_holds(&sim, &key), "can() allows a live session");
    let spec = PrincipalSpec::parse(&key).expect("spec");
    assert!(resolve(&sim.gw.state, &spec, &key).is_ok());

    // At Expiration the credentials stop working.
    sim.gw.advance_clock(t0.plus(900));
    let before = sim.snapshot();
    let r = sim.cli(&key, DESCRIBE);
    assert_eq!(r.http_status, 400, "{}", r.body);
    assert_eq!(r.error_code(), Some("InvalidSecurityToken.Expired"));
    assert_eq!(
        r.body["Message"],
        json!("Specified SecurityToken is expired.")
    );
    assert_eq!(sim.snapshot(), before, "a refused call changes nothing");
    let event = sim.event(&r.request_id);
    assert_eq!(event.error_code, "InvalidSecurityToken.Expired");

    // The same decision in the workflows.
    assert!(!can_holds(&sim, &key), "can() refuses an expired session");
    let err = resolve(&sim.gw.state, &spec, &key).expect_err("simulate refuses it");
    assert!(err.contains("InvalidSecurityToken.Expired"), "{err}");

    // The account's users are not affected, and a fresh session works again.
    let fresh = access_key(&assume(&mut sim, "netrole", None));
    sim.ok(&fresh, DESCRIBE);
}

#[test]
fn duration_seconds_is_bounded_by_the_role() {
    let mut sim = gateway(&world_with_long_role());
    let t0 = sim.gw.state.world.now();
    // Default: 3600 s.
    let body = assume(&mut sim, "netrole", None);
    assert_eq!(
        body["Credentials"]["Expiration"],
        json!(t0.plus(3600).to_string())
    );
    // Outside 900 … MaxSessionDuration (3600 by default).
    for bad in [899, 3601, 43_200] {
        let mut p =
            json!({"RoleArn": format!("acs:ram::{A}:role/netrole"), "RoleSessionName": "s2"});
        p["DurationSeconds"] = json!(bad.to_string());
        let r = sim.json("admin", "AssumeRole", p);
        assert_eq!(r.http_status, 400, "DurationSeconds {bad}: {}", r.body);
        assert_eq!(
            r.error_code(),
            Some("InvalidParameter.DurationSeconds"),
            "DurationSeconds {bad}"
        );
    }
    // A role whose MaxSessionDuration is 12 h.
    let body = assume(&mut sim, "longrole", Some(43_200));
    assert_eq!(
        body["Credentials"]["Expiration"],
        json!(t0.plus(43_200).to_string())
    );
    let r = sim.json(
        "admin",
        "AssumeRole",
        json!({"RoleArn": format!("acs:ram::{A}:role/longrole"), "RoleSessionName": "s3", "DurationSeconds": "43201"}),
    );
    assert_eq!(r.error_code(), Some("InvalidParameter.DurationSeconds"));
}

#[test]
fn max_session_duration_is_set_by_create_role_and_update_role() {
    let mut sim = gateway(&world());
    let trust =
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"RAM": [format!("acs:ram::{A}:root")]}}]})
        .to_string();
    let created = sim.ok_json(
        "admin",
        "CreateRole",
        json!({"RoleName": "r2", "AssumeRolePolicyDocument": trust, "MaxSessionDuration": "7200"}),
    );
    assert_eq!(created["Role"]["MaxSessionDuration"], json!(7200));
    let ok = sim.json(
        "admin",
        "AssumeRole",
        json!({"RoleArn": format!("acs:ram::{A}:role/r2"), "RoleSessionName": "sx", "DurationSeconds": "7200"}),
    );
    assert!(ok.is_success(), "{}", ok.body);
    for bad in ["3599", "43201"] {
        let r = sim.json(
            "admin",
            "CreateRole",
            json!({"RoleName": "r3", "AssumeRolePolicyDocument": trust, "MaxSessionDuration": bad}),
        );
        assert_eq!(r.http_status, 400, "{}", r.body);
        assert_eq!(r.error_code(), Some("InvalidParameter.MaxSessionDuration"));
    }
    // UpdateRole lowers it; the trust policy stays as it was.
    sim.ok_json(
        "admin",
        "UpdateRole",
        json!({"RoleName": "r2", "NewMaxSessionDuration": "3600"}),
    );
    let r = sim.json(
        "admin",
        "AssumeRole",
        json!({"RoleArn": format!("acs:ram::{A}:role/r2"), "RoleSessionName": "sx", "DurationSeconds": "7200"}),
    );
    assert_eq!(r.error_code(), Some("InvalidParameter.DurationSeconds"));
    let r = sim.json(
        "admin",
        "AssumeRole",
        json!({"RoleArn": format!("acs:ram::{A}:role/r2"), "RoleSessionName": "sx", "DurationSeconds": "3600"}),
    );
    assert!(
        r.is_success(),
        "the trust policy survived UpdateRole: {}",
        r.body
    );
}

#[test]
fn expiry_is_judged_on_the_scenario_clock_through_envelope_time() {
    let mut sim = gateway(&world());
    let t0 = sim.gw.state.world.now();
    let key = access_key(&assume(&mut sim, "netrole", Some(900)));
    let later = Timestamp::from_epoch(t0.epoch() + 3600).to_string();
    let r = sim.cli_at(&key, &later, DESCRIBE);
    assert_eq!(r.error_code(), Some("InvalidSecurityToken.Expired"));
}
