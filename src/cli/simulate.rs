//! `ramsim simulate`: the permission matrix of one or more principals over a world.

use super::{EXIT_OK, EXIT_USAGE};
use crate::simulate::{load_state, render, resolve, simulate, PrincipalSpec, SimulateOptions};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output format of `ramsim simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    /// Fixed-width table per principal.
    Table,
    /// One JSON document.
    Json,
    /// CSV with a header row.
    Csv,
    /// Allowed actions per resource: the short form of wide matrices.
    Compact,
    /// A self-contained HTML page with one sortable table per principal.
    Html,
}

/// Arguments of `ramsim simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// State file (`ramsim init`) or world file.
    #[arg(long)]
    pub state: PathBuf,
    /// Principal: a user (`alice`, `alice@ACCT`), `root@ACCT`, `role:NAME@ACCT` (a session of
    /// the role without a session policy) or `group:NAME@ACCT` (a member with only the group's
    /// policies). Repeatable.
    #[arg(long = "principal", required = true, value_name = "PRINCIPAL")]
    pub principals: Vec<String>,
    /// Only actions matching this wildcard, e.g. `vpc:*Peer*` (case-insensitive).
    #[arg(long, value_name = "PATTERN")]
    pub action: Option<String>,
    /// Only rows with a resource matching this wildcard, e.g. `acs:vpc:*:*:vpc/*`.
    #[arg(long, value_name = "PATTERN")]
    pub resource: Option<String>,
    /// Condition key value, `KEY=VALUE`; replaces the gateway's default for KEY (repeat a key
    /// for several values).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SimulateFormat,
    /// "Which peers can this principal connect to?": one row per peer VPC of the world
    /// (CreateVpcPeerConnection from each own VPC) and per pending peering it accepts, with the
    /// gateway's own `acs:TargetRDId`/`acs:TargetRDPath` and decision (table or json).
    #[arg(long)]
    pub peers: bool,
}

/// Runs `ramsim simulate`.
pub fn run(args: &SimulateArgs) -> u8 {
    match run_inner(args) {
        Ok(out) => {
            write_stdout(&out);
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

fn run_inner(args: &SimulateArgs) -> Result<String, String> {
    let state = load_state(&args.state)?;
    if args.peers {
        return peer_tables(args, &state);
    }
    let opts = SimulateOptions {
        action: args.action.clone(),
        resource: args.resource.clone(),
        context: args.context.clone(),
        eval: Default::default(),
    };
    // A filter that matches no modeled action says so, rather than printing empty matrices
    // that read as "denied everything".
    if let Some(pattern) = &args.action {
        if !crate::simulate::filter_matches_modeled(pattern) {
            return Err(format!(
                "--action `{pattern}` matches no modeled action: simulate evaluates only the APIs ramsim models, and an action it does not model is neither allowed nor denied here"
            ));
        }
    }
    let mut matrices = Vec::new();
    for p in &args.principals {
        let subject = resolve(&state, &PrincipalSpec::parse(p)?, p)?;
        matrices.push(simulate(&state, &subject, &opts)?);
    }
    Ok(match args.format {
        SimulateFormat::Table => render::table(&matrices),
        SimulateFormat::Json => format!("{}\n", render::json(&matrices)),
        SimulateFormat::Csv => render::csv(&matrices),
        SimulateFormat::Compact => render::compact(&matrices),
        SimulateFormat::Html => render::html(&matrices),
    })
}

/// `--peers`: the peer table of each principal (users, roots, AccessKeyIds: the callers the
/// gateway itself resolves).
fn peer_tables(args: &SimulateArgs, state: &crate::api::SimState) -> Result<String, String> {
    use crate::simulate::peers;
    if args.action.is_some() || args.resource.is_some() || !args.context.is_empty() {
        return Err("--peers takes no --action, --resource or --context: each row carries the context the gateway would inject".into());
    }
    let mut out = String::new();
    let mut all = Vec::new();
    for p in &args.principals {
        if p.starts_with("role:") || p.starts_with("group:") {
            return Err(format!(
                "--peers needs a caller the gateway resolves (a user, root@ACCT or an AccessKeyId), not `{p}`"
            ));
        }
        let rows = peers::peers(state, p)?;
        match args.format {
            SimulateFormat::Table => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&peers::table(p, &rows));
            }
            SimulateFormat::Json => {
                all.push(serde_json::json!({"principal": p, "peers": rows}));
            }
            SimulateFormat::Csv | SimulateFormat::Compact | SimulateFormat::Html => {
                return Err("--peers prints a table or json".into())
            }
        }
    }
    if args.format == SimulateFormat::Json {
        out = format!(
            "{}\n",
            serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?
        );
    }
    Ok(out)
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn write_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
