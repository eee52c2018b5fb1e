//! The journal of a state file: `<state>.journal`, an append-only log of the calls made since
//! the state file (the snapshot) was last written. `ramsim call` appends its call here
//! (`fdatasync`ed before its answer is printed) instead of rewriting the whole state;
//! `ramsim serve` appends through its group commit ([`crate::serve::journal`]). Both write the
//! same [`Record`]s, and every reader of a state file replays them ([`SimState::load`]).
//!
//! A record is one JSON line: `{"at": N, "envelope": …, "request": …}` where `N` is the
//! state's request counter before the call. The counter grows with every call, so replay
//! skips the records a state file already contains (a crash between writing the state and
//! emptying the journal loses nothing and applies nothing twice) and refuses a journal that
//! does not follow the state. A torn last line (a writer killed in the middle of an append,
//! never acknowledged) is ignored, and cut off by the next writer before it appends.
//!
//! Compaction writes the state (snapshot) atomically and then empties the journal: `ramsim
//! call` does it when the journal passes [`MAX_JOURNAL_RECORDS`] records or
//! [`MAX_JOURNAL_BYTES`] bytes, every other writer (`clock`, `traffic`, …) on each write.
//!
//! `ramsim serve` writes its state file outside its gateway lock, so calls keep landing while
//! it does: it then appends to a second file, `<state>.journal2`, and the two files take turns
//! (the one the new state file holds is emptied once that file is durable). Replay reads both,
//! the one whose first record is older first; `ramsim call` compacts whenever the second file
//! holds anything, so it only ever appends to `<state>.journal`.

use super::state::{
    keep_identity, remove_stale_temp_files, resolve_symlinks, write_error, StateLock,
    MAX_STATE_FILE_BYTES,
};
use super::{ApiRequest, CallResult, Envelope, Gateway, SimState};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// `ramsim call` compacts once the journal holds this many records (a ramsim choice: each
/// record is replayed by every later command until then, a compaction rewrites the whole
/// state; see BENCHMARKS.md, "State files").
pub const MAX_JOURNAL_RECORDS: usize = 64;

/// `ramsim call` compacts once the journal holds this many bytes (calls with large parameters,
/// policy documents for instance).
pub const MAX_JOURNAL_BYTES: u64 = 4 * 1024 * 1024;

/// `<state>.journal`, beside the file that symlinks in `state` lead to (as the lock is), so
/// every path to one state file shares one journal.
pub fn journal_path(state: &Path) -> PathBuf {
    let target = resolve_symlinks(state).unwrap_or_else(|_| state.to_path_buf());
    let mut s = target.into_os_string();
    s.push(".journal");
    PathBuf::from(s)
}

/// The second journal file of `state`, `<state>.journal2`, which `ramsim serve` appends to
/// while it writes the state file (see the module documentation).
pub fn second_journal_path(state: &Path) -> PathBuf {
    let mut s = journal_path(state).into_os_string();
    s.push("2");
    PathBuf::from(s)
}

/// What a replay found in the journal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Records applied (those the state file did not already contain).
    pub applied: usize,
    /// Records in the journal (both files), applied or skipped.
    pub records: usize,
    /// Bytes of complete records in `<state>.journal`; past them is a torn line (or nothing).
    pub valid_len: u64,
    /// The length of `<state>.journal`.
    pub len: u64,
    /// The length of `<state>.journal2` (see [`second_journal_path`]).
    pub second_len: u64,
}

/// One journal file's bytes: a missing file is an empty one; bounded by
/// [`MAX_STATE_FILE_BYTES`].
fn read_journal_file(path: &Path) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("{}: cannot read: {e}", path.display());
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(cannot(e)),
    };
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(format!(
            "{}: cannot read: not a regular file",
            path.display()
        ));
    }
    let too_big = |len: u64| {
        format!(
            "{}: journal is {len} bytes, over the limit of {MAX_STATE_FILE_BYTES} bytes (256 MiB)",
            path.display()
        )
    };
    if meta.len() > MAX_STATE_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_STATE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_STATE_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The request counter of the first complete record of a journal file, if it has one.
fn first_at(bytes: &[u8]) -> Option<u64> {
    let end = memchr::memchr(b'\n', bytes)?;
    serde_json::from_slice::<Record>(&bytes[..end])
        .ok()
        .map(|r| r.at)
}

/// How one journal file ended.
#[derive(Debug, Default)]
struct FileReplay {
    applied: usize,
    records: usize,
    valid_len: u64,
    /// A torn last line was found (and ignored).
    torn: bool,
}

/// Replays the journal of the state file `state` into `gateway` (which holds that state file's
/// snapshot): `<state>.journal` and `<state>.journal2`, the file whose first record is older
/// first. A missing journal file is an empty one. Each file is read whole, bounded by
/// [`MAX_STATE_FILE_BYTES`]; an unreadable line other than a file's last is an error naming
/// the file and the line. When the older file ends in a torn line, a newer file that does not
/// follow it is ignored: its records were written after a call that never became durable, so
/// none of them was acknowledged.
pub fn replay(gateway: &mut Gateway, state: &Path) -> Result<Replayed, String> {
    let (first, second) = (journal_path(state), second_journal_path(state));
    let (a, b) = (read_journal_file(&first)?, read_journal_file(&second)?);
    let mut out = Replayed {
        len: a.len() as u64,
        second_len: b.len() as u64,
        ..Replayed::default()
    };
    if memchr::memchr(b'\n', &b).is_none() {
        // No complete record in the second file: a torn line, or nothing.
        let r = replay_file(gateway, &first, &a)?;
        (out.applied, out.records, out.valid_len) = (r.applied, r.records, r.valid_len);
        return Ok(out);
    }
    // (A first line that does not parse is reported by the replay of its file.)
    let second_is_older = match (first_at(&a), first_at(&b)) {
        (Some(a), Some(b)) => b < a,
        (None, Some(_)) => true,
        _ => false,
    };
    let files = if second_is_older {
        [(&second, &b), (&first, &a)]
    } else {
        [(&first, &a), (&second, &b)]
    };
    let older = replay_file(gateway, files[0].0, files[0].1)?;
    let newer_first = first_at(files[1].1);
    let ignored = older.torn && newer_first.is_some_and(|at| at > gateway.state.requests);
    let newer = if ignored {
        FileReplay::default()
    } else {
        replay_file(gateway, files[1].0, files[1].1)?
    };
    out.applied = older.applied + newer.applied;
    out.records = older.records + newer.records;
    out.valid_len = if second_is_older {
        newer.valid_len
    } else {
        older.valid_len
    };
    Ok(out)
}

/// Replays the records of one journal file (`bytes`, read from `path`).
fn replay_file(gateway: &mut Gateway, path: &Path, bytes: &[u8]) -> Result<FileReplay, String> {
    let mut out = FileReplay::default();
    let mut start = 0usize;
    let mut number = 0usize;
    while start < bytes.len() {
        number += 1;
        let (end, next) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        let line = &bytes[start..end];
        let last = next == bytes.len();
        if line.is_empty() {
            start = next;
            out.valid_len = next as u64;
            continue;
        }
        let record: Record = match serde_json::from_slice(line) {
            // A line without its newline is torn even if it parses: its append never finished.
            Ok(r) if end < bytes.len() => r,
            Ok(_) => {
                out.torn = true;
                break;
            }
            Err(_) if last => {
                out.torn = true;
                break;
            }
            Err(e) => {
                return Err(format!(
                    "{}:{number}: corrupt journal record: {e}",
                    path.display()
                ))
            }
        };
        out.records += 1;
        out.valid_len = next as u64;
        start = next;
        let requests = gateway.state.requests;
        if record.at < requests {
            continue;
        }
        if record.at != requests {
            return Err(format!(
                "{}:{number}: the journal does not follow the state file (record at request {}, state at {requests})",
                path.display(),
                record.at
            ));
        }
        gateway.call(&record.envelope, &record.request);
        out.applied += 1;
    }
    Ok(out)
}

/// Empties the journal of `state` (both files, where they exist) and syncs it. Called after
/// the state file was written with every journaled call in it.
pub fn truncate(state: &Path) -> Result<(), String> {
    truncate_file(&second_journal_path(state))?;
    truncate_file(&journal_path(state))
}

fn truncate_file(path: &Path) -> Result<(), String> {
    match OpenOptions::new().write(true).open(path) {
        Ok(f) => f
            .set_len(0)
            .and_then(|()| f.sync_all())
            .map_err(|e| format!("{}: cannot truncate: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: cannot open: {e}", path.display())),
    }
}

/// One JSON line for `record`, newline included.
pub fn record_line(record: &Record) -> Result<Vec<u8>, String> {
    let mut line = Vec::with_capacity(512);
    serde_json::to_writer(&mut line, record).map_err(|e| e.to_string())?;
    line.push(b'\n');
    Ok(line)
}

/// Appends `line` to the journal of `state` and syncs it, first cutting off a torn tail (bytes
/// past `valid_len`, left by a writer killed mid-append) so that the new record starts a line.
fn append(state: &Path, valid_len: u64, line: &[u8]) -> Result<(), String> {
    let path = journal_path(state);
    let fail = |e: std::io::Error| write_error(&path, &e);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len();
    if len == 0 {
        // A new journal holds what the state file holds: give it the same mode (and owner).
        if let Ok(meta) = std::fs::metadata(state) {
            keep_identity(&file, &meta).map_err(fail)?;
        }
    } else if len > valid_len {
        file.set_len(valid_len).map_err(fail)?;
    }
    if let Err(e) = file.write_all(line).and_then(|()| file.sync_data()) {
        // Leave no partial record behind: the call is not made.
        let _ = file.set_len(valid_len);
        return Err(fail(e));
    }
    Ok(())
}

/// Makes one gateway call on the state file at `path` and makes it durable: under the state's
/// [`StateLock`] (waiting at most `timeout`), loads the snapshot, replays the journal, lets
/// `prepare` build the request against that state, calls, and appends the call to the journal
/// (synced) — or, once the journal passes [`MAX_JOURNAL_RECORDS`] or [`MAX_JOURNAL_BYTES`],
/// compacts: writes the state atomically and empties the journal. An `Err` from `prepare`
/// leaves both files untouched. This is how `ramsim call` changes a state file.
pub fn call_locked(
    path: &Path,
    timeout: Duration,
    envelope: &Envelope,
    prepare: impl FnOnce(&SimState) -> Result<ApiRequest, String>,
) -> Result<CallResult, String> {
    std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let _lock = StateLock::acquire(path, timeout)?;
    let mut gateway = Gateway::new(SimState::load_snapshot(path)?);
    let replayed = replay(&mut gateway, path)?;
    let request = prepare(&gateway.state)?;
    let record = Record {
        at: gateway.state.requests,
        envelope: envelope.clone(),
        request,
    };
    let line = record_line(&record)?;
    let result = gateway.call(&record.envelope, &record.request);
    // The snapshot's records are decoded as the calls use them: one that failed means the
    // replay or the call ran on a partial world, so nothing is answered or written.
    gateway.state.check_damage(path)?;
    // A served state's second journal file is never appended to here: compacting empties it.
    let compact = replayed.records + 1 >= MAX_JOURNAL_RECORDS
        || replayed.valid_len + line.len() as u64 >= MAX_JOURNAL_BYTES
        || replayed.second_len > 0;
    remove_stale_temp_files(path)?;
    if compact {
        gateway.state.save(path)?;
        truncate(path)?;
    } else {
        append(path, replayed.valid_len, &line)?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn state_file(dir: &Path) -> PathBuf {
        let path = dir.join("s.state");
        SimState::from_world_file(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/worlds/peering.json"
        )))
        .unwrap()
        .save(&path)
        .unwrap();
        path
    }

    fn describe() -> ApiRequest {
        let mut params = Map::new();
        params.insert("RegionId".into(), "cn-hangzhou".into());
        ApiRequest {
            product: Some("Vpc".into()),
            action: "DescribeVpcs".into(),
            params,
        }
    }

    fn root() -> Envelope {
        Envelope {
            caller: "root@1234567890123456".into(),
            ..Envelope::default()
        }
    }

    /// Calls are appended, replayed by every load, and compacted into the snapshot at the
    /// bound; the loaded state is the same either way.
    #[test]
    fn calls_append_replay_and_compact() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_file(dir.path());
        let snapshot = std::fs::read(&path).unwrap();
        let mut direct = Gateway::new(SimState::load(&path).unwrap());
        for i in 0..MAX_JOURNAL_RECORDS - 1 {
            let r = call_locked(&path, Duration::ZERO, &root(), |_| Ok(describe())).unwrap();
            assert_eq!(r.http_status, 200, "{}", r.body);
            direct.call(&root(), &describe());
            assert_eq!(
                std::fs::read(&path).unwrap(),
                snapshot,
                "snapshot untouched"
            );
            let loaded = SimState::load(&path).unwrap();
            assert_eq!(loaded.requests, i as u64 + 1);
        }
        assert_eq!(
            SimState::load(&path).unwrap().to_json().unwrap(),
            direct.state.to_json().unwrap()
        );
        // The call that reaches the bound compacts.
        call_locked(&path, Duration::ZERO, &root(), |_| Ok(describe())).unwrap();
        direct.call(&root(), &describe());
        assert_ne!(std::fs::read(&path).unwrap(), snapshot);
        assert_eq!(std::fs::metadata(journal_path(&path)).unwrap().len(), 0);
        assert_eq!(
            SimState::load_snapshot(&path).unwrap().to_json().unwrap(),
            direct.state.to_json().unwrap()
        );
    }

    /// A torn last line is ignored by readers and cut off by the next writer; a corrupt line
    /// before the end is an error naming the journal and the line.
    #[test]
    fn torn_tails_are_cut_and_corrupt_lines_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_file(dir.path());
        call_locked(&path, Duration::ZERO, &root(), |_| Ok(describe())).unwrap();
        let journal = journal_path(&path);
        let good = std::fs::read(&journal).unwrap();
        let mut torn = good.clone();
        torn.extend_from_slice(&good[..good.len() / 2]);
        std::fs::write(&journal, &torn).unwrap();
        assert_eq!(SimState::load(&path).unwrap().requests, 1);
        call_locked(&path, Duration::ZERO, &root(), |_| Ok(describe())).unwrap();
        assert_eq!(SimState::load(&path).unwrap().requests, 2);
        let text = std::fs::read_to_string(&journal).unwrap();
        assert_eq!(text.lines().count(), 2, "the torn tail was cut: {text}");
        std::fs::write(&journal, format!("{{not json\n{text}")).unwrap();
        let err = SimState::load(&path).unwrap_err();
        assert!(
            err.contains("s.state.journal:1: corrupt journal record"),
            "{err}"
        );
    }

    fn lines_of(records: &[Record]) -> Vec<u8> {
        records
            .iter()
            .flat_map(|r| record_line(r).unwrap())
            .collect()
    }

    fn describes(from: u64, to: u64) -> Vec<Record> {
        (from..to)
            .map(|at| Record {
                at,
                envelope: root(),
                request: describe(),
            })
            .collect()
    }

    /// A served state's two journal files are replayed in the order of their first records,
    /// whichever file that is; a newer file after a torn older one is ignored (none of its calls
    /// was acknowledged), but a gap after a clean end is refused.
    #[test]
    fn both_journal_files_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = state_file(dir.path());
        let (first, second) = (journal_path(&path), second_journal_path(&path));
        for (older, newer) in [(&first, &second), (&second, &first)] {
            std::fs::write(older, lines_of(&describes(0, 3))).unwrap();
            std::fs::write(newer, lines_of(&describes(3, 5))).unwrap();
            assert_eq!(SimState::load(&path).unwrap().requests, 5);
            // Calls the state file already holds are skipped wherever they are.
            std::fs::write(newer, lines_of(&describes(1, 6))).unwrap();
            assert_eq!(SimState::load(&path).unwrap().requests, 6);
            // A torn older file: the newer one does not follow it and is ignored.
            let mut torn = lines_of(&describes(0, 3));
            torn.extend_from_slice(b"{\"at\":3,\"enve");
            std::fs::write(older, &torn).unwrap();
            std::fs::write(newer, lines_of(&describes(4, 6))).unwrap();
            assert_eq!(SimState::load(&path).unwrap().requests, 3);
            // The same gap after a clean end is an error naming the newer file.
            std::fs::write(older, lines_of(&describes(0, 3))).unwrap();
            let err = SimState::load(&path).unwrap_err();
            assert!(
                err.contains(&format!(
                    "{}:1: the journal does not follow",
                    newer.display()
                )),
                "{err}"
            );
        }
        // A corrupt first line of the second file is reported, not skipped.
        std::fs::write(&first, lines_of(&describes(0, 3))).unwrap();
        std::fs::write(&second, b"garbage\n{}\n").unwrap();
        let err = SimState::load(&path).unwrap_err();
        assert!(
            err.contains("s.state.journal2:1: corrupt journal record"),
            "{err}"
        );
        // `ramsim call` compacts whenever the second file holds anything, and empties both.
        std::fs::write(&second, lines_of(&describes(3, 4))).unwrap();
        call_locked(&path, Duration::ZERO, &root(), |_| Ok(describe())).unwrap();
        assert_eq!(std::fs::metadata(&first).unwrap().len(), 0);
        assert_eq!(std::fs::metadata(&second).unwrap().len(), 0);
        assert_eq!(SimState::load_snapshot(&path).unwrap().requests, 5);
    }
}
