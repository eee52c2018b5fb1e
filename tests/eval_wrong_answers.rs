//! `ramsim eval` and `ramsim validate` gave wrong answers (issue 9, "Wrong answers"), through
//! the real binary:
//!
//! - the resource's owner comes from its ARN (`--resource-account` overrides), so an account
//!   root or an identity Allow no longer reaches another account's resource (§6.1, §6.8), and
//!   several resources are each judged with their own owner;
//! - control policies and directory membership are separate facts (`--in-rd false`), and
//!   FullAliyunAccess can be left off per level (`--no-full-aliyun-access-at LEVEL`);
//! - resource policies in the OSS bucket-policy form (`"Principal": ["<uid>", …]` or `"*"`)
//!   are read, validated with positions and evaluated.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::{ramsim, ramsim_in, Output};
use serde_json::{json, Value};
use std::path::Path;

const A: &str = "1234567890123456";
const B: &str = "2234567890123456";
const VPC_B: &str = "acs:vpc:cn-hangzhou:2234567890123456:vpc/vpc-bp1bbbbbbbbbbbbbbbbbb";
const VPC_A: &str = "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-bp1aaaaaaaaaaaaaaaaaa";

fn write(dir: &Path, name: &str, doc: &Value) -> String {
    std::fs::write(dir.join(name), doc.to_string()).expect("write policy");
    name.to_string()
}

fn allow(actions: &str) -> Value {
    json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
}

fn eval(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["eval", "--format", "json"];
    all.extend_from_slice(args);
    ramsim_in(&all, dir)
}

fn decision(out: &Output) -> String {
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr));
    v["decision"].as_str().unwrap_or_default().to_string()
}

#[test]
fn the_resource_owner_comes_from_the_arn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let admin = write(d, "admin.json", &allow("*"));

    // An account root on another account's VPC: not its resource, no bypass.
    let root = eval(
        d,
        &[
            "--principal-type",
            "Root",
            "--account",
            A,
            "--action",
            "vpc:DeleteVpc",
            "--resource",
            VPC_B,
        ],
    );
    assert_eq!(decision(&root), "ImplicitDeny", "{}", root.stdout);
    assert_eq!(root.code, 1);
    // ... and on its own VPC, full access.
    let own = eval(
        d,
        &[
            "--principal-type",
            "Root",
            "--account",
            A,
            "--action",
            "vpc:DeleteVpc",
            "--resource",
            VPC_A,
        ],
    );
    assert_eq!(decision(&own), "Allow", "{}", own.stdout);

    // A RAM user's identity Allow does not reach account B's VPC (§6.8).
    let user = eval(
        d,
        &[
            "--identity",
            &admin,
            "--account",
            A,
            "--principal-id",
            "netops",
            "--action",
            "vpc:DeleteVpc",
            "--resource",
            VPC_B,
        ],
    );
    assert_eq!(decision(&user), "ImplicitDeny", "{}", user.stdout);

    // --resource-account says otherwise (the ARN's account field is then ignored).
    let said = eval(
        d,
        &[
            "--identity",
            &admin,
            "--account",
            A,
            "--principal-id",
            "netops",
            "--action",
            "vpc:DeleteVpc",
            "--resource",
            VPC_B,
            "--resource-account",
            A,
        ],
    );
    assert_eq!(decision(&said), "Allow", "{}", said.stdout);

    // Two resources, two owners: each is judged with its own; the foreign one decides.
    let both = eval(
        d,
        &[
            "--principal-type",
            "Root",
            "--account",
            A,
            "--action",
            "vpc:DescribeVpcAttribute",
            "--resource",
            VPC_A,
            "--resource",
            VPC_B,
        ],
    );
    assert_eq!(decision(&both), "ImplicitDeny", "{}", both.stdout);
    let v: Value = serde_json::from_str(&both.stdout).expect("json");
    assert_eq!(v["resource"], json!(VPC_B));

    // Wildcard or empty account fields name no owner: the caller's own account.
    let any = eval(
        d,
        &[
            "--identity",
            &admin,
            "--account",
            A,
            "--action",
            "vpc:DeleteVpc",
            "--resource",
            "acs:vpc:*:*:vpc/*",
            "--resource",
            "*",
        ],
    );
    assert_eq!(decision(&any), "Allow", "{}", any.stdout);
}

#[test]
fn batch_requests_take_the_owner_from_the_arn_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let admin = write(d, "admin.json", &allow("*"));
    let lines = [
        json!({"id": 1, "action": "vpc:DeleteVpc", "resource": VPC_B}),
        json!({"id": 2, "action": "vpc:DeleteVpc", "resource": VPC_B, "resource_account": A}),
        json!({"id": 3, "action": "vpc:DeleteVpc", "resource": VPC_A}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    std::fs::write(d.join("requests.jsonl"), lines).expect("write");
    let out = ramsim_in(
        &[
            "eval",
            "--identity",
            &admin,
            "--account",
            A,
            "--requests",
            "requests.jsonl",
        ],
        d,
    );
    let decisions: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["decision"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        decisions,
        ["ImplicitDeny", "Allow", "Allow"],
        "{}",
        out.stdout
    );
}

#[test]
fn directory_membership_and_control_policies_are_separate_facts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let admin = write(d, "admin.json", &allow("*"));
    let deny_all = write(
        d,
        "deny-all.json",
        &json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}),
    );
    let base = [
        "--identity",
        admin.as_str(),
        "--account",
        A,
        "--action",
        "vpc:CreateVpc",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        eval(d, &args)
    };
    // Control policies given: the account is in the directory unless told otherwise.
    assert_eq!(decision(&with(&["--control", &deny_all])), "ExplicitDeny");
    let outside = with(&["--control", &deny_all, "--in-rd", "false"]);
    assert_eq!(
        decision(&outside),
        "Allow",
        "{}{}",
        outside.stdout,
        outside.stderr
    );
    assert_eq!(
        decision(&with(&["--control", &deny_all, "--in-rd", "true"])),
        "ExplicitDeny"
    );
    assert_eq!(
        decision(&with(&["--control", &deny_all, "--in-rd"])),
        "ExplicitDeny"
    );

    // --explain says why control policies were skipped.
    let human = ramsim_in(
        &[
            "eval",
            "--identity",
            &admin,
            "--account",
            A,
            "--action",
            "vpc:CreateVpc",
            "--control",
            &deny_all,
            "--in-rd",
            "false",
            "--explain",
        ],
        d,
    );
    assert!(
        human.stdout.contains(
            "control policies: not applied (the account is outside the Resource Directory)"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn full_aliyun_access_can_be_left_off_per_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let admin = write(d, "admin.json", &allow("*"));
    let vpc_only = write(d, "vpc-only.json", &allow("vpc:*"));
    let run = |action: &str, extra: &[&str]| {
        let mut args = vec![
            "--identity",
            admin.as_str(),
            "--account",
            A,
            "--action",
            action,
        ];
        args.extend_from_slice(extra);
        eval(d, &args)
    };
    // An allow-list at the member with FullAliyunAccess detached there only.
    let member = [
        "--control",
        &vpc_only,
        "--no-full-aliyun-access-at",
        "member",
    ];
    assert_eq!(decision(&run("vpc:CreateVpc", &member)), "Allow");
    let ecs = run("ecs:RunInstances", &member);
    assert_eq!(decision(&ecs), "ImplicitDeny", "{}", ecs.stdout);
    let v: Value = serde_json::from_str(&ecs.stdout).expect("json");
    assert_eq!(v["policy_type"], json!("ControlPolicy"));
    // The same allow-list at the root, FullAliyunAccess still on the member: the root decides.
    let root = [
        "--control",
        &format!("{vpc_only}@root"),
        "--no-full-aliyun-access-at",
        "root",
    ];
    assert_eq!(decision(&run("ecs:RunInstances", &root)), "ImplicitDeny");
    assert_eq!(decision(&run("vpc:CreateVpc", &root)), "Allow");
    // A folder with neither FullAliyunAccess nor policies denies everything.
    let folder = ["--in-rd", "--no-full-aliyun-access-at", "folder:fd-prod01"];
    assert_eq!(decision(&run("vpc:CreateVpc", &folder)), "ImplicitDeny");
    // Detached everywhere, attached again at one level.
    let again = [
        "--control",
        &format!("{vpc_only}@member"),
        "--no-full-aliyun-access",
        "--full-aliyun-access-at",
        "root",
    ];
    assert_eq!(decision(&run("vpc:CreateVpc", &again)), "Allow");
    assert_eq!(decision(&run("ecs:RunInstances", &again)), "ImplicitDeny");
    // A bad level is a usage error.
    let bad = run("vpc:CreateVpc", &["--no-full-aliyun-access-at", "folder"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let both = run(
        "vpc:CreateVpc",
        &[
            "--no-full-aliyun-access-at",
            "root",
            "--full-aliyun-access-at",
            "root",
        ],
    );
    assert_eq!(both.code, 2, "{}", both.stderr);

    // --explain lists what is attached at each node.
    let mut args = vec![
        "eval",
        "--identity",
        admin.as_str(),
        "--account",
        A,
        "--action",
        "ecs:RunInstances",
        "--explain",
    ];
    args.extend_from_slice(&member);
    let human = ramsim_in(&args, d);
    assert!(
        human.stdout.contains(&format!(
            "node {A} (member): vpc-only (FullAliyunAccess detached)"
        )),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("node root: FullAliyunAccess"),
        "{}",
        human.stdout
    );
}

#[test]
fn bucket_policy_principals_are_read_validated_and_evaluated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let bucket = format!("acs:oss:*:{B}:examplebucket/*");
    let list = write(
        d,
        "bucket-list.json",
        &json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
            "Principal": ["27737962156157"], "Resource": [bucket]}]}),
    );
    let star = write(
        d,
        "bucket-star.json",
        &json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
            "Principal": "*", "Resource": bucket}]}),
    );
    let account = write(
        d,
        "bucket-account.json",
        &json!({"Version": "1", "Statement": [{"Effect": "Deny", "Action": "oss:GetObject",
            "Principal": [A], "Resource": bucket}]}),
    );
    let ram = write(
        d,
        "bucket-ram.json",
        &json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
            "Principal": {"RAM": [format!("acs:ram::{A}:root")]}, "Resource": bucket}]}),
    );
    for f in [&list, &star, &account, &ram] {
        let out = ramsim_in(&["validate", "--kind", "resource", f], d);
        assert_eq!(out.code, 0, "{f}: {}{}", out.stdout, out.stderr);
    }
    let object = format!("acs:oss:*:{B}:examplebucket/report.csv");
    let get = |policy: &str, id: &str| {
        eval(
            d,
            &[
                "--resource-policy",
                policy,
                "--account",
                A,
                "--principal-id",
                id,
                "--action",
                "oss:GetObject",
                "--resource",
                &object,
            ],
        )
    };
    // The RAM user named by its UID; another user of the same account is not named.
    assert_eq!(decision(&get(&list, "27737962156157")), "Allow");
    assert_eq!(decision(&get(&list, "27737962156158")), "ImplicitDeny");
    // "*" names everybody; an account UID names every identity of the account.
    assert_eq!(decision(&get(&star, "anyone")), "Allow");
    assert_eq!(decision(&get(&account, "anyone")), "ExplicitDeny");
    assert_eq!(decision(&get(&ram, "anyone")), "Allow");
    // A role session named in the OSS form `arn:sts::<uid>:assumed-role/<role>/<session>`.
    let role = write(
        d,
        "bucket-role.json",
        &json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:GetObject",
            "Principal": [format!("arn:sts::{A}:assumed-role/reader/*")], "Resource": bucket}]}),
    );
    let session = |id: &str| {
        eval(
            d,
            &[
                "--resource-policy",
                &role,
                "--account",
                A,
                "--principal-type",
                "AssumedRoleUser",
                "--principal-id",
                id,
                "--action",
                "oss:GetObject",
                "--resource",
                &object,
            ],
        )
    };
    assert_eq!(decision(&session("reader/s1")), "Allow");
    assert_eq!(decision(&session("writer/s1")), "ImplicitDeny");
}

#[test]
fn bucket_policy_errors_have_precise_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let text = "{\"Version\": \"1\", \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"oss:GetObject\", \"Resource\": \"*\",\n   \"Principal\": [\"123\", 5]},\n  {\"Effect\": \"Allow\", \"Action\": \"oss:GetObject\", \"Resource\": \"*\", \"Principal\": []}\n]}";
    std::fs::write(d.join("bad.json"), text).expect("write");
    let out = ramsim_in(
        &[
            "validate", "--kind", "resource", "--format", "json", "bad.json",
        ],
        d,
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).expect("json");
    let findings: Vec<(String, u64, u64)> = v["files"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        findings.contains(&("Statement[0].Principal[1]".to_string(), 3, 25)),
        "{findings:?}\n{}",
        out.stdout
    );
    assert!(
        findings
            .iter()
            .any(|(p, l, _)| p == "Statement[1].Principal" && *l == 4),
        "{findings:?}"
    );
    // A trust policy keeps the object form: the bare form is an error there.
    std::fs::write(
        d.join("trust.json"),
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":["123"]}]}"#,
    )
    .expect("write");
    let trust = ramsim_in(&["validate", "--kind", "trust", "trust.json"], d);
    assert_eq!(trust.code, 1, "{}{}", trust.stdout, trust.stderr);
    assert!(
        trust.stdout.contains("Statement[0].Principal"),
        "{}",
        trust.stdout
    );
}

#[test]
fn the_cli_smoke_example_still_decides_the_same() {
    // The CI recipe: the seed's guardrail as a control policy at the root denies peering
    // outside the allowed path (exit 1).
    let out = ramsim(&[
        "eval",
        "--identity",
        "policies/network-admin.json",
        "--control",
        "policies/guardrail-rd-path.json@root",
        "--account",
        A,
        "--action",
        "vpc:CreateVpcPeerConnection",
        "--context",
        "acs:TargetRDId=rd-xxxxxx",
        "--context",
        "acs:TargetRDPath=rd-xxxxxx/r-xxxxxx/fd-zzzzzz/333",
    ]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("decision: ExplicitDeny (ControlPolicy)"),
        "{}",
        out.stdout
    );
}
