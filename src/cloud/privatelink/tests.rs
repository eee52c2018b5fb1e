//! PrivateLink: §11.2 scenario S2 (steps 1–11 and the negative/lifecycle checks that need no
//! reachability), the whitelist and auto-accept matrix of §4.4, and byte-identical state after
//! every failure.

use crate::cloud::ecs::instance::{run_instances, RunInstances, TagParam};
use crate::cloud::ecs::{NetRefs, OpCtx};
use crate::cloud::nlb::tests::{perr, pok, s, sg};
use crate::cloud::tests::{world, A, B};
use crate::cloud::World;
use serde_json::{json, Value};

const R: &str = "cn-hangzhou";
const G: &str = "cn-hangzhou-g";
const K: &str = "cn-hangzhou-k";
const PL: &str = "Privatelink";

/// An instance at a fixed address.
pub(crate) fn ecs_at(
    w: &mut World,
    uid: &str,
    vsw: &str,
    sg: &str,
    ip: &str,
    listening: &str,
) -> String {
    let c = OpCtx::new(uid, R, w.now());
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    let out = run_instances(
        &mut w.ecs,
        &net,
        &mut w.ids,
        &c,
        &RunInstances {
            vswitch_id: Some(vsw.into()),
            security_group_ids: vec![sg.into()],
            private_ip_address: Some(ip.into()),
            tags: vec![TagParam {
                key: Some("ramsim:listening".into()),
                value: Some(listening.into()),
            }],
            ..Default::default()
        },
    )
    .unwrap();
    out.instance_ids[0].clone()
}

pub(crate) fn vpc(
    w: &mut World,
    uid: &str,
    cidr: &str,
    vsws: &[(&str, &str)],
) -> (String, Vec<String>) {
    let v = s(
        &pok(
            w,
            uid,
            "Vpc",
            "CreateVpc",
            json!({"RegionId": R, "CidrBlock": cidr}),
        ),
        "VpcId",
    );
    let ids = vsws
        .iter()
        .map(|(z, c)| {
            s(
                &pok(
                    w,
                    uid,
                    "Vpc",
                    "CreateVSwitch",
                    json!({"RegionId": R, "VpcId": v, "ZoneId": z, "CidrBlock": c}),
                ),
                "VSwitchId",
            )
        })
        .collect();
    (v, ids)
}

/// The S2 world after step 11.
pub(crate) struct S2 {
    pub vpc1: String,
    pub vsw: Vec<String>,
    pub sg1: String,
    pub nlb: String,
    pub listener: String,
    pub ecs: Vec<String>,
    pub epsrv: String,
    pub ep: String,
}

/// §11.2 S2 steps 1–11 (asserting each step's expected values).
pub(crate) fn s2() -> (World, S2) {
    let mut w = world();
    // 1
    let (vpc1, v1) = vpc(
        &mut w,
        A,
        "10.0.0.0/8",
        &[(G, "10.0.23.0/24"), (K, "10.0.24.0/24")],
    );
    let (vpc2, v2) = vpc(
        &mut w,
        A,
        "192.168.0.0/16",
        &[(G, "192.168.2.0/24"), (K, "192.168.4.0/24")],
    );
    // 2, 3
    let sg1 = sg(&mut w, A, &vpc1, Some(("80/80", "10.0.0.0/8")));
    let sg2 = sg(&mut w, A, &vpc2, Some(("80/80", "0.0.0.0/0")));
    // 4
    let ecs = vec![
        ecs_at(&mut w, A, &v1[0], &sg1, "10.0.23.68", ""),
        ecs_at(&mut w, A, &v1[1], &sg1, "10.0.24.227", ""),
        ecs_at(&mut w, A, &v2[0], &sg2, "192.168.2.190", "tcp/80"),
        ecs_at(&mut w, A, &v2[1], &sg2, "192.168.4.20", "tcp/80"),
    ];
    // 5
    let nlb = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateLoadBalancer",
            json!({"RegionId": R, "LoadBalancerType": "network", "LoadBalancerName": "NLB1",
                   "AddressType": "Intranet", "VpcId": vpc2,
                   "ZoneMappings.1.ZoneId": G, "ZoneMappings.1.VSwitchId": v2[0],
                   "ZoneMappings.2.ZoneId": K, "ZoneMappings.2.VSwitchId": v2[1],
                   "LoadBalancerBillingConfig.PayType": "PostPay"}),
        ),
        "LoadbalancerId",
    );
    let attr = pok(
        &mut w,
        A,
        "Nlb",
        "GetLoadBalancerAttribute",
        json!({"RegionId": R, "LoadBalancerId": nlb}),
    );
    assert_eq!(attr["LoadBalancerStatus"], "Active");
    let addr = |i: usize| attr["ZoneMappings"][i]["LoadBalancerAddresses"][0].clone();
    assert_eq!(addr(0)["PrivateIPv4Address"], "192.168.2.1");
    assert_eq!(
        addr(0)["Ipv4LocalAddresses"],
        json!(["192.168.2.2", "192.168.2.3"])
    );
    assert_eq!(addr(1)["PrivateIPv4Address"], "192.168.4.1");
    assert_eq!(
        addr(1)["Ipv4LocalAddresses"],
        json!(["192.168.4.2", "192.168.4.3"])
    );
    // 6
    let rs1 = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateServerGroup",
            json!({"RegionId": R, "ServerGroupName": "RS1", "ServerGroupType": "Instance",
                   "Protocol": "TCP", "VpcId": vpc2}),
        ),
        "ServerGroupId",
    );
    // 7
    pok(
        &mut w,
        A,
        "Nlb",
        "AddServersToServerGroup",
        json!({"RegionId": R, "ServerGroupId": rs1,
               "Servers.1.ServerId": ecs[2], "Servers.1.ServerType": "Ecs", "Servers.1.Port": 80, "Servers.1.Weight": 100,
               "Servers.2.ServerId": ecs[3], "Servers.2.ServerType": "Ecs", "Servers.2.Port": 80, "Servers.2.Weight": 100}),
    );
    // 8
    let listener = s(
        &pok(
            &mut w,
            A,
            "Nlb",
            "CreateListener",
            json!({"RegionId": R, "LoadBalancerId": nlb, "ListenerProtocol": "TCP",
                   "ListenerPort": 80, "ServerGroupId": rs1}),
        ),
        "ListenerId",
    );
    // 9
    let h = pok(
        &mut w,
        A,
        "Nlb",
        "GetListenerHealthStatus",
        json!({"RegionId": R, "ListenerId": listener}),
    );
    assert_eq!(h["TotalCount"], 0, "{h}");
    // 10
    let svc = pok(
        &mut w,
        A,
        PL,
        "CreateVpcEndpointService",
        json!({"RegionId": R, "ServiceResourceType": "nlb", "AutoAcceptEnabled": true,
               "Resource.1.ResourceType": "nlb", "Resource.1.ResourceId": nlb, "Resource.1.ZoneId": G,
               "Resource.2.ResourceType": "nlb", "Resource.2.ResourceId": nlb, "Resource.2.ZoneId": K}),
    );
    let epsrv = s(&svc, "ServiceId");
    assert_eq!(svc["ServiceStatus"], "Active");
    assert_eq!(
        svc["ServiceName"],
        format!("com.aliyuncs.privatelink.{R}.{epsrv}")
    );
    let users = pok(
        &mut w,
        A,
        PL,
        "ListVpcEndpointServiceUsers",
        json!({"RegionId": R, "ServiceId": epsrv}),
    );
    assert_eq!(users["Users"], json!([{"UserId": A}]));
    let attr = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": epsrv}),
    );
    assert_eq!(attr["Zones"], json!([G, K]));
    // 11
    let ep = pok(
        &mut w,
        A,
        PL,
        "CreateVpcEndpoint",
        json!({"RegionId": R, "VpcId": vpc1, "ServiceId": epsrv, "SecurityGroupId.1": sg1,
               "Zone.1.ZoneId": G, "Zone.1.VSwitchId": v1[0], "Zone.1.ip": "10.0.23.10",
               "Zone.2.ZoneId": K, "Zone.2.VSwitchId": v1[1], "Zone.2.ip": "10.0.24.10"}),
    );
    assert_eq!(ep["EndpointStatus"], "Active");
    assert_eq!(ep["ConnectionStatus"], "Connected");
    assert_eq!(ep["Bandwidth"], Value::Null);
    let ep = s(&ep, "EndpointId");
    (
        w,
        S2 {
            vpc1,
            vsw: v1,
            sg1,
            nlb,
            listener,
            ecs,
            epsrv,
            ep,
        },
    )
}

fn zones(w: &mut World, uid: &str, ep: &str) -> Vec<(String, String, String, String)> {
    let z = pok(
        w,
        uid,
        PL,
        "ListVpcEndpointZones",
        json!({"RegionId": R, "EndpointId": ep}),
    );
    z["Zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| {
            (
                s(z, "ZoneId"),
                s(z, "ZoneStatus"),
                s(z, "EniIp"),
                s(z, "ResourceId"),
            )
        })
        .collect()
}

#[test]
fn s2_steps_1_to_11() {
    let (mut w, x) = s2();
    let nlb = &x.nlb;
    assert_eq!(
        zones(&mut w, A, &x.ep),
        vec![
            (
                G.into(),
                "Connected".into(),
                "10.0.23.10".into(),
                nlb.clone()
            ),
            (
                K.into(),
                "Connected".into(),
                "10.0.24.10".into(),
                nlb.clone()
            ),
        ]
    );
    // The zone ENIs are service-managed, in the consumer vSwitches, with the endpoint's SG.
    let e = &w.privatelink.endpoints[&x.ep];
    for z in &e.zones {
        let eni = &w.ecs.enis[z.eni_id.as_str()];
        assert!(eni.service_managed);
        assert_eq!(eni.vpc_id, x.vpc1);
        assert_eq!(eni.security_group_ids, vec![x.sg1.clone()]);
        assert_eq!(eni.private_ip, z.eni_ip);
    }
    let attr = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": R, "EndpointId": x.ep}),
    );
    assert_eq!(
        attr["EndpointDomain"],
        format!("{}.{}.{R}.privatelink.aliyuncs.com", x.ep, x.epsrv)
    );
    assert_eq!(attr["ResourceOwner"], true);
    // Final state of §11.2: RelatedEndpointCount 1 on each row.
    let res = pok(
        &mut w,
        A,
        PL,
        "ListVpcEndpointServiceResources",
        json!({"RegionId": R, "ServiceId": x.epsrv}),
    );
    let counts: Vec<u64> = res["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RelatedEndpointCount"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![1, 1]);
    let conns = pok(
        &mut w,
        A,
        PL,
        "ListVpcEndpointConnections",
        json!({"RegionId": R, "ServiceId": x.epsrv}),
    );
    assert_eq!(conns["Connections"][0]["ConnectionStatus"], "Connected");
    // An address taken by the endpoint is refused to the next one.
    let _ = (&x.listener, &x.ecs, &x.vsw);
}

#[test]
fn s2_negative_checks() {
    let (mut w, x) = s2();
    // N1: a zone the service does not serve.
    let vj = s(
        &pok(
            &mut w,
            A,
            "Vpc",
            "CreateVSwitch",
            json!({"RegionId": R, "VpcId": x.vpc1, "ZoneId": "cn-hangzhou-j", "CidrBlock": "10.0.30.0/24"}),
        ),
        "VSwitchId",
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "AddZoneToVpcEndpoint",
            json!({"RegionId": R, "EndpointId": x.ep, "ZoneId": "cn-hangzhou-j", "VSwitchId": vj})
        ),
        "EndpointServiceNotSupportedZone"
    );
    // N4: the zone connection of g goes down, k stays.
    pok(
        &mut w,
        A,
        PL,
        "DisableVpcEndpointZoneConnection",
        json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "ZoneId": G}),
    );
    let z = zones(&mut w, A, &x.ep);
    assert_eq!(
        (z[0].1.as_str(), z[1].1.as_str()),
        ("Disconnected", "Connected")
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "DisableVpcEndpointZoneConnection",
            json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "ZoneId": G})
        ),
        "IncorrectStatus.VpcEndpointZone"
    );
    pok(
        &mut w,
        A,
        PL,
        "EnableVpcEndpointZoneConnection",
        json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "ZoneId": G}),
    );
    assert_eq!(zones(&mut w, A, &x.ep)[0].1, "Connected");
    // N5, N6
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "DetachResourceFromVpcEndpointService",
            json!({"RegionId": R, "ServiceId": x.epsrv, "ResourceId": x.nlb, "ZoneId": K})
        ),
        "EndpointServiceResourceCannotRemove"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "DeleteVpcEndpointService",
            json!({"RegionId": R, "ServiceId": x.epsrv})
        ),
        "EndpointServiceConnectionDependence"
    );
    // N7
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "UpdateVpcEndpointServiceResourceAttribute",
            json!({"RegionId": R, "ServiceId": x.epsrv, "ResourceId": x.nlb, "ZoneId": G, "AutoAllocatedEnabled": false})
        ),
        "ResourceAutoAllocateViolation"
    );
    // N10
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "UpdateVpcEndpointConnectionAttribute",
            json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "Bandwidth": 60000})
        ),
        "IllegalParam.Bandwidth"
    );
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointConnectionAttribute",
        json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "Bandwidth": 1000}),
    );
    let a = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": R, "EndpointId": x.ep}),
    );
    assert_eq!(a["Bandwidth"], 1000);
    // The NLB cannot go while the service uses it.
    assert_eq!(
        perr(
            &mut w,
            A,
            "Nlb",
            "DeleteLoadBalancer",
            json!({"RegionId": R, "LoadBalancerId": x.nlb})
        ),
        "ResourceInUse.loadBalancer"
    );
}

#[test]
fn s2_n3_cross_account_whitelist_and_approval() {
    let (mut w, x) = s2();
    let (vpcb, vb) = vpc(
        &mut w,
        B,
        "10.0.0.0/8",
        &[(G, "10.0.23.0/24"), (K, "10.0.24.0/24")],
    );
    let sgb = sg(&mut w, B, &vpcb, Some(("80/80", "10.0.0.0/8")));
    let create = json!({"RegionId": R, "VpcId": vpcb, "ServiceId": x.epsrv, "SecurityGroupId.1": sgb,
        "Zone.1.ZoneId": G, "Zone.1.VSwitchId": vb[0], "Zone.2.ZoneId": K, "Zone.2.VSwitchId": vb[1]});
    // Not whitelisted: refused, nothing changes; nor can B discover the service.
    assert_eq!(
        perr(&mut w, B, PL, "CreateVpcEndpoint", create.clone()),
        "EndpointServiceNotAuthorized"
    );
    let found = pok(
        &mut w,
        B,
        PL,
        "ListVpcEndpointServicesByEndUser",
        json!({"RegionId": R}),
    );
    assert_eq!(found["TotalCount"], 0);
    // Whitelisted, auto-accept off.
    pok(
        &mut w,
        A,
        PL,
        "AddUserToVpcEndpointService",
        json!({"RegionId": R, "ServiceId": x.epsrv, "UserId": B}),
    );
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": x.epsrv, "AutoAcceptEnabled": false}),
    );
    let found = pok(
        &mut w,
        B,
        PL,
        "ListVpcEndpointServicesByEndUser",
        json!({"RegionId": R}),
    );
    assert_eq!(found["Services"][0]["ServiceId"], x.epsrv);
    let mut dry = create.clone();
    dry["DryRun"] = json!(true);
    assert_eq!(
        perr(&mut w, B, PL, "CreateVpcEndpoint", dry),
        "DryRunOperation"
    );
    let epb = pok(&mut w, B, PL, "CreateVpcEndpoint", create);
    assert_eq!(epb["ConnectionStatus"], "Disconnected");
    let epb = s(&epb, "EndpointId");
    let z = zones(&mut w, B, &epb);
    assert_eq!((z[0].1.as_str(), z[1].1.as_str()), ("Wait", "Wait"));
    // The overlapping consumer VPC got the lowest free addresses of its own vSwitches.
    assert_eq!(
        (z[0].2.as_str(), z[1].2.as_str()),
        ("10.0.23.1", "10.0.24.1")
    );
    // Only the provider may approve; B gets the provider-side not-found.
    assert_eq!(
        perr(
            &mut w,
            B,
            PL,
            "EnableVpcEndpointConnection",
            json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": epb})
        ),
        "EndpointServiceNotFound"
    );
    pok(
        &mut w,
        A,
        PL,
        "EnableVpcEndpointConnection",
        json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": epb}),
    );
    let a = pok(
        &mut w,
        B,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": R, "EndpointId": epb}),
    );
    assert_eq!(a["ConnectionStatus"], "Connected");
    assert_eq!(a["ResourceOwner"], false);
    // EP1 untouched by the auto-accept change.
    let a = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": R, "EndpointId": x.ep}),
    );
    assert_eq!(a["ConnectionStatus"], "Connected");
    // Two endpoint zones per service zone now.
    let res = pok(
        &mut w,
        A,
        PL,
        "ListVpcEndpointServiceResources",
        json!({"RegionId": R, "ServiceId": x.epsrv}),
    );
    assert_eq!(res["Resources"][0]["RelatedEndpointCount"], 2);
    // Removing B from the whitelist does not disconnect it (ASSUMED, §4.3.2).
    pok(
        &mut w,
        A,
        PL,
        "RemoveUserFromVpcEndpointService",
        json!({"RegionId": R, "ServiceId": x.epsrv, "UserARN": format!("acs:ram:*:{B}:*")}),
    );
    let a = pok(
        &mut w,
        B,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": R, "EndpointId": epb}),
    );
    assert_eq!(a["ConnectionStatus"], "Connected");
}

#[test]
fn s2_teardown() {
    let (mut w, x) = s2();
    let r = json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep});
    pok(&mut w, A, PL, "DisableVpcEndpointConnection", r.clone());
    assert_eq!(
        perr(&mut w, A, PL, "DisableVpcEndpointConnection", r),
        "EndpointConnectionOperationDenied"
    );
    for z in [G, K] {
        pok(
            &mut w,
            A,
            PL,
            "DetachResourceFromVpcEndpointService",
            json!({"RegionId": R, "ServiceId": x.epsrv, "ResourceId": x.nlb, "ZoneId": z}),
        );
    }
    pok(
        &mut w,
        A,
        PL,
        "DeleteVpcEndpointService",
        json!({"RegionId": R, "ServiceId": x.epsrv}),
    );
    let a = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": R, "EndpointId": x.ep}),
    );
    assert_eq!(a["ConnectionStatus"], "ServiceDeleted");
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "DeleteVpcEndpoint",
            json!({"RegionId": R, "EndpointId": x.ep})
        ),
        "EndpointDependenceViolation"
    );
    let enis_before = w.ecs.enis.len();
    for z in [G, K] {
        pok(
            &mut w,
            A,
            PL,
            "RemoveZoneFromVpcEndpoint",
            json!({"RegionId": R, "EndpointId": x.ep, "ZoneId": z}),
        );
    }
    assert_eq!(w.ecs.enis.len(), enis_before - 2);
    pok(
        &mut w,
        A,
        PL,
        "DeleteVpcEndpoint",
        json!({"RegionId": R, "EndpointId": x.ep}),
    );
    assert!(w.privatelink.is_empty());
    // The endpoint addresses are free again.
    assert!(!w
        .ecs
        .addresses
        .is_used(&x.vpc1, "10.0.23.10".parse().unwrap()));
    w.ecs.check_invariants().unwrap();
}

#[test]
fn create_vpc_endpoint_errors() {
    let (mut w, x) = s2();
    let base = json!({"RegionId": R, "VpcId": x.vpc1, "ServiceId": x.epsrv, "SecurityGroupId.1": x.sg1,
        "Zone.1.ZoneId": G, "Zone.1.VSwitchId": x.vsw[0]});
    let with = |m: Value| {
        let mut p = base.clone();
        for (k, v) in m.as_object().unwrap() {
            if v.is_null() {
                p.as_object_mut().unwrap().remove(k);
            } else {
                p[k] = v.clone();
            }
        }
        p
    };
    let cases = [
        (with(json!({"VpcId": "vpc-nope1234567"})), "VpcNotFound"),
        (
            with(json!({"ServiceId": "epsrv-nope1234567"})),
            "EndpointServiceNotFound",
        ),
        (
            with(json!({"SecurityGroupId.1": null})),
            "EndpointMustContainSecurityGroup",
        ),
        (
            with(json!({"SecurityGroupId.1": "sg-nope1234567"})),
            "SecurityGroupNotFound",
        ),
        (
            with(json!({"Zone.2.ZoneId": G, "Zone.2.VSwitchId": x.vsw[0]})),
            "EndpointZoneDuplicated",
        ),
        (
            with(json!({"Zone.1.VSwitchId": x.vsw[1]})),
            "VSwitchNotFound",
        ),
        (with(json!({"Zone.1.ip": "10.0.23.10"})), "EniIpUnavailable"),
        (with(json!({"Zone.1.ip": "10.0.99.1"})), "EniIpUnavailable"),
        (
            with(json!({"EndpointName": "9lives"})),
            "IllegalParam.EndpointName",
        ),
        (
            with(json!({"ServiceRegionId": "cn-shanghai"})),
            "EndpointServiceNotFound",
        ),
        (base.clone(), "EndpointDuplicated"),
    ];
    for (p, code) in cases {
        assert_eq!(
            perr(&mut w, A, PL, "CreateVpcEndpoint", p.clone()),
            code,
            "{p}"
        );
    }
    // A zone the service does not serve (same region).
    let vj = s(
        &pok(
            &mut w,
            A,
            "Vpc",
            "CreateVSwitch",
            json!({"RegionId": R, "VpcId": x.vpc1, "ZoneId": "cn-hangzhou-j", "CidrBlock": "10.0.30.0/24"}),
        ),
        "VSwitchId",
    );
    let (vpc3, _) = vpc(&mut w, A, "172.16.0.0/12", &[]);
    let _ = vpc3;
    let mut p = with(json!({"Zone.1.ZoneId": "cn-hangzhou-j", "Zone.1.VSwitchId": vj}));
    // another VPC endpoint would be a duplicate; use a fresh VPC for the zone check
    p["VpcId"] = json!(x.vpc1);
    assert_eq!(
        perr(&mut w, A, PL, "CreateVpcEndpoint", p),
        "EndpointServiceNotSupportedZone"
    );
}

#[test]
fn create_service_errors_and_whitelist_arguments() {
    let (mut w, x) = s2();
    let base = json!({"RegionId": R, "ServiceResourceType": "nlb",
        "Resource.1.ResourceType": "nlb", "Resource.1.ResourceId": x.nlb});
    let with = |m: Value| {
        let mut p = base.clone();
        for (k, v) in m.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    for (p, code) in [
        (
            with(json!({"Resource.1.ResourceId": "nlb-nope1234567"})),
            "LoadBalancerNotFound",
        ),
        (
            with(json!({"Resource.1.ResourceType": "alb"})),
            "Mismatch.ResourceType",
        ),
        (
            with(json!({"Resource.1.ZoneId": "cn-hangzhou-j"})),
            "EndpointServiceNotSupportedZone",
        ),
        (
            with(json!({"ServiceResourceType": "gwlb"})),
            "EndpointServiceResourceTypeNotSupport",
        ),
        (
            with(json!({"AddressIpVersion": "DualStack"})),
            "EndpointServiceNotSupportIpv6",
        ),
        (
            with(json!({"Resource.1.ZoneId": G, "SupportedRegionList.1": "cn-shanghai"})),
            "OperationDenied.InsufficientZonesForCrossRegion",
        ),
        (with(json!({"Payer": "Nobody"})), "IllegalParam.Payer"),
    ] {
        assert_eq!(
            perr(&mut w, A, PL, "CreateVpcEndpointService", p.clone()),
            code,
            "{p}"
        );
    }
    // Another account cannot use A's NLB.
    assert_eq!(
        perr(&mut w, B, PL, "CreateVpcEndpointService", base),
        "LoadBalancerNotFound"
    );
    let u = |m: Value| {
        let mut p = json!({"RegionId": R, "ServiceId": x.epsrv});
        for (k, v) in m.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    assert_eq!(
        perr(&mut w, A, PL, "AddUserToVpcEndpointService", u(json!({}))),
        "MissingParam.UserArn"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "AddUserToVpcEndpointService",
            u(json!({"UserId": B, "UserARN": format!("acs:ram:*:{A}:*")}))
        ),
        "Mismatch.UserIdAndUserArn"
    );
    assert_eq!(
        perr(
            &mut w,
            B,
            PL,
            "AddUserToVpcEndpointService",
            u(json!({"UserId": B}))
        ),
        "EndpointServiceNotFound"
    );
    // The wildcard opens the service to everyone.
    pok(
        &mut w,
        A,
        PL,
        "AddUserToVpcEndpointService",
        u(json!({"UserARN": "acs:ram:*:*:*"})),
    );
    let users = pok(&mut w, A, PL, "ListVpcEndpointServiceUsers", u(json!({})));
    assert_eq!(users["Users"], json!([{"UserId": "*"}, {"UserId": A}]));
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "UpdateVpcEndpointServiceAttribute",
            u(json!({"DeleteSupportedRegionSet.1": R}))
        ),
        "OperationDenied.HomeRegionCannotBeRemoved"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            "UpdateVpcEndpointServiceAttribute",
            u(json!({"ConnectBandwidth": 1000}))
        ),
        "UpdateBandWidthUnSupported"
    );
}

#[test]
fn cross_region_endpoint_round_robin_and_bandwidth() {
    let (mut w, x) = s2();
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": x.epsrv, "AddSupportedRegionSet.1": "cn-shanghai"}),
    );
    let sh = "cn-shanghai";
    let v = s(
        &pok(
            &mut w,
            A,
            "Vpc",
            "CreateVpc",
            json!({"RegionId": sh, "CidrBlock": "172.16.0.0/12"}),
        ),
        "VpcId",
    );
    let mut vs = Vec::new();
    for (z, c) in [
        ("cn-shanghai-a", "172.16.1.0/24"),
        ("cn-shanghai-b", "172.16.2.0/24"),
        ("cn-shanghai-c", "172.16.3.0/24"),
    ] {
        vs.push(s(
            &pok(
                &mut w,
                A,
                "Vpc",
                "CreateVSwitch",
                json!({"RegionId": sh, "VpcId": v, "ZoneId": z, "CidrBlock": c}),
            ),
            "VSwitchId",
        ));
    }
    let c = OpCtx::new(A, sh, w.now());
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    let g = crate::cloud::ecs::security_group::create_security_group(
        &mut w.ecs,
        &net,
        &mut w.ids,
        &c,
        &crate::cloud::ecs::security_group::CreateSecurityGroup {
            vpc_id: Some(v.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let p = json!({"RegionId": sh, "VpcId": v, "ServiceId": x.epsrv, "ServiceRegionId": R, "SecurityGroupId.1": g,
        "Zone.1.ZoneId": "cn-shanghai-a", "Zone.1.VSwitchId": vs[0],
        "Zone.2.ZoneId": "cn-shanghai-b", "Zone.2.VSwitchId": vs[1],
        "Zone.3.ZoneId": "cn-shanghai-c", "Zone.3.VSwitchId": vs[2]});
    let mut too_much = p.clone();
    too_much["CrossRegionBandwidth"] = json!(1001);
    assert_eq!(
        perr(&mut w, A, PL, "CreateVpcEndpoint", too_much),
        "IllegalParam.CrossRegionBandwidth"
    );
    let ep = pok(&mut w, A, PL, "CreateVpcEndpoint", p);
    let ep = s(&ep, "EndpointId");
    let a = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": sh, "EndpointId": ep}),
    );
    assert_eq!(
        (
            a["ServiceRegionId"].as_str(),
            a["CrossRegionBandwidth"].as_u64()
        ),
        (Some(R), Some(1000))
    );
    // Zones a, b, c map round-robin onto service zones g, k, g: rows g and k count 2 and 1
    // more (EP1 holds one of each).
    let e = &w.privatelink.endpoints[&ep];
    let rows: Vec<Option<&str>> = e.zones.iter().map(|z| z.resource_id.as_deref()).collect();
    let nlb = &x.nlb;
    let (rg, rk) = (format!("{nlb}|{G}"), format!("{nlb}|{K}"));
    assert_eq!(
        rows,
        vec![Some(rg.as_str()), Some(rk.as_str()), Some(rg.as_str())]
    );
    let r = pok(
        &mut w,
        A,
        PL,
        "ListVpcEndpointServiceResources",
        json!({"RegionId": R, "ServiceId": x.epsrv}),
    );
    let counts: Vec<(String, u64)> = r["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                s(x, "ZoneId"),
                x["RelatedEndpointCount"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert!(
        counts.contains(&(G.to_string(), 3)) && counts.contains(&(K.to_string(), 2)),
        "{counts:?}"
    );
    // Removing the remote region blocks new endpoints there.
    pok(
        &mut w,
        A,
        PL,
        "UpdateVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": x.epsrv, "DeleteSupportedRegionSet.1": sh}),
    );
    let a = pok(
        &mut w,
        A,
        PL,
        "GetVpcEndpointAttribute",
        json!({"RegionId": sh, "EndpointId": ep}),
    );
    assert_eq!(a["ConnectionStatus"], "Connected");
}

#[test]
fn zone_connection_resource_attribute_gate_cases_and_errors() {
    let (mut w, x) = s2();
    let call = |extra: Value| {
        let mut p = json!({"RegionId": R, "ServiceId": x.epsrv, "EndpointId": x.ep, "ZoneId": G});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    let graceful = call(
        json!({"ResourceReplaceMode": "Graceful", "ResourceType": "nlb", "ResourceId": x.nlb}),
    );
    let op = "UpdateVpcEndpointZoneConnectionResourceAttribute";
    // S2-N8: the feature gate is off by default, then NLB services cannot replace.
    let before = w.clone();
    assert_eq!(
        perr(&mut w, A, PL, op, graceful.clone()),
        "OperationDenied.FeatureNotEnabled"
    );
    w.accounts.get_mut(A).unwrap().svc_res_mgt_enabled = true;
    assert_eq!(
        perr(&mut w, A, PL, op, graceful),
        "EndpointServiceResourceTypeNotSupport"
    );
    assert_eq!(
        perr(&mut w, A, PL, op, call(json!({}))),
        "MissingParam.ResourceAllocateMode"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            op,
            call(
                json!({"ResourceAllocateMode": "Manual", "ResourceType": "nlb", "ResourceId": x.nlb})
            )
        ),
        "IllegalParam.ResourceAllocateMode",
        "only while the zone is disconnected"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            op,
            call(json!({"ZoneId": "cn-hangzhou-j", "ResourceAllocateMode": "Auto"}))
        ),
        "EndpointZoneNotFound"
    );
    let mut gated = before.clone();
    gated.accounts.get_mut(A).unwrap().svc_res_mgt_enabled = true;
    assert_eq!(w.privatelink, gated.privatelink, "failures change nothing");
    // Case A: disconnect zone g, choose the row manually, reconnect: the choice is used.
    pok(
        &mut w,
        A,
        PL,
        "DisableVpcEndpointZoneConnection",
        call(json!({})),
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            op,
            call(json!({"ResourceAllocateMode": "Manual"}))
        ),
        "MissingParam.ResourceId"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            PL,
            op,
            call(
                json!({"ResourceAllocateMode": "Manual", "ResourceType": "nlb", "ResourceId": "nlb-none"})
            )
        ),
        "EndpointServiceResourceNotFound"
    );
    pok(
        &mut w,
        A,
        PL,
        op,
        call(json!({"ResourceAllocateMode": "Manual", "ResourceType": "nlb", "ResourceId": x.nlb})),
    );
    let z = &w.privatelink.endpoints[&x.ep].zones[0];
    assert_eq!(
        z.manual_resource_id.as_deref(),
        Some(format!("{}|{G}", x.nlb).as_str())
    );
    pok(
        &mut w,
        A,
        PL,
        "EnableVpcEndpointZoneConnection",
        call(json!({})),
    );
    let z = &w.privatelink.endpoints[&x.ep].zones[0];
    assert_eq!(
        (z.status.as_str(), z.resource_id.clone()),
        ("Connected", Some(format!("{}|{G}", x.nlb)))
    );
    // Auto clears the choice (zone disconnected again first).
    pok(
        &mut w,
        A,
        PL,
        "DisableVpcEndpointZoneConnection",
        call(json!({})),
    );
    pok(
        &mut w,
        A,
        PL,
        op,
        call(json!({"ResourceAllocateMode": "Auto"})),
    );
    assert_eq!(
        w.privatelink.endpoints[&x.ep].zones[0].manual_resource_id,
        None
    );
}

#[test]
fn describe_regions_and_zones() {
    let mut w = world();
    let r = pok(&mut w, A, PL, "DescribeRegions", json!({"RegionId": R}));
    let regions = r["Regions"]["Region"].as_array().unwrap();
    let hz = regions
        .iter()
        .find(|x| x["RegionId"] == R)
        .expect("cn-hangzhou");
    assert_eq!(hz["RegionEndpoint"], "privatelink.cn-hangzhou.aliyuncs.com");
    assert!(regions.iter().all(
        |x| crate::cloud::region::region(x["RegionId"].as_str().unwrap())
            .is_some_and(|i| i.privatelink)
    ));
    let z = pok(&mut w, A, PL, "DescribeZones", json!({"RegionId": R}));
    let zones: Vec<String> = z["Zones"]["Zone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| s(x, "ZoneId"))
        .collect();
    assert!(
        zones.contains(&G.to_string()) && zones.contains(&K.to_string()),
        "{zones:?}"
    );
    assert_eq!(z["Zones"]["Zone"][0]["LocalName"], "Zone A");
}
