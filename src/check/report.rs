//! Rendering a check: the human summary, the explained violating sequence, and the scenario
//! file that replays it under `ramsim test`.

use super::{CheckReport, Exec, RanView, Step, StepKind, StepRecord, Violation};
use crate::api::catalog::by_api;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

fn explanation_line(view: &RanView<'_>, exec: &Exec) -> String {
    let Some(result) = view.result else {
        return String::new();
    };
    let iam = &exec.gw.state.iam;
    let name_of = |p: &str| {
        iam.control_policies
            .get(p)
            .map_or_else(|| p.to_string(), |cp| cp.name.clone())
    };
    let statements = |e: &crate::authz::Explanation| {
        e.deciding_statements()
            .iter()
            .map(|s| format!("{} Statement[{}]", name_of(&s.policy), s.statement))
            .collect::<Vec<_>>()
    };
    if let Some(d) = result.body.get("AccessDeniedDetail") {
        let kind = d
            .get("NoPermissionType")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let by = d.get("PolicyType").and_then(Value::as_str).unwrap_or("?");
        let action = d.get("AuthAction").and_then(Value::as_str).unwrap_or("?");
        let stmts = view.explanation.map(statements).unwrap_or_default();
        return if stmts.is_empty() {
            format!("denied: {kind} of {action} at {by}")
        } else {
            format!("denied: {kind} of {action} at {by} by {}", stmts.join(", "))
        };
    }
    if !result.is_success() {
        return format!(
            "{}: {}",
            result.error_code().unwrap_or("error"),
            result
                .body
                .get("Message")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
    }
    match (view.explanation, result.decision) {
        (Some(e), _) => {
            let stmts = statements(e);
            if stmts.is_empty() {
                "allowed (account root)".to_string()
            } else {
                format!("allowed by {}", stmts.join(", "))
            }
        }
        (None, Some(_)) => "allowed".to_string(),
        (None, None) => "not subject to RAM authorization".to_string(),
    }
}

pub(super) fn record_of(step: &Step, view: &RanView<'_>, exec: &Exec) -> StepRecord {
    let clock = exec.gw.state.world.now().to_string();
    match &step.kind {
        StepKind::Advance(secs) => StepRecord {
            caller: None,
            action: None,
            params: Map::new(),
            advance: Some(*secs),
            traffic: None,
            http_status: 0,
            error_code: None,
            message: None,
            denied: None,
            explanation: String::new(),
            request_id: None,
            clock,
        },
        StepKind::Traffic(_) => StepRecord {
            caller: None,
            action: None,
            params: Map::new(),
            advance: None,
            traffic: view.sent.cloned(),
            http_status: 0,
            error_code: view.sent.and_then(|s| s.code.clone()),
            message: view.sent.map(|s| s.text.clone()),
            denied: None,
            explanation: String::new(),
            request_id: None,
            clock,
        },
        StepKind::Call { params, .. } => {
            let result = view.result;
            let denied = result.and_then(|r| {
                let d = r.body.get("AccessDeniedDetail")?;
                Some((
                    d.get("NoPermissionType")?.as_str()?.to_string(),
                    d.get("PolicyType")?.as_str()?.to_string(),
                ))
            });
            StepRecord {
                caller: view.caller.map(str::to_string),
                action: view.action.map(str::to_string),
                params: params
                    .iter()
                    .map(|(k, a)| (k.clone(), Value::String(exec.resolve(a))))
                    .collect(),
                advance: None,
                traffic: None,
                http_status: result.map_or(0, |r| r.http_status),
                error_code: result.and_then(|r| r.error_code().map(str::to_string)),
                message: result.and_then(|r| {
                    r.body
                        .get("Message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                }),
                denied,
                explanation: explanation_line(view, exec),
                request_id: result.map(|r| r.request_id.clone()),
                clock,
            }
        }
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@,=+*".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The step as an `aliyun` CLI line (what `ramsim call --as CALLER` accepts).
pub fn cli_line(r: &StepRecord) -> String {
    if let Some(t) = &r.traffic {
        let f = &t.flow;
        return format!(
            "ramsim traffic --from {} --to {} --protocol tcp --port {} --volume {} --duration {}",
            f.from,
            f.to,
            f.port,
            f.volume(),
            duration(super::traffic_move::DURATION)
        );
    }
    match (&r.action, r.advance) {
        (_, Some(secs)) => format!("(clock +{})", duration(secs)),
        (Some(action), None) => {
            let product = by_api(action)
                .map_or("vpc", |e| e.product)
                .to_ascii_lowercase();
            let mut line = format!("aliyun {product} {action}");
            for (k, v) in &r.params {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                let _ = write!(line, " --{k} {}", shell_quote(&v));
            }
            line
        }
        (None, None) => String::new(),
    }
}

/// `7d`, `1h`, `60s`, … (what scenario `advance` accepts).
pub fn duration(secs: i64) -> String {
    if secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else if secs % 3_600 == 0 {
        format!("{}h", secs / 3_600)
    } else {
        format!("{secs}s")
    }
}

fn outcome(r: &StepRecord) -> String {
    if let Some(t) = &r.traffic {
        return t.text.clone();
    }
    match (r.http_status, &r.error_code) {
        (0, _) => format!("clock at {}", r.clock),
        (s, None) => format!("HTTP {s} OK"),
        (s, Some(code)) => format!("HTTP {s} {code}"),
    }
}

fn counts(report: &CheckReport) -> String {
    let flows = if report.flows > 0 {
        format!(", {} traffic flows", report.flows)
    } else {
        String::new()
    };
    format!(
        "runs: {}, steps: {} ({} clock advances{flows}), distinct states: {}, actions exercised: {} of {} APIs called, {} succeeded at least once",
        report.runs,
        report.steps,
        report.advances,
        report.distinct_states,
        report.apis_called.len(),
        report.api_count,
        report.apis_succeeded.len()
    )
}

/// The human report. `replay` is the command line that reproduces the run.
pub fn render_human(report: &CheckReport, replay: &str, scenario: Option<&str>) -> String {
    let mut out = String::new();
    let c = &report.config;
    match &report.violation {
        None => {
            let _ = writeln!(
                out,
                "ramsim check: no violation found within the budget ({} runs × {} steps, seed {})",
                c.runs, c.steps, c.seed
            );
            let _ = writeln!(out, "  invariants: {}", report.invariants.join("; "));
            let _ = writeln!(out, "  {}", counts(report));
        }
        Some(v) => render_violation(&mut out, report, v, replay, scenario),
    }
    out
}

fn render_violation(
    out: &mut String,
    report: &CheckReport,
    v: &Violation,
    replay: &str,
    scenario: Option<&str>,
) {
    let c = &report.config;
    if v.in_initial_world {
        let _ = writeln!(
            out,
            "ramsim check: VIOLATION of {} in the initial world, before any step",
            v.invariant
        );
        for w in &v.witness {
            let _ = writeln!(out, "  {w}");
        }
        let _ = writeln!(
            out,
            "\n  the world file itself breaks the invariant: fix the world (or the invariant); no call sequence was searched"
        );
        return;
    }
    let _ = writeln!(
        out,
        "ramsim check: VIOLATION of {} (seed {}, run {} of {}, after step {})",
        v.invariant,
        c.seed,
        v.run + 1,
        c.runs,
        v.step_in_run
    );
    for w in &v.witness {
        let _ = writeln!(out, "  {w}");
    }
    let _ = writeln!(
        out,
        "\nminimal sequence: {} step{} (shrunk from {} in {} replays{})",
        v.records.len(),
        if v.records.len() == 1 { "" } else { "s" },
        v.step_in_run,
        v.replays,
        if v.one_minimal {
            "; 1-minimal: no step or pair of steps can be removed"
        } else {
            "; replay budget spent, may not be minimal"
        }
    );
    let last = v.records.len();
    for (i, r) in v.records.iter().enumerate() {
        let who = match (&r.caller, &r.traffic) {
            (Some(c), _) => c.as_str(),
            (None, Some(_)) => "traffic",
            (None, None) => "clock",
        };
        let _ = writeln!(out, "  {}. {who}: {}", i + 1, cli_line(r));
        let mut line = format!("     → {}", outcome(r));
        if let Some(id) = &r.request_id {
            let _ = write!(line, " (RequestId {id})");
        }
        if !r.explanation.is_empty() {
            let _ = write!(line, ": {}", r.explanation);
        }
        let _ = writeln!(out, "{line}");
        if i + 1 == last {
            let _ = writeln!(out, "     ✗ {} fails after this step", v.invariant);
        }
    }
    let _ = writeln!(out, "\n  {}", counts(report));
    let _ = writeln!(out, "  seed: {} — replay with: {replay}", c.seed);
    if let Some(path) = scenario {
        let _ = writeln!(
            out,
            "  scenario: {path} (replays this sequence under `ramsim test`; flip the expectation of step {last} to make it a failing guard)"
        );
    }
}

/// The expectation of a recorded step, as a scenario `expect`.
fn expect_of(r: &StepRecord) -> Value {
    match (&r.error_code, &r.denied) {
        (None, _) => Value::String("success".into()),
        (Some(code), Some((kind, policy_type))) => {
            json!({"error": code, "denied": kind, "policy_type": policy_type})
        }
        (Some(code), None) => json!({"error": code}),
    }
}

/// The violating sequence as a `ramsim test` scenario file. `world` is the `world` value
/// (a path relative to the scenario, or an inline world).
pub fn scenario_json(report: &CheckReport, v: &Violation, world: Value) -> Value {
    let last = v.records.len();
    let steps: Vec<Value> = v
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let n = i + 1;
            let suffix = if n == last {
                format!(" — after this step {} fails", v.invariant)
            } else {
                String::new()
            };
            if let Some(t) = &r.traffic {
                let f = &t.flow;
                let mut step = json!({
                    "from": f.from,
                    "to": f.to,
                    "protocol": "tcp",
                    "port": f.port,
                    "volume": f.volume(),
                    "duration": duration(super::traffic_move::DURATION),
                });
                match (&t.code, t.delivered) {
                    (Some(code), _) => step["code"] = json!(code),
                    (None, Some(d)) => {
                        step["delivered"] = json!(if d == 0 { "0".to_string() } else { format!("{d}B") })
                    }
                    (None, None) => {}
                }
                return json!({
                    "name": format!("{n}. traffic {} -> {}{suffix}", f.from, f.to),
                    "traffic": step,
                });
            }
            match (&r.action, r.advance) {
                (_, Some(secs)) => json!({
                    "name": format!("{n}. clock +{}{suffix}", duration(secs)),
                    "advance": duration(secs),
                }),
                (action, None) => json!({
                    "name": format!("{n}. {} {}{suffix}", r.caller.as_deref().unwrap_or(""), action.as_deref().unwrap_or("")),
                    "as": r.caller.clone().unwrap_or_default(),
                    "request": {"Action": action.clone().unwrap_or_default(), "Parameters": Value::Object(r.params.clone())},
                    "expect": expect_of(r),
                }),
            }
        })
        .collect();
    let c = &report.config;
    json!({
        "name": format!("ramsim check: {} violated (seed {}, run {})", v.invariant, c.seed, v.run + 1),
        "description": format!(
            "Found by `ramsim check` (seed {}, run {}, after step {}; shrunk to {} steps). The expectations record what the gateway did, so this scenario passes and documents the violating sequence: after step {last} the invariant {} fails ({}). To turn it into a failing guard, change step {last}'s expectation to the outcome your policies should produce (for example {{\"denied\": \"ExplicitDeny\"}}).",
            c.seed,
            v.run + 1,
            v.step_in_run,
            last,
            v.invariant,
            v.witness.join("; ")
        ),
        "world": world,
        "steps": steps,
    })
}

fn normalize(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `target` relative to directory `from` (both made absolute lexically).
pub fn relative_path(from: &Path, target: &Path) -> PathBuf {
    let from = normalize(from);
    let target = normalize(target);
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = target.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return target;
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_and_durations() {
        assert_eq!(
            relative_path(Path::new("/a/b/out"), Path::new("/a/b/worlds/w.json")),
            PathBuf::from("../worlds/w.json")
        );
        assert_eq!(
            relative_path(Path::new("/a/b"), Path::new("/a/b/w.json")),
            PathBuf::from("w.json")
        );
        assert_eq!(duration(604_801), "604801s");
        assert_eq!(duration(86_400), "1d");
        assert_eq!(duration(3_600), "1h");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("vpc-1"), "vpc-1");
    }
}
