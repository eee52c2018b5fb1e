//! Condition rules: conditions decided by a key the statement's actions never receive (L001,
//! L014), `Like`/`Equals` operators used with the wrong kind of value (L002, L003), dates
//! already past (L011), Allow over plain HTTP (L013), unknown or miscased `acs:` keys (L015,
//! L016). Key presence follows ram-policy.md §5 and the catalog's injected keys.

use super::actions::covered_entries;
use super::{list_some, Code, Lint, LintOptions};
use crate::api::catalog::{self, ApiEntry};
use crate::policy::ast::{Comparison, Condition, Effect, SetQualifier, Statement, ValueType};
use crate::policy::read::closest;
use crate::policy::span::JsonPath;
use crate::policy::values::{self, Instant};

/// Whether requests carry a global key (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Every request carries it.
    Always,
    /// Some requests carry it (console sessions, VPC callers, tagged requests…).
    Sometimes,
}

/// Global `acs:` keys as documented (canonical spelling) and when requests carry them.
pub const GLOBAL_KEYS: &[(&str, Presence)] = &[
    ("acs:CurrentTime", Presence::Always),
    ("acs:SecureTransport", Presence::Always),
    ("acs:SourceIp", Presence::Always),
    ("acs:AccessId", Presence::Always),
    ("acs:PrincipalARN", Presence::Always),
    ("acs:MFAPresent", Presence::Sometimes),
    ("acs:SourceVpc", Presence::Sometimes),
    ("acs:TagKeys", Presence::Sometimes),
    ("acs:UserAgent", Presence::Sometimes),
];

/// Other accepted spellings (Alibaba's own examples write both, §1.5).
const ALTERNATE_SPELLINGS: &[&str] = &["acs:PrincipalArn"];

/// Prefixes of per-tag keys (`acs:RequestTag/<tag-key>`).
const TAG_PREFIXES: &[&str] = &["acs:RequestTag/", "acs:ResourceTag/"];

/// Keys that products inject for some actions only (from the catalog), canonical spelling.
pub fn injected_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = catalog::CATALOG
        .iter()
        .flat_map(|e| e.condition_keys.iter().copied())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The catalog entries that receive injected key `key` (case-insensitive).
pub fn receivers(key: &str) -> Vec<&'static ApiEntry> {
    catalog::CATALOG
        .iter()
        .filter(|e| e.condition_keys.iter().any(|k| k.eq_ignore_ascii_case(key)))
        .collect()
}

/// What a condition evaluates to when the request lacks its key (§4.4, §4.5).
pub fn absent_result(c: &Condition) -> bool {
    match c.operator.qualifier {
        None => c.operator.base.negated,
        Some(SetQualifier::ForAnyValue) => false,
        Some(SetQualifier::ForAllValues) => true,
    }
}

fn effect_word(e: Effect) -> &'static str {
    e.as_str()
}

/// L001/L014: a condition on a product-injected key none of the covered actions receives.
fn check_absent_key(s: &Statement, c: &Condition, path: &JsonPath, out: &mut Vec<Lint>) {
    let key = &c.key.value;
    if !injected_keys().iter().any(|k| k.eq_ignore_ascii_case(key)) {
        return;
    }
    let recv = receivers(key);
    let recv_names = list_some(recv.iter().map(|e| e.action));
    let covered = covered_entries(&s.actions);
    let covers_receiver = covered
        .iter()
        .any(|e| recv.iter().any(|r| r.action == e.action));
    let op = c.operator.to_string();
    let always = absent_result(c);
    let help = format!("limit `Action` to {recv_names}, or remove the condition");
    if !covers_receiver {
        let (code, outcome) = if always {
            (
                Code::AbsentKeyAlwaysTrue,
                match s.effect {
                    Effect::Deny => "always true, so this Deny denies every request it matches",
                    Effect::Allow => "always true, so it does not restrict this Allow",
                },
            )
        } else {
            (
                Code::AbsentKeyNeverTrue,
                match s.effect {
                    Effect::Deny => "never true, so this Deny never applies",
                    Effect::Allow => "never true, so this Allow never applies",
                },
            )
        };
        out.push(
            Lint::new(
                code,
                path.clone(),
                c.key.span,
                format!("none of this statement's actions receives `{key}` (only {recv_names} do): `{op}` is {outcome}"),
            )
            .with_help(help),
        );
    } else if always && s.effect == Effect::Deny {
        let others: Vec<&str> = covered
            .iter()
            .filter(|e| !recv.iter().any(|r| r.action == e.action))
            .map(|e| e.action)
            .collect();
        if !others.is_empty() {
            out.push(
                Lint::new(
                    Code::AbsentKeyAlwaysTrue,
                    path.clone(),
                    c.key.span,
                    format!(
                        "this {} also matches {}, which never {} `{key}`: `{op}` is always true for {}, so {} always denied",
                        effect_word(s.effect),
                        list_some(others.iter().copied()),
                        if others.len() == 1 { "receives" } else { "receive" },
                        if others.len() == 1 { "it" } else { "them" },
                        if others.len() == 1 { "it is" } else { "they are" },
                    ),
                )
                .with_help(format!("move the condition to a statement whose `Action` lists only {recv_names}")),
            );
        }
    }
}

/// L015/L016: unknown or miscased `acs:` keys.
fn check_key_name(c: &Condition, path: &JsonPath, out: &mut Vec<Lint>) {
    let key = &c.key.value;
    if !key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("acs:")) {
        return;
    }
    let injected = injected_keys();
    let canonical: Vec<&str> = GLOBAL_KEYS
        .iter()
        .map(|(k, _)| *k)
        .chain(injected.iter().copied())
        .collect();
    if canonical.contains(&key.as_str()) || ALTERNATE_SPELLINGS.contains(&key.as_str()) {
        return;
    }
    if let Some(known) = canonical.iter().find(|k| k.eq_ignore_ascii_case(key)) {
        out.push(
            Lint::new(
                Code::ConditionKeyCase,
                path.clone(),
                c.key.span,
                format!("condition key `{key}` is documented as `{known}`"),
            )
            .with_help(format!("write `{known}`: ramsim matches keys case-insensitively, but that is an assumption (docs/evaluation.md §1)")),
        );
        return;
    }
    for prefix in TAG_PREFIXES {
        if let Some(head) = key.get(..prefix.len()) {
            if head == *prefix {
                return;
            }
            if head.eq_ignore_ascii_case(prefix) {
                let fixed = format!("{prefix}{}", key.get(prefix.len()..).unwrap_or(""));
                out.push(
                    Lint::new(
                        Code::ConditionKeyCase,
                        path.clone(),
                        c.key.span,
                        format!("condition key `{key}` is documented as `{fixed}`"),
                    )
                    .with_help(format!("write `{fixed}`: ramsim matches keys case-insensitively, but that is an assumption (docs/evaluation.md §1)")),
                );
                return;
            }
        }
    }
    let outcome = if absent_result(c) {
        "always true"
    } else {
        "never true"
    };
    let mut lint = Lint::new(
        Code::UnknownGlobalKey,
        path.clone(),
        c.key.span,
        format!(
            "`{key}` is not a global condition key: no request carries it, so `{}` is {outcome}",
            c.operator
        ),
    );
    lint = match closest(key, canonical.iter().copied()) {
        Some(s) => lint.with_help(format!("did you mean `{s}`?")),
        None => lint.with_help("see docs/evaluation.md §3 for the keys requests carry; service keys use the service's code, e.g. `vpc:VPC`"),
    };
    out.push(lint);
}

/// L002/L003: `Like` without wildcards, `Equals` with wildcards.
fn check_string_operators(c: &Condition, path: &JsonPath, out: &mut Vec<Lint>) {
    let base = c.operator.base;
    if base.value_type != ValueType::String {
        return;
    }
    let op = c.operator.to_string();
    match base.comparison {
        Comparison::Like if c.values.iter().all(|v| !v.value.contains(['*', '?'])) => {
            let instead = if base.negated {
                "StringNotEquals"
            } else {
                "StringEquals"
            };
            out.push(
                Lint::new(
                    Code::LikeWithoutWildcard,
                    path.clone(),
                    c.key.span,
                    format!(
                        "`{op}` on `{}` has no wildcard in its values: it compares for equality",
                        c.key.value
                    ),
                )
                .with_help(format!(
                    "use `{instead}`, or add `*`/`?` where a wildcard was meant"
                )),
            );
        }
        Comparison::Equals | Comparison::EqualsIgnoreCase => {
            let like = if base.negated {
                "StringNotLike"
            } else {
                "StringLike"
            };
            for (k, v) in c.values.iter().enumerate() {
                if v.value.contains(['*', '?']) {
                    out.push(
                        Lint::new(
                            Code::EqualsWithWildcard,
                            super::pattern_path(path, c.single, k),
                            v.span,
                            format!("`{op}` compares `{}` literally: `*` and `?` are wildcards only in `StringLike`/`StringNotLike`", v.value),
                        )
                        .with_help(format!("use `{like}` to match a pattern")),
                    );
                }
            }
        }
        _ => {}
    }
}

/// L011: a date condition on `acs:CurrentTime` that the current time already decides.
fn check_date(s: &Statement, c: &Condition, path: &JsonPath, now: Instant, out: &mut Vec<Lint>) {
    let base = c.operator.base;
    if base.value_type != ValueType::Date || !c.key.value.eq_ignore_ascii_case("acs:CurrentTime") {
        return;
    }
    let dates: Vec<Instant> = c
        .values
        .iter()
        .filter_map(|v| values::parse_date(&v.value))
        .collect();
    if dates.len() != c.values.len() || dates.is_empty() {
        return;
    }
    let all_before = |strict: bool| {
        dates
            .iter()
            .all(|&d| if strict { d < now } else { d <= now })
    };
    let any_before = |strict: bool| {
        dates
            .iter()
            .any(|&d| if strict { d < now } else { d <= now })
    };
    let never = !base.negated
        && match base.comparison {
            Comparison::LessThan => all_before(false),
            Comparison::LessThanEquals | Comparison::Equals => all_before(true),
            _ => false,
        };
    let always = match (base.negated, base.comparison) {
        (false, Comparison::GreaterThan) => any_before(true),
        (false, Comparison::GreaterThanEquals) => any_before(false),
        (true, Comparison::Equals) => all_before(true),
        _ => false,
    };
    let op = c.operator.to_string();
    let now_text = values::format_date(now);
    let shown = list_some(c.values.iter().map(|v| v.value.as_str()));
    if never {
        out.push(
            Lint::new(
                Code::DateInPast,
                path.clone(),
                c.key.span,
                format!(
                    "`{op}` on `acs:CurrentTime` with {shown}, already past (now is {now_text}): the condition is never true again, so this {} never applies",
                    s.effect.as_str()
                ),
            )
            .with_help("update the date, or remove the statement if what it covered has expired"),
        );
    } else if always {
        out.push(
            Lint::new(
                Code::DateInPast,
                path.clone(),
                c.key.span,
                format!("`{op}` on `acs:CurrentTime` with {shown}, already past (now is {now_text}): the condition is always true"),
            )
            .with_help("remove the condition: it no longer restricts anything"),
        );
    }
}

/// L013: `Bool acs:SecureTransport "false"` in an Allow.
fn check_transport(s: &Statement, c: &Condition, path: &JsonPath, out: &mut Vec<Lint>) {
    if s.effect != Effect::Allow
        || c.operator.base.value_type != ValueType::Bool
        || !c.key.value.eq_ignore_ascii_case("acs:SecureTransport")
    {
        return;
    }
    if let Some(v) = c
        .values
        .iter()
        .find(|v| values::parse_bool(&v.value) == Some(false))
    {
        out.push(
            Lint::new(
                Code::AllowInsecureTransport,
                path.clone(),
                v.span,
                "this Allow applies only to requests made over plain HTTP (`acs:SecureTransport` is false)",
            )
            .with_help("write `\"true\"` to require HTTPS; to block plain HTTP, use `\"false\"` in a Deny"),
        );
    }
}

/// Runs the condition rules on statement `s` at `path`.
pub fn check_statement(s: &Statement, path: &JsonPath, options: &LintOptions, out: &mut Vec<Lint>) {
    for c in &s.conditions {
        let key_path = path
            .key("Condition")
            .key(&c.operator.to_string())
            .key(&c.key.value);
        check_key_name(c, &key_path, out);
        check_absent_key(s, c, &key_path, out);
        check_string_operators(c, &key_path, out);
        if let Some(now) = options.now {
            check_date(s, c, &key_path, now, out);
        }
        check_transport(s, c, &key_path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_util::{codes, lint_kind};
    use crate::policy::PolicyKind;

    fn cond(effect: &str, action: &str, condition: &str) -> String {
        format!(
            r#"{{"Effect":"{effect}","Action":{action},"Resource":"*","Condition":{condition}}}"#
        )
    }

    const PEERING: &str = r#"["vpc:CreateVpcPeerConnection","vpc:AcceptVpcPeerConnection"]"#;

    #[test]
    fn negated_operator_on_a_key_never_received() {
        let c = r#"{"StringNotEquals":{"acs:TargetRDId":"rd-x"}}"#;
        assert_eq!(
            codes(&cond("Deny", r#""vpc:DeleteVpcPeerConnection""#, c)),
            ["L001"]
        );
        assert_eq!(
            codes(&cond("Allow", r#""vpc:DeleteVpcPeerConnection""#, c)),
            ["L001"]
        );
        assert!(codes(&cond("Deny", PEERING, c)).is_empty());
        // A Deny covering receivers and others: the others are always denied.
        assert_eq!(
            codes(&cond("Deny", r#""vpc:*VpcPeerConnection""#, c)),
            ["L001"]
        );
        // An Allow covering receivers and others is a legitimate shape.
        assert!(codes(&cond("Allow", r#""vpc:*""#, c)).is_empty());
        let all = r#"{"ForAllValues:StringEquals":{"acs:TargetRDPath":"rd-x"}}"#;
        assert_eq!(codes(&cond("Deny", r#""ram:CreateUser""#, all)), ["L001"]);
    }

    #[test]
    fn positive_operator_on_a_key_never_received() {
        let c = r#"{"StringEquals":{"acs:TargetRDId":"rd-x"}}"#;
        assert_eq!(
            codes(&cond("Allow", r#""vpc:DeleteVpcPeerConnection""#, c)),
            ["L014"]
        );
        assert!(codes(&cond("Allow", PEERING, c)).is_empty());
        // Global keys are never "never received".
        assert!(codes(&cond(
            "Deny",
            r#""vpc:DeleteVpcPeerConnection""#,
            r#"{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}"#
        ))
        .is_empty());
    }

    #[test]
    fn like_without_wildcard_and_equals_with_wildcard() {
        assert_eq!(
            codes(&cond(
                "Deny",
                PEERING,
                r#"{"StringNotLike":{"acs:TargetRDPath":"rd-x/r-y"}}"#
            )),
            ["L002"]
        );
        assert!(codes(&cond(
            "Deny",
            PEERING,
            r#"{"StringNotLike":{"acs:TargetRDPath":["rd-x/r-y","rd-x/*"]}}"#
        ))
        .is_empty());
        assert_eq!(
            codes(&cond(
                "Deny",
                PEERING,
                r#"{"StringNotEquals":{"acs:TargetRDPath":["rd-x/*","rd-y/?"]}}"#
            )),
            ["L003", "L003"]
        );
        assert!(codes(&cond(
            "Deny",
            PEERING,
            r#"{"StringNotEquals":{"acs:TargetRDId":"rd-x"}}"#
        ))
        .is_empty());
    }

    #[test]
    fn key_names() {
        assert_eq!(
            codes(&cond(
                "Allow",
                r#""vpc:CreateVpc""#,
                r#"{"IpAddress":{"acs:sourceip":"10.0.0.0/8"}}"#
            )),
            ["L016"]
        );
        assert_eq!(
            codes(&cond(
                "Allow",
                r#""vpc:CreateVpc""#,
                r#"{"StringEquals":{"acs:resourcetag/env":"prod"}}"#
            )),
            ["L016"]
        );
        assert!(codes(&cond("Allow", r#""vpc:CreateVpc""#, r#"{"StringEquals":{"acs:ResourceTag/env":"prod","acs:PrincipalArn":"x","vpc:VPC":"v"}}"#)).is_empty());
        assert_eq!(
            codes(&cond(
                "Allow",
                r#""vpc:CreateVpc""#,
                r#"{"StringEquals":{"acs:SourceVpcId":"vpc-1"}}"#
            )),
            ["L015"]
        );
    }

    #[test]
    fn dates_in_the_past() {
        let now = values::parse_date("2026-01-01T00:00:00Z");
        let run = |effect: &str, c: &str| -> Vec<&'static str> {
            let text = format!(
                r#"{{"Version":"1","Statement":[{}]}}"#,
                cond(effect, r#""vpc:CreateVpc""#, c)
            );
            lint_kind(
                PolicyKind::Identity,
                &text,
                &LintOptions {
                    now,
                    ..LintOptions::default()
                },
            )
            .iter()
            .map(|l| l.code.info().id)
            .collect()
        };
        assert_eq!(
            run(
                "Allow",
                r#"{"DateLessThan":{"acs:CurrentTime":"2025-06-01T00:00:00Z"}}"#
            ),
            ["L011"]
        );
        assert_eq!(
            run(
                "Allow",
                r#"{"DateLessThan":{"acs:CurrentTime":"2026-01-01T00:00:00Z"}}"#
            ),
            ["L011"]
        );
        assert!(run(
            "Allow",
            r#"{"DateLessThan":{"acs:CurrentTime":["2025-06-01","2027-01-01"]}}"#
        )
        .is_empty());
        assert_eq!(
            run(
                "Deny",
                r#"{"DateGreaterThan":{"acs:CurrentTime":"2025-06-01T00:00:00Z"}}"#
            ),
            ["L011"]
        );
        assert!(run(
            "Allow",
            r#"{"DateGreaterThan":{"acs:CurrentTime":"2027-06-01T00:00:00Z"}}"#
        )
        .is_empty());
        // Without a clock the rule is off.
        assert!(codes(&cond(
            "Allow",
            r#""vpc:CreateVpc""#,
            r#"{"DateLessThan":{"acs:CurrentTime":"2000-01-01"}}"#
        ))
        .is_empty());
    }

    #[test]
    fn allow_over_plain_http() {
        assert_eq!(
            codes(&cond(
                "Allow",
                r#""vpc:CreateVpc""#,
                r#"{"Bool":{"acs:SecureTransport":"false"}}"#
            )),
            ["L013"]
        );
        assert!(codes(&cond(
            "Deny",
            r#""vpc:CreateVpc""#,
            r#"{"Bool":{"acs:SecureTransport":"false"}}"#
        ))
        .is_empty());
        assert!(codes(&cond(
            "Allow",
            r#""vpc:CreateVpc""#,
            r#"{"Bool":{"acs:SecureTransport":"TRUE"}}"#
        ))
        .is_empty());
    }
}
