//! Exact analysis benchmarks (issue 14, "Performance"): the exact diff of two 100-statement
//! policies, of two 1,000-statement policy sets (few action patterns, then 1,000 distinct
//! ones), and `analyze implies` on the seed
//! guardrails. Prints the regions explored and the peak resident memory. Figures go to
//! BENCHMARKS.md. Run: `cargo bench --bench analysis -- --measurement-time 3 --warm-up-time 1`.

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

use criterion::{black_box, criterion_group, Criterion};
use ramsim::analysis::{self, render::stats_text, Analysis, Flow, Options, PolicyInput};
use ramsim::authz::Outcome;
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
#[path = "support/policy_sets.rs"]
mod policy_sets;

/// A policy of statements `from..from + n` (read in chunks of 20: RAM's length limit cannot
/// hold 100 statements with conditions; the chunks' statements are joined into one AST).
fn policy(name: &str, from: usize, n: usize, variant: usize) -> PolicyInput {
    let mut merged: Option<ramsim::policy::Policy> = None;
    for text in policy_sets::documents(from, n, variant) {
        let p = read_policy(&text, PolicyKind::Identity, &ReadOptions::default())
            .policy
            .expect("benchmark policy validates");
        match merged.as_mut() {
            None => merged = Some(p),
            Some(m) => m.statements.extend(p.statements),
        }
    }
    PolicyInput::new(name, None, None, merged.expect("at least one chunk"))
}

fn guardrail(name: &str) -> Flow {
    let text = std::fs::read_to_string(format!(
        "{}/policies/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("seed policy");
    let p = read_policy(&text, PolicyKind::Control, &ReadOptions::default())
        .policy
        .expect("valid");
    Flow::control(name, PolicyInput::new(name, None, Some(&text), p), None)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn bench_100(c: &mut Criterion) {
    // Two 100-statement policies.
    let old100 = Flow::identity("old", vec![policy("old", 0, 100, 0)]);
    let new100 = Flow::identity("new", vec![policy("new", 0, 100, 1)]);
    let d = analysis::diff(old100.clone(), new100.clone(), Options::default());
    eprintln!(
        "diff 100: {} regions changed; {}",
        d.regions.len(),
        stats_text(&d.stats)
    );
    c.bench_function("exact diff of two 100-statement policies", |b| {
        b.iter(|| {
            black_box(analysis::diff(
                old100.clone(),
                new100.clone(),
                Options::default(),
            ))
        })
    });
    eprintln!("peak resident memory: {} KiB", peak_rss_kib());
}

/// A set of ten 100-statement policies (version `variant` of the workload).
fn thousand_statements(variant: usize, label: &str) -> Flow {
    Flow::identity(
        label,
        (0..10)
            .map(|k| policy(&format!("{label}-{k}"), k * 100, 100, variant))
            .collect(),
    )
}

fn bench_1000(c: &mut Criterion) {
    let (old1k, new1k) = (thousand_statements(0, "old"), thousand_statements(1, "new"));
    let d = analysis::diff(old1k.clone(), new1k.clone(), Options::default());
    eprintln!(
        "diff 1000: {} regions changed; {}",
        d.regions.len(),
        stats_text(&d.stats)
    );
    let mut g = c.benchmark_group("slow");
    g.sample_size(10);
    g.bench_function("exact diff of two 1,000-statement policy sets", |b| {
        b.iter(|| {
            black_box(analysis::diff(
                old1k.clone(),
                new1k.clone(),
                Options::default(),
            ))
        })
    });
    g.finish();
    eprintln!("peak resident memory: {} KiB", peak_rss_kib());
}

/// A set of `n` statements of the distinct-pattern workload (every statement its own action
/// pattern), read in chunks of 20.
fn distinct_set(label: &str, n: usize, variant: usize) -> Flow {
    let docs = policy_sets::distinct_documents(0, n, variant)
        .iter()
        .enumerate()
        .map(|(k, text)| {
            let p = read_policy(text, PolicyKind::Identity, &ReadOptions::default())
                .policy
                .expect("benchmark policy validates");
            PolicyInput::new(&format!("{label}-{k:02}"), None, None, p)
        })
        .collect();
    Flow::identity(label, docs)
}

fn bench_distinct(c: &mut Criterion) {
    // Two 1,000-statement sets with 1,000 distinct action patterns each.
    let (old, new) = (distinct_set("old", 1_000, 0), distinct_set("new", 1_000, 1));
    let d = analysis::diff(old.clone(), new.clone(), Options::default());
    eprintln!(
        "diff 1000 distinct action patterns: {} regions changed; {}",
        d.regions.len(),
        stats_text(&d.stats)
    );
    let mut g = c.benchmark_group("slow");
    g.sample_size(10);
    g.bench_function(
        "exact diff of two 1,000-statement sets with 1,000 distinct action patterns",
        |b| b.iter(|| black_box(analysis::diff(old.clone(), new.clone(), Options::default()))),
    );
    g.finish();
    eprintln!("peak resident memory: {} KiB", peak_rss_kib());
}

fn bench_guardrails(c: &mut Criterion) {
    // analyze implies on the seed guardrails, both ways.
    let (path, id) = (guardrail("guardrail-rd-path"), guardrail("guardrail-rd-id"));
    let implies = |a: &Flow, b: &Flow| {
        Analysis::new(vec![a.clone(), b.clone()], Options::default())
            .regions(
                &|d| d[0] == Outcome::Allow && d[1] != Outcome::Allow,
                None,
                None,
                1,
            )
            .0
            .len()
    };
    eprintln!(
        "implies path->id: {} counterexamples, id->path: {}",
        implies(&path, &id),
        implies(&id, &path)
    );
    c.bench_function("analyze implies on the seed guardrails (both ways)", |b| {
        b.iter(|| black_box(implies(&path, &id) + implies(&id, &path)))
    });
    eprintln!("peak resident memory: {} KiB", peak_rss_kib());
}

criterion_group!(
    benches,
    bench_guardrails,
    bench_100,
    bench_1000,
    bench_distinct
);

/// `ANALYSIS_ONCE=distinct|1000|100|guardrails`: one run of that case (prepared as the bench
/// prepares it), then its regions, CPU time and peak memory, and no criterion run. For
/// profilers (`perf record`, `valgrind --tool=callgrind`) and `/usr/bin/time -v`.
fn once(case: &str) {
    let cpu = || {
        // utime + stime of this process, in clock ticks (100 per second on Linux).
        std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(") ")?.1.to_string();
                let f: Vec<&str> = rest.split_whitespace().collect();
                Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0)
    };
    let (old, new) = match case {
        "distinct" => (distinct_set("old", 1_000, 0), distinct_set("new", 1_000, 1)),
        "1000" => (thousand_statements(0, "old"), thousand_statements(1, "new")),
        "100" => (
            Flow::identity("old", vec![policy("old", 0, 100, 0)]),
            Flow::identity("new", vec![policy("new", 0, 100, 1)]),
        ),
        "guardrails" => (guardrail("guardrail-rd-path"), guardrail("guardrail-rd-id")),
        other => {
            eprintln!("ANALYSIS_ONCE: unknown case {other} (distinct, 1000, 100, guardrails)");
            std::process::exit(2);
        }
    };
    let options = Options {
        // `ANALYSIS_SYMBOLIC=1`: the resource dimension always searched symbolically.
        enumerate_resources: std::env::var_os("ANALYSIS_SYMBOLIC").is_none(),
        ..Options::default()
    };
    let (t0, c0) = (std::time::Instant::now(), cpu());
    let d = analysis::diff(old, new, options);
    let (wall, ticks) = (t0.elapsed(), cpu() - c0);
    eprintln!(
        "{case}: {} regions changed; {}; {:.3} s wall, {:.2} s CPU; peak resident memory: {} KiB",
        d.regions.len(),
        stats_text(&d.stats),
        wall.as_secs_f64(),
        ticks as f64 / 100.0,
        peak_rss_kib()
    );
}

/// `ANALYSIS_WRITE=DIR ANALYSIS_ONCE=1000|distinct`: writes the case's two sets as
/// `DIR/old/pNN.json` and `DIR/new/pNN.json` (20 statements a document) for `ramsim diff DIR/old
/// DIR/new`, instead of running it.
fn write_sets(case: &str, dir: &std::path::Path) -> std::io::Result<()> {
    for (variant, side) in [(0, "old"), (1, "new")] {
        let docs = match case {
            "distinct" => policy_sets::distinct_documents(0, 1_000, variant),
            _ => policy_sets::documents(0, 1_000, variant),
        };
        let d = dir.join(side);
        std::fs::create_dir_all(&d)?;
        for (k, text) in docs.iter().enumerate() {
            std::fs::write(d.join(format!("p{k:02}.json")), text)?;
        }
    }
    Ok(())
}

fn main() {
    if let (Ok(case), Some(dir)) = (
        std::env::var("ANALYSIS_ONCE"),
        std::env::var_os("ANALYSIS_WRITE"),
    ) {
        if let Err(e) = write_sets(&case, std::path::Path::new(&dir)) {
            eprintln!("ANALYSIS_WRITE: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Ok(case) = std::env::var("ANALYSIS_ONCE") {
        once(&case);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
