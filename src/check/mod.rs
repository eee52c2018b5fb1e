//! `ramsim check`: property testing of governance rules. Random call sequences go through the
//! real gateway; after every step each invariant is evaluated; a violation is shrunk to a
//! minimal sequence, explained call by call, and written as a `ramsim test` scenario.
//!
//! Everything is deterministic: a [`prng::Rng`] seeded by `--seed` drives generation, the
//! engine and the world have no wall clock, and every collection that reaches the output is
//! ordered. The same seed gives byte-identical output.

pub mod generate;
pub mod invariant;
pub mod prng;
pub mod report;
mod shrink;
pub mod traffic_move;

use crate::api::catalog::by_api;
use crate::api::{ApiRequest, CallResult, Envelope, Gateway, SimState};
use crate::authz::Explanation;
use generate::{Generated, Generator};
use invariant::{EvalCache, Invariant, Monitor, StepInfo, Verdict};
use prng::{mix, Rng};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Default number of runs.
pub const DEFAULT_RUNS: u64 = 200;
/// Default number of steps per run.
pub const DEFAULT_STEPS: u64 = 50;
/// At most this many replays while shrinking.
pub const MAX_SHRINK_REPLAYS: usize = 3_000;
/// Hard cap of `--steps`: a run keeps its steps (for shrinking) and its audit trail, so
/// memory grows with a run's length; longer runs are refused.
pub const MAX_STEPS: u64 = 10_000;
/// Hard cap of `--runs`.
pub const MAX_RUNS: u64 = 1_000_000;
/// Hard cap of the whole budget, `--runs` × `--steps` (about 15 minutes at 100,000 steps/s).
pub const MAX_TOTAL_STEPS: u64 = 100_000_000;
/// Distinct states are counted by remembering a hash of each; past this many the count stops
/// growing (reported as "at least"), so memory stays bounded however long the search.
pub const MAX_TRACKED_STATES: usize = 1_000_000;

/// Where a search is, for progress displays ([`Checker::run_with_progress`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckProgress {
    /// Generating and checking steps.
    Search {
        /// Steps taken so far.
        steps: u64,
        /// The budget, runs × steps.
        total: u64,
        /// The run under way (1-based).
        run: u64,
        /// Distinct states so far.
        states: usize,
    },
    /// Shrinking a violation.
    Shrink {
        /// Replays spent so far.
        replays: usize,
    },
}

impl CheckConfig {
    /// Checks the budget against the hard caps ([`MAX_STEPS`], [`MAX_RUNS`],
    /// [`MAX_TOTAL_STEPS`]); the error says which one and why.
    pub fn validate(&self) -> Result<(), String> {
        if self.runs == 0 || self.steps == 0 {
            return Err("--runs and --steps must be at least 1".into());
        }
        if self.steps > MAX_STEPS {
            return Err(format!(
                "--steps {} is over the limit of {MAX_STEPS} steps per run (a run's steps are kept for shrinking); use more --runs instead",
                self.steps
            ));
        }
        if self.runs > MAX_RUNS {
            return Err(format!(
                "--runs {} is over the limit of {MAX_RUNS} runs",
                self.runs
            ));
        }
        let total = self.runs.saturating_mul(self.steps);
        if total > MAX_TOTAL_STEPS {
            return Err(format!(
                "a budget of {total} steps (--runs × --steps) is over the limit of {MAX_TOTAL_STEPS}"
            ));
        }
        Ok(())
    }
}

/// The search budget and filters.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Number of runs (each from the initial world).
    pub runs: u64,
    /// Steps per run.
    pub steps: u64,
    /// The seed; run `r` uses a seed derived from it.
    pub seed: u64,
    /// `--principals` patterns (see [`generate::PrincipalFilter`]).
    pub principals: Vec<String>,
    /// `--actions` patterns over RAM actions or API names.
    pub actions: Vec<String>,
    /// Show progress on stderr (the CLI sets it; see [`Checker::run_with_progress`]).
    pub progress: bool,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            runs: DEFAULT_RUNS,
            steps: DEFAULT_STEPS,
            seed: 0,
            principals: Vec::new(),
            actions: Vec::new(),
            progress: false,
        }
    }
}

/// A request value: literal, or a field of an earlier step's response (so that dropping an
/// earlier step while shrinking still finds the object a later step refers to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// A literal string.
    Lit(String),
    /// `path` in the response of step `step`; `fallback` when that step did not succeed.
    Ref {
        /// Step id.
        step: u32,
        /// Path into the response body.
        path: Vec<String>,
        /// The value seen when the step was generated.
        fallback: String,
    },
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// An API call.
    Call {
        /// Envelope caller.
        caller: Arg,
        /// API name.
        action: String,
        /// Parameters, in order.
        params: Vec<(String, Arg)>,
    },
    /// Move the clock forward by this many seconds.
    Advance(i64),
    /// Send a flow between two instances ([`traffic_move`]).
    Traffic(traffic_move::TrafficMove),
}

/// A step with its stable id (references survive dropping other steps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stable id within the run.
    pub id: u32,
    /// What it does.
    pub kind: StepKind,
}

/// How a replayed step turned out.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// The step, with every reference resolved.
    pub caller: Option<String>,
    /// API name (`None` for a clock advance).
    pub action: Option<String>,
    /// Parameters.
    pub params: Map<String, Value>,
    /// Clock advance in seconds.
    pub advance: Option<i64>,
    /// The flow a traffic step sent (its outcome is in `message`: delivered or why not).
    pub traffic: Option<traffic_move::Sent>,
    /// HTTP status (0 for a clock advance).
    pub http_status: u16,
    /// Error code, if the call failed.
    pub error_code: Option<String>,
    /// Error message, if the call failed.
    pub message: Option<String>,
    /// `(NoPermissionType, PolicyType)` of a denial.
    pub denied: Option<(String, String)>,
    /// One line: which statements allowed or denied it.
    pub explanation: String,
    /// RequestId of the call.
    pub request_id: Option<String>,
    /// Clock after the step.
    pub clock: String,
}

/// A violation, shrunk.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The invariant's name.
    pub invariant: String,
    /// The run (0-based) it was found in.
    pub run: u64,
    /// The step (1-based) of that run after which it failed.
    pub step_in_run: usize,
    /// The failing bindings or message, from the shrunk sequence.
    pub witness: Vec<String>,
    /// The shrunk sequence.
    pub steps: Vec<Step>,
    /// What each step of the shrunk sequence did.
    pub records: Vec<StepRecord>,
    /// Replays spent shrinking.
    pub replays: usize,
    /// True when the invariant already fails in the initial world, before any step (then
    /// `steps` is empty and `step_in_run` is 0).
    pub in_initial_world: bool,
    /// True when the shrunk sequence is 1-minimal: removing any single step (and any pair of
    /// steps) no longer reproduces the violation. False only when the replay budget ran out.
    pub one_minimal: bool,
}

/// The result of a search.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The invariants checked.
    pub invariants: Vec<String>,
    /// The budget.
    pub config: CheckConfig,
    /// Runs started.
    pub runs: u64,
    /// Steps taken.
    pub steps: u64,
    /// Distinct states seen (hash of the serialized world and identities).
    pub distinct_states: usize,
    /// APIs called at least once.
    pub apis_called: BTreeSet<String>,
    /// APIs that succeeded at least once.
    pub apis_succeeded: BTreeSet<String>,
    /// APIs in play (after `--actions`).
    pub api_count: usize,
    /// Clock advances taken.
    pub advances: u64,
    /// Traffic flows sent ([`traffic_move`]).
    pub flows: u64,
    /// The violation, if one was found.
    pub violation: Option<Violation>,
}

/// Response fields that name objects a call created, by API.
fn created_paths(action: &str) -> &'static [&'static [&'static str]] {
    match action {
        "CreateVpcPeerConnection" => &[&["InstanceId"]],
        "CreateVpc" => &[&["VpcId"], &["RouteTableId"], &["VRouterId"]],
        "CreateVSwitch" => &[&["VSwitchId"]],
        "CreateRouteEntry" => &[&["RouteEntryId"]],
        "CreateSecurityGroup" => &[&["SecurityGroupId"]],
        "CreateNetworkAcl" => &[&["NetworkAclId"]],
        "AssumeRole" => &[&["Credentials", "AccessKeyId"]],
        "CreateAccessKey" => &[&["AccessKey", "AccessKeyId"]],
        "CreateControlPolicy" => &[&["ControlPolicy", "PolicyId"]],
        "CreateResourceGroup" => &[&["ResourceGroup", "Id"]],
        "CreateCen" => &[&["CenId"]],
        "CreateCenBandwidthPackage" => &[&["CenBandwidthPackageId"]],
        "CreateTransitRouter" => &[&["TransitRouterId"]],
        "CreateTransitRouterVpcAttachment" | "CreateTransitRouterPeerAttachment" => {
            &[&["TransitRouterAttachmentId"]]
        }
        "CreateTransitRouterRouteEntry" => &[&["TransitRouterRouteEntryId"]],
        _ => &[],
    }
}

fn at_path<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

/// What running one step did.
struct Ran {
    caller: Option<String>,
    request_id: Option<String>,
    audit_before: usize,
    /// The world or identities may have changed.
    changed: bool,
    action: Option<String>,
    result: Option<CallResult>,
    explanation: Option<Explanation>,
    /// What a traffic step did.
    sent: Option<traffic_move::Sent>,
}

/// A gateway plus the responses seen so far (to resolve references).
struct Exec {
    gw: Gateway,
    responses: HashMap<u32, Value>,
    provenance: HashMap<String, (u32, Vec<String>)>,
}

impl Exec {
    fn new(state: SimState, traces: bool) -> Exec {
        let mut gw = Gateway::new(state);
        if traces {
            gw.traces = Some(Vec::new());
        }
        Exec {
            gw,
            responses: HashMap::new(),
            provenance: HashMap::new(),
        }
    }

    fn resolve(&self, arg: &Arg) -> String {
        match arg {
            Arg::Lit(s) => s.clone(),
            Arg::Ref {
                step,
                path,
                fallback,
            } => self
                .responses
                .get(step)
                .and_then(|b| at_path(b, path))
                .and_then(Value::as_str)
                .map_or_else(|| fallback.clone(), str::to_string),
        }
    }

    fn to_arg(&self, s: String) -> Arg {
        match self.provenance.get(&s) {
            Some((step, path)) => Arg::Ref {
                step: *step,
                path: path.clone(),
                fallback: s,
            },
            None => Arg::Lit(s),
        }
    }

    /// Turns a generated step into one whose created-object values are references.
    fn step_from(&self, id: u32, g: Generated) -> Step {
        let kind = match g {
            Generated::Advance(s) => StepKind::Advance(s),
            Generated::Call {
                caller,
                action,
                params,
            } => StepKind::Call {
                caller: self.to_arg(caller),
                action,
                params: params
                    .into_iter()
                    .map(|(k, v)| {
                        let s = match v {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, self.to_arg(s))
                    })
                    .collect(),
            },
        };
        Step { id, kind }
    }

    fn run(&mut self, step: &Step) -> Ran {
        let audit_before = self.gw.state.audit.len();
        match &step.kind {
            StepKind::Advance(secs) => {
                let to = self.gw.state.world.now().plus(*secs);
                self.gw.advance_clock(to);
                Ran {
                    caller: None,
                    request_id: None,
                    audit_before,
                    changed: true,
                    action: None,
                    result: None,
                    explanation: None,
                    sent: None,
                }
            }
            StepKind::Traffic(t) => {
                let out = t.send(&mut self.gw.state.world);
                Ran {
                    caller: None,
                    request_id: None,
                    audit_before,
                    changed: out.is_ok(),
                    action: None,
                    result: None,
                    explanation: None,
                    sent: Some(traffic_move::Sent::of(t, &out)),
                }
            }
            StepKind::Call {
                caller,
                action,
                params,
            } => {
                let who = self.resolve(caller);
                let params: Map<String, Value> = params
                    .iter()
                    .map(|(k, a)| (k.clone(), Value::String(self.resolve(a))))
                    .collect();
                let envelope = Envelope {
                    caller: who.clone(),
                    ..Envelope::default()
                };
                let request = ApiRequest {
                    product: None,
                    action: action.clone(),
                    params,
                };
                let traces_before = self.gw.traces.as_ref().map_or(0, Vec::len);
                let result = self.gw.call(&envelope, &request);
                let explanation = self
                    .gw
                    .traces
                    .as_mut()
                    .filter(|t| t.len() > traces_before)
                    .and_then(Vec::pop);
                let changed =
                    result.is_success() && by_api(action).is_none_or(|e| e.level.is_write());
                if result.is_success() {
                    for path in created_paths(action) {
                        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
                        if let Some(Value::String(v)) = at_path(&result.body, &path) {
                            self.provenance.insert(v.clone(), (step.id, path));
                        }
                    }
                    self.responses.insert(step.id, (*result.body).clone());
                }
                Ran {
                    caller: Some(who),
                    request_id: Some(result.request_id.clone()),
                    audit_before,
                    changed,
                    action: Some(action.clone()),
                    result: Some(result),
                    explanation,
                    sent: None,
                }
            }
        }
    }
}

/// FNV-style multiply-xor over 8-byte words in four independent lanes (one lane's multiply
/// latency no longer waits on the previous word's), folded with `mix`: fast and
/// deterministic on every platform and build.
fn fast_hash(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    let mut lanes: [u64; 4] = [
        0xCBF2_9CE4_8422_2325,
        0x8422_2325_CBF2_9CE4,
        0x9E37_79B9_7F4A_7C15,
        0x94D0_49BB_1331_11EB,
    ];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            *lane = (*lane ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
            *lane ^= *lane >> 29;
        }
    }
    let mut h = lanes
        .iter()
        .fold(bytes.len() as u64, |acc, lane| mix(acc ^ lane));
    for b in blocks.remainder() {
        h = (h ^ u64::from(*b)).wrapping_mul(PRIME);
    }
    mix(h)
}

/// Hashes of states for the distinct-state count: the serialized world and identities (the
/// audit trail is history, not state). The encoding is bincode's: as exact as JSON (both are
/// injective on these types) without formatting numbers and escaping strings.
///
/// Identities change far less often than the world, and every identity change bumps
/// `Iam::generation`: their hash is kept per generation. Call [`StateHasher::new_run`] when the
/// state is replaced by another one whose generations mean something else.
struct StateHasher {
    buf: Vec<u8>,
    iam: Option<(u64, u64)>,
}

impl StateHasher {
    fn new() -> Self {
        StateHasher {
            buf: Vec::new(),
            iam: None,
        }
    }

    /// Forgets the cached identity hash (a new run starts from the initial state).
    fn new_run(&mut self) {
        self.iam = None;
    }

    fn hash(&mut self, state: &SimState) -> u64 {
        let generation = state.iam.generation;
        let iam = match self.iam {
            Some((g, h)) if g == generation => h,
            _ => {
                let h = self.encode_and_hash(&state.iam);
                self.iam = Some((generation, h));
                h
            }
        };
        mix(self.encode_and_hash(&state.world) ^ iam.rotate_left(17))
    }

    fn encode_and_hash<T: serde::Serialize>(&mut self, value: &T) -> u64 {
        self.buf.clear();
        let _ = bincode::serialize_into(&mut self.buf, value);
        fast_hash(&self.buf)
    }
}

/// A search over one world.
pub struct Checker {
    initial: SimState,
    monitors: Vec<Monitor>,
    config: CheckConfig,
    generator: Generator,
    /// Some invariant reads fees or alerts: steps may send traffic.
    traffic: bool,
}

impl Checker {
    /// A checker of `invariants` on runs from `initial`.
    pub fn new(initial: SimState, invariants: Vec<Invariant>, config: CheckConfig) -> Checker {
        // The probes of the initial world are computed once, for the generator and the
        // escalation monitor alike.
        // The escalation monitor publishes its rows for the generator's permitted APIs.
        let probes = invariant::escalation::probe_table(&initial);
        let board = invariant::rows::RowBoard::default();
        let traffic = traffic_move::reads_traffic(&invariants);
        let monitors = invariants
            .into_iter()
            .map(|i| Monitor::with_probes(Arc::new(i), &initial, &probes, &board))
            .collect();
        let mut generator =
            Generator::with_probes(&initial, &config.actions, &config.principals, probes, board);
        generator.cost_moves = traffic;
        Checker {
            initial,
            monitors,
            config,
            generator,
            traffic,
        }
    }

    /// Runs the search. An `Err` is an invariant that cannot be evaluated (a type mismatch
    /// met at run time, say): a usage error.
    pub fn run(&mut self) -> Result<CheckReport, String> {
        self.run_with_progress(&mut |_| {})
    }

    /// [`Checker::run`], calling `progress` after every step and every shrinking replay (the
    /// caller decides how often to show it; the search itself never reads the wall clock).
    pub fn run_with_progress(
        &mut self,
        progress: &mut dyn FnMut(CheckProgress),
    ) -> Result<CheckReport, String> {
        self.config.validate()?;
        let mut report = CheckReport {
            invariants: self
                .monitors
                .iter()
                .map(|m| m.invariant().name.clone())
                .collect(),
            config: self.config.clone(),
            runs: 0,
            steps: 0,
            distinct_states: 0,
            apis_called: BTreeSet::new(),
            apis_succeeded: BTreeSet::new(),
            api_count: self.generator.api_count(),
            advances: 0,
            flows: 0,
            violation: None,
        };
        let mut hasher = StateHasher::new();
        let mut states: HashSet<u64> = HashSet::new();
        states.insert(hasher.hash(&self.initial));
        let total = self.config.runs.saturating_mul(self.config.steps);
        let mut cache = EvalCache::new();
        // An invariant already false before any step is reported as that, with its witness,
        // rather than blamed on whichever call happens to come first.
        let before_any_step = StepInfo {
            caller: None,
            request_id: None,
            audit_before: self.initial.audit.len(),
        };
        for (k, m) in self.monitors.iter_mut().enumerate() {
            m.reset();
            let verdict = m
                .check(&self.initial, &before_any_step, &mut cache)
                .map_err(|e| format!("{}:{e}", m.invariant().name))?;
            if let Verdict::Fails(witness) = verdict {
                report.runs = 0;
                report.distinct_states = 1;
                report.violation = Some(Violation {
                    invariant: self.monitors[k].invariant().name.clone(),
                    run: 0,
                    step_in_run: 0,
                    witness,
                    steps: Vec::new(),
                    records: Vec::new(),
                    replays: 0,
                    in_initial_world: true,
                    one_minimal: true,
                });
                return Ok(report);
            }
        }
        // Every run starts from the same state: stores compiled for it are shared across runs.
        let initial_generation = self.initial.iam.policy_generation;
        let mut shared = crate::api::gateway::CompiledStores::new();
        for run in 0..self.config.runs {
            report.runs = run + 1;
            let mut rng = Rng::new(mix(self.config.seed ^ mix(run)));
            let mut exec = Exec::new(self.initial.clone(), false);
            exec.gw.adopt_compiled(&shared);
            hasher.new_run();
            self.generator.reset();
            for m in &mut self.monitors {
                m.reset();
            }
            cache.reset_stores();
            let mut focus: Option<String> = None;
            let mut steps: Vec<Step> = Vec::new();
            for i in 0..self.config.steps {
                report.steps += 1;
                progress(CheckProgress::Search {
                    steps: report.steps,
                    total,
                    run: run + 1,
                    states: states.len(),
                });
                let flow = if self.traffic {
                    traffic_move::pick(&mut rng, &exec.gw.state)
                } else {
                    None
                };
                let step = match flow {
                    Some(t) => Step {
                        id: i as u32,
                        kind: StepKind::Traffic(t),
                    },
                    None => {
                        let g = self
                            .generator
                            .next(&mut rng, &exec.gw.state, focus.as_deref());
                        exec.step_from(i as u32, g)
                    }
                };
                let ran = exec.run(&step);
                match (&ran.action, &ran.result, &step.kind) {
                    (Some(a), Some(r), _) => {
                        report.apis_called.insert(a.clone());
                        if r.is_success() {
                            report.apis_succeeded.insert(a.clone());
                            focus = ran.caller.clone();
                        }
                    }
                    (_, _, StepKind::Traffic(_)) => report.flows += 1,
                    _ => report.advances += 1,
                }
                steps.push(step);
                if ran.changed && states.len() < MAX_TRACKED_STATES {
                    states.insert(hasher.hash(&exec.gw.state));
                }
                let info = StepInfo {
                    caller: ran.caller.as_deref(),
                    request_id: ran.request_id.as_deref(),
                    audit_before: ran.audit_before,
                };
                for (k, m) in self.monitors.iter_mut().enumerate() {
                    let verdict = m
                        .check(&exec.gw.state, &info, &mut cache)
                        .map_err(|e| format!("{}:{e}", m.invariant().name))?;
                    if let Verdict::Fails(_) = verdict {
                        report.distinct_states = states.len();
                        let step_in_run = steps.len();
                        let shrunk = shrink::shrink(self, steps, k, progress)?;
                        let (records, witness) = self.record(&shrunk.steps, k)?;
                        report.violation = Some(Violation {
                            invariant: self.monitors[k].invariant().name.clone(),
                            run,
                            step_in_run,
                            witness,
                            steps: shrunk.steps,
                            records,
                            replays: shrunk.replays,
                            in_initial_world: false,
                            one_minimal: shrunk.one_minimal,
                        });
                        return Ok(report);
                    }
                }
            }
            // Keep stores of callers that exist in the initial state (a user created during a
            // run gets a counter-assigned id that another run need not repeat).
            for (caller, entry) in exec.gw.compiled_at(initial_generation) {
                let initial_caller = match &caller {
                    crate::iam::Caller::User { account, name } => self
                        .initial
                        .iam
                        .accounts
                        .get(account)
                        .is_some_and(|a| a.users.contains_key(name)),
                    _ => true,
                };
                if initial_caller {
                    shared.entry(caller).or_insert(entry);
                }
            }
        }
        report.distinct_states = states.len();
        Ok(report)
    }

    /// Replays `steps` from the initial world: does invariant `k` fail after some step?
    /// (What shrinking asks of every candidate; public so tests can check 1-minimality.)
    pub fn replay_violates(&mut self, steps: &[Step], k: usize) -> Result<bool, String> {
        Ok(self.violates(steps, k)?.is_some())
    }

    /// Replays `steps` from the initial world: the witness of invariant `k`'s first failure,
    /// if some step makes it fail.
    pub fn replay_witness(
        &mut self,
        steps: &[Step],
        k: usize,
    ) -> Result<Option<Vec<String>>, String> {
        Ok(self.violates(steps, k)?.map(|(_, w)| w))
    }

    /// Replays `steps` checking invariant `k` only; the index and witness of the first
    /// failing step.
    fn violates(
        &mut self,
        steps: &[Step],
        k: usize,
    ) -> Result<Option<(usize, Vec<String>)>, String> {
        let mut exec = Exec::new(self.initial.clone(), false);
        let mut cache = EvalCache::new();
        let m = &mut self.monitors[k];
        m.reset();
        for (i, step) in steps.iter().enumerate() {
            let ran = exec.run(step);
            let info = StepInfo {
                caller: ran.caller.as_deref(),
                request_id: ran.request_id.as_deref(),
                audit_before: ran.audit_before,
            };
            if let Verdict::Fails(w) = m
                .check(&exec.gw.state, &info, &mut cache)
                .map_err(|e| format!("{}:{e}", m.invariant().name))?
            {
                return Ok(Some((i, w)));
            }
        }
        Ok(None)
    }

    /// The final replay: what each step did, with explanations, and the witness.
    fn record(
        &mut self,
        steps: &[Step],
        k: usize,
    ) -> Result<(Vec<StepRecord>, Vec<String>), String> {
        let mut exec = Exec::new(self.initial.clone(), true);
        let mut cache = EvalCache::new();
        let m = &mut self.monitors[k];
        m.reset();
        let mut records = Vec::new();
        let mut witness = Vec::new();
        for step in steps {
            let ran = exec.run(step);
            let info = StepInfo {
                caller: ran.caller.as_deref(),
                request_id: ran.request_id.as_deref(),
                audit_before: ran.audit_before,
            };
            let verdict = m
                .check(&exec.gw.state, &info, &mut cache)
                .map_err(|e| format!("{}:{e}", m.invariant().name))?;
            records.push(report::record_of(step, &ran_view(&ran), &exec));
            if let Verdict::Fails(w) = verdict {
                witness = w;
                break;
            }
        }
        Ok((records, witness))
    }
}

/// The parts of a run step the report needs.
pub(crate) struct RanView<'a> {
    pub(crate) caller: Option<&'a str>,
    pub(crate) action: Option<&'a str>,
    pub(crate) result: Option<&'a CallResult>,
    pub(crate) explanation: Option<&'a Explanation>,
    pub(crate) sent: Option<&'a traffic_move::Sent>,
}

fn ran_view(r: &Ran) -> RanView<'_> {
    RanView {
        caller: r.caller.as_deref(),
        action: r.action.as_deref(),
        result: r.result.as_ref(),
        explanation: r.explanation.as_ref(),
        sent: r.sent.as_ref(),
    }
}
