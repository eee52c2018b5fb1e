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

/// A policy under test: the owning account's uid for an account's own policies (two accounts
/// may each have a policy of the same name, and each copy is covered on its own), `None` for
/// control policies and policy files.
type PolicyKey = (Option<String>, String);

/// A policy under test: kind, text, and how its account is shown.
#[derive(Debug, Clone)]
struct UnderTest {
    kind: PolicyKind,
    text: String,
    account_label: Option<String>,
}

/// Collects coverage over many explanations.
#[derive(Debug, Clone, Default)]
pub struct CoverageCollector {
    /// Policy → statement index → what was seen.
    seen: BTreeMap<PolicyKey, BTreeMap<usize, StatementSeen>>,
    /// The policies under test.
    under_test: BTreeMap<PolicyKey, UnderTest>,
}

/// True for the stages whose policies belong to the caller's account.
fn account_stage(stage: &str) -> bool {
    stage.starts_with("AccountLevelIdentityBasedPolicy")
        || stage.starts_with("ResourceGroupLevelIdentityBasedPolicy")
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
    /// Registers a policy under test that belongs to no account (a control policy or a policy
    /// file); statements not under test are ignored.
    pub fn add_policy(&mut self, name: &str, kind: PolicyKind, text: &str) {
        self.under_test
            .entry((None, name.to_string()))
            .or_insert_with(|| UnderTest {
                kind,
                text: text.to_string(),
                account_label: None,
            });
    }

    /// Registers account `uid`'s own policy `name` (shown as `name@label` when another account
    /// has a policy of the same name).
    pub fn add_account_policy(
        &mut self,
        uid: &str,
        label: &str,
        name: &str,
        kind: PolicyKind,
        text: &str,
    ) {
        self.under_test
            .entry((Some(uid.to_string()), name.to_string()))
            .or_insert_with(|| UnderTest {
                kind,
                text: text.to_string(),
                account_label: Some(label.to_string()),
            });
    }

    /// The key a traced statement counts under: the caller's account's copy for identity
    /// stages when that copy is under test, else the account-less policy of that name.
    fn key_of(&self, stage: &str, account: &str, name: String) -> PolicyKey {
        if account_stage(stage) {
            let own = (Some(account.to_string()), name);
            if self.under_test.contains_key(&own) {
                return own;
            }
            return (None, own.1);
        }
        (None, name)
    }

    /// Records every stage of `explanation` made against a world (identity statements count
    /// for the caller's account's copy of the policy); `rename` maps engine policy names
    /// (control-policy ids) to the names under test.
    pub fn record(&mut self, explanation: &Explanation, rename: &dyn Fn(&str) -> String) {
        self.record_as(explanation, rename, true);
    }

    /// Records an explanation of a `cases` check, whose policies are files that belong to no
    /// account.
    pub fn record_policy_files(&mut self, explanation: &Explanation) {
        self.record_as(explanation, &|n: &str| n.to_string(), false);
    }

    fn record_as(
        &mut self,
        explanation: &Explanation,
        rename: &dyn Fn(&str) -> String,
        by_account: bool,
    ) {
        let account = explanation.principal.account.as_str();
        for pair in &explanation.pairs {
            for stage in &pair.stages {
                for st in &stage.statements {
                    let key = if by_account {
                        self.key_of(&stage.stage, account, rename(&st.policy))
                    } else {
                        (None, rename(&st.policy))
                    };
                    let entry = self
                        .seen
                        .entry(key)
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
        // A name held by more than one policy under test is shown with its account.
        let mut holders: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, name) in self.under_test.keys() {
            *holders.entry(name.as_str()).or_default() += 1;
        }
        for (key, ut) in &self.under_test {
            let name = &key.1;
            let Some(policy) = read_policy(&ut.text, ut.kind, &ReadOptions::default()).policy
            else {
                continue;
            };
            let shown = match (&ut.account_label, holders.get(name.as_str())) {
                (Some(label), Some(n)) if *n > 1 => format!("{name}@{label}"),
                _ => name.clone(),
            };
            for (i, s) in policy.statements.iter().enumerate() {
                let seen = self
                    .seen
                    .get(key)
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
                    policy: shown.clone(),
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
        // By shown name (then statement), as before accounts were told apart.
        statements.sort_by(|a, b| (&a.policy, a.statement).cmp(&(&b.policy, b.statement)));
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
