//! `analyze vacuous` and `analyze redundant` fail closed (issue 14): when the state budget runs
//! out before a statement is decided, the answer is INCOMPLETE with exit 1 — never "nothing
//! found" (exit 0) and never a claim about the undecided statement — in human, JSON and SARIF
//! output. The same files with the default budget get a definite answer, so each case shows the
//! budget (and only the budget) turning a proof into "unknown".
//!
//! The Resource patterns below (`acs:vpc:*:*:vpc*-1`) defeat the readable candidates the
//! analysis tries before an automaton walk (the pattern filled with sample values has no `vpc/`,
//! so it is no VPC ARN; the VPC template filled does not end in `-1`), yet VPC ARNs such as
//! `acs:vpc:cn-hangzhou:1:vpc/vpc-1` match them: only a walk decides, and `--state-budget 1`
//! allows none.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::ramsim;
use serde_json::Value;

/// One statement only a walk shows to take effect.
const ONE_STATEMENT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"acs:vpc:*:*:vpc*-1"}]}"#;

/// An Allow and a Deny on overlapping walk-only resources: neither is redundant.
const NONE_REDUNDANT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"acs:vpc:*:*:vpc*-1"},{"Effect":"Deny","Action":"vpc:CreateVpc","Resource":"acs:vpc:*:*:vpc*-2"}]}"#;

/// Statement 0 is redundant (statement 1 allows the same on every resource), but only a walk
/// proves that its removal changes nothing.
const ONE_REDUNDANT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"acs:vpc:*:*:vpc*-1"},{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"*"}]}"#;

/// Statement 0 is vacuous without any walk (no VPC ARN starts like an ECS one); statement 1
/// needs a walk.
const ONE_VACUOUS_ONE_WALK: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"acs:ecs:*:*:instance/*"},{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"acs:vpc:*:*:vpc*-1"}]}"#;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write policy");
    p.display().to_string()
}

/// Runs `analyze QUESTION FILE --state-budget 1` in every format and checks the fail-closed
/// answer: INCOMPLETE, exit 1, and among the statements exactly `proven` (statement indexes).
fn assert_incomplete(question: &str, file: &str, proven: &[usize]) {
    let human = ramsim(&["analyze", question, file, "--state-budget", "1"]);
    assert_eq!(human.code, 1, "{}\n{}", human.stdout, human.stderr);
    assert!(human.stdout.contains("INCOMPLETE"), "{}", human.stdout);
    if proven.is_empty() {
        assert!(
            human.stdout.contains("answer: unknown — INCOMPLETE"),
            "{}",
            human.stdout
        );
    }
    for answer in [
        "answer: no —",
        "every statement takes effect",
        "removing any statement changes some decision",
    ] {
        assert!(!human.stdout.contains(answer), "{}", human.stdout);
    }
    let listed = human.stdout.matches("Statement[").count();
    assert_eq!(listed, proven.len(), "{}", human.stdout);

    let json = ramsim(&[
        "analyze",
        question,
        file,
        "--state-budget",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 1, "{}\n{}", json.stdout, json.stderr);
    let v: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["incomplete"], true, "{v}");
    assert_eq!(v["stats"]["complete"], false, "{v}");
    let claimed: Vec<u64> = v["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| s["statement"]["statement"].as_u64().expect("index"))
        .collect();
    let want: Vec<u64> = proven.iter().map(|&i| i as u64).collect();
    assert_eq!(claimed, want, "{v}");
    assert_eq!(v["yes"], !proven.is_empty(), "{v}");
    assert!(
        v["summary"]
            .as_str()
            .is_some_and(|s| s.contains("INCOMPLETE")),
        "{v}"
    );

    let sarif = ramsim(&[
        "analyze",
        question,
        file,
        "--state-budget",
        "1",
        "--format",
        "sarif",
    ]);
    assert_eq!(sarif.code, 1, "{}\n{}", sarif.stdout, sarif.stderr);
    let s: Value = serde_json::from_str(&sarif.stdout).expect("sarif");
    let results = s["runs"][0]["results"].as_array().expect("results");
    let rules: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        rules.iter().filter(|r| **r == "A005").count(),
        1,
        "one incomplete result: {}",
        sarif.stdout
    );
    assert_eq!(rules.len(), 1 + proven.len(), "{}", sarif.stdout);
}

/// With the default budget, `analyze QUESTION FILE --format json` answers completely (exit 1:
/// something found) and lists statement 0 alone; returns the answer.
fn complete_answer_names_statement_0(question: &str, file: &str) -> Value {
    let full = ramsim(&["analyze", question, file, "--format", "json"]);
    assert_eq!(full.code, 1, "{}", full.stdout);
    let v: Value = serde_json::from_str(&full.stdout).expect("json");
    // A complete answer leaves the `incomplete` field out and says so in its stats.
    assert!(v.get("incomplete").is_none(), "{v}");
    assert_eq!(v["stats"]["complete"], true, "{v}");
    assert_eq!(v["statements"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["statements"][0]["statement"]["statement"], 0, "{v}");
    v
}

#[test]
fn vacuous_with_the_budget_cut_is_incomplete_not_every_statement_takes_effect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "one.json", ONE_STATEMENT);
    // Enough budget: the walk finds a request, so the statement takes effect (exit 0).
    let full = ramsim(&["analyze", "vacuous", &f]);
    assert_eq!(full.code, 0, "{}\n{}", full.stdout, full.stderr);
    assert!(
        full.stdout
            .contains("answer: no — every statement takes effect on some request"),
        "{}",
        full.stdout
    );
    // No budget for a walk: neither "takes effect" nor "vacuous" is proven.
    assert_incomplete("vacuous", &f, &[]);
}

#[test]
fn vacuous_lists_only_what_is_proven_when_the_budget_cuts_another_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "mixed.json", ONE_VACUOUS_ONE_WALK);
    complete_answer_names_statement_0("vacuous", &f);
    // Statement 0 stays proven (no walk needed); statement 1 is undecided, not claimed.
    assert_incomplete("vacuous", &f, &[0]);
}

#[test]
fn redundant_with_the_budget_cut_is_incomplete_not_nothing_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "none.json", NONE_REDUNDANT);
    let full = ramsim(&["analyze", "redundant", &f]);
    assert_eq!(full.code, 0, "{}\n{}", full.stdout, full.stderr);
    assert!(
        full.stdout
            .contains("answer: no — removing any statement changes some decision"),
        "{}",
        full.stdout
    );
    assert_incomplete("redundant", &f, &[]);
}

#[test]
fn redundant_with_the_budget_cut_claims_no_unproven_statement() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = write(&dir, "one-redundant.json", ONE_REDUNDANT);
    let v = complete_answer_names_statement_0("redundant", &f);
    assert_eq!(v["yes"], true, "{v}");
    // Without a walk the redundancy of statement 0 has no proof: unknown, nothing claimed
    // (statement 1 is proven necessary by a readable witness and is not listed either way).
    assert_incomplete("redundant", &f, &[]);
}
