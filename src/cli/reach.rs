//! `ramsim reach`: will traffic get from one place to another, and if not, what single API call
//! fixes the first failing check (network-model §8). `--matrix`: every instance against every
//! instance.
//!
//! Exit codes: 0 reachable (or a matrix was printed), 1 unreachable, 2 usage, I/O or a probe
//! NIS would reject (`IllegalParam.*`).

use super::progress::Progress;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::api::SimState;
use crate::cloud::reach::document::result_document;
use crate::cloud::reach::fix::{suggest, Fix};
use crate::cloud::reach::probe::{parse_protocol, parse_source, parse_target};
use crate::cloud::reach::render::human;
use crate::cloud::reach::{analyze, matrix, Matrix, Probe};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Output format of `ramsim reach`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachFormat {
    /// Verdict, first failing check, the fix, both paths hop by hop (matrix: a table).
    Human,
    /// The NIS `NetworkReachableAnalysisResult` document plus the fix (matrix: one JSON document).
    Json,
    /// Matrix only: `from,to,reachable,code` lines.
    Csv,
    /// Graphviz DOT of both paths (VPC clusters, the stopping hop red).
    Dot,
    /// SVG of both paths, drawn in-process.
    Svg,
}

/// Arguments of `ramsim reach`.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// State file (`ramsim init`) or world file.
    #[arg(long)]
    pub state: PathBuf,
    /// Source: `ecs:NAME`, `ecs:i-…`, `i-…`, an IP held by one instance, `ecs:NAME@IP`
    /// (a secondary address), or `vsw:VSWITCH/IP`.
    #[arg(long, required_unless_present = "matrix")]
    pub from: Option<String>,
    /// Target: the instance forms of --from, `ip:VPC/IP`, `vsw:VSWITCH/IP`, `ep:ENDPOINT`
    /// (every endpoint zone), `nlb:ID|NAME` / `clb:ID|NAME` (every zone VIP), or
    /// `domain:NAME` (endpoint, zone and NLB DNS names; zone affinity from the source's zone).
    #[arg(long, required_unless_present = "matrix")]
    pub to: Option<String>,
    /// `tcp`, `udp` or `icmp`.
    #[arg(long)]
    pub protocol: String,
    /// Target port (required for tcp and udp).
    #[arg(long)]
    pub port: Option<u16>,
    /// Client source port (default 32768).
    #[arg(long)]
    pub source_port: Option<u16>,
    /// Every instance against every instance.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub matrix: bool,
    /// Matrix worker threads (0 = all cores; default 1).
    #[arg(long, default_value = "1")]
    pub jobs: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReachFormat,
}

fn fix_json(f: &Fix) -> Value {
    json!({
        "caller": f.caller, "product": f.product, "action": f.action,
        "parameters": Value::Object(f.params_json()), "aliyun": f.aliyun_line(), "why": f.why,
    })
}

/// Runs one analysis and renders it: (text, exit code).
pub fn report(args: &ReachArgs, state: &SimState) -> Result<(String, u8), String> {
    let w = &state.world;
    let protocol = parse_protocol(&args.protocol)?;
    if args.matrix {
        return matrix_report(args, state, protocol);
    }
    let from = args.from.as_deref().unwrap_or_default();
    let to = args.to.as_deref().unwrap_or_default();
    let probe = Probe {
        source: parse_source(w, from).map_err(|e| format!("--from `{from}`: {e}"))?,
        target: parse_target(w, to).map_err(|e| format!("--to `{to}`: {e}"))?,
        protocol,
        source_port: args.source_port,
        target_port: args.port,
    };
    let v = analyze(w, &probe).map_err(|e| e.to_string())?;
    let fix = suggest(w, &v);
    let code = if v.reachable { EXIT_OK } else { EXIT_FINDINGS };
    let text = match args.format {
        ReachFormat::Human => human(w, &v, fix.as_ref(), Some(&args.state.display().to_string())),
        ReachFormat::Json => {
            let mut d = result_document(&v, "", "");
            if let Value::Object(m) = &mut d {
                m.insert("fix".into(), fix.as_ref().map_or(Value::Null, fix_json));
            }
            serde_json::to_string_pretty(&d).map_err(|e| e.to_string())? + "\n"
        }
        ReachFormat::Dot => crate::cloud::reach::picture::dot(w, &v),
        ReachFormat::Svg => {
            let title = human(w, &v, None, None);
            let title = title.lines().next().unwrap_or_default().to_string();
            let title = match v.first_error() {
                Some(f) => format!("{title} - {} at {}", f.code, f.component_id),
                None => title,
            };
            crate::cloud::reach::picture::svg(w, &v, &title)
        }
        ReachFormat::Csv => return Err("--format csv needs --matrix".into()),
    };
    Ok((text, code))
}

fn cell_text(m: &Matrix, i: usize, j: usize) -> String {
    match m.rows.get(i).and_then(|r| r.get(j)).cloned().flatten() {
        None => "-".into(),
        Some(c) if c.reachable => "ok".into(),
        Some(c) => c.code.map_or("invalid".into(), |x| x.as_str().to_string()),
    }
}

fn matrix_report(
    args: &ReachArgs,
    state: &SimState,
    protocol: crate::cloud::packet::Protocol,
) -> Result<(String, u8), String> {
    let w = &state.world;
    if protocol.has_ports() && args.port.is_none() {
        return Err(format!(
            "IllegalParam.TargetPort: --matrix over {} needs --port",
            protocol.as_str()
        ));
    }
    let n = w.ecs().instances.len();
    if n == 0 && args.format == ReachFormat::Human {
        return Ok((
            "no ECS instances in this world: nothing to compare\n".into(),
            EXIT_OK,
        ));
    }
    let progress = Progress::new(n, "rows");
    let m = matrix(w, protocol, args.port, args.jobs, &|| progress.tick(""))?;
    progress.finish();
    let mut out = String::new();
    match args.format {
        ReachFormat::Dot | ReachFormat::Svg => {
            return Err("--format dot and svg draw one path: not with --matrix".into())
        }
        ReachFormat::Csv => {
            out.push_str("from,to,reachable,code\n");
            for i in 0..n {
                for j in 0..n {
                    if i != j {
                        let c = cell_text(&m, i, j);
                        let _ = writeln!(
                            out,
                            "{},{},{},{}",
                            m.instances[i],
                            m.instances[j],
                            c == "ok",
                            if c == "ok" { "" } else { c.as_str() }
                        );
                    }
                }
            }
        }
        ReachFormat::Json => {
            let rows: Vec<Value> = (0..n)
                .flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
                .map(|(i, j)| {
                    let c = cell_text(&m, i, j);
                    json!({"from": m.instances[i], "to": m.instances[j], "reachable": c == "ok",
                        "code": if c == "ok" { Value::Null } else { json!(c) }})
                })
                .collect();
            out = serde_json::to_string_pretty(
                &json!({"protocol": protocol.as_str(), "port": args.port, "pairs": rows}),
            )
            .map_err(|e| e.to_string())?
                + "\n";
        }
        ReachFormat::Human => {
            let label = |i: usize| {
                let (id, name) = (&m.instances[i], &m.names[i]);
                if id == name {
                    id.clone()
                } else {
                    format!("{name} ({id})")
                }
            };
            let width = (0..n).map(|i| label(i).len()).max().unwrap_or(4).max(4);
            let cols: Vec<usize> = (0..n)
                .map(|j| {
                    (0..n)
                        .map(|i| cell_text(&m, i, j).len())
                        .max()
                        .unwrap_or(1)
                        .max(3)
                })
                .collect();
            let _ = write!(out, "{:<width$}", "from \\ to");
            for (j, c) in cols.iter().enumerate() {
                let _ = write!(out, "  {:<c$}", format!("#{}", j + 1));
            }
            out.push('\n');
            for i in 0..n {
                let _ = write!(out, "{:<width$}", label(i));
                for (j, c) in cols.iter().enumerate() {
                    let _ = write!(out, "  {:<c$}", cell_text(&m, i, j));
                }
                out.push('\n');
            }
            for i in 0..n {
                let _ = writeln!(out, "#{} = {}", i + 1, label(i));
            }
        }
    }
    Ok((out, EXIT_OK))
}

/// Runs `ramsim reach`.
pub fn run(args: &ReachArgs) -> u8 {
    let state = match crate::simulate::load_state(&args.state) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    match report(args, &state) {
        Ok((text, code)) => {
            let mut stdout = std::io::stdout().lock();
            match std::io::Write::write_all(&mut stdout, text.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: cannot write: {e}");
                    EXIT_USAGE
                }
                _ => code,
            }
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.state.display());
            EXIT_USAGE
        }
    }
}

#[cfg(test)]
mod tests;
