//! Durability of a served state: the state file's journal ([`crate::api::journal`], shared
//! with `ramsim call`), group-committed with `fdatasync` before any answer leaves the server,
//! compacted into the state file from time to time, and replayed at start-up. An exclusive
//! advisory lock on `<state>.lock` (crate `fs4`) keeps other writers out while the server
//! lives.

pub use crate::api::journal::{journal_path, second_journal_path, Record};
use crate::api::state::StateLock;
use crate::api::{Gateway, SimState};
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
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
    // A server serves the whole state: every record is decoded (and checked) now.
    gateway.state.check_whole(state)?;
    Ok((gateway, replayed.applied))
}

/// The open journal of a served state: `<state>.journal` and `<state>.journal2`, one of them
/// appended to at a time. Appending serializes a record and queues it with the
/// [`GroupCommit`]; the commit threads write the queued records, one `write` per group, to the
/// file being appended to, and sync it.
///
/// A compaction ([`Journal::compact`]) holds the gateway lock while it archives old audit
/// events, encodes the state and switches appends to the other (empty) file; a thread then
/// writes the state file and afterwards empties the file that state holds. Until then both
/// files hold calls, and replay reads both ([`crate::api::journal::replay`]).
#[derive(Debug)]
pub struct Journal {
    paths: [PathBuf; 2],
    line: Vec<u8>,
    commit: Arc<GroupCommit>,
    /// The thread writing the state file of the last compaction (and emptying the file it
    /// holds), if it may still run.
    writer: Option<JoinHandle<Result<(), String>>>,
    /// The file not appended to may hold calls: a compaction then writes the state file
    /// without switching files (the file appended to is not empty either).
    other_dirty: bool,
}

impl Journal {
    /// Opens (creating) both journal files of `state` for appending through `commit`; appends
    /// go to `<state>.journal` first.
    pub fn open(state: &Path, commit: Arc<GroupCommit>) -> Result<Journal, String> {
        let paths = [journal_path(state), second_journal_path(state)];
        let mut files = Vec::with_capacity(2);
        for path in &paths {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
            files.push(Arc::new(file));
        }
        *lock(&commit.io) = Files { files, current: 0 };
        Ok(Journal {
            paths,
            line: Vec::with_capacity(1024),
            commit,
            writer: None,
            other_dirty: true,
        })
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

    /// Starts a compaction: moves all but the newest `audit_keep` audit events to the archive
    /// ([`crate::api::audit_archive`]), encodes `state`, switches appends to the other journal
    /// file (when it is empty), and leaves writing the state file to `state_path` and emptying
    /// the journal file it holds to a thread. Called with the gateway lock held, so the encoded
    /// state holds exactly the calls queued so far. Returns false, doing nothing, while the
    /// previous compaction's thread still runs. An `Err` is that thread's failure (or this
    /// one's): the journal keeps every call either way.
    pub fn compact(
        &mut self,
        state: &mut SimState,
        state_path: &Path,
        audit_keep: usize,
    ) -> Result<bool, String> {
        if self.writer.as_ref().is_some_and(|w| !w.is_finished()) {
            return Ok(false);
        }
        self.finish_writer()?;
        crate::api::audit_archive::retire(state, state_path, audit_keep)?;
        let bytes = encode_state(state, state_path)?;
        if !self.other_dirty {
            self.commit.switch();
        }
        self.other_dirty = true;
        let other = self.commit.other_file();
        let other_path = self.paths[1 - self.commit.current()].clone();
        let path = state_path.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("state-writer".into())
            .spawn(move || {
                crate::api::state::write_atomically(&path, &bytes)?;
                truncate(&other, &other_path)
            })
            .map_err(|e| format!("cannot start the state writer: {e}"))?;
        self.writer = Some(writer);
        Ok(true)
    }

    /// Waits for the last compaction's thread; its result.
    fn finish_writer(&mut self) -> Result<(), String> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        writer
            .join()
            .unwrap_or_else(|_| Err("the state writer panicked".into()))?;
        self.other_dirty = false;
        Ok(())
    }

    /// Compacts and waits (at start and at shutdown): waits for the last compaction's thread,
    /// moves all but the newest `audit_keep` audit events to the archive, writes `state` to
    /// `state_path` atomically, then empties both journal files. Records still queued are
    /// dropped (the state file just written holds their calls); a group a commit thread wrote
    /// before is cut off with the rest.
    pub fn compact_now(
        &mut self,
        state: &mut SimState,
        state_path: &Path,
        audit_keep: usize,
    ) -> Result<(), String> {
        if let Err(e) = self.finish_writer() {
            // Superseded by the state file written now.
            eprintln!("ramsim serve: compaction failed (the journal kept every call): {e}");
        }
        crate::api::audit_archive::retire(state, state_path, audit_keep)?;
        state.save(state_path)?;
        let files = lock(&self.commit.io);
        self.commit.discard_queued();
        for (file, path) in files.files.iter().zip(&self.paths) {
            truncate(file, path)?;
        }
        self.other_dirty = false;
        Ok(())
    }
}

/// The state as a snapshot, refused (like [`SimState::save`]) past the state file limit.
fn encode_state(state: &SimState, state_path: &Path) -> Result<Vec<u8>, String> {
    let bytes = crate::api::snapshot::encode(state)?;
    if bytes.len() as u64 > crate::api::state::MAX_STATE_FILE_BYTES {
        return Err(format!(
            "{}: state file would be {} bytes, over the limit of {} bytes (256 MiB); start a new state with `ramsim init --force`",
            state_path.display(),
            bytes.len(),
            crate::api::state::MAX_STATE_FILE_BYTES
        ));
    }
    Ok(bytes)
}

/// Empties one journal file and syncs it.
fn truncate(file: &File, path: &Path) -> Result<(), String> {
    file.set_len(0)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: cannot truncate: {e}", path.display()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Records queued for the commit threads.
#[derive(Debug, Default)]
struct Queue {
    /// JSON lines not yet taken by a commit thread.
    bytes: Vec<u8>,
    /// Records queued so far (the last sequence number handed out).
    queued: u64,
    /// Records taken by commit threads so far (the last sequence number taken).
    taken: u64,
    /// Stop once everything queued is durable.
    stop: bool,
    /// Commit threads waiting for records (only then does queueing wake one: a `notify` costs
    /// a system call even with nobody waiting).
    idle: usize,
}

/// Group commit: appenders queue their record and take a sequence number; each commit thread
/// ([`GroupCommit::run`], one per `--journal-syncs`) takes whatever is queued when it is free,
/// writes it with a single `write` and runs `fdatasync` for it, so that with several threads
/// several syncs are in flight at once (the disk overlaps them). An answer is sent only once
/// its sequence number is durable, and sequence numbers become durable in order.
#[derive(Debug)]
pub struct GroupCommit {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// The journal files, held while taking a group from the queue and writing it, so that
    /// groups reach the journal in sequence order and a compaction never cuts a group in the
    /// middle of its `write`.
    io: Mutex<Files>,
    /// Groups written and not yet known durable, in sequence order: (last sequence number of
    /// the group, synced).
    pending: Mutex<VecDeque<(u64, bool)>>,
    synced: tokio::sync::watch::Sender<u64>,
    /// Calls inside the server that may still queue a record (see [`GroupCommit::arriving`]).
    arriving: AtomicUsize,
}

/// The journal files and the one appended to.
#[derive(Debug, Default)]
struct Files {
    files: Vec<Arc<File>>,
    current: usize,
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
            io: Mutex::new(Files::default()),
            pending: Mutex::new(VecDeque::new()),
            synced: tokio::sync::watch::channel(0).0,
            arriving: AtomicUsize::new(0),
        }
    }

    /// Counts a call that has arrived and may queue a record: until the guard is dropped, a
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
        let (seq, idle) = (q.queued, q.idle > 0);
        drop(q);
        if idle {
            self.wake.notify_one();
        }
        seq
    }

    /// Drops the records not yet taken by a commit thread (their calls are in the state file a
    /// compaction just wrote, durably): their sequence numbers are durable once every group
    /// before them is. Called with `io` held.
    fn discard_queued(&self) {
        let mut q = lock(&self.queue);
        q.bytes.clear();
        if q.taken < q.queued {
            q.taken = q.queued;
            let target = q.queued;
            drop(q);
            lock(&self.pending).push_back((target, false));
            self.synced_up_to(target);
        }
    }

    /// Marks the group ending at `target` durable, and publishes the highest sequence number
    /// up to which every group is.
    fn synced_up_to(&self, target: u64) {
        let mut pending = lock(&self.pending);
        if let Some(g) = pending.iter_mut().find(|g| g.0 == target) {
            g.1 = true;
        }
        let mut durable = None;
        while let Some(&(t, true)) = pending.front() {
            durable = Some(t);
            pending.pop_front();
        }
        drop(pending);
        if let Some(t) = durable {
            self.synced.send_replace(t);
        }
    }

    /// Switches appends to the other journal file: records not yet taken go there.
    fn switch(&self) {
        let mut files = lock(&self.io);
        files.current = 1 - files.current;
    }

    /// The index of the journal file appended to.
    fn current(&self) -> usize {
        lock(&self.io).current
    }

    /// The journal file not appended to.
    fn other_file(&self) -> Arc<File> {
        let files = lock(&self.io);
        Arc::clone(&files.files[1 - files.current])
    }

    /// Waits until record `seq` is durable.
    pub async fn durable(&self, seq: u64) {
        if *self.synced.borrow() >= seq {
            return;
        }
        let mut rx = self.synced.subscribe();
        let _ = rx.wait_for(|s| *s >= seq).await;
    }

    /// Asks the commit threads to finish once everything queued is durable.
    pub fn stop(&self) {
        lock(&self.queue).stop = true;
        self.wake.notify_all();
    }

    /// One commit thread's loop: whenever records are queued and this thread is free, takes
    /// them all, writes them with one `write` and runs one `fdatasync`. A failed write or sync
    /// ends the process: no answer may be sent for a call that is not durable, and the journal
    /// up to the last good sync is intact (a torn last line is ignored by replay).
    pub fn run(&self) {
        let mut group: Vec<u8> = Vec::with_capacity(64 * 1024);
        loop {
            {
                let mut q = lock(&self.queue);
                while q.queued <= q.taken && !q.stop {
                    q.idle += 1;
                    q = match self.wake.wait(q) {
                        Ok(q) => q,
                        Err(p) => p.into_inner(),
                    };
                    q.idle -= 1;
                }
                if q.queued <= q.taken {
                    return;
                }
            }
            // The commit delay: calls already inside the server join this group.
            let deadline = Instant::now() + MAX_COMMIT_DELAY;
            while self.arriving.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(20));
            }
            let (target, file) = {
                let files = lock(&self.io);
                let Some(file) = files.files.get(files.current).map(Arc::clone) else {
                    eprintln!("ramsim serve: the journal is not open; exiting");
                    std::process::exit(3);
                };
                let target = {
                    let mut q = lock(&self.queue);
                    if q.taken == q.queued {
                        // Another thread (or a compaction) took them meanwhile.
                        continue;
                    }
                    std::mem::swap(&mut q.bytes, &mut group);
                    q.taken = q.queued;
                    q.queued
                };
                lock(&self.pending).push_back((target, false));
                if let Err(e) = (&*file).write_all(&group) {
                    eprintln!("ramsim serve: journal write failed: {e}; exiting so that no call is acknowledged that is not durable");
                    std::process::exit(3);
                }
                (target, file)
            };
            group.clear();
            if let Err(e) = file.sync_data() {
                eprintln!("ramsim serve: journal fsync failed: {e}; exiting so that no call is acknowledged that is not durable");
                std::process::exit(3);
            }
            self.synced_up_to(target);
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

    /// Records queued while three commit threads run are written in order, each exactly once;
    /// sequence numbers become durable in order, and every one does.
    #[test]
    fn group_commit_writes_every_queued_record_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let commit = Arc::new(GroupCommit::new());
        let mut journal = Journal::open(&state, Arc::clone(&commit)).unwrap();
        let threads = start(&commit, 3);
        let mut last = 0;
        for at in 0..500 {
            let seq = journal.append(&record(at)).unwrap();
            assert_eq!(seq, at + 1);
            last = seq;
            if at % 50 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(commit.durable(last));
        assert!(*commit.synced.borrow() >= last);
        commit.stop();
        for t in threads {
            t.join().unwrap();
        }
        let got = lines(&journal_path(&state));
        assert_eq!(
            got.iter().map(|r| r.at).collect::<Vec<_>>(),
            (0..500).collect::<Vec<_>>()
        );
        assert_eq!(got[7].envelope.caller, "caller-7");
    }

    /// A group whose sync returns first is not durable before the groups written ahead of it:
    /// the published mark waits for them.
    #[test]
    fn groups_become_durable_in_order() {
        let commit = GroupCommit::new();
        lock(&commit.pending).extend([(10, false), (25, false), (30, false)]);
        commit.synced_up_to(25);
        assert_eq!(*commit.synced.borrow(), 0);
        commit.synced_up_to(10);
        assert_eq!(*commit.synced.borrow(), 25);
        commit.synced_up_to(30);
        assert_eq!(*commit.synced.borrow(), 30);
        assert!(lock(&commit.pending).is_empty());
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
        journal.compact_now(&mut sim, &state, 100).unwrap();
        assert!(lock(&commit.queue).bytes.is_empty());
        assert_eq!(std::fs::metadata(journal_path(&state)).unwrap().len(), 0);
        let seq = journal.append(&record(3)).unwrap();
        assert_eq!(seq, 4);
        let threads = start(&commit, 1);
        runtime().block_on(commit.durable(seq));
        commit.stop();
        for t in threads {
            t.join().unwrap();
        }
        let got = lines(&journal_path(&state));
        assert_eq!(got.iter().map(|r| r.at).collect::<Vec<_>>(), vec![3]);
    }

    fn start(commit: &Arc<GroupCommit>, n: usize) -> Vec<std::thread::JoinHandle<()>> {
        (0..n)
            .map(|_| {
                let c = Arc::clone(commit);
                std::thread::spawn(move || c.run())
            })
            .collect()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn len(path: &Path) -> u64 {
        std::fs::metadata(path).unwrap().len()
    }

    /// A state file `s.state` in `dir` written from the SDK load world, its gateway, and its
    /// journal open for a server's appends.
    fn served(dir: &Path) -> (PathBuf, Gateway, Arc<GroupCommit>, Journal) {
        let state = dir.join("s.state");
        let gateway = Gateway::new(
            SimState::from_world_file(Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/sdk/load-world.json"
            )))
            .unwrap(),
        );
        gateway.state.save(&state).unwrap();
        let commit = Arc::new(GroupCommit::new());
        let journal = Journal::open(&state, Arc::clone(&commit)).unwrap();
        (state, gateway, commit, journal)
    }

    /// A compaction amid calls switches appends to the other journal file while a thread writes
    /// the state file, then empties the file that state holds: at every step the state file and
    /// the two journal files load to the live state, and no call is lost or applied twice.
    #[test]
    fn background_compaction_switches_files_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (state, mut gateway, commit, mut journal) = served(dir.path());
        journal
            .compact_now(&mut gateway.state, &state, 1000)
            .unwrap();
        let threads = start(&commit, 2);
        let rt = runtime();
        let calls = |gateway: &mut Gateway, journal: &mut Journal, n: u64| {
            let mut seq = 0;
            for _ in 0..n {
                let r = record(gateway.state.requests);
                gateway.call(&r.envelope, &r.request);
                seq = journal.append(&r).unwrap();
            }
            rt.block_on(commit.durable(seq));
        };
        let loaded = |gateway: &Gateway| {
            assert_eq!(
                SimState::load(&state).unwrap().to_json().unwrap(),
                gateway.state.to_json().unwrap()
            );
        };
        let (first, second) = (journal_path(&state), second_journal_path(&state));
        calls(&mut gateway, &mut journal, 20);
        assert!(journal.compact(&mut gateway.state, &state, 1000).unwrap());
        calls(&mut gateway, &mut journal, 20);
        loaded(&gateway);
        journal.finish_writer().unwrap();
        assert_eq!(len(&first), 0, "the file the state holds is emptied");
        assert!(len(&second) > 0, "later calls went to the other file");
        loaded(&gateway);
        // The next compaction switches back, and archives all but the newest 30 events.
        calls(&mut gateway, &mut journal, 10);
        assert!(journal.compact(&mut gateway.state, &state, 30).unwrap());
        calls(&mut gateway, &mut journal, 5);
        journal.finish_writer().unwrap();
        assert_eq!(len(&second), 0);
        assert!(len(&first) > 0);
        assert_eq!(gateway.state.audit.len(), 35);
        assert!(gateway.state.archived.events > 0);
        loaded(&gateway);
        assert_eq!(gateway.state.requests, 55);
        commit.stop();
        for t in threads {
            t.join().unwrap();
        }
    }

    /// A reader (`ramsim show`, `export`, `simulate --state` on a served state) that loads
    /// while the server compacts again and again always sees a whole state, never a journal
    /// with a gap (it read the old snapshot and then the journal the new one emptied), and
    /// never an older state than it saw before.
    #[test]
    fn readers_racing_compactions_always_load_a_whole_state() {
        let dir = tempfile::tempdir().unwrap();
        let (state, mut gateway, commit, mut journal) = served(dir.path());
        let threads = start(&commit, 1);
        let rt = runtime();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (state, done) = (state.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                let (mut loads, mut seen) = (0u32, 0u64);
                while !done.load(std::sync::atomic::Ordering::Relaxed) && loads < 5000 {
                    let requests = SimState::load(&state).map(|s| s.requests)?;
                    if requests < seen {
                        return Err(format!("went back from {seen} to {requests}"));
                    }
                    (seen, loads) = (requests, loads + 1);
                }
                Ok::<u32, String>(loads)
            })
        };
        for _ in 0..40 {
            let mut seq = 0;
            for _ in 0..3 {
                let r = record(gateway.state.requests);
                gateway.call(&r.envelope, &r.request);
                seq = journal.append(&r).unwrap();
            }
            rt.block_on(commit.durable(seq));
            journal.finish_writer().unwrap();
            assert!(journal.compact(&mut gateway.state, &state, 1000).unwrap());
        }
        journal.finish_writer().unwrap();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let loads = reader.join().unwrap().unwrap();
        assert!(loads > 0);
        assert_eq!(SimState::load(&state).unwrap().requests, 120);
        commit.stop();
        for t in threads {
            t.join().unwrap();
        }
    }
}
