//! `ramsim check`: hunt for a call sequence that breaks an invariant (see [`crate::check`]).

use super::progress::Progress;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::api::state::write_atomically;
use crate::api::SimState;
use crate::check::invariant::Invariant;
use crate::check::report::{relative_path, render_human, scenario_json};
use crate::check::{CheckConfig, CheckProgress, Checker, DEFAULT_RUNS, DEFAULT_STEPS};
use crate::input::FileRefs;
use crate::scenario::{run_file_with, CoverageCollector};
use clap::Args;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Arguments of `ramsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The world file runs start from.
    #[arg(long)]
    pub world: PathBuf,
    /// An invariant: a file holding one expression, an expression, or `builtin:NAME`
    /// (no-privilege-escalation, peering-within-directory, routes-point-to-live-peerings,
    /// audit-complete). Repeatable.
    #[arg(
        long = "invariant",
        required = true,
        value_name = "FILE|EXPR|builtin:NAME"
    )]
    pub invariants: Vec<String>,
    /// Number of runs, each from the initial world.
    #[arg(long, default_value_t = DEFAULT_RUNS)]
    pub runs: u64,
    /// Steps per run.
    #[arg(long, default_value_t = DEFAULT_STEPS)]
    pub steps: u64,
    /// Seed of the random generator; the same seed replays the same runs exactly.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Callers to draw from: comma-separated patterns over `name@ALIAS`, `root@ALIAS`,
    /// `role/NAME@ALIAS` (`*`/`?` wildcards; a leading `!` excludes). Default: everyone.
    #[arg(long, value_name = "LIST")]
    pub principals: Vec<String>,
    /// APIs to call: comma-separated patterns over RAM actions (`vpc:*Peer*`) or API names.
    #[arg(long, value_name = "PATTERN")]
    pub actions: Vec<String>,
    /// Where to write the violating sequence as a scenario (default
    /// `<world-name>.violation.test.json` in the current directory).
    #[arg(long, value_name = "FILE.test.json")]
    pub out: Option<PathBuf>,
    /// Let file references in world and scenario files point outside the directory of the
    /// file named here and the working directory.
    #[arg(long)]
    pub allow_outside: bool,
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@,=+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command line that replays this search.
fn replay_command(args: &CheckArgs) -> String {
    let mut parts = vec![
        "ramsim check --world".to_string(),
        quote(&args.world.display().to_string()),
    ];
    for i in &args.invariants {
        parts.push(format!("--invariant {}", quote(i)));
    }
    parts.push(format!(
        "--runs {} --steps {} --seed {}",
        args.runs, args.steps, args.seed
    ));
    for p in &args.principals {
        parts.push(format!("--principals {}", quote(p)));
    }
    for a in &args.actions {
        parts.push(format!("--actions {}", quote(a)));
    }
    parts.join(" ")
}

/// Progress of a search on stderr. On a terminal: a bar, redrawn at least every second while
/// the search runs (also while one step or a shrinking replay takes long), hidden for searches
/// that finish within a second. Otherwise (a log file): a line every tenth of the budget for
/// searches of 20,000 steps or more, counted in steps so the lines are deterministic.
struct ProgressDisplay {
    bar: Option<Progress>,
    every: u64,
}

impl ProgressDisplay {
    fn new(total: u64) -> ProgressDisplay {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            ProgressDisplay {
                bar: Some(Progress::steady(total, "steps")),
                every: u64::MAX,
            }
        } else {
            ProgressDisplay {
                bar: None,
                every: if total >= 20_000 {
                    (total / 10).max(1)
                } else {
                    u64::MAX
                },
            }
        }
    }

    fn update(&mut self, p: CheckProgress) {
        match (p, &self.bar) {
            (
                CheckProgress::Search {
                    steps, run, states, ..
                },
                Some(bar),
            ) => bar.set(steps, || format!("run {run}, {states} distinct states")),
            (CheckProgress::Shrink { replays }, Some(bar)) => {
                bar.set_message(format!("violation found; shrinking ({replays} replays)"));
            }
            (
                CheckProgress::Search {
                    steps,
                    total,
                    run,
                    states,
                },
                None,
            ) if steps % self.every == 0 => eprintln!(
                "ramsim check: {steps}/{total} steps (run {run}), {states} distinct states, no violation yet"
            ),
            _ => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// Runs `ramsim check`.
pub fn run(args: &CheckArgs) -> u8 {
    let refs = FileRefs::for_command_line(&args.world, args.allow_outside);
    let state = match SimState::from_world_file_with(&args.world, &refs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let mut invariants = Vec::new();
    for arg in &args.invariants {
        match Invariant::from_arg(arg) {
            Ok(i) => invariants.push(i),
            Err(e) => {
                eprintln!("error: invariant {e}");
                return EXIT_USAGE;
            }
        }
    }
    let config = CheckConfig {
        runs: args.runs,
        steps: args.steps,
        seed: args.seed,
        principals: args.principals.clone(),
        actions: args.actions.clone(),
        progress: true,
    };
    if let Err(e) = config.validate() {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let mut checker = Checker::new(state, invariants, config);
    let mut display = ProgressDisplay::new(args.runs.saturating_mul(args.steps));
    let result = checker.run_with_progress(&mut |p| display.update(p));
    display.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: invariant {e}");
            return EXIT_USAGE;
        }
    };
    let replay = replay_command(args);
    let Some(v) = &report.violation else {
        print!("{}", render_human(&report, &replay, None));
        return EXIT_OK;
    };
    if v.in_initial_world {
        // Nothing to replay: the world file is the counterexample.
        print!("{}", render_human(&report, &replay, None));
        return EXIT_FINDINGS;
    }
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .world
            .file_stem()
            .map_or_else(|| "world".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!("{stem}.violation.test.json"))
    });
    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let world_ref = relative_path(out_dir, &args.world);
    let scenario = scenario_json(&report, v, Value::String(world_ref.display().to_string()));
    let written = serde_json::to_string_pretty(&scenario)
        .map_err(|e| e.to_string())
        .and_then(|text| write_atomically(&out, format!("{text}\n").as_bytes()));
    let shown = out.display().to_string();
    match written {
        Ok(()) => {
            // The scenario names the world the search ran on: its references are the world's.
            let replay_refs = if args.allow_outside {
                FileRefs::anywhere()
            } else {
                let world_dir = args.world.parent().unwrap_or(Path::new("."));
                FileRefs::confined_to(&[world_dir, Path::new("."), out_dir])
            };
            let results = run_file_with(
                &out,
                &|_| true,
                &mut CoverageCollector::default(),
                &replay_refs,
            );
            let failed = results.iter().filter(|r| !r.passed).count();
            if failed > 0 {
                eprintln!(
                    "warning: {shown}: {failed} of {} steps do not replay as recorded",
                    results.len()
                );
            }
            print!("{}", render_human(&report, &replay, Some(&shown)));
        }
        Err(e) => {
            print!("{}", render_human(&report, &replay, None));
            eprintln!("error: cannot write the scenario: {e}");
        }
    }
    EXIT_FINDINGS
}
