//! `ramsim validate`: check policy documents and report every finding.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::policy::diagnostic::{
    locate, more_findings_line, render_human, Located, MAX_HUMAN_FINDINGS,
};
use crate::policy::file::read_text;
use crate::policy::span::LineIndex;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use clap::{Args, ValueEnum};

/// Policy kind as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Custom RAM policy (identity-based).
    Identity,
    /// Resource Directory control policy.
    Control,
    /// STS session policy.
    Session,
    /// RAM role trust policy.
    Trust,
    /// Resource-based policy (Principal + Resource).
    Resource,
}

impl From<KindArg> for PolicyKind {
    fn from(k: KindArg) -> PolicyKind {
        match k {
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Control => PolicyKind::Control,
            KindArg::Session => PolicyKind::Session,
            KindArg::Trust => PolicyKind::Trust,
            KindArg::Resource => PolicyKind::Resource,
        }
    }
}

/// Output format of diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Terminal output with source lines and carets.
    Human,
    /// One JSON document with every finding.
    Json,
}

/// Reader options shared by every command that reads policies (spec §10).
#[derive(Debug, Clone, Args)]
pub struct ReadFlags {
    /// Reject `NotResource` (§10 Q1; accepted by default outside control policies).
    #[arg(long)]
    pub no_not_resource: bool,
    /// Reject `ForAnyValue:`/`ForAllValues:` (§10 Q2; accepted by default).
    #[arg(long)]
    pub no_set_qualifiers: bool,
    /// Accept `Statement` written as a single object (§10 Q3; rejected by default).
    #[arg(long)]
    pub statement_object: bool,
    /// Accept JSON numbers/booleans as condition values (§10 Q7; rejected by default).
    #[arg(long)]
    pub lenient_values: bool,
}

impl ReadFlags {
    /// The reader options these flags select.
    pub fn options(&self) -> ReadOptions {
        ReadOptions {
            allow_not_resource: !self.no_not_resource,
            set_qualifiers: !self.no_set_qualifiers,
            statement_object: self.statement_object,
            lenient_value_types: self.lenient_values,
        }
    }
}

/// Arguments of `ramsim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Kind of policy the files hold.
    #[arg(long, value_enum, default_value = "identity")]
    pub kind: KindArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Reader options.
    #[command(flatten)]
    pub read: ReadFlags,
    /// Policy files.
    #[arg(required = true)]
    pub files: Vec<String>,
}

/// Per-file result for JSON output.
#[derive(Debug, serde::Serialize)]
struct FileReport {
    file: String,
    kind: &'static str,
    valid: bool,
    characters: usize,
    max_characters: usize,
    findings: Vec<Located>,
}

/// Runs `ramsim validate`.
pub fn run(args: &ValidateArgs) -> u8 {
    let kind = PolicyKind::from(args.kind);
    let options = args.read.options();
    let mut reports = Vec::new();
    let mut io_error = false;
    let mut findings = false;
    for file in &args.files {
        let text = match read_text(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                io_error = true;
                continue;
            }
        };
        let result = read_policy(&text, kind, &options);
        let index = LineIndex::new(&text);
        findings |= !result.diagnostics.is_empty();
        match args.format {
            FormatArg::Human => {
                for d in result.diagnostics.iter().take(MAX_HUMAN_FINDINGS) {
                    print!("{}", render_human(file, &text, &index, kind, d));
                    println!();
                }
                if let Some(more) = more_findings_line(result.diagnostics.len(), MAX_HUMAN_FINDINGS)
                {
                    print!("{more}");
                }
                if result.diagnostics.is_empty() {
                    println!(
                        "{file}: ok ({kind} policy, {} of {} characters)",
                        text.chars().count(),
                        kind.max_length()
                    );
                } else {
                    let n = result.diagnostics.len();
                    println!("{file}: {n} finding{}", if n == 1 { "" } else { "s" });
                }
            }
            FormatArg::Json => reports.push(FileReport {
                file: file.clone(),
                kind: kind.name(),
                valid: !result.has_errors(),
                characters: text.chars().count(),
                max_characters: kind.max_length(),
                findings: result
                    .diagnostics
                    .iter()
                    .map(|d| locate(file, &text, &index, kind, d))
                    .collect(),
            }),
        }
    }
    if args.format == FormatArg::Json {
        match serde_json::to_string_pretty(&serde_json::json!({ "files": reports })) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: cannot render JSON: {e}");
                return EXIT_USAGE;
            }
        }
    }
    if io_error {
        EXIT_USAGE
    } else if findings {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
