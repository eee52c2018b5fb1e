//! Gateway benchmarks (issue: network model and gateway, "Performance"). Figures go to
//! BENCHMARKS.md. Run: `cargo bench --bench gateway`.
//!
//! A world of 1,000 VPCs (500 in each of two accounts of one directory folder) and a peering
//! workload through `Gateway::call`: create (cross-account, guardrail evaluated), accept, get,
//! delete — authorize + apply + audit event, with every event serialized to JSON.

// The same allocator as the `ramsim` binary, so the figures are what users get.
#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ramsim::api::{ApiRequest, Envelope, Gateway, SimState};
use serde_json::{json, Map, Value};
use std::path::Path;

const VPCS_PER_ACCOUNT: usize = 500;

fn world_json() -> String {
    let mut vpcs = Vec::new();
    for i in 0..VPCS_PER_ACCOUNT {
        vpcs.push(json!({"owner": "1234567890123456", "region_id": "cn-hangzhou", "cidr_block": format!("10.{}.{}.0/24", i / 256, i % 256), "name": format!("a{i}")}));
        vpcs.push(json!({"owner": "2234567890123456", "region_id": "cn-beijing", "cidr_block": format!("172.16.{}.0/24", i % 256), "name": format!("b{i}")}));
    }
    let guardrail = json!({"Version": "1", "Statement": [{"Effect": "Deny",
        "Action": ["vpc:CreateVpcPeerConnection", "vpc:AcceptVpcPeerConnection"], "Resource": "*",
        "Condition": {"StringNotLike": {"acs:TargetRDPath": ["rd-abc123/r-root01/fd-prod01/*"]}}}]});
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["vpc:*", "cdt:GetCdtServiceStatus"], "Resource": "*"}]});
    json!({
        "options": {"quotas": {"vpcs_per_account_region": 1000, "peers_per_account_region": 1000}},
        "accounts": [
            {"uid": "1234567890123456", "alias": "A", "cdt_enabled": true},
            {"uid": "2234567890123456", "alias": "B", "cdt_enabled": true},
            {"uid": "9234567890123456", "alias": "M"}
        ],
        "resource_directory": {"id": "rd-abc123", "root_folder_id": "r-root01", "management_account": "9234567890123456",
            "folders": [{"id": "fd-prod01", "name": "prod"}],
            "members": [{"uid": "1234567890123456", "folder": "fd-prod01"}, {"uid": "2234567890123456", "folder": "fd-prod01"}]},
        "vpcs": vpcs,
        "identity": {
            "control_policies": [{"name": "peer-within-prod", "attach": ["fd-prod01"], "document": guardrail}],
            "accounts": {
                "A": {"policies": [{"name": "admin", "document": admin.clone()}], "users": [{"name": "netops", "policies": ["admin"]}]},
                "B": {"policies": [{"name": "admin", "document": admin}], "users": [{"name": "netadmin", "policies": ["admin"]}]}
            }
        }
    })
    .to_string()
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

/// The cycle's requests, built once: a client keeps its request objects and changes the one
/// parameter that varies, so the figures count the gateway's work, not the harness building
/// maps (which was 3 % of an iteration).
struct CycleRequests {
    /// CreateVpcPeerConnection from VPC `a{k}` to `b{k}`, one per k.
    create: Vec<ApiRequest>,
    /// Accept, Get and Delete; their `InstanceId` is set to each cycle's new peering.
    by_id: [ApiRequest; 3],
}

impl CycleRequests {
    fn new(a: &[String], b: &[String]) -> Self {
        let create = a
            .iter()
            .zip(b)
            .map(|(a, b)| {
                request(
                    "CreateVpcPeerConnection",
                    &[
                        ("RegionId", "cn-hangzhou"),
                        ("VpcId", a),
                        ("AcceptingAliUid", "2234567890123456"),
                        ("AcceptingRegionId", "cn-beijing"),
                        ("AcceptingVpcId", b),
                    ],
                )
            })
            .collect();
        let by_id = [
            "AcceptVpcPeerConnection",
            "GetVpcPeerConnectionAttribute",
            "DeleteVpcPeerConnection",
        ]
        .map(|action| request(action, &[("InstanceId", "")]));
        CycleRequests { create, by_id }
    }
}

/// One peering cycle through the gateway: create (requester) from the k-th VPC pair, accept
/// (accepter), get and delete (requester). The responses are dropped; the audit events stay
/// in the state.
fn peering_cycle(
    gateway: &mut Gateway,
    [requester, accepter]: [&Envelope; 2],
    requests: &mut CycleRequests,
    k: usize,
) {
    let r = gateway.call(requester, &requests.create[k]);
    let id = r.body.get("InstanceId").cloned().unwrap_or_default();
    for (request, caller) in requests
        .by_id
        .iter_mut()
        .zip([accepter, requester, requester])
    {
        if let Some(slot) = request.params.get_mut("InstanceId") {
            slot.clone_from(&id);
        }
        black_box(gateway.call(caller, request));
    }
}

/// What `gateway/peering-cycle` times: one cycle, then its audit events serialized as
/// `ramsim log --format json` would and dropped, so memory stays flat over millions of
/// iterations. A named function so a profiler can `--toggle-collect=gateway::measured_iteration`.
#[inline(never)]
fn measured_iteration(
    gateway: &mut Gateway,
    envelopes: [&Envelope; 2],
    requests: &mut CycleRequests,
    k: usize,
    buffer: &mut Vec<u8>,
) {
    peering_cycle(gateway, envelopes, requests, k);
    for e in gateway.state.audit.drain(..) {
        buffer.clear();
        ramsim::api::audit_json::write_event(&e, buffer);
        black_box(&buffer);
    }
}

fn bench_gateway(c: &mut Criterion) {
    let state =
        SimState::from_world_json(&world_json(), Path::new(".")).expect("bench world builds");
    let a: Vec<String> = (0..VPCS_PER_ACCOUNT)
        .map(|i| {
            state
                .world
                .vpcs()
                .find(|v| v.name == format!("a{i}"))
                .map(|v| v.vpc_id.clone())
                .unwrap_or_default()
        })
        .collect();
    let b: Vec<String> = (0..VPCS_PER_ACCOUNT)
        .map(|i| {
            state
                .world
                .vpcs()
                .find(|v| v.name == format!("b{i}"))
                .map(|v| v.vpc_id.clone())
                .unwrap_or_default()
        })
        .collect();
    let fresh = state.clone();
    let mut gateway = Gateway::new(state);
    let netops = Envelope {
        caller: "netops".into(),
        ..Envelope::default()
    };
    let netadmin = Envelope {
        caller: "netadmin".into(),
        ..Envelope::default()
    };
    let mut buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut requests = CycleRequests::new(&a, &b);
    let mut i = 0usize;
    let mut group = c.benchmark_group("gateway");
    group.throughput(Throughput::Elements(4));
    group.bench_function("peering-cycle-1000-vpcs", |bench| {
        bench.iter(|| {
            let k = i % VPCS_PER_ACCOUNT;
            i += 1;
            measured_iteration(
                &mut gateway,
                [&netops, &netadmin],
                &mut requests,
                k,
                &mut buffer,
            );
        })
    });
    group.finish();

    // The audit encoder alone, against serde_json on the same events (one full cycle's four).
    let events: Vec<_> = {
        let k = i % VPCS_PER_ACCOUNT;
        peering_cycle(&mut gateway, [&netops, &netadmin], &mut requests, k);
        gateway.state.audit.drain(..).collect()
    };
    let bytes: usize = events
        .iter()
        .map(|e| ramsim::api::audit_json::event_to_string(e).len())
        .sum();
    let mut group = c.benchmark_group("audit-json");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("ramsim-encoder-4-events", |bench| {
        bench.iter(|| {
            for e in &events {
                buffer.clear();
                ramsim::api::audit_json::write_event(e, &mut buffer);
                black_box(&buffer);
            }
        })
    });
    group.bench_function("serde_json-4-events", |bench| {
        bench.iter(|| {
            for e in &events {
                buffer.clear();
                let _ = serde_json::to_writer(&mut buffer, e);
                black_box(&buffer);
            }
        })
    });
    group.finish();

    // Save/load are measured on the freshly built 1,000-VPC world, not on the state the
    // workload above grew (it archives one deleted peering per cycle).
    let state = fresh;
    drop(gateway);
    let dir = std::env::temp_dir().join(format!("ramsim-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("state.json");
    let mut group = c.benchmark_group("state");
    group.sample_size(20);
    group.bench_function("save-1000-vpcs", |bench| {
        bench.iter(|| state.save(&path).expect("save"))
    });
    group.bench_function("load-1000-vpcs", |bench| {
        bench.iter(|| black_box(SimState::load(&path).expect("load")))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A world where the caller's account owns `mine` VPCs (each with a vSwitch) in cn-hangzhou and
/// another account owns `others` VPCs in the same region. CIDR blocks repeat once the /16s or
/// /24s run out: VPCs may overlap (only a VPC's own vSwitches must fit in it).
fn list_world_json(mine: usize, others: usize) -> String {
    let mut vpcs = Vec::with_capacity(mine + others);
    for i in 0..mine {
        let cidr = format!("10.{}.0.0/16", i % 256);
        vpcs.push(
            json!({"owner": "1234567890123456", "region_id": "cn-hangzhou",
            "cidr_block": cidr, "name": format!("mine{i}"),
            "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": format!("10.{}.1.0/24", i % 256)}]}),
        );
    }
    for i in 0..others {
        vpcs.push(json!({"owner": "2234567890123456", "region_id": "cn-hangzhou",
            "cidr_block": format!("172.{}.{}.0/24", 16 + i / 256 % 16, i % 256), "name": format!("other{i}"),
            "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": format!("172.{}.{}.0/26", 16 + i / 256 % 16, i % 256)}]}));
    }
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]});
    json!({
        "options": {"quotas": {"vpcs_per_account_region": 200_000}},
        "accounts": [
            {"uid": "1234567890123456", "alias": "A"},
            {"uid": "2234567890123456", "alias": "B"}
        ],
        "vpcs": vpcs,
        "identity": {"accounts": {"A": {"policies": [{"name": "admin", "document": admin}],
            "users": [{"name": "netops", "policies": ["admin"]}]}}}
    })
    .to_string()
}

/// World sizes from `LIST_BENCH_SIZES` (comma-separated), else `default`.
fn bench_sizes(default: &[usize]) -> Vec<usize> {
    std::env::var("LIST_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

/// List calls cost what they return: page 1 (10 items) of DescribeVpcs, DescribeVSwitches and
/// DescribeRouteTableList.
/// * `{api}/{n}-other-vpcs`: a caller with 50 VPCs, in worlds where another account owns 0,
///   1,000, 10,000 and 100,000 more VPCs (what the caller cannot see must cost nothing);
/// * `{api}/{n}-own-vpcs`: the caller itself owns 1,000 or 100,000 VPCs (what it can see but
///   is not on the page must cost nothing either: the page is read from an ordered index and
///   the total is a counter).
///
/// Flat figures across the sizes are the target. `LIST_BENCH_SIZES=1000,10000` limits the
/// world sizes (both shapes); building the 100,000-VPC worlds takes seconds each.
fn bench_list_scaling(c: &mut Criterion) {
    let netops = Envelope {
        caller: "netops".into(),
        ..Envelope::default()
    };
    let page = [
        ("RegionId", "cn-hangzhou"),
        ("PageNumber", "1"),
        ("PageSize", "10"),
    ];
    let sizes = bench_sizes(&[0, 1_000, 10_000, 100_000]);
    let mut worlds: Vec<(String, usize, usize)> = sizes
        .iter()
        .map(|&n| (format!("{n}-other-vpcs"), 50, n))
        .collect();
    worlds.extend(
        sizes
            .iter()
            .filter(|&&n| n >= 1_000)
            .map(|&n| (format!("{n}-own-vpcs"), n, 0)),
    );
    let mut group = c.benchmark_group("list-page-1");
    group.sample_size(30);
    for (label, mine, others) in worlds {
        let state = SimState::from_world_json(&list_world_json(mine, others), Path::new("."))
            .expect("list world builds");
        let mut gateway = Gateway::new(state);
        for api in [
            "DescribeVpcs",
            "DescribeVSwitches",
            "DescribeRouteTableList",
        ] {
            let req = request(api, &page);
            let probe = gateway.call(&netops, &req);
            assert_eq!(probe.http_status, 200, "{api}: {}", probe.body);
            let total = probe.body.get("TotalCount").and_then(Value::as_u64);
            assert_eq!(total, Some(mine as u64), "{api} {label}: {}", probe.body);
            group.bench_function(format!("{api}/{label}"), |bench| {
                bench.iter(|| {
                    black_box(gateway.call(&netops, &req));
                    gateway.state.audit.clear();
                })
            });
        }
    }
    group.finish();
}

/// Moving the clock costs what falls due, not what exists (issue 18: "`settle` visits only
/// what is due"). A Stepped-mode world where the caller owns N settled VPCs (each with a
/// vSwitch); one iteration peers two of them (`Creating`), moves the clock past the settle
/// delay (one due timer: the peering becomes `Activated`), deletes the peering (`Deleting`)
/// and moves the clock again (it is `Deleted` and archived), so the live world keeps its size.
/// Flat figures across N are the target; before the timer queue every clock move past a due
/// time scanned every VPC, vSwitch, route entry, peering and instance.
/// `LIST_BENCH_SIZES` picks the sizes here too (default 1,000 and 100,000).
fn bench_settle_scaling(c: &mut Criterion) {
    let netops = Envelope {
        caller: "netops".into(),
        ..Envelope::default()
    };
    let sizes = bench_sizes(&[1_000, 100_000]);
    let mut group = c.benchmark_group("settle-due");
    group.sample_size(30);
    for n in sizes.into_iter().filter(|&n| n >= 2) {
        let mut world: Value = serde_json::from_str(&list_world_json(n, 0)).expect("json");
        world["options"]["settle"] = json!("Stepped");
        world["options"]["settle_delay_secs"] = json!(5);
        world["accounts"][0]["cdt_enabled"] = json!(true);
        world["identity"]["accounts"]["A"]["policies"][0]["document"]["Statement"][0]["Action"] =
            json!(["vpc:*", "cdt:*"]);
        let state = SimState::from_world_json(&world.to_string(), Path::new("."))
            .expect("settle world builds");
        let vpc = |name: &str| {
            state
                .world
                .vpcs()
                .find(|v| v.name == name)
                .map(|v| v.vpc_id.clone())
                .expect("vpc")
        };
        let create = request(
            "CreateVpcPeerConnection",
            &[
                ("RegionId", "cn-hangzhou"),
                ("VpcId", &vpc("mine0")),
                ("AcceptingRegionId", "cn-hangzhou"),
                ("AcceptingVpcId", &vpc("mine1")),
                ("AcceptingAliUid", "1234567890123456"),
            ],
        );
        let mut gateway = Gateway::new(state);
        let cycle = |gateway: &mut Gateway| {
            let made = gateway.call(&netops, &create);
            let id = made.body["InstanceId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let later = gateway.state.world.now().plus(6);
            gateway.advance_clock(later);
            let delete = request(
                "DeleteVpcPeerConnection",
                &[("RegionId", "cn-hangzhou"), ("InstanceId", &id)],
            );
            let gone = gateway.call(&netops, &delete);
            let later = gateway.state.world.now().plus(6);
            gateway.advance_clock(later);
            gateway.state.audit.clear();
            (made, gone)
        };
        let (made, gone) = cycle(&mut gateway);
        assert_eq!(made.http_status, 200, "create: {}", made.body);
        assert_eq!(gone.http_status, 200, "delete: {}", gone.body);
        group.bench_function(format!("peering-create-settle-delete/{n}-vpcs"), |bench| {
            bench.iter(|| black_box(cycle(&mut gateway)))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_gateway,
    bench_list_scaling,
    bench_settle_scaling
);
criterion_main!(benches);
