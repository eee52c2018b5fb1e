//! Workflow benchmarks (issue 4, "Performance"): `ramsim diff` of two 100-statement policies
//! over the generated request space (without a world, and over a 1,000-VPC world), and
//! `ramsim simulate` of one principal over the peering seed world and a 1,000-VPC world.
//! Figures go to BENCHMARKS.md. Run: `cargo bench --bench workflows`.

// The same allocator as the `ramsim` binary, so the figures are what users get.
#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ramsim::api::SimState;
use ramsim::diff::{diff, DiffInput, DiffKind, Version};
use ramsim::policy::file::LoadedPolicy;
use ramsim::policy::{read_policy, ReadOptions};
use ramsim::simulate::{resolve, simulate, PrincipalSpec, SimulateOptions};
use serde_json::json;
use std::path::Path;

const ACTIONS: [&str; 10] = [
    "vpc:CreateVpc",
    "vpc:CreateVSwitch",
    "vpc:CreateRouteEntry",
    "vpc:DeleteRouteEntry",
    "vpc:Describe*",
    "vpc:*VpcPeerConnection",
    "ram:CreateUser",
    "ram:Attach*",
    "resourcemanager:*",
    "ecs:Describe*",
];

/// 100 statements mixing actions, resources and conditions; `variant` shifts some of them so
/// that the two versions differ in about a tenth of their statements.
fn policy(variant: usize) -> String {
    let statements: Vec<_> = (0..100)
        .map(|i| {
            let shifted = variant > 0 && i % 10 == 3;
            let action = ACTIONS[(i + usize::from(shifted)) % ACTIONS.len()];
            let resource = match i % 4 {
                0 => "*".to_string(),
                1 => format!("acs:vpc:cn-hangzhou:*:vpc/vpc-{i:03}*"),
                2 => format!("acs:ram::*:user/team-{}", i % 7),
                _ => "acs:vpc:*:*:routetable/*".to_string(),
            };
            let mut s = json!({
                "Sid": format!("S{i}"),
                "Effect": if i % 9 == 0 { "Deny" } else { "Allow" },
                "Action": action,
                "Resource": resource,
            });
            match i % 5 {
                1 => s["Condition"] = json!({"IpAddress": {"acs:SourceIp": format!("10.{}.0.0/16", i + variant)}}),
                2 => s["Condition"] = json!({"StringLike": {"acs:TargetRDPath": format!("rd-abc123/r-root01/fd-{}/*", i % 3)}}),
                3 => s["Condition"] = json!({"Bool": {"acs:SecureTransport": "true"}}),
                _ => {}
            }
            s
        })
        .collect();
    json!({"Version": "1", "Statement": statements}).to_string()
}

/// A 100-statement version. RAM's 6,144-character limit cannot hold 100 statements with
/// conditions, so the document is read in chunks of 20 statements whose statements are joined into one AST.
fn version(name: &str, variant: usize) -> Version {
    let text = policy(variant);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let all = doc["Statement"].as_array().expect("statements").clone();
    let mut merged: Option<ramsim::policy::Policy> = None;
    for half in all.chunks(20) {
        let part = json!({"Version": "1", "Statement": half}).to_string();
        let p = read_policy(
            &part,
            ramsim::policy::PolicyKind::Identity,
            &ReadOptions::default(),
        )
        .policy
        .expect("benchmark policy chunk validates");
        match merged.as_mut() {
            None => merged = Some(p),
            Some(m) => m.statements.extend(p.statements),
        }
    }
    let policy = merged.expect("chunks");
    assert_eq!(policy.statements.len(), 100);
    Version::new(
        LoadedPolicy {
            file: name.into(),
            text,
            policy,
        },
        DiffKind::Identity,
    )
}

fn big_world() -> SimState {
    let vpcs: Vec<_> = (0..1000)
        .map(|i| {
            json!({"owner": "1234567890123456", "region_id": "cn-hangzhou",
            "cidr_block": format!("10.{}.{}.0/24", i / 256, i % 256), "name": format!("v{i}")})
        })
        .collect();
    let admin = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["vpc:*", "cdt:GetCdtServiceStatus"], "Resource": "*"}]});
    let world = json!({
        "options": {"quotas": {"vpcs_per_account_region": 1000}},
        "accounts": [{"uid": "1234567890123456", "alias": "A", "cdt_enabled": true}],
        "vpcs": vpcs,
        "identity": {"accounts": {"A": {
            "policies": [{"name": "admin", "document": admin}],
            "users": [{"name": "netops", "policies": ["admin"]}]
        }}}
    });
    SimState::from_world_json(&world.to_string(), Path::new(".")).expect("1,000-VPC world builds")
}

fn benches(c: &mut Criterion) {
    let old = version("old.json", 0);
    let new = version("new.json", 1);
    let world = big_world();
    let peering = SimState::from_world_file(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds/peering.json"),
    )
    .expect("peering world");
    let run = |state: Option<&SimState>| {
        diff(DiffInput {
            old: &old,
            new: &new,
            kind: DiffKind::Identity,
            state,
            replay: &[],
            skipped: Vec::new(),
        })
    };
    let sample = run(None);
    let sample_world = run(Some(&world));
    eprintln!(
        "diff space: {} requests without a world ({} granted, {} removed groups); {} over 1,000 VPCs",
        sample.generated,
        sample.granted.len(),
        sample.removed.len(),
        sample_world.generated
    );
    let mut g = c.benchmark_group("workflows");
    g.sample_size(10);
    g.bench_function("diff_100_statements_no_world", |b| {
        b.iter(|| black_box(run(None)))
    });
    g.bench_function("diff_100_statements_1000_vpcs", |b| {
        b.iter(|| black_box(run(Some(&world))))
    });
    for (name, state, who) in [
        ("simulate_peering_world_netops", &peering, "netops"),
        ("simulate_1000_vpcs_netops", &world, "netops"),
    ] {
        let subject =
            resolve(state, &PrincipalSpec::parse(who).expect("spec"), who).expect("principal");
        let opts = SimulateOptions::default();
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate(state, &subject, &opts).expect("simulate")))
        });
    }
    g.finish();
}

criterion_group!(workflow_benches, benches);
criterion_main!(workflow_benches);
