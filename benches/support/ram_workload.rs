//! The side-by-side workload (issue 18): a deterministic synthetic RAM policy set of N
//! statements and a stream of distinct requests, shaped like Alibaba Cloud RAM usage but not
//! like ramsim's own benchmarks — account-wide statements (`*`, `*:Describe*`), resource
//! patterns across 50 services, five condition keys per request.
//!
//! This file is included by path (`#[path = ...] mod ram_workload;`) from two places that must
//! see the *same* workload: the main crate's criterion bench (`benches/engine.rs`) and the
//! side-by-side harness (`benches/peers/`, its own Cargo project). It depends on `std` and
//! `serde_json` only (both are available to either), so the main crate never depends on the
//! peers project and the generator is not part of ramsim's library API.
//!
//! It also holds the two plain Rust evaluators every other engine is compared with:
//! [`Naive`] (parse the document, scan every statement with a textbook recursive matcher) and
//! [`Indexed`] (statements bucketed by service, patterns precompiled, keys interned, IPs
//! parsed ahead). The indexed one is the oracle that steers the outcome mix of the workload;
//! agreement between all engines is checked by the harness.
//!
//! Semantics shared by every engine on this workload: a statement matches when an Action
//! pattern, a Resource pattern and every condition match; `*` matches any run (including `:`
//! and `/`), `?` one character; values of one operator/key are OR-ed; a missing key makes a
//! positive operator false and `StringNotLike` true; any matching Deny wins, else any Allow.
//! Actions are compared as written: the generator never produces two names that differ only
//! in case, so RAM's case-insensitive action matching gives the same answers.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::Ipv4Addr;

/// SplitMix64: small, fast and the same on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// A uniformly chosen element.
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// The 50 services of the catalogue.
pub const SERVICES: [&str; 50] = [
    "ecs",
    "vpc",
    "rds",
    "oss",
    "slb",
    "ram",
    "kms",
    "cs",
    "fc",
    "log",
    "cdn",
    "alidns",
    "cms",
    "actiontrail",
    "ess",
    "nas",
    "kvstore",
    "dds",
    "polardb",
    "elasticsearch",
    "ons",
    "alikafka",
    "cr",
    "sts",
    "resourcemanager",
    "bss",
    "ims",
    "dts",
    "hbase",
    "emr",
    "dataworks",
    "odps",
    "pvtz",
    "cbn",
    "vpn",
    "ga",
    "waf",
    "sas",
    "ddoscoo",
    "apigateway",
    "mns",
    "sae",
    "arms",
    "ahas",
    "ots",
    "hitsdb",
    "adb",
    "gpdb",
    "clickhouse",
    "eci",
];
const NOUNS: [&str; 30] = [
    "Instance",
    "Vpc",
    "VSwitch",
    "Snapshot",
    "Bucket",
    "Key",
    "Policy",
    "Role",
    "User",
    "Group",
    "Cluster",
    "Function",
    "Domain",
    "Record",
    "Alarm",
    "Trail",
    "Rule",
    "Topic",
    "Queue",
    "Image",
    "Disk",
    "Account",
    "Backup",
    "Endpoint",
    "Certificate",
    "PeerConnection",
    "RouteTable",
    "SecurityGroup",
    "NatGateway",
    "Listener",
];
/// The four verbs of every action name.
pub const VERBS: [&str; 4] = ["Create", "Delete", "Describe", "Modify"];
/// Regions of resource ARNs.
pub const REGIONS: [&str; 8] = [
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "cn-hongkong",
    "ap-southeast-1",
    "eu-central-1",
    "us-west-1",
];
/// The account the policies belong to.
pub const OUR_ACCOUNT: &str = "1234567890123456";
const OTHER_ACCOUNTS: [&str; 2] = ["5555666677778888", "1111222233334444"];
const RD_PATHS: [&str; 12] = [
    "rd-root/",
    "rd-root/rd-prod/",
    "rd-root/rd-prod/rd-pay/",
    "rd-root/rd-prod/rd-web/",
    "rd-root/rd-dev/",
    "rd-root/rd-dev/rd-team1/",
    "rd-root/rd-dev/rd-team2/",
    "rd-root/rd-test/",
    "rd-root/rd-shared/",
    "rd-root/rd-shared/rd-net/",
    "rd-root/rd-sec/",
    "rd-root/rd-prod/rd-net/",
];
const RD_PATTERNS: [&str; 7] = [
    "rd-root/rd-prod/*",
    "rd-root/rd-dev/*",
    "rd-root/*/rd-net/",
    "rd-root/rd-shared*",
    "*/rd-team1/",
    "rd-root/rd-test/",
    "rd-root/rd-sec/*",
];
const ENVS: [&str; 5] = ["prod", "dev", "test", "staging", "sandbox"];
const ENV_PATTERNS: [&str; 3] = ["pro*", "*dev*", "st*"];

/// `acs:SourceIp`.
pub const KEY_IP: &str = "acs:SourceIp";
/// `acs:SecureTransport`.
pub const KEY_TLS: &str = "acs:SecureTransport";
/// `acs:MFAPresent`.
pub const KEY_MFA: &str = "acs:MFAPresent";
/// `acs:TargetRDPath`.
pub const KEY_RD: &str = "acs:TargetRDPath";
/// `acs:ResourceTag/env`.
pub const KEY_ENV: &str = "acs:ResourceTag/env";
/// Services that service-scoped statements name; the other ten appear only in requests.
pub const MANAGED_SERVICES: usize = 40;

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// The answer every engine gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// A Deny statement matched.
    Deny,
    /// Nothing matched.
    ImplicitDeny,
}

impl Decision {
    /// The spelling in reports.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::Deny => "Deny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }
}

/// The four condition operators the workload uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CondOp {
    /// `StringEquals`.
    StringEquals,
    /// `StringLike`.
    StringLike,
    /// `StringNotLike`.
    StringNotLike,
    /// `IpAddress`.
    IpAddress,
}

impl CondOp {
    /// The RAM spelling.
    pub fn name(self) -> &'static str {
        match self {
            CondOp::StringEquals => "StringEquals",
            CondOp::StringLike => "StringLike",
            CondOp::StringNotLike => "StringNotLike",
            CondOp::IpAddress => "IpAddress",
        }
    }
}

/// One condition: operator, key, values (OR-ed).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Operator.
    pub op: CondOp,
    /// Condition key.
    pub key: String,
    /// Values.
    pub values: Vec<String>,
}

/// One statement of the set.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Effect.
    pub effect: Effect,
    /// Action patterns.
    pub actions: Vec<String>,
    /// Resource patterns.
    pub resources: Vec<String>,
    /// Conditions (AND-ed; at most one per operator/key pair).
    pub conditions: Vec<Condition>,
}

/// One request: action, resource ARN, context (keys unique, one value each).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// `svc:VerbNoun`.
    pub action: String,
    /// Resource ARN.
    pub resource: String,
    /// Condition keys and values.
    pub context: Vec<(String, String)>,
}

/// The fixed action catalogue: 50 services × 4 verbs × 5 nouns = 1,000 actions.
pub struct Catalogue {
    /// Per service: name and its five nouns.
    pub services: Vec<(&'static str, Vec<&'static str>)>,
    /// Every `svc:VerbNoun`, services in order, 20 per service.
    pub actions: Vec<String>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue::new()
    }
}

impl Catalogue {
    /// The catalogue (independent of the workload seed).
    pub fn new() -> Catalogue {
        let mut rng = Rng::new(0xC0FFEE);
        let mut services = Vec::new();
        let mut actions = Vec::new();
        for name in SERVICES {
            let mut nouns: Vec<&'static str> = Vec::new();
            while nouns.len() < 5 {
                let n = *rng.pick(&NOUNS);
                if !nouns.contains(&n) {
                    nouns.push(n);
                }
            }
            for v in VERBS {
                for n in &nouns {
                    actions.push(format!("{name}:{v}{n}"));
                }
            }
            services.push((name, nouns));
        }
        Catalogue { services, actions }
    }

    fn service(&self, name: &str) -> Option<usize> {
        self.services.iter().position(|(n, _)| *n == name)
    }
}

fn id_prefix(restype: &str) -> &str {
    &restype[..restype.len().min(3)]
}

fn random_id(rng: &mut Rng, restype: &str) -> String {
    let k = rng.below(512) as u32; // 512 ids per resource type
    format!(
        "{}-{:08x}",
        id_prefix(restype),
        k.wrapping_mul(2_654_435_761)
    )
}

fn random_account(rng: &mut Rng) -> &'static str {
    if rng.chance(0.85) {
        OUR_ACCOUNT
    } else {
        OTHER_ACCOUNTS[rng.below(OTHER_ACCOUNTS.len())]
    }
}

fn random_ip(rng: &mut Rng) -> String {
    let r = rng.unit();
    if r < 0.40 {
        format!(
            "10.{}.{}.{}",
            rng.below(16),
            rng.below(256),
            1 + rng.below(254)
        )
    } else if r < 0.55 {
        format!("192.168.{}.{}", rng.below(16), 1 + rng.below(254))
    } else if r < 0.65 {
        format!(
            "172.{}.{}.{}",
            16 + rng.below(16),
            rng.below(256),
            1 + rng.below(254)
        )
    } else if r < 0.90 {
        format!(
            "47.{}.{}.{}",
            96 + rng.below(16),
            rng.below(256),
            1 + rng.below(254)
        )
    } else {
        format!("203.0.113.{}", 1 + rng.below(254))
    }
}

fn random_cidr(rng: &mut Rng) -> String {
    let r = rng.unit();
    if r < 0.15 {
        "10.0.0.0/8".into()
    } else if r < 0.25 {
        "172.16.0.0/12".into()
    } else if r < 0.35 {
        "192.168.0.0/16".into()
    } else if r < 0.55 {
        format!("10.{}.0.0/16", rng.below(16))
    } else if r < 0.70 {
        format!("192.168.{}.0/24", rng.below(16))
    } else if r < 0.85 {
        format!("47.{}.0.0/16", 96 + rng.below(16))
    } else if r < 0.92 {
        "100.64.0.0/10".into()
    } else {
        format!("203.0.113.{}/32", 1 + rng.below(254))
    }
}

/// `(network, mask)` of an IPv4 CIDR (a bare address is a /32); `None` if malformed.
pub fn parse_cidr(c: &str) -> Option<(u32, u32)> {
    let (ip, len) = c.split_once('/').unwrap_or((c, "32"));
    let ip: Ipv4Addr = ip.parse().ok()?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(ip) & mask, mask))
}

fn random_ip_in(rng: &mut Rng, cidr: &str) -> String {
    let (net, mask) = parse_cidr(cidr).expect("generator CIDR");
    Ipv4Addr::from(net | (rng.next_u64() as u32 & !mask)).to_string()
}

/// Every `*` of `p` replaced by 0–2 random letters, every `?` by one.
fn fill_pattern(rng: &mut Rng, p: &str) -> String {
    let mut out = String::new();
    for c in p.chars() {
        match c {
            '*' => {
                for _ in 0..rng.below(3) {
                    out.push((b'a' + rng.below(26) as u8) as char);
                }
            }
            '?' => out.push((b'a' + rng.below(26) as u8) as char),
            c => out.push(c),
        }
    }
    out
}

/// Draws policy sets and workloads over a catalogue.
pub struct Generator<'a> {
    /// The action catalogue.
    pub cat: &'a Catalogue,
}

impl Generator<'_> {
    fn action_pattern(&self, rng: &mut Rng, svc: usize) -> String {
        let (name, nouns) = &self.cat.services[svc];
        let r = rng.unit();
        let verb = *rng.pick(&VERBS);
        let noun = *rng.pick(nouns);
        if r < 0.50 {
            format!("{name}:{verb}{noun}")
        } else if r < 0.77 {
            format!("{name}:{verb}*")
        } else if r < 0.87 {
            format!("{name}:*")
        } else if r < 0.97 {
            format!("{name}:*{noun}")
        } else {
            // one character of the action name replaced by `?`
            let mut b = format!("{verb}{noun}").into_bytes();
            let pos = 1 + rng.below(b.len() - 1);
            b[pos] = b'?';
            format!("{name}:{}", String::from_utf8(b).expect("ASCII"))
        }
    }

    fn resource_pattern(&self, rng: &mut Rng, svc: usize, account_wide: bool) -> String {
        let (name, nouns) = &self.cat.services[svc];
        let region = *rng.pick(&REGIONS);
        if account_wide {
            return if rng.chance(0.5) {
                "*".into()
            } else {
                format!("acs:*:{region}:{OUR_ACCOUNT}:*")
            };
        }
        let restype = rng.pick(nouns).to_lowercase();
        let r = rng.unit();
        if r < 0.30 {
            "*".into()
        } else if r < 0.55 {
            format!("acs:{name}:*:{OUR_ACCOUNT}:{restype}/*")
        } else if r < 0.70 {
            let hex = b"0123456789abcdef"[rng.below(16)] as char;
            format!(
                "acs:{name}:{region}:{OUR_ACCOUNT}:{restype}/{}-{hex}*",
                id_prefix(&restype)
            )
        } else if r < 0.80 {
            format!("acs:{name}:*:*:*")
        } else if r < 0.90 {
            format!("acs:{name}:{region}:*:*")
        } else {
            format!(
                "acs:{name}:{region}:{OUR_ACCOUNT}:{restype}/{}",
                random_id(rng, &restype)
            )
        }
    }

    fn condition(&self, rng: &mut Rng, kind: usize, deny: bool) -> Condition {
        let c = |op, key: &str, values: Vec<String>| Condition {
            op,
            key: key.into(),
            values,
        };
        match kind {
            0 => {
                let n = 1 + rng.below(2);
                c(
                    CondOp::IpAddress,
                    KEY_IP,
                    (0..n).map(|_| random_cidr(rng)).collect(),
                )
            }
            1 => c(
                CondOp::StringEquals,
                KEY_TLS,
                vec![if deny { "false" } else { "true" }.into()],
            ),
            2 => {
                let mut vals = vec![rng.pick(&ENVS).to_string()];
                if rng.chance(0.4) {
                    let v = rng.pick(&ENVS).to_string();
                    if !vals.contains(&v) {
                        vals.push(v);
                    }
                }
                c(CondOp::StringEquals, KEY_ENV, vals)
            }
            3 => {
                let n = 1 + rng.below(2);
                c(
                    CondOp::StringLike,
                    KEY_RD,
                    (0..n).map(|_| rng.pick(&RD_PATTERNS).to_string()).collect(),
                )
            }
            4 => c(
                CondOp::StringNotLike,
                KEY_RD,
                vec![rng.pick(&RD_PATTERNS).to_string()],
            ),
            5 => c(CondOp::StringEquals, KEY_MFA, vec!["true".into()]),
            _ => c(
                CondOp::StringLike,
                KEY_ENV,
                vec![rng.pick(&ENV_PATTERNS).to_string()],
            ),
        }
    }

    fn statement(&self, rng: &mut Rng) -> Statement {
        let deny = rng.chance(0.15);
        let effect = if deny { Effect::Deny } else { Effect::Allow };
        let svc = rng.below(MANAGED_SERVICES);
        if rng.chance(0.02) {
            return self.account_wide_statement(rng, effect, svc);
        }
        let mut actions: Vec<String> = Vec::new();
        for i in 0..1 + rng.below(3) {
            let s = if i > 0 && rng.chance(0.2) {
                rng.below(MANAGED_SERVICES)
            } else {
                svc
            };
            let p = self.action_pattern(rng, s);
            if !actions.contains(&p) {
                actions.push(p);
            }
        }
        let mut resources: Vec<String> = Vec::new();
        for _ in 0..if rng.chance(0.8) { 1 } else { 2 } {
            let p = self.resource_pattern(rng, svc, false);
            if !resources.contains(&p) {
                resources.push(p);
            }
        }
        let r = rng.unit();
        let n_cond = if r < 0.35 {
            0
        } else if r < 0.70 {
            1
        } else if r < 0.90 {
            2
        } else {
            3
        };
        let mut conditions: Vec<Condition> = Vec::new();
        for _ in 0..20 {
            if conditions.len() >= n_cond {
                break;
            }
            // Deny statements favour negated and transport conditions.
            let kind = if deny && rng.chance(0.5) {
                if rng.chance(0.6) {
                    4
                } else {
                    1
                }
            } else {
                rng.below(7)
            };
            let c = self.condition(rng, kind, deny);
            if !conditions.iter().any(|x| x.op == c.op && x.key == c.key) {
                conditions.push(c);
            }
        }
        Statement {
            effect,
            actions,
            resources,
            conditions,
        }
    }

    /// Guard rails and admin grants: `*` or `*:Verb*`, always conditioned.
    fn account_wide_statement(&self, rng: &mut Rng, effect: Effect, svc: usize) -> Statement {
        let verb = *rng.pick(&VERBS);
        let mut actions = vec![if rng.chance(0.3) {
            "*".to_string()
        } else {
            format!("*:{verb}*")
        }];
        if rng.chance(0.3) {
            actions.push(self.action_pattern(rng, svc));
        }
        let resources = vec![self.resource_pattern(rng, svc, true)];
        let conditions = if effect == Effect::Deny {
            // deny over plain HTTP, or outside a directory branch
            if rng.chance(0.5) {
                vec![self.condition(rng, 1, true), self.condition(rng, 4, true)]
            } else {
                vec![self.condition(rng, 4, true), self.condition(rng, 2, true)]
            }
        } else {
            // admin only from one /24 (or /32) and with MFA
            let cidr = if rng.chance(0.7) {
                format!("192.168.{}.0/24", rng.below(16))
            } else {
                format!("203.0.113.{}/32", 1 + rng.below(254))
            };
            vec![
                Condition {
                    op: CondOp::IpAddress,
                    key: KEY_IP.into(),
                    values: vec![cidr],
                },
                self.condition(rng, 5, false),
            ]
        };
        Statement {
            effect,
            actions,
            resources,
            conditions,
        }
    }

    /// `n` statements for `seed`.
    pub fn policy(&self, seed: u64, n: usize) -> Vec<Statement> {
        let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(n as u64));
        (0..n).map(|_| self.statement(&mut rng)).collect()
    }

    fn random_context(&self, rng: &mut Rng) -> Vec<(String, String)> {
        let mut ctx = vec![
            (KEY_IP.to_string(), random_ip(rng)),
            (
                KEY_TLS.to_string(),
                if rng.chance(0.8) { "true" } else { "false" }.to_string(),
            ),
        ];
        if rng.chance(0.7) {
            ctx.push((
                KEY_MFA.to_string(),
                if rng.chance(0.5) { "true" } else { "false" }.to_string(),
            ));
        }
        if rng.chance(0.75) {
            ctx.push((KEY_RD.to_string(), rng.pick(&RD_PATHS).to_string()));
        }
        if rng.chance(0.6) {
            ctx.push((KEY_ENV.to_string(), rng.pick(&ENVS).to_string()));
        }
        ctx
    }

    fn random_arn(&self, rng: &mut Rng, svc: &str, restype: &str) -> String {
        let region = *rng.pick(&REGIONS);
        let account = random_account(rng);
        format!(
            "acs:{svc}:{region}:{account}:{restype}/{}",
            random_id(rng, restype)
        )
    }

    /// An ARN that `pat` (made by `resource_pattern`) matches, for an action of service `svc`.
    fn arn_matching(&self, rng: &mut Rng, pat: &str, svc: usize) -> String {
        let (svc_name, nouns) = &self.cat.services[svc];
        let default_restype = rng.pick(nouns).to_lowercase();
        if pat == "*" {
            return self.random_arn(rng, svc_name, &default_restype);
        }
        let parts: Vec<&str> = pat.splitn(5, ':').collect();
        let name = if parts[1] == "*" { svc_name } else { parts[1] };
        let region = if parts[2] == "*" {
            rng.pick(&REGIONS).to_string()
        } else {
            parts[2].to_string()
        };
        let account = if parts[3] == "*" {
            random_account(rng).to_string()
        } else {
            parts[3].to_string()
        };
        let rel = if parts[4] == "*" {
            let restype = match self.cat.service(name) {
                Some(i) => rng.pick(&self.cat.services[i].1).to_lowercase(),
                None => default_restype,
            };
            let id = random_id(rng, &restype);
            format!("{restype}/{id}")
        } else {
            let (rt, idp) = parts[4].split_once('/').expect("type/id");
            if idp == "*" {
                format!("{rt}/{}", random_id(rng, rt))
            } else if let Some(prefix) = idp.strip_suffix('*') {
                let id = random_id(rng, rt);
                format!("{rt}/{prefix}{}", &id[prefix.len()..])
            } else {
                parts[4].to_string()
            }
        };
        format!("acs:{name}:{region}:{account}:{rel}")
    }

    fn satisfy(&self, rng: &mut Rng, ctx: &mut Vec<(String, String)>, c: &Condition) {
        let set = |ctx: &mut Vec<(String, String)>, v: String| match ctx
            .iter_mut()
            .find(|(k, _)| *k == c.key)
        {
            Some(e) => e.1 = v,
            None => ctx.push((c.key.clone(), v)),
        };
        match c.op {
            CondOp::StringEquals => {
                let v = rng.pick(&c.values).clone();
                set(ctx, v)
            }
            CondOp::StringLike => {
                let p = rng.pick(&c.values).clone();
                let v = fill_pattern(rng, &p);
                set(ctx, v)
            }
            CondOp::StringNotLike => {
                if rng.chance(0.3) {
                    ctx.retain(|(k, _)| *k != c.key);
                } else {
                    set(ctx, "rd-root/rd-other/".to_string())
                }
            }
            CondOp::IpAddress => {
                let cidr = rng.pick(&c.values).clone();
                let v = random_ip_in(rng, &cidr);
                set(ctx, v)
            }
        }
    }

    fn candidate(
        &self,
        rng: &mut Rng,
        stmts: &[Statement],
        matching: &mut HashMap<String, Vec<usize>>,
    ) -> Request {
        if !stmts.is_empty() && rng.chance(0.6) {
            // aimed at one statement: its action and resource, each condition met with p = 0.85
            let s = &stmts[rng.below(stmts.len())];
            let ap = rng.pick(&s.actions).clone();
            let cat = self.cat;
            let cands = matching.entry(ap.clone()).or_insert_with(|| {
                (0..cat.actions.len())
                    .filter(|&i| wildcard_match(ap.as_bytes(), cat.actions[i].as_bytes()))
                    .collect()
            });
            let ai = cands[rng.below(cands.len())];
            let action = self.cat.actions[ai].clone();
            let rp = rng.pick(&s.resources).clone();
            let resource = self.arn_matching(rng, &rp, ai / 20);
            let mut context = self.random_context(rng);
            for c in &s.conditions {
                if rng.chance(0.85) {
                    self.satisfy(rng, &mut context, c);
                }
            }
            Request {
                action,
                resource,
                context,
            }
        } else {
            // uniform over the catalogue, unmanaged services included
            let ai = rng.below(self.cat.actions.len());
            let action = self.cat.actions[ai].clone();
            let name = action.split_once(':').expect("svc:Action").1;
            let noun = VERBS
                .iter()
                .find_map(|v| name.strip_prefix(v))
                .expect("verb")
                .to_lowercase();
            let resource = self.random_arn(rng, self.cat.services[ai / 20].0, &noun);
            let context = self.random_context(rng);
            Request {
                action,
                resource,
                context,
            }
        }
    }

    /// `count` requests for the set `stmts`: ~60 % aimed at a statement, ~40 % uniform. A
    /// candidate is kept while its outcome (by `oracle`) has room in the quota Allow 50 % /
    /// Deny 15 % / implicit deny 35 %; after 50 × `count` candidates the rest is taken as it
    /// comes. The result is shuffled, so every prefix is a uniform sample of the mix.
    pub fn workload(
        &self,
        seed: u64,
        stmts: &[Statement],
        count: usize,
        oracle: &dyn Fn(&Request) -> Decision,
    ) -> Vec<Request> {
        let mut rng = Rng::new(seed.wrapping_mul(7_919).wrapping_add(stmts.len() as u64) ^ 0xABCD);
        let mut matching = HashMap::new();
        let quota = [
            count / 2,
            count * 15 / 100,
            count - count / 2 - count * 15 / 100,
        ];
        let mut have = [0usize; 3];
        let mut out = Vec::with_capacity(count);
        let mut tries = 0usize;
        while out.len() < count {
            tries += 1;
            let r = self.candidate(&mut rng, stmts, &mut matching);
            if tries > 50 * count {
                out.push(r);
                continue;
            }
            let slot = match oracle(&r) {
                Decision::Allow => 0,
                Decision::Deny => 1,
                Decision::ImplicitDeny => 2,
            };
            if have[slot] < quota[slot] {
                have[slot] += 1;
                out.push(r);
            }
        }
        for i in (1..out.len()).rev() {
            let j = rng.below(i + 1);
            out.swap(i, j);
        }
        out
    }
}

/// The set and its requests for `(seed, n)`, with the indexed evaluator as quota oracle.
pub fn workload(seed: u64, n: usize, requests: usize) -> (Vec<Statement>, Vec<Request>) {
    let cat = Catalogue::new();
    let g = Generator { cat: &cat };
    let stmts = g.policy(seed, n);
    let oracle = Indexed::new(&stmts);
    let reqs = g.workload(seed, &stmts, requests, &|r| {
        oracle.decide(&oracle.prepare(r))
    });
    (stmts, reqs)
}

// ---------------------------------------------------------------------------------------------
// RAM JSON.

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn json_list(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| json_str(s)).collect();
    format!("[{}]", items.join(","))
}

/// One statement as a RAM JSON object (conditions grouped by operator).
pub fn statement_json(s: &Statement) -> String {
    let effect = match s.effect {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    };
    let mut out = format!(
        r#"{{"Effect":"{effect}","Action":{},"Resource":{}"#,
        json_list(&s.actions),
        json_list(&s.resources)
    );
    if !s.conditions.is_empty() {
        let mut ops: Vec<(CondOp, Vec<String>)> = Vec::new();
        for c in &s.conditions {
            let entry = format!("{}:{}", json_str(&c.key), json_list(&c.values));
            match ops.iter_mut().find(|(op, _)| *op == c.op) {
                Some((_, v)) => v.push(entry),
                None => ops.push((c.op, vec![entry])),
            }
        }
        let ops: Vec<String> = ops
            .iter()
            .map(|(op, v)| format!(r#""{}":{{{}}}"#, op.name(), v.join(",")))
            .collect();
        out.push_str(&format!(r#","Condition":{{{}}}"#, ops.join(",")));
    }
    out.push('}');
    out
}

/// RAM's identity-policy document limit (characters).
pub const MAX_DOC_CHARS: usize = 6_144;

/// The statements packed, in order, into RAM policy documents of at most 6,144 characters.
pub fn to_ram_docs(stmts: &[Statement]) -> Vec<String> {
    const HEAD: &str = r#"{"Version":"1","Statement":["#;
    const TAIL: &str = "]}";
    let mut docs = Vec::new();
    let mut cur = String::from(HEAD);
    let mut count = 0;
    for s in stmts {
        let part = statement_json(s);
        assert!(
            HEAD.len() + part.len() + TAIL.len() <= MAX_DOC_CHARS,
            "statement over the document limit"
        );
        if cur.len() + part.len() + 1 + TAIL.len() > MAX_DOC_CHARS {
            cur.push_str(TAIL);
            docs.push(std::mem::replace(&mut cur, String::from(HEAD)));
            count = 0;
        }
        if count > 0 {
            cur.push(',');
        }
        cur.push_str(&part);
        count += 1;
    }
    if count > 0 {
        cur.push_str(TAIL);
        docs.push(cur);
    }
    docs
}

/// Reads statements back from RAM JSON documents (the naive evaluator's load path).
pub fn from_ram_json(text: &str) -> Result<Vec<Statement>, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = doc["Statement"].as_array().ok_or("no Statement array")?;
    let strs = |v: &serde_json::Value| -> Result<Vec<String>, String> {
        match v {
            serde_json::Value::String(s) => Ok(vec![s.clone()]),
            serde_json::Value::Array(a) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(String::from)
                        .ok_or_else(|| format!("not a string: {x}"))
                })
                .collect(),
            other => Err(format!("expected a string or list, found {other}")),
        }
    };
    let mut out = Vec::new();
    for st in list {
        let effect = match st["Effect"].as_str() {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            other => return Err(format!("bad Effect {other:?}")),
        };
        let mut conditions = Vec::new();
        if let Some(obj) = st.get("Condition").and_then(|c| c.as_object()) {
            for (op, keys) in obj {
                let op = [
                    CondOp::StringEquals,
                    CondOp::StringLike,
                    CondOp::StringNotLike,
                    CondOp::IpAddress,
                ]
                .into_iter()
                .find(|o| o.name() == op)
                .ok_or_else(|| format!("unknown operator {op}"))?;
                for (k, vals) in keys.as_object().ok_or("condition keys")? {
                    conditions.push(Condition {
                        op,
                        key: k.clone(),
                        values: strs(vals)?,
                    });
                }
            }
        }
        out.push(Statement {
            effect,
            actions: strs(&st["Action"])?,
            resources: strs(&st["Resource"])?,
            conditions,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The naive evaluator.

/// Textbook recursive glob: `*` any run, `?` one byte (the workload is ASCII). Exponential on
/// adversarial input; fine here.
pub fn wildcard_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => wildcard_match(&p[1..], s) || (!s.is_empty() && wildcard_match(p, &s[1..])),
        Some(b'?') => !s.is_empty() && wildcard_match(&p[1..], &s[1..]),
        Some(c) => !s.is_empty() && s[0] == *c && wildcard_match(&p[1..], &s[1..]),
    }
}

/// What a newcomer writes: parse the documents, scan every statement for every request.
pub struct Naive {
    stmts: Vec<Statement>,
}

/// A request as the naive evaluator keeps it.
pub struct NaiveRequest {
    action: String,
    resource: String,
    context: HashMap<String, String>,
}

impl Naive {
    /// Loads from RAM JSON documents.
    pub fn load(docs: &[String]) -> Result<Naive, String> {
        let mut stmts = Vec::new();
        for d in docs {
            stmts.extend(from_ram_json(d)?);
        }
        Ok(Naive { stmts })
    }

    /// The request with its context in a hash map.
    pub fn prepare(r: &Request) -> NaiveRequest {
        NaiveRequest {
            action: r.action.clone(),
            resource: r.resource.clone(),
            context: r.context.iter().cloned().collect(),
        }
    }

    fn cond_ok(c: &Condition, r: &NaiveRequest) -> bool {
        let v = r.context.get(&c.key);
        let like = |v: &String| {
            c.values
                .iter()
                .any(|p| wildcard_match(p.as_bytes(), v.as_bytes()))
        };
        match c.op {
            CondOp::StringEquals => v.is_some_and(|v| c.values.contains(v)),
            CondOp::StringLike => v.is_some_and(like),
            CondOp::StringNotLike => !v.is_some_and(like),
            CondOp::IpAddress => match v.and_then(|v| v.parse::<Ipv4Addr>().ok()) {
                Some(ip) => c
                    .values
                    .iter()
                    .filter_map(|c| parse_cidr(c))
                    .any(|(net, mask)| u32::from(ip) & mask == net),
                None => false,
            },
        }
    }

    /// Deny-first decision over every statement.
    pub fn decide(&self, r: &NaiveRequest) -> Decision {
        let mut allowed = false;
        for s in &self.stmts {
            let hit = s
                .actions
                .iter()
                .any(|p| wildcard_match(p.as_bytes(), r.action.as_bytes()))
                && s.resources
                    .iter()
                    .any(|p| wildcard_match(p.as_bytes(), r.resource.as_bytes()))
                && s.conditions.iter().all(|c| Self::cond_ok(c, r));
            if hit {
                if s.effect == Effect::Deny {
                    return Decision::Deny;
                }
                allowed = true;
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The simple indexed evaluator.

/// A precompiled glob: `*`-separated literal segments, `?` allowed inside segments.
#[derive(Clone, Debug)]
pub enum Pat {
    /// Matches everything.
    Any,
    /// Exact text.
    Exact(Box<[u8]>),
    /// `literal*`.
    Prefix(Box<[u8]>),
    /// `?` but no `*`: same length, `?` matches any byte.
    Fixed(Box<[u8]>),
    /// General: first segment anchored at the start, last at the end, middles leftmost.
    Segs(Box<[u8]>, Box<[Box<[u8]>]>, Box<[u8]>),
}

fn seg_eq(seg: &[u8], s: &[u8]) -> bool {
    seg.len() == s.len() && seg.iter().zip(s).all(|(p, c)| *p == b'?' || p == c)
}

impl Pat {
    /// Compiles `p`.
    pub fn new(p: &str) -> Pat {
        let b = p.as_bytes();
        if b.iter().all(|&c| c == b'*') {
            return Pat::Any;
        }
        if !b.iter().any(|&c| c == b'*' || c == b'?') {
            return Pat::Exact(b.into());
        }
        if b.ends_with(b"*") && !b[..b.len() - 1].iter().any(|&c| c == b'*' || c == b'?') {
            return Pat::Prefix(b[..b.len() - 1].into());
        }
        let parts: Vec<&[u8]> = b.split(|&c| c == b'*').collect();
        if parts.len() == 1 {
            return Pat::Fixed(b.into());
        }
        let middle = parts[1..parts.len() - 1]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| Box::<[u8]>::from(*s))
            .collect();
        Pat::Segs(parts[0].into(), middle, parts[parts.len() - 1].into())
    }

    /// Whole-string match.
    pub fn is_match(&self, s: &[u8]) -> bool {
        match self {
            Pat::Any => true,
            Pat::Exact(e) => **e == *s,
            Pat::Prefix(p) => s.starts_with(p),
            Pat::Fixed(f) => seg_eq(f, s),
            Pat::Segs(first, middle, last) => {
                if s.len() < first.len() + last.len()
                    || !seg_eq(first, &s[..first.len()])
                    || !seg_eq(last, &s[s.len() - last.len()..])
                {
                    return false;
                }
                let mut rest = &s[first.len()..s.len() - last.len()];
                for m in middle.iter() {
                    match (0..=rest.len().saturating_sub(m.len()))
                        .find(|&i| rest.len() >= m.len() && seg_eq(m, &rest[i..i + m.len()]))
                    {
                        Some(i) => rest = &rest[i + m.len()..],
                        None => return false,
                    }
                }
                true
            }
        }
    }
}

struct ICond {
    op: CondOp,
    slot: usize,
    values: Vec<String>,
    pats: Vec<Pat>,
    cidrs: Vec<(u32, u32)>,
}

struct IStmt {
    deny: bool,
    actions: Vec<Pat>,
    resources: Vec<Pat>,
    conds: Vec<ICond>,
}

/// Statements bucketed by the literal service of their actions (wildcard services in one
/// global list), patterns precompiled, keys interned to slots, CIDRs parsed at load.
pub struct Indexed {
    stmts: Vec<IStmt>,
    by_service: HashMap<String, Vec<u32>>,
    global: Vec<u32>,
    keys: HashMap<String, usize>,
}

/// A request as the indexed evaluator keeps it: per key slot, the value and its IPv4 parse.
pub struct IndexedRequest {
    action: String,
    resource: String,
    slots: Vec<Option<(String, Option<u32>)>>,
}

impl Indexed {
    /// Loads from RAM JSON documents.
    pub fn load(docs: &[String]) -> Result<Indexed, String> {
        let mut stmts = Vec::new();
        for d in docs {
            stmts.extend(from_ram_json(d)?);
        }
        Ok(Indexed::new(&stmts))
    }

    /// Builds the index over `stmts`.
    pub fn new(stmts: &[Statement]) -> Indexed {
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut by_service: HashMap<String, Vec<u32>> = HashMap::new();
        let mut global = Vec::new();
        let mut out = Vec::with_capacity(stmts.len());
        for (i, s) in stmts.iter().enumerate() {
            let mut services: Vec<&str> = Vec::new();
            let mut is_global = false;
            for a in &s.actions {
                match a.split_once(':') {
                    Some((svc, _)) if !svc.contains(['*', '?']) => {
                        if !services.contains(&svc) {
                            services.push(svc)
                        }
                    }
                    _ => is_global = true,
                }
            }
            if is_global {
                global.push(i as u32);
            } else {
                for svc in services {
                    by_service
                        .entry(svc.to_string())
                        .or_default()
                        .push(i as u32);
                }
            }
            let conds = s
                .conditions
                .iter()
                .map(|c| {
                    let n = keys.len();
                    ICond {
                        op: c.op,
                        slot: *keys.entry(c.key.clone()).or_insert(n),
                        values: c.values.clone(),
                        pats: c.values.iter().map(|v| Pat::new(v)).collect(),
                        cidrs: c.values.iter().filter_map(|v| parse_cidr(v)).collect(),
                    }
                })
                .collect();
            out.push(IStmt {
                deny: s.effect == Effect::Deny,
                actions: s.actions.iter().map(|p| Pat::new(p)).collect(),
                resources: s.resources.iter().map(|p| Pat::new(p)).collect(),
                conds,
            });
        }
        Indexed {
            stmts: out,
            by_service,
            global,
            keys,
        }
    }

    /// Interns the request's keys and parses its IPs.
    pub fn prepare(&self, r: &Request) -> IndexedRequest {
        let mut slots = vec![None; self.keys.len()];
        for (k, v) in &r.context {
            if let Some(&i) = self.keys.get(k) {
                slots[i] = Some((v.clone(), v.parse::<Ipv4Addr>().ok().map(u32::from)));
            }
        }
        IndexedRequest {
            action: r.action.clone(),
            resource: r.resource.clone(),
            slots,
        }
    }

    fn cond_ok(c: &ICond, r: &IndexedRequest) -> bool {
        let v = r.slots[c.slot].as_ref();
        match c.op {
            CondOp::StringEquals => v.is_some_and(|(v, _)| c.values.contains(v)),
            CondOp::StringLike => {
                v.is_some_and(|(v, _)| c.pats.iter().any(|p| p.is_match(v.as_bytes())))
            }
            CondOp::StringNotLike => {
                !v.is_some_and(|(v, _)| c.pats.iter().any(|p| p.is_match(v.as_bytes())))
            }
            CondOp::IpAddress => match v.and_then(|(_, ip)| *ip) {
                Some(ip) => c.cidrs.iter().any(|(net, mask)| ip & mask == *net),
                None => false,
            },
        }
    }

    /// Deny-first decision over the action's service bucket and the global list.
    pub fn decide(&self, r: &IndexedRequest) -> Decision {
        let svc = r.action.split(':').next().unwrap_or("");
        let bucket = self.by_service.get(svc).map_or(&[][..], |v| v.as_slice());
        let mut allowed = false;
        for &i in bucket.iter().chain(&self.global) {
            let s = &self.stmts[i as usize];
            if (allowed && !s.deny) || !s.actions.iter().any(|p| p.is_match(r.action.as_bytes())) {
                continue;
            }
            if s.resources
                .iter()
                .any(|p| p.is_match(r.resource.as_bytes()))
                && s.conds.iter().all(|c| Self::cond_ok(c, r))
            {
                if s.deny {
                    return Decision::Deny;
                }
                allowed = true;
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}
