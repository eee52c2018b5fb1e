//! `ramsim diff OLD NEW`: what changes if we roll the new version out? Exit code 1 when any
//! access is granted (the CI gate), 0 otherwise, 2 for usage errors.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::diff::{diff_with_progress, render, replay, DiffInput, DiffKind, Version};
use crate::input::{read_text, InputKind};
use crate::policy::file::load_policy;
use crate::policy::ReadOptions;
use crate::simulate::load_state;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// `--kind` of `ramsim diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffKindArg {
    /// Identity policy: the harness store holds only the document.
    Identity,
    /// Control policy at the member node next to FullAliyunAccess; identity allows everything.
    Control,
    /// Session policy; identity allows everything.
    Session,
}

impl From<DiffKindArg> for DiffKind {
    fn from(k: DiffKindArg) -> DiffKind {
        match k {
            DiffKindArg::Identity => DiffKind::Identity,
            DiffKindArg::Control => DiffKind::Control,
            DiffKindArg::Session => DiffKind::Session,
        }
    }
}

/// Output format of `ramsim diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Terminal text.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Arguments of `ramsim diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The version in force.
    pub old: String,
    /// The proposed version.
    pub new: String,
    /// Which stage the documents are placed at.
    #[arg(long, value_enum, default_value = "identity")]
    pub kind: DiffKindArg,
    /// State file or world file: its resources, clock and RD paths join the request space, and
    /// it helps reconstruct replayed audit events.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Recorded requests to replay: `ramsim log --format json` output or `eval --requests` lines.
    #[arg(long, value_name = "LOG.jsonl")]
    pub requests: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
}

/// Runs `ramsim diff`.
pub fn run(args: &DiffArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

fn run_inner(args: &DiffArgs) -> Result<u8, String> {
    let kind: DiffKind = args.kind.into();
    let options = ReadOptions::default();
    let old = Version::new(load_policy(&args.old, kind.policy_kind(), &options)?, kind);
    let new = Version::new(load_policy(&args.new, kind.policy_kind(), &options)?, kind);
    let state = match &args.state {
        Some(p) => Some(load_state(p)?),
        None => None,
    };
    let (probes, skipped) = match &args.requests {
        Some(file) => {
            let text = read_text(std::path::Path::new(file), InputKind::RequestLog)?;
            replay::read_requests(&text, file, state.as_ref(), kind)
        }
        None => (Vec::new(), Vec::new()),
    };
    for s in &skipped {
        eprintln!("warning: skipped {s}");
    }
    let mut progress: Option<super::progress::Progress> = None;
    let report = diff_with_progress(
        DiffInput {
            old: &old,
            new: &new,
            kind,
            state: state.as_ref(),
            replay: &probes,
            skipped,
        },
        &mut |done, total| {
            let bar =
                progress.get_or_insert_with(|| super::progress::Progress::new(total, "actions"));
            if done > 0 {
                bar.tick("");
            }
        },
    );
    if let Some(bar) = progress {
        bar.finish();
    }
    let out = match args.format {
        DiffFormat::Human => render::human(&report),
        DiffFormat::Json => format!("{}\n", render::json(&report)),
        DiffFormat::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&render::sarif_log(&report, &old, &new))
                .map_err(|e| e.to_string())?
        ),
    };
    write_stdout(&out);
    Ok(if report.granted.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
