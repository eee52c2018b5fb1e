//! SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format): one run whose
//! `tool.driver.rules` lists every rule the tool can report, and one result per finding with a
//! physical location (file and region) and a logical location (the JSON path).
//!
//! Columns count Unicode scalar values, which SARIF calls `unicodeCodePoints`; `endColumn` is
//! the column just past the region, as SARIF defines it.

use super::{Finding, RuleInfo, Tool};
use serde_json::{json, Map, Value};

/// The schema URI written into `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders `findings` as a SARIF 2.1.0 log with one run of `tool` declaring `rules`.
pub fn render(tool: Tool, rules: &[RuleInfo], findings: &[Finding]) -> Value {
    let rule_objects: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.description },
                "defaultConfiguration": { "level": r.level.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = Map::new();
            result.insert("ruleId".into(), json!(f.code));
            if let Some(index) = rules.iter().position(|r| r.id == f.code) {
                result.insert("ruleIndex".into(), json!(index));
            }
            result.insert("level".into(), json!(f.severity.as_str()));
            result.insert("message".into(), json!({ "text": f.message }));
            result.insert(
                "locations".into(),
                json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file_uri(&f.file) },
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.column.max(1),
                            "endLine": f.end_line.max(f.line).max(1),
                            "endColumn": f.end_column.max(1),
                        }
                    },
                    "logicalLocations": [{ "fullyQualifiedName": f.path, "kind": "element" }]
                }]),
            );
            if let Some(help) = &f.help {
                result.insert("properties".into(), json!({ "help": help }));
            }
            Value::Object(result)
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": tool.name,
                    "version": tool.version,
                    "rules": rule_objects,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A file name as a URI reference: relative paths stay relative (with `/` separators),
/// absolute ones become `file://` URIs; characters outside RFC 3986's unreserved set and `/`
/// are percent-encoded.
pub fn file_uri(path: &str) -> String {
    let normalized = path.replace('\\', "/");
    let mut out = String::new();
    if normalized.starts_with('/') {
        out.push_str("file://");
    }
    for b in normalized.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Level;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(file_uri("policies/a b.json"), "policies/a%20b.json");
        assert_eq!(file_uri("/tmp/x:y.json"), "file:///tmp/x%3Ay.json");
        assert_eq!(file_uri("dir\\é.json"), "dir/%C3%A9.json");
    }

    #[test]
    fn results_point_at_their_rule() {
        let rules = [RuleInfo {
            id: "L001",
            name: "x",
            description: "d",
            level: Level::Warning,
        }];
        let f = Finding {
            file: "p.json".into(),
            line: 1,
            column: 2,
            end_line: 1,
            end_column: 5,
            code: "L001".into(),
            name: "x".into(),
            severity: Level::Warning,
            path: "Statement[0]".into(),
            message: "m".into(),
            help: None,
        };
        let log = render(Tool::ramsim(), &rules, &[f]);
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(
            result["locations"][0]["physicalLocation"]["region"]["endColumn"],
            5
        );
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"],
            "warning"
        );
    }
}
