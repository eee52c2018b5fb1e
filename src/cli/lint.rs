//! `ramsim lint`: validation errors plus warnings about documents RAM accepts but that are
//! probably mistakes, as text, JSON, SARIF 2.1.0 or GitHub workflow annotations.

use super::validate::{KindArg, ReadFlags};
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::lint::{lint_text, rules, LintOptions};
use crate::policy::diagnostic::{
    more_findings_line, render_human as render_validation, MAX_HUMAN_FINDINGS,
};
use crate::policy::file::read_text;
use crate::policy::span::LineIndex;
use crate::policy::values::{self, Instant};
use crate::policy::PolicyKind;
use crate::report::{self, github, sarif, Counts, Finding, Tool};
use clap::{Args, ValueEnum};
use std::collections::HashMap;

/// Output format of `ramsim lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Terminal output with source lines and carets.
    Human,
    /// One JSON document with every finding.
    Json,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// Arguments of `ramsim lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Kind of policy the files hold.
    #[arg(long, value_enum, default_value = "identity")]
    pub kind: KindArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: LintFormat,
    /// The current time for date conditions (ISO 8601 or epoch seconds; default: the clock).
    #[arg(long, value_parser = parse_now)]
    pub now: Option<Instant>,
    /// FullAliyunAccess is detached where these control policies are attached.
    #[arg(long)]
    pub full_aliyun_access_detached: bool,
    /// Exit 1 on warnings too (errors always exit 1; notes never do).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Reader options.
    #[command(flatten)]
    pub read: ReadFlags,
    /// Policy files.
    #[arg(required = true)]
    pub files: Vec<String>,
}

fn parse_now(s: &str) -> Result<Instant, String> {
    values::parse_date(s)
        .ok_or_else(|| format!("`{s}` is not an ISO 8601 time such as `2026-01-01T00:00:00Z`"))
}

/// The system clock as an [`Instant`] (nanoseconds since the Unix epoch).
fn clock() -> Option<Instant> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// Per-file result for JSON output.
#[derive(Debug, serde::Serialize)]
struct FileReport<'a> {
    file: &'a str,
    kind: &'static str,
    valid: bool,
    counts: Counts,
    findings: &'a [Finding],
}

/// Runs `ramsim lint`.
pub fn run(args: &LintArgs) -> u8 {
    let kind = PolicyKind::from(args.kind);
    let read = args.read.options();
    let options = LintOptions {
        now: args.now.or_else(clock),
        full_aliyun_access_detached: args.full_aliyun_access_detached,
    };
    let mut io_error = false;
    let mut all: Vec<Finding> = Vec::new();
    let mut files: Vec<(String, bool, Vec<Finding>)> = Vec::new();
    let mut human = String::new();
    for file in &args.files {
        let text = match read_text(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                io_error = true;
                continue;
            }
        };
        let result = lint_text(&text, kind, &read, &options);
        let findings = result.findings(file, &text);
        if args.format == LintFormat::Human {
            let index = LineIndex::new(&text);
            // Validation errors render exactly as `ramsim validate` shows them; look them up
            // once (a document may have tens of thousands of findings).
            let mut validation: HashMap<(&str, String, &str), &crate::policy::Diagnostic> =
                HashMap::new();
            for d in &result.validation {
                validation
                    .entry((d.rule.id_for(kind), d.path.to_string(), d.message.as_str()))
                    .or_insert(d);
            }
            for f in findings.iter().take(MAX_HUMAN_FINDINGS) {
                let rendered = validation
                    .get(&(f.code.as_str(), f.path.clone(), f.message.as_str()))
                    .map(|d| render_validation(file, &text, &index, kind, d));
                human.push_str(&rendered.unwrap_or_else(|| report::render_human(f, &text, &index)));
                human.push('\n');
            }
            if let Some(more) = more_findings_line(findings.len(), MAX_HUMAN_FINDINGS) {
                human.push_str(&more);
            }
            let counts = Counts::of(&findings);
            if findings.is_empty() {
                human.push_str(&format!("{file}: ok ({kind} policy)\n"));
            } else {
                human.push_str(&format!("{file}: {}\n", counts.summary()));
            }
        }
        all.extend(findings.iter().cloned());
        files.push((
            file.clone(),
            !result
                .validation
                .iter()
                .any(|d| d.severity == crate::policy::Severity::Error),
            findings,
        ));
    }
    let output = match args.format {
        LintFormat::Human => Ok(human),
        LintFormat::Github => Ok(github::render(&all)),
        LintFormat::Sarif => {
            serde_json::to_string_pretty(&sarif::render(Tool::ramsim(), &rules(), &all))
                .map(|s| s + "\n")
        }
        LintFormat::Json => {
            let reports: Vec<FileReport> = files
                .iter()
                .map(|(file, valid, findings)| FileReport {
                    file,
                    kind: kind.name(),
                    valid: *valid,
                    counts: Counts::of(findings),
                    findings,
                })
                .collect();
            serde_json::to_string_pretty(&serde_json::json!({
                "files": reports,
                "counts": Counts::of(&all),
            }))
            .map(|s| s + "\n")
        }
    };
    match output {
        Ok(s) => print!("{s}"),
        Err(e) => {
            eprintln!("error: cannot render output: {e}");
            return EXIT_USAGE;
        }
    }
    let counts = Counts::of(&all);
    if io_error {
        EXIT_USAGE
    } else if counts.errors > 0 || (args.deny_warnings && counts.warnings > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
