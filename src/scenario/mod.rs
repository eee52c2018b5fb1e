//! Policy-as-code tests: scenario files (`*.test.json`) with a world, ordered steps through the
//! gateway and plain decision cases, each with an expected outcome; plus statement and
//! condition coverage of the policies under test.

pub mod coverage;
pub mod flow_steps;
pub mod format;
pub mod junit;
pub mod runner;
pub mod vars;

pub use coverage::{CoverageCollector, CoverageReport};
pub use runner::{discover, run_file, run_file_with, run_text, run_text_with, CaseResult};
