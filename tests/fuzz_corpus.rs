//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and crash reproducers
//! (`fuzz/regressions/<target>/`) through the same checks the cargo-fuzz targets run
//! (`tests/fuzz_checks`), on the stable toolchain, so a regression of anything the fuzzer once
//! found fails CI. See README.md, "Fuzzing".

#[path = "fuzz_checks/mod.rs"]
mod fuzz_checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every corpus file and reproducer of `target`; reports all failing files at once.
fn replay(target: &str) {
    let check = fuzz_checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .expect("known target");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = files(&root.join("corpus").join(target));
    assert!(
        !corpus.is_empty(),
        "no committed corpus for fuzz target {target}"
    );
    let regressions = files(&root.join("regressions").join(target));
    let mut failures = Vec::new();
    for path in corpus.iter().chain(&regressions) {
        let data = std::fs::read(path).expect("readable corpus file");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs of fuzz target {target} fail:\n{}",
        failures.len(),
        corpus.len() + regressions.len(),
        failures.join("\n")
    );
}

#[test]
fn every_target_is_replayed() {
    let names: Vec<&str> = fuzz_checks::TARGETS.iter().map(|(n, _)| *n).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for name in &names {
        assert!(
            dir.join(format!("{name}.rs")).is_file(),
            "no fuzz target file for {name}"
        );
    }
    for target in files(&dir) {
        let stem = target.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        assert!(
            names.contains(&stem),
            "fuzz target {stem} is not replayed by tests/fuzz_corpus.rs"
        );
    }
}

#[test]
fn policy_reader_corpus() {
    replay("policy_reader");
}

#[test]
fn json_reader_corpus() {
    replay("json_reader");
}

#[test]
fn evaluator_corpus() {
    replay("evaluator");
}

#[test]
fn gateway_decode_corpus() {
    replay("gateway_decode");
}

#[test]
fn world_spec_corpus() {
    replay("world_spec");
}

#[test]
fn aliyun_cli_corpus() {
    replay("aliyun_cli");
}

#[test]
fn invariant_corpus() {
    replay("invariant");
}

#[test]
fn scenario_file_corpus() {
    replay("scenario_file");
}

#[test]
fn eval_requests_corpus() {
    replay("eval_requests");
}
