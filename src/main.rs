//! The `ramsim` binary: a thin shell over the library.

use clap::Parser;

// The gateway and the workflows allocate many small JSON values per call; mimalloc is
// markedly faster than the system allocator for that pattern (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: ramsim::alloc::Allocator = ramsim::alloc::Allocator;
use std::process::ExitCode;

fn main() -> ExitCode {
    ignore_file_size_signal();
    restore_default_sigpipe();
    let cli = ramsim::cli::Cli::parse();
    ExitCode::from(ramsim::cli::run(cli))
}

/// A write past the file-size limit (`ulimit -f`) raises SIGXFSZ, which kills the process
/// without a word. Ignored, the write fails with `EFBIG` instead, and ramsim reports it as an
/// error naming the file (the state file's old content is kept: writes go to a temp file).
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: `signal` with `SIG_IGN` installs no handler code; it runs before any thread is
    // started, and nothing in ramsim relies on SIGXFSZ.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Writing into a closed pipe (`ramsim test corpus/ | head -1`) ends the process quietly,
/// killed by SIGPIPE like `cat` or `grep` (the shell reports 141), instead of a panic from
/// `println!` on `EPIPE`: Rust ignores SIGPIPE by default; this restores the default action,
/// once, for every command. Commands write their files (state, scenario) before printing, so
/// nothing is lost when the reader goes away.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; setting a signal's
    // disposition to SIG_DFL has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
