//! `eval --requests` reads plain request lines in place and sends everything else to serde_json:
//! both paths must write the same bytes. Every generated line is decided twice — as written
//! (the in-place path) and with its `action` key spelled `"\u0061ction"` (serde_json decodes it
//! to the same request, the in-place parser declines it) — and the records must be identical,
//! apart from nothing. Hostile lines, principals per line and thread counts are covered too.

use ramsim::authz::PolicyStore;
use ramsim::cli::eval::{build_store, decide_stream, EvalArgs};
use std::path::PathBuf;

fn repo(p: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .to_string_lossy()
        .into_owned()
}

fn setup(extra: &[&str]) -> (EvalArgs, PolicyStore) {
    let admin = repo("policies/network-admin.json");
    let guard = repo("policies/guardrail-rd-path.json");
    let mut argv = vec![
        "ramsim",
        "eval",
        "--identity",
        &admin,
        "--identity",
        &guard,
        "--account",
        "1234567890123456",
        "--requests",
        "-",
    ];
    argv.extend_from_slice(extra);
    let cli = ramsim::cli::Cli::try_from_args(&argv).expect("flags parse");
    let ramsim::cli::Command::Eval(args) = cli.command else {
        panic!("not eval");
    };
    let store = build_store(&args).expect("policies load");
    (*args, store)
}

/// (stdout, stderr, bad lines) of a stream.
fn run(args: &EvalArgs, store: &PolicyStore, input: &str) -> (String, String, usize) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let bad = decide_stream(
        args,
        store,
        &args.eval_options(),
        input.as_bytes(),
        "in",
        &mut out,
        &mut err,
    )
    .expect("no I/O error");
    (
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
        bad,
    )
}

/// A small deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const ACTIONS: &[&str] = &[
    "vpc:CreateVpcPeerConnection",
    "vpc:AcceptVpcPeerConnection",
    "vpc:DescribeVpcs",
    "VPC:describevpcs",
    "vpc:DeleteVpc",
    "ecs:RunInstances",
    "ram:PassRole",
    "cen:AttachCenChildInstance",
    "vpc:Créer",
];
const RESOURCES: &[&str] = &[
    "*",
    "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-1",
    "acs:vpc:cn-hangzhou:2222222222222222:vpc/vpc-2",
    "acs:vpc:cn-hangzhou:*:vpc/*",
    "acs:ecs:cn-beijing:1234567890123456:instance/i-1",
];
const KEYS: &[&str] = &[
    "acs:SourceIp",
    "ACS:sourceip",
    "acs:ResourceRdPath",
    "acs:RequestedRegion",
    "acs:TagKeys",
    "vpc:AccepterRdPath",
    "acs:SecureTransport",
];
const VALUES: &[&str] = &[
    "10.0.0.1",
    "192.168.7.7",
    "not-an-ip",
    "rd-abc/r-1/fd-x",
    "rd-abc/r-2",
    "cn-hangzhou",
    "true",
    "",
    "ü-ñ",
];

fn strings(g: &mut Gen, items: &[&str], max: u64) -> String {
    let n = g.next() % (max + 1);
    let v: Vec<String> = (0..n).map(|_| format!("\"{}\"", g.pick(items))).collect();
    format!("[{}]", v.join(","))
}

/// A request line with a random subset of the fields, in random order, with random spacing.
fn line(g: &mut Gen) -> String {
    let sp = |g: &mut Gen| if g.chance(20) { " " } else { "" };
    let mut fields: Vec<String> = vec![format!("\"action\":{}\"{}\"", sp(g), g.pick(ACTIONS))];
    if g.chance(60) {
        fields.push(if g.chance(70) {
            format!("\"resource\":\"{}\"", g.pick(RESOURCES))
        } else {
            format!("\"resource\":{}", strings(g, RESOURCES, 3))
        });
    }
    if g.chance(50) {
        fields.push(if g.chance(50) {
            format!("\"id\":{}", g.next() % 100_000)
        } else {
            format!("\"id\":\"r-{}\"", g.next() % 1000)
        });
    }
    if g.chance(20) {
        let deps: Vec<String> = (0..g.next() % 3)
            .map(|_| {
                if g.chance(50) {
                    format!("\"{}\"", g.pick(ACTIONS))
                } else {
                    format!("\"{}={}\"", g.pick(ACTIONS), g.pick(RESOURCES))
                }
            })
            .collect();
        fields.push(format!("\"dependent\":[{}]", deps.join(", ")));
    }
    if g.chance(70) {
        let mut keys: Vec<&str> = Vec::new();
        for _ in 0..g.next() % 5 {
            let k = g.pick(KEYS);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let entries: Vec<String> = keys
            .iter()
            .map(|k| {
                if g.chance(75) {
                    format!("\"{k}\":{}\"{}\"", sp(g), g.pick(VALUES))
                } else {
                    format!("\"{k}\":{}", strings(g, VALUES, 3))
                }
            })
            .collect();
        fields.push(format!("\"context\":{{{}}}", entries.join(",")));
    }
    if g.chance(15) {
        fields.push(format!(
            "\"principal_type\":\"{}\"",
            g.pick(&[
                "RamUser",
                "AssumedRoleUser",
                "Root",
                "Federated",
                "Service",
                "Nobody"
            ])
        ));
    }
    if g.chance(15) {
        fields.push(format!(
            "\"account\":\"{}\"",
            g.pick(&["1234567890123456", "2222222222222222", ""])
        ));
    }
    if g.chance(10) {
        fields.push(format!(
            "\"principal_id\":\"{}\"",
            g.pick(&["alice", "NetOps/s1", "bob"])
        ));
    }
    if g.chance(5) {
        fields.push("\"principal_arn\":\"acs:ram::1234567890123456:user/alice\"".into());
    }
    if g.chance(10) {
        fields.push(format!("\"in_rd\":{}", g.pick(&["true", "false"])));
    }
    if g.chance(5) {
        fields.push(format!(
            "\"management_account\":{}",
            g.pick(&["true", "false"])
        ));
    }
    if g.chance(10) {
        fields.push(format!(
            "\"resource_account\":\"{}\"",
            g.pick(&["1234567890123456", "2222222222222222"])
        ));
    }
    if g.chance(10) {
        fields.push("\"resource_group\":\"rg-1\"".into());
    }
    // Shuffle.
    for i in (1..fields.len()).rev() {
        let j = (g.next() % (i as u64 + 1)) as usize;
        fields.swap(i, j);
    }
    let sep = if g.chance(20) { ", " } else { "," };
    format!("{}{{{}}}{}", sp(g), fields.join(sep), sp(g))
}

/// The same request, with the `action` key written with an escape: only serde_json reads it.
fn general(line: &str) -> String {
    let escaped = line.replacen("\"action\":", "\"\\u0061ction\":", 1);
    assert_ne!(escaped, line);
    escaped
}

#[test]
fn in_place_and_general_paths_write_the_same_records() {
    let (args, store) = setup(&[]);
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let lines: Vec<String> = (0..3000).map(|_| line(&mut g)).collect();
    let fast = lines.join("\n") + "\n";
    let slow = lines
        .iter()
        .map(|l| general(l))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let a = run(&args, &store, &fast);
    let b = run(&args, &store, &slow);
    // The lines vary enough to mean something.
    for word in [
        "Allow",
        "ExplicitDeny",
        "ImplicitDeny",
        "\"id\":",
        "unknown principal type",
    ] {
        assert!(a.0.contains(word), "no {word} in the records");
    }
    assert_eq!(a, b);
}

#[test]
fn thread_counts_and_flags_do_not_change_the_output() {
    let mut g = Gen(42);
    let lines: Vec<String> = (0..10_000).map(|_| line(&mut g)).collect();
    let input = lines.join("\r\n");
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "3"] {
        let (args, store) = setup(&["--jobs", jobs]);
        outputs.push(run(&args, &store, &input));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    // Flags that the lines' defaults come from.
    for extra in [
        &[
            "--principal-type",
            "AssumedRoleUser",
            "--principal-id",
            "NetOps/s1",
        ][..],
        &["--resource-account", "2222222222222222", "--in-rd"],
        &["--resource-group", "rg-1", "--management-account"],
    ] {
        let (args, store) = setup(extra);
        let slow: String = lines.iter().map(|l| general(l) + "\n").collect();
        assert_eq!(
            run(&args, &store, &input),
            run(&args, &store, &slow),
            "{extra:?}"
        );
    }
}

/// Lines the in-place parser declines, each next to a plain line: records and messages as
/// serde_json gives them, in order.
#[test]
fn unusual_and_hostile_lines_take_the_general_path() {
    let (args, store) = setup(&[]);
    let plain = r#"{"action":"vpc:DescribeVpcs","id":7}"#;
    let cases = [
        r#"{"action":"vpc:DescribeVpcs","id":null}"#,
        r#"{"action":"vpc:DescribeVpcs","id":1.5}"#,
        r#"{"action":"vpc:DescribeVpcs","id":-3}"#,
        r#"{"action":"vpc:DescribeVpcs","id":007}"#,
        r#"{"action":"vpc:DescribeVpcs","id":18446744073709551616}"#,
        r#"{"action":"vpc:DescribeVpcs","id":{"a":[1,2]}}"#,
        r#"{"action":"vpc:DescribeVpcs","id":true}"#,
        r#"{"action":"vpc:Describe\"Vpcs"}"#,
        r#"{"action":"vpc:DescribeVpcs","action":"vpc:DeleteVpc"}"#,
        r#"{"action":"vpc:DescribeVpcs","context":{"a":"1","a":"2"}}"#,
        r#"{"action":"vpc:DescribeVpcs","context":{"a":1}}"#,
        r#"{"action":"vpc:DescribeVpcs","context":{"a":[1]}}"#,
        r#"{"action":"vpc:DescribeVpcs","context":null}"#,
        r#"{"action":"vpc:DescribeVpcs","resource":null}"#,
        r#"{"action":"vpc:DescribeVpcs","resource":["a",]}"#,
        r#"{"action":"vpc:DescribeVpcs","resource":[]}"#,
        r#"{"action":"vpc:DescribeVpcs","dependent":"x"}"#,
        r#"{"action":"vpc:DescribeVpcs","in_rd":"yes"}"#,
        r#"{"action":"vpc:DescribeVpcs","extra":1}"#,
        r#"{"action":"vpc:DescribeVpcs"} x"#,
        r#"{"action":"vpc:DescribeVpcs",}"#,
        r#"{"resource":"*"}"#,
        r#"{}"#,
        r#"[]"#,
        "{\"action\":\"vpc:Describe\tVpcs\"}",
        r#"{"action":"vpc:DescribeVpcs","principal_type":"Nobody"}"#,
        r#"{"action":"vpc:DescribeVpcs","account":""}"#,
        r#"{"action":"#,
        "\u{a0}\u{3000}",
        "   ",
    ];
    let mut input = String::new();
    for c in cases {
        input.push_str(plain);
        input.push('\n');
        input.push_str(c);
        input.push('\n');
    }
    let (out, err, bad) = run(&args, &store, &input);
    // Compare with serde_json's reading of every case, line by line (the plain line forced
    // onto the general path as well).
    let mut expected_out = String::new();
    let mut expected_err = String::new();
    let mut expected_bad = 0;
    for (i, c) in cases.iter().enumerate() {
        let (o, _, _) = run(&args, &store, &general(plain));
        expected_out.push_str(&o.replace("\"line\":1}", &format!("\"line\":{}}}", 2 * i + 1)));
        if c.trim().is_empty() {
            continue;
        }
        // Put the case at its own line number: blank lines before it.
        let padded = "\n".repeat(2 * i + 1) + c + "\n";
        let (o, e, b) = run(&args, &store, &padded);
        expected_out.push_str(&o);
        expected_err.push_str(&e);
        expected_bad += b;
    }
    assert_eq!(out, expected_out);
    assert_eq!(err, expected_err);
    assert_eq!(bad, expected_bad);
    assert!(bad >= 15, "{bad} bad lines: {err}");
    assert!(err.contains("line 1 column"), "serde_json positions: {err}");
    assert!(out.contains(
        r#"{"decision":"Allow","policy_type":null,"action":"vpc:DescribeVpcs","line":2}"#
    ));
}

/// Over-long and non-UTF-8 lines, `\r\n` endings and a last line without a newline.
#[test]
fn line_bounds_are_kept() {
    let (args, store) = setup(&[]);
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"action\":\"vpc:DescribeVpcs\"}\r\n");
    input.extend_from_slice(b"{\"action\":\"vpc:Describe\xffVpcs\"}\n");
    input.extend_from_slice(b"{\"action\":\"");
    input.extend(std::iter::repeat_n(b'a', ramsim::input::MAX_REQUEST_LINE));
    input.extend_from_slice(b"\"}\n\r\n");
    input.extend_from_slice(b"{\"action\":\"vpc:DeleteVpc\",\"id\":\"last\"}");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let bad = decide_stream(
        &args,
        &store,
        &args.eval_options(),
        &input[..],
        "in",
        &mut out,
        &mut err,
    )
    .expect("no I/O error");
    let out = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(bad, 2);
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].ends_with("\"line\":1}"));
    assert_eq!(
        lines[1],
        r#"{"line":2,"error":"not UTF-8 (invalid byte at column 24)"}"#
    );
    assert!(lines[2].starts_with(r#"{"line":3,"error":"line of 1048589 bytes is over the 1 MiB"#));
    assert!(
        lines[3].ends_with(r#""id":"last","line":5}"#),
        "{}",
        lines[3]
    );
}

/// A reader that fails once its bytes run out, the way a broken pipe or disk does.
struct FailingAfter<'a>(&'a [u8]);

impl std::io::Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::other("device gone"));
        }
        let n = buf.len().min(self.0.len()).min(1000);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// A read error after several batches: every line before it is decided and written, in order,
/// then the error names the line it stopped at — whether batches are read while others are
/// decided (`--jobs 2`) or one after the other.
#[test]
fn a_read_error_keeps_every_line_before_it() {
    let mut g = Gen(7);
    let lines: Vec<String> = (0..9_000).map(|_| line(&mut g) + "\n").collect();
    let input: String = lines.concat();
    let mut results = Vec::new();
    for jobs in ["1", "2"] {
        let (args, store) = setup(&["--jobs", jobs]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let reader = std::io::BufReader::new(FailingAfter(input.as_bytes()));
        let failed = decide_stream(
            &args,
            &store,
            &args.eval_options(),
            reader,
            "in",
            &mut out,
            &mut err,
        )
        .expect_err("the read error ends the stream");
        assert_eq!(failed, "in:9001: cannot read: device gone", "--jobs {jobs}");
        let out = String::from_utf8(out).expect("utf-8");
        assert_eq!(out.lines().count(), 9_000, "--jobs {jobs}");
        assert!(out.ends_with("\"line\":9000}\n"), "--jobs {jobs}");
        results.push(out);
    }
    assert_eq!(results[0], results[1]);
}
