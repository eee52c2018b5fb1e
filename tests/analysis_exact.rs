//! The exact analysis against brute force.
//!
//! * Completeness: over small finite domains (a few actions — modeled and not, with mixed
//!   case —, resources, and key values built from the policies' constants and their neighbours,
//!   including absent keys, unparseable values and multi-valued keys), every request whose
//!   decision differs between two random policies lies in a region the exact diff reports with
//!   the same two decisions (same action region, same resource region, and the request's values
//!   satisfy the region's key constraints). ≥ 10,000 random pairs per run: multi-key
//!   conditions, `ForAnyValue:`/`ForAllValues:`, negated operators on absent keys, wildcards in
//!   the middle of actions and ARNs, NotAction/NotResource.
//! * Soundness: every witness, replayed through the real engine (`authz::decide`), gets exactly
//!   the two decisions the region claims.
//! * The exact diff finds every change the sampling diff finds.

use ramsim::analysis::{
    self, injected_together, key_presence, template_glob, Analysis, ChangeKind, Flow, Options,
    PolicyInput, Region,
};
use ramsim::api::catalog;
use ramsim::authz::{
    decide, ActionResource, EvalOptions, Outcome, PolicyStore, Principal, Request, RequestContext,
};
use ramsim::policy::ast::Policy;
use ramsim::policy::pattern::{fold_case, glob, Wildcard};
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
use std::collections::HashSet;

/// Action identity, action pattern vector, resource pattern vector.
type RegionKey = (Option<&'static str>, Vec<bool>, Vec<bool>);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "ecs:*",
    "ecs:Describe*",
    "ecs:DescribeInstances",
    "ecs:*Instance*",
    "vpc:*VpcPeer*",
    "vpc:CreateVpcPeerConnection",
    "vpc:?etVpcPeerConnectionAttribute",
    "vpc:Create*",
    "oss:Get*",
    "ram:CreateUser",
    "ec?:Stop*",
];

const ACTIONS: &[&str] = &[
    "ecs:DescribeInstances",
    "ecs:Describe",
    "ecs:StopInstance",
    "vpc:CreateVpcPeerConnection",
    "vpc:GetVpcPeerConnectionAttribute",
    "vpc:CreateVpc",
    "oss:GetObject",
    "ram:CreateUser",
    "x:y",
    "ECS:describeinstances",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "acs:ecs:*:*:instance/*",
    "acs:ecs:cn-hangzhou:*:instance/i-1",
    "acs:vpc:*:*:vpc/*",
    "acs:*:*:*:*",
    "acs:oss:*:*:bucket/*/a.jpg",
    "acs:ram:*:*:user/b?b",
    "acs:vpc:*:*:vpcpeer/*",
    "acs:*:cn-*:111:*",
];

const RESOURCES: &[&str] = &[
    "*",
    "acs:ecs:cn-hangzhou:111:instance/i-1",
    "acs:ecs:cn-beijing:222:instance/i-2",
    "acs:vpc:cn-hangzhou:111:vpc/vpc-a",
    "acs:oss:*:111:bucket/dir/a.jpg",
    "acs:ram::111:user/bob",
    "acs:vpc:*:111:vpcpeer/pcc-1",
    "acs:vpc:cn-hangzhou:111:vpc/*",
    "acs:ram::111:user/alice",
];

/// A condition family: key, operators, value lists, and the request values to try.
struct Family {
    key: &'static str,
    ops: &'static [&'static str],
    values: &'static [&'static [&'static str]],
    singles: &'static [&'static str],
    sets: &'static [&'static [&'static str]],
}

const FAMILIES: &[Family] = &[
    Family {
        key: "acs:SourceIp",
        ops: &["IpAddress", "NotIpAddress"],
        values: &[
            &["10.0.0.0/8"],
            &["10.1.0.0/16", "192.168.1.1"],
            &["2001:db8::/32"],
        ],
        singles: &[
            "10.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "192.168.1.2",
            "2001:db8::1",
            "11.0.0.0",
        ],
        sets: &[],
    },
    Family {
        key: "acs:SourceVpc",
        ops: &[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        ],
        values: &[&["vpc-1"], &["VPC-1", "vpc-2"], &["vpc-1*"], &["vpc-?"]],
        singles: &["vpc-1", "vpc-2", "VPC-1", "vpc-10", "other"],
        sets: &[],
    },
    Family {
        key: "acs:TagKeys",
        ops: &[
            "ForAnyValue:StringEquals",
            "ForAllValues:StringEquals",
            "ForAnyValue:StringNotLike",
            "ForAllValues:StringLike",
            "StringEquals",
            "StringNotEquals",
            "ForAnyValue:StringEqualsIgnoreCase",
        ],
        values: &[&["env"], &["env", "team"], &["e*"], &["ENV"]],
        singles: &["env", "team", "ENV", "x"],
        sets: &[&["env", "x"], &["env", "team"], &["team", "x"]],
    },
    Family {
        key: "acs:Level",
        ops: &[
            "NumericLessThan",
            "NumericEquals",
            "NumericNotEquals",
            "NumericGreaterThanEquals",
            "ForAllValues:NumericLessThan",
            "ForAnyValue:NumericGreaterThan",
        ],
        values: &[&["5"], &["10"], &["5", "10"]],
        singles: &["4", "5", "10", "abc"],
        sets: &[&["4", "10"], &["5", "abc"], &["4", "5"]],
    },
    Family {
        key: "acs:CurrentTime",
        ops: &[
            "DateLessThan",
            "DateGreaterThanEquals",
            "DateEquals",
            "DateNotEquals",
        ],
        values: &[&["2025-06-01T00:00:00Z"], &["2025-01-01"]],
        singles: &[
            "2025-01-01T00:00:00Z",
            "2024-12-31T23:59:59Z",
            "2025-06-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
        ],
        sets: &[],
    },
    Family {
        key: "acs:SecureTransport",
        ops: &["Bool"],
        values: &[&["true"], &["false"]],
        singles: &["true", "false"],
        sets: &[],
    },
    Family {
        key: "acs:TargetRDPath",
        ops: &[
            "StringLike",
            "StringNotLike",
            "StringEquals",
            "StringNotEquals",
        ],
        values: &[&["rd-a/r-1/fd-p/*"], &["rd-a/*"], &["rd-a/r-1/fd-p/1"]],
        singles: &[
            "rd-a/r-1/fd-p/1",
            "rd-a/r-1/fd-q/2",
            "rd-a/r-1/fd-p/",
            "rd-b/r-2/3",
        ],
        sets: &[],
    },
    Family {
        key: "acs:TargetRDId",
        ops: &["StringEquals", "StringNotEquals"],
        values: &[&["rd-a"], &["rd-a", "rd-b"]],
        singles: &["rd-a", "rd-b", "rd-c"],
        sets: &[],
    },
];

fn list(xs: &[String]) -> String {
    if xs.len() == 1 {
        format!("\"{}\"", xs[0])
    } else {
        format!(
            "[{}]",
            xs.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(",")
        )
    }
}

fn gen_policy(rng: &mut Rng, families: &[usize]) -> String {
    let n = 1 + rng.below(2);
    let mut stmts = Vec::new();
    for _ in 0..n {
        let effect = if rng.chance(35) { "Deny" } else { "Allow" };
        let na = 1 + rng.below(2);
        let actions: Vec<String> = (0..na)
            .map(|_| rng.pick(ACTION_PATTERNS).to_string())
            .collect();
        let action_el = if rng.chance(15) {
            "NotAction"
        } else {
            "Action"
        };
        let nr = 1 + rng.below(2);
        let resources: Vec<String> = (0..nr)
            .map(|_| rng.pick(RESOURCE_PATTERNS).to_string())
            .collect();
        let res_el = if rng.chance(15) {
            "NotResource"
        } else {
            "Resource"
        };
        let nc = rng.below(3);
        let mut by_op: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for _ in 0..nc {
            let f = &FAMILIES[*rng.pick(families)];
            let op = rng.pick(f.ops).to_string();
            let vals: Vec<String> = rng.pick(f.values).iter().map(|s| s.to_string()).collect();
            match by_op.iter_mut().find(|(o, _)| *o == op) {
                Some((_, keys)) => {
                    if !keys.iter().any(|(k, _)| k == f.key) {
                        keys.push((f.key.to_string(), list(&vals)));
                    }
                }
                None => by_op.push((op, vec![(f.key.to_string(), list(&vals))])),
            }
        }
        let cond = if by_op.is_empty() {
            String::new()
        } else {
            format!(
                r#","Condition":{{{}}}"#,
                by_op
                    .iter()
                    .map(|(op, keys)| format!(
                        r#""{op}":{{{}}}"#,
                        keys.iter()
                            .map(|(k, v)| format!(r#""{k}":{v}"#))
                            .collect::<Vec<_>>()
                            .join(",")
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        stmts.push(format!(
            r#"{{"Effect":"{effect}","{action_el}":{},"{res_el}":{}{cond}}}"#,
            list(&actions),
            list(&resources)
        ));
    }
    format!(r#"{{"Version":"1","Statement":[{}]}}"#, stmts.join(","))
}

fn read(text: &str) -> Option<Policy> {
    read_policy(text, PolicyKind::Identity, &ReadOptions::default()).policy
}

struct Engine {
    store: PolicyStore,
    principal: Principal,
}

impl Engine {
    fn new(flow: &Flow) -> Engine {
        Engine {
            store: flow.store(),
            principal: flow.principal(),
        }
    }
    fn decide(&self, action: &str, resource: &str, ctx: &RequestContext) -> Outcome {
        let pairs = [ActionResource::new(action, resource)];
        decide(
            &self.store,
            &Request {
                principal: &self.principal,
                pairs: &pairs,
                context: ctx,
                resource_account: None,
                resource_group: None,
                assume_role: false,
            },
            &EvalOptions::default(),
        )
        .outcome
    }
}

/// Resources the model allows for `action`.
fn resource_allowed(action: &str, r: &str) -> bool {
    match catalog::by_action(action) {
        Some(e) if e.all_resource() => r == "*",
        Some(e) => e.resources.iter().any(|t| glob(&template_glob(t), r)),
        None => r == "*" || r.starts_with("acs:"),
    }
}

/// The statements' patterns, to tell which action / resource region a request is in.
struct Patterns {
    actions: Vec<Wildcard>,
    /// Per statement: action patterns (folded), NotAction, resource patterns, NotResource.
    statements: Vec<(Vec<Wildcard>, bool, Vec<Wildcard>, bool)>,
}

impl Patterns {
    fn new(policies: &[&Policy]) -> Patterns {
        let mut actions = Vec::new();
        let mut statements = Vec::new();
        for p in policies {
            for s in &p.statements {
                let a: Vec<Wildcard> = s
                    .actions
                    .patterns
                    .iter()
                    .map(|x| Wildcard::new(&fold_case(&x.value)))
                    .collect();
                actions.extend(a.iter().cloned());
                let r: Vec<Wildcard> = s
                    .resources
                    .as_ref()
                    .map(|r| r.patterns.iter().map(|x| Wildcard::new(&x.value)).collect())
                    .unwrap_or_default();
                let r_negated = s.resources.as_ref().is_some_and(|r| r.negated);
                statements.push((a, s.actions.negated, r, r_negated));
            }
        }
        Patterns {
            actions,
            statements,
        }
    }

    /// Action region key: catalog identity and pattern vector.
    fn action_key(&self, action: &str) -> (Option<&'static str>, Vec<bool>) {
        let folded = action.to_lowercase();
        (
            catalog::by_action(action).map(|e| e.action),
            self.actions.iter().map(|p| p.matches(&folded)).collect(),
        )
    }

    /// Resource region key for `action`: which of the statements whose Action/NotAction
    /// covers it also cover the resource (the analysis reports one region per such scope).
    fn resource_key(&self, action: &str, resource: &str) -> Vec<bool> {
        let folded = action.to_lowercase();
        let mut v = Vec::new();
        for (a, negated, r, r_negated) in &self.statements {
            if a.iter().any(|p| p.matches(&folded)) == *negated {
                continue;
            }
            v.push(r.iter().any(|p| p.matches(resource)) != *r_negated);
        }
        v
    }
}

fn in_region(
    a: &Analysis,
    pats: &Patterns,
    r: &Region,
    action: &str,
    resource: &str,
    ctx: &RequestContext,
) -> bool {
    if pats.action_key(action) != pats.action_key(&r.witness.action) {
        return false;
    }
    if !r.resource_constraints.iter().all(|c| c.admits(resource)) {
        return false;
    }
    r.constraints.iter().all(|c| {
        let v = ctx.get(&c.key);
        if c.absent {
            return v.is_none();
        }
        v.is_some() && a.key_verdicts(&c.key, v).is_some_and(|vs| c.admits(&vs))
    })
}

/// Every context over the families' keys used by the policies.
fn contexts(keys: &[&Family], action: &str, any_keys: bool) -> Vec<RequestContext> {
    let mut out = vec![RequestContext::new()];
    for f in keys {
        let (may_absent, may_present) = key_presence(action, f.key, any_keys);
        let mut next = Vec::new();
        for base in &out {
            if may_absent {
                next.push(base.clone());
            }
            if may_present {
                for v in f.singles {
                    let mut c = base.clone();
                    c.set(f.key, vec![v.to_string()]);
                    next.push(c);
                }
                for set in f.sets {
                    let mut c = base.clone();
                    c.set(f.key, set.iter().map(|s| s.to_string()).collect());
                    next.push(c);
                }
            }
        }
        out = next;
    }
    if !any_keys && catalog::by_action(action).is_some() {
        // Products inject their keys together (acs:TargetRDId with acs:TargetRDPath).
        // A directory path starts with its directory id (§5.2).
        out.retain(
            |c| match (c.get("acs:TargetRDId"), c.get("acs:TargetRDPath")) {
                (Some(id), Some(path)) => path[0].starts_with(&format!("{}/", id[0])),
                _ => true,
            },
        );
        out.retain(|c| {
            keys.iter().all(|f| {
                keys.iter().all(|g| {
                    !injected_together(f.key, g.key)
                        || c.get(f.key).is_some() == c.get(g.key).is_some()
                })
            })
        });
    }
    out
}

static ANALYSIS_NS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The random pairs of a run (generated serially, so the run is the same for any number of
/// worker threads), checked on two threads.
fn run_pairs(seed: u64, pairs: usize, any_keys: bool) -> (usize, usize, usize) {
    let mut rng = Rng(seed);
    let mut work: Vec<(usize, Vec<usize>, String, String, Policy, Policy)> = Vec::new();
    while work.len() < pairs {
        let fams: Vec<usize> = {
            let mut f: Vec<usize> = (0..FAMILIES.len()).collect();
            for i in 0..f.len() {
                let j = i + rng.below(f.len() - i);
                f.swap(i, j);
            }
            f.truncate(1 + rng.below(3));
            f
        };
        let (ta, tb) = (gen_policy(&mut rng, &fams), gen_policy(&mut rng, &fams));
        let (Some(pa), Some(pb)) = (read(&ta), read(&tb)) else {
            continue;
        };
        work.push((work.len() + 1, fams, ta, tb, pa, pb));
    }
    let workers = 2;
    let totals: Vec<(usize, usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let work = &work;
                scope.spawn(move || {
                    let mut t = (0, 0, 0);
                    for item in work.iter().skip(w).step_by(workers) {
                        let (c, r) = check_pair(item, any_keys);
                        t.0 += 1;
                        t.1 += c;
                        t.2 += r;
                    }
                    t
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    totals
        .iter()
        .fold((0, 0, 0), |a, t| (a.0 + t.0, a.1 + t.1, a.2 + t.2))
}

/// Checks one pair: soundness of every witness, completeness against the brute force. Returns
/// (changed requests checked, witnesses replayed).
fn check_pair(
    item: &(usize, Vec<usize>, String, String, Policy, Policy),
    any_keys: bool,
) -> (usize, usize) {
    let (done, fams, ta, tb, pa, pb) = item;
    let (done, ta, tb) = (*done, ta.as_str(), tb.as_str());
    let options = Options {
        any_keys,
        ..Options::default()
    };
    let mut changes_checked = 0;
    let mut regions_replayed = 0;
    {
        let fa = Flow::identity("old", vec![PolicyInput::new("old", None, None, pa.clone())]);
        let fb = Flow::identity("new", vec![PolicyInput::new("new", None, None, pb.clone())]);
        let t0 = std::time::Instant::now();
        // Every other pair searches the resource dimension symbolically.
        let options = Options {
            enumerate_resources: done % 2 == 0,
            ..options
        };
        let analysis = Analysis::new(vec![fa.clone(), fb.clone()], options);
        let (regions, stats) = analysis.regions(&|d| d[0] != d[1], None, None, 0);
        assert!(stats.complete, "budget ran out on\n{ta}\n{tb}");
        ANALYSIS_NS.fetch_add(
            t0.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        let (ea, eb) = (Engine::new(&fa), Engine::new(&fb));
        // Soundness: every witness gets the claimed decisions.
        for r in &regions {
            let mut ctx = RequestContext::new();
            for (k, vs) in &r.witness.context {
                ctx.set(k, vs.clone());
            }
            let got = (
                ea.decide(&r.witness.action, &r.witness.resource, &ctx),
                eb.decide(&r.witness.action, &r.witness.resource, &ctx),
            );
            assert_eq!(
                got,
                (r.decisions[0].decision, r.decisions[1].decision),
                "witness of {} disagrees with the engine\nold: {ta}\nnew: {tb}\nwitness: {:?}",
                ramsim::analysis::render::region_text(r),
                r.witness
            );
            regions_replayed += 1;
        }
        // Completeness: brute force over the small domain.
        let pats = Patterns::new(&[pa, pb]);
        let used: Vec<&Family> = fams
            .iter()
            .map(|&i| &FAMILIES[i])
            .filter(|f| {
                ta.contains(&format!("\"{}\"", f.key)) || tb.contains(&format!("\"{}\"", f.key))
            })
            .collect();
        let mut seen: HashSet<RegionKey> = HashSet::new();
        for action in ACTIONS {
            for resource in RESOURCES {
                if !resource_allowed(action, resource) {
                    continue;
                }
                let (entry, av) = pats.action_key(action);
                let key = (entry, av, pats.resource_key(action, resource));
                if !seen.insert(key) {
                    continue;
                }
                for ctx in contexts(&used, action, any_keys) {
                    let (da, db) = (
                        ea.decide(action, resource, &ctx),
                        eb.decide(action, resource, &ctx),
                    );
                    if da == db {
                        continue;
                    }
                    changes_checked += 1;
                    let covered = regions.iter().any(|r| {
                        r.decisions[0].decision == da
                            && r.decisions[1].decision == db
                            && in_region(&analysis, &pats, r, action, resource, &ctx)
                    });
                    assert!(
                        covered,
                        "missed: {action} on {resource} with {:?}: {da:?} -> {db:?}\nold: {ta}\nnew: {tb}\nregions: {:#?}",
                        ctx,
                        regions
                            .iter()
                            .map(|r| (ramsim::analysis::render::region_text(r), r.witness.clone()))
                            .collect::<Vec<_>>()
                    );
                }
            }
        }
    }
    (changes_checked, regions_replayed)
}

#[test]
fn exact_diff_is_complete_and_sound_over_random_pairs() {
    let scale: usize = std::env::var("RAMSIM_EXACT_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let t = std::time::Instant::now();
    let (pairs, changes, replayed) = run_pairs(0x5EED_0001, scale * 8 / 10, true);
    eprintln!(
        "analysis: {} ms",
        ANALYSIS_NS.load(std::sync::atomic::Ordering::Relaxed) / 1_000_000
    );
    eprintln!(
        "any-keys: {pairs} pairs, {changes} changes, {replayed} witnesses in {:?}",
        t.elapsed()
    );
    assert_eq!(pairs, scale * 8 / 10);
    // The generator must actually produce changes for this to mean something.
    assert!(changes > scale, "only {changes} changed requests");
    assert!(replayed > scale / 2, "only {replayed} witnesses");
    // The key-presence model of modeled APIs (absent keys they never receive, always-present
    // envelope keys, keys injected together).
    let (pairs, changes, _) = run_pairs(0x5EED_0002, scale * 2 / 10, false);
    eprintln!(
        "model keys: {pairs} pairs, {changes} changes in {:?}",
        t.elapsed()
    );
    assert_eq!(pairs, scale * 2 / 10);
    assert!(changes > scale / 10, "only {changes} changed requests");
}

#[test]
fn exact_diff_finds_everything_the_sampling_diff_finds() {
    use ramsim::diff::{diff, DiffInput, DiffKind, Version};
    use ramsim::policy::file::LoadedPolicy;
    let mut rng = Rng(0x005A_3B1E);
    let mut checked = 0;
    let mut n = 0;
    while n < 150 {
        let fams: Vec<usize> = vec![rng.below(FAMILIES.len()), rng.below(FAMILIES.len())];
        let (ta, tb) = (gen_policy(&mut rng, &fams), gen_policy(&mut rng, &fams));
        let (Some(pa), Some(pb)) = (read(&ta), read(&tb)) else {
            continue;
        };
        n += 1;
        let version = |name: &str, text: &str, p: &Policy| {
            Version::new(
                LoadedPolicy {
                    file: name.into(),
                    text: text.into(),
                    policy: p.clone(),
                },
                DiffKind::Identity,
            )
        };
        let (va, vb) = (version("a", &ta, &pa), version("b", &tb, &pb));
        let sampled = diff(DiffInput {
            old: &va,
            new: &vb,
            kind: DiffKind::Identity,
            state: None,
            replay: &[],
            skipped: Vec::new(),
        });
        let fa = Flow::identity("old", vec![PolicyInput::new("old", None, None, pa.clone())]);
        let fb = Flow::identity("new", vec![PolicyInput::new("new", None, None, pb.clone())]);
        // The sampling diff puts keys into requests of actions that never receive them (the
        // impossible-key false positives); compare against the any-keys model, which contains
        // every request it generates.
        let analysis = Analysis::new(
            vec![fa.clone(), fb.clone()],
            Options {
                any_keys: true,
                ..Options::default()
            },
        );
        let (regions, _) = analysis.regions(&|d| d[0] != d[1], None, None, 0);
        let (ea, eb) = (Engine::new(&fa), Engine::new(&fb));
        let pats = Patterns::new(&[&pa, &pb]);
        for f in sampled.granted.iter().chain(&sampled.removed) {
            let mut ctx = RequestContext::new();
            for (k, v) in &f.witness.context {
                ctx.set(k, vec![v.as_str().unwrap_or_default().to_string()]);
            }
            let mut pairs: Vec<(String, String)> = f
                .witness
                .resources
                .iter()
                .map(|r| (f.witness.action.clone(), r.clone()))
                .collect();
            for d in &f.witness.dependent {
                if let Some((a, r)) = d.split_once(" on ") {
                    pairs.push((a.to_string(), r.to_string()));
                }
            }
            let mut any = false;
            for (action, resource) in pairs {
                let (da, db) = (
                    ea.decide(&action, &resource, &ctx),
                    eb.decide(&action, &resource, &ctx),
                );
                if da == db {
                    continue;
                }
                any = true;
                checked += 1;
                assert!(
                    regions.iter().any(|r| r.decisions[0].decision == da
                        && r.decisions[1].decision == db
                        && in_region(&analysis, &pats, r, &action, &resource, &ctx)),
                    "sampled change not in the exact diff: {action} on {resource} {ctx:?}\n{ta}\n{tb}"
                );
            }
            assert!(any, "a sampled finding with no changed pair: {f:?}");
        }
    }
    assert!(checked > 50, "only {checked} sampled changes");
    let _ = ChangeKind::Granted;
    let _ = analysis::change_of;
}

/// `lint`'s L008 (redundant statement) and L009 (unreachable Allow) are proven heuristics:
/// every statement they report is redundant according to the exact core (removing it changes
/// no decision of its policy).
#[test]
fn lint_redundancy_findings_are_confirmed_by_the_exact_core() {
    use ramsim::cli::analyze::redundant_statements;
    use ramsim::lint::{lint_policy, Code, LintOptions};
    let mut rng = Rng(0x11A7);
    let mut confirmed = 0;
    let mut n = 0;
    while n < 300 {
        let fams = vec![rng.below(FAMILIES.len())];
        let text = gen_policy(&mut rng, &fams);
        let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        let stmts = doc["Statement"].as_array_mut().expect("array");
        if rng.chance(50) {
            let first = stmts[0].clone();
            stmts.push(first);
        }
        if rng.chance(30) {
            stmts.push(serde_json::json!({"Effect":"Deny","Action":"*","Resource":"*"}));
        }
        let text = doc.to_string();
        let Some(p) = read(&text) else {
            continue;
        };
        n += 1;
        let lints = lint_policy(&p, &LintOptions::default());
        let flagged: Vec<String> = lints
            .iter()
            .filter(|l| matches!(l.code, Code::RedundantStatement | Code::UnreachableAllow))
            .map(|l| l.path.to_string())
            .collect();
        if flagged.is_empty() {
            continue;
        }
        let input = PolicyInput::new("p", None, None, p);
        let redundant: Vec<String> = redundant_statements(&input, Options::default())
            .iter()
            .map(|f| format!("Statement[{}]", f.statement.statement))
            .collect();
        for f in flagged {
            assert!(
                redundant.contains(&f),
                "lint says {f} is redundant, the exact core disagrees\n{text}"
            );
            confirmed += 1;
        }
    }
    assert!(confirmed > 50, "only {confirmed} lint findings checked");
}
