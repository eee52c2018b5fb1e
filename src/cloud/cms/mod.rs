//! CloudMonitor (`cms`, 2019-01-01) for VPC peering connections (issue 17): metrics of the
//! `acs_vpcpeer` namespace read from the traffic buckets, threshold alert rules, and the alert
//! history their evaluation produces.
//!
//! * Metrics exist for inter-region peerings only; intra-region peerings have none [S0
//!   "Monitoring metrics are not available for intra-region peering connections"].
//! * Resolution: one datapoint per peering and hour of the scenario clock (the hourly traffic
//!   buckets), stamped with the start of the hour and available once the hour is over. Alibaba
//!   samples every minute; the model's coarser period is a simplification (**ASSUMED**). All
//!   statistics (`Average`, `Maximum`, `Minimum`, `Sum`, `Value`) of a datapoint are its one
//!   value.
//! * Metric names: `IntranetRX` is the one the seed names (Terraform example, dimension
//!   `instanceId`); the others follow its pattern and are **ASSUMED** (Alibaba's metric list for
//!   the namespace was not found). `TX` is what the requester VPC sends, `RX` what it receives
//!   (**ASSUMED** orientation).
//! * Alert rules are evaluated when read, deterministically, from the datapoints, the rule and
//!   its enable/disable history: a level (`Critical` > `Warn` > `Info`) fires when its condition
//!   held for `Times` consecutive datapoints and clears on the first datapoint where no level
//!   holds. Each change is one alert-log entry (`DescribeAlertLogList`, which replaces the
//!   deprecated `DescribeAlertHistoryList`). Replacing or deleting a rule first freezes the
//!   history it produced into the log.

pub mod api;
#[cfg(test)]
mod tests;

use crate::cloud::declare::{Denial, Product};
use crate::cloud::time::{Timestamp, HOUR};
use crate::cloud::traffic::BYTES_PER_MBIT_SECOND;
use crate::cloud::vpcpeer::Peering;
use crate::cloud::World;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CloudMonitor product.
pub const PRODUCT: Product = Product {
    name: "Cms",
    version: "2019-01-01",
    ram_code: "cms",
    endpoint: "metrics.aliyuncs.com",
    regional_endpoint: None,
    // ASSUMED: the CloudMonitor API reference does not list its denial answer.
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// The namespace of VPC peering metrics.
pub const NAMESPACE: &str = "acs_vpcpeer";

/// How far back alert rules are evaluated: 366 days.
pub const HORIZON: i64 = 366 * 24 * HOUR;

/// Seconds between two datapoints.
pub const PERIOD: i64 = HOUR;

/// Which way traffic goes, seen from the requester VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the requester VPC.
    Tx,
    /// Received by the requester VPC (sent by the accepter VPC).
    Rx,
}

/// What a metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bytes delivered in the period.
    Bytes,
    /// Average delivered rate, bit/s.
    Rate,
    /// Delivered rate as a percentage of the bandwidth.
    Utilization,
    /// Average dropped rate, bit/s.
    DropRate,
    /// Dropped bytes as a percentage of offered bytes.
    LossRate,
}

/// One metric of the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Name (`IntranetRX`).
    pub name: &'static str,
    /// Direction.
    pub direction: Direction,
    /// Measure.
    pub kind: Kind,
    /// Unit as CloudMonitor lists it.
    pub unit: &'static str,
}

/// The `acs_vpcpeer` metrics (only `IntranetRX` is confirmed by the seed; **ASSUMED** others).
pub const METRICS: &[Metric] = &[
    m("IntranetRX", Direction::Rx, Kind::Bytes, "Bytes"),
    m("IntranetTX", Direction::Tx, Kind::Bytes, "Bytes"),
    m("IntranetRXRate", Direction::Rx, Kind::Rate, "bits/s"),
    m("IntranetTXRate", Direction::Tx, Kind::Rate, "bits/s"),
    m(
        "IntranetRXBandwidthUtilization",
        Direction::Rx,
        Kind::Utilization,
        "%",
    ),
    m(
        "IntranetTXBandwidthUtilization",
        Direction::Tx,
        Kind::Utilization,
        "%",
    ),
    m(
        "IntranetRXDropRate",
        Direction::Rx,
        Kind::DropRate,
        "bits/s",
    ),
    m(
        "IntranetTXDropRate",
        Direction::Tx,
        Kind::DropRate,
        "bits/s",
    ),
    m(
        "IntranetRXPacketLossRate",
        Direction::Rx,
        Kind::LossRate,
        "%",
    ),
    m(
        "IntranetTXPacketLossRate",
        Direction::Tx,
        Kind::LossRate,
        "%",
    ),
];

const fn m(name: &'static str, direction: Direction, kind: Kind, unit: &'static str) -> Metric {
    Metric {
        name,
        direction,
        kind,
        unit,
    }
}

/// The metric named `name`.
pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// Rounds to two decimals (metric values are reported that way, so outputs are stable).
fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The value of `metric` for one hour with these bytes over a peering of `bandwidth` Mbit/s.
pub fn value(metric: &Metric, offered: u64, delivered: u64, bandwidth: i64) -> f64 {
    let dropped = offered.saturating_sub(delivered);
    match metric.kind {
        Kind::Bytes => delivered as f64,
        Kind::Rate => r2(delivered as f64 * 8.0 / PERIOD as f64),
        Kind::DropRate => r2(dropped as f64 * 8.0 / PERIOD as f64),
        Kind::Utilization => {
            if bandwidth <= 0 {
                0.0
            } else {
                let capacity = bandwidth as f64 * BYTES_PER_MBIT_SECOND as f64 * PERIOD as f64;
                r2(delivered as f64 * 100.0 / capacity)
            }
        }
        Kind::LossRate => {
            if offered == 0 {
                0.0
            } else {
                r2(dropped as f64 * 100.0 / offered as f64)
            }
        }
    }
}

/// One datapoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Start of the hour.
    pub hour: Timestamp,
    /// Value.
    pub value: f64,
}

/// The first hour start at or after `t`.
fn ceil_hour(t: Timestamp) -> Timestamp {
    let floor = t.hour_floor();
    if floor < t {
        floor.plus(HOUR)
    } else {
        floor
    }
}

/// True when `uid` may read the metrics of `p` (requester or accepter account).
pub fn visible(p: &Peering, uid: &str) -> bool {
    p.involves_account(uid)
}

/// The datapoints of `metric` for the live inter-region peering `p`, for the hours that
/// start in `[from, to)` and are over at `now` (zero for hours without traffic; none before
/// the peering was created).
pub fn series(
    w: &World,
    p: &Peering,
    metric: &Metric,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> Vec<Point> {
    if !p.is_inter_region() {
        return Vec::new();
    }
    let first = ceil_hour(from.max(p.gmt_create.hour_floor()));
    // Hours h with h < to whose datapoint is complete: h + PERIOD <= now.
    let stop = to.min(now.plus(-PERIOD).hour_floor().plus(HOUR));
    if first >= stop {
        return Vec::new();
    }
    let vpc = match metric.direction {
        Direction::Tx => &p.vpc_id,
        Direction::Rx => &p.accepting_vpc_id,
    };
    let lo = (p.instance_id.clone(), vpc.clone(), first);
    let hi = (p.instance_id.clone(), vpc.clone(), stop);
    let mut buckets = w
        .traffic_state()
        .buckets
        .range(lo..hi)
        .map(|(_, b)| b)
        .peekable();
    let hours = ((stop.epoch() - first.epoch()) / HOUR).max(0) as usize;
    let mut out = Vec::with_capacity(hours);
    let mut hour = first;
    while hour < stop {
        let v = match buckets.next_if(|b| b.hour == hour) {
            Some(b) => value(metric, b.offered_bytes, b.delivered_bytes, b.bandwidth_mbps),
            None => value(metric, 0, 0, p.bandwidth),
        };
        out.push(Point { hour, value: v });
        hour = hour.plus(HOUR);
    }
    out
}

/// Comparison operators of an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// `>=`.
    GreaterThanOrEqualToThreshold,
    /// `>`.
    GreaterThanThreshold,
    /// `<=`.
    LessThanOrEqualToThreshold,
    /// `<`.
    LessThanThreshold,
    /// `==`.
    EqualToThreshold,
    /// `!=`.
    NotEqualToThreshold,
}

impl Comparison {
    /// Parses Alibaba's name.
    pub fn parse(s: &str) -> Option<Comparison> {
        Some(match s {
            "GreaterThanOrEqualToThreshold" => Comparison::GreaterThanOrEqualToThreshold,
            "GreaterThanThreshold" => Comparison::GreaterThanThreshold,
            "LessThanOrEqualToThreshold" => Comparison::LessThanOrEqualToThreshold,
            "LessThanThreshold" => Comparison::LessThanThreshold,
            "EqualToThreshold" => Comparison::EqualToThreshold,
            "NotEqualToThreshold" => Comparison::NotEqualToThreshold,
            _ => return None,
        })
    }

    /// Alibaba's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Comparison::GreaterThanThreshold => "GreaterThanThreshold",
            Comparison::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
            Comparison::LessThanThreshold => "LessThanThreshold",
            Comparison::EqualToThreshold => "EqualToThreshold",
            Comparison::NotEqualToThreshold => "NotEqualToThreshold",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => ">=",
            Comparison::GreaterThanThreshold => ">",
            Comparison::LessThanOrEqualToThreshold => "<=",
            Comparison::LessThanThreshold => "<",
            Comparison::EqualToThreshold => "==",
            Comparison::NotEqualToThreshold => "!=",
        }
    }

    /// `value <op> threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::EqualToThreshold => value == threshold,
            Comparison::NotEqualToThreshold => value != threshold,
        }
    }
}

/// Alert levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// No alert.
    Ok,
    /// `Info` escalation (alert-log level `P4`).
    Info,
    /// `Warn` escalation (`P3`).
    Warn,
    /// `Critical` escalation (`P2`).
    Critical,
}

impl Level {
    /// The alert-log level: `P2`, `P3`, `P4`, `OK` (escalation mapping **ASSUMED**).
    pub fn log_level(self) -> &'static str {
        match self {
            Level::Critical => "P2",
            Level::Warn => "P3",
            Level::Info => "P4",
            Level::Ok => "OK",
        }
    }

    /// The escalation name: `Critical`, `Warn`, `Info` (`OK` for none).
    pub fn escalation(self) -> &'static str {
        match self {
            Level::Critical => "Critical",
            Level::Warn => "Warn",
            Level::Info => "Info",
            Level::Ok => "OK",
        }
    }
}

/// One escalation of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Comparison.
    pub comparison: Comparison,
    /// Threshold (as given; a number).
    pub threshold: String,
    /// Consecutive datapoints.
    pub times: u32,
    /// Statistic (`Average`, `Maximum`, `Minimum`, `Sum`, `Value`).
    pub statistics: String,
}

impl Escalation {
    fn threshold_value(&self) -> f64 {
        self.threshold.parse().unwrap_or(f64::NAN)
    }

    /// `$Average>=90`.
    pub fn expression(&self) -> String {
        format!(
            "${}{}{}",
            self.statistics,
            self.comparison.symbol(),
            self.threshold
        )
    }
}

/// A threshold alert rule (`PutResourceMetricRules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricRule {
    /// Account.
    pub owner_uid: String,
    /// `RuleId` (chosen by the caller).
    pub rule_id: String,
    /// `RuleName`.
    pub rule_name: String,
    /// `Namespace`.
    pub namespace: String,
    /// `MetricName`.
    pub metric_name: String,
    /// Peering ids from `Resources`.
    pub resources: Vec<String>,
    /// `Resources` as given.
    pub resources_text: String,
    /// `Period` in seconds (stored; evaluation uses the hourly datapoints).
    pub period: i64,
    /// `ContactGroups`.
    pub contact_groups: String,
    /// Escalations by level.
    pub escalations: BTreeMap<Level, Escalation>,
    /// When the rule was (last) put: datapoints of hours ending after it are evaluated.
    pub since: Timestamp,
    /// `(time, enabled)` changes, oldest first; starts enabled.
    pub enabled: Vec<(Timestamp, bool)>,
}

impl MetricRule {
    /// Enabled at `t`.
    pub fn enabled_at(&self, t: Timestamp) -> bool {
        self.enabled
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .is_none_or(|(_, on)| *on)
    }

    /// Enabled now (the last change).
    pub fn enabled_now(&self) -> bool {
        self.enabled.last().is_none_or(|(_, on)| *on)
    }
}

/// One alert-log entry: a level change of a rule on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// Account.
    pub owner_uid: String,
    /// When it was evaluated (end of the datapoint's hour).
    pub time: Timestamp,
    /// Rule.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Namespace.
    pub namespace: String,
    /// Metric.
    pub metric_name: String,
    /// Peering.
    pub instance_id: String,
    /// New level (`Ok` = recovered).
    pub level: Level,
    /// The datapoint's value.
    pub value: f64,
    /// The escalation that fired (or, for a recovery, the one that had fired).
    pub expression: String,
    /// Its `Times`.
    pub times: u32,
}

/// Where each resource of a rule stands after evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Level changes, oldest first.
    pub events: Vec<AlertEvent>,
    /// Level per resource now.
    pub levels: BTreeMap<String, Level>,
    /// Datapoints evaluated (0: `INSUFFICIENT_DATA`).
    pub evaluated: usize,
}

impl Evaluation {
    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub fn alert_state(&self) -> &'static str {
        if self.levels.values().any(|l| *l != Level::Ok) {
            "ALARM"
        } else if self.evaluated == 0 {
            "INSUFFICIENT_DATA"
        } else {
            "OK"
        }
    }
}

/// Evaluates `rule` over the datapoints available at `now`.
pub fn evaluate(w: &World, rule: &MetricRule, now: Timestamp) -> Evaluation {
    let mut out = Evaluation {
        events: Vec::new(),
        levels: BTreeMap::new(),
        evaluated: 0,
    };
    let Some(metric) = metric(&rule.metric_name) else {
        return out;
    };
    // The first hour whose datapoint is evaluated ends after the rule was put.
    // Only the last year is evaluated (Alibaba keeps a year of alert history): a clock moved
    // centuries ahead costs a year of datapoints, not centuries.
    let from = ceil_hour(rule.since.plus(1 - PERIOD)).max(now.plus(-HORIZON).hour_floor());
    for id in &rule.resources {
        let Some(p) = w.peerings.get(id) else {
            continue;
        };
        if !visible(p, &rule.owner_uid) {
            continue;
        }
        let points = series(w, p, metric, from, Timestamp::MAX, now);
        let mut counters: BTreeMap<Level, u32> = BTreeMap::new();
        let mut level = Level::Ok;
        let mut fired: Option<(String, u32)> = None;
        for point in points {
            let at = point.hour.plus(PERIOD);
            if !rule.enabled_at(at) {
                // A disabled rule evaluates nothing and raises nothing; it starts afresh.
                counters.clear();
                level = Level::Ok;
                fired = None;
                continue;
            }
            out.evaluated += 1;
            let mut now_level = Level::Ok;
            for (l, e) in &rule.escalations {
                let c = counters.entry(*l).or_insert(0);
                if e.comparison.holds(point.value, e.threshold_value()) {
                    *c += 1;
                } else {
                    *c = 0;
                }
                if *c >= e.times.max(1) && *l > now_level {
                    now_level = *l;
                }
            }
            if now_level != level {
                let (expression, times) = match rule.escalations.get(&now_level) {
                    Some(e) => (e.expression(), e.times),
                    None => fired.clone().unwrap_or_default(),
                };
                if now_level != Level::Ok {
                    fired = Some((expression.clone(), times));
                }
                out.events.push(AlertEvent {
                    owner_uid: rule.owner_uid.clone(),
                    time: at,
                    rule_id: rule.rule_id.clone(),
                    rule_name: rule.rule_name.clone(),
                    namespace: rule.namespace.clone(),
                    metric_name: rule.metric_name.clone(),
                    instance_id: id.clone(),
                    level: now_level,
                    value: point.value,
                    expression,
                    times,
                });
                level = now_level;
            }
        }
        out.levels.insert(id.clone(), level);
    }
    out.events
        .sort_by(|a, b| (a.time, &a.instance_id).cmp(&(b.time, &b.instance_id)));
    out
}

/// CloudMonitor state: rules by `owner|rule id`, and the frozen history of replaced or
/// deleted rules. Omitted from the state while empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CmsState {
    /// Rules by `owner|rule id`.
    #[serde(default)]
    pub rules: BTreeMap<String, MetricRule>,
    /// Alert-log entries of rules since replaced or deleted.
    #[serde(default)]
    pub log: Vec<AlertEvent>,
}

impl CmsState {
    /// Nothing stored.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.log.is_empty()
    }

    /// The key of a rule.
    pub fn key(owner: &str, rule_id: &str) -> String {
        format!("{owner}|{rule_id}")
    }

    /// The rules of `owner`, by rule id.
    pub fn rules_of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a MetricRule> {
        let lo = format!("{owner}|");
        self.rules
            .range(lo..)
            .take_while(move |(k, _)| k.split('|').next() == Some(owner))
            .map(|(_, r)| r)
    }
}

impl World {
    /// CloudMonitor rules and frozen alert history.
    pub fn cms(&self) -> &CmsState {
        &self.cms
    }

    /// The alert log of `owner` at `now`: frozen entries plus the live evaluation of its
    /// rules, oldest first.
    pub fn alert_log(&self, owner: &str, now: Timestamp) -> Vec<AlertEvent> {
        let mut out: Vec<AlertEvent> = self
            .cms
            .log
            .iter()
            .filter(|e| e.owner_uid == owner)
            .cloned()
            .collect();
        for rule in self.cms.rules_of(owner) {
            out.extend(evaluate(self, rule, now).events);
        }
        out.sort_by(|a, b| {
            (a.time, &a.rule_id, &a.instance_id).cmp(&(b.time, &b.rule_id, &b.instance_id))
        });
        out
    }
}
