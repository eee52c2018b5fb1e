//! Resource Manager MoveAccount through the gateway: the member changes folder, and at once
//! its RD path (`acs:TargetRDPath` of peering calls naming it) and the control policies it
//! inherits from folders follow. Success, every error code, RAM denial with its
//! AccessDeniedDetail, one audit event per call (checked by the driver on every call) and
//! byte-identical state after a failure.

mod gateway_support;

use gateway_support::*;
use serde_json::{json, Value};

/// Denies creating peerings to everything in the dev folder.
const NO_PEERING: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection","Resource":"*"}]}"#;

/// B's guardrail: peer only with accounts under prod (the seed's RD-path policy).
fn stay_in_prod() -> String {
    json!({"Version": "1", "Statement": [{"Effect": "Deny",
        "Action": ["vpc:CreateVpcPeerConnection", "vpc:AcceptVpcPeerConnection"], "Resource": "*",
        "Condition": {"StringNotLike": {"acs:TargetRDPath": [format!("{RD}/{ROOT}/{PROD}/*")]}}}]})
    .to_string()
}

fn world() -> Value {
    fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "home"},
            {"owner": B, "region_id": "cn-hangzhou", "cidr_block": "10.1.0.0/16", "name": "home"},
            {"owner": E, "region_id": "cn-hangzhou", "cidr_block": "10.3.0.0/16", "name": "home"}
        ],
        "identity": {
            "control_policies": [{"name": "no-peering-from-dev", "document": NO_PEERING, "attach": [DEV]}],
            "accounts": {
                "A": {
                    "policies": [{"name": "network-admin", "document": {"file": "policies/network-admin.json"}}],
                    "users": [{"name": "netops", "policies": ["network-admin"]}]
                },
                "B": {
                    "policies": [
                        {"name": "network-admin", "document": {"file": "policies/network-admin.json"}},
                        {"name": "stay-in-prod", "document": stay_in_prod()}
                    ],
                    "users": [{"name": "netadmin", "policies": ["network-admin", "stay-in-prod"]}]
                },
                "M": {
                    "users": [
                        {"name": "rdadmin", "policies": ["AliyunResourceDirectoryFullAccess"]},
                        {"name": "nobody"}
                    ]
                }
            }
        }
    }))
}

fn move_account(s: &mut Sim, who: &str, account: &str, folder: &str) -> ramsim::api::CallResult {
    s.json(
        who,
        "MoveAccount",
        json!({"AccountId": account, "DestinationFolderId": folder}),
    )
}

fn peer(s: &mut Sim, who: &str, from: &str, to: &str) -> ramsim::api::CallResult {
    let (mine, theirs) = (s.vpc(from, "home"), s.vpc(to, "home"));
    s.cli(
        who,
        &create_line("cn-hangzhou", &mine, to, "cn-hangzhou", &theirs, ""),
    )
}

#[track_caller]
fn fails(s: &mut Sim, who: &str, params: Value, status: u16, code: &str) -> Value {
    let before = s.snapshot();
    let r = s.json(who, "MoveAccount", params);
    assert_eq!(
        (r.http_status, r.error_code()),
        (status, Some(code)),
        "{}",
        r.body
    );
    assert_eq!(
        s.snapshot(),
        before,
        "MoveAccount failed with {code} but changed state"
    );
    r.body.into_value()
}

#[test]
fn the_member_changes_folder_and_its_rd_path_follows() {
    let mut s = gateway(&world());
    assert_eq!(
        s.gw.state.world.rd_path(A).as_deref(),
        Some(format!("{RD}/{ROOT}/{PROD}/{A}").as_str())
    );
    let r = move_account(&mut s, "root@M", A, DEV);
    assert!(r.is_success(), "{}", r.body);
    let keys: Vec<&str> = r
        .body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["RequestId"]);
    assert_eq!(
        s.gw.state.world.rd_path(A).as_deref(),
        Some(format!("{RD}/{ROOT}/{DEV}/{A}").as_str())
    );
    let ev = s.event(&r.request_id);
    assert_eq!(ev.event_name, "MoveAccount");
    assert_eq!(&*ev.resource_type, "ACS::ResourceManager::Account");
    assert_eq!(ev.resource_name, A);
    // To the root folder, and by a RAM user of the management account who may.
    let r = move_account(&mut s, "rdadmin@M", A, ROOT);
    assert!(r.is_success(), "{}", r.body);
    assert_eq!(
        s.gw.state.world.rd_path(A).as_deref(),
        Some(format!("{RD}/{ROOT}/{A}").as_str())
    );
    // Moving where it already is succeeds and changes nothing (ASSUMED: no error documented).
    let before = s.snapshot();
    assert!(move_account(&mut s, "root@M", A, ROOT).is_success());
    assert_eq!(s.snapshot().0, before.0);
}

#[test]
fn a_control_policy_of_the_new_folder_applies_at_once() {
    let mut s = gateway(&world());
    // In prod, A's user may peer with B (a decision the gateway now holds compiled).
    assert!(peer(&mut s, "netops@A", A, B).is_success());
    assert!(move_account(&mut s, "root@M", A, DEV).is_success());
    let r = peer(&mut s, "netops@A", A, B);
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("Forbidden.NoPermission")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["NoPermissionType"], "ExplicitDeny", "{d}");
    assert_eq!(d["PolicyType"], "ControlPolicy", "{d}");
    assert_eq!(d["AuthAction"], "vpc:CreateVpcPeerConnection", "{d}");
    assert_eq!(
        s.event(&r.request_id).access_denied_detail.as_ref(),
        Some(d)
    );
    // And back out of dev: the folder's policy no longer applies (E: a new pair of VPCs).
    assert!(move_account(&mut s, "root@M", A, PROD).is_success());
    let r = peer(&mut s, "netops@A", A, E);
    assert!(r.is_success(), "{}", r.body);
}

#[test]
fn target_rd_path_of_a_peering_to_the_moved_account_is_its_new_path() {
    let mut s = gateway(&world());
    // B may peer only under prod: A is there (and E, in dev, is refused).
    let first = peer(&mut s, "netadmin@B", B, A);
    assert!(first.is_success(), "{}", first.body);
    let r = peer(&mut s, "netadmin@B", B, E);
    assert_eq!(r.error_code(), Some("Forbidden.NoPermission"), "{}", r.body);
    assert!(move_account(&mut s, "root@M", A, DEV).is_success());
    let r = peer(&mut s, "netadmin@B", B, A);
    assert_eq!(r.error_code(), Some("Forbidden.NoPermission"), "{}", r.body);
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["NoPermissionType"], "ExplicitDeny", "{d}");
    assert_eq!(d["PolicyType"], "AccountLevelIdentityBasedPolicy", "{d}");
    // Moving E into prod lets B peer with it, by the same key.
    assert!(move_account(&mut s, "root@M", E, PROD).is_success());
    let r = peer(&mut s, "netadmin@B", B, E);
    assert!(r.is_success(), "{}", r.body);
}

#[test]
fn move_account_errors() {
    let mut s = gateway(&world());
    // Resource Manager checks the parameters before RAM.
    fails(
        &mut s,
        "root@M",
        json!({"AccountId": "123", "DestinationFolderId": DEV}),
        400,
        "InvalidParameter.AccountId",
    );
    fails(
        &mut s,
        "root@M",
        json!({"AccountId": A, "DestinationFolderId": "dev"}),
        400,
        "InvalidParameter.DestinationFolderId",
    );
    fails(
        &mut s,
        "root@M",
        json!({"DestinationFolderId": DEV}),
        400,
        "MissingParameter.AccountId",
    );
    fails(
        &mut s,
        "root@M",
        json!({"AccountId": A}),
        400,
        "MissingParameter.DestinationFolderId",
    );
    // C is an account, but not a member of the directory.
    fails(
        &mut s,
        "root@M",
        json!({"AccountId": C, "DestinationFolderId": DEV}),
        404,
        "EntityNotExists.Account",
    );
    fails(
        &mut s,
        "root@M",
        json!({"AccountId": A, "DestinationFolderId": "fd-nosuchfold"}),
        404,
        "EntityNotExists.Folder",
    );
    // Only the management account moves members.
    fails(
        &mut s,
        "root@A",
        json!({"AccountId": A, "DestinationFolderId": DEV}),
        403,
        "NotSupport.NotManagementAccount",
    );
}

#[test]
fn outside_a_directory_there_is_nothing_to_move() {
    let mut w = world();
    let obj = w.as_object_mut().expect("object");
    obj.remove("resource_directory");
    obj.remove("identity");
    let mut s = gateway(&w);
    fails(
        &mut s,
        "root@M",
        json!({"AccountId": A, "DestinationFolderId": DEV}),
        404,
        "EntityNotExists.ResourceDirectory",
    );
}

#[test]
fn move_account_is_authorized_by_ram_on_the_account_and_the_folder() {
    let mut s = gateway(&world());
    let before = s.snapshot();
    let r = move_account(&mut s, "nobody@M", A, DEV);
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("NoPermission")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "resourcemanager:MoveAccount", "{d}");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(
        d["AuthResource"],
        format!("acs:resourcemanager::{M}:account/{RD}/{ROOT}/{PROD}/{A}"),
        "{d}"
    );
    assert_eq!(
        s.event(&r.request_id).access_denied_detail.as_ref(),
        Some(d)
    );
    assert_eq!(s.snapshot(), before);
    // A policy naming only the destination folder is not enough: both ARNs must be allowed.
    let only_folder = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "resourcemanager:MoveAccount",
        "Resource": format!("acs:resourcemanager::{M}:folder/{RD}/{ROOT}/{DEV}")}]})
    .to_string();
    s.ok_json(
        "root@M",
        "CreatePolicy",
        json!({"PolicyName": "move-to-dev", "PolicyDocument": only_folder}),
    );
    s.ok_json(
        "root@M",
        "AttachPolicyToUser",
        json!({"PolicyName": "move-to-dev", "PolicyType": "Custom", "UserName": "nobody"}),
    );
    let r = move_account(&mut s, "nobody@M", A, DEV);
    assert_eq!(r.error_code(), Some("NoPermission"), "{}", r.body);
    let both = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "resourcemanager:MoveAccount",
        "Resource": [format!("acs:resourcemanager::{M}:folder/{RD}/{ROOT}/{DEV}"),
                     format!("acs:resourcemanager::{M}:account/{RD}/{ROOT}/{PROD}/*")]}]})
    .to_string();
    s.ok_json(
        "root@M",
        "CreatePolicyVersion",
        json!({"PolicyName": "move-to-dev", "PolicyDocument": both, "SetAsDefault": true}),
    );
    assert!(move_account(&mut s, "nobody@M", A, DEV).is_success());
    // A is no longer under prod, so the same policy does not let it be moved on.
    let r = move_account(&mut s, "nobody@M", A, DEV);
    assert_eq!(r.error_code(), Some("NoPermission"), "{}", r.body);
}

#[test]
fn the_corpus_scenario_tells_the_story() {
    use ramsim::scenario::coverage::CoverageCollector;
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/rd-move-account.test.json");
    let mut coverage = CoverageCollector::default();
    let results = ramsim::scenario::runner::run_file(&path, &|_| true, &mut coverage);
    assert_eq!(results.len(), 11);
    for r in &results {
        assert!(
            r.passed,
            "{}: expected {}, got {}",
            r.name, r.expected, r.actual
        );
    }
}
