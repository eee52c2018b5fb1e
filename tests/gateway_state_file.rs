//! The state file: save → load round trip, atomic writes that leave no temp file and never
//! touch the old file on failure, and loads that reject foreign, future or torn files.

mod gateway_support;

use gateway_support::*;
use ramsim::api::{Gateway, SimState};
use serde_json::json;
use std::fs;
use std::path::Path;

fn busy_state() -> SimState {
    let mut s = gateway(&fixture(json!({
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "a_hz"},
            {"owner": B, "region_id": "cn-beijing", "cidr_block": "10.1.0.0/16", "name": "b_bj"}
        ],
        "identity": {"accounts": {"A": {
            "users": [{"name": "admin", "policies": ["System:AdministratorAccess"], "access_keys": 2}],
            "roles": [{"name": "ops", "trust": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"RAM": [format!("acs:ram::{A}:root")]}}]}, "policies": ["System:AliyunVPCFullAccess"]}]
        }}}
    })));
    let (va, vb) = (s.vpc(A, "a_hz"), s.vpc(B, "b_bj"));
    s.ok(
        "admin",
        &create_line("cn-hangzhou", &va, B, "cn-beijing", &vb, "--Name peer_one"),
    );
    s.ok(
        "admin",
        &format!("aliyun sts AssumeRole --RoleArn acs:ram::{A}:role/ops --RoleSessionName s1"),
    );
    s.cli(
        "root@C",
        "aliyun vpcpeer ListVpcPeerConnections --RegionId cn-beijing",
    );
    s.gw.advance_clock(ramsim::cloud::Timestamp::parse("2025-01-09T00:00:00Z").unwrap());
    s.gw.into_state()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn save_then_load_is_identical_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let state = busy_state();
    let json = state.to_json().expect("json");
    assert!(
        state
            .audit
            .iter()
            .any(|e| e.event_type == "AliyunServiceEvent"),
        "the fixture reaches expiry"
    );
    state.save(&path).expect("save");
    assert_eq!(
        entries(dir.path()),
        ["state.json"],
        "no temp file left behind"
    );
    assert_eq!(
        fs::read(&path).expect("read"),
        ramsim::api::snapshot::encode(&state).expect("encode"),
        "the file is the state's binary snapshot"
    );
    let loaded = SimState::load(&path).expect("load");
    assert_eq!(loaded.to_json().expect("json"), json);
    // overwriting an existing file is atomic too
    loaded.save(&path).expect("save again");
    assert_eq!(entries(dir.path()), ["state.json"]);
    // a loaded state continues exactly like the original (ids, request ids, clock)
    let mut a = Sim {
        gw: Gateway::new(state),
    };
    let mut b = Sim {
        gw: Gateway::new(SimState::load(&path).expect("load")),
    };
    for s in [&mut a, &mut b] {
        let vpc = s.ok(
            "root@A",
            "aliyun vpc CreateVpc --RegionId cn-hangzhou --CidrBlock 10.9.0.0/16",
        )["VpcId"]
            .as_str()
            .unwrap()
            .to_string();
        let bj = s.vpc(B, "b_bj");
        s.ok(
            "admin",
            &create_line("cn-hangzhou", &vpc, B, "cn-beijing", &bj, ""),
        );
    }
    assert_eq!(a.gw.state.to_json().unwrap(), b.gw.state.to_json().unwrap());
}

#[test]
fn writing_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing").join("state.json");
    let err = busy_state().save(&path).expect_err("no such directory");
    assert!(
        err.contains("cannot write") && err.contains("state.json"),
        "{err}"
    );
    assert!(
        entries(dir.path()).is_empty(),
        "nothing created: {:?}",
        entries(dir.path())
    );
}

#[test]
fn a_failed_write_never_touches_the_old_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let old = busy_state();
    old.save(&path).expect("save");
    let old_bytes = fs::read(&path).expect("read");
    let mut newer = old.clone();
    newer.requests += 1;

    // 1. the temp file cannot be created: a directory squats its name (works even for root)
    let squat = dir
        .path()
        .join(format!(".state.json.tmp.{}", std::process::id()));
    fs::create_dir(&squat).expect("mkdir");
    let err = newer.save(&path).expect_err("temp file cannot be created");
    assert!(err.contains("cannot write"), "{err}");
    assert_eq!(
        fs::read(&path).expect("read"),
        old_bytes,
        "old file untouched"
    );
    fs::remove_dir(&squat).expect("rmdir");
    assert_eq!(entries(dir.path()), ["state.json"]);

    // 2. the rename fails (the target is a non-empty directory): the temp file is removed
    let target = dir.path().join("taken");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("keep"), "x").expect("write");
    let err = newer
        .save(&target)
        .expect_err("cannot rename over a directory");
    assert!(err.contains("cannot write"), "{err}");
    assert_eq!(
        entries(dir.path()),
        ["state.json", "taken"],
        "temp file cleaned up"
    );
    assert_eq!(entries(&target), ["keep"]);

    // 3. a read-only directory (meaningful only where permissions bind this process: root and
    //    CAP_DAC_OVERRIDE bypass them, and case 1 covers that failure path instead)
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).expect("chmod");
        let bypass = fs::write(dir.path().join("probe"), "x").is_ok();
        if bypass {
            let _ = fs::remove_file(dir.path().join("probe"));
        } else {
            let err = newer.save(&path).expect_err("read-only directory");
            assert!(err.contains("cannot write"), "{err}");
            assert_eq!(
                fs::read(&path).expect("read"),
                old_bytes,
                "old file untouched"
            );
        }
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod back");
        assert_eq!(entries(dir.path()), ["state.json", "taken"]);
    }
    assert_eq!(
        SimState::load(&path)
            .expect("old state still loads")
            .to_json()
            .unwrap(),
        old.to_json().unwrap()
    );
}

#[test]
fn loading_rejects_foreign_future_and_torn_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = busy_state().to_json().expect("json");
    let case = |name: &str, text: &str| -> String {
        let p = dir.path().join(name);
        fs::write(&p, text).expect("write");
        let err = SimState::load(&p)
            .err()
            .unwrap_or_else(|| panic!("{name} loaded"));
        assert!(err.contains(name), "the error names the file: {err}");
        err
    };
    // a world file is not a state file
    let world = fixture(json!({})).to_string();
    assert!(case("world.json", &world).contains("not a ramsim state file"));
    assert!(case(
        "format.json",
        &good.replacen("\"ramsim-state\"", "\"other-state\"", 1)
    )
    .contains("not a ramsim state file"));
    let future = good.replacen("\"schema_version\":1", "\"schema_version\":2", 1);
    assert_ne!(future, good);
    let err = case("future.json", &future);
    assert!(
        err.contains("schema version 2 is not supported") && err.contains("expected 1"),
        "{err}"
    );
    let err = case("torn.json", &good[..good.len() / 2]);
    assert!(err.contains("not a state file"), "{err}");
    assert!(case("empty.json", "").contains("not a state file"));
    // right header, wrong body
    let err = case(
        "corrupt.json",
        r#"{"format":"ramsim-state","schema_version":1,"world":{}}"#,
    );
    assert!(err.contains("corrupt state file"), "{err}");
    let err = SimState::load(&dir.path().join("absent.json")).expect_err("absent");
    assert!(err.contains("cannot read"), "{err}");
    // the JSON form (`ramsim export`) still loads, as state files written before the binary
    // snapshot do
    let p = dir.path().join("old.json");
    fs::write(&p, &good).expect("write");
    assert_eq!(
        SimState::load(&p).expect("JSON state").to_json().unwrap(),
        good
    );
    // binary snapshots: torn, from a future version, or with a corrupt payload
    let bin = ramsim::api::snapshot::encode(&busy_state()).expect("encode");
    let case = |name: &str, bytes: &[u8]| -> String {
        let p = dir.path().join(name);
        fs::write(&p, bytes).expect("write");
        let err = SimState::load(&p)
            .err()
            .unwrap_or_else(|| panic!("{name} loaded"));
        assert!(err.contains(name), "the error names the file: {err}");
        err
    };
    assert!(case("torn.state", &bin[..bin.len() - 1]).contains("torn or truncated"));
    assert!(case("header.state", &bin[..10]).contains("truncated header"));
    let mut future = bin.clone();
    future[8] = 5;
    assert!(
        case("future.state", &future).contains("binary state format version 5 is not supported")
    );
    let mut corrupt = bin.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid..].iter_mut().for_each(|b| *b = 0xc1); // 0xc1: no tag, and a varint that never ends
    assert!(case("corrupt.state", &corrupt).contains("corrupt state file"));
    // one flipped bit anywhere in the payload: the checksum catches it before anything is
    // decoded, even in records a call would decode only when it uses them
    for at in [28, bin.len() / 3, bin.len() - 1] {
        let mut flipped = bin.clone();
        flipped[at] ^= 0x10;
        let err = case("flipped.state", &flipped);
        assert!(err.contains("checksum mismatch"), "byte {at}: {err}");
    }
}
