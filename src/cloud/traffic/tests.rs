//! Flows, caps and CDT bills (issue 17): BILL-1, BILL-2, a link-type change mid-hour,
//! unreachable flows, the bandwidth cap, intra-region peerings and the fee property.

use super::bill::{cny, BillQuery, PriceSource};
use super::*;
use crate::cloud::tests::{self as ct, A, B};
use serde_json::{json, Value};

pub(crate) fn t0() -> Timestamp {
    Timestamp::parse("2025-01-01T00:00:00Z").unwrap()
}

/// Two VPCs — `vpc1` (A, Hohhot) and `vpc2` (B, Guangzhou) — with one instance each
/// (`app1` 10.0.1.10, `app2` 10.1.1.10) listening on tcp/443, security groups open to 10/8,
/// plus `vpc3` (A, Guangzhou) with `app3`, which no route reaches.
pub(crate) fn two_region_spec() -> Value {
    let sg = |owner: &str, vpc: &str, name: &str| {
        json!({"owner": owner, "vpc": vpc, "name": name,
               "ingress": [{"protocol": "tcp", "port_range": "443/443", "cidr": "10.0.0.0/8"}]})
    };
    json!({
        "vpcs": [
            {"owner": A, "region_id": "cn-huhehaote", "cidr_block": "10.0.0.0/16", "name": "vpc1",
             "vswitches": [{"zone_id": "cn-huhehaote-a", "cidr_block": "10.0.1.0/24", "name": "vsw1"}]},
            {"owner": B, "region_id": "cn-guangzhou", "cidr_block": "10.1.0.0/16", "name": "vpc2",
             "vswitches": [{"zone_id": "cn-guangzhou-a", "cidr_block": "10.1.1.0/24", "name": "vsw2"}]},
            {"owner": A, "region_id": "cn-guangzhou", "cidr_block": "10.2.0.0/16", "name": "vpc3",
             "vswitches": [{"zone_id": "cn-guangzhou-a", "cidr_block": "10.2.1.0/24", "name": "vsw3"}]}
        ],
        "security_groups": [sg(A, "vpc1", "sg1"), sg(B, "vpc2", "sg2"), sg(A, "vpc3", "sg3")],
        "instances": [
            {"owner": A, "name": "app1", "vswitch": "vsw1", "security_groups": ["sg1"],
             "private_ip": "10.0.1.10", "listening": "tcp/443"},
            {"owner": B, "name": "app2", "vswitch": "vsw2", "security_groups": ["sg2"],
             "private_ip": "10.1.1.10", "listening": "tcp/443"},
            {"owner": A, "name": "app3", "vswitch": "vsw3", "security_groups": ["sg3"],
             "private_ip": "10.2.1.10", "listening": "tcp/443"}
        ]
    })
}

/// The seed's BILL-1 world: a Gold cross-account peering `vpc1` ↔ `vpc2`, accepted, routed
/// both ways. Returns (world, peering id).
pub(crate) fn bill_world() -> (World, String) {
    let mut w = ct::world_with(two_region_spec());
    let v1 = w.vpc_by_name(A, "vpc1").unwrap().clone();
    let v2 = w.vpc_by_name(B, "vpc2").unwrap().clone();
    let pcc = ct::peer(
        &mut w,
        A,
        "cn-huhehaote",
        &v1.vpc_id,
        B,
        "cn-guangzhou",
        &v2.vpc_id,
        json!({"LinkType": "Gold"}),
    )
    .unwrap()["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    ct::ok(
        &mut w,
        B,
        "AcceptVpcPeerConnection",
        json!({"InstanceId": pcc}),
    );
    ct::route(
        &mut w,
        A,
        "cn-huhehaote",
        &v1.system_route_table_id,
        "10.1.0.0/16",
        &pcc,
    )
    .unwrap();
    ct::route(
        &mut w,
        B,
        "cn-guangzhou",
        &v2.system_route_table_id,
        "10.0.0.0/16",
        &pcc,
    )
    .unwrap();
    (w, pcc)
}

pub(crate) fn spec(from: &str, to: &str, amount: Amount, secs: i64) -> FlowSpec {
    FlowSpec {
        from: from.into(),
        to: to.into(),
        protocol: "tcp".into(),
        port: Some(443),
        amount,
        duration_secs: secs,
        start: None,
    }
}

fn gb(n: u64) -> Amount {
    Amount::Volume(n * BYTES_PER_GB)
}

fn fee(w: &World, account: &str) -> String {
    let q = BillQuery {
        account: Some(account.into()),
        ..BillQuery::default()
    };
    cny(w.bill(&q).unwrap().total_units())
}

#[test]
fn bill_1_the_seed_worked_example() {
    let (mut w, pcc) = bill_world();
    let out = w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(200), HOUR))
        .unwrap();
    assert!(out.flow.reachable, "{:?}", out.flow);
    assert_eq!(out.flow.peering_id.as_deref(), Some(pcc.as_str()));
    assert_eq!(out.flow.delivered_bytes, 200 * BYTES_PER_GB);
    w.send_flow(&spec("ecs:app2", "ecs:app1", gb(100), HOUR))
        .unwrap();
    assert_eq!(fee(&w, A), "96.00");
    assert_eq!(fee(&w, B), "48.00");
    let bill = w.bill(&BillQuery::default()).unwrap();
    assert_eq!(bill.lines.len(), 2);
    let a = &bill.lines[0];
    assert_eq!(
        (
            a.source_region.as_str(),
            a.dest_region.as_str(),
            a.link_type.as_str()
        ),
        ("cn-huhehaote", "cn-guangzhou", "Gold")
    );
    assert_eq!(a.price_source, PriceSource::Documented);
    assert_eq!(a.hour, t0());
    // Outside the hour: nothing.
    let later = BillQuery {
        from: Some(t0().plus(HOUR)),
        ..BillQuery::default()
    };
    assert!(w.bill(&later).unwrap().lines.is_empty());
}

#[test]
fn bill_2_platinum_from_minute_30_bills_the_whole_hour_higher() {
    let (mut w, pcc) = bill_world();
    w.send_flow(&spec("ecs:app1", "ecs:app2", gb(200), HOUR))
        .unwrap();
    w.send_flow(&spec("ecs:app2", "ecs:app1", gb(100), HOUR))
        .unwrap();
    w.advance_clock(t0().plus(1800));
    ct::ok(
        &mut w,
        A,
        "ModifyVpcPeerConnection",
        json!({"InstanceId": pcc, "LinkType": "Platinum"}),
    );
    assert_eq!(fee(&w, A), "120.00");
    assert_eq!(fee(&w, B), "60.00");
    let bill = w.bill(&BillQuery::default()).unwrap();
    assert!(bill.lines.iter().all(|l| l.link_type == "Platinum"));
    assert_eq!(bill.lines[0].price_source, PriceSource::Assumed);
}

#[test]
fn link_type_change_mid_hour_touches_only_that_hour() {
    let (mut w, pcc) = bill_world();
    // 2 h from 00:00: 100 GB in hour 0, 100 GB in hour 1.
    w.send_flow(&spec("ecs:app1", "ecs:app2", gb(200), 2 * HOUR))
        .unwrap();
    // Platinum from 01:20 to 01:40, then Gold again.
    w.advance_clock(t0().plus(HOUR + 1200));
    let modify = |w: &mut World, lt: &str| {
        ct::ok(
            w,
            A,
            "ModifyVpcPeerConnection",
            json!({"InstanceId": pcc, "LinkType": lt}),
        );
    };
    modify(&mut w, "Platinum");
    w.advance_clock(t0().plus(HOUR + 2400));
    modify(&mut w, "Gold");
    let bill = w.bill(&BillQuery::default()).unwrap();
    let lines: Vec<(Timestamp, &str, String)> = bill
        .lines
        .iter()
        .map(|l| (l.hour, l.link_type.as_str(), cny(l.fee_units)))
        .collect();
    assert_eq!(
        lines,
        vec![
            (t0(), "Gold", "48.00".to_string()),
            (t0().plus(HOUR), "Platinum", "60.00".to_string()),
        ]
    );
}

#[test]
fn unreachable_flow_sends_nothing_and_says_why() {
    let (mut w, _) = bill_world();
    let out = w
        .send_flow(&spec("ecs:app1", "ecs:app3", gb(50), HOUR))
        .unwrap();
    assert!(!out.flow.reachable);
    assert_eq!(out.flow.code.as_deref(), Some("ROUTE_NOT_FOUND"));
    assert!(out.flow.detail.is_some());
    assert_eq!(out.flow.delivered_bytes, 0);
    assert_eq!(out.flow.dropped_bytes(), 0);
    assert!(w.traffic_state().buckets.is_empty());
    assert!(w.bill(&BillQuery::default()).unwrap().lines.is_empty());
    // The flow is still on record.
    assert_eq!(w.traffic_state().flows.len(), 1);
}

#[test]
fn bandwidth_caps_a_flow_and_counts_the_loss() {
    let (mut w, pcc) = bill_world();
    ct::ok(
        &mut w,
        A,
        "ModifyVpcPeerConnection",
        json!({"InstanceId": pcc, "Bandwidth": 100}),
    );
    // 200 Mbit/s for 2 h over 100 Mbit/s: half of it arrives.
    let out = w
        .send_flow(&spec(
            "ecs:app1",
            "ecs:app2",
            Amount::Rate(200_000_000),
            2 * HOUR,
        ))
        .unwrap();
    assert_eq!(out.flow.offered_bytes, 180 * BYTES_PER_GB);
    assert_eq!(out.flow.delivered_bytes, 90 * BYTES_PER_GB);
    assert_eq!(out.flow.dropped_bytes(), 90 * BYTES_PER_GB);
    let buckets: Vec<&Bucket> = w.traffic_state().peering_buckets(&pcc).collect();
    assert_eq!(buckets.len(), 2);
    for b in buckets {
        assert_eq!(b.offered_bytes, 90 * BYTES_PER_GB);
        assert_eq!(b.delivered_bytes, 45 * BYTES_PER_GB);
        assert_eq!(b.dropped_bytes(), 45 * BYTES_PER_GB);
        assert_eq!(b.bandwidth_mbps, 100);
    }
    // Only what arrived is billed: 90 GB × 0.48.
    assert_eq!(fee(&w, A), "43.20");
    // A second flow in the same hours finds the link full: everything of it is dropped.
    let second = w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(10), HOUR))
        .unwrap();
    assert_eq!(second.flow.delivered_bytes, 0);
    assert_eq!(fee(&w, A), "43.20");
}

#[test]
fn two_flows_each_under_the_cap_share_the_hour() {
    let (mut w, pcc) = bill_world();
    ct::ok(
        &mut w,
        A,
        "ModifyVpcPeerConnection",
        json!({"InstanceId": pcc, "Bandwidth": 100}),
    );
    // Each 80 Mbit/s for 1 h (36 GB); together 72 GB against a 45 GB hour.
    let one = w
        .send_flow(&spec(
            "ecs:app1",
            "ecs:app2",
            Amount::Rate(80_000_000),
            HOUR,
        ))
        .unwrap();
    assert_eq!(one.flow.delivered_bytes, 36 * BYTES_PER_GB);
    let two = w
        .send_flow(&spec(
            "ecs:app1",
            "ecs:app2",
            Amount::Rate(80_000_000),
            HOUR,
        ))
        .unwrap();
    assert_eq!(two.flow.delivered_bytes, 9 * BYTES_PER_GB);
    let b = w.traffic_state().peering_buckets(&pcc).next().unwrap();
    assert_eq!(b.delivered_bytes, 45 * BYTES_PER_GB);
    assert_eq!(b.dropped_bytes(), 27 * BYTES_PER_GB);
}

#[test]
fn a_flow_starting_mid_hour_spreads_over_two_hours() {
    let (mut w, pcc) = bill_world();
    let mut s = spec("ecs:app1", "ecs:app2", gb(100), HOUR);
    s.start = Some(t0().plus(1800));
    let out = w.send_flow(&s).unwrap();
    assert_eq!(
        out.hours,
        vec![
            (t0(), 50 * BYTES_PER_GB, 50 * BYTES_PER_GB),
            (t0().plus(HOUR), 50 * BYTES_PER_GB, 50 * BYTES_PER_GB)
        ]
    );
    assert_eq!(w.traffic_state().peering_buckets(&pcc).count(), 2);
}

#[test]
fn intra_region_peering_traffic_is_free_and_uncapped() {
    let mut w = ct::world_with(two_region_spec());
    let v2 = w.vpc_by_name(B, "vpc2").unwrap().clone();
    let v3 = w.vpc_by_name(A, "vpc3").unwrap().clone();
    let pcc = ct::peer_ok(
        &mut w,
        A,
        "cn-guangzhou",
        &v3.vpc_id,
        B,
        "cn-guangzhou",
        &v2.vpc_id,
    );
    ct::ok(
        &mut w,
        B,
        "AcceptVpcPeerConnection",
        json!({"InstanceId": pcc}),
    );
    ct::route(
        &mut w,
        A,
        "cn-guangzhou",
        &v3.system_route_table_id,
        "10.1.0.0/16",
        &pcc,
    )
    .unwrap();
    ct::route(
        &mut w,
        B,
        "cn-guangzhou",
        &v2.system_route_table_id,
        "10.2.0.0/16",
        &pcc,
    )
    .unwrap();
    let out = w
        .send_flow(&spec(
            "ecs:app3",
            "ecs:app2",
            Amount::Rate(10_000_000_000),
            HOUR,
        ))
        .unwrap();
    assert!(out.flow.reachable, "{:?}", out.flow);
    assert_eq!(out.flow.delivered_bytes, out.flow.offered_bytes);
    assert_eq!(w.traffic_state().buckets.len(), 1);
    assert!(w.bill(&BillQuery::default()).unwrap().lines.is_empty());
}

#[test]
fn bad_flows_are_refused_without_recording() {
    let (mut w, _) = bill_world();
    assert!(w
        .send_flow(&spec("ecs:nope", "ecs:app2", gb(1), HOUR))
        .is_err());
    assert!(w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(1), 0))
        .is_err());
    // A flow longer than a year would be spread over too many hours: refused.
    assert!(w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(1), MAX_FLOW_SECS + 1))
        .unwrap_err()
        .contains("366 days"));
    assert!(w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(1), i64::MAX))
        .is_err());
    let mut s = spec("ecs:app1", "ecs:app2", gb(1), HOUR);
    s.protocol = "sctp".into();
    assert!(w.send_flow(&s).is_err());
    assert!(w.traffic_state().is_empty());
}

#[test]
fn a_world_without_traffic_serializes_without_flows() {
    let (w, _) = bill_world();
    let text = serde_json::to_string(&w).unwrap();
    assert!(!text.contains("\"flows\""));
    assert!(!text.contains("fallback_prices"));
    let (mut w2, _) = bill_world();
    w2.send_flow(&spec("ecs:app1", "ecs:app2", gb(1), HOUR))
        .unwrap();
    let text2 = serde_json::to_string(&w2).unwrap();
    let back: World = serde_json::from_str(&text2).unwrap();
    assert_eq!(back.traffic_state(), w2.traffic_state());
    assert_eq!(serde_json::to_string(&back).unwrap(), text2);
}

#[test]
fn world_file_prices_override_the_table() {
    let mut extra = two_region_spec();
    extra["options"] = json!({"prices": [
        {"region_a": "cn-guangzhou", "region_b": "cn-huhehaote", "link_type": "Gold", "micro_cny_per_gb": 500000}
    ]});
    let mut w = ct::world_with(extra);
    let v1 = w.vpc_by_name(A, "vpc1").unwrap().clone();
    let v2 = w.vpc_by_name(B, "vpc2").unwrap().clone();
    let pcc = ct::peer(
        &mut w,
        A,
        "cn-huhehaote",
        &v1.vpc_id,
        B,
        "cn-guangzhou",
        &v2.vpc_id,
        json!({}),
    )
    .unwrap()["InstanceId"]
        .as_str()
        .unwrap()
        .to_string();
    ct::ok(
        &mut w,
        B,
        "AcceptVpcPeerConnection",
        json!({"InstanceId": pcc}),
    );
    ct::route(
        &mut w,
        A,
        "cn-huhehaote",
        &v1.system_route_table_id,
        "10.1.0.0/16",
        &pcc,
    )
    .unwrap();
    ct::route(
        &mut w,
        B,
        "cn-guangzhou",
        &v2.system_route_table_id,
        "10.0.0.0/16",
        &pcc,
    )
    .unwrap();
    w.send_flow(&spec("ecs:app1", "ecs:app2", gb(200), HOUR))
        .unwrap();
    let bill = w.bill(&BillQuery::default()).unwrap();
    assert_eq!(cny(bill.total_units()), "100.00");
    assert_eq!(bill.lines[0].price_source, PriceSource::World);
}

#[test]
fn fallback_prices_are_assumed_and_cross_border_costs_more() {
    let o = crate::cloud::options::CloudOptions::default();
    assert_eq!(
        bill::price(&o, "cn-hangzhou", "cn-beijing", "Gold"),
        (480_000, PriceSource::Assumed)
    );
    assert_eq!(
        bill::price(&o, "cn-hangzhou", "ap-southeast-1", "Platinum"),
        (1_500_000, PriceSource::Assumed)
    );
    assert_eq!(
        bill::price(&o, "cn-guangzhou", "cn-huhehaote", "Gold"),
        (480_000, PriceSource::Documented)
    );
}

#[test]
fn volumes_and_rates_parse_exactly() {
    assert_eq!(parse_volume("200GB"), Ok(200 * BYTES_PER_GB));
    assert_eq!(parse_volume("1.5TB"), Ok(1_500 * BYTES_PER_GB));
    assert_eq!(parse_volume("0.25gb"), Ok(250_000_000));
    assert_eq!(parse_volume("10B"), Ok(10));
    assert!(parse_volume("1.5B").is_err());
    assert!(parse_volume("0GB").is_err());
    assert!(parse_volume("GB").is_err());
    assert!(parse_volume("-1GB").is_err());
    assert!(parse_volume("200").is_err());
    assert_eq!(parse_rate("200Mbps"), Ok(200_000_000));
    assert_eq!(parse_rate("1.5Gbps"), Ok(1_500_000_000));
    assert!(parse_rate("fast").is_err());
    assert!(parse_rate("99999999999999999999Gbps").is_err());
}

/// Property: the sum of the per-account fees equals the sum over flows of the bytes each
/// delivered in each hour × that hour's price; flows that cannot reach cost nothing.
#[test]
fn fees_add_up_over_flows() {
    let mut seed: u64 = 0x5eed;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    for _ in 0..8 {
        let (mut w, pcc) = bill_world();
        let mut expected: u128 = 0;
        let mut hours = std::collections::BTreeMap::new();
        for _ in 0..12 {
            let (from, to) = match next(3) {
                0 => ("ecs:app1", "ecs:app2"),
                1 => ("ecs:app2", "ecs:app1"),
                _ => ("ecs:app1", "ecs:app3"),
            };
            let mut s = spec(
                from,
                to,
                Amount::Volume((1 + next(50)) * BYTES_PER_GB + next(999)),
                600 + next(3) as i64 * 2400,
            );
            s.start = Some(t0().plus(next(5) as i64 * 1300));
            if next(4) == 0 {
                // A bill between flows builds the bill's index; later flows update it.
                w.bill(&BillQuery::default()).unwrap();
            }
            let out = w.send_flow(&s).unwrap();
            w.check_traffic_index().unwrap();
            if !out.flow.reachable {
                assert_eq!(out.flow.delivered_bytes, 0);
                continue;
            }
            for (hour, _, delivered) in out.hours {
                *hours.entry(hour).or_insert(0u128) += u128::from(delivered);
            }
        }
        if next(2) == 0 {
            w.advance_clock(t0().plus(HOUR + 60));
            ct::ok(
                &mut w,
                A,
                "ModifyVpcPeerConnection",
                json!({"InstanceId": pcc, "LinkType": "Platinum"}),
            );
        }
        let p = w.peering_any(&pcc).unwrap().clone();
        for (hour, bytes) in hours {
            let lt = p.max_link_type_during(hour, hour.plus(HOUR)).unwrap();
            let (micro, _) = bill::price(w.options(), "cn-huhehaote", "cn-guangzhou", &lt);
            expected += bytes * u128::from(micro);
        }
        let bill = w.bill(&BillQuery::default()).unwrap();
        let per_account: u128 = bill.per_account().iter().map(|(_, t)| t).sum();
        assert_eq!(per_account, expected);
        assert_eq!(bill.total_units(), expected);
        // The kept index bills what a fresh one does, whatever the window.
        w.check_traffic_index().unwrap();
        let windows = [
            BillQuery::default(),
            BillQuery {
                account: Some(B.into()),
                from: Some(t0().plus(HOUR + 1)),
                to: Some(t0().plus(3 * HOUR)),
            },
            BillQuery {
                to: Some(t0().plus(HOUR)),
                ..BillQuery::default()
            },
        ];
        let kept: Vec<_> = windows.iter().map(|q| w.bill(q).unwrap()).collect();
        w.forget_traffic_index();
        let fresh: Vec<_> = windows.iter().map(|q| w.bill(q).unwrap()).collect();
        assert_eq!(kept, fresh);
        assert_eq!(fresh[0], bill);
    }
}

/// The bill's per-run index kept by `send_flow` equals one built afresh after flows out of
/// hour order (earlier hours inserted before later ones), and a window reads exactly the
/// hours of its bounds.
#[test]
fn the_bill_index_follows_flows_in_any_order() {
    let (mut w, _) = bill_world();
    w.bill(&BillQuery::default()).unwrap(); // built while empty
    for h in [5i64, 2, 9, 2, 0, 7, 5] {
        let mut s = spec("ecs:app1", "ecs:app2", gb(1 + h as u64), 3600);
        s.start = Some(t0().plus(h * HOUR));
        w.send_flow(&s).unwrap();
        w.check_traffic_index().unwrap();
    }
    let mut s = spec("ecs:app2", "ecs:app1", gb(3), 2 * 3600);
    s.start = Some(t0().plus(4 * HOUR + 1800));
    w.send_flow(&s).unwrap();
    w.check_traffic_index().unwrap();
    let hours = |q: BillQuery| -> Vec<(String, i64)> {
        w.bill(&q)
            .unwrap()
            .lines
            .iter()
            .map(|l| (l.account.clone(), (l.hour.epoch() - t0().epoch()) / HOUR))
            .collect()
    };
    assert_eq!(
        hours(BillQuery {
            from: Some(t0().plus(2 * HOUR + 59)),
            to: Some(t0().plus(5 * HOUR)),
            ..BillQuery::default()
        }),
        vec![(A.to_string(), 2), (B.to_string(), 4)]
    );
    assert_eq!(
        hours(BillQuery {
            from: Some(t0().plus(5 * HOUR)),
            to: Some(t0().plus(2 * HOUR)),
            ..BillQuery::default()
        }),
        vec![]
    );
    let all = hours(BillQuery::default());
    assert_eq!(
        all,
        [
            (A, 0),
            (A, 2),
            (A, 5),
            (A, 7),
            (A, 9),
            (B, 4),
            (B, 5),
            (B, 6)
        ]
        .iter()
        .map(|(a, h)| (a.to_string(), *h))
        .collect::<Vec<_>>()
    );
}

/// Two VPCs of A — `vpc1` (Chengdu, `app1` 172.16.0.10) and `vpc2` (Hangzhou, `app2`
/// 192.168.8.10) — joined by transit routers and a pay-by-data-transfer inter-region
/// connection of `bandwidth` Mbit/s (`BandwidthType` as given), routed both ways (what
/// `corpus/cdt-cen.test.json` builds through the gateway). Returns (world, peer attachment).
pub(crate) fn cen_world(bandwidth_type: &str, bandwidth: i64) -> (World, String) {
    let sg = |vpc: &str, name: &str| {
        json!({"owner": A, "vpc": vpc, "name": name,
               "ingress": [{"protocol": "tcp", "port_range": "443/443", "cidr": "0.0.0.0/0"}]})
    };
    let mut w = ct::world_with(json!({
        "vpcs": [
            {"owner": A, "region_id": "cn-chengdu", "cidr_block": "172.16.0.0/12", "name": "vpc1",
             "vswitches": [{"zone_id": "cn-chengdu-a", "cidr_block": "172.16.0.0/24", "name": "vsw1"},
                           {"zone_id": "cn-chengdu-b", "cidr_block": "172.16.6.0/24", "name": "vsw1b"}]},
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "192.168.0.0/16", "name": "vpc2",
             "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": "192.168.8.0/24", "name": "vsw2"},
                           {"zone_id": "cn-hangzhou-i", "cidr_block": "192.168.7.0/24", "name": "vsw2i"}]}
        ],
        "security_groups": [sg("vpc1", "sg1"), sg("vpc2", "sg2")],
        "instances": [
            {"owner": A, "name": "app1", "vswitch": "vsw1", "security_groups": ["sg1"],
             "private_ip": "172.16.0.10", "listening": "tcp/443"},
            {"owner": A, "name": "app2", "vswitch": "vsw2", "security_groups": ["sg2"],
             "private_ip": "192.168.8.10", "listening": "tcp/443"}
        ]
    }));
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_string();
    let cen = s(
        &ct::ok(&mut w, A, "CreateCen", json!({"Name": "cdt"})),
        "CenId",
    );
    let tr = |w: &mut World, region: &str| {
        let tr = s(
            &ct::ok(
                w,
                A,
                "CreateTransitRouter",
                json!({"RegionId": region, "CenId": cen}),
            ),
            "TransitRouterId",
        );
        let tables = ct::ok(
            w,
            A,
            "ListTransitRouterRouteTables",
            json!({"TransitRouterId": tr}),
        );
        let table = tables["TransitRouterRouteTables"][0]["TransitRouterRouteTableId"]
            .as_str()
            .unwrap()
            .to_string();
        (tr, table)
    };
    let (tr1, t1) = tr(&mut w, "cn-chengdu");
    let (tr2, t2) = tr(&mut w, "cn-hangzhou");
    let link = |w: &mut World, att: &str, table: &str| {
        for api in [
            "AssociateTransitRouterAttachmentWithRouteTable",
            "EnableTransitRouterRouteTablePropagation",
        ] {
            ct::ok(
                w,
                A,
                api,
                json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": table}),
            );
        }
    };
    let mut atts = Vec::new();
    for (region, tr, table, vpc, zones) in [
        (
            "cn-chengdu",
            &tr1,
            &t1,
            "vpc1",
            [("vsw1", "cn-chengdu-a"), ("vsw1b", "cn-chengdu-b")],
        ),
        (
            "cn-hangzhou",
            &tr2,
            &t2,
            "vpc2",
            [("vsw2", "cn-hangzhou-h"), ("vsw2i", "cn-hangzhou-i")],
        ),
    ] {
        let v = w.vpc_by_name(A, vpc).unwrap().clone();
        let vsw = |name: &str| {
            w.vswitches
                .values()
                .find(|x| x.name == name)
                .unwrap()
                .vswitch_id
                .clone()
        };
        let params = json!({
            "RegionId": region, "TransitRouterId": tr, "VpcId": v.vpc_id,
            "ZoneMappings.1.VSwitchId": vsw(zones[0].0), "ZoneMappings.1.ZoneId": zones[0].1,
            "ZoneMappings.2.VSwitchId": vsw(zones[1].0), "ZoneMappings.2.ZoneId": zones[1].1,
        });
        let att = s(
            &ct::ok(&mut w, A, "CreateTransitRouterVpcAttachment", params),
            "TransitRouterAttachmentId",
        );
        link(&mut w, &att, table);
        atts.push((att, v));
    }
    let mut peer = json!({
        "RegionId": "cn-chengdu", "CenId": cen, "TransitRouterId": tr1,
        "PeerTransitRouterId": tr2, "PeerTransitRouterRegionId": "cn-hangzhou",
        "BandwidthType": bandwidth_type, "Bandwidth": bandwidth.to_string(),
    });
    if bandwidth_type == "BandwidthPackage" {
        let bwp = s(
            &ct::ok(
                &mut w,
                A,
                "CreateCenBandwidthPackage",
                json!({"Bandwidth": bandwidth.to_string(), "GeographicRegionAId": "China",
                       "GeographicRegionBId": "China", "BandwidthPackageChargeType": "PREPAY",
                       "Period": "1", "PricingCycle": "Month"}),
            ),
            "CenBandwidthPackageId",
        );
        ct::ok(
            &mut w,
            A,
            "AssociateCenBandwidthPackage",
            json!({"CenId": cen, "CenBandwidthPackageId": bwp}),
        );
        peer["CenBandwidthPackageId"] = json!(bwp);
    }
    let attp = s(
        &ct::ok(&mut w, A, "CreateTransitRouterPeerAttachment", peer),
        "TransitRouterAttachmentId",
    );
    link(&mut w, &attp, &t1);
    link(&mut w, &attp, &t2);
    for ((att, v), dest) in atts.iter().zip(["192.168.0.0/16", "172.16.0.0/12"]) {
        ct::ok(
            &mut w,
            A,
            "CreateRouteEntry",
            json!({"RegionId": v.region_id, "RouteTableId": v.system_route_table_id,
                   "DestinationCidrBlock": dest, "NextHopType": "Attachment", "NextHopId": att}),
        );
    }
    (w, attp)
}

#[test]
fn cen_inter_region_traffic_is_billed_to_the_cen_owner_and_capped() {
    let (mut w, attp) = cen_world("DataTransfer", 1000);
    let out = w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(200), HOUR))
        .unwrap();
    assert!(out.flow.reachable, "{out:?}");
    assert_eq!(out.flow.links, vec![attp.clone()]);
    assert_eq!(out.flow.delivered_bytes, 200 * BYTES_PER_GB);
    assert_eq!(fee(&w, A), "96.00");
    let bill = w.bill(&BillQuery::default()).unwrap();
    assert_eq!(bill.lines.len(), 1);
    let l = &bill.lines[0];
    assert_eq!(
        (
            l.source_region.as_str(),
            l.dest_region.as_str(),
            l.link_type.as_str()
        ),
        ("cn-chengdu", "cn-hangzhou", "Gold")
    );
    // 2 Gbit/s over a 1000 Mbit/s connection: half arrives, only that is billed.
    let mut s = spec("ecs:app1", "ecs:app2", Amount::Rate(2_000_000_000), HOUR);
    s.start = Some(t0().plus(HOUR));
    let out = w.send_flow(&s).unwrap();
    assert_eq!(out.flow.delivered_bytes, 450 * BYTES_PER_GB);
    assert_eq!(out.flow.dropped_bytes(), 450 * BYTES_PER_GB);
    assert_eq!(fee(&w, A), "312.00");
    // The reply leaves the Hangzhou TR: the pair is reversed.
    let mut s = spec("ecs:app2", "ecs:app1", gb(100), HOUR);
    s.start = Some(t0().plus(2 * HOUR));
    w.send_flow(&s).unwrap();
    let bill = w.bill(&BillQuery::default()).unwrap();
    assert!(bill
        .lines
        .iter()
        .any(|l| l.source_region == "cn-hangzhou" && l.dest_region == "cn-chengdu"));
    assert_eq!(fee(&w, A), "360.00");
    // The buckets survive a state round trip.
    let text = serde_json::to_string(w.traffic_state()).unwrap();
    let back: TrafficState = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, w.traffic_state());
    assert_eq!(back.links.len(), 3);
}

#[test]
fn cen_bandwidth_plan_traffic_is_capped_but_not_billed_by_cdt() {
    let (mut w, _) = cen_world("BandwidthPackage", 10);
    let out = w
        .send_flow(&spec("ecs:app1", "ecs:app2", gb(10), HOUR))
        .unwrap();
    assert!(out.flow.reachable, "{out:?}");
    // 10 Mbit/s for an hour: 4.5 GB.
    assert_eq!(out.flow.delivered_bytes, 4_500_000_000);
    assert_eq!(fee(&w, A), "0.00");
    assert!(w.charge_refs().is_empty());
}

/// The fee property over CEN flows: per-account fees equal the bytes delivered per hour and
/// direction × the price of that direction's pair.
#[test]
fn fees_add_up_over_cen_flows() {
    let mut seed: u64 = 0xce0;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    for _ in 0..4 {
        let (mut w, _) = cen_world("DataTransfer", 100 + next(900) as i64);
        let mut expected: u128 = 0;
        for _ in 0..10 {
            let (from, to, src, dst) = if next(2) == 0 {
                ("ecs:app1", "ecs:app2", "cn-chengdu", "cn-hangzhou")
            } else {
                ("ecs:app2", "ecs:app1", "cn-hangzhou", "cn-chengdu")
            };
            let mut s = spec(
                from,
                to,
                Amount::Volume((1 + next(500)) * BYTES_PER_GB + next(999)),
                600 + next(3) as i64 * 2400,
            );
            s.start = Some(t0().plus(next(5) as i64 * 1300));
            if next(4) == 0 {
                // A bill between flows builds the bill's index; later flows update it.
                w.bill(&BillQuery::default()).unwrap();
            }
            let out = w.send_flow(&s).unwrap();
            w.check_traffic_index().unwrap();
            assert!(out.flow.reachable);
            let (micro, _) = bill::price(w.options(), src, dst, "Gold");
            for (_, _, delivered) in out.hours {
                expected += u128::from(delivered) * u128::from(micro);
            }
        }
        let bill = w.bill(&BillQuery::default()).unwrap();
        let per_account: u128 = bill.per_account().iter().map(|(_, t)| t).sum();
        assert_eq!(per_account, expected);
        let charges: u128 = w
            .charge_refs()
            .into_iter()
            .filter_map(|r| w.charge(r))
            .map(|c| c.fee_units())
            .sum();
        assert_eq!(charges, expected, "charges sum to the bill");
    }
}
