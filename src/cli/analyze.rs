//! `ramsim analyze`: exact questions about policies — `equivalent`, `implies`, `can`,
//! `vacuous`, `redundant` — answered over every request, with a witness or a proof of none.
//! Exit code 0 when the answer is "yes" (`equivalent`, `implies`, `can`) or nothing was found
//! (`vacuous`, `redundant`), 1 otherwise, 2 for usage errors.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::analysis::render::{located, region_human, region_text, stats_text};
use crate::analysis::world::world_flows;
use crate::analysis::{Analysis, Flow, Options, PolicyInput, Region, Stage, StageKind, Stats};
use crate::authz::Outcome;
use crate::policy::file::load_policy;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use crate::report::{sarif, Finding as ReportFinding, Level, RuleInfo, Tool};
use crate::simulate::load_state;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// Terminal text.
    Human,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Stage documents are placed at for `equivalent` / `implies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeKind {
    /// The documents are the identity policies.
    Identity,
    /// Control policy at a member node next to FullAliyunAccess; identity allows everything.
    Control,
    /// Session policy; identity allows everything.
    Session,
    /// Resource policy of a resource of the harness account; the caller is a request dimension.
    Resource,
    /// Trust policy of a role (`sts:AssumeRole` on it); the caller is a request dimension.
    Trust,
}

/// Arguments of `ramsim analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The question.
    #[command(subcommand)]
    pub question: Question,
    /// Output format.
    #[arg(long, value_enum, default_value = "human", global = true)]
    pub format: AnalyzeFormat,
    /// Every condition key may be present or absent for every action.
    #[arg(long, global = true)]
    pub any_keys: bool,
    /// Regions listed at most (0: all).
    #[arg(long, default_value = "20", global = true)]
    pub max_regions: usize,
    /// Automaton states one emptiness check may visit; past it the answer is INCOMPLETE (never
    /// a proof).
    #[arg(long, default_value_t = crate::analysis::MEMBER_STATES, global = true)]
    pub state_budget: usize,
}

/// Questions.
#[derive(Debug, Subcommand)]
pub enum Question {
    /// Do A and B decide every request alike?
    Equivalent {
        /// First policy.
        a: String,
        /// Second policy.
        b: String,
        /// Stage the documents are placed at.
        #[arg(long, value_enum, default_value = "identity")]
        kind: AnalyzeKind,
    },
    /// Does B allow everything A allows?
    Implies {
        /// The policy whose allowed requests are checked.
        a: String,
        /// The policy that must allow them too.
        b: String,
        /// Stage the documents are placed at.
        #[arg(long, value_enum, default_value = "identity")]
        kind: AnalyzeKind,
    },
    /// Is there any request context in which the principal may do ACTION (on RESOURCE)?
    Can {
        /// A principal of `--state` (`netops`, `netops@A`, `role/NAME@A`, globs like `*@A`);
        /// `-` with policy files.
        principal: String,
        /// RAM action.
        action: String,
        /// Resource ARN (default: every resource the action can be authorized against).
        resource: Option<String>,
        /// State or world file whose principals are analysed.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Identity policy files (instead of `--state`).
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<String>,
        /// Control policy files, at one member node next to FullAliyunAccess.
        #[arg(long = "control", value_name = "FILE")]
        control: Vec<String>,
        /// Session policy file.
        #[arg(long, value_name = "FILE")]
        session: Option<String>,
        /// Only requests meeting this condition block, e.g.
        /// `{"StringNotLike":{"acs:TargetRDPath":"rd-abc123/*"}}`.
        #[arg(long = "where", value_name = "CONDITION-JSON")]
        where_: Option<String>,
    },
    /// Statements that can never take effect.
    Vacuous {
        /// Policy files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Kind the files are read as.
        #[arg(long, value_enum, default_value = "identity")]
        kind: AnalyzeKind,
    },
    /// Statements whose removal changes no decision of their policy.
    Redundant {
        /// Policy files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Kind the files are read as.
        #[arg(long, value_enum, default_value = "identity")]
        kind: AnalyzeKind,
    },
}

fn policy_kind(k: AnalyzeKind) -> PolicyKind {
    match k {
        AnalyzeKind::Identity => PolicyKind::Identity,
        AnalyzeKind::Control => PolicyKind::Control,
        AnalyzeKind::Session => PolicyKind::Session,
        AnalyzeKind::Resource => PolicyKind::Resource,
        AnalyzeKind::Trust => PolicyKind::Trust,
    }
}

fn load(path: &str, kind: PolicyKind) -> Result<PolicyInput, String> {
    let l = load_policy(path, kind, &ReadOptions::default())?;
    Ok(PolicyInput::new(
        &l.name(),
        Some(&l.file),
        Some(&l.text),
        l.policy,
    ))
}

fn harness(kind: AnalyzeKind, label: &str, doc: PolicyInput) -> Flow {
    match kind {
        AnalyzeKind::Identity => Flow::identity(label, vec![doc]),
        AnalyzeKind::Control => Flow::control(label, doc, None),
        AnalyzeKind::Session => Flow::session(label, doc),
        AnalyzeKind::Resource => Flow::resource(label, doc),
        AnalyzeKind::Trust => Flow::trust(label, doc),
    }
}

/// One statement finding (vacuous / redundant).
#[derive(Debug, Clone, Serialize)]
pub struct StatementFinding {
    /// The statement.
    pub statement: crate::analysis::StatementRef,
    /// Why.
    pub reason: String,
}

/// The answer to a question.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The question in words.
    pub question: String,
    /// `true` for yes.
    pub yes: bool,
    /// The answer in words.
    pub summary: String,
    /// Labels of the decisions listed in each region.
    pub labels: Vec<String>,
    /// Counterexamples / witnesses (at most `--max-regions`).
    pub regions: Vec<Region>,
    /// Statements found (vacuous / redundant).
    pub statements: Vec<StatementFinding>,
    /// Counters.
    pub stats: Stats,
    /// A budget ran out: no proof either way (`yes` is then false for `equivalent` /
    /// `implies`, and `can` counts as possible).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

/// Marks `a` incomplete when its stats say so: a missing region may hide a counterexample (so no
/// proof of `equivalent`/`implies`) or an allowed context (so `can` may not answer no).
fn fail_closed(mut a: Answer, can: bool) -> Answer {
    if a.stats.complete || a.incomplete {
        // Complete, or already answered with what is proven (vacuous / redundant).
        return a;
    }
    a.incomplete = true;
    if can {
        if !a.yes {
            a.yes = true;
            a.summary = "unknown — INCOMPLETE: a region budget ran out before a proof; counted as possible (fail closed)".into();
        }
    } else if a.yes {
        a.yes = false;
        a.summary =
            "unknown — INCOMPLETE: a region budget ran out before a proof (fail closed)".into();
    }
    a
}

/// Rules of `analyze` in SARIF.
pub const RULES: [RuleInfo; 5] = [
    RuleInfo {
        id: "A001",
        name: "counterexample",
        description: "A request on which the policies differ as the question asks (not equivalent, implication fails).",
        level: Level::Error,
    },
    RuleInfo {
        id: "A002",
        name: "vacuous-statement",
        description: "A statement that can never take effect.",
        level: Level::Warning,
    },
    RuleInfo {
        id: "A003",
        name: "redundant-statement",
        description: "A statement whose removal changes no decision of its policy.",
        level: Level::Warning,
    },
    RuleInfo {
        id: "A004",
        name: "access-possible",
        description: "A request context in which the principal may perform the action.",
        level: Level::Note,
    },
    RuleInfo {
        id: "A005",
        name: "incomplete",
        description: "A budget ran out before the question was decided: the answer is unknown and fails closed (exit 1); what is listed besides is proven.",
        level: Level::Error,
    },
];

/// Runs `ramsim analyze`.
pub fn run(args: &AnalyzeArgs) -> u8 {
    match answer(args) {
        Ok((answers, first_file)) => {
            let can = matches!(args.question, Question::Can { .. });
            let answers: Vec<Answer> = answers.into_iter().map(|a| fail_closed(a, can)).collect();
            let out = match args.format {
                AnalyzeFormat::Human => answers.iter().map(human).collect::<String>(),
                AnalyzeFormat::Json => {
                    let v = if answers.len() == 1 {
                        serde_json::to_value(&answers[0])
                    } else {
                        serde_json::to_value(&answers)
                    };
                    format!(
                        "{}\n",
                        serde_json::to_string_pretty(&v.unwrap_or_default()).unwrap_or_default()
                    )
                }
                AnalyzeFormat::Sarif => format!(
                    "{}\n",
                    serde_json::to_string_pretty(&sarif_log(&answers, &args.question, &first_file))
                        .unwrap_or_default()
                ),
            };
            super::diff::write_stdout(&out);
            let ok = match &args.question {
                Question::Vacuous { .. } | Question::Redundant { .. } => answers
                    .iter()
                    .all(|a| a.statements.is_empty() && !a.incomplete),
                _ => answers.iter().any(|a| a.yes),
            };
            if ok {
                EXIT_OK
            } else {
                EXIT_FINDINGS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

fn human(a: &Answer) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", a.question);
    let word = match (a.incomplete, a.yes) {
        (true, _) if a.summary.starts_with("unknown") => "",
        (_, true) => "yes — ",
        (_, false) => "no — ",
    };
    let _ = writeln!(out, "answer: {word}{}", a.summary);
    let labels: Vec<&str> = a.labels.iter().map(String::as_str).collect();
    for r in &a.regions {
        out.push_str(&region_human(r, &labels));
    }
    for s in &a.statements {
        let _ = writeln!(out, "  {}: {}", s.statement.label(), s.reason);
    }
    if a.stats.action_regions > 0 {
        let _ = writeln!(out, "  ({})", stats_text(&a.stats));
    }
    out.push('\n');
    out
}

fn sarif_log(answers: &[Answer], q: &Question, fallback: &str) -> serde_json::Value {
    let mut findings: Vec<ReportFinding> = Vec::new();
    for a in answers {
        if a.incomplete {
            // A consumer of the SARIF log alone must not read "no results" as a proof.
            findings.push(located(
                None,
                fallback,
                &RULES[4],
                format!("{}: {}", a.question, a.summary),
                None,
            ));
        }
        for s in &a.statements {
            let rule = match q {
                Question::Vacuous { .. } => &RULES[1],
                _ => &RULES[2],
            };
            findings.push(located(
                Some(&s.statement),
                fallback,
                rule,
                format!("{}: {}", s.statement.label(), s.reason),
                None,
            ));
        }
        let rule = match q {
            Question::Can { .. } => &RULES[3],
            _ => &RULES[0],
        };
        for r in &a.regions {
            let at = r.decisions.iter().flat_map(|d| &d.statements).next();
            findings.push(located(
                at,
                fallback,
                rule,
                format!("{}: {}", a.question, region_text(r)),
                Some(format!(
                    "witness: {} on {} with {}",
                    r.witness.action,
                    r.witness.resource,
                    r.witness.context_text()
                )),
            ));
        }
    }
    sarif::render(Tool::ramsim(), &RULES, &findings)
}

fn answer(args: &AnalyzeArgs) -> Result<(Vec<Answer>, String), String> {
    let options = Options {
        any_keys: args.any_keys,
        state_budget: args.state_budget.max(1),
        ..Options::default()
    };
    let limit = args.max_regions;
    match &args.question {
        Question::Equivalent { a, b, kind } | Question::Implies { a, b, kind } => {
            let equivalent = matches!(args.question, Question::Equivalent { .. });
            let pa = load(a, policy_kind(*kind))?;
            let pb = load(b, policy_kind(*kind))?;
            let analysis =
                Analysis::new(vec![harness(*kind, a, pa), harness(*kind, b, pb)], options);
            let goal: &dyn Fn(&[Outcome]) -> bool = if equivalent {
                &|d| d[0] != d[1]
            } else {
                &|d| d[0] == Outcome::Allow && d[1] != Outcome::Allow
            };
            let (regions, stats) = analysis.regions(goal, None, None, limit);
            let yes = regions.is_empty();
            let (question, summary) = if equivalent {
                (
                    format!("equivalent {a} {b}"),
                    if yes {
                        "every request gets the same decision from both (proof: every region was examined)".to_string()
                    } else {
                        format!(
                            "they decide differently; counterexample region{} below",
                            if regions.len() == 1 { "" } else { "s" }
                        )
                    },
                )
            } else {
                (
                    format!("implies {a} {b}"),
                    if yes {
                        format!("every request {a} allows, {b} allows too (proof: every region was examined)")
                    } else {
                        format!(
                            "{a} allows requests {b} does not; counterexample region{} below",
                            if regions.len() == 1 { "" } else { "s" }
                        )
                    },
                )
            };
            Ok((
                vec![Answer {
                    question,
                    yes,
                    summary,
                    labels: vec![a.clone(), b.clone()],
                    regions,
                    statements: Vec::new(),
                    stats,
                    incomplete: false,
                }],
                b.clone(),
            ))
        }
        Question::Can {
            principal,
            action,
            resource,
            state,
            identity,
            control,
            session,
            where_,
        } => {
            let mut flows: Vec<(String, Flow)> = Vec::new();
            let first_file;
            match state {
                Some(path) => {
                    if !identity.is_empty() || !control.is_empty() || session.is_some() {
                        return Err("give either --state or policy files, not both".into());
                    }
                    let st = load_state(path)?;
                    for wf in world_flows(&st, Some(principal)) {
                        flows.push((wf.principals.join(", "), wf.flow));
                    }
                    if flows.is_empty() {
                        return Err(format!(
                            "{}: no RAM user or role matches `{principal}`",
                            path.display()
                        ));
                    }
                    first_file = path.display().to_string();
                }
                None => {
                    if identity.is_empty() {
                        return Err("`can` needs --state or at least one --identity file".into());
                    }
                    let mut stages = Vec::new();
                    if !control.is_empty() {
                        let mut node = Vec::new();
                        if let Some(p) = read_policy(
                            crate::authz::store_builder::FULL_ALIYUN_ACCESS,
                            PolicyKind::Control,
                            &ReadOptions::default(),
                        )
                        .policy
                        {
                            node.push(PolicyInput::new("FullAliyunAccess", None, None, p));
                        }
                        for c in control {
                            node.push(load(c, PolicyKind::Control)?);
                        }
                        stages.push(Stage {
                            kind: StageKind::Control("member".into()),
                            policies: node,
                        });
                    }
                    if let Some(s) = session {
                        stages.push(Stage {
                            kind: StageKind::Session,
                            policies: vec![load(s, PolicyKind::Session)?],
                        });
                    }
                    let ids = identity
                        .iter()
                        .map(|f| load(f, PolicyKind::Identity))
                        .collect::<Result<Vec<_>, _>>()?;
                    first_file = identity[0].clone();
                    stages.push(Stage {
                        kind: StageKind::Identity,
                        policies: ids,
                    });
                    flows.push((
                        principal.clone(),
                        Flow {
                            label: principal.clone(),
                            stages,
                        },
                    ));
                }
            }
            let where_flow = match where_ {
                Some(block) => {
                    let text = format!(
                        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{block}}}]}}"#
                    );
                    let r = read_policy(&text, PolicyKind::Identity, &ReadOptions::default());
                    match r.policy {
                        Some(p) => Some(Flow::identity(
                            "where",
                            vec![PolicyInput::new("where", None, None, p)],
                        )),
                        None => {
                            return Err(format!(
                                "--where is not a valid condition block: {}",
                                r.diagnostics
                                    .iter()
                                    .map(|d| d.message.clone())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ))
                        }
                    }
                }
                None => None,
            };
            let mut answers = Vec::new();
            for (label, flow) in flows {
                let mut fs = vec![flow];
                let mut labels = vec![label.clone()];
                if let Some(w) = &where_flow {
                    fs.push(w.clone());
                    labels.push("where".into());
                }
                let analysis = Analysis::new(fs, options);
                let (regions, stats) = analysis.regions(
                    &|d| d.iter().all(|o| *o == Outcome::Allow),
                    Some(action),
                    resource.as_deref(),
                    limit,
                );
                let yes = !regions.is_empty();
                let on = resource
                    .as_deref()
                    .map_or_else(String::new, |r| format!(" on {r}"));
                let cond = where_
                    .as_deref()
                    .map_or_else(String::new, |w| format!(" where {w}"));
                answers.push(Answer {
                    question: format!("can {label} {action}{on}{cond}?"),
                    yes,
                    summary: if yes {
                        format!(
                            "in the region{} below (each with a witness request)",
                            if regions.len() == 1 { "" } else { "s" }
                        )
                    } else {
                        "no request context allows it (proof: every region was examined)"
                            .to_string()
                    },
                    labels,
                    regions,
                    statements: Vec::new(),
                    stats,
                    incomplete: false,
                });
            }
            Ok((answers, first_file))
        }
        Question::Vacuous { files, kind } => {
            let mut answers = Vec::new();
            for f in files {
                let p = load(f, policy_kind(*kind))?;
                let analysis = Analysis::new(vec![Flow::identity(f, vec![p])], options);
                let mut found = Vec::new();
                let mut undecided = 0;
                for (stage, policy, index, r) in analysis.statements_of(0) {
                    match analysis.statement_applies(0, stage, policy, index) {
                        Err(crate::analysis::Vacuity::Undecided) => undecided += 1,
                        Err(why) => found.push(StatementFinding {
                            statement: r,
                            reason: format!("never takes effect: {}", why.text()),
                        }),
                        Ok(_) => {}
                    }
                }
                let summary = if found.is_empty() {
                    "every statement takes effect on some request".into()
                } else {
                    format!("{} statement(s) can never take effect", found.len())
                };
                answers.push(statement_answer(
                    format!("vacuous {f}"),
                    summary,
                    found,
                    undecided,
                ));
            }
            Ok((answers, files[0].clone()))
        }
        Question::Redundant { files, kind } => {
            let mut answers = Vec::new();
            for f in files {
                let p = load(f, policy_kind(*kind))?;
                let (found, undecided) = redundant_statements_counted(&p, options);
                let summary = if found.is_empty() {
                    "removing any statement changes some decision".into()
                } else {
                    format!(
                        "{} statement(s) can be removed without changing any decision",
                        found.len()
                    )
                };
                answers.push(statement_answer(
                    format!("redundant {f}"),
                    summary,
                    found,
                    undecided,
                ));
            }
            Ok((answers, files[0].clone()))
        }
    }
}

/// `p` decided on its own: resource and trust policies with the caller as a request dimension,
/// other kinds as one policy set.
fn alone(label: &str, p: PolicyInput) -> Flow {
    match p.policy.kind {
        PolicyKind::Resource => Flow::resource(label, p),
        PolicyKind::Trust => Flow::trust(label, p),
        _ => Flow::identity(label, vec![p]),
    }
}

/// The answer of `vacuous` / `redundant`: the statements found (each proven), and, when
/// `undecided` statements got no proof either way, INCOMPLETE (exit 1: the "nothing found" of
/// a cut-short check proves nothing).
fn statement_answer(
    question: String,
    summary: String,
    found: Vec<StatementFinding>,
    undecided: usize,
) -> Answer {
    let summary = if undecided == 0 {
        summary
    } else if found.is_empty() {
        format!("unknown — INCOMPLETE: a budget ran out before {undecided} statement(s) were decided (fail closed)")
    } else {
        format!("{summary}; INCOMPLETE: {undecided} more statement(s) were not decided (a budget ran out)")
    };
    Answer {
        question,
        yes: !found.is_empty(),
        summary,
        labels: Vec::new(),
        regions: Vec::new(),
        statements: found,
        stats: Stats {
            complete: undecided == 0,
            ..Stats::default()
        },
        incomplete: undecided > 0,
    }
}

/// Statements of `p` whose removal changes no decision of `p` evaluated on its own (those
/// whose diff was cut short by a budget are not among them: see
/// [`redundant_statements_counted`]).
pub fn redundant_statements(p: &PolicyInput, options: Options) -> Vec<StatementFinding> {
    redundant_statements_counted(p, options).0
}

/// [`redundant_statements`], and how many statements were left undecided (a budget ran out).
pub fn redundant_statements_counted(
    p: &PolicyInput,
    options: Options,
) -> (Vec<StatementFinding>, usize) {
    let full = alone("full", p.clone());
    let refs = Analysis::new(vec![full.clone()], options).statements_of(0);
    let mut undecided = 0;
    let mut found = Vec::new();
    for (_, _, index, r) in refs {
        let mut without = p.clone();
        without.policy.statements.remove(index);
        let d = crate::analysis::diff(
            full.clone(),
            alone("without", without),
            Options {
                max_regions: 1,
                ..options
            },
        );
        if !d.stats.complete && d.regions.is_empty() {
            undecided += 1;
        } else if d.regions.is_empty() {
            found.push(StatementFinding {
                statement: r,
                reason: "removing it changes no decision (proof: every region was examined)".into(),
            });
        }
    }
    (found, undecided)
}
