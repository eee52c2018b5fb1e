//! The checks behind the cargo-fuzz targets, shared by the targets themselves
//! (`fuzz/fuzz_targets/*.rs`, nightly, thin wrappers) and the corpus replay test
//! (`tests/fuzz_corpus.rs`, stable, in CI), so that every committed corpus input and crash
//! reproducer goes through exactly the code the fuzzer ran.
//!
//! Each check takes the raw fuzzer input and panics when a property fails:
//!
//! * [`policy_reader`]: `read_policy` for every kind and option set never panics, keeps every
//!   diagnostic span inside the text and on character boundaries, returns a policy exactly when
//!   there is no error, and canonical print → read reproduces the canonical print.
//! * [`json_reader`]: the span-preserving JSON reader accepts what `serde_json` accepts (up to its
//!   documented nesting bound and serde_json's finite-number rule), reads the same values, and
//!   gives spans that cover exactly the source of each value.
//! * [`evaluator`]: `authz::decide`, `authz::explain` and the reference evaluator agree; the
//!   the input drives a transcription of the generators of `tests/reference/strategies.rs`
//!   ([`Bytes`]) with free-form strings added in requests and string conditions.
//! * [`gateway_decode`]: `cloud::Operation::decode` and `iam::IamOperation::decode` never panic,
//!   are deterministic, and decoded operations survive a serde round trip.
//! * [`world_spec`]: `WorldSpec::from_json` → `build()` and `SimState::from_world_json` (world
//!   files with identities) never panic (hangs are the fuzzer's `-timeout`), and a parsed spec
//!   survives a serde round trip.
//! * [`invariant`]: the invariant language's parser and checker never panic and are deterministic;
//!   an accepted invariant evaluates on a small world without panicking.
//! * [`scenario_file`]: a scenario file (worlds and policies resolved against `corpus/`) runs
//!   without panicking and gives the same results twice.
//! * [`aliyun_cli`]: `api::request::parse_cli_line` / `parse_json_request` never panic, a parsed
//!   CLI request re-rendered as a command line parses back to itself, and decoding it never
//!   panics.
//! * [`eval_requests`]: a `ramsim eval --requests` stream of arbitrary bytes (invalid UTF-8,
//!   over-long and malformed lines included) gets exactly one JSON record per non-blank line,
//!   carrying its line number, and the same records twice.

#![allow(dead_code)]

#[path = "../reference/mod.rs"]
pub mod reference;

use ramsim::authz::PrincipalKind;
use ramsim::cloud::operation::{Operation, ACTIONS as CLOUD_ACTIONS};
use ramsim::cloud::WorldSpec;
use ramsim::iam::ops::IamOperation;
use ramsim::policy::diagnostic::render_human;
use ramsim::policy::json::{self, Node, Value as JsonValue, MAX_DEPTH};
use ramsim::policy::print::to_canonical_string;
use ramsim::policy::span::{LineIndex, Span};
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
use reference::strategies::{
    self, GenCond, GenNode, GenPolicy, GenRequest, GenStmt, GenStore, ACTIONS, ARNS, BOOL, KEYS,
    ODD_ACTIONS, ODD_VALUES, OPERATORS, POLICY_VALUES, PRINCIPALS, STRING, TRUST_ACTIONS,
};
use serde_json::{Map, Value};

/// A check: panics when the input breaks a property.
pub type Check = fn(&[u8]);

/// Every fuzz target: name (= `fuzz/fuzz_targets/<name>.rs`, `fuzz/corpus/<name>/`) and check.
pub const TARGETS: &[(&str, Check)] = &[
    ("policy_reader", policy_reader),
    ("json_reader", json_reader),
    ("evaluator", evaluator),
    ("gateway_decode", gateway_decode),
    ("world_spec", world_spec),
    ("aliyun_cli", aliyun_cli),
    ("invariant", invariant),
    ("scenario_file", scenario_file),
    ("eval_requests", eval_requests),
];

/// The fuzzer input read as a stream of choices (zeros once it is used up), so the fuzzer
/// steers the generators below and small input changes make small structural changes.
///
/// (Proptest's pass-through RNG would let the input drive `tests/reference/strategies.rs`
/// directly, but `prop_oneof!` forks the RNG by halving the remaining bytes, so deep strategies
/// run dry and then rejection sampling spins on zeros forever.)
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, pos: 0 }
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, _| v << 8 | u64::from(self.u8()))
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => usize::from(self.u8()) % n,
            _ => (usize::from(self.u8()) << 8 | usize::from(self.u8())) % n,
        }
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability about `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        f64::from(self.u8()) < p * 256.0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Short free-form text: raw bytes (lossily UTF-8), or characters that matter to globs,
    /// ARNs and case folding, or empty.
    pub fn text(&mut self, max: usize) -> String {
        const ALPHABET: &[char] = &[
            'a', 'b', 'A', 'B', '*', '?', ':', '/', '.', '-', '_', ' ', 'é', 'É', 'ß', 'İ', 'ς',
            'Σ', '日', '\n', '"', '\\', '0', '1',
        ];
        match self.below(4) {
            0 => String::new(),
            1 => {
                let n = self.below(max + 1);
                let bytes: Vec<u8> = (0..n).map(|_| self.u8()).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => {
                let n = self.below(max + 1);
                (0..n).map(|_| self.pick(ALPHABET)).collect()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// policy_reader

/// Strict (every §10 open question answered "no") and lenient (all "yes"), plus the defaults.
const READ_OPTIONS: [ReadOptions; 3] = [
    ReadOptions {
        allow_not_resource: false,
        set_qualifiers: false,
        statement_object: false,
        lenient_value_types: false,
    },
    ReadOptions {
        allow_not_resource: true,
        set_qualifiers: true,
        statement_object: true,
        lenient_value_types: true,
    },
    ReadOptions {
        allow_not_resource: true,
        set_qualifiers: true,
        statement_object: false,
        lenient_value_types: false,
    },
];

/// Arbitrary bytes (lossily decoded as UTF-8) read as every kind of policy with every option set.
pub fn policy_reader(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let index = LineIndex::new(&text);
    for kind in PolicyKind::ALL {
        for options in &READ_OPTIONS {
            check_read(&text, &index, kind, options);
        }
    }
}

fn check_read(text: &str, index: &LineIndex, kind: PolicyKind, options: &ReadOptions) {
    let r = read_policy(text, kind, options);
    for d in &r.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "{kind} {options:?}: span {:?} outside the text ({} bytes): {d:?}",
            d.span,
            text.len()
        );
        assert!(
            text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
            "{kind} {options:?}: span {:?} not on character boundaries: {d:?}",
            d.span
        );
        // Rendering (caret line, windowing of long lines) must not panic either.
        let _ = render_human("fuzz.json", text, index, kind, d);
    }
    assert_eq!(
        r.policy.is_some(),
        !r.has_errors(),
        "{kind} {options:?}: a policy must be returned exactly when there is no error: {:?}",
        r.diagnostics
    );
    let Some(policy) = &r.policy else { return };
    let printed = to_canonical_string(policy);
    // Pretty printing adds whitespace, which counts against the length limit (§1.8): read the
    // canonical JSON compacted when the pretty form is too long. Canonical form may still be
    // longer than the source (a lenient number gains quotes, a single statement object gains
    // brackets); such documents cannot be re-read at all, so they are skipped.
    let text2 = if printed.chars().count() > kind.max_length() {
        let v: Value = serde_json::from_str(&printed).expect("canonical print is JSON");
        v.to_string()
    } else {
        printed.clone()
    };
    if text2.chars().count() > kind.max_length() {
        return;
    }
    let again = read_policy(&text2, kind, options);
    let Some(second) = again.policy else {
        panic!(
            "{kind} {options:?}: canonical print of a valid policy is rejected\nsource: {text:?}\nprinted: {printed}\n{:#?}",
            again.diagnostics
        );
    };
    assert_eq!(
        printed,
        to_canonical_string(&second),
        "{kind} {options:?}: canonical print → read → print changed the policy\nsource: {text:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// json_reader

/// Arbitrary bytes through both JSON readers.
pub fn json_reader(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let ours = json::parse(&text);
    let theirs: Result<Value, _> = serde_json::from_str(&text);
    match (&ours, &theirs) {
        (Ok(node), Ok(v)) => {
            check_spans(&text, node);
            if !has_duplicate_keys(node) {
                assert_eq!(&to_serde(node), v, "different values for {text:?}");
            }
        }
        (Ok(node), Err(e)) => {
            // serde_json rejects numbers that overflow f64; the span reader keeps number text.
            assert!(
                e.to_string().contains("number out of range") && has_infinite_number(node),
                "span reader accepts what serde_json rejects ({e}): {text:?}"
            );
            check_spans(&text, node);
        }
        (Err(e), Ok(v)) => assert!(
            depth(v) > MAX_DEPTH,
            "span reader rejects what serde_json accepts ({} at {:?}): {text:?}",
            e.message,
            e.span
        ),
        (Err(e), Err(_)) => check_span(&text, e.span, "syntax error"),
    }
}

fn check_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end),
        "{what} span {span:?} outside the text or not on character boundaries: {text:?}"
    );
}

/// Every node's span is exactly its source: literals, numbers and strings re-read from the
/// span give the same value.
fn check_spans(text: &str, node: &Node) {
    check_span(text, node.span, "value");
    let src = &text[node.span.start..node.span.end];
    match &node.value {
        JsonValue::Null => assert_eq!(src, "null"),
        JsonValue::Bool(b) => assert_eq!(src, if *b { "true" } else { "false" }),
        JsonValue::Number(raw) => assert_eq!(src, raw),
        JsonValue::String(s) => {
            let reread: String = serde_json::from_str(src).expect("string span is a JSON string");
            assert_eq!(&reread, s, "string span {:?}", node.span);
        }
        JsonValue::Array(items) => {
            assert!(
                src.starts_with('[') && src.ends_with(']'),
                "array span {src:?}"
            );
            items.iter().for_each(|n| check_spans(text, n));
        }
        JsonValue::Object(members) => {
            assert!(
                src.starts_with('{') && src.ends_with('}'),
                "object span {src:?}"
            );
            for m in members {
                check_span(text, m.key_span, "key");
                let key_src = &text[m.key_span.start..m.key_span.end];
                let key: String = serde_json::from_str(key_src).expect("key span is a JSON string");
                assert_eq!(key, m.key);
                check_spans(text, &m.value);
            }
        }
    }
}

fn has_duplicate_keys(node: &Node) -> bool {
    match &node.value {
        JsonValue::Array(items) => items.iter().any(has_duplicate_keys),
        JsonValue::Object(members) => {
            let mut seen = std::collections::HashSet::new();
            members
                .iter()
                .any(|m| !seen.insert(m.key.as_str()) || has_duplicate_keys(&m.value))
        }
        _ => false,
    }
}

fn has_infinite_number(node: &Node) -> bool {
    match &node.value {
        JsonValue::Number(raw) => raw.parse::<f64>().map_or(true, |f| f.is_infinite()),
        JsonValue::Array(items) => items.iter().any(has_infinite_number),
        JsonValue::Object(members) => members.iter().any(|m| has_infinite_number(&m.value)),
        _ => false,
    }
}

/// Nesting depth counted like the span reader does (a scalar is 0, `[]` is 1).
fn depth(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn to_serde(node: &Node) -> Value {
    match &node.value {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Bool(*b),
        JsonValue::Number(raw) => serde_json::from_str(raw).expect("number text parses"),
        JsonValue::String(s) => Value::String(s.clone()),
        JsonValue::Array(items) => Value::Array(items.iter().map(to_serde).collect()),
        JsonValue::Object(members) => Value::Object(
            members
                .iter()
                .map(|m| (m.key.clone(), to_serde(&m.value)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// evaluator

// The generators of `tests/reference/strategies.rs`, transcribed to read their choices from
// `Bytes`, plus free-form strings where the engine must cope with anything.

fn action_pattern(b: &mut Bytes<'_>) -> String {
    let (code, name) = b.pick(ACTIONS).split_once(':').expect("action has a colon");
    let (kind, pos, mask) = (b.below(12) as u8, b.below(64), b.u64());
    let s = match kind {
        8 => "*".to_string(),
        9 => format!("*:{name}"),
        10 => format!("{}:{name}", strategies::mutate(code, 3, pos)),
        _ => format!("{code}:{}", strategies::mutate(name, kind, pos)),
    };
    strategies::flip_case(&s, mask)
}

fn resource_pattern(b: &mut Bytes<'_>) -> String {
    let arn = b.pick(ARNS);
    let k1 = b.below(12) as u8;
    match k1 {
        10 => return "*".to_string(),
        11 => return "acs:*:*:*:*".to_string(),
        _ => {}
    }
    let mut fields: Vec<String> = arn.splitn(5, ':').map(str::to_string).collect();
    for kind in [k1, b.below(10) as u8] {
        let pos = b.below(256);
        let f = 1 + pos % 4;
        fields[f] = match kind {
            8 => strategies::flip_case(&fields[f], 1 << (pos % 5)),
            9 => fields[f].clone(),
            _ => strategies::mutate(&fields[f], kind, pos / 4),
        };
    }
    fields.join(":")
}

fn condition(b: &mut Bytes<'_>) -> GenCond {
    let (key, home_fam) = b.pick(KEYS);
    let fam = if b.chance(0.75) { home_fam } else { b.below(5) };
    let ops = OPERATORS[fam];
    let base = b.pick(ops);
    let op = match b.below(4) {
        1 if fam != BOOL => format!("ForAnyValue:{base}"),
        2 if fam != BOOL => format!("ForAllValues:{base}"),
        _ => base.to_string(),
    };
    let pool = POLICY_VALUES[fam];
    let n = if fam == BOOL { 1 } else { b.between(1, 3) };
    let values: Vec<String> = (0..n)
        .map(|_| {
            // String operators accept any value: sometimes a free-form one.
            if fam == STRING && b.chance(0.15) {
                b.text(10)
            } else {
                b.pick(pool).to_string()
            }
        })
        .collect();
    let single = b.chance(0.5) && values.len() == 1;
    GenCond {
        op,
        key: strategies::flip_case(key, b.u64() & 0x3f),
        values,
        single,
    }
}

fn statement(b: &mut Bytes<'_>) -> GenStmt {
    if b.below(5) == 0 {
        return strategies::broad_allow();
    }
    GenStmt {
        sid: b.chance(0.2).then(|| {
            let n = b.between(1, 3);
            (0..n).map(|_| (b'a' + b.below(26) as u8) as char).collect()
        }),
        allow: b.chance(0.6),
        not_action: b.chance(0.2),
        actions: (0..b.between(1, 3)).map(|_| action_pattern(b)).collect(),
        not_resource: b.chance(0.15),
        resources: (0..b.between(1, 3)).map(|_| resource_pattern(b)).collect(),
        single: b.chance(0.5),
        principals: (0..b.between(1, 2))
            .map(|_| b.pick(PRINCIPALS).to_string())
            .collect(),
        trust_actions: (0..b.between(1, 2))
            .map(|_| b.pick(TRUST_ACTIONS).to_string())
            .collect(),
        conditions: (0..b.below(4)).map(|_| condition(b)).collect(),
    }
}

fn policy(b: &mut Bytes<'_>) -> GenPolicy {
    GenPolicy {
        statements: (0..b.between(1, 3)).map(|_| statement(b)).collect(),
    }
}

fn policies(b: &mut Bytes<'_>, lo: usize, hi: usize) -> Vec<GenPolicy> {
    (0..b.between(lo, hi)).map(|_| policy(b)).collect()
}

fn store(b: &mut Bytes<'_>) -> GenStore {
    GenStore {
        control_chain: (0..b.below(4))
            .map(|_| GenNode {
                policies: policies(b, 0, 2),
                all_scope: policies(b, 0, 1),
            })
            .collect(),
        session: b.chance(0.3).then(|| policy(b)),
        identity: policies(b, 0, 2),
        resource_groups: (0..b.below(3))
            .map(|_| (b.pick(&["rg-1", "rg-2"]).to_string(), policies(b, 1, 2)))
            .collect(),
        resource_policy: b.chance(0.35).then(|| policy(b)),
    }
}

fn request_value(b: &mut Bytes<'_>, home: usize) -> String {
    match b.below(8) {
        0..=2 => b.pick(POLICY_VALUES[home]).to_string(),
        3 | 4 => strategies::flip_unicode_case(b.pick(POLICY_VALUES[home]), b.u64()),
        5 => {
            let family = b.below(5);
            b.pick(POLICY_VALUES[family]).to_string()
        }
        6 => b.pick(ODD_VALUES).to_string(),
        _ => b.text(12),
    }
}

fn pair(b: &mut Bytes<'_>) -> (String, String) {
    let action = match b.below(20) {
        0 => strategies::flip_case(b.pick(ODD_ACTIONS), b.u64()),
        1 => b.text(16),
        2..=12 => b.pick(ACTIONS).to_string(),
        _ => strategies::flip_case(b.pick(ACTIONS), b.u64()),
    };
    let resource = match b.below(12) {
        0 => "*".to_string(),
        1 => b.text(16),
        _ => b.pick(ARNS).to_string(),
    };
    (action, resource)
}

fn request(b: &mut Bytes<'_>) -> GenRequest {
    let kind = b.pick(&[
        PrincipalKind::RamUser,
        PrincipalKind::AssumedRoleUser,
        PrincipalKind::Root,
    ]);
    let name = b.below(3);
    GenRequest {
        kind,
        account: b.pick(&["111", "222"]),
        name: match kind {
            PrincipalKind::AssumedRoleUser => ["admin/sess", "app-web/s1", "admin"][name],
            _ => ["alice", "bob", "alice"][name],
        },
        in_rd: b.chance(0.7),
        management: b.chance(0.15),
        service_linked: b.chance(0.05),
        resource_account: b.pick(&[None, Some("111"), Some("222")]),
        resource_group: b.pick(&[None, Some("rg-1"), Some("rg-2")]),
        assume_role: b.chance(0.2),
        pairs: (0..b.between(1, 3)).map(|_| pair(b)).collect(),
        context: KEYS
            .iter()
            .map(|&(key, home)| {
                let key = strategies::flip_case(key, b.u64() & 0x3f);
                let values = match b.below(10) {
                    0..=2 => None,
                    3..=6 => Some(vec![request_value(b, home)]),
                    7 | 8 => Some(
                        (0..b.between(2, 3))
                            .map(|_| request_value(b, home))
                            .collect(),
                    ),
                    _ => Some(Vec::new()),
                };
                (key, values)
            })
            .collect(),
        fail_closed: b.chance(0.5),
        account_level_implicit: b.chance(0.5),
    }
}

/// A store and request generated from the input; engine, tracer and reference must agree.
pub fn evaluator(data: &[u8]) {
    let mut b = Bytes::new(data);
    let s = store(&mut b);
    let g = request(&mut b);
    // A free-form condition value can make a generated policy invalid: nothing to compare then.
    let Ok(built) = strategies::build(&s, &g) else {
        return;
    };
    if let Err(e) = reference::compare::compare(&built, &g) {
        panic!("engine and reference disagree: {e}\nstore: {s:#?}\nrequest: {g:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// gateway_decode

const IAM_ACTIONS: &[&str] = &[
    "CreateUser",
    "CreateAccessKey",
    "CreateGroup",
    "AddUserToGroup",
    "CreateRole",
    "UpdateRole",
    "CreatePolicy",
    "CreatePolicyVersion",
    "DeletePolicy",
    "AttachPolicyToUser",
    "AttachPolicyToGroup",
    "AttachPolicyToRole",
    "DetachPolicyFromUser",
    "DetachPolicyFromGroup",
    "DetachPolicyFromRole",
    "AttachPolicy",
    "DetachPolicy",
    "CreateResourceGroup",
    "CreateControlPolicy",
    "AttachControlPolicy",
    "DetachControlPolicy",
    "AssumeRole",
    "GetCallerIdentity",
];

const PARAM_NAMES: &[&str] = &[
    "AcceptingAliUid",
    "AcceptingRegionId",
    "AcceptingVpcId",
    "AssumeRolePolicyDocument",
    "Bandwidth",
    "CidrBlock",
    "ClientToken",
    "Description",
    "DestinationCidrBlock",
    "DryRun",
    "DurationSeconds",
    "EffectScope",
    "EnableIpv6",
    "Force",
    "GroupName",
    "InstanceId",
    "Ipv6CidrBlock",
    "LinkType",
    "MaxResults",
    "Name",
    "NewAssumeRolePolicyDocument",
    "NextHopId",
    "NextHopType",
    "NextToken",
    "PageNumber",
    "PageSize",
    "Policy",
    "PolicyDocument",
    "PolicyId",
    "PolicyName",
    "PolicyType",
    "PrincipalName",
    "PrincipalType",
    "RegionId",
    "ResourceGroupId",
    "RoleArn",
    "RoleName",
    "RoleSessionName",
    "RouteEntryId",
    "RouteEntryName",
    "RouteEntryType",
    "RouteTableId",
    "SetAsDefault",
    "TargetId",
    "UserCidr",
    "UserName",
    "VSwitchId",
    "VSwitchName",
    "VpcId",
    "VpcName",
    "Weight",
    "ZoneId",
];

const LIST_PARAMS: &[(&str, &[&str])] = &[
    ("NextHopList", &["NextHopId", "NextHopType", "Weight"]),
    ("Tag", &["Key", "Value"]),
    ("VpcId", &[]),
    ("InstanceId", &[]),
];

const TEXT_VALUES: &[&str] = &[
    "",
    "cn-hangzhou",
    "cn-beijing",
    "cn-hangzhou-h",
    "vpc-abc",
    "pcc-abc",
    "vtb-abc",
    "10.0.0.0/8",
    "192.168.0.0/16",
    "10.0.0.0/33",
    "fd00::/8",
    "true",
    "FALSE",
    "1",
    "0",
    "-1",
    "9223372036854775807",
    "99999999999999999999",
    " 12 ",
    "1234567890123456",
    "User",
    "Group",
    "Role",
    "IMSUser",
    "IMSGroup",
    "ServiceRole",
    "Custom",
    "System",
    "Instance",
    "VpcPeer",
    "RouterInterface",
    "acs:ram::1234567890123456:role/admin",
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    "é日",
];

fn param_name(b: &mut Bytes<'_>) -> String {
    match b.below(7) {
        0..=3 => b.pick(PARAM_NAMES).to_string(),
        4 | 5 => {
            let (list, fields) = b.pick(LIST_PARAMS);
            let n = b.below(4);
            if fields.is_empty() {
                format!("{list}.{n}")
            } else {
                format!("{list}.{n}.{}", b.pick(fields))
            }
        }
        _ => b.text(12),
    }
}

fn param_value(b: &mut Bytes<'_>, depth: usize) -> Value {
    match b.below(12) {
        0..=3 => Value::String(b.pick(TEXT_VALUES).to_string()),
        4 => Value::String(b.text(12)),
        5 | 6 => Value::from(b.u64() as i64),
        7 => Value::from(f64::from_bits(b.u64())),
        8 => Value::Bool(b.chance(0.5)),
        9 => Value::Null,
        10 if depth < 2 => {
            Value::Array((0..b.below(3)).map(|_| param_value(b, depth + 1)).collect())
        }
        11 if depth < 2 => Value::Object(
            (0..b.below(3))
                .map(|_| (param_name(b), param_value(b, depth + 1)))
                .collect(),
        ),
        _ => Value::String(String::new()),
    }
}

fn gateway_request(b: &mut Bytes<'_>) -> (String, Map<String, Value>) {
    let action = match b.below(7) {
        0..=2 => b.pick(CLOUD_ACTIONS).to_string(),
        3..=5 => b.pick(IAM_ACTIONS).to_string(),
        _ => b.text(20),
    };
    let params = (0..b.below(10))
        .map(|_| (param_name(b), param_value(b, 0)))
        .collect();
    (action, params)
}

/// `Action\n{json object}` as text (readable seeds), otherwise a request generated from the
/// bytes.
pub fn gateway_decode(data: &[u8]) {
    let direct = std::str::from_utf8(data).ok().and_then(|text| {
        let (action, rest) = text.split_once('\n')?;
        match serde_json::from_str::<Value>(rest) {
            Ok(Value::Object(params)) => Some((action.to_string(), params)),
            _ => None,
        }
    });
    let (action, params) = direct.unwrap_or_else(|| gateway_request(&mut Bytes::new(data)));
    decode_both(&action, &params);
}

fn decode_both(action: &str, params: &Map<String, Value>) {
    let op = Operation::decode(action, params);
    assert_eq!(
        op,
        Operation::decode(action, params),
        "Operation::decode is not deterministic"
    );
    match &op {
        Ok(op) => {
            assert!(
                CLOUD_ACTIONS.contains(&action),
                "decoded unknown action {action:?}"
            );
            let v = serde_json::to_value(op).expect("operation serializes");
            let back: Operation = serde_json::from_value(v).expect("operation deserializes");
            assert_eq!(&back, op, "serde round trip of {action}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match IamOperation::decode(action, params) {
        None => assert!(
            !IAM_ACTIONS.contains(&action),
            "identity action {action:?} not recognized"
        ),
        Some(Ok(op)) => {
            let _ = (op.action_name(), op.product(), op.is_write());
        }
        Some(Err(e)) => {
            let _ = e.to_string();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// world_spec

/// Arbitrary bytes (lossily UTF-8) as a world file: the network part alone (`WorldSpec`) and
/// the whole file with its identity section (`SimState::from_world_json`; policy files are
/// looked up in a directory that does not exist).
pub fn world_spec(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = ramsim::api::SimState::from_world_json(
        &text,
        std::path::Path::new("/nonexistent/ramsim-fuzz"),
    ) {
        let _ = e.to_string();
    }
    let Ok(spec) = WorldSpec::from_json(&text) else {
        return;
    };
    let json = serde_json::to_string(&spec).expect("spec serializes");
    let again = WorldSpec::from_json(&json)
        .unwrap_or_else(|e| panic!("serialized spec does not parse back: {e}\n{json}"));
    assert_eq!(again, spec, "serde round trip of the world spec");
    if let Err(e) = spec.build() {
        let _ = e.to_string();
    }
}

// ---------------------------------------------------------------------------------------------
// aliyun_cli

/// Single-quotes a shell word (`'` written as `'\''`).
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Arbitrary bytes (lossily UTF-8) as an aliyun CLI line and as a JSON request.
pub fn aliyun_cli(data: &[u8]) {
    use ramsim::api::request::{parse_cli_line, parse_json_request};
    let text = String::from_utf8_lossy(data);
    if let Ok(req) = parse_cli_line(&text) {
        // Re-render canonically: every word single-quoted, parameters as `--Name=value`.
        let product = req
            .product
            .as_deref()
            .expect("CLI requests name their product");
        let mut line = format!(
            "aliyun {} {}",
            product.to_lowercase(),
            shell_quote(&req.action)
        );
        for (name, value) in &req.params {
            let value = value.as_str().expect("CLI parameter values are strings");
            line.push(' ');
            line.push_str(&shell_quote(&format!("--{name}={value}")));
        }
        let again = parse_cli_line(&line)
            .unwrap_or_else(|e| panic!("re-rendered line rejected: {e}\n{line}\nfrom {text:?}"));
        assert_eq!(again, req, "CLI round trip via {line}");
        decode_both(&req.action, &req.params);
    }
    if let Ok(req) = parse_json_request(&text) {
        decode_both(&req.action, &req.params);
    }
}

/// A small world the invariant target evaluates accepted invariants on.
fn invariant_world() -> Option<ramsim::api::SimState> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/worlds/peering.json");
    let path = if path.exists() {
        path
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/worlds/peering.json")
    };
    ramsim::api::SimState::from_world_file(&path).ok()
}

/// The invariant language: parse, check, evaluate.
pub fn invariant(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = ramsim::check::invariant::Invariant::from_expr("fuzz", text);
    let second = ramsim::check::invariant::Invariant::from_expr("fuzz", text);
    assert_eq!(first.is_ok(), second.is_ok(), "parsing is deterministic");
    if let (Err(a), Err(b)) = (&first, &second) {
        assert_eq!(a, b, "errors are deterministic");
    }
    if let (Ok(inv), Some(state)) = (first, invariant_world()) {
        if let ramsim::check::invariant::Rule::Expr { src, expr } = &inv.rule {
            let mut cache = ramsim::check::invariant::eval::EvalCache::default();
            let _ = ramsim::check::invariant::eval::evaluate(src, expr, &state, &mut cache);
        }
    }
}

/// The repository root, from the main crate or from `fuzz/` (which has a `corpus/` of its own,
/// so look for `policies/`).
fn repo_root() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if root.join("policies").is_dir() {
        root.to_path_buf()
    } else {
        root.join("..")
    }
}

/// The flags and compiled store of the `eval_requests` target, built once.
fn eval_requests_setup(
) -> Option<&'static (ramsim::cli::eval::EvalArgs, ramsim::authz::PolicyStore)> {
    static SETUP: std::sync::OnceLock<
        Option<(ramsim::cli::eval::EvalArgs, ramsim::authz::PolicyStore)>,
    > = std::sync::OnceLock::new();
    SETUP
        .get_or_init(|| {
            let policy = repo_root().join("policies/network-admin.json");
            let policy = policy.to_str()?.to_string();
            let cli = ramsim::cli::Cli::try_from_args(&[
                "ramsim",
                "eval",
                "--identity",
                &policy,
                "--account",
                "1234567890123456",
                "--requests",
                "-",
            ])
            .ok()?;
            let ramsim::cli::Command::Eval(args) = cli.command else {
                return None;
            };
            let store = ramsim::cli::eval::build_store(&args).ok()?;
            Some((*args, store))
        })
        .as_ref()
}

/// Batch request lines (`ramsim eval --requests`): one JSON record per non-blank line.
pub fn eval_requests(data: &[u8]) {
    let Some((args, store)) = eval_requests_setup() else {
        panic!("the eval_requests setup (policies/network-admin.json) must load");
    };
    let options = args.eval_options();
    let run = || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let bad = ramsim::cli::eval::decide_stream(
            args, store, &options, data, "fuzz", &mut out, &mut err,
        )
        .expect("reading a byte slice cannot fail");
        (out, err, bad)
    };
    let (out, err, bad) = run();
    assert_eq!(run(), (out.clone(), err.clone(), bad), "deterministic");
    // Which lines get a record: every line but the blank ones (valid UTF-8, whitespace only).
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let expected: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.len() > ramsim::input::MAX_REQUEST_LINE
                || !std::str::from_utf8(l).is_ok_and(|t| t.trim().is_empty())
        })
        .map(|(n, _)| n + 1)
        .collect();
    let out = String::from_utf8(out).expect("records are UTF-8");
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each record is one JSON line"))
        .collect();
    let numbered: Vec<usize> = records
        .iter()
        .map(|r| r["line"].as_u64().expect("a line number") as usize)
        .collect();
    assert_eq!(
        numbered, expected,
        "one record per non-blank line, in order"
    );
    let errors = records.iter().filter(|r| r.get("error").is_some()).count();
    assert_eq!(errors, bad, "every bad line has an error record");
    assert_eq!(
        String::from_utf8_lossy(&err).lines().count(),
        bad,
        "and one message on stderr"
    );
}

/// Scenario files run through `ramsim test`'s runner.
pub fn scenario_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let corpus = repo_root().join("corpus");
    let run = || {
        let mut coverage = ramsim::scenario::CoverageCollector::default();
        // References may reach the repository's policies/ (as the corpus's worlds do), not
        // beyond, wherever the fuzzer runs from.
        let refs = ramsim::input::FileRefs::confined_to(&[&repo_root()]);
        let results = ramsim::scenario::run_text_with(
            text,
            "fuzz.test.json",
            "fuzz",
            &corpus,
            &|_| true,
            &mut coverage,
            &refs,
        );
        let _ = coverage.report();
        results
            .iter()
            .map(|r| (r.name.clone(), r.passed, r.actual.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run(), "scenario runs are deterministic");
}
