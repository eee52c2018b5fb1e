//! Properties over random small worlds ([`super::fixture::random_world`]): the analyzer agrees
//! with the brute-force walker; analysis never panics or loops; applying the suggested fix and
//! re-analysing never repeats a failure and converges.

use super::fix::suggest;
use super::fixture::{random_pl_world, random_world, PlPlan, Plan};
use super::walker::{walk, walk_endpoint};
use super::*;
use crate::cloud::packet::{Packet, Protocol, DEFAULT_CLIENT_PORT};
use proptest::prelude::*;

fn plan() -> impl Strategy<Value = Plan> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        prop::array::uniform3(0u8..3),
        prop::array::uniform6(0u8..4),
        prop::array::uniform6(0u8..5),
        prop::array::uniform6(0u8..5),
        prop::array::uniform6(prop::bool::weighted(0.1)),
    )
        .prop_map(
            |((a, b, c), peerings, routes, groups, acls, stopped)| Plan {
                v1_other_account: a,
                v1_other_region: b,
                v2_overlaps: c,
                peerings,
                routes,
                groups,
                acls,
                stopped,
            },
        )
}

fn probe(from: &str, to: &str, tcp: bool) -> Probe {
    Probe {
        source: Source::Ecs {
            instance_id: from.into(),
            source_ip: None,
        },
        target: Target::Ecs {
            instance_id: to.into(),
            target_ip: None,
        },
        protocol: if tcp { Protocol::Tcp } else { Protocol::Icmp },
        source_port: None,
        target_port: tcp.then_some(22),
    }
}

/// Codes for which no single API call is a fix in these worlds.
const NO_FIX: &[&str] = &[
    "DST_IP_NOT_FOUND",
    "CIDR_OVERLAP",
    "PEERING_LOCKED",
    "UNSUPPORTED_NEXT_HOP",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn analyzer_agrees_with_the_brute_force_walker(p in plan(), tcp in any::<bool>()) {
        let (n, vms) = random_world(&p);
        let a = Analyzer::new(&n.w);
        for from in &vms {
            for to in &vms {
                if from == to { continue; }
                let v = a.analyze(&probe(from, to, tcp)).expect("valid probe");
                let src = &n.w.ecs().instances[from.as_str()];
                let dst = &n.w.ecs().instances[to.as_str()];
                let pk = Packet {
                    src_ip: src.private_ip, dst_ip: dst.private_ip,
                    protocol: v.packet.protocol, src_port: DEFAULT_CLIENT_PORT, dst_port: if tcp { 22 } else { 0 },
                };
                let plain = walk(&n.w, from, to, &pk);
                prop_assert_eq!(v.reachable, plain.is_ok(), "{} -> {}: {:?} vs {:?}", from, to, v.findings, plain);
                prop_assert_eq!(v.first_error().map(|f| f.code.as_str()), plain.err(), "{} -> {}", from, to);
                // forward hops stop at the failing hop; reachable paths start and end at the instances
                if v.reachable {
                    prop_assert_eq!(v.forward.first().map(|h| h.node_id.as_str()), Some(from.as_str()));
                    prop_assert_eq!(v.forward.last().map(|h| h.node_id.as_str()), Some(to.as_str()));
                    prop_assert_eq!(v.reverse.last().map(|h| h.node_id.as_str()), Some(from.as_str()));
                }
            }
        }
    }

    #[test]
    fn applying_the_fix_moves_on_and_converges(p in plan(), tcp in any::<bool>(), i in 0usize..6, j in 1usize..6) {
        let (mut n, vms) = random_world(&p);
        let (from, to) = (vms[i].clone(), vms[(i + j) % 6].clone());
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..12 {
            let v = n.probe(probe(&from, &to, tcp));
            if v.reachable {
                return Ok(());
            }
            let f = v.first_error().expect("an unreachable verdict has an error").clone();
            let Some(fix) = suggest(&n.w, &v) else {
                // no single call fixes these; everything else must come with a fix
                let routed = matches!(f.site.as_ref(), finding::Site::Route { .. });
                prop_assert!(NO_FIX.contains(&f.code.as_str()) || routed, "no fix for {:?}", f);
                return Ok(());
            };
            let key = format!("{} {} {}", f.code, f.component_id, fix.key());
            prop_assert!(!seen.contains(&key), "the same failure and fix again: {key}\nafter {seen:?}");
            seen.push(key);
            if let Err(e) = n.apply(&fix) {
                prop_assert!(false, "the suggested fix failed: {} -> {e}", fix.aliyun_line());
            }
        }
        prop_assert!(false, "no convergence after 12 fixes: {seen:?}");
    }
}

/// Over 200 fixed random worlds, following the suggested fixes from the first instance to
/// the fourth (another VPC) ends reachable, or at a check no single call fixes; and it ends
/// reachable in most of them (the fixes really fix).
#[test]
fn fix_loops_end_reachable_in_most_worlds() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut fixed, mut total) = (0, 0);
    for _ in 0..200 {
        let p = plan().new_tree(&mut runner).expect("a plan").current();
        let (mut n, vms) = random_world(&p);
        total += 1;
        for _ in 0..12 {
            let v = n.probe(probe(&vms[0], &vms[3], true));
            if v.reachable {
                fixed += 1;
                break;
            }
            match suggest(&n.w, &v) {
                Some(f) => n
                    .apply(&f)
                    .unwrap_or_else(|e| panic!("{} failed: {e}", f.aliyun_line())),
                None => {
                    let code = v.first_error().map(|f| f.code.as_str()).unwrap_or_default();
                    assert!(NO_FIX.contains(&code), "no fix for {code}");
                    break;
                }
            }
        }
    }
    assert!(
        fixed * 10 >= total * 9,
        "only {fixed} of {total} worlds fixed"
    );
}

fn tr_plan() -> impl Strategy<Value = super::fixture::TrPlan> {
    (
        (any::<bool>(), any::<bool>(), 0u8..5, 0u8..3),
        prop::array::uniform3(0u8..5),
        prop::array::uniform6(0u8..3),
        prop::array::uniform6(prop::sample::select(vec![0u8, 0, 0, 1, 2, 3, 4])),
        prop::array::uniform6(prop::sample::select(vec![0u8, 0, 0, 0, 1, 2, 3, 4])),
        prop::array::uniform6(prop::bool::weighted(0.05)),
    )
        .prop_map(
            |((region, overlap, peer, statics), attach, routes, groups, acls, stopped)| {
                super::fixture::TrPlan {
                    v1_other_region: region,
                    v2_overlaps: overlap,
                    attach,
                    peer,
                    routes,
                    statics,
                    groups,
                    acls,
                    stopped,
                }
            },
        )
}

/// Codes for which no single API call is a fix in transit-router worlds.
const TR_NO_FIX: &[&str] = &[
    "DST_IP_NOT_FOUND",
    "CIDR_OVERLAP",
    "TR_DST_NOT_IN_VPC",
    "RETURN_TR_DST_NOT_IN_VPC",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Worlds with transit routers: the analyzer and the plain walker agree on every pair.
    #[test]
    fn analyzer_agrees_with_the_walker_through_transit_routers(p in tr_plan(), tcp in any::<bool>()) {
        let (n, vms) = super::fixture::random_tr_world(&p);
        let a = Analyzer::new(&n.w);
        for from in &vms {
            for to in &vms {
                if from == to { continue; }
                let v = a.analyze(&probe(from, to, tcp)).expect("valid probe");
                let src = &n.w.ecs().instances[from.as_str()];
                let dst = &n.w.ecs().instances[to.as_str()];
                let pk = Packet {
                    src_ip: src.private_ip, dst_ip: dst.private_ip,
                    protocol: v.packet.protocol, src_port: DEFAULT_CLIENT_PORT, dst_port: if tcp { 22 } else { 0 },
                };
                let plain = walk(&n.w, from, to, &pk);
                prop_assert_eq!(v.first_error().map(|f| f.code.as_str()), plain.err(), "{} -> {}: {:?}", from, to, v.findings);
                prop_assert_eq!(v.reachable, plain.is_ok());
            }
        }
    }

    /// Following the suggested fixes through transit routers never repeats a failure and ends
    /// reachable or at a check no single call fixes.
    #[test]
    fn tr_fixes_move_on_and_converge(p in tr_plan(), i in 0usize..6, j in 1usize..6) {
        let (mut n, vms) = super::fixture::random_tr_world(&p);
        let (from, to) = (vms[i].clone(), vms[(i + j) % 6].clone());
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..16 {
            let v = n.probe(probe(&from, &to, true));
            if v.reachable {
                return Ok(());
            }
            let f = v.first_error().expect("an unreachable verdict has an error").clone();
            let Some(fix) = suggest(&n.w, &v) else {
                let routed = matches!(f.site.as_ref(), finding::Site::Route { .. } | finding::Site::TrRoute { .. });
                prop_assert!(TR_NO_FIX.contains(&f.code.as_str()) || routed, "no fix for {:?}", f);
                return Ok(());
            };
            let key = format!("{} {} {}", f.code, f.component_id, fix.key());
            prop_assert!(!seen.contains(&key), "the same failure and fix again: {key}\nafter {seen:?}");
            seen.push(key);
            if let Err(e) = n.apply(&fix) {
                prop_assert!(false, "the suggested fix failed: {} -> {e}", fix.aliyun_line());
            }
        }
        prop_assert!(false, "no convergence after 16 fixes: {seen:?}");
    }
}

/// The random transit-router worlds really exercise the segment: over 150 fixed plans some
/// pairs are reachable through a TR, and the TR codes of both legs all occur.
#[test]
fn tr_worlds_cover_the_tr_codes() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..150 {
        let p = tr_plan().new_tree(&mut runner).expect("a plan").current();
        let (n, vms) = super::fixture::random_tr_world(&p);
        let a = Analyzer::new(&n.w);
        for from in &vms {
            for to in &vms {
                if from == to {
                    continue;
                }
                let v = a.analyze(&probe(from, to, false)).expect("valid probe");
                let key = match v.first_error() {
                    Some(f) => f.code.as_str().to_string(),
                    None if v.forward.iter().any(|h| h.node_type == NodeType::Tr) => {
                        "reachable through a TR".into()
                    }
                    None => "reachable".into(),
                };
                *seen.entry(key).or_default() += 1;
            }
        }
    }
    for want in [
        "reachable through a TR",
        "TR_NO_ASSOCIATION",
        "TR_ROUTE_NOT_FOUND",
        "TR_BLACKHOLE",
        "RETURN_ROUTE_NOT_FOUND",
        "RETURN_TR_ROUTE_NOT_FOUND",
        "RETURN_TR_NO_ASSOCIATION",
    ] {
        assert!(seen.contains_key(want), "{want} never occurs: {seen:?}");
    }
}

fn pl_plan() -> impl Strategy<Value = PlPlan> {
    (
        (0u8..2, 0u8..3, 0u8..4),
        prop::array::uniform2(prop::bool::weighted(0.25)),
        prop::array::uniform2(prop::bool::weighted(0.8)),
        prop::array::uniform2(prop::bool::weighted(0.15)),
        prop::array::uniform2(0u8..4),
        (prop::bool::weighted(0.8), prop::bool::weighted(0.7)),
    )
        .prop_map(
            |(
                (consumer_sg, connection, backend_sg),
                stopped,
                listening,
                unused,
                acls,
                (health, cross_zone),
            )| PlPlan {
                consumer_sg,
                connection,
                stopped,
                listening,
                unused,
                backend_sg,
                acls,
                health,
                cross_zone,
            },
        )
}

fn to_endpoint(from: &str, ep: &str, port: u16) -> Probe {
    Probe {
        source: Source::Ecs {
            instance_id: from.into(),
            source_ip: None,
        },
        target: Target::Endpoint {
            endpoint_id: ep.into(),
        },
        protocol: Protocol::Tcp,
        source_port: None,
        target_port: Some(port),
    }
}

/// The servers `GetListenerHealthStatus` lists, with their status.
fn listed(w: &mut crate::cloud::World, listener: &str) -> Vec<(String, String)> {
    let h = crate::cloud::nlb::tests::pok(
        w,
        crate::cloud::tests::A,
        "Nlb",
        "GetListenerHealthStatus",
        serde_json::json!({"RegionId": "cn-hangzhou", "ListenerId": listener}),
    );
    h["ListenerHealthStatus"][0]["ServerGroupInfos"][0]["NonNormalServers"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["ServerId"].as_str().unwrap_or_default().to_string(),
                        s["Status"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn analyzer_agrees_with_the_walker_through_privatelink(p in pl_plan(), port80 in prop::bool::weighted(0.85)) {
        let (n, x) = random_pl_world(&p);
        let port = if port80 { 80 } else { 81 };
        let a = Analyzer::new(&n.w);
        for from in [&x.ecs[0], &x.ecs[1]] {
            let v = a.analyze(&to_endpoint(from, &x.ep, port)).expect("valid probe");
            let plain = walk_endpoint(&n.w, from, &x.ep, port);
            prop_assert_eq!(v.reachable, plain.is_ok(), "{:?}: {:?} vs {:?}", p, v.findings, plain);
            prop_assert_eq!(v.first_error().map(|f| f.code.as_str()), plain.err(), "{:?}", p);
            if v.reachable {
                prop_assert_eq!(v.forward.first().map(|h| h.node_id.as_str()), Some(from.as_str()));
                prop_assert!(v.forward.last().is_some_and(|h| h.node_id == x.ecs[2] || h.node_id == x.ecs[3]));
            }
        }
    }

    #[test]
    fn reach_through_privatelink_agrees_with_the_nlb_health(p in pl_plan()) {
        let (mut n, x) = random_pl_world(&p);
        let v = analyze(&n.w, &to_endpoint(&x.ecs[0], &x.ep, 80)).expect("valid probe");
        let health = listed(&mut n.w, &x.listener);
        let unhealthy = |id: &str| health.iter().any(|(s, st)| s == id && st == "Unhealthy");
        // every backend the analysis tried: unhealthy there iff the NLB lists it Unhealthy
        for c in &v.candidates {
            for b in &c.backends {
                prop_assert_eq!(
                    b.code == Some(Code::LbBackendUnhealthy),
                    p.health && unhealthy(&b.server_id),
                    "{:?} {:?} {:?}", p, b, health
                );
            }
        }
        // with the PrivateLink part open, cross-zone on and filters that treat every LB
        // address alike (no ACL, or allow-all: a deny-all ACL still lets same-vSwitch probes
        // through), the endpoint is reachable iff the NLB reports a healthy server
        let pl_open = p.consumer_sg == 0 && p.connection != 1;
        if pl_open && p.health && p.cross_zone && p.acls.iter().all(|a| *a <= 1) {
            let healthy = [&x.ecs[2], &x.ecs[3]]
                .iter()
                .any(|s| !health.iter().any(|(id, _)| id == *s));
            prop_assert_eq!(v.reachable, healthy, "{:?} {:?} {:?}", p, v.findings, health);
        }
    }
}
