//! ECS benchmarks (issue 10 §4). Figures go to BENCHMARKS.md. Run one group with a short
//! measurement, e.g. `cargo bench --bench ecs -- --measurement-time 5`.
//!
//! * `ecs/cycle-10000-instances`: a mixed instance cycle through `Gateway::call` by a RAM user
//!   (RunInstances, DescribeInstances of the new instance by `InstanceIds`, StopInstance,
//!   StartInstance, TagResources with `ramsim:listening`, DescribeNetworkInterfaces of its
//!   primary ENI, DeleteInstance with Force) on a
//!   world of 10,000 instances — authorize + apply + audit event, events serialized to JSON.
//! * `ecs-list/describe-instances-page1-{1000,10000}`: DescribeInstances page 1 (10 rows) of the
//!   same caller as the world grows tenfold: the list pages through the (owner, region) index,
//!   so its cost does not follow the world's size.

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use serde_json::{json, Map, Value};
use std::path::Path;

const A: &str = "1234567890123456";

/// `n` instances of account A spread over 10 vSwitches (/21, 2,043 usable addresses each), one
/// security group, and a RAM user `ops` allowed every ECS action.
fn world(n: usize) -> SimState {
    let vswitches: Vec<Value> = (0..10)
        .map(|k| json!({"zone_id": "cn-hangzhou-h", "cidr_block": format!("10.0.{}.0/21", k * 8), "name": format!("s{k}")}))
        .collect();
    let instances: Vec<Value> = (0..n)
        .map(|i| json!({"owner": A, "vswitch": format!("s{}", i % 10), "security_groups": ["web"]}))
        .collect();
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]});
    let w = json!({
        "accounts": [{"uid": A, "alias": "A"}],
        "vpcs": [{"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "big", "vswitches": vswitches}],
        "security_groups": [{"owner": A, "vpc": "big", "name": "web"}],
        "instances": instances,
        "identity": {"accounts": {"A": {"policies": [{"name": "ecs-admin", "document": admin}],
            "users": [{"name": "ops", "policies": ["ecs-admin"]}]}}}
    });
    SimState::from_world_json(&w.to_string(), Path::new(".")).expect("bench world builds")
}

fn request(action: &str, params: &[(&str, &str)]) -> ApiRequest {
    let mut map = Map::new();
    for (k, v) in params {
        map.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    ApiRequest {
        product: None,
        action: action.into(),
        params: map,
    }
}

fn bench_ecs(c: &mut Criterion) {
    let state = world(10_000);
    assert_eq!(state.world.ecs().instances.len(), 10_000);
    let vsw = state
        .world
        .vpcs()
        .flat_map(|v| state.world.vswitches_of(&v.vpc_id))
        .find(|s| s.name == "s0")
        .map(|s| s.vswitch_id.clone())
        .expect("vswitch");
    let sg = state
        .world
        .ecs()
        .security_groups
        .keys()
        .next()
        .cloned()
        .expect("group");
    let mut gateway = Gateway::new(state);
    let ops = Envelope {
        caller: "ops".into(),
        ..Envelope::default()
    };
    let run = request(
        "RunInstances",
        &[
            ("RegionId", "cn-hangzhou"),
            ("VSwitchId", &vsw),
            ("SecurityGroupId", &sg),
        ],
    );
    let describe = request("DescribeInstances", &[("RegionId", "cn-hangzhou")]);
    let mut buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut group = c.benchmark_group("ecs");
    group.throughput(Throughput::Elements(7));
    group.bench_function("cycle-10000-instances", |bench| {
        bench.iter(|| {
            let r = gateway.call(&ops, &run);
            let id = r.body["InstanceIdSets"]["InstanceIdSet"][0]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let ids = format!("[\"{id}\"]");
            let d = gateway.call(
                &ops,
                &request(
                    "DescribeInstances",
                    &[("RegionId", "cn-hangzhou"), ("InstanceIds", &ids)],
                ),
            );
            let eni = d.body["Instances"]["Instance"][0]["NetworkInterfaces"]["NetworkInterface"]
                [0]["NetworkInterfaceId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            black_box(gateway.call(&ops, &request("StopInstance", &[("InstanceId", &id)])));
            black_box(gateway.call(&ops, &request("StartInstance", &[("InstanceId", &id)])));
            black_box(gateway.call(
                &ops,
                &request(
                    "TagResources",
                    &[
                        ("RegionId", "cn-hangzhou"),
                        ("ResourceType", "instance"),
                        ("ResourceId.1", &id),
                        ("Tag.1.Key", "ramsim:listening"),
                        ("Tag.1.Value", "tcp/80"),
                    ],
                ),
            ));
            black_box(gateway.call(
                &ops,
                &request(
                    "DescribeNetworkInterfaces",
                    &[("RegionId", "cn-hangzhou"), ("NetworkInterfaceId.1", &eni)],
                ),
            ));
            let d = gateway.call(
                &ops,
                &request("DeleteInstance", &[("InstanceId", &id), ("Force", "true")]),
            );
            assert!(d.is_success(), "{}", d.body);
            for e in gateway.state.audit.drain(..) {
                buffer.clear();
                ramsim::api::audit_json::write_event(&e, &mut buffer);
                black_box(&buffer);
            }
        })
    });
    group.finish();
    drop(gateway);

    let mut group = c.benchmark_group("ecs-list");
    group.throughput(Throughput::Elements(1));
    for n in [1_000, 10_000] {
        let mut gateway = Gateway::new(world(n));
        group.bench_function(format!("describe-instances-page1-{n}"), |bench| {
            bench.iter(|| {
                black_box(gateway.call(&ops, &describe));
                gateway.state.audit.clear();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_ecs);
criterion_main!(benches);
