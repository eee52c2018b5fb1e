//! Proptest generators shared by the differential and property tests: policies (rendered to
//! JSON text and read back through `read_policy`, so the real reader is exercised), stores,
//! principals and requests.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use ramsim::authz::options::{EvalOptions, IdentityImplicitDenyType, UnparseableValues};
use ramsim::authz::{
    ActionResource, ControlNode, PolicySet, PolicySource, PolicyStore, Principal, PrincipalKind,
    Request, RequestContext,
};
use ramsim::policy::{read_policy, Policy, PolicyKind, ReadOptions};
use serde_json::{json, Map, Value};

use super::{arn_owner, RefNode, RefRequest, RefStore};

/// Concrete actions requests use (and policy patterns are derived from).
pub const ACTIONS: &[&str] = &[
    "ecs:DescribeInstances",
    "ecs:StopInstance",
    "vpc:CreateVpc",
    "vpc:DescribeVpcs",
    "vpc:CreateVpcPeerConnection",
    "oss:GetObject",
    "sts:AssumeRole",
    "privatelink:ListVpcEndpointServicesByEndUser",
    "ecs:Describe",
];

/// Request-only actions (not valid in policies: non-ASCII names).
pub const ODD_ACTIONS: &[&str] = &["ecs:DescribeÍnstances", "vpc:CreateVpcΣ", "日:*"];

/// Concrete resources requests use.
pub const ARNS: &[&str] = &[
    "acs:ecs:cn-hangzhou:111:instance/i-1",
    "acs:ecs:cn-beijing:222:instance/i-2",
    "acs:vpc:cn-hangzhou:111:vpc/vpc-a",
    "acs:oss:*:111:bucket/dir/a.jpg",
    "acs:ram::222:role/app-web",
    "acs:ram::111:role/admin",
];

pub const TRUST_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "STS:assumerole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithOIDC",
];

pub const PRINCIPALS: &[&str] = &[
    "*",
    "111",
    "222",
    "acs:ram::111:root",
    "acs:ram::222:root",
    "acs:ram::111:user/alice",
    "acs:ram::111:role/*",
    "acs:ram::222:role/admin/*",
    "acs:ram::*:user/*",
    "acs:ram::222:role/app-?eb",
    // meaningful in the OSS bucket-policy form only: a RAM user's UID, a role session
    "alice",
    "arn:sts::111:assumed-role/admin/*",
];

/// Condition keys and the value family requests usually carry for them.
pub const KEYS: &[(&str, usize)] = &[
    ("acs:SourceIp", IP),
    ("acs:CurrentTime", DATE),
    ("acs:SecureTransport", BOOL),
    ("acs:TagKeys", STRING),
    ("acs:Level", NUMERIC),
    ("acs:TargetRDId", STRING),
];

pub const STRING: usize = 0;
pub const NUMERIC: usize = 1;
pub const DATE: usize = 2;
pub const BOOL: usize = 3;
pub const IP: usize = 4;

pub const OPERATORS: [&[&str]; 5] = [
    &[
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ],
    &[
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ],
    &[
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ],
    &["Bool"],
    &["IpAddress", "NotIpAddress"],
];

/// Policy values per family (all valid for their operators).
pub const POLICY_VALUES: [&[&str]; 5] = [
    &[
        "a", "A", "ab", "a*", "*", "?b", "rd-x", "rd-X", "é", "É", "", "a?", "rd-*", "ΟΔΟΣ",
        "οδος", "ας*",
    ],
    &["0", "1", "10", "-2.5", "1e1", "10.0", "3", "0.5"],
    &[
        "2019-08-12T17:00:00+08:00",
        "2019-08-12T09:00:00Z",
        "2019-08-12",
        "1565600400",
        "2020-01-01T00:00Z",
        "2019-08-12T08:59:59.5z",
        "2019-08-12t09:00:00+0000",
        "2000-02-29T23:59:60-01:30",
    ],
    &["true", "false", "TRUE", "False"],
    &[
        "10.0.0.0/8",
        "10.1.2.3",
        "192.168.0.0/16",
        "2001:db8::/32",
        "::1",
        "0.0.0.0/0",
        "10.1.2.3/8",
        "::/0",
    ],
];

/// Request values that often do not parse for typed operators.
pub const ODD_VALUES: &[&str] = &[
    "bogus",
    "10.0.0.1/33",
    "2019-13-01",
    "1.",
    "tRuE",
    "2001:db8::5",
    "192.168.1.1",
    "10.255.255.255",
    "2019-08-12T09:00:00.000000001Z",
    "ÉB",
    "rd-xy",
    "",
    "οδοσ",
    "ΑΣ",
];

pub fn flip_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn char_split(s: &str, k: usize) -> (String, String) {
    let k = k % (s.chars().count() + 1);
    (s.chars().take(k).collect(), s.chars().skip(k).collect())
}

fn replace_char(s: &str, k: usize, with: &str) -> String {
    let n = s.chars().count();
    if n == 0 {
        return with.to_string();
    }
    let k = k % n;
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i == k {
                with.to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A glob mutation of `s` (kind, position).
pub fn mutate(s: &str, kind: u8, pos: usize) -> String {
    match kind % 8 {
        0 => s.to_string(),
        1 => format!("{}*", char_split(s, pos).0),
        2 => format!("*{}", char_split(s, pos).1),
        3 => replace_char(s, pos, "?"),
        4 => "*".to_string(),
        5 => replace_char(s, pos, "*"),
        6 => {
            let (a, b) = char_split(s, pos);
            format!("{a}*{b}")
        }
        _ => {
            // Truncation without a wildcard (usually no longer matches).
            let (a, _) = char_split(s, pos);
            if a.is_empty() {
                s.to_string()
            } else {
                a
            }
        }
    }
}

/// An action pattern: a concrete action with glob mutations and case changes.
pub fn action_pattern() -> impl Strategy<Value = String> {
    (0..ACTIONS.len(), 0u8..12, any::<usize>(), any::<u64>()).prop_map(|(a, kind, pos, mask)| {
        let (code, name) = ACTIONS[a].split_once(':').expect("action has a colon");
        let s = match kind {
            8 => "*".to_string(),
            9 => format!("*:{name}"),
            10 => format!("{}:{name}", mutate(code, 3, pos)),
            _ => format!("{code}:{}", mutate(name, kind, pos)),
        };
        flip_case(&s, mask)
    })
}

/// A resource pattern: a concrete ARN with glob mutations in up to two fields.
pub fn resource_pattern() -> impl Strategy<Value = String> {
    (
        0..ARNS.len(),
        0u8..12,
        any::<usize>(),
        0u8..10,
        any::<usize>(),
    )
        .prop_map(|(a, k1, p1, k2, p2)| {
            match k1 {
                10 => return "*".to_string(),
                11 => return "acs:*:*:*:*".to_string(),
                _ => {}
            }
            let mut fields: Vec<String> = ARNS[a].splitn(5, ':').map(str::to_string).collect();
            for (kind, pos) in [(k1, p1), (k2, p2)] {
                let f = 1 + pos % 4;
                fields[f] = match kind {
                    8 => flip_case(&fields[f], 1 << (pos % 5)),
                    9 => fields[f].clone(),
                    _ => mutate(&fields[f], kind, pos / 4),
                };
            }
            fields.join(":")
        })
}

/// One generated condition: operator name, key as written, values, single-string form.
#[derive(Debug, Clone)]
pub struct GenCond {
    pub op: String,
    pub key: String,
    pub values: Vec<String>,
    pub single: bool,
}

fn condition() -> impl Strategy<Value = GenCond> {
    (
        0..KEYS.len(),
        any::<u64>(),
        prop::bool::weighted(0.75),
        0usize..5,
        any::<usize>(),
        0u8..4,
        vec(any::<usize>(), 1..=3),
        any::<bool>(),
    )
        .prop_map(|(k, mask, home, fam, opi, qual, vals, single)| {
            let (key, home_fam) = KEYS[k];
            let fam = if home { home_fam } else { fam };
            let ops = OPERATORS[fam];
            let base = ops[opi % ops.len()];
            let op = match qual {
                1 if fam != BOOL => format!("ForAnyValue:{base}"),
                2 if fam != BOOL => format!("ForAllValues:{base}"),
                _ => base.to_string(),
            };
            let pool = POLICY_VALUES[fam];
            let mut values: Vec<String> = vals
                .iter()
                .map(|i| pool[i % pool.len()].to_string())
                .collect();
            if fam == BOOL {
                values.truncate(1);
            }
            let single = single && values.len() == 1;
            GenCond {
                op,
                key: flip_case(key, mask & 0x3f),
                values,
                single,
            }
        })
}

/// One generated statement; rendering adapts it to the policy kind.
#[derive(Debug, Clone)]
pub struct GenStmt {
    pub sid: Option<String>,
    pub allow: bool,
    pub not_action: bool,
    pub actions: Vec<String>,
    pub not_resource: bool,
    pub resources: Vec<String>,
    pub single: bool,
    pub principals: Vec<String>,
    pub trust_actions: Vec<String>,
    pub conditions: Vec<GenCond>,
}

fn general_statement() -> impl Strategy<Value = GenStmt> {
    (
        (
            option::weighted(0.2, "[a-z]{1,3}"),
            prop::bool::weighted(0.6),
            prop::bool::weighted(0.2),
            vec(action_pattern(), 1..=3),
            prop::bool::weighted(0.15),
            vec(resource_pattern(), 1..=3),
            any::<bool>(),
        ),
        (
            vec(prop::sample::select(PRINCIPALS), 1..=2),
            vec(prop::sample::select(TRUST_ACTIONS), 1..=2),
            vec(condition(), 0..=3),
        ),
    )
        .prop_map(
            |(
                (sid, allow, not_action, actions, not_resource, resources, single),
                (principals, trust_actions, conditions),
            )| GenStmt {
                sid,
                allow,
                not_action,
                actions,
                not_resource,
                resources,
                single,
                principals: principals.into_iter().map(str::to_string).collect(),
                trust_actions: trust_actions.into_iter().map(str::to_string).collect(),
                conditions,
            },
        )
}

/// `Allow * *` (for the RAM principal "*"): makes Allow decisions common.
pub fn broad_allow() -> GenStmt {
    GenStmt {
        sid: None,
        allow: true,
        not_action: false,
        actions: vec!["*".into()],
        not_resource: false,
        resources: vec!["*".into()],
        single: true,
        principals: vec!["*".into()],
        trust_actions: vec!["sts:AssumeRole".into()],
        conditions: Vec::new(),
    }
}

/// A statement: mostly random, sometimes a broad Allow.
pub fn statement() -> impl Strategy<Value = GenStmt> {
    prop_oneof![
        4 => general_statement(),
        1 => Just(broad_allow()),
    ]
}

/// A generated policy.
#[derive(Debug, Clone)]
pub struct GenPolicy {
    pub statements: Vec<GenStmt>,
}

pub fn policy() -> impl Strategy<Value = GenPolicy> {
    vec(statement(), 1..=3).prop_map(|statements| GenPolicy { statements })
}

fn strings(values: &[String], single: bool) -> Value {
    if single && values.len() == 1 {
        Value::String(values[0].clone())
    } else {
        Value::Array(values.iter().cloned().map(Value::String).collect())
    }
}

fn render_conditions(conds: &[GenCond]) -> Value {
    let mut ops: Map<String, Value> = Map::new();
    for c in conds {
        let entry = ops
            .entry(c.op.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(keys) = entry {
            if !keys.contains_key(&c.key) {
                keys.insert(c.key.clone(), strings(&c.values, c.single));
            }
        }
    }
    Value::Object(ops)
}

/// The statement as JSON for a policy of `kind`.
pub fn render_statement(s: &GenStmt, kind: PolicyKind) -> Value {
    let mut m = Map::new();
    if let Some(sid) = &s.sid {
        m.insert("Sid".into(), json!(sid));
    }
    m.insert(
        "Effect".into(),
        json!(if s.allow { "Allow" } else { "Deny" }),
    );
    if kind == PolicyKind::Trust {
        m.insert("Action".into(), strings(&s.trust_actions, s.single));
    } else {
        let key = if s.not_action { "NotAction" } else { "Action" };
        m.insert(key.into(), strings(&s.actions, s.single));
        let not_resource = s.not_resource && kind != PolicyKind::Control;
        let key = if not_resource {
            "NotResource"
        } else {
            "Resource"
        };
        m.insert(key.into(), strings(&s.resources, s.single));
    }
    if kind == PolicyKind::Resource && s.single {
        // The OSS bucket-policy form: `["<uid>", …]`, or a single string.
        m.insert("Principal".into(), strings(&s.principals, true));
    } else if matches!(kind, PolicyKind::Trust | PolicyKind::Resource) {
        m.insert("Principal".into(), json!({ "RAM": s.principals }));
    }
    if !s.conditions.is_empty() {
        m.insert("Condition".into(), render_conditions(&s.conditions));
    }
    Value::Object(m)
}

/// The policy as JSON text for `kind`.
pub fn render(p: &GenPolicy, kind: PolicyKind) -> String {
    let statements: Vec<Value> = p
        .statements
        .iter()
        .map(|s| render_statement(s, kind))
        .collect();
    json!({"Version": "1", "Statement": statements}).to_string()
}

/// Reads a rendered policy; generators only produce valid documents.
pub fn read(p: &GenPolicy, kind: PolicyKind) -> Result<(Policy, String), String> {
    let text = render(p, kind);
    let r = read_policy(&text, kind, &ReadOptions::default());
    match r.policy {
        Some(policy) => Ok((policy, text)),
        None => Err(format!(
            "generated {kind} policy rejected: {text}\n{:#?}",
            r.diagnostics
        )),
    }
}

/// A control-policy node.
#[derive(Debug, Clone)]
pub struct GenNode {
    pub policies: Vec<GenPolicy>,
    pub all_scope: Vec<GenPolicy>,
}

/// A generated store.
#[derive(Debug, Clone)]
pub struct GenStore {
    pub control_chain: Vec<GenNode>,
    pub session: Option<GenPolicy>,
    pub identity: Vec<GenPolicy>,
    pub resource_groups: Vec<(String, Vec<GenPolicy>)>,
    pub resource_policy: Option<GenPolicy>,
}

pub fn store() -> impl Strategy<Value = GenStore> {
    (
        vec(
            (vec(policy(), 0..=2), vec(policy(), 0..=1)).prop_map(|(policies, all_scope)| {
                GenNode {
                    policies,
                    all_scope,
                }
            }),
            0..=3,
        ),
        option::weighted(0.3, policy()),
        vec(policy(), 0..=2),
        vec(
            (
                prop::sample::select(&["rg-1", "rg-2"][..]),
                vec(policy(), 1..=2),
            )
                .prop_map(|(id, ps)| (id.to_string(), ps)),
            0..=2,
        ),
        option::weighted(0.35, policy()),
    )
        .prop_map(
            |(control_chain, session, identity, resource_groups, resource_policy)| GenStore {
                control_chain,
                session,
                identity,
                resource_groups,
                resource_policy,
            },
        )
}

/// A generated request (everything but the store).
#[derive(Debug, Clone)]
pub struct GenRequest {
    pub kind: PrincipalKind,
    pub account: &'static str,
    pub name: &'static str,
    pub in_rd: bool,
    pub management: bool,
    pub service_linked: bool,
    pub resource_account: Option<&'static str>,
    pub resource_group: Option<&'static str>,
    pub assume_role: bool,
    pub pairs: Vec<(String, String)>,
    /// Per key of [`KEYS`]: the key's spelling in the request and its values (`None`: absent).
    pub context: Vec<(String, Option<Vec<String>>)>,
    pub fail_closed: bool,
    pub account_level_implicit: bool,
}

/// Flips the case of the characters selected by `mask` (any script; a character whose other
/// case is not a single character is kept).
pub fn flip_unicode_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 0 {
                return c;
            }
            let other: Vec<char> = if c.is_lowercase() {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            match other[..] {
                [o] => o,
                _ => c,
            }
        })
        .collect()
}

fn request_value(home: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(POLICY_VALUES[home]).prop_map(str::to_string),
        2 => (prop::sample::select(POLICY_VALUES[home]), any::<u64>())
            .prop_map(|(v, mask)| flip_unicode_case(v, mask)),
        1 => (0usize..5, any::<usize>()).prop_map(|(f, i)| {
            let pool = POLICY_VALUES[f];
            pool[i % pool.len()].to_string()
        }),
        1 => prop::sample::select(ODD_VALUES).prop_map(str::to_string),
    ]
}

fn context_entry(k: usize) -> impl Strategy<Value = (String, Option<Vec<String>>)> {
    let (key, home) = KEYS[k];
    (
        any::<u64>(),
        prop_oneof![
            3 => Just(None),
            4 => vec(request_value(home), 1..=1).prop_map(Some),
            2 => vec(request_value(home), 2..=3).prop_map(Some),
            1 => Just(Some(Vec::new())),
        ],
    )
        .prop_map(move |(mask, v)| (flip_case(key, mask & 0x3f), v))
}

fn pair() -> impl Strategy<Value = (String, String)> {
    (
        0..ACTIONS.len(),
        any::<u64>(),
        prop::bool::weighted(0.6),
        0..=ARNS.len(),
        prop::option::weighted(0.05, prop::sample::select(ODD_ACTIONS)),
    )
        .prop_map(|(a, mask, keep_case, r, odd)| {
            let action = if let Some(odd) = odd {
                flip_case(odd, mask)
            } else if keep_case {
                ACTIONS[a].to_string()
            } else {
                flip_case(ACTIONS[a], mask)
            };
            (action, ARNS.get(r).copied().unwrap_or("*").to_string())
        })
}

pub fn request() -> impl Strategy<Value = GenRequest> {
    let context: Vec<_> = (0..KEYS.len()).map(context_entry).collect();
    (
        (
            prop::sample::select(
                &[
                    PrincipalKind::RamUser,
                    PrincipalKind::AssumedRoleUser,
                    PrincipalKind::Root,
                ][..],
            ),
            prop::sample::select(&["111", "222"][..]),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.05),
            prop::sample::select(&[None, Some("111"), Some("222")][..]),
            prop::sample::select(&[None, Some("rg-1"), Some("rg-2")][..]),
            prop::bool::weighted(0.2),
        ),
        (
            vec(pair(), 1..=3),
            context,
            any::<bool>(),
            any::<bool>(),
            0usize..3,
        ),
    )
        .prop_map(
            |(
                (
                    kind,
                    account,
                    in_rd,
                    management,
                    service_linked,
                    resource_account,
                    resource_group,
                    assume_role,
                ),
                (pairs, context, fail_closed, account_level_implicit, name),
            )| {
                let name = match kind {
                    PrincipalKind::AssumedRoleUser => ["admin/sess", "app-web/s1", "admin"][name],
                    _ => ["alice", "bob", "alice"][name],
                };
                GenRequest {
                    kind,
                    account,
                    name,
                    in_rd,
                    management,
                    service_linked,
                    resource_account,
                    resource_group,
                    assume_role,
                    pairs,
                    context,
                    fail_closed,
                    account_level_implicit,
                }
            },
        )
}

/// Everything one decision needs, built for both the engine and the reference.
pub struct Built {
    pub store: PolicyStore,
    pub reference: RefStore,
    pub principal: Principal,
    pub pairs: Vec<ActionResource>,
    pub ref_pairs: Vec<(String, String, Option<String>)>,
    pub context: RequestContext,
    pub ref_context: Vec<(String, Vec<String>)>,
    pub options: EvalOptions,
}

impl Built {
    /// The engine's request.
    pub fn request<'a>(&'a self, g: &'a GenRequest) -> Request<'a> {
        Request {
            principal: &self.principal,
            pairs: &self.pairs,
            context: &self.context,
            resource_account: g.resource_account,
            resource_group: g.resource_group,
            assume_role: g.assume_role,
        }
    }

    /// The reference's request.
    pub fn ref_request<'a>(&'a self, g: &'a GenRequest) -> RefRequest<'a> {
        RefRequest {
            principal: &self.principal,
            pairs: &self.ref_pairs,
            context: &self.ref_context,
            resource_account: g.resource_account,
            resource_group: g.resource_group,
            assume_role: g.assume_role,
        }
    }
}

fn set_of(
    ps: &[GenPolicy],
    kind: PolicyKind,
    tag: &str,
) -> Result<(PolicySet, Vec<Policy>), String> {
    let mut set = PolicySet::new();
    let mut out = Vec::new();
    for (i, p) in ps.iter().enumerate() {
        let (policy, text) = read(p, kind)?;
        set.add(
            &policy,
            PolicySource::custom(&format!("{tag}-{i}")),
            Some(&text),
        );
        out.push(policy);
    }
    Ok((set, out))
}

/// Renders, reads and compiles everything.
pub fn build(s: &GenStore, g: &GenRequest) -> Result<Built, String> {
    let mut store = PolicyStore::default();
    let mut reference = RefStore::default();
    for (i, node) in s.control_chain.iter().enumerate() {
        let target = format!("node-{i}");
        let (policies, ref_policies) = set_of(&node.policies, PolicyKind::Control, &target)?;
        let (all_scope, ref_all) = set_of(&node.all_scope, PolicyKind::Control, &target)?;
        store.control_chain.push(
            ControlNode {
                target: target.clone(),
                policies,
                all_scope,
            }
            .into(),
        );
        reference.control_chain.push(RefNode {
            target,
            policies: ref_policies,
            all_scope: ref_all,
        });
    }
    if let Some(sp) = &s.session {
        let (set, ps) = set_of(std::slice::from_ref(sp), PolicyKind::Session, "session")?;
        store.session = Some(set);
        reference.session = Some(ps);
    }
    let (set, ps) = set_of(&s.identity, PolicyKind::Identity, "identity")?;
    store.identity = set;
    reference.identity = ps;
    for (id, policies) in &s.resource_groups {
        let (set, ps) = set_of(policies, PolicyKind::Identity, id)?;
        store.resource_groups.push((id.clone(), set));
        reference.resource_groups.push((id.clone(), ps));
    }
    if let Some(rp) = &s.resource_policy {
        let kind = if g.assume_role {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        };
        let (set, ps) = set_of(std::slice::from_ref(rp), kind, "resource")?;
        store.resource_policy = Some(set);
        reference.resource_policy = Some(ps);
    }
    let mut principal = Principal::new(g.kind, g.account, g.name);
    principal.in_resource_directory = g.in_rd;
    principal.management_account = g.management;
    principal.service_linked_role = g.service_linked;
    let mut context = RequestContext::new();
    for (key, values) in &g.context {
        if let Some(values) = values {
            context.set(key, values.clone());
        }
    }
    let ref_context: Vec<(String, Vec<String>)> = context
        .entries()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect();
    let options = EvalOptions {
        identity_implicit_deny_type: if g.account_level_implicit {
            IdentityImplicitDenyType::AccountLevel
        } else {
            IdentityImplicitDenyType::ResourceGroupLevel
        },
        unparseable_values: if g.fail_closed {
            UnparseableValues::FailClosed
        } else {
            UnparseableValues::NoMatch
        },
    };
    Ok(Built {
        store,
        reference,
        principal,
        // Without a request-level owner each resource is owned by the account its ARN
        // names (as `ramsim eval` does); with one, every pair defers to it.
        pairs: g
            .pairs
            .iter()
            .map(|(a, r)| match g.resource_account {
                None => ActionResource::owned(a.clone(), r.clone(), None),
                Some(_) => ActionResource::new(a.clone(), r.clone()),
            })
            .collect(),
        ref_pairs: g
            .pairs
            .iter()
            .map(|(a, r)| {
                let owner = g.resource_account.map_or_else(|| arn_owner(r), |_| None);
                (a.clone(), r.clone(), owner)
            })
            .collect(),
        context,
        ref_context,
        options,
    })
}
