//! `check` over fees and alerts (issue 17): the invariant language's `charges`, `alert_rules`
//! and `alerts` collections, with traffic flows as a move of the search.
//!
//! * "No account is ever billed for cross-border traffic" (`cdt-xborder.invariant`): in
//!   `cdt-xborder.json` the mainland account's netops can peer its Hangzhou VPC with the Hong
//!   Kong account's VPC, the Hong Kong netops accepts, both add routes, and a flow crosses the
//!   border: found and shrunk to those steps, ending with the flow. `cdt-xborder-guarded.json`
//!   adds a control policy on the Hong Kong folder that denies requesting and accepting
//!   peerings: the default budget stays clean although mainland peerings still carry traffic.
//! * "A watched inter-region peering stays watched by an enabled rule" (`cms-alerts.invariant`):
//!   in `cms-alerts.json` sre can disable or delete the rule netops' peering is watched by;
//!   `cms-alerts-guarded.json` denies `cms:DisableMetricRules` / `cms:DeleteMetricRules` by a
//!   control policy: clean, although rules are put on peerings.
//! * The literal "every inter-region peering has an enabled alert rule" is broken by
//!   the first inter-region peering created.

use ramsim::api::SimState;
use ramsim::check::invariant::Invariant;
use ramsim::check::{CheckConfig, CheckReport, Checker, StepKind};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(world: &str, invariant: &str, actions: &str, seed: u64) -> (CheckReport, Checker) {
    let state =
        SimState::from_world_file(&root().join("corpus/worlds").join(world)).expect("world builds");
    let inv = match root().join(invariant) {
        p if p.is_file() => Invariant::from_arg(p.to_str().unwrap()),
        _ => Invariant::from_arg(invariant),
    }
    .expect("invariant");
    let config = CheckConfig {
        seed,
        principals: vec!["!root@*".into()],
        actions: vec![actions.into()],
        ..CheckConfig::default()
    };
    let mut c = Checker::new(state, vec![inv], config);
    let report = c.run().expect("evaluates");
    (report, c)
}

const XBORDER: &str = "corpus/worlds/cdt-xborder.invariant";
const PEERING_APIS: &str = "vpc:*VpcPeerConnection*,vpc:*RouteEntry";

fn assert_one_minimal(c: &mut Checker, steps: &[ramsim::check::Step], what: &str) {
    assert!(c.replay_violates(steps, 0).expect("replays"), "{what}");
    for i in 0..steps.len() {
        let mut fewer = steps.to_vec();
        fewer.remove(i);
        assert!(
            !c.replay_violates(&fewer, 0).expect("replays"),
            "{what}: without step {} the violation disappears",
            i + 1
        );
    }
}

#[test]
fn a_cross_border_charge_is_found_and_shrunk_to_peering_routes_and_one_flow() {
    for seed in 0..3 {
        let (report, mut c) = run("cdt-xborder.json", XBORDER, PEERING_APIS, seed);
        let v = report
            .violation
            .as_ref()
            .unwrap_or_else(|| panic!("seed {seed}: not found ({report:?})"));
        assert!(!v.in_initial_world);
        assert!(v.one_minimal, "seed {seed}");
        assert!(report.flows > 0, "seed {seed}: traffic was sent");
        // The last step is the flow that crossed the border; before it, the peering between
        // the two accounts and the routes the path needs.
        let last = v.steps.last().expect("steps");
        assert!(
            matches!(last.kind, StepKind::Traffic(_)),
            "seed {seed}: {:?}",
            v.records
        );
        let actions: Vec<&str> = v
            .records
            .iter()
            .filter_map(|r| r.action.as_deref())
            .collect();
        assert!(
            actions.contains(&"CreateVpcPeerConnection")
                && actions.contains(&"AcceptVpcPeerConnection"),
            "seed {seed}: {actions:?}"
        );
        assert_eq!(
            actions.iter().filter(|a| **a == "CreateRouteEntry").count(),
            2,
            "seed {seed}: a route each way: {actions:?}"
        );
        assert_eq!(v.records.len(), 5, "seed {seed}: {:?}", v.records);
        let flow = v.records.last().and_then(|r| r.traffic.as_ref()).unwrap();
        assert!(flow.delivered.is_some_and(|d| d > 0), "{flow:?}");
        assert!(
            v.witness
                .iter()
                .any(|w| w.contains("cn-hongkong") && w.contains("CNY")),
            "seed {seed}: {:?}",
            v.witness
        );
        assert_one_minimal(&mut c, &v.steps, &format!("seed {seed}"));
    }
}

#[test]
fn the_violating_sequence_replays_as_a_scenario_with_a_traffic_step() {
    let (report, _) = run("cdt-xborder.json", XBORDER, PEERING_APIS, 0);
    let v = report.violation.as_ref().expect("found");
    let scenario = ramsim::check::report::scenario_json(
        &report,
        v,
        serde_json::json!("../corpus/worlds/cdt-xborder.json"),
    );
    let steps = scenario["steps"].as_array().unwrap();
    let last = steps.last().unwrap();
    assert_eq!(last["traffic"]["protocol"], "tcp", "{last}");
    assert!(last["traffic"]["delivered"].as_str().is_some(), "{last}");
    let dir = std::env::temp_dir().join(format!("ramsim-check-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut scenario = scenario;
    scenario["world"] = serde_json::json!(root()
        .join("corpus/worlds/cdt-xborder.json")
        .to_str()
        .unwrap());
    let path = dir.join("xborder.violation.test.json");
    std::fs::write(&path, serde_json::to_string_pretty(&scenario).unwrap()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .args(["test", path.to_str().unwrap(), "--allow-outside"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn forbidding_the_hong_kong_account_to_peer_keeps_the_default_budget_clean() {
    for seed in 0..2 {
        let (report, _) = run("cdt-xborder-guarded.json", XBORDER, PEERING_APIS, seed);
        assert!(
            report.violation.is_none(),
            "seed {seed}: {:?}",
            report.violation.map(|v| v.witness)
        );
        assert_eq!(report.steps, 200 * 50, "the whole default budget ran");
        assert!(report.flows > 0, "traffic was sent");
        // Mainland peerings still activate (and carry traffic).
        assert!(report.apis_succeeded.contains("CreateVpcPeerConnection"));
        assert!(report.apis_succeeded.contains("CreateRouteEntry"));
    }
}

const ALERTS: &str = "corpus/worlds/cms-alerts.invariant";
const ALERT_APIS: &str = "vpc:CreateVpcPeerConnection,cms:*MetricRules";

#[test]
fn switching_off_the_rule_of_a_watched_peering_is_found_and_shrunk() {
    for seed in 0..3 {
        let (report, mut c) = run("cms-alerts.json", ALERTS, ALERT_APIS, seed);
        let v = report
            .violation
            .as_ref()
            .unwrap_or_else(|| panic!("seed {seed}: not found"));
        let steps: Vec<(&str, &str)> = v
            .records
            .iter()
            .map(|r| {
                (
                    r.caller.as_deref().unwrap_or(""),
                    r.action.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(steps.len(), 3, "seed {seed}: {steps:?}");
        // The peering and the rule naming it, in either order: a rule may name an instance id
        // before the instance exists (ids are deterministic per seed), as CloudMonitor allows.
        let mut first_two = vec![steps[0], steps[1]];
        first_two.sort();
        assert_eq!(
            first_two,
            [
                ("netops@A", "CreateVpcPeerConnection"),
                ("sre@A", "PutResourceMetricRules")
            ],
            "seed {seed}: {steps:?}"
        );
        assert!(
            [
                ("sre@A", "DisableMetricRules"),
                ("sre@A", "DeleteMetricRules")
            ]
            .contains(&steps[2]),
            "seed {seed}: {steps:?}"
        );
        assert!(
            v.witness.iter().any(|w| w.contains("pcc-")),
            "{:?}",
            v.witness
        );
        assert_one_minimal(&mut c, &v.steps, &format!("seed {seed}"));
    }
}

#[test]
fn rules_that_cannot_be_switched_off_keep_the_default_budget_clean() {
    for seed in 0..2 {
        let (report, _) = run("cms-alerts-guarded.json", ALERTS, ALERT_APIS, seed);
        assert!(
            report.violation.is_none(),
            "seed {seed}: {:?}",
            report.violation.map(|v| v.witness)
        );
        assert_eq!(report.steps, 200 * 50);
        assert!(report.apis_succeeded.contains("PutResourceMetricRules"));
        assert!(report.apis_called.contains("DisableMetricRules"));
    }
}

#[test]
fn every_inter_region_peering_needs_an_enabled_rule_from_the_start() {
    let inv = "forall p in peerings where p.inter_region and p.status == \"Activated\": \
               exists r in alert_rules: p.id in r.resources and r.enabled";
    let (report, mut c) = run("cms-alerts.json", inv, ALERT_APIS, 0);
    let v = report.violation.as_ref().expect("found");
    let actions: Vec<&str> = v
        .records
        .iter()
        .filter_map(|r| r.action.as_deref())
        .collect();
    assert_eq!(actions, ["CreateVpcPeerConnection"], "{:?}", v.records);
    assert_one_minimal(&mut c, &v.steps, "literal");
}

#[test]
fn alerts_and_charges_read_in_invariants() {
    // An alert rule firing and an alert entry, read through the language.
    let (report, _) = run(
        "cms-alerts.json",
        "forall a in alerts: not a.firing",
        ALERT_APIS,
        0,
    );
    // No traffic can saturate a link here (no instances): the alert log stays empty.
    assert!(report.violation.is_none(), "{:?}", report.violation);
    assert_eq!(report.flows, 0, "no instances, no flows");
    // Unknown fields are named with the kind's fields.
    let e = Invariant::from_arg("forall c in charges: c.nope == 1").unwrap_err();
    assert!(e.contains("unknown field `nope` of charge"), "{e}");
    assert!(e.contains("cross_border"), "{e}");
    let e = Invariant::from_arg("forall r in alert_rules: r.enabled == \"yes\"").unwrap_err();
    assert!(e.contains("type mismatch"), "{e}");
}
