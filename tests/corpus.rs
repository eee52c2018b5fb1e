//! Every corpus scenario (`corpus/**/*.test.json`, what `ramsim test corpus/` runs in CI's
//! smoke step) runs green in-process, so a broken corpus file fails `cargo test` instead of
//! only the smoke step.
//!
//! One test per file would need a build script; one test that runs them all and names every
//! failing case (file, scenario, step, expected, actual) does the same job; a second test
//! checks that no file in `corpus/` escapes discovery (a scenario named without `.test`).

use ramsim::input::FileRefs;
use ramsim::scenario::{discover, run_file_with, CaseResult, CoverageCollector};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus files, relative to the repository root, sorted.
fn corpus_files() -> Vec<PathBuf> {
    let root = repo();
    let files = discover(&[root.join("corpus")]).expect("corpus/ is listable");
    files
        .into_iter()
        .map(|f| f.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(f))
        .collect()
}

fn describe(r: &CaseResult) -> String {
    let mut s = format!(
        "{}\n    expected: {}\n    actual:   {}",
        r.id(),
        r.expected,
        r.actual
    );
    if let Some(d) = &r.details {
        for line in d.lines().take(20) {
            s.push_str("\n    | ");
            s.push_str(line);
        }
    }
    s
}

#[test]
fn every_corpus_scenario_passes() {
    // `ramsim test corpus/` runs from the repository root with the command line's file
    // references; so does this test.
    // (cargo runs integration tests in the package root, where the relative paths resolve.)
    let files = corpus_files();
    let mut coverage = CoverageCollector::default();
    let mut failures = Vec::new();
    let mut empty = Vec::new();
    let mut total = 0usize;
    let mut timings = Vec::new();
    for f in &files {
        let started = Instant::now();
        let refs = FileRefs::for_command_line(f, false);
        let results = run_file_with(f, &|_| true, &mut coverage, &refs);
        timings.push((started.elapsed(), f.display().to_string()));
        if results.is_empty() {
            empty.push(f.display().to_string());
        }
        total += results.len();
        failures.extend(results.iter().filter(|r| !r.passed).map(describe));
    }
    timings.sort();
    eprintln!("{total} cases in {} files; slowest:", files.len());
    for (t, f) in timings.iter().rev().take(5) {
        eprintln!("  {:>8.1} ms  {f}", t.as_secs_f64() * 1000.0);
    }
    assert!(
        empty.is_empty(),
        "scenario files with no case: {}",
        empty.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed (run `ramsim test corpus/` for the full report):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_scenario_file_in_corpus_is_found() {
    // A scenario whose name lost its `.test` (or any other JSON file beside the scenarios)
    // would drop out of both `ramsim test corpus/` and the test above without a failure.
    // World files live in `corpus/worlds/`, where no scenario is.
    let root = repo();
    let found = corpus_files();
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(root.join("corpus")).expect("corpus/ is listable") {
        let path = entry.expect("a corpus entry").path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name else { continue };
        if path.is_dir() {
            continue;
        }
        let rel = Path::new("corpus").join(&name);
        if !name.ends_with(".test.json") || !found.contains(&rel) {
            strays.push(name);
        }
    }
    assert!(
        strays.is_empty(),
        "files in corpus/ that `ramsim test corpus/` does not run: {strays:?}"
    );
    assert!(
        found.len() >= 19,
        "only {} scenario files found under corpus/",
        found.len()
    );
}
