//! CDT billing and CloudMonitor benchmarks (issue 17, "Performance"). Figures go to
//! BENCHMARKS.md. Run: `cargo bench --bench cdt`.
//!
//! A month (720 hourly buckets) of traffic over 1,000 inter-region peerings (Hohhot ↔
//! Guangzhou, 20 accounts × 50) carried by 10,000 flows (ten per peering, both directions,
//! each lasting the whole month): 1.44 million buckets. Targets: the whole bill ≤ 100 ms; a
//! metric query over it ≤ 10 ms. `bill/month-first-after-load` is the whole bill of a state
//! whose bill index is not built yet (what `ramsim bill` computes after loading a state).

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ramsim::api::SimState;
use ramsim::cloud::time::{Timestamp, HOUR};
use ramsim::cloud::traffic::bill::BillQuery;
use ramsim::cloud::traffic::{Amount, FlowSpec};
use ramsim::cloud::{CallContext, World};
use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::Duration;

const ACCOUNTS: usize = 20;
const PER_ACCOUNT: usize = 50;
const HOURS: i64 = 720;

fn owner(k: usize) -> String {
    format!("{:016}", 1_234_567_890_123_456u64 + k as u64)
}

/// Peering `i`'s two VPC CIDRs: `10.x.y.0/24` pairs, all distinct.
fn cidr(i: usize, side: usize) -> String {
    let n = 2 * i + side;
    format!("10.{}.{}.0/24", n / 256, n % 256)
}

fn call(w: &mut World, uid: &str, action: &str, params: Value) -> Value {
    let ctx = CallContext {
        caller_account: uid.to_string(),
        time: w.now(),
        request_id: "00000000-0000-0000-0000-000000000000".into(),
    };
    let map: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    w.call(&ctx, action, &map)
        .unwrap_or_else(|e| panic!("{action}: {e}"))
}

/// The world, and the peering of account 7 that carries a month-old alert rule.
fn world() -> (World, String) {
    let (mut vpcs, mut groups, mut instances) = (Vec::new(), Vec::new(), Vec::new());
    let accounts: Vec<Value> = (0..ACCOUNTS)
        .map(|k| json!({"uid": owner(k), "alias": format!("A{k}"), "cdt_enabled": true}))
        .collect();
    for i in 0..ACCOUNTS * PER_ACCOUNT {
        let o = owner(i / PER_ACCOUNT);
        for (side, region) in [(0, "cn-huhehaote"), (1, "cn-guangzhou")] {
            let name = format!("v{i}-{side}");
            vpcs.push(json!({"owner": o, "region_id": region, "cidr_block": cidr(i, side), "name": name,
                "vswitches": [{"zone_id": format!("{region}-a"), "cidr_block": cidr(i, side), "name": format!("s{i}-{side}")}]}));
            groups.push(
                json!({"owner": o, "vpc": name, "name": format!("g{i}-{side}"),
                "ingress": [{"protocol": "tcp", "port_range": "443/443", "cidr": "10.0.0.0/8"}]}),
            );
            instances.push(json!({"owner": o, "name": format!("vm{i}-{side}"), "vswitch": format!("s{i}-{side}"),
                "security_groups": [format!("g{i}-{side}")], "listening": "tcp/443"}));
        }
    }
    let text = json!({
        "options": {"quotas": {"vpcs_per_account_region": 100000, "peers_per_account_region": 100000}},
        "accounts": accounts, "vpcs": vpcs, "security_groups": groups, "instances": instances,
    })
    .to_string();
    let mut w = SimState::from_world_json(&text, Path::new("."))
        .expect("bench world builds")
        .world;
    for i in 0..ACCOUNTS * PER_ACCOUNT {
        let o = owner(i / PER_ACCOUNT);
        let a = w.vpc_by_name(&o, &format!("v{i}-0")).expect("vpc").clone();
        let b = w.vpc_by_name(&o, &format!("v{i}-1")).expect("vpc").clone();
        let pcc = call(&mut w, &o, "CreateVpcPeerConnection", json!({"RegionId": "cn-huhehaote",
            "VpcId": a.vpc_id, "AcceptingAliUid": o, "AcceptingRegionId": "cn-guangzhou", "AcceptingVpcId": b.vpc_id}))
            ["InstanceId"].as_str().expect("id").to_string();
        for (vpc, region, dest) in [
            (&a, "cn-huhehaote", cidr(i, 1)),
            (&b, "cn-guangzhou", cidr(i, 0)),
        ] {
            call(
                &mut w,
                &o,
                "CreateRouteEntry",
                json!({"RegionId": region, "RouteTableId": vpc.system_route_table_id,
                "DestinationCidrBlock": dest, "NextHopType": "VpcPeer", "NextHopId": pcc}),
            );
        }
    }
    let start = w.now();
    let o = owner(7);
    let pcc = w
        .peerings()
        .find(|p| p.owner_uid == o)
        .map(|p| p.instance_id.clone())
        .expect("a peering of account 7");
    call(
        &mut w,
        &o,
        "PutResourceMetricRules",
        json!({
        "Rules.1.RuleId": "util", "Rules.1.Namespace": "acs_vpcpeer",
        "Rules.1.MetricName": "IntranetTXBandwidthUtilization",
        "Rules.1.Resources": format!("[{{\"instanceId\":\"{pcc}\"}}]"),
        "Rules.1.Escalations.Critical.ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Rules.1.Escalations.Critical.Threshold": "5", "Rules.1.Escalations.Critical.Times": "3"}),
    );
    for i in 0..ACCOUNTS * PER_ACCOUNT {
        for f in 0..10usize {
            let side = f % 2;
            let out = w
                .send_flow(&FlowSpec {
                    from: format!("ecs:vm{i}-{side}"),
                    to: format!("ecs:vm{i}-{}", 1 - side),
                    protocol: "tcp".into(),
                    port: Some(443),
                    amount: Amount::Rate(10_000_000 + f as u64 * 1_000_000),
                    duration_secs: HOURS * HOUR,
                    start: Some(start),
                })
                .expect("flow");
            assert!(out.flow.reachable, "{:?}", out.flow);
        }
    }
    w.advance_clock(start.plus(HOURS * HOUR));
    assert_eq!(
        w.traffic_state().buckets.len(),
        ACCOUNTS * PER_ACCOUNT * 2 * HOURS as usize
    );
    (w, pcc)
}

fn bench_cdt(c: &mut Criterion) {
    let t = std::time::Instant::now();
    let (mut w, pcc) = world();
    eprintln!("setup: {:?}", t.elapsed());
    let mut group = c.benchmark_group("cdt");
    group.sample_size(10);
    group.bench_function("bill/month-1000-peerings-10000-flows", |b| {
        b.iter(|| black_box(w.bill(&BillQuery::default()).expect("bill")))
    });
    // The first bill of a freshly loaded state also builds the bill's per-run index.
    group.bench_function("bill/month-first-after-load", |b| {
        b.iter(|| {
            w.forget_traffic_index();
            black_box(w.bill(&BillQuery::default()).expect("bill"))
        })
    });
    let o = owner(7);
    let one = BillQuery {
        account: Some(o.clone()),
        ..BillQuery::default()
    };
    group.bench_function("bill/one-account", |b| {
        b.iter(|| black_box(w.bill(&one).expect("bill")))
    });
    let end = Timestamp::parse("2025-01-31T00:00:00Z").expect("time");
    let month = json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetTXBandwidthUtilization",
        "Dimensions": format!("[{{\"instanceId\":\"{pcc}\"}}]"),
        "StartTime": "2025-01-01T00:00:00Z", "EndTime": end.to_string()});
    group.bench_function("DescribeMetricList/one-peering-month", |b| {
        b.iter(|| black_box(call(&mut w, &o, "DescribeMetricList", month.clone())))
    });
    let last = json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetTX"});
    group.bench_function("DescribeMetricLast/all-peerings-of-an-account", |b| {
        b.iter(|| black_box(call(&mut w, &o, "DescribeMetricLast", last.clone())))
    });
    let log = json!({"StartTime": "2025-01-01T00:00:00Z"});
    group.bench_function("DescribeAlertLogList/one-rule-month", |b| {
        b.iter(|| black_box(call(&mut w, &o, "DescribeAlertLogList", log.clone())))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = bench_cdt
}
criterion_main!(benches);
