//! CEN tests: §11.3 S3's CEN steps with the final TR tables, every §6 error code, deletes with
//! and without Force, VPC routes into a TR, auto-publish, `tr_forward`, byte-identical state
//! after failures, and propagation as a property (order independence).

use super::routing::{tr_forward, TrForward};
use crate::cloud::tests::{call, code, mk_vpc, mk_vsw, ok, world, world_with, A, B};
use crate::cloud::World;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::net::Ipv4Addr;

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no {k} in {v}"))
        .to_string()
}

/// The S3 network (§11.3 steps 1, 2, 6, 7): two VPCs, a CEN with a China/China package, a TR
/// in each region.
pub(crate) struct S3 {
    pub w: World,
    pub vpc1: String,
    pub rt1: String,
    pub vsw1: String,
    pub vsw2: String,
    pub vpc2: String,
    pub rt2: String,
    pub vsw3: String,
    pub vsw4: String,
    pub cen: String,
    pub bwp: String,
    pub tr_cd: String,
    pub trt_cd: String,
    pub tr_hz: String,
    pub trt_hz: String,
}

pub(crate) fn s3_base() -> S3 {
    let mut w = world();
    let (vpc1, rt1) = mk_vpc(&mut w, A, "cn-chengdu", "172.16.0.0/12");
    let vsw1 = mk_vsw(
        &mut w,
        A,
        "cn-chengdu",
        &vpc1,
        "cn-chengdu-a",
        "172.16.0.0/24",
    );
    let vsw2 = mk_vsw(
        &mut w,
        A,
        "cn-chengdu",
        &vpc1,
        "cn-chengdu-b",
        "172.16.6.0/24",
    );
    let (vpc2, rt2) = mk_vpc(&mut w, A, "cn-hangzhou", "192.168.0.0/16");
    let vsw3 = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &vpc2,
        "cn-hangzhou-h",
        "192.168.8.0/24",
    );
    let vsw4 = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &vpc2,
        "cn-hangzhou-i",
        "192.168.7.0/24",
    );
    let cen = s(
        &ok(&mut w, A, "CreateCen", json!({"Name": "cen-s3"})),
        "CenId",
    );
    let bwp = s(
        &ok(
            &mut w,
            A,
            "CreateCenBandwidthPackage",
            json!({"Bandwidth": 10, "GeographicRegionAId": "China", "GeographicRegionBId": "China",
                   "BandwidthPackageChargeType": "PREPAY", "Period": 1, "PricingCycle": "Month", "AutoPay": true}),
        ),
        "CenBandwidthPackageId",
    );
    ok(
        &mut w,
        A,
        "AssociateCenBandwidthPackage",
        json!({"CenId": cen, "CenBandwidthPackageId": bwp}),
    );
    let tr_cd = s(
        &ok(
            &mut w,
            A,
            "CreateTransitRouter",
            json!({"RegionId": "cn-chengdu", "CenId": cen}),
        ),
        "TransitRouterId",
    );
    let tr_hz = s(
        &ok(
            &mut w,
            A,
            "CreateTransitRouter",
            json!({"RegionId": "cn-hangzhou", "CenId": cen}),
        ),
        "TransitRouterId",
    );
    let trt_cd = w.cen().transit_routers[&tr_cd]
        .system_route_table_id
        .clone();
    let trt_hz = w.cen().transit_routers[&tr_hz]
        .system_route_table_id
        .clone();
    S3 {
        w,
        vpc1,
        rt1,
        vsw1,
        vsw2,
        vpc2,
        rt2,
        vsw3,
        vsw4,
        cen,
        bwp,
        tr_cd,
        trt_cd,
        tr_hz,
        trt_hz,
    }
}

fn attach_vpc(
    w: &mut World,
    region: &str,
    cen: &str,
    tr: &str,
    vpc: &str,
    zones: &[(&str, &str)],
) -> String {
    let mut p = json!({"RegionId": region, "CenId": cen, "TransitRouterId": tr, "VpcId": vpc});
    for (i, (vsw, zone)) in zones.iter().enumerate() {
        p[format!("ZoneMappings.{}.VSwitchId", i + 1)] = json!(vsw);
        p[format!("ZoneMappings.{}.ZoneId", i + 1)] = json!(zone);
    }
    s(
        &ok(w, A, "CreateTransitRouterVpcAttachment", p),
        "TransitRouterAttachmentId",
    )
}

fn link(w: &mut World, api: &str, att: &str, table: &str) {
    ok(
        w,
        A,
        api,
        json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": table}),
    );
}

fn assoc_prop(w: &mut World, att: &str, table: &str) {
    link(
        w,
        "AssociateTransitRouterAttachmentWithRouteTable",
        att,
        table,
    );
    link(w, "EnableTransitRouterRouteTablePropagation", att, table);
}

/// `(destination, next hop, type, status)` rows of a TR table, through the API.
fn table_rows(w: &mut World, table: &str) -> Vec<(String, String, String, String)> {
    let r = ok(
        w,
        A,
        "ListTransitRouterRouteEntries",
        json!({"TransitRouterRouteTableId": table}),
    );
    r["TransitRouterRouteEntries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                s(e, "TransitRouterRouteEntryDestinationCidrBlock"),
                s(e, "TransitRouterRouteEntryNextHopId"),
                s(e, "TransitRouterRouteEntryType"),
                s(e, "TransitRouterRouteEntryStatus"),
            )
        })
        .collect()
}

/// S3 steps 11–16, 18, 19 on the base: returns (ATT1, ATT2, ATTP).
pub(crate) fn s3_cen_steps(n: &mut S3) -> (String, String, String) {
    let w = &mut n.w;
    // 11–12
    let att1 = attach_vpc(
        w,
        "cn-chengdu",
        &n.cen,
        &n.tr_cd,
        &n.vpc1,
        &[(&n.vsw1, "cn-chengdu-a"), (&n.vsw2, "cn-chengdu-b")],
    );
    assoc_prop(w, &att1, &n.trt_cd);
    // 13
    let att2 = attach_vpc(
        w,
        "cn-hangzhou",
        &n.cen,
        &n.tr_hz,
        &n.vpc2,
        &[(&n.vsw3, "cn-hangzhou-h"), (&n.vsw4, "cn-hangzhou-i")],
    );
    assoc_prop(w, &att2, &n.trt_hz);
    // 14
    let attp = s(
        &ok(
            w,
            A,
            "CreateTransitRouterPeerAttachment",
            json!({"RegionId": "cn-chengdu", "CenId": n.cen, "TransitRouterId": n.tr_cd,
                   "PeerTransitRouterId": n.tr_hz, "PeerTransitRouterRegionId": "cn-hangzhou",
                   "BandwidthType": "BandwidthPackage", "CenBandwidthPackageId": n.bwp, "Bandwidth": 10}),
        ),
        "TransitRouterAttachmentId",
    );
    // 15
    assoc_prop(w, &attp, &n.trt_cd);
    assoc_prop(w, &attp, &n.trt_hz);
    // 16
    ok(
        w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": "cn-chengdu", "RouteTableId": n.rt1, "DestinationCidrBlock": "192.168.7.0/24",
               "NextHopType": "Attachment", "NextHopId": att1}),
    );
    // 18
    ok(
        w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": n.rt2, "DestinationCidrBlock": "100.64.0.0/10",
               "NextHopType": "Attachment", "NextHopId": att2}),
    );
    // 19
    ok(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": n.trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "100.64.0.0/10",
               "TransitRouterRouteEntryNextHopType": "Attachment", "TransitRouterRouteEntryNextHopId": att1}),
    );
    (att1, att2, attp)
}

fn row(d: &str, hop: &str, t: &str) -> (String, String, String, String) {
    (d.into(), hop.into(), t.into(), "Active".into())
}

#[test]
fn s3_final_tr_tables_are_exactly_as_listed() {
    let mut n = s3_base();
    let (att1, att2, attp) = s3_cen_steps(&mut n);
    let mut cd = table_rows(&mut n.w, &n.trt_cd);
    cd.sort();
    let mut want_cd = vec![
        row("172.16.0.0/24", &att1, "Propagated"),
        row("172.16.6.0/24", &att1, "Propagated"),
        row("192.168.8.0/24", &attp, "Propagated"),
        row("192.168.7.0/24", &attp, "Propagated"),
        row("100.64.0.0/10", &att1, "Static"),
    ];
    want_cd.sort();
    assert_eq!(cd, want_cd);
    let mut hz = table_rows(&mut n.w, &n.trt_hz);
    hz.sort();
    let mut want_hz = vec![
        row("192.168.8.0/24", &att2, "Propagated"),
        row("192.168.7.0/24", &att2, "Propagated"),
        row("172.16.0.0/24", &attp, "Propagated"),
        row("172.16.6.0/24", &attp, "Propagated"),
        row("100.64.0.0/10", &attp, "Propagated"),
    ];
    want_hz.sort();
    assert_eq!(hz, want_hz);
}

#[test]
fn s3_vpc_attachment_creates_one_service_eni_per_zone() {
    let mut n = s3_base();
    let (att1, _, _) = s3_cen_steps(&mut n);
    let r = ok(
        &mut n.w,
        A,
        "ListTransitRouterAttachments",
        json!({"TransitRouterAttachmentId": att1}),
    );
    let zones = r["TransitRouterAttachments"][0]["ZoneMappings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(zones.len(), 2);
    for z in zones {
        let eni = &n.w.ecs().enis[s(&z, "NetworkInterfaceId").as_str()];
        assert!(eni.service_managed);
        assert_eq!(
            eni.service_owner.as_deref(),
            Some(format!("cen:{att1}").as_str())
        );
        assert_eq!(eni.vswitch_id, s(&z, "VSwitchId"));
        // Lowest free usable address (no ALB in this test): .1 of the vSwitch.
        assert_eq!(eni.private_ip.octets()[3], 1);
    }
    assert_eq!(r["TransitRouterAttachments"][0]["Status"], "Attached");
}

#[test]
fn s3_forward_and_return_paths_through_two_trs() {
    let mut n = s3_base();
    let (att1, att2, attp) = s3_cen_steps(&mut n);
    let now = n.w.now();
    let routes = n.w.tr_routes(now);
    // Forward: ALB VPC → ATT1 → TRT_CD 192.168.7.0/24 → ATTP → TRT_HZ → ATT2.
    let f = tr_forward(
        n.w.cen(),
        &routes,
        now,
        &n.tr_cd,
        &att1,
        Ipv4Addr::new(192, 168, 7, 100),
    );
    match f {
        TrForward::Delivered {
            vpc_id,
            attachment_id,
            hops,
        } => {
            assert_eq!(vpc_id, n.vpc2);
            assert_eq!(attachment_id, att2);
            assert_eq!(hops.len(), 2);
            assert_eq!(hops[0].egress_attachment_id, attp);
            assert_eq!(hops[1].transit_router_id, n.tr_hz);
        }
        other => panic!("{other:?}"),
    }
    // Return: ECS1 → ATT2 → TRT_HZ 100.64.0.0/10 → ATTP → TRT_CD static → ATT1.
    let r = tr_forward(
        n.w.cen(),
        &routes,
        now,
        &n.tr_hz,
        &att2,
        Ipv4Addr::new(100, 64, 0, 1),
    );
    assert!(
        matches!(r, TrForward::Delivered { ref vpc_id, .. } if *vpc_id == n.vpc1),
        "{r:?}"
    );
    // No route for an unknown destination.
    let x = tr_forward(
        n.w.cen(),
        &routes,
        now,
        &n.tr_cd,
        &att1,
        Ipv4Addr::new(10, 0, 0, 1),
    );
    assert!(
        matches!(
            x,
            TrForward::Dropped {
                code: "TR_ROUTE_NOT_FOUND",
                ..
            }
        ),
        "{x:?}"
    );
}

#[test]
fn s3_n13_without_peer_propagation_on_chengdu_no_route() {
    let mut n = s3_base();
    let w = &mut n.w;
    let att1 = attach_vpc(
        w,
        "cn-chengdu",
        &n.cen,
        &n.tr_cd,
        &n.vpc1,
        &[(&n.vsw1, "cn-chengdu-a"), (&n.vsw2, "cn-chengdu-b")],
    );
    assoc_prop(w, &att1, &n.trt_cd);
    let att2 = attach_vpc(
        w,
        "cn-hangzhou",
        &n.cen,
        &n.tr_hz,
        &n.vpc2,
        &[(&n.vsw3, "cn-hangzhou-h"), (&n.vsw4, "cn-hangzhou-i")],
    );
    assoc_prop(w, &att2, &n.trt_hz);
    let attp = s(
        &ok(
            w,
            A,
            "CreateTransitRouterPeerAttachment",
            json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "PeerTransitRouterId": n.tr_hz,
                   "CenBandwidthPackageId": n.bwp, "Bandwidth": 10}),
        ),
        "TransitRouterAttachmentId",
    );
    link(
        w,
        "AssociateTransitRouterAttachmentWithRouteTable",
        &attp,
        &n.trt_cd,
    );
    assoc_prop(w, &attp, &n.trt_hz);
    let now = w.now();
    let routes = w.tr_routes(now);
    let f = tr_forward(
        w.cen(),
        &routes,
        now,
        &n.tr_cd,
        &att1,
        Ipv4Addr::new(192, 168, 7, 100),
    );
    assert!(
        matches!(
            f,
            TrForward::Dropped {
                code: "TR_ROUTE_NOT_FOUND",
                ..
            }
        ),
        "{f:?}"
    );
}

#[test]
fn s3_n10_n11_n12_errors() {
    // N10: 20 Mbit/s out of a 10 Mbit/s package.
    let mut n = s3_base();
    let p = json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "PeerTransitRouterId": n.tr_hz,
                   "CenBandwidthPackageId": n.bwp, "Bandwidth": 20});
    assert_eq!(
        code(&mut n.w, A, "CreateTransitRouterPeerAttachment", p),
        "InvalidOperation.BwpBandwidthExceeded"
    );
    // Platinum needs DataTransfer.
    let mut n = s3_base();
    let p = json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "PeerTransitRouterId": n.tr_hz,
                   "CenBandwidthPackageId": n.bwp, "Bandwidth": 5, "DefaultLinkType": "Platinum"});
    fails(
        &mut n.w,
        A,
        "CreateTransitRouterPeerAttachment",
        p,
        "ParameterIllegal.BandwidthPackageDefaultLinkTypeOnlySupportGold",
    );
    // N11: a Basic TR in Hangzhou.
    let mut n = s3_base();
    n.w.cen_mut()
        .transit_routers
        .get_mut(&n.tr_hz)
        .unwrap()
        .tr_type = super::TrType::Basic;
    let p = json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "PeerTransitRouterId": n.tr_hz,
                   "CenBandwidthPackageId": n.bwp, "Bandwidth": 10});
    assert_eq!(
        code(&mut n.w, A, "CreateTransitRouterPeerAttachment", p),
        "OperationUnsupported.TransitRouterType"
    );
    // N12: VSW2 (zone b) declared as zone a.
    let mut n = s3_base();
    let p = json!({"RegionId": "cn-chengdu", "TransitRouterId": n.tr_cd, "VpcId": n.vpc1,
                   "ZoneMappings.1.VSwitchId": n.vsw2, "ZoneMappings.1.ZoneId": "cn-chengdu-a"});
    assert_eq!(
        code(&mut n.w, A, "CreateTransitRouterVpcAttachment", p),
        "IllegalParam.VSwitchId"
    );
}

/// Runs `api` expecting `want`, and checks the world is byte-identical afterwards.
#[track_caller]
fn fails(w: &mut World, who: &str, api: &str, p: Value, want: &str) {
    let before = serde_json::to_string(&*w).unwrap();
    match call(w, who, api, p) {
        Ok(v) => panic!("{api} unexpectedly succeeded: {v}"),
        Err(e) => assert_eq!(e.code, want, "{api}: {e}"),
    }
    assert_eq!(
        before,
        serde_json::to_string(&*w).unwrap(),
        "{api} changed the world"
    );
}

#[test]
fn every_cen_error_code_leaves_the_world_unchanged() {
    let mut n = s3_base();
    let (att1, att2, attp) = s3_cen_steps(&mut n);
    let (cen, tr_cd, tr_hz, trt_cd, bwp) = (
        n.cen.clone(),
        n.tr_cd.clone(),
        n.tr_hz.clone(),
        n.trt_cd.clone(),
        n.bwp.clone(),
    );
    let w = &mut n.w;
    // CreateCen
    fails(
        w,
        A,
        "CreateCen",
        json!({"ProtectionLevel": "FULL"}),
        "InvalidParameter",
    );
    fails(
        w,
        A,
        "CreateCen",
        json!({"ResourceGroupId": "rg-nope"}),
        "IllegalParam.ResourceGroupId",
    );
    fails(
        w,
        A,
        "CreateCen",
        json!({"Name": "http://x"}),
        "IllegalParam.Name",
    );
    // Bandwidth packages
    let bp = |bw: i64, a: &str, b: &str| json!({"Bandwidth": bw, "GeographicRegionAId": a, "GeographicRegionBId": b});
    fails(
        w,
        A,
        "CreateCenBandwidthPackage",
        bp(1, "China", "China"),
        "IllegalParam.Bandwidth",
    );
    fails(
        w,
        A,
        "CreateCenBandwidthPackage",
        bp(10, "China", "Mars"),
        "InvalidParameter.GeographicRegionBId",
    );
    fails(
        w,
        A,
        "CreateCenBandwidthPackage",
        bp(10, "China", "Europe"),
        "OperationInvalid.UserCanNotBuyCrossBorderBwp",
    );
    let bwp2 = s(
        &ok(w, A, "CreateCenBandwidthPackage", bp(10, "China", "China")),
        "CenBandwidthPackageId",
    );
    fails(
        w,
        A,
        "AssociateCenBandwidthPackage",
        json!({"CenId": cen, "CenBandwidthPackageId": bwp2}),
        "InvalidOperation.BwpAreaPairExists",
    );
    fails(
        w,
        A,
        "AssociateCenBandwidthPackage",
        json!({"CenId": cen, "CenBandwidthPackageId": bwp}),
        "InvalidOperation.BwpAlreadyAssociated",
    );
    fails(
        w,
        A,
        "AssociateCenBandwidthPackage",
        json!({"CenId": "cen-nope00", "CenBandwidthPackageId": bwp2}),
        "InvalidCenId.NotFound",
    );
    fails(
        w,
        A,
        "UnassociateCenBandwidthPackage",
        json!({"CenId": cen, "CenBandwidthPackageId": bwp2}),
        "InvalidOperation.BwpNotAssociated",
    );
    fails(
        w,
        A,
        "UnassociateCenBandwidthPackage",
        json!({"CenId": cen, "CenBandwidthPackageId": bwp}),
        "InvalidOperation.BwpInUse",
    );
    // Transit routers
    fails(
        w,
        A,
        "CreateTransitRouter",
        json!({"RegionId": "cn-chengdu", "CenId": cen}),
        "InstanceExist.TransitRouterInstance",
    );
    fails(
        w,
        A,
        "CreateTransitRouter",
        json!({"RegionId": "xx-nowhere-1", "CenId": cen}),
        "OperationUnsupported.RegionId",
    );
    fails(
        w,
        A,
        "CreateTransitRouter",
        json!({"RegionId": "cn-beijing", "CenId": "cen-nope00"}),
        "InvalidCenId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouter",
        json!({"RegionId": "cn-beijing", "CenId": cen, "DryRun": true}),
        "DryRunOperation",
    );
    fails(
        w,
        B,
        "CreateTransitRouter",
        json!({"RegionId": "cn-beijing", "CenId": cen}),
        "InvalidCenId.NotFound",
    );
    fails(
        w,
        A,
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr_cd}),
        "DependencyViolation.TransitRouterAttachment",
    );
    fails(
        w,
        A,
        "DeleteCen",
        json!({"CenId": cen}),
        "DependencyViolation.TransitRouter",
    );
    // VPC attachments (§6.3.2 #1–#9)
    let (vpc3, _) = mk_vpc(w, A, "cn-chengdu", "10.0.0.0/16");
    let vsw5 = mk_vsw(w, A, "cn-chengdu", &vpc3, "cn-chengdu-a", "10.0.1.0/24");
    let va = |extra: Value| {
        let mut p = json!({"RegionId": "cn-chengdu", "VpcId": vpc3, "ZoneMappings.1.VSwitchId": vsw5, "ZoneMappings.1.ZoneId": "cn-chengdu-a"});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({})),
        "MissingParam.CenIdOrRegionId",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"TransitRouterId": tr_hz})),
        "InvalidTransitRouterId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"CenId": "cen-nope00"})),
        "InvalidCenId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"CenId": cen, "VpcId": "vpc-nope00"})),
        "IncorrectStatus.Vpc",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"CenId": cen, "ZoneMappings.1.ZoneId": "cn-chengdu-z"})),
        "IllegalParam.ZoneId",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"CenId": cen, "ZoneMappings.1.VSwitchId": "vsw-nope00"})),
        "InvalidVSwitchId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(
            json!({"CenId": cen, "ZoneMappings.2.VSwitchId": vsw5, "ZoneMappings.2.ZoneId": "cn-chengdu-a"}),
        ),
        "Duplicated.ZoneMapping",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"CenId": cen, "VpcId": n_vpc1(&att1, w)})),
        "IllegalParam.VSwitchId",
    );
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        va(json!({"CenId": cen, "DryRun": true})),
        "DryRunOperation",
    );
    // #8: VPC1 again
    let vpc1 = n_vpc1(&att1, w);
    let vsw1 = w.cen().attachments[&att1]
        .vpc_id()
        .map(|_| ())
        .and_then(|_| match &w.cen().attachments[&att1].kind {
            super::AttachKind::Vpc { zones, .. } => Some(zones[0].vswitch_id.clone()),
            _ => None,
        })
        .unwrap();
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-chengdu", "CenId": cen, "VpcId": vpc1, "ZoneMappings.1.VSwitchId": vsw1, "ZoneMappings.1.ZoneId": "cn-chengdu-a"}),
        "QuotaFull.ChildInstanceRelatedCen",
    );
    // #7: a full /29 (8 addresses, 4 reserved, 4 usable).
    let (vpc4, _) = mk_vpc(w, A, "cn-chengdu", "10.9.0.0/16");
    let tiny = mk_vsw(w, A, "cn-chengdu", &vpc4, "cn-chengdu-a", "10.9.0.0/29");
    for ip in 1..=4u8 {
        w.ecs
            .addresses
            .insert(
                &vpc4,
                Ipv4Addr::new(10, 9, 0, ip),
                crate::cloud::ecs::AddressOwner::Service {
                    kind: "test".into(),
                    id: "x".into(),
                },
            )
            .unwrap();
    }
    fails(
        w,
        A,
        "CreateTransitRouterVpcAttachment",
        json!({"RegionId": "cn-chengdu", "CenId": cen, "VpcId": vpc4, "ZoneMappings.1.VSwitchId": tiny, "ZoneMappings.1.ZoneId": "cn-chengdu-a"}),
        "InsufficientIpAddr.vsw",
    );
    // Peer attachments (§6.3.3)
    let pa = |extra: Value| {
        let mut p = json!({"RegionId": "cn-chengdu", "TransitRouterId": tr_cd, "PeerTransitRouterId": tr_hz, "CenBandwidthPackageId": bwp, "Bandwidth": 1});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({"TransitRouterId": "tr-nope00"})),
        "InvalidTransitRouterId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({"PeerTransitRouterId": "tr-nope00"})),
        "InvalidPeerTransitRouterId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({"PeerTransitRouterId": tr_cd})),
        "IllegalParam.PeerTransitRouterId",
    );
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({"CenBandwidthPackageId": bwp2})),
        "InvalidOperation.BwpNotAssociated",
    );
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({"Bandwidth": 0})),
        "IllegalParam.Bandwidth",
    );
    let mut no_bw = pa(json!({}));
    no_bw.as_object_mut().unwrap().remove("Bandwidth");
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        no_bw,
        "MissingParam.Bandwidth",
    );
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({})),
        "InvalidOperation.BwpBandwidthExceeded",
    );
    fails(
        w,
        A,
        "CreateTransitRouterPeerAttachment",
        pa(json!({"BandwidthType": "DataTransfer", "Bandwidth": 5})),
        "InvalidOperation",
    );
    // Association / propagation
    fails(
        w,
        A,
        "AssociateTransitRouterAttachmentWithRouteTable",
        json!({"TransitRouterAttachmentId": att1, "TransitRouterRouteTableId": trt_cd}),
        "AssociationExist.TransitRouterTable",
    );
    fails(
        w,
        A,
        "AssociateTransitRouterAttachmentWithRouteTable",
        json!({"TransitRouterAttachmentId": att2, "TransitRouterRouteTableId": trt_cd}),
        "IllegalParam.TransitRouterRouteTableId",
    );
    fails(
        w,
        A,
        "AssociateTransitRouterAttachmentWithRouteTable",
        json!({"TransitRouterAttachmentId": "tr-attach-nope00", "TransitRouterRouteTableId": trt_cd}),
        "InvalidTransitRouterAttachmentId.NotFound",
    );
    fails(
        w,
        A,
        "AssociateTransitRouterAttachmentWithRouteTable",
        json!({"TransitRouterAttachmentId": att1, "TransitRouterRouteTableId": "vtb-nope00"}),
        "InvalidTransitRouterRouteTableId.NotFound",
    );
    fails(
        w,
        A,
        "EnableTransitRouterRouteTablePropagation",
        json!({"TransitRouterAttachmentId": att1, "TransitRouterRouteTableId": trt_cd}),
        "PropagationExist.TransitRouterTable",
    );
    fails(
        w,
        A,
        "DissociateTransitRouterAttachmentFromRouteTable",
        json!({"TransitRouterAttachmentId": attp, "TransitRouterRouteTableId": trt_cd, "DryRun": true}),
        "DryRunOperation",
    );
    // Static routes
    let re = |extra: Value| {
        let mut p = json!({"TransitRouterRouteTableId": trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "10.10.0.0/16", "TransitRouterRouteEntryNextHopType": "Attachment", "TransitRouterRouteEntryNextHopId": att1});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    };
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        re(json!({"TransitRouterRouteTableId": "vtb-nope00"})),
        "InvalidTransitRouterRouteTableId.NotFound",
    );
    let mut no_hop = re(json!({}));
    no_hop
        .as_object_mut()
        .unwrap()
        .remove("TransitRouterRouteEntryNextHopId");
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        no_hop,
        "MissingParam.TransitRouterRouteEntryNextHopId",
    );
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        re(json!({"TransitRouterRouteEntryNextHopType": "BlackHole"})),
        "ParamExclusive.NextHopTypeBlackHoleAndNextHopId",
    );
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        re(json!({"TransitRouterRouteEntryNextHopId": att2})),
        "InvalidTransitRouterRouteEntryNextHopId.NotFound",
    );
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        re(json!({"TransitRouterRouteEntryDestinationCidrBlock": "10.10.0.1/16"})),
        "IllegalParam.TransitRouterDestinationCidrBlock",
    );
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        re(json!({"TransitRouterRouteEntryDestinationCidrBlock": "100.64.0.0/10"})),
        "InstanceExist.TransitRouterRouteEntry",
    );
    fails(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        re(
            json!({"TransitRouterRouteEntryDestinationCidrBlock": "100.64.0.0/10", "TransitRouterRouteEntryNextHopId": attp}),
        ),
        "OperationFailed.CreateRouteEntryWithSameDestinationCidrBlock",
    );
    // Deletes without Force (§6.4)
    fails(
        w,
        A,
        "DeleteTransitRouterVpcAttachment",
        json!({"TransitRouterAttachmentId": att1}),
        "OperationFailed.AttachmentReferencedVpcRouteEntryExisted",
    );
    fails(
        w,
        A,
        "DeleteTransitRouterPeerAttachment",
        json!({"TransitRouterAttachmentId": attp}),
        "OperationFailed.RouteTableAssociationExist",
    );
    fails(
        w,
        A,
        "DeleteTransitRouterPeerAttachment",
        json!({"TransitRouterAttachmentId": att1}),
        "InvalidTransitRouterAttachmentId.NotFound",
    );
    let propagated = w
        .tr_routes(w.now())
        .get(&trt_cd)
        .unwrap()
        .iter()
        .find(|r| r.entry_type() == "Propagated")
        .unwrap()
        .route_entry_id
        .clone();
    fails(
        w,
        A,
        "DeleteTransitRouterRouteEntry",
        json!({"TransitRouterRouteEntryId": propagated}),
        "IllegalParam.TransitRouterRouteEntryType",
    );
    fails(
        w,
        A,
        "DeleteTransitRouterRouteEntry",
        json!({"TransitRouterRouteEntryId": "rte-nope00"}),
        "InvalidTransitRouterRouteEntryId.NotFound",
    );
    // VPC routes into a TR (§2.4.4 #7/#11, §6.3.5)
    let (vpc5, rt5) = mk_vpc(w, A, "cn-chengdu", "10.5.0.0/16");
    let _ = vpc5;
    fails(
        w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": "cn-chengdu", "RouteTableId": rt5, "DestinationCidrBlock": "10.6.0.0/16", "NextHopType": "Attachment", "NextHopId": att1}),
        "IllegalParam.AttachmentId",
    );
    fails(
        w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": "cn-chengdu", "RouteTableId": rt5, "DestinationCidrBlock": "10.6.0.0/16", "NextHopType": "Attachment", "NextHopId": attp}),
        "IllegalParam.AttachmentId",
    );
    fails(
        w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": "cn-chengdu", "RouteTableId": rt5, "DestinationCidrBlock": "10.6.0.0/16", "NextHopType": "Attachment", "NextHopId": "tr-attach-nope00"}),
        "InvalidAttachment.NotFound",
    );
    // 100.64.0.0/10 needs an Attachment next hop (§2.4.4 #4).
    fails(
        w,
        A,
        "CreateRouteEntry",
        json!({"RegionId": "cn-chengdu", "RouteTableId": rt5, "DestinationCidrBlock": "100.64.0.0/10", "NextHopType": "VpnGateway", "NextHopId": "vpn-abcdef12"}),
        "InvalidDestinationCidrBlock",
    );
}

fn n_vpc1(att1: &str, w: &World) -> String {
    w.cen().attachments[att1].vpc_id().unwrap().to_string()
}

#[test]
fn basic_tr_and_service_not_open_and_quota() {
    let mut n = s3_base();
    n.w.cen_mut()
        .transit_routers
        .get_mut(&n.tr_hz)
        .unwrap()
        .tr_type = super::TrType::Basic;
    let p = json!({"RegionId": "cn-hangzhou", "TransitRouterId": n.tr_hz, "VpcId": n.vpc2, "ZoneMappings.1.VSwitchId": n.vsw3, "ZoneMappings.1.ZoneId": "cn-hangzhou-h"});
    fails(
        &mut n.w,
        A,
        "CreateTransitRouterVpcAttachment",
        p,
        "OperationUnsupported.TransitRouterType",
    );
    let t = n.trt_hz.clone();
    fails(
        &mut n.w,
        A,
        "ListTransitRouterRouteEntries",
        json!({"TransitRouterRouteTableId": t}),
        "OperationFailed.TransitRouterType",
    );
    fails(
        &mut n.w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": t, "TransitRouterRouteEntryDestinationCidrBlock": "10.0.0.0/8", "TransitRouterRouteEntryNextHopType": "BlackHole"}),
        "OperationFailed.TransitRouterType",
    );
    let mut w = world_with(json!({}));
    w.update_account(A, |a| a.tr_service_opened = false);
    let cen = s(&ok(&mut w, A, "CreateCen", json!({})), "CenId");
    fails(
        &mut w,
        A,
        "CreateTransitRouter",
        json!({"RegionId": "cn-chengdu", "CenId": cen}),
        "Forbbiden.TransitRouterServiceNotOpen",
    );
}

#[test]
fn stepped_mode_statuses_and_incorrect_status_codes() {
    let mut w = world_with(json!({"options": {"settle": "Stepped"}}));
    let cen = s(&ok(&mut w, A, "CreateCen", json!({})), "CenId");
    let tr = s(
        &ok(
            &mut w,
            A,
            "CreateTransitRouter",
            json!({"RegionId": "cn-chengdu", "CenId": cen}),
        ),
        "TransitRouterId",
    );
    let r = ok(&mut w, A, "ListTransitRouters", json!({"CenId": cen}));
    assert_eq!(r["TransitRouters"][0]["Status"], "Creating");
    let table = w.cen().transit_routers[&tr].system_route_table_id.clone();
    fails(
        &mut w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": table, "TransitRouterRouteEntryDestinationCidrBlock": "10.0.0.0/8", "TransitRouterRouteEntryNextHopType": "BlackHole"}),
        "IncorrectStatus.TransitRouterRouteTable",
    );
    fails(
        &mut w,
        A,
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr}),
        "IncorrectStatus.TransitRouter",
    );
    w.settle();
    let r = ok(&mut w, A, "ListTransitRouters", json!({"CenId": cen}));
    assert_eq!(r["TransitRouters"][0]["Status"], "Active");
    ok(
        &mut w,
        A,
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr}),
    );
    ok(&mut w, A, "DeleteCen", json!({"CenId": cen}));
    assert!(w.cen().is_empty());
}

#[test]
fn force_delete_removes_dependencies_and_enis() {
    let mut n = s3_base();
    let (att1, att2, attp) = s3_cen_steps(&mut n);
    let w = &mut n.w;
    let enis_before = w.ecs().enis.len();
    w.drain_service_events();
    ok(
        w,
        A,
        "DeleteTransitRouterVpcAttachment",
        json!({"TransitRouterAttachmentId": att1, "Force": true}),
    );
    assert_eq!(w.ecs().enis.len(), enis_before - 2);
    assert!(
        w.route_entries.values().all(|e| e.next_hop_id != att1),
        "VPC route through ATT1 removed"
    );
    assert!(
        w.cen().static_entries.is_empty(),
        "static entry to ATT1 removed"
    );
    let ev = w.drain_service_events();
    assert!(
        ev.iter().any(|e| e.event_name == "DeleteRouteEntry"),
        "{ev:?}"
    );
    // Hangzhou no longer learns Chengdu's vSwitches nor the static route.
    let hz = table_rows(w, &n.trt_hz);
    assert!(hz.iter().all(|r| r.1 == att2), "{hz:?}");
    // The peer: without Force blocked, with Force gone; then the TRs and the CEN.
    fails(
        w,
        A,
        "DeleteTransitRouterPeerAttachment",
        json!({"TransitRouterAttachmentId": attp}),
        "OperationFailed.RouteTableAssociationExist",
    );
    ok(
        w,
        A,
        "DeleteTransitRouterPeerAttachment",
        json!({"TransitRouterAttachmentId": attp, "Force": true}),
    );
    // Without Force: disable, dissociate, remove the VPC route, then delete.
    link(
        w,
        "DisableTransitRouterRouteTablePropagation",
        &att2,
        &n.trt_hz,
    );
    fails(
        w,
        A,
        "DeleteTransitRouterVpcAttachment",
        json!({"TransitRouterAttachmentId": att2}),
        "OperationFailed.AttachmentReferencedVpcRouteEntryExisted",
    );
    let rte = w
        .route_entries
        .values()
        .find(|e| e.next_hop_id == att2)
        .unwrap()
        .route_entry_id
        .clone();
    ok(
        w,
        A,
        "DeleteRouteEntry",
        json!({"RegionId": "cn-hangzhou", "RouteEntryId": rte}),
    );
    fails(
        w,
        A,
        "DeleteTransitRouterVpcAttachment",
        json!({"TransitRouterAttachmentId": att2}),
        "OperationFailed.RouteTableAssociationExist",
    );
    link(
        w,
        "DissociateTransitRouterAttachmentFromRouteTable",
        &att2,
        &n.trt_hz,
    );
    ok(
        w,
        A,
        "DeleteTransitRouterVpcAttachment",
        json!({"TransitRouterAttachmentId": att2}),
    );
    let (tr_cd, tr_hz, cen, bwp) = (
        n.tr_cd.clone(),
        n.tr_hz.clone(),
        n.cen.clone(),
        n.bwp.clone(),
    );
    ok(
        w,
        A,
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr_cd}),
    );
    ok(
        w,
        A,
        "DeleteTransitRouter",
        json!({"TransitRouterId": tr_hz}),
    );
    fails(
        w,
        A,
        "DeleteCen",
        json!({"CenId": cen}),
        "DependencyViolation.BandwidthPackage",
    );
    ok(
        w,
        A,
        "UnassociateCenBandwidthPackage",
        json!({"CenId": cen, "CenBandwidthPackageId": bwp}),
    );
    ok(w, A, "DeleteCen", json!({"CenId": cen}));
}

#[test]
fn static_route_beats_propagated_and_loser_is_rejected() {
    let mut n = s3_base();
    let (att1, _, attp) = s3_cen_steps(&mut n);
    let w = &mut n.w;
    // A static 192.168.7.0/24 → BlackHole in Chengdu wins over the propagated one.
    ok(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": n.trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "192.168.7.0/24", "TransitRouterRouteEntryNextHopType": "BlackHole"}),
    );
    let rows = table_rows(w, &n.trt_cd);
    assert!(
        rows.contains(&(
            "192.168.7.0/24".into(),
            "".into(),
            "Static".into(),
            "Active".into()
        )),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(
            "192.168.7.0/24".into(),
            attp.clone(),
            "Propagated".into(),
            "Rejected".into()
        )),
        "{rows:?}"
    );
    let now = w.now();
    let routes = w.tr_routes(now);
    let f = tr_forward(
        w.cen(),
        &routes,
        now,
        &n.tr_cd,
        &att1,
        Ipv4Addr::new(192, 168, 7, 1),
    );
    assert!(
        matches!(
            f,
            TrForward::Dropped {
                code: "TR_BLACKHOLE",
                ..
            }
        ),
        "{f:?}"
    );
    // Deleting it by table + destination restores the propagated route.
    ok(
        w,
        A,
        "DeleteTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": n.trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "192.168.7.0/24"}),
    );
    let rows = table_rows(w, &n.trt_cd);
    assert!(
        rows.contains(&(
            "192.168.7.0/24".into(),
            attp,
            "Propagated".into(),
            "Active".into()
        )),
        "{rows:?}"
    );
}

#[test]
fn auto_publish_puts_tr_routes_into_the_vpc_system_table() {
    let mut n = s3_base();
    let w = &mut n.w;
    let mut p = json!({"RegionId": "cn-chengdu", "CenId": n.cen, "VpcId": n.vpc1, "AutoPublishRouteEnabled": true,
                       "ZoneMappings.1.VSwitchId": n.vsw1, "ZoneMappings.1.ZoneId": "cn-chengdu-a"});
    let att1 = s(
        &ok(w, A, "CreateTransitRouterVpcAttachment", p.take()),
        "TransitRouterAttachmentId",
    );
    assoc_prop(w, &att1, &n.trt_cd);
    ok(
        w,
        A,
        "CreateTransitRouterRouteEntry",
        json!({"TransitRouterRouteTableId": n.trt_cd, "TransitRouterRouteEntryDestinationCidrBlock": "10.20.0.0/16", "TransitRouterRouteEntryNextHopType": "BlackHole"}),
    );
    let now = w.now();
    // Its own vSwitch routes (next hop = itself) are not published; the static one is.
    assert_eq!(
        w.tr_published_routes(&n.vpc1, now),
        vec![("10.20.0.0/16".parse().unwrap(), att1.clone())]
    );
    let m = w
        .lookup_route(&n.vpc1, None, "10.20.1.1".parse().unwrap())
        .unwrap();
    assert!(
        matches!(m.target, crate::cloud::vpc::route::RouteTarget::NextHop { ref next_hop_id, .. } if *next_hop_id == att1)
    );
    let r = ok(
        w,
        A,
        "DescribeRouteEntryList",
        json!({"RegionId": "cn-chengdu", "RouteTableId": n.rt1, "RouteEntryType": "CEN"}),
    );
    assert_eq!(
        r["RouteEntrys"]["RouteEntry"][0]["DestinationCidrBlock"],
        "10.20.0.0/16"
    );
}

#[test]
fn implicit_tr_with_only_cen_id() {
    let mut w = world();
    let (vpc, _) = mk_vpc(&mut w, A, "cn-shanghai", "10.0.0.0/16");
    let vsw = mk_vsw(
        &mut w,
        A,
        "cn-shanghai",
        &vpc,
        "cn-shanghai-a",
        "10.0.1.0/24",
    );
    let cen = s(&ok(&mut w, A, "CreateCen", json!({})), "CenId");
    let att = s(
        &ok(
            &mut w,
            A,
            "CreateTransitRouterVpcAttachment",
            json!({"RegionId": "cn-shanghai", "CenId": cen, "VpcId": vpc, "ZoneMappings.1.VSwitchId": vsw, "ZoneMappings.1.ZoneId": "cn-shanghai-a"}),
        ),
        "TransitRouterAttachmentId",
    );
    let r = ok(&mut w, A, "ListTransitRouters", json!({"CenId": cen}));
    assert_eq!(r["TotalCount"], 1);
    assert_eq!(r["TransitRouters"][0]["Type"], "Enterprise");
    assert_eq!(
        w.cen().attachments[&att].transit_router_id,
        s(&r["TransitRouters"][0], "TransitRouterId")
    );
}

// ---- propagation as a property ---------------------------------------------------------

/// One configuration step of a random CEN: attach, associate or propagate.
#[derive(Debug, Clone)]
enum Step {
    AttachVpc(usize),
    Peer(usize, usize),
    Assoc(usize),
    Prop(usize),
    PeerAssoc(usize, bool),
    PeerProp(usize, bool),
    Static(usize, u8),
}

/// Three regions, a VPC per region, all TRs; `steps` applied in the given order (failures
/// from steps whose prerequisites came later are ignored, then the whole list is retried
/// until nothing changes, so every order reaches the same set of links).
fn build(steps: &[Step]) -> (World, Vec<String>) {
    let regions = ["cn-chengdu", "cn-hangzhou", "cn-shanghai"];
    let mut w = world();
    let cen = s(&ok(&mut w, A, "CreateCen", json!({})), "CenId");
    let mut vpcs = Vec::new();
    let mut trs = Vec::new();
    for (i, r) in regions.iter().enumerate() {
        let (vpc, _) = mk_vpc(&mut w, A, r, "10.0.0.0/8");
        let vsw = mk_vsw(
            &mut w,
            A,
            r,
            &vpc,
            &format!("{r}-a"),
            &format!("10.{i}.1.0/24"),
        );
        mk_vsw(&mut w, A, r, &vpc, &format!("{r}-b"), "10.99.0.0/24");
        vpcs.push((vpc, vsw));
        trs.push(s(
            &ok(
                &mut w,
                A,
                "CreateTransitRouter",
                json!({"RegionId": r, "CenId": cen}),
            ),
            "TransitRouterId",
        ));
    }
    let table = |w: &World, i: usize| {
        w.cen().transit_routers[&trs[i]]
            .system_route_table_id
            .clone()
    };
    let att_of = |w: &World, i: usize| {
        w.cen()
            .attachments
            .values()
            .find(|a| a.vpc_id() == Some(vpcs[i].0.as_str()))
            .map(|a| a.attachment_id.clone())
    };
    let peer_of = |w: &World, a: usize, b: usize| {
        w.cen()
            .attachments
            .values()
            .find(|x| {
                let e = x.ends();
                e.len() == 2 && e.contains(&trs[a].as_str()) && e.contains(&trs[b].as_str())
            })
            .map(|x| x.attachment_id.clone())
    };
    loop {
        let before = serde_json::to_string(w.cen()).unwrap();
        for st in steps {
            let _ = match st {
                Step::AttachVpc(i) => call(
                    &mut w,
                    A,
                    "CreateTransitRouterVpcAttachment",
                    json!({"RegionId": regions[*i], "TransitRouterId": trs[*i], "VpcId": vpcs[*i].0, "ZoneMappings.1.VSwitchId": vpcs[*i].1, "ZoneMappings.1.ZoneId": format!("{}-a", regions[*i])}),
                ),
                Step::Peer(a, b) => call(
                    &mut w,
                    A,
                    "CreateTransitRouterPeerAttachment",
                    json!({"RegionId": regions[*a], "TransitRouterId": trs[*a], "PeerTransitRouterId": trs[*b], "BandwidthType": "DataTransfer", "Bandwidth": 5}),
                ),
                Step::Assoc(i) | Step::Prop(i) => match att_of(&w, *i) {
                    Some(att) => {
                        let api = if matches!(st, Step::Assoc(_)) {
                            "AssociateTransitRouterAttachmentWithRouteTable"
                        } else {
                            "EnableTransitRouterRouteTablePropagation"
                        };
                        let t = table(&w, *i);
                        call(
                            &mut w,
                            A,
                            api,
                            json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": t}),
                        )
                    }
                    None => Ok(Value::Null),
                },
                Step::PeerAssoc(p, side) | Step::PeerProp(p, side) => {
                    let (a, b) = [(0, 1), (1, 2), (0, 2)][*p];
                    match peer_of(&w, a, b) {
                        Some(att) => {
                            let api = if matches!(st, Step::PeerAssoc(..)) {
                                "AssociateTransitRouterAttachmentWithRouteTable"
                            } else {
                                "EnableTransitRouterRouteTablePropagation"
                            };
                            let t = table(&w, if *side { a } else { b });
                            call(
                                &mut w,
                                A,
                                api,
                                json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": t}),
                            )
                        }
                        None => Ok(Value::Null),
                    }
                }
                Step::Static(i, n) => {
                    let t = table(&w, *i);
                    call(
                        &mut w,
                        A,
                        "CreateTransitRouterRouteEntry",
                        json!({"TransitRouterRouteTableId": t, "TransitRouterRouteEntryDestinationCidrBlock": format!("172.{n}.0.0/16"), "TransitRouterRouteEntryNextHopType": "BlackHole"}),
                    )
                }
            };
        }
        if serde_json::to_string(w.cen()).unwrap() == before {
            break;
        }
    }
    (w, trs)
}

/// The tables as sets of (table's TR index, destination, origin, next hop's ends, status):
/// ids differ between runs (they are drawn in call order), the content must not.
fn canonical(w: &World, trs: &[String]) -> Vec<String> {
    let routes = w.tr_routes(w.now());
    let mut out = Vec::new();
    for (i, tr) in trs.iter().enumerate() {
        let t = &w.cen().transit_routers[tr].system_route_table_id;
        for r in routes.get(t).into_iter().flatten() {
            let hop = match r
                .next_hop
                .attachment()
                .and_then(|a| w.cen().attachments.get(a))
            {
                Some(a) => {
                    let mut ends: Vec<usize> = a
                        .ends()
                        .iter()
                        .map(|e| trs.iter().position(|x| x == e).unwrap())
                        .collect();
                    ends.sort();
                    format!("{}{ends:?}", a.resource_type())
                }
                None => "BlackHole".into(),
            };
            out.push(format!(
                "{i} {} {} {hop} {}",
                r.destination,
                r.entry_type(),
                r.status.as_str()
            ));
        }
    }
    out.sort();
    out
}

fn all_steps() -> Vec<Step> {
    let mut v = Vec::new();
    for i in 0..3 {
        v.push(Step::AttachVpc(i));
        v.push(Step::Assoc(i));
        v.push(Step::Prop(i));
        v.push(Step::Static(i, 16 + i as u8));
    }
    v.push(Step::Static(2, 16)); // same destination as TR 0's static: conflicts across TRs
    for (p, (a, b)) in [(0, 1), (1, 2), (0, 2)].iter().enumerate() {
        v.push(Step::Peer(*a, *b));
        for side in [true, false] {
            v.push(Step::PeerAssoc(p, side));
            v.push(Step::PeerProp(p, side));
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn propagation_fixed_point_is_independent_of_order(
        perm in Just(all_steps()).prop_shuffle(),
        keep in proptest::collection::vec(any::<bool>(), 26),
    ) {
        // A random subset of the steps, in two random orders: identical tables.
        let subset: Vec<Step> = perm.iter().zip(keep.iter().chain(std::iter::repeat(&true))).filter(|(_, k)| **k).map(|(s, _)| s.clone()).collect();
        let mut reversed = subset.clone();
        reversed.reverse();
        let (w1, t1) = build(&subset);
        let (w2, t2) = build(&reversed);
        prop_assert_eq!(canonical(&w1, &t1), canonical(&w2, &t2));
    }
}

#[test]
fn triangle_of_peers_converges_and_prefers_the_direct_path() {
    let (w, trs) = build(&all_steps());
    let c = canonical(&w, &trs);
    // TR 0 learns VPC 2's 10.2.1.0/24 directly over the 0–2 peer (round 1, Active) and via
    // 1 (round 2, Rejected).
    assert!(
        c.contains(&"0 10.2.1.0/24 Propagated TR[0, 2] Active".to_string()),
        "{c:#?}"
    );
    assert!(
        c.contains(&"0 10.2.1.0/24 Propagated TR[0, 1] Rejected".to_string()),
        "{c:#?}"
    );
    // Overlapping 10.99.0.0/24 of every VPC: the local VPC wins.
    assert!(
        c.contains(&"1 10.99.0.0/24 Propagated VPC[1] Active".to_string()),
        "{c:#?}"
    );
}

#[test]
fn equal_peer_routes_prefer_the_region_first_in_alphabetical_order() {
    // TR 0 (cn-chengdu) has no VPC of its own: it learns VPC 1's and VPC 2's 10.99.0.0/24 over
    // its two peers in the same round. Alibaba picks the route learned from the region id first
    // in alphabetical order (cn-hangzhou, TR 1), whichever peer attachment was created first.
    let mut steps: Vec<Step> = all_steps()
        .into_iter()
        .filter(|s| !matches!(s, Step::AttachVpc(0)))
        .collect();
    for _ in 0..2 {
        let (w, trs) = build(&steps);
        let c = canonical(&w, &trs);
        assert!(
            c.contains(&"0 10.99.0.0/24 Propagated TR[0, 1] Active".to_string()),
            "{c:#?}"
        );
        assert!(
            c.contains(&"0 10.99.0.0/24 Propagated TR[0, 2] Rejected".to_string()),
            "{c:#?}"
        );
        steps.reverse();
    }
}
