//! State files under concurrent writers, careless users and hostile requests (issue 9, "Data
//! loss and corruption"): one regression test per item, each failing on the code before it.
//!
//! - concurrent `ramsim call`s lose no update, id, RequestId or audit event (file lock);
//! - a held lock makes a writer give up after `--lock-timeout` with an error naming the lock;
//! - the clock cannot move past the last time a state file can hold; every reachable state
//!   file loads again (property over the whole timestamp range);
//! - `init` keeps an existing file unless `--force`;
//! - writes through a symlink update its target, keep the file's mode, clean up temp files of
//!   killed writers; a file-size limit or an oversized file is an error message;
//! - one hostile parameter cannot bloat the audit trail.

mod gateway_support;

use gateway_support::*;
use proptest::prelude::*;
use ramsim::api::audit_cap::MAX_AUDIT_TEXT_CHARS;
use ramsim::api::state::{lock_path, StateLock, MAX_STATE_FILE_BYTES};
use ramsim::api::{ApiRequest, SimState};
use ramsim::cloud::Timestamp;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const PEERING: &str = "corpus/worlds/peering.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ramsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run ramsim")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh state file from the peering corpus world in a temp directory.
fn init_state(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let out = ramsim(&[
        "init",
        "--world",
        PEERING,
        "--state",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    path
}

/// The state (snapshot plus journal) as `ramsim export` prints it.
fn export(state: &Path) -> Vec<u8> {
    let out = ramsim(&["export", "--state", state.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    out.stdout
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn create_user(state: &Path, name: &str, extra: &[&str]) -> Output {
    let mut args = vec!["call", "--state", state.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "--as",
        "root@1234567890123456",
        "aliyun",
        "ram",
        "CreateUser",
        "--UserName",
        name,
    ]);
    ramsim(&args)
}

/// `ramsim call --state STATE [EXTRA…] --as root aliyun ram CreateUser --UserName NAME`, not yet
/// spawned.
fn create_user_command(state: &Path, name: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ramsim"));
    command
        .current_dir(root())
        .args(["call", "--state", state.to_str().unwrap()])
        .args(extra)
        .args([
            "--as",
            "root@1234567890123456",
            "aliyun",
            "ram",
            "CreateUser",
        ])
        .args(["--UserName", name]);
    command
}

#[test]
fn fifty_parallel_calls_each_land_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    let children: Vec<_> = (0..50)
        .map(|i| {
            // generous: 50 debug-build processes on a busy CI machine
            create_user_command(&state, &format!("parallel-{i}"), &["--lock-timeout", "300"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let s = SimState::load(&state).expect("the state file loads");
    assert_eq!(s.requests, 50, "every call counted once");
    let users = &s.iam.accounts["1234567890123456"].users;
    let ids: BTreeSet<&str> = users
        .values()
        .filter(|u| u.name.starts_with("parallel-"))
        .map(|u| u.id.as_str())
        .collect();
    for i in 0..50 {
        assert!(
            users.contains_key(&format!("parallel-{i}")),
            "user parallel-{i} lost"
        );
    }
    assert_eq!(ids.len(), 50, "user ids are unique");
    let created: Vec<&str> = s
        .audit
        .iter()
        .filter(|e| e.event_name == "CreateUser")
        .map(|e| {
            e.request_parameters
                .get("UserName")
                .and_then(Value::as_str)
                .unwrap()
        })
        .collect();
    assert_eq!(created.len(), 50, "one audit event per call");
    assert_eq!(
        created.iter().collect::<BTreeSet<_>>().len(),
        50,
        "each call's event exactly once"
    );
    let request_ids: BTreeSet<&str> = s.audit.iter().map(|e| e.request_id.as_str()).collect();
    assert_eq!(request_ids.len(), s.audit.len(), "RequestIds are unique");
    assert_eq!(
        names(dir.path()),
        ["state.json", "state.json.journal", "state.json.lock"],
        "no temp file left"
    );
}

#[test]
fn a_held_lock_makes_a_writer_give_up_with_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    let before = export(&state);
    let lock = StateLock::acquire(&state, Duration::from_secs(5)).expect("lock");
    assert_eq!(lock.path(), dir.path().join("state.json.lock"));
    let out = create_user(&state, "blocked", &["--lock-timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("state.json.lock") && err.contains("another ramsim process holds the lock"),
        "{err}"
    );
    assert!(err.contains("--lock-timeout"), "{err}");
    assert_eq!(export(&state), before, "nothing written");
    // `clock` and `init --force` wait for the same lock
    let out = ramsim(&[
        "clock",
        "--state",
        state.to_str().unwrap(),
        "--advance",
        "1h",
        "--lock-timeout",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = ramsim(&[
        "init",
        "--world",
        PEERING,
        "--state",
        state.to_str().unwrap(),
        "--force",
        "--lock-timeout",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    drop(lock);
    let out = create_user(&state, "unblocked", &["--lock-timeout", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = create_user(&state, "x", &["--lock-timeout", "-1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // a mistyped state path is an error that leaves no lock file behind
    let out = create_user(&dir.path().join("typo.json"), "x", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("typo.json: cannot read"),
        "{}",
        text(&out)
    );
    assert_eq!(
        names(dir.path()),
        ["state.json", "state.json.journal", "state.json.lock"]
    );
}

#[test]
fn the_clock_never_moves_past_what_a_state_file_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    let s = state.to_str().unwrap();
    let before = export(&state);
    // ~8,200 years: a year with five digits could not be read back
    let out = ramsim(&["clock", "--state", s, "--advance", "3000000d"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("9999-12-31T23:59:59Z"),
        "{}",
        text(&out)
    );
    assert_eq!(export(&state), before, "nothing written");
    let out = ramsim(&["clock", "--state", s, "--to", "9999-12-31T23:00:00Z"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ramsim(&["clock", "--state", s, "--advance", "1h"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = ramsim(&["clock", "--state", s, "--advance", "3599s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // calls at the last second still leave a loadable file
    let out = create_user(&state, "late", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ramsim(&["clock", "--state", s]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "9999-12-31T23:59:59Z"
    );
    assert!(SimState::load(&state).is_ok());
}

fn peering_world(start: Timestamp) -> Value {
    fixture(json!({
        "start_time": start.to_string(),
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "a_hz"},
            {"owner": B, "region_id": "cn-beijing", "cidr_block": "10.1.0.0/16", "name": "b_bj"}
        ],
        "identity": {"accounts": {"A": {
            "users": [{"name": "admin", "policies": ["System:AdministratorAccess"]}]
        }}}
    }))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A state file that saves loads back identical, wherever the clock is in the range a
    /// state file holds, with times derived from the clock (a pending peering's expiry, 7 days
    /// on) and the clock pushed towards and past the end of the range.
    #[test]
    fn every_reachable_state_saves_and_loads_identically(
        start in Timestamp::MIN.epoch()..=Timestamp::MAX.epoch(),
        advance in prop_oneof![0i64..=3_600, 0i64..=30 * 86_400, Just(i64::MAX)],
    ) {
        let mut s = gateway(&peering_world(Timestamp(start)));
        let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_bj"));
        s.cli("admin", &create_line("cn-hangzhou", &va, B, "cn-beijing", &vb, ""));
        let now = s.gw.state.world.now();
        s.gw.advance_clock(now.plus(advance));
        s.cli("admin", "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-hangzhou");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let json = s.gw.state.to_json().expect("every reachable state serializes");
        s.gw.state.save(&path).expect("save");
        let loaded = SimState::load(&path).expect("what was saved loads");
        prop_assert_eq!(loaded.to_json().unwrap(), json);
    }
}

#[test]
fn init_keeps_an_existing_state_file_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    let out = create_user(&state, "precious", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = export(&state);
    let s = state.to_str().unwrap();
    let out = ramsim(&["init", "--world", PEERING, "--state", s]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("already exists") && stderr(&out).contains("--force"),
        "{}",
        text(&out)
    );
    assert_eq!(export(&state), before, "untouched");
    let out = ramsim(&["init", "--world", PEERING, "--state", s, "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = SimState::load(&state).expect("load");
    assert!(!s.iam.accounts["1234567890123456"]
        .users
        .contains_key("precious"));
}

#[cfg(unix)]
#[test]
fn writes_through_a_symlink_keep_the_link_the_mode_and_clean_stale_temp_files() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real");
    fs::create_dir(&real).expect("mkdir");
    let target = init_state(&real, "s.json");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = dir.path().join("link.json");
    symlink("real/s.json", &link).expect("symlink");
    // left by writers killed mid-write (this spelling and the older one), and a bystander
    for stale in [".s.json.tmp.4194999", ".s.json.tmp-77"] {
        fs::write(real.join(stale), "half a state").expect("write");
    }
    fs::write(real.join(".s.json.tmp.notes"), "not ours").expect("write");

    let out = create_user(&link, "via-link", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let meta = fs::symlink_metadata(&link).expect("link");
    assert!(meta.file_type().is_symlink(), "the link is still a link");
    assert_eq!(
        fs::read_link(&link).expect("readlink"),
        Path::new("real/s.json")
    );
    let s = SimState::load(&target).expect("target updated");
    assert!(s.iam.accounts["1234567890123456"]
        .users
        .contains_key("via-link"));
    // the call went to the journal beside the target, with the state file's mode
    for file in [&target, &real.join("s.json.journal")] {
        assert_eq!(
            fs::metadata(file).expect("meta").permissions().mode() & 0o777,
            0o600,
            "mode kept: {}",
            file.display()
        );
    }
    assert_eq!(
        names(&real),
        [
            ".s.json.tmp.notes",
            "s.json",
            "s.json.journal",
            "s.json.lock"
        ],
        "stale temp files removed, the lock and the journal sit beside the target"
    );
    assert!(!dir.path().join("link.json.journal").exists());
    // a write of the whole state (`clock` compacts) keeps the link and the mode too
    let out = ramsim(&[
        "clock",
        "--state",
        link.to_str().unwrap(),
        "--advance",
        "1h",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::metadata(&target).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(real.join("s.json.journal"))
            .expect("meta")
            .len(),
        0
    );
    assert!(
        SimState::load(&link).expect("load").iam.accounts["1234567890123456"]
            .users
            .contains_key("via-link")
    );
    assert_eq!(lock_path(&link).unwrap(), real.join("s.json.lock"));
}

#[cfg(unix)]
#[test]
fn a_file_size_limit_is_an_error_message_not_a_signal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    assert!(fs::metadata(&state).expect("meta").len() > 4096);
    let before = export(&state);
    // A policy document of about 5,000 characters: its journal record is over the limit.
    let resources: Vec<String> = (0..120)
        .map(|i| format!("acs:vpc:*:*:vpc/vpc-{i:020}"))
        .collect();
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow",
        "Action": "vpc:DescribeVpcs", "Resource": resources}]})
    .to_string();
    assert!(doc.len() > 4096 && doc.len() < 6144);
    let limited = |command: &str| {
        // `ulimit -f` counts 512-byte blocks in sh: 2,048 bytes
        let script = format!("ulimit -f 4 && exec \"$0\" {command}",);
        Command::new("sh")
            .args(["-c", &script, env!("CARGO_BIN_EXE_ramsim")])
            .env("STATE", &state)
            .env("DOC", &doc)
            .current_dir(root())
            .output()
            .expect("sh")
    };
    // The command fails with the file it could not write and the limit named, exit 2 (not
    // killed by SIGXFSZ), and the state reads as before.
    let refused = |command: &str, file: &str, kept: &str| {
        let out = limited(command);
        assert_eq!(
            out.status.code(),
            Some(2),
            "not killed by SIGXFSZ: {}",
            text(&out)
        );
        let err = stderr(&out);
        assert!(err.contains(&format!("{file}: cannot write")), "{err}");
        assert!(err.contains("ulimit -f"), "{err}");
        assert_eq!(export(&state), before, "{kept}");
    };
    // a call appends to the journal; the record does not fit
    refused(
        "call --state \"$STATE\" --as root@1234567890123456 aliyun ram CreatePolicy --PolicyName big --PolicyDocument \"$DOC\"",
        "state.json.journal",
        "no partial record kept",
    );
    // `clock` writes the whole state; the snapshot does not fit
    refused(
        "clock --state \"$STATE\" --advance 1h",
        "state.json",
        "old state kept",
    );
    assert_eq!(
        names(dir.path()),
        ["state.json", "state.json.journal", "state.json.lock"]
    );
}

/// `kill -9` at any moment of a `ramsim call` (loading, appending, compacting) leaves the old
/// state or the new one, never a torn one: every later command loads it, and the calls that
/// finished are all there. Runs past the journal's compaction bound.
#[cfg(unix)]
#[test]
fn a_call_killed_at_any_moment_leaves_the_old_or_the_new_state() {
    use ramsim::api::journal::MAX_JOURNAL_RECORDS;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    let mut finished = 0u64;
    let mut requests = 0u64;
    let mut i = 0u64;
    // Past the compaction bound, so that kills land in compactions too.
    while requests < MAX_JOURNAL_RECORDS as u64 + 8 {
        assert!(i < 1_000, "the calls make no progress");
        i += 1;
        let mut child = create_user_command(&state, &format!("u{i}"), &[])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // Delays from 0 to ~60 ms: before, during and after the call's work; every third
        // call runs to its end.
        if i % 3 != 0 {
            std::thread::sleep(Duration::from_micros((i * 7_919) % 60_000));
            let _ = child.kill();
        }
        let status = child.wait().expect("wait");
        let s = SimState::load(&state).expect("never a torn state");
        assert!(
            s.requests == requests || s.requests == requests + 1,
            "iteration {i}: {} requests after {requests}",
            s.requests
        );
        if status.success() {
            assert_eq!(s.requests, requests + 1, "a finished call is durable");
            finished += 1;
        }
        requests = s.requests;
    }
    // The state still takes calls, and every call that landed is in it exactly once.
    let out = create_user(&state, "after", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = SimState::load(&state).expect("load");
    assert_eq!(s.requests, requests + 1);
    assert!(
        s.requests > finished,
        "every finished call and the last one"
    );
    let created = s
        .audit
        .iter()
        .filter(|e| e.event_name == "CreateUser")
        .count() as u64;
    assert_eq!(created, s.requests, "one event per landed call");
}

#[test]
fn oversized_or_special_state_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.json");
    // sparse: no disk space used
    fs::File::create(&big)
        .and_then(|f| f.set_len(MAX_STATE_FILE_BYTES + 1))
        .expect("sparse file");
    let err = SimState::load(&big).expect_err("over the cap");
    assert!(
        err.contains("big.json") && err.contains("over the limit"),
        "{err}"
    );
    let out = ramsim(&["log", "--state", big.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // The commands that take a state or a world file (simulate, reach, show, …) sniff it
    // through the same bounded read.
    let err = ramsim::simulate::load_state(&big).expect_err("over the cap");
    assert!(
        err.contains("big.json") && err.contains("over the limit"),
        "{err}"
    );
    let err = SimState::load(dir.path()).expect_err("a directory");
    assert!(
        err.contains("not a regular file") || err.contains("cannot read"),
        "{err}"
    );
    #[cfg(unix)]
    {
        let err = SimState::load(Path::new("/dev/zero")).expect_err("a device");
        assert!(err.contains("not a regular file"), "{err}");
        let err = ramsim::simulate::load_state(Path::new("/dev/zero")).expect_err("a device");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn one_hostile_parameter_cannot_bloat_the_audit_trail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "state.json");
    let before = export(&state).len() as u64;
    // 120,000 characters: as long as one argv word may be
    let doc = "A".repeat(120_000);
    let out = ramsim(&[
        "call",
        "--state",
        state.to_str().unwrap(),
        "--as",
        "root@1234567890123456",
        "aliyun",
        "ram",
        "CreatePolicy",
        "--PolicyName",
        "huge",
        "--PolicyDocument",
        &doc,
    ]);
    assert_eq!(out.status.code(), Some(1), "refused: {}", text(&out));
    let after = export(&state).len() as u64;
    assert!(
        after - before < 2 * MAX_AUDIT_TEXT_CHARS as u64 + 4096,
        "the state grew by {} bytes",
        after - before
    );
    let s = SimState::load(&state).expect("load");
    let event = s.audit.last().expect("the call is audited");
    let kept = event
        .request_parameters
        .get("PolicyDocument")
        .and_then(Value::as_str)
        .expect("the parameter is recorded");
    assert!(kept.starts_with(&"A".repeat(MAX_AUDIT_TEXT_CHARS)));
    assert!(
        kept.ends_with("…[truncated: 120000 characters]"),
        "{}",
        &kept[8000..]
    );

    // through the library: a 10 MB value, a 1 MB action name and a 1 MB caller
    let mut sim = gateway(&fixture(json!({})));
    let before = sim.gw.state.to_json().unwrap().len();
    let request = |action: &str, params: Value| ApiRequest {
        product: None,
        action: action.to_string(),
        params: obj(params),
    };
    let root_a = envelope(&format!("root@{A}"));
    sim.gw.call(
        &root_a,
        &request(
            "CreateVpc",
            json!({"RegionId": "cn-hangzhou", "VpcName": "x".repeat(10_000_000)}),
        ),
    );
    sim.gw
        .call(&root_a, &request(&"Y".repeat(1_000_000), json!({})));
    sim.gw.call(
        &envelope(&"z".repeat(1_000_000)),
        &request("DescribeVpcs", json!({"RegionId": "cn-hangzhou"})),
    );
    let grown = sim.gw.state.to_json().unwrap().len() - before;
    assert!(grown < 100_000, "three hostile calls added {grown} bytes");
    assert_eq!(sim.gw.state.audit.len(), 3, "each call still audited");
    let names: Vec<usize> = sim
        .gw
        .state
        .audit
        .iter()
        .map(|e| e.event_name.len() + e.user_identity.user_name.len())
        .collect();
    assert!(
        names.iter().all(|n| *n < 2 * MAX_AUDIT_TEXT_CHARS),
        "{names:?}"
    );
    // cut events still encode exactly as serde_json does (`ramsim log --format json`)
    for e in &sim.gw.state.audit {
        let mut ours = Vec::new();
        ramsim::api::audit_json::write_event(e, &mut ours);
        assert!(ours == serde_json::to_vec(e).unwrap(), "encoder differs");
    }
}

#[test]
fn a_scenario_cannot_advance_the_clock_past_what_a_state_file_holds() {
    let text = json!({
        "world": "worlds/peering.json",
        "steps": [
            {"name": "a day", "advance": "1d"},
            {"name": "eight thousand years", "advance": "3000000d"}
        ]
    })
    .to_string();
    let mut coverage = ramsim::scenario::CoverageCollector::default();
    let results = ramsim::scenario::run_text(
        &text,
        "clock.test.json",
        "clock",
        &root().join("corpus"),
        &|_| true,
        &mut coverage,
    );
    let outcome: Vec<(bool, &str)> = results
        .iter()
        .map(|r| (r.passed, r.actual.as_str()))
        .collect();
    assert_eq!(outcome.len(), 2, "{outcome:?}");
    assert!(outcome[0].0, "{outcome:?}");
    assert!(!outcome[1].0, "{outcome:?}");
    assert!(
        outcome[1].1.contains("past 9999-12-31T23:59:59Z"),
        "{outcome:?}"
    );
}

/// State files written in older snapshot formats — format 1 (MessagePack) by ramsim at 6043cbc,
/// format 2 (string table, maps inline, no checksum) at 3f22d00, format 3 (lazy sections with
/// parsed tables and keys) at e893ed3, each by `init --world
/// corpus/worlds/peering.json`, `clock --advance 1m`, `call --as netops -- aliyun vpc
/// CreateVpc --RegionId cn-hangzhou --CidrBlock 172.16.0.0/16`, `clock --advance 1m` — load
/// exactly as those versions exported them (all exported the same bytes), and the next write
/// turns them into format 4 with the same state as the same steps taken by this version.
#[test]
fn older_state_files_load_exactly_and_the_next_write_makes_them_format_4() {
    for (fixture, format) in [
        ("format-1-peering.state", 1u32),
        ("format-2-peering.state", 2),
        ("format-3-peering.state", 3),
    ] {
        older_format_loads_and_converts(fixture, format);
    }
}

fn older_format_loads_and_converts(fixture: &str, format: u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = root().join("tests/fixtures/state");
    let old = dir.path().join("old.state");
    fs::copy(fixtures.join(fixture), &old).expect("copy fixture");
    let version = |p: &Path| fs::read(p).expect("read")[8..12].to_vec();
    assert_eq!(version(&old), format.to_le_bytes());
    let exported = fs::read(fixtures.join("format-1-peering.export.json")).expect("fixture");
    assert_eq!(export(&old), exported, "format {format} loads exactly");

    let new = init_state(dir.path(), "new.state");
    let advance = |state: &Path| {
        let out = ramsim(&[
            "clock",
            "--state",
            state.to_str().unwrap(),
            "--advance",
            "1m",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    advance(&new);
    let call = ramsim(&[
        "call",
        "--state",
        new.to_str().unwrap(),
        "--as",
        "netops",
        "--",
        "aliyun",
        "vpc",
        "CreateVpc",
        "--RegionId",
        "cn-hangzhou",
        "--CidrBlock",
        "172.16.0.0/16",
    ]);
    assert_eq!(call.status.code(), Some(0), "{}", text(&call));
    advance(&new);
    advance(&new);
    advance(&old);
    assert_eq!(version(&old), 4u32.to_le_bytes());
    assert_eq!(export(&old), export(&new), "the same state");
    assert_eq!(
        fs::read(&old).unwrap(),
        fs::read(&new).unwrap(),
        "the same bytes"
    );
}

/// A snapshot forged with a matching checksum whose records fail to decode: the records are
/// decoded only when a command uses them, and a command that meets one fails naming the
/// file and the record, without answering and without writing anything.
#[test]
fn a_record_that_fails_to_decode_when_used_fails_the_command_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = init_state(dir.path(), "forged.state");
    let mut bytes = fs::read(&state).expect("read");
    // Every `Available` status becomes an unknown variant; the checksum is recomputed.
    let (from, to) = (b"Available".as_slice(), b"Availablf".as_slice());
    let mut replaced = 0;
    for at in 0..bytes.len() - from.len() {
        if &bytes[at..at + from.len()] == from {
            bytes[at..at + from.len()].copy_from_slice(to);
            replaced += 1;
        }
    }
    assert!(replaced > 0);
    let sum = crc32fast::hash(&bytes[28..]);
    bytes[24..28].copy_from_slice(&sum.to_le_bytes());
    fs::write(&state, &bytes).expect("write");
    let journal = dir.path().join("forged.state.journal");
    let journal_before = fs::read(&journal).unwrap_or_default();

    let call = ramsim(&[
        "call",
        "--state",
        state.to_str().unwrap(),
        "--as",
        "netops",
        "--",
        "aliyun",
        "vpc",
        "DescribeVpcs",
        "--RegionId",
        "cn-hangzhou",
    ]);
    let out = text(&call);
    assert_ne!(call.status.code(), Some(0), "{out}");
    assert!(
        out.contains("forged.state: corrupt state file: world."),
        "{out}"
    );
    assert!(
        out.contains("is damaged") && out.contains("Availablf"),
        "{out}"
    );
    assert!(!out.contains("\"Vpcs\""), "no answer is printed: {out}");
    assert_eq!(fs::read(&journal).unwrap_or_default(), journal_before);
    assert_eq!(
        fs::read(&state).expect("read"),
        bytes,
        "the state file is untouched"
    );

    let export = ramsim(&["export", "--state", state.to_str().unwrap()]);
    assert_ne!(export.status.code(), Some(0));
    assert!(text(&export).contains("is damaged"), "{}", text(&export));
}
