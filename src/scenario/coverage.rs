//! Statement and condition coverage of the policies under test: which statements were reached
//! (action, resource and principal in scope), which applied, and which outcomes each condition
//! clause produced, over every request a test run made.

use crate::authz::condition::Tri;
use crate::authz::Explanation;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
struct StatementSeen {
    reached: bool,
    applied: bool,
    /// Per condition clause: (seen true, seen false).
    clauses: Vec<(bool, bool)>,
}

/// Collects coverage over many explanations.
#[derive(Debug, Clone, Default)]
pub struct CoverageCollector {
    /// Policy name → statement index → what was seen.
    seen: BTreeMap<String, BTreeMap<usize, StatementSeen>>,
    /// Policy name → (kind, text) of the policies under test.
    under_test: BTreeMap<String, (PolicyKind, String)>,
}

/// Coverage of one statement.
#[derive(Debug, Clone, Serialize)]
pub struct StatementCoverage {
    /// Policy name.
    pub policy: String,
    /// Statement index.
    pub statement: usize,
    /// `matched` (applied at least once), `not matched` (reached, never applied) or `never reached`.
    pub status: &'static str,
    /// Per condition clause: `true`, `false`, `both` or `never`.
    pub conditions: Vec<String>,
}

/// The coverage report.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageReport {
    /// Per statement, by policy then index.
    pub statements: Vec<StatementCoverage>,
    /// Statements reached at least once / total, in percent.
    pub statement_percent: f64,
    /// Condition outcomes seen (true and false each count) / (2 × clauses), in percent.
    pub condition_percent: f64,
}

impl CoverageCollector {
    /// Registers a policy under test (statements not under test are ignored).
    pub fn add_policy(&mut self, name: &str, kind: PolicyKind, text: &str) {
        self.under_test
            .entry(name.to_string())
            .or_insert_with(|| (kind, text.to_string()));
    }

    /// Records every stage of `explanation`; `rename` maps engine policy names (control-policy
    /// ids) to the names under test.
    pub fn record(&mut self, explanation: &Explanation, rename: &dyn Fn(&str) -> String) {
        for pair in &explanation.pairs {
            for stage in &pair.stages {
                for st in &stage.statements {
                    let entry = self
                        .seen
                        .entry(rename(&st.policy))
                        .or_default()
                        .entry(st.statement)
                        .or_default();
                    entry.reached = true;
                    entry.applied |= st.applied;
                    if entry.clauses.len() < st.conditions.len() {
                        entry.clauses.resize(st.conditions.len(), (false, false));
                    }
                    for (slot, c) in entry.clauses.iter_mut().zip(&st.conditions) {
                        match c.result {
                            Tri::True => slot.0 = true,
                            Tri::False => slot.1 = true,
                            Tri::Unknown => {}
                        }
                    }
                }
            }
        }
    }

    /// The report over the policies under test.
    pub fn report(&self) -> CoverageReport {
        let mut statements = Vec::new();
        let (mut reached, mut total, mut outcomes, mut clauses) = (0usize, 0usize, 0usize, 0usize);
        for (name, (kind, text)) in &self.under_test {
            let Some(policy) = read_policy(text, *kind, &ReadOptions::default()).policy else {
                continue;
            };
            for (i, s) in policy.statements.iter().enumerate() {
                let seen = self
                    .seen
                    .get(name)
                    .and_then(|m| m.get(&i))
                    .cloned()
                    .unwrap_or_default();
                total += 1;
                reached += usize::from(seen.reached);
                let conditions: Vec<String> = (0..s.conditions.len())
                    .map(|c| {
                        let (t, f) = seen.clauses.get(c).copied().unwrap_or((false, false));
                        clauses += 1;
                        outcomes += usize::from(t) + usize::from(f);
                        match (t, f) {
                            (true, true) => "both",
                            (true, false) => "true",
                            (false, true) => "false",
                            (false, false) => "never",
                        }
                        .to_string()
                    })
                    .collect();
                let status = if seen.applied {
                    "matched"
                } else if seen.reached {
                    "not matched"
                } else {
                    "never reached"
                };
                statements.push(StatementCoverage {
                    policy: name.clone(),
                    statement: i,
                    status,
                    conditions,
                });
            }
        }
        let pct = |a: usize, b: usize| {
            if b == 0 {
                100.0
            } else {
                (a as f64) * 100.0 / (b as f64)
            }
        };
        CoverageReport {
            statements,
            statement_percent: pct(reached, total),
            condition_percent: pct(outcomes, 2 * clauses),
        }
    }
}

impl CoverageReport {
    /// Human-readable table.
    pub fn render(&self) -> String {
        let mut out = format!(
            "coverage: {:.1}% of statements reached, {:.1}% of condition outcomes seen\n",
            self.statement_percent, self.condition_percent
        );
        for s in &self.statements {
            let conds = if s.conditions.is_empty() {
                String::new()
            } else {
                format!("  conditions: {}", s.conditions.join(", "))
            };
            out.push_str(&format!(
                "  {:<32} Statement[{}]  {:<13}{conds}\n",
                s.policy, s.statement, s.status
            ));
        }
        out
    }
}
