//! Shared helpers for the gateway integration tests: the §11.0 world fixture and a thin
//! driver around `Gateway::call` (CLI lines and JSON requests, envelope time).
#![allow(dead_code)]

use ramsim::api::audit::AuditEvent;
use ramsim::api::{parse_cli_line, ApiRequest, CallResult, Envelope, Gateway, SimState};
use serde_json::{json, Map, Value};
use std::path::Path;

pub const A: &str = "1234567890123456";
pub const B: &str = "2234567890123456";
pub const C: &str = "3234567890123456";
pub const D: &str = "4234567890123456";
pub const E: &str = "5234567890123456";
pub const M: &str = "9234567890123456";
pub const RD: &str = "rd-abc123";
pub const ROOT: &str = "r-root01";
pub const PROD: &str = "fd-prod01";
pub const DEV: &str = "fd-dev01";

/// The §11.0 accounts and directory, with `extra` top-level fields merged in (`vpcs`,
/// `identity`, `options`, …). Accounts may be overridden wholesale through `extra`.
pub fn fixture(extra: Value) -> Value {
    let mut base = json!({
        "accounts": [
            {"uid": A, "alias": "A", "cdt_enabled": true, "resource_groups": ["rg-acfmaaaaaa"]},
            {"uid": B, "alias": "B", "cdt_enabled": true, "resource_groups": ["rg-acfmbbbbbb"]},
            {"uid": C, "alias": "C", "cdt_enabled": true},
            {"uid": D, "alias": "D", "cdt_enabled": true, "site": "International"},
            {"uid": E, "alias": "E", "cdt_enabled": true},
            {"uid": M, "alias": "M", "cdt_enabled": true}
        ],
        "resource_directory": {
            "id": RD,
            "root_folder_id": ROOT,
            "management_account": M,
            "folders": [
                {"id": PROD, "name": "prod", "parent": ROOT},
                {"id": DEV, "name": "dev", "parent": ROOT}
            ],
            "members": [
                {"uid": M, "folder": ROOT},
                {"uid": A, "folder": PROD},
                {"uid": B, "folder": PROD},
                {"uid": E, "folder": DEV}
            ]
        }
    });
    merge(&mut base, extra);
    base
}

/// Shallow merge of `extra`'s keys into `base`.
pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

/// Builds a state from world JSON; policy files resolve against the crate root.
pub fn state(world: &Value) -> SimState {
    SimState::from_world_json(&world.to_string(), Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("world does not build: {e}"))
}

/// A gateway over `world`.
pub fn gateway(world: &Value) -> Sim {
    Sim {
        gw: Gateway::new(state(world)),
    }
}

/// The driver.
pub struct Sim {
    pub gw: Gateway,
}

pub fn envelope(who: &str) -> Envelope {
    Envelope {
        caller: who.to_string(),
        ..Envelope::default()
    }
}

impl Sim {
    /// One call with an explicit envelope.
    pub fn call_env(&mut self, env: &Envelope, req: &ApiRequest) -> CallResult {
        let before = self.api_events().len();
        let r = self.gw.call(env, req);
        // Every call logs exactly one ApiCall event carrying the response's RequestId.
        let after = self.api_events();
        assert_eq!(after.len(), before + 1, "one ApiCall event per call");
        let last = after.last().expect("an event");
        assert_eq!(last.request_id, r.request_id);
        assert_eq!(r.body["RequestId"], Value::String(r.request_id.clone()));
        assert_eq!(last.event_name, req.action);
        assert_eq!(last.error_code, r.error_code().unwrap_or(""));
        r
    }

    /// An aliyun CLI line by `who`.
    pub fn cli(&mut self, who: &str, line: &str) -> CallResult {
        let req = parse_cli_line(line).unwrap_or_else(|e| panic!("bad CLI line `{line}`: {e}"));
        self.call_env(&envelope(who), &req)
    }

    /// An aliyun CLI line by `who` at scenario time `time`.
    pub fn cli_at(&mut self, who: &str, time: &str, line: &str) -> CallResult {
        let req = parse_cli_line(line).unwrap_or_else(|e| panic!("bad CLI line `{line}`: {e}"));
        let env = Envelope {
            time: Some(time.to_string()),
            ..envelope(who)
        };
        self.call_env(&env, &req)
    }

    /// A JSON request (`Action` + parameters) by `who`.
    pub fn json(&mut self, who: &str, action: &str, params: Value) -> CallResult {
        let req = ApiRequest {
            product: None,
            action: action.to_string(),
            params: obj(params),
        };
        self.call_env(&envelope(who), &req)
    }

    /// A CLI line that must succeed; returns the body.
    #[track_caller]
    pub fn ok(&mut self, who: &str, line: &str) -> Value {
        let r = self.cli(who, line);
        assert!(
            r.is_success(),
            "`{line}` by {who} failed: HTTP {} {}",
            r.http_status,
            r.body
        );
        r.body.into_value()
    }

    /// A JSON request that must succeed; returns the body.
    #[track_caller]
    pub fn ok_json(&mut self, who: &str, action: &str, params: Value) -> Value {
        let r = self.json(who, action, params);
        assert!(
            r.is_success(),
            "{action} by {who} failed: HTTP {} {}",
            r.http_status,
            r.body
        );
        r.body.into_value()
    }

    /// A CLI line that must fail; returns `(http status, code)`.
    #[track_caller]
    pub fn err(&mut self, who: &str, line: &str) -> (u16, String) {
        let r = self.cli(who, line);
        assert!(
            !r.is_success(),
            "`{line}` by {who} unexpectedly succeeded: {}",
            r.body
        );
        (
            r.http_status,
            r.error_code().unwrap_or_default().to_string(),
        )
    }

    /// ApiCall events so far.
    pub fn api_events(&self) -> Vec<&AuditEvent> {
        self.gw
            .state
            .audit
            .iter()
            .filter(|e| e.event_type == "ApiCall")
            .collect()
    }

    /// The event for `request_id`.
    pub fn event(&self, request_id: &str) -> &AuditEvent {
        self.gw
            .state
            .audit
            .iter()
            .find(|e| e.request_id == request_id && e.event_type == "ApiCall")
            .unwrap_or_else(|| panic!("no event for {request_id}"))
    }

    /// VPC id by owner and name.
    pub fn vpc(&self, owner: &str, name: &str) -> String {
        self.gw
            .state
            .world
            .vpc_by_name(owner, name)
            .unwrap_or_else(|| panic!("no VPC {name}"))
            .vpc_id
            .clone()
    }

    /// System route table of a VPC.
    pub fn rt(&self, vpc: &str) -> String {
        self.gw
            .state
            .world
            .vpc(vpc)
            .expect("vpc")
            .system_route_table_id
            .clone()
    }

    /// `Status` from GetVpcPeerConnectionAttribute as `who`.
    pub fn status(&mut self, who: &str, id: &str) -> String {
        let b = self.ok(
            who,
            &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {id}"),
        );
        b["Status"].as_str().unwrap_or_default().to_string()
    }

    /// Serialized world and identities (the "state" a failed call must not touch).
    pub fn snapshot(&self) -> (String, String) {
        state_snapshot(&self.gw)
    }
}

/// Serialized world and identities of `gw` (the "state" a failed call must not touch).
pub fn state_snapshot(gw: &Gateway) -> (String, String) {
    (
        serde_json::to_string(&gw.state.world).expect("world serializes"),
        serde_json::to_string(&gw.state.iam).expect("iam serializes"),
    )
}

/// Step `step` of a pipeline property test: calls the CLI line `text` as `who` and checks the
/// gateway's promises — exactly one new `ApiCall` event, carrying the response's RequestId and
/// error code; a failed call leaves world and identities byte-identical; the world's indexes
/// stay consistent. Returns the result and the step's description for further messages.
pub fn checked_call(
    gw: &mut Gateway,
    step: usize,
    who: &str,
    text: &str,
) -> Result<(CallResult, String), proptest::test_runner::TestCaseError> {
    use proptest::{prop_assert, prop_assert_eq};
    let req = parse_cli_line(text).expect("a CLI line");
    let before = state_snapshot(gw);
    let api_events = |gw: &Gateway| {
        gw.state
            .audit
            .iter()
            .filter(|e| e.event_type == "ApiCall")
            .count()
    };
    let events = api_events(gw);
    let r = gw.call(&envelope(who), &req);
    let ctx = format!("step {step} {who}: {text} → {} {}", r.http_status, r.body);
    prop_assert_eq!(api_events(gw), events + 1, "{}", ctx);
    let last = gw
        .state
        .audit
        .iter()
        .rfind(|e| e.event_type == "ApiCall")
        .expect("one ApiCall event at least");
    prop_assert_eq!(&last.request_id, &r.request_id, "{}", ctx);
    prop_assert_eq!(
        last.error_code.as_str(),
        r.error_code().unwrap_or(""),
        "{}",
        ctx
    );
    if !r.is_success() {
        prop_assert!(
            state_snapshot(gw) == before,
            "{}: a failed call changed the state",
            ctx
        );
    }
    if let Err(e) = gw.state.world.check_index() {
        prop_assert!(false, "{}: {}", ctx, e);
    }
    Ok((r, ctx))
}

pub fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `aliyun vpcpeer CreateVpcPeerConnection` line.
pub fn create_line(
    region: &str,
    vpc: &str,
    acc: &str,
    acc_region: &str,
    acc_vpc: &str,
    extra: &str,
) -> String {
    format!(
        "aliyun vpcpeer CreateVpcPeerConnection --RegionId {region} --VpcId {vpc} --AcceptingAliUid {acc} \
         --AcceptingRegionId {acc_region} --AcceptingVpcId {acc_vpc} {extra}"
    )
}

/// Pulls `InstanceId` out of a Create response.
pub fn instance_id(body: &Value) -> String {
    body["InstanceId"].as_str().expect("InstanceId").to_string()
}
