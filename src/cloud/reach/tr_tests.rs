//! Reachability through transit routers (§8.3.5, §8.4.5): the S3 network from ECS to ECS,
//! every `TR_*` code on the forward and the reply path, the fixes, auto-published routes.

use super::fix::suggest;
use super::fixture::Net;
use super::*;
use crate::cloud::cen::tests::{s3_base, s3_cen_steps, S3};
use crate::cloud::cen::{AttachStatus, CenStatus, TrType};
use crate::cloud::ecs::security_group::Permission;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::packet::{Direction, Protocol};
use crate::cloud::tests::{ok, A};
use serde_json::json;

/// The S3 network with ECS_C (172.16.0.10, VSW1) and ECS1 (192.168.7.100, VSW4, allowing
/// everything from 172.16.0.0/12).
struct TrNet {
    n: Net,
    s: S3Ids,
    c: String,
    e: String,
}

/// The ids of [`S3`] without its world.
#[allow(dead_code)]
struct S3Ids {
    vpc1: String,
    rt1: String,
    vsw1: String,
    vpc2: String,
    rt2: String,
    vsw4: String,
    cen: String,
    bwp: String,
    tr_cd: String,
    trt_cd: String,
    tr_hz: String,
    trt_hz: String,
}

fn split(s: S3) -> (Net, S3Ids) {
    let ids = S3Ids {
        vpc1: s.vpc1,
        rt1: s.rt1,
        vsw1: s.vsw1,
        vpc2: s.vpc2,
        rt2: s.rt2,
        vsw4: s.vsw4,
        cen: s.cen,
        bwp: s.bwp,
        tr_cd: s.tr_cd,
        trt_cd: s.trt_cd,
        tr_hz: s.tr_hz,
        trt_hz: s.trt_hz,
    };
    (Net { w: s.w }, ids)
}

fn tr_net(cen_steps: bool) -> (TrNet, Option<(String, String, String)>) {
    let mut base = s3_base();
    let atts = cen_steps.then(|| s3_cen_steps(&mut base));
    let (mut n, s) = split(base);
    let gc = n.sg(A, &s.vpc1, "normal");
    let ge = n.sg(A, &s.vpc2, "normal");
    n.rule(
        &ge,
        Direction::Ingress,
        Permission::cidr("ALL", "-1/-1", "172.16.0.0/12"),
    );
    let c = n.vm(A, &s.vsw1, &[&gc], Some("172.16.0.10"), "");
    let e = n.vm(A, &s.vsw4, &[&ge], Some("192.168.7.100"), "tcp/80");
    (TrNet { n, s, c, e }, atts)
}

fn route(n: &mut Net, region: &str, table: &str, dest: &str, att: &str) {
    ok(
        &mut n.w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": region, "RouteTableId": table, "DestinationCidrBlock": dest,
               "NextHopType": "Attachment", "NextHopId": att}),
    );
}

fn first(v: &Verdict) -> Option<&'static str> {
    v.first_error().map(|f| f.code.as_str())
}

fn types(v: &[Hop]) -> Vec<&'static str> {
    v.iter().map(|h| h.node_type.as_str()).collect()
}

/// S3 steps 11–16, 18, 19 plus the route back to the client: ECS_C reaches ECS1 through two
/// TRs, and the reply comes back through both TR tables (§8.4.5).
#[test]
fn ecs_to_ecs_across_regions_through_two_transit_routers() {
    let (mut t, atts) = tr_net(true);
    let (att1, att2, attp) = atts.unwrap();
    // Only 100.64.0.0/10 leads back yet: the reply has no route.
    let v = t.n.reach(&t.c, &t.e, Protocol::Tcp, Some(80));
    assert_eq!(first(&v), Some("RETURN_ROUTE_NOT_FOUND"), "{v:#?}");
    let fix = suggest(&t.n.w, &v).expect("a fix");
    assert_eq!(fix.action, "CreateRouteEntry");
    assert!(fix
        .params
        .contains(&("NextHopType".into(), "Attachment".into())));
    assert!(fix.params.contains(&("NextHopId".into(), att2.clone())));
    assert!(fix
        .params
        .contains(&("DestinationCidrBlock".into(), "172.16.0.0/12".into())));
    t.n.apply(&fix).unwrap();
    let v = t.n.reach(&t.c, &t.e, Protocol::Tcp, Some(80));
    assert!(v.reachable, "{v:#?}");
    assert_eq!(
        types(&v.forward),
        [
            "VM",
            "ENI",
            "VSW",
            "VRT",
            "TR_ATTACH",
            "TR",
            "TR_ATTACH",
            "TR",
            "TR_ATTACH",
            "VRT",
            "VSW",
            "ENI",
            "VM"
        ]
    );
    let ids: Vec<&str> = v.forward.iter().map(|h| h.node_id.as_str()).collect();
    assert_eq!(
        &ids[4..9],
        [
            att1.as_str(),
            t.s.tr_cd.as_str(),
            attp.as_str(),
            t.s.tr_hz.as_str(),
            att2.as_str()
        ]
    );
    let tr_route = v.forward[5].matched_route.as_ref().unwrap();
    assert_eq!(tr_route.route_table_id, t.s.trt_cd);
    assert_eq!(tr_route.destination, "192.168.7.0/24");
    assert_eq!(tr_route.next_hop_id, attp);
    // the reply crosses the same TRs the other way
    let rev: Vec<&str> = v.reverse.iter().map(|h| h.node_id.as_str()).collect();
    assert!(rev.contains(&t.s.tr_hz.as_str()) && rev.contains(&t.s.tr_cd.as_str()));
    assert!(types(&v.reverse).contains(&"TR"));
}

/// From nothing but the three attachments, following the suggested fixes gets ECS_C to ECS1:
/// VPC route into the TR, association, propagations, and the reply routes.
#[test]
fn fixes_build_the_transit_router_path_step_by_step() {
    let (mut t, _) = tr_net(false);
    let mut base_ids = |api: &str, p: serde_json::Value| -> String {
        let r = ok(&mut t.n.w, A, api, p);
        r["TransitRouterAttachmentId"].as_str().unwrap().to_string()
    };
    let att1 = base_ids(
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-chengdu", "TransitRouterId": t.s.tr_cd, "VpcId": t.s.vpc1,
               "ZoneMappings.1.VSwitchId": t.s.vsw1, "ZoneMappings.1.ZoneId": "cn-chengdu-a"}),
    );
    let att2 = base_ids(
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-hangzhou", "TransitRouterId": t.s.tr_hz, "VpcId": t.s.vpc2,
               "ZoneMappings.1.VSwitchId": t.s.vsw4, "ZoneMappings.1.ZoneId": "cn-hangzhou-i"}),
    );
    let attp = base_ids(
        "CreateTransitRouterPeerAttachment",
        json!({"RegionId": "cn-chengdu", "CenId": t.s.cen, "TransitRouterId": t.s.tr_cd,
               "PeerTransitRouterId": t.s.tr_hz, "PeerTransitRouterRegionId": "cn-hangzhou",
               "BandwidthType": "BandwidthPackage", "CenBandwidthPackageId": t.s.bwp, "Bandwidth": 10}),
    );
    let mut steps = Vec::new();
    for _ in 0..16 {
        let v = t.n.reach(&t.c, &t.e, Protocol::Icmp, None);
        if v.reachable {
            break;
        }
        let f = v.first_error().unwrap();
        let fix =
            suggest(&t.n.w, &v).unwrap_or_else(|| panic!("no fix for {} {}", f.code, f.detail));
        steps.push(format!("{} -> {}", f.code, fix.action));
        t.n.apply(&fix)
            .unwrap_or_else(|e| panic!("{} failed: {e}", fix.aliyun_line()));
    }
    let v = t.n.reach(&t.c, &t.e, Protocol::Icmp, None);
    assert!(v.reachable, "{steps:?}\n{v:#?}");
    assert_eq!(
        steps,
        [
            "ROUTE_NOT_FOUND -> CreateRouteEntry",
            "TR_NO_ASSOCIATION -> AssociateTransitRouterAttachmentWithRouteTable",
            "TR_ROUTE_NOT_FOUND -> CreateTransitRouterRouteEntry",
            "TR_NO_ASSOCIATION -> AssociateTransitRouterAttachmentWithRouteTable",
            "TR_ROUTE_NOT_FOUND -> EnableTransitRouterRouteTablePropagation",
            "RETURN_ROUTE_NOT_FOUND -> CreateRouteEntry",
            "RETURN_TR_NO_ASSOCIATION -> AssociateTransitRouterAttachmentWithRouteTable",
            "RETURN_TR_ROUTE_NOT_FOUND -> CreateTransitRouterRouteEntry",
            "RETURN_TR_NO_ASSOCIATION -> AssociateTransitRouterAttachmentWithRouteTable",
            "RETURN_TR_ROUTE_NOT_FOUND -> EnableTransitRouterRouteTablePropagation",
        ],
        "{att1} {att2} {attp}"
    );
}

#[test]
fn blackhole_basic_bandwidth_status_and_attachment_codes() {
    let (mut t, atts) = tr_net(true);
    let (att1, _, attp) = atts.unwrap();
    let att2 = atts_att2(&t);
    route(&mut t.n, "cn-hangzhou", &t.s.rt2, "172.16.0.0/24", &att2);
    assert!(t.n.reach(&t.c, &t.e, Protocol::Icmp, None).reachable);
    let probe = |t: &TrNet| t.n.reach(&t.c, &t.e, Protocol::Icmp, None);

    // TR_BLACKHOLE: a static blackhole beats the propagated route; its fix deletes it.
    ok(
        &mut t.n.w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": t.s.trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "192.168.7.0/24",
               "TransitRouterRouteEntryNextHopType": "BlackHole"}),
    );
    let v = probe(&t);
    assert_eq!(first(&v), Some("TR_BLACKHOLE"));
    assert_eq!(v.forward.last().unwrap().node_type, NodeType::Tr);
    let fix = suggest(&t.n.w, &v).unwrap();
    assert_eq!(fix.action, "DeleteTransitRouterRouteEntry");
    t.n.apply(&fix).unwrap();
    assert!(probe(&t).reachable);

    // TR_PEER_NO_BANDWIDTH
    if let crate::cloud::cen::AttachKind::Peer { bandwidth, .. } =
        &mut t.n.w.cen_mut().attachments.get_mut(&attp).unwrap().kind
    {
        *bandwidth = 0;
    }
    let v = probe(&t);
    assert_eq!(first(&v), Some("TR_PEER_NO_BANDWIDTH"));
    assert_eq!(suggest(&t.n.w, &v), None);
    if let crate::cloud::cen::AttachKind::Peer { bandwidth, .. } =
        &mut t.n.w.cen_mut().attachments.get_mut(&attp).unwrap().kind
    {
        *bandwidth = 10;
    }

    // TR_BASIC_NO_CROSS_REGION (a world-file Basic TR at the far end)
    t.n.w
        .cen_mut()
        .transit_routers
        .get_mut(&t.s.tr_hz)
        .unwrap()
        .tr_type = TrType::Basic;
    assert_eq!(first(&probe(&t)), Some("TR_BASIC_NO_CROSS_REGION"));
    t.n.w
        .cen_mut()
        .transit_routers
        .get_mut(&t.s.tr_hz)
        .unwrap()
        .tr_type = TrType::Enterprise;

    // TR_NOT_ACTIVE
    t.n.w
        .cen_mut()
        .transit_routers
        .get_mut(&t.s.tr_cd)
        .unwrap()
        .lifecycle = Lifecycle::settled(CenStatus::Creating);
    assert_eq!(first(&probe(&t)), Some("TR_NOT_ACTIVE"));
    t.n.w
        .cen_mut()
        .transit_routers
        .get_mut(&t.s.tr_cd)
        .unwrap()
        .lifecycle = Lifecycle::settled(CenStatus::Active);

    // TR_ATTACHMENT_NOT_ATTACHED: the VPC route's attachment is still attaching
    t.n.w
        .cen_mut()
        .attachments
        .get_mut(&att1)
        .unwrap()
        .lifecycle = Lifecycle::settled(AttachStatus::Attaching);
    let v = probe(&t);
    assert_eq!(first(&v), Some("TR_ATTACHMENT_NOT_ATTACHED"));
    assert_eq!(v.forward.last().unwrap().node_type, NodeType::Vrt);
    t.n.w
        .cen_mut()
        .attachments
        .get_mut(&att1)
        .unwrap()
        .lifecycle = Lifecycle::settled(AttachStatus::Attached);
    assert!(probe(&t).reachable);

    // RETURN_TR_ROUTE_NOT_FOUND: Hangzhou stops learning Chengdu's routes over attp
    ok(
        &mut t.n.w,
        A,
        "DisableTransitRouterRouteTablePropagation",
        json!({"TransitRouterAttachmentId": attp, "TransitRouterRouteTableId": t.s.trt_hz}),
    );
    let v = probe(&t);
    assert_eq!(first(&v), Some("RETURN_TR_ROUTE_NOT_FOUND"));
    let fix = suggest(&t.n.w, &v).unwrap();
    assert_eq!(fix.action, "EnableTransitRouterRouteTablePropagation");
    t.n.apply(&fix).unwrap();
    assert!(probe(&t).reachable);
}

fn atts_att2(t: &TrNet) -> String {
    t.n.w
        .cen
        .attachments
        .values()
        .find(|a| a.vpc_id() == Some(t.s.vpc2.as_str()))
        .unwrap()
        .attachment_id
        .clone()
}

/// A TR route that hands an address to a VPC that does not hold it: `TR_DST_NOT_IN_VPC`.
#[test]
fn tr_dst_not_in_vpc_and_non_transitive_after_a_peering() {
    let (mut t, atts) = tr_net(true);
    let (att1, att2, _) = atts.unwrap();
    let (vpc3, _) = t.n.vpc(A, "cn-hangzhou", "10.9.0.0/16");
    let s3 = t.n.vsw(A, &vpc3, "10.9.1.0/24");
    ok(
        &mut t.n.w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": t.s.trt_hz, "TransitRouterRouteEntryDestinationCidrBlock": "10.9.0.0/16",
               "TransitRouterRouteEntryNextHopType": "Attachment", "TransitRouterRouteEntryNextHopId": att2}),
    );
    route(&mut t.n, "cn-chengdu", &t.s.rt1, "10.9.0.0/16", &att1);
    let p = Probe {
        source: Source::Ecs {
            instance_id: t.c.clone(),
            source_ip: None,
        },
        target: Target::VSwitch {
            vswitch_id: s3,
            ip: "10.9.1.5".parse().unwrap(),
        },
        protocol: Protocol::Icmp,
        source_port: None,
        target_port: None,
    };
    let v = t.n.probe(p);
    assert_eq!(first(&v), Some("TR_DST_NOT_IN_VPC"), "{v:#?}");
    assert_eq!(suggest(&t.n.w, &v), None);
}

/// `AutoPublishRouteEnabled`: the TR's routes appear in the VPC's system table, so no VPC
/// route is needed (§6.3.4 auto publish).
#[test]
fn auto_published_routes_lead_into_the_tr() {
    let (mut t, atts) = tr_net(true);
    let (_, att2, _) = atts.unwrap();
    let _ = att2;
    // Hangzhou learns 172.16.0.0/24 only through auto publish: recreate nothing, flip the flag.
    for a in t.n.w.cen_mut().attachments.values_mut() {
        if a.vpc_id() == Some(t.s.vpc2.as_str()) {
            a.auto_publish = true;
        }
    }
    let v = t.n.reach(&t.c, &t.e, Protocol::Icmp, None);
    assert!(v.reachable, "{v:#?}");
    let back = v
        .reverse
        .iter()
        .find(|h| h.node_type == NodeType::Vrt)
        .and_then(|h| h.matched_route.clone())
        .unwrap();
    assert_eq!(back.next_hop_type, "Attachment");
    assert_eq!(back.destination, "172.16.0.0/24");
    assert_eq!(t.s.rt2, back.route_table_id);
    // The analyzer's index and the world agree on the published route.
    let m =
        t.n.w
            .lookup_route(&t.s.vpc2, Some(&t.s.vsw4), "172.16.0.10".parse().unwrap())
            .unwrap();
    assert_eq!(m.destination.to_string(), "172.16.0.0/24");
}
