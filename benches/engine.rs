//! Policy-engine benchmarks (issue: RAM policy engine, "Performance"). Figures go to
//! BENCHMARKS.md. Run: `cargo bench --bench engine`.
//!
//! Synthetic policy sets of N statements over 50 services, with action wildcards (exact,
//! prefix and infix patterns), resource patterns and conditions, are decided against a fixed
//! mix of requests that ends in Allow, ExplicitDeny and ImplicitDeny. The naive linear scan
//! (`PolicySet` statements evaluated one by one, as the spec's reference algorithm does) runs
//! in the same benchmark for the speed-up ratio.

// The side-by-side workload (issue 18), shared with `benches/peers/` by path so both measure the
// same generated sets and requests without the main crate depending on the peers project.
#[path = "support/ram_workload.rs"]
mod ram_workload;

// The same allocator as the `ramsim` binary, so the figures are what users get.
#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ramsim::authz::decide::Stage;
use ramsim::authz::explain::trace_set;
use ramsim::authz::policy_set::{with_folded_action, PairRequest};
use ramsim::authz::{
    decide, ActionResource, EvalOptions, Outcome, PolicySet, PolicySource, PolicyStore, Principal,
    PrincipalKind, Request, RequestContext,
};
use ramsim::policy::pattern::Wildcard;
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};

/// A small deterministic generator (xorshift), so every run benchmarks the same sets.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const VERBS: [&str; 8] = [
    "Describe", "Create", "Delete", "Modify", "List", "Get", "Start", "Stop",
];
const NOUNS: [&str; 8] = [
    "Instance",
    "Vpc",
    "VSwitch",
    "RouteEntry",
    "Bucket",
    "Key",
    "Listener",
    "Rule",
];

fn statement(rng: &mut Rng) -> String {
    let svc = rng.below(50);
    let effect = if rng.below(10) == 0 { "Deny" } else { "Allow" };
    let mut actions = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let verb = VERBS[rng.below(8) as usize];
        let noun = NOUNS[rng.below(8) as usize];
        actions.push(match rng.below(4) {
            0 => format!("\"svc{svc:02}:{verb}*\""),
            1 => format!("\"svc{svc:02}:*{noun}\""),
            _ => format!("\"svc{svc:02}:{verb}{noun}\""),
        });
    }
    let resource = match rng.below(3) {
        0 => "\"*\"".to_string(),
        1 => format!(
            "\"acs:svc{svc:02}:*:*:{}/*\"",
            NOUNS[rng.below(8) as usize].to_lowercase()
        ),
        _ => format!("\"acs:svc{svc:02}:cn-*:*:*/id-{}*\"", rng.below(10)),
    };
    let condition = match rng.below(4) {
        0 => r#","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}"#
            .to_string(),
        1 => format!(
            r#","Condition":{{"StringEquals":{{"acs:SourceVpc":"vpc-{}"}}}}"#,
            rng.below(4)
        ),
        _ => String::new(),
    };
    format!(
        r#"{{"Effect":"{effect}","Action":[{}],"Resource":{resource}{condition}}}"#,
        actions.join(",")
    )
}

/// N statements as policy documents of at most 15 statements (RAM's 6,144-character limit).
fn documents(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut docs = Vec::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(15);
        let stmts: Vec<String> = (0..k).map(|_| statement(&mut rng)).collect();
        docs.push(format!(
            r#"{{"Version":"1","Statement":[{}]}}"#,
            stmts.join(",")
        ));
        left -= k;
    }
    docs
}

fn compile(docs: &[String]) -> PolicySet {
    let mut set = PolicySet::new();
    for (i, d) in docs.iter().enumerate() {
        if let Some(p) = read_policy(d, PolicyKind::Identity, &ReadOptions::default()).policy {
            set.add(&p, PolicySource::custom(&format!("p{i}")), None);
        }
    }
    set
}

struct Case {
    pairs: Vec<ActionResource>,
    context: RequestContext,
}

/// A fixed request mix with each outcome represented (about a third each where possible).
fn request_mix(store: &PolicyStore, principal: &Principal, seed: u64) -> Vec<Case> {
    let mut rng = Rng(seed);
    let mut by_outcome: [Vec<Case>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..20_000 {
        let svc = rng.below(50);
        let action = format!(
            "svc{svc:02}:{}{}",
            VERBS[rng.below(8) as usize],
            NOUNS[rng.below(8) as usize]
        );
        let resource = format!(
            "acs:svc{svc:02}:cn-hangzhou:123:{}/id-{}",
            NOUNS[rng.below(8) as usize].to_lowercase(),
            rng.below(20)
        );
        let mut context = RequestContext::new();
        context.insert(
            "acs:SourceIp",
            if rng.below(2) == 0 {
                "10.1.2.3"
            } else {
                "8.8.8.8"
            },
        );
        context.insert("acs:SourceVpc", format!("vpc-{}", rng.below(4)));
        let case = Case {
            pairs: vec![ActionResource::new(action, resource)],
            context,
        };
        let req = Request {
            principal,
            pairs: &case.pairs,
            context: &case.context,
            resource_account: None,
            resource_group: None,
            assume_role: false,
        };
        let slot = match decide(store, &req, &EvalOptions::default()).outcome {
            Outcome::Allow => 0,
            Outcome::ExplicitDeny => 1,
            Outcome::ImplicitDeny => 2,
        };
        if by_outcome[slot].len() < 22 {
            by_outcome[slot].push(case);
        }
    }
    by_outcome.into_iter().flatten().collect()
}

fn bench_decide(c: &mut Criterion) {
    let principal = Principal::new(PrincipalKind::RamUser, "123", "alice");
    let options = EvalOptions::default();
    let mut group = c.benchmark_group("decide");
    for n in [10usize, 100, 1_000, 10_000] {
        let store = PolicyStore {
            identity: compile(&documents(n, 42)),
            ..PolicyStore::default()
        };
        let cases = request_mix(&store, &principal, 7);
        group.throughput(Throughput::Elements(cases.len() as u64));
        group.bench_with_input(BenchmarkId::new("indexed", n), &n, |b, _| {
            b.iter(|| {
                for case in &cases {
                    let req = Request {
                        principal: &principal,
                        pairs: &case.pairs,
                        context: &case.context,
                        resource_account: None,
                        resource_group: None,
                        assume_role: false,
                    };
                    black_box(decide(&store, &req, &options));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("linear-scan", n), &n, |b, _| {
            b.iter(|| {
                for case in &cases {
                    for pair in &case.pairs {
                        with_folded_action(&pair.action, |action| {
                            let req = PairRequest {
                                action,
                                resource: &pair.resource,
                                context: &case.context,
                                principal: &principal,
                                options: &options,
                            };
                            black_box(
                                trace_set(&Stage::AccountLevelIdentity, &store.identity, &req)
                                    .outcome,
                            );
                        });
                    }
                }
            })
        });
    }
    group.finish();
}

/// The side-by-side harness's workload (`benches/support/ram_workload.rs`): account-wide
/// statements, ~50 services, five condition keys per request; 2,000 of its distinct requests
/// per iteration (the peers harness times 100,000 one by one).
fn bench_decide_peers_workload(c: &mut Criterion) {
    let principal = Principal::new(PrincipalKind::RamUser, ram_workload::OUR_ACCOUNT, "user");
    let options = EvalOptions::default();
    let mut group = c.benchmark_group("decide-peers-workload");
    for n in [10usize, 1_000, 10_000] {
        let (stmts, reqs) = ram_workload::workload(1, n, 2_000);
        let docs = ram_workload::to_ram_docs(&stmts);
        let store = PolicyStore {
            identity: compile(&docs),
            ..PolicyStore::default()
        };
        assert_eq!(
            store.identity.statements().len(),
            n,
            "every generated document is valid"
        );
        let cases: Vec<Case> = reqs
            .iter()
            .map(|r| {
                let mut context = RequestContext::with_capacity(r.context.len());
                for (k, v) in &r.context {
                    context.insert(k, v.as_str());
                }
                Case {
                    pairs: vec![ActionResource::new(r.action.as_str(), r.resource.as_str())],
                    context,
                }
            })
            .collect();
        group.throughput(Throughput::Elements(cases.len() as u64));
        group.bench_with_input(BenchmarkId::new("ramsim", n), &n, |b, _| {
            b.iter(|| {
                for case in &cases {
                    let req = Request {
                        principal: &principal,
                        pairs: &case.pairs,
                        context: &case.context,
                        resource_account: None,
                        resource_group: None,
                        assume_role: false,
                    };
                    black_box(decide(&store, &req, &options));
                }
            })
        });
        let indexed = ram_workload::Indexed::new(&stmts);
        let prepared: Vec<_> = reqs.iter().map(|r| indexed.prepare(r)).collect();
        group.bench_with_input(BenchmarkId::new("simple-indexed", n), &n, |b, _| {
            b.iter(|| {
                for r in &prepared {
                    black_box(indexed.decide(r));
                }
            })
        });
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let docs = documents(10_000, 42);
    let parsed: Vec<_> = docs
        .iter()
        .filter_map(|d| read_policy(d, PolicyKind::Identity, &ReadOptions::default()).policy)
        .collect();
    let mut group = c.benchmark_group("compile");
    group.sample_size(20);
    group.bench_function("10000-statements", |b| {
        b.iter(|| {
            let mut set = PolicySet::new();
            for (i, p) in parsed.iter().enumerate() {
                set.add(p, PolicySource::custom(&format!("p{i}")), None);
            }
            black_box(set)
        })
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let docs = documents(1_500, 9);
    let bytes: usize = docs.iter().map(String::len).sum();
    let mut group = c.benchmark_group("parse-validate");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("identity-documents", |b| {
        b.iter(|| {
            for d in &docs {
                black_box(read_policy(
                    d,
                    PolicyKind::Identity,
                    &ReadOptions::default(),
                ));
            }
        })
    });
    group.finish();
}

fn bench_wildcard(c: &mut Criterion) {
    let text = "a".repeat(10_000);
    let pattern = Wildcard::new("*a*a*a*a*a*a*a*a*b");
    c.bench_function("wildcard/pathological-10000-miss", |b| {
        b.iter(|| black_box(pattern.matches(black_box(&text))))
    });
    // The matching variant walks every segment: the linear-time path.
    let hit = format!("{text}b");
    c.bench_function("wildcard/pathological-10000-hit", |b| {
        b.iter(|| black_box(pattern.matches(black_box(&hit))))
    });
    let questions = Wildcard::new("*a?a*a?a*a?a*b*");
    c.bench_function("wildcard/pathological-10000-question-marks", |b| {
        b.iter(|| black_box(questions.matches(black_box(&text))))
    });
}

criterion_group!(
    benches,
    bench_decide,
    bench_decide_peers_workload,
    bench_compile,
    bench_parse,
    bench_wildcard
);
criterion_main!(benches);
