//! RAM policy versions through the gateway: CreatePolicyVersion (`SetAsDefault`,
//! `RotateStrategy`, the 5-version limit), SetDefaultPolicyVersion, DeletePolicyVersion,
//! GetPolicy, GetPolicyVersion and ListPolicyVersions — success, every error code, RAM denial
//! with its AccessDeniedDetail, one audit event per call (checked by the driver on every
//! call), byte-identical state after a failure — and that every decision reads the *default*
//! version's document. World files declaring several versions, with positioned errors.

mod gateway_support;

use gateway_support::*;
use ramsim::api::SimState;
use serde_json::{json, Value};

const VPC_READ: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#;
const DENY_ALL: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
const RAM_READ: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:Get*","Resource":"*"}]}"#;

/// Account A: `netpol` with v1 (VPC read) in force and v2 (deny all) held back, attached to
/// the user `netops`; `reader` may only read RAM.
fn world() -> Value {
    fixture(json!({
        "vpcs": [{"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "home"}],
        "identity": {"accounts": {"A": {
            "policies": [
                {"name": "netpol", "description": "network reads",
                 "versions": [{"id": "v1", "document": VPC_READ}, {"id": "v2", "document": DENY_ALL}],
                 "default_version": "v1"},
                {"name": "ramread", "document": RAM_READ}
            ],
            "users": [
                {"name": "netops", "policies": ["netpol"]},
                {"name": "reader", "policies": ["ramread"]}
            ]
        }}}
    }))
}

/// Runs a failing call and checks its code, status and that state did not move.
#[track_caller]
fn fails(s: &mut Sim, who: &str, api: &str, params: Value, status: u16, code: &str) -> Value {
    let before = s.snapshot();
    let r = s.json(who, api, params);
    assert_eq!(
        (r.http_status, r.error_code()),
        (status, Some(code)),
        "{api}: {}",
        r.body
    );
    assert_eq!(
        s.snapshot(),
        before,
        "{api} failed with {code} but changed state"
    );
    r.body.into_value()
}

fn versions(s: &mut Sim, policy: &str) -> Vec<(String, bool)> {
    let b = s.ok_json(
        "root@A",
        "ListPolicyVersions",
        json!({"PolicyName": policy, "PolicyType": "Custom"}),
    );
    b["PolicyVersions"]["PolicyVersion"]
        .as_array()
        .expect("list")
        .iter()
        .map(|v| {
            (
                v["VersionId"].as_str().expect("id").to_string(),
                v["IsDefaultVersion"].as_bool().expect("flag"),
            )
        })
        .collect()
}

/// `PolicyVersion` of each policy the denial's diagnostic message says matched.
fn matched_versions(body: &Value) -> Vec<String> {
    use base64::Engine;
    let encoded = body["AccessDeniedDetail"]["EncodedDiagnosticMessage"]
        .as_str()
        .expect("EncodedDiagnosticMessage");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    let v: Value = serde_json::from_slice(&bytes).expect("JSON");
    v["MatchedPolicies"]
        .as_array()
        .expect("MatchedPolicies")
        .iter()
        .map(|p| p["PolicyVersion"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn describe_vpcs(s: &mut Sim) -> ramsim::api::CallResult {
    s.json(
        "netops@A",
        "DescribeVpcs",
        json!({"RegionId": "cn-hangzhou"}),
    )
}

#[test]
fn world_file_versions_read_back_through_the_read_apis() {
    let mut s = gateway(&world());
    let b = s.ok_json(
        "root@A",
        "GetPolicy",
        json!({"PolicyName": "netpol", "PolicyType": "Custom"}),
    );
    assert_eq!(b["Policy"]["DefaultVersion"], "v1");
    assert_eq!(b["Policy"]["Description"], "network reads");
    assert_eq!(b["Policy"]["AttachmentCount"], 1);
    assert_eq!(b["DefaultPolicyVersion"]["VersionId"], "v1");
    assert_eq!(b["DefaultPolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(b["DefaultPolicyVersion"]["PolicyDocument"], VPC_READ);
    assert_eq!(
        versions(&mut s, "netpol"),
        vec![("v2".into(), false), ("v1".into(), true)]
    );
    let v2 = s.ok_json(
        "root@A",
        "GetPolicyVersion",
        json!({"PolicyName": "netpol", "PolicyType": "Custom", "VersionId": "v2"}),
    );
    assert_eq!(v2["PolicyVersion"]["PolicyDocument"], DENY_ALL);
    assert_eq!(v2["PolicyVersion"]["IsDefaultVersion"], false);
    // Reads change nothing, and are read events.
    let before = s.snapshot();
    let r = s.json(
        "root@A",
        "GetPolicy",
        json!({"PolicyName": "netpol", "PolicyType": "Custom"}),
    );
    assert_eq!(s.snapshot(), before);
    assert_eq!(s.event(&r.request_id).event_name, "GetPolicy");
}

#[test]
fn system_policies_read_as_one_version_and_are_not_versionable() {
    let mut s = gateway(&world());
    let b = s.ok_json(
        "root@A",
        "GetPolicy",
        json!({"PolicyName": "AliyunVPCFullAccess", "PolicyType": "System"}),
    );
    assert_eq!(b["Policy"]["PolicyType"], "System");
    assert_eq!(b["DefaultPolicyVersion"]["IsDefaultVersion"], true);
    let sys = json!({"PolicyName": "AliyunVPCFullAccess", "PolicyType": "System"});
    let list = s.ok_json("root@A", "ListPolicyVersions", sys);
    assert_eq!(
        list["PolicyVersions"]["PolicyVersion"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // The versioning APIs name custom policies only.
    fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "AliyunVPCFullAccess", "PolicyDocument": VPC_READ}),
        404,
        "EntityNotExist.Policy",
    );
    fails(
        &mut s,
        "root@A",
        "SetDefaultPolicyVersion",
        json!({"PolicyName": "AliyunVPCFullAccess", "VersionId": "v1"}),
        404,
        "EntityNotExist.Policy",
    );
    fails(
        &mut s,
        "root@A",
        "DeletePolicyVersion",
        json!({"PolicyName": "AliyunVPCFullAccess", "VersionId": "v1"}),
        404,
        "EntityNotExist.Policy",
    );
    fails(
        &mut s,
        "root@A",
        "GetPolicy",
        json!({"PolicyName": "NoSuchSystemPolicy", "PolicyType": "System"}),
        404,
        "EntityNotExist.Policy",
    );
    // A custom policy is not found as a system one.
    fails(
        &mut s,
        "root@A",
        "GetPolicy",
        json!({"PolicyName": "netpol", "PolicyType": "System"}),
        404,
        "EntityNotExist.Policy",
    );
}

#[test]
fn create_policy_version_numbers_and_sets_default() {
    let mut s = gateway(&world());
    let b = s.ok_json(
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ}),
    );
    assert_eq!(b["PolicyVersion"]["VersionId"], "v3");
    assert_eq!(b["PolicyVersion"]["IsDefaultVersion"], false);
    assert_eq!(b["PolicyVersion"]["PolicyDocument"], VPC_READ);
    assert!(b["PolicyVersion"]["CreateDate"].is_string());
    let b = s.ok_json(
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": DENY_ALL, "SetAsDefault": true}),
    );
    assert_eq!(b["PolicyVersion"]["VersionId"], "v4");
    assert_eq!(b["PolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(
        versions(&mut s, "netpol"),
        vec![
            ("v4".into(), true),
            ("v3".into(), false),
            ("v2".into(), false),
            ("v1".into(), false)
        ]
    );
    // The new default is in force at once.
    let r = describe_vpcs(&mut s);
    assert_eq!(r.error_code(), Some("Forbidden"), "{}", r.body);
    assert_eq!(matched_versions(&r.body), ["v4"]);
}

#[test]
fn the_fifth_version_is_the_limit_unless_rotating() {
    let mut s = gateway(&world());
    for _ in 0..3 {
        s.ok_json(
            "root@A",
            "CreatePolicyVersion",
            json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ}),
        );
    }
    let b = fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ}),
        409,
        "LimitExceeded.Policy.Version",
    );
    assert!(b["Message"]
        .as_str()
        .is_some_and(|m| m.contains("policy versions")));
    fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ, "RotateStrategy": "None"}),
        409,
        "LimitExceeded.Policy.Version",
    );
    fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ, "RotateStrategy": "DeleteOldest"}),
        400,
        "InvalidParameter.RotateStrategy",
    );
    // Rotation drops the oldest version that is not in force: v1 is the default, so v2 goes.
    let b = s.ok_json(
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ,
               "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded"}),
    );
    assert_eq!(b["PolicyVersion"]["VersionId"], "v6");
    let ids: Vec<String> = versions(&mut s, "netpol")
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(ids, ["v6", "v5", "v4", "v3", "v1"]);
    // With the default elsewhere, the oldest (v1) is the one rotated out.
    s.ok_json(
        "root@A",
        "SetDefaultPolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v6"}),
    );
    s.ok_json(
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ,
               "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded"}),
    );
    let ids: Vec<String> = versions(&mut s, "netpol")
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(ids, ["v7", "v6", "v5", "v4", "v3"]);
    // Below the limit a rotating call deletes nothing.
    s.ok_json(
        "root@A",
        "DeletePolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v3"}),
    );
    s.ok_json(
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ,
               "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded"}),
    );
    let ids: Vec<String> = versions(&mut s, "netpol")
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(ids, ["v8", "v7", "v6", "v5", "v4"]);
}

#[test]
fn create_policy_version_errors() {
    let mut s = gateway(&world());
    fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "nosuch", "PolicyDocument": VPC_READ}),
        404,
        "EntityNotExist.Policy",
    );
    fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": r#"{"Version":"2","Statement":[]}"#}),
        400,
        "MalformedPolicyDocument",
    );
    fails(
        &mut s,
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol"}),
        400,
        "MissingParameter.PolicyDocument",
    );
}

#[test]
fn set_default_to_a_deny_all_version_denies_a_call_that_was_allowed() {
    let mut s = gateway(&world());
    assert!(describe_vpcs(&mut s).is_success());
    s.ok_json(
        "root@A",
        "SetDefaultPolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v2"}),
    );
    let r = describe_vpcs(&mut s);
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden")),
        "{}",
        r.body
    );
    assert_eq!(matched_versions(&r.body), ["v2"]);
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["NoPermissionType"], "ExplicitDeny", "{d}");
    assert_eq!(d["PolicyType"], "AccountLevelIdentityBasedPolicy", "{d}");
    assert_eq!(d["AuthAction"], "vpc:DescribeVpcs", "{d}");
    assert_eq!(
        s.event(&r.request_id).access_denied_detail.as_ref(),
        Some(d)
    );
    // And back: the version in force decides, whatever else the policy holds.
    s.ok_json(
        "root@A",
        "SetDefaultPolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v1"}),
    );
    assert!(describe_vpcs(&mut s).is_success());
}

#[test]
fn set_default_and_delete_errors() {
    let mut s = gateway(&world());
    for api in ["SetDefaultPolicyVersion", "DeletePolicyVersion"] {
        fails(
            &mut s,
            "root@A",
            api,
            json!({"PolicyName": "nosuch", "VersionId": "v1"}),
            404,
            "EntityNotExist.Policy",
        );
        fails(
            &mut s,
            "root@A",
            api,
            json!({"PolicyName": "netpol", "VersionId": "v9"}),
            404,
            "EntityNotExist.Policy.Version",
        );
        for bad in ["1", "v0", "v01", "V1", "v", "v1x"] {
            fails(
                &mut s,
                "root@A",
                api,
                json!({"PolicyName": "netpol", "VersionId": bad}),
                400,
                "InvalidParameter.VersionId.Format",
            );
        }
        fails(
            &mut s,
            "root@A",
            api,
            json!({"PolicyName": "netpol"}),
            400,
            "MissingParameter.VersionId",
        );
    }
    fails(
        &mut s,
        "root@A",
        "DeletePolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v1"}),
        409,
        "DeleteConflict.Policy.Version.Default",
    );
    fails(
        &mut s,
        "root@A",
        "GetPolicyVersion",
        json!({"PolicyName": "netpol", "PolicyType": "Custom", "VersionId": "v7"}),
        404,
        "EntityNotExist.Policy.Version",
    );
    fails(
        &mut s,
        "root@A",
        "ListPolicyVersions",
        json!({"PolicyName": "netpol", "PolicyType": "Other"}),
        400,
        "InvalidParameter.PolicyType",
    );
    // Deleting a version that is not in force works, and its id is not reused.
    s.ok_json(
        "root@A",
        "DeletePolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v2"}),
    );
    assert_eq!(versions(&mut s, "netpol"), vec![("v1".into(), true)]);
    let b = s.ok_json(
        "root@A",
        "CreatePolicyVersion",
        json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ}),
    );
    assert_eq!(b["PolicyVersion"]["VersionId"], "v3");
}

#[test]
fn each_versioning_api_is_authorized_by_ram() {
    let mut s = gateway(&world());
    let calls = [
        (
            "CreatePolicyVersion",
            json!({"PolicyName": "netpol", "PolicyDocument": VPC_READ}),
        ),
        (
            "SetDefaultPolicyVersion",
            json!({"PolicyName": "netpol", "VersionId": "v2"}),
        ),
        (
            "DeletePolicyVersion",
            json!({"PolicyName": "netpol", "VersionId": "v2"}),
        ),
        (
            "GetPolicy",
            json!({"PolicyName": "netpol", "PolicyType": "Custom"}),
        ),
        (
            "GetPolicyVersion",
            json!({"PolicyName": "netpol", "PolicyType": "Custom", "VersionId": "v1"}),
        ),
        (
            "ListPolicyVersions",
            json!({"PolicyName": "netpol", "PolicyType": "Custom"}),
        ),
    ];
    for (api, params) in calls {
        let before = s.snapshot();
        let r = s.json("netops@A", api, params.clone());
        assert_eq!(
            (r.http_status, r.error_code()),
            (403, Some("NoPermission")),
            "{api}: {}",
            r.body
        );
        let d = &r.body["AccessDeniedDetail"];
        assert_eq!(d["AuthAction"], format!("ram:{api}"), "{api}: {d}");
        assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{api}: {d}");
        assert_eq!(
            s.event(&r.request_id).access_denied_detail.as_ref(),
            Some(d),
            "{api}"
        );
        assert_eq!(s.snapshot(), before, "{api} denied but changed state");
        // `ram:Get*` lets the reader read, and nothing else.
        let r = s.json("reader@A", api, params);
        assert_eq!(
            r.is_success(),
            api.starts_with("Get"),
            "{api} by reader: {}",
            r.body
        );
    }
}

#[test]
fn a_custom_policy_created_through_the_api_reads_back_its_dates() {
    let mut s = gateway(&world());
    s.ok_json(
        "root@A",
        "CreatePolicy",
        json!({"PolicyName": "fresh", "PolicyDocument": VPC_READ}),
    );
    let b = s.ok_json(
        "root@A",
        "GetPolicy",
        json!({"PolicyName": "fresh", "PolicyType": "Custom"}),
    );
    assert!(b["Policy"]["CreateDate"].is_string(), "{b}");
    assert_eq!(b["Policy"]["AttachmentCount"], 0);
    assert_eq!(
        b["DefaultPolicyVersion"]["CreateDate"],
        b["Policy"]["CreateDate"]
    );
}

/// A world file on disk (so errors carry file:line:column), built from `policies` for A.
fn load_with(policies: Value) -> Result<SimState, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("world.json");
    let w = fixture(json!({"identity": {"accounts": {"A": {"policies": policies}}}}));
    std::fs::write(&path, serde_json::to_string_pretty(&w).expect("json")).expect("write");
    SimState::from_world_file(&path)
}

#[track_caller]
fn load_error(policies: Value, expect: &[&str]) {
    let e = match load_with(policies) {
        Ok(_) => panic!("the world loaded"),
        Err(e) => e,
    };
    for x in expect {
        assert!(e.contains(x), "`{x}` not in: {e}");
    }
    // the path, then file:line:column of the offending node
    let re = regex::Regex::new(
        r"identity\.accounts\.A\.policies\[0\][^\n]*\n  --> [^\n]*world\.json:\d+:\d+$",
    )
    .expect("regex");
    assert!(re.is_match(&e), "no position in: {e}");
}

#[test]
fn world_files_declare_versions_with_positioned_errors() {
    let v = |id: &str| json!({"id": id, "document": VPC_READ});
    // Accepted: several versions, listed in any order, default anywhere.
    let s =
        load_with(json!([{"name": "p", "versions": [v("v3"), v("v1")], "default_version": "v3"}]))
            .expect("loads");
    let p = &s.iam.accounts[A].policies["p"];
    assert_eq!(
        p.versions.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        ["v1", "v3"]
    );
    assert_eq!((p.default_version.as_str(), p.next_version), ("v3", 4));
    load_error(
        json!([{"name": "p", "versions": [v("v1"), v("v2")]}]),
        &["`default_version` is missing", "v1, v2"],
    );
    load_error(
        json!([{"name": "p", "versions": [v("v1")], "default_version": "v2"}]),
        &[".default_version: `v2` is not one of the policy's versions (v1)"],
    );
    load_error(
        json!([{"name": "p", "versions": [v("v1"), v("v1")], "default_version": "v1"}]),
        &["versions[1].id: version `v1` is declared twice"],
    );
    load_error(
        json!([{"name": "p", "versions": [v("version1")], "default_version": "version1"}]),
        &["versions[0].id: `version1` is not a version id"],
    );
    load_error(
        json!([{"name": "p", "versions": [v("v1"), v("v2"), v("v3"), v("v4"), v("v5"), v("v6")], "default_version": "v1"}]),
        &["6 versions; a policy has at most 5"],
    );
    load_error(
        json!([{"name": "p", "document": VPC_READ, "versions": [v("v1")], "default_version": "v1"}]),
        &["either `document` or `versions`"],
    );
    load_error(
        json!([{"name": "p"}]),
        &["needs a `document` or `versions`"],
    );
    load_error(
        json!([{"name": "p", "document": VPC_READ, "default_version": "v2"}]),
        &["the single version `v1`"],
    );
    // A bad document in a version is located in the world file like any other.
    let e = match load_with(
        json!([{"name": "p", "versions": [v("v1"), {"id": "v2", "document": {"Version": "2", "Statement": []}}], "default_version": "v1"}]),
    ) {
        Ok(_) => panic!("loaded"),
        Err(e) => e,
    };
    assert!(
        e.contains("identity.accounts.A.policies[0].versions[1]"),
        "{e}"
    );
}

#[test]
fn simulate_reads_the_default_version_too() {
    use ramsim::authz::Outcome;
    use ramsim::simulate::{resolve, simulate, PrincipalSpec, SimulateOptions};
    let decision = |s: &Sim| {
        let state = &s.gw.state;
        let subject = resolve(
            state,
            &PrincipalSpec::parse("netops@A").expect("spec"),
            "netops@A",
        )
        .expect("principal");
        let opts = SimulateOptions {
            action: Some("vpc:DescribeVpcs".into()),
            ..SimulateOptions::default()
        };
        let m = simulate(state, &subject, &opts).expect("simulate");
        m.rows.iter().map(|r| r.decision).collect::<Vec<_>>()
    };
    let mut s = gateway(&world());
    assert_eq!(decision(&s), [Outcome::Allow]);
    s.ok_json(
        "root@A",
        "SetDefaultPolicyVersion",
        json!({"PolicyName": "netpol", "VersionId": "v2"}),
    );
    assert_eq!(decision(&s), [Outcome::ExplicitDeny]);
}
