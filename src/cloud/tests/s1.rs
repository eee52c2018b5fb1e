//! §11.1 scenario S1 scripts (reach-analysis steps are checked through `lookup_route`).

use super::*;
use crate::cloud::time::DAY;
use crate::cloud::vpc::route::{NextHopType, RouteTarget};
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn via(w: &World, vpc: &str, vsw: &str, dst: &str) -> Option<RouteTarget> {
    w.lookup_route(vpc, Some(vsw), ip(dst)).map(|m| m.target)
}

fn pcc_target(id: &str) -> Option<RouteTarget> {
    Some(RouteTarget::NextHop {
        next_hop_type: Some(NextHopType::VpcPeer),
        next_hop_id: id.to_string(),
    })
}

#[test]
fn s1_a_same_account_inter_region() {
    let mut w = world();
    let (vpc_hz, rt_hz) = mk_vpc(&mut w, A, "cn-hangzhou", "10.0.0.0/8");
    let vsw_hz = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &vpc_hz,
        "cn-hangzhou-h",
        "10.0.1.0/24",
    );
    let (vpc_bj, rt_bj) = mk_vpc(&mut w, A, "cn-beijing", "172.16.0.0/12");
    let vsw_bj = mk_vsw(
        &mut w,
        A,
        "cn-beijing",
        &vpc_bj,
        "cn-beijing-h",
        "172.16.1.0/24",
    );
    // step 9 (aliyun CLI style: numbers as strings)
    let params = json!({"RegionId": "cn-hangzhou", "VpcId": vpc_hz, "AcceptingAliUid": A, "AcceptingRegionId": "cn-beijing",
        "AcceptingVpcId": vpc_bj, "Name": "example_peer_connection_name", "Bandwidth": "1024", "LinkType": "Gold"});
    let op =
        crate::cloud::Operation::decode("CreateVpcPeerConnection", params.as_object().unwrap())
            .unwrap();
    let auth = w.authorization_request(&ctx(&w, A), &op).unwrap();
    assert_eq!(auth.condition_keys["acs:TargetRDId"], "rd-abc123");
    assert_eq!(
        auth.condition_keys["acs:TargetRDPath"],
        "rd-abc123/r-root01/fd-prod01/1234567890123456"
    );
    assert_eq!(auth.dependent_actions[0].action, "cdt:GetCdtServiceStatus");
    let pcc = w.execute(&ctx(&w, A), &op).unwrap()["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(pcc.starts_with("pcc-bp1"));
    let g = get(&mut w, A, &pcc).unwrap();
    assert_eq!(g["Status"], "Activated");
    assert_eq!(g["Bandwidth"], 1024);
    assert_eq!(g["LinkType"], "Gold");
    assert_eq!(g["GmtExpired"], Value::Null);
    // step 10
    assert_eq!(via(&w, &vpc_hz, &vsw_hz, "172.16.1.10"), None);
    // step 11
    assert_eq!(g["Vpc"]["Ipv4Cidrs"], json!(["10.0.0.0/8"]));
    assert_eq!(g["AcceptingVpc"]["Ipv4Cidrs"], json!(["172.16.0.0/12"]));
    // steps 12–15
    let rte1 = route(&mut w, A, "cn-hangzhou", &rt_hz, "172.16.0.0/12", &pcc).unwrap()
        ["RouteEntryId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(via(&w, &vpc_hz, &vsw_hz, "172.16.1.10"), pcc_target(&pcc));
    assert_eq!(via(&w, &vpc_bj, &vsw_bj, "10.0.1.10"), None); // return route missing
    let rte2 = route(&mut w, A, "cn-beijing", &rt_bj, "10.0.0.0/8", &pcc).unwrap()["RouteEntryId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(via(&w, &vpc_bj, &vsw_bj, "10.0.1.10"), pcc_target(&pcc));
    assert!(w.peering_passes_traffic(&pcc));
    // step 16
    assert_eq!(
        route(&mut w, A, "cn-hangzhou", &rt_hz, "172.16.0.0/12", &pcc)
            .unwrap_err()
            .code,
        "RouterEntryConflict.Duplicated"
    );
    // step 17
    assert_eq!(
        code(
            &mut w,
            A,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": pcc, "Bandwidth": 2048})
        ),
        "QuotaExceeded.Bandwidth"
    );
    // step 18
    ok(
        &mut w,
        A,
        "ModifyVpcPeerConnection",
        json!({"InstanceId": pcc, "Bandwidth": "512", "LinkType": "Platinum"}),
    );
    let g = get(&mut w, A, &pcc).unwrap();
    assert_eq!(
        (
            g["Status"].as_str(),
            g["Bandwidth"].as_i64(),
            g["LinkType"].as_str()
        ),
        (Some("Activated"), Some(512), Some("Platinum"))
    );
    // step 19
    assert_eq!(
        code(
            &mut w,
            A,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": pcc})
        ),
        "OperationDenied.RouteEntryExist"
    );
    // step 20
    w.drain_service_events();
    ok(
        &mut w,
        A,
        "DeleteVpcPeerConnection",
        json!({"InstanceId": pcc, "Force": "true"}),
    );
    assert!(w.route_entry(&rte1).is_none() && w.route_entry(&rte2).is_none());
    let ev = w.drain_service_events();
    assert_eq!(
        ev.iter()
            .filter(|e| e.event_name == "DeleteRouteEntry")
            .count(),
        2
    );
    assert_eq!(
        get(&mut w, A, &pcc).unwrap_err().code,
        "ResourceNotFound.InstanceId"
    );
    assert_eq!(via(&w, &vpc_hz, &vsw_hz, "172.16.1.10"), None);
    assert_eq!(w.peering(&pcc).unwrap().owner_uid, A); // record retained (T9)
}

struct Cross {
    w: World,
    vpc_r: String,
    rt_r: String,
    vsw_r: String,
    vpc_b: String,
    rt_b: String,
    vsw_b: String,
}

fn cross() -> Cross {
    let mut w = world();
    let (vpc_r, rt_r) = mk_vpc(&mut w, A, "cn-hangzhou", "172.16.0.0/12");
    let vsw_r = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &vpc_r,
        "cn-hangzhou-h",
        "172.16.1.0/24",
    );
    let (vpc_b, rt_b) = mk_vpc(&mut w, B, "cn-beijing", "192.168.0.0/24");
    let vsw_b = mk_vsw(
        &mut w,
        B,
        "cn-beijing",
        &vpc_b,
        "cn-beijing-h",
        "192.168.0.0/25",
    );
    Cross {
        w,
        vpc_r,
        rt_r,
        vsw_r,
        vpc_b,
        rt_b,
        vsw_b,
    }
}

impl Cross {
    fn request(&mut self) -> String {
        let r = peer(
            &mut self.w,
            A,
            "cn-hangzhou",
            &self.vpc_r,
            B,
            "cn-beijing",
            &self.vpc_b,
            json!({"Bandwidth": 1024, "LinkType": "Gold"}),
        );
        r.unwrap()["InstanceId"].as_str().unwrap().to_string()
    }
}

#[test]
fn s1_b_cross_account_with_acceptance() {
    let mut x = cross();
    let pcc = x.request();
    let g = get(&mut x.w, A, &pcc).unwrap();
    assert_eq!(g["Status"], "Accepting");
    assert_eq!(g["GmtExpired"], "2025-01-08T00:00:00Z");
    // step 4
    assert_eq!(
        route(&mut x.w, A, "cn-hangzhou", &x.rt_r, "192.168.0.0/24", &pcc)
            .unwrap_err()
            .code,
        "IncorrectStatus.VpcPeer"
    );
    // step 5
    assert_eq!(
        code(
            &mut x.w,
            A,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": pcc})
        ),
        "OperationDenied.NotAccepter"
    );
    // step 6: each side lists the record in its own region
    let l = ok(
        &mut x.w,
        B,
        "ListVpcPeerConnections",
        json!({"RegionId": "cn-beijing"}),
    );
    assert_eq!(l["VpcPeerConnects"][0]["InstanceId"], json!(pcc));
    assert_eq!(l["VpcPeerConnects"][0]["Status"], "Accepting");
    let l = ok(
        &mut x.w,
        B,
        "ListVpcPeerConnections",
        json!({"RegionId": "cn-hangzhou"}),
    );
    assert_eq!(l["TotalCount"], 0);
    let l = ok(
        &mut x.w,
        A,
        "ListVpcPeerConnections",
        json!({"RegionId": "cn-hangzhou", "VpcId.1": x.vpc_r}),
    );
    assert_eq!(l["TotalCount"], 1);
    // step 7: auth keys describe the requester
    let op = crate::cloud::Operation::decode(
        "AcceptVpcPeerConnection",
        json!({"InstanceId": pcc}).as_object().unwrap(),
    )
    .unwrap();
    let auth = x.w.authorization_request(&ctx(&x.w, B), &op).unwrap();
    assert_eq!(
        auth.condition_keys["acs:TargetRDPath"],
        "rd-abc123/r-root01/fd-prod01/1234567890123456"
    );
    x.w.execute(&ctx(&x.w, B), &op).unwrap();
    let g = get(&mut x.w, B, &pcc).unwrap();
    assert_eq!(
        (g["Status"].as_str(), &g["GmtExpired"]),
        (Some("Activated"), &Value::Null)
    );
    // steps 8–10
    route(&mut x.w, A, "cn-hangzhou", &x.rt_r, "192.168.0.0/24", &pcc).unwrap();
    route(&mut x.w, B, "cn-beijing", &x.rt_b, "172.16.0.0/12", &pcc).unwrap();
    assert_eq!(
        via(&x.w, &x.vpc_r, &x.vsw_r, "192.168.0.10"),
        pcc_target(&pcc)
    );
    assert_eq!(
        via(&x.w, &x.vpc_b, &x.vsw_b, "172.16.1.10"),
        pcc_target(&pcc)
    );
    // B cannot write into A's route table
    assert_eq!(
        route(&mut x.w, B, "cn-hangzhou", &x.rt_r, "10.9.0.0/16", &pcc)
            .unwrap_err()
            .code,
        "InvalidRouteTableId.NotFound"
    );
    // step 11, 12
    assert_eq!(
        code(
            &mut x.w,
            B,
            "RejectVpcPeerConnection",
            json!({"InstanceId": pcc})
        ),
        "IncorrectStatus.VpcPeer"
    );
    assert_eq!(
        code(
            &mut x.w,
            B,
            "DeleteVpcPeerConnection",
            json!({"InstanceId": pcc})
        ),
        "OperationDenied.RouteEntryExist"
    );
    // either owner may delete with Force: routes on both sides go
    ok(
        &mut x.w,
        B,
        "DeleteVpcPeerConnection",
        json!({"InstanceId": pcc, "Force": true}),
    );
    assert!(w_routes_empty(&x.w));
}

fn w_routes_empty(w: &World) -> bool {
    w.routes_via_peering("").is_empty()
        && w.peerings()
            .all(|p| w.routes_via_peering(&p.instance_id).is_empty())
}

#[test]
fn s1_b_exp_expiry_after_seven_days() {
    let mut x = cross();
    let pcc = x.request();
    x.w.advance_clock_by(7 * DAY - 1);
    assert_eq!(
        x.w.peering_status(&pcc),
        Some(crate::cloud::vpcpeer::PeerStatus::Accepting)
    );
    // Lazy evaluation: a call at T0+7d+1s sees Expired without advance_clock.
    let mut c = ctx(&x.w, B);
    c.time = x.w.now().plus(2);
    let op = crate::cloud::Operation::decode(
        "AcceptVpcPeerConnection",
        json!({"InstanceId": pcc}).as_object().unwrap(),
    )
    .unwrap();
    assert_eq!(
        x.w.execute(&c, &op).unwrap_err().code,
        "IncorrectStatus.VpcPeer"
    );
    let ev = x.w.advance_clock_by(2);
    assert!(ev
        .iter()
        .any(|e| e.event_name == "VpcPeerConnectionExpired"));
    let g = get(&mut x.w, A, &pcc).unwrap();
    assert_eq!(g["Status"], "Expired");
    assert_eq!(g["GmtExpired"], "2025-01-08T00:00:00Z");
    ok(
        &mut x.w,
        A,
        "DeleteVpcPeerConnection",
        json!({"InstanceId": pcc}),
    );
    assert_eq!(
        get(&mut x.w, A, &pcc).unwrap_err().code,
        "ResourceNotFound.InstanceId"
    );
    // after the expired record is deleted the pair can be requested again
    x.request();
}

#[test]
fn s1_b_rej_reject() {
    let mut x = cross();
    let pcc = x.request();
    ok(
        &mut x.w,
        B,
        "RejectVpcPeerConnection",
        json!({"InstanceId": pcc}),
    );
    assert_eq!(get(&mut x.w, A, &pcc).unwrap()["Status"], "Rejected");
    assert_eq!(
        route(&mut x.w, A, "cn-hangzhou", &x.rt_r, "192.168.0.0/24", &pcc)
            .unwrap_err()
            .code,
        "IncorrectStatus.VpcPeer"
    );
    assert_eq!(via(&x.w, &x.vpc_r, &x.vsw_r, "192.168.0.10"), None);
    // a rejected request does not block a new one (step 19 counts only live statuses)
    x.request();
}

#[test]
fn s1_b_ram_keys_absent_outside_rd() {
    let mut w = world();
    let (va, _) = mk_vpc(&mut w, A, "cn-hangzhou", "10.0.0.0/16");
    let (vc, _) = mk_vpc(&mut w, C, "cn-hangzhou", "10.1.0.0/16");
    let (ve, _) = mk_vpc(&mut w, E, "cn-hangzhou", "10.2.0.0/16");
    let dec = |p: Value| {
        crate::cloud::Operation::decode("CreateVpcPeerConnection", p.as_object().unwrap()).unwrap()
    };
    let to_c = dec(
        json!({"RegionId": "cn-hangzhou", "VpcId": va, "AcceptingAliUid": C, "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": vc}),
    );
    assert!(w
        .authorization_request(&ctx(&w, A), &to_c)
        .unwrap()
        .condition_keys
        .is_empty());
    let to_e = dec(
        json!({"RegionId": "cn-hangzhou", "VpcId": va, "AcceptingAliUid": E, "AcceptingRegionId": "cn-hangzhou", "AcceptingVpcId": ve}),
    );
    let a = w.authorization_request(&ctx(&w, A), &to_e).unwrap();
    assert_eq!(
        a.condition_keys["acs:TargetRDPath"],
        "rd-abc123/r-root01/fd-dev01/5234567890123456"
    );
    assert_eq!(
        (a.denial_code.as_str(), a.denial_http_status),
        ("Forbidden.NoPermission", 400)
    );
    assert_eq!(
        w.rd_path(M).as_deref(),
        Some("rd-abc123/r-root01/9234567890123456")
    );
    assert_eq!(w.rd_id(C), None);
}

#[test]
fn s1_c_hub_and_spoke() {
    let mut w = world();
    let (hub, rt_hub) = mk_vpc(&mut w, A, "cn-hangzhou", "10.1.0.0/16");
    let s_hub = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &hub,
        "cn-hangzhou-h",
        "10.1.1.0/24",
    );
    let (sp2, rt_sp2) = mk_vpc(&mut w, A, "cn-hangzhou", "10.2.0.0/16");
    let s_sp2 = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &sp2,
        "cn-hangzhou-h",
        "10.2.1.0/24",
    );
    mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &sp2,
        "cn-hangzhou-h",
        "10.2.2.0/24",
    );
    let (sp3, rt_sp3) = mk_vpc(&mut w, A, "cn-hangzhou", "10.3.0.0/16");
    let s_sp3 = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &sp3,
        "cn-hangzhou-h",
        "10.3.1.0/24",
    );
    let p12 = peer_ok(&mut w, A, "cn-hangzhou", &hub, A, "cn-hangzhou", &sp2);
    let p13 = peer_ok(&mut w, A, "cn-hangzhou", &hub, A, "cn-hangzhou", &sp3);
    let g = get(&mut w, A, &p12).unwrap();
    assert_eq!(
        (
            g["Status"].as_str(),
            g["Bandwidth"].as_i64(),
            g["LinkType"].as_str()
        ),
        (Some("Activated"), Some(-1), Some(""))
    );
    route(&mut w, A, "cn-hangzhou", &rt_hub, "10.2.0.0/16", &p12).unwrap();
    route(&mut w, A, "cn-hangzhou", &rt_hub, "10.3.0.0/16", &p13).unwrap();
    route(&mut w, A, "cn-hangzhou", &rt_sp2, "10.1.0.0/16", &p12).unwrap();
    route(&mut w, A, "cn-hangzhou", &rt_sp3, "10.1.0.0/16", &p13).unwrap();
    assert_eq!(via(&w, &sp2, &s_sp2, "10.1.1.10"), pcc_target(&p12));
    assert_eq!(via(&w, &sp3, &s_sp3, "10.1.1.10"), pcc_target(&p13));
    // step 4: SP2 tries to transit the hub; creation is allowed
    route(&mut w, A, "cn-hangzhou", &rt_sp2, "10.3.0.0/16", &p12).unwrap();
    // step 5: the hub would forward 10.3.x onto another peering (reach reports NON_TRANSITIVE)
    assert_eq!(via(&w, &hub, &s_hub, "10.3.1.10"), pcc_target(&p13));
    // step 6: fine-grained route
    ok(
        &mut w,
        A,
        "DeleteRouteEntry",
        json!({"RegionId": "cn-hangzhou", "RouteTableId": rt_hub, "DestinationCidrBlock": "10.2.0.0/16"}),
    );
    route(&mut w, A, "cn-hangzhou", &rt_hub, "10.2.1.0/24", &p12).unwrap();
    // step 7
    assert_eq!(via(&w, &hub, &s_hub, "10.2.2.10"), None);
    assert_eq!(via(&w, &hub, &s_hub, "10.2.1.10"), pcc_target(&p12));
}

#[test]
fn s1_d_overlapping_cidrs() {
    let mut w = world();
    let (vx, rt_x) = mk_vpc(&mut w, A, "cn-hangzhou", "172.17.3.0/24");
    let sx = mk_vsw(
        &mut w,
        A,
        "cn-hangzhou",
        &vx,
        "cn-hangzhou-h",
        "172.17.3.0/25",
    );
    let (vy, rt_y) = mk_vpc(&mut w, A, "cn-beijing", "172.17.3.0/24");
    let sy = mk_vsw(
        &mut w,
        A,
        "cn-beijing",
        &vy,
        "cn-beijing-h",
        "172.17.3.128/25",
    );
    let pcc = peer_ok(&mut w, A, "cn-hangzhou", &vx, A, "cn-beijing", &vy);
    assert_eq!(get(&mut w, A, &pcc).unwrap()["Status"], "Activated");
    route(&mut w, A, "cn-hangzhou", &rt_x, "172.17.3.0/24", &pcc).unwrap();
    assert_eq!(
        route(&mut w, A, "cn-hangzhou", &rt_x, "172.17.3.0/25", &pcc)
            .unwrap_err()
            .code,
        "RouteConflict.AlreadyExist"
    );
    route(&mut w, A, "cn-beijing", &rt_y, "172.17.3.0/24", &pcc).unwrap();
    assert_eq!(via(&w, &vx, &sx, "172.17.3.200"), pcc_target(&pcc));
    assert_eq!(via(&w, &vy, &sy, "172.17.3.10"), pcc_target(&pcc));
    // step 6: local /25 wins in VX
    mk_vsw(
        &mut w,
        A,
        "cn-beijing",
        &vy,
        "cn-beijing-h",
        "172.17.3.0/26",
    );
    assert_eq!(via(&w, &vx, &sx, "172.17.3.20"), Some(RouteTarget::Local));
}
