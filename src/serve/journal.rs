//! Durability of a served state: the state file's journal ([`crate::api::journal`], shared
//! with `ramsim call`), group-committed with `fdatasync` before any answer leaves the server,
//! compacted into the state file from time to time, and replayed at start-up. An exclusive
//! advisory lock on `<state>.lock` (crate `fs4`) keeps other writers out while the server
//! lives.

pub use crate::api::journal::{journal_path, Record};
use crate::api::state::StateLock;
use crate::api::{Gateway, SimState};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// `<state>.lock`: the advisory lock the server and the CLI's writers take — the same file
/// as [`crate::api::state::lock_path`] (beside the file a symlink points to), so a server and
/// `ramsim call` on one state always exclude each other.
pub fn lock_path(state: &Path) -> PathBuf {
    crate::api::state::lock_path(state).unwrap_or_else(|_| {
        let mut s = state.as_os_str().to_owned();
        s.push(".lock");
        PathBuf::from(s)
    })
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

/// Loads the snapshot of `state` and replays its journal; returns the gateway and the number
/// of records applied. A torn last line (a crash in the middle of an append, never
/// acknowledged) is ignored; any other unreadable line is an error naming the journal and the
/// line.
pub fn recover(state: &Path) -> Result<(Gateway, usize), String> {
    let mut gateway = Gateway::new(SimState::load_snapshot(state)?);
    let replayed = crate::api::journal::replay(&mut gateway, state)?;
    Ok((gateway, replayed.applied))
}

/// The open journal of a served state. Appending serializes a record and queues it with the
/// [`GroupCommit`]; the commit thread writes every queued record with one `write` per group and
/// syncs it.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    line: Vec<u8>,
    commit: Arc<GroupCommit>,
}

impl Journal {
    /// Opens (creating) the journal of `state` for appending through `commit`.
    pub fn open(state: &Path, commit: Arc<GroupCommit>) -> Result<Journal, String> {
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
            commit,
        })
    }

    /// A second handle for the commit thread.
    pub fn sync_handle(&self) -> Result<File, String> {
        self.file
            .try_clone()
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Queues one record (one JSON line) and returns its sequence number: it is written and
    /// synced by [`GroupCommit::run`] together with every other record queued meanwhile, and
    /// durable once [`GroupCommit::durable`] says so.
    pub fn append(&mut self, record: &Record) -> Result<u64, String> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|e| e.to_string())?;
        self.line.push(b'\n');
        Ok(self.commit.queue(&self.line))
    }

    /// Moves all but the newest `audit_keep` audit events to the archive
    /// ([`crate::api::audit_archive`]), writes `state` to `state_path` atomically, then empties
    /// the journal. Called with the gateway lock held, so no call lands in between; records
    /// still queued are dropped (the state file just written holds their calls), and a group
    /// the commit thread took before is written after the truncation, where replay skips it
    /// (its records are older than the state).
    pub fn compact(
        &mut self,
        state: &mut SimState,
        state_path: &Path,
        audit_keep: usize,
    ) -> Result<(), String> {
        crate::api::audit_archive::retire(state, state_path, audit_keep)?;
        state.save(state_path)?;
        let _io = lock(&self.commit.io);
        self.commit.discard_queued();
        self.file
            .set_len(0)
            .and_then(|()| self.file.sync_all())
            .map_err(|e| format!("{}: cannot truncate: {e}", self.path.display()))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Records queued for the commit thread.
#[derive(Debug, Default)]
struct Queue {
    /// JSON lines not yet handed to the commit thread.
    bytes: Vec<u8>,
    /// Records queued so far (the last sequence number handed out).
    queued: u64,
    /// Stop once everything queued is durable.
    stop: bool,
    /// The commit thread waits for records (only then does queueing wake it: a `notify` costs
    /// a system call even with nobody waiting).
    idle: bool,
}

/// Group commit: appenders queue their record and take a sequence number; one thread writes
/// each group of queued records with a single `write`, runs `fdatasync` once for it, and an
/// answer is sent only once its sequence number is durable.
#[derive(Debug)]
pub struct GroupCommit {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Held while writing to or truncating the journal, so a compaction never cuts a group in
    /// the middle of its `write`.
    io: Mutex<()>,
    synced: tokio::sync::watch::Sender<u64>,
    /// Calls inside the server that may still queue a record (see [`GroupCommit::arriving`]).
    arriving: AtomicUsize,
}

/// The longest a group waits for calls already inside the server before its sync (the commit
/// delay; ASSUMED value, a ramsim choice): an answer is delayed at most this much more.
pub const MAX_COMMIT_DELAY: Duration = Duration::from_millis(1);

/// A call inside the server that may still queue a record; dropped once it has (or once it
/// knows it will not).
#[derive(Debug)]
pub struct Arriving<'a>(&'a AtomicUsize);

impl Drop for Arriving<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl GroupCommit {
    /// A group commit with nothing queued.
    pub fn new() -> GroupCommit {
        GroupCommit {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            io: Mutex::new(()),
            synced: tokio::sync::watch::channel(0).0,
            arriving: AtomicUsize::new(0),
        }
    }

    /// Counts a call that has arrived and may queue a record: until the guard is dropped, the
    /// commit thread holds its next sync back (at most [`MAX_COMMIT_DELAY`]) so that one sync
    /// covers the call too. Without it, the sync that starts with the first record of a burst
    /// covers that record alone and the rest of the burst waits for the next one: groups stay
    /// small and throughput is bounded by sync latency, not by the number of clients.
    pub fn arriving(&self) -> Arriving<'_> {
        self.arriving.fetch_add(1, Ordering::AcqRel);
        Arriving(&self.arriving)
    }

    /// Queues one record's bytes and returns its sequence number.
    fn queue(&self, line: &[u8]) -> u64 {
        let mut q = lock(&self.queue);
        q.bytes.extend_from_slice(line);
        q.queued += 1;
        let (seq, idle) = (q.queued, q.idle);
        drop(q);
        if idle {
            self.wake.notify_one();
        }
        seq
    }

    /// Drops the records not yet taken by the commit thread (their calls are in the state file
    /// a compaction just wrote); their sequence numbers become durable with the next sync.
    fn discard_queued(&self) {
        lock(&self.queue).bytes.clear();
    }

    /// Waits until record `seq` is durable.
    pub async fn durable(&self, seq: u64) {
        if *self.synced.borrow() >= seq {
            return;
        }
        let mut rx = self.synced.subscribe();
        let _ = rx.wait_for(|s| *s >= seq).await;
    }

    /// Asks the commit loop to finish once everything queued is durable.
    pub fn stop(&self) {
        lock(&self.queue).stop = true;
        self.wake.notify_one();
    }

    /// The commit loop (run on its own thread): whenever records are queued, takes them all,
    /// writes them with one `write` and runs one `fdatasync`. A failed write or sync ends the
    /// process: no answer may be sent for a call that is not durable, and the journal up to the
    /// last good sync is intact (a torn last line is ignored by replay).
    pub fn run(&self, mut file: File) {
        let mut synced = 0u64;
        let mut group: Vec<u8> = Vec::with_capacity(64 * 1024);
        loop {
            {
                let mut q = lock(&self.queue);
                while q.queued <= synced && !q.stop {
                    q.idle = true;
                    q = match self.wake.wait(q) {
                        Ok(q) => q,
                        Err(p) => p.into_inner(),
                    };
                }
                q.idle = false;
                if q.queued <= synced {
                    return;
                }
            }
            // The commit delay: calls already inside the server join this group.
            let deadline = Instant::now() + MAX_COMMIT_DELAY;
            while self.arriving.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(20));
            }
            let target = {
                let mut q = lock(&self.queue);
                std::mem::swap(&mut q.bytes, &mut group);
                q.queued
            };
            if !group.is_empty() {
                let _io = lock(&self.io);
                if let Err(e) = file.write_all(&group) {
                    eprintln!("ramsim serve: journal write failed: {e}; exiting so that no call is acknowledged that is not durable");
                    std::process::exit(3);
                }
            }
            group.clear();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiRequest, Envelope};
    use serde_json::Map;

    fn record(at: u64) -> Record {
        Record {
            at,
            envelope: Envelope {
                caller: format!("caller-{at}"),
                ..Envelope::default()
            },
            request: ApiRequest {
                product: Some("Ram".into()),
                action: "GetUser".into(),
                params: Map::new(),
            },
        }
    }

    fn lines(path: &Path) -> Vec<Record> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Records queued while the commit thread runs are written in order, each exactly once,
    /// and every sequence number becomes durable.
    #[test]
    fn group_commit_writes_every_queued_record_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let commit = Arc::new(GroupCommit::new());
        let mut journal = Journal::open(&state, Arc::clone(&commit)).unwrap();
        let file = journal.sync_handle().unwrap();
        let c = Arc::clone(&commit);
        let thread = std::thread::spawn(move || c.run(file));
        let mut last = 0;
        for at in 0..500 {
            let seq = journal.append(&record(at)).unwrap();
            assert_eq!(seq, at + 1);
            last = seq;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(commit.durable(last));
        assert!(*commit.synced.borrow() >= last);
        commit.stop();
        thread.join().unwrap();
        let got = lines(&journal_path(&state));
        assert_eq!(
            got.iter().map(|r| r.at).collect::<Vec<_>>(),
            (0..500).collect::<Vec<_>>()
        );
        assert_eq!(got[7].envelope.caller, "caller-7");
    }

    /// Compaction drops what is still queued (the state file holds those calls) and empties
    /// the journal; later records follow, and their sequence numbers still become durable.
    #[test]
    fn compaction_drops_queued_records_and_later_ones_follow() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let mut sim = SimState::from_world_file(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sdk/load-world.json"
        )))
        .unwrap();
        let commit = Arc::new(GroupCommit::new());
        let mut journal = Journal::open(&state, Arc::clone(&commit)).unwrap();
        for at in 0..3 {
            journal.append(&record(at)).unwrap();
        }
        // No commit thread yet: the three records are only queued.
        journal.compact(&mut sim, &state, 100).unwrap();
        assert!(lock(&commit.queue).bytes.is_empty());
        assert_eq!(std::fs::metadata(journal_path(&state)).unwrap().len(), 0);
        let seq = journal.append(&record(3)).unwrap();
        assert_eq!(seq, 4);
        let file = journal.sync_handle().unwrap();
        let c = Arc::clone(&commit);
        let thread = std::thread::spawn(move || c.run(file));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(commit.durable(seq));
        commit.stop();
        thread.join().unwrap();
        let got = lines(&journal_path(&state));
        assert_eq!(got.iter().map(|r| r.at).collect::<Vec<_>>(), vec![3]);
    }
}
