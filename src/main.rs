//! The `ramsim` binary: a thin shell over the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ramsim::cli::Cli::parse();
    ExitCode::from(ramsim::cli::run(cli))
}
