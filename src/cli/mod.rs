//! The command-line interface: argument definitions (clap) and one module per subcommand.
//! Subcommands return an exit code; rendering lives with them, rules live in the library.

pub mod analyze;
pub mod call_request;
pub mod check;
pub mod diff;
pub mod eval;
pub mod keys;
pub mod lint;
pub mod progress;
pub mod reach;
pub mod serve;
pub mod show;
pub mod simulate;
pub mod test;
pub mod traffic;
pub mod validate;
pub mod world;

use clap::{Parser, Subcommand};

/// Exit code: success / allowed / clean.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings, a deny, or a failed check.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// ramsim: what will Alibaba Cloud RAM let each principal do?
#[derive(Debug, Parser)]
#[command(name = "ramsim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate policy documents (exit 0 clean, 1 findings, 2 usage/IO error).
    Validate(validate::ValidateArgs),
    /// Decide one request (or a JSON-lines stream of requests) against policies.
    Eval(Box<eval::EvalArgs>),
    /// Run scenario files and decision cases (`*.test.json`), with coverage.
    Test(test::TestArgs),
    /// Build a simulator state file from a world file.
    Init(world::InitArgs),
    /// Send one API call through the gateway (authorize, apply, log) and print the response.
    Call(world::CallArgs),
    /// Print the audit trail (ActionTrail events) of a state file.
    Log(world::LogArgs),
    /// Print a state file (binary snapshot plus journal) as one JSON document.
    Export(world::ExportArgs),
    /// List a world's accounts, principals and resources with their names, ids and handles.
    Show(show::ShowArgs),
    /// Show or advance the scenario clock (expiring pending peerings, for example).
    Clock(world::ClockArgs),
    /// Lint policy documents: validation errors plus likely mistakes (exit 0 clean, 1 findings, 2 usage/IO error).
    Lint(Box<lint::LintArgs>),
    /// Permission matrix: every modeled API against every matching resource of a world, per principal.
    Simulate(Box<simulate::SimulateArgs>),
    /// Compare two versions of a policy: exactly, over every request, plus replayed requests (exit 1 when access is granted).
    Diff(Box<diff::DiffArgs>),
    /// Exact questions about policies: equivalent, implies, can, vacuous, redundant (exit 0 yes / nothing found, 1 no / found, 2 usage error).
    Analyze(Box<analyze::AnalyzeArgs>),
    /// Hunt for a call sequence that breaks an invariant; shrink it and write it as a scenario (exit 0 none found, 1 violation, 2 usage error).
    Check(Box<check::CheckArgs>),
    /// Serve the simulated cloud over HTTP for the official Alibaba Cloud SDKs (signed calls, RAM enforced, journaled).
    Serve(serve::ServeArgs),
    /// Will traffic get through? Routes, peerings, security groups and network ACLs both ways, the first failing check and the API call that fixes it (exit 0 reachable, 1 unreachable, 2 usage error).
    Reach(Box<reach::ReachArgs>),
    /// Send a flow along the path `reach` computes and record it: capped by peering bandwidth, billed by CDT, seen by CloudMonitor (exit 0 sent, 1 unreachable, 2 usage error).
    Traffic(Box<traffic::TrafficArgs>),
    /// The CDT bill of the recorded peering traffic: per account, hour, region pair and link type.
    Bill(traffic::BillArgs),
    /// List the AccessKey pairs (with secrets) of a state's RAM users, for SDKs pointed at `ramsim serve`.
    Keys(keys::KeysArgs),
}

impl Cli {
    /// Parses a command line (`args[0]` is the program name), as `main` does; the error is
    /// clap's rendered message.
    pub fn try_from_args(args: &[&str]) -> Result<Cli, String> {
        Cli::try_parse_from(args).map_err(|e| e.to_string())
    }
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Init(args) => world::init(&args),
        Command::Call(args) => world::call(&args),
        Command::Log(args) => world::log(&args),
        Command::Export(args) => world::export(&args),
        Command::Show(args) => show::run(&args),
        Command::Clock(args) => world::clock(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Keys(args) => keys::run(&args),
        Command::Reach(args) => reach::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Traffic(args) => traffic::run_traffic(&args),
        Command::Bill(args) => traffic::run_bill(&args),
    }
}
