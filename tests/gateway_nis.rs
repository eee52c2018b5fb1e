//! NIS through the gateway (`aliyun nis …`): the reachability APIs are authorized with their
//! `nis:` actions and ARNs, a denial is 403 `Forbidden.NoPermission` with an
//! `AccessDeniedDetail` and changes nothing, and every call leaves one ActionTrail event with
//! a NIS resource type.

mod gateway_support;

use gateway_support::*;
use serde_json::{json, Value};

fn world(user_policy: Value) -> Value {
    fixture(json!({
        "identity": {"accounts": {"A": {
            "policies": [{"name": "nis-policy", "document": user_policy}],
            "users": [{"name": "netops", "policies": ["nis-policy"]}]
        }}},
        "vpcs": [{"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "app",
                  "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "app-h"}]}],
        "security_groups": [
            {"owner": A, "vpc": "app", "name": "web",
             "ingress": [{"protocol": "tcp", "port_range": "80/80", "cidr": "10.0.0.0/16"}]},
            {"owner": A, "vpc": "app", "name": "client"}
        ],
        "instances": [
            {"owner": A, "name": "web-1", "vswitch": "app-h", "security_groups": ["web"],
             "private_ip": "10.0.1.10", "listening": "tcp/80"},
            {"owner": A, "name": "client-1", "vswitch": "app-h", "security_groups": ["client"],
             "private_ip": "10.0.1.20"}
        ]
    }))
}

/// Instance id by name.
fn instance_id(s: &mut Sim, name: &str) -> String {
    let r = s.ok(
        "root@A",
        "aliyun ecs DescribeInstances --RegionId cn-hangzhou",
    );
    r["Instances"]["Instance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["InstanceName"] == name)
        .and_then(|i| i["InstanceId"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn nis_calls_are_authorized_with_nis_actions() {
    let mut s = gateway(&world(json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "nis:CreateAndAnalyzeNetworkPath", "Resource": "*"},
        {"Effect": "Allow", "Action": "nis:GetNetworkReachableAnalysis",
         "Resource": format!("acs:nis:*:{A}:networkreachableanalysis/*")}]})));
    let (web, client) = (
        instance_id(&mut s, "web-1"),
        instance_id(&mut s, "client-1"),
    );
    let r = s.ok(
        "netops",
        &format!(
            "aliyun nis CreateAndAnalyzeNetworkPath --SourceId {client} --SourceType ecs \
             --TargetId {web} --TargetType ecs --Protocol tcp --TargetPort 80"
        ),
    );
    let nra = r["NetworkReachableAnalysisId"]
        .as_str()
        .unwrap()
        .to_string();
    let ev = (*s.api_events().last().unwrap()).clone();
    assert_eq!(&*ev.resource_type, "ACS::NIS::NetworkReachableAnalysis");
    let got = s.ok(
        "netops",
        &format!("aliyun nis GetNetworkReachableAnalysis --NetworkReachableAnalysisId {nra}"),
    );
    assert_eq!(
        (
            got["NetworkReachableAnalysisStatus"].as_str(),
            got["Reachable"].as_bool()
        ),
        (Some("finish"), Some(true)),
        "{got}"
    );
    // Not granted: creating a stored path.
    let before = s.snapshot();
    let r = s.cli(
        "netops",
        &format!(
            "aliyun nis CreateNetworkPath --NetworkPathName p --SourceId {client} \
             --SourceType ecs --TargetId {web} --TargetType ecs --Protocol tcp --TargetPort 80"
        ),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.NoPermission")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "nis:CreateNetworkPath", "{d}");
    assert_eq!(
        d["AuthResource"],
        format!("acs:nis:*:{A}:networkpath/*"),
        "{d}"
    );
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(s.snapshot(), before, "a denied call changes nothing");
    let ev = s.event(&r.request_id);
    assert_eq!(
        (ev.error_code.as_str(), &*ev.resource_type),
        ("Forbidden.NoPermission", "ACS::NIS::NetworkPath")
    );
    // The root account may; the stored path analyses to the same verdict.
    let np = s.ok(
        "root@A",
        &format!(
            "aliyun nis CreateNetworkPath --NetworkPathName p --SourceId {client} \
             --SourceType ecs --TargetId {web} --TargetType ecs --Protocol tcp --TargetPort 80"
        ),
    )["NetworkPathId"]
        .as_str()
        .unwrap()
        .to_string();
    let nra2 = s.ok(
        "root@A",
        &format!("aliyun nis CreateNetworkReachableAnalysis --NetworkPathId {np}"),
    )["NetworkReachableAnalysisId"]
        .as_str()
        .unwrap()
        .to_string();
    let got2 = s.ok(
        "netops",
        &format!("aliyun nis GetNetworkReachableAnalysis --NetworkReachableAnalysisId {nra2}"),
    );
    assert_eq!(got2["Reachable"], true);
    assert_eq!(got2["NetworkPathId"], np.as_str());
}
