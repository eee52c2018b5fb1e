//! Running scenario files: steps through the real gateway, decision cases through the engine,
//! each compared with its expectation.

use super::coverage::CoverageCollector;
use super::format::{DecisionCase, Expect, ExpectDetail, ScenarioFile, Step};
use super::vars::{partial_match, substitute, substitute_json};
use crate::api::request::request_from_value;
use crate::api::{parse_cli_line, CallResult, Gateway, SimState};
use crate::authz::{explain, ActionResource, EvalOptions, Principal, Request, RequestContext};
use crate::cloud::time::parse_duration;
use crate::iam::model::PolicyType as IamPolicyType;
use crate::input::{read_text, FileRefs, InputKind};
use crate::policy::{PolicyKind, ReadOptions};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The result of one step or case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Scenario file.
    pub file: String,
    /// Scenario name.
    pub scenario: String,
    /// Step or case name.
    pub name: String,
    /// Passed?
    pub passed: bool,
    /// What was expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
    /// Response body or explanation, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl CaseResult {
    /// `file::scenario::name`, what `--filter` matches against.
    pub fn id(&self) -> String {
        format!("{}::{}::{}", self.file, self.scenario, self.name)
    }
}

/// Finds `*.test.json` files under `paths` (files are taken as given), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("{}: cannot list: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.to_string_lossy().ends_with(".test.json") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The single failed result reported for a scenario file that cannot be run at all.
fn load_failure(file: &str, message: String) -> Vec<CaseResult> {
    vec![CaseResult {
        file: file.to_string(),
        scenario: "(load)".into(),
        name: "load".into(),
        passed: false,
        expected: "a valid scenario file".into(),
        actual: message,
        details: None,
    }]
}

/// Runs one scenario file; `keep` decides which step/case ids run. File references stay
/// inside the scenario's directory or the working directory ([`FileRefs::for_top_file`]).
pub fn run_file(
    path: &Path,
    keep: &dyn Fn(&str) -> bool,
    coverage: &mut CoverageCollector,
) -> Vec<CaseResult> {
    run_file_with(path, keep, coverage, &FileRefs::for_top_file(path))
}

/// [`run_file`] with file references resolved as `refs` allows.
pub fn run_file_with(
    path: &Path,
    keep: &dyn Fn(&str) -> bool,
    coverage: &mut CoverageCollector,
    refs: &FileRefs,
) -> Vec<CaseResult> {
    let file = path.display().to_string();
    let fail_file = |message: String| load_failure(&file, message);
    let text = match read_text(path, InputKind::Scenario) {
        Ok(t) => t,
        Err(e) => return fail_file(e),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let default_name = path
        .file_name()
        .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
    run_text_with(&text, &file, &default_name, base, keep, coverage, refs)
}

/// Runs a scenario given as text; `file` labels the results, `base` resolves relative paths
/// (confined to `base` and the working directory).
pub fn run_text(
    text: &str,
    file: &str,
    default_name: &str,
    base: &Path,
    keep: &dyn Fn(&str) -> bool,
    coverage: &mut CoverageCollector,
) -> Vec<CaseResult> {
    let refs = FileRefs::beside(base);
    run_text_with(text, file, default_name, base, keep, coverage, &refs)
}

/// [`run_text`] with file references resolved as `refs` allows.
pub fn run_text_with(
    text: &str,
    file: &str,
    default_name: &str,
    base: &Path,
    keep: &dyn Fn(&str) -> bool,
    coverage: &mut CoverageCollector,
    refs: &FileRefs,
) -> Vec<CaseResult> {
    let file = file.to_string();
    let fail_file = |message: String| load_failure(&file, message);
    let scenario: ScenarioFile = match serde_json::from_str(text) {
        Ok(s) => s,
        Err(e) => return fail_file(format!("invalid scenario: {e}")),
    };
    let name = scenario
        .name
        .clone()
        .unwrap_or_else(|| default_name.to_string());
    let mut results = Vec::new();
    if !scenario.steps.is_empty() {
        let state = match load_world(scenario.world.as_ref(), base, refs) {
            Ok(s) => s,
            Err(e) => return fail_file(format!("world: {e}")),
        };
        register_world_policies(&state, coverage);
        let mut runner = StepRunner {
            gateway: Gateway::new(state),
            saved: BTreeMap::new(),
        };
        runner.gateway.traces = Some(Vec::new());
        for (i, step) in scenario.steps.iter().enumerate() {
            let step_name = step
                .name
                .clone()
                .unwrap_or_else(|| format!("step {}", i + 1));
            let mut r = CaseResult {
                file: file.clone(),
                scenario: name.clone(),
                name: step_name,
                passed: false,
                expected: String::new(),
                actual: String::new(),
                details: None,
            };
            let selected = keep(&r.id());
            // Steps run even when filtered out: later steps depend on the state they build.
            runner.run_step(step, &mut r);
            if let Some(traces) = runner.gateway.traces.as_mut() {
                let iam = &runner.gateway.state.iam;
                let rename = |n: &str| {
                    iam.control_policies
                        .get(n)
                        .map_or_else(|| n.to_string(), |cp| cp.name.clone())
                };
                // Coverage counts the selected steps only; filtered-out steps still run
                // because later steps depend on the state they build.
                for t in traces.drain(..) {
                    if selected {
                        coverage.record(&t, &rename);
                    }
                }
            }
            if selected {
                results.push(r);
            }
        }
    }
    for case in &scenario.cases {
        let mut r = CaseResult {
            file: file.clone(),
            scenario: name.clone(),
            name: case.name.clone(),
            passed: false,
            expected: case.expect.clone(),
            actual: String::new(),
            details: None,
        };
        if keep(&r.id()) {
            run_case(case, base, refs, &mut r, coverage);
            results.push(r);
        }
    }
    results
}

fn load_world(world: Option<&Value>, base: &Path, refs: &FileRefs) -> Result<SimState, String> {
    match world {
        None => Err("steps need a `world` (a world file path or an inline world)".into()),
        Some(Value::String(p)) => {
            SimState::from_world_file_with(&refs.resolve(base, p, "world")?, refs)
        }
        Some(v @ Value::Object(_)) => SimState::from_world_json_with(&v.to_string(), base, refs),
        Some(_) => Err("`world` must be a path or an object".into()),
    }
}

fn register_world_policies(state: &SimState, coverage: &mut CoverageCollector) {
    for (uid, acct) in &state.iam.accounts {
        let label = state
            .world
            .account(uid)
            .and_then(|a| a.alias.clone())
            .unwrap_or_else(|| uid.clone());
        for p in acct.policies.values() {
            if let Some(doc) = p.default_document() {
                coverage.add_account_policy(uid, &label, &p.name, PolicyKind::Identity, doc);
            }
        }
    }
    for cp in state.iam.control_policies.values() {
        if cp.policy_type == IamPolicyType::Custom {
            coverage.add_policy(&cp.name, PolicyKind::Control, &cp.document);
        }
    }
}

struct StepRunner {
    gateway: Gateway,
    saved: BTreeMap<String, String>,
}

fn describe(result: &CallResult) -> String {
    if result.is_success() {
        return "success".into();
    }
    let code = result.error_code().unwrap_or("error");
    match result.body.get("AccessDeniedDetail") {
        Some(d) => format!(
            "{code}: {} ({})",
            d.get("NoPermissionType")
                .and_then(Value::as_str)
                .unwrap_or("?"),
            d.get("PolicyType").and_then(Value::as_str).unwrap_or("?")
        ),
        None => format!("error {code}"),
    }
}

fn describe_expect(e: &ExpectDetail) -> String {
    let mut parts = Vec::new();
    if e.success == Some(true) {
        parts.push("success".to_string());
    }
    if let Some(c) = &e.error {
        parts.push(format!("error {c}"));
    }
    if let Some(d) = &e.denied {
        parts.push(format!("denied {d}"));
    }
    if let Some(t) = &e.policy_type {
        parts.push(format!("PolicyType {t}"));
    }
    match (&e.policy, e.statement) {
        (Some(p), Some(s)) => parts.push(format!("by {p} Statement[{s}]")),
        (Some(p), None) => parts.push(format!("by {p}")),
        (None, Some(s)) => parts.push(format!("by Statement[{s}]")),
        (None, None) => {}
    }
    parts.join(", ")
}

impl StepRunner {
    fn run_step(&mut self, step: &Step, r: &mut CaseResult) {
        if let Some(d) = &step.advance {
            r.expected = format!("clock +{d}");
            match parse_duration(d) {
                Ok(secs) => {
                    let now = self.gateway.state.world.now();
                    match now.checked_plus(secs) {
                        Some(to) => {
                            self.gateway.advance_clock(to);
                            r.actual = format!("clock at {}", self.gateway.state.world.now());
                            r.passed = true;
                        }
                        None => {
                            r.actual = format!(
                                "cannot advance the clock by {d} from {now}: past {}",
                                crate::cloud::Timestamp::MAX
                            )
                        }
                    }
                }
                Err(e) => r.actual = e,
            }
            return;
        }
        let kinds = usize::from(step.traffic.is_some())
            + usize::from(step.bill.is_some())
            + usize::from(step.alerts.is_some());
        if kinds > 0 {
            let extra = step.call.is_some()
                || step.request.is_some()
                || step.expect.is_some()
                || step.expect_body.is_some()
                || step.caller.is_some()
                || step.reach.is_some()
                || !step.save.is_empty()
                || kinds > 1;
            if extra {
                r.actual = "a `traffic`, `bill` or `alerts` step takes nothing else: put its expectations inside it".into();
                return;
            }
            let world = &mut self.gateway.state.world;
            if let Some(q) = &step.traffic {
                super::flow_steps::run_traffic(world, &self.saved, q, r);
            } else if let Some(q) = &step.bill {
                super::flow_steps::run_bill(world, &self.saved, q, r);
            } else if let Some(q) = &step.alerts {
                super::flow_steps::run_alerts(world, &self.saved, q, r);
            }
            return;
        }
        if let Some(q) = &step.reach {
            let extra = step.call.is_some()
                || step.request.is_some()
                || step.expect.is_some()
                || step.expect_body.is_some()
                || step.caller.is_some()
                || !step.save.is_empty();
            if extra {
                r.actual = "a `reach` step takes no `as`, `call`, `request`, `expect`, `expect_body` or `save`: put `reachable`, `code` and `hops` inside `reach`".into();
                return;
            }
            self.run_reach(q, r);
            return;
        }
        let expect = match &step.expect {
            None => ExpectDetail {
                success: Some(true),
                ..ExpectDetail::default()
            },
            Some(Expect::Word(w)) if w == "success" => ExpectDetail {
                success: Some(true),
                ..ExpectDetail::default()
            },
            Some(Expect::Word(w)) => {
                r.actual = format!("unknown expectation `{w}` (use \"success\" or an object)");
                return;
            }
            Some(Expect::Detailed(d)) => d.clone(),
        };
        r.expected = describe_expect(&expect);
        let world = &self.gateway.state.world;
        let request = match (&step.call, &step.request) {
            (Some(line), None) => {
                substitute(line, world, &self.saved).and_then(|l| parse_cli_line(&l))
            }
            (None, Some(v)) => substitute_json(v, world, &self.saved).and_then(request_from_value),
            _ => Err("a step needs exactly one of `call`, `request`, `advance`, `reach`, `traffic`, `bill` or `alerts`".into()),
        };
        let caller = match &step.caller {
            Some(c) => substitute(c, world, &self.saved),
            None => Err("a call step needs `as` (the caller)".into()),
        };
        let (request, caller) = match (request, caller) {
            (Ok(rq), Ok(c)) => (rq, c),
            (Err(e), _) | (_, Err(e)) => {
                r.actual = e;
                return;
            }
        };
        let envelope = step.envelope.clone().unwrap_or_default().envelope(caller);
        let traces_before = self.gateway.traces.as_ref().map_or(0, Vec::len);
        let result = self.gateway.call(&envelope, &request);
        r.actual = describe(&result);
        let mut ok = match (&expect.error, &expect.denied) {
            (Some(code), _) => result.error_code() == Some(code.as_str()),
            (None, Some(_)) => result.body.get("AccessDeniedDetail").is_some(),
            (None, None) => result.is_success(),
        };
        if let Some(detail) = result.body.get("AccessDeniedDetail") {
            if let Some(d) = &expect.denied {
                ok &= detail.get("NoPermissionType").and_then(Value::as_str) == Some(d.as_str());
            }
            if let Some(t) = &expect.policy_type {
                ok &= detail.get("PolicyType").and_then(Value::as_str) == Some(t.as_str());
            }
        } else if expect.policy_type.is_some() {
            ok = false;
        }
        if expect.policy.is_some() || expect.statement.is_some() {
            let iam = &self.gateway.state.iam;
            let explanation = self.gateway.traces.as_ref().and_then(|t| {
                if t.len() > traces_before {
                    t.last()
                } else {
                    None
                }
            });
            let deciding: Vec<(String, usize)> = explanation
                .map(|e| {
                    e.deciding_statements()
                        .iter()
                        .map(|s| {
                            (
                                iam.control_policies
                                    .get(&s.policy)
                                    .map_or_else(|| s.policy.clone(), |cp| cp.name.clone()),
                                s.statement,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let hit = deciding.iter().any(|(p, s)| {
                expect.policy.as_ref().is_none_or(|x| x == p)
                    && expect.statement.is_none_or(|x| x == *s)
            });
            if !hit {
                ok = false;
                r.actual
                    .push_str(&format!("; deciding statements: {deciding:?}"));
            }
        }
        if let Some(body) = &step.expect_body {
            match substitute_json(body, &self.gateway.state.world, &self.saved) {
                Ok(b) if partial_match(&b, &result.body) => {}
                Ok(b) => {
                    ok = false;
                    r.expected.push_str(&format!(" with body {b}"));
                }
                Err(e) => {
                    ok = false;
                    r.actual.push_str(&format!("; {e}"));
                }
            }
        }
        for (var, field) in &step.save {
            let value = field
                .as_str()
                // A JSON pointer (`/List/0/Id`) or a dotted path (`List[0].Id`).
                .and_then(|f| match f.starts_with('/') {
                    true => result.body.pointer(f),
                    false => json_path(&result.body, f),
                })
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            match value {
                Some(v) => {
                    self.saved.insert(var.clone(), v);
                }
                None => {
                    ok = false;
                    r.actual.push_str(&format!(
                        "; cannot save `{var}`: no field {field} in the response"
                    ));
                }
            }
        }
        r.passed = ok;
        if !ok {
            let mut details = serde_json::to_string_pretty(&result.body).unwrap_or_default();
            let new_trace = self.gateway.traces.as_ref().and_then(|t| {
                if t.len() > traces_before {
                    t.last()
                } else {
                    None
                }
            });
            if let Some(explanation) = new_trace {
                details.push_str("\nexplanation:\n");
                details.push_str(&explanation.render_human());
            }
            r.details = Some(details);
        }
    }
}

impl StepRunner {
    /// A `reach` step: resolves the ends (handles and saved values substituted), analyses, and
    /// compares the verdict, the first failing code and the forward node types.
    fn run_reach(&mut self, q: &crate::scenario::format::ReachStep, r: &mut CaseResult) {
        use crate::cloud::reach::probe::{parse_protocol, parse_source, parse_target};
        let world = &self.gateway.state.world;
        let want_reachable = q.reachable.unwrap_or(q.code.is_none());
        let mut expected = format!(
            "reach {} -> {} {}{}: {}",
            q.from,
            q.to,
            q.protocol,
            q.port.map(|p| format!("/{p}")).unwrap_or_default(),
            if want_reachable {
                "reachable"
            } else {
                "unreachable"
            }
        );
        if let Some(c) = &q.code {
            expected.push_str(&format!(" ({c})"));
        }
        if let Some(c) = &q.cause {
            expected.push_str(&format!(" caused by {c}"));
        }
        r.expected = expected;
        let probe = (|| -> Result<crate::cloud::reach::Probe, String> {
            let from = substitute(&q.from, world, &self.saved)?;
            let to = substitute(&q.to, world, &self.saved)?;
            Ok(crate::cloud::reach::Probe {
                source: parse_source(world, &from).map_err(|e| format!("from `{from}`: {e}"))?,
                target: parse_target(world, &to).map_err(|e| format!("to `{to}`: {e}"))?,
                protocol: parse_protocol(&q.protocol)?,
                source_port: q.source_port,
                target_port: q.port,
            })
        })();
        let v = match probe
            .and_then(|p| crate::cloud::reach::analyze(world, &p).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                r.actual = e;
                return;
            }
        };
        let code = v.first_error().map(|f| f.code.as_str());
        let cause = v
            .candidates
            .iter()
            .flat_map(|c| c.backends.iter())
            .find_map(|b| b.cause)
            .map(|c| c.as_str());
        let hops: Vec<&str> = v.forward.iter().map(|h| h.node_type.as_str()).collect();
        r.actual = format!(
            "{}{}{}; forward {}",
            if v.reachable {
                "reachable"
            } else {
                "unreachable"
            },
            code.map(|c| format!(" ({c})")).unwrap_or_default(),
            cause.map(|c| format!(" caused by {c}")).unwrap_or_default(),
            hops.join(" ")
        );
        let mut ok = v.reachable == want_reachable;
        if let Some(c) = &q.code {
            ok &= code == Some(c.as_str());
        }
        if let Some(h) = &q.hops {
            ok &= *h == hops;
        }
        if let Some(c) = &q.cause {
            ok &= cause == Some(c.as_str());
        }
        r.passed = ok;
        if !ok {
            let fix = crate::cloud::reach::fix::suggest(world, &v);
            r.details = Some(crate::cloud::reach::render::human(
                world,
                &v,
                fix.as_ref(),
                None,
            ));
        }
    }
}

fn run_case(
    case: &DecisionCase,
    base: &Path,
    refs: &FileRefs,
    r: &mut CaseResult,
    coverage: &mut CoverageCollector,
) {
    let p = &case.principal;
    let in_rd = p.in_rd.unwrap_or(case.policies.has_control());
    let principal = match Principal::from_parts(
        &p.kind,
        &p.account,
        p.id.as_deref(),
        p.arn.as_deref(),
        (in_rd, p.management_account, p.service_linked_role),
    ) {
        Ok(x) => x,
        Err(e) => {
            r.actual = e;
            return;
        }
    };
    let mut spec = case.policies.clone();
    spec.role_principal = p.kind == "AssumedRoleUser";
    let store = match spec.build_with(base, &p.account, &ReadOptions::default(), refs) {
        Ok(s) => s,
        Err(e) => {
            r.actual = e;
            return;
        }
    };
    for set in std::iter::once(&store.identity)
        .chain(store.session.iter())
        .chain(store.resource_policy.iter())
        .chain(store.resource_groups.iter().map(|(_, s)| s))
        .chain(store.control_chain.iter().map(|n| &n.policies))
    {
        for src in set.sources() {
            if let Some(file) = &src.file {
                if let Ok(text) = read_text(Path::new(file), InputKind::Policy) {
                    let kind = if store
                        .control_chain
                        .iter()
                        .any(|n| std::ptr::eq(&n.policies, set))
                    {
                        PolicyKind::Control
                    } else {
                        PolicyKind::Identity
                    };
                    coverage.add_policy(&src.name, kind, &text);
                }
            }
        }
    }
    let mut context = RequestContext::new();
    for (k, v) in &case.context {
        match v {
            Value::String(s) => context.insert(k, s.clone()),
            Value::Array(items) => context.set(
                k,
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect(),
            ),
            other => context.insert(k, other.to_string()),
        }
    }
    let resources: Vec<String> = match &case.resource {
        None => vec!["*".into()],
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(other) => vec![other.to_string()],
    };
    let owner = case.resource_account.as_deref();
    let mut pairs: Vec<ActionResource> = resources
        .iter()
        .map(|res| ActionResource::owned(case.action.as_str(), res.as_str(), owner))
        .collect();
    pairs.extend(case.dependent.iter().map(|d| match d.split_once('=') {
        Some((a, res)) => ActionResource::owned(a, res, owner),
        None => ActionResource::owned(d.as_str(), "*", owner),
    }));
    let req = Request {
        principal: &principal,
        pairs: &pairs,
        context: &context,
        resource_account: case.resource_account.as_deref(),
        resource_group: case.resource_group.as_deref(),
        assume_role: case.policies.trust.is_some(),
    };
    let explanation = explain(&store, &req, &EvalOptions::default());
    coverage.record_policy_files(&explanation);
    let d = explanation.decision;
    r.actual = match d.policy_type {
        Some(t) => format!("{} ({})", d.outcome.as_str(), t.as_str()),
        None => d.outcome.as_str().to_string(),
    };
    if let Some(t) = &case.policy_type {
        r.expected = format!("{} ({t})", case.expect);
    }
    let mut ok = d.outcome.as_str() == case.expect;
    if let Some(t) = &case.policy_type {
        ok &= d.policy_type.map(|x| x.as_str()) == Some(t.as_str());
    }
    if case.policy.is_some() || case.statement.is_some() {
        let hit = explanation.deciding_statements().iter().any(|s| {
            case.policy.as_ref().is_none_or(|p| *p == s.policy)
                && case.statement.is_none_or(|i| i == s.statement)
        });
        ok &= hit;
    }
    if !matches!(
        case.expect.as_str(),
        "Allow" | "ExplicitDeny" | "ImplicitDeny"
    ) {
        ok = false;
        r.actual = format!(
            "unknown expectation `{}` (Allow, ExplicitDeny or ImplicitDeny)",
            case.expect
        );
    }
    r.passed = ok;
    if !ok {
        r.details = Some(explanation.render_human());
    }
}

/// The value at `path` in `body`: fields separated by `.`, array items by `[N]`
/// (`Credentials.AccessKeyId`, `Vpcs.Vpc[0].VpcId`). A plain name is a top-level field.
/// `None` when any segment is missing or malformed.
pub fn json_path<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = body;
    for segment in path.split('.') {
        let (name, mut rest) = match segment.find('[') {
            Some(i) => segment.split_at(i),
            None => (segment, ""),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        } else if rest.is_empty() {
            return None;
        }
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index: usize = rest.get(1..close)?.parse().ok()?;
            cur = cur.get(index)?;
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    Some(cur)
}

#[cfg(test)]
mod json_path_tests {
    use super::json_path;
    use serde_json::json;

    #[test]
    fn paths_reach_nested_fields_and_array_items() {
        let body = json!({"InstanceId": "pcc-1",
            "Credentials": {"AccessKeyId": "STS.x"},
            "Vpcs": {"Vpc": [{"VpcId": "vpc-a"}, {"VpcId": "vpc-b"}]},
            "Grid": [[1, 2], [3, 4]]});
        assert_eq!(json_path(&body, "InstanceId"), Some(&json!("pcc-1")));
        assert_eq!(
            json_path(&body, "Credentials.AccessKeyId"),
            Some(&json!("STS.x"))
        );
        assert_eq!(json_path(&body, "Vpcs.Vpc[1].VpcId"), Some(&json!("vpc-b")));
        assert_eq!(json_path(&body, "Grid[1][0]"), Some(&json!(3)));
        for missing in [
            "Nope",
            "Credentials.Nope",
            "Vpcs.Vpc[2]",
            "Vpcs.Vpc[x]",
            "Vpcs.Vpc[0",
            "Grid[0]x",
            "",
            "a..b",
            "[0]",
        ] {
            assert_eq!(json_path(&body, missing), None, "{missing}");
        }
    }
}
