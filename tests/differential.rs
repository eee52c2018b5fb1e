//! Differential test: the fast engine (`authz::decide`), its tracer (`authz::explain`) and the
//! spec-transcribed reference evaluator (`tests/reference`) must agree on random policies,
//! stores and requests: decision, policy type, deciding pair, and per pair every stage
//! evaluated, its outcome, the statements in scope with their condition verdicts, and which of
//! them applied.

#[path = "reference/mod.rs"]
mod reference;

use proptest::prelude::*;
use ramsim::authz;
use reference::strategies::{build, request, store, GenRequest, GenStore};

/// The comparison lives in `tests/reference/compare.rs`, shared with the `evaluator` fuzz target.
fn check(s: &GenStore, g: &GenRequest) -> Result<(), TestCaseError> {
    reference::compare::check(s, g).map_err(TestCaseError::fail)
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
