//! `ramsim init`, `ramsim call`, `ramsim log`, `ramsim export` and `ramsim clock`: build a
//! simulator state from a world file, send calls through the gateway, read the audit trail,
//! print the state as JSON, move the clock.

use super::{call_request, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::api::audit::render_table;
use crate::api::journal::call_locked;
use crate::api::state::{create_state_file, with_locked_state, DEFAULT_LOCK_TIMEOUT};
use crate::api::{Envelope, Gateway, SimState};
use crate::cloud::Timestamp;
use crate::input::FileRefs;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// How long a command that writes a state file waits for another process's lock on it.
#[derive(Debug, Clone, Copy, Args)]
pub struct LockArgs {
    /// Seconds to wait for another ramsim process that is writing the same state file
    /// (lock file `<state>.lock`); then give up with exit code 2.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_lock_timeout)]
    pub lock_timeout: Duration,
}

impl Default for LockArgs {
    fn default() -> LockArgs {
        LockArgs {
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// Parses `--lock-timeout`: non-negative seconds, fractions allowed, at most a day.
pub fn parse_lock_timeout(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| (0.0..=86_400.0).contains(v))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("invalid lock timeout `{s}` (seconds, 0 to 86400)"))
}

/// Arguments of `ramsim init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// World file (JSON): accounts, directory, principals and policies, initial resources.
    #[arg(long)]
    pub world: PathBuf,
    /// State file to create (written atomically; an existing file is kept unless --force).
    #[arg(long)]
    pub state: PathBuf,
    /// Replace an existing state file.
    #[arg(long)]
    pub force: bool,
    /// Lock wait.
    #[command(flatten)]
    pub lock: LockArgs,
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
    /// State file (read with its journal, under its lock; the call is appended to the journal).
    #[arg(long)]
    pub state: PathBuf,
    /// Lock wait.
    #[command(flatten)]
    pub lock: LockArgs,
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
    /// The request as an aliyun CLI line: `aliyun vpcpeer CreateVpcPeerConnection --RegionId …`,
    /// best after `--`. Several words are taken exactly as the shell passed them; one quoted
    /// argument is split like a shell line. Values may use world handles (`'${vpc:NAME}'`).
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

/// Arguments of `ramsim export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// State file (read only; its journal is replayed).
    #[arg(long)]
    pub state: PathBuf,
}

/// Arguments of `ramsim clock`.
#[derive(Debug, Args)]
pub struct ClockArgs {
    /// State file.
    #[arg(long)]
    pub state: PathBuf,
    /// Move the clock forward by a duration: `90s`, `15m`, `12h`, `7d` (never past
    /// `9999-12-31T23:59:59Z`, the latest time a state file holds).
    #[arg(long, conflicts_with = "to")]
    pub advance: Option<String>,
    /// Move the clock to a time (`YYYY-MM-DDThh:mm:ssZ`).
    #[arg(long)]
    pub to: Option<String>,
    /// Lock wait.
    #[command(flatten)]
    pub lock: LockArgs,
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
    if let Err(e) = create_state_file(&args.state, &state, args.force, args.lock.lock_timeout) {
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
    // The process ends next: freeing a large world piece by piece (100,000 instances, their
    // ENIs and indexes) cost ~4 % of `init`, for memory the exit returns anyway.
    std::mem::forget(state);
    EXIT_OK
}

/// Runs `ramsim call`.
pub fn call(args: &CallArgs) -> u8 {
    let request = match call_request::read_request(&args.line, args.request.as_deref()) {
        Ok(r) => r,
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
    // Handles and the caller are resolved against the state read under the lock; the call is
    // appended to the state's journal.
    let called = call_locked(&args.state, args.lock.lock_timeout, &envelope, |state| {
        call_request::prepare(request, state, &args.caller)
    });
    let result = match called {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
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
    // A served state's older events are in its archive; they come first.
    use crate::api::audit_archive::for_each_archived as archive;
    match args.format {
        LogFormat::Table => {
            let mut events = Vec::new();
            if let Err(e) = archive(&args.state, state.archived, |e| {
                events.push(e);
                Ok(())
            }) {
                return fail(e);
            }
            events.extend(state.audit);
            print!("{}", render_table(&events));
        }
        LogFormat::Json => {
            let mut stdout = std::io::stdout().lock();
            let mut out = Vec::with_capacity(64 * 1024);
            let mut flush = |out: &mut Vec<u8>| {
                let written = std::io::Write::write_all(&mut stdout, out)
                    .map_err(|err| format!("cannot write the log: {err}"));
                out.clear();
                written
            };
            let archived = archive(&args.state, state.archived, |e| {
                crate::api::audit_json::write_event(&e, &mut out);
                out.push(b'\n');
                if out.len() >= 64 * 1024 {
                    flush(&mut out)?;
                }
                Ok(())
            });
            if let Err(e) = archived {
                return fail(e);
            }
            for e in &state.audit {
                crate::api::audit_json::write_event(e, &mut out);
                out.push(b'\n');
            }
            if let Err(e) = flush(&mut out) {
                return fail(e);
            }
        }
    }
    EXIT_OK
}

/// Runs `ramsim export`: the state (snapshot plus journal) as one JSON document on stdout —
/// the state file format ramsim wrote before the binary snapshot, which every command still
/// reads.
pub fn export(args: &ExportArgs) -> u8 {
    let json = match SimState::load(&args.state).and_then(|s| s.to_json()) {
        Ok(j) => j,
        Err(e) => return fail(e),
    };
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, json.as_bytes())
        .and_then(|()| std::io::Write::write_all(&mut stdout, b"\n"))
    {
        Ok(()) => EXIT_OK,
        Err(e) => fail(format!("cannot write the state: {e}")),
    }
}

/// Runs `ramsim clock`.
pub fn clock(args: &ClockArgs) -> u8 {
    if args.advance.is_none() && args.to.is_none() {
        return match SimState::load(&args.state) {
            Ok(state) => {
                println!("{}", state.world.now());
                EXIT_OK
            }
            Err(e) => fail(e),
        };
    }
    let moved = with_locked_state(&args.state, args.lock.lock_timeout, |state| {
        let now = state.world.now();
        let target = match (&args.advance, &args.to) {
            (Some(d), _) => {
                let secs = crate::cloud::time::parse_duration(d)?;
                now.checked_plus(secs).ok_or_else(|| {
                    format!(
                        "cannot advance the clock by {d} from {now}: past {}, the latest time a state file holds",
                        Timestamp::MAX
                    )
                })?
            }
            (None, Some(t)) => match Timestamp::parse(t) {
                Some(t) if t >= now => t,
                Some(_) => return Err(format!("the clock never goes back: {t} is before {now}")),
                None => return Err(format!("invalid time `{t}` (YYYY-MM-DDThh:mm:ssZ)")),
            },
            (None, None) => now,
        };
        let before = state.audit.len();
        let mut gateway = Gateway::new(state);
        gateway.advance_clock(target);
        let state = gateway.into_state();
        let mut lines: Vec<String> = state
            .audit
            .iter()
            .skip(before)
            .map(|e| {
                format!(
                    "{} {} {} {}",
                    e.event_time, e.event_type, e.event_name, e.resource_name
                )
            })
            .collect();
        lines.push(format!("clock: {now} -> {}", state.world.now()));
        Ok((state, lines))
    });
    match moved {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}
