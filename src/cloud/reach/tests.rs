//! Reachability tests: the §11.1 S1 Reach steps with their exact codes, one table per §8.4
//! path pattern and per §8.6 code, the result document, the fixes.

use super::document::result_document;
use super::fix::suggest;
use super::fixture::{Net, A, B};
use super::*;
use crate::cloud::ecs::security_group::Permission;
use crate::cloud::packet::{Direction, Protocol};

const TCP: Protocol = Protocol::Tcp;
const ICMP: Protocol = Protocol::Icmp;

fn ingress(n: &mut Net, sg: &str, proto: &str, ports: &str, cidr: &str) -> String {
    n.rule(sg, Direction::Ingress, Permission::cidr(proto, ports, cidr))
}

fn first(v: &Verdict) -> Option<&'static str> {
    v.first_error().map(|f| f.code.as_str())
}

fn node_types(hops: &[Hop]) -> Vec<&'static str> {
    hops.iter().map(|h| h.node_type.as_str()).collect()
}

/// S1-A steps 1–8: HZ 10.0.0.0/8 and BJ 172.16.0.0/12, one instance each, SGs allowing ICMP
/// and tcp/22 from the other side, both listening on tcp/22.
struct S1a {
    n: Net,
    vpc_hz: String,
    rt_hz: String,
    vpc_bj: String,
    rt_bj: String,
    ecs_hz: String,
    ecs_bj: String,
}

fn s1a() -> S1a {
    let mut n = Net::new();
    let (vpc_hz, rt_hz) = n.vpc(A, "cn-hangzhou", "10.0.0.0/8");
    let vsw_hz = n.vsw(A, &vpc_hz, "10.0.1.0/24");
    let sg_hz = n.sg(A, &vpc_hz, "normal");
    ingress(&mut n, &sg_hz, "ICMP", "-1/-1", "172.16.0.0/12");
    ingress(&mut n, &sg_hz, "TCP", "22/22", "172.16.0.0/12");
    let ecs_hz = n.vm(A, &vsw_hz, &[&sg_hz], Some("10.0.1.10"), "tcp/22");
    let (vpc_bj, rt_bj) = n.vpc(A, "cn-beijing", "172.16.0.0/12");
    let vsw_bj = n.vsw(A, &vpc_bj, "172.16.1.0/24");
    let sg_bj = n.sg(A, &vpc_bj, "normal");
    ingress(&mut n, &sg_bj, "ICMP", "-1/-1", "10.0.0.0/8");
    ingress(&mut n, &sg_bj, "TCP", "22/22", "10.0.0.0/8");
    let ecs_bj = n.vm(A, &vsw_bj, &[&sg_bj], Some("172.16.1.10"), "tcp/22");
    S1a {
        n,
        vpc_hz,
        rt_hz,
        vpc_bj,
        rt_bj,
        ecs_hz,
        ecs_bj,
    }
}

#[test]
fn s1_a_reach_steps_10_13_15_20() {
    let mut s = s1a();
    let pcc = s.n.peer(A, &s.vpc_hz, A, &s.vpc_bj);
    // step 10
    let v = s.n.reach(&s.ecs_hz, &s.ecs_bj, TCP, Some(22));
    assert!(!v.reachable);
    assert_eq!(first(&v), Some("ROUTE_NOT_FOUND"));
    let fix = suggest(&s.n.w, &v).expect("a route fix");
    assert_eq!(
        fix.aliyun_line(),
        format!("aliyun vpc CreateRouteEntry --RegionId cn-hangzhou --RouteTableId {} --DestinationCidrBlock 172.16.0.0/12 --NextHopType VpcPeer --NextHopId {pcc}", s.rt_hz)
    );
    // step 12 → 13
    s.n.route(&s.rt_hz, "172.16.0.0/12", &pcc).unwrap();
    let v = s.n.reach(&s.ecs_hz, &s.ecs_bj, TCP, Some(22));
    assert!(!v.reachable);
    assert_eq!(first(&v), Some("RETURN_ROUTE_NOT_FOUND"));
    assert_eq!(
        node_types(&v.forward),
        ["VM", "ENI", "VSW", "VRT", "PCC", "VRT", "VSW", "ENI", "VM"]
    );
    let fix = suggest(&s.n.w, &v).expect("a return route fix");
    assert_eq!(
        fix.aliyun_line(),
        format!("aliyun vpc CreateRouteEntry --RegionId cn-beijing --RouteTableId {} --DestinationCidrBlock 10.0.0.0/8 --NextHopType VpcPeer --NextHopId {pcc}", s.rt_bj)
    );
    // step 14 → 15
    s.n.route(&s.rt_bj, "10.0.0.0/8", &pcc).unwrap();
    for (a, b, proto, port) in [
        (&s.ecs_hz, &s.ecs_bj, TCP, Some(22)),
        (&s.ecs_hz, &s.ecs_bj, ICMP, None),
        (&s.ecs_bj, &s.ecs_hz, TCP, Some(22)),
    ] {
        let v = s.n.reach(a, b, proto, port);
        assert!(v.reachable, "{:?}", v.findings);
        assert!(v.findings.is_empty(), "{:?}", v.findings);
        let ids: Vec<&str> = v.forward.iter().map(|h| h.node_id.as_str()).collect();
        assert_eq!(
            node_types(&v.forward),
            ["VM", "ENI", "VSW", "VRT", "PCC", "VRT", "VSW", "ENI", "VM"]
        );
        assert_eq!(ids[0], a.as_str());
        assert_eq!(ids[4], pcc);
        assert_eq!(ids[8], b.as_str());
        assert_eq!(
            node_types(&v.reverse),
            ["VM", "ENI", "VSW", "VRT", "PCC", "VRT", "VSW", "ENI", "VM"]
        );
    }
    let v = s.n.reach(&s.ecs_hz, &s.ecs_bj, TCP, Some(22));
    assert_eq!(v.forward[3].node_id, s.vpc_hz);
    assert_eq!(v.forward[5].node_id, s.vpc_bj);
    // step 20: forced deletion removes the peering and its routes
    crate::cloud::tests::ok(
        &mut s.n.w,
        A,
        "DeleteVpcPeerConnection",
        serde_json::json!({"InstanceId": pcc, "Force": "true"}),
    );
    let v = s.n.reach(&s.ecs_hz, &s.ecs_bj, TCP, Some(22));
    assert_eq!(first(&v), Some("ROUTE_NOT_FOUND"));
    // with no peering left, the fix is to create one
    let fix = suggest(&s.n.w, &v).expect("a peering fix");
    assert_eq!(fix.action, "CreateVpcPeerConnection");
}

#[test]
fn s1_b_step_10_cross_account_icmp() {
    let mut n = Net::new();
    let (vpc_r, rt_r) = n.vpc(A, "cn-hangzhou", "172.16.0.0/12");
    let vsw_r = n.vsw(A, &vpc_r, "172.16.1.0/24");
    let sg_r = n.sg(A, &vpc_r, "normal");
    ingress(&mut n, &sg_r, "ICMP", "-1/-1", "192.168.0.0/24");
    let ecs_r = n.vm(A, &vsw_r, &[&sg_r], Some("172.16.1.10"), "");
    let (vpc_b, rt_b) = n.vpc(B, "cn-beijing", "192.168.0.0/24");
    let vsw_b = n.vsw(B, &vpc_b, "192.168.0.0/25");
    let sg_b = n.sg(B, &vpc_b, "normal");
    ingress(&mut n, &sg_b, "ICMP", "-1/-1", "172.16.0.0/12");
    let ecs_b = n.vm(B, &vsw_b, &[&sg_b], Some("192.168.0.10"), "");
    let pcc = n.peer(A, &vpc_r, B, &vpc_b);
    // before acceptance the route cannot be created; the fix is the accepter's acceptance
    let v = n.reach(&ecs_r, &ecs_b, ICMP, None);
    assert_eq!(first(&v), Some("ROUTE_NOT_FOUND"));
    let fix = suggest(&n.w, &v).unwrap();
    assert_eq!(fix.action, "AcceptVpcPeerConnection");
    assert_eq!(fix.caller, B);
    n.accept(B, &pcc);
    n.route(&rt_r, "192.168.0.0/24", &pcc).unwrap();
    n.route(&rt_b, "172.16.0.0/12", &pcc).unwrap();
    // step 10
    let v = n.reach(&ecs_r, &ecs_b, ICMP, None);
    assert!(v.reachable, "{:?}", v.findings);
}

/// S1-C: hub and two spokes.
struct S1c {
    n: Net,
    rt_hub: String,
    rt_sp2: String,
    p12: String,
    p13: String,
    e1: String,
    e2: String,
    e2b: String,
    e3: String,
}

fn s1c() -> S1c {
    let mut n = Net::new();
    let mk = |n: &mut Net, cidr: &str, vsws: &[(&str, &str)]| {
        let (vpc, rt) = n.vpc(A, "cn-hangzhou", cidr);
        let sg = n.sg(A, &vpc, "normal");
        ingress(n, &sg, "ICMP", "-1/-1", "10.0.0.0/8");
        let mut vms = Vec::new();
        for (c, ip) in vsws {
            let s = n.vsw(A, &vpc, c);
            vms.push(n.vm(A, &s, &[&sg], Some(ip), ""));
        }
        (vpc, rt, vms)
    };
    let (hub, rt_hub, e) = mk(&mut n, "10.1.0.0/16", &[("10.1.1.0/24", "10.1.1.10")]);
    let (sp2, rt_sp2, e2) = mk(
        &mut n,
        "10.2.0.0/16",
        &[("10.2.1.0/24", "10.2.1.10"), ("10.2.2.0/24", "10.2.2.10")],
    );
    let (sp3, rt_sp3, e3) = mk(&mut n, "10.3.0.0/16", &[("10.3.1.0/24", "10.3.1.10")]);
    let p12 = n.peer(A, &hub, A, &sp2);
    let p13 = n.peer(A, &hub, A, &sp3);
    n.route(&rt_hub, "10.2.0.0/16", &p12).unwrap();
    n.route(&rt_hub, "10.3.0.0/16", &p13).unwrap();
    n.route(&rt_sp2, "10.1.0.0/16", &p12).unwrap();
    n.route(&rt_sp3, "10.1.0.0/16", &p13).unwrap();
    S1c {
        n,
        rt_hub,
        rt_sp2,
        p12,
        p13,
        e1: e[0].clone(),
        e2: e2[0].clone(),
        e2b: e2[1].clone(),
        e3: e3[0].clone(),
    }
}

#[test]
fn s1_c_non_transitivity_and_fine_grained_routes() {
    let mut s = s1c();
    // step 3
    assert!(s.n.reach(&s.e2, &s.e1, ICMP, None).reachable);
    assert!(s.n.reach(&s.e3, &s.e1, ICMP, None).reachable);
    // steps 4–5
    s.n.route(&s.rt_sp2, "10.3.0.0/16", &s.p12).unwrap();
    let v = s.n.reach(&s.e2, &s.e3, ICMP, None);
    assert!(!v.reachable);
    assert_eq!(first(&v), Some("NON_TRANSITIVE"));
    // the packet stops at SP2's router, whose route sends it to the hub's peering; the hub
    // would forward it on over `$P13`
    assert_eq!(v.forward.last().map(|h| h.node_type), Some(NodeType::Vrt));
    assert_eq!(
        v.forward
            .last()
            .and_then(|h| h.matched_route.as_ref())
            .map(|r| r.next_hop_id.as_str()),
        Some(s.p12.as_str())
    );
    assert_eq!(
        v.forward.last().map(|h| h.action),
        Some(crate::cloud::packet::Action::Drop)
    );
    let hub_table = s.n.w.route_table(&s.rt_hub).unwrap();
    let onward = topology::Topology::new(&s.n.w).lookup(hub_table, "10.3.1.10".parse().unwrap());
    assert!(
        matches!(onward.map(|m| m.target), Some(crate::cloud::vpc::route::RouteTarget::NextHop { next_hop_id, .. }) if next_hop_id == s.p13)
    );
    assert!(!s.n.reach(&s.e3, &s.e2, ICMP, None).reachable);
    // the fix is a direct peering, not a route through the hub
    let fix = suggest(&s.n.w, &v).unwrap();
    assert_eq!(fix.action, "CreateVpcPeerConnection");
    // step 6: the hub's 10.2.0.0/16 route replaced by 10.2.1.0/24
    let entry =
        s.n.w
            .route_entries_of(&s.rt_hub)
            .find(|e| e.destination.to_string() == "10.2.0.0/16")
            .map(|e| e.route_entry_id.clone())
            .unwrap();
    let rt = s.rt_hub.clone();
    s.n.unroute(&rt, &entry);
    s.n.route(&s.rt_hub, "10.2.1.0/24", &s.p12).unwrap();
    // step 7
    let v = s.n.reach(&s.e1, &s.e2b, ICMP, None);
    assert_eq!(first(&v), Some("ROUTE_NOT_FOUND"));
    assert!(s.n.reach(&s.e1, &s.e2, ICMP, None).reachable);
    // the fix adds the more specific vSwitch route next to the /24
    let fix = suggest(&s.n.w, &v).unwrap();
    assert_eq!(fix.action, "CreateRouteEntry");
    assert!(fix
        .params
        .contains(&("DestinationCidrBlock".into(), "10.2.0.0/16".into())));
}

#[test]
fn s1_d_overlap_warning_versus_error_and_dst_ip_not_found() {
    let mut n = Net::new();
    let (vx, rt_x) = n.vpc(A, "cn-hangzhou", "172.17.3.0/24");
    let sx = n.vsw(A, &vx, "172.17.3.0/25");
    let sgx = n.sg(A, &vx, "normal");
    ingress(&mut n, &sgx, "ICMP", "-1/-1", "172.17.3.0/24");
    let x1 = n.vm(A, &sx, &[&sgx], Some("172.17.3.10"), "");
    let (vy, rt_y) = n.vpc(A, "cn-beijing", "172.17.3.0/24");
    let sy = n.vsw(A, &vy, "172.17.3.128/25");
    let sgy = n.sg(A, &vy, "normal");
    ingress(&mut n, &sgy, "ICMP", "-1/-1", "172.17.3.0/24");
    n.vm(A, &sy, &[&sgy], Some("172.17.3.200"), "");
    let pcc = n.peer(A, &vx, A, &vy);
    n.route(&rt_x, "172.17.3.0/24", &pcc).unwrap();
    assert_eq!(
        n.route(&rt_x, "172.17.3.0/25", &pcc).unwrap_err().code,
        "RouteConflict.AlreadyExist"
    );
    n.route(&rt_y, "172.17.3.0/24", &pcc).unwrap();
    let to = |ip: &str| Probe {
        source: Source::Ecs {
            instance_id: x1.clone(),
            source_ip: None,
        },
        target: Target::Ip {
            vpc_id: vy.clone(),
            ip: ip.parse().unwrap(),
        },
        protocol: ICMP,
        source_port: None,
        target_port: None,
    };
    // step 5
    let v = n.probe(to("172.17.3.200"));
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(v.codes(), [Code::CidrOverlap]);
    assert_eq!(v.findings[0].severity, Severity::Warning);
    // step 6
    let sy2 = n.vsw(A, &vy, "172.17.3.0/26");
    n.vm(A, &sy2, &[&sgy], Some("172.17.3.20"), "");
    let v = n.probe(to("172.17.3.20"));
    assert!(!v.reachable);
    assert_eq!(v.codes(), [Code::DstIpNotFound, Code::CidrOverlap]);
    assert!(v.findings.iter().all(|f| f.severity == Severity::Error));
    assert_eq!(suggest(&n.w, &v), None);
}

/// Two vSwitches in one VPC, a third VPC for peering; returns (net, vpc, vsw1, vsw2).
fn one_vpc() -> (Net, String, String, String) {
    let mut n = Net::new();
    let (vpc, _) = n.vpc(A, "cn-hangzhou", "10.0.0.0/16");
    let s1 = n.vsw(A, &vpc, "10.0.1.0/24");
    let s2 = n.vsw(A, &vpc, "10.0.2.0/24");
    (n, vpc, s1, s2)
}

#[test]
fn pattern_8_4_1_same_vswitch_needs_only_security_groups() {
    let (mut n, vpc, s1, _) = one_vpc();
    let g = n.sg(A, &vpc, "normal");
    let a = n.vm(A, &s1, &[&g], None, "tcp/80");
    let b = n.vm(A, &s1, &[&g], None, "");
    // same basic group: the intra-group default lets it in; no ACL applies inside a vSwitch
    n.acl(&vpc, &[&s1], &[], &[]);
    let v = n.reach(&a, &b, TCP, Some(80));
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(node_types(&v.forward), ["VM", "ENI", "VSW", "ENI", "VM"]);
    assert_eq!(v.codes(), [Code::AppNotListening]);
    assert!(n.reach(&b, &a, TCP, Some(80)).findings.is_empty());
    // a different group: ingress default deny
    let g2 = n.sg(A, &vpc, "normal");
    let c = n.vm(A, &s1, &[&g2], None, "");
    let v = n.reach(&a, &c, TCP, Some(80));
    assert_eq!(first(&v), Some("SG_INGRESS_DENY"));
    // enterprise group: egress default deny
    let ge = n.sg(A, &vpc, "enterprise");
    let d = n.vm(A, &s1, &[&ge], None, "");
    assert_eq!(
        first(&n.reach(&d, &a, TCP, Some(80))),
        Some("SG_EGRESS_DENY")
    );
}

#[test]
fn pattern_8_4_2_same_vpc_across_vswitches_applies_acls_both_ways() {
    let (mut n, vpc, s1, s2) = one_vpc();
    let g = n.sg(A, &vpc, "normal");
    let a = n.vm(A, &s1, &[&g], None, "tcp/80");
    let b = n.vm(A, &s2, &[&g], None, "tcp/80");
    let v = n.reach(&a, &b, TCP, Some(80));
    assert!(v.reachable);
    assert_eq!(
        node_types(&v.forward),
        ["VM", "ENI", "VSW", "VRT", "VSW", "ENI", "VM"]
    );
    // egress ACL on the source vSwitch allowing only tcp/80 out: the reply (to port 32768)
    // leaves b's vSwitch, which has no ACL, and enters a's vSwitch with no ingress entry.
    n.acl(
        &vpc,
        &[&s1],
        &[],
        &[("accept", "tcp", "0.0.0.0/0", "80/80")],
    );
    let v = n.reach(&a, &b, TCP, Some(80));
    assert_eq!(first(&v), Some("NACL_RETURN_DENY"));
    assert_eq!(v.first_error().map(|f| f.leg), Some(Leg::Reverse));
    let mut n2 = n;
    let fix = suggest(&n2.w, &v).unwrap();
    assert_eq!(fix.action, "UpdateNetworkAclEntries");
    n2.apply(&fix).unwrap();
    assert!(n2.reach(&a, &b, TCP, Some(80)).reachable);
    // the reverse direction now fails at egress of a's vSwitch (only tcp/80 out)
    assert_eq!(
        first(&n2.reach(&a, &b, TCP, Some(81))),
        Some("NACL_EGRESS_DENY")
    );
}

#[test]
fn pattern_8_4_2_ingress_acl_on_the_destination() {
    let (mut n, vpc, s1, s2) = one_vpc();
    let g = n.sg(A, &vpc, "normal");
    let a = n.vm(A, &s1, &[&g], None, "");
    let b = n.vm(A, &s2, &[&g], None, "");
    n.acl(
        &vpc,
        &[&s2],
        &[("drop", "icmp", "10.0.1.0/24", "-1/-1")],
        &[("accept", "all", "0.0.0.0/0", "-1/-1")],
    );
    let v = n.reach(&a, &b, ICMP, None);
    assert_eq!(first(&v), Some("NACL_INGRESS_DENY"));
    let hop = v.forward.last().unwrap();
    assert_eq!(hop.node_id, s2);
    assert_eq!(hop.action, crate::cloud::packet::Action::Drop);
}

/// Two peered VPCs of one account with routes both ways; returns (net, a, b, pcc, rt_a, rt_b).
fn peered(region_b: &str) -> (Net, String, String, String, String, String) {
    let mut n = Net::new();
    let (va, rta) = n.vpc(A, "cn-hangzhou", "10.0.0.0/16");
    let sa = n.vsw(A, &va, "10.0.1.0/24");
    let ga = n.sg(A, &va, "normal");
    ingress(&mut n, &ga, "ALL", "-1/-1", "0.0.0.0/0");
    let a = n.vm(A, &sa, &[&ga], None, "tcp/22");
    let (vb, rtb) = n.vpc(A, region_b, "10.9.0.0/16");
    let sb = n.vsw(A, &vb, "10.9.1.0/24");
    let gb = n.sg(A, &vb, "normal");
    ingress(&mut n, &gb, "ALL", "-1/-1", "0.0.0.0/0");
    let b = n.vm(A, &sb, &[&gb], None, "tcp/22");
    let pcc = n.peer(A, &va, A, &vb);
    n.route(&rta, "10.9.0.0/16", &pcc).unwrap();
    n.route(&rtb, "10.0.0.0/16", &pcc).unwrap();
    (n, a, b, pcc, rta, rtb)
}

#[test]
fn pattern_8_4_3_peering_in_one_region_and_across_regions() {
    for region in ["cn-hangzhou", "cn-shanghai"] {
        let (n, a, b, _, _, _) = peered(region);
        let v = n.reach(&a, &b, TCP, Some(22));
        assert!(v.reachable, "{region}: {:?}", v.findings);
        assert!(n.reach(&b, &a, TCP, Some(22)).reachable);
    }
}

#[test]
fn pattern_8_4_4_non_transitive_on_the_reply() {
    // b → c through a: both directions route via a; the forward fails first
    let (mut n, a, b, _, rta, rtb) = peered("cn-hangzhou");
    let va = n.w.ecs.instances[a.as_str()].vpc_id.clone();
    let (vc, rtc) = n.vpc(A, "cn-hangzhou", "10.5.0.0/16");
    let sc = n.vsw(A, &vc, "10.5.1.0/24");
    let gc = n.sg(A, &vc, "normal");
    ingress(&mut n, &gc, "ALL", "-1/-1", "0.0.0.0/0");
    let c = n.vm(A, &sc, &[&gc], None, "");
    let pac = n.peer(A, &va, A, &vc);
    n.route(&rta, "10.5.0.0/16", &pac).unwrap();
    n.route(&rtc, "10.0.0.0/16", &pac).unwrap();
    let pab =
        n.w.route_entries_of(&rtb)
            .next()
            .unwrap()
            .next_hop_id
            .clone();
    n.route(&rtb, "10.5.0.0/16", &pab).unwrap();
    assert_eq!(first(&n.reach(&b, &c, ICMP, None)), Some("NON_TRANSITIVE"));
    // a direct b–c peering with routes only b → c: the reply from c goes back via... nothing
    let vb = n.w.ecs.instances[b.as_str()].vpc_id.clone();
    let pbc = n.peer(A, &vb, A, &vc);
    n.route(&rtb, "10.5.1.0/24", &pbc).unwrap();
    n.route(&rtc, "10.9.0.0/16", &pac).unwrap();
    let v = n.reach(&b, &c, ICMP, None);
    assert_eq!(first(&v), Some("RETURN_NON_TRANSITIVE"));
    assert!(n.reach(&a, &c, ICMP, None).reachable);
}

#[test]
fn peering_state_codes() {
    // PEERING_NOT_ACTIVE: a cross-account request not yet accepted, routed anyway is
    // impossible (CreateRouteEntry refuses), so reject after routing: Rejected needs Accepting…
    // Instead: lock an account (FinancialLocked) and expire nothing.
    let (mut n, a, b, pcc, _, _) = peered("cn-hangzhou");
    n.w.update_account(A, |acc| acc.overdue = true);
    let v = n.reach(&a, &b, ICMP, None);
    assert_eq!(first(&v), Some("PEERING_LOCKED"));
    assert_eq!(
        v.first_error().map(|f| f.component_id.as_str()),
        Some(pcc.as_str())
    );
    assert_eq!(suggest(&n.w, &v), None);
}

#[test]
fn instance_state_codes_and_fixes() {
    let (mut n, a, b, _, _, _) = peered("cn-hangzhou");
    n.stop(&b);
    let v = n.reach(&a, &b, TCP, Some(22));
    assert_eq!(first(&v), Some("DST_INSTANCE_NOT_RUNNING"));
    let fix = suggest(&n.w, &v).unwrap();
    assert_eq!(
        fix.aliyun_line(),
        format!("aliyun ecs StartInstance --RegionId cn-hangzhou --InstanceId {b}")
    );
    n.stop(&a);
    let v = n.reach(&a, &b, TCP, Some(22));
    assert_eq!(first(&v), Some("SRC_INSTANCE_NOT_RUNNING"));
    n.apply(&suggest(&n.w, &v).unwrap()).unwrap();
    n.apply(&suggest(&n.w, &n.reach(&a, &b, TCP, Some(22))).unwrap())
        .unwrap();
    assert!(n.reach(&a, &b, TCP, Some(22)).reachable);
}

#[test]
fn security_group_fixes_authorize_or_revoke() {
    let (mut n, vpc, s1, s2) = one_vpc();
    let g1 = n.sg(A, &vpc, "normal");
    let g2 = n.sg(A, &vpc, "normal");
    let a = n.vm(A, &s1, &[&g1], Some("10.0.1.10"), "tcp/443");
    let b = n.vm(A, &s2, &[&g2], Some("10.0.2.10"), "tcp/443");
    let v = n.reach(&a, &b, TCP, Some(443));
    assert_eq!(first(&v), Some("SG_INGRESS_DENY"));
    let fix = suggest(&n.w, &v).unwrap();
    assert_eq!(
        fix.aliyun_line(),
        format!("aliyun ecs AuthorizeSecurityGroup --RegionId cn-hangzhou --SecurityGroupId {g2} --Permissions.1.IpProtocol TCP --Permissions.1.PortRange 443/443 --Permissions.1.SourceCidrIp 10.0.1.10/32 --Permissions.1.Policy accept --Permissions.1.Priority 1")
    );
    n.apply(&fix).unwrap();
    assert!(n.reach(&a, &b, TCP, Some(443)).reachable);
    // a priority-1 egress drop cannot be outranked: the fix revokes it
    n.rule(
        &g1,
        Direction::Egress,
        Permission::cidr("TCP", "1/65535", "10.0.0.0/16").policy("drop"),
    );
    let v = n.reach(&a, &b, TCP, Some(443));
    assert_eq!(first(&v), Some("SG_EGRESS_DENY"));
    let fix = suggest(&n.w, &v).unwrap();
    assert_eq!(fix.action, "RevokeSecurityGroupEgress");
    n.apply(&fix).unwrap();
    assert!(n.reach(&a, &b, TCP, Some(443)).reachable);
    // a priority-5 drop is outranked by a priority-1 accept
    n.rule(
        &g1,
        Direction::Egress,
        Permission::cidr("TCP", "443/443", "10.0.2.10")
            .policy("drop")
            .priority("5"),
    );
    let v = n.reach(&a, &b, TCP, Some(443));
    let fix = suggest(&n.w, &v).unwrap();
    assert_eq!(fix.action, "AuthorizeSecurityGroupEgress");
    n.apply(&fix).unwrap();
    assert!(n.reach(&a, &b, TCP, Some(443)).reachable);
}

#[test]
fn group_to_group_rules_decide_ingress() {
    let (mut n, vpc, s1, s2) = one_vpc();
    let web = n.sg(A, &vpc, "normal");
    let db = n.sg(A, &vpc, "normal");
    n.rule(
        &db,
        Direction::Ingress,
        Permission::group("TCP", "5432/5432", &web),
    );
    let w1 = n.vm(A, &s1, &[&web], None, "");
    let d1 = n.vm(A, &s2, &[&db], None, "tcp/5432");
    let other = n.vm(A, &s1, &[&db], None, "");
    let v = n.reach(&w1, &d1, TCP, Some(5432));
    assert!(v.reachable, "{:?}", v.findings);
    let eni_hop = &v.forward[v.forward.len() - 2];
    assert_eq!(
        eni_hop
            .matched_sg_rule
            .as_ref()
            .and_then(|s| s.security_group_id.as_deref()),
        Some(db.as_str())
    );
    assert_eq!(
        first(&n.reach(&d1, &w1, TCP, Some(5432))),
        Some("SG_INGRESS_DENY")
    );
    // a member of db reaches db through the intra-group default
    assert!(n.reach(&other, &d1, TCP, Some(5432)).reachable);
}

#[test]
fn unsupported_next_hops_and_missing_addresses() {
    let (mut n, vpc, s1, _) = one_vpc();
    let g = n.sg(A, &vpc, "normal");
    let a = n.vm(A, &s1, &[&g], None, "");
    let probe = |ip: &str| Probe {
        source: Source::Ecs {
            instance_id: a.clone(),
            source_ip: None,
        },
        target: Target::Ip {
            vpc_id: vpc.clone(),
            ip: ip.parse().unwrap(),
        },
        protocol: ICMP,
        source_port: None,
        target_port: None,
    };
    // inside a vSwitch but nobody holds it
    assert_eq!(
        first(&n.probe(probe("10.0.2.77"))),
        Some("DST_IP_NOT_FOUND")
    );
    // inside the VPC CIDR but no vSwitch: no route
    assert_eq!(
        first(&n.probe(probe("10.0.200.1"))),
        Some("ROUTE_NOT_FOUND")
    );
    // a route to a NAT gateway (store only)
    let rt = n.w.vpc(&vpc).unwrap().system_route_table_id.clone();
    crate::cloud::tests::ok(
        &mut n.w,
        A,
        "CreateRouteEntry",
        serde_json::json!({"RegionId": "cn-hangzhou", "RouteTableId": rt, "DestinationCidrBlock": "10.0.200.0/24", "NextHopType": "NatGateway", "NextHopId": "ngw-bp1aaaaaaaaaaaaaaaaa"}),
    );
    let v = n.probe(probe("10.0.200.1"));
    assert_eq!(first(&v), Some("UNSUPPORTED_NEXT_HOP"));
    assert_eq!(suggest(&n.w, &v), None);
}

#[test]
fn hop_limit_reports_loop_detected() {
    let (n, a, b, _, _, _) = peered("cn-hangzhou");
    let p = Probe {
        source: Source::Ecs {
            instance_id: a,
            source_ip: None,
        },
        target: Target::Ecs {
            instance_id: b,
            target_ip: None,
        },
        protocol: ICMP,
        source_port: None,
        target_port: None,
    };
    // a peering path needs two lookups; with a limit of one the walk gives up
    let v = Analyzer::new(&n.w).with_hop_limit(1).analyze(&p).unwrap();
    assert_eq!(first(&v), Some("LOOP_DETECTED"));
    assert!(
        Analyzer::new(&n.w)
            .with_hop_limit(2)
            .analyze(&p)
            .unwrap()
            .reachable
    );
}

#[test]
fn probe_parameter_errors() {
    let (n, a, b, _, _, _) = peered("cn-hangzhou");
    let base = Probe {
        source: Source::Ecs {
            instance_id: a.clone(),
            source_ip: None,
        },
        target: Target::Ecs {
            instance_id: b.clone(),
            target_ip: None,
        },
        protocol: TCP,
        source_port: None,
        target_port: Some(22),
    };
    let code = |p: Probe| analyze(&n.w, &p).unwrap_err().code;
    assert_eq!(
        code(Probe {
            target_port: None,
            ..base.clone()
        }),
        "IllegalParam.TargetPort"
    );
    assert_eq!(
        code(Probe {
            source_port: Some(0),
            ..base.clone()
        }),
        "IllegalParam.SourcePort"
    );
    assert_eq!(
        code(Probe {
            protocol: Protocol::Gre,
            ..base.clone()
        }),
        "IllegalParam.Protocol"
    );
    assert_eq!(
        code(Probe {
            source: Source::Ecs {
                instance_id: "i-nope".into(),
                source_ip: None
            },
            ..base.clone()
        }),
        "IllegalParam.SourceId"
    );
    assert_eq!(
        code(Probe {
            target: Target::Ecs {
                instance_id: "i-nope".into(),
                target_ip: None
            },
            ..base.clone()
        }),
        "IllegalParam.TargetId"
    );
    assert_eq!(
        code(Probe {
            source: Source::Ecs {
                instance_id: a.clone(),
                source_ip: Some("10.0.1.99".parse().unwrap())
            },
            ..base.clone()
        }),
        "IllegalParam.SourceIp"
    );
    assert_eq!(
        code(Probe {
            target: Target::Ecs {
                instance_id: a.clone(),
                target_ip: None
            },
            ..base.clone()
        }),
        "IllegalParam.SourceEqualTarget"
    );
}

#[test]
fn vswitch_source_has_no_security_group_check() {
    let (n, a, b, _, _, _) = peered("cn-hangzhou");
    let s = n.w.ecs.instances[a.as_str()].vswitch_id.clone();
    let v = n.probe(Probe {
        source: Source::VSwitch {
            vswitch_id: s.to_string(),
            ip: "10.0.1.50".parse().unwrap(),
        },
        target: Target::Ecs {
            instance_id: b,
            target_ip: None,
        },
        protocol: TCP,
        source_port: Some(40000),
        target_port: Some(22),
    });
    assert!(v.reachable, "{:?}", v.findings);
    assert_eq!(node_types(&v.forward)[0], "VSW");
    assert_eq!(v.reverse.last().map(|h| h.node_type), Some(NodeType::Vsw));
}

#[test]
fn result_document_has_the_nis_shape() {
    let s = s1a();
    let mut n = s.n;
    let pcc = n.peer(A, &s.vpc_hz, A, &s.vpc_bj);
    n.route(&s.rt_hz, "172.16.0.0/12", &pcc).unwrap();
    let v = n.reach(&s.ecs_hz, &s.ecs_bj, TCP, Some(22));
    let d = result_document(&v, "nra-test", "REQ");
    assert_eq!(d["errorCode"], "RETURN_ROUTE_NOT_FOUND");
    assert_eq!(d["status"], "route_checking");
    assert_eq!(d["reachable"], false);
    let nodes = d["topologyData"]["positive"]["nodeList"]
        .as_array()
        .unwrap();
    assert_eq!(nodes.len(), 9);
    assert_eq!(nodes[0]["nodeType"], "VM");
    assert_eq!(
        d["topologyData"]["positive"]["linkList"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    let routes = d["routeData"]["routeItems"].as_array().unwrap();
    assert_eq!(routes[0]["nextHopType"], "VpcPeer");
    assert_eq!(routes[0]["direction"], "positive");
    assert_eq!(
        d["securityGroupData"]["securityGroupItems"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn lookup_agrees_with_the_world() {
    let s = s1c();
    let t = topology::Topology::new(&s.n.w);
    for table in s.n.w.route_tables() {
        for ip in [
            "10.1.1.10",
            "10.2.1.10",
            "10.2.2.10",
            "10.3.1.10",
            "10.4.0.1",
            "10.3.200.1",
        ] {
            let ip: std::net::Ipv4Addr = ip.parse().unwrap();
            let mine = t.lookup(table, ip);
            let theirs = s.n.w.lookup_route(
                &table.vpc_id,
                s.n.w
                    .vswitches_of(&table.vpc_id)
                    .find(|v| v.route_table_id.is_none())
                    .map(|v| v.vswitch_id.as_str()),
                std::net::IpAddr::V4(ip),
            );
            assert_eq!(mine, theirs, "{} {ip}", table.route_table_id);
        }
    }
}

#[test]
fn peering_codes_table() {
    use crate::cloud::vpcpeer::PeerStatus;
    // (mutation, expected first code, fix action)
    type Mutate = fn(&mut Net, &str);
    let cases: &[(&str, Mutate, &str, Option<&str>)] = &[
        (
            "updating",
            |n, p| n.force_peering_status(p, PeerStatus::Updating),
            "PEERING_NOT_ACTIVE",
            None,
        ),
        (
            "accepting",
            |n, p| n.force_peering_status(p, PeerStatus::Accepting),
            "PEERING_NOT_ACTIVE",
            Some("AcceptVpcPeerConnection"),
        ),
        (
            "rejected",
            |n, p| n.force_peering_status(p, PeerStatus::Rejected),
            "PEERING_NOT_ACTIVE",
            Some("CreateVpcPeerConnection"),
        ),
        (
            "gone",
            |n, p| n.vanish_peering(p),
            "PEERING_NOT_FOUND",
            Some("CreateVpcPeerConnection"),
        ),
    ];
    for (name, mutate, code, fix) in cases {
        let (mut n, a, b, pcc, _, _) = peered("cn-hangzhou");
        mutate(&mut n, &pcc);
        let v = n.reach(&a, &b, ICMP, None);
        assert_eq!(first(&v), Some(*code), "{name}");
        assert_eq!(suggest(&n.w, &v).map(|f| f.action), *fix, "{name}");
    }
}

#[test]
fn peer_cidr_mismatch_and_not_targetable() {
    let (mut n, a, b, pcc, rta, _) = peered("cn-hangzhou");
    // a route for 10.5.0.0/16 over the peering to 10.9.0.0/16, which does not hold it
    n.route(&rta, "10.5.0.0/16", &pcc).unwrap();
    let (vc, _) = n.vpc(A, "cn-hangzhou", "10.5.0.0/16");
    let sc = n.vsw(A, &vc, "10.5.1.0/24");
    let gc = n.sg(A, &vc, "normal");
    let c = n.vm(A, &sc, &[&gc], None, "");
    let v = n.reach(&a, &c, ICMP, None);
    assert_eq!(first(&v), Some("PEER_CIDR_MISMATCH"));
    assert_eq!(
        suggest(&n.w, &v).map(|f| f.action),
        Some("CreateVpcPeerConnection")
    );
    // an address held by a service (a later product's VIP) is not a target yet
    let vb = n.w.ecs.instances[b.as_str()].vpc_id.clone();
    n.service_address(&vb, "10.9.1.200", "nlb-vip", "nlb-test");
    let v = n.probe(Probe {
        source: Source::Ecs {
            instance_id: a.clone(),
            source_ip: None,
        },
        target: Target::Ip {
            vpc_id: vb.to_string(),
            ip: "10.9.1.200".parse().unwrap(),
        },
        protocol: ICMP,
        source_port: None,
        target_port: None,
    });
    assert_eq!(first(&v), Some("DST_NOT_TARGETABLE"));
}

#[test]
fn every_error_code_has_a_check_item_and_a_returned_form() {
    use Code::*;
    let forward = [
        RouteNotFound,
        PeeringNotActive,
        PeeringNotFound,
        PeeringLocked,
        PeerCidrMismatch,
        RouteNextHopMismatch,
        NonTransitive,
        UnsupportedNextHop,
        LoopDetected,
    ];
    for c in forward {
        let r = c.returned();
        assert_eq!(r.as_str(), format!("RETURN_{}", c.as_str()));
        assert_eq!(r.check_item(), c.check_item());
    }
    assert_eq!(NaclEgressDeny.returned(), NaclReturnDeny);
    assert_eq!(NaclIngressDeny.returned(), NaclReturnDeny);
    assert_eq!(SgIngressDeny.returned(), SgIngressDeny);
}

#[test]
fn reach_in_the_invariant_language() {
    use crate::check::invariant::eval::{evaluate, EvalCache, Verdict as Inv};
    use crate::check::invariant::{Invariant, Rule};
    let s = s1a();
    let mut n = s.n;
    let pcc = n.peer(A, &s.vpc_hz, A, &s.vpc_bj);
    n.route(&s.rt_hz, "172.16.0.0/12", &pcc).unwrap();
    let run = |n: &Net, text: &str| {
        let inv = Invariant::from_expr("inv", text).unwrap_or_else(|e| panic!("{e}"));
        let Rule::Expr { src, expr } = &inv.rule else {
            unreachable!()
        };
        let st = crate::api::SimState::new(n.w.clone(), Default::default(), 0);
        match evaluate(src, expr, &st, &mut EvalCache::new()).unwrap() {
            Inv::Holds => None,
            Inv::Fails(w) => Some(w.join("; ")),
        }
    };
    let segmentation = r#"forall a in instances where a.region == "cn-hangzhou":
        forall b in instances where b.region == "cn-beijing": not reach(a, b, "tcp", 22)"#;
    // one route only: the reply has no way back, so the segmentation holds
    assert_eq!(run(&n, segmentation), None);
    n.route(&s.rt_bj, "10.0.0.0/8", &pcc).unwrap();
    let w = run(&n, segmentation).expect("violated once both routes exist");
    assert!(w.contains(&s.ecs_hz) && w.contains(&s.ecs_bj), "{w}");
    // string ends and the ICMP form; a missing end is unreachable
    assert!(run(&n, r#"reach("10.0.1.10", "ip:bad", "icmp")"#).is_some());
    assert_eq!(
        run(&n, r#"reach("10.0.1.10", "172.16.1.10", "tcp", 22)"#),
        None
    );
    assert_eq!(
        run(
            &n,
            &format!(r#"reach("{}", "{}", "icmp")"#, s.ecs_hz, s.ecs_bj)
        ),
        None
    );
    assert_eq!(
        run(&n, r#"not reach("i-nosuch", "10.0.1.10", "icmp")"#),
        None
    );
    // static and run-time errors
    assert!(Invariant::from_expr("inv", r#"reach("a", "b")"#)
        .unwrap_err()
        .contains("3 or 4 arguments"));
    let inv = Invariant::from_expr("inv", r#"reach("a", "b", "tcp")"#).unwrap();
    let Rule::Expr { src, expr } = &inv.rule else {
        unreachable!()
    };
    let st = crate::api::SimState::new(n.w.clone(), Default::default(), 0);
    let e = evaluate(src, expr, &st, &mut EvalCache::new()).unwrap_err();
    assert!(e.to_string().contains("needs a port"), "{e}");
}

#[test]
fn reach_steps_in_scenarios_check_verdict_code_and_hops() {
    use crate::scenario::coverage::CoverageCollector;
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let run = |steps: &str| {
        let text = format!(r#"{{"world": "worlds/peering.json", "steps": [{steps}]}}"#);
        crate::scenario::runner::run_text(
            &text,
            "t.json",
            "t",
            &base,
            &|_| true,
            &mut CoverageCollector::default(),
        )
    };
    let q = r#""from": "ip:${vpc:requester}/172.16.1.20", "to": "ip:${vpc:accepter}/192.168.0.20", "protocol": "icmp""#;
    let r = run(&format!(
        r#"{{"reach": {{{q}, "code": "ROUTE_NOT_FOUND", "hops": ["VSW"]}}}}"#
    ));
    assert!(r[0].passed, "{r:?}");
    // a wrong expectation fails, with the report as details
    let r = run(&format!(r#"{{"reach": {{{q}}}}}"#));
    assert!(!r[0].passed);
    assert_eq!(r[0].actual, "unreachable (ROUTE_NOT_FOUND); forward VSW");
    assert!(r[0]
        .details
        .as_deref()
        .unwrap_or_default()
        .contains("first failing check: ROUTE_NOT_FOUND"));
    let r = run(&format!(
        r#"{{"reach": {{{q}, "code": "ROUTE_NOT_FOUND", "hops": ["VSW", "VRT"]}}}}"#
    ));
    assert!(!r[0].passed);
    // expectations belong inside `reach`
    let r = run(&format!(r#"{{"reach": {{{q}}}, "expect": "success"}}"#));
    assert!(!r[0].passed && r[0].actual.contains("takes no"), "{r:?}");
    // unknown fields are refused by the file format
    let r = run(&format!(r#"{{"reach": {{{q}, "reachible": true}}}}"#));
    assert!(!r[0].passed);
}

#[test]
fn a_route_over_a_peering_of_other_vpcs_is_a_next_hop_mismatch() {
    // CreateRouteEntry refuses such a route; a world file or a later change can still hold
    // one, so the analyzer reports it rather than trusting the API's checks.
    let (mut n, a, b, _, rta, _) = peered("cn-hangzhou");
    let vb = n.w.ecs.instances[b.as_str()].vpc_id.clone();
    let (vc, _) = n.vpc(A, "cn-hangzhou", "10.5.0.0/16");
    let pbc = n.peer(A, &vb, A, &vc);
    let entry =
        n.w.route_entries_of(&rta)
            .next()
            .unwrap()
            .route_entry_id
            .clone();
    n.w.route_entries.get_mut(&entry).unwrap().next_hop_id = pbc.clone();
    let v = n.reach(&a, &b, ICMP, None);
    assert_eq!(first(&v), Some("ROUTE_NEXT_HOP_MISMATCH"));
    assert!(!v.reachable);
    assert!(
        v.first_error().unwrap().detail.contains(&pbc),
        "{:?}",
        v.findings
    );
}

#[test]
fn an_address_on_an_eni_that_is_not_in_use_is_not_delivered() {
    let (mut n, a, b, _, _, _) = peered("cn-hangzhou");
    let eni = n.w.ecs.instances[b.as_str()].primary_eni_id.clone();
    n.w.ecs.enis.get_mut(&eni).unwrap().status = crate::cloud::ecs::EniStatus::Detaching;
    let v = n.reach(&a, &b, TCP, Some(22));
    assert_eq!(first(&v), Some("DST_ENI_NOT_IN_USE"));
    assert_eq!(
        v.first_error().map(|f| f.component_id.as_str()),
        Some(eni.as_str())
    );
}
