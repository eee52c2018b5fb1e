//! `ramsim init / call / log / clock` through the real binary, in a temp directory: the seed's
//! cross-account peering, a guardrail denial, the audit trail (JSON lines and table), the clock
//! expiring a pending request, and exit codes (0 success, 1 failed call, 2 usage or I/O error).

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const A: &str = "1234567890123456";
const B: &str = "2234567890123456";
const C: &str = "3234567890123456";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("policies")).expect("mkdir");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/network-admin.json"),
            dir.path().join("policies/network-admin.json"),
        )
        .expect("copy policy");
        let guard = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/guardrail-rd-id.json"),
        )
        .expect("seed")
        .replace("rd-xxxxxx", "rd-abc123");
        let world = json!({
            "accounts": [
                {"uid": A, "alias": "A", "cdt_enabled": true},
                {"uid": B, "alias": "B", "cdt_enabled": true},
                {"uid": C, "alias": "C", "cdt_enabled": true},
                {"uid": "9234567890123456", "alias": "M"}
            ],
            "resource_directory": {
                "id": "rd-abc123", "root_folder_id": "r-root01", "management_account": "9234567890123456",
                "folders": [{"id": "fd-prod01", "name": "prod"}],
                "members": [{"uid": A, "folder": "fd-prod01"}, {"uid": B, "folder": "fd-prod01"}]
            },
            "vpcs": [
                {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "172.16.0.0/12", "name": "requester"},
                {"owner": B, "region_id": "cn-beijing", "cidr_block": "192.168.0.0/24", "name": "accepter"},
                {"owner": C, "region_id": "cn-beijing", "cidr_block": "10.30.0.0/16", "name": "outsider"}
            ],
            "identity": {"accounts": {
                "A": {
                    "policies": [
                        {"name": "network-admin", "document": {"file": "policies/network-admin.json"}},
                        {"name": "guardrail-rd-id", "document": guard}
                    ],
                    "users": [{"name": "netops", "policies": ["network-admin", "guardrail-rd-id"]}]
                },
                "B": {
                    "policies": [{"name": "network-admin", "document": {"file": "policies/network-admin.json"}}],
                    "users": [{"name": "netadmin", "policies": ["network-admin"]}]
                }
            }}
        });
        std::fs::write(
            dir.path().join("world.json"),
            serde_json::to_string_pretty(&world).unwrap(),
        )
        .expect("world");
        Env { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> String {
        self.path("state.json").display().to_string()
    }

    /// The state as `ramsim export` prints it (snapshot plus journal; the file is binary).
    fn export(&self) -> String {
        let r = self.run(&["export", "--state", &self.state()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_ramsim"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run ramsim");
        Run {
            code: out.status.code().expect("exit code"),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        }
    }

    fn init(&self) -> Run {
        let r = self.run(&["init", "--world", "world.json", "--state", &self.state()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r
    }

    /// `ramsim call --as <who> <line>`, the line given as one quoted argument.
    fn call(&self, who: &str, line: &str) -> Run {
        self.run(&["call", "--state", &self.state(), "--as", who, line])
    }

    /// `ramsim call --format json`, parsed.
    fn call_json(&self, who: &str, line: &str) -> (i32, Value) {
        let r = self.run(&[
            "call",
            "--state",
            &self.state(),
            "--as",
            who,
            "--format",
            "json",
            line,
        ]);
        (
            r.code,
            serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout)),
        )
    }

    fn vpc(&self, owner: &str, name: &str) -> String {
        let state: Value = serde_json::from_str(&self.export()).unwrap();
        state["world"]["vpcs"]
            .as_object()
            .unwrap()
            .values()
            .find(|v| v["owner_uid"] == owner && v["name"] == name)
            .unwrap_or_else(|| panic!("no vpc {name}"))["vpc_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn log_json(&self) -> Vec<Value> {
        let r = self.run(&["log", "--state", &self.state(), "--format", "json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

fn create(vpc: &str, acc: &str, acc_region: &str, acc_vpc: &str) -> String {
    format!(
        "aliyun vpcpeer CreateVpcPeerConnection --RegionId cn-hangzhou --VpcId {vpc} --AcceptingAliUid {acc} --AcceptingRegionId {acc_region} --AcceptingVpcId {acc_vpc} --Bandwidth 1024 --LinkType Gold"
    )
}

#[test]
fn init_call_log_walkthrough() {
    let env = Env::new();
    let r = env.init();
    assert!(r.stdout.starts_with("initialized "), "{}", r.stdout);
    assert!(
        r.stdout.contains("4 accounts, 2 users, 0 roles, 3 VPCs"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.trim_end().ends_with("clock 2025-01-01T00:00:00Z"),
        "{}",
        r.stdout
    );
    let (req, acc, out) = (
        env.vpc(A, "requester"),
        env.vpc(B, "accepter"),
        env.vpc(C, "outsider"),
    );

    // the seed's cross-account request, as one quoted CLI line
    let r = env.call("netops", &create(&req, B, "cn-beijing", &acc));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("call_success", r.stdout);
    let pcc = r
        .stdout
        .split("\"InstanceId\": \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("InstanceId")
        .to_string();

    // the guardrail denies a peer outside the directory: exit 1, Forbidden.NoPermission
    let r = env.call("netops", &create(&req, C, "cn-beijing", &out));
    assert_eq!(r.code, 1, "{}", r.stdout);
    insta::assert_snapshot!("call_denied", r.stdout);

    // accept with --request file.json, by AccessKey-less user name
    std::fs::write(
        env.path("accept.json"),
        json!({"Action": "AcceptVpcPeerConnection", "Parameters": {"InstanceId": pcc}}).to_string(),
    )
    .unwrap();
    let r = env.run(&[
        "call",
        "--state",
        &env.state(),
        "--as",
        "netadmin",
        "--request",
        "accept.json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("HTTP 200 OK\n"), "{}", r.stdout);
    // the line as separate (unquoted) words, --format json
    let r = env.run(&[
        "call",
        "--state",
        &env.state(),
        "--as",
        "root@B",
        "--format",
        "json",
        "aliyun",
        "vpcpeer",
        "GetVpcPeerConnectionAttribute",
        "--InstanceId",
        &pcc,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(body["Status"], "Activated");

    // log --format json: one event per line, in order, request ids matching
    let events = env.log_json();
    assert_eq!(events.len(), 4);
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "CreateVpcPeerConnection",
            "CreateVpcPeerConnection",
            "AcceptVpcPeerConnection",
            "GetVpcPeerConnectionAttribute"
        ]
    );
    assert_eq!(events[1]["errorCode"], "Forbidden.NoPermission");
    assert_eq!(
        events[1]["accessDeniedDetail"]["NoPermissionType"],
        "ExplicitDeny"
    );
    assert_eq!(events[3]["requestId"], body["RequestId"]);
    // log (table)
    let r = env.run(&["log", "--state", &env.state()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 5);
    insta::assert_snapshot!("log_table", r.stdout);
}

#[test]
fn clock_advance_expires_a_pending_peering() {
    let env = Env::new();
    env.init();
    let (req, acc) = (env.vpc(A, "requester"), env.vpc(B, "accepter"));
    let (code, body) = env.call_json("root@A", &create(&req, B, "cn-beijing", &acc));
    assert_eq!(code, 0, "{body}");
    let pcc = body["InstanceId"].as_str().unwrap().to_string();
    let r = env.run(&["clock", "--state", &env.state()]);
    assert_eq!((r.code, r.stdout.trim()), (0, "2025-01-01T00:00:00Z"));
    let r = env.run(&["clock", "--state", &env.state(), "--advance", "8d"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "2025-01-09T00:00:00Z AliyunServiceEvent VpcPeerConnectionExpired {pcc}"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .trim_end()
            .ends_with("clock: 2025-01-01T00:00:00Z -> 2025-01-09T00:00:00Z"),
        "{}",
        r.stdout
    );
    let (code, body) = env.call_json(
        "root@B",
        &format!("aliyun vpcpeer GetVpcPeerConnectionAttribute --InstanceId {pcc}"),
    );
    assert_eq!((code, body["Status"].as_str()), (0, Some("Expired")));
    let (code, body) = env.call_json(
        "root@B",
        &format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}"),
    );
    assert_eq!(
        (code, body["Code"].as_str()),
        (1, Some("IncorrectStatus.VpcPeer"))
    );
    // the clock never goes back
    let r = env.run(&[
        "clock",
        "--state",
        &env.state(),
        "--to",
        "2025-01-02T00:00:00Z",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("never goes back"), "{}", r.stderr);
    let events = env.log_json();
    assert!(events
        .iter()
        .any(|e| e["eventType"] == "AliyunServiceEvent"
            && e["eventName"] == "VpcPeerConnectionExpired"));
}

#[test]
fn exit_codes() {
    let env = Env::new();
    let state = env.state();
    // no state yet: usage / I/O error
    let r = env.run(&[
        "call",
        "--state",
        &state,
        "--as",
        "root@A",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
    let r = env.run(&["log", "--state", &state]);
    assert_eq!(r.code, 2);
    let r = env.run(&["init", "--world", "nope.json", "--state", &state]);
    assert_eq!(r.code, 2);
    assert!(!env.path("state.json").exists());
    // a world file is not a state file
    let r = env.run(&["log", "--state", "world.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a ramsim state file"), "{}", r.stderr);
    env.init();
    let before = env.export();
    // unparseable requests never reach the gateway: exit 2, state untouched, nothing logged
    for args in [
        vec![
            "call",
            "--state",
            &state,
            "--as",
            "root@A",
            "gcloud compute list",
        ],
        vec!["call", "--state", &state, "--as", "root@A"],
        vec![
            "call",
            "--state",
            &state,
            "--as",
            "root@A",
            "--request",
            "missing.json",
        ],
        vec![
            "call",
            "--state",
            &state,
            "--as",
            "root@A",
            "--request",
            "world.json",
            "aliyun vpc DescribeVpcs --RegionId cn-hangzhou",
        ],
        vec!["clock", "--state", &state, "--advance", "soon"],
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
    }
    assert_eq!(env.export(), before);
    // a caller that names no principal is a usage error (not an AccessKey error): exit 2,
    // nothing logged
    let r = env.call(
        "mallory",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou",
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: no principal `mallory`"),
        "{}",
        r.stderr
    );
    assert_eq!(env.export(), before);
    // calls the gateway answers with an error: exit 1, logged
    let r = env.call(
        "LTAI00000000000000000000",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou",
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("HTTP 404 InvalidAccessKeyId.NotFound"),
        "{}",
        r.stdout
    );
    let r = env.call("root@A", "aliyun vpcpeer NoSuchApi");
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("HTTP 404 InvalidAction.NotFound"),
        "{}",
        r.stdout
    );
    let r = env.call("root@A", "aliyun vpcpeer AcceptVpcPeerConnection");
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("HTTP 400 MissingParameter.InstanceId"),
        "{}",
        r.stdout
    );
    assert_eq!(env.log_json().len(), 3);
    // success
    let r = env.call(
        "root@A",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou",
    );
    assert_eq!(r.code, 0);
    // no temp files left next to the state; the (empty) lock file stays, and the journal
    // holds the calls made since `init` wrote the snapshot
    let mut names: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "policies",
            "state.json",
            "state.json.journal",
            "state.json.lock",
            "world.json"
        ]
    );
}
