//! GitHub Actions workflow commands: one `::error …::message` (or `::warning`, `::notice`)
//! line per finding, which GitHub turns into annotations on the pull request.
//!
//! Escaping follows the runner's rules: in the message, `%`, `\r` and `\n` are percent-encoded;
//! in property values also `:` and `,`. GitHub reads `col`/`endColumn` only for one-line
//! regions and treats `endColumn` as the last annotated column, so it is written inclusive.

use super::{Finding, Level};

/// The workflow command for a level.
pub fn command(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    }
}

/// Escapes a message (the data after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=…`, `title=…`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command line (without the trailing newline) for `f`. The help text, if any,
/// follows the message on a second annotation line.
pub fn annotation(f: &Finding) -> String {
    let mut props = format!(
        "file={},line={},col={}",
        escape_property(&f.file),
        f.line,
        f.column
    );
    if f.end_line > f.line {
        props.push_str(&format!(",endLine={}", f.end_line));
    } else {
        let last = f.end_column.saturating_sub(1).max(f.column);
        props.push_str(&format!(",endLine={},endColumn={last}", f.line));
    }
    props.push_str(&format!(
        ",title={}",
        escape_property(&format!("{} {}", f.code, f.name))
    ));
    let mut message = format!("{} (at {})", f.message, f.path);
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {props}::{}",
        command(f.severity),
        escape_data(&message)
    )
}

/// Every finding as workflow commands, one per line.
pub fn render(findings: &[Finding]) -> String {
    findings.iter().map(|f| annotation(f) + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            file: "a,b:c%.json".into(),
            line: 3,
            column: 5,
            end_line: 3,
            end_column: 9,
            code: "L002".into(),
            name: "like-without-wildcard".into(),
            severity: Level::Warning,
            path: "Statement[0]".into(),
            message: "50% done,\r\nok: yes".into(),
            help: Some("h".into()),
        }
    }

    #[test]
    fn escapes_properties_and_data() {
        assert_eq!(escape_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
        assert_eq!(escape_property("a%b\nc:d,e"), "a%25b%0Ac%3Ad%2Ce");
        assert_eq!(
            annotation(&finding()),
            "::warning file=a%2Cb%3Ac%25.json,line=3,col=5,endLine=3,endColumn=8,title=L002 like-without-wildcard::50%25 done,%0D%0Aok: yes (at Statement[0])%0Ahelp: h"
        );
    }

    #[test]
    fn multi_line_regions_omit_columns_end() {
        let mut f = finding();
        f.end_line = 7;
        f.severity = Level::Note;
        f.help = None;
        assert!(annotation(&f)
            .starts_with("::notice file=a%2Cb%3Ac%25.json,line=3,col=5,endLine=7,title="));
    }
}
