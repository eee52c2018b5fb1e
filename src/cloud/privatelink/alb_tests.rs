//! An ALB as the service resource (§4.1 `ServiceResourceType=alb`, §4.3.1, §4.3.6, §8.3.6 P8,
//! §8.3.7): the S2 world's consumer VPC reaching ECS03/ECS04 through an endpoint, an endpoint
//! service and an internal ALB in VPC2 (back-to-origin source `100.64.0.0/10`, §5.2.2).

use crate::cloud::nlb::tests::{perr, pok, s, sg};
use crate::cloud::packet::Protocol;
use crate::cloud::privatelink::tests::{ecs_at, vpc};
use crate::cloud::reach::hop::NodeType;
use crate::cloud::reach::{analyze, Code, Probe, Source, Target, Verdict};
use crate::cloud::tests::{world, A, B};
use crate::cloud::World;
use serde_json::json;

const R: &str = "cn-hangzhou";
const G: &str = "cn-hangzhou-g";
const K: &str = "cn-hangzhou-k";
const PL: &str = "Privatelink";

struct AlbWorld {
    vpc1: String,
    vsw1: Vec<String>,
    sg1: String,
    sg2: String,
    client: String,
    backends: Vec<String>,
    alb: String,
    group: String,
}

/// S2's two VPCs and four instances, with an internal ALB (zones g, k) in VPC2 forwarding
/// HTTP/80 to ECS03 and ECS04 (an `Instance` server group); the backends' group admits tcp/80
/// from `backend_cidr`.
fn alb_world(backend_cidr: &str) -> (World, AlbWorld) {
    let mut w = world();
    let (vpc1, vsw1) = vpc(
        &mut w,
        A,
        "10.0.0.0/8",
        &[(G, "10.0.23.0/24"), (K, "10.0.24.0/24")],
    );
    let (vpc2, vsw2) = vpc(
        &mut w,
        A,
        "192.168.0.0/16",
        &[(G, "192.168.2.0/24"), (K, "192.168.4.0/24")],
    );
    let sg1 = sg(&mut w, A, &vpc1, Some(("80/80", "10.0.0.0/8")));
    let sg2 = sg(&mut w, A, &vpc2, Some(("80/80", backend_cidr)));
    let client = ecs_at(&mut w, A, &vsw1[0], &sg1, "10.0.23.68", "");
    let backends = vec![
        ecs_at(&mut w, A, &vsw2[0], &sg2, "192.168.2.190", "tcp/80"),
        ecs_at(&mut w, A, &vsw2[1], &sg2, "192.168.4.20", "tcp/80"),
    ];
    let alb = s(
        &pok(
            &mut w,
            A,
            "Alb",
            "CreateLoadBalancer",
            json!({"RegionId": R, "VpcId": vpc2, "AddressType": "Intranet",
                   "LoadBalancerEdition": "Standard", "LoadBalancerBillingConfig.PayType": "PostPay",
                   "ZoneMappings.1.ZoneId": G, "ZoneMappings.1.VSwitchId": vsw2[0],
                   "ZoneMappings.2.ZoneId": K, "ZoneMappings.2.VSwitchId": vsw2[1]}),
        ),
        "LoadBalancerId",
    );
    let group = s(
        &pok(
            &mut w,
            A,
            "Alb",
            "CreateServerGroup",
            json!({"RegionId": R, "ServerGroupName": "web", "ServerGroupType": "Instance",
                   "VpcId": vpc2, "Protocol": "HTTP", "HealthCheckConfig.HealthCheckEnabled": true}),
        ),
        "ServerGroupId",
    );
    pok(
        &mut w,
        A,
        "Alb",
        "AddServersToServerGroup",
        json!({"RegionId": R, "ServerGroupId": group,
               "Servers.1.ServerId": backends[0], "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80,
               "Servers.2.ServerId": backends[1], "Servers.2.ServerType": "Ecs", "Servers.2.Port": 80}),
    );
    pok(
        &mut w,
        A,
        "Alb",
        "CreateListener",
        json!({"RegionId": R, "LoadBalancerId": alb, "ListenerProtocol": "HTTP", "ListenerPort": 80,
               "DefaultActions.1.Type": "ForwardGroup",
               "DefaultActions.1.ForwardGroupConfig.ServerGroupTuples.1.ServerGroupId": group}),
    );
    (
        w,
        AlbWorld {
            vpc1,
            vsw1,
            sg1,
            sg2,
            client,
            backends,
            alb,
            group,
        },
    )
}

/// An `alb` service over both ALB zones (no `ZoneId`: one row per ALB zone) and a connected
/// two-zone endpoint in VPC1: `(service, endpoint)`.
fn service_and_endpoint(w: &mut World, x: &AlbWorld) -> (String, String) {
    let svc = pok(
        w,
        A,
        PL,
        "CreateVpcEndpointService",
        json!({"RegionId": R, "ServiceResourceType": "alb", "AutoAcceptEnabled": true,
               "Resource.1.ResourceType": "alb", "Resource.1.ResourceId": x.alb}),
    );
    let epsrv = s(&svc, "ServiceId");
    let ep = pok(
        w,
        A,
        PL,
        "CreateVpcEndpoint",
        json!({"RegionId": R, "VpcId": x.vpc1, "ServiceId": epsrv, "SecurityGroupId.1": x.sg1,
               "Zone.1.ZoneId": G, "Zone.1.VSwitchId": x.vsw1[0], "Zone.1.ip": "10.0.23.10",
               "Zone.2.ZoneId": K, "Zone.2.VSwitchId": x.vsw1[1], "Zone.2.ip": "10.0.24.10"}),
    );
    assert_eq!(ep["ConnectionStatus"], "Connected");
    // §4.7: no default connection limit for an ALB service
    assert_eq!(ep["Bandwidth"], serde_json::Value::Null);
    (epsrv, s(&ep, "EndpointId"))
}

fn reach(w: &World, from: &str, to: Target) -> Verdict {
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
            target_port: Some(80),
        },
    )
    .expect("valid probe")
}

#[test]
fn an_alb_service_has_one_row_per_alb_zone_and_allocates_by_zone() {
    let (mut w, x) = alb_world("0.0.0.0/0");
    let (epsrv, ep) = service_and_endpoint(&mut w, &x);
    let rows = pok(
        &mut w,
        A,
        PL,
        "ListVpcEndpointServiceResources",
        json!({"RegionId": R, "ServiceId": epsrv}),
    );
    let rows = rows["Resources"].as_array().unwrap().clone();
    let got: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                s(r, "ResourceId"),
                s(r, "ResourceType"),
                s(r, "ZoneId"),
                s(r, "Ip"),
            )
        })
        .collect();
    let lb = &w.alb.load_balancers[&x.alb];
    let want: Vec<(String, String, String, String)> = lb
        .zones
        .iter()
        .map(|z| {
            (
                x.alb.clone(),
                "alb".to_string(),
                z.zone_id.clone(),
                z.address.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // each endpoint zone got the ALB row of its own zone (§4.5 rule 2)
    let e = &w.privatelink.endpoints[&ep];
    let alloc: Vec<_> = e
        .zones
        .iter()
        .map(|z| z.resource_id.clone().unwrap_or_default())
        .collect();
    assert_eq!(alloc, [format!("{}|{G}", x.alb), format!("{}|{K}", x.alb)]);
}

#[test]
fn endpoint_to_alb_to_backends_and_back() {
    let (mut w, x) = alb_world("0.0.0.0/0");
    let (_, ep) = service_and_endpoint(&mut w, &x);
    let v = reach(
        &w,
        &x.client,
        Target::Endpoint {
            endpoint_id: ep.clone(),
        },
    );
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(v.candidates.len(), 2);
    let lb = &w.alb.load_balancers[&x.alb];
    for (c, z) in v.candidates.iter().zip(&lb.zones) {
        assert!(c.reachable, "{c:?}");
        // ALB is always cross-zone: both backends serve both zones, and each sees the
        // back-to-origin address of the entry zone (§5.2.2, §8.3.6 P8)
        let ok: Vec<_> = c.backends.iter().filter(|b| b.ok).collect();
        assert_eq!(ok.len(), 2, "{c:?}");
        for b in ok {
            assert_eq!(b.source, z.back_to_origin);
        }
    }
    let kinds: Vec<&str> = v.forward.iter().map(|h| h.node_type.as_str()).collect();
    assert_eq!(
        kinds,
        ["VM", "ENI", "VSW", "ENI", "EP", "EPSRV", "ALB", "LSN", "SGP", "VSW", "ENI", "VM"]
    );
    let alb = v
        .forward
        .iter()
        .find(|h| h.node_type == NodeType::Alb)
        .unwrap();
    assert_eq!(alb.ip, Some(lb.zones[0].address));
    // the endpoint domain reaches the same place
    let name = w.privatelink.endpoints[&ep].domain();
    let v = reach(&w, &x.client, Target::Domain { name });
    assert!(v.reachable, "{:?}", v.findings);
}

#[test]
fn backends_that_refuse_the_back_to_origin_range_are_unhealthy_through_the_endpoint() {
    // tcp/80 admitted from the consumer range only: the ALB's 100.64.x.x source is dropped
    let (mut w, x) = alb_world("10.0.0.0/8");
    let (_, ep) = service_and_endpoint(&mut w, &x);
    let v = reach(&w, &x.client, Target::Endpoint { endpoint_id: ep });
    assert!(!v.reachable);
    assert_eq!(
        v.first_error().map(|f| f.code),
        Some(Code::LbBackendUnhealthy)
    );
    let b = &v.candidates[0].backends[0];
    assert_eq!(b.cause, Some(Code::SgIngressDeny));
    // the ALB's own health report says the same (§5.1.4 model, reused by ALB)
    let g = &w.alb.server_groups[&x.group];
    let srv = &g.servers[0];
    assert_eq!(
        crate::cloud::reach::segment::alb::server_health(&w, g, srv),
        ("Unhealthy", "CONNECT_TIMEOUT")
    );
    // admitting the back-to-origin range fixes both
    pok(
        &mut w,
        A,
        "Ecs",
        "AuthorizeSecurityGroup",
        json!({"RegionId": R, "SecurityGroupId": x.sg2, "Permissions.1.IpProtocol": "TCP",
               "Permissions.1.PortRange": "80/80", "Permissions.1.SourceCidrIp": "100.64.0.0/10",
               "Permissions.1.Policy": "accept", "Permissions.1.Priority": "1"}),
    );
    let ep = w.privatelink.endpoints.keys().next().unwrap().clone();
    let v = reach(&w, &x.client, Target::Endpoint { endpoint_id: ep });
    assert!(v.reachable, "{:?}", v.findings);
    let g = &w.alb.server_groups[&x.group];
    assert_eq!(
        crate::cloud::reach::segment::alb::server_health(&w, g, &g.servers[0]),
        ("Healthy", "")
    );
}

#[test]
fn alb_resource_checks_and_errors() {
    let (mut w, x) = alb_world("0.0.0.0/0");
    let create = |id: &str, zone: Option<&str>, ip: Option<&str>| {
        let mut p = json!({"RegionId": R, "ServiceResourceType": "alb",
            "Resource.1.ResourceType": "alb", "Resource.1.ResourceId": id});
        if let Some(z) = zone {
            p["Resource.1.ZoneId"] = json!(z);
        }
        if let Some(v) = ip {
            p["AddressIpVersion"] = json!(v);
        }
        p
    };
    // unknown ALB, and another account's ALB: AlbNotFound
    let code = perr(
        &mut w,
        A,
        PL,
        "CreateVpcEndpointService",
        create("alb-nosuch00000000", None, None),
    );
    assert_eq!(code, "AlbNotFound");
    let code = perr(
        &mut w,
        B,
        PL,
        "CreateVpcEndpointService",
        create(&x.alb, None, None),
    );
    assert_eq!(code, "AlbNotFound");
    // a zone the ALB does not span
    let code = perr(
        &mut w,
        A,
        PL,
        "CreateVpcEndpointService",
        create(&x.alb, Some("cn-hangzhou-h"), None),
    );
    assert_eq!(code, "EndpointServiceNotSupportedZone");
    // an IPv4 ALB under a dual-stack service
    let code = perr(
        &mut w,
        A,
        PL,
        "CreateVpcEndpointService",
        create(&x.alb, None, Some("DualStack")),
    );
    assert_eq!(code, "EndpointServiceNotSupportIpv6");
    // an NLB-typed resource in an ALB service
    let code = perr(
        &mut w,
        A,
        PL,
        "CreateVpcEndpointService",
        json!({"RegionId": R, "ServiceResourceType": "alb",
               "Resource.1.ResourceType": "nlb", "Resource.1.ResourceId": x.alb}),
    );
    assert_eq!(code, "Mismatch.ResourceType");
    // one zone first, then the other attached; twice is refused
    let svc = pok(
        &mut w,
        A,
        PL,
        "CreateVpcEndpointService",
        create(&x.alb, Some(G), None),
    );
    let epsrv = s(&svc, "ServiceId");
    let attach = json!({"RegionId": R, "ServiceId": epsrv, "ResourceType": "alb",
                        "ResourceId": x.alb, "ZoneId": K});
    pok(
        &mut w,
        A,
        PL,
        "AttachResourceToVpcEndpointService",
        attach.clone(),
    );
    let code = perr(&mut w, A, PL, "AttachResourceToVpcEndpointService", attach);
    assert_eq!(code, "EndpointServiceResourceExist");
    assert_eq!(w.privatelink.services[&epsrv].zones().len(), 2);
    // an ALB that backs a service cannot be deleted (ASSUMED code, as NLB's)
    let code = perr(
        &mut w,
        A,
        "Alb",
        "DeleteLoadBalancer",
        json!({"RegionId": R, "LoadBalancerId": x.alb}),
    );
    assert_eq!(code, "ResourceInUse.LoadBalancer");
    // an ALB service with two zones may serve another region (§4.6: upgraded ALB)
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": epsrv, "AddSupportedRegionSet.1": "cn-shanghai"}),
    );
    // detached, the ALB can go
    pok(
        &mut w,
        A,
        PL,
        "DetachResourceFromVpcEndpointService",
        json!({"RegionId": R, "ServiceId": epsrv, "ResourceType": "alb", "ResourceId": x.alb}),
    );
    pok(
        &mut w,
        A,
        "Alb",
        "DeleteLoadBalancer",
        json!({"RegionId": R, "LoadBalancerId": x.alb}),
    );
    let _ = &x.backends;
}
