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
    PolicyInput, Region, Stage, StageKind, HARNESS_ACCOUNT, TRUST_ROLE_ARN,
};
use ramsim::api::catalog;
use ramsim::authz::{
    decide, ActionResource, EvalOptions, Outcome, PolicyStore, Principal, PrincipalKind, Request,
    RequestContext,
};
use ramsim::policy::ast::Policy;
use ramsim::policy::pattern::{fold_case, glob, Wildcard};
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
use std::collections::HashSet;

/// Action identity, action pattern vector, resource pattern vector, caller class, resource
/// group side.
type RegionKey = (
    Option<&'static str>,
    Vec<bool>,
    Vec<bool>,
    Option<analysis::PrincipalKey>,
    Option<String>,
);

/// Which policy kind a pair compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Identity policies at account scope.
    Identity,
    /// Resource policies: the caller is a dimension.
    Resource,
    /// Trust policies (`sts:AssumeRole` on the role): the caller is a dimension.
    Trust,
    /// Identity policies at resource-group scope (the same or another group).
    Group,
    /// Account scope and resource-group scope together, swapped between the versions.
    Mixed,
}

/// `Principal` elements of resource and trust policies (the first ten are valid in both).
const PRINCIPAL_ELEMENTS: &[&str] = &[
    r#"{"RAM":"*"}"#,
    r#"{"RAM":["1234567890123456"]}"#,
    r#"{"RAM":["acs:ram::2222222222222222:root"]}"#,
    r#"{"RAM":["acs:ram::2222222222222222:user/a*"]}"#,
    r#"{"RAM":["acs:ram::*:user/*b"]}"#,
    r#"{"RAM":["acs:ram::*:role/ci-*"]}"#,
    r#"{"RAM":["acs:ram::2222222222222222:role/ci-1/s?"]}"#,
    r#"{"Service":["ecs.aliyuncs.com"]}"#,
    r#"{"Federated":["acs:ram::2222222222222222:saml-provider/idp"]}"#,
    r#"{"RAM":["acs:ram::1234567890123456:root"],"Service":"ECS.aliyuncs.com"}"#,
    r#"["2222222222222222","3333333333333333"]"#,
    r#""*""#,
];

const TRUST_ACTION_PATTERNS: &[&str] = &["sts:AssumeRole", "sts:*", "*", "sts:Assume*"];

/// Callers built from the elements' constants and their neighbours.
fn callers() -> Vec<Principal> {
    let mut out = Vec::new();
    for a in [
        "1234567890123456",
        "2222222222222222",
        "3333333333333333",
        "4444444444444444",
    ] {
        out.push(Principal::new(PrincipalKind::Root, a, a));
        for n in ["a", "ab", "b", "xb", "2222222222222222", "x"] {
            out.push(Principal::new(PrincipalKind::RamUser, a, n));
        }
        for n in ["ci-1/s1", "ci-1/s", "ci-/x", "x/s1", "ci-1/s12"] {
            out.push(Principal::new(PrincipalKind::AssumedRoleUser, a, n));
        }
        for n in ["idp", "idp2"] {
            out.push(Principal::new(PrincipalKind::Federated, a, n));
        }
    }
    for s in ["ecs.aliyuncs.com", "ECS.ALIYUNCS.COM", "oss.aliyuncs.com"] {
        out.push(Principal::new(PrincipalKind::Service, s, s));
    }
    out
}

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

fn gen_policy(rng: &mut Rng, families: &[usize], mode: Mode) -> String {
    let n = 1 + rng.below(2);
    let mut stmts = Vec::new();
    for _ in 0..n {
        let effect = if rng.chance(35) { "Deny" } else { "Allow" };
        let principal = match mode {
            Mode::Resource => format!(r#","Principal":{}"#, rng.pick(PRINCIPAL_ELEMENTS)),
            Mode::Trust => format!(r#","Principal":{}"#, rng.pick(&PRINCIPAL_ELEMENTS[..10])),
            _ => String::new(),
        };
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
        if mode == Mode::Trust {
            let actions: Vec<String> = (0..1 + rng.below(2))
                .map(|_| rng.pick(TRUST_ACTION_PATTERNS).to_string())
                .collect();
            stmts.push(format!(
                r#"{{"Effect":"{effect}","Action":{}{principal}{cond}}}"#,
                list(&actions)
            ));
            continue;
        }
        stmts.push(format!(
            r#"{{"Effect":"{effect}","{action_el}":{},"{res_el}":{}{principal}{cond}}}"#,
            list(&actions),
            list(&resources)
        ));
    }
    format!(r#"{{"Version":"1","Statement":[{}]}}"#, stmts.join(","))
}

fn read(text: &str) -> Option<Policy> {
    read_as(text, Mode::Identity)
}

fn read_as(text: &str, mode: Mode) -> Option<Policy> {
    let kind = match mode {
        Mode::Resource => PolicyKind::Resource,
        Mode::Trust => PolicyKind::Trust,
        _ => PolicyKind::Identity,
    };
    read_policy(text, kind, &ReadOptions::default()).policy
}

/// The two flows of a pair.
fn flows(mode: Mode, pa: &Policy, pb: &Policy, other_group: bool) -> (Flow, Flow) {
    let i = |name: &str, p: &Policy| PolicyInput::new(name, None, None, p.clone());
    match mode {
        Mode::Identity => (
            Flow::identity("old", vec![i("old", pa)]),
            Flow::identity("new", vec![i("new", pb)]),
        ),
        Mode::Resource => (
            Flow::resource("old", i("old", pa)),
            Flow::resource("new", i("new", pb)),
        ),
        Mode::Trust => (
            Flow::trust("old", i("old", pa)),
            Flow::trust("new", i("new", pb)),
        ),
        Mode::Group => (
            Flow::resource_group("old", "rg-1", vec![i("old", pa)]),
            Flow::resource_group(
                "new",
                if other_group { "rg-2" } else { "rg-1" },
                vec![i("new", pb)],
            ),
        ),
        Mode::Mixed => {
            let mixed = |label: &str, account: &Policy, group: &Policy| Flow {
                label: label.into(),
                stages: vec![
                    Stage {
                        kind: StageKind::Identity,
                        policies: vec![i(label, account)],
                    },
                    Stage {
                        kind: StageKind::ResourceGroup("rg-1".into()),
                        policies: vec![i(label, group)],
                    },
                ],
            };
            (mixed("old", pa, pb), mixed("new", pb, pa))
        }
    }
}

struct Engine {
    store: PolicyStore,
    principal: Principal,
    assume_role: bool,
}

impl Engine {
    fn new(flow: &Flow) -> Engine {
        Engine {
            store: flow.store(),
            principal: flow.principal(),
            assume_role: flow.is_assume_role(),
        }
    }
    fn decide(&self, action: &str, resource: &str, ctx: &RequestContext) -> Outcome {
        self.decide_as(action, resource, ctx, &self.principal, None)
    }
    fn decide_as(
        &self,
        action: &str,
        resource: &str,
        ctx: &RequestContext,
        principal: &Principal,
        group: Option<&str>,
    ) -> Outcome {
        let pairs = [ActionResource::new(action, resource)];
        decide(
            &self.store,
            &Request {
                principal,
                pairs: &pairs,
                context: ctx,
                resource_account: Some(HARNESS_ACCOUNT),
                resource_group: group,
                assume_role: self.assume_role,
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

/// A brute-force request with the facts region membership compares, computed once.
struct Req<'a> {
    /// [`Patterns::action_key`] of the action.
    akey: &'a (Option<&'static str>, Vec<bool>),
    resource: &'a str,
    ctx: &'a RequestContext,
    /// The caller's class key (resource and trust policies).
    pkey: Option<&'a analysis::PrincipalKey>,
    /// The resource-group side.
    gclass: &'a Option<String>,
}

/// Is the request in region `r` (whose witness action has the key `r_akey`)?
fn in_region(
    a: &Analysis,
    r: &Region,
    r_akey: &(Option<&'static str>, Vec<bool>),
    req: &Req<'_>,
) -> bool {
    if req.akey != r_akey {
        return false;
    }
    if let Some(k) = req.pkey {
        if r.principal_key.as_ref() != Some(k) {
            return false;
        }
    }
    if *req.gclass != r.witness.resource_group {
        return false;
    }
    let ctx = req.ctx;
    if !r
        .resource_constraints
        .iter()
        .all(|c| c.admits(req.resource))
    {
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
fn run_pairs(seed: u64, pairs: usize, any_keys: bool, modes: &[Mode]) -> (usize, usize, usize) {
    let mut rng = Rng(seed);
    let mut work: Vec<Work> = Vec::new();
    while work.len() < pairs {
        let mode = if modes.len() == 1 {
            modes[0]
        } else {
            *rng.pick(modes)
        };
        let other_group = mode == Mode::Group && rng.chance(50);
        let fams: Vec<usize> = {
            let mut f: Vec<usize> = (0..FAMILIES.len()).collect();
            for i in 0..f.len() {
                let j = i + rng.below(f.len() - i);
                f.swap(i, j);
            }
            let most = if mode == Mode::Resource { 2 } else { 3 };
            f.truncate(1 + rng.below(most));
            f
        };
        let (ta, tb) = (
            gen_policy(&mut rng, &fams, mode),
            gen_policy(&mut rng, &fams, mode),
        );
        let (Some(pa), Some(pb)) = (read_as(&ta, mode), read_as(&tb, mode)) else {
            continue;
        };
        work.push(Work {
            done: work.len() + 1,
            fams,
            ta,
            tb,
            pa,
            pb,
            mode,
            other_group,
        });
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

/// One random pair.
struct Work {
    done: usize,
    fams: Vec<usize>,
    ta: String,
    tb: String,
    pa: Policy,
    pb: Policy,
    mode: Mode,
    other_group: bool,
}

/// Checks one pair: soundness of every witness, completeness against the brute force. Returns
/// (changed requests checked, witnesses replayed).
fn check_pair(item: &Work, any_keys: bool) -> (usize, usize) {
    let Work {
        done,
        fams,
        ta,
        tb,
        pa,
        pb,
        mode,
        other_group,
    } = item;
    let (done, ta, tb, mode) = (*done, ta.as_str(), tb.as_str(), *mode);
    let options = Options {
        any_keys,
        ..Options::default()
    };
    let mut changes_checked = 0;
    let mut regions_replayed = 0;
    {
        let (fa, fb) = flows(mode, pa, pb, *other_group);
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
            let caller = r
                .witness
                .principal
                .clone()
                .unwrap_or_else(|| fa.principal());
            let group = r.witness.resource_group.as_deref();
            let got = (
                ea.decide_as(&r.witness.action, &r.witness.resource, &ctx, &caller, group),
                eb.decide_as(&r.witness.action, &r.witness.resource, &ctx, &caller, group),
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
        let (actions, resources): (&[&str], &[&str]) = if mode == Mode::Trust {
            (&["sts:AssumeRole", "STS:assumerole"], &[TRUST_ROLE_ARN])
        } else {
            (ACTIONS, RESOURCES)
        };
        let dimension = matches!(mode, Mode::Resource | Mode::Trust);
        let own = [fa.principal()];
        let all_callers = callers();
        let callers: &[Principal] = if dimension { &all_callers } else { &own };
        let groups: &[Option<&str>] = if matches!(mode, Mode::Group | Mode::Mixed) {
            &[None, Some("rg-1"), Some("rg-2"), Some("rg-3")]
        } else {
            &[None]
        };
        let region_akeys: Vec<(Option<&'static str>, Vec<bool>)> = regions
            .iter()
            .map(|r| pats.action_key(&r.witness.action))
            .collect();
        let pkeys: Vec<Option<analysis::PrincipalKey>> = callers
            .iter()
            .map(|c| dimension.then(|| analysis.principal_key(c)))
            .collect();
        let gclasses: Vec<Option<String>> = groups
            .iter()
            .map(|g| analysis.resource_group_class(*g))
            .collect();
        for action in actions {
            let akey = pats.action_key(action);
            for resource in resources {
                if mode != Mode::Trust && !resource_allowed(action, resource) {
                    continue;
                }
                let rkey = pats.resource_key(action, resource);
                for (caller, pkey) in callers.iter().zip(&pkeys) {
                    for (&group, gclass) in groups.iter().zip(&gclasses) {
                        let key = (
                            akey.0,
                            akey.1.clone(),
                            rkey.clone(),
                            pkey.clone(),
                            gclass.clone(),
                        );
                        if !seen.insert(key) {
                            continue;
                        }
                        for ctx in contexts(&used, action, any_keys) {
                            let (da, db) = (
                                ea.decide_as(action, resource, &ctx, caller, group),
                                eb.decide_as(action, resource, &ctx, caller, group),
                            );
                            if da == db {
                                continue;
                            }
                            changes_checked += 1;
                            let req = Req {
                                akey: &akey,
                                resource,
                                ctx: &ctx,
                                pkey: pkey.as_ref(),
                                gclass,
                            };
                            let covered = regions.iter().zip(&region_akeys).any(|(r, rk)| {
                                r.decisions[0].decision == da
                                    && r.decisions[1].decision == db
                                    && in_region(&analysis, r, rk, &req)
                            });
                            assert!(
                        covered,
                        "missed ({mode:?}): {action} on {resource} by {:?} in {group:?} with {:?}: {da:?} -> {db:?}\nold: {ta}\nnew: {tb}\nregions: {:#?}",
                        caller.arns,
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
        }
    }
    (changes_checked, regions_replayed)
}

#[test]
fn exact_diff_is_complete_and_sound_over_random_pairs() {
    let scale: usize = std::env::var("RAMSIM_EXACT_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let t = std::time::Instant::now();
    let (pairs, changes, replayed) =
        run_pairs(0x5EED_0001, scale * 6 / 10, true, &[Mode::Identity]);
    eprintln!(
        "analysis: {} ms",
        ANALYSIS_NS.load(std::sync::atomic::Ordering::Relaxed) / 1_000_000
    );
    eprintln!(
        "any-keys: {pairs} pairs, {changes} changes, {replayed} witnesses in {:?}",
        t.elapsed()
    );
    assert_eq!(pairs, scale * 6 / 10);
    // The generator must actually produce changes for this to mean something.
    assert!(changes > scale, "only {changes} changed requests");
    assert!(replayed > scale / 2, "only {replayed} witnesses");
    // The key-presence model of modeled APIs (absent keys they never receive, always-present
    // envelope keys, keys injected together).
    let (pairs, changes, _) = run_pairs(0x5EED_0002, scale * 15 / 100, false, &[Mode::Identity]);
    eprintln!(
        "model keys: {pairs} pairs, {changes} changes in {:?}",
        t.elapsed()
    );
    assert_eq!(pairs, scale * 15 / 100);
    assert!(changes > scale / 10, "only {changes} changed requests");
    // Every other policy kind: resource and trust policies (the caller a dimension), identity
    // policies at resource-group scope (the resource group a dimension), alone and next to
    // account-scope policies; with and without the key model.
    let kinds = [Mode::Resource, Mode::Trust, Mode::Group, Mode::Mixed];
    let rest = scale - scale * 6 / 10 - scale * 15 / 100;
    let (p1, c1, r1) = run_pairs(0x5EED_0003, rest / 2, true, &kinds);
    let (p2, c2, r2) = run_pairs(0x5EED_0004, rest - rest / 2, false, &kinds);
    eprintln!(
        "other kinds: {} pairs, {} changes, {} witnesses in {:?}",
        p1 + p2,
        c1 + c2,
        r1 + r2,
        t.elapsed()
    );
    assert_eq!(p1 + p2, rest);
    assert!(c1 + c2 > rest, "only {} changed requests", c1 + c2);
    assert!(r1 + r2 > rest / 2, "only {} witnesses", r1 + r2);
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
        let (ta, tb) = (
            gen_policy(&mut rng, &fams, Mode::Identity),
            gen_policy(&mut rng, &fams, Mode::Identity),
        );
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
                        && in_region(&analysis, r, &pats.action_key(&r.witness.action), &Req {
                            akey: &pats.action_key(&action),
                            resource: &resource,
                            ctx: &ctx,
                            pkey: None,
                            gclass: &None,
                        })),
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
        let text = gen_policy(&mut rng, &fams, Mode::Identity);
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
