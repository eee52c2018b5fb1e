//! The gateway's promises for the Privatelink, Nlb and Slb (CLB) products under random call
//! sequences (issue 12, "pipeline proptests extended to the new products"):
//!
//! * every call leaves exactly one `ApiCall` event, carrying the response's RequestId and
//!   error code;
//! * a call that fails (a check, a RAM denial, a bad parameter) leaves the world and the
//!   identity store byte-identical;
//! * the world's lookup indexes agree with its maps after every call, and a reach analysis to
//!   every endpoint never panics;
//! * the same sequence run twice gives byte-identical audit logs and states.
//!
//! Calls pick their targets among what exists (NLBs, server groups, listeners, CLBs, services,
//! endpoints), so that sequences go deep: the provider A publishes load balancers of its VPC,
//! the consumer B (whitelisted or not) connects from its own; a RAM user of A with a partial
//! policy makes some provider calls denials.

mod gateway_support;

use gateway_support::*;
use proptest::prelude::*;
use ramsim::api::Gateway;
use ramsim::cloud::packet::Protocol;
use ramsim::cloud::reach::{Analyzer, Probe, Source, Target};
use ramsim::cloud::World;
use serde_json::json;

const R: &str = "cn-hangzhou";

fn world() -> serde_json::Value {
    fixture(json!({
        "seed": 12,
        "vpcs": [
            {"owner": A, "region_id": R, "cidr_block": "192.168.0.0/16", "name": "pvpc",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "192.168.1.0/24", "name": "pvsw1"},
                           {"zone_id": "cn-hangzhou-i", "cidr_block": "192.168.2.0/24", "name": "pvsw2"}]},
            {"owner": B, "region_id": R, "cidr_block": "10.0.0.0/16", "name": "cvpc",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": "cvsw1"},
                           {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/24", "name": "cvsw2"}]}
        ],
        "security_groups": [
            {"owner": A, "vpc": "pvpc", "name": "web",
             "ingress": [{"protocol": "tcp", "port_range": "80/80", "cidr": "0.0.0.0/0"}]},
            {"owner": B, "vpc": "cvpc", "name": "client",
             "ingress": [{"protocol": "tcp", "port_range": "80/80", "cidr": "10.0.0.0/16"}]}
        ],
        "instances": [
            {"owner": A, "name": "web1", "vswitch": "pvsw1", "security_groups": ["web"], "listening": "tcp/80"},
            {"owner": A, "name": "web2", "vswitch": "pvsw2", "security_groups": ["web"], "listening": "tcp/80"},
            {"owner": B, "name": "cli", "vswitch": "cvsw1", "security_groups": ["client"]}
        ],
        "identity": {"accounts": {"A": {
            "policies": [{"name": "half", "document": {"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": ["nlb:Create*", "nlb:List*", "nlb:Get*", "privatelink:Create*", "privatelink:List*"], "Resource": "*"}]}}],
            "users": [{"name": "plops", "policies": ["half"]}]
        }}}
    }))
}

/// One abstract call: which API shape, who, and two selectors for its targets.
#[derive(Debug, Clone)]
struct Step {
    api: u8,
    user: bool,
    x: u8,
    y: u8,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..26,
        prop::bool::weighted(0.15),
        any::<u8>(),
        any::<u8>(),
    )
        .prop_map(|(api, user, x, y)| Step { api, user, x, y })
}

fn pick<T: Clone>(v: &[T], i: u8, none: T) -> T {
    if v.is_empty() {
        none
    } else {
        v[usize::from(i) % v.len()].clone()
    }
}

fn named<'a>(w: &'a World, name: &str) -> &'a str {
    w.vpcs()
        .find(|v| v.name == name)
        .map_or("vpc-none", |v| v.vpc_id.as_str())
}

/// The caller and CLI line of `s` against the current world.
fn line(w: &World, s: &Step) -> (&'static str, String) {
    let (pvpc, cvpc) = (named(w, "pvpc"), named(w, "cvpc"));
    let vsws = |vpc: &str| -> Vec<(String, String)> {
        w.vswitches_of(vpc)
            .map(|v| (v.vswitch_id.clone(), v.zone_id.clone()))
            .collect()
    };
    let (pv, cv) = (vsws(pvpc), vsws(cvpc));
    let none = ("vsw-none".to_string(), "cn-hangzhou-h".to_string());
    let (p1, pz1) = pv.first().cloned().unwrap_or(none.clone());
    let (p2, pz2) = pv.get(1).cloned().unwrap_or(none.clone());
    let (c1, cz1) = cv.first().cloned().unwrap_or(none.clone());
    let (c2, cz2) = cv.get(1).cloned().unwrap_or(none);
    let group = |name: &str| {
        w.ecs()
            .security_groups
            .values()
            .find(|g| g.name == name)
            .map_or("sg-none".to_string(), |g| g.security_group_id.clone())
    };
    let inst = |name: &str| {
        w.ecs()
            .instances
            .values()
            .find(|i| i.instance_name == name)
            .map_or("i-none".to_string(), |i| i.instance_id.to_string())
    };
    let nlbs: Vec<String> = w.nlb().load_balancers.keys().cloned().collect();
    let groups: Vec<String> = w.nlb().server_groups.keys().cloned().collect();
    let listeners: Vec<String> = w.nlb().listeners.keys().cloned().collect();
    let clbs: Vec<String> = w.clb().load_balancers.keys().cloned().collect();
    let services: Vec<String> = w.privatelink().services.keys().cloned().collect();
    let endpoints: Vec<String> = w.privatelink().endpoints.keys().cloned().collect();
    let nlb = pick(&nlbs, s.y, "nlb-none".into());
    let sgp = pick(&groups, s.x, "sgp-none".into());
    let lsn = pick(&listeners, s.x, "lsn-none".into());
    let clb = pick(&clbs, s.y, "lb-none".into());
    let svc = pick(&services, s.x, "epsrv-none".into());
    let ep = pick(&endpoints, s.y, "ep-none".into());
    // Connection calls name the endpoint's own service (the provider answers a request).
    let ep_svc = w
        .privatelink()
        .endpoints
        .get(&ep)
        .map_or(svc.clone(), |e| e.service_id.clone());
    let zone = [pz1.as_str(), pz2.as_str()][usize::from(s.y % 2)].to_string();
    let web = inst(["web1", "web2"][usize::from(s.x % 2)]);
    let provider = if s.user { "plops" } else { "root@A" };
    match s.api {
        // At most two NLBs, so that listeners, groups and services meet on the same ones.
        0 | 1 if nlbs.len() >= 2 => (provider, format!("aliyun nlb GetLoadBalancerAttribute --RegionId {R} --LoadBalancerId {nlb}")),
        0 | 1 => (provider, format!(
            "aliyun nlb CreateLoadBalancer --RegionId {R} --LoadBalancerType network --LoadBalancerName n{} --AddressType Intranet --VpcId {pvpc} --ZoneMappings.1.ZoneId {pz1} --ZoneMappings.1.VSwitchId {p1} --ZoneMappings.2.ZoneId {pz2} --ZoneMappings.2.VSwitchId {p2}",
            s.x % 10
        )),
        2 => (provider, format!("aliyun nlb CreateServerGroup --RegionId {R} --ServerGroupName web{} --ServerGroupType Instance --Protocol TCP --VpcId {pvpc}", s.y % 10)),
        3 => (provider, format!("aliyun nlb AddServersToServerGroup --RegionId {R} --ServerGroupId {sgp} --Servers.1.ServerId {web} --Servers.1.ServerType Ecs --Servers.1.Port 80")),
        4 => (provider, format!(
            "aliyun nlb CreateListener --RegionId {R} --LoadBalancerId {nlb} --ListenerProtocol TCP --ListenerPort {} --ServerGroupId {sgp}",
            if s.x % 5 == 0 { 81 } else { 80 }
        )),
        5 => (provider, format!("aliyun nlb GetListenerHealthStatus --RegionId {R} --ListenerId {lsn}")),
        6 => ("root@A", format!("aliyun nlb DeleteListener --RegionId {R} --ListenerId {lsn}")),
        7 => ("root@A", format!("aliyun nlb DeleteLoadBalancer --RegionId {R} --LoadBalancerId {nlb}")),
        8 => ("root@A", format!("aliyun slb CreateLoadBalancer --RegionId {R} --VSwitchId {p1} --LoadBalancerName c")),
        9 => ("root@A", format!("aliyun slb CreateLoadBalancerTCPListener --RegionId {R} --LoadBalancerId {clb} --ListenerPort 80 --BackendServerPort 80")),
        10 => ("root@A", format!("aliyun slb StartLoadBalancerListener --RegionId {R} --LoadBalancerId {clb} --ListenerPort 80")),
        11 | 12 => {
            let (t, id) = if s.y % 3 == 0 { ("slb", clb) } else { ("nlb", nlb) };
            (provider, format!(
                "aliyun privatelink CreateVpcEndpointService --RegionId {R} --ServiceResourceType {t} --AutoAcceptEnabled {} --Resource.1.ResourceType {t} --Resource.1.ResourceId {id}",
                s.x % 2 == 0
            ))
        }
        13 => (provider, format!(
            "aliyun privatelink AddUserToVpcEndpointService --RegionId {R} --ServiceId {svc} --UserId {}",
            if s.y % 4 == 0 { A } else { B }
        )),
        14 => ("root@A", format!("aliyun privatelink RemoveUserFromVpcEndpointService --RegionId {R} --ServiceId {svc} --UserId {B}")),
        15 | 16 => ("root@B", format!(
            "aliyun privatelink CreateVpcEndpoint --RegionId {R} --VpcId {cvpc} --ServiceId {svc} --SecurityGroupId.1 {} --Zone.1.ZoneId {cz1} --Zone.1.VSwitchId {c1}{}",
            group("client"),
            if s.x % 2 == 0 { format!(" --Zone.2.ZoneId {cz2} --Zone.2.VSwitchId {c2}") } else { String::new() }
        )),
        17 => ("root@A", format!("aliyun privatelink EnableVpcEndpointConnection --RegionId {R} --ServiceId {ep_svc} --EndpointId {ep}")),
        18 => ("root@A", format!("aliyun privatelink DisableVpcEndpointConnection --RegionId {R} --ServiceId {ep_svc} --EndpointId {ep}")),
        19 => ("root@A", format!("aliyun privatelink DisableVpcEndpointZoneConnection --RegionId {R} --ServiceId {ep_svc} --EndpointId {ep} --ZoneId {zone}")),
        20 => ("root@A", format!("aliyun privatelink EnableVpcEndpointZoneConnection --RegionId {R} --ServiceId {ep_svc} --EndpointId {ep} --ZoneId {zone}")),
        21 => ("root@B", format!("aliyun privatelink RemoveZoneFromVpcEndpoint --RegionId {R} --EndpointId {ep} --ZoneId {zone}")),
        22 => ("root@B", format!("aliyun privatelink DeleteVpcEndpoint --RegionId {R} --EndpointId {ep}")),
        23 => ("root@A", format!(
            "aliyun privatelink DetachResourceFromVpcEndpointService --RegionId {R} --ServiceId {svc} --ResourceId {} --ResourceType {}",
            if s.y % 3 == 0 { clb } else { nlb },
            if s.y % 3 == 0 { "slb" } else { "nlb" }
        )),
        24 => ("root@A", format!("aliyun privatelink DeleteVpcEndpointService --RegionId {R} --ServiceId {svc}")),
        _ => ("root@B", format!("aliyun privatelink ListVpcEndpointZones --RegionId {R} --EndpointId {ep}")),
    }
}

/// Reach from B's client to every endpoint with a zone: never panics, never a parameter error.
/// Counts the endpoints whose packets get through PrivateLink to the load balancer.
fn reach_all(w: &World) -> Result<usize, String> {
    let Some(cli) = w
        .ecs()
        .instances
        .values()
        .find(|i| i.instance_name == "cli")
    else {
        return Ok(0);
    };
    let a = Analyzer::new(w);
    let mut reachable = 0;
    // An endpoint whose zones were all removed has no address to analyse
    // (`IllegalParam.TargetId`, a parameter error by design).
    let live = w
        .privatelink()
        .endpoints
        .values()
        .filter(|e| !e.zones.is_empty());
    for ep in live.map(|e| &e.endpoint_id) {
        let p = Probe {
            source: Source::Ecs {
                instance_id: cli.instance_id.to_string(),
                source_ip: None,
            },
            target: Target::Endpoint {
                endpoint_id: ep.clone(),
            },
            protocol: Protocol::Tcp,
            source_port: None,
            target_port: Some(80),
        };
        let v = a.analyze(&p).map_err(|e| format!("{ep}: {e}"))?;
        // Through the endpoint, the connection, the zone and the service to the load balancer:
        // reachable, or stopped by the load balancer itself.
        let at_lb = v.reachable
            || v.first_error()
                .is_some_and(|f| f.code.as_str().starts_with("LB_"));
        reachable += usize::from(at_lb);
    }
    Ok(reachable)
}

/// Runs `steps`, checking the promises after each call; returns the audit log, the state and
/// how deep the run went (successful calls, endpoints at the end, the most endpoints through to
/// their load balancer at once).
fn run(steps: &[Step]) -> Result<(String, String, [usize; 3]), TestCaseError> {
    let mut gw = Gateway::new(state(&world()));
    let mut ok = 0;
    let mut most = 0;
    for (i, s) in steps.iter().enumerate() {
        let (who, text) = line(&gw.state.world, s);
        let (r, ctx) = checked_call(&mut gw, i, who, &text)?;
        if r.is_success() {
            ok += 1;
        }
        let w = &gw.state.world;
        match reach_all(w) {
            Ok(n) => most = most.max(n),
            Err(e) => prop_assert!(false, "{}: reach refused {}", ctx, e),
        }
    }
    let audit = serde_json::to_string(&gw.state.audit).expect("audit");
    let w = &gw.state.world;
    let depth = [ok, w.privatelink().endpoints.len(), most];
    Ok((audit, gw.state.to_json().expect("state"), depth))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn privatelink_nlb_and_clb_calls_keep_the_gateway_promises(steps in prop::collection::vec(step(), 20..60)) {
        let (audit1, state1, _) = run(&steps)?;
        let (audit2, state2, _) = run(&steps)?;
        prop_assert!(audit1 == audit2, "the audit log differs between two runs");
        prop_assert!(state1 == state2, "the state differs between two runs");
    }
}

/// The generator reaches deep states: over fixed sequences, services get endpoints and, at some
/// point of some run, an endpoint's packets get through PrivateLink to the load balancer.
#[test]
fn sequences_build_connected_endpoints() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut total_ok, mut endpoints, mut at_lb) = (0, 0, 0);
    for _ in 0..20 {
        let steps = prop::collection::vec(step(), 80)
            .new_tree(&mut runner)
            .expect("steps")
            .current();
        let (_, _, [ok, e, r]) = run(&steps).expect("promises hold");
        total_ok += ok;
        endpoints += e;
        at_lb += r;
    }
    assert!(total_ok >= 200, "only {total_ok} successful calls in 1,600");
    assert!(
        endpoints >= 5 && at_lb >= 1,
        "{endpoints} endpoints, {at_lb} through to their load balancer"
    );
}
