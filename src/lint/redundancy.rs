//! L008 (redundant statement) and L009 (unreachable Allow), and L017 when they could not be
//! decided.
//!
//! Decided by the exact analysis ([`crate::analysis`], the logic of `ramsim analyze
//! redundant`) at every policy size: L008 is a statement whose removal changes no decision of
//! the policy over every request; L009 an Allow that can take effect but whose every request
//! the policy's Denies deny. Each statement is decided against the statements that can meet it
//! (an action and a resource both patterns can match), which gives the whole policy's answer.
//! The work is capped ([`EXACT_BUDGET`], deterministic): statements left undecided get no
//! finding, and the policy gets one L017 note that says how many. Findings name one covering
//! statement when a single one covers syntactically: statement A *covers* B when every request
//! B matches, A matches too — A's actions include B's, A's resources include B's, A names the
//! same principals, and every condition clause of A also appears in B ([`covers`], sound).

use super::glob::{includes, intersects, is_all, pattern};
use super::{statement_name, statement_path, Code, Lint};
use crate::analysis::{Analysis, Flow, Options, PolicyInput, Stats};
use crate::authz::Outcome;
use crate::policy::ast::{
    Condition, Effect, PatternList, Policy, Principal, PrincipalForm, Statement,
};
use crate::policy::pattern::fold_case;
use crate::policy::PolicyKind;

fn tokens(p: &str, fold: bool) -> Vec<super::glob::Tok> {
    if fold {
        pattern(&fold_case(p))
    } else {
        pattern(p)
    }
}

/// True when every string `inner` applies to, `outer` applies to (sound).
pub fn list_covers(outer: &PatternList, inner: &PatternList, fold: bool) -> bool {
    let o: Vec<_> = outer
        .patterns
        .iter()
        .map(|p| tokens(&p.value, fold))
        .collect();
    let i: Vec<_> = inner
        .patterns
        .iter()
        .map(|p| tokens(&p.value, fold))
        .collect();
    match (outer.negated, inner.negated) {
        // Each inner pattern inside some outer pattern.
        (false, false) => i.iter().all(|p| o.iter().any(|q| includes(q, p))),
        // Inner patterns disjoint from every excluded pattern.
        (true, false) => i.iter().all(|p| o.iter().all(|n| !intersects(n, p))),
        // Everything outer excludes, inner excludes too.
        (true, true) => o.iter().all(|n| i.iter().any(|m| includes(m, n))),
        // Inner is a complement: only an outer `*` covers it.
        (false, true) => outer.patterns.iter().any(|p| is_all(&p.value)),
    }
}

fn principal_key(p: &Option<Principal>) -> Option<Vec<(u8, String)>> {
    p.as_ref().map(|p| {
        // Bucket-policy entries name more than `RAM` entries do (a user's UID, `arn:sts::…`).
        let ram_tag = if p.form == PrincipalForm::Object {
            0
        } else {
            3
        };
        let mut v: Vec<(u8, String)> = p
            .ram
            .iter()
            .map(|s| (ram_tag, s.value.clone()))
            .chain(p.service.iter().map(|s| (1, s.value.clone())))
            .chain(p.federated.iter().map(|s| (2, s.value.clone())))
            .collect();
        v.sort();
        v.dedup();
        v
    })
}

fn clause_eq(a: &Condition, b: &Condition) -> bool {
    fn values(c: &Condition) -> Vec<&str> {
        let mut v: Vec<&str> = c.values.iter().map(|v| v.value.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    a.operator == b.operator
        && a.key.value.eq_ignore_ascii_case(&b.key.value)
        && values(a) == values(b)
}

/// True when every request `inner` matches, `outer` matches too (effects ignored).
pub fn covers(outer: &Statement, inner: &Statement) -> bool {
    let resources = match (&outer.resources, &inner.resources) {
        (None, None) => true,
        (Some(o), Some(i)) => list_covers(o, i, false),
        _ => false,
    };
    resources
        && list_covers(&outer.actions, &inner.actions, true)
        && principal_key(&outer.principal) == principal_key(&inner.principal)
        && outer
            .conditions
            .iter()
            .all(|c| inner.conditions.iter().any(|d| clause_eq(c, d)))
}

/// Analysis work (search nodes, resource regions and action regions, summed over every check)
/// one policy's L008/L009 may use. Beyond it the statements not yet decided get no L008/L009
/// finding — nothing is claimed without proof — and the policy gets an L017 note saying so.
/// The count is deterministic (no clock), so the same document always gets the same findings.
pub const EXACT_BUDGET: usize = 4_000_000;

/// The flow a policy is decided in on its own: resource and trust policies with the caller as a
/// request dimension, every other kind as one set under basic evaluation (§6.2).
fn alone(policy: &Policy, label: &str) -> Flow {
    let input = PolicyInput::new(label, None, None, policy.clone());
    match policy.kind {
        PolicyKind::Resource => Flow::resource(label, input),
        PolicyKind::Trust => Flow::trust(label, input),
        _ => Flow::identity(label, vec![input]),
    }
}

/// `policy` with only the statements `keep` (in document order).
fn subset(policy: &Policy, keep: &[usize]) -> Policy {
    let mut p = policy.clone();
    p.statements = keep.iter().map(|&i| policy.statements[i].clone()).collect();
    p
}

/// The work left for one policy's exact L008/L009.
struct Budget {
    left: usize,
}

impl Budget {
    /// Charges the work of one analysis run; `None` when it was incomplete or the budget is
    /// spent (the answer it gave proves nothing).
    fn charge(&mut self, stats: &Stats) -> Option<()> {
        let work = stats.nodes + stats.resource_regions + stats.action_regions;
        self.left = self.left.checked_sub(work)?;
        stats.complete.then_some(())
    }
}

/// Does some request get `want` from `policy` alone? `None` when unknown (see [`Budget`]).
fn ever_decides(
    policy: &Policy,
    want: Outcome,
    options: Options,
    budget: &mut Budget,
) -> Option<bool> {
    let a = Analysis::new(vec![alone(policy, "p")], options);
    let (regions, stats) = a.regions(&|d| d[0] == want, None, None, 1);
    budget.charge(&stats)?;
    Some(!regions.is_empty())
}

/// Can some action be matched by both lists (sound: true unless provably disjoint)?
fn lists_meet(a: &PatternList, b: &PatternList, fold: bool) -> bool {
    if a.negated || b.negated {
        return true;
    }
    a.patterns.iter().any(|p| {
        let p = tokens(&p.value, fold);
        b.patterns
            .iter()
            .any(|q| intersects(&p, &tokens(&q.value, fold)))
    })
}

/// Can some request be in scope of both statements (action and resource)? Sound: a statement
/// for which this is false never applies to a request statement `j` applies to, so it cannot
/// change a decision on one.
fn may_meet(a: &Statement, b: &Statement) -> bool {
    let resources = match (&a.resources, &b.resources) {
        (Some(x), Some(y)) => lists_meet(x, y, false),
        _ => true,
    };
    resources && lists_meet(&a.actions, &b.actions, true)
}

/// Runs L008/L009 on `policy`, decided by the exact analysis ([`crate::analysis`]) — the same
/// logic as `ramsim analyze redundant` — at every size, within [`EXACT_BUDGET`].
///
/// * L009: an Allow that takes effect for some request but never decides an Allow, because
///   the policy's Deny statements deny every request it matches (the policy with only that
///   Allow and its Denies never allows).
/// * L008: a statement that takes effect for some request but whose removal changes no
///   decision of the policy (Allow, ExplicitDeny, ImplicitDeny, over every request).
///   Statements are tried from the last one, each one found removed before the earlier ones
///   are tried, so of two duplicates the later is reported. A statement that never takes
///   effect is left to the rules that say why (L001, L007, L014, …; `ramsim analyze vacuous`).
///
/// Each question about statement `j` is asked of `j` and the statements that can meet it (an
/// action and a resource both match: [`may_meet`]), since no other statement applies to a
/// request `j` applies to; the answer is the one the whole policy gives.
pub fn check_policy(policy: &Policy, out: &mut Vec<Lint>) {
    check_policy_within(policy, EXACT_BUDGET, out)
}

/// [`check_policy`] with a budget of `budget` work units (see [`EXACT_BUDGET`]).
pub fn check_policy_within(policy: &Policy, budget: usize, out: &mut Vec<Lint>) {
    let mut budget = Budget { left: budget };
    let undecided = check_policy_exact(policy, &mut budget, out);
    if undecided > 0 {
        let span = crate::lint::list_span_of_statements(policy);
        out.push(
            Lint::new(
                Code::RedundancyUnchecked,
                crate::policy::span::JsonPath::root().key("Statement"),
                span,
                format!(
                    "{undecided} of {} statements were not checked for redundancy (L008) or unreachable Allows (L009): the exact analysis ran out of its budget, and no finding is claimed without proof",
                    policy.statements.len()
                ),
            )
            .with_help("split the policy, or run `ramsim analyze redundant` on it (no budget) to decide every statement"),
        );
    }
}

/// The exact L008/L009 findings, added to `out`; returns how many statements were left
/// undecided (an analysis budget ran out).
fn check_policy_exact(policy: &Policy, budget: &mut Budget, out: &mut Vec<Lint>) -> usize {
    let stmts = &policy.statements;
    let n = stmts.len();
    let options = Options {
        max_regions: 1,
        ..Options::default()
    };
    let denies: Vec<usize> = (0..n)
        .filter(|&i| stmts[i].effect == Effect::Deny)
        .collect();
    let mut found: Vec<Lint> = Vec::new();
    let mut unreachable = vec![false; n];
    // Statements whose L009 or L008 question got no answer.
    let mut unknown = vec![false; n];
    for j in (0..n).filter(|&j| stmts[j].effect == Effect::Allow) {
        let mut keep: Vec<usize> = denies
            .iter()
            .copied()
            .filter(|&i| may_meet(&stmts[i], &stmts[j]))
            .collect();
        if keep.is_empty() {
            continue;
        }
        keep.push(j);
        keep.sort_unstable();
        let with_denies =
            match ever_decides(&subset(policy, &keep), Outcome::Allow, options, budget) {
                Some(b) => b,
                None => {
                    unknown[j] = true;
                    continue;
                }
            };
        if with_denies {
            continue;
        }
        match ever_decides(&subset(policy, &[j]), Outcome::Allow, options, budget) {
            Some(true) => {}
            Some(false) => continue, // never applies at all: L008 below
            None => {
                unknown[j] = true;
                continue;
            }
        }
        unreachable[j] = true;
        let inner = &stmts[j];
        let by = stmts
            .iter()
            .enumerate()
            .find(|(i, o)| *i != j && o.effect == Effect::Deny && covers(o, inner))
            .map_or_else(
                || "the policy's Deny statements deny".to_string(),
                |(i, o)| format!("{} denies", statement_name(i, o)),
            );
        found.push(
            Lint::new(
                Code::UnreachableAllow,
                statement_path(j),
                inner.span,
                format!(
                    "{} can never grant anything: {by} every request it matches (exact analysis)",
                    statement_name(j, inner),
                ),
            )
            .with_help("remove the Allow, or narrow the Deny if the Allow is meant to work"),
        );
    }
    // `current`: the statements not (yet) found redundant; a statement whose removal could not
    // be decided stays in it, so later answers remain exact for the policy as reported.
    let mut current: Vec<usize> = (0..n).collect();
    for j in (0..n).rev() {
        let without: Vec<usize> = current.iter().copied().filter(|&i| i != j).collect();
        if unreachable[j] {
            current = without;
            continue;
        }
        // Only the statements that can meet `j` decide the requests its removal could change.
        let near: Vec<usize> = current
            .iter()
            .copied()
            .filter(|&i| i == j || may_meet(&stmts[i], &stmts[j]))
            .collect();
        let near_without: Vec<usize> = near.iter().copied().filter(|&i| i != j).collect();
        let d = crate::analysis::diff(
            alone(&subset(policy, &near), "with"),
            alone(&subset(policy, &near_without), "without"),
            options,
        );
        if budget.charge(&d.stats).is_none() {
            unknown[j] = true;
            continue;
        }
        if !d.regions.is_empty() {
            continue;
        }
        let inner = &stmts[j];
        let applied = match inner.effect {
            Effect::Allow => Outcome::Allow,
            Effect::Deny => Outcome::ExplicitDeny,
        };
        match ever_decides(&subset(policy, &[j]), applied, options, budget) {
            Some(true) => {}
            Some(false) => continue,
            None => {
                unknown[j] = true;
                continue;
            }
        }
        let outer = without
            .iter()
            .find(|&&i| stmts[i].effect == inner.effect && covers(&stmts[i], inner));
        let message = match outer {
            Some(&i) if covers(inner, &stmts[i]) => format!(
                "{} matches exactly the requests of {}: it is a duplicate",
                statement_name(j, inner),
                statement_name(i, &stmts[i])
            ),
            Some(&i) => format!(
                "{} is redundant: {} already {} every request it matches",
                statement_name(j, inner),
                statement_name(i, &stmts[i]),
                match inner.effect {
                    Effect::Allow => "allows",
                    Effect::Deny => "denies",
                }
            ),
            None => format!(
                "{} is redundant: removing it changes no decision of the policy (exact analysis over every request)",
                statement_name(j, inner)
            ),
        };
        found.push(
            Lint::new(
                Code::RedundantStatement,
                statement_path(j),
                inner.span,
                message,
            )
            .with_help("remove the statement, or change it if it was meant to do something else"),
        );
        current = without;
    }
    out.extend(found);
    unknown.iter().filter(|&&u| u).count()
}

/// The syntactic L008/L009 (provable coverage by one other statement): sound, finds less than
/// the exact rule (coverage by several statements together, by conditions that complement each
/// other). No longer run by `lint`; kept to compare with the exact rule.
pub fn check_policy_syntactic(policy: &Policy, out: &mut Vec<Lint>) {
    let stmts = &policy.statements;
    for (j, inner) in stmts.iter().enumerate() {
        let mut found: Option<Lint> = None;
        // L009 first: an unreachable Allow is the stronger finding.
        if inner.effect == Effect::Allow {
            if let Some((i, outer)) = stmts
                .iter()
                .enumerate()
                .find(|(i, o)| *i != j && o.effect == Effect::Deny && covers(o, inner))
            {
                found = Some(
                    Lint::new(
                        Code::UnreachableAllow,
                        statement_path(j),
                        inner.span,
                        format!(
                            "{} can never grant anything: {} denies every request it matches",
                            statement_name(j, inner),
                            statement_name(i, outer)
                        ),
                    )
                    .with_help(
                        "remove the Allow, or narrow the Deny if the Allow is meant to work",
                    ),
                );
            }
        }
        if found.is_none() {
            for (i, outer) in stmts.iter().enumerate() {
                if i == j || outer.effect != inner.effect || !covers(outer, inner) {
                    continue;
                }
                let equivalent = covers(inner, outer);
                if equivalent && i > j {
                    continue; // the later of two equivalent statements is the one reported
                }
                let message = if equivalent {
                    format!(
                        "{} matches exactly the requests of {}: it is a duplicate",
                        statement_name(j, inner),
                        statement_name(i, outer)
                    )
                } else {
                    format!(
                        "{} is redundant: {} already {} every request it matches",
                        statement_name(j, inner),
                        statement_name(i, outer),
                        match inner.effect {
                            Effect::Allow => "allows",
                            Effect::Deny => "denies",
                        }
                    )
                };
                found = Some(
                    Lint::new(
                        Code::RedundantStatement,
                        statement_path(j),
                        inner.span,
                        message,
                    )
                    .with_help(
                        "remove the statement, or change it if it was meant to do something else",
                    ),
                );
                break;
            }
        }
        out.extend(found);
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_util::lint_kind;
    use crate::lint::LintOptions;
    use crate::policy::PolicyKind;

    fn run(kind: PolicyKind, statements: &[&str]) -> Vec<(String, String)> {
        let text = format!(
            r#"{{"Version":"1","Statement":[{}]}}"#,
            statements.join(",")
        );
        lint_kind(kind, &text, &LintOptions::default())
            .into_iter()
            .filter(|l| matches!(l.code.info().id, "L008" | "L009"))
            .map(|l| (l.code.info().id.to_string(), l.path.to_string()))
            .collect()
    }

    fn pair(code: &str, path: &str) -> (String, String) {
        (code.to_string(), path.to_string())
    }

    const ALL: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
    const VPC: &str = r#"{"Effect":"Allow","Action":"vpc:*","Resource":"*"}"#;
    const PEER: &str = r#"{"Effect":"Allow","Action":["vpc:CreateVpcPeerConnection","VPC:deletevpcpeerconnection"],"Resource":"*"}"#;

    #[test]
    fn narrower_unconditional_allow_is_redundant() {
        assert_eq!(
            run(PolicyKind::Identity, &[ALL, VPC]),
            [pair("L008", "Statement[1]")]
        );
        assert_eq!(
            run(PolicyKind::Identity, &[PEER, VPC]),
            [pair("L008", "Statement[0]")]
        );
        assert!(run(
            PolicyKind::Identity,
            &[
                PEER,
                r#"{"Effect":"Allow","Action":"vpc:Create*","Resource":"*"}"#
            ]
        )
        .is_empty());
    }

    #[test]
    fn identical_statements_report_the_later_one() {
        assert_eq!(
            run(PolicyKind::Identity, &[VPC, VPC]),
            [pair("L008", "Statement[1]")]
        );
    }

    #[test]
    fn conditions_and_resources_limit_coverage() {
        let cond = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#;
        // A conditional statement does not cover an unconditional one...
        assert!(run(PolicyKind::Identity, &[cond, VPC]).is_empty());
        // ...but an unconditional one covers a conditional one.
        assert_eq!(
            run(PolicyKind::Identity, &[ALL, cond]),
            [pair("L008", "Statement[1]")]
        );
        let scoped = r#"{"Effect":"Allow","Action":"*","Resource":"acs:vpc:*:*:vpc/*"}"#;
        assert!(run(PolicyKind::Identity, &[scoped, VPC]).is_empty());
        assert_eq!(
            run(
                PolicyKind::Identity,
                &[
                    VPC,
                    r#"{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"acs:vpc:*:*:vpc/*"}"#
                ]
            ),
            [pair("L008", "Statement[1]")]
        );
    }

    #[test]
    fn deny_covered_by_broader_deny() {
        let d1 = r#"{"Effect":"Deny","Action":"vpc:*","Resource":"*"}"#;
        let d2 = r#"{"Effect":"Deny","Action":"vpc:DeleteVpcPeerConnection","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":"false"}}}"#;
        assert_eq!(
            run(PolicyKind::Control, &[ALL, d1, d2]),
            [pair("L008", "Statement[2]")]
        );
    }

    #[test]
    fn allow_under_unconditional_deny_is_unreachable() {
        let deny = r#"{"Effect":"Deny","Action":"vpc:*","Resource":"*"}"#;
        assert_eq!(
            run(PolicyKind::Identity, &[PEER, deny]),
            [pair("L009", "Statement[0]")]
        );
        let cond_deny = r#"{"Effect":"Deny","Action":"vpc:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"false"}}}"#;
        assert!(run(PolicyKind::Identity, &[PEER, cond_deny]).is_empty());
    }

    #[test]
    fn not_action_coverage() {
        let not_ram = r#"{"Effect":"Allow","NotAction":"ram:*","Resource":"*"}"#;
        assert_eq!(
            run(PolicyKind::Identity, &[not_ram, VPC]),
            [pair("L008", "Statement[1]")]
        );
        let ram = r#"{"Effect":"Allow","Action":"ram:CreateUser","Resource":"*"}"#;
        assert!(run(PolicyKind::Identity, &[not_ram, ram]).is_empty());
        let not_ram_user = r#"{"Effect":"Allow","NotAction":"ram:CreateUser","Resource":"*"}"#;
        assert_eq!(
            run(PolicyKind::Identity, &[not_ram_user, not_ram]),
            [pair("L008", "Statement[1]")]
        );
    }

    #[test]
    fn trust_policies_compare_principals() {
        let a = r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1:root"]}}"#;
        let b = r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::2:root"]}}"#;
        assert!(run(PolicyKind::Trust, &[a, b]).is_empty());
        assert_eq!(
            run(PolicyKind::Trust, &[a, a]),
            [pair("L008", "Statement[1]")]
        );
    }

    /// `["2001"]` (bucket form: also the RAM user with that UID) names more than
    /// `{"RAM": ["2001"]}`; `"2001"` and `["2001"]` name the same.
    #[test]
    fn bucket_form_principals_are_compared_as_written() {
        let list =
            r#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"*","Principal":["2001"]}"#;
        let one =
            r#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"*","Principal":"2001"}"#;
        let ram = r#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"*","Principal":{"RAM":["2001"]}}"#;
        // Exact analysis: the list form names every caller the RAM form names (and more), so
        // the RAM-form statement after it is redundant — not the other way round.
        assert_eq!(
            run(PolicyKind::Resource, &[list, ram]),
            [pair("L008", "Statement[1]")]
        );
        assert_eq!(
            run(PolicyKind::Resource, &[ram, list]),
            [pair("L008", "Statement[0]")]
        );
        assert_eq!(
            run(PolicyKind::Resource, &[list, one]),
            [pair("L008", "Statement[1]")]
        );
    }
}
