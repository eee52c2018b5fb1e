//! The `ramsim` binary: a thin shell over the library.

use clap::Parser;

// The gateway and the workflows allocate many small JSON values per call; mimalloc is
// markedly faster than the system allocator for that pattern (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ramsim::cli::Cli::parse();
    ExitCode::from(ramsim::cli::run(cli))
}
