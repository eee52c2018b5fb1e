//! CLI argument hygiene and a newcomer's first steps, through the real binary: `ramsim call`
//! takes argv words as the shell passed them, envelope options after the request get a hint,
//! misspelt API names / required parameters / principals get a did-you-mean, world handles
//! work in `call`, inline policies of a world file are located in the world file, and
//! `ramsim show` lists a world.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::{export_in, ramsim_in, root, Output};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A temp directory with `state.json` initialized from `corpus/worlds/peering.json`.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let world = root().join("corpus/worlds/peering.json");
        let r = ramsim_in(
            &[
                "init",
                "--world",
                world.to_str().expect("utf-8 path"),
                "--state",
                "state.json",
                // The repository's world names ../../policies, outside the temp directory.
                "--allow-outside",
            ],
            dir.path(),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        Env { dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        ramsim_in(args, self.dir.path())
    }

    /// `ramsim call --state state.json --as WHO -- WORDS…`
    fn call(&self, who: &str, words: &[&str]) -> Output {
        let mut args = vec!["call", "--state", "state.json", "--as", who, "--"];
        args.extend_from_slice(words);
        self.run(&args)
    }

    /// The state as `ramsim export` prints it (snapshot plus journal).
    fn state_bytes(&self) -> Vec<u8> {
        export_in("state.json", self.dir.path()).into_bytes()
    }

    fn state(&self) -> Value {
        serde_json::from_slice(&self.state_bytes()).expect("state JSON")
    }
}

#[test]
fn call_takes_argv_words_exactly_as_the_shell_passed_them() {
    let env = Env::new();
    // A pretty-printed document with spaces, quotes and newlines, and a description that
    // would inject `--Foo bar` if the words were joined and split again.
    let doc = "{\n  \"Version\": \"1\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"vpc:Describe*\", \"Resource\": \"*\"}]\n}";
    let r = env.call(
        "root@A",
        &[
            "aliyun",
            "ram",
            "CreatePolicy",
            "--PolicyName",
            "readers",
            "--PolicyDocument",
            doc,
            "--Description",
            "team x --Foo bar",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let state = env.state();
    let policy = &state["iam"]["accounts"]["1234567890123456"]["policies"]["readers"];
    assert_eq!(policy["versions"][0]["document"], doc);
    assert_eq!(policy["description"], "team x --Foo bar");
    let event = state["audit"].as_array().unwrap().last().unwrap().clone();
    let event = event.to_string();
    assert!(!event.contains("\"Foo\""), "{event}");
}

#[test]
fn the_single_string_form_still_works() {
    let env = Env::new();
    let r = env.run(&[
        "call",
        "--state",
        "state.json",
        "--as",
        "netops",
        "aliyun vpc DescribeVpcs --RegionId cn-hangzhou",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // …and so do separate words without `--`
    let r = env.run(&[
        "call",
        "--state",
        "state.json",
        "--as",
        "netops",
        "aliyun",
        "vpc",
        "DescribeVpcs",
        "--RegionId",
        "cn-hangzhou",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn envelope_options_after_the_request_get_a_hint() {
    let env = Env::new();
    let before = env.state_bytes();
    for (words, option) in [
        (
            vec![
                "aliyun",
                "vpc",
                "DescribeVpcs",
                "--RegionId",
                "cn-hangzhou",
                "--source-ip",
                "10.0.0.1",
            ],
            "--source-ip",
        ),
        (
            vec![
                "aliyun",
                "vpc",
                "DescribeVpcs",
                "--RegionId",
                "cn-hangzhou",
                "--insecure",
            ],
            "--insecure",
        ),
        (
            vec![
                "aliyun",
                "vpc",
                "DescribeVpcs",
                "--time",
                "2025-01-02T00:00:00Z",
            ],
            "--time",
        ),
    ] {
        let r = env.call("netops", &words);
        assert_eq!(r.code, 2, "{words:?}: {}", r.stdout);
        assert!(
            r.stderr.starts_with(&format!(
                "error: {option} is an envelope option: put it before the request"
            )),
            "{}",
            r.stderr
        );
    }
    assert_eq!(env.state_bytes(), before, "nothing reached the gateway");
}

#[test]
fn misspelt_api_names_and_required_parameters_get_a_did_you_mean() {
    let env = Env::new();
    let r = env.call("netops", &["aliyun", "vpcpeer", "CreateVpcPeerConection"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("HTTP 404 InvalidAction.NotFound"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "did you mean \\\"CreateVpcPeerConnection\\\", `aliyun vpcpeer CreateVpcPeerConnection`?"
        ),
        "{}",
        r.stdout
    );
    let r = env.call(
        "netops",
        &[
            "aliyun",
            "vpcpeer",
            "GetVpcPeerConnectionAttribute",
            "--InstanceID",
            "pcc-x",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("HTTP 400 MissingParameter.InstanceId"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\\\"InstanceID\\\" was given: did you mean \\\"InstanceId\\\"?"),
        "{}",
        r.stdout
    );
    // an API of another product says where it lives, even before its parameters are read
    let r = env.call("netops", &["aliyun", "vpc", "CreateVpcPeerConnection"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("HTTP 404 InvalidAction.NotFound"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("It is an API of VpcPeer: `aliyun vpcpeer CreateVpcPeerConnection`."),
        "{}",
        r.stdout
    );
    let r = env.call(
        "netops",
        &[
            "aliyun",
            "vpc",
            "ListVpcPeerConnections",
            "--RegionId",
            "cn-hangzhou",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("It is an API of VpcPeer: `aliyun vpcpeer ListVpcPeerConnections`."),
        "{}",
        r.stdout
    );
}

#[test]
fn a_mistyped_principal_gets_a_did_you_mean_not_an_access_key_error() {
    let env = Env::new();
    let before = env.state_bytes();
    let r = env.call(
        "netosp",
        &["aliyun", "vpc", "DescribeVpcs", "--RegionId", "cn-hangzhou"],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "error: no principal `netosp` — did you mean `netops`?\n"
    );
    let r = env.call(
        "root@AA",
        &["aliyun", "vpc", "DescribeVpcs", "--RegionId", "cn-hangzhou"],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("did you mean `root@A`?"), "{}", r.stderr);
    assert!(!r.stdout.contains("InvalidAccessKeyId"), "{}", r.stdout);
    assert_eq!(env.state_bytes(), before, "nothing logged");
}

#[test]
fn world_handles_work_in_call() {
    let env = Env::new();
    let r = env.run(&[
        "call",
        "--state",
        "state.json",
        "--as",
        "netops",
        "--format",
        "json",
        "--",
        "aliyun",
        "vpc",
        "DescribeVpcs",
        "--RegionId",
        "cn-hangzhou",
        "--VpcId",
        "${vpc:requester}",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let body: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        body["Vpcs"]["Vpc"][0]["VpcId"], "vpc-bp1myt4sio0b4xszq3ih",
        "{body}"
    );
    // in a JSON request file too
    let request = root().join("examples/request.json");
    let r = env.run(&[
        "call",
        "--state",
        "state.json",
        "--as",
        "netops",
        "--format",
        "json",
        "--request",
        request.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let body: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(body["Vpcs"]["Vpc"][0]["VpcId"], "vpc-bp1myt4sio0b4xszq3ih");
    // the single-string form and every handle kind
    let r = env.run(&[
        "call",
        "--state",
        "state.json",
        "--as",
        "netops",
        "aliyun vpcpeer CreateVpcPeerConnection --RegionId cn-hangzhou --VpcId '${vpc:requester}' --AcceptingAliUid '${uid:B}' --AcceptingRegionId cn-beijing --AcceptingVpcId '${vpc:accepter}'",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.call(
        "netops",
        &[
            "aliyun",
            "vpc",
            "DescribeVpcs",
            "--RegionId",
            "cn-hangzhou",
            "--VpcId",
            "${vpc:requster}",
        ],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: `${vpc:requster}`: no VPC with that name (did you mean `requester`?)\n"
    );
    let r = env.call(
        "netops",
        &["aliyun", "vpc", "DescribeVpcs", "--RegionId", "${pcc}"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a world handle"), "{}", r.stderr);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn inline_policy_errors_point_into_the_world_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let world = r#"{
  "accounts": [{"uid": "1234567890123456", "alias": "A"}],
  "identity": {
    "accounts": {
      "A": {
        "policies": [
          {"name": "ok", "document": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]}},
          {"name": "bad",
           "document": {
             "Version": "1",
             "Statement": [{"Effect": "allow", "Action": "vpc:*", "Resource": "*"}]
           }}
        ]
      }
    }
  }
}
"#;
    write(dir.path(), "world.json", world);
    let r = ramsim_in(
        &["init", "--world", "world.json", "--state", "s.json"],
        dir.path(),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "--> world.json:11:39 at identity.accounts.A.policies[1].document.Statement[0].Effect"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(r#"11 |              "Statement": [{"Effect": "allow", "#),
        "{}",
        r.stderr
    );
    // the string form: positions inside the JSON string literal, escapes accounted for
    let world = r#"{
  "accounts": [{"uid": "1234567890123456", "alias": "A"}],
  "identity": {"accounts": {"A": {"policies": [
    {"name": "s", "document": "{\"Version\": \"1\", \"Statement\": [{\"Effect\": \"Alow\", \"Action\": \"vpc:*\", \"Resource\": \"*\"}]}"}
  ]}}}
}
"#;
    write(dir.path(), "world.json", world);
    let r = ramsim_in(
        &["init", "--world", "world.json", "--state", "s.json"],
        dir.path(),
    );
    assert_eq!(r.code, 2);
    let line = world.lines().nth(3).unwrap();
    let col = line.find(r#"\"Alow\""#).unwrap() + 1;
    assert!(
        r.stderr.contains(&format!(
            "--> world.json:4:{col} at identity.accounts.A.policies[0].document.Statement[0].Effect"
        )),
        "{}",
        r.stderr
    );
    // a role's trust policy and a control policy are located too
    let world = r#"{
  "accounts": [{"uid": "1234567890123456", "alias": "A"}, {"uid": "9234567890123456", "alias": "M"}],
  "resource_directory": {"id": "rd-abc123", "root_folder_id": "r-root01", "management_account": "9234567890123456",
    "members": [{"uid": "1234567890123456", "folder": "r-root01"}]},
  "identity": {
    "control_policies": [{"name": "cp", "attach": ["r-root01"],
      "document": {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "vpc:*"}]}}],
    "accounts": {}
  }
}
"#;
    write(dir.path(), "world.json", world);
    let r = ramsim_in(
        &["init", "--world", "world.json", "--state", "s.json"],
        dir.path(),
    );
    assert_eq!(r.code, 2);
    let col = world
        .lines()
        .nth(6)
        .unwrap()
        .find(r#"{"Effect": "Deny""#)
        .unwrap()
        + 1;
    assert!(
        r.stderr.contains(&format!(
            "--> world.json:7:{col} at identity.control_policies[0].document.Statement[0]\n"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn show_lists_accounts_principals_and_resources() {
    let env = Env::new();
    // a peering, so that every kind of network resource has a row
    let r = env.call(
        "netops",
        &[
            "aliyun",
            "vpcpeer",
            "CreateVpcPeerConnection",
            "--RegionId",
            "cn-hangzhou",
            "--VpcId",
            "${vpc:requester}",
            "--AcceptingAliUid",
            "${uid:B}",
            "--AcceptingRegionId",
            "cn-beijing",
            "--AcceptingVpcId",
            "${vpc:accepter}",
            "--Name",
            "a-to-b",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["show", "--state", "state.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("show_table", r.stdout);
    let r = env.run(&["show", "--state", "state.json", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).expect("json");
    insta::assert_json_snapshot!("show_json", json);
    // every VPC, vSwitch and route-table id of the state file is listed
    let state = env.state();
    for (section, field) in [
        ("vpcs", "vpc_id"),
        ("vswitches", "vswitch_id"),
        ("route_tables", "route_table_id"),
    ] {
        for v in state["world"][section].as_object().unwrap().values() {
            let id = v[field].as_str().unwrap();
            assert!(
                json["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["id"] == id),
                "{id} missing"
            );
        }
    }
    // groups, roles and role sessions
    let world = root().join("tests/fixtures/simulate/teams.json");
    let r = env.run(&[
        "init",
        "--world",
        world.to_str().unwrap(),
        "--state",
        "teams.json",
        "--allow-outside",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run(&[
        "call",
        "--state",
        "teams.json",
        "--as",
        "root@A",
        "--",
        "aliyun",
        "sts",
        "AssumeRole",
        "--RoleArn",
        "acs:ram::1234567890123456:role/networkadmin",
        "--RoleSessionName",
        "ops",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["show", "--state", "teams.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("show_table_roles", r.stdout);
    // a world file works as well as a state file
    let world = root().join("corpus/worlds/escalation.json");
    // (run from the repository: its world names ../../policies, which must stay inside the
    // working directory or the world's own directory)
    let r = ramsim_in(&["show", "--state", world.to_str().unwrap()], root());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("principals ("), "{}", r.stdout);
    let r = env.run(&["show", "--state", "nope.json"]);
    assert_eq!(r.code, 2);
}
