//! Side-by-side harness (issue 18): ramsim, Cedar, regorus, a naive and a simple indexed Rust
//! evaluator decide the same generated RAM workload; every engine must agree with the naive
//! evaluator on every request it is checked on (the run fails otherwise); per engine and set
//! size it prints load time, memory held, per-decision p50/p99 and ratios within the run.
//!
//! ```sh
//! cd benches/peers
//! CARGO_TARGET_DIR=../../target cargo run --release -- --quick
//! ```
//!
//! Flags: `--quick` (20,000 requests, short budgets), `--requests N` (default 100,000),
//! `--sizes 10,100,1000,10000`, `--engines ramsim,indexed,naive,cedar,regorus`, `--seed S`,
//! `--slow-budget SECS` (time allowed per slow engine for its agreement check and timing; the
//! prefix it decides is a uniform sample since the workload is shuffled), `--check-only`,
//! `--emit DIR` (also write each set as RAM documents `DIR/N/policy-K.json` and its requests as
//! `DIR/N/requests.jsonl`, the input of `ramsim eval --requests`), `--passes K` (time K passes
//! over the requests and report the last: for profilers).

#[path = "../../support/ram_workload.rs"]
mod ram_workload;

mod engines;

use engines::Engine;
use ram_workload::{Catalogue, Decision, Generator, Indexed, Request, Statement};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes, so "memory" is what an engine's loaded form holds.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Timing: one timestamp pair per decision. On x86-64 the time-stamp counter, fenced
// (`lfence; rdtsc`), calibrated against `Instant`, with the empty pair's cost subtracted;
// elsewhere `Instant`.

struct Clock {
    ns_per_tick: f64,
    overhead_ticks: f64,
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn ticks() -> u64 {
    // SAFETY: lfence and rdtsc exist on every x86-64 CPU.
    unsafe {
        std::arch::x86_64::_mm_lfence();
        let t = std::arch::x86_64::_rdtsc();
        std::arch::x86_64::_mm_lfence();
        t
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn ticks() -> u64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

impl Clock {
    fn new() -> Clock {
        let (t0, c0) = (Instant::now(), ticks());
        while t0.elapsed().as_millis() < 50 {
            std::hint::spin_loop();
        }
        let (ns, c) = (t0.elapsed().as_nanos() as f64, ticks() - c0);
        let ns_per_tick = ns / c.max(1) as f64;
        let mut empty: Vec<f64> = (0..20_000)
            .map(|_| {
                let a = ticks();
                (ticks() - a) as f64
            })
            .collect();
        empty.sort_by(f64::total_cmp);
        Clock {
            ns_per_tick,
            overhead_ticks: empty[empty.len() / 2],
        }
    }

    /// Nanoseconds of `f(i)` for each `i` in `0..n`.
    fn per_call(&self, n: usize, mut f: impl FnMut(usize) -> Decision) -> Vec<f64> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let a = ticks();
            black_box(f(black_box(i)));
            let b = ticks();
            out.push(((b - a) as f64 - self.overhead_ticks).max(0.0) * self.ns_per_tick);
        }
        out
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

fn fmt_ns(ns: f64) -> String {
    if ns.is_nan() {
        "—".into()
    } else if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn fmt_bytes(b: isize) -> String {
    let b = b.max(0) as f64;
    if b < 1024.0 * 1024.0 {
        format!("{:.0} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Ramsim,
    Indexed,
    Naive,
    Cedar,
    Regorus,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Ramsim,
        Kind::Indexed,
        Kind::Naive,
        Kind::Cedar,
        Kind::Regorus,
    ];
    fn name(self) -> &'static str {
        match self {
            Kind::Ramsim => "ramsim",
            Kind::Indexed => "indexed",
            Kind::Naive => "naive",
            Kind::Cedar => "cedar",
            Kind::Regorus => "regorus",
        }
    }
    /// Slow engines decide a time-bounded uniform prefix of the workload.
    fn slow(self) -> bool {
        matches!(self, Kind::Cedar | Kind::Regorus)
    }
}

struct Opts {
    requests: usize,
    sizes: Vec<usize>,
    engines: Vec<Kind>,
    seed: u64,
    slow_budget: f64,
    check_only: bool,
    quick: bool,
    emit: Option<String>,
    passes: usize,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        requests: 100_000,
        sizes: vec![10, 100, 1_000, 10_000],
        engines: Kind::ALL.to_vec(),
        seed: 1,
        slow_budget: 10.0,
        check_only: false,
        quick: false,
        emit: None,
        passes: 1,
    };
    let mut args = std::env::args().skip(1);
    let mut requests = None;
    let mut budget = None;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--quick" => o.quick = true,
            "--check-only" => o.check_only = true,
            "--emit" => o.emit = Some(value("--emit")?),
            "--passes" => {
                o.passes = value("--passes")?
                    .parse::<usize>()
                    .map_err(|e| format!("--passes: {e}"))?
                    .max(1)
            }
            "--requests" => {
                requests = Some(
                    value("--requests")?
                        .parse()
                        .map_err(|e| format!("--requests: {e}"))?,
                )
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--slow-budget" => {
                budget = Some(
                    value("--slow-budget")?
                        .parse()
                        .map_err(|e| format!("--slow-budget: {e}"))?,
                )
            }
            "--sizes" => {
                o.sizes = value("--sizes")?
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .replace('_', "")
                            .parse::<usize>()
                            .map_err(|e| format!("--sizes `{s}`: {e}"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--engines" => {
                o.engines = value("--engines")?
                    .split(',')
                    .map(|s| {
                        Kind::ALL
                            .into_iter()
                            .find(|k| k.name() == s.trim())
                            .ok_or(format!(
                        "--engines: unknown engine `{s}` (ramsim, indexed, naive, cedar, regorus)"
                    ))
                    })
                    .collect::<Result<_, _>>()?
            }
            "-h" | "--help" => {
                println!("usage: ramsim-peers [--quick] [--requests N] [--sizes 10,100,1000,10000] [--engines ramsim,indexed,naive,cedar,regorus] [--seed S] [--slow-budget SECS] [--check-only] [--emit DIR] [--passes K]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    o.requests = requests.unwrap_or(if o.quick { 20_000 } else { 100_000 });
    o.slow_budget = budget.unwrap_or(if o.quick { 3.0 } else { 10.0 });
    if o.requests == 0 {
        return Err("--requests must be at least 1".into());
    }
    Ok(o)
}

struct Row {
    engine: Kind,
    n: usize,
    load_ms: f64,
    memory: isize,
    checked: usize,
    timed: usize,
    p50: f64,
    p99: f64,
    mean: f64,
}

fn load(
    kind: Kind,
    stmts: &[Statement],
    docs: &[String],
    cat: &Catalogue,
) -> Result<Box<dyn Engine>, String> {
    Ok(match kind {
        Kind::Ramsim => Box::new(engines::Ramsim::load(docs)?),
        Kind::Indexed => Box::new(engines::IndexedE(Indexed::load(docs)?, Vec::new())),
        Kind::Naive => Box::new(engines::NaiveE(
            ram_workload::Naive::load(docs)?,
            Vec::new(),
        )),
        Kind::Cedar => {
            let src = engines::to_cedar(stmts, cat)?;
            Box::new(engines::Cedar::load(&src)?)
        }
        Kind::Regorus => Box::new(engines::Rego::load(&engines::to_rego_data(stmts))?),
    })
}

fn run_engine(
    kind: Kind,
    stmts: &[Statement],
    docs: &[String],
    cat: &Catalogue,
    reqs: &[Request],
    reference: &[Decision],
    opts: &Opts,
    clock: &Clock,
) -> Result<Row, String> {
    // Load: the translation from the neutral statements (Cedar, Rego) counts as loading.
    let before = live();
    let t = Instant::now();
    let mut engine = load(kind, stmts, docs, cat)?;
    let mut loads = vec![t.elapsed().as_secs_f64() * 1e3];
    let memory = live() - before;
    // two more loads for a median when they are cheap
    while loads.len() < 3 && loads[0] < 2_000.0 {
        let t = Instant::now();
        drop(black_box(load(kind, stmts, docs, cat)?));
        loads.push(t.elapsed().as_secs_f64() * 1e3);
    }
    // Estimate the cost per decision on a small prefix, then size the checked prefix.
    let probe = 200.min(reqs.len());
    engine.prepare(&reqs[..probe]);
    let t = Instant::now();
    for i in 0..probe {
        black_box(engine.decide(i));
    }
    let est = t.elapsed().as_secs_f64() / probe as f64;
    let checked = if kind.slow() {
        ((opts.slow_budget / 2.0 / est) as usize).clamp(probe, reqs.len())
    } else {
        reqs.len()
    };
    engine.prepare(&reqs[..checked]);
    // Agreement with the naive evaluator (also the warm-up).
    let mut mismatches = Vec::new();
    for (i, want) in reference.iter().enumerate().take(checked) {
        let got = engine.decide(i);
        if got != *want {
            mismatches.push((i, got, *want));
        }
    }
    if !mismatches.is_empty() {
        for (i, got, want) in mismatches.iter().take(3) {
            let r = &reqs[*i];
            eprintln!(
                "MISMATCH {} N={} request #{i}: {} says {}, naive says {}\n  {} {} {:?}\n{}",
                kind.name(),
                stmts.len(),
                kind.name(),
                got.name(),
                want.name(),
                r.action,
                r.resource,
                r.context,
                engine.explain(*i)
            );
        }
        return Err(format!(
            "{}: {} of {checked} decisions disagree with the naive evaluator at N = {}",
            kind.name(),
            mismatches.len(),
            stmts.len()
        ));
    }
    let mut row = Row {
        engine: kind,
        n: stmts.len(),
        load_ms: median(&loads),
        memory,
        checked,
        timed: 0,
        p50: f64::NAN,
        p99: f64::NAN,
        mean: f64::NAN,
    };
    if !opts.check_only {
        let mut lat = Vec::new();
        for _ in 0..opts.passes {
            lat = clock.per_call(checked, |i| engine.decide(i));
        }
        row.timed = lat.len();
        row.mean = lat.iter().sum::<f64>() / lat.len() as f64;
        lat.sort_by(f64::total_cmp);
        row.p50 = percentile(&lat, 0.5);
        row.p99 = percentile(&lat, 0.99);
    }
    Ok(row)
}

/// Writes the set's documents and its requests (one JSON object per line) under `dir/n/`.
fn emit(dir: &str, n: usize, docs: &[String], reqs: &[Request]) -> Result<(), String> {
    use std::io::Write;
    let dir = std::path::Path::new(dir).join(n.to_string());
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (k, d) in docs.iter().enumerate() {
        let f = dir.join(format!("policy-{k}.json"));
        std::fs::write(&f, d).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    let f = dir.join("requests.jsonl");
    let file = std::fs::File::create(&f).map_err(|e| format!("{}: {e}", f.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for r in reqs {
        let ctx: serde_json::Map<String, serde_json::Value> = r
            .context
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        let line = serde_json::json!({"action": r.action, "resource": r.resource, "context": ctx});
        writeln!(out, "{line}").map_err(|e| format!("{}: {e}", f.display()))?;
    }
    out.flush().map_err(|e| format!("{}: {e}", f.display()))
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("ramsim-peers: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ramsim-peers: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Opts) -> Result<(), String> {
    let clock = Clock::new();
    let cat = Catalogue::new();
    let g = Generator { cat: &cat };
    println!(
        "# ramsim side by side — seed {}, {} distinct requests per set, one thread{}\n",
        opts.seed,
        opts.requests,
        if opts.quick { " (--quick)" } else { "" }
    );
    let mut all: Vec<Row> = Vec::new();
    for &n in &opts.sizes {
        let stmts = g.policy(opts.seed, n);
        let docs = ram_workload::to_ram_docs(&stmts);
        let t = Instant::now();
        let oracle = Indexed::new(&stmts);
        let reqs = g.workload(opts.seed, &stmts, opts.requests, &|r| {
            oracle.decide(&oracle.prepare(r))
        });
        let gen_s = t.elapsed().as_secs_f64();
        if let Some(dir) = &opts.emit {
            emit(dir, n, &docs, &reqs)?;
        }
        // Reference decisions: the naive evaluator, on every request.
        let t = Instant::now();
        let naive = ram_workload::Naive::load(&docs)?;
        let reference: Vec<Decision> = reqs
            .iter()
            .map(|r| naive.decide(&ram_workload::Naive::prepare(r)))
            .collect();
        let ref_s = t.elapsed().as_secs_f64();
        let count = |d: Decision| reference.iter().filter(|x| **x == d).count();
        println!(
            "## N = {n} statements ({} documents): {} Allow / {} Deny / {} ImplicitDeny (workload {gen_s:.1} s, naive reference {ref_s:.1} s)\n",
            docs.len(),
            count(Decision::Allow),
            count(Decision::Deny),
            count(Decision::ImplicitDeny)
        );
        println!("| engine | load | memory | agree (checked) | p50 | p99 | mean |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for &kind in &opts.engines {
            let row = run_engine(kind, &stmts, &docs, &cat, &reqs, &reference, opts, &clock)?;
            println!(
                "| {} | {:.2} ms | {} | {} / {} | {} | {} | {} |",
                kind.name(),
                row.load_ms,
                fmt_bytes(row.memory),
                row.checked,
                reqs.len(),
                fmt_ns(row.p50),
                fmt_ns(row.p99),
                fmt_ns(row.mean)
            );
            all.push(row);
        }
        println!();
    }
    if opts.check_only {
        println!("all engines agree on every checked request");
        return Ok(());
    }
    // Summary: p50 per engine and N, with the ratio to ramsim in the same run.
    println!("## p50 per decision (× = engine p50 / ramsim p50, same run)\n");
    let header: Vec<String> = opts.engines.iter().map(|k| k.name().to_string()).collect();
    println!("| N | {} |", header.join(" | "));
    println!("|---:|{}|", vec!["---:"; header.len()].join("|"));
    for &n in &opts.sizes {
        let base = all
            .iter()
            .find(|r| r.n == n && r.engine == Kind::Ramsim)
            .map(|r| r.p50);
        let cells: Vec<String> = opts
            .engines
            .iter()
            .map(|k| match all.iter().find(|r| r.n == n && r.engine == *k) {
                Some(r) => match base {
                    Some(b) if *k != Kind::Ramsim && b > 0.0 => {
                        format!("{} ({:.1}×)", fmt_ns(r.p50), r.p50 / b)
                    }
                    _ => fmt_ns(r.p50),
                },
                None => "—".into(),
            })
            .collect();
        println!("| {n} | {} |", cells.join(" | "));
    }
    println!("\nall engines agree on every checked request (slow engines: a uniform prefix, see the per-N tables)");
    Ok(())
}
