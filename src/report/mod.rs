//! Renderers shared by the commands that report findings on files (`lint`, and later `diff`,
//! `test`): a located [`Finding`] model, a terminal renderer, SARIF 2.1.0 ([`sarif`]) and
//! GitHub Actions workflow commands ([`github`]).

pub mod github;
pub mod sarif;

use crate::policy::diagnostic::write_snippet;
use crate::policy::span::{LineCol, LineIndex};
use serde::Serialize;
use std::fmt::Write as _;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The input is rejected or certainly wrong.
    Error,
    /// Accepted, but probably a mistake.
    Warning,
    /// Worth knowing; never fails a run.
    Note,
}

impl Level {
    /// The lowercase name (`error`, `warning`, `note`), which is also SARIF's `level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

/// A rule a tool can report, as listed in SARIF's `tool.driver.rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable identifier, e.g. `L001` or `V4`.
    pub id: &'static str,
    /// Short kebab-case name, e.g. `redundant-statement`.
    pub name: &'static str,
    /// One sentence saying what the rule catches.
    pub description: &'static str,
    /// The level findings of this rule have.
    pub level: Level,
}

/// The tool that produced the findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// Tool name (`ramsim`).
    pub name: &'static str,
    /// Tool version.
    pub version: &'static str,
}

impl Tool {
    /// This crate, as a tool.
    pub fn ramsim() -> Tool {
        Tool {
            name: "ramsim",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// One finding resolved against its file: everything a renderer needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// File name as given by the user.
    pub file: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start, in Unicode scalar values.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column just past the end, in Unicode scalar values.
    pub end_column: usize,
    /// Rule id (`L001`, `V4`).
    pub code: String,
    /// Rule name (`redundant-statement`).
    pub name: String,
    /// Level.
    pub severity: Level,
    /// JSON path of the element, e.g. `Statement[0].Action[1]`.
    pub path: String,
    /// One lowercase sentence; user input in backticks.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// Renders `finding` for a terminal, against the file's `text`: header, location, the source
/// line with a caret underline, and help (the layout of `ramsim validate`).
pub fn render_human(finding: &Finding, text: &str, index: &LineIndex) -> String {
    let mut out = String::new();
    let f = finding;
    let _ = writeln!(
        out,
        "{}[{}]: {} ({})",
        f.severity.as_str(),
        f.code,
        f.message,
        f.name
    );
    let _ = writeln!(
        out,
        "  --> {}:{}:{} at {}",
        f.file, f.line, f.column, f.path
    );
    let pad = write_snippet(
        &mut out,
        text,
        index,
        LineCol {
            line: f.line,
            column: f.column,
        },
        LineCol {
            line: f.end_line,
            column: f.end_column,
        },
    );
    if let Some(help) = &f.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

/// Counts of findings per level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Notes.
    pub notes: usize,
}

impl Counts {
    /// Counts `findings` by level.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Level::Error => c.errors += 1,
                Level::Warning => c.warnings += 1,
                Level::Note => c.notes += 1,
            }
        }
        c
    }

    /// `2 errors, 1 warning, 0 notes`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.notes, "note")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_rendering_underlines_the_span() {
        let text = "{\n  \"Action\": \"vpc:Craete*\"\n}\n";
        let index = LineIndex::new(text);
        let f = Finding {
            file: "p.json".into(),
            line: 2,
            column: 13,
            end_line: 2,
            end_column: 26,
            code: "L006".into(),
            name: "wildcard-matches-nothing".into(),
            severity: Level::Warning,
            path: "Statement[0].Action".into(),
            message: "`vpc:Craete*` matches no modeled action".into(),
            help: Some("check the spelling".into()),
        };
        let out = render_human(&f, text, &index);
        assert!(out.starts_with(
            "warning[L006]: `vpc:Craete*` matches no modeled action (wildcard-matches-nothing)\n"
        ));
        assert!(out.contains("  --> p.json:2:13 at Statement[0].Action\n"));
        assert!(out.contains("2 |   \"Action\": \"vpc:Craete*\"\n  |             ^^^^^^^^^^^^^\n"));
        assert!(out.ends_with("  = help: check the spelling\n"));
    }

    #[test]
    fn counts_summary() {
        let c = Counts {
            errors: 1,
            warnings: 2,
            notes: 0,
        };
        assert_eq!(c.summary(), "1 error, 2 warnings, 0 notes");
    }
}
