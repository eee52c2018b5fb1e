//! `ramsim check`: hunt for a call sequence that breaks an invariant (see [`crate::check`]).

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::api::state::write_atomically;
use crate::api::SimState;
use crate::check::invariant::Invariant;
use crate::check::report::{relative_path, render_human, scenario_json};
use crate::check::{CheckConfig, Checker, DEFAULT_RUNS, DEFAULT_STEPS};
use crate::scenario::{run_file, CoverageCollector};
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

/// Runs `ramsim check`.
pub fn run(args: &CheckArgs) -> u8 {
    let state = match SimState::from_world_file(&args.world) {
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
    if args.runs == 0 || args.steps == 0 {
        eprintln!("error: --runs and --steps must be at least 1");
        return EXIT_USAGE;
    }
    let config = CheckConfig {
        runs: args.runs,
        steps: args.steps,
        seed: args.seed,
        principals: args.principals.clone(),
        actions: args.actions.clone(),
        progress: true,
    };
    let mut checker = Checker::new(state, invariants, config);
    let report = match checker.run() {
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
            let results = run_file(&out, &|_| true, &mut CoverageCollector::default());
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
