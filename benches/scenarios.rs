//! `ramsim test` throughput (issue: policy-as-code workflows, "Performance"): a corpus of 1,000
//! scenario files — copies of the bundled RD-guardrail scenario (8 gateway steps and 7 decision
//! cases each, coverage collected) — run end to end. Run: `cargo bench --bench scenarios`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ramsim::scenario::{discover, run_file, CoverageCollector};
use std::path::PathBuf;

#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;

fn bench_corpus(c: &mut Criterion) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(repo.join("corpus/rd-guardrail-control.test.json"))
        .expect("corpus scenario");
    // Make the copy self-contained: absolute paths to the world and policies.
    let corpus = repo.join("corpus");
    let text = template
        .replace("\"worlds/", &format!("\"{}/worlds/", corpus.display()))
        .replace("\"../policies/", &format!("\"{}/policies/", repo.display()));
    let dir = std::env::temp_dir().join(format!("ramsim-scenarios-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    for i in 0..1_000 {
        std::fs::write(dir.join(format!("s{i:04}.test.json")), &text).expect("write scenario");
    }
    let files = discover(std::slice::from_ref(&dir)).expect("discover");
    assert_eq!(files.len(), 1_000);
    let mut group = c.benchmark_group("test");
    group.sample_size(10);
    group.bench_function("corpus-1000-scenarios", |b| {
        b.iter(|| {
            let mut coverage = CoverageCollector::default();
            let mut passed = 0usize;
            for f in &files {
                passed += run_file(f, &|_| true, &mut coverage)
                    .iter()
                    .filter(|r| r.passed)
                    .count();
            }
            assert_eq!(passed, 15_000);
            black_box(coverage.report())
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_corpus);
criterion_main!(benches);
