//! CLB: the §5.3 minimum, its errors, and PrivateLink eligibility.

use crate::cloud::nlb::tests::{instance, perr, pok, s, sg, vpc_with_zones};
use crate::cloud::tests::{world, A, B};
use serde_json::json;

const R: &str = "cn-hangzhou";

#[test]
fn intranet_clb_lifecycle_and_privatelink_eligibility() {
    let mut w = world();
    let (vpc, vsws) = vpc_with_zones(&mut w, A, "10.0.0.0/16");
    let lb = pok(
        &mut w,
        A,
        "Slb",
        "CreateLoadBalancer",
        json!({"RegionId": R, "VSwitchId": vsws[0], "LoadBalancerName": "clb1"}),
    );
    assert_eq!(
        (lb["AddressType"].as_str(), lb["Address"].as_str()),
        (Some("intranet"), Some("10.0.1.1"))
    );
    let id = s(&lb, "LoadBalancerId");
    assert!(id.starts_with("lb-"));
    pok(
        &mut w,
        A,
        "Slb",
        "CreateLoadBalancerTCPListener",
        json!({"RegionId": R, "LoadBalancerId": id, "ListenerPort": 80, "BackendServerPort": 8080}),
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Slb",
            "CreateLoadBalancerTCPListener",
            json!({"RegionId": R, "LoadBalancerId": id, "ListenerPort": 80})
        ),
        "ListenerAlreadyExists"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Slb",
            "StartLoadBalancerListener",
            json!({"RegionId": R, "LoadBalancerId": id, "ListenerPort": 81})
        ),
        "ListenerNotFound"
    );
    pok(
        &mut w,
        A,
        "Slb",
        "StartLoadBalancerListener",
        json!({"RegionId": R, "LoadBalancerId": id, "ListenerPort": 80}),
    );
    assert_eq!(w.clb.load_balancers[&id].listeners[&80].status, "running");
    let g = sg(&mut w, A, &vpc, Some(("8080/8080", "10.0.0.0/16")));
    let i = instance(&mut w, A, &vsws[0], &g, "tcp/8080");
    let servers = format!("[{{\"ServerId\":\"{i}\",\"Weight\":\"50\"}}]");
    let r = pok(
        &mut w,
        A,
        "Slb",
        "AddBackendServers",
        json!({"RegionId": R, "LoadBalancerId": id, "BackendServers": servers}),
    );
    assert_eq!(r["BackendServers"]["BackendServer"][0]["Weight"], 50);
    for (bs, code) in [
        ("not json", "InvalidParameter.BackendServers"),
        (
            "[{\"ServerId\":\"i-nope1234567\"}]",
            "InvalidBackendServer.NotExist",
        ),
    ] {
        assert_eq!(
            perr(
                &mut w,
                A,
                "Slb",
                "AddBackendServers",
                json!({"RegionId": R, "LoadBalancerId": id, "BackendServers": bs})
            ),
            code
        );
    }
    let d = pok(
        &mut w,
        A,
        "Slb",
        "DescribeLoadBalancers",
        json!({"RegionId": R}),
    );
    assert_eq!(d["TotalCount"], 1);
    assert_eq!(
        d["LoadBalancers"]["LoadBalancer"][0]["ListenerPorts"],
        json!([80])
    );
    assert_eq!(
        pok(
            &mut w,
            B,
            "Slb",
            "DescribeLoadBalancers",
            json!({"RegionId": R})
        )["TotalCount"],
        0
    );
    // PrivateLink: an intranet pay-as-you-go CLB in a VPC is eligible, one row in its master zone.
    let svc = pok(
        &mut w,
        A,
        "Privatelink",
        "CreateVpcEndpointService",
        json!({"RegionId": R, "Resource.1.ResourceType": "slb", "Resource.1.ResourceId": id}),
    );
    let svc = s(&svc, "ServiceId");
    let attr = pok(
        &mut w,
        A,
        "Privatelink",
        "GetVpcEndpointServiceAttribute",
        json!({"RegionId": R, "ServiceId": svc}),
    );
    assert_eq!(
        (
            attr["ServiceResourceType"].as_str(),
            attr["ConnectBandwidth"].as_u64()
        ),
        (Some("slb"), Some(3072))
    );
    assert_eq!(attr["Zones"], json!([format!("{R}-a")]));
    assert_eq!(
        perr(
            &mut w,
            A,
            "Privatelink",
            "CreateVpcEndpointService",
            json!({"RegionId": R, "AddressIpVersion": "DualStack", "Resource.1.ResourceType": "slb", "Resource.1.ResourceId": id})
        ),
        "EndpointServiceNotSupportIpv6"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Privatelink",
            "CreateVpcEndpointService",
            json!({"RegionId": R, "SupportedRegionList.1": "cn-shanghai", "Resource.1.ResourceType": "slb", "Resource.1.ResourceId": id})
        ),
        "IllegalParam.SupportedRegionList"
    );
    assert_eq!(
        perr(
            &mut w,
            A,
            "Slb",
            "DeleteLoadBalancer",
            json!({"RegionId": R, "LoadBalancerId": id})
        ),
        "ResourceInUse.LoadBalancer"
    );
    pok(
        &mut w,
        A,
        "Privatelink",
        "DetachResourceFromVpcEndpointService",
        json!({"RegionId": R, "ServiceId": svc, "ResourceId": id}),
    );
    pok(
        &mut w,
        A,
        "Slb",
        "DeleteLoadBalancer",
        json!({"RegionId": R, "LoadBalancerId": id}),
    );
    assert!(!w.ecs.addresses.is_used(&vpc, "10.0.1.1".parse().unwrap()));
}

#[test]
fn ineligible_clbs_are_refused_by_privatelink() {
    let mut w = world();
    let (_vpc, vsws) = vpc_with_zones(&mut w, A, "10.0.0.0/16");
    let prepay = s(
        &pok(
            &mut w,
            A,
            "Slb",
            "CreateLoadBalancer",
            json!({"RegionId": R, "VSwitchId": vsws[0], "PayType": "PrePay"}),
        ),
        "LoadBalancerId",
    );
    let public = pok(
        &mut w,
        A,
        "Slb",
        "CreateLoadBalancer",
        json!({"RegionId": R, "AddressType": "internet"}),
    );
    assert_eq!(public["Address"], "198.51.100.1");
    let public = s(&public, "LoadBalancerId");
    for id in [prepay, public] {
        assert_eq!(
            perr(
                &mut w,
                A,
                "Privatelink",
                "CreateVpcEndpointService",
                json!({"RegionId": R, "Resource.1.ResourceType": "slb", "Resource.1.ResourceId": id})
            ),
            "LoadBalancerNotSupportPrivateLink"
        );
    }
    for (p, code) in [
        (
            json!({"RegionId": R, "VSwitchId": "vsw-nope1234567"}),
            "InvalidVSwitchId.NotExist",
        ),
        (
            json!({"RegionId": R, "VSwitchId": vsws[0], "Address": "10.0.1.1"}),
            "InvalidIpAddress.AlreadyUsed",
        ),
        (
            json!({"RegionId": R, "VSwitchId": vsws[0], "Address": "10.9.9.9"}),
            "InvalidParameter.Address",
        ),
        (
            json!({"RegionId": R, "AddressType": "intranet"}),
            "MissingParameter.VSwitchId",
        ),
        (
            json!({"RegionId": R, "PayType": "Free"}),
            "InvalidParameter.PayType",
        ),
    ] {
        assert_eq!(
            perr(&mut w, A, "Slb", "CreateLoadBalancer", p.clone()),
            code,
            "{p}"
        );
    }
    assert_eq!(
        perr(
            &mut w,
            A,
            "Slb",
            "DeleteLoadBalancer",
            json!({"RegionId": R, "LoadBalancerId": "lb-nope1234567"})
        ),
        "InvalidLoadBalancerId.NotFound"
    );
}

/// DescribeHealthStatus answers from the reach analyzer's health probe (from the VIP), and
/// reach through PrivateLink to a CLB agrees with it.
#[test]
fn clb_health_and_reach_through_privatelink() {
    use crate::cloud::packet::Protocol;
    use crate::cloud::reach::{analyze, Code, Probe, Source, Target};
    let mut w = world();
    let (vpc, vsws) = vpc_with_zones(&mut w, A, "10.0.0.0/16");
    let g = sg(&mut w, A, &vpc, Some(("8080/8080", "10.0.0.0/16")));
    let web = instance(&mut w, A, &vsws[0], &g, "tcp/8080");
    let idle = instance(&mut w, A, &vsws[0], &g, "");
    let lb = s(
        &pok(
            &mut w,
            A,
            "Slb",
            "CreateLoadBalancer",
            json!({"RegionId": R, "VSwitchId": vsws[0], "LoadBalancerName": "clb1"}),
        ),
        "LoadBalancerId",
    );
    let at = json!({"RegionId": R, "LoadBalancerId": lb, "ListenerPort": 80});
    let mut listener = at.clone();
    listener["BackendServerPort"] = json!(8080);
    pok(&mut w, A, "Slb", "CreateLoadBalancerTCPListener", listener);
    pok(
        &mut w,
        A,
        "Slb",
        "AddBackendServers",
        json!({"RegionId": R, "LoadBalancerId": lb,
               "BackendServers": format!("[{{\"ServerId\":\"{web}\"}},{{\"ServerId\":\"{idle}\"}}]")}),
    );
    let status = |w: &mut crate::cloud::World| -> Vec<(String, String)> {
        let h = pok(
            w,
            A,
            "Slb",
            "DescribeHealthStatus",
            json!({"RegionId": R, "LoadBalancerId": lb}),
        );
        h["BackendServers"]["BackendServer"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (s(b, "ServerId"), s(b, "ServerHealthStatus")))
            .collect()
    };
    // A stopped listener checks nothing.
    assert_eq!(
        status(&mut w),
        vec![
            (web.clone(), "unavailable".to_string()),
            (idle.clone(), "unavailable".to_string())
        ]
    );
    pok(&mut w, A, "Slb", "StartLoadBalancerListener", at);
    assert_eq!(
        status(&mut w),
        vec![
            (web.clone(), "normal".to_string()),
            (idle.clone(), "abnormal".to_string())
        ]
    );
    // Reach to the CLB from an instance of the VPC: the backend sees the VIP; the healthy
    // backend carries it, the idle one is LB_BACKEND_UNHEALTHY (nothing listens).
    let client = instance(&mut w, A, &vsws[1], &g, "");
    let v = analyze(
        &w,
        &Probe {
            source: Source::Ecs {
                instance_id: client,
                source_ip: None,
            },
            target: Target::LoadBalancer {
                load_balancer_id: lb.clone(),
            },
            protocol: Protocol::Tcp,
            source_port: None,
            target_port: Some(80),
        },
    )
    .unwrap();
    let b = &v.candidates[0].backends;
    assert_eq!(b[0].server_id, web);
    assert!(b[0].ok, "{:?}", v.findings);
    assert_eq!(b[0].source, w.clb.load_balancers[&lb].address);
    assert_eq!(
        (b[1].code, b[1].cause),
        (Some(Code::LbBackendUnhealthy), Some(Code::AppNotListening))
    );
    assert!(v.reachable);
    assert_eq!(
        perr(
            &mut w,
            B,
            "Slb",
            "DescribeHealthStatus",
            json!({"RegionId": R, "LoadBalancerId": lb})
        ),
        "InvalidLoadBalancerId.NotFound"
    );
}
