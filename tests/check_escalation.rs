//! `builtin:no-privilege-escalation` defined by reach (issue 16): one regression world per
//! escalation path the check used to miss — a trust policy rewritten by `UpdateRole`, an
//! AccessKey minted for a more powerful user, a dormant policy version promoted, an account
//! moved out from under a control policy — each found within the default budget for at least
//! 9 of seeds 0–9 and shrunk to its known minimal length (1 step) for every seed that finds
//! it; a control world with every hole closed stays clean. And the shrinking property: whenever
//! `check` reports a violation, replaying the shrunk sequence reproduces it and removing any
//! single step makes it disappear.

use ramsim::api::SimState;
use ramsim::check::invariant::Invariant;
use ramsim::check::{CheckConfig, CheckReport, Checker, Violation};
use std::path::Path;

fn world(name: &str) -> SimState {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/worlds")
        .join(name);
    SimState::from_world_file(&path).expect("world builds")
}

fn config(seed: u64) -> CheckConfig {
    CheckConfig {
        seed,
        principals: vec!["!root@*".into()],
        ..CheckConfig::default()
    }
}

fn checker(world_name: &str, invariant: &str, seed: u64) -> Checker {
    let inv = Invariant::from_arg(invariant).expect("invariant");
    Checker::new(world(world_name), vec![inv], config(seed))
}

fn run(world_name: &str, invariant: &str, seed: u64) -> (CheckReport, Checker) {
    let mut c = checker(world_name, invariant, seed);
    let report = c.run().expect("evaluates");
    (report, c)
}

/// Replaying reproduces the violation; dropping any single step makes it disappear.
fn assert_minimal_and_reproducible(world_name: &str, c: &mut Checker, v: &Violation) {
    assert!(
        c.replay_violates(&v.steps, 0).expect("replays"),
        "{world_name}: the shrunk sequence reproduces the violation"
    );
    for i in 0..v.steps.len() {
        let mut fewer = v.steps.clone();
        fewer.remove(i);
        assert!(
            !c.replay_violates(&fewer, 0).expect("replays"),
            "{world_name}: without step {} the violation disappears",
            i + 1
        );
    }
    assert!(v.one_minimal);
}

/// `(world, the caller and API of the minimal step, a fragment of the witness)`.
const REGRESSIONS: &[(&str, &str, &str, &str)] = &[
    (
        "esc-trust-rewrite.json",
        "dev@A",
        "UpdateRole",
        "→ role/deployer@1234567890123456 (may sts:AssumeRole it: its policies allow it, and so does the role's trust policy as rewritten by UpdateRole at step 1)",
    ),
    (
        "esc-minted-key.json",
        "helpdesk@A",
        "CreateAccessKey",
        "user/helpdesk@1234567890123456 → user/admin@1234567890123456 (holds an AccessKey of it, created at step 1)",
    ),
    (
        "esc-version-promotion.json",
        "dev@A",
        "SetDefaultPolicyVersion",
        "user/dev@1234567890123456's own policies changed",
    ),
    (
        "esc-account-move.json",
        "orgops@M",
        "MoveAccount",
        "user/builder@5234567890123456 gained",
    ),
];

#[test]
fn every_regression_world_is_found_by_nine_of_ten_seeds_and_shrunk_to_one_step() {
    for (name, caller, api, witness) in REGRESSIONS {
        let mut found = 0;
        for seed in 0..10 {
            let (report, mut c) = run(name, "builtin:no-privilege-escalation", seed);
            let Some(v) = report.violation.as_ref() else {
                continue;
            };
            found += 1;
            assert!(!v.in_initial_world, "{name}: the hole needs a step");
            let steps: Vec<(Option<&str>, Option<&str>)> = v
                .records
                .iter()
                .map(|r| (r.caller.as_deref(), r.action.as_deref()))
                .collect();
            assert_eq!(
                steps,
                [(Some(*caller), Some(*api))],
                "{name}, seed {seed}: the known minimal sequence"
            );
            assert!(
                v.witness.iter().any(|w| w.contains(witness)),
                "{name}, seed {seed}: {:?}",
                v.witness
            );
            assert_minimal_and_reproducible(name, &mut c, v);
        }
        assert!(found >= 9, "{name}: found by {found} of seeds 0-9");
    }
}

#[test]
fn the_control_world_with_every_hole_closed_stays_clean() {
    let (report, _) = run("esc-control.json", "builtin:no-privilege-escalation", 0);
    assert!(
        report.violation.is_none(),
        "{:?}",
        report.violation.map(|v| v.witness)
    );
    assert_eq!(report.steps, 200 * 50, "the whole default budget ran");
    // The closed holes were tried, and refused or harmless.
    for api in [
        "UpdateRole",
        "CreateAccessKey",
        "SetDefaultPolicyVersion",
        "MoveAccount",
        "AssumeRole",
    ] {
        assert!(report.apis_called.contains(api), "{api} was tried");
    }
    assert!(report.apis_succeeded.contains("UpdateRole"));
    assert!(report.apis_succeeded.contains("MoveAccount"));
}

#[test]
fn shrunk_violations_replay_and_need_every_step() {
    // Longer sequences than the regression worlds' single step: the 3-step peering escape and
    // the 2-step self-service escalation of the bundled example world.
    for (name, invariant) in [
        ("escalation.json", "builtin:peering-within-directory"),
        ("escalation.json", "builtin:no-privilege-escalation"),
    ] {
        for seed in 0..3 {
            let (report, mut c) = run(name, invariant, seed);
            let v = report.violation.as_ref().expect("found");
            assert!(v.steps.len() >= 2, "{name} {invariant}: {}", v.steps.len());
            assert_minimal_and_reproducible(name, &mut c, v);
        }
    }
}

#[test]
fn the_bundled_example_shrinks_to_the_same_length_from_every_seed() {
    // The same violation found from different seeds shrinks to the same length: the 3-step
    // peering escape (CreatePolicy, AttachPolicyToUser, CreateVpcPeerConnection) and the
    // 2-step self-service escalation, for each of seeds 0-9.
    for (invariant, len) in [
        ("builtin:peering-within-directory", 3),
        ("builtin:no-privilege-escalation", 2),
    ] {
        let mut found = 0;
        for seed in 0..10 {
            let (report, _) = run("escalation.json", invariant, seed);
            let Some(v) = report.violation else {
                continue;
            };
            found += 1;
            assert_eq!(v.steps.len(), len, "{invariant}, seed {seed}");
            assert!(v.one_minimal, "{invariant}, seed {seed}");
        }
        assert!(found >= 9, "{invariant}: found by {found} of seeds 0-9");
    }
}

/// Time to find, per regression world and seed (runs, steps): `cargo test --release --test
/// check_escalation -- --ignored --nocapture time_to_find` prints the table of BENCHMARKS.md.
#[test]
#[ignore]
fn time_to_find() {
    for (name, invariant) in REGRESSIONS
        .iter()
        .map(|r| (r.0, "builtin:no-privilege-escalation"))
        .chain([("escalation.json", "builtin:peering-within-directory")])
    {
        let mut line = Vec::new();
        let started = std::time::Instant::now();
        for seed in 0..10 {
            let (report, _) = run(name, invariant, seed);
            // The search stops at the violating step: `steps` is the steps it took.
            line.push(if report.violation.is_some() {
                report.steps.to_string()
            } else {
                "-".to_string()
            });
        }
        println!(
            "{name} {invariant}: steps to find, seeds 0-9: {}; all ten seeds (find + shrink) in {:.1} ms",
            line.join(" "),
            started.elapsed().as_secs_f64() * 1_000.0
        );
    }
}
