//! Durability of a served state: an append-only journal of the calls made since the state
//! file was last written, group-committed with `fdatasync` before any answer leaves the
//! server, compacted into the state file from time to time, and replayed at start-up. An
//! exclusive advisory lock on `<state>.lock` (crate `fs4`) keeps other writers out while the
//! server lives.
//!
//! A record is one JSON line: `{"at": N, "envelope": …, "request": …}` where `N` is the
//! state's request counter before the call. The counter grows with every call, so replay
//! skips the records a state file already contains (a crash between writing the state and
//! emptying the journal loses nothing and applies nothing twice) and refuses a journal that
//! does not follow the state.

use crate::api::state::StateLock;
use crate::api::{ApiRequest, Envelope, Gateway, SimState};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

/// One journaled call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The state's request counter before the call.
    pub at: u64,
    /// Who called, when, from where.
    pub envelope: Envelope,
    /// The call.
    pub request: ApiRequest,
}

/// `<state>.journal`.
pub fn journal_path(state: &Path) -> PathBuf {
    sidecar(state, "journal")
}

/// `<state>.lock`: the advisory lock the server and the CLI's writers take — the same file
/// as [`crate::api::state::lock_path`] (beside the file a symlink points to), so a server and
/// `ramsim call` on one state always exclude each other.
pub fn lock_path(state: &Path) -> PathBuf {
    crate::api::state::lock_path(state).unwrap_or_else(|_| sidecar(state, "lock"))
}

fn sidecar(state: &Path, ext: &str) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Takes the exclusive lock on `<state>.lock` without waiting (the CLI's
/// [`StateLock`]); the lock lives as long as the returned guard.
pub fn acquire_lock(state: &Path) -> Result<StateLock, String> {
    StateLock::try_acquire(state)?.ok_or_else(|| {
        format!(
            "{}: the state file is in use by another process (lock {} is held)",
            state.display(),
            lock_path(state).display()
        )
    })
}

/// Loads `state` and replays its journal; returns the gateway and the number of records
/// applied. A torn last line (a crash in the middle of an append, never acknowledged) is
/// ignored; any other unreadable line is an error naming the journal and the line.
pub fn recover(state: &Path) -> Result<(Gateway, usize), String> {
    let sim = SimState::load(state)?;
    let mut gateway = Gateway::new(sim);
    let path = journal_path(state);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((gateway, 0)),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    let mut lines: Vec<String> = Vec::new();
    for line in BufReader::new(file).lines() {
        lines.push(line.map_err(|e| format!("{}: cannot read: {e}", path.display()))?);
    }
    let mut applied = 0;
    let last = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let record: Record = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(_) if i + 1 == last => break,
            Err(e) => {
                return Err(format!(
                    "{}:{}: corrupt journal record: {e}",
                    path.display(),
                    i + 1
                ))
            }
        };
        let requests = gateway.state.requests;
        if record.at < requests {
            continue;
        }
        if record.at != requests {
            return Err(format!(
                "{}:{}: the journal does not follow the state file (record at request {}, state at {requests})",
                path.display(),
                i + 1,
                record.at
            ));
        }
        gateway.call(&record.envelope, &record.request);
        applied += 1;
    }
    Ok((gateway, applied))
}

/// The open journal of a served state.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    line: Vec<u8>,
}

impl Journal {
    /// Opens (creating) the journal of `state` for appending.
    pub fn open(state: &Path) -> Result<Journal, String> {
        let path = journal_path(state);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
        Ok(Journal {
            path,
            file,
            line: Vec::with_capacity(1024),
        })
    }

    /// A second handle for the syncing thread.
    pub fn sync_handle(&self) -> Result<File, String> {
        self.file
            .try_clone()
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Appends one record with a single `write` (not yet durable: see [`GroupCommit`]).
    pub fn append(&mut self, record: &Record) -> Result<(), String> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|e| e.to_string())?;
        self.line.push(b'\n');
        self.file
            .write_all(&self.line)
            .map_err(|e| format!("{}: cannot append: {e}", self.path.display()))
    }

    /// Moves all but the newest `audit_keep` audit events to the archive
    /// ([`crate::api::audit_archive`]), writes `state` to `state_path` atomically, then empties
    /// the journal. Called with the gateway lock held, so no call lands in between.
    pub fn compact(
        &mut self,
        state: &mut SimState,
        state_path: &Path,
        audit_keep: usize,
    ) -> Result<(), String> {
        crate::api::audit_archive::retire(state, state_path, audit_keep)?;
        state.save(state_path)?;
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_all())
            .map_err(|e| format!("{}: cannot truncate: {e}", self.path.display()))
    }
}

/// Group commit: appenders take a sequence number, one thread runs `fdatasync` for every
/// batch, and an answer is sent only once its sequence number is durable.
#[derive(Debug)]
pub struct GroupCommit {
    written: Mutex<(u64, bool)>,
    wake: Condvar,
    synced: tokio::sync::watch::Sender<u64>,
}

impl GroupCommit {
    /// A group commit with nothing written.
    pub fn new() -> GroupCommit {
        GroupCommit {
            written: Mutex::new((0, false)),
            wake: Condvar::new(),
            synced: tokio::sync::watch::channel(0).0,
        }
    }

    /// Notes one more appended record and returns its sequence number.
    pub fn appended(&self) -> u64 {
        let mut w = match self.written.lock() {
            Ok(w) => w,
            Err(p) => p.into_inner(),
        };
        w.0 += 1;
        self.wake.notify_one();
        w.0
    }

    /// Waits until record `seq` is durable.
    pub async fn durable(&self, seq: u64) {
        let mut rx = self.synced.subscribe();
        let _ = rx.wait_for(|s| *s >= seq).await;
    }

    /// Asks the sync loop to finish once everything written is durable.
    pub fn stop(&self) {
        if let Ok(mut w) = self.written.lock() {
            w.1 = true;
        }
        self.wake.notify_one();
    }

    /// The sync loop (run on its own thread): `fdatasync` whenever records are pending. A
    /// failed sync ends the process: no answer may be sent for a call that is not durable,
    /// and the journal up to the last good sync is intact.
    pub fn run(&self, file: File) {
        let mut synced = 0u64;
        loop {
            let target = {
                let mut w = match self.written.lock() {
                    Ok(w) => w,
                    Err(p) => p.into_inner(),
                };
                while w.0 <= synced && !w.1 {
                    w = match self.wake.wait(w) {
                        Ok(w) => w,
                        Err(p) => p.into_inner(),
                    };
                }
                if w.0 <= synced {
                    return;
                }
                w.0
            };
            if let Err(e) = file.sync_data() {
                eprintln!("ramsim serve: journal fsync failed: {e}; exiting so that no call is acknowledged that is not durable");
                std::process::exit(3);
            }
            synced = target;
            self.synced.send_replace(synced);
        }
    }
}

impl Default for GroupCommit {
    fn default() -> Self {
        Self::new()
    }
}
