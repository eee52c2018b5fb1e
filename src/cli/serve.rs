//! `ramsim serve`: the simulated cloud as an HTTP endpoint for the official SDKs.

use super::{EXIT_OK, EXIT_USAGE};
use crate::serve::http::ServeOptions;
use crate::serve::{run as serve_run, Source};
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `on` / `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Arguments of `ramsim serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// State file to serve (locked for the server's life; calls are journaled next to it in
    /// `<state>.journal` and compacted into it).
    #[arg(long, required_unless_present = "world")]
    pub state: Option<PathBuf>,
    /// World file: with --state, initializes that (new) state file; alone, serves the world
    /// from memory without writing anything.
    #[arg(long)]
    pub world: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Check the signed request time against this machine's clock (15-minute window); `off`
    /// replays recorded traffic.
    #[arg(long, value_enum, default_value = "on")]
    pub skew_check: OnOff,
    /// Print the server's canonical request when a signature does not match.
    #[arg(long)]
    pub verbose: bool,
    /// Compact the journal into the state file after this many calls.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub compact_every: u64,
    /// Audit events kept in memory and in the state file (what `LookupEvents` sees). At each
    /// compaction older ones move to `<state>.audit.jsonl` (`ramsim log` reads both); serving
    /// `--world` alone, they are dropped. Bounds the server's memory and compaction cost.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub audit_keep: u64,
    /// Journal syncs in flight at once (with --state): 1 (the default) has one thread write
    /// and `fdatasync` each group of queued calls; more lets the disk overlap that many syncs,
    /// for disks whose flush latency, not the CPU, bounds the calls per second.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=16))]
    pub journal_syncs: u64,
    /// No access log (one line per request on stderr otherwise).
    #[arg(long)]
    pub quiet: bool,
    /// Threads that run the HTTP connections: 1 runs them all on one thread (no hand-offs
    /// between threads); more spreads them over a work-stealing pool. 0 (the default) uses one
    /// per CPU core.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1024))]
    pub workers: u64,
}

/// Runs `ramsim serve`.
pub fn run(args: &ServeArgs) -> u8 {
    let source = match (&args.state, &args.world) {
        (Some(s), w) => Source::State {
            path: s.clone(),
            world: w.clone(),
        },
        (None, Some(w)) => Source::World(w.clone()),
        (None, None) => {
            eprintln!("error: give --state or --world");
            return EXIT_USAGE;
        }
    };
    let options = ServeOptions {
        listen: args.listen,
        skew_check: args.skew_check == OnOff::On,
        verbose: args.verbose,
        compact_every: args.compact_every,
        access_log: !args.quiet,
        audit_keep: usize::try_from(args.audit_keep).unwrap_or(usize::MAX),
        workers: usize::try_from(args.workers).unwrap_or(0),
        journal_syncs: usize::try_from(args.journal_syncs).unwrap_or(1),
    };
    match serve_run(&source, options) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}
