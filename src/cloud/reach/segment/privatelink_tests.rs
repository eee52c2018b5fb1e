//! Reach through PrivateLink and an NLB on the §11.2 S2 world: steps 12–14, S2-N2, N4, N9,
//! N3's reach checks, and every PrivateLink and load-balancer code of §8.6.

use crate::cloud::ecs::instance::stop_instance;
use crate::cloud::ecs::OpCtx;
use crate::cloud::nlb::tests::{pok, s, sg};
use crate::cloud::packet::Protocol;
use crate::cloud::privatelink::tests::{ecs_at, s2, vpc, S2};
use crate::cloud::reach::fix::suggest;
use crate::cloud::reach::hop::NodeType;
use crate::cloud::reach::{analyze, Code, Probe, Source, Target, Verdict};
use crate::cloud::tests::{A, B};
use crate::cloud::World;
use serde_json::json;

const R: &str = "cn-hangzhou";
const G: &str = "cn-hangzhou-g";
const K: &str = "cn-hangzhou-k";

fn reach(w: &World, from: &str, to: Target, port: u16) -> Verdict {
    analyze(
        w,
        &Probe {
            source: Source::Ecs {
                instance_id: from.into(),
                source_ip: None,
            },
            target: to,
            protocol: Protocol::Tcp,
            source_port: None,
            target_port: Some(port),
        },
    )
    .expect("valid probe")
}

fn ep(x: &S2) -> Target {
    Target::Endpoint {
        endpoint_id: x.ep.clone(),
    }
}

fn code(v: &Verdict) -> Option<&'static str> {
    v.first_error().map(|f| f.code.as_str())
}

fn stop(w: &mut World, id: &str) {
    let c = OpCtx::new(A, R, w.now());
    stop_instance(&mut w.ecs, &c, id).unwrap();
}

#[test]
fn s2_step_12_both_zones_reach_both_backends_from_the_local_address() {
    let (w, x) = s2();
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(v.candidates.len(), 2);
    for c in &v.candidates {
        assert!(c.reachable);
        let ok: Vec<_> = c
            .backends
            .iter()
            .filter(|b| b.ok)
            .map(|b| &b.server_id)
            .collect();
        assert_eq!(ok, vec![&x.ecs[2], &x.ecs[3]]);
    }
    let kinds: Vec<&str> = v.forward.iter().map(|h| h.node_type.as_str()).collect();
    assert_eq!(
        kinds,
        ["VM", "ENI", "VSW", "ENI", "EP", "EPSRV", "NLB", "LSN", "SGP", "VSW", "ENI", "VM"]
    );
    let nlb = v
        .forward
        .iter()
        .find(|h| h.node_type == NodeType::Nlb)
        .unwrap();
    assert_eq!(nlb.ip, Some("192.168.2.1".parse().unwrap()));
    // no reply over the consumer leg: the reverse is ECS03's reply to the NLB's local
    // address of zone g, inside ECS03's own vSwitch
    let back: Vec<&str> = v.reverse.iter().map(|h| h.node_id.as_str()).collect();
    let eni03 = &w.ecs.instances[x.ecs[2].as_str()].primary_eni_id;
    let vsw3 = &w.ecs.instances[x.ecs[2].as_str()].vswitch_id;
    assert_eq!(back, [x.ecs[2].as_str(), eni03.as_str(), vsw3.as_str()]);
    assert_eq!(v.packet.dst_ip.to_string(), "10.0.23.10");
}

#[test]
fn s2_step_13_domain_and_step_14_zone_ip() {
    let (w, x) = s2();
    let name = format!("{}.{}.{R}.privatelink.aliyuncs.com", x.ep, x.epsrv);
    let v = reach(&w, &x.ecs[1], Target::Domain { name }, 80);
    assert!(v.reachable);
    let ips: Vec<String> = v.candidates.iter().map(|c| c.ip.to_string()).collect();
    assert_eq!(ips, ["10.0.23.10", "10.0.24.10"]);
    let v = reach(
        &w,
        &x.ecs[0],
        Target::Ip {
            vpc_id: x.vpc1.clone(),
            ip: "10.0.24.10".parse().unwrap(),
        },
        80,
    );
    assert!(v.reachable, "{:?}", v.findings);
    // an NLB DNS name resolves to its VIPs: from VPC1 there is no route to VPC2
    let nlb = &w.nlb.load_balancers[&x.nlb];
    let v = reach(
        &w,
        &x.ecs[0],
        Target::Domain {
            name: nlb.dns_name(),
        },
        80,
    );
    assert_eq!(code(&v), Some("ROUTE_NOT_FOUND"));
}

#[test]
fn s2_n2_endpoint_security_group_denies() {
    let (mut w, x) = s2();
    // ModifySecurityGroupPolicy(InnerAccessPolicy=Drop) and the TCP 80 rule revoked
    let g = w.ecs.security_groups.get_mut(&x.sg1).unwrap();
    g.rules.clear();
    g.inner_access_policy = crate::cloud::ecs::security_group::InnerAccessPolicy::Drop;
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert_eq!(code(&v), Some("SG_INGRESS_DENY"));
    let f = v.first_error().unwrap();
    assert!(f.component_id.starts_with("eni-"), "{f:?}");
    assert_eq!(
        w.ecs.enis[f.component_id.as_str()].service_owner.as_deref(),
        Some(format!("privatelink:{}:{G}", x.ep).as_str())
    );
    let fix = suggest(&w, &v).expect("a rule fixes it");
    assert_eq!(fix.action, "AuthorizeSecurityGroup");
}

#[test]
fn s2_n4_zone_disconnected_and_the_domain_skips_it() {
    let (mut w, x) = s2();
    pok(
        &mut w,
        A,
        "Privatelink",
        "DisableVpcEndpointZoneConnection",
        json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "ZoneId": G}),
    );
    let v = reach(
        &w,
        &x.ecs[0],
        Target::Ip {
            vpc_id: x.vpc1.clone(),
            ip: "10.0.23.10".parse().unwrap(),
        },
        80,
    );
    assert_eq!(code(&v), Some("EP_ZONE_NOT_CONNECTED"));
    let fix = suggest(&w, &v).unwrap();
    assert_eq!(fix.action, "EnableVpcEndpointZoneConnection");
    let name = w.privatelink.endpoints[&x.ep].domain();
    let v = reach(&w, &x.ecs[0], Target::Domain { name }, 80);
    assert!(v.reachable);
    let ips: Vec<String> = v.candidates.iter().map(|c| c.ip.to_string()).collect();
    assert_eq!(ips, ["10.0.24.10"]);
    // the endpoint target keeps both zones: one fails, the other carries it
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert!(v.reachable);
    assert_eq!(v.candidates[0].code, Some(Code::EpZoneNotConnected));
}

#[test]
fn s2_n9_stopped_backends_and_health() {
    let (mut w, x) = s2();
    stop(&mut w, &x.ecs[2]);
    let h = pok(
        &mut w,
        A,
        "Nlb",
        "GetListenerHealthStatus",
        json!({"RegionId": R, "ListenerId": x.listener}),
    );
    let list = &h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["NonNormalServers"];
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{h}");
    assert_eq!(list[0]["ServerId"], x.ecs[2]);
    assert_eq!(list[0]["Status"], "Unhealthy");
    assert_eq!(list[0]["Reason"]["ReasonCode"], "CONNECT_TIMEOUT");
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert!(v.reachable);
    let b = &v.candidates[0].backends;
    assert_eq!(b[0].code, Some(Code::LbBackendUnhealthy));
    assert_eq!(b[0].cause, Some(Code::DstInstanceNotRunning));
    assert!(b[1].ok);
    stop(&mut w, &x.ecs[3]);
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert_eq!(code(&v), Some("LB_BACKEND_UNHEALTHY"));
    let fix = suggest(&w, &v).unwrap();
    assert_eq!(fix.action, "StartInstance");
}

#[test]
fn s2_n3_cross_account_consumer_disconnected_until_enabled() {
    let (mut w, x) = s2();
    let (vpcb, vb) = vpc(
        &mut w,
        B,
        "10.0.0.0/8",
        &[(G, "10.0.23.0/24"), (K, "10.0.24.0/24")],
    );
    let sgb = sg(&mut w, B, &vpcb, Some(("80/80", "10.0.0.0/8")));
    let ecsb = ecs_at(&mut w, B, &vb[0], &sgb, "10.0.23.68", "");
    pok(
        &mut w,
        A,
        "Privatelink",
        "AddUserToVpcEndpointService",
        json!({"RegionId": R, "ServiceId": x.epsrv, "UserId": B}),
    );
    pok(
        &mut w,
        A,
        "Privatelink",
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": x.epsrv, "AutoAcceptEnabled": false}),
    );
    let epb = s(
        &pok(
            &mut w,
            B,
            "Privatelink",
            "CreateVpcEndpoint",
            json!({"RegionId": R, "VpcId": vpcb, "ServiceId": x.epsrv, "SecurityGroupId.1": sgb,
                "Zone.1.ZoneId": G, "Zone.1.VSwitchId": vb[0], "Zone.2.ZoneId": K, "Zone.2.VSwitchId": vb[1]}),
        ),
        "EndpointId",
    );
    let to = Target::Endpoint {
        endpoint_id: epb.clone(),
    };
    let v = reach(&w, &ecsb, to.clone(), 80);
    assert_eq!(code(&v), Some("EP_CONNECTION_NOT_CONNECTED"));
    let fix = suggest(&w, &v).unwrap();
    assert_eq!(fix.caller, A);
    assert_eq!(fix.action, "EnableVpcEndpointConnection");
    crate::cloud::tests::call(&mut w, &fix.caller, fix.action, fix.params_json().into()).unwrap();
    let v = reach(&w, &ecsb, to, 80);
    assert!(v.reachable, "{:?}", v.findings);
    // A's own endpoint stayed connected
    assert!(reach(&w, &x.ecs[0], ep(&x), 80).reachable);
}

#[test]
fn every_privatelink_and_load_balancer_code() {
    let (w0, x) = s2();
    let check = |f: &dyn Fn(&mut World), port: u16, want: &str| {
        let mut w = w0.clone();
        f(&mut w);
        let v = reach(&w, &x.ecs[0], ep(&x), port);
        assert_eq!(code(&v), Some(want), "{:?}", v.findings);
    };
    check(
        &|w| w.privatelink.endpoints.get_mut(&x.ep).unwrap().status = "Pending".into(),
        80,
        "EP_NOT_ACTIVE",
    );
    check(
        &|w| {
            w.privatelink
                .endpoints
                .get_mut(&x.ep)
                .unwrap()
                .connection_status = "Disconnected".into()
        },
        80,
        "EP_CONNECTION_NOT_CONNECTED",
    );
    check(
        &|w| {
            for z in &mut w.privatelink.endpoints.get_mut(&x.ep).unwrap().zones {
                z.resource_id = None;
            }
        },
        80,
        "EP_ZONE_NO_RESOURCE",
    );
    check(
        &|w| {
            w.privatelink
                .services
                .get_mut(&x.epsrv)
                .unwrap()
                .business_status = "FinancialLocked".into()
        },
        80,
        "EPSRV_NOT_ACTIVE",
    );
    check(
        &|w| {
            let e = w.privatelink.endpoints.get_mut(&x.ep).unwrap();
            e.region_id = "cn-shanghai".into();
            e.cross_region_bandwidth = Some(0);
        },
        80,
        "EP_NO_CROSS_REGION_BANDWIDTH",
    );
    check(
        &|w| w.nlb.load_balancers.get_mut(&x.nlb).unwrap().status = "Inactive".into(),
        80,
        "LB_NOT_ACTIVE",
    );
    check(&|_| {}, 81, "LB_NO_LISTENER");
    check(
        &|w| w.nlb.listeners.get_mut(&x.listener).unwrap().protocol = "TCPSSL".into(),
        80,
        "LB_NO_LISTENER",
    );
    check(
        &|w| {
            for g in w.nlb.server_groups.values_mut() {
                g.status = "Configuring".into();
            }
        },
        80,
        "LB_SERVER_GROUP_NOT_AVAILABLE",
    );
    check(
        &|w| {
            for g in w.nlb.server_groups.values_mut() {
                for s in &mut g.servers {
                    s.weight = 0;
                }
            }
        },
        80,
        "LB_NO_BACKEND",
    );
    // without cross-zone, zone g's resource has no backend in zone g; zone k carries it
    let mut w = w0.clone();
    w.nlb
        .load_balancers
        .get_mut(&x.nlb)
        .unwrap()
        .cross_zone_enabled = false;
    for g in w.nlb.server_groups.values_mut() {
        g.servers.retain(|s| s.zone_id.as_deref() == Some(K));
    }
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert!(v.reachable);
    assert_eq!(v.candidates[0].code, Some(Code::LbNoBackend));
    assert_eq!(v.candidates[1].code, None);
    // health checking off: a backend that drops the LB's address is a data-path error
    check(
        &|w| {
            for g in w.nlb.server_groups.values_mut() {
                g.health_check.enabled = false;
            }
            for g in w.ecs.security_groups.values_mut() {
                if g.vpc_id != x.vpc1 {
                    g.rules.clear();
                }
            }
        },
        80,
        "SG_INGRESS_DENY",
    );
}

#[test]
fn a_vip_reached_directly_needs_routes_and_preserves_the_client() {
    let (w, x) = s2();
    // From inside VPC2: ECS03 to the NLB, the backend sees ECS03's own address (preserved).
    let v = reach(
        &w,
        &x.ecs[2],
        Target::LoadBalancer {
            load_balancer_id: x.nlb.clone(),
        },
        80,
    );
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(v.candidates.len(), 2);
    assert_eq!(v.reverse.last().unwrap().node_id, x.ecs[2]);
    // a local address is not a target
    let v = reach(
        &w,
        &x.ecs[2],
        Target::Ip {
            vpc_id: w.nlb.load_balancers[&x.nlb].vpc_id.clone(),
            ip: "192.168.2.2".parse().unwrap(),
        },
        80,
    );
    assert_eq!(code(&v), Some("DST_NOT_TARGETABLE"));
}

#[test]
fn the_picture_frames_privatelink_and_load_balancer_nodes_in_their_vpcs() {
    use crate::cloud::reach::picture::{dot, svg, vpc_of};
    let (w, x) = s2();
    let v = reach(&w, &x.ecs[0], ep(&x), 80);
    assert!(v.reachable, "{:?}", v.findings);
    let consumer = w.ecs().instances[x.ecs[0].as_str()].vpc_id.to_string();
    let provider = w.ecs().instances[x.ecs[2].as_str()].vpc_id.to_string();
    let homes: Vec<(&str, Option<String>)> = v
        .forward
        .iter()
        .map(|h| (h.node_type.as_str(), vpc_of(&w, h)))
        .collect();
    for (kind, home) in &homes {
        let want = match *kind {
            "EPSRV" | "NLB" | "LSN" | "SGP" => &provider,
            "EP" => &consumer,
            _ => continue,
        };
        assert_eq!(home.as_ref(), Some(want), "{kind} in {homes:?}");
    }
    // every hop of both legs is inside a frame: the consumer VPC, then the provider VPC
    assert!(v
        .forward
        .iter()
        .chain(&v.reverse)
        .all(|h| vpc_of(&w, h).is_some()));
    let d = dot(&w, &v);
    assert_eq!(d.matches("subgraph cluster_").count(), 2, "{d}");
    let picture = svg(&w, &v, "ECS01 to the endpoint");
    // forward: one consumer frame and one provider frame; reply: the provider frame
    assert_eq!(picture.matches("fill=\"#eef4fb\"").count(), 3, "{picture}");
    for id in [&x.ep, &x.nlb] {
        assert!(picture.contains(id.as_str()));
    }
}
