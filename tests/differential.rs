//! Differential test: the fast engine (`authz::decide`), its tracer (`authz::explain`) and the
//! spec-transcribed reference evaluator (`tests/reference`) must agree on random policies,
//! stores and requests: decision, policy type, deciding pair, and per pair every stage
//! evaluated, its outcome, the statements in scope with their condition verdicts, and which of
//! them applied.

#[path = "reference/mod.rs"]
mod reference;

use proptest::prelude::*;
use ramsim::authz::{self, Explanation, Outcome};
use ramsim::policy::ast::Effect;
use reference::strategies::{build, request, store, GenRequest, GenStore};
use reference::{RefDecision, RefStatement};

fn outcome_name(o: Outcome) -> &'static str {
    o.as_str()
}

/// A comparable rendering of one in-scope statement.
type Row = (usize, usize, Effect, String, Vec<String>, bool);

fn engine_rows(st: &authz::explain::StageTrace) -> Vec<Row> {
    st.statements
        .iter()
        .map(|s| {
            (
                s.policy_index,
                s.statement,
                s.effect,
                format!("{:?}", s.verdict),
                s.conditions
                    .iter()
                    .map(|c| format!("{:?}", c.result))
                    .collect(),
                s.applied,
            )
        })
        .collect()
}

fn ref_rows(stmts: &[RefStatement]) -> Vec<Row> {
    stmts
        .iter()
        .map(|s| {
            (
                s.policy,
                s.statement,
                s.effect,
                s.verdict.name().to_string(),
                s.conditions.iter().map(|c| c.name().to_string()).collect(),
                s.applied,
            )
        })
        .collect()
}

/// The reference's counterpart of `Explanation::deciding_statements`: (stage, policy, statement).
fn ref_deciding(r: &RefDecision) -> Vec<(String, usize, usize)> {
    let Some(pair) = r.pairs.get(r.pair) else {
        return Vec::new();
    };
    match r.outcome {
        reference::Outcome::ImplicitDeny => Vec::new(),
        reference::Outcome::ExplicitDeny => pair
            .stages
            .iter()
            .find(|s| s.outcome == reference::Outcome::ExplicitDeny)
            .map(|s| {
                s.statements
                    .iter()
                    .filter(|t| t.applied && t.effect == Effect::Deny)
                    .map(|t| (s.name.clone(), t.policy, t.statement))
                    .collect()
            })
            .unwrap_or_default(),
        reference::Outcome::Allow => pair
            .stages
            .iter()
            .filter(|s| !s.name.starts_with("ControlPolicy") && s.name != "SessionPolicy")
            .flat_map(|s| {
                s.statements
                    .iter()
                    .filter(|t| t.applied && t.effect == Effect::Allow)
                    .map(|t| (s.name.clone(), t.policy, t.statement))
            })
            .collect(),
    }
}

fn engine_deciding(e: &Explanation) -> Vec<(String, usize, usize)> {
    // deciding_statements() loses the stage name; recover it by identity within the pair.
    let Some(pair) = e.deciding_pair() else {
        return Vec::new();
    };
    e.deciding_statements()
        .into_iter()
        .map(|t| {
            let stage = pair
                .stages
                .iter()
                .find(|s| s.statements.iter().any(|x| std::ptr::eq(x, t)))
                .map(|s| s.stage.clone())
                .unwrap_or_default();
            (stage, t.policy_index, t.statement)
        })
        .collect()
}

fn check(s: &GenStore, g: &GenRequest) -> Result<(), TestCaseError> {
    let built = build(s, g).map_err(TestCaseError::fail)?;
    let req = built.request(g);
    let fast = authz::decide(&built.store, &req, &built.options);
    let explained = authz::explain(&built.store, &req, &built.options);
    let reference = reference::authorize(&built.reference, &built.ref_request(g), &built.options);

    // decide vs reference.
    prop_assert_eq!(
        outcome_name(fast.outcome),
        reference.outcome.name(),
        "outcome"
    );
    prop_assert_eq!(
        fast.policy_type.map(|t| t.as_str()),
        reference.policy_type,
        "policy type"
    );
    prop_assert_eq!(fast.pair, reference.pair, "deciding pair");
    // explain vs decide.
    prop_assert_eq!(explained.decision, fast, "explain's decision");
    // Per-pair traces.
    prop_assert_eq!(explained.pairs.len(), reference.pairs.len());
    for (i, (ep, rp)) in explained.pairs.iter().zip(&reference.pairs).enumerate() {
        prop_assert_eq!(
            outcome_name(ep.outcome),
            rp.outcome.name(),
            "pair {} outcome",
            i
        );
        prop_assert_eq!(
            ep.policy_type.map(|t| t.as_str()),
            rp.policy_type,
            "pair {} policy type",
            i
        );
        prop_assert_eq!(ep.root_owner, rp.root_owner, "pair {} root owner", i);
        let e_names: Vec<&str> = ep.stages.iter().map(|s| s.stage.as_str()).collect();
        let r_names: Vec<&str> = rp.stages.iter().map(|s| s.name.as_str()).collect();
        prop_assert_eq!(e_names, r_names, "pair {} stages", i);
        for (es, rs) in ep.stages.iter().zip(&rp.stages) {
            prop_assert_eq!(
                outcome_name(es.outcome),
                rs.outcome.name(),
                "pair {} stage {} outcome",
                i,
                &rs.name
            );
            prop_assert_eq!(
                engine_rows(es),
                ref_rows(&rs.statements),
                "pair {} stage {} statements",
                i,
                &rs.name
            );
        }
    }
    prop_assert_eq!(
        engine_deciding(&explained),
        ref_deciding(&reference),
        "deciding statements"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        max_shrink_iters: 20_000,
        ..ProptestConfig::with_cases(10_000)
    })]

    #[test]
    fn engine_agrees_with_reference(s in store(), g in request()) {
        check(&s, &g)?;
    }
}

/// Coverage guard: the generators must reach every outcome, every policy type and both
/// condition extremes often enough for the differential test to mean something.
#[test]
fn generators_cover_the_decision_space() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    use std::collections::BTreeMap;
    let mut runner = TestRunner::new(Config::default());
    let strategy = (store(), request());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..2_000 {
        let (s, g) = strategy.new_tree(&mut runner).expect("tree").current();
        let built = build(&s, &g).expect("valid generated policies");
        let e = authz::explain(&built.store, &built.request(&g), &built.options);
        let d = e.decision;
        let t = d.policy_type.map_or("-", |t| t.as_str());
        *seen
            .entry(format!("{}/{t}", d.outcome.as_str()))
            .or_default() += 1;
        for p in &e.pairs {
            for st in &p.stages {
                for s in &st.statements {
                    *seen.entry(format!("verdict {:?}", s.verdict)).or_default() += 1;
                }
            }
            if p.root_owner {
                *seen.entry("root owner".into()).or_default() += 1;
            }
        }
    }
    eprintln!("{seen:#?}");
    for key in [
        "Allow/-",
        "ExplicitDeny/ControlPolicy",
        "ImplicitDeny/ControlPolicy",
        "ExplicitDeny/SessionPolicy",
        "ImplicitDeny/SessionPolicy",
        "ExplicitDeny/AccountLevelIdentityBasedPolicy",
        "ImplicitDeny/ResourceGroupLevelIdentityBasedPolicy",
        "ImplicitDeny/AccountLevelIdentityBasedPolicy",
        "ExplicitDeny/ResourceGroupLevelIdentityBasedPolicy",
        "ImplicitDeny/AssumeRolePolicy",
        "verdict True",
        "verdict False",
        "verdict Unknown",
        "root owner",
    ] {
        assert!(
            seen.get(key).copied().unwrap_or(0) >= 5,
            "rarely reached: {key}: {seen:#?}"
        );
    }
}
