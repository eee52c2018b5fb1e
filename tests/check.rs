//! `ramsim check`: finding a 3-step escalation, finding nothing behind a control-policy
//! guardrail, deterministic shrinking and replay, the emitted scenario under `ramsim test`,
//! invariant-language errors, and a snapshot of the human report.

use ramsim::api::SimState;
use ramsim::check::invariant::eval::EvalCache;
use ramsim::check::invariant::{Invariant, Monitor, StepInfo, Verdict};
use ramsim::check::report::{render_human, scenario_json};
use ramsim::check::{CheckConfig, CheckReport, Checker};
use ramsim::scenario::{run_file, CoverageCollector};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn world_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/worlds")
        .join(name)
}

fn world(name: &str) -> SimState {
    SimState::from_world_file(&world_path(name)).expect("world builds")
}

/// The default budget, RAM principals only (roots are all-powerful in their account; the
/// management account's root can detach any control policy).
fn config(seed: u64) -> CheckConfig {
    CheckConfig {
        seed,
        principals: vec!["!root@*".into()],
        ..CheckConfig::default()
    }
}

fn check(world_name: &str, invariant: &str, config: CheckConfig) -> CheckReport {
    let inv = Invariant::from_arg(invariant).expect("invariant");
    Checker::new(world(world_name), vec![inv], config)
        .run()
        .expect("evaluates")
}

const REPLAY: &str = "ramsim check --world corpus/worlds/escalation.json --invariant builtin:peering-within-directory --principals '!root@*'";

#[test]
fn finds_the_three_step_escalation_and_shrinks_it() {
    let report = check(
        "escalation.json",
        "builtin:peering-within-directory",
        config(0),
    );
    let v = report.violation.as_ref().expect("a violation is found");
    assert_eq!(v.invariant, "builtin:peering-within-directory");
    let steps: Vec<(Option<&str>, Option<&str>)> = v
        .records
        .iter()
        .map(|r| (r.caller.as_deref(), r.action.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            (Some("builder@A"), Some("CreatePolicy")),
            (Some("builder@A"), Some("AttachPolicyToUser")),
            (Some("builder@A"), Some("CreateVpcPeerConnection")),
        ]
    );
    assert!(v.records.iter().all(|r| r.error_code.is_none()));
    assert_eq!(
        v.records[2].params["AcceptingAliUid"],
        Value::String("3234567890123456".into())
    );
    assert!(
        v.witness[0].contains("outside the directory"),
        "{:?}",
        v.witness
    );
}

#[test]
fn the_escalation_needs_three_steps_under_every_seed_it_is_found_with() {
    // Whatever path a seed finds, the shrunk sequence is never shorter than 3 steps.
    let mut found = 0;
    for seed in 1..=4 {
        let report = check(
            "escalation.json",
            "builtin:peering-within-directory",
            config(seed),
        );
        if let Some(v) = report.violation {
            found += 1;
            assert!(
                v.records.len() >= 3,
                "seed {seed}: {} steps",
                v.records.len()
            );
        }
    }
    assert!(found >= 3, "found with {found} of 4 seeds");
}

#[test]
fn the_control_policy_guardrail_holds_within_the_same_budget() {
    let report = check(
        "guardrail-check.json",
        "builtin:peering-within-directory",
        config(0),
    );
    assert!(
        report.violation.is_none(),
        "{}",
        render_human(&report, "", None)
    );
    assert_eq!(report.runs, 200);
    assert_eq!(report.steps, 200 * 50);
    assert!(report.distinct_states > 100);
    let never: Vec<&str> = ramsim::api::catalog::CATALOG
        .iter()
        .map(|e| e.api)
        .filter(|a| !report.apis_called.iter().any(|c| c == a))
        .collect();
    assert_eq!(
        report.apis_called.len(),
        report.api_count,
        "never called: {never:?}"
    );
}

#[test]
fn shrinking_and_replay_by_seed_are_deterministic() {
    let a = check(
        "escalation.json",
        "builtin:peering-within-directory",
        config(0),
    );
    let b = check(
        "escalation.json",
        "builtin:peering-within-directory",
        config(0),
    );
    let (va, vb) = (
        a.violation.as_ref().expect("a"),
        b.violation.as_ref().expect("b"),
    );
    assert_eq!(va.steps, vb.steps);
    assert_eq!(va.replays, vb.replays);
    assert_eq!(
        render_human(&a, REPLAY, Some("x.test.json")),
        render_human(&b, REPLAY, Some("x.test.json"))
    );
    let world = Value::String("w.json".into());
    assert_eq!(
        scenario_json(&a, va, world.clone()),
        scenario_json(&b, vb, world)
    );
}

#[test]
fn the_emitted_scenario_replays_and_passes_under_ramsim_test() {
    let report = check(
        "escalation.json",
        "builtin:peering-within-directory",
        config(0),
    );
    let v = report.violation.as_ref().expect("violation");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("escalation.violation.test.json");
    let scenario = scenario_json(
        &report,
        v,
        Value::String(world_path("escalation.json").display().to_string()),
    );
    std::fs::write(&out, serde_json::to_string_pretty(&scenario).expect("json")).expect("write");
    let results = run_file(&out, &|_| true, &mut CoverageCollector::default());
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.passed), "{results:#?}");
    assert!(results[2].name.contains("builtin:peering-within-directory"));
    assert_eq!(results[2].actual, "success");

    // Flipping the escalating step's expectation turns it into a failing guard.
    let mut guard = scenario.clone();
    guard["steps"][2]["expect"] = serde_json::json!({"denied": "ExplicitDeny"});
    std::fs::write(&out, serde_json::to_string_pretty(&guard).expect("json")).expect("write");
    let results = run_file(&out, &|_| true, &mut CoverageCollector::default());
    assert!(results[0].passed && results[1].passed);
    assert!(!results[2].passed);
}

#[test]
fn the_cli_output_is_byte_identical_for_a_seed_and_the_exit_codes_follow_the_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |out: &str, world: &str| {
        Command::new(env!("CARGO_BIN_EXE_ramsim"))
            .current_dir(dir.path())
            // The repository's worlds reference `../../policies`, outside both the world's
            // directory and this working directory.
            .args(["check", "--allow-outside", "--world"])
            .arg(world_path(world))
            .args([
                "--invariant",
                "builtin:peering-within-directory",
                "--invariant",
                "builtin:audit-complete",
                "--principals",
                "!root@*",
                "--seed",
                "3",
                "--out",
                out,
            ])
            .output()
            .expect("runs")
    };
    let first = run("v.test.json", "escalation.json");
    let second = run("v.test.json", "escalation.json");
    assert_eq!(first.status.code(), Some(1));
    assert_eq!(first.stdout, second.stdout);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("seed: 3"), "{stdout}");
    assert!(dir.path().join("v.test.json").exists());
    let results = run_file(
        &dir.path().join("v.test.json"),
        &|_| true,
        &mut CoverageCollector::default(),
    );
    assert!(results.iter().all(|r| r.passed), "{results:#?}");

    let clean = run("g.test.json", "guardrail-check.json");
    assert_eq!(clean.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("no violation found"));

    let bad = Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(["check", "--world"])
        .arg(world_path("escalation.json"))
        .args(["--invariant", "forall p in peerings: p.stauts == \"x\""])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("1:25: unknown field `stauts` of peering")
    );
}

#[test]
fn invariant_errors_point_at_line_and_column() {
    let err = |src: &str| Invariant::from_arg(src).expect_err("rejected");
    assert_eq!(
        err("forall p in peerings where p.status == \"Activated\":\n  p.requester.rd_pth like \"x*\""),
        "expression:2:15: unknown field `rd_pth` of peering side (fields: uid, account, vpc_id, region, rd_id, rd_path, folder, in_directory)"
    );
    assert_eq!(
        err("forall p in peerings: p.bandwidth > \"100\""),
        "expression:1:37: type mismatch: cannot compare a number with a string using `>`"
    );
    assert_eq!(
        err("forall x in buckets: true"),
        "expression:1:13: unknown collection `buckets` (collections: peerings, vpcs, vswitches, routes, instances, users, roles, groups, policies, accounts, control_policies, events, tr_attachments, charges, alert_rules, alerts)"
    );
    assert_eq!(
        err("forall p in peerings p.live"),
        "expression:1:22: expected `:` or `where`, found `p`"
    );
    assert_eq!(err("q.status == 1"), "expression:1:1: unknown name `q`: expected a variable bound by forall/exists or a collection (peerings, vpcs, vswitches, routes, instances, users, roles, groups, policies, accounts, control_policies, events, tr_attachments, charges, alert_rules, alerts)");
    assert_eq!(
        err("forall p in peerings: p.status"),
        "expression:1:23: type mismatch: `the quantifier body` needs a boolean, this is a string"
    );
    assert!(err("builtin:nope").contains("unknown built-in invariant `nope`"));
}

#[test]
fn expressions_evaluate_over_the_world() {
    let state = world("escalation.json");
    let holds = |src: &str| {
        let inv = Invariant::from_arg(src).expect("parses");
        let mut m = Monitor::new(Arc::new(inv), &state);
        let info = StepInfo {
            caller: None,
            request_id: None,
            audit_before: 0,
        };
        m.check(&state, &info, &mut EvalCache::new())
            .expect("evaluates")
    };
    assert_eq!(
        holds("exists a in accounts: a.uid == \"3234567890123456\" and not a.in_directory"),
        Verdict::Holds
    );
    assert_eq!(holds("forall v in vpcs where v.account.in_directory: v.account.rd_path like \"rd-abc123/r-root01/*\""), Verdict::Holds);
    assert_eq!(
        holds("exists u in users: u.name == \"builder\" and \"team-self-service\" in u.policies"),
        Verdict::Holds
    );
    assert_eq!(holds("forall u in users: not can(u, \"vpc:CreateVpcPeerConnection\", \"*\", \"3234567890123456\")"), Verdict::Holds);
    assert_eq!(holds("can(\"netops\", \"vpc:CreateVpcPeerConnection\", \"*\", \"2234567890123456\") and can(\"root@C\", \"vpc:CreateVpc\", \"*\")"), Verdict::Holds);
    assert_eq!(
        holds("\"A\" in [\"A\", 1, null] and 2 >= 1.5 and \"b\" > \"a\" and (false implies false)"),
        Verdict::Holds
    );
    assert_eq!(
        holds("forall v in vpcs: v.owner not in accounts"),
        Verdict::Fails(vec!["v = vpc vpc-2ze77lv8r7n7v8nsu6tk".into()])
    );
    assert_eq!(
        holds("forall e in events: e.params.RegionId == \"x\""),
        Verdict::Holds
    );
}

#[test]
fn snapshot_of_the_violation_report() {
    let report = check(
        "escalation.json",
        "builtin:peering-within-directory",
        config(0),
    );
    insta::assert_snapshot!(
        "check_violation_human",
        render_human(&report, REPLAY, Some("escalation.violation.test.json"))
    );
}

#[test]
fn snapshot_of_a_clean_report() {
    let report = check(
        "guardrail-check.json",
        "builtin:peering-within-directory",
        CheckConfig {
            runs: 20,
            ..config(0)
        },
    );
    insta::assert_snapshot!("check_clean_human", render_human(&report, "", None));
}

#[test]
fn an_invariant_false_in_the_initial_world_is_reported_before_any_step() {
    // False from the start (the world has a VPC named c-bj), so no call may be blamed for it.
    let report = check(
        "escalation.json",
        r#"forall v in vpcs: v.name != "c-bj""#,
        config(0),
    );
    let v = report
        .violation
        .as_ref()
        .expect("the initial world breaks it");
    assert!(v.in_initial_world);
    assert!(v.steps.is_empty() && v.records.is_empty());
    assert_eq!(v.step_in_run, 0);
    assert!(
        v.witness.iter().any(|w| w.contains("vpc-")),
        "the witness names the VPC: {:?}",
        v.witness
    );
    let human = render_human(&report, "ramsim check …", None);
    assert!(
        human.starts_with("ramsim check: VIOLATION of forall v in vpcs: v.name != \"c-bj\" in the initial world, before any step"),
        "{human}"
    );
}

#[test]
fn the_shrunk_escalation_is_one_minimal_and_every_single_step_is_needed() {
    let report = check(
        "escalation.json",
        "builtin:peering-within-directory",
        config(3),
    );
    let v = report.violation.as_ref().expect("a violation is found");
    assert!(!v.in_initial_world);
    assert!(v.one_minimal, "the replay budget was not exhausted");
    // Removing any one step of the shrunk sequence makes the violation disappear.
    for skip in 0..v.steps.len() {
        let fewer: Vec<_> = v
            .steps
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, s)| s.clone())
            .collect();
        let mut checker = Checker::new(
            world("escalation.json"),
            vec![Invariant::from_arg("builtin:peering-within-directory").expect("invariant")],
            config(3),
        );
        assert!(
            !checker.replay_violates(&fewer, 0).expect("replays"),
            "without step {} the violation still happens",
            skip + 1
        );
    }
}
