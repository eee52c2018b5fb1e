//! A reference evaluator for RAM policies, written as directly from the specification
//! (`shared/spec/ram-policy.md`) as possible, to check the fast engine (`ramsim::authz`)
//! against.
//!
//! Nothing here is compiled or indexed: every decision walks the AST (`Policy` / `Statement` /
//! `Condition`) statement by statement and compares plain strings. The wildcard matcher is a
//! memoized recursive matcher, the value parsers are written from §4.8 independently of
//! `ramsim::policy::values`, and the decision flow is §6.10 transcribed, with the engine's two
//! documented extensions:
//!
//! * Kleene three-valued conditions (`UnparseableValues::FailClosed`): a request value that does
//!   not parse for its operator makes the comparison `Unknown`; an Allow statement applies only
//!   when its conditions are `True`, a Deny statement unless they are `False`.
//!   `UnparseableValues::NoMatch` is §4.7 literally: the comparison is "no match".
//! * §6.8: without a resource policy, an identity Allow on another account's resource becomes
//!   ImplicitDeny; the root identity is bound only by control policies with `EffectScope = All`
//!   (nodes without such policies are skipped), then has full access to its own resources.
//!
//! The evaluator reports, per pair, every stage evaluated with its outcome and, per stage, every
//! statement in scope (action, resource and principal matched) with its condition verdicts, so a
//! differential test can compare traces and not only decisions.

#![allow(dead_code)]

pub mod compare;
pub mod strategies;

use ramsim::authz::options::{EvalOptions, IdentityImplicitDenyType, UnparseableValues};
use ramsim::authz::{Principal, PrincipalKind};
use ramsim::policy::ast::{
    Comparison, Condition, Effect, PatternList, Policy, PrincipalForm, SetQualifier, Statement,
    ValueType,
};
use std::net::IpAddr;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------------------------
// §2 / §3.2: wildcard matching.

/// Whole-string wildcard match: `*` any run (incl. empty), `?` exactly one Unicode scalar value,
/// every other character itself. Memoized recursion over (pattern position, text position).
pub fn naive_glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let mut memo: Vec<Option<bool>> = vec![None; (p.len() + 1) * (t.len() + 1)];
    fn go(p: &[char], t: &[char], i: usize, j: usize, memo: &mut [Option<bool>]) -> bool {
        let slot = i * (t.len() + 1) + j;
        if let Some(v) = memo[slot] {
            return v;
        }
        let v = if i == p.len() {
            j == t.len()
        } else {
            match p[i] {
                '*' => go(p, t, i + 1, j, memo) || (j < t.len() && go(p, t, i, j + 1, memo)),
                '?' => j < t.len() && go(p, t, i + 1, j + 1, memo),
                c => j < t.len() && t[j] == c && go(p, t, i + 1, j + 1, memo),
            }
        };
        memo[slot] = Some(v);
        v
    }
    go(&p, &t, 0, 0, &mut memo)
}

/// §2: actions match case-insensitively (lower-case both sides).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    naive_glob(&pattern.to_lowercase(), &action.to_lowercase())
}

/// §3.2: `*` matches everything, otherwise a case-sensitive whole-string glob.
pub fn resource_matches(pattern: &str, resource: &str) -> bool {
    pattern == "*" || naive_glob(pattern, resource)
}

/// §2 / §3: `Action` applies if any pattern matches, `NotAction` if none does.
fn list_matches(list: &PatternList, text: &str, matcher: fn(&str, &str) -> bool) -> bool {
    let any = list.patterns.iter().any(|p| matcher(&p.value, text));
    if list.negated {
        !any
    } else {
        any
    }
}

// ---------------------------------------------------------------------------------------------
// §4.8: typed values, parsed from scratch.

/// `-?\d+(\.\d+)?([eE][+-]?\d+)?`, finite.
pub fn ref_number(s: &str) -> Option<f64> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$").expect("number regex")
    });
    if !re.is_match(s) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `true` / `false`, case-insensitive.
pub fn ref_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_len(y: i64, m: i64) -> i64 {
    [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(m - 1) as usize]
}

/// Days from 1970-01-01 by counting (slow and obviously right for the years tests use).
fn days_since_epoch(y: i64, m: i64, d: i64) -> i64 {
    let mut days = 0;
    if y >= 1970 {
        for yy in 1970..y {
            days += if is_leap(yy) { 366 } else { 365 };
        }
    } else {
        for yy in y..1970 {
            days -= if is_leap(yy) { 366 } else { 365 };
        }
    }
    for mm in 1..m {
        days += month_len(y, mm);
    }
    days + d - 1
}

/// An instant in nanoseconds since the epoch: epoch seconds (up to 12 digits), `YYYY-MM-DD`, or
/// `YYYY-MM-DDTHH:MM[:SS[.f{1,9}]]` with `Z`, `±HH:MM`, `±HHMM` or no zone (UTC).
pub fn ref_date(s: &str) -> Option<i128> {
    static EPOCH: OnceLock<regex::Regex> = OnceLock::new();
    static ISO: OnceLock<regex::Regex> = OnceLock::new();
    let epoch = EPOCH.get_or_init(|| regex::Regex::new(r"^[0-9]{1,12}$").expect("epoch regex"));
    if epoch.is_match(s) {
        return Some(s.parse::<i128>().ok()? * 1_000_000_000);
    }
    let re = ISO.get_or_init(|| {
        regex::Regex::new(
        r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?)?$",
        )
        .expect("date regex")
    });
    let c = re.captures(s)?;
    let num = |i: usize| c.get(i).map(|m| m.as_str().parse::<i64>().unwrap_or(-1));
    let (y, m, d) = (num(1)?, num(2)?, num(3)?);
    if !(1..=12).contains(&m) || d < 1 || d > month_len(y, m) {
        return None;
    }
    let (hh, mi, ss) = (
        num(4).unwrap_or(0),
        num(5).unwrap_or(0),
        num(6).unwrap_or(0),
    );
    if hh > 23 || mi > 59 || ss > 60 {
        return None;
    }
    let frac = c.get(7).map_or(0i128, |f| {
        let digits = f.as_str();
        let padded = format!("{digits:0<9}");
        padded.parse::<i128>().unwrap_or(0)
    });
    let offset = match c.get(9) {
        Some(sign) => {
            let (oh, om) = (num(10)?, num(11)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if sign.as_str() == "-" {
                -off
            } else {
                off
            }
        }
        None => 0,
    };
    let secs = days_since_epoch(y, m, d) * 86_400 + hh * 3600 + mi * 60 + ss - offset;
    Some(i128::from(secs) * 1_000_000_000 + frac)
}

/// A CIDR block or a bare address (= single-host block): (address bits, prefix, is_v6).
pub fn ref_cidr(s: &str) -> Option<(u128, u32, bool)> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
                return None;
            }
            (a, Some(p.parse::<u32>().ok()?))
        }
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let (bits, v6, max) = match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), false, 32),
        IpAddr::V6(v6) => (u128::from(v6), true, 128),
    };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((bits, prefix, v6))
}

/// A request IP value: an address (a CIDR-looking value stands for its written address, as the
/// engine documents).
pub fn ref_ip(s: &str) -> Option<(u128, bool)> {
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => Some((u128::from(u32::from(v4)), false)),
        Ok(IpAddr::V6(v6)) => Some((u128::from(v6), true)),
        Err(_) => ref_cidr(s).map(|(bits, _, v6)| (bits, v6)),
    }
}

fn cidr_contains((net, prefix, net_v6): (u128, u32, bool), (ip, ip_v6): (u128, bool)) -> bool {
    if net_v6 != ip_v6 {
        return false;
    }
    let width = if net_v6 { 128 } else { 32 };
    let shift = width - prefix;
    if shift >= 128 {
        return true;
    }
    (net >> shift) == (ip >> shift)
}

// ---------------------------------------------------------------------------------------------
// §4.9 with Kleene logic.

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    False,
    Unknown,
    True,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    fn from(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    /// The spelling `ramsim::authz::condition::Tri` uses in `Debug`.
    pub fn name(self) -> &'static str {
        match self {
            Tri::False => "False",
            Tri::Unknown => "Unknown",
            Tri::True => "True",
        }
    }
}

fn any_of(items: impl Iterator<Item = Tri>) -> Tri {
    items.fold(Tri::False, Tri::or)
}

fn all_of(items: impl Iterator<Item = Tri>) -> Tri {
    items.fold(Tri::True, Tri::and)
}

/// §4.8 "simple case folding", character by character (no context): each character's
/// lower-case mapping, with the final sigma folded like sigma (Unicode `CaseFolding.txt`
/// maps `ς` to `σ`).
pub fn simple_fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

fn compare<T: PartialOrd>(cmp: Comparison, r: T, p: T) -> bool {
    match cmp {
        Comparison::Equals => r == p,
        Comparison::LessThan => r < p,
        Comparison::LessThanEquals => r <= p,
        Comparison::GreaterThan => r > p,
        Comparison::GreaterThanEquals => r >= p,
        _ => false,
    }
}

/// The positive form of the operator: does request value `r` match policy value `p`?
/// `None` when `r` cannot be parsed for the operator (policy values were validated by the
/// reader; one that does not parse here never matches).
fn positive_matches(c: &Condition, p: &str, r: &str) -> Option<bool> {
    let cmp = c.operator.base.comparison;
    Some(match c.operator.base.value_type {
        ValueType::String => match cmp {
            Comparison::Equals => r == p,
            Comparison::EqualsIgnoreCase => simple_fold(r) == simple_fold(p),
            Comparison::Like => naive_glob(p, r),
            _ => false,
        },
        ValueType::Numeric => {
            let r = ref_number(r)?;
            ref_number(p).is_some_and(|p| compare(cmp, r, p))
        }
        ValueType::Date => {
            let r = ref_date(r)?;
            ref_date(p).is_some_and(|p| compare(cmp, r, p))
        }
        ValueType::Bool => {
            let r = ref_bool(r)?;
            ref_bool(p) == Some(r)
        }
        ValueType::Ip => {
            let r = ref_ip(r)?;
            ref_cidr(p).is_some_and(|net| cidr_contains(net, r))
        }
    })
}

/// `eval_one` of §4.9.
pub fn eval_condition(
    c: &Condition,
    req: Option<&[String]>,
    unparseable: UnparseableValues,
) -> Tri {
    let negated = c.operator.base.negated;
    // hit(r): r matches some policy value under the positive operator.
    let hit = |r: &String| -> Tri {
        let mut parse_failed = false;
        let mut any = false;
        for p in &c.values {
            match positive_matches(c, &p.value, r) {
                Some(true) => any = true,
                Some(false) => {}
                None => parse_failed = true,
            }
        }
        if parse_failed {
            match unparseable {
                UnparseableValues::FailClosed => Tri::Unknown,
                UnparseableValues::NoMatch => Tri::False,
            }
        } else {
            Tri::from(any)
        }
    };
    match (c.operator.qualifier, req) {
        (None, None) => Tri::from(negated),
        (None, Some(rs)) => {
            let any_hit = any_of(rs.iter().map(hit));
            if negated {
                any_hit.not()
            } else {
                any_hit
            }
        }
        (Some(SetQualifier::ForAnyValue), None) => Tri::False,
        (Some(SetQualifier::ForAnyValue), Some(rs)) => {
            if negated {
                any_of(rs.iter().map(|r| hit(r).not()))
            } else {
                any_of(rs.iter().map(hit))
            }
        }
        (Some(SetQualifier::ForAllValues), None) => Tri::True,
        (Some(SetQualifier::ForAllValues), Some(rs)) => {
            if negated {
                all_of(rs.iter().map(|r| hit(r).not()))
            } else {
                all_of(rs.iter().map(hit))
            }
        }
    }
}

/// Request condition values by key, looked up case-insensitively (§1.5).
pub fn context_get<'c>(ctx: &'c [(String, Vec<String>)], key: &str) -> Option<&'c [String]> {
    let key = key.to_lowercase();
    ctx.iter()
        .find(|(k, _)| k.to_lowercase() == key)
        .map(|(_, v)| v.as_slice())
}

// ---------------------------------------------------------------------------------------------
// §6.2 basic evaluation.

/// Outcome of a basic evaluation or a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Allow => "Allow",
            Outcome::ExplicitDeny => "ExplicitDeny",
            Outcome::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// A statement whose action, resource and principal matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefStatement {
    pub policy: usize,
    pub statement: usize,
    pub effect: Effect,
    /// Verdict of the whole condition block.
    pub verdict: Tri,
    /// Per condition, document order.
    pub conditions: Vec<Tri>,
    /// Allow: verdict True; Deny: verdict not False.
    pub applied: bool,
}

/// One stage evaluated for a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefStage {
    pub name: String,
    pub outcome: Outcome,
    pub statements: Vec<RefStatement>,
}

/// One pair's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefPair {
    pub outcome: Outcome,
    pub policy_type: Option<&'static str>,
    pub root_owner: bool,
    pub stages: Vec<RefStage>,
}

/// The whole decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefDecision {
    pub outcome: Outcome,
    pub policy_type: Option<&'static str>,
    pub pair: usize,
    pub pairs: Vec<RefPair>,
}

/// The OSS bucket-policy role-session spelling `arn:sts::<uid>:assumed-role/<role>/<session>`
/// rewritten as RAM's session ARN `acs:ram::<uid>:role/<role>/<session>`.
fn sts_arn_as_ram(entry: &str) -> String {
    let Some(rest) = entry.strip_prefix("arn:sts::") else {
        return entry.to_string();
    };
    match rest.find(":assumed-role/") {
        Some(i) => format!(
            "acs:ram::{}:role/{}",
            &rest[..i],
            &rest[i + ":assumed-role/".len()..]
        ),
        None => entry.to_string(),
    }
}

/// §1.1 / §5.4: does the statement's `Principal` name the caller? The bucket-policy forms
/// (`["<uid>", …]`, `"*"`) also name a RAM user by its UID and sessions by `arn:sts::…`.
fn principal_matches(st: &Statement, p: &Principal) -> bool {
    let Some(pr) = &st.principal else {
        return true;
    };
    let bucket_form = pr.form != PrincipalForm::Object;
    let root_arn = format!("acs:ram::{}:root", p.account);
    let by_ram = p.kind != PrincipalKind::Service
        && pr.ram.iter().any(|e| {
            let e = if bucket_form {
                sts_arn_as_ram(&e.value)
            } else {
                e.value.clone()
            };
            e == "*"
                || e == p.account
                || e == root_arn
                || (bucket_form && p.kind == PrincipalKind::RamUser && e == p.id)
                || p.arns.iter().any(|arn| naive_glob(&e, arn))
        });
    let by_service = p.kind == PrincipalKind::Service
        && pr
            .service
            .iter()
            .any(|e| p.arns.iter().any(|a| a.eq_ignore_ascii_case(&e.value)));
    let by_federated = p.kind == PrincipalKind::Federated
        && pr
            .federated
            .iter()
            .any(|e| p.arns.iter().any(|a| naive_glob(&e.value, a)));
    by_ram || by_service || by_federated
}

/// The inputs of one pair evaluation.
pub struct PairInput<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// Owner of the resource (`None`: the caller's account).
    pub owner: Option<&'a str>,
    pub context: &'a [(String, Vec<String>)],
    pub principal: &'a Principal,
    pub unparseable: UnparseableValues,
}

/// §6.2 over `policies`, recording the statements in scope.
pub fn basic_eval(name: String, policies: &[Policy], req: &PairInput<'_>) -> RefStage {
    let mut statements = Vec::new();
    for (pi, policy) in policies.iter().enumerate() {
        for (si, st) in policy.statements.iter().enumerate() {
            let in_scope = list_matches(&st.actions, req.action, action_matches)
                && st
                    .resources
                    .as_ref()
                    .is_none_or(|r| list_matches(r, req.resource, resource_matches))
                && principal_matches(st, req.principal);
            if !in_scope {
                continue;
            }
            let conditions: Vec<Tri> = st
                .conditions
                .iter()
                .map(|c| eval_condition(c, context_get(req.context, &c.key.value), req.unparseable))
                .collect();
            let verdict = all_of(conditions.iter().copied());
            let applied = match st.effect {
                Effect::Allow => verdict == Tri::True,
                Effect::Deny => verdict != Tri::False,
            };
            statements.push(RefStatement {
                policy: pi,
                statement: si,
                effect: st.effect,
                verdict,
                conditions,
                applied,
            });
        }
    }
    let deny = statements
        .iter()
        .any(|s| s.applied && s.effect == Effect::Deny);
    let allow = statements
        .iter()
        .any(|s| s.applied && s.effect == Effect::Allow);
    let outcome = if deny {
        Outcome::ExplicitDeny
    } else if allow {
        Outcome::Allow
    } else {
        Outcome::ImplicitDeny
    };
    RefStage {
        name,
        outcome,
        statements,
    }
}

// ---------------------------------------------------------------------------------------------
// §6.10 decision flow.

/// One control-policy node (§6.3).
#[derive(Debug, Clone, Default)]
pub struct RefNode {
    pub target: String,
    /// Every policy attached (binds RAM users and roles).
    pub policies: Vec<Policy>,
    /// `EffectScope = All` policies (also bind the member's root).
    pub all_scope: Vec<Policy>,
}

/// The policies bearing on a principal's requests.
#[derive(Debug, Clone, Default)]
pub struct RefStore {
    pub control_chain: Vec<RefNode>,
    pub session: Option<Vec<Policy>>,
    pub identity: Vec<Policy>,
    pub resource_groups: Vec<(String, Vec<Policy>)>,
    pub resource_policy: Option<Vec<Policy>>,
}

/// The account an ARN names: the fourth `:`-separated field of `acs:…` when there are five
/// and it is neither empty nor a wildcard.
pub fn arn_owner(arn: &str) -> Option<String> {
    let fields: Vec<&str> = arn.splitn(5, ':').collect();
    if fields.len() < 5 || fields[0] != "acs" {
        return None;
    }
    let account = fields[3];
    if account.is_empty() || account.contains('*') || account.contains('?') {
        None
    } else {
        Some(account.to_string())
    }
}

/// A request. Each pair is (action, resource, owner of that resource if the pair names one).
pub struct RefRequest<'a> {
    pub principal: &'a Principal,
    pub pairs: &'a [(String, String, Option<String>)],
    pub context: &'a [(String, Vec<String>)],
    pub resource_account: Option<&'a str>,
    pub resource_group: Option<&'a str>,
    pub assume_role: bool,
}

const CONTROL: &str = "ControlPolicy";
const SESSION: &str = "SessionPolicy";
const ACCOUNT: &str = "AccountLevelIdentityBasedPolicy";
const RG: &str = "ResourceGroupLevelIdentityBasedPolicy";
const TRUST: &str = "AssumeRolePolicy";

/// §6.10 for one pair.
pub fn authorize_pair(
    store: &RefStore,
    req: &RefRequest<'_>,
    input: &PairInput<'_>,
    options: &EvalOptions,
) -> RefPair {
    let p = req.principal;
    let mut stages: Vec<RefStage> = Vec::new();
    let deny = |stages: Vec<RefStage>, outcome: Outcome, t: &'static str| RefPair {
        outcome,
        policy_type: Some(t),
        root_owner: false,
        stages,
    };
    let is_root = p.kind == PrincipalKind::Root;

    // 1. Control policies: member, then each folder up to the root; every node must allow.
    let cp_applies = p.in_resource_directory
        && !p.management_account
        && !p.service_linked_role
        && p.kind != PrincipalKind::Service;
    if cp_applies {
        for node in &store.control_chain {
            let policies = if is_root {
                // The root is bound only by EffectScope=All policies; a node with none passes.
                if node.all_scope.is_empty() {
                    continue;
                }
                &node.all_scope
            } else {
                &node.policies
            };
            let stage = basic_eval(format!("{CONTROL}({})", node.target), policies, input);
            let d = stage.outcome;
            stages.push(stage);
            if d != Outcome::Allow {
                return deny(stages, d, CONTROL);
            }
        }
    }

    // §6.1: the owner has full access to its own resources.
    let cross_account = input.owner.is_some_and(|a| a != p.account);
    if is_root && !cross_account {
        return RefPair {
            outcome: Outcome::Allow,
            policy_type: None,
            root_owner: true,
            stages,
        };
    }

    // 2. Session policy.
    if let Some(sp) = &store.session {
        let stage = basic_eval(SESSION.to_string(), sp, input);
        let d = stage.outcome;
        stages.push(stage);
        if d != Outcome::Allow {
            return deny(stages, d, SESSION);
        }
    }

    // 3a. Identity: account scope, then the resource group's policies.
    let account = basic_eval(ACCOUNT.to_string(), &store.identity, input);
    let account_outcome = account.outcome;
    stages.push(account);
    let (a, a_type) = match account_outcome {
        Outcome::Allow | Outcome::ExplicitDeny => (account_outcome, ACCOUNT),
        Outcome::ImplicitDeny => {
            let rg = req
                .resource_group
                .and_then(|g| store.resource_groups.iter().find(|(id, _)| id == g));
            let d = match rg {
                Some((id, policies)) => {
                    let stage = basic_eval(format!("{RG}({id})"), policies, input);
                    let d = stage.outcome;
                    stages.push(stage);
                    d
                }
                None => Outcome::ImplicitDeny,
            };
            let t = if d == Outcome::ImplicitDeny
                && options.identity_implicit_deny_type == IdentityImplicitDenyType::AccountLevel
            {
                ACCOUNT
            } else {
                RG
            };
            (d, t)
        }
    };

    // 3b. Resource policy (the trust policy for AssumeRole).
    let b = store.resource_policy.as_ref().map(|rp| {
        let name = if req.assume_role {
            TRUST
        } else {
            "ResourcePolicy"
        };
        let stage = basic_eval(name.to_string(), rp, input);
        let d = stage.outcome;
        stages.push(stage);
        d
    });

    // 4. Combine.
    use Outcome::*;
    let final_ = if req.assume_role {
        if a == ExplicitDeny || b == Some(ExplicitDeny) {
            ExplicitDeny
        } else if a == Allow && b == Some(Allow) {
            Allow
        } else {
            ImplicitDeny
        }
    } else if let Some(b) = b {
        if a == ExplicitDeny || b == ExplicitDeny {
            ExplicitDeny
        } else if a == Allow || b == Allow {
            Allow
        } else {
            ImplicitDeny
        }
    } else if cross_account && a == Allow {
        // §6.8: identity policies alone never reach another account's resources.
        ImplicitDeny
    } else {
        a
    };
    if final_ == Allow {
        return RefPair {
            outcome: Allow,
            policy_type: None,
            root_owner: false,
            stages,
        };
    }
    let t = if req.assume_role && b != Some(Allow) && a == Allow {
        TRUST
    } else {
        a_type
    };
    deny(stages, final_, t)
}

/// §6.10 for a whole request: every pair is evaluated; the decision is the first explicitly
/// denied pair, else the first implicitly denied one, else Allow. No pair: ImplicitDeny.
pub fn authorize(store: &RefStore, req: &RefRequest<'_>, options: &EvalOptions) -> RefDecision {
    let pairs: Vec<RefPair> = req
        .pairs
        .iter()
        .map(|(action, resource, owner)| {
            let input = PairInput {
                action,
                resource,
                owner: owner.as_deref().or(req.resource_account),
                context: req.context,
                principal: req.principal,
                unparseable: options.unparseable_values,
            };
            authorize_pair(store, req, &input, options)
        })
        .collect();
    let pick = |o: Outcome| pairs.iter().position(|p| p.outcome == o);
    let (outcome, policy_type, pair) = if let Some(i) = pick(Outcome::ExplicitDeny) {
        (Outcome::ExplicitDeny, pairs[i].policy_type, i)
    } else if let Some(i) = pick(Outcome::ImplicitDeny) {
        (Outcome::ImplicitDeny, pairs[i].policy_type, i)
    } else if pairs.is_empty() {
        (Outcome::ImplicitDeny, Some(ACCOUNT), 0)
    } else {
        (Outcome::Allow, None, 0)
    };
    RefDecision {
        outcome,
        policy_type,
        pair,
        pairs,
    }
}
