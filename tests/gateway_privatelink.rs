//! PrivateLink and NLB through the gateway and the CLI: `aliyun nlb …` / `aliyun privatelink …`
//! lines, RAM authorization with the real actions (a denial answers 403
//! `Forbidden.NoPermission` with its `AccessDeniedDetail`), one audit event per call, nothing
//! changed by a refused call, and `simulate` listing the new actions from the registry.

#[path = "cli_support/mod.rs"]
mod cli_support;
mod gateway_support;

use gateway_support::*;
use serde_json::{json, Value};

fn world() -> Value {
    fixture(json!({
        "identity": {
            "accounts": {
                "A": {
                    "policies": [{"name": "pl-provider", "document": {
                        "Version": "1",
                        "Statement": [{"Effect": "Allow", "Action": [
                            "vpc:*", "nlb:*", "privatelink:CreateVpcEndpointService",
                            "privatelink:GetVpcEndpointServiceAttribute"
                        ], "Resource": "*"}]
                    }}],
                    "users": [{"name": "plops", "policies": ["pl-provider"]}]
                }
            }
        }
    }))
}

fn id(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no {k} in {v}"))
        .to_string()
}

/// An NLB of A in two zones, created by the RAM user through the CLI.
fn nlb(s: &mut Sim, who: &str) -> String {
    let vpc = id(
        &s.ok(
            who,
            "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 192.168.0.0/16",
        ),
        "VpcId",
    );
    let mut vsw = Vec::new();
    for (z, c) in [("g", "192.168.2.0/24"), ("k", "192.168.4.0/24")] {
        vsw.push(id(
            &s.ok(
                who,
                &format!("aliyun vpc CreateVSwitch --RegionId cn-hangzhou --VpcId {vpc} --ZoneId cn-hangzhou-{z} --CidrBlock {c}"),
            ),
            "VSwitchId",
        ));
    }
    id(
        &s.ok(
            who,
            &format!(
                "aliyun nlb CreateLoadBalancer --RegionId cn-hangzhou --AddressType Intranet --VpcId {vpc} \
                 --ZoneMappings.1.ZoneId cn-hangzhou-g --ZoneMappings.1.VSwitchId {} \
                 --ZoneMappings.2.ZoneId cn-hangzhou-k --ZoneMappings.2.VSwitchId {}",
                vsw[0], vsw[1]
            ),
        ),
        "LoadbalancerId",
    )
}

#[test]
fn provider_user_creates_a_service_and_is_denied_the_whitelist() {
    let mut s = gateway(&world());
    let who = format!("plops@{A}");
    let lb = nlb(&mut s, &who);
    let svc = s.ok(
        &who,
        &format!(
            "aliyun privatelink CreateVpcEndpointService --RegionId cn-hangzhou --ServiceResourceType nlb \
             --Resource.1.ResourceType nlb --Resource.1.ResourceId {lb}"
        ),
    );
    let svc = id(&svc, "ServiceId");
    let ev = s
        .event(&s.gw.state.audit.last().unwrap().request_id.clone())
        .clone();
    assert_eq!(ev.event_name, "CreateVpcEndpointService");
    assert_eq!(&*ev.service_name, "Privatelink");
    // The whitelist is not in the user's policy: refused before anything changes.
    let before = serde_json::to_string(&s.gw.state.world).unwrap();
    let r = s.cli(
        &who,
        &format!("aliyun privatelink AddUserToVpcEndpointService --RegionId cn-hangzhou --ServiceId {svc} --UserId {B}"),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.NoPermission")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(
        d["AuthAction"], "privatelink:AddUserToVpcEndpointService",
        "{d}"
    );
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(serde_json::to_string(&s.gw.state.world).unwrap(), before);
    let ev = s.event(&r.request_id);
    assert_eq!(ev.error_code, "Forbidden.NoPermission");
    assert_eq!(ev.access_denied_detail.as_ref(), Some(d));
    // The account root may.
    s.ok(
        &format!("root@{A}"),
        &format!("aliyun privatelink AddUserToVpcEndpointService --RegionId cn-hangzhou --ServiceId {svc} --UserId {B}"),
    );
    let users = s.ok(
        &format!("root@{A}"),
        &format!("aliyun privatelink ListVpcEndpointServiceUsers --RegionId cn-hangzhou --ServiceId {svc}"),
    );
    assert_eq!(users["Users"], json!([{"UserId": A}, {"UserId": B}]));
}

#[test]
fn nlb_denial_and_product_routing() {
    let mut s = gateway(&world());
    let lb = nlb(&mut s, &format!("root@{A}"));
    // B's user-less root cannot see A's NLB: the NLB's own not-found code.
    let r = s.cli(
        &format!("root@{B}"),
        &format!(
            "aliyun nlb GetLoadBalancerAttribute --RegionId cn-hangzhou --LoadBalancerId {lb}"
        ),
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (404, Some("ResourceNotFound.loadBalancer"))
    );
    // Named under the wrong product: not found there, with the right one in the hint.
    let r = s.cli(
        &format!("root@{A}"),
        &format!(
            "aliyun vpc GetLoadBalancerAttribute --RegionId cn-hangzhou --LoadBalancerId {lb}"
        ),
    );
    assert_eq!(r.error_code(), Some("InvalidAction.NotFound"), "{}", r.body);
    // A user without nlb actions is denied with the NLB denial.
    let mut w = world();
    w["identity"]["accounts"]["A"]["users"] = json!([{"name": "viewer", "policies": []}]);
    let mut s = gateway(&w);
    let r = s.cli(
        &format!("viewer@{A}"),
        "aliyun nlb ListLoadBalancers --RegionId cn-hangzhou",
    );
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.NoPermission")),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["AccessDeniedDetail"]["AuthAction"],
        "nlb:ListLoadBalancers"
    );
}

#[test]
fn simulate_lists_privatelink_actions_from_the_registry() {
    let out = cli_support::ramsim(&[
        "simulate",
        "--state",
        "corpus/worlds/peering.json",
        "--principal",
        "netops",
        "--action",
        "privatelink:CreateVpcEndpoint",
        "--format",
        "csv",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("privatelink:CreateVpcEndpoint"),
        "{}",
        out.stdout
    );
}
