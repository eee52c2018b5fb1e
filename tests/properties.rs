//! Algebraic properties of the engine and the reader:
//!
//! * statement order and policy order never change a decision;
//! * adding a Deny statement never turns a non-Allow into Allow (nor an explicit deny into
//!   anything else); adding an Allow statement never turns an Allow into a deny;
//! * the case of actions (in requests and in policies) never matters;
//! * parse → canonical print → parse is the identity (up to spans);
//! * `Wildcard::matches` agrees with a `regex` oracle and with the reference matcher;
//! * `read_policy` never panics, on arbitrary text and on mutated valid documents, and every
//!   diagnostic span lies inside the text on character boundaries.

#[path = "reference/mod.rs"]
mod reference;

use proptest::collection::vec;
use proptest::prelude::*;
use ramsim::authz::{self, Decision, Outcome};
use ramsim::policy::ast::{PatternList, Policy, Spanned};
use ramsim::policy::pattern::{glob, Wildcard};
use ramsim::policy::print::to_canonical_string;
use ramsim::policy::span::Span;
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
use reference::strategies::{
    build, policy, read, render, request, statement, store, GenPolicy, GenRequest, GenStmt,
    GenStore,
};

fn decide(s: &GenStore, g: &GenRequest) -> Result<Decision, TestCaseError> {
    let built = build(s, g).map_err(TestCaseError::fail)?;
    Ok(authz::decide(
        &built.store,
        &built.request(g),
        &built.options,
    ))
}

/// A small deterministic PRNG (xorshift) for permutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0 | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Every policy list of the store, mutably.
fn policy_lists(s: &mut GenStore) -> Vec<&mut Vec<GenPolicy>> {
    let mut out: Vec<&mut Vec<GenPolicy>> = Vec::new();
    for n in &mut s.control_chain {
        out.push(&mut n.policies);
        out.push(&mut n.all_scope);
    }
    out.push(&mut s.identity);
    for (_, ps) in &mut s.resource_groups {
        out.push(ps);
    }
    out
}

/// Every policy of the store, mutably.
fn policies_mut(s: &mut GenStore) -> Vec<&mut GenPolicy> {
    let mut singles: Vec<&mut GenPolicy> = Vec::new();
    if let Some(p) = &mut s.session {
        singles.push(p);
    }
    if let Some(p) = &mut s.resource_policy {
        singles.push(p);
    }
    let mut out: Vec<&mut GenPolicy> = Vec::new();
    for n in &mut s.control_chain {
        out.extend(n.policies.iter_mut());
        out.extend(n.all_scope.iter_mut());
    }
    out.extend(s.identity.iter_mut());
    for (_, ps) in &mut s.resource_groups {
        out.extend(ps.iter_mut());
    }
    out.extend(singles);
    out
}

fn add_statement(s: &GenStore, st: &GenStmt, which: usize) -> Option<GenStore> {
    let mut s = s.clone();
    let mut all = policies_mut(&mut s);
    if all.is_empty() {
        return None;
    }
    let n = all.len();
    all[which % n].statements.push(st.clone());
    Some(s)
}

fn flip_ascii_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn strip_list(l: &mut [Spanned<String>]) {
    for v in l {
        v.span = Span::default();
    }
}

fn strip_patterns(l: &mut PatternList) {
    strip_list(&mut l.patterns);
}

/// The policy with every span cleared.
fn without_spans(p: &Policy) -> Policy {
    let mut p = p.clone();
    for s in &mut p.statements {
        s.span = Span::default();
        strip_patterns(&mut s.actions);
        if let Some(r) = &mut s.resources {
            strip_patterns(r);
        }
        if let Some(pr) = &mut s.principal {
            strip_list(&mut pr.ram);
            strip_list(&mut pr.service);
            strip_list(&mut pr.federated);
        }
        for c in &mut s.conditions {
            c.operator_span = Span::default();
            c.key.span = Span::default();
            strip_list(&mut c.values);
        }
    }
    p
}

/// Every diagnostic span is inside `text` and on character boundaries; a policy is returned
/// exactly when there is no error.
fn check_read(text: &str, kind: PolicyKind, options: &ReadOptions) -> Result<(), TestCaseError> {
    let r = read_policy(text, kind, options);
    for d in &r.diagnostics {
        prop_assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "span {:?} outside text of {} bytes: {:?}",
            d.span,
            text.len(),
            d
        );
        prop_assert!(
            text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
            "span {:?} not on char boundaries: {:?}",
            d.span,
            d
        );
    }
    prop_assert_eq!(r.policy.is_some(), !r.has_errors());
    Ok(())
}

const KINDS: [PolicyKind; 5] = PolicyKind::ALL;

fn read_options() -> impl Strategy<Value = ReadOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, c, d)| {
        ReadOptions {
            allow_not_resource: a,
            set_qualifiers: b,
            statement_object: c,
            lenient_value_types: d,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_500))]

    #[test]
    fn statement_and_policy_order_never_matter(s in store(), g in request(), seed in any::<u64>()) {
        let before = decide(&s, &g)?;
        let mut shuffled = s.clone();
        let mut rng = Rng(seed);
        for list in policy_lists(&mut shuffled) {
            rng.shuffle(list);
        }
        for p in policies_mut(&mut shuffled) {
            rng.shuffle(&mut p.statements);
        }
        let after = decide(&shuffled, &g)?;
        prop_assert_eq!(before, after);
    }

    #[test]
    fn adding_a_deny_never_grants(
        s in store(), g in request(), st in statement(), which in any::<usize>()
    ) {
        let st = GenStmt { allow: false, ..st };
        let Some(more) = add_statement(&s, &st, which) else { return Ok(()) };
        let before = decide(&s, &g)?;
        let after = decide(&more, &g)?;
        if before.outcome != Outcome::Allow {
            prop_assert_ne!(after.outcome, Outcome::Allow);
        }
        if before.outcome == Outcome::ExplicitDeny {
            prop_assert_eq!(after.outcome, Outcome::ExplicitDeny);
        }
    }

    #[test]
    fn adding_an_allow_never_denies(
        s in store(), g in request(), st in statement(), which in any::<usize>()
    ) {
        let st = GenStmt { allow: true, ..st };
        let Some(more) = add_statement(&s, &st, which) else { return Ok(()) };
        let before = decide(&s, &g)?;
        let after = decide(&more, &g)?;
        if before.outcome == Outcome::Allow {
            prop_assert_eq!(after.outcome, Outcome::Allow);
        }
    }

    #[test]
    fn action_case_never_matters(
        s in store(), g in request(), masks in vec(any::<u64>(), 8), flip_policies in any::<bool>()
    ) {
        let before = decide(&s, &g)?;
        let mut g2 = g.clone();
        for (i, (a, _)) in g2.pairs.iter_mut().enumerate() {
            *a = flip_ascii_case(a, masks[i % masks.len()]);
        }
        let mut s2 = s.clone();
        if flip_policies {
            for (i, p) in policies_mut(&mut s2).into_iter().enumerate() {
                for st in &mut p.statements {
                    for a in st.actions.iter_mut().chain(st.trust_actions.iter_mut()) {
                        *a = flip_ascii_case(a, masks[i % masks.len()]);
                    }
                }
            }
        }
        let after = decide(&s2, &g2)?;
        prop_assert_eq!(before, after);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn print_then_read_is_identity(p in policy(), k in 0usize..5, sid in proptest::option::of(".{0,6}")) {
        let kind = KINDS[k];
        let mut p = p;
        if let Some(st) = p.statements.first_mut() {
            st.sid = sid;
        }
        let (first, _) = read(&p, kind).map_err(TestCaseError::fail)?;
        let printed = to_canonical_string(&first);
        // Pretty printing adds whitespace, which counts against the length limit (§1.8): read
        // the same canonical JSON compacted when the pretty form is over the limit.
        let text = if printed.chars().count() > kind.max_length() {
            let v: serde_json::Value = serde_json::from_str(&printed).expect("canonical JSON");
            v.to_string()
        } else {
            printed.clone()
        };
        let again = read_policy(&text, kind, &ReadOptions::default());
        let Some(second) = again.policy else {
            return Err(TestCaseError::fail(format!(
                "canonical print rejected: {printed}\n{:#?}", again.diagnostics
            )));
        };
        prop_assert_eq!(&printed, &to_canonical_string(&second));
        prop_assert_eq!(without_spans(&first), without_spans(&second));
    }

    #[test]
    fn wildcard_agrees_with_regex(
        pattern in vec(prop::sample::select(&['a', 'b', 'A', 'é', 'ß', 'İ', '日', ':', '/', '.', '\n', '*', '?'][..]), 0..10),
        text in vec(prop::sample::select(&['a', 'b', 'A', 'é', 'ß', 'İ', '日', ':', '/', '.', '\n', '*', '?', 'x'][..]), 0..14),
        derive in any::<bool>(),
        fill in vec(prop::sample::select(&['a', 'b', 'é', '日', '/', '\n'][..]), 0..4),
    ) {
        let pattern: String = pattern.into_iter().collect();
        // Half the time, derive the text from the pattern so matches are common.
        let text: String = if derive {
            pattern
                .chars()
                .flat_map(|c| match c {
                    '*' => fill.clone(),
                    '?' => vec![fill.first().copied().unwrap_or('z')],
                    c => vec![c],
                })
                .collect()
        } else {
            text.into_iter().collect()
        };
        let mut re = String::from("(?s)^");
        for c in pattern.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        let oracle = regex::Regex::new(&re).expect("regex").is_match(&text);
        prop_assert_eq!(Wildcard::new(&pattern).matches(&text), oracle, "{:?} vs {:?}", pattern, text);
        prop_assert_eq!(glob(&pattern, &text), oracle);
        prop_assert_eq!(reference::naive_glob(&pattern, &text), oracle);
    }

    #[test]
    fn reader_never_panics_on_arbitrary_text(
        text in prop_oneof![
            any::<String>(),
            "[{}\\[\\]\":, a-zA-Z0-9\\\\/*?é日-]{0,80}",
        ],
        k in 0usize..5,
        options in read_options(),
    ) {
        check_read(&text, KINDS[k], &options)?;
    }

    #[test]
    fn reader_never_panics_on_mutated_documents(
        p in policy(),
        k in 0usize..5,
        edits in vec((0u8..4, any::<usize>(), any::<u8>(), prop::sample::select(&['"', '{', '}', '[', ']', ',', ':', '\\', 'é', '日', ' ', 'u', '0'][..])), 1..4),
        options in read_options(),
    ) {
        let kind = KINDS[k];
        let mut bytes = render(&p, kind).into_bytes();
        for (op, pos, flip, ch) in edits {
            if bytes.is_empty() {
                break;
            }
            let at = pos % bytes.len();
            match op {
                0 => bytes.truncate(at),
                1 => bytes[at] ^= flip | 1,
                2 => {
                    bytes.remove(at);
                }
                _ => {
                    let mut buf = [0u8; 4];
                    let s = ch.encode_utf8(&mut buf);
                    for (i, b) in s.bytes().enumerate() {
                        bytes.insert(at + i, b);
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        check_read(&text, kind, &options)?;
    }
}
