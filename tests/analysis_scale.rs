//! The exact diff at scale (issue 14, "Performance"): two 1,000-statement identity policy sets
//! (the bench's workload, `benches/support/policy_sets.rs`) are diffed completely — no budget
//! runs out —, every witness replays to the claimed decisions, and `ramsim diff DIR DIR` reports
//! the change with exit code 1. A diff whose budget runs out says INCOMPLETE and fails closed.

#[path = "cli_support/mod.rs"]
mod cli_support;
#[path = "../benches/support/policy_sets.rs"]
mod policy_sets;

use cli_support::ramsim;
use ramsim::analysis::{self, ChangeKind, Flow, Options, PolicyInput};
use ramsim::authz::{decide, ActionResource, EvalOptions, Request, RequestContext};
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};

fn set(label: &str, n: usize, variant: usize) -> Flow {
    let docs = policy_sets::documents(0, n, variant)
        .iter()
        .enumerate()
        .map(|(k, text)| {
            let p = read_policy(text, PolicyKind::Identity, &ReadOptions::default())
                .policy
                .expect("generated policy validates");
            PolicyInput::new(&format!("{label}-{k:02}"), None, Some(text), p)
        })
        .collect();
    Flow::identity(label, docs)
}

/// Statements per set: the bench's 1,000 in optimized builds; 200 in debug builds (CI), where
/// the symbolic resource search is still needed (2^10 resource regions for one action).
const N: usize = if cfg!(debug_assertions) { 200 } else { 1_000 };

#[test]
fn thousand_statement_sets_diff_completely_and_soundly() {
    let (old, new) = (set("old", N, 0), set("new", N, 1));
    let d = analysis::diff(old.clone(), new.clone(), Options::default());
    assert!(d.stats.complete, "{:?}", d.stats);
    assert!(d.count(ChangeKind::Granted) > 0 && d.count(ChangeKind::Removed) > 0);
    // Soundness: every witness, decided by the engine over both sets.
    let (so, sn) = (old.store(), new.store());
    let (po, pn) = (old.principal(), new.principal());
    for (_, r) in &d.regions {
        let mut ctx = RequestContext::new();
        for (k, vs) in &r.witness.context {
            ctx.set(k, vs.clone());
        }
        let pairs = [ActionResource::new(
            r.witness.action.as_str(),
            r.witness.resource.as_str(),
        )];
        let got = [(&so, &po), (&sn, &pn)].map(|(store, principal)| {
            decide(
                store,
                &Request {
                    principal,
                    pairs: &pairs,
                    context: &ctx,
                    resource_account: None,
                    resource_group: None,
                    assume_role: false,
                },
                &EvalOptions::default(),
            )
            .outcome
        });
        assert_eq!(
            got,
            [r.decisions[0].decision, r.decisions[1].decision],
            "{}",
            analysis::render::region_text(r)
        );
    }
    // The same answer with the resource dimension always searched symbolically.
    let symbolic = analysis::diff(
        old,
        new,
        Options {
            enumerate_resources: false,
            ..Options::default()
        },
    );
    assert!(symbolic.stats.complete);
    for kind in [
        ChangeKind::Granted,
        ChangeKind::Removed,
        ChangeKind::DenyKind,
    ] {
        assert_eq!(
            symbolic.count(kind) > 0,
            d.count(kind) > 0,
            "{kind:?} differs between the enumerated and the symbolic resource search"
        );
    }
}

#[test]
fn cli_diff_of_policy_set_directories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    policy_sets::write_set(&old, 200, 0).expect("write");
    policy_sets::write_set(&new, 200, 1).expect("write");
    let (o, n) = (old.display().to_string(), new.display().to_string());
    let out = ramsim(&["diff", &o, &n]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("(identity policy sets of 10 and 10 documents)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("access granted ("), "{}", out.stdout);
    assert!(!out.stdout.contains("INCOMPLETE"), "{}", out.stdout);
    // Same set on both sides: nothing changes, exit 0.
    let same = ramsim(&["diff", &o, &o]);
    assert_eq!(same.code, 0, "{}", same.stdout);
    assert!(
        same.stdout
            .contains("exact: 0 granted, 0 removed, 0 deny-kind changes"),
        "{}",
        same.stdout
    );
    // Policy sets are identity sets only.
    let bad = ramsim(&["diff", &o, &n, "--kind", "control"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn a_budget_overrun_fails_closed() {
    // With one automaton state per emptiness check, the symbolic search cannot prove anything:
    // the answer must say INCOMPLETE and exit 1 even though the two files are identical.
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("p.json");
    std::fs::write(
        &f,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"acs:vpc:*:*:vpc/vpc-1*"}]}"#,
    )
    .expect("write");
    let f = f.display().to_string();
    let ok = ramsim(&["diff", &f, &f]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(!ok.stdout.contains("INCOMPLETE"), "{}", ok.stdout);
    for format in ["human", "sarif"] {
        let out = ramsim(&["diff", &f, &f, "--state-budget", "1", "--format", format]);
        assert_eq!(out.code, 1, "{format}: {}", out.stdout);
        assert!(
            out.stdout.contains("INCOMPLETE"),
            "{format}: {}",
            out.stdout
        );
    }
    let json = ramsim(&["diff", &f, &f, "--state-budget", "1", "--format", "json"]);
    assert_eq!(json.code, 1, "{}", json.stdout);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["incomplete"], true);
    assert_eq!(v["exact"][0]["stats"]["complete"], false);
    // analyze: no proof of equivalence from an incomplete walk.
    let eq = ramsim(&["analyze", "equivalent", &f, &f, "--state-budget", "1"]);
    assert_eq!(eq.code, 1, "{}", eq.stdout);
    assert!(
        eq.stdout.contains("answer: unknown — INCOMPLETE"),
        "{}",
        eq.stdout
    );
    let eq = ramsim(&["analyze", "equivalent", &f, &f]);
    assert_eq!(eq.code, 0, "{}", eq.stdout);
}

fn distinct_set(label: &str, n: usize, variant: usize) -> Flow {
    let docs = policy_sets::distinct_documents(0, n, variant)
        .iter()
        .enumerate()
        .map(|(k, text)| {
            let p = read_policy(text, PolicyKind::Identity, &ReadOptions::default())
                .policy
                .unwrap_or_else(|| panic!("generated policy validates: {text}"));
            PolicyInput::new(&format!("{label}-{k:02}"), None, Some(text), p)
        })
        .collect();
    Flow::identity(label, docs)
}

/// Distinct-pattern statements per set: the bench's 1,000 in optimized builds; 200 in debug
/// builds (CI).
const DISTINCT_N: usize = if cfg!(debug_assertions) { 200 } else { 1_000 };

#[test]
fn distinct_action_patterns_diff_completely_and_soundly() {
    // Every statement its own action pattern: exact names across 50 services, prefix, infix and
    // mid-name globs, wildcard service codes (`*:List*`, `?ds:*`), NotAction.
    let pats = policy_sets::distinct_patterns();
    assert_eq!(pats.len(), 1_000);
    let mut folded: Vec<String> = pats.iter().map(|p| p.to_ascii_lowercase()).collect();
    folded.sort();
    folded.dedup();
    assert_eq!(folded.len(), 1_000, "patterns are distinct");
    for a in policy_sets::MODELED_FOR_TEST {
        assert!(
            ramsim::api::catalog::by_action(a).is_some(),
            "{a} is modeled"
        );
    }
    let (old, new) = (
        distinct_set("old", DISTINCT_N, 0),
        distinct_set("new", DISTINCT_N, 1),
    );
    let t = std::time::Instant::now();
    let d = analysis::diff(old.clone(), new.clone(), Options::default());
    eprintln!(
        "{DISTINCT_N} distinct patterns: {:?}, {} regions, {}",
        t.elapsed(),
        d.regions.len(),
        analysis::render::stats_text(&d.stats)
    );
    assert!(d.stats.complete, "{:?}", d.stats);
    assert!(d.count(ChangeKind::Granted) > 0 && d.count(ChangeKind::Removed) > 0);
    // Soundness: every witness, decided by the engine over both sets (each store built once).
    let (old, new) = (old.replayer(), new.replayer());
    for (_, r) in &d.regions {
        assert_eq!(
            [old.replay(&r.witness), new.replay(&r.witness)],
            [r.decisions[0].decision, r.decisions[1].decision],
            "{}",
            analysis::render::region_text(r)
        );
    }
}
