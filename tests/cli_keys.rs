//! `ramsim keys`: the AccessKey pairs of a state's users, generated (derived from the world's id
//! seed) or given in the world file.

use std::process::Command;

fn ramsim(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn keys_of_generated_and_given_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated.json");
    let given = dir.path().join("given.json");
    let g = generated.to_str().unwrap();
    let s = given.to_str().unwrap();
    assert_eq!(
        ramsim(&[
            "init",
            "--world",
            "corpus/worlds/peering.json",
            "--state",
            g
        ])
        .0,
        0
    );
    assert_eq!(
        ramsim(&["init", "--world", "examples/sdk-world.json", "--state", s]).0,
        0
    );
    let (code, table) = ramsim(&["keys", "--state", g]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("keys_generated_table", table);
    // Generated secrets are not written into the state file (binary: its strings are stored
    // as they are) nor into its JSON form.
    let secret = "glUCFxKPNP8dL3wGFPg6LusKb6obAh";
    let bytes = std::fs::read(&generated).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let (code, exported) = ramsim(&["export", "--state", g]);
    assert_eq!(code, 0);
    assert!(exported.contains("\"ramsim-state\"") && !exported.contains(secret));
    let (code, json) = ramsim(&["keys", "--state", s, "--format", "json"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("keys_given_json", json);
    assert_eq!(ramsim(&["keys", "--state", "no/such/state.json"]).0, 2);
}

#[test]
fn bad_key_pairs_in_a_world_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let world = std::fs::read_to_string(format!(
        "{}/examples/sdk-world.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    for (from, to, message) in [
        (
            "LTAI5tNetAdminExample001",
            "LTAI5tNetOpsExample0001",
            "is used more than once",
        ),
        (
            "LTAI5tNetOpsExample0001",
            "AKIA5tNetOpsExample0001",
            "is not an AccessKeyId",
        ),
        (
            "netopsSecretForLocalTests0001",
            "short",
            "8–64 printable ASCII",
        ),
    ] {
        let path = dir.path().join("world.json");
        std::fs::write(
            &path,
            world.replace(from, to).replace(
                "../policies/",
                &format!("{}/policies/", env!("CARGO_MANIFEST_DIR")),
            ),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ramsim"))
            .args(["init", "--world", path.to_str().unwrap(), "--state"])
            .arg(dir.path().join("s.json"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(message) && err.contains("access_keys["),
            "{err}"
        );
    }
}
