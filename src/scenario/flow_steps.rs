//! Scenario steps of issue 17: `traffic` sends a flow (as `ramsim traffic` does) and checks
//! what arrived; `bill` checks the CDT fee an account owes (as `ramsim bill` computes it).
//!
//! ```json
//! {"name": "VPC1 sends 200 GB", "traffic": {"from": "ecs:app1", "to": "ecs:app2",
//!   "protocol": "tcp", "port": 443, "volume": "200GB", "duration": "1h", "delivered": "200GB"}}
//! {"name": "A owes 96 CNY", "bill": {"account": "A", "fee": "96.00"}}
//! {"name": "A's lines", "bill": {"account": "A", "lines": [
//!   "2025-01-01T00:00:00Z cn-huhehaote -> cn-guangzhou Gold 200.00 GB x 0.48 (documented) = 96.00"]}}
//! ```

use super::runner::CaseResult;
use super::vars::substitute;
use crate::cli::traffic::{account_uid, describe_flow, flow_spec, gb};
use crate::cloud::time::Timestamp;
use crate::cloud::traffic::bill::{cny, unit_price, BillLine, BillQuery};
use crate::cloud::traffic::parse_volume;
use crate::cloud::World;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A `traffic` step: the flow and what must have happened to it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficStep {
    /// Source (`ecs:NAME`, `i-…`, an IP; `${…}` handles and saved values allowed).
    pub from: String,
    /// Destination.
    pub to: String,
    /// `tcp`, `udp` or `icmp`.
    pub protocol: String,
    /// Destination port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Volume (`200GB`), or …
    #[serde(default)]
    pub volume: Option<String>,
    /// … rate (`200Mbps`).
    #[serde(default)]
    pub rate: Option<String>,
    /// Duration (`1h`).
    pub duration: String,
    /// Start (default: the scenario clock).
    #[serde(default)]
    pub at: Option<String>,
    /// Expected: the path is open (default `true` unless `code` is given).
    #[serde(default)]
    pub reachable: Option<bool>,
    /// Expected first failing check of an unreachable flow.
    #[serde(default)]
    pub code: Option<String>,
    /// Expected delivered volume (`90GB`).
    #[serde(default)]
    pub delivered: Option<String>,
    /// Expected dropped volume (`90GB`, `0B` is written `0`).
    #[serde(default)]
    pub dropped: Option<String>,
}

/// A `bill` step: the fee an account owes, and (optionally) its exact bill lines — one per
/// hour, region pair and link type, as [`bill_line`] writes them. At least one of `fee` and
/// `lines` is required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillStep {
    /// Account (uid, alias or `${uid:ALIAS}`).
    pub account: String,
    /// Hours from (default: all).
    #[serde(default)]
    pub from: Option<String>,
    /// Hours before (default: all).
    #[serde(default)]
    pub to: Option<String>,
    /// Expected fee in CNY with two decimals (`96.00`).
    #[serde(default)]
    pub fee: Option<String>,
    /// Expected bill lines, in bill order (hour, source region, destination region, link
    /// type): `"<hour> <from> -> <to> <link> <GB> GB x <CNY/GB> (<price source>) = <fee>"`.
    #[serde(default)]
    pub lines: Option<Vec<String>>,
}

/// A bill line as a `bill` step's `lines` spell it:
/// `2025-01-01T00:00:00Z cn-huhehaote -> cn-guangzhou Gold 200.00 GB x 0.48 (documented) = 96.00`.
pub fn bill_line(l: &BillLine) -> String {
    format!(
        "{} {} -> {} {} {} GB x {} ({}) = {}",
        l.hour,
        l.source_region,
        l.dest_region,
        l.link_type,
        gb(l.bytes),
        unit_price(l.micro_cny_per_gb),
        l.price_source.as_str(),
        cny(l.fee_units)
    )
}

fn volume_or_zero(s: &str) -> Result<u64, String> {
    if s.trim() == "0" {
        Ok(0)
    } else {
        parse_volume(s)
    }
}

/// Runs a `traffic` step against `world`.
pub(crate) fn run_traffic(
    world: &mut World,
    saved: &BTreeMap<String, String>,
    q: &TrafficStep,
    r: &mut CaseResult,
) {
    let want_reachable = q.reachable.unwrap_or(q.code.is_none());
    let mut expected = format!(
        "traffic {} -> {}: {}",
        q.from,
        q.to,
        if want_reachable { "sent" } else { "not sent" }
    );
    if let Some(c) = &q.code {
        expected.push_str(&format!(" ({c})"));
    }
    if let Some(d) = &q.delivered {
        expected.push_str(&format!(", delivered {d}"));
    }
    if let Some(d) = &q.dropped {
        expected.push_str(&format!(", dropped {d}"));
    }
    r.expected = expected;
    let sent = (|| {
        let from = substitute(&q.from, world, saved)?;
        let to = substitute(&q.to, world, saved)?;
        let spec = flow_spec(
            &from,
            &to,
            &q.protocol,
            q.port,
            q.volume.as_deref(),
            q.rate.as_deref(),
            &q.duration,
            q.at.as_deref(),
        )?;
        let delivered = q.delivered.as_deref().map(volume_or_zero).transpose()?;
        let dropped = q.dropped.as_deref().map(volume_or_zero).transpose()?;
        let out = world.send_flow(&spec)?;
        Ok::<_, String>((out, delivered, dropped))
    })();
    let (out, delivered, dropped) = match sent {
        Ok(x) => x,
        Err(e) => {
            r.actual = e;
            return;
        }
    };
    let f = &out.flow;
    r.actual = describe_flow(world, &out).trim_end().to_string();
    let mut ok = f.reachable == want_reachable;
    if let Some(c) = &q.code {
        ok &= f.code.as_deref() == Some(c.as_str());
    }
    if let Some(d) = delivered {
        ok &= f.delivered_bytes == d;
    }
    if let Some(d) = dropped {
        ok &= f.dropped_bytes() == d;
    }
    r.passed = ok;
    if !ok {
        r.details = Some(format!(
            "delivered {} GB, dropped {} GB",
            gb(f.delivered_bytes.into()),
            gb(f.dropped_bytes().into())
        ));
    }
}

/// Runs a `bill` step against `world`.
pub(crate) fn run_bill(
    world: &World,
    saved: &BTreeMap<String, String>,
    q: &BillStep,
    r: &mut CaseResult,
) {
    let mut expected = Vec::new();
    if let Some(fee) = &q.fee {
        expected.push(format!("{} owes {fee} CNY", q.account));
    }
    if let Some(lines) = &q.lines {
        expected.push(format!("lines [{}]", lines.join("; ")));
    }
    r.expected = expected.join(", ");
    if expected.is_empty() {
        r.actual = "a `bill` step needs `fee`, `lines` or both".into();
        return;
    }
    let time = |t: &Option<String>| -> Result<Option<Timestamp>, String> {
        t.as_deref()
            .map(|t| Timestamp::parse(t).ok_or_else(|| format!("invalid time `{t}`")))
            .transpose()
    };
    let bill = (|| {
        let account = account_uid(world, &substitute(&q.account, world, saved)?)?;
        let query = BillQuery {
            account: Some(account),
            from: time(&q.from)?,
            to: time(&q.to)?,
        };
        world.bill(&query)
    })();
    match bill {
        Ok(bill) => {
            let total = cny(bill.total_units());
            let lines: Vec<String> = bill.lines.iter().map(bill_line).collect();
            let mut actual = Vec::new();
            let mut ok = true;
            if let Some(fee) = &q.fee {
                actual.push(format!("{} owes {total} CNY", q.account));
                ok &= total == *fee;
            }
            if let Some(want) = &q.lines {
                actual.push(format!("lines [{}]", lines.join("; ")));
                ok &= *want == lines;
            }
            r.actual = actual.join(", ");
            r.passed = ok;
        }
        Err(e) => r.actual = e,
    }
}

/// An `alerts` step: where a CloudMonitor rule stands now and the level changes it logged.
///
/// ```json
/// {"alerts": {"account": "A", "rule": "peer-loss", "state": "ALARM",
///   "history": ["2025-01-01T01:00:00Z P3", "2025-01-01T02:00:00Z P2"]}}
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsStep {
    /// Account owning the rule (uid, alias or `${uid:ALIAS}`).
    pub account: String,
    /// `RuleId`.
    pub rule: String,
    /// Expected `AlertState`: `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    #[serde(default)]
    pub state: Option<String>,
    /// Expected alert log of the rule, oldest first: `"<time> <level>"` (`P2`, `P3`, `P4`,
    /// `OK`).
    #[serde(default)]
    pub history: Option<Vec<String>>,
}

/// Runs an `alerts` step against `world`.
pub(crate) fn run_alerts(
    world: &World,
    saved: &BTreeMap<String, String>,
    q: &AlertsStep,
    r: &mut CaseResult,
) {
    use crate::cloud::cms::{evaluate, CmsState};
    let mut expected = format!("rule {} of {}", q.rule, q.account);
    if let Some(s) = &q.state {
        expected.push_str(&format!(": {s}"));
    }
    if let Some(h) = &q.history {
        expected.push_str(&format!(", history [{}]", h.join(", ")));
    }
    r.expected = expected;
    let account = match substitute(&q.account, world, saved).and_then(|a| account_uid(world, &a)) {
        Ok(a) => a,
        Err(e) => {
            r.actual = e;
            return;
        }
    };
    let now = world.now();
    let state = world
        .cms()
        .rules
        .get(&CmsState::key(&account, &q.rule))
        .map(|rule| evaluate(world, rule, now).alert_state());
    let history: Vec<String> = world
        .alert_log(&account, now)
        .into_iter()
        .filter(|e| e.rule_id == q.rule)
        .map(|e| format!("{} {}", e.time, e.level.log_level()))
        .collect();
    r.actual = format!(
        "{}, history [{}]",
        state.unwrap_or("no such rule"),
        history.join(", ")
    );
    let mut ok = state.is_some() || q.state.is_none();
    if let Some(s) = &q.state {
        ok &= state == Some(s.as_str());
    }
    if let Some(h) = &q.history {
        ok &= *h == history;
    }
    r.passed = ok;
}
