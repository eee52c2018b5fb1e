//! CloudMonitor over the traffic buckets: metrics, rules, alert evaluation and history.

use super::*;
use crate::cloud::tests::{self as ct, A, B};
use crate::cloud::traffic::tests::{bill_world, spec, t0, two_region_spec};
use crate::cloud::traffic::{Amount, BYTES_PER_GB};
use serde_json::{json, Value};

fn datapoints(body: &Value) -> Vec<Value> {
    serde_json::from_str(body["Datapoints"].as_str().expect("Datapoints string")).expect("JSON")
}

/// A saturated link: bandwidth 100 Mbit/s, then 200 Mbit/s for 3 h from 00:00 (50 % loss
/// each hour), then 50 Mbit/s for 2 h (no loss).
fn saturated() -> (World, String) {
    let (mut w, pcc) = bill_world();
    ct::ok(
        &mut w,
        A,
        "ModifyVpcPeerConnection",
        json!({"InstanceId": pcc, "Bandwidth": 100}),
    );
    (w, pcc)
}

fn send_saturating(w: &mut World) {
    w.send_flow(&spec(
        "ecs:app1",
        "ecs:app2",
        Amount::Rate(200_000_000),
        3 * HOUR,
    ))
    .unwrap();
    let mut calm = spec("ecs:app1", "ecs:app2", Amount::Rate(50_000_000), 2 * HOUR);
    calm.start = Some(t0().plus(3 * HOUR));
    w.send_flow(&calm).unwrap();
}

fn loss_rule(pcc: &str, times: u32) -> Value {
    json!({
        "Rules.1.RuleId": "peer-loss", "Rules.1.RuleName": "peering packet loss",
        "Rules.1.Namespace": "acs_vpcpeer", "Rules.1.MetricName": "IntranetTXPacketLossRate",
        "Rules.1.Resources": format!("[{{\"instanceId\":\"{pcc}\"}}]"), "Rules.1.Period": "3600",
        "Rules.1.Escalations.Critical.ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Rules.1.Escalations.Critical.Threshold": "10",
        "Rules.1.Escalations.Critical.Times": times,
        "Rules.1.Escalations.Warn.ComparisonOperator": "GreaterThanThreshold",
        "Rules.1.Escalations.Warn.Threshold": "1",
        "Rules.1.Escalations.Warn.Times": 1,
    })
}

fn rule_state(w: &mut World) -> (String, bool) {
    let r = ct::ok(
        w,
        A,
        "DescribeMetricRuleList",
        json!({"RuleIds": "peer-loss"}),
    );
    let alarm = &r["Alarms"]["Alarm"][0];
    (
        alarm["AlertState"].as_str().unwrap().to_string(),
        alarm["EnableState"].as_bool().unwrap(),
    )
}

fn log(w: &mut World) -> Vec<(String, String, String)> {
    let r = ct::ok(w, A, "DescribeAlertLogList", json!({"PageSize": 100}));
    let mut rows: Vec<(String, String, String)> = r["AlertLogList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                Timestamp(e["AlertTime"].as_str().unwrap().parse::<i64>().unwrap() / 1000)
                    .to_string(),
                e["Level"].as_str().unwrap().to_string(),
                e["Escalation"]["Expression"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

#[test]
fn metrics_of_a_capped_link() {
    let (mut w, pcc) = saturated();
    send_saturating(&mut w);
    w.advance_clock(t0().plus(5 * HOUR));
    let q = |w: &mut World, metric: &str| {
        let r = ct::ok(
            w,
            A,
            "DescribeMetricList",
            json!({"Namespace": "acs_vpcpeer", "MetricName": metric,
                   "Dimensions": format!("[{{\"instanceId\":\"{pcc}\"}}]"),
                   "StartTime": "2025-01-01T00:00:00Z", "EndTime": "2025-01-01T05:00:00Z"}),
        );
        assert_eq!(r["Period"], "3600");
        datapoints(&r)
            .iter()
            .map(|d| d["Average"].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    assert_eq!(
        q(&mut w, "IntranetTX"),
        vec![45e9, 45e9, 45e9, 22.5e9, 22.5e9]
    );
    assert_eq!(
        q(&mut w, "IntranetTXPacketLossRate"),
        vec![50.0, 50.0, 50.0, 0.0, 0.0]
    );
    assert_eq!(
        q(&mut w, "IntranetTXBandwidthUtilization"),
        vec![100.0, 100.0, 100.0, 50.0, 50.0]
    );
    assert_eq!(q(&mut w, "IntranetTXRate")[0], 100_000_000.0);
    assert_eq!(q(&mut w, "IntranetTXDropRate")[0], 100_000_000.0);
    assert_eq!(q(&mut w, "IntranetRX"), vec![0.0; 5]);
    // The latest datapoint only; B (the accepter) sees the same peering.
    let last = ct::ok(
        &mut w,
        B,
        "DescribeMetricLast",
        json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetTX"}),
    );
    let points = datapoints(&last);
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["timestamp"], json!(ms(t0().plus(4 * HOUR))));
    assert_eq!(points[0]["instanceId"], json!(pcc));
    // An hour in progress has no datapoint yet.
    w.advance_clock(t0().plus(5 * HOUR + 1800));
    assert_eq!(q(&mut w, "IntranetTX").len(), 5);
}

fn ms(t: Timestamp) -> i64 {
    t.epoch() * 1000
}

#[test]
fn a_saturated_link_alerts_after_the_consecutive_periods_and_clears() {
    let (mut w, pcc) = saturated();
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 2));
    send_saturating(&mut w);
    assert_eq!(rule_state(&mut w), ("INSUFFICIENT_DATA".into(), true));
    // 01:00: one lossy hour — Warn (Times 1) fires, Critical (Times 2) not yet.
    w.advance_clock(t0().plus(HOUR));
    assert_eq!(rule_state(&mut w).0, "ALARM");
    // 02:00: the second consecutive lossy hour — Critical.
    w.advance_clock(t0().plus(2 * HOUR));
    assert_eq!(
        log(&mut w),
        vec![
            (
                "2025-01-01T01:00:00Z".into(),
                "P3".into(),
                "$Average>1".into()
            ),
            (
                "2025-01-01T02:00:00Z".into(),
                "P2".into(),
                "$Average>=10".into()
            ),
        ]
    );
    // 04:00: the hour from 03:00 lost nothing — recovered.
    w.advance_clock(t0().plus(4 * HOUR));
    let rows = log(&mut w);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].0, "2025-01-01T04:00:00Z");
    assert_eq!(rows[2].1, "OK");
    assert_eq!(rule_state(&mut w), ("OK".into(), true));
    // Filters.
    let r = ct::ok(&mut w, A, "DescribeAlertLogList", json!({"Level": "P2"}));
    assert_eq!(r["AlertLogList"].as_array().unwrap().len(), 1);
    let r = ct::ok(
        &mut w,
        A,
        "DescribeMetricRuleList",
        json!({"AlertState": "ALARM"}),
    );
    assert_eq!(r["Total"], "0");
    // B owns no rule: B's log is empty.
    let r = ct::ok(&mut w, B, "DescribeAlertLogList", json!({}));
    assert_eq!(r["AlertLogList"], json!([]));
}

#[test]
fn more_consecutive_periods_than_the_loss_lasts_never_alerts() {
    let (mut w, pcc) = saturated();
    let mut rule = loss_rule(&pcc, 4);
    let obj = rule.as_object_mut().unwrap();
    obj.retain(|k, _| !k.contains(".Warn."));
    ct::ok(&mut w, A, "PutResourceMetricRules", rule);
    send_saturating(&mut w);
    w.advance_clock(t0().plus(6 * HOUR));
    assert!(log(&mut w).is_empty());
    assert_eq!(rule_state(&mut w).0, "OK");
}

#[test]
fn a_disabled_rule_raises_nothing() {
    let (mut w, pcc) = saturated();
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 2));
    ct::ok(
        &mut w,
        A,
        "DisableMetricRules",
        json!({"RuleId.1": "peer-loss"}),
    );
    send_saturating(&mut w);
    w.advance_clock(t0().plus(5 * HOUR));
    assert!(log(&mut w).is_empty());
    assert_eq!(rule_state(&mut w), ("INSUFFICIENT_DATA".into(), false));
    // Enabled again at 05:00, over a new saturated hour: Warn after one period.
    ct::ok(
        &mut w,
        A,
        "EnableMetricRules",
        json!({"RuleId.1": "peer-loss"}),
    );
    w.send_flow(&spec(
        "ecs:app1",
        "ecs:app2",
        Amount::Rate(200_000_000),
        HOUR,
    ))
    .unwrap();
    w.advance_clock(t0().plus(6 * HOUR));
    let rows = log(&mut w);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "2025-01-01T06:00:00Z");
}

#[test]
fn an_intra_region_peering_has_no_metrics() {
    let mut w = ct::world_with(two_region_spec());
    let v2 = w.vpc_by_name(B, "vpc2").unwrap().clone();
    let v3 = w.vpc_by_name(A, "vpc3").unwrap().clone();
    let pcc = ct::peer_ok(
        &mut w,
        A,
        "cn-guangzhou",
        &v3.vpc_id,
        B,
        "cn-guangzhou",
        &v2.vpc_id,
    );
    ct::ok(
        &mut w,
        B,
        "AcceptVpcPeerConnection",
        json!({"InstanceId": pcc}),
    );
    ct::route(
        &mut w,
        A,
        "cn-guangzhou",
        &v3.system_route_table_id,
        "10.1.0.0/16",
        &pcc,
    )
    .unwrap();
    ct::route(
        &mut w,
        B,
        "cn-guangzhou",
        &v2.system_route_table_id,
        "10.2.0.0/16",
        &pcc,
    )
    .unwrap();
    let out = w
        .send_flow(&spec(
            "ecs:app3",
            "ecs:app2",
            Amount::Volume(10 * BYTES_PER_GB),
            HOUR,
        ))
        .unwrap();
    assert!(out.flow.reachable);
    w.advance_clock(t0().plus(3 * HOUR));
    for metric in METRICS {
        let r = ct::ok(
            &mut w,
            A,
            "DescribeMetricList",
            json!({"Namespace": "acs_vpcpeer", "MetricName": metric.name,
                   "Dimensions": format!("{{\"instanceId\":\"{pcc}\"}}")}),
        );
        assert_eq!(r["Datapoints"], "[]", "{}", metric.name);
    }
}

#[test]
fn a_deleted_rule_keeps_its_history_and_a_replaced_rule_starts_over() {
    let (mut w, pcc) = saturated();
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 2));
    send_saturating(&mut w);
    w.advance_clock(t0().plus(3 * HOUR));
    assert_eq!(log(&mut w).len(), 2);
    // Replaced at 03:00: the two entries stay; the new rule starts from the 03:00 hour.
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 2));
    assert_eq!(log(&mut w).len(), 2);
    w.advance_clock(t0().plus(5 * HOUR));
    assert_eq!(log(&mut w).len(), 2, "no loss after 03:00: nothing new");
    ct::ok(&mut w, A, "DeleteMetricRules", json!({"Id.1": "peer-loss"}));
    assert_eq!(log(&mut w).len(), 2);
    let r = ct::ok(&mut w, A, "DescribeMetricRuleList", json!({}));
    assert_eq!(r["Total"], "0");
    // A state round trip keeps rules and history.
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 1));
    let text = serde_json::to_string(&w).unwrap();
    let back: World = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
}

#[test]
fn a_clock_moved_centuries_ahead_evaluates_one_year() {
    let (mut w, pcc) = saturated();
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 2));
    send_saturating(&mut w);
    w.advance_clock(Timestamp::parse("2900-01-01T00:00:00Z").unwrap());
    let rule = w.cms().rules.values().next().unwrap().clone();
    let e = evaluate(&w, &rule, w.now());
    // The saturated hours are centuries back: only the last year is evaluated, all quiet.
    assert_eq!(e.evaluated as i64, HORIZON / HOUR);
    assert!(e.events.is_empty());
    assert_eq!(e.alert_state(), "OK");
}

#[test]
fn bad_rules_and_queries_are_refused() {
    let (mut w, pcc) = saturated();
    let mut bad = loss_rule(&pcc, 2);
    bad["Rules.1.Namespace"] = json!("acs_ecs_dashboard");
    assert_eq!(
        ct::code(&mut w, A, "PutResourceMetricRules", bad),
        "InvalidParameter.Rules.1.Namespace"
    );
    let mut bad = loss_rule(&pcc, 2);
    bad["Rules.1.MetricName"] = json!("CPUUtilization");
    assert_eq!(
        ct::code(&mut w, A, "PutResourceMetricRules", bad),
        "InvalidParameter.Rules.1.MetricName"
    );
    let mut bad = loss_rule(&pcc, 2);
    bad["Rules.1.Escalations.Critical.ComparisonOperator"] = json!(">=");
    assert_eq!(
        ct::code(&mut w, A, "PutResourceMetricRules", bad),
        "InvalidParameter.Rules.1.Escalations.Critical.ComparisonOperator"
    );
    let mut bad = loss_rule(&pcc, 2);
    bad["Rules.1.Resources"] = json!("pcc-1");
    assert_eq!(
        ct::code(&mut w, A, "PutResourceMetricRules", bad),
        "InvalidParameter.Resources"
    );
    let mut bad = loss_rule(&pcc, 2);
    bad["Rules.1.Escalation.Critical.Threshold"] = json!("1");
    assert_eq!(
        ct::code(&mut w, A, "PutResourceMetricRules", bad),
        "InvalidParameter"
    );
    assert_eq!(
        ct::code(&mut w, A, "EnableMetricRules", json!({"RuleId.1": "nope"})),
        "ResourceNotFound.MetricRule"
    );
    assert_eq!(
        ct::code(&mut w, A, "DisableMetricRules", json!({})),
        "MissingParameter.RuleId"
    );
    assert_eq!(
        ct::code(
            &mut w,
            A,
            "DescribeMetricList",
            json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetTX", "Period": "60"})
        ),
        "InvalidParameter.Period"
    );
    assert_eq!(
        ct::code(
            &mut w,
            A,
            "DescribeMetricList",
            json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetTX",
                   "StartTime": "2025-01-02T00:00:00Z", "EndTime": "2025-01-01T00:00:00Z"})
        ),
        "InvalidParameter.StartTime"
    );
    assert_eq!(
        ct::code(
            &mut w,
            A,
            "DescribeMetricList",
            json!({"Namespace": "acs_vpcpeer", "MetricName": "IntranetTX",
                   "StartTime": "2000-01-01T00:00:00Z", "EndTime": "2025-01-01T00:00:00Z"})
        ),
        "InvalidParameter.StartTime"
    );
    // Another account's rule is not found.
    ct::ok(&mut w, A, "PutResourceMetricRules", loss_rule(&pcc, 2));
    assert_eq!(
        ct::code(&mut w, B, "DeleteMetricRules", json!({"Id.1": "peer-loss"})),
        "ResourceNotFound.MetricRule"
    );
}
