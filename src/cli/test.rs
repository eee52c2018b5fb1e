//! `ramsim test`: run scenario files and decision cases, print one line per case and a
//! summary, fail on any failure (or on coverage below a threshold).

use super::progress::Progress;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::input::FileRefs;
use crate::policy::pattern::Wildcard;
use crate::scenario::{discover, junit, run_file_with, CaseResult, CoverageCollector};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output format of `ramsim test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per case, failures explained, summary.
    Human,
    /// One JSON document.
    Json,
    /// JUnit XML.
    Junit,
}

/// Arguments of `ramsim test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Scenario files or directories (searched for `*.test.json`); default `corpus/`.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,
    /// Run only cases whose id (`file::scenario::name`) contains PATTERN, or matches it when
    /// PATTERN has `*`/`?` wildcards.
    #[arg(long)]
    pub filter: Option<String>,
    /// Print statement and condition coverage of the policies under test.
    #[arg(long)]
    pub coverage: bool,
    /// Fail when statement coverage is below PCT percent (implies --coverage).
    #[arg(long, value_name = "PCT")]
    pub coverage_threshold: Option<f64>,
    /// Let file references in world and scenario files point outside the directory of each
    /// scenario file and the working directory.
    #[arg(long)]
    pub allow_outside: bool,
}

fn keep_fn(filter: &Option<String>) -> Box<dyn Fn(&str) -> bool> {
    match filter.clone() {
        None => Box::new(|_| true),
        Some(f) if f.contains(['*', '?']) => {
            let w = Wildcard::new(&f);
            Box::new(move |id| w.matches(id))
        }
        Some(f) => Box::new(move |id| id.contains(&f)),
    }
}

/// Runs `ramsim test`.
pub fn run(args: &TestArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("corpus")]
    } else {
        args.paths.clone()
    };
    let files = match discover(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if files.is_empty() {
        eprintln!(
            "error: no scenario files (`*.test.json`) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return EXIT_USAGE;
    }
    let keep = keep_fn(&args.filter);
    let mut coverage = CoverageCollector::default();
    let mut results: Vec<CaseResult> = Vec::new();
    let progress = Progress::new(files.len(), "scenario files");
    for f in &files {
        progress.tick(&f.display().to_string());
        let refs = FileRefs::for_command_line(f, args.allow_outside);
        let file_results = run_file_with(f, &*keep, &mut coverage, &refs);
        if args.format == TestFormat::Human && !file_results.is_empty() {
            println!("{}", f.display());
            for r in &file_results {
                print_human(r);
            }
        }
        results.extend(file_results);
    }
    progress.finish();
    let passed = results.iter().filter(|r| r.passed).count();
    let failed = results.len() - passed;
    let want_coverage = args.coverage || args.coverage_threshold.is_some();
    let report = want_coverage.then(|| coverage.report());
    match args.format {
        TestFormat::Human => {
            if let Some(r) = &report {
                print!("{}", r.render());
            }
            println!("{passed} passed, {failed} failed");
        }
        TestFormat::Json => {
            let doc = serde_json::json!({ "results": results, "passed": passed, "failed": failed, "coverage": report });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        TestFormat::Junit => print!("{}", junit::render(&results)),
    }
    let below = match (args.coverage_threshold, &report) {
        (Some(t), Some(r)) if r.statement_percent < t => {
            eprintln!(
                "coverage {:.1}% is below the threshold of {t}%",
                r.statement_percent
            );
            true
        }
        _ => false,
    };
    if failed > 0 || below {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn print_human(r: &CaseResult) {
    if r.passed {
        println!("  ok    {} :: {}", r.scenario, r.name);
        return;
    }
    println!("  FAIL  {} :: {}", r.scenario, r.name);
    println!("        expected: {}", r.expected);
    println!("        actual:   {}", r.actual);
    if let Some(d) = &r.details {
        for line in d.lines() {
            println!("        | {line}");
        }
    }
}
