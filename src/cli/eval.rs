//! `ramsim eval`: decide a request against policies given per kind, or stream a JSON-lines
//! file of requests through the same compiled policies.

use super::validate::{FormatArg, ReadFlags};
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::authz::decide::control_policies_apply;
use crate::authz::options::{IdentityImplicitDenyType, UnparseableValues};
use crate::authz::store_builder::StoreSpec;
use crate::authz::{
    decide, explain, ActionResource, EvalOptions, Outcome, PolicyStore, Principal, Request,
    RequestContext,
};
use crate::input::MAX_REQUEST_LINE;
use clap::{Args, ValueEnum};
use serde::Deserialize;
use std::io::{BufRead, BufWriter, Write};

/// `--identity-implicit-deny-type` values (§10 Q13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImplicitDenyTypeArg {
    /// `ResourceGroupLevelIdentityBasedPolicy` (default).
    ResourceGroup,
    /// `AccountLevelIdentityBasedPolicy`.
    Account,
}

/// `--unparseable` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UnparseableArg {
    /// Fail closed per effect (default).
    FailClosed,
    /// Spec §4.7 literally: no match.
    NoMatch,
}

/// Arguments of `ramsim eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Identity policy attached at account scope, or at resource-group scope with `FILE@rg:ID`.
    #[arg(long = "identity", value_name = "FILE[@rg:ID]")]
    pub identity: Vec<String>,
    /// Control policy at LEVEL `member` (default), `folder:ID` or `root`. Folders are ordered
    /// innermost first, in the order they first appear. Implies `--in-rd` unless
    /// `--in-rd false` is given.
    #[arg(long = "control", value_name = "FILE[@LEVEL]")]
    pub control: Vec<String>,
    /// Do not attach the system policy FullAliyunAccess to any control-policy node
    /// (by default it is attached everywhere, as when the feature is enabled, §6.3).
    #[arg(long)]
    pub no_full_aliyun_access: bool,
    /// Leave FullAliyunAccess off at LEVEL (`member`, `folder:ID`, `root`; repeatable).
    #[arg(long = "no-full-aliyun-access-at", value_name = "LEVEL")]
    pub no_full_aliyun_access_at: Vec<String>,
    /// Attach FullAliyunAccess at LEVEL even with `--no-full-aliyun-access` (repeatable).
    #[arg(long = "full-aliyun-access-at", value_name = "LEVEL")]
    pub full_aliyun_access_at: Vec<String>,
    /// Session policy of a role session.
    #[arg(long, value_name = "FILE")]
    pub session: Option<String>,
    /// Resource-based policy of the target resource.
    #[arg(long = "resource-policy", value_name = "FILE")]
    pub resource_policy: Vec<String>,
    /// Trust policy of the role being assumed: evaluates the request as `sts:AssumeRole` (§6.7).
    #[arg(long, value_name = "FILE")]
    pub trust: Option<String>,
    /// Principal type.
    #[arg(long, default_value = "RamUser", value_parser = ["RamUser", "AssumedRoleUser", "Root", "Federated", "Service"])]
    pub principal_type: String,
    /// UID of the principal's account.
    #[arg(long)]
    pub account: Option<String>,
    /// Principal id or name (user name, `RoleName/SessionName`, service name).
    #[arg(long)]
    pub principal_id: Option<String>,
    /// Principal ARN, for Principal matching in resource and trust policies.
    #[arg(long)]
    pub principal_arn: Option<String>,
    /// The account is a Resource Directory member (control policies apply): `--in-rd`,
    /// `--in-rd true` or `--in-rd false`. Default: true when control policies (or
    /// FullAliyunAccess levels) are given, else false.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub in_rd: Option<bool>,
    /// The account is the directory's management account (control policies never apply).
    #[arg(long)]
    pub management_account: bool,
    /// The principal is a service-linked role (control policies never apply).
    #[arg(long)]
    pub service_linked_role: bool,
    /// RAM action, e.g. `vpc:CreateVpcPeerConnection`.
    #[arg(long)]
    pub action: Option<String>,
    /// Resource ARN (repeatable: every resource must be allowed). Default `*`.
    #[arg(long = "resource")]
    pub resources: Vec<String>,
    /// Dependent action that must also be allowed, `ACTION[=RESOURCE]` (§6.9).
    #[arg(long = "dependent", value_name = "ACTION[=RESOURCE]")]
    pub dependent: Vec<String>,
    /// Condition key value, `KEY=VALUE` (repeat a key for several values).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Account owning the target resources (default: the account each resource ARN names,
    /// else the principal's account).
    #[arg(long, value_name = "UID")]
    pub resource_account: Option<String>,
    /// Resource group of the target resource (for resource-group-scope identity policies).
    #[arg(long)]
    pub resource_group: Option<String>,
    /// Print the full evaluation trace.
    #[arg(long)]
    pub explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: FormatArg,
    /// Decide every request of a JSON-lines file (`-` for stdin); one JSON decision per line out.
    #[arg(long, value_name = "FILE.jsonl")]
    pub requests: Option<String>,
    /// Threads deciding a `--requests` stream (default: one per core); output order is the
    /// input order whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// PolicyType reported for identity-stage implicit denies (§10 Q13).
    #[arg(long, value_enum, default_value = "resource-group")]
    pub identity_implicit_deny_type: ImplicitDenyTypeArg,
    /// Treatment of request values that do not parse for their operator.
    #[arg(long, value_enum, default_value = "fail-closed")]
    pub unparseable: UnparseableArg,
    /// Reader options.
    #[command(flatten)]
    pub read: ReadFlags,
}

impl EvalArgs {
    /// The evaluation options these flags select.
    pub fn eval_options(&self) -> EvalOptions {
        EvalOptions {
            identity_implicit_deny_type: match self.identity_implicit_deny_type {
                ImplicitDenyTypeArg::ResourceGroup => IdentityImplicitDenyType::ResourceGroupLevel,
                ImplicitDenyTypeArg::Account => IdentityImplicitDenyType::AccountLevel,
            },
            unparseable_values: match self.unparseable {
                UnparseableArg::FailClosed => UnparseableValues::FailClosed,
                UnparseableArg::NoMatch => UnparseableValues::NoMatch,
            },
        }
    }
}

/// Builds the policy store the flags describe.
pub fn build_store(args: &EvalArgs) -> Result<PolicyStore, String> {
    let spec = StoreSpec {
        identity: args.identity.clone(),
        control: args.control.clone(),
        full_aliyun_access: !args.no_full_aliyun_access,
        detach_full_aliyun_access: args.no_full_aliyun_access_at.clone(),
        attach_full_aliyun_access: args.full_aliyun_access_at.clone(),
        session: args.session.clone(),
        resource_policy: args.resource_policy.clone(),
        trust: args.trust.clone(),
        role_principal: args.principal_type == "AssumedRoleUser",
    };
    let member = args.account.clone().unwrap_or_else(|| "member".into());
    spec.build(std::path::Path::new(""), &member, &args.read.options())
}

impl EvalArgs {
    /// Is the principal's account in a Resource Directory? `--in-rd [BOOL]` when given, else
    /// whether the flags describe directory attachments.
    fn in_rd(&self, spec_has_control: bool) -> bool {
        self.in_rd.unwrap_or(spec_has_control)
    }

    fn describes_directory(&self) -> bool {
        !self.control.is_empty()
            || !self.no_full_aliyun_access_at.is_empty()
            || !self.full_aliyun_access_at.is_empty()
    }
}

/// `ACTION[=RESOURCE]`, owned by `owner` or the account the ARN names.
fn parse_dependent(spec: &str, owner: Option<&str>) -> ActionResource {
    match spec.split_once('=') {
        Some((a, r)) => ActionResource::owned(a, r, owner),
        None => ActionResource::owned(spec, "*", owner),
    }
}

/// The pairs of a request: `action` on each resource, then the dependent actions; each
/// resource is owned by `owner` when given, else by the account its ARN names.
fn request_pairs(
    action: &str,
    resources: &[String],
    dependent: &[String],
    owner: Option<&str>,
) -> Vec<ActionResource> {
    let mut pairs: Vec<ActionResource> = resources
        .iter()
        .map(|r| ActionResource::owned(action, r.as_str(), owner))
        .collect();
    pairs.extend(dependent.iter().map(|d| parse_dependent(d, owner)));
    pairs
}

/// What `--explain` says about the directory before the trace: whether control policies
/// apply to the principal, and what each node of the chain holds.
fn directory_summary(store: &PolicyStore, principal: &Principal) -> String {
    if store.control_chain.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if !control_policies_apply(principal) {
        let why = if !principal.in_resource_directory {
            "the account is outside the Resource Directory"
        } else if principal.management_account {
            "the directory's management account"
        } else if principal.service_linked_role {
            "a service-linked role"
        } else {
            "a service principal"
        };
        out.push_str(&format!("control policies: not applied ({why})\n"));
        return out;
    }
    out.push_str("control policies: member → root, every node must allow\n");
    let last = store.control_chain.len().saturating_sub(1);
    for (i, node) in store.control_chain.iter().enumerate() {
        let label = match i {
            0 => format!("{} (member)", node.target),
            i if i == last => node.target.clone(),
            _ => format!("{} (folder)", node.target),
        };
        let names: Vec<&str> = node
            .policies
            .sources()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let text = if names.contains(&"FullAliyunAccess") {
            names.join(", ")
        } else if names.is_empty() {
            "no policies (FullAliyunAccess detached: denies everything)".to_string()
        } else {
            format!("{} (FullAliyunAccess detached)", names.join(", "))
        };
        out.push_str(&format!("  node {label}: {text}\n"));
    }
    out
}

/// Runs `ramsim eval`.
pub fn run(args: &EvalArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

fn run_inner(args: &EvalArgs) -> Result<u8, String> {
    let store = build_store(args)?;
    let options = args.eval_options();
    if let Some(file) = &args.requests {
        return run_batch(args, &store, &options, file);
    }
    let action = args
        .action
        .as_deref()
        .ok_or("--action is required (or use --requests FILE.jsonl)")?;
    let account = args.account.as_deref().ok_or("--account UID is required")?;
    let in_rd = args.in_rd(args.describes_directory());
    let principal = Principal::from_parts(
        &args.principal_type,
        account,
        args.principal_id.as_deref(),
        args.principal_arn.as_deref(),
        (in_rd, args.management_account, args.service_linked_role),
    )?;
    let mut context = RequestContext::new();
    for c in &args.context {
        context.insert_assignment(c)?;
    }
    let resources = if args.resources.is_empty() {
        vec!["*".to_string()]
    } else {
        args.resources.clone()
    };
    let owner = args.resource_account.as_deref();
    let pairs = request_pairs(action, &resources, &args.dependent, owner);
    let req = Request {
        principal: &principal,
        pairs: &pairs,
        context: &context,
        resource_account: owner,
        resource_group: args.resource_group.as_deref(),
        assume_role: args.trust.is_some(),
    };
    let explanation = explain(&store, &req, &options);
    let decision = explanation.decision;
    let detail = explanation.access_denied_detail(&context);
    match args.format {
        FormatArg::Json => {
            let mut out = serde_json::json!({
                "decision": decision.outcome.as_str(),
                "policy_type": decision.policy_type.map(|t| t.as_str()),
                "action": req.pairs.get(decision.pair).map(|p| p.action.clone()),
                "resource": req.pairs.get(decision.pair).map(|p| p.resource.clone()),
                "matched_statements": explanation.deciding_statements(),
            });
            if let Some(obj) = out.as_object_mut() {
                obj.insert(
                    "control_policies_apply".into(),
                    (control_policies_apply(&principal) && !store.control_chain.is_empty()).into(),
                );
            }
            if let (Some(d), Some(obj)) = (&detail, out.as_object_mut()) {
                obj.insert(
                    "AccessDeniedDetail".into(),
                    serde_json::to_value(d).unwrap_or_default(),
                );
                if let Some(decoded) = explanation.decoded_diagnostic_message(&context) {
                    obj.insert(
                        "DecodedDiagnosticMessage".into(),
                        serde_json::to_value(decoded).unwrap_or_default(),
                    );
                }
            }
            if args.explain {
                if let Some(obj) = out.as_object_mut() {
                    obj.insert(
                        "explanation".into(),
                        serde_json::to_value(&explanation).unwrap_or_default(),
                    );
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
        }
        FormatArg::Human => {
            if args.explain {
                print!("{}", explanation.render_human());
                print!("{}", directory_summary(&store, &principal));
            } else {
                let mut line = format!("decision: {}", decision.outcome.as_str());
                if let Some(t) = decision.policy_type {
                    line.push_str(&format!(" ({})", t.as_str()));
                }
                println!("{line}");
                if let Some(pair) = req.pairs.get(decision.pair) {
                    println!("  {} on {}", pair.action, pair.resource);
                }
                for st in explanation.deciding_statements() {
                    let loc = st
                        .location
                        .as_deref()
                        .map(|l| format!(" at {l}"))
                        .unwrap_or_default();
                    let verb = if st.effect == crate::policy::Effect::Deny {
                        "denied by"
                    } else {
                        "allowed by"
                    };
                    println!("  {verb} {} Statement[{}]{loc}", st.policy, st.statement);
                }
            }
            if let Some(d) = &detail {
                println!(
                    "AccessDeniedDetail: {}",
                    serde_json::to_string_pretty(d).map_err(|e| e.to_string())?
                );
            }
        }
    }
    Ok(if decision.outcome == Outcome::Allow {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// One or several strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// One line of a `--requests` file. Principal fields default to the command-line flags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestLine {
    #[serde(default)]
    id: Option<serde_json::Value>,
    action: String,
    #[serde(default)]
    resource: Option<OneOrMany>,
    #[serde(default)]
    dependent: Vec<String>,
    #[serde(default)]
    context: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    principal_type: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    principal_id: Option<String>,
    #[serde(default)]
    principal_arn: Option<String>,
    #[serde(default)]
    in_rd: Option<bool>,
    #[serde(default)]
    management_account: Option<bool>,
    #[serde(default)]
    resource_account: Option<String>,
    #[serde(default)]
    resource_group: Option<String>,
}

/// The principal of lines that name none of their own (every field from the flags), built once
/// per stream; `None` when the flags name no account (each line then reports it).
fn default_principal(args: &EvalArgs) -> Option<Principal> {
    let account = args.account.as_deref()?;
    Principal::from_parts(
        &args.principal_type,
        account,
        args.principal_id.as_deref(),
        args.principal_arn.as_deref(),
        (
            args.in_rd(args.describes_directory()),
            args.management_account,
            args.service_linked_role,
        ),
    )
    .ok()
}

mod batch;

fn decide_line(
    args: &EvalArgs,
    store: &PolicyStore,
    options: &EvalOptions,
    default: Option<&Principal>,
    line: &str,
) -> Result<serde_json::Value, String> {
    let r: RequestLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let own_principal = r.account.is_some()
        || r.principal_type.is_some()
        || r.principal_id.is_some()
        || r.principal_arn.is_some()
        || r.in_rd.is_some()
        || r.management_account.is_some();
    let built;
    let principal = match default {
        Some(p) if !own_principal => p,
        _ => {
            let account = r
                .account
                .as_deref()
                .or(args.account.as_deref())
                .ok_or("no `account` (and no --account)")?;
            let kind = r.principal_type.as_deref().unwrap_or(&args.principal_type);
            let in_rd = r.in_rd.unwrap_or(args.in_rd(args.describes_directory()));
            built = Principal::from_parts(
                kind,
                account,
                r.principal_id.as_deref().or(args.principal_id.as_deref()),
                r.principal_arn.as_deref().or(args.principal_arn.as_deref()),
                (
                    in_rd,
                    r.management_account.unwrap_or(args.management_account),
                    args.service_linked_role,
                ),
            )?;
            &built
        }
    };
    let context = RequestContext::from_json_object(r.context)?;
    let resources = r
        .resource
        .map_or_else(|| vec!["*".to_string()], OneOrMany::into_vec);
    let owner = r
        .resource_account
        .as_deref()
        .or(args.resource_account.as_deref());
    let pairs = request_pairs(&r.action, &resources, &r.dependent, owner);
    let req = Request {
        principal,
        pairs: &pairs,
        context: &context,
        resource_account: owner,
        resource_group: r
            .resource_group
            .as_deref()
            .or(args.resource_group.as_deref()),
        assume_role: args.trust.is_some(),
    };
    let d = decide(store, &req, options);
    let mut out = serde_json::json!({
        "decision": d.outcome.as_str(),
        "policy_type": d.policy_type.map(|t| t.as_str()),
        "action": pairs.get(d.pair).map(|p| p.action.as_str()),
    });
    if let (Some(id), Some(obj)) = (r.id, out.as_object_mut()) {
        obj.insert("id".into(), id);
    }
    Ok(out)
}

fn run_batch(
    args: &EvalArgs,
    store: &PolicyStore,
    options: &EvalOptions,
    file: &str,
) -> Result<u8, String> {
    // A 1 MiB buffer: a read call per ~4,000 lines instead of per ~30.
    const READ_BUFFER: usize = 1 << 20;
    let reader: Box<dyn BufRead> = if file == "-" {
        Box::new(std::io::BufReader::with_capacity(
            READ_BUFFER,
            std::io::stdin(),
        ))
    } else {
        Box::new(std::io::BufReader::with_capacity(
            READ_BUFFER,
            std::fs::File::open(file).map_err(|e| format!("{file}: cannot open: {e}"))?,
        ))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let bad_lines = decide_stream(
        args,
        store,
        options,
        reader,
        file,
        &mut out,
        &mut std::io::stderr(),
    )?;
    out.flush()
        .map_err(|e| format!("cannot write output: {e}"))?;
    Ok(if bad_lines > 0 { EXIT_USAGE } else { EXIT_OK })
}

/// `message` on one line: control characters (a newline inside a JSON key the message quotes,
/// say) are escaped, so a request line cannot forge further lines on stderr.
fn one_line(message: &str) -> String {
    message
        .chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Lines read and decided together: large enough to keep every thread busy, small enough to
/// keep memory flat on an endless stream.
const BATCH_LINES: usize = 4_096;

/// A batch also ends once its lines hold this many bytes, so over-long and large lines cannot
/// make a batch hold thousands of megabyte-sized lines.
const BATCH_BYTES: usize = 8 << 20;

/// Lines a thread decides at a time (one output buffer each): small enough that both threads
/// finish a batch together.
const CHUNK_LINES: usize = 64;

/// Decides every line of a `--requests` stream, writing one JSON record per non-blank line to
/// `out` (`{"decision": …, "line": N}` or `{"line": N, "error": …}`) and each error, labelled
/// `label:N:`, to `err`. Lines are bounded by [`MAX_REQUEST_LINE`]; a non-UTF-8, over-long or
/// malformed line gets its error record and the stream continues. Returns the number of bad
/// lines; only an I/O error ends the stream early.
///
/// Lines are read in batches of [`BATCH_LINES`] (at most [`BATCH_BYTES`]) into one buffer,
/// parsed in place and decided in chunks of [`CHUNK_LINES`] on `--jobs` threads (rayon), each
/// chunk writing its records into its own buffer; records and errors are written in input
/// order, so the output is the same for any number of threads. Lines without principal fields
/// share one principal built from the flags; lines with their own reuse the last one built
/// while the fields stay the same. See [`batch`] for the fast path and its fallback.
pub fn decide_stream(
    args: &EvalArgs,
    store: &PolicyStore,
    options: &EvalOptions,
    reader: impl BufRead,
    label: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<usize, String> {
    use batch::{Batch, BatchReader, ChunkOut, Filled, Scratch, Shared};
    use rayon::prelude::*;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let pool = if jobs > 1 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .ok()
    } else {
        None
    };
    let default = default_principal(args);
    let shared = Shared {
        args,
        store,
        options,
        default: default.as_ref(),
        in_rd: args.in_rd(args.describes_directory()),
    };
    let mut reader = BatchReader::new(reader, MAX_REQUEST_LINE);
    // Decides every line of `batch` into `outs` (one buffer per chunk); the bad lines.
    let decide_batch = |batch: &Batch, outs: &mut Vec<ChunkOut>, scratch: &mut Scratch| {
        let chunks: Vec<&[(usize, batch::BatchLine)]> = batch.lines().chunks(CHUNK_LINES).collect();
        if outs.len() < chunks.len() {
            outs.resize_with(chunks.len(), ChunkOut::default);
        }
        outs.truncate(chunks.len());
        match &pool {
            Some(pool) if chunks.len() > 1 => pool.install(|| {
                outs.par_iter_mut()
                    .zip(chunks.par_iter())
                    .map_init(Scratch::default, |scratch, (o, lines)| {
                        batch::decide_chunk(&shared, batch, lines, label, scratch, o)
                    })
                    .sum::<usize>()
            }),
            _ => outs
                .iter_mut()
                .zip(&chunks)
                .map(|(o, lines)| batch::decide_chunk(&shared, batch, lines, label, scratch, o))
                .sum(),
        }
    };
    let write_all = |outs: &[ChunkOut], out: &mut dyn Write, err: &mut dyn Write| {
        outs.iter().try_for_each(|o| o.write(out, err))
    };
    let (mut batch, mut next) = (Batch::default(), Batch::default());
    let (mut outs, mut written): (Vec<ChunkOut>, Vec<ChunkOut>) = (Vec::new(), Vec::new());
    let mut scratch = Scratch::default();
    let mut bad_lines = 0usize;
    let mut filled = reader.fill(&mut batch, BATCH_LINES, BATCH_BYTES);
    loop {
        let more = matches!(filled, Filled::Full);
        // With threads to spare, the next batch is read and the previous one's records
        // written while this one is decided, so reading and writing are off the critical
        // path; with one thread everything runs in turn on it.
        let next_filled = if pool.is_some() && more {
            let (bad, next_filled) = std::thread::scope(|s| {
                let deciding = s.spawn(|| decide_batch(&batch, &mut outs, &mut Scratch::default()));
                let written_ok = write_all(&written, out, err);
                let next_filled = reader.fill(&mut next, BATCH_LINES, BATCH_BYTES);
                let bad = deciding
                    .join()
                    .map_err(|_| format!("{label}: a deciding thread failed"));
                written_ok.and(bad.map(|bad| (bad, next_filled)))
            })?;
            bad_lines += bad;
            Some(next_filled)
        } else {
            write_all(&written, out, err)?;
            bad_lines += decide_batch(&batch, &mut outs, &mut scratch);
            more.then(|| reader.fill(&mut next, BATCH_LINES, BATCH_BYTES))
        };
        std::mem::swap(&mut outs, &mut written);
        match (filled, next_filled) {
            (Filled::Full, Some(n)) => {
                std::mem::swap(&mut batch, &mut next);
                filled = n;
            }
            (Filled::Failed(n, e), _) => {
                write_all(&written, out, err)?;
                return Err(format!("{label}:{}: cannot read: {e}", n + 1));
            }
            _ => {
                write_all(&written, out, err)?;
                return Ok(bad_lines);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn stderr_messages_stay_on_one_line() {
        assert_eq!(
            one_line("unknown field `a\nb\r`, expected `action`"),
            "unknown field `a\\nb\\r`, expected `action`"
        );
        assert_eq!(one_line("plain `é` text"), "plain `é` text");
    }
}
