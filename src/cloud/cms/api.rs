//! The CloudMonitor APIs (issue 17), each declared once: typed parameters under Alibaba's
//! names, RAM action (`cms:<Api>`, All-Resource: CloudMonitor documents every one of these
//! against `*`), response shape, and the plan/apply split.
//!
//! Modelled: the `acs_vpcpeer` namespace only — a rule or a query naming another namespace is
//! refused (`InvalidParameter.Namespace`) rather than answered with made-up data. `RegionId`
//! is optional; a call without it is logged in `cn-hangzhou` (**ASSUMED**). Times
//! (`StartTime`, `EndTime`) are milliseconds since the epoch, or `YYYY-MM-DDThh:mm:ssZ` /
//! `YYYY-MM-DD hh:mm:ss` read as UTC (**ASSUMED**: Alibaba reads the latter in the caller's
//! time zone). Error codes of rule look-ups (`ResourceNotFound.MetricRule`) are **ASSUMED**.

use super::{
    evaluate, metric, series, visible, CmsState, Comparison, Escalation, Level, MetricRule,
    NAMESPACE, PERIOD, PRODUCT,
};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi, Param};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::{Timestamp, DAY};
use crate::cloud::validate::page_of;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Region a call without `RegionId` is logged in (**ASSUMED**).
const DEFAULT_REGION: &str = "cn-hangzhou";
/// Rules per `PutResourceMetricRules` call (**ASSUMED**).
const MAX_RULES_PER_CALL: usize = 500;
/// Default window of `DescribeMetricList` / `DescribeAlertLogList` without times: the last
/// day / 15 days (**ASSUMED**; Alibaba's alert-log default is 15 minutes, which the hourly
/// datapoints of the model would leave empty).
const METRIC_WINDOW: i64 = DAY;
const LOG_WINDOW: i64 = 15 * DAY;
/// Longest query window (Alibaba keeps alert history for a year; **ASSUMED** for metrics).
const MAX_WINDOW: i64 = 366 * DAY;

fn region_of(p: &Params<'_>) -> Result<String, CloudError> {
    Ok(p.opt_str("RegionId")?
        .unwrap_or_else(|| DEFAULT_REGION.to_string()))
}

fn ok_fields() -> [(&'static str, Value); 3] {
    [
        ("Code", json!("200")),
        ("Message", json!("")),
        ("Success", json!(true)),
    ]
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (k, v) in fields {
        map.insert(k.to_string(), v);
    }
    Value::Object(map)
}

fn with_ok<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut v = object(ok_fields());
    if let Value::Object(m) = &mut v {
        for (k, x) in fields {
            m.insert(k.to_string(), x);
        }
    }
    v
}

fn namespace(p: &Params<'_>, required: bool) -> Result<Option<String>, CloudError> {
    let ns = if required {
        Some(p.req_str("Namespace")?)
    } else {
        p.opt_str("Namespace")?
    };
    match ns {
        Some(n) if n != NAMESPACE => Err(CloudError::invalid_param(
            "Namespace",
            &format!("only `{NAMESPACE}` (VPC peering connections) is modelled, not `{n}`"),
        )),
        other => Ok(other),
    }
}

fn metric_name(
    p: &Params<'_>,
    name: &'static str,
    required: bool,
) -> Result<Option<String>, CloudError> {
    let m = if required {
        Some(p.req_str(name)?)
    } else {
        p.opt_str(name)?
    };
    if let Some(m) = &m {
        if metric(m).is_none() {
            let known: Vec<&str> = super::METRICS.iter().map(|m| m.name).collect();
            return Err(CloudError::invalid_param(
                name,
                &format!(
                    "`{m}` is not a metric of {NAMESPACE} ({})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(m)
}

/// A time parameter: milliseconds, `YYYY-MM-DDThh:mm:ssZ` or `YYYY-MM-DD hh:mm:ss` (UTC).
fn time_param(p: &Params<'_>, name: &'static str) -> Result<Option<Timestamp>, CloudError> {
    let Some(text) = p.opt_str(name)? else {
        return Ok(None);
    };
    let t = text.trim();
    let parsed = if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        t.parse::<i64>()
            .ok()
            .map(|ms| Timestamp(ms.div_euclid(1000)))
            .filter(|ts| ts.in_range())
    } else if t.len() == 19 && t.as_bytes().get(10) == Some(&b' ') {
        Timestamp::parse(&format!("{}T{}Z", &t[..10], &t[11..]))
    } else {
        Timestamp::parse(t)
    };
    parsed.map(Some).ok_or_else(|| {
        CloudError::invalid_param(
            name,
            "expected milliseconds since the epoch or YYYY-MM-DDThh:mm:ssZ",
        )
    })
}

/// A window `[start, end)` from `StartTime` / `EndTime`, defaulting to `window` before now.
fn window(
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    now: Timestamp,
    window: i64,
) -> Result<(Timestamp, Timestamp), CloudError> {
    let end = end.unwrap_or(now);
    let start = start.unwrap_or(end.plus(-window));
    if start > end {
        return Err(CloudError::invalid_param(
            "StartTime",
            "StartTime is after EndTime",
        ));
    }
    if end.epoch() - start.epoch() > MAX_WINDOW {
        return Err(CloudError::invalid_param(
            "StartTime",
            "the window between StartTime and EndTime is at most 366 days",
        ));
    }
    Ok((start, end))
}

fn ms(t: Timestamp) -> i64 {
    t.epoch().saturating_mul(1000)
}

/// Instance ids of a `Resources` / `Dimensions` JSON value: `[{"instanceId":"pcc-…"}]` or
/// one object.
fn instance_ids(name: &'static str, text: &str) -> Result<Vec<String>, CloudError> {
    let bad =
        || CloudError::invalid_param(name, "expected JSON like [{\"instanceId\":\"pcc-...\"}]");
    let v: Value = serde_json::from_str(text).map_err(|_| bad())?;
    let items = match v {
        Value::Array(a) => a,
        o @ Value::Object(_) => vec![o],
        _ => return Err(bad()),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(m) = item else {
            return Err(bad());
        };
        if m.len() != 1 {
            return Err(bad());
        }
        match m.get("instanceId") {
            Some(Value::String(s)) if !s.is_empty() => out.push(s.clone()),
            _ => return Err(bad()),
        }
    }
    if out.is_empty() {
        return Err(bad());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `RuleId.N` (or a JSON array), at least one.
/// The rule ids of list parameter `name` (`RuleId.N`; `Id.N` for DeleteMetricRules, as the
/// official SDK sends it), at least one.
fn rule_ids(p: &Params<'_>, name: &'static str) -> Result<Vec<String>, CloudError> {
    let mut ids = p.list_str(name)?;
    if ids.is_empty() {
        return Err(CloudError::missing(name));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn rule_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "ResourceNotFound.MetricRule",
        format!("The alert rule `{id}` does not exist."),
    )
}

fn check_rules(w: &World, owner: &str, ids: &[String]) -> Result<(), CloudError> {
    match ids
        .iter()
        .find(|id| !w.cms.rules.contains_key(&CmsState::key(owner, id)))
    {
        Some(id) => Err(rule_not_found(id)),
        None => Ok(()),
    }
}

/// Freezes the history a rule produced into the log (before it is replaced or deleted).
fn freeze(w: &mut World, key: &str, now: Timestamp) {
    if let Some(rule) = w.cms.rules.get(key) {
        let events = evaluate(w, rule, now).events;
        w.cms.log.extend(events);
    }
}

// ---- PutResourceMetricRules --------------------------------------------------------------

const ESCALATION_FIELDS: [&str; 4] = ["ComparisonOperator", "Threshold", "Times", "Statistics"];
const LEVELS: [(&str, Level); 3] = [
    ("Critical", Level::Critical),
    ("Warn", Level::Warn),
    ("Info", Level::Info),
];

/// PutResourceMetricRules: creates or replaces threshold rules (by `RuleId`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutResourceMetricRules {
    /// `RegionId`.
    pub region_id: String,
    /// The rules, validated (owner and time are set by the plan).
    pub rules: Vec<MetricRule>,
}

fn decode_rule(i: usize, r: &Map<String, Value>) -> Result<MetricRule, CloudError> {
    let field = |f: &str| -> Result<Option<String>, CloudError> {
        match r.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(CloudError::invalid_param(
                &format!("Rules.{i}.{f}"),
                "expected a string",
            )),
        }
    };
    let need = |f: &str| -> Result<String, CloudError> {
        field(f)?.ok_or_else(|| CloudError::missing(&format!("Rules.{i}.{f}")))
    };
    for k in r.keys() {
        let known = [
            "RuleId",
            "RuleName",
            "Namespace",
            "MetricName",
            "Resources",
            "Period",
            "ContactGroups",
        ]
        .contains(&k.as_str())
            || LEVELS.iter().any(|(l, _)| {
                ESCALATION_FIELDS
                    .iter()
                    .any(|f| *k == format!("Escalations.{l}.{f}"))
            });
        if !known {
            return Err(CloudError::bad(
                "InvalidParameter",
                format!("The parameter Rules.{i}.{k} is not defined for PutResourceMetricRules."),
            ));
        }
    }
    let rule_id = need("RuleId")?;
    let namespace = need("Namespace")?;
    if namespace != NAMESPACE {
        return Err(CloudError::invalid_param(
            &format!("Rules.{i}.Namespace"),
            &format!("only `{NAMESPACE}` is modelled, not `{namespace}`"),
        ));
    }
    let metric_name = need("MetricName")?;
    if metric(&metric_name).is_none() {
        return Err(CloudError::invalid_param(
            &format!("Rules.{i}.MetricName"),
            &format!("`{metric_name}` is not a metric of {NAMESPACE}"),
        ));
    }
    let resources_text = need("Resources")?;
    let resources = instance_ids("Resources", &resources_text)?;
    let period = match field("Period")? {
        None => 300,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| *p >= 60 && p % 60 == 0)
            .ok_or_else(|| {
                CloudError::invalid_param(&format!("Rules.{i}.Period"), "a multiple of 60 seconds")
            })?,
    };
    let mut escalations = BTreeMap::new();
    for (name, level) in LEVELS {
        let get = |f: &str| field(&format!("Escalations.{name}.{f}"));
        let given: Vec<Option<String>> = ESCALATION_FIELDS
            .iter()
            .map(|f| get(f))
            .collect::<Result<_, _>>()?;
        if given.iter().all(Option::is_none) {
            continue;
        }
        let path = |f: &str| format!("Rules.{i}.Escalations.{name}.{f}");
        let op = given[0]
            .as_deref()
            .ok_or_else(|| CloudError::missing(&path("ComparisonOperator")))?;
        let comparison = Comparison::parse(op).ok_or_else(|| {
            CloudError::invalid_param(
                &path("ComparisonOperator"),
                &format!("unknown operator `{op}`"),
            )
        })?;
        let threshold = given[1]
            .clone()
            .ok_or_else(|| CloudError::missing(&path("Threshold")))?;
        if !threshold.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(CloudError::invalid_param(&path("Threshold"), "a number"));
        }
        let times = match &given[2] {
            None => 1,
            Some(t) => t
                .parse::<u32>()
                .ok()
                .filter(|t| (1..=100).contains(t))
                .ok_or_else(|| CloudError::invalid_param(&path("Times"), "1-100"))?,
        };
        let statistics = given[3].clone().unwrap_or_else(|| "Average".to_string());
        if !["Average", "Maximum", "Minimum", "Sum", "Value"].contains(&statistics.as_str()) {
            return Err(CloudError::invalid_param(
                &path("Statistics"),
                "Average, Maximum, Minimum, Sum or Value",
            ));
        }
        escalations.insert(
            level,
            Escalation {
                comparison,
                threshold,
                times,
                statistics,
            },
        );
    }
    if escalations.is_empty() {
        return Err(CloudError::missing(&format!(
            "Rules.{i}.Escalations.Critical.ComparisonOperator"
        )));
    }
    Ok(MetricRule {
        owner_uid: String::new(),
        rule_name: field("RuleName")?.unwrap_or_else(|| rule_id.clone()),
        rule_id,
        namespace,
        metric_name,
        resources,
        resources_text,
        period,
        contact_groups: field("ContactGroups")?.unwrap_or_default(),
        escalations,
        since: Timestamp(0),
        enabled: Vec::new(),
    })
}

const RULE_PARAMS: &[Param] = &[
    opt("RegionId", Str),
    opt("Rules.N.RuleId", Str),
    opt("Rules.N.RuleName", Str),
    opt("Rules.N.Namespace", Str),
    opt("Rules.N.MetricName", Str),
    opt("Rules.N.Resources", Str),
    opt("Rules.N.Period", Str),
    opt("Rules.N.ContactGroups", Str),
    opt("Rules.N.Escalations.Critical.ComparisonOperator", Str),
    opt("Rules.N.Escalations.Critical.Threshold", Str),
    opt("Rules.N.Escalations.Critical.Times", Int),
    opt("Rules.N.Escalations.Critical.Statistics", Str),
    opt("Rules.N.Escalations.Warn.ComparisonOperator", Str),
    opt("Rules.N.Escalations.Warn.Threshold", Str),
    opt("Rules.N.Escalations.Warn.Times", Int),
    opt("Rules.N.Escalations.Warn.Statistics", Str),
    opt("Rules.N.Escalations.Info.ComparisonOperator", Str),
    opt("Rules.N.Escalations.Info.Threshold", Str),
    opt("Rules.N.Escalations.Info.Times", Int),
    opt("Rules.N.Escalations.Info.Statistics", Str),
];

impl CloudApi for PutResourceMetricRules {
    const DECL: ApiDecl = PRODUCT
        .api(
            "PutResourceMetricRules",
            "cms:PutResourceMetricRules",
            Update,
        )
        .names(&["Rules.1.RuleId"])
        .resource_type("ACS::CMS::AlarmRule")
        .params(RULE_PARAMS)
        .response(&["Code", "Message", "Success"]);
    type Plan = Vec<MetricRule>;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let region_id = region_of(p)?;
        let objs = p.list_obj("Rules");
        if objs.is_empty() {
            return Err(CloudError::missing("Rules"));
        }
        if objs.len() > MAX_RULES_PER_CALL {
            return Err(CloudError::invalid_param(
                "Rules",
                &format!("at most {MAX_RULES_PER_CALL} rules per call"),
            ));
        }
        let mut rules = Vec::with_capacity(objs.len());
        for (i, o) in objs.iter().enumerate() {
            let r = decode_rule(i + 1, o)?;
            if rules.iter().any(|x: &MetricRule| x.rule_id == r.rule_id) {
                return Err(CloudError::invalid_param(
                    &format!("Rules.{}.RuleId", i + 1),
                    &format!("`{}` is given twice", r.rule_id),
                ));
            }
            rules.push(r);
        }
        Ok(PutResourceMetricRules { region_id, rules })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.caller_account(ctx)?;
        Ok(self
            .rules
            .iter()
            .map(|r| {
                let old = w
                    .cms
                    .rules
                    .get(&CmsState::key(&ctx.caller_account, &r.rule_id));
                MetricRule {
                    owner_uid: ctx.caller_account.clone(),
                    since: now,
                    // A replaced rule keeps its enable state.
                    enabled: match old {
                        Some(o) if !o.enabled_now() => vec![(now, false)],
                        _ => Vec::new(),
                    },
                    ..r.clone()
                }
            })
            .collect())
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        for rule in plan {
            let key = CmsState::key(&rule.owner_uid, &rule.rule_id);
            freeze(w, &key, now);
            w.cms.rules.insert(key, rule);
        }
        object(ok_fields())
    }
}

// ---- Enable / Disable / Delete ------------------------------------------------------------

macro_rules! rule_switch {
    ($name:ident, $api:literal, $level:expr, $ids:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// `RegionId`.
            pub region_id: String,
            /// The rules named (`RuleId.N`, or `Id.N` for DeleteMetricRules).
            pub rule_ids: Vec<String>,
        }

        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api($api, concat!("cms:", $api), $level)
                .names(&[concat!($ids, ".1")])
                .resource_type("ACS::CMS::AlarmRule")
                .params(&[opt("RegionId", Str), opt(concat!($ids, ".N"), Str)])
                .response(&["Code", "Message", "Success"]);
            type Plan = (String, Vec<String>);

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($name {
                    region_id: region_of(p)?,
                    rule_ids: rule_ids(p, $ids)?,
                })
            }
            region_accessors!();
            fn plan(
                &self,
                w: &World,
                ctx: &CallContext,
                _now: Timestamp,
            ) -> Result<Self::Plan, CloudError> {
                check_rules(w, &ctx.caller_account, &self.rule_ids)?;
                Ok((ctx.caller_account.clone(), self.rule_ids.clone()))
            }
            fn apply(w: &mut World, now: Timestamp, (owner, ids): Self::Plan) -> Value {
                for id in ids {
                    <$name>::effect(w, now, &CmsState::key(&owner, &id));
                }
                object(ok_fields())
            }
        }
    };
}

rule_switch!(
    EnableMetricRules,
    "EnableMetricRules",
    Update,
    "RuleId",
    "EnableMetricRules: enables rules; datapoints of hours ending from now on are evaluated."
);
rule_switch!(
    DisableMetricRules,
    "DisableMetricRules",
    Update,
    "RuleId",
    "DisableMetricRules: disables rules; they evaluate and raise nothing until enabled."
);
rule_switch!(
    DeleteMetricRules,
    "DeleteMetricRules",
    Delete,
    "Id",
    "DeleteMetricRules: deletes rules; the history they produced stays in the alert log."
);

fn switch(w: &mut World, now: Timestamp, key: &str, on: bool) {
    if let Some(r) = w.cms.rules.get_mut(key) {
        if r.enabled_now() != on {
            r.enabled.push((now, on));
        }
    }
}

impl EnableMetricRules {
    fn effect(w: &mut World, now: Timestamp, key: &str) {
        switch(w, now, key, true);
    }
}

impl DisableMetricRules {
    fn effect(w: &mut World, now: Timestamp, key: &str) {
        switch(w, now, key, false);
    }
}

impl DeleteMetricRules {
    fn effect(w: &mut World, now: Timestamp, key: &str) {
        freeze(w, key, now);
        w.cms.rules.remove(key);
    }
}

// ---- DescribeMetricRuleList ---------------------------------------------------------------

/// DescribeMetricRuleList: the caller's rules with their enable and alert states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeMetricRuleList {
    /// `RegionId`.
    pub region_id: String,
    /// `RuleIds` (comma-separated).
    pub rule_ids: Vec<String>,
    /// `RuleName`.
    pub rule_name: Option<String>,
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `EnableState`.
    pub enable_state: Option<bool>,
    /// `AlertState` (`ALARM`, `OK`, `INSUFFICIENT_DATA`).
    pub alert_state: Option<String>,
    /// `Page`.
    pub page: i64,
    /// `PageSize`.
    pub page_size: i64,
}

impl CloudApi for DescribeMetricRuleList {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeMetricRuleList", "cms:DescribeMetricRuleList", List)
        .resource_type("ACS::CMS::AlarmRule")
        .params(&[
            opt("RegionId", Str),
            opt("RuleIds", Str),
            opt("RuleName", Str),
            opt("Namespace", Str),
            opt("MetricName", Str),
            opt("EnableState", Str),
            opt("AlertState", Str),
            opt("Page", Int),
            opt("PageSize", Int),
        ])
        .response(&["Code", "Message", "Success", "Total", "Alarms"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let enable_state = match p.opt_str("EnableState")?.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(CloudError::invalid_param("EnableState", "true or false")),
        };
        let alert_state = p.opt_str("AlertState")?;
        if let Some(s) = &alert_state {
            if !["ALARM", "OK", "INSUFFICIENT_DATA"].contains(&s.as_str()) {
                return Err(CloudError::invalid_param(
                    "AlertState",
                    "ALARM, OK or INSUFFICIENT_DATA",
                ));
            }
        }
        Ok(DescribeMetricRuleList {
            region_id: region_of(p)?,
            // Comma-separated; bounded like a page of rules.
            rule_ids: p.id_list_or_commas("RuleIds", 10_000)?.unwrap_or_default(),
            rule_name: p.opt_str("RuleName")?,
            namespace: namespace(p, false)?,
            metric_name: metric_name(p, "MetricName", false)?,
            enable_state,
            alert_state,
            page: p.page("Page", 1, 100_000)?,
            page_size: p.page("PageSize", 10, 10_000)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        // Filter, then page, then render only the page; a rule's alert state is evaluated
        // for the filter only when the request filters by it.
        let matching = w
            .cms
            .rules_of(&ctx.caller_account)
            .filter(|r| {
                (self.rule_ids.is_empty() || self.rule_ids.contains(&r.rule_id))
                    && self.rule_name.as_ref().is_none_or(|n| *n == r.rule_name)
                    && self
                        .metric_name
                        .as_ref()
                        .is_none_or(|m| *m == r.metric_name)
                    && self.enable_state.is_none_or(|e| e == r.enabled_now())
            })
            .filter(|r| {
                self.alert_state
                    .as_deref()
                    .is_none_or(|s| s == evaluate(w, r, now).alert_state())
            });
        let (total, page) = page_of(matching, self.page, self.page_size);
        let page: Vec<Value> = page
            .into_iter()
            .map(|r| {
                let mut esc = Map::new();
                for (level, e) in r.escalations.iter().rev() {
                    esc.insert(
                        level.escalation().to_string(),
                        json!({"ComparisonOperator": e.comparison.as_str(), "Threshold": e.threshold,
                               "Times": e.times, "Statistics": e.statistics}),
                    );
                }
                json!({
                    "RuleId": r.rule_id, "RuleName": r.rule_name, "Namespace": r.namespace,
                    "MetricName": r.metric_name, "Period": r.period.to_string(), "Resources": r.resources_text,
                    "ContactGroups": r.contact_groups, "EnableState": r.enabled_now(),
                    "AlertState": evaluate(w, r, now).alert_state(),
                    "Escalations": Value::Object(esc),
                })
            })
            .collect();
        Ok(with_ok([
            ("Total", json!(total.to_string())),
            ("Alarms", json!({"Alarm": page})),
        ]))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        plan
    }
}

// ---- DescribeMetricList / DescribeMetricLast ----------------------------------------------

/// The query of DescribeMetricList and DescribeMetricLast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricQuery {
    /// `RegionId`.
    pub region_id: String,
    /// `MetricName`.
    pub metric_name: String,
    /// Peerings from `Dimensions` (empty: every inter-region peering the caller sees).
    pub instances: Vec<String>,
    /// `StartTime`.
    pub start: Option<Timestamp>,
    /// `EndTime`.
    pub end: Option<Timestamp>,
    /// `Length` (page size, default 1000).
    pub length: usize,
    /// `NextToken`: datapoints to skip.
    pub skip: usize,
}

const METRIC_PARAMS: &[Param] = &[
    opt("RegionId", Str),
    req("Namespace", Str),
    req("MetricName", Str),
    opt("Dimensions", Str),
    opt("Period", Str),
    opt("StartTime", Str),
    opt("EndTime", Str),
    opt("Length", Str),
    opt("NextToken", Str),
];

fn decode_query(p: &Params<'_>) -> Result<MetricQuery, CloudError> {
    // Both required parameters are looked for before either is validated.
    p.req_str("Namespace")?;
    p.req_str("MetricName")?;
    namespace(p, true)?;
    let metric_name = metric_name(p, "MetricName", true)?.unwrap_or_default();
    let instances = match p.opt_str("Dimensions")? {
        Some(d) => instance_ids("Dimensions", &d)?,
        None => Vec::new(),
    };
    if let Some(period) = p.opt_str("Period")? {
        if period.parse::<i64>() != Ok(PERIOD) {
            return Err(CloudError::invalid_param(
                "Period",
                &format!("the model keeps one datapoint per hour: Period must be {PERIOD}"),
            ));
        }
    }
    let length = match p.opt_str("Length")? {
        None => 1000,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=1440).contains(l))
            .ok_or_else(|| CloudError::invalid_param("Length", "1-1440"))?,
    };
    let skip = match p.opt_str("NextToken")? {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            CloudError::invalid_param("NextToken", "a token from a previous answer")
        })?,
    };
    Ok(MetricQuery {
        region_id: region_of(p)?,
        metric_name,
        instances,
        start: time_param(p, "StartTime")?,
        end: time_param(p, "EndTime")?,
        length,
        skip,
    })
}

/// `(peering id, points)` of the query, peering by peering.
fn query_points(
    w: &World,
    q: &MetricQuery,
    uid: &str,
    now: Timestamp,
) -> Result<Vec<(String, Vec<super::Point>)>, CloudError> {
    let (start, end) = window(q.start, q.end, now, METRIC_WINDOW)?;
    let Some(m) = metric(&q.metric_name) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut one = |p: &crate::cloud::vpcpeer::Peering| {
        if visible(p, uid) && p.is_inter_region() {
            out.push((p.instance_id.clone(), series(w, p, m, start, end, now)));
        }
    };
    if q.instances.is_empty() {
        w.peerings.values().for_each(&mut one);
    } else {
        q.instances
            .iter()
            .filter_map(|id| w.peerings.get(id))
            .for_each(&mut one);
    }
    Ok(out)
}

fn datapoint(uid: &str, id: &str, point: &super::Point) -> Value {
    json!({"timestamp": ms(point.hour), "userId": uid, "instanceId": id,
           "Average": point.value, "Maximum": point.value, "Minimum": point.value,
           "Sum": point.value, "Value": point.value})
}

fn metric_answer(points: Vec<Value>, q: &MetricQuery) -> Value {
    let total = points.len();
    let page: Vec<Value> = points.into_iter().skip(q.skip).take(q.length).collect();
    let next = if q.skip + page.len() < total {
        (q.skip + page.len()).to_string()
    } else {
        String::new()
    };
    with_ok([
        ("Period", json!(PERIOD.to_string())),
        (
            "Datapoints",
            json!(serde_json::to_string(&page).unwrap_or_else(|_| "[]".into())),
        ),
        ("NextToken", json!(next)),
    ])
}

/// DescribeMetricList: the datapoints of one metric over a window (default: the last day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeMetricList(pub MetricQuery);

/// DescribeMetricLast: the latest datapoint of one metric per peering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeMetricLast(pub MetricQuery);

macro_rules! metric_api {
    ($name:ident, $api:literal, $last:expr) => {
        impl CloudApi for $name {
            const DECL: ApiDecl = PRODUCT
                .api($api, concat!("cms:", $api), Get)
                .params(METRIC_PARAMS)
                .response(&[
                    "Code",
                    "Message",
                    "Success",
                    "Period",
                    "Datapoints",
                    "NextToken",
                ]);
            type Plan = Value;

            fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
                Ok($name(decode_query(p)?))
            }
            fn region(&self) -> Option<&str> {
                Some(&self.0.region_id)
            }
            fn authorize(
                &self,
                w: &World,
                _ctx: &CallContext,
                _now: Timestamp,
                _keys: &mut BTreeMap<String, String>,
            ) -> Result<Vec<String>, CloudError> {
                w.known_region(&self.0.region_id)?;
                Ok(vec!["*".into()])
            }
            fn plan(
                &self,
                w: &World,
                ctx: &CallContext,
                now: Timestamp,
            ) -> Result<Self::Plan, CloudError> {
                let uid = &ctx.caller_account;
                let mut points = Vec::new();
                for (id, series) in query_points(w, &self.0, uid, now)? {
                    if $last {
                        points.extend(series.last().map(|p| datapoint(uid, &id, p)));
                    } else {
                        points.extend(series.iter().map(|p| datapoint(uid, &id, p)));
                    }
                }
                Ok(metric_answer(points, &self.0))
            }
            fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
                plan
            }
        }
    };
}

metric_api!(DescribeMetricList, "DescribeMetricList", false);
metric_api!(DescribeMetricLast, "DescribeMetricLast", true);

// ---- DescribeAlertLogList -----------------------------------------------------------------

/// DescribeAlertLogList: the alert history (level changes) of the caller's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeAlertLogList {
    /// `RegionId`.
    pub region_id: String,
    /// `StartTime`.
    pub start: Option<Timestamp>,
    /// `EndTime`.
    pub end: Option<Timestamp>,
    /// `RuleId`.
    pub rule_id: Option<String>,
    /// `RuleName`.
    pub rule_name: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `Level` (`P2`, `P3`, `P4`, `OK`).
    pub level: Option<String>,
    /// `PageNumber`.
    pub page: i64,
    /// `PageSize`.
    pub page_size: i64,
}

impl CloudApi for DescribeAlertLogList {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeAlertLogList", "cms:DescribeAlertLogList", Get)
        .names(&["RuleId"])
        .resource_type("ACS::CMS::AlarmRule")
        .params(&[
            opt("RegionId", Str),
            opt("StartTime", Str),
            opt("EndTime", Str),
            opt("RuleId", Str),
            opt("RuleName", Str),
            opt("MetricName", Str),
            opt("Namespace", Str),
            opt("Level", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
        ])
        .response(&[
            "Code",
            "Message",
            "Success",
            "PageNumber",
            "PageSize",
            "AlertLogList",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let level = p.opt_str("Level")?;
        if let Some(l) = &level {
            if !["P2", "P3", "P4", "OK"].contains(&l.as_str()) {
                return Err(CloudError::invalid_param("Level", "P2, P3, P4 or OK"));
            }
        }
        Ok(DescribeAlertLogList {
            region_id: region_of(p)?,
            start: time_param(p, "StartTime")?,
            end: time_param(p, "EndTime")?,
            rule_id: p.opt_str("RuleId")?,
            rule_name: p.opt_str("RuleName")?,
            metric_name: metric_name(p, "MetricName", false)?,
            namespace: namespace(p, false)?,
            level,
            page: p.page("PageNumber", 1, 100_000)?,
            page_size: p.page("PageSize", 10, 10_000)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let (start, end) = window(self.start, self.end, now, LOG_WINDOW)?;
        let log = w
            .alert_log(&ctx.caller_account, now)
            .into_iter()
            .rev() // newest first
            .filter(|e| e.time >= start && e.time <= end)
            .filter(|e| self.rule_id.as_ref().is_none_or(|r| *r == e.rule_id))
            .filter(|e| self.rule_name.as_ref().is_none_or(|r| *r == e.rule_name))
            .filter(|e| {
                self.metric_name
                    .as_ref()
                    .is_none_or(|m| *m == e.metric_name)
            })
            .filter(|e| {
                self.level
                    .as_deref()
                    .is_none_or(|l| l == e.level.log_level())
            });
        // Page first, render only the page.
        let (_, page) = page_of(log, self.page, self.page_size);
        let page: Vec<Value> = page
            .into_iter()
            .map(|e| {
                json!({
                    "AlertTime": ms(e.time).to_string(), "RuleId": e.rule_id, "RuleName": e.rule_name,
                    "Namespace": e.namespace, "MetricName": e.metric_name, "Product": "VPCPEER",
                    "Level": e.level.log_level(), "InstanceId": e.instance_id,
                    "Dimensions": [{"Key": "instanceId", "Value": e.instance_id}],
                    "Value": e.value,
                    "Escalation": {"Level": e.level.escalation(), "Expression": e.expression, "Times": e.times},
                })
            })
            .collect();
        Ok(with_ok([
            ("PageNumber", json!(self.page)),
            ("PageSize", json!(self.page_size)),
            ("AlertLogList", json!(page)),
        ]))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        plan
    }
}
