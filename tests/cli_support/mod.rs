//! Running the real `ramsim` binary from integration tests (shared by the CLI test files
//! through `#[path = "cli_support/mod.rs"] mod cli_support;`).

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// The repository root (tests run the binary from there).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What one run printed and how it exited.
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

/// Runs `ramsim ARGS` in the repository root.
pub fn ramsim(args: &[&str]) -> Output {
    ramsim_in(args, root())
}

/// Runs `ramsim ARGS` in `cwd`.
pub fn ramsim_in(args: &[&str], cwd: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_ramsim"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run ramsim");
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The state file `state` (relative to `cwd`), snapshot plus journal, as `ramsim export`
/// prints it: the JSON tests inspect (the state file itself is binary).
pub fn export_in(state: &str, cwd: &Path) -> String {
    let out = ramsim_in(&["export", "--state", state], cwd);
    assert_eq!(out.code, 0, "ramsim export: {}", out.stderr);
    out.stdout
}
