//! `ramsim test` through the real binary: every output format (insta snapshots), filtering,
//! coverage, and a scenario that fails on purpose in a temp dir.

#[path = "cli_support/mod.rs"]
mod cli_support;
use std::path::Path;

fn ramsim(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = cli_support::ramsim_in(args, cwd);
    (out.code, out.stdout, out.stderr)
}

fn repo() -> &'static Path {
    cli_support::root()
}

#[test]
fn corpus_passes_in_every_format() {
    let (code, human, _) = ramsim(&["test", "corpus/rd-guardrail-control.test.json"], repo());
    assert_eq!(code, 0, "{human}");
    assert!(human.ends_with("15 passed, 0 failed\n"), "{human}");
    insta::assert_snapshot!("test_human", human);

    let (code, json, _) = ramsim(
        &[
            "test",
            "corpus/rd-guardrail-control.test.json",
            "--format",
            "json",
            "--coverage",
        ],
        repo(),
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json output");
    assert_eq!(doc["passed"], 15);
    assert_eq!(doc["failed"], 0);
    insta::assert_json_snapshot!("test_json", doc);

    let (code, junit, _) = ramsim(
        &[
            "test",
            "corpus/rd-guardrail-control.test.json",
            "--format",
            "junit",
        ],
        repo(),
    );
    assert_eq!(code, 0);
    assert!(junit.starts_with("<?xml"));
    insta::assert_snapshot!("test_junit", junit);
}

#[test]
fn filter_and_coverage_threshold() {
    let (code, out, _) = ramsim(&["test", "corpus/", "--filter", "*P-PATH*"], repo());
    assert_eq!(code, 0);
    assert!(out.ends_with("3 passed, 0 failed\n"), "{out}");
    let (code, out, _) = ramsim(&["test", "corpus/", "--filter", "sibling"], repo());
    assert_eq!(code, 0);
    assert!(out.ends_with("2 passed, 0 failed\n"), "{out}");
    // Decision cases alone leave the world's policies unreached: a 100% threshold fails.
    let (code, out, err) = ramsim(
        &[
            "test",
            "corpus/rd-guardrail-control.test.json",
            "--filter",
            "P-ID",
            "--coverage-threshold",
            "100",
        ],
        repo(),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("below the threshold"), "{err}");
    assert!(out.contains("never reached"), "{out}");
}

const FAILING: &str = r#"{
  "name": "fails on purpose",
  "world": {
    "accounts": [{"uid": "1234567890123456", "alias": "A", "cdt_enabled": true}],
    "vpcs": [{"owner": "1234567890123456", "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "v"}],
    "identity": {"accounts": {"A": {
      "policies": [{"name": "read-only", "document": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}]}}],
      "users": [{"name": "reader", "policies": ["read-only"]}]}}}
  },
  "steps": [
    {"name": "reading is allowed", "as": "reader", "call": "aliyun vpc DescribeVpcs --RegionId cn-hangzhou"},
    {"name": "creating is wrongly expected to succeed", "as": "reader", "call": "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.1.0.0/16"},
    {"name": "wrong error code expected", "as": "reader", "call": "aliyun vpc CreateVpc --RegionId cn-hangzhou", "expect": {"error": "QuotaExceeded"}}
  ],
  "cases": [
    {"name": "case expecting Allow", "policies": {"identity": []}, "principal": {"account": "1"}, "action": "vpc:CreateVpc", "expect": "Allow"}
  ]
}"#;

#[test]
fn failing_scenario_reports_expected_actual_and_explanation() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("fail.test.json"), FAILING).expect("write scenario");
    let (code, out, _) = ramsim(&["test", "."], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("1 passed, 3 failed\n"), "{out}");
    assert!(out.contains("expected: success"), "{out}");
    assert!(
        out.contains("actual:   Forbidden: ImplicitDeny (ResourceGroupLevelIdentityBasedPolicy)"),
        "{out}"
    );
    assert!(out.contains("explanation:"), "{out}");
    insta::assert_snapshot!("test_failing_human", out);
    let (_, junit, _) = ramsim(&["test", ".", "--format", "junit"], dir.path());
    assert!(junit.contains("failures=\"3\""), "{junit}");
}

#[test]
fn broken_scenario_files_fail_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("broken.test.json"), "{\"steps\": [").expect("write");
    std::fs::write(
        dir.path().join("noworld.test.json"),
        "{\"steps\": [{\"as\": \"x\", \"call\": \"aliyun vpc DescribeVpcs\"}]}",
    )
    .expect("write");
    let (code, out, _) = ramsim(&["test", "."], dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid scenario"), "{out}");
    assert!(out.contains("steps need a `world`"), "{out}");
    let (code, _, err) = ramsim(&["test", "does-not-exist"], dir.path());
    assert_eq!(code, 2);
    assert!(err.contains("no such file"), "{err}");
    let empty = tempfile::tempdir().expect("temp dir");
    let (code, _, err) = ramsim(&["test", "."], empty.path());
    assert_eq!(code, 2);
    assert!(err.contains("no scenario files"), "{err}");
}

/// Two accounts each hold a policy named `admin`: calls by A's user reach only A's copy, and
/// coverage says so instead of merging the two into one 100 % line.
#[test]
fn coverage_tells_apart_same_named_policies_of_different_accounts() {
    let admin = serde_json::json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:Describe*", "Resource": "*"}]});
    let text = serde_json::json!({
        "world": {
            "accounts": [{"uid": "1234567890123456", "alias": "A"}, {"uid": "2234567890123456", "alias": "B"}],
            "identity": {"accounts": {
                "A": {"policies": [{"name": "admin", "document": admin.clone()}], "users": [{"name": "alice", "policies": ["admin"]}]},
                "B": {"policies": [{"name": "admin", "document": admin}], "users": [{"name": "bob", "policies": ["admin"]}]}
            }}
        },
        "steps": [{"name": "alice reads", "as": "alice", "call": "aliyun vpc DescribeVpcs --RegionId cn-hangzhou"}]
    })
    .to_string();
    let mut coverage = ramsim::scenario::CoverageCollector::default();
    let results = ramsim::scenario::run_text(
        &text,
        "accounts.test.json",
        "accounts",
        std::path::Path::new("."),
        &|_| true,
        &mut coverage,
    );
    assert!(results.iter().all(|r| r.passed), "{results:?}");
    let report = coverage.report();
    let rows: Vec<(&str, &str)> = report
        .statements
        .iter()
        .map(|s| (s.policy.as_str(), s.status))
        .collect();
    assert_eq!(rows, [("admin@A", "matched"), ("admin@B", "never reached")]);
    assert_eq!(report.statement_percent, 50.0);
}
