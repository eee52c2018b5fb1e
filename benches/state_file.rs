//! `ramsim call` end to end on large state files (issue 18, state part). Figures go to
//! BENCHMARKS.md. Run: `cargo bench --bench state_file` (sizes: `STATE_BENCH_VPCS=10000,100000`,
//! the default; calls per size: `STATE_BENCH_CALLS`, default 130, two compactions).
//!
//! For each size: writes a world of N VPCs (a vSwitch each, in 10 accounts) to a temp
//! directory, times `ramsim init`, then times `ramsim call` (a `CreateVpc`, which reads the VPC
//! quota) as a user runs it — a new process that loads the snapshot, replays the journal, calls,
//! and appends (or compacts) — and, in process, loading the snapshot against loading the same
//! state as JSON (`ramsim export`, the format before the snapshot).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ramsim::api::SimState;
use serde_json::json;

const ACCOUNTS: usize = 10;

fn uid(a: usize) -> String {
    format!("{}234567890123456", a + 1)
}

fn world_json(vpcs: usize) -> String {
    let mut list = Vec::with_capacity(vpcs);
    for i in 0..vpcs {
        let (a, j) = (i % ACCOUNTS, i / ACCOUNTS);
        list.push(json!({"owner": uid(a), "region_id": "cn-hangzhou",
            "cidr_block": format!("10.{}.{}.0/24", j / 256 % 256, j % 256), "name": format!("v{i}"),
            "vswitches": [{"zone_id": "cn-hangzhou-h", "cidr_block": format!("10.{}.{}.0/26", j / 256 % 256, j % 256)}]}));
    }
    let accounts: Vec<_> = (0..ACCOUNTS)
        .map(|a| json!({"uid": uid(a), "alias": format!("A{a}")}))
        .collect();
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]});
    json!({
        "options": {"quotas": {"vpcs_per_account_region": 1_000_000}},
        "accounts": accounts,
        "vpcs": list,
        "identity": {"accounts": {"A0": {"policies": [{"name": "admin", "document": admin}],
            "users": [{"name": "netops", "policies": ["admin"]}]}}}
    })
    .to_string()
}

fn run(args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(args)
        .output()
        .expect("run ramsim");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "ramsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn bench(vpcs: usize, calls: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let world = dir.path().join("world.json");
    std::fs::write(&world, world_json(vpcs)).expect("write world");
    let state = dir.path().join("state");
    let (w, s) = (world.to_str().unwrap(), state.to_str().unwrap());
    let init = run(&["init", "--world", w, "--state", s]);
    let snapshot_bytes = std::fs::metadata(&state).expect("state").len();
    let mut times = Vec::with_capacity(calls);
    for i in 0..calls {
        let cidr = format!("172.16.{}.0/24", i % 256);
        times.push(run(&[
            "call",
            "--state",
            s,
            "--as",
            "netops",
            "--",
            "aliyun",
            "vpc",
            "CreateVpc",
            "--RegionId",
            "cn-hangzhou",
            "--CidrBlock",
            &cidr,
        ]));
    }
    let mut sorted = times.clone();
    sorted.sort();
    let pct = |p: usize| sorted[(sorted.len() - 1) * p / 100];
    // In process: the snapshot against the same state as JSON.
    let json_path = dir.path().join("state.json");
    let export = Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(["export", "--state", s])
        .output()
        .expect("export");
    assert!(export.status.success());
    std::fs::write(&json_path, &export.stdout).expect("write json");
    let time_load = |p: &Path| {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            let st = SimState::load_snapshot(p).expect("load");
            best = best.min(start.elapsed());
            drop(st);
        }
        best
    };
    let (bin_load, json_load) = (time_load(&state), time_load(&json_path));
    println!(
        "{vpcs} VPCs: init {}; snapshot {:.1} MB (JSON {:.1} MB); {calls} calls: median {}, p90 {}, max {} (the compactions), mean {}; load in process: snapshot {}, JSON {}",
        ms(init),
        snapshot_bytes as f64 / 1e6,
        export.stdout.len() as f64 / 1e6,
        ms(pct(50)),
        ms(pct(90)),
        ms(sorted[sorted.len() - 1]),
        ms(times.iter().sum::<Duration>() / calls as u32),
        ms(bin_load),
        ms(json_load),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let sizes = std::env::var("STATE_BENCH_VPCS").unwrap_or_else(|_| "10000,100000".into());
    let calls = std::env::var("STATE_BENCH_CALLS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(130);
    for n in sizes.split(',').filter_map(|n| n.trim().parse().ok()) {
        bench(n, calls);
    }
}
