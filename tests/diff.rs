//! `ramsim diff`: the real binary on `policies/` and `corpus/worlds/` (every output format
//! snapshotted with `insta`, the SARIF output validated against the SARIF 2.1.0 schema, exit
//! codes asserted), and properties: a policy diffed with itself reports nothing, and diff is
//! antisymmetric (what A→B grants, B→A removes, with the same witnesses and counts).
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test diff`, then review the snapshots.

#[path = "cli_support/mod.rs"]
mod cli_support;
use cli_support::{ramsim, root, Output};
use proptest::prelude::*;
use ramsim::diff::{diff, DiffInput, DiffKind, DiffReport, Version};
use ramsim::policy::file::LoadedPolicy;
use ramsim::policy::{read_policy, ReadOptions};
use serde_json::json;

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    code: i32,
}

const CASES: &[Case] = &[
    Case {
        name: "guardrail_path_to_id_over_world",
        args: &[
            "policies/guardrail-rd-path.json",
            "policies/guardrail-rd-id.json",
            "--kind",
            "control",
            "--world",
            "corpus/worlds/peering.json",
        ],
        code: 1,
    },
    Case {
        name: "admin_v2_sampled",
        args: &[
            "policies/network-admin.json",
            "tests/fixtures/diff/network-admin-v2.json",
            "--sampled",
        ],
        code: 1,
    },
    Case {
        name: "guardrail_path_to_id",
        args: &[
            "policies/guardrail-rd-path.json",
            "policies/guardrail-rd-id.json",
            "--kind",
            "control",
        ],
        code: 1,
    },
    Case {
        name: "readonly_to_admin_world",
        args: &[
            "policies/vpc-readonly.json",
            "policies/network-admin.json",
            "--state",
            "corpus/worlds/peering.json",
        ],
        code: 1,
    },
    Case {
        name: "admin_to_readonly_session",
        args: &[
            "policies/network-admin.json",
            "policies/vpc-readonly.json",
            "--kind",
            "session",
        ],
        code: 0,
    },
    Case {
        name: "admin_v2_replay_audit",
        args: &[
            "policies/network-admin.json",
            "tests/fixtures/diff/network-admin-v2.json",
            "--state",
            "corpus/worlds/peering.json",
            "--requests",
            "tests/fixtures/diff/peering-audit.jsonl",
        ],
        code: 1,
    },
    Case {
        name: "admin_v2_replay_eval_lines",
        args: &[
            "policies/network-admin.json",
            "tests/fixtures/diff/network-admin-v2.json",
            "--requests",
            "tests/fixtures/diff/requests.jsonl",
        ],
        code: 1,
    },
    Case {
        name: "trust_ci_role_added",
        args: &[
            "tests/fixtures/diff/trust-old.json",
            "tests/fixtures/diff/trust-new.json",
            "--kind",
            "trust",
        ],
        code: 1,
    },
    Case {
        name: "bucket_policy_second_account",
        args: &[
            "tests/fixtures/diff/bucket-old.json",
            "tests/fixtures/diff/bucket-new.json",
            "--kind",
            "resource",
        ],
        code: 1,
    },
    Case {
        name: "resource_group_scope",
        args: &[
            "tests/fixtures/diff/rg-old.json",
            "tests/fixtures/diff/rg-new.json",
            "--kind",
            "resource-group",
            "--resource-group",
            "rg-prod",
        ],
        code: 1,
    },
    Case {
        name: "trust_same",
        args: &[
            "tests/fixtures/diff/trust-new.json",
            "tests/fixtures/diff/trust-new.json",
            "--kind",
            "trust",
        ],
        code: 0,
    },
    Case {
        name: "https_conditions_same",
        args: &[
            "policies/ecs-admin-beijing-https.json",
            "policies/ecs-admin-beijing-https.json",
        ],
        code: 0,
    },
];

fn run_case(c: &Case, format: &str) -> Output {
    let mut args = vec!["diff", "--format", format];
    args.extend_from_slice(c.args);
    ramsim(&args)
}

#[test]
fn every_case_every_format() {
    for c in CASES {
        for format in ["human", "json", "sarif"] {
            let out = run_case(c, format);
            assert_eq!(out.code, c.code, "{} {format}: {}", c.name, out.stderr);
            insta::assert_snapshot!(format!("{}_{format}", c.name), out.stdout);
        }
    }
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let schema_text =
        std::fs::read_to_string(root().join("tests/fixtures/sarif-schema-2.1.0.json"))
            .expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("compile schema");
    for c in CASES {
        let out = run_case(c, "sarif");
        let log: serde_json::Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", c.name);
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["diff", "policies/network-admin.json"],
        vec!["diff", "policies/network-admin.json", "missing.json"],
        vec![
            "diff",
            "policies/network-admin.json",
            "tests/fixtures/malformed/../diff/requests.jsonl",
        ],
        vec![
            "diff",
            "policies/network-admin.json",
            "policies/vpc-readonly.json",
            "--kind",
            "trust",
        ],
        vec![
            "diff",
            "policies/network-admin.json",
            "policies/vpc-readonly.json",
            "--requests",
            "missing.jsonl",
        ],
        vec![
            "diff",
            "tests/fixtures/diff/trust-old.json",
            "tests/fixtures/diff/trust-new.json",
            "--kind",
            "trust",
            "--world",
            "corpus/worlds/peering.json",
        ],
        vec![
            "diff",
            "tests/fixtures/diff/bucket-old.json",
            "tests/fixtures/diff/bucket-new.json",
            "--kind",
            "resource",
            "--sampled",
        ],
    ] {
        let out = ramsim(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
    }
}

fn version(name: &str, doc: &serde_json::Value, kind: DiffKind) -> Option<Version> {
    let text = doc.to_string();
    let policy = read_policy(&text, kind.policy_kind(), &ReadOptions::default()).policy?;
    Some(Version::new(
        LoadedPolicy {
            file: name.into(),
            text,
            policy,
        },
        kind,
    ))
}

fn run(old: &Version, new: &Version, kind: DiffKind) -> DiffReport {
    diff(DiffInput {
        old,
        new,
        kind,
        state: None,
        replay: &[],
        skipped: Vec::new(),
    })
}

const ACTIONS: [&str; 7] = [
    "vpc:*",
    "vpc:Create*",
    "vpc:CreateVpcPeerConnection",
    "vpc:DescribeVpcs",
    "ram:CreateUser",
    "cdt:GetCdtServiceStatus",
    "*",
];
const RESOURCES: [&str; 5] = [
    "*",
    "acs:vpc:*:*:vpc/*",
    "acs:vpc:cn-hangzhou:*:*",
    "acs:ram::*:user/team-*",
    "acs:vpc:*:*:routetable/*",
];

fn condition(i: usize) -> serde_json::Value {
    match i {
        0 => json!(null),
        1 => json!({"StringNotLike": {"acs:TargetRDPath": "rd-1/r-1/fd-1/*"}}),
        2 => json!({"StringEquals": {"acs:TargetRDId": "rd-1"}}),
        3 => json!({"IpAddress": {"acs:SourceIp": "192.0.2.0/24"}}),
        4 => json!({"Bool": {"acs:SecureTransport": "true"}}),
        _ => json!({"DateLessThan": {"acs:CurrentTime": "2025-06-01T00:00:00Z"}}),
    }
}

fn statement() -> impl Strategy<Value = serde_json::Value> {
    (
        any::<bool>(),
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        0usize..6,
    )
        .prop_map(|(allow, a, r, c)| {
            let mut s = json!({
                "Effect": if allow { "Allow" } else { "Deny" },
                "Action": ACTIONS[a],
                "Resource": RESOURCES[r],
            });
            let cond = condition(c);
            if !cond.is_null() {
                s["Condition"] = cond;
            }
            s
        })
}

fn policy() -> impl Strategy<Value = serde_json::Value> {
    prop::collection::vec(statement(), 1..4).prop_map(|st| json!({"Version": "1", "Statement": st}))
}

fn kind() -> impl Strategy<Value = DiffKind> {
    prop_oneof![
        Just(DiffKind::Identity),
        Just(DiffKind::Control),
        Just(DiffKind::Session)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn diff_with_itself_reports_nothing(p in policy(), k in kind()) {
        let Some(a) = version("a.json", &p, k) else { return Ok(()); };
        let Some(b) = version("b.json", &p, k) else { return Ok(()); };
        let r = run(&a, &b, k);
        prop_assert!(r.granted.is_empty() && r.removed.is_empty(), "{:#?}", r.granted);
        prop_assert_eq!(r.deny_changes, 0);
    }

    #[test]
    fn diff_is_antisymmetric(p in policy(), q in policy(), k in kind()) {
        let (Some(a), Some(b)) = (version("a.json", &p, k), version("b.json", &q, k)) else {
            return Ok(());
        };
        let ab = run(&a, &b, k);
        let ba = run(&b, &a, k);
        prop_assert_eq!(ab.granted.len(), ba.removed.len());
        prop_assert_eq!(ab.removed.len(), ba.granted.len());
        prop_assert_eq!(ab.granted_requests(), ba.removed_requests());
        for (x, y) in [(&ab.granted, &ba.removed), (&ab.removed, &ba.granted)] {
            for f in x.iter() {
                let g = y.iter().find(|g| g.witness == f.witness);
                prop_assert!(g.is_some(), "no mirror for {:#?}", f);
                if let Some(g) = g {
                    prop_assert_eq!(g.count, f.count);
                    prop_assert_eq!(&g.old, &f.new);
                    prop_assert_eq!(&g.new, &f.old);
                }
            }
        }
    }
}
