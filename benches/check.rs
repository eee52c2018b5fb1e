//! `ramsim check` benchmarks (issue 5, "Performance"). Run: `cargo bench --bench check`.
//!
//! * `check/peering-world-steps`: generated steps per second on one core for
//!   `corpus/worlds/peering.json` — generation, the gateway call (authorize, apply, audit),
//!   state hashing and the evaluation of three invariants after every step. The invariants
//!   hold on this world, so every run goes its full length.
//! * `check/peering-world-steps-with-escalation`: the same with
//!   `builtin:no-privilege-escalation` added; `check/esc-control-steps`: that invariant alone
//!   on `corpus/worlds/esc-control.json` (identity moves, every escalation hole closed).
//! * `check/escalation-find`: time to find and shrink the 3-step escalation of
//!   `corpus/worlds/escalation.json` (seed 0). Before the criterion runs, the number of
//!   steps needed to find it is printed for seeds 0–19 with its median.
//! * `check/find/<world>`: time to find and shrink the violation of each issue-16 regression
//!   world (and of the bundled example) for seeds 0–9, one iteration running all ten seeds
//!   (throughput: search steps of the ten seeds). Before its criterion runs, each prints the
//!   steps to find per seed, how many seeds found it and the shrunk lengths.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ramsim::api::SimState;
use ramsim::check::invariant::Invariant;
use ramsim::check::{CheckConfig, Checker};
use std::path::Path;

// As in the `ramsim` binary.
#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

const RUNS: u64 = 20;
const STEPS: u64 = 50;

fn world(name: &str) -> SimState {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/worlds")
        .join(name);
    SimState::from_world_file(&path).expect("world")
}

fn peering_invariants() -> Vec<Invariant> {
    [
        "builtin:audit-complete",
        "builtin:routes-point-to-live-peerings",
        "forall p in peerings where p.live: p.requester.vpc_id like \"vpc-*\" and p.accepter.uid != p.requester.vpc_id",
    ]
    .iter()
    .map(|s| Invariant::from_arg(s).expect("invariant"))
    .collect()
}

fn escalation_config(seed: u64) -> CheckConfig {
    CheckConfig {
        seed,
        principals: vec!["!root@*".into()],
        ..CheckConfig::default()
    }
}

fn escalation_invariant() -> Vec<Invariant> {
    vec![Invariant::from_arg("builtin:peering-within-directory").expect("invariant")]
}

fn bench_check(c: &mut Criterion) {
    let peering = world("peering.json");
    let mut group = c.benchmark_group("check");
    group.sample_size(20);
    group.throughput(Throughput::Elements(RUNS * STEPS));
    group.bench_function("peering-world-steps", |b| {
        b.iter(|| {
            let config = CheckConfig {
                runs: RUNS,
                steps: STEPS,
                seed: 1,
                ..CheckConfig::default()
            };
            let report = Checker::new(peering.clone(), peering_invariants(), config)
                .run()
                .expect("runs");
            assert!(report.violation.is_none());
            assert_eq!(report.steps, RUNS * STEPS);
            report.steps
        })
    });

    // The same, with `builtin:no-privilege-escalation` (rows, the can-become graph and its
    // closure after every identity write) on top of the three invariants; and on the control
    // world of the escalation regressions, where identity moves dominate.
    let with_escalation = || {
        let mut v = peering_invariants();
        v.push(Invariant::from_arg("builtin:no-privilege-escalation").expect("invariant"));
        v
    };
    group.bench_function("peering-world-steps-with-escalation", |b| {
        b.iter(|| {
            let config = CheckConfig {
                runs: RUNS,
                steps: STEPS,
                seed: 1,
                ..CheckConfig::default()
            };
            let report = Checker::new(peering.clone(), with_escalation(), config)
                .run()
                .expect("runs");
            assert!(report.violation.is_none());
            assert_eq!(report.steps, RUNS * STEPS);
            report.steps
        })
    });
    let control = world("esc-control.json");
    group.bench_function("esc-control-steps", |b| {
        b.iter(|| {
            let config = CheckConfig {
                runs: RUNS,
                steps: STEPS,
                seed: 1,
                principals: vec!["!root@*".into()],
                ..CheckConfig::default()
            };
            let report = Checker::new(
                control.clone(),
                vec![Invariant::from_arg("builtin:no-privilege-escalation").expect("invariant")],
                config,
            )
            .run()
            .expect("runs");
            assert!(report.violation.is_none());
            assert_eq!(report.steps, RUNS * STEPS);
            report.steps
        })
    });

    let escalation = world("escalation.json");
    let mut found: Vec<u64> = (0..20)
        .filter_map(|seed| {
            let report = Checker::new(
                escalation.clone(),
                escalation_invariant(),
                escalation_config(seed),
            )
            .run()
            .expect("runs");
            report.violation.map(|_| report.steps)
        })
        .collect();
    found.sort_unstable();
    let median = found.get(found.len() / 2).copied().unwrap_or(0);
    eprintln!(
        "escalation: found with {} of 20 seeds; steps to find: median {median}, min {}, max {} ({found:?})",
        found.len(),
        found.first().copied().unwrap_or(0),
        found.last().copied().unwrap_or(0),
    );
    group.throughput(Throughput::Elements(1));
    group.bench_function("escalation-find", |b| {
        b.iter(|| {
            let report = Checker::new(
                escalation.clone(),
                escalation_invariant(),
                escalation_config(0),
            )
            .run()
            .expect("runs");
            assert!(report.violation.is_some());
            report.steps
        })
    });

    // Issue 16's regression worlds: find + shrink for seeds 0–9.
    for (name, invariant) in [
        ("esc-trust-rewrite.json", "builtin:no-privilege-escalation"),
        ("esc-minted-key.json", "builtin:no-privilege-escalation"),
        (
            "esc-version-promotion.json",
            "builtin:no-privilege-escalation",
        ),
        ("esc-account-move.json", "builtin:no-privilege-escalation"),
        ("escalation.json", "builtin:no-privilege-escalation"),
        ("escalation.json", "builtin:peering-within-directory"),
    ] {
        let state = world(name);
        let find_all = || {
            (0..10)
                .map(|seed| {
                    let inv = Invariant::from_arg(invariant).expect("invariant");
                    let report = Checker::new(state.clone(), vec![inv], escalation_config(seed))
                        .run()
                        .expect("runs");
                    let shrunk = report.violation.as_ref().map(|v| v.steps.len());
                    (report.steps, shrunk)
                })
                .collect::<Vec<_>>()
        };
        let results = find_all();
        let steps: u64 = results.iter().map(|r| r.0).sum();
        // One seed's (steps run, shrunk length when found).
        type SeedResult = (u64, Option<usize>);
        let line =
            |f: &dyn Fn(&SeedResult) -> String| results.iter().map(f).collect::<Vec<_>>().join(" ");
        eprintln!(
            "find/{name} {invariant}: found by {} of seeds 0-9; steps to find: {}; shrunk to: {}",
            results.iter().filter(|r| r.1.is_some()).count(),
            line(&|r| if r.1.is_some() {
                r.0.to_string()
            } else {
                "-".into()
            }),
            line(&|r| r.1.map_or("-".into(), |n| n.to_string())),
        );
        let short = invariant.trim_start_matches("builtin:");
        group.throughput(Throughput::Elements(steps));
        group.bench_function(
            format!("find/{}/{short}", name.trim_end_matches(".json")),
            |b| b.iter(|| find_all().len()),
        );
    }
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
