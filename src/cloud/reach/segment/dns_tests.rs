//! DNS names as reach targets (§4.8, §8.3.2 `Domain`) on the §11.2 S2 world: endpoint, zone
//! and service domains (per consumer VPC), zone affinity, NLB/ALB DNS names, and names that
//! look right but name something else.

use super::{resolve_domain, Client};
use crate::cloud::nlb::tests::{pok, s, sg};
use crate::cloud::packet::Protocol;
use crate::cloud::privatelink::tests::{ecs_at, s2, vpc, S2};
use crate::cloud::reach::{analyze, Probe, Source, Target, Verdict};
use crate::cloud::tests::A;
use crate::cloud::World;
use serde_json::json;
use std::net::Ipv4Addr;

const R: &str = "cn-hangzhou";
const G: &str = "cn-hangzhou-g";
const K: &str = "cn-hangzhou-k";
const PL: &str = "Privatelink";

fn probe(from: &str, name: &str) -> Probe {
    Probe {
        source: Source::Ecs {
            instance_id: from.into(),
            source_ip: None,
        },
        target: Target::Domain { name: name.into() },
        protocol: Protocol::Tcp,
        source_port: None,
        target_port: Some(80),
    }
}

fn reach(w: &World, from: &str, name: &str) -> Verdict {
    analyze(w, &probe(from, name)).expect("the name resolves")
}

fn ips(v: &Verdict) -> Vec<String> {
    v.candidates.iter().map(|c| c.ip.to_string()).collect()
}

fn resolves(w: &World, name: &str, vpc: Option<&str>, zone: Option<&str>) -> Option<Vec<Ipv4Addr>> {
    resolve_domain(
        w,
        name,
        Client {
            vpc_id: vpc,
            zone_id: zone,
        },
    )
    .map(|(_, ips)| ips)
}

#[test]
fn service_domain_resolves_inside_a_consumer_vpc_only() {
    let (w, x) = s2();
    let name = w.privatelink.services[&x.epsrv].domain();
    assert_eq!(name, format!("{}.{R}.privatelink.aliyuncs.com", x.epsrv));
    // ECS01 in VPC1 (which holds the endpoint): both endpoint zones, through to the NLB
    let v = reach(&w, &x.ecs[0], &name);
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(ips(&v), ["10.0.23.10", "10.0.24.10"]);
    // ECS03 in VPC2 has no endpoint to the service: the name does not resolve there
    let e = analyze(&w, &probe(&x.ecs[2], &name)).unwrap_err();
    assert_eq!(e.code, "IllegalParam.TargetId");
    assert!(e.message.contains("does not resolve"), "{e}");
    // and the right id in the wrong region is not the service's name
    let wrong = format!("{}.cn-shanghai.privatelink.aliyuncs.com", x.epsrv);
    assert_eq!(resolves(&w, &wrong, Some(&x.vpc1), None), None);
}

#[test]
fn zone_domains_resolve_to_their_zone_and_names_are_case_and_dot_insensitive() {
    let (w, x) = s2();
    let ep = &w.privatelink.endpoints[&x.ep];
    let k = ep.zone_domain(K);
    assert_eq!(
        k,
        format!("{}-{R}.{}.{K}.privatelink.aliyuncs.com", x.ep, x.epsrv)
    );
    let v = reach(&w, &x.ecs[0], &k);
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(ips(&v), ["10.0.24.10"]);
    let g = format!("{}.", ep.zone_domain(G).to_ascii_uppercase());
    assert_eq!(
        resolves(&w, &g, None, None),
        Some(vec!["10.0.23.10".parse().unwrap()])
    );
    // a zone the endpoint does not have, or the endpoint under another service's name
    let h = ep.zone_domain("cn-hangzhou-h");
    assert_eq!(resolves(&w, &h, None, None), None);
    let other = format!(
        "{}.epsrv-000000000000000000.{R}.privatelink.aliyuncs.com",
        x.ep
    );
    assert_eq!(resolves(&w, &other, None, None), None);
    // ids that exist nowhere, and names of nothing the model knows
    for name in [
        "ep-000000000000000000.epsrv-1.cn-hangzhou.privatelink.aliyuncs.com",
        "nlb-000000000000000000.cn-hangzhou.nlb.aliyuncs.com",
        "alb-000000000000000000.cn-hangzhou.alb.aliyuncs.com",
        "ep-.privatelink.aliyuncs.com",
        "privatelink.aliyuncs.com",
        "example.com",
        "",
    ] {
        assert_eq!(resolves(&w, name, Some(&x.vpc1), Some(G)), None, "{name}");
    }
}

/// A second consumer VPC of A whose endpoint to the S2 service has zone affinity on, with a
/// client in each zone; the service's affinity is switched on too.
fn affinity(w: &mut World, x: &S2) -> (String, [String; 2]) {
    let (vpc3, v3) = vpc(
        w,
        A,
        "10.0.0.0/8",
        &[(G, "10.0.23.0/24"), (K, "10.0.24.0/24")],
    );
    let sg3 = sg(w, A, &vpc3, Some(("80/80", "10.0.0.0/8")));
    let clients = [
        ecs_at(w, A, &v3[0], &sg3, "10.0.23.68", ""),
        ecs_at(w, A, &v3[1], &sg3, "10.0.24.227", ""),
    ];
    let ep = s(
        &pok(
            w,
            A,
            PL,
            "CreateVpcEndpoint",
            json!({"RegionId": R, "VpcId": vpc3, "ServiceId": x.epsrv, "SecurityGroupId.1": sg3,
                   "ZoneAffinityEnabled": true,
                   "Zone.1.ZoneId": G, "Zone.1.VSwitchId": v3[0], "Zone.1.ip": "10.0.23.10",
                   "Zone.2.ZoneId": K, "Zone.2.VSwitchId": v3[1], "Zone.2.ip": "10.0.24.10"}),
        ),
        "EndpointId",
    );
    (ep, clients)
}

#[test]
fn zone_affinity_needs_both_sides_and_a_carrying_zone_near_the_client() {
    let (mut w, x) = s2();
    let (ep, clients) = affinity(&mut w, &x);
    let domain = w.privatelink.endpoints[&ep].domain();
    let service = w.privatelink.services[&x.epsrv].domain();
    // the service has affinity off: every zone, from either client
    for c in &clients {
        assert_eq!(ips(&reach(&w, c, &domain)), ["10.0.23.10", "10.0.24.10"]);
    }
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": x.epsrv, "ZoneAffinityEnabled": true}),
    );
    // both on: the client's own zone only, for the endpoint domain and the service domain
    for name in [&domain, &service] {
        assert_eq!(ips(&reach(&w, &clients[0], name)), ["10.0.23.10"]);
        assert_eq!(ips(&reach(&w, &clients[1], name)), ["10.0.24.10"]);
        assert!(reach(&w, &clients[1], name).reachable);
    }
    // VPC1's endpoint has affinity off: still every zone
    let v = reach(&w, &x.ecs[1], &w.privatelink.endpoints[&x.ep].domain());
    assert_eq!(ips(&v), ["10.0.23.10", "10.0.24.10"]);
    // the client's zone no longer carries traffic: the other zone answers
    pok(
        &mut w,
        A,
        PL,
        "DisableVpcEndpointZoneConnection",
        json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": ep, "ZoneId": G}),
    );
    let v = reach(&w, &clients[0], &domain);
    assert_eq!(ips(&v), ["10.0.24.10"]);
    assert!(v.reachable, "{:?}", v.findings);
}

#[test]
fn load_balancer_dns_names_resolve_to_every_zone_vip() {
    let (w, x) = s2();
    let nlb = &w.nlb.load_balancers[&x.nlb];
    assert_eq!(
        resolves(&w, &nlb.dns_name(), None, None),
        Some(
            nlb.zone_mappings
                .iter()
                .map(|z| z.private_ipv4_address)
                .collect()
        )
    );
    // the right id under another region's name is not the NLB's name
    let wrong = format!("{}.cn-shanghai.nlb.aliyuncs.com", x.nlb);
    assert_eq!(resolves(&w, &wrong, None, None), None);
    // from inside VPC2 (ECS03) the NLB's DNS name reaches the backends directly
    let v = reach(&w, &x.ecs[2], &nlb.dns_name());
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(ips(&v), ["192.168.2.1", "192.168.4.1"]);
}
