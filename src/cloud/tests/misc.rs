//! Billing, ids, route lookup, VPC/route error codes, decoding, world spec.

use super::errors::{err_world, v};
use super::*;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::route::RouteTarget;
use crate::cloud::vpcpeer::PeerStatus;

fn t0() -> Timestamp {
    Timestamp::parse("2025-01-01T00:00:00Z").unwrap()
}

fn billing_world() -> (World, String, String, String) {
    let mut w = world();
    let (v1, _) = mk_vpc(&mut w, A, "cn-huhehaote", "10.0.0.0/16");
    let (v2, _) = mk_vpc(&mut w, B, "cn-guangzhou", "10.1.0.0/16");
    let id = peer(
        &mut w,
        A,
        "cn-huhehaote",
        &v1,
        B,
        "cn-guangzhou",
        &v2,
        json!({"LinkType": "Gold"}),
    )
    .unwrap()["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &mut w,
        B,
        "AcceptVpcPeerConnection",
        json!({"InstanceId": id}),
    );
    (w, id, v1, v2)
}

#[test]
fn bill_1_worked_example() {
    let (mut w, id, v1, v2) = billing_world();
    w.record_traffic(&id, &v1, 200, t0()).unwrap();
    w.record_traffic(&id, &v2, 100, t0()).unwrap();
    assert_eq!(w.fee(A, t0()).unwrap().to_string(), "96.00");
    assert_eq!(w.fee(B, t0()).unwrap().to_string(), "48.00");
    assert_eq!(w.fee(A, t0().plus(3600)).unwrap().micro(), 0);
}

#[test]
fn bill_2_link_type_switch_bills_whole_hour_at_higher_rate() {
    let (mut w, id, v1, v2) = billing_world();
    w.record_traffic(&id, &v1, 200, t0()).unwrap();
    w.record_traffic(&id, &v2, 100, t0()).unwrap();
    w.advance_clock(t0().plus(1800));
    ok(
        &mut w,
        A,
        "ModifyVpcPeerConnection",
        json!({"InstanceId": id, "LinkType": "Platinum"}),
    );
    assert_eq!(w.fee(A, t0()).unwrap().to_string(), "120.00");
    assert_eq!(w.fee(B, t0()).unwrap().to_string(), "60.00");
}

#[test]
fn intra_region_is_free() {
    let mut w = world();
    let (v1, _) = mk_vpc(&mut w, A, "cn-hangzhou", "10.0.0.0/16");
    let (v2, _) = mk_vpc(&mut w, B, "cn-hangzhou", "10.1.0.0/16");
    let id = peer_ok(&mut w, A, "cn-hangzhou", &v1, B, "cn-hangzhou", &v2);
    w.record_traffic(&id, &v1, 500, t0()).unwrap();
    assert_eq!(w.fee(A, t0()).unwrap().micro(), 0);
}

#[test]
fn ids_are_deterministic_and_formatted() {
    let run = || {
        let mut w = err_world(json!({}));
        let (va, vb) = (v(&w, A, "a_hz"), v(&w, A, "a_bj"));
        peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-beijing", &vb);
        serde_json::to_string(&w).unwrap()
    };
    assert_eq!(run(), run());
    let w = err_world(json!({}));
    let vpc = w.vpc_by_name(A, "a_bj").unwrap();
    assert!(
        vpc.vpc_id.starts_with("vpc-2ze") && vpc.vpc_id.len() == 24,
        "{}",
        vpc.vpc_id
    );
    assert!(vpc.system_route_table_id.starts_with("vtb-2ze"));
    assert!(vpc.vrouter_id.starts_with("vrt-2ze"));
    // different seed → different ids
    let w2 = world_with(
        json!({"id_seed": 99, "vpcs": [{"owner": A, "region_id": "cn-beijing", "cidr_block": "10.2.0.0/16", "name": "a_bj"}]}),
    );
    assert_ne!(w2.vpc_by_name(A, "a_bj").unwrap().vpc_id, vpc.vpc_id);
    // serde round trip
    let back: World = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
    assert_eq!(back, w);
    assert_eq!(back.schema_version(), 1);
}

#[test]
fn longest_prefix_lookup() {
    let mut w = world();
    let (va, rt) = mk_vpc(&mut w, A, "cn-hangzhou", "10.0.0.0/16");
    let s = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &va,
        "cn-hangzhou-h",
        "10.0.1.0/24",
    );
    let (vb, _) = mk_vpc(&mut w, A, "cn-hangzhou", "192.168.0.0/16");
    let (vc, _) = mk_vpc(&mut w, A, "cn-hangzhou", "172.16.0.0/16");
    let p1 = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-hangzhou", &vb);
    let p2 = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-hangzhou", &vc);
    route(&mut w, A, "cn-hangzhou", &rt, "0.0.0.0/0", &p1).unwrap();
    route(&mut w, A, "cn-hangzhou", &rt, "192.168.5.0/24", &p2).unwrap();
    route(&mut w, A, "cn-hangzhou", &rt, "192.168.5.7", &p1).unwrap(); // single IP → /32
    let hop = |ip: &str| {
        w.lookup_route(&va, Some(&s), ip.parse().unwrap())
            .map(|m| (m.destination.to_string(), m.target))
    };
    let nh = |id: &str| RouteTarget::NextHop {
        next_hop_type: Some(crate::cloud::vpc::route::NextHopType::VpcPeer),
        next_hop_id: id.into(),
    };
    assert_eq!(
        hop("10.0.1.9"),
        Some(("10.0.1.0/24".into(), RouteTarget::Local))
    );
    assert_eq!(hop("192.168.5.7"), Some(("192.168.5.7/32".into(), nh(&p1))));
    assert_eq!(hop("192.168.5.8"), Some(("192.168.5.0/24".into(), nh(&p2))));
    assert_eq!(hop("8.8.8.8"), Some(("0.0.0.0/0".into(), nh(&p1))));
    let l = ok(
        &mut w,
        A,
        "DescribeRouteEntryList",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": rt}),
    );
    assert_eq!(l["TotalCount"], 4);
    assert_eq!(l["RouteEntrys"]["RouteEntry"][0]["Type"], "System");
}

#[test]
fn vpc_and_route_error_codes() {
    let mut w = world();
    let (va, rt) = mk_vpc(&mut w, A, "cn-hangzhou", "10.0.0.0/16");
    mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &va,
        "cn-hangzhou-h",
        "10.0.1.0/24",
    );
    let (vb, _) = mk_vpc(&mut w, A, "cn-beijing", "10.1.0.0/16");
    let p = peer_ok(&mut w, A, "cn-hangzhou", &va, A, "cn-beijing", &vb);
    let cases: Vec<(&str, u16, &str, Value)> = vec![
        (
            "InvalidRegionId.NotFound",
            404,
            "CreateVpc",
            json!({"RegionId": "xx-nowhere-1"}),
        ),
        (
            "InvalidParameter",
            400,
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "CidrBlock": "100.64.0.0/16"}),
        ),
        (
            "InvalidParameter",
            400,
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.1/16"}),
        ),
        (
            "InvalidVpcName.Malformed",
            400,
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "VpcName": "http://x"}),
        ),
        (
            "InvalidVpcDiscription.Malformed",
            400,
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "Description": "https://x"}),
        ),
        (
            "InvalidUserCidr.Quota",
            400,
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "UserCidr": "10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16"}),
        ),
        (
            "InvalidUserCidr.Malformed",
            400,
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "UserCidr": "100.64.1.0/24"}),
        ),
        (
            "InvalidZoneId.NotFound",
            404,
            "CreateVSwitch",
            json!({"RegionId": "cn-hangzhou", "VpcId": va, "ZoneId": "cn-beijing-a", "CidrBlock": "10.0.2.0/24"}),
        ),
        (
            "InvalidVpcId.NotFound",
            404,
            "CreateVSwitch",
            json!({"RegionId": "cn-hangzhou", "VpcId": vb, "ZoneId": "cn-hangzhou-a", "CidrBlock": "10.0.2.0/24"}),
        ),
        (
            "InvalidCidrBlock.Malformed",
            400,
            "CreateVSwitch",
            json!({"RegionId": "cn-hangzhou", "VpcId": va, "ZoneId": "cn-hangzhou-a", "CidrBlock": "10.0.0.0/15"}),
        ),
        (
            "InvalidParameter",
            400,
            "CreateVSwitch",
            json!({"RegionId": "cn-hangzhou", "VpcId": va, "ZoneId": "cn-hangzhou-a", "CidrBlock": "10.9.0.0/24"}),
        ),
        (
            "InvalidCidrBlock.Overlapped",
            400,
            "CreateVSwitch",
            json!({"RegionId": "cn-hangzhou", "VpcId": va, "ZoneId": "cn-hangzhou-a", "CidrBlock": "10.0.1.128/25"}),
        ),
        (
            "InvalidRouteTableId.NotFound",
            404,
            "CreateRouteEntry",
            json!({"RegionId": "cn-beijing", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16", "NextHopType": "VpcPeer", "NextHopId": p}),
        ),
        (
            "InvalidNexthopTypeAndList.BothNull",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16"}),
        ),
        (
            "InvalidNexthopTypeAndList.BothNotNull",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": p, "NextHopList.1.NextHopId": "ri-abcdef123"}),
        ),
        (
            "InvalidCidrBlock.Malformed",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.1/16", "NextHopType": "VpcPeer", "NextHopId": p}),
        ),
        (
            "InvalidDestinationCidrBlock",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "100.64.1.0/24", "NextHopType": "VpcPeer", "NextHopId": p}),
        ),
        (
            "RouteConflict.AlreadyExist",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.0.1.0/24", "NextHopType": "VpcPeer", "NextHopId": p}),
        ),
        (
            "InvalidCidrBlock",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.0.1.0/26", "NextHopType": "VpcPeer", "NextHopId": p}),
        ),
        (
            "ResourceNotFound.VpcPeer",
            400,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16", "NextHopType": "VpcPeer", "NextHopId": "pcc-nothere0000"}),
        ),
        (
            "InvalidInstanId.NotFound",
            404,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16", "NextHopId": "i-nothere0000"}),
        ),
        (
            "InvalidNextHopId.NotFound",
            404,
            "CreateRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16", "NextHopType": "NatGateway", "NextHopId": "vpn-wrongprefix"}),
        ),
        ("InvalidAction.NotFound", 404, "FlyToTheMoon", json!({})),
        ("MissingParameter.RegionId", 400, "CreateVpc", json!({})),
        (
            "MissingParameter.AcceptingAliUid",
            400,
            "CreateVpcPeerConnection",
            json!({"RegionId": "cn-hangzhou", "VpcId": va}),
        ),
        (
            "InvalidParameter.Bandwidth",
            400,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": p, "Bandwidth": "lots"}),
        ),
        (
            "InvalidParameter.Force",
            400,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": p, "Force": "maybe"}),
        ),
        (
            "ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock",
            400,
            "DeleteRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteEntryId": "rte-x", "DestinationCidrBlock": "10.1.0.0/16"}),
        ),
        (
            "InvalidRouteEntryId.NotFound",
            404,
            "DeleteRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteEntryId": "rte-nothere000"}),
        ),
        (
            "OperationDenied",
            400,
            "DeleteRouteEntry",
            json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.0.1.0/24"}),
        ),
        (
            "InvalidAccessKeyId.NotFound",
            404,
            "DescribeVpcs",
            json!({"RegionId": "cn-hangzhou"}),
        ),
    ];
    for (i, (want, status, action, params)) in cases.into_iter().enumerate() {
        let caller = if want == "InvalidAccessKeyId.NotFound" {
            "1010101010101010"
        } else {
            A
        };
        let e = call(&mut w, caller, action, params).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.http_status),
            (want, status),
            "case #{i}: {e}"
        );
    }
    // duplicate destination with another next hop
    route(&mut w, A, "cn-hangzhou", &rt, "10.1.0.0/16", &p).unwrap();
    let e = call(&mut w, A, "CreateRouteEntry", json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16", "NextHopType": "NatGateway", "NextHopId": "ngw-abcdef123"})).unwrap_err();
    assert_eq!(e.code, "InvalidCIDRBlock.Duplicate");
    // vSwitch CIDR equal to a route destination
    let e = call(&mut w, A, "CreateVSwitch", json!({"RegionId": "cn-hangzhou", "VpcId": va, "ZoneId": "cn-hangzhou-a", "CidrBlock": "10.1.0.0/16"})).unwrap_err();
    assert_eq!(e.code, "InvalidParameter"); // outside the VPC CIDR first
    ok(
        &mut w,
        A,
        "DeleteRouteEntry",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.1.0.0/16"}),
    );
    route(&mut w, A, "cn-hangzhou", &rt, "10.0.2.0/24", &p).unwrap();
    let e = call(&mut w, A, "CreateVSwitch", json!({"RegionId": "cn-hangzhou", "VpcId": va, "ZoneId": "cn-hangzhou-a", "CidrBlock": "10.0.2.0/24"})).unwrap_err();
    assert_eq!(e.code, "RouteConflict.AlreadyExist");
}

#[test]
fn describe_calls_and_client_token() {
    let mut w = world();
    let p = json!({"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/16", "VpcName": "main", "ClientToken": "tok-1"});
    let r1 = ok(&mut w, A, "CreateVpc", p.clone());
    let r2 = ok(&mut w, A, "CreateVpc", p);
    assert_eq!(r1, r2);
    let e = call(
        &mut w,
        A,
        "CreateVpc",
        json!({"RegionId": "cn-hangzhou", "CidrBlock": "10.1.0.0/16", "ClientToken": "tok-1"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "IdempotenceParamNotMatch");
    let vpc = r1["VpcId"].as_str().unwrap().to_string();
    mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &vpc,
        "cn-hangzhou-h",
        "10.0.1.0/24",
    );
    let d = ok(
        &mut w,
        A,
        "DescribeVpcs",
        json!({"RegionId": "cn-hangzhou"}),
    );
    assert_eq!(d["TotalCount"], 1);
    assert_eq!(d["Vpcs"]["Vpc"][0]["VpcName"], "main");
    assert_eq!(d["Vpcs"]["Vpc"][0]["Status"], "Available");
    assert_eq!(
        ok(
            &mut w,
            B,
            "DescribeVpcs",
            json!({"RegionId": "cn-hangzhou"})
        )["TotalCount"],
        0
    );
    let s = ok(
        &mut w,
        A,
        "DescribeVSwitches",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc}),
    );
    assert_eq!(s["VSwitches"]["VSwitch"][0]["AvailableIpAddressCount"], 252);
    let t = ok(
        &mut w,
        A,
        "DescribeRouteTableList",
        json!({"RegionId": "cn-hangzhou", "VpcId": vpc}),
    );
    assert_eq!(
        t["RouterTableList"]["RouterTableListType"][0]["RouteTableType"],
        "System"
    );
}

#[test]
fn world_spec_rejects_bad_input() {
    let bad_field = fixture_json(json!({"colour": "blue"}));
    assert!(
        matches!(WorldSpec::from_json(&bad_field.to_string()), Err(crate::cloud::SpecError::Parse(m)) if m.contains("colour"))
    );
    let mut nested = fixture_json(json!({}));
    nested["accounts"][0]["cdt"] = json!(true);
    assert!(WorldSpec::from_json(&nested.to_string()).is_err());
    let mut cyc = fixture_json(json!({}));
    cyc["resource_directory"]["folders"] = json!([{"id": "fd-a1", "name": "a", "parent": "fd-b1"}, {"id": "fd-b1", "name": "b", "parent": "fd-a1"}]);
    cyc["resource_directory"]["members"] = json!([]);
    let e = WorldSpec::from_json(&cyc.to_string())
        .unwrap()
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("cycle"), "{e}");
    let bad_vpc = fixture_json(
        json!({"vpcs": [{"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "vswitches": [{"zone_id": "cn-hangzhou-z", "cidr_block": "10.0.1.0/24"}]}]}),
    );
    let e = WorldSpec::from_json(&bad_vpc.to_string())
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(e, crate::cloud::SpecError::Api { ref error, .. } if error.code == "InvalidZoneId.NotFound"),
        "{e}"
    );
    // nested folders produce nested paths
    let mut deep = fixture_json(json!({}));
    deep["resource_directory"]["folders"] = json!([{"id": "fd-leaf01", "name": "leaf", "parent": "fd-mid01"}, {"id": "fd-mid01", "name": "mid"}]);
    deep["resource_directory"]["members"] = json!([{"uid": A, "folder": "fd-leaf01"}]);
    let w = WorldSpec::from_json(&deep.to_string())
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        w.rd_path(A).as_deref(),
        Some("rd-abc123/r-root01/fd-mid01/fd-leaf01/1234567890123456")
    );
    assert_eq!(w.rd_id(A).as_deref(), Some("rd-abc123"));
}

#[test]
fn operation_metadata() {
    let m = json!({"InstanceId": "pcc-x"});
    let op =
        crate::cloud::Operation::decode("AcceptVpcPeerConnection", m.as_object().unwrap()).unwrap();
    assert_eq!(
        (op.action_name(), op.region(), op.is_write(), op.product()),
        ("AcceptVpcPeerConnection", None, true, "VpcPeer")
    );
    let m = json!({"RegionId": "cn-hangzhou", "VpcId.1": "vpc-a", "VpcId.2": "vpc-b"});
    let op =
        crate::cloud::Operation::decode("ListVpcPeerConnections", m.as_object().unwrap()).unwrap();
    assert_eq!((op.region(), op.is_write()), (Some("cn-hangzhou"), false));
    // Every API with a required parameter refuses a request without it (CEN's CreateCen and
    // list calls have none).
    for a in crate::cloud::operation::ACTIONS
        .iter()
        .zip(crate::cloud::operation::DECLS)
        .filter(|(_, d)| d.params.iter().any(|p| p.required))
        .map(|(a, _)| a)
    {
        let e = crate::cloud::Operation::decode(a, &serde_json::Map::new());
        assert!(
            e.is_err_and(|e| e.code.starts_with("MissingParameter.")),
            "{a}"
        );
    }
}

/// The archive of deleted peerings is a hash map, but nothing observable depends on its
/// internal order: two worlds that deleted the same peerings in opposite orders serialize to
/// the same bytes, list deleted peerings sorted by id, and survive a round trip.
#[test]
fn peering_archive_order_is_not_observable() {
    let build = |reverse: bool| {
        let mut w = world();
        let vpcs: Vec<String> = (0..7)
            .map(|i| mk_vpc(&mut w, A, "cn-hangzhou", &format!("10.{i}.0.0/16")).0)
            .collect();
        let mut ids: Vec<String> = (1..7)
            .map(|i| {
                peer_ok(
                    &mut w,
                    A,
                    "cn-hangzhou",
                    &vpcs[0],
                    A,
                    "cn-hangzhou",
                    &vpcs[i],
                )
            })
            .collect();
        if reverse {
            ids.reverse();
        }
        for id in &ids {
            ok(
                &mut w,
                A,
                "DeleteVpcPeerConnection",
                json!({"InstanceId": id}),
            );
        }
        (w, ids)
    };
    let (forward, ids) = build(false);
    let (backward, _) = build(true);
    let text = serde_json::to_string(&forward).unwrap();
    assert_eq!(text, serde_json::to_string(&backward).unwrap());
    assert_eq!(forward.archived_peerings.len(), 6);
    let listed: Vec<&str> = forward.peerings().map(|p| p.instance_id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    let back: World = serde_json::from_str(&text).unwrap();
    assert_eq!(back, forward);
    for id in &ids {
        assert_eq!(back.peering_status(id), Some(PeerStatus::Deleted), "{id}");
    }
}
