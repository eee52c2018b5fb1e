//! ALB through the gateway (`aliyun alb …`): API names NLB and CLB share are routed by
//! product, a RAM denial answers 403 `Forbidden.<resource type>` with `AccessDeniedDetail` and
//! leaves the state unchanged, and every call leaves one ActionTrail event with an ALB resource
//! type (§5.2, §9.5, §10.3).

mod gateway_support;

use gateway_support::*;
use serde_json::json;

const R: &str = "cn-hangzhou";

fn world(user_policy: serde_json::Value) -> serde_json::Value {
    fixture(json!({
        "identity": {"accounts": {"A": {
            "policies": [{"name": "alb-policy", "document": user_policy}],
            "users": [{"name": "netops", "policies": ["alb-policy"]}]
        }}}
    }))
}

/// A's VPC with vSwitches in zones a and b (created by root): `(vpc, [vsw_a, vsw_b])`.
fn network(s: &mut Sim) -> (String, [String; 2]) {
    let vpc = s.ok(
        "root@A",
        &format!("aliyun vpc CreateVpc --RegionId {R} --CidrBlock 10.0.0.0/16"),
    );
    let vpc = vpc["VpcId"].as_str().unwrap().to_string();
    let mut vsw = Vec::new();
    for (z, cidr) in [("a", "10.0.1.0/24"), ("b", "10.0.2.0/24")] {
        let v = s.ok(
            "root@A",
            &format!(
                "aliyun vpc CreateVSwitch --RegionId {R} --ZoneId {R}-{z} --VpcId {vpc} --CidrBlock {cidr}"
            ),
        );
        vsw.push(v["VSwitchId"].as_str().unwrap().to_string());
    }
    (vpc, [vsw[0].clone(), vsw[1].clone()])
}

#[test]
fn alb_calls_authorize_alb_actions_and_deny_by_resource_type() {
    let policy = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["alb:CreateLoadBalancer", "alb:CreateServerGroup"], "Resource": "*"}]});
    let mut s = gateway(&world(policy));
    let (vpc, [vsw_a, vsw_b]) = network(&mut s);

    // Allowed: the ALB's CreateLoadBalancer (NLB and CLB declare the same name).
    let lb = s.ok(
        "netops",
        &format!(
            "aliyun alb CreateLoadBalancer --RegionId {R} --VpcId {vpc} --AddressType Intranet \
             --LoadBalancerEdition Standard --LoadBalancerBillingConfig.PayType PostPay \
             --ZoneMappings.1.ZoneId {R}-a --ZoneMappings.1.VSwitchId {vsw_a} \
             --ZoneMappings.2.ZoneId {R}-b --ZoneMappings.2.VSwitchId {vsw_b}"
        ),
    );
    let lb = lb["LoadBalancerId"].as_str().unwrap().to_string();
    let ev = (*s.api_events().last().unwrap()).clone();
    assert_eq!(&*ev.service_name, "Alb");
    assert_eq!(&*ev.resource_type, "ACS::ALB::LoadBalancer");
    assert_eq!(&*ev.event_source, "alb.cn-hangzhou.aliyuncs.com");
    let nlbs = s.ok(
        "root@A",
        &format!("aliyun nlb ListLoadBalancers --RegionId {R}"),
    );
    assert_eq!(nlbs["TotalCount"], 0, "the ALB call created no NLB");

    let g = s.ok(
        "netops",
        &format!(
            "aliyun alb CreateServerGroup --RegionId {R} --ServerGroupName web \
             --ServerGroupType Ip --VpcId {vpc} --Protocol HTTP"
        ),
    );
    let g = g["ServerGroupId"].as_str().unwrap().to_string();
    assert_eq!(
        &*s.api_events().last().unwrap().resource_type,
        "ACS::ALB::ServerGroup"
    );

    // Denied: alb:CreateListener is not granted → 403 Forbidden.Listener (§9.5), state
    // unchanged, the event names the listener type and the error.
    let before = s.snapshot();
    let r = s.cli(
        "netops",
        &format!(
            "aliyun alb CreateListener --RegionId {R} --LoadBalancerId {lb} --ListenerProtocol HTTP \
             --ListenerPort 80 --DefaultActions.1.Type ForwardGroup \
             --DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId {g}"
        ),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.Listener")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "alb:CreateListener", "{d}");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(
        d["AuthResource"],
        format!("acs:alb:{R}:{A}:loadbalancer/{lb}"),
        "{d}"
    );
    assert_eq!(s.snapshot(), before, "a denied call changes nothing");
    let ev = s.event(&r.request_id);
    assert_eq!(ev.error_code, "Forbidden.Listener");
    assert_eq!(&*ev.resource_type, "ACS::ALB::Listener");
    assert!(ev.access_denied_detail.is_some());

    // A server group API is denied with the server group's code.
    let before = s.snapshot();
    let r = s.cli(
        "netops",
        &format!(
            "aliyun alb AddServersToServerGroup --RegionId {R} --ServerGroupId {g} \
             --Servers.1.ServerId 10.0.1.50 --Servers.1.ServerType Ip \
             --Servers.1.ServerIp 10.0.1.50 --Servers.1.Port 80"
        ),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.ServerGroup")),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["AccessDeniedDetail"]["AuthAction"],
        "alb:AddServersToServerGroup"
    );
    assert_eq!(s.snapshot(), before, "a denied call changes nothing");
    assert_eq!(
        &*s.event(&r.request_id).resource_type,
        "ACS::ALB::ServerGroup"
    );

    // A business error (root is never denied) is an event too, state unchanged.
    let before = s.snapshot();
    let r = s.cli(
        "root@A",
        &format!(
            "aliyun alb CreateListener --RegionId {R} --LoadBalancerId alb-nope00000000 \
             --ListenerProtocol HTTP --ListenerPort 80"
        ),
    );
    assert_eq!(r.http_status, 404, "{}", r.body);
    assert_eq!(s.snapshot(), before);
    assert_eq!(&*s.event(&r.request_id).resource_type, "ACS::ALB::Listener");

    // Root's listener on the ALB succeeds.
    s.ok(
        "root@A",
        &format!(
            "aliyun alb CreateListener --RegionId {R} --LoadBalancerId {lb} --ListenerProtocol HTTP \
             --ListenerPort 80 --DefaultActions.1.Type ForwardGroup \
             --DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId {g}"
        ),
    );
    let ls = s.ok(
        "root@A",
        &format!("aliyun alb ListListeners --RegionId {R}"),
    );
    assert_eq!(ls["TotalCount"], 1);
}

#[test]
fn nlb_events_keep_nlb_types_and_a_bare_shared_name_is_ambiguous() {
    let mut s = gateway(&fixture(json!({})));
    let r = s.json(
        "root@A",
        "CreateServerGroup",
        json!({"RegionId": R, "ServerGroupName": "x"}),
    );
    assert_eq!(
        r.error_code(),
        Some("MissingParameter.Product"),
        "{}",
        r.body
    );
    let (vpc, _) = network(&mut s);
    s.ok(
        "root@A",
        &format!(
            "aliyun nlb CreateServerGroup --RegionId {R} --ServerGroupName ips \
             --ServerGroupType Ip --VpcId {vpc}"
        ),
    );
    let ev = s.api_events().last().copied().unwrap().clone();
    assert_eq!(&*ev.service_name, "Nlb");
    assert_eq!(&*ev.resource_type, "ACS::NLB::ServerGroup");
}

/// Seed 003 end to end (§11.3 S3): all 21 steps through the gateway, a reach step after each
/// trap with its exact code and cause, the final TR tables, S3-N2…N7, N10, N12, N13.
#[test]
fn corpus_s3_alb_cen_scenario_passes_every_step() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let text = std::fs::read_to_string(root.join("alb-cen-s3.test.json")).expect("scenario");
    let mut coverage = ramsim::scenario::CoverageCollector::default();
    let results = ramsim::scenario::run_text(
        &text,
        "alb-cen-s3.test.json",
        "alb-cen-s3",
        &root,
        &|_| true,
        &mut coverage,
    );
    assert!(results.len() > 60, "{} steps", results.len());
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!(
                "{}: expected {} / actual {}\n{}",
                r.name,
                r.expected,
                r.actual,
                r.details.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
