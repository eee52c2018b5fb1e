//! Resource replacement of a CLB service's endpoint zone (§4.3.10 case B): Graceful (Z8) with
//! a second ENI, DNS moving to it, both rows carrying traffic until Z7; Force; the errors.

use crate::cloud::nlb::tests::{instance, perr, pok, s, sg, vpc_with_zones};
use crate::cloud::packet::Protocol;
use crate::cloud::reach::{analyze, Probe, Source, Target, Verdict};
use crate::cloud::tests::{world, A};
use crate::cloud::World;
use serde_json::{json, Value};

const R: &str = "cn-hangzhou";
const PL: &str = "Privatelink";
const ZA: &str = "cn-hangzhou-a";

struct Setup {
    clbs: [String; 2],
    webs: [String; 2],
    svc: String,
    ep: String,
    client: String,
}

/// Two CLBs in zone a, each forwarding tcp/80 to its own listening backend; one service with
/// both; an endpoint in zone a of another VPC, connected to the first CLB.
fn setup() -> (World, Setup) {
    let mut w = world();
    w.accounts.get_mut(A).unwrap().svc_res_mgt_enabled = true;
    let (vpc, vsws) = vpc_with_zones(&mut w, A, "192.168.0.0/16");
    let g = sg(&mut w, A, &vpc, Some(("8080/8080", "0.0.0.0/0")));
    let mut clbs = Vec::new();
    let mut webs = Vec::new();
    for name in ["clb1", "clb2"] {
        let lb = s(
            &pok(
                &mut w,
                A,
                "Slb",
                "CreateLoadBalancer",
                json!({"RegionId": R, "VSwitchId": vsws[0], "LoadBalancerName": name}),
            ),
            "LoadBalancerId",
        );
        let at = json!({"RegionId": R, "LoadBalancerId": lb, "ListenerPort": 80});
        let mut listener = at.clone();
        listener["BackendServerPort"] = json!(8080);
        pok(&mut w, A, "Slb", "CreateLoadBalancerTCPListener", listener);
        let web = instance(&mut w, A, &vsws[0], &g, "tcp/8080");
        pok(
            &mut w,
            A,
            "Slb",
            "AddBackendServers",
            json!({"RegionId": R, "LoadBalancerId": lb,
                   "BackendServers": format!("[{{\"ServerId\":\"{web}\"}}]")}),
        );
        pok(&mut w, A, "Slb", "StartLoadBalancerListener", at);
        clbs.push(lb);
        webs.push(web);
    }
    let svc = s(
        &pok(
            &mut w,
            A,
            PL,
            "CreateVpcEndpointService",
            json!({"RegionId": R, "AutoAcceptEnabled": true,
                   "Resource.1.ResourceType": "slb", "Resource.1.ResourceId": clbs[0],
                   "Resource.2.ResourceType": "slb", "Resource.2.ResourceId": clbs[1]}),
        ),
        "ServiceId",
    );
    // the consumer: overlapping addresses are fine through PrivateLink
    let (cvpc, cvsws) = vpc_with_zones(&mut w, A, "10.0.0.0/16");
    let cg = sg(&mut w, A, &cvpc, Some(("80/80", "10.0.0.0/16")));
    let client = instance(&mut w, A, &cvsws[0], &cg, "");
    let ep = s(
        &pok(
            &mut w,
            A,
            PL,
            "CreateVpcEndpoint",
            json!({"RegionId": R, "VpcId": cvpc, "ServiceId": svc, "SecurityGroupId.1": cg,
                   "Zone.1.ZoneId": ZA, "Zone.1.VSwitchId": cvsws[0]}),
        ),
        "EndpointId",
    );
    let x = Setup {
        clbs: [clbs[0].clone(), clbs[1].clone()],
        webs: [webs[0].clone(), webs[1].clone()],
        svc,
        ep,
        client,
    };
    (w, x)
}

fn reach(w: &World, x: &Setup, target: Target) -> Verdict {
    analyze(
        w,
        &Probe {
            source: Source::Ecs {
                instance_id: x.client.clone(),
                source_ip: None,
            },
            target,
            protocol: Protocol::Tcp,
            source_port: None,
            target_port: Some(80),
        },
    )
    .expect("valid probe")
}

/// The backends that answered on the way.
fn served_by(v: &Verdict) -> Vec<String> {
    v.candidates
        .iter()
        .flat_map(|c| {
            c.backends
                .iter()
                .filter(|b| b.ok)
                .map(|b| b.server_id.clone())
        })
        .collect()
}

fn zone(w: &mut World, x: &Setup) -> Value {
    let z = pok(
        w,
        A,
        PL,
        "ListVpcEndpointZones",
        json!({"RegionId": R, "EndpointId": x.ep}),
    );
    z["Zones"][0].clone()
}

fn counts(w: &mut World, x: &Setup) -> Vec<u64> {
    let r = pok(
        w,
        A,
        PL,
        "ListVpcEndpointServiceResources",
        json!({"RegionId": R, "ServiceId": x.svc}),
    );
    x.clbs
        .iter()
        .map(|id| {
            r["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|row| row["ResourceId"] == id.as_str())
                .and_then(|row| row["RelatedEndpointCount"].as_u64())
                .unwrap_or(99)
        })
        .collect()
}

fn replace(x: &Setup, mode: &str, to: &str) -> Value {
    json!({"RegionId": R, "ServiceId": x.svc, "EndpointId": x.ep, "ZoneId": ZA,
           "ResourceReplaceMode": mode, "ResourceType": "slb", "ResourceId": to})
}

fn domain(x: &Setup) -> Target {
    Target::Domain {
        name: format!("{}.{}.{R}.privatelink.aliyuncs.com", x.ep, x.svc),
    }
}

#[test]
fn graceful_replacement_moves_dns_to_a_new_eni_and_z7_drops_the_old_one() {
    let (mut w, x) = setup();
    let op = "UpdateVpcEndpointZoneConnectionResourceAttribute";
    let z0 = zone(&mut w, &x);
    assert_eq!(
        (s(&z0, "ZoneStatus"), s(&z0, "ResourceId")),
        ("Connected".to_string(), x.clbs[0].clone())
    );
    assert_eq!(
        served_by(&reach(&w, &x, domain(&x))),
        vec![x.webs[0].clone()]
    );
    // The current row is auto-allocated: it must be switched off first.
    assert_eq!(
        perr(&mut w, A, PL, op, replace(&x, "Graceful", &x.clbs[1])),
        "OperationDenied.CurrentResourceAutoAllocated"
    );
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceResourceAttribute",
        json!({"RegionId": R, "ServiceId": x.svc, "ResourceId": x.clbs[0], "ZoneId": ZA,
               "AutoAllocatedEnabled": false}),
    );
    assert_eq!(
        perr(&mut w, A, PL, op, replace(&x, "Smooth", &x.clbs[1])),
        "IllegalParam.ResourceReplaceMode"
    );
    // Z7 before any migration: nothing to drop.
    let z7 = json!({"RegionId": R, "ServiceId": x.svc, "EndpointId": x.ep, "ZoneId": ZA,
                    "ReplacedResource": true});
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "DisableVpcEndpointZoneConnection",
            z7.clone()
        ),
        "IncorrectStatus.VpcEndpointZone"
    );
    let enis_before = w.ecs().enis.len();
    // Z8: Graceful.
    pok(&mut w, A, PL, op, replace(&x, "Graceful", &x.clbs[1]));
    let z1 = zone(&mut w, &x);
    assert_eq!(s(&z1, "ZoneStatus"), "Migrated");
    assert_eq!(s(&z1, "ResourceId"), x.clbs[1]);
    assert_eq!(s(&z1, "ReplacedResourceId"), x.clbs[0]);
    assert_eq!(s(&z1, "ReplacedEniId"), s(&z0, "EniId"));
    assert_ne!(s(&z1, "EniId"), s(&z0, "EniId"));
    assert_ne!(s(&z1, "EniIp"), s(&z0, "EniIp"));
    assert_eq!(w.ecs().enis.len(), enis_before + 1, "a second ENI");
    assert_eq!(counts(&mut w, &x), vec![1, 1], "both rows carry traffic");
    // DNS has only the new address, which reaches the new CLB's backend; the old address
    // still reaches the old CLB's backend.
    let by_name = reach(&w, &x, domain(&x));
    assert!(by_name.reachable, "{:?}", by_name.findings);
    assert_eq!(
        by_name
            .candidates
            .iter()
            .map(|c| c.ip.to_string())
            .collect::<Vec<_>>(),
        vec![s(&z1, "EniIp")]
    );
    assert_eq!(served_by(&by_name), vec![x.webs[1].clone()]);
    let consumer_vpc = w.privatelink.endpoints[&x.ep].vpc_id.clone();
    let old_ip = Target::Ip {
        vpc_id: consumer_vpc,
        ip: s(&z0, "EniIp").parse().unwrap(),
    };
    let by_old = reach(&w, &x, old_ip.clone());
    assert!(by_old.reachable, "{:?}", by_old.findings);
    // A migrated zone cannot be replaced again until Z7.
    assert_eq!(
        perr(&mut w, A, PL, op, replace(&x, "Graceful", &x.clbs[0])),
        "ZoneOperationDenied"
    );
    // Z7: the old ENI goes, the zone is Connected, the old row is released.
    pok(&mut w, A, PL, "DisableVpcEndpointZoneConnection", z7);
    let z2 = zone(&mut w, &x);
    assert_eq!(s(&z2, "ZoneStatus"), "Connected");
    assert_eq!(s(&z2, "EniId"), s(&z1, "EniId"));
    assert!(z2["ReplacedEniId"].is_null() && z2["ReplacedResourceId"].is_null());
    assert_eq!(w.ecs().enis.len(), enis_before);
    assert!(!w.ecs().enis.contains_key(s(&z0, "EniId").as_str()));
    assert_eq!(counts(&mut w, &x), vec![0, 1]);
    assert!(!reach(&w, &x, old_ip).reachable, "the old address is gone");
    assert_eq!(
        served_by(&reach(&w, &x, domain(&x))),
        vec![x.webs[1].clone()]
    );
}

#[test]
fn force_switches_at_once_and_a_disconnect_ends_a_migration() {
    let (mut w, x) = setup();
    let op = "UpdateVpcEndpointZoneConnectionResourceAttribute";
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceResourceAttribute",
        json!({"RegionId": R, "ServiceId": x.svc, "ResourceId": x.clbs[0], "ZoneId": ZA,
               "AutoAllocatedEnabled": false}),
    );
    let enis = w.ecs().enis.len();
    let z0 = zone(&mut w, &x);
    // Force: same ENI, new row, old row released at once.
    pok(&mut w, A, PL, op, replace(&x, "Force", &x.clbs[1]));
    let z1 = zone(&mut w, &x);
    assert_eq!(
        (s(&z1, "ZoneStatus"), s(&z1, "ResourceId"), s(&z1, "EniId")),
        ("Connected".to_string(), x.clbs[1].clone(), s(&z0, "EniId"))
    );
    assert_eq!(w.ecs().enis.len(), enis);
    assert_eq!(counts(&mut w, &x), vec![0, 1]);
    assert_eq!(
        served_by(&reach(&w, &x, domain(&x))),
        vec![x.webs[1].clone()]
    );
    // Graceful back to clb1, then disconnect the zone (Z6): both ENIs' allocations end, the
    // old ENI is deleted, the zone keeps one ENI. (A zone keeps one auto-allocated row.)
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceResourceAttribute",
        json!({"RegionId": R, "ServiceId": x.svc, "ResourceId": x.clbs[0], "ZoneId": ZA,
               "AutoAllocatedEnabled": true}),
    );
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceResourceAttribute",
        json!({"RegionId": R, "ServiceId": x.svc, "ResourceId": x.clbs[1], "ZoneId": ZA,
               "AutoAllocatedEnabled": false}),
    );
    pok(&mut w, A, PL, op, replace(&x, "Graceful", &x.clbs[0]));
    assert_eq!(w.ecs().enis.len(), enis + 1);
    pok(
        &mut w,
        A,
        PL,
        "DisableVpcEndpointZoneConnection",
        json!({"RegionId": R, "ServiceId": x.svc, "EndpointId": x.ep, "ZoneId": ZA}),
    );
    let z2 = zone(&mut w, &x);
    assert_eq!(s(&z2, "ZoneStatus"), "Disconnected");
    assert!(z2["ReplacedEniId"].is_null());
    assert_eq!(w.ecs().enis.len(), enis);
    assert_eq!(counts(&mut w, &x), vec![0, 0]);
    // A migrating zone removed by the consumer takes both ENIs with it.
    pok(
        &mut w,
        A,
        PL,
        "EnableVpcEndpointZoneConnection",
        json!({"RegionId": R, "ServiceId": x.svc, "EndpointId": x.ep, "ZoneId": ZA}),
    );
    let current = s(&zone(&mut w, &x), "ResourceId");
    let other = if current == x.clbs[0] {
        &x.clbs[1]
    } else {
        &x.clbs[0]
    };
    for (id, on) in [(other, true), (&current, false)] {
        pok(
            &mut w,
            A,
            PL,
            "UpdateVpcEndpointServiceResourceAttribute",
            json!({"RegionId": R, "ServiceId": x.svc, "ResourceId": id, "ZoneId": ZA,
                   "AutoAllocatedEnabled": on}),
        );
    }
    pok(&mut w, A, PL, op, replace(&x, "Graceful", other));
    assert_eq!(w.ecs().enis.len(), enis + 1);
    pok(
        &mut w,
        A,
        PL,
        "RemoveZoneFromVpcEndpoint",
        json!({"RegionId": R, "EndpointId": x.ep, "ZoneId": ZA}),
    );
    assert_eq!(w.ecs().enis.len(), enis - 1);
    assert_eq!(counts(&mut w, &x), vec![0, 0]);
}
