//! Lint's L008 (redundant statement) and L009 (unreachable Allow) by the exact analysis at every
//! size (issue 14): each statement is decided against the statements that can meet it, which
//! must give the answer of the whole policy (checked against whole-policy analyses on random
//! policies); a 200-statement policy gets exact findings a one-statement-covers-another rule
//! misses; and a budget overrun claims nothing without proof and says so (L017).

use ramsim::analysis::{self, Analysis, Flow, Options, PolicyInput};
use ramsim::authz::Outcome;
use ramsim::lint::redundancy::{check_policy_syntactic, check_policy_within, EXACT_BUDGET};
use ramsim::lint::{lint_policy, Lint, LintOptions};
use ramsim::policy::ast::{Effect, Policy};
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};

fn read(text: &str) -> Policy {
    read_policy(text, PolicyKind::Identity, &ReadOptions::default())
        .policy
        .unwrap_or_else(|| panic!("valid policy: {text}"))
}

/// A policy of more statements than RAM's 6,144-character limit lets one document hold: read
/// in documents of 20 statements, joined into one.
fn read_joined(statements: &[String]) -> Policy {
    let mut chunks = statements.chunks(20);
    let mut p = read(&doc(chunks.next().expect("statements")));
    for c in chunks {
        p.statements.extend(read(&doc(c)).statements);
    }
    p
}

fn doc(statements: &[String]) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// `(code, statement index)` of the L008/L009/L017 findings.
fn codes(lints: &[Lint]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = lints
        .iter()
        .filter(|l| matches!(l.code.info().id, "L008" | "L009" | "L017"))
        .map(|l| (l.code.info().id.to_string(), l.path.to_string()))
        .collect();
    v.sort();
    v
}

fn exact(policy: &Policy) -> Vec<(String, String)> {
    let mut out = Vec::new();
    check_policy_within(policy, EXACT_BUDGET, &mut out);
    codes(&out)
}

fn subset(policy: &Policy, keep: &[usize]) -> Flow {
    let mut p = policy.clone();
    p.statements = keep.iter().map(|&i| policy.statements[i].clone()).collect();
    Flow::identity("p", vec![PolicyInput::new("p", None, None, p)])
}

fn ever(policy: &Policy, keep: &[usize], want: Outcome) -> bool {
    let a = Analysis::new(vec![subset(policy, keep)], Options::default());
    let (r, stats) = a.regions(&|d| d[0] == want, None, None, 1);
    assert!(stats.complete);
    !r.is_empty()
}

/// The rule's definition, with every question asked of the whole policy (no restriction to
/// the statements that can meet the one decided).
fn whole_policy_oracle(policy: &Policy) -> Vec<(String, String)> {
    let s = &policy.statements;
    let n = s.len();
    let denies: Vec<usize> = (0..n).filter(|&i| s[i].effect == Effect::Deny).collect();
    let mut out = Vec::new();
    let mut unreachable = vec![false; n];
    for j in (0..n).filter(|&j| s[j].effect == Effect::Allow) {
        if denies.is_empty() {
            break;
        }
        let mut keep = denies.clone();
        keep.push(j);
        keep.sort_unstable();
        if !ever(policy, &keep, Outcome::Allow) && ever(policy, &[j], Outcome::Allow) {
            unreachable[j] = true;
            out.push(("L009".to_string(), format!("Statement[{j}]")));
        }
    }
    let mut current: Vec<usize> = (0..n).collect();
    for j in (0..n).rev() {
        let without: Vec<usize> = current.iter().copied().filter(|&i| i != j).collect();
        if unreachable[j] {
            current = without;
            continue;
        }
        let d = analysis::diff(
            subset(policy, &current),
            subset(policy, &without),
            Options::default(),
        );
        assert!(d.stats.complete);
        let applied = match s[j].effect {
            Effect::Allow => Outcome::Allow,
            Effect::Deny => Outcome::ExplicitDeny,
        };
        if d.regions.is_empty() && ever(policy, &[j], applied) {
            out.push(("L008".to_string(), format!("Statement[{j}]")));
            current = without;
        }
    }
    out.sort();
    out
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const ACTIONS: &[&str] = &[
    "*",
    "ecs:*",
    "ecs:Describe*",
    "ecs:DescribeInstances",
    "ecs:*Instance*",
    "vpc:CreateVpc",
    "vpc:Create*",
    "oss:GetObject",
    "oss:Get*",
    "*:Get*",
    "kms:Encrypt",
];
const RESOURCES: &[&str] = &[
    "*",
    "acs:ecs:*:*:instance/*",
    "acs:vpc:*:*:vpc/*",
    "acs:oss:*:*:bucket/*",
    "acs:*:*:*:*/dev-*",
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"Bool":{"acs:SecureTransport":"true"}}"#,
];

fn random_statement(rng: &mut Rng) -> String {
    let element = if rng.below(8) == 0 {
        "NotAction"
    } else {
        "Action"
    };
    format!(
        r#"{{"Effect":"{}","{element}":"{}","Resource":"{}"{}}}"#,
        if rng.below(3) == 0 { "Deny" } else { "Allow" },
        rng.pick(ACTIONS),
        rng.pick(RESOURCES),
        rng.pick(CONDITIONS)
    )
}

#[test]
fn restricted_questions_give_the_whole_policys_answers() {
    let pairs: usize = if cfg!(debug_assertions) { 150 } else { 600 };
    let mut rng = Rng(14);
    let mut with_findings = 0;
    for _ in 0..pairs {
        let n = 2 + rng.below(5);
        let stmts: Vec<String> = (0..n).map(|_| random_statement(&mut rng)).collect();
        let text = doc(&stmts);
        let p = read(&text);
        let got = exact(&p);
        let want = whole_policy_oracle(&p);
        assert_eq!(got, want, "{text}");
        with_findings += usize::from(!want.is_empty());
    }
    // The generator is not vacuous: a good share of the policies have findings.
    assert!(with_findings * 5 > pairs, "{with_findings} of {pairs}");
}

/// A 200-statement policy: one exact action per statement across many services, plus
/// statements whose redundancy (or unreachability) only the exact rule proves.
fn big_policy() -> (Vec<String>, Vec<(String, String)>) {
    let services = [
        "ecs", "vpc", "rds", "slb", "cdn", "cs", "log", "fc", "mns", "ots", "nas", "ess", "waf",
        "alidns", "nat", "ga", "arms", "dts", "dms", "adb",
    ];
    let verbs = [
        "Describe", "Create", "Delete", "Modify", "List", "Get", "Update", "Start", "Stop", "Query",
    ];
    let mut stmts: Vec<String> = Vec::new();
    for (s, svc) in services.iter().enumerate() {
        for (v, verb) in verbs.iter().enumerate() {
            if stmts.len() == 194 {
                break;
            }
            let cond = match (s + v) % 4 {
                1 => r#","Condition":{"IpAddress":{"acs:SourceIp":"192.168.0.0/16"}}"#,
                2 => r#","Condition":{"Bool":{"acs:SecureTransport":"true"}}"#,
                _ => "",
            };
            stmts.push(format!(
                r#"{{"Sid":"S{}","Effect":"Allow","Action":"{svc}:{verb}Thing{s}","Resource":"*"{cond}}}"#,
                stmts.len()
            ));
        }
    }
    // 194, 195: oss:* allowed from 10/8 and from everywhere else: together they allow every
    // oss:GetObject request, so 196 is redundant — no single statement covers it.
    stmts.push(r#"{"Sid":"OssIn","Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#.into());
    stmts.push(r#"{"Sid":"OssOut","Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#.into());
    stmts.push(
        r#"{"Sid":"OssGet","Effect":"Allow","Action":"oss:GetObject","Resource":"*"}"#.into(),
    );
    // 197, 198: CloudMonitor denied over plain HTTP and over HTTPS: the Allow 199 never grants
    // (a modeled API's request always carries `acs:SecureTransport`).
    stmts.push(r#"{"Sid":"CmsHttp","Effect":"Deny","Action":"cms:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"false"}}}"#.into());
    stmts.push(r#"{"Sid":"CmsHttps","Effect":"Deny","Action":"cms:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}"#.into());
    stmts.push(
        r#"{"Sid":"CmsPut","Effect":"Allow","Action":"cms:PutResourceMetricRules","Resource":"*"}"#
            .into(),
    );
    // 200: a duplicate of statement 3 (one statement covers it: both rules find it).
    let dup = stmts[3].replace(r#""Sid":"S3""#, r#""Sid":"S3again""#);
    stmts.push(dup);
    let mut want = vec![
        ("L008".to_string(), "Statement[196]".to_string()),
        ("L008".to_string(), "Statement[200]".to_string()),
        ("L009".to_string(), "Statement[199]".to_string()),
    ];
    want.sort();
    (stmts, want)
}

#[test]
fn a_200_statement_policy_is_decided_exactly() {
    let (stmts, want) = big_policy();
    let p = read_joined(&stmts);
    assert_eq!(p.statements.len(), 201);
    let t = std::time::Instant::now();
    let lints = lint_policy(&p, &LintOptions::default());
    let elapsed = t.elapsed();
    assert_eq!(codes(&lints), want, "{lints:#?}");
    let l009 = lints
        .iter()
        .find(|l| l.code.info().id == "L009")
        .expect("L009");
    assert!(
        l009.message.contains("the policy's Deny statements deny"),
        "{}",
        l009.message
    );
    // The one-statement-covers-another rule finds the duplicate only: it would have called the
    // policy clean of the other two.
    let mut syntactic = Vec::new();
    check_policy_syntactic(&p, &mut syntactic);
    assert_eq!(
        codes(&syntactic),
        [("L008".to_string(), "Statement[200]".to_string())]
    );
    // Deterministic: the same findings again.
    assert_eq!(lint_policy(&p, &LintOptions::default()), lints);
    eprintln!("lint of a 201-statement policy: {elapsed:?}");
}

#[test]
fn an_exhausted_budget_claims_nothing_and_says_so() {
    let (stmts, want) = big_policy();
    let p = read_joined(&stmts);
    // No budget: no statement decided, no L008/L009, one L017 note naming all of them.
    let mut none = Vec::new();
    check_policy_within(&p, 0, &mut none);
    assert_eq!(
        codes(&none),
        [("L017".to_string(), "Statement".to_string())]
    );
    assert!(
        none[0]
            .message
            .starts_with("201 of 201 statements were not checked"),
        "{}",
        none[0].message
    );
    // Part of a budget: whatever is claimed is among the full run's findings.
    for budget in [20_000, 200_000, 1_000_000] {
        let mut some = Vec::new();
        check_policy_within(&p, budget, &mut some);
        let got = codes(&some);
        let claimed: Vec<_> = got.iter().filter(|(c, _)| c != "L017").cloned().collect();
        assert!(
            claimed.iter().all(|c| want.contains(c)),
            "{budget}: {got:?}"
        );
        if claimed != want {
            assert!(got.iter().any(|(c, _)| c == "L017"), "{budget}: {got:?}");
        }
    }
}

#[test]
fn lint_cli_decides_a_60_statement_document_exactly() {
    // 57 short statements and the oss trio: one document within RAM's length limit.
    let mut stmts: Vec<String> = (0..57)
        .map(|i| format!(r#"{{"Effect":"Allow","Action":"log:GetThing{i}","Resource":"*"}}"#))
        .collect();
    stmts.push(r#"{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#.into());
    stmts.push(r#"{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#.into());
    stmts.push(r#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}"#.into());
    let text = doc(&stmts);
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("sixty.json");
    std::fs::write(&f, &text).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(["lint", &f.display().to_string(), "--format", "json"])
        .output()
        .expect("run ramsim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"L008\""), "{stdout}");
    assert!(stdout.contains("Statement[59]"), "{stdout}");
    assert!(!stdout.contains("\"L017\""), "{stdout}");
    assert!(!stdout.contains("\"V"), "{stdout}");
}
