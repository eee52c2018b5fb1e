//! Condition evaluation (§4): operators, absent keys, NOR for negated operators, set
//! qualifiers. Policy values are parsed once at compile time; request values are parsed at
//! decision time without allocating.

use super::options::UnparseableValues;
use crate::policy::ast::{Comparison, Condition, Operator, SetQualifier, ValueType};
use crate::policy::pattern::Wildcard;
use crate::policy::values::{self, Instant};
use ipnet::IpNet;
use std::net::IpAddr;

/// Three-valued truth (Kleene logic): `Unknown` arises when a request value cannot be parsed
/// for the operator, so that each effect can fail closed (see [`super::UnparseableValues`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Tri {
    /// Definitely false.
    False,
    /// Could not be evaluated.
    Unknown,
    /// Definitely true.
    True,
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    /// Kleene negation.
    pub fn negate(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// Kleene conjunction.
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }

    /// Kleene disjunction.
    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }
}

impl PartialOrd for Tri {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tri {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |t: &Tri| match t {
            Tri::False => 0,
            Tri::Unknown => 1,
            Tri::True => 2,
        };
        rank(self).cmp(&rank(other))
    }
}

/// Policy values pre-parsed for their operator.
#[derive(Debug, Clone)]
enum PolicyValues {
    Exact(Box<[Box<str>]>),
    /// Lower-cased for `…IgnoreCase`.
    Folded(Box<[Box<str>]>),
    Like(Box<[Wildcard]>),
    Numbers(Box<[f64]>),
    Dates(Box<[Instant]>),
    Bools(Box<[bool]>),
    Nets(Nets),
}

/// IP ranges: the IPv4 ones as (network, mask) words, so that testing an IPv4 request address
/// is one `and` and one compare per range (ipnet's `contains` builds the range's network and
/// broadcast addresses on every call); the IPv6 ones as parsed.
#[derive(Debug, Clone)]
struct Nets {
    v4: Box<[(u32, u32)]>,
    v6: Box<[IpNet]>,
}

impl Nets {
    fn new(all: impl Iterator<Item = IpNet>) -> Nets {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for n in all {
            match n {
                IpNet::V4(n) => {
                    let mask = u32::from(n.netmask());
                    v4.push((u32::from(n.addr()) & mask, mask));
                }
                IpNet::V6(_) => v6.push(n),
            }
        }
        Nets {
            v4: v4.into(),
            v6: v6.into(),
        }
    }

    /// Does some range contain `ip`? (A range of the other family never does.)
    #[inline]
    fn contain(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|&(net, mask)| a & mask == net)
            }
            IpAddr::V6(_) => self.v6.iter().any(|n| n.contains(&ip)),
        }
    }
}

/// A condition ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    operator: Operator,
    key: Box<str>,
    /// The policy values as written (for explanations).
    raw: Box<[Box<str>]>,
    values: PolicyValues,
}

/// Case folding for the `…IgnoreCase` operators (§4.8: simple case folding): every character
/// lower-cased on its own, so the result does not depend on context the way
/// `str::to_lowercase` does (it turns a word-final `Σ` into `ς`, making `ΟΔΟΣ` and `οδοσ`
/// differ), and the final sigma folded to `σ` as Unicode's `CaseFolding.txt` does.
fn fold_ignore_case(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

fn ordered<T: PartialOrd>(cmp: Comparison, r: &T, p: &T) -> bool {
    match cmp {
        Comparison::Equals => r == p,
        Comparison::LessThan => r < p,
        Comparison::LessThanEquals => r <= p,
        Comparison::GreaterThan => r > p,
        Comparison::GreaterThanEquals => r >= p,
        _ => false,
    }
}

impl CompiledCondition {
    /// Compiles a validated condition. Values were checked by the reader, so parse failures
    /// here cannot happen for validated policies; any that do are dropped (and can never match).
    pub fn compile(c: &Condition) -> CompiledCondition {
        let raw = || c.values.iter().map(|v| v.value.as_str());
        let values = match (c.operator.base.value_type, c.operator.base.comparison) {
            (ValueType::String, Comparison::EqualsIgnoreCase) => PolicyValues::Folded(
                raw()
                    .map(|v| fold_ignore_case(v).into_boxed_str())
                    .collect(),
            ),
            (ValueType::String, Comparison::Like) => {
                PolicyValues::Like(raw().map(Wildcard::new).collect())
            }
            (ValueType::String, _) => PolicyValues::Exact(raw().map(Into::into).collect()),
            (ValueType::Numeric, _) => {
                PolicyValues::Numbers(raw().filter_map(values::parse_number).collect())
            }
            (ValueType::Date, _) => {
                PolicyValues::Dates(raw().filter_map(values::parse_date).collect())
            }
            (ValueType::Bool, _) => {
                PolicyValues::Bools(raw().filter_map(values::parse_bool).collect())
            }
            (ValueType::Ip, _) => {
                PolicyValues::Nets(Nets::new(raw().filter_map(values::parse_ip_net)))
            }
        };
        CompiledCondition {
            operator: c.operator,
            key: c.key.value.as_str().into(),
            raw: raw().map(Into::into).collect(),
            values,
        }
    }

    /// The condition key as written in the policy.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The policy values as written.
    pub fn policy_values(&self) -> impl Iterator<Item = &str> {
        self.raw.iter().map(|v| &**v)
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// True when the policy values are IP ranges (the request value is parsed as an address).
    pub fn is_ip(&self) -> bool {
        matches!(self.values, PolicyValues::Nets(_))
    }

    /// Does request value `r` match some policy value under the *positive* form of the operator?
    /// `parsed` is `r` already parsed as an address, when the caller has it.
    fn hit(&self, r: &str, parsed: Option<IpAddr>) -> Tri {
        let cmp = self.operator.base.comparison;
        if let (PolicyValues::Nets(ps), Some(ip)) = (&self.values, parsed) {
            return Tri::from_bool(ps.contain(ip));
        }
        match &self.values {
            // inline comparison a word at a time: a `memcmp` call costs more than these short
            // values, a byte loop nearly as much
            PolicyValues::Exact(ps) => Tri::from_bool(ps.iter().any(|p| super::fast::same(p, r))),
            PolicyValues::Folded(ps) => {
                if r.is_ascii() {
                    Tri::from_bool(ps.iter().any(|p| p.eq_ignore_ascii_case(r)))
                } else {
                    let lower = fold_ignore_case(r);
                    Tri::from_bool(ps.iter().any(|p| **p == *lower))
                }
            }
            PolicyValues::Like(ps) => Tri::from_bool(ps.iter().any(|p| p.matches(r))),
            PolicyValues::Numbers(ps) => match values::parse_number(r) {
                Some(v) => Tri::from_bool(ps.iter().any(|p| ordered(cmp, &v, p))),
                None => Tri::Unknown,
            },
            PolicyValues::Dates(ps) => match values::parse_date(r) {
                Some(v) => Tri::from_bool(ps.iter().any(|p| ordered(cmp, &v, p))),
                None => Tri::Unknown,
            },
            PolicyValues::Bools(ps) => match values::parse_bool(r) {
                Some(v) => Tri::from_bool(ps.contains(&v)),
                None => Tri::Unknown,
            },
            PolicyValues::Nets(ps) => match values::parse_ip_addr(r) {
                Some(ip) => Tri::from_bool(ps.contain(ip)),
                None => Tri::Unknown,
            },
        }
    }

    /// Evaluates against the request values of the key (`None` = key absent), §4.4/§4.5/§4.9.
    /// With [`UnparseableValues::NoMatch`] an unparseable request value simply does not hit.
    pub fn evaluate(&self, request: Option<&[String]>, unparseable: UnparseableValues) -> Tri {
        self.evaluate_parsed(request, None, unparseable)
    }

    /// [`Self::evaluate`] with the request's single value already parsed as an address
    /// (`ip`, only when `request` holds exactly that one value): the same verdict, without
    /// parsing the value again for every condition that reads it.
    pub fn evaluate_parsed(
        &self,
        request: Option<&[String]>,
        ip: Option<IpAddr>,
        unparseable: UnparseableValues,
    ) -> Tri {
        let negated = self.operator.base.negated;
        let ip = ip.filter(|_| request.is_some_and(|r| r.len() == 1));
        let test = |r: &String| {
            let h = match self.hit(r, ip) {
                Tri::Unknown if unparseable == UnparseableValues::NoMatch => Tri::False,
                h => h,
            };
            if negated {
                h.negate()
            } else {
                h
            }
        };
        match (self.operator.qualifier, request) {
            // One value (almost every key): NOR and OR over one value are the value's verdict.
            (None, Some([r])) => test(r),
            (None, None) => Tri::from_bool(negated),
            // Without a qualifier a negated operator is true when no request value hits (NOR),
            // a positive one when any does.
            (None, Some(rs)) => {
                if negated {
                    rs.iter().fold(Tri::True, |acc, r| acc.and(test(r)))
                } else {
                    rs.iter().fold(Tri::False, |acc, r| acc.or(test(r)))
                }
            }
            (Some(SetQualifier::ForAnyValue), None) => Tri::False,
            (Some(SetQualifier::ForAnyValue), Some(rs)) => {
                rs.iter().fold(Tri::False, |acc, r| acc.or(test(r)))
            }
            (Some(SetQualifier::ForAllValues), None) => Tri::True,
            (Some(SetQualifier::ForAllValues), Some(rs)) => {
                rs.iter().fold(Tri::True, |acc, r| acc.and(test(r)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{read_policy, PolicyKind, ReadOptions};
    const FC: UnparseableValues = UnparseableValues::FailClosed;

    fn cond(op: &str, key: &str, values: &str) -> CompiledCondition {
        let doc = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"{op}":{{"{key}":{values}}}}}}}]}}"#
        );
        let r = read_policy(&doc, PolicyKind::Identity, &ReadOptions::default());
        let p = r.policy.unwrap_or_else(|| panic!("{:?}", r.diagnostics));
        CompiledCondition::compile(&p.statements[0].conditions[0])
    }

    fn vals(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn absent_keys() {
        assert_eq!(
            cond("StringEquals", "acs:K", r#""a""#).evaluate(None, FC),
            Tri::False
        );
        assert_eq!(
            cond("StringNotEquals", "acs:K", r#""a""#).evaluate(None, FC),
            Tri::True
        );
        assert_eq!(
            cond("ForAnyValue:StringEquals", "acs:K", r#""a""#).evaluate(None, FC),
            Tri::False
        );
        assert_eq!(
            cond("ForAllValues:StringNotEquals", "acs:K", r#""a""#).evaluate(None, FC),
            Tri::True
        );
    }

    #[test]
    fn negated_operators_are_nor() {
        let c = cond("StringNotEquals", "acs:TargetRDId", r#"["rd-a","rd-b"]"#);
        assert_eq!(c.evaluate(Some(&vals(&["rd-b"])), FC), Tri::False);
        assert_eq!(c.evaluate(Some(&vals(&["rd-c"])), FC), Tri::True);
    }

    #[test]
    fn set_qualifiers() {
        let any = cond(
            "ForAnyValue:StringEquals",
            "acs:TagKeys",
            r#"["env","team"]"#,
        );
        assert_eq!(any.evaluate(Some(&vals(&["x", "env"])), FC), Tri::True);
        assert_eq!(any.evaluate(Some(&[]), FC), Tri::False);
        let all = cond(
            "ForAllValues:StringEquals",
            "acs:TagKeys",
            r#"["env","team"]"#,
        );
        assert_eq!(all.evaluate(Some(&vals(&["team", "env"])), FC), Tri::True);
        assert_eq!(all.evaluate(Some(&vals(&["team", "x"])), FC), Tri::False);
        assert_eq!(all.evaluate(Some(&[]), FC), Tri::True);
        let any_not = cond("ForAnyValue:StringNotLike", "acs:TagKeys", r#""e*""#);
        assert_eq!(
            any_not.evaluate(Some(&vals(&["env", "team"])), FC),
            Tri::True
        );
        assert_eq!(any_not.evaluate(Some(&vals(&["env"])), FC), Tri::False);
    }

    #[test]
    fn typed_comparisons() {
        let lt = cond(
            "DateLessThan",
            "acs:CurrentTime",
            r#""2019-08-12T17:00:00+08:00""#,
        );
        assert_eq!(
            lt.evaluate(Some(&vals(&["2019-08-12T08:59:59Z"])), FC),
            Tri::True
        );
        assert_eq!(
            lt.evaluate(Some(&vals(&["2019-08-12T09:00:00Z"])), FC),
            Tri::False
        );
        assert_eq!(lt.evaluate(Some(&vals(&["not a date"])), FC), Tri::Unknown);
        let ip = cond("NotIpAddress", "acs:SourceIp", r#""10.0.0.0/8""#);
        assert_eq!(ip.evaluate(Some(&vals(&["2001:db8::1"])), FC), Tri::True);
        assert_eq!(ip.evaluate(Some(&vals(&["10.1.2.3"])), FC), Tri::False);
        assert_eq!(ip.evaluate(Some(&vals(&["bogus"])), FC), Tri::Unknown);
        assert_eq!(
            ip.evaluate(Some(&vals(&["bogus"])), UnparseableValues::NoMatch),
            Tri::True
        );
        let n = cond("NumericGreaterThanEquals", "acs:N", r#""10""#);
        assert_eq!(n.evaluate(Some(&vals(&["10.0"])), FC), Tri::True);
        assert_eq!(n.evaluate(Some(&vals(&["9"])), FC), Tri::False);
        let ic = cond(
            "StringNotEqualsIgnoreCase",
            "acs:TargetRDId",
            r#""RD-XXXXXX""#,
        );
        assert_eq!(ic.evaluate(Some(&vals(&["rd-xxxxxx"])), FC), Tri::False);
        // Regression: case folding is per character (a word-final capital sigma folds to σ).
        let sigma = cond("StringEqualsIgnoreCase", "acs:K", r#""ΟΔΟΣ""#);
        assert_eq!(sigma.evaluate(Some(&vals(&["οδοσ"])), FC), Tri::True);
        assert_eq!(sigma.evaluate(Some(&vals(&["οδος"])), FC), Tri::True);
        assert_eq!(sigma.evaluate(Some(&vals(&["ΟΔΟ"])), FC), Tri::False);
        let b = cond("Bool", "acs:SecureTransport", r#""TRUE""#);
        assert_eq!(b.evaluate(Some(&vals(&["true"])), FC), Tri::True);
        assert_eq!(b.evaluate(Some(&vals(&["false"])), FC), Tri::False);
    }

    /// The IPv4 (network, mask) words answer exactly what ipnet's `contains` answers, for
    /// ranges written with host bits set, `/0`, `/32`, IPv6 ranges and addresses of either
    /// family.
    #[test]
    fn ipv4_mask_words_agree_with_ipnet() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..2_000 {
            let nets: Vec<IpNet> = (0..1 + next() % 3)
                .map(|_| {
                    let r = next();
                    let text = if r % 5 == 0 {
                        format!("2001:db8:{:x}::/{}", r % 0xffff, 16 + r % 113)
                    } else {
                        let a = std::net::Ipv4Addr::from((r >> 8) as u32);
                        format!("{a}/{}", r % 33)
                    };
                    values::parse_ip_net(&text).unwrap_or_else(|| panic!("{text}"))
                })
                .collect();
            let compiled = Nets::new(nets.iter().copied());
            for _ in 0..20 {
                let r = next();
                // addresses near a range's network address as well as random ones
                let ip: IpAddr = match (r % 4, nets.first()) {
                    (0, _) => format!("2001:db8:{:x}::{:x}", r % 0xffff, r >> 48)
                        .parse()
                        .unwrap_or_else(|e| panic!("{e}")),
                    (1, Some(IpNet::V4(n))) => IpAddr::V4(std::net::Ipv4Addr::from(
                        u32::from(n.addr()) ^ ((r >> 8) as u32 & 0xff),
                    )),
                    _ => IpAddr::V4(std::net::Ipv4Addr::from((r >> 16) as u32)),
                };
                let expected = nets.iter().any(|n| n.contains(&ip));
                assert_eq!(compiled.contain(ip), expected, "{nets:?} {ip}");
            }
        }
    }
}
