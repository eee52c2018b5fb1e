//! The audit archive of a long-lived state: `<state>.audit.jsonl`, the oldest audit events,
//! moved out of the state file so that a server's memory and its compactions stay bounded
//! however many calls it answers.
//!
//! `ramsim serve` keeps the newest `--audit-keep` events in memory (what `LookupEvents` sees,
//! like ActionTrail's own limited window) and, when it compacts the journal, appends the
//! older ones here before writing the state file. The state records how many events and
//! bytes of the archive are its own ([`ArchiveMark`]): a crash between appending and writing
//! the state leaves a tail the state does not count, and the next retirement cuts it off
//! before appending again, so no event is ever archived twice or lost. `ramsim log` reads the
//! archive's counted bytes first, then the state's events.

use super::audit::AuditEvent;
use super::SimState;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How much of the archive belongs to a state: its first `events` lines, `bytes` long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveMark {
    /// Events archived (lines).
    pub events: u64,
    /// Length of those lines in bytes.
    pub bytes: u64,
}

impl ArchiveMark {
    /// True when nothing was ever archived (the state file then omits the mark).
    pub fn is_empty(&self) -> bool {
        *self == ArchiveMark::default()
    }
}

/// `<state>.audit.jsonl`.
pub fn archive_path(state: &Path) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(".audit.jsonl");
    PathBuf::from(s)
}

/// Moves all but the newest `keep` events of `state` to the archive beside `state_path`,
/// durably (`fsync`), and records the new mark in `state`. The caller writes the state file
/// afterwards; until it does, the file on disk still counts the old mark and holds the events.
/// Returns the number of events moved.
pub fn retire(state: &mut SimState, state_path: &Path, keep: usize) -> Result<usize, String> {
    let excess = state.audit.len().saturating_sub(keep);
    if excess == 0 {
        return Ok(0);
    }
    let path = archive_path(state_path);
    let fail = |what: &str, e: std::io::Error| format!("{}: cannot {what}: {e}", path.display());
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| fail("open", e))?;
    let on_disk = file.metadata().map_err(|e| fail("read", e))?.len();
    if on_disk < state.archived.bytes {
        return Err(format!(
            "{}: {on_disk} bytes, but the state file counts {} archived bytes in it (the archive was cut or replaced)",
            path.display(),
            state.archived.bytes
        ));
    }
    // A tail past the mark was written by a retirement whose state file never landed.
    file.set_len(state.archived.bytes)
        .map_err(|e| fail("truncate", e))?;
    file.seek(SeekFrom::End(0)).map_err(|e| fail("seek", e))?;
    let mut lines = Vec::with_capacity(excess * 1024);
    for event in &state.audit[..excess] {
        // The audit encoder writes serde_json's exact bytes, several times faster (a server's
        // compaction archives thousands of events at once).
        super::audit_json::write_event(event, &mut lines);
        lines.push(b'\n');
    }
    file.write_all(&lines).map_err(|e| fail("append", e))?;
    file.sync_all().map_err(|e| fail("sync", e))?;
    state.archived.events += excess as u64;
    state.archived.bytes += lines.len() as u64;
    state.audit.drain(..excess);
    Ok(excess)
}

/// Calls `each` with every archived event of the state at `state_path` (as far as `mark`
/// counts), oldest first. Reads line by line: the archive may be far larger than memory.
pub fn for_each_archived(
    state_path: &Path,
    mark: ArchiveMark,
    mut each: impl FnMut(AuditEvent) -> Result<(), String>,
) -> Result<(), String> {
    if mark.is_empty() {
        return Ok(());
    }
    let path = archive_path(state_path);
    let file = File::open(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut reader = BufReader::new(file.take(mark.bytes));
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        number += 1;
        let event: AuditEvent = serde_json::from_str(line.trim_end()).map_err(|e| {
            format!(
                "{}:{number}: not an archived audit event: {e}",
                path.display()
            )
        })?;
        each(event)?;
    }
    if number != mark.events {
        return Err(format!(
            "{}: {number} events where the state file counts {}",
            path.display(),
            mark.events
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ApiRequest, Envelope, Gateway};

    fn state_with_calls(n: usize) -> SimState {
        let world = r#"{"accounts": [{"uid": "1234567890123456", "alias": "A"}],
            "identity": {"accounts": {"A": {"users": [{"name": "u"}]}}}}"#;
        let mut gw =
            Gateway::new(SimState::from_world_json(world, Path::new(".")).expect("world builds"));
        let env = Envelope {
            caller: "u".into(),
            ..Envelope::default()
        };
        for _ in 0..n {
            gw.call(
                &env,
                &ApiRequest {
                    product: None,
                    action: "GetCallerIdentity".into(),
                    params: Default::default(),
                },
            );
        }
        gw.into_state()
    }

    fn archived(path: &Path, mark: ArchiveMark) -> Vec<AuditEvent> {
        let mut out = Vec::new();
        for_each_archived(path, mark, |e| {
            out.push(e);
            Ok(())
        })
        .expect("archive reads");
        out
    }

    #[test]
    fn retires_the_oldest_and_reads_them_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut state = state_with_calls(10);
        let all = state.audit.clone();
        assert_eq!(retire(&mut state, &path, 4).unwrap(), 6);
        assert_eq!(state.audit, all[6..]);
        assert_eq!(state.archived.events, 6);
        assert_eq!(
            retire(&mut state, &path, 4).unwrap(),
            0,
            "nothing over the bound"
        );
        let back = archived(&path, state.archived);
        assert_eq!(back, all[..6]);
        assert_eq!(
            std::fs::metadata(archive_path(&path)).unwrap().len(),
            state.archived.bytes
        );
    }

    /// A retirement whose state file never landed (a crash) leaves a tail the old state does
    /// not count: the next retirement from that old state cuts it, so nothing is archived
    /// twice.
    #[test]
    fn a_tail_from_a_lost_state_write_is_cut_not_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut state = state_with_calls(8);
        let all = state.audit.clone();
        retire(&mut state, &path, 6).unwrap();
        let saved = state.clone();
        // Retired again, then "crashed" before the state file was written.
        let mut lost = state.clone();
        retire(&mut lost, &path, 1).unwrap();
        assert!(std::fs::metadata(archive_path(&path)).unwrap().len() > saved.archived.bytes);
        let mut resumed = saved;
        retire(&mut resumed, &path, 3).unwrap();
        let mut everything = archived(&path, resumed.archived);
        everything.extend(resumed.audit.iter().cloned());
        assert_eq!(everything, all, "every event exactly once, in order");
    }

    #[test]
    fn a_cut_archive_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut state = state_with_calls(5);
        retire(&mut state, &path, 1).unwrap();
        std::fs::write(archive_path(&path), b"").unwrap();
        let err = retire(&mut state, &path, 0).unwrap_err();
        assert!(
            err.contains("s.json.audit.jsonl") && err.contains("counts"),
            "{err}"
        );
        let err = for_each_archived(&path, state.archived, |_| Ok(())).unwrap_err();
        assert!(
            err.contains("0 events where the state file counts 4"),
            "{err}"
        );
    }
}
