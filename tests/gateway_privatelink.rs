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

/// A whitelisted cross-account consumer (§4.4, S2-N3): refused before the whitelist; denied
/// by its own RAM policy with the `AccessDeniedDetail` of `privatelink:CreateVpcEndpoint`;
/// `Disconnected` while the provider's auto-accept is off (reach: `EP_CONNECTION_NOT_CONNECTED`,
/// the fix is the provider's `EnableVpcEndpointConnection`); reachable once accepted.
#[test]
fn cross_account_consumer_refused_whitelisted_denied_then_accepted() {
    use ramsim::cloud::reach::{analyze, fix::suggest, Probe, Source, Target};
    let mut s = gateway(&fixture(json!({
        "identity": {"accounts": {"B": {
            "policies": [{"name": "network-only", "document": {"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["vpc:*", "ecs:*"], "Resource": "*"}]}}],
            "users": [{"name": "dev", "policies": ["network-only"]}]
        }}}
    })));
    let (a, b) = (format!("root@{A}"), format!("root@{B}"));
    // Provider: NLB in VPC2 with one nginx backend per zone behind TCP/80, and a service.
    let lb = nlb(&mut s, &a);
    let attr = s.ok(
        &a,
        &format!(
            "aliyun nlb GetLoadBalancerAttribute --RegionId cn-hangzhou --LoadBalancerId {lb}"
        ),
    );
    let vpc2 = id(&attr, "VpcId");
    let sg2 = id(
        &s.ok(
            &a,
            &format!("aliyun ecs CreateSecurityGroup --RegionId cn-hangzhou --VpcId {vpc2}"),
        ),
        "SecurityGroupId",
    );
    s.ok(&a, &format!("aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId {sg2} --Permissions.1.IpProtocol TCP --Permissions.1.PortRange 80/80 --Permissions.1.SourceCidrIp 0.0.0.0/0"));
    let mut servers = String::new();
    for (i, zm) in attr["ZoneMappings"].as_array().unwrap().iter().enumerate() {
        let vsw = id(zm, "VSwitchId");
        let r = s.ok(&a, &format!("aliyun ecs RunInstances --RegionId cn-hangzhou --VSwitchId {vsw} --SecurityGroupId {sg2} --Tag.1.Key ramsim:listening --Tag.1.Value tcp/80"));
        let vm = r["InstanceIdSets"]["InstanceIdSet"][0]
            .as_str()
            .unwrap()
            .to_string();
        let n = i + 1;
        servers.push_str(&format!(
            " --Servers.{n}.ServerId {vm} --Servers.{n}.ServerType Ecs --Servers.{n}.Port 80"
        ));
    }
    let rs = id(
        &s.ok(&a, &format!("aliyun nlb CreateServerGroup --RegionId cn-hangzhou --ServerGroupName RS1 --VpcId {vpc2}")),
        "ServerGroupId",
    );
    s.ok(&a, &format!("aliyun nlb AddServersToServerGroup --RegionId cn-hangzhou --ServerGroupId {rs}{servers}"));
    s.ok(&a, &format!("aliyun nlb CreateListener --RegionId cn-hangzhou --LoadBalancerId {lb} --ListenerProtocol TCP --ListenerPort 80 --ServerGroupId {rs}"));
    let svc = id(
        &s.ok(&a, &format!("aliyun privatelink CreateVpcEndpointService --RegionId cn-hangzhou --ServiceResourceType nlb --AutoAcceptEnabled true --Resource.1.ResourceType nlb --Resource.1.ResourceId {lb}")),
        "ServiceId",
    );
    // Consumer B: an overlapping VPC (10.0.0.0/8) with a client.
    let vpcb = id(
        &s.ok(
            &b,
            "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.0.0.0/8",
        ),
        "VpcId",
    );
    let vswb = id(
        &s.ok(&b, &format!("aliyun vpc CreateVSwitch --RegionId cn-hangzhou --VpcId {vpcb} --ZoneId cn-hangzhou-g --CidrBlock 10.0.23.0/24")),
        "VSwitchId",
    );
    let sgb = id(
        &s.ok(
            &b,
            &format!("aliyun ecs CreateSecurityGroup --RegionId cn-hangzhou --VpcId {vpcb}"),
        ),
        "SecurityGroupId",
    );
    s.ok(&b, &format!("aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId {sgb} --Permissions.1.IpProtocol TCP --Permissions.1.PortRange 80/80 --Permissions.1.SourceCidrIp 10.0.0.0/8"));
    let client = s.ok(&b, &format!("aliyun ecs RunInstances --RegionId cn-hangzhou --VSwitchId {vswb} --SecurityGroupId {sgb}"));
    let client = client["InstanceIdSets"]["InstanceIdSet"][0]
        .as_str()
        .unwrap()
        .to_string();
    let create = format!(
        "aliyun privatelink CreateVpcEndpoint --RegionId cn-hangzhou --VpcId {vpcb} --ServiceId {svc} \
         --SecurityGroupId.1 {sgb} --Zone.1.ZoneId cn-hangzhou-g --Zone.1.VSwitchId {vswb}"
    );
    // 1. Not whitelisted: refused, nothing changes.
    let before = serde_json::to_string(&s.gw.state.world).unwrap();
    assert_eq!(
        s.err(&b, &create),
        (400, "EndpointServiceNotAuthorized".to_string())
    );
    assert_eq!(serde_json::to_string(&s.gw.state.world).unwrap(), before);
    // 2. Whitelisted, auto-accept off.
    s.ok(&a, &format!("aliyun privatelink AddUserToVpcEndpointService --RegionId cn-hangzhou --ServiceId {svc} --UserId {B}"));
    s.ok(&a, &format!("aliyun privatelink UpdateVpcEndpointServiceAttribute --RegionId cn-hangzhou --ServiceId {svc} --AutoAcceptEnabled false"));
    // 3. B's RAM user lacks privatelink:CreateVpcEndpoint: 403 with its AccessDeniedDetail.
    let before = serde_json::to_string(&s.gw.state.world).unwrap();
    let r = s.cli(&format!("dev@{B}"), &create);
    assert_eq!(
        (r.http_status, r.error_code()),
        (403, Some("Forbidden.NoPermission")),
        "{}",
        r.body
    );
    let d = &r.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "privatelink:CreateVpcEndpoint", "{d}");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny", "{d}");
    assert_eq!(d["AuthPrincipalOwnerId"], B, "{d}");
    assert_eq!(serde_json::to_string(&s.gw.state.world).unwrap(), before);
    assert_eq!(
        s.event(&r.request_id).access_denied_detail.as_ref(),
        Some(d)
    );
    // 4. B's root: created, Disconnected, zones waiting.
    let ep = s.ok(&b, &create);
    assert_eq!(ep["ConnectionStatus"], "Disconnected");
    let ep = id(&ep, "EndpointId");
    let probe = Probe {
        source: Source::Ecs {
            instance_id: client.clone(),
            source_ip: None,
        },
        target: Target::Endpoint {
            endpoint_id: ep.clone(),
        },
        protocol: ramsim::cloud::packet::Protocol::Tcp,
        source_port: None,
        target_port: Some(80),
    };
    let v = analyze(&s.gw.state.world, &probe).unwrap();
    assert_eq!(
        v.first_error().map(|f| f.code.as_str()),
        Some("EP_CONNECTION_NOT_CONNECTED")
    );
    let fix = suggest(&s.gw.state.world, &v).expect("the provider accepts");
    assert_eq!(
        (fix.caller.as_str(), fix.action),
        (A, "EnableVpcEndpointConnection")
    );
    // 5. The provider accepts (the printed fix, as printed): Connected, reachable.
    s.ok(&a, &fix.aliyun_line());
    let got = s.ok(
        &b,
        &format!(
            "aliyun privatelink GetVpcEndpointAttribute --RegionId cn-hangzhou --EndpointId {ep}"
        ),
    );
    assert_eq!(got["ConnectionStatus"], "Connected");
    let v = analyze(&s.gw.state.world, &probe).unwrap();
    assert!(v.reachable, "{:?}", v.findings);
}

/// Runs a corpus scenario and requires every step to pass (at least `min_steps` of them).
fn corpus_passes(file: &str, min_steps: usize) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let text = std::fs::read_to_string(root.join(file)).expect("scenario");
    let mut coverage = ramsim::scenario::CoverageCollector::default();
    let results = ramsim::scenario::run_text(&text, file, file, &root, &|_| true, &mut coverage);
    assert!(results.len() >= min_steps, "{} steps", results.len());
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: expected {} / actual {}", r.name, r.expected, r.actual))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Graceful replacement of a CLB service resource (Z8 then Z7) with reach steps before,
/// during and after the migration.
#[test]
fn corpus_graceful_migration_scenario_passes_every_step() {
    corpus_passes("privatelink-migration.test.json", 40);
}

/// An ALB behind PrivateLink: rows per ALB zone, back-to-origin source, domains.
#[test]
fn corpus_alb_service_scenario_passes_every_step() {
    corpus_passes("privatelink-alb.test.json", 28);
}

/// `check` draws its APIs from the operation registry: a PrivateLink action is there without
/// any list of its own (issue 12, "simulate and check see the new products automatically").
#[test]
fn check_calls_privatelink_actions_from_the_registry() {
    let out_file = std::env::temp_dir().join("ramsim-pl-check.violation.test.json");
    let out_file = out_file.to_string_lossy().to_string();
    let out = cli_support::ramsim(&[
        "check",
        "--world",
        "corpus/worlds/privatelink.json",
        "--invariant",
        "builtin:audit-complete",
        "--actions",
        "privatelink:CreateVpcEndpoint",
        "--runs",
        "2",
        "--steps",
        "5",
        "--out",
        &out_file,
        "--allow-outside",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 of 1 APIs called"), "{}", out.stdout);
}
