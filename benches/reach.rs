//! Reachability benchmarks (issue 11, "Performance"). Figures go to BENCHMARKS.md.
//! Run: `cargo bench --bench reach`.
//!
//! * one analysis on a world of 1,000 VPCs / 10,000 instances (target ≤ 20 µs): two instances
//!   in different vSwitches of one VPC, so the walk does a route lookup, both security groups
//!   and the reply path; and the same analysis on a 100-VPC / 1,000-instance world, to show the
//!   cost does not grow with the world;
//! * `--matrix` over 1,000 instances (10⁶ pairs, target ≤ 5 s on one core).

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ramsim::api::SimState;
use ramsim::cloud::packet::Protocol;
use ramsim::cloud::reach::{matrix, Analyzer, Probe, Source, Target};
use serde_json::json;
use std::path::Path;

/// The uid of account `k` (100 VPCs each: the security-group quota is 100 per account and region).
fn owner(k: usize) -> String {
    format!("{:016}", 1_234_567_890_123_456u64 + k as u64)
}

/// `vpcs` VPCs (100 per account), each with two vSwitches, a group admitting tcp/22 from
/// 10.0.0.0/8, and five instances per vSwitch listening on tcp/22.
fn world(vpcs: usize) -> SimState {
    let mut vpc_specs = Vec::new();
    let mut groups = Vec::new();
    let mut instances = Vec::new();
    let accounts: Vec<_> = (0..vpcs.div_ceil(100))
        .map(|k| json!({"uid": owner(k), "alias": format!("A{k}")}))
        .collect();
    for v in 0..vpcs {
        let o = owner(v / 100);
        vpc_specs.push(
            json!({"owner": o, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16",
            "name": format!("v{v}"),
            "vswitches": [
                {"zone_id": "cn-hangzhou-h", "cidr_block": "10.0.1.0/24", "name": format!("v{v}a")},
                {"zone_id": "cn-hangzhou-i", "cidr_block": "10.0.2.0/24", "name": format!("v{v}b")}
            ]}),
        );
        groups.push(
            json!({"owner": o, "vpc": format!("v{v}"), "name": format!("g{v}"),
            "ingress": [{"protocol": "tcp", "port_range": "22/22", "cidr": "10.0.0.0/8"}]}),
        );
        for k in 0..10 {
            let side = if k < 5 { "a" } else { "b" };
            instances.push(json!({"owner": o, "name": format!("vm{v}-{k}"),
                "vswitch": format!("v{v}{side}"), "security_groups": [format!("g{v}")],
                "listening": "tcp/22"}));
        }
    }
    let text = json!({
        "options": {"quotas": {"vpcs_per_account_region": 100000}},
        "accounts": accounts,
        "vpcs": vpc_specs,
        "security_groups": groups,
        "instances": instances,
    })
    .to_string();
    SimState::from_world_json(&text, Path::new(".")).expect("bench world builds")
}

fn id_of(state: &SimState, name: &str) -> String {
    state
        .world
        .ecs()
        .instances
        .values()
        .find(|i| i.instance_name == name)
        .map(|i| i.instance_id.to_string())
        .expect("instance")
}

fn bench_reach(c: &mut Criterion) {
    let mut group = c.benchmark_group("reach");
    for vpcs in [100usize, 1_000] {
        let state = world(vpcs);
        let probe = Probe {
            source: Source::Ecs {
                instance_id: id_of(&state, "vm7-0"),
                source_ip: None,
            },
            target: Target::Ecs {
                instance_id: id_of(&state, "vm7-9"),
                target_ip: None,
            },
            protocol: Protocol::Tcp,
            source_port: None,
            target_port: Some(22),
        };
        let analyzer = Analyzer::new(&state.world);
        let v = analyzer.analyze(&probe).expect("analysis");
        assert!(v.reachable, "{:?}", v.codes());
        group.bench_function(
            format!("one-analysis/{vpcs}-vpcs-{}-instances", vpcs * 10),
            |b| b.iter(|| black_box(analyzer.analyze(&probe).expect("analysis"))),
        );
    }
    group.finish();

    let state = world(100);
    let mut group = c.benchmark_group("reach-matrix");
    group.sample_size(10);
    group.bench_function("1000-instances-1-core", |b| {
        b.iter(|| {
            black_box(matrix(&state.world, Protocol::Tcp, Some(22), 1, &|| {}).expect("matrix"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_reach);
criterion_main!(benches);
