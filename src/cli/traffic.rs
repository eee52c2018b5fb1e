//! `ramsim traffic` (send a flow along the path `reach` computes and record it in the state)
//! and `ramsim bill` (the CDT bill of the recorded traffic), issue 17.
//!
//! Exit codes of `traffic`: 0 sent, 1 not sent (unreachable: the first failing check is
//! printed), 2 usage or I/O. `bill`: 0, or 2 on a usage or I/O error.

use super::world::LockArgs;
use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::api::state::with_locked_state;
use crate::api::SimState;
use crate::cloud::time::{parse_duration, Timestamp};
use crate::cloud::traffic::bill::{cny, unit_price, Bill, BillQuery};
use crate::cloud::traffic::{
    parse_rate, parse_volume, Amount, FlowOutcome, FlowSpec, BYTES_PER_GB,
};
use crate::cloud::World;
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `ramsim traffic`.
#[derive(Debug, Args)]
pub struct TrafficArgs {
    /// State file (`ramsim init`): read, the flow recorded, written back under its lock.
    #[arg(long)]
    pub state: PathBuf,
    /// Lock wait.
    #[command(flatten)]
    pub lock: LockArgs,
    /// Source, as `ramsim reach --from` takes it (`ecs:NAME`, `i-…`, an IP…).
    #[arg(long)]
    pub from: String,
    /// Destination, as `ramsim reach --to` takes it.
    #[arg(long)]
    pub to: String,
    /// `tcp`, `udp` or `icmp`.
    #[arg(long)]
    pub protocol: String,
    /// Destination port (tcp/udp).
    #[arg(long)]
    pub port: Option<u16>,
    /// Volume sent over the duration (`200GB`, `1.5TB`, `500MB`; decimal units).
    #[arg(long, conflicts_with = "rate", required_unless_present = "rate")]
    pub volume: Option<String>,
    /// Rate held for the duration (`200Mbps`, `1Gbps`).
    #[arg(long)]
    pub rate: Option<String>,
    /// Duration (`1h`, `30m`, `2d`).
    #[arg(long)]
    pub duration: String,
    /// Start (`YYYY-MM-DDThh:mm:ssZ`; default: the state's clock).
    #[arg(long)]
    pub at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: TextOrJson,
}

/// Human text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// One readable line.
    Human,
    /// The recorded flow as JSON.
    Json,
}

/// `bytes` in GB with two decimals.
pub fn gb(bytes: u128) -> String {
    let centi = (bytes + u128::from(BYTES_PER_GB) / 200) / (u128::from(BYTES_PER_GB) / 100);
    format!("{}.{:02}", centi / 100, centi % 100)
}

/// The flow the arguments describe.
#[allow(clippy::too_many_arguments)]
pub fn flow_spec(
    from: &str,
    to: &str,
    protocol: &str,
    port: Option<u16>,
    volume: Option<&str>,
    rate: Option<&str>,
    duration: &str,
    at: Option<&str>,
) -> Result<FlowSpec, String> {
    let amount = match (volume, rate) {
        (Some(v), None) => Amount::Volume(parse_volume(v)?),
        (None, Some(r)) => Amount::Rate(parse_rate(r)?),
        _ => return Err("give exactly one of a volume and a rate".into()),
    };
    let start = match at {
        None => None,
        Some(t) => Some(
            Timestamp::parse(t)
                .ok_or_else(|| format!("invalid time `{t}`, expected YYYY-MM-DDThh:mm:ssZ"))?,
        ),
    };
    Ok(FlowSpec {
        from: from.to_string(),
        to: to.to_string(),
        protocol: protocol.to_string(),
        port,
        amount,
        duration_secs: parse_duration(duration)?,
        start,
    })
}

/// One line saying what a flow did.
pub fn describe_flow(w: &World, out: &FlowOutcome) -> String {
    let f = &out.flow;
    let port = f.port.map(|p| format!("/{p}")).unwrap_or_default();
    let head = format!(
        "{} {} -> {} {}{port} at {} for {}s",
        f.id, f.from, f.to, f.protocol, f.start, f.duration_secs
    );
    if !f.reachable {
        return format!(
            "{head}: not sent: {} ({})\n",
            f.code.as_deref().unwrap_or("UNREACHABLE"),
            f.detail.as_deref().unwrap_or("unreachable")
        );
    }
    let over = match f.peering_id.as_deref().and_then(|id| w.peering_any(id)) {
        Some(p) if p.is_inter_region() => format!(
            " over {} ({} {} Mbit/s)",
            p.instance_id, p.link_type, p.bandwidth
        ),
        Some(p) => format!(" over {} (intra-region)", p.instance_id),
        None => String::new(),
    };
    let over = if f.links.is_empty() {
        over
    } else {
        format!("{over} via {}", f.links.join(", "))
    };
    format!(
        "{head}: offered {} GB{over}, delivered {} GB, dropped {} GB\n",
        gb(f.offered_bytes.into()),
        gb(f.delivered_bytes.into()),
        gb(f.dropped_bytes().into())
    )
}

/// Runs `ramsim traffic`.
pub fn run_traffic(args: &TrafficArgs) -> u8 {
    let spec = match flow_spec(
        &args.from,
        &args.to,
        &args.protocol,
        args.port,
        args.volume.as_deref(),
        args.rate.as_deref(),
        &args.duration,
        args.at.as_deref(),
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let sent = with_locked_state(&args.state, args.lock.lock_timeout, |mut state| {
        let out = state.world.send_flow(&spec)?;
        let text = match args.format {
            TextOrJson::Human => describe_flow(&state.world, &out),
            TextOrJson::Json => {
                serde_json::to_string_pretty(&out.flow).map_err(|e| e.to_string())? + "\n"
            }
        };
        Ok((state, (text, out.flow.reachable)))
    });
    match sent {
        Ok((text, reachable)) => {
            print!("{text}");
            if reachable {
                EXIT_OK
            } else {
                EXIT_FINDINGS
            }
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.state.display());
            EXIT_USAGE
        }
    }
}

/// Output format of `ramsim bill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BillFormat {
    /// A table and the total per account.
    Table,
    /// One JSON document.
    Json,
    /// One CSV line per bill line.
    Csv,
}

/// Arguments of `ramsim bill`.
#[derive(Debug, Args)]
pub struct BillArgs {
    /// State file (or world file).
    #[arg(long)]
    pub state: PathBuf,
    /// Only this account (uid or alias).
    #[arg(long)]
    pub account: Option<String>,
    /// Hours starting at or after this time (`YYYY-MM-DDThh:mm:ssZ`).
    #[arg(long)]
    pub from: Option<String>,
    /// Hours starting before this time.
    #[arg(long)]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: BillFormat,
}

/// The account uid `text` names (uid or alias).
pub fn account_uid(w: &World, text: &str) -> Result<String, String> {
    if w.account(text).is_some() {
        return Ok(text.to_string());
    }
    w.uid_by_alias(text)
        .map(str::to_string)
        .ok_or_else(|| format!("unknown account `{text}`"))
}

fn time_arg(name: &str, v: Option<&str>) -> Result<Option<Timestamp>, String> {
    v.map(|t| {
        Timestamp::parse(t).ok_or_else(|| format!("--{name} `{t}`: expected YYYY-MM-DDThh:mm:ssZ"))
    })
    .transpose()
}

fn label(w: &World, uid: &str) -> String {
    match w.account(uid).and_then(|a| a.alias.as_deref()) {
        Some(alias) => format!("{alias} ({uid})"),
        None => uid.to_string(),
    }
}

/// Renders a bill.
pub fn render_bill(w: &World, bill: &Bill, format: BillFormat) -> String {
    let mut out = String::new();
    match format {
        BillFormat::Csv => {
            out.push_str("account,hour,source_region,dest_region,link_type,gb,cny_per_gb,price_source,fee_cny\n");
            for l in &bill.lines {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{}",
                    l.account,
                    l.hour,
                    l.source_region,
                    l.dest_region,
                    l.link_type,
                    gb(l.bytes),
                    unit_price(l.micro_cny_per_gb),
                    l.price_source.as_str(),
                    cny(l.fee_units)
                );
            }
        }
        BillFormat::Json => {
            let lines: Vec<Value> = bill
                .lines
                .iter()
                .map(|l| {
                    json!({
                        "account": l.account, "hour": l.hour, "source_region": l.source_region,
                        "dest_region": l.dest_region, "link_type": l.link_type, "gb": gb(l.bytes),
                        "bytes": l.bytes.to_string(), "cny_per_gb": unit_price(l.micro_cny_per_gb),
                        "price_source": l.price_source, "fee_cny": cny(l.fee_units),
                    })
                })
                .collect();
            let accounts: Vec<Value> = bill
                .per_account()
                .iter()
                .map(|(a, t)| json!({"account": a, "fee_cny": cny(*t)}))
                .collect();
            let doc =
                json!({"lines": lines, "accounts": accounts, "total_cny": cny(bill.total_units())});
            out = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        }
        BillFormat::Table => {
            if bill.lines.is_empty() {
                return "no billable inter-region traffic\n".into();
            }
            let rows: Vec<[String; 9]> = bill
                .lines
                .iter()
                .map(|l| {
                    [
                        label(w, &l.account),
                        l.hour.to_string(),
                        l.source_region.clone(),
                        l.dest_region.clone(),
                        l.link_type.clone(),
                        gb(l.bytes),
                        unit_price(l.micro_cny_per_gb),
                        l.price_source.as_str().to_string(),
                        cny(l.fee_units),
                    ]
                })
                .collect();
            let head = [
                "ACCOUNT", "HOUR", "FROM", "TO", "LINK", "GB", "CNY/GB", "PRICE", "FEE CNY",
            ];
            let mut width: [usize; 9] = head.map(str::len);
            for r in &rows {
                for (i, c) in r.iter().enumerate() {
                    width[i] = width[i].max(c.len());
                }
            }
            let line = |cells: [&str; 9]| {
                let mut s = String::new();
                for (i, c) in cells.iter().enumerate() {
                    if i == 5 || i == 6 || i == 8 {
                        let _ = write!(s, "{c:>w$}", w = width[i]);
                    } else {
                        let _ = write!(s, "{c:<w$}", w = width[i]);
                    }
                    if i < 8 {
                        s.push_str("  ");
                    }
                }
                s.trim_end().to_string() + "\n"
            };
            out.push_str(&line(head));
            for r in &rows {
                out.push_str(&line([
                    &r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6], &r[7], &r[8],
                ]));
            }
            out.push('\n');
            for (a, t) in bill.per_account() {
                let _ = writeln!(out, "total {}: {} CNY", label(w, &a), cny(t));
            }
        }
    }
    out
}

/// The bill the arguments ask for, rendered.
pub fn bill_report(args: &BillArgs, state: &SimState) -> Result<String, String> {
    let w = &state.world;
    let query = BillQuery {
        account: args
            .account
            .as_deref()
            .map(|a| account_uid(w, a))
            .transpose()?,
        from: time_arg("from", args.from.as_deref())?,
        to: time_arg("to", args.to.as_deref())?,
    };
    let bill = w.bill(&query)?;
    Ok(render_bill(w, &bill, args.format))
}

/// Runs `ramsim bill`.
pub fn run_bill(args: &BillArgs) -> u8 {
    let state = match crate::simulate::load_state(&args.state) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    match bill_report(args, &state) {
        Ok(text) => {
            print!("{text}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.state.display());
            EXIT_USAGE
        }
    }
}
