//! The fast path (`authz::decide`), the tracer (`authz::explain`) and the reference evaluator
//! (`tests/reference`) agree on the side-by-side harness's workload shapes
//! (`benches/support/ram_workload.rs`: account-wide `*` / `*:Verb*` statements, resource
//! patterns across 50 services, IP / string / RD-path conditions, five keys per request), on
//! variations the harness never makes (action case, malformed IPs, missing keys, other
//! accounts' resources), and with the naive evaluator where its semantics coincide.

#[path = "reference/mod.rs"]
mod reference;

#[path = "../benches/support/ram_workload.rs"]
mod ram_workload;

use proptest::prelude::*;
use ram_workload::{Catalogue, Decision, Generator, Naive, Request};
use ramsim::authz::{
    self, ActionResource, EvalOptions, Outcome, PolicySet, PolicySource, PolicyStore, Principal,
    PrincipalKind, RequestContext,
};
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};

struct Loaded {
    store: PolicyStore,
    reference: reference::RefStore,
    naive: Naive,
}

fn load(docs: &[String]) -> Loaded {
    let mut set = PolicySet::new();
    let mut policies = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let r = read_policy(d, PolicyKind::Identity, &ReadOptions::default());
        let p = r
            .policy
            .unwrap_or_else(|| panic!("document {i} rejected: {:?}", r.diagnostics));
        set.add(&p, PolicySource::custom(&format!("p{i}")), Some(d));
        policies.push(p);
    }
    Loaded {
        store: PolicyStore {
            identity: set,
            ..PolicyStore::default()
        },
        reference: reference::RefStore {
            identity: policies,
            ..reference::RefStore::default()
        },
        naive: Naive::load(docs).expect("naive load"),
    }
}

/// Decides `r` with the engine, the tracer and the reference; `Err` on any disagreement.
/// With `naive` the naive evaluator must agree too (only on untouched workload requests: it
/// compares actions case-sensitively and has no fail-closed `Unknown`).
fn agree(
    l: &Loaded,
    r: &Request,
    options: &EvalOptions,
    naive: bool,
    owned: bool,
) -> Result<(), String> {
    let principal = Principal::new(PrincipalKind::RamUser, ram_workload::OUR_ACCOUNT, "user");
    let mut ctx = RequestContext::with_capacity(r.context.len());
    for (k, v) in &r.context {
        ctx.insert(k, v.as_str());
    }
    // The harness decides every resource as the caller's own (`ActionResource::new`); `owned`
    // takes the owner from the ARN, so other accounts' resources meet §6.8.
    let pairs = [if owned {
        ActionResource::owned(r.action.as_str(), r.resource.as_str(), None)
    } else {
        ActionResource::new(r.action.as_str(), r.resource.as_str())
    }];
    let req = authz::Request {
        principal: &principal,
        pairs: &pairs,
        context: &ctx,
        resource_account: None,
        resource_group: None,
        assume_role: false,
    };
    let fast = authz::decide(&l.store, &req, options);
    let traced = authz::explain(&l.store, &req, options).decision;
    let ref_ctx: Vec<(String, Vec<String>)> = r
        .context
        .iter()
        .map(|(k, v)| (k.clone(), vec![v.clone()]))
        .collect();
    let ref_pairs = [(r.action.clone(), r.resource.clone(), pairs[0].owner.clone())];
    let want = reference::authorize(
        &l.reference,
        &reference::RefRequest {
            principal: &principal,
            pairs: &ref_pairs,
            context: &ref_ctx,
            resource_account: None,
            resource_group: None,
            assume_role: false,
        },
        options,
    );
    let show = || format!("{} {} {:?}", r.action, r.resource, r.context);
    if fast.outcome.as_str() != want.outcome.name()
        || fast.policy_type.map(|t| t.as_str()) != want.policy_type
    {
        return Err(format!(
            "decide {:?}/{:?} != reference {}/{:?} for {}",
            fast.outcome,
            fast.policy_type,
            want.outcome.name(),
            want.policy_type,
            show()
        ));
    }
    if traced != fast {
        return Err(format!(
            "explain {traced:?} != decide {fast:?} for {}",
            show()
        ));
    }
    if naive {
        let n = l.naive.decide(&Naive::prepare(r));
        let f = match fast.outcome {
            Outcome::Allow => Decision::Allow,
            Outcome::ExplicitDeny => Decision::Deny,
            Outcome::ImplicitDeny => Decision::ImplicitDeny,
        };
        if n != f {
            return Err(format!("naive {n:?} != decide {f:?} for {}", show()));
        }
    }
    Ok(())
}

/// A variation of a workload request the harness never generates.
#[derive(Debug, Clone, Copy)]
enum Twist {
    None,
    /// The action in another case (RAM matches actions case-insensitively).
    Case,
    /// `acs:SourceIp` not an address (fail closed: Allow needs True, Deny fires on Unknown).
    BadIp,
    /// Every condition key removed.
    NoKeys,
    /// A CIDR as the source "address".
    CidrIp,
    /// The resource owned by the account its ARN names (cross-account: §6.8).
    Owned,
    /// A colon inside the resource's region (the ARN no longer has five fields).
    ExtraColon,
}

fn twist(r: &Request, t: Twist) -> Request {
    let mut r = r.clone();
    match t {
        Twist::None | Twist::Owned => {}
        Twist::ExtraColon => {
            r.resource = r.resource.replacen(":cn-", ":cn:", 1);
        }
        Twist::Case => {
            r.action = r
                .action
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        }
        Twist::BadIp => {
            for (k, v) in r.context.iter_mut() {
                if k == ram_workload::KEY_IP {
                    *v = "10.0.0.300".into();
                }
            }
        }
        Twist::NoKeys => r.context.clear(),
        Twist::CidrIp => {
            for (k, v) in r.context.iter_mut() {
                if k == ram_workload::KEY_IP {
                    v.push_str("/24");
                }
            }
        }
    }
    r
}

fn twists() -> impl Strategy<Value = Twist> {
    prop_oneof![
        4 => Just(Twist::None),
        1 => Just(Twist::Case),
        1 => Just(Twist::BadIp),
        1 => Just(Twist::NoKeys),
        1 => Just(Twist::CidrIp),
        1 => Just(Twist::Owned),
        1 => Just(Twist::ExtraColon),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Generated sets of 1–300 statements (a seed drives the harness's generator), 40 of
    /// their requests each, twisted or not, under both treatments of unparseable values.
    #[test]
    fn fast_path_agrees_with_reference_on_peer_workloads(
        seed in any::<u64>(),
        n in 1usize..300,
        twists in proptest::collection::vec(twists(), 40),
        no_match in any::<bool>(),
    ) {
        let cat = Catalogue::new();
        let g = Generator { cat: &cat };
        let stmts = g.policy(seed, n);
        let docs = ram_workload::to_ram_docs(&stmts);
        let l = load(&docs);
        let oracle = ram_workload::Indexed::new(&stmts);
        let reqs = g.workload(seed, &stmts, twists.len(), &|r| oracle.decide(&oracle.prepare(r)));
        let options = EvalOptions {
            unparseable_values: if no_match {
                authz::options::UnparseableValues::NoMatch
            } else {
                authz::options::UnparseableValues::FailClosed
            },
            ..EvalOptions::default()
        };
        for (r, t) in reqs.iter().zip(&twists) {
            let naive = matches!(t, Twist::None | Twist::NoKeys | Twist::ExtraColon);
            let owned = matches!(t, Twist::Owned);
            agree(&l, &twist(r, *t), &options, naive, owned).map_err(TestCaseError::fail)?;
        }
    }
}

/// The harness's sizes: 2,000 requests at N = 10, 300 at 1,000 and
/// 40 at 10,000 decided alike by the fast path, the tracer, the reference and the naive
/// evaluator.
#[test]
fn harness_sizes_agree() {
    for (n, count) in [(10usize, 2_000usize), (1_000, 300), (10_000, 40)] {
        let (stmts, reqs) = ram_workload::workload(1, n, count);
        let l = load(&ram_workload::to_ram_docs(&stmts));
        let options = EvalOptions::default();
        let mut outcomes = [0usize; 3];
        for r in &reqs {
            agree(&l, r, &options, true, false).unwrap_or_else(|e| panic!("N = {n}: {e}"));
            let naive = l.naive.decide(&Naive::prepare(r));
            outcomes[naive as usize] += 1;
        }
        // the generator's quota reaches every outcome
        assert!(
            outcomes.iter().all(|&c| c > 0),
            "N = {n}: outcomes {outcomes:?}"
        );
    }
}

/// The plain evaluators' precompiled matcher agrees with the textbook recursive one.
#[test]
fn indexed_patterns_agree_with_the_textbook_matcher() {
    use ram_workload::{wildcard_match, Pat};
    let pats = [
        "*",
        "ecs:*",
        "ecs:Describe*",
        "ecs:*Instance",
        "ecs:Descr?be*",
        "a*b*c",
        "rd-root/*/rd-net/",
        "?",
        "ab?",
        "acs:*:cn-hangzhou:1:*",
    ];
    let texts = [
        "",
        "ecs:DescribeInstance",
        "ecs:Describe",
        "abc",
        "a-b-c",
        "rd-root/x/rd-net/",
        "ab",
        "abz",
        "acs:vpc:cn-hangzhou:1:vpc/v",
        "x",
    ];
    for p in pats {
        for t in texts {
            assert_eq!(
                Pat::new(p).is_match(t.as_bytes()),
                wildcard_match(p.as_bytes(), t.as_bytes()),
                "{p} / {t}"
            );
        }
    }
}
