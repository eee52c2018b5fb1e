//! Hostile inputs: every input surface answers in bounded time and memory, with a clear error
//! (README "Hostile inputs"). One test per item of the list, each of which failed before the
//! limits were added.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::{ramsim, ramsim_in, root};
use ramsim::api::SimState;
use ramsim::check::invariant::Invariant;
use ramsim::check::{CheckConfig, Checker};
use ramsim::policy::diagnostic::render_human;
use ramsim::policy::span::LineIndex;
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
use std::path::Path;
use std::time::Instant;

/// A one-line identity policy of about 1 MB with 50,000 invalid actions (one V7 finding each)
/// plus its V13 length finding.
fn policy_with_50k_findings() -> String {
    let actions: Vec<String> = (0..50_000)
        .map(|i| format!("\"bad-action-{i:06}\""))
        .collect();
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}

const ACCOUNT_A: &str = r#"{"uid": "1234567890123456", "alias": "A"}"#;

fn world_with_policy_file(reference: &str) -> String {
    format!(
        r#"{{"accounts": [{ACCOUNT_A}],
            "identity": {{"accounts": {{"A": {{"policies": [{{"name": "p", "document": {{"file": {reference:?}}}}}]}}}}}}}}"#
    )
}

// ---- 1. inputs are size-checked before parsing ---------------------------------------------

#[test]
fn oversized_and_special_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A policy file far over any kind's limit.
    let huge = write(dir.path(), "huge.json", &" ".repeat(2 << 20));
    let out = ramsim(&["validate", huge.to_str().expect("utf-8")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("2097152 bytes is over the 1 MiB limit for a policy file"),
        "{}",
        out.stderr
    );
    // A world file whose policy reference names a device: refused, never read (reading
    // /dev/zero would not end).
    let world = write(dir.path(), "w.json", &world_with_policy_file("/dev/zero"));
    let state = dir.path().join("s.json");
    let out = ramsim(&[
        "init",
        "--allow-outside",
        "--world",
        world.to_str().expect("utf-8"),
        "--state",
        state.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("policy file is a device, not a regular file"),
        "{}",
        out.stderr
    );
    // A FIFO named as a world file, a scenario file and an invariant file: refused at once
    // (opening one for reading would block until a writer appears).
    #[cfg(unix)]
    {
        let fifo = dir.path().join("fifo.json");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success());
        let fifo = fifo.to_str().expect("utf-8");
        let out = ramsim(&["init", "--world", fifo, "--state", "x.json"]);
        assert!(
            out.stderr.contains("world file is a FIFO"),
            "{}",
            out.stderr
        );
        let out = ramsim(&["test", fifo]);
        assert!(
            out.stdout.contains("scenario file is a FIFO"),
            "{}",
            out.stdout
        );
        let out = ramsim(&["call", "--state", "x.json", "--as", "a", "--request", fifo]);
        assert!(
            out.stderr.contains("request file is a FIFO"),
            "{}",
            out.stderr
        );
    }
}

// ---- 2. diagnostics render in linear time ----------------------------------------------------

#[test]
fn fifty_thousand_findings_on_one_line_render_in_linear_time() {
    let text = policy_with_50k_findings();
    assert!(text.len() > 1_000_000 && !text.contains('\n'));
    let started = Instant::now();
    let mut bytes = 0;
    // Trust and resource policies check every action too (`sts:AssumeRole` only; the
    // Principal element): as many findings, rendered as fast.
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Trust,
        PolicyKind::Resource,
    ] {
        let result = read_policy(&text, kind, &ReadOptions::default());
        assert!(result.diagnostics.len() > 50_000, "{kind}");
        let index = LineIndex::new(&text);
        for d in &result.diagnostics {
            let rendered = render_human("big.json", &text, &index, kind, d);
            // The source line is clipped to a window around the caret.
            assert!(rendered.len() < 1_000, "{rendered}");
            bytes += rendered.len();
        }
    }
    let elapsed = started.elapsed();
    // Quadratic rendering took about 36 s in a release build; linear takes a few hundred
    // milliseconds even unoptimized. The bound is generous for a loaded machine.
    assert!(
        elapsed.as_secs() < 60,
        "rendering took {elapsed:?} ({bytes} bytes)"
    );
}

#[test]
fn human_output_shows_the_first_hundred_findings_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "big.json", &policy_with_50k_findings());
    let file = file.to_str().expect("utf-8");
    for command in ["validate", "lint"] {
        let out = ramsim(&[command, file]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stdout
                .contains("… and 49,901 more findings (--format json lists every one)"),
            "{command}: {}",
            &out.stdout[out.stdout.len().saturating_sub(500)..]
        );
        assert_eq!(out.stdout.matches(" --> ").count(), 100, "{command}");
    }
    // JSON keeps every finding.
    let out = ramsim(&["validate", "--format", "json", file]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(
        v["files"][0]["findings"].as_array().map(Vec::len),
        Some(50_001)
    );
}

// ---- 3. the invariant language never overflows the stack ------------------------------------

#[test]
fn a_flat_chain_of_100_000_terms_parses_checks_and_evaluates() {
    let state = SimState::from_world_file(&root().join("corpus/worlds/peering.json"))
        .expect("world builds");
    for op in ["and", "or"] {
        let term = if op == "and" { "true" } else { "false" };
        let src = vec![term; 100_000].join(&format!(" {op} "));
        let inv = Invariant::from_expr("chain", &src).expect("parses and checks");
        let config = CheckConfig {
            runs: 1,
            steps: 1,
            ..CheckConfig::default()
        };
        let report = Checker::new(state.clone(), vec![inv], config)
            .run()
            .expect("evaluates");
        // `true and …` holds; `false or …` is false: a violation after the first step.
        assert_eq!(report.violation.is_none(), op == "and", "{op}");
    }
    // Nesting, unlike a flat chain, is bounded with a clear error.
    let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = Invariant::from_expr("deep", &deep).expect_err("too deep");
    assert!(e.contains("less nesting (at most 64 levels)"), "{e}");
}

#[test]
fn deeply_nested_world_and_scenario_files_get_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let world = write(
        dir.path(),
        "w.json",
        &format!(r#"{{"accounts": [{ACCOUNT_A}], "zones": {deep}}}"#),
    );
    let e = SimState::from_world_file(&world)
        .map(|_| ())
        .expect_err("too deep for the reader");
    assert!(e.contains("recursion limit exceeded"), "{e}");
    let scenario = write(
        dir.path(),
        "deep.test.json",
        &format!(r#"{{"world": {deep}, "steps": []}}"#),
    );
    let out = ramsim(&["test", scenario.to_str().expect("utf-8")]);
    assert!(
        out.stdout.contains("recursion limit exceeded"),
        "{}",
        out.stdout
    );
    // A policy document: 64 levels (spec: the reader's MAX_DEPTH).
    let r = read_policy(&deep, PolicyKind::Identity, &ReadOptions::default());
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.message.contains("nesting deeper than 64 levels")),
        "{:?}",
        r.diagnostics.first()
    );
}

// ---- 4. Resource Directory depth; init linear in the world's size --------------------------

fn directory_world(levels: usize) -> String {
    let folders: Vec<String> = (1..=levels)
        .map(|l| {
            let parent = if l == 1 {
                "r-root01".to_string()
            } else {
                format!("fd-level{:04}", l - 1)
            };
            format!(r#"{{"id": "fd-level{l:04}", "name": "level-{l}", "parent": "{parent}"}}"#)
        })
        .collect();
    format!(
        r#"{{"accounts": [{ACCOUNT_A}],
            "resource_directory": {{"id": "rd-abc123", "root_folder_id": "r-root01",
              "management_account": "1234567890123456", "folders": [{}]}}}}"#,
        folders.join(",")
    )
}

#[test]
fn folders_nest_at_most_five_levels_below_the_root() {
    SimState::from_world_json(&directory_world(5), Path::new(".")).expect("5 levels are allowed");
    let e = SimState::from_world_json(&directory_world(6), Path::new("."))
        .map(|_| ())
        .expect_err("6 levels are not");
    assert!(
        e.contains("resource_directory.folders[5]")
            && e.contains(
                "folder fd-level0006 (level-6) is nested more than 5 levels below the root folder"
            ),
        "{e}"
    );
}

#[test]
fn a_world_of_20_000_vpcs_builds_in_linear_time() {
    let vpcs: Vec<String> = (0..20_000)
        .map(|i| {
            format!(
                r#"{{"owner": "1234567890123456", "region_id": "cn-hangzhou", "cidr_block": "10.0.0.0/16", "name": "v{i}",
                    "vswitches": [{{"zone_id": "cn-hangzhou-b", "cidr_block": "10.0.1.0/24"}}]}}"#
            )
        })
        .collect();
    let world = format!(
        r#"{{"options": {{"quotas": {{"vpcs_per_account_region": 20000}}}},
            "accounts": [{ACCOUNT_A}], "vpcs": [{}]}}"#,
        vpcs.join(",")
    );
    let started = Instant::now();
    let state = SimState::from_world_json(&world, Path::new(".")).expect("builds");
    assert_eq!(state.world.vpcs().count(), 20_000);
    // Not a timing assertion: the figure is for the record (README "Hostile inputs").
    eprintln!("built a 20,000-VPC world in {:?}", started.elapsed());
    // The VPC quota per account and region still holds across VPCs.
    let over = world.replace(
        r#""vpcs_per_account_region": 20000"#,
        r#""vpcs_per_account_region": 19999"#,
    );
    let e = SimState::from_world_json(&over, Path::new("."))
        .map(|_| ())
        .expect_err("quota");
    assert!(
        e.contains("vpcs[19999]") && e.contains("QuotaExceeded.Vpc"),
        "{e}"
    );
}

// ---- 5. check: hard budget cap ---------------------------------------------------------------

#[test]
fn check_refuses_a_budget_over_the_hard_caps() {
    let world = "corpus/worlds/peering.json";
    let out = ramsim(&[
        "check",
        "--world",
        world,
        "--invariant",
        "builtin:audit-complete",
        "--runs",
        "1",
        "--steps",
        "20000",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--steps 20000 is over the limit of 10000 steps per run"),
        "{}",
        out.stderr
    );
    let out = ramsim(&[
        "check",
        "--world",
        world,
        "--invariant",
        "builtin:audit-complete",
        "--runs",
        "1000000",
        "--steps",
        "1000",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "a budget of 1000000000 steps (--runs × --steps) is over the limit of 100000000"
        ),
        "{}",
        out.stderr
    );
}

// ---- 6. batch eval: bad lines get their own record ------------------------------------------

#[test]
fn batch_eval_reports_non_utf8_and_malformed_lines_and_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let requests = dir.path().join("requests.jsonl");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"action\": \"vpc:DescribeVpcs\", \"id\": 1}\n");
    bytes.extend_from_slice(b"{\"action\": \"vpc:\xff\xfe\"}\n");
    bytes.extend_from_slice(b"{not json\n");
    bytes.extend_from_slice(format!("\"{}\"\n", "x".repeat(2 << 20)).as_bytes());
    bytes.extend_from_slice(b"{\"action\": \"vpc:DescribeVpcs\", \"id\": 5}\n");
    std::fs::write(&requests, bytes).expect("write");
    let out = ramsim(&[
        "eval",
        "--identity",
        "policies/network-admin.json",
        "--account",
        "1234567890123456",
        "--requests",
        requests.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    assert_eq!(lines[0]["decision"], "Allow");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"], "not UTF-8 (invalid byte at column 17)");
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].is_string());
    assert_eq!(lines[3]["line"], 4);
    assert!(
        lines[3]["error"]
            .as_str()
            .is_some_and(|e| e.contains("over the 1 MiB limit for a request line")),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4]["id"], 5);
    assert_eq!(lines[4]["line"], 5);
}

// ---- 7. file references are confined; non-policies are not echoed --------------------------

#[test]
fn file_references_stay_inside_their_directory_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "policies/p.json",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#,
    );
    let world = write(
        dir.path(),
        "worlds/w.json",
        &world_with_policy_file("../policies/p.json"),
    );
    let state = dir.path().join("s.json");
    let (world, state) = (
        world.to_str().expect("utf-8"),
        state.to_str().expect("utf-8"),
    );
    // Run from a directory unrelated to the world: `../policies` escapes `worlds/`.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let out = ramsim_in(
        &["init", "--world", world, "--state", state],
        elsewhere.path(),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("identity.accounts.A.policies[0]")
            && out.stderr.contains("outside")
            && out.stderr.contains("--allow-outside"),
        "{}",
        out.stderr
    );
    let out = ramsim_in(
        &[
            "init",
            "--allow-outside",
            "--world",
            world,
            "--state",
            state,
        ],
        elsewhere.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Run from the directory holding both: inside the working directory.
    let out = ramsim_in(
        &["init", "--force", "--world", world, "--state", state],
        dir.path(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A scenario's decision case may not read a policy outside either.
    let scenario = write(
        dir.path(),
        "corpus/s.test.json",
        r#"{"cases": [{"name": "c", "policies": {"identity": ["/etc/passwd"]},
            "principal": {"account": "1234567890123456", "id": "u"},
            "action": "vpc:DescribeVpcs", "expect": "Allow"}]}"#,
    );
    let out = ramsim_in(&["test", scenario.to_str().expect("utf-8")], dir.path());
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("resolves to `/etc/passwd`, outside"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_referenced_file_that_is_not_a_policy_is_never_echoed() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "shadow",
        "root:$6$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    );
    write(
        dir.path(),
        "creds.json",
        r#"{"aws_secret_access_key": "SECRETKEY", "region": "x"}"#,
    );
    for target in ["shadow", "creds.json"] {
        let world = write(dir.path(), "w.json", &world_with_policy_file(target));
        let e = SimState::from_world_file(&world)
            .map(|_| ())
            .expect_err("not a policy");
        assert!(!e.contains("SECRET"), "{e}");
        assert!(
            e.contains("is not a policy document (expected an identity policy")
                && e.contains("its content is not shown"),
            "{e}"
        );
    }
    // A real policy with a mistake is still shown with its source line.
    write(
        dir.path(),
        "bad.json",
        r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"vpc:X","Resource":"*"}]}"#,
    );
    let world = write(dir.path(), "w.json", &world_with_policy_file("bad.json"));
    let e = SimState::from_world_file(&world)
        .map(|_| ())
        .expect_err("invalid effect");
    assert!(e.contains(r#"1 | {"Version":"1""#), "{e}");
}

// ---- 8. writing into a closed pipe -----------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = write(dir.path(), "big.json", &policy_with_50k_findings());
    let big = big.to_str().expect("utf-8");
    let err = dir.path().join("stderr.txt");
    // Ten files of 100 rendered findings each: far more than a pipe buffer.
    let script = format!(
        "\"$0\" validate {files} 2>{err} | head -c 100 >/dev/null; echo ${{PIPESTATUS[0]}}",
        files = [big; 10].join(" "),
        err = err.display()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_ramsim"))
        .output()
        .expect("bash runs");
    let status = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let stderr = std::fs::read_to_string(&err).expect("stderr captured");
    assert_eq!(stderr, "", "no panic, no message");
    // Killed by SIGPIPE, like `cat` or `grep` (128 + 13).
    assert_eq!(status, "141");
}
