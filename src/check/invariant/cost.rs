//! What the invariant language sees of traffic, CDT fees and CloudMonitor alerts (issue 17):
//! the collections `charges`, `alert_rules` and `alerts`.
//!
//! ```text
//! forall c in charges: not c.cross_border
//! forall p in peerings where p.inter_region and p.status == "Activated":
//!     exists r in alert_rules: p.id in r.resources and r.enabled
//! ```
//!
//! * A **charge** is the billed traffic of one link (peering, CEN peer attachment, PrivateLink
//!   endpoint), one sender and one hour — what `ramsim bill` sums into a line per account,
//!   hour, region pair and link type. Traffic that is not billed (intra-region peerings,
//!   nothing delivered, CEN bandwidth-plan connections) is no charge.
//! * An **alert rule** is a CloudMonitor threshold rule (`PutResourceMetricRules`), with its
//!   state evaluated at the scenario clock.
//! * An **alert** is one alert-log entry (`DescribeAlertLogList`): a level change of a rule on
//!   one resource, frozen or from the live evaluation of a rule.

use super::eval::{Obj, Val};
use super::schema::{Field, Kind, Ty};
use crate::api::SimState;
use crate::cloud::cms::{evaluate, AlertEvent, Level, MetricRule};
use crate::cloud::traffic::bill::{cny, ChargeRef, UNITS_PER_CNY};
use crate::cloud::traffic::BYTES_PER_GB;
use crate::cloud::World;
use std::borrow::Cow;

const fn f(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

/// Fields of a charge.
pub const CHARGE: &[Field] = &[
    f("service", Ty::Str, "vpcpeer, cen or privatelink"),
    f(
        "link",
        Ty::Str,
        "peering `pcc-…`, CEN peer attachment `tr-attach-…` or endpoint `ep-…`",
    ),
    f(
        "sender",
        Ty::Str,
        "sending VPC (peering, PrivateLink) or transit router (CEN)",
    ),
    f("account", Ty::Str, "uid of the account charged"),
    f("payer", Ty::Obj(Kind::Account), "the account charged"),
    f("hour", Ty::Str, "start of the billing hour"),
    f("source_region", Ty::Str, "region the traffic leaves"),
    f("dest_region", Ty::Str, "region it enters"),
    f(
        "link_type",
        Ty::Str,
        "Gold / Platinum (the highest of the hour)",
    ),
    f(
        "cross_border",
        Ty::Bool,
        "the regions are on both sides of the mainland border",
    ),
    f("bytes", Ty::Num, "bytes billed"),
    f("gb", Ty::Num, "GB billed (decimal)"),
    f("price", Ty::Num, "CNY per GB"),
    f("fee", Ty::Num, "CNY"),
];

/// Fields of an alert rule.
pub const ALERT_RULE: &[Field] = &[
    f("id", Ty::Str, "RuleId"),
    f("name", Ty::Str, "RuleName"),
    f("owner", Ty::Str, "uid of the rule's account"),
    f("account", Ty::Obj(Kind::Account), "the rule's account"),
    f("namespace", Ty::Str, "`acs_vpcpeer`"),
    f("metric", Ty::Str, "MetricName"),
    f("resources", Ty::List, "ids of the peerings it watches"),
    f("enabled", Ty::Bool, "enabled now"),
    f("state", Ty::Str, "ALARM, OK or INSUFFICIENT_DATA now"),
    f(
        "level",
        Ty::Str,
        "highest level firing now: Critical, Warn, Info or OK",
    ),
    f("levels", Ty::List, "levels it has escalations for"),
];

/// Fields of an alert-log entry.
pub const ALERT: &[Field] = &[
    f("rule_id", Ty::Str, "RuleId"),
    f("rule_name", Ty::Str, "RuleName"),
    f("owner", Ty::Str, "uid of the rule's account"),
    f("time", Ty::Str, "when the level changed"),
    f("metric", Ty::Str, "MetricName"),
    f("resource", Ty::Str, "the peering"),
    f(
        "level",
        Ty::Str,
        "new level: Critical, Warn, Info or OK (recovered)",
    ),
    f("log_level", Ty::Str, "P2, P3, P4 or OK"),
    f("firing", Ty::Bool, "level is not OK"),
    f("value", Ty::Num, "the datapoint's value"),
    f("expression", Ty::Str, "the escalation, e.g. `$Value>=90`"),
];

/// An alert-log entry: frozen in the state, or the `n`-th event of a rule's live evaluation.
#[derive(Debug, Clone, Copy)]
pub enum AlertRef<'w> {
    /// Frozen (its rule was replaced or deleted).
    Logged(&'w AlertEvent),
    /// Event `n` of the live evaluation of a rule in a world.
    Live(&'w World, &'w MetricRule, u32),
}

/// The elements of `charges`, `alert_rules` or `alerts`; `None` for another name.
pub fn collection<'w>(state: &'w SimState, name: &str) -> Option<Vec<Val<'w>>> {
    let w = &state.world;
    Some(match name {
        "charges" => w
            .charge_refs()
            .into_iter()
            .map(|r| Val::Obj(Obj::Charge(r)))
            .collect(),
        "alert_rules" => w
            .cms()
            .rules
            .values()
            .map(|r| Val::Obj(Obj::AlertRule(r)))
            .collect(),
        "alerts" => {
            let mut out: Vec<Val<'w>> = w
                .cms()
                .log
                .iter()
                .map(|e| Val::Obj(Obj::Alert(AlertRef::Logged(e))))
                .collect();
            let now = w.now();
            for rule in w.cms().rules.values() {
                let n = evaluate(w, rule, now).events.len();
                out.extend((0..n as u32).map(|i| Val::Obj(Obj::Alert(AlertRef::Live(w, rule, i)))));
            }
            out
        }
        _ => return None,
    })
}

fn s(x: &str) -> Val<'_> {
    Val::Str(Cow::Borrowed(x))
}

fn owned<'w>(x: String) -> Val<'w> {
    Val::Str(Cow::Owned(x))
}

fn account<'w>(w: &'w World, uid: &str) -> Val<'w> {
    w.account(uid)
        .map_or(Val::Null, |a| Val::Obj(Obj::Account(a)))
}

/// Field `field` of charge `r` (`None`: no such field).
pub fn charge_field<'w>(w: &'w World, r: ChargeRef<'w>, field: &str) -> Option<Val<'w>> {
    let Some(c) = w.charge(r) else {
        // Not billed (any more): every field reads null.
        return CHARGE.iter().any(|x| x.name == field).then_some(Val::Null);
    };
    Some(match field {
        "service" => s(c.service),
        "link" => s(c.link_id),
        "sender" => s(c.sender_id),
        "account" => s(c.account),
        "payer" => account(w, c.account),
        "hour" => owned(c.hour.to_string()),
        "source_region" => s(c.source_region),
        "dest_region" => s(c.dest_region),
        "link_type" => s(c.link_type),
        "cross_border" => Val::Bool(c.cross_border()),
        "bytes" => Val::Num(c.bytes as f64),
        "gb" => Val::Num(c.bytes as f64 / BYTES_PER_GB as f64),
        "price" => Val::Num(c.micro_cny_per_gb as f64 / 1e6),
        "fee" => Val::Num(c.fee_units() as f64 / UNITS_PER_CNY as f64),
        _ => return None,
    })
}

/// Field `field` of alert rule `r`.
pub fn rule_field<'w>(w: &'w World, r: &'w MetricRule, field: &str) -> Option<Val<'w>> {
    Some(match field {
        "id" => s(&r.rule_id),
        "name" => s(&r.rule_name),
        "owner" => s(&r.owner_uid),
        "account" => account(w, &r.owner_uid),
        "namespace" => s(&r.namespace),
        "metric" => s(&r.metric_name),
        "resources" => Val::List(r.resources.iter().map(|x| s(x)).collect()),
        "enabled" => Val::Bool(r.enabled_now()),
        "state" => s(evaluate(w, r, w.now()).alert_state()),
        "level" => s(evaluate(w, r, w.now())
            .levels
            .values()
            .max()
            .copied()
            .unwrap_or(Level::Ok)
            .escalation()),
        "levels" => Val::List(r.escalations.keys().map(|l| s(l.escalation())).collect()),
        _ => return None,
    })
}

/// Field `field` of alert `a`.
pub fn alert_field<'w>(a: AlertRef<'w>, field: &str) -> Option<Val<'w>> {
    let live;
    let e: &AlertEvent = match a {
        AlertRef::Logged(e) => e,
        AlertRef::Live(w, rule, n) => {
            live = evaluate(w, rule, w.now())
                .events
                .into_iter()
                .nth(n as usize);
            match &live {
                Some(e) => e,
                None => return ALERT.iter().any(|x| x.name == field).then_some(Val::Null),
            }
        }
    };
    Some(match field {
        "rule_id" => owned(e.rule_id.clone()),
        "rule_name" => owned(e.rule_name.clone()),
        "owner" => owned(e.owner_uid.clone()),
        "time" => owned(e.time.to_string()),
        "metric" => owned(e.metric_name.clone()),
        "resource" => owned(e.instance_id.clone()),
        "level" => s(e.level.escalation()),
        "log_level" => s(e.level.log_level()),
        "firing" => Val::Bool(e.level != Level::Ok),
        "value" => Val::Num(e.value),
        "expression" => owned(e.expression.clone()),
        _ => return None,
    })
}

/// The identity of a charge, rule or alert (what it equals when compared with a string):
/// `link|sender|hour`, the rule id, or the alert's log line.
pub fn key<'w>(obj: &Obj<'w>) -> Cow<'w, str> {
    match *obj {
        Obj::Charge(r) => Cow::Owned(match r {
            ChargeRef::Peering(b) => format!("{}|{}|{}", b.peering_id, b.from_vpc_id, b.hour),
            ChargeRef::Link(b) => format!("{}|{}|{}", b.link_id, b.sender_id, b.hour),
            ChargeRef::Record(t) => {
                format!("{}|{}|{}", t.peering_id, t.from_vpc_id, t.hour_start)
            }
        }),
        Obj::AlertRule(r) => Cow::Borrowed(&r.rule_id),
        Obj::Alert(a) => Cow::Owned(alert_line(a)),
        _ => Cow::Borrowed(""),
    }
}

fn alert_line(a: AlertRef<'_>) -> String {
    let one = |e: &AlertEvent| {
        format!(
            "{} {} of {} on {}: {} ({})",
            e.time,
            e.rule_id,
            e.owner_uid,
            e.instance_id,
            e.level.escalation(),
            e.expression
        )
    };
    match a {
        AlertRef::Logged(e) => one(e),
        AlertRef::Live(w, rule, n) => evaluate(w, rule, w.now())
            .events
            .get(n as usize)
            .map_or_else(String::new, one),
    }
}

/// Bytes as GB, up to three decimals: `200`, `0.5`.
fn gb_text(bytes: u128) -> String {
    let milli = (bytes + 500_000) / 1_000_000;
    let text = format!("{}.{:03}", milli / 1000, milli % 1000);
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_string()
}

/// A description for violation reports.
pub fn describe(w: &World, obj: &Obj<'_>) -> String {
    match *obj {
        Obj::Charge(r) => match w.charge(r) {
            Some(c) => format!(
                "{} pays {} CNY for {} GB {} → {} ({}, {} {} from {}) in the hour of {}",
                c.account,
                cny(c.fee_units()),
                gb_text(c.bytes),
                c.source_region,
                c.dest_region,
                if c.link_type.is_empty() {
                    "no link type"
                } else {
                    c.link_type
                },
                c.service,
                c.link_id,
                c.sender_id,
                c.hour
            ),
            None => "a charge no longer billed".into(),
        },
        Obj::AlertRule(r) => format!(
            "rule {} of {} ({} on [{}], {})",
            r.rule_id,
            r.owner_uid,
            r.metric_name,
            r.resources.join(", "),
            if r.enabled_now() {
                "enabled"
            } else {
                "disabled"
            }
        ),
        Obj::Alert(a) => alert_line(a),
        _ => String::new(),
    }
}
