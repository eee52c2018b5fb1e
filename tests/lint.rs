//! CLI tests of `ramsim lint`: the real binary on the fixtures in `tests/fixtures/lint/`, every
//! output format snapshotted with `insta`, exit codes asserted, and the SARIF output validated
//! against the official SARIF 2.1.0 schema (`tests/fixtures/sarif-schema-2.1.0.json`).
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test lint`, then review every changed
//! file in `tests/snapshots/`.

#[path = "cli_support/mod.rs"]
mod cli_support;
use cli_support::{ramsim, root, Output};

const NOW: &str = "2026-01-01T00:00:00Z";
const FORMATS: [&str; 4] = ["human", "json", "sarif", "github"];

/// One snapshot case: a fixture with its extra flags, linted in every format.
struct Case {
    name: &'static str,
    file: &'static str,
    flags: &'static [&'static str],
    /// Rule codes the fixture must produce (in order), checked outside the snapshots too.
    codes: &'static [&'static str],
    exit: i32,
}

const CASES: &[Case] = &[
    Case {
        name: "clean",
        file: "clean.json",
        flags: &[],
        codes: &[],
        exit: 0,
    },
    Case {
        name: "guardrail_mistakes",
        file: "guardrail-mistakes.json",
        flags: &["--kind", "control"],
        codes: &["L001", "L002", "L003", "L008", "L001"],
        exit: 0,
    },
    Case {
        name: "actions",
        file: "actions.json",
        flags: &[],
        codes: &["L004", "L006", "L005", "L007", "L007"],
        exit: 0,
    },
    Case {
        name: "redundant",
        file: "redundant.json",
        flags: &[],
        codes: &["L010", "L008", "L009", "L008"],
        exit: 0,
    },
    Case {
        name: "conditions",
        file: "conditions.json",
        flags: &[],
        codes: &["L011", "L013", "L014", "L016", "L015"],
        exit: 0,
    },
    Case {
        name: "control_deny_only",
        file: "control-deny-only.json",
        flags: &["--kind", "control", "--full-aliyun-access-detached"],
        codes: &["L012"],
        exit: 0,
    },
    Case {
        name: "invalid",
        file: "invalid.json",
        flags: &[],
        codes: &["V4", "V7"],
        exit: 1,
    },
];

fn run_case(case: &Case, format: &str) -> Output {
    let path = format!("tests/fixtures/lint/{}", case.file);
    let mut args = vec!["lint", "--now", NOW, "--format", format];
    args.extend_from_slice(case.flags);
    args.push(&path);
    ramsim(&args)
}

#[test]
fn every_format_of_every_case() {
    for case in CASES {
        for format in FORMATS {
            let out = run_case(case, format);
            assert_eq!(
                out.code, case.exit,
                "{} --format {format}: {}",
                case.name, out.stderr
            );
            assert_eq!(out.stderr, "", "{} --format {format}", case.name);
            insta::assert_snapshot!(format!("lint_{}__{format}", case.name), out.stdout);
        }
    }
}

#[test]
fn json_output_lists_the_expected_codes() {
    for case in CASES {
        let out = run_case(case, "json");
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON output");
        let codes: Vec<&str> = v["files"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert_eq!(codes, case.codes, "{}", case.name);
    }
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let schema_text =
        std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json"))
            .expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("compile schema");
    let mut all_files: Vec<String> = CASES
        .iter()
        .map(|c| format!("tests/fixtures/lint/{}", c.file))
        .collect();
    all_files.sort();
    let mut args = vec!["lint", "--now", NOW, "--format", "sarif"];
    args.extend(all_files.iter().map(String::as_str));
    let combined = ramsim(&args);
    let outputs = CASES.iter().map(|c| run_case(c, "sarif")).chain([combined]);
    for out in outputs {
        let log: serde_json::Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        for result in run["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }
    }
    // A run with an invalid file carries errors; the combined one has results of every level.
    let negative = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]});
    assert!(
        !validator.is_valid(&negative),
        "the schema must reject a driver without a name"
    );
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let path = "tests/fixtures/lint/redundant.json";
    assert_eq!(ramsim(&["lint", "--now", NOW, path]).code, 0);
    assert_eq!(
        ramsim(&["lint", "--now", NOW, "--deny-warnings", path]).code,
        1
    );
    // Notes never fail a run.
    let dir = tempfile::tempdir().expect("tempdir");
    let note_only = dir.path().join("oss.json");
    std::fs::write(&note_only, r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:bucket/*"}]}"#).expect("write");
    let out = ramsim(&[
        "lint",
        "--deny-warnings",
        "--format",
        "json",
        note_only.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("\"L005\""));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = ramsim(&["lint", "tests/fixtures/lint/does-not-exist.json"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("does-not-exist.json: cannot read"),
        "{}",
        missing.stderr
    );
    let bad_now = ramsim(&[
        "lint",
        "--now",
        "yesterday",
        "tests/fixtures/lint/clean.json",
    ]);
    assert_eq!(bad_now.code, 2);
    assert!(
        bad_now.stderr.contains("not an ISO 8601 time"),
        "{}",
        bad_now.stderr
    );
    // The other files are still linted when one cannot be read.
    let mixed = ramsim(&[
        "lint",
        "--now",
        NOW,
        "tests/fixtures/lint/does-not-exist.json",
        "tests/fixtures/lint/redundant.json",
    ]);
    assert_eq!(mixed.code, 2);
    assert!(mixed.stdout.contains("L009"));
}

#[test]
fn lint_reports_what_validate_reports() {
    let dir = root().join("tests/fixtures/malformed");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("malformed fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let kind = ["control", "session", "trust"]
            .into_iter()
            .find(|k| name.starts_with(&format!("{k}-")))
            .unwrap_or("identity");
        let file = path.to_str().expect("utf-8 path");
        let validate = ramsim(&["validate", "--kind", kind, "--format", "json", file]);
        let lint = ramsim(&["lint", "--kind", kind, "--format", "json", file]);
        assert_eq!(lint.code, validate.code, "{name}");
        let ids = |out: &Output, field: &str| -> Vec<(String, String)> {
            let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
            v["files"][0]["findings"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|f| f["severity"] == "error")
                        .map(|f| {
                            (
                                f[field].as_str().unwrap_or("").to_string(),
                                f["path"].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut want = ids(&validate, "rule");
        let mut got = ids(&lint, "code");
        want.sort();
        got.sort();
        assert_eq!(got, want, "{name}");
    }
}
