//! `ramsim diff OLD NEW`: what changes if we roll the new version out? Exit code 1 when any
//! access is granted (the CI gate), 0 otherwise, 2 for usage errors.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::analysis::render as analysis_render;
use crate::analysis::world::world_flows;
use crate::analysis::{self, ChangeKind, ExactDiff, Flow, Options as AnalysisOptions, PolicyInput};
use crate::diff::{
    diff_replay_only, diff_with_progress, render, replay, DiffInput, DiffKind, Version,
};
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
    /// Resource policy of a resource of the harness account; the caller (any principal, of any
    /// account) has no identity policy, so the resource policy decides.
    Resource,
    /// Trust policy of a role (`sts:AssumeRole` on it); the caller's identity policies allow
    /// everything, so the trust policy decides who may assume the role.
    Trust,
    /// Identity policies attached at resource-group scope (`--resource-group`): they apply to
    /// the resources in that group only.
    ResourceGroup,
}

impl DiffKindArg {
    /// The sampling/replay diff's kind (identity, control and session only).
    fn sampling(self) -> Option<DiffKind> {
        match self {
            DiffKindArg::Identity => Some(DiffKind::Identity),
            DiffKindArg::Control => Some(DiffKind::Control),
            DiffKindArg::Session => Some(DiffKind::Session),
            _ => None,
        }
    }

    /// `identity`, `resource`, `trust`, `resource-group`, ...
    fn name(self) -> &'static str {
        match self {
            DiffKindArg::Identity => "identity",
            DiffKindArg::Control => "control",
            DiffKindArg::Session => "session",
            DiffKindArg::Resource => "resource",
            DiffKindArg::Trust => "trust",
            DiffKindArg::ResourceGroup => "resource-group",
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
    /// The version in force (a file, or a directory whose `*.json` files form an identity
    /// policy set).
    pub old: String,
    /// The proposed version (a file or a directory, as OLD).
    pub new: String,
    /// Which stage the documents are placed at.
    #[arg(long, value_enum, default_value = "identity")]
    pub kind: DiffKindArg,
    /// State file or world file: reconstructs replayed audit events (and, with `--sampled`,
    /// adds its resources to the generated requests).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// With `--kind control`: compare the control-policy change over the identity policies of
    /// every principal of this world (state or world file) instead of an allow-all identity.
    #[arg(long, value_name = "WORLD")]
    pub world: Option<PathBuf>,
    /// Recorded requests to replay: `ramsim log --format json` output or `eval --requests` lines.
    #[arg(long, value_name = "LOG.jsonl")]
    pub requests: Option<String>,
    /// Every condition key may be present or absent for every action (default: modeled APIs
    /// carry only the global keys and the keys their product injects).
    #[arg(long)]
    pub any_keys: bool,
    /// Also compare the old sampled request space (a test set; the exact section covers it).
    #[arg(long)]
    pub sampled: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
    /// Automaton states one emptiness check of the exact analysis may visit; past it the
    /// answer is INCOMPLETE and the exit code fails closed (1).
    #[arg(long, default_value_t = crate::analysis::MEMBER_STATES)]
    pub state_budget: usize,
    /// With `--kind resource-group`: the resource group the documents are attached for.
    #[arg(long, value_name = "RG-ID", default_value = "rg-analysis")]
    pub resource_group: String,
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

fn input(loaded: &crate::policy::file::LoadedPolicy) -> PolicyInput {
    PolicyInput::new(
        &loaded.name(),
        Some(&loaded.file),
        Some(&loaded.text),
        loaded.policy.clone(),
    )
}

fn harness(
    kind: DiffKind,
    label: &str,
    doc: PolicyInput,
    identity: Option<Vec<PolicyInput>>,
) -> Flow {
    match kind {
        DiffKind::Identity => Flow::identity(label, vec![doc]),
        DiffKind::Control => Flow::control(label, doc, identity),
        DiffKind::Session => Flow::session(label, doc),
    }
}

/// The policy files of a set: the `*.json` files of a directory (sorted by name), or the file.
fn set_files(path: &str) -> Result<Vec<String>, String> {
    let p = std::path::Path::new(path);
    if !p.is_dir() {
        return Ok(vec![path.to_string()]);
    }
    let mut files: Vec<String> = std::fs::read_dir(p)
        .map_err(|e| format!("{path}: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "json"))
        .map(|f| f.display().to_string())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{path}: a directory with no *.json policy file"));
    }
    Ok(files)
}

/// `ramsim diff OLD-DIR NEW-DIR`: two identity policy sets (every `*.json` of each directory
/// attached to one RAM user), exact section only.
fn run_sets(args: &DiffArgs, options: AnalysisOptions) -> Result<u8, String> {
    if !matches!(
        args.kind,
        DiffKindArg::Identity | DiffKindArg::ResourceGroup
    ) || args.world.is_some()
        || args.requests.is_some()
        || args.sampled
        || args.state.is_some()
    {
        return Err("a directory of policies (a policy set) is compared with --kind identity or resource-group only, without --world, --requests, --sampled or --state".into());
    }
    let read = |path: &str| -> Result<Vec<PolicyInput>, String> {
        set_files(path)?
            .iter()
            .map(|f| {
                load_policy(
                    f,
                    crate::policy::PolicyKind::Identity,
                    &ReadOptions::default(),
                )
                .map(|l| input(&l))
            })
            .collect()
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let (n_old, n_new) = (old.len(), new.len());
    let (fo, fnew, what) = if args.kind == DiffKindArg::ResourceGroup {
        (
            Flow::resource_group("old", &args.resource_group, old),
            Flow::resource_group("new", &args.resource_group, new),
            format!(
                "identity policy sets of {n_old} and {n_new} documents attached for resource group {}",
                args.resource_group
            ),
        )
    } else {
        (
            Flow::identity("old", old),
            Flow::identity("new", new),
            format!("identity policy sets of {n_old} and {n_new} documents"),
        )
    };
    run_exact(args, options, fo, fnew, &what)
}

/// The exact section only (policy sets, resource, trust and resource-group kinds).
fn run_exact(
    args: &DiffArgs,
    options: AnalysisOptions,
    old: Flow,
    new: Flow,
    what: &str,
) -> Result<u8, String> {
    let d = analysis::diff(old, new, options);
    let granted = d.count(ChangeKind::Granted) > 0;
    let incomplete = !d.stats.complete;
    let out = match args.format {
        DiffFormat::Human => {
            let mut out = format!(
                "diff {} -> {} ({what})\nexact analysis (every request):\n",
                args.old, args.new
            );
            out.push_str(&analysis_render::diff_human(&d));
            if incomplete {
                out.push_str(analysis_render::INCOMPLETE_NOTE);
                out.push('\n');
            }
            out
        }
        DiffFormat::Json => {
            let mut v = serde_json::json!({
                "old": args.old,
                "new": args.new,
                "kind": args.kind.name(),
                "exact": [analysis_render::diff_json(&d)],
                "replayed": null,
                "granted": granted,
            });
            if incomplete {
                if let Some(o) = v.as_object_mut() {
                    o.insert("incomplete".into(), true.into());
                }
            }
            format!(
                "{}\n",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            )
        }
        DiffFormat::Sarif => {
            let mut findings = analysis_render::diff_findings(&d, &args.new);
            if incomplete {
                findings.push(analysis_render::incomplete_finding(&args.new));
            }
            let log = crate::report::sarif::render(
                crate::report::Tool::ramsim(),
                &analysis_render::DIFF_RULES,
                &findings,
            );
            format!(
                "{}\n",
                serde_json::to_string_pretty(&log).map_err(|e| e.to_string())?
            )
        }
    };
    write_stdout(&out);
    Ok(if granted || incomplete {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

fn run_inner(args: &DiffArgs) -> Result<u8, String> {
    let options = ReadOptions::default();
    let analysis_options = AnalysisOptions {
        any_keys: args.any_keys,
        state_budget: args.state_budget.max(1),
        ..AnalysisOptions::default()
    };
    let Some(kind) = args.kind.sampling() else {
        if args.world.is_some() || args.requests.is_some() || args.sampled || args.state.is_some() {
            return Err(format!(
                "--kind {} is compared by the exact analysis only: --world, --requests, --sampled and --state go with --kind identity, control or session",
                args.kind.name()
            ));
        }
        if args.kind == DiffKindArg::ResourceGroup {
            return run_sets(args, analysis_options);
        }
        let pk = if args.kind == DiffKindArg::Trust {
            crate::policy::PolicyKind::Trust
        } else {
            crate::policy::PolicyKind::Resource
        };
        let (o, n) = (
            input(&load_policy(&args.old, pk, &options)?),
            input(&load_policy(&args.new, pk, &options)?),
        );
        let (fo, fnew, what) = if args.kind == DiffKindArg::Trust {
            (
                Flow::trust("old", o),
                Flow::trust("new", n),
                format!(
                    "trust policy of {}: who may assume the role",
                    analysis::TRUST_ROLE_ARN
                ),
            )
        } else {
            (
                Flow::resource("old", o),
                Flow::resource("new", n),
                format!(
                    "resource policy of a resource of account {}: every caller",
                    analysis::HARNESS_ACCOUNT
                ),
            )
        };
        return run_exact(args, analysis_options, fo, fnew, &what);
    };
    if std::path::Path::new(&args.old).is_dir() || std::path::Path::new(&args.new).is_dir() {
        return run_sets(
            args,
            AnalysisOptions {
                any_keys: args.any_keys,
                state_budget: args.state_budget.max(1),
                ..AnalysisOptions::default()
            },
        );
    }
    let old_loaded = load_policy(&args.old, kind.policy_kind(), &options)?;
    let new_loaded = load_policy(&args.new, kind.policy_kind(), &options)?;
    if args.world.is_some() && kind != DiffKind::Control {
        return Err(
            "--world needs --kind control (a guardrail matters through what it stops)".into(),
        );
    }
    // Exact analysis: one harness, or one per distinct identity set of the world.
    let mut exact: Vec<(Vec<String>, ExactDiff)> = Vec::new();
    match &args.world {
        Some(w) => {
            let world = load_state(w)?;
            let flows = world_flows(&world, None);
            if flows.is_empty() {
                return Err(format!(
                    "{}: the world has no RAM users or roles",
                    w.display()
                ));
            }
            for wf in flows {
                let old = harness(kind, "old", input(&old_loaded), Some(wf.identity.clone()));
                let new = harness(kind, "new", input(&new_loaded), Some(wf.identity.clone()));
                exact.push((wf.principals, analysis::diff(old, new, analysis_options)));
            }
        }
        None => {
            let old = harness(kind, "old", input(&old_loaded), None);
            let new = harness(kind, "new", input(&new_loaded), None);
            exact.push((Vec::new(), analysis::diff(old, new, analysis_options)));
        }
    }
    let old = Version::new(old_loaded, kind);
    let new = Version::new(new_loaded, kind);
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
    let diff_input = DiffInput {
        old: &old,
        new: &new,
        kind,
        state: state.as_ref(),
        replay: &probes,
        skipped,
    };
    let replayed = if args.sampled {
        let mut progress: Option<super::progress::Progress> = None;
        let r = diff_with_progress(diff_input, &mut |done, total| {
            let bar =
                progress.get_or_insert_with(|| super::progress::Progress::new(total, "actions"));
            if done > 0 {
                bar.tick("");
            }
        });
        if let Some(bar) = progress {
            bar.finish();
        }
        Some(r)
    } else if args.requests.is_some() {
        Some(diff_replay_only(diff_input))
    } else {
        None
    };
    let granted = exact.iter().any(|(_, d)| d.count(ChangeKind::Granted) > 0)
        || replayed.as_ref().is_some_and(|r| !r.granted.is_empty());
    // A budget overrun means a region may be missing: never "no new access" then.
    let incomplete = exact.iter().any(|(_, d)| !d.stats.complete);
    let out = match args.format {
        DiffFormat::Human => {
            let mut out = format!(
                "diff {} -> {} ({} policy)\n",
                old.file,
                new.file,
                kind.name()
            );
            for (principals, d) in &exact {
                if principals.is_empty() {
                    out.push_str("exact analysis (every request):\n");
                } else {
                    out.push_str(&format!(
                        "\nexact analysis (every request) for {}:\n",
                        principals.join(", ")
                    ));
                }
                out.push_str(&analysis_render::diff_human(d));
            }
            if incomplete {
                out.push_str(analysis_render::INCOMPLETE_NOTE);
                out.push('\n');
            }
            if let Some(r) = &replayed {
                let title = if args.sampled {
                    "replayed and sampled requests"
                } else {
                    "replayed requests"
                };
                out.push_str(&format!("\n{title}:\n"));
                let text = render::human(r);
                out.push_str(text.split_once('\n').map_or("", |(_, rest)| rest));
            }
            out
        }
        DiffFormat::Json => {
            let exact_json: Vec<serde_json::Value> = exact
                .iter()
                .map(|(p, d)| {
                    let mut v = analysis_render::diff_json(d);
                    if let Some(o) = v.as_object_mut() {
                        if !p.is_empty() {
                            o.insert("principals".into(), serde_json::json!(p));
                        }
                    }
                    v
                })
                .collect();
            let replay_json = replayed.as_ref().map(|r| {
                serde_json::from_str::<serde_json::Value>(&render::json(r)).unwrap_or_default()
            });
            let mut v = serde_json::json!({
                "old": old.file,
                "new": new.file,
                "kind": kind.name(),
                "exact": exact_json,
                "replayed": replay_json,
                "granted": granted,
            });
            if incomplete {
                if let Some(o) = v.as_object_mut() {
                    o.insert("incomplete".into(), true.into());
                }
            }
            format!(
                "{}\n",
                serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
            )
        }
        DiffFormat::Sarif => {
            let mut findings = Vec::new();
            for (_, d) in &exact {
                let log = analysis_render::diff_findings(d, &new.file);
                findings.extend(log);
            }
            if let Some(r) = &replayed {
                findings.extend(render::sarif_findings(r, &old, &new));
            }
            if incomplete {
                findings.push(analysis_render::incomplete_finding(&new.file));
            }
            let log = crate::report::sarif::render(
                crate::report::Tool::ramsim(),
                &analysis_render::DIFF_RULES,
                &findings,
            );
            format!(
                "{}\n",
                serde_json::to_string_pretty(&log).map_err(|e| e.to_string())?
            )
        }
    };
    write_stdout(&out);
    Ok(if granted || incomplete {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
