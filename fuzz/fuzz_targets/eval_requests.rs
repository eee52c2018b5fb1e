//! cargo-fuzz target `eval_requests`: a thin wrapper over `fuzz_checks::eval_requests` (tests/fuzz_checks/mod.rs),
//! which `tests/fuzz_corpus.rs` also runs on the committed corpus.
#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::eval_requests(data));
