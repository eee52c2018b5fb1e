//! CEN through the gateway (`aliyun cbn …`): RAM actions are `cen:` (the product is `Cbn`),
//! a denial is 400 `Unauthorized` with `AccessDeniedDetail` and leaves the state unchanged,
//! every call leaves one ActionTrail event with a CEN resource type (§9.2, §9.5, §10.3).

mod gateway_support;

use gateway_support::*;
use serde_json::json;

fn world(user_policy: serde_json::Value) -> serde_json::Value {
    fixture(json!({
        "identity": {"accounts": {"A": {
            "policies": [{"name": "cen-policy", "document": user_policy}],
            "users": [{"name": "netops", "policies": ["cen-policy"]}]
        }}}
    }))
}

#[test]
fn cbn_calls_authorize_cen_actions_and_deny_with_unauthorized() {
    let allow_create = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["cen:CreateCen", "cen:ListTransitRouters"], "Resource": "*"}]});
    let mut s = gateway(&world(allow_create));
    // Allowed: the action is cen:CreateCen although the CLI product is cbn.
    let cen = s.ok("netops", "aliyun cbn CreateCen --Name core");
    let cen = cen["CenId"].as_str().unwrap().to_string();
    let ev = (*s.api_events().last().unwrap()).clone();
    assert_eq!(&*ev.resource_type, "ACS::CEN::CenInstance");
    assert_eq!(&*ev.service_name, "Cbn");
    assert_eq!(ev.resource_name, cen, "the event names the new CEN");
    // Denied: CreateTransitRouter is not granted.
    let before = s.snapshot();
    let r = s.cli(
        "netops",
        &format!("aliyun cbn CreateTransitRouter --RegionId cn-hangzhou --CenId {cen}"),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (400, Some("Unauthorized")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "cen:CreateTransitRouter", "{d}");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(s.snapshot(), before, "a denied call changes nothing");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.error_code, "Unauthorized");
    assert_eq!(&*ev.resource_type, "ACS::CEN::TransitRouter");
    // The root account is never denied; a business error is an event too, state unchanged.
    let before = s.snapshot();
    let r = s.cli(
        "root@A",
        "aliyun cbn CreateTransitRouter --RegionId cn-hangzhou --CenId cen-nope000000",
    );
    assert_eq!(r.error_code(), Some("InvalidCenId.NotFound"));
    assert_eq!(r.http_status, 404);
    assert_eq!(s.snapshot(), before);
    s.ok(
        "root@A",
        &format!("aliyun cbn CreateTransitRouter --RegionId cn-hangzhou --CenId {cen}"),
    );
    let list = s.ok(
        "netops",
        &format!("aliyun cbn ListTransitRouters --CenId {cen}"),
    );
    assert_eq!(list["TotalCount"], 1);
}

#[test]
fn resource_level_policy_on_the_cen_instance() {
    // Allowed on one CEN only (its ARN is acs:cen:*:<uid>:ceninstance/<id>).
    let mut s = gateway(&world(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "cen:CreateCen", "Resource": "*"},
        {"Effect": "Allow", "Action": "cen:CreateTransitRouter",
         "Resource": format!("acs:cen:*:{A}:ceninstance/cen-000allowed*")}]})));
    let cen = s.ok("netops", "aliyun cbn CreateCen");
    let cen = cen["CenId"].as_str().unwrap().to_string();
    let r = s.cli(
        "netops",
        &format!("aliyun cbn CreateTransitRouter --RegionId cn-hangzhou --CenId {cen}"),
    );
    assert_eq!(r.error_code(), Some("Unauthorized"), "{}", r.body);
}

#[test]
fn corpus_s3_cen_scenario_passes_every_step() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let text = std::fs::read_to_string(root.join("cen-s3.test.json")).expect("scenario");
    let mut coverage = ramsim::scenario::CoverageCollector::default();
    let results = ramsim::scenario::run_text(
        &text,
        "cen-s3.test.json",
        "cen-s3",
        &root,
        &|_| true,
        &mut coverage,
    );
    assert!(results.len() > 40, "{} steps", results.len());
    let failed: Vec<_> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.actual.as_str())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn regional_lists_refuse_an_unknown_region_before_ram_and_need_none() {
    // The lists are All-Resource APIs (authorized on `*`): the region they name, when they
    // name one, must exist, and that is checked before RAM (the caller may list nothing).
    let mut s = gateway(&world(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "cen:CreateCen", "Resource": "*"}]})));
    let cen = s.ok("netops", "aliyun cbn CreateCen");
    let cen = cen["CenId"].as_str().unwrap().to_string();
    for api in ["ListTransitRouters", "ListTransitRouterAttachments"] {
        let r = s.cli(
            "netops",
            &format!("aliyun cbn {api} --RegionId xx-nowhere-1 --CenId {cen}"),
        );
        assert_eq!(
            r.error_code(),
            Some("InvalidRegionId.NotFound"),
            "{api}: {}",
            r.body
        );
        for line in [
            format!("aliyun cbn {api} --CenId {cen}"),
            format!("aliyun cbn {api} --RegionId cn-hangzhou --CenId {cen}"),
        ] {
            let r = s.cli("root@A", &line);
            assert_eq!(r.error_code(), None, "{line}: {}", r.body);
        }
    }
}
