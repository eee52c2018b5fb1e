//! The differential comparison itself, shared by `tests/differential.rs` (proptest) and the
//! `evaluator` fuzz target (`tests/fuzz_checks`): the fast engine (`authz::decide`), its tracer
//! (`authz::explain`) and the reference evaluator must agree on decision, policy type, deciding
//! pair, and per pair every stage evaluated, its outcome, the statements in scope with their
//! condition verdicts, and which of them applied.

use super::strategies::{build, Built, GenRequest, GenStore};
use super::{RefDecision, RefStatement};
use ramsim::authz::{self, Explanation, Outcome};
use ramsim::policy::ast::Effect;

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
        super::Outcome::ImplicitDeny => Vec::new(),
        super::Outcome::ExplicitDeny => pair
            .stages
            .iter()
            .find(|s| s.outcome == super::Outcome::ExplicitDeny)
            .map(|s| {
                s.statements
                    .iter()
                    .filter(|t| t.applied && t.effect == Effect::Deny)
                    .map(|t| (s.name.clone(), t.policy, t.statement))
                    .collect()
            })
            .unwrap_or_default(),
        super::Outcome::Allow => pair
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

/// `Err` with both sides when they differ.
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($what:tt)+) => {{
        let (l, r) = (&$left, &$right);
        if l != r {
            return Err(format!(
                "{}: engine {:?} != reference {:?}",
                format!($($what)+),
                l,
                r
            ));
        }
    }};
}

/// Builds `s`/`g` for both evaluators and compares decisions and traces; `Err` describes the
/// first disagreement (or a generated policy the reader rejected).
pub fn check(s: &GenStore, g: &GenRequest) -> Result<(), String> {
    compare(&build(s, g)?, g)
}

/// Decides `g` against an already built store with the engine, its tracer and the reference,
/// and compares; `Err` describes the first disagreement.
pub fn compare(built: &Built, g: &GenRequest) -> Result<(), String> {
    let req = built.request(g);
    let fast = authz::decide(&built.store, &req, &built.options);
    let explained = authz::explain(&built.store, &req, &built.options);
    let reference = super::authorize(&built.reference, &built.ref_request(g), &built.options);

    // decide vs reference.
    ensure_eq!(
        outcome_name(fast.outcome),
        reference.outcome.name(),
        "outcome"
    );
    ensure_eq!(
        fast.policy_type.map(|t| t.as_str()),
        reference.policy_type,
        "policy type"
    );
    ensure_eq!(fast.pair, reference.pair, "deciding pair");
    // explain vs decide.
    ensure_eq!(
        explained.decision,
        fast,
        "explain's decision (explain vs decide)"
    );
    // Per-pair traces.
    ensure_eq!(explained.pairs.len(), reference.pairs.len(), "pair count");
    for (i, (ep, rp)) in explained.pairs.iter().zip(&reference.pairs).enumerate() {
        ensure_eq!(
            outcome_name(ep.outcome),
            rp.outcome.name(),
            "pair {i} outcome"
        );
        ensure_eq!(
            ep.policy_type.map(|t| t.as_str()),
            rp.policy_type,
            "pair {i} policy type"
        );
        ensure_eq!(ep.root_owner, rp.root_owner, "pair {i} root owner");
        let e_names: Vec<&str> = ep.stages.iter().map(|s| s.stage.as_str()).collect();
        let r_names: Vec<&str> = rp.stages.iter().map(|s| s.name.as_str()).collect();
        ensure_eq!(e_names, r_names, "pair {i} stages");
        for (es, rs) in ep.stages.iter().zip(&rp.stages) {
            ensure_eq!(
                outcome_name(es.outcome),
                rs.outcome.name(),
                "pair {i} stage {} outcome",
                rs.name
            );
            ensure_eq!(
                engine_rows(es),
                ref_rows(&rs.statements),
                "pair {i} stage {} statements",
                rs.name
            );
        }
    }
    ensure_eq!(
        engine_deciding(&explained),
        ref_deciding(&reference),
        "deciding statements"
    );
    Ok(())
}
