//! `ramsim init`, `ramsim call`, `ramsim log` and `ramsim clock`: build a simulator state from
//! a world file, send calls through the gateway, read the audit trail, move the clock.

use super::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::api::audit::render_table;
use crate::api::{parse_cli_line, parse_json_request, ApiRequest, Envelope, Gateway, SimState};
use crate::cloud::Timestamp;
use crate::input::FileRefs;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Arguments of `ramsim init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// World file (JSON): accounts, directory, principals and policies, initial resources.
    #[arg(long)]
    pub world: PathBuf,
    /// State file to create (written atomically).
    #[arg(long)]
    pub state: PathBuf,
    /// Let file references in world and scenario files point outside the directory of the
    /// file named here and the working directory.
    #[arg(long)]
    pub allow_outside: bool,
}

/// Output format of `call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CallFormat {
    /// Status line and pretty JSON body.
    Human,
    /// The response body as one JSON document.
    Json,
}

/// Arguments of `ramsim call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// State file (read, then written back atomically).
    #[arg(long)]
    pub state: PathBuf,
    /// Caller: user name (`alice`, `alice@<account>`), `root@<account>`, or an AccessKeyId (`LTAI…`, `STS.…`).
    #[arg(long = "as", value_name = "CALLER")]
    pub caller: String,
    /// Request as a JSON file (`{"Action": …, "Parameters": {…}}`), instead of a CLI line.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// `acs:SourceIp` of the call.
    #[arg(long)]
    pub source_ip: Option<String>,
    /// Call over plain HTTP (`acs:SecureTransport` = false).
    #[arg(long)]
    pub insecure: bool,
    /// `acs:MFAPresent` (console sessions only; absent by default, as for AccessKey calls).
    #[arg(long)]
    pub mfa: Option<bool>,
    /// `acs:SourceVpc`.
    #[arg(long)]
    pub source_vpc: Option<String>,
    /// Scenario time of the call (`YYYY-MM-DDThh:mm:ssZ`); the clock never goes back.
    #[arg(long)]
    pub time: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: CallFormat,
    /// The request as an aliyun CLI line: `aliyun vpcpeer CreateVpcPeerConnection --RegionId …`
    /// (one quoted argument, or the words unquoted).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub line: Vec<String>,
}

/// Output format of `log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Fixed-width table.
    Table,
    /// One ActionTrail event per line.
    Json,
}

/// Arguments of `ramsim log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// State file.
    #[arg(long)]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: LogFormat,
}

/// Arguments of `ramsim clock`.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// State file.
    #[arg(long)]
    pub state: PathBuf,
    /// Move the clock forward by a duration: `90s`, `15m`, `12h`, `7d`.
    #[arg(long, conflicts_with = "to")]
    pub advance: Option<String>,
    /// Move the clock to a time (`YYYY-MM-DDThh:mm:ssZ`).
    #[arg(long)]
    pub to: Option<String>,
}

/// Parses `90s` / `15m` / `12h` / `7d` (or plain seconds).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c),
        _ => (s, 's'),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}` (examples: 90s, 15m, 12h, 7d)"))?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("invalid duration unit in `{s}` (use s, m, h or d)")),
    };
    n.checked_mul(factor)
        .filter(|v| *v >= 0)
        .ok_or_else(|| format!("duration `{s}` out of range"))
}

fn fail(e: String) -> u8 {
    eprintln!("error: {e}");
    EXIT_USAGE
}

/// Runs `ramsim init`.
pub fn init(args: &InitArgs) -> u8 {
    let refs = FileRefs::for_command_line(&args.world, args.allow_outside);
    let state = match SimState::from_world_file_with(&args.world, &refs) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Err(e) = state.save(&args.state) {
        return fail(e);
    }
    let users: usize = state.iam.accounts.values().map(|a| a.users.len()).sum();
    let roles: usize = state.iam.accounts.values().map(|a| a.roles.len()).sum();
    println!(
        "initialized {}: {} accounts, {} users, {} roles, {} VPCs, {} control policies, clock {}",
        args.state.display(),
        state.world.accounts().count(),
        users,
        roles,
        state.world.vpcs().count(),
        state.iam.control_policies.len(),
        state.world.now()
    );
    EXIT_OK
}

/// Reads the request of `ramsim call`.
fn read_request(args: &CallArgs) -> Result<ApiRequest, String> {
    match (&args.request, args.line.is_empty()) {
        (Some(_), false) => Err("give either --request FILE or a CLI line, not both".into()),
        (Some(path), true) => {
            let text = crate::input::read_text(path, crate::input::InputKind::Request)?;
            parse_json_request(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        (None, true) => Err("no request: give an aliyun CLI line or --request FILE".into()),
        (None, false) => {
            let line = if args.line.len() == 1 {
                args.line[0].clone()
            } else {
                args.line.join(" ")
            };
            parse_cli_line(&line)
        }
    }
}

/// Runs `ramsim call`.
pub fn call(args: &CallArgs) -> u8 {
    let request = match read_request(args) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let state = match SimState::load(&args.state) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let envelope = Envelope {
        caller: args.caller.clone(),
        source_ip: args.source_ip.clone(),
        secure_transport: Some(!args.insecure),
        mfa: args.mfa,
        source_vpc: args.source_vpc.clone(),
        time: args.time.clone(),
        user_agent: None,
    };
    let mut gateway = Gateway::new(state);
    let result = gateway.call(&envelope, &request);
    if let Err(e) = gateway.into_state().save(&args.state) {
        return fail(e);
    }
    let body = serde_json::to_string_pretty(&result.body).unwrap_or_default();
    match args.format {
        CallFormat::Human => {
            let status = if result.is_success() {
                "OK"
            } else {
                result.error_code().unwrap_or("error")
            };
            println!("HTTP {} {status}", result.http_status);
            println!("{body}");
        }
        CallFormat::Json => println!("{body}"),
    }
    if result.is_success() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

/// Runs `ramsim log`.
pub fn log(args: &LogArgs) -> u8 {
    let state = match SimState::load(&args.state) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    match args.format {
        LogFormat::Table => print!("{}", render_table(&state.audit)),
        LogFormat::Json => {
            let mut out = Vec::with_capacity(state.audit.len() * 1024);
            for e in &state.audit {
                crate::api::audit_json::write_event(e, &mut out);
                out.push(b'\n');
            }
            if let Err(err) = std::io::Write::write_all(&mut std::io::stdout().lock(), &out) {
                return fail(format!("cannot write the log: {err}"));
            }
        }
    }
    EXIT_OK
}

/// Runs `ramsim clock`.
pub fn clock(args: &ClockArgs) -> u8 {
    let state = match SimState::load(&args.state) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let now = state.world.now();
    let target = match (&args.advance, &args.to) {
        (Some(d), _) => match parse_duration(d) {
            Ok(secs) => now.plus(secs),
            Err(e) => return fail(e),
        },
        (None, Some(t)) => match Timestamp::parse(t) {
            Some(t) if t >= now => t,
            Some(_) => return fail(format!("the clock never goes back: {t} is before {now}")),
            None => return fail(format!("invalid time `{t}` (YYYY-MM-DDThh:mm:ssZ)")),
        },
        (None, None) => {
            println!("{now}");
            return EXIT_OK;
        }
    };
    let before = state.audit.len();
    let mut gateway = Gateway::new(state);
    gateway.advance_clock(target);
    let state = gateway.into_state();
    // Save before printing: a reader that goes away (`| head -1`) must not lose the advance.
    if let Err(e) = state.save(&args.state) {
        return fail(e);
    }
    for e in &state.audit[before..] {
        println!(
            "{} {} {} {}",
            e.event_time, e.event_type, e.event_name, e.resource_name
        );
    }
    println!("clock: {now} -> {}", state.world.now());
    EXIT_OK
}
