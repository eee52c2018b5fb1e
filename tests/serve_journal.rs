//! The served state's journal: replay applies exactly the records the state file lacks, a torn
//! last line is ignored, a journal that does not follow the state is refused, and the lock on
//! `<state>.lock` is exclusive.

use ramsim::api::{parse_cli_line, Envelope, SimState};
use ramsim::serve::journal::{acquire_lock, journal_path, recover, Journal, Record};
use std::path::Path;

fn world() -> String {
    format!("{}/examples/sdk-world.json", env!("CARGO_MANIFEST_DIR"))
}

fn record(at: u64, line: &str) -> Record {
    Record {
        at,
        envelope: Envelope {
            caller: "LTAI5tNetOpsExample0001".into(),
            time: Some("2025-01-02T00:00:00Z".into()),
            ..Envelope::default()
        },
        request: parse_cli_line(line).unwrap(),
    }
}

fn write_journal(state: &Path, records: &[Record], tail: &str) {
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).unwrap());
        text.push('\n');
    }
    text.push_str(tail);
    std::fs::write(journal_path(state), text).unwrap();
}

#[test]
fn replay_applies_only_what_the_state_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    SimState::from_world_file(Path::new(&world()))
        .unwrap()
        .save(&state)
        .unwrap();
    let describe = "aliyun vpc DescribeVpcs --RegionId cn-hangzhou";
    // Records 0 and 1, then a torn third line (a crash in the middle of an append).
    write_journal(
        &state,
        &[record(0, describe), record(1, describe)],
        "{\"at\":2,\"envel",
    );
    let (gateway, applied) = recover(&state).unwrap();
    assert_eq!(applied, 2);
    assert_eq!(gateway.state.requests, 2);
    assert_eq!(gateway.state.audit.len(), 2);
    assert_eq!(
        gateway.state.world.now().to_string(),
        "2025-01-02T00:00:00Z"
    );
    // The state now contains both calls; the same journal replays nothing more.
    let mut j = Journal::open(
        &state,
        std::sync::Arc::new(ramsim::serve::journal::GroupCommit::new()),
    )
    .unwrap();
    gateway.state.save(&state).unwrap();
    write_journal(&state, &[record(0, describe), record(1, describe)], "");
    let (mut again, applied) = recover(&state).unwrap();
    assert_eq!((applied, again.state.requests), (0, 2));
    // Compaction empties the journal and moves all but the newest `audit_keep` events to the
    // archive: the state file keeps one, the archive the other, in order.
    let events = again.state.audit.clone();
    assert_eq!(events.len(), 2);
    j.compact_now(&mut again.state, &state, 1).unwrap();
    assert_eq!(std::fs::read(journal_path(&state)).unwrap().len(), 0);
    let saved = ramsim::api::SimState::load(&state).unwrap();
    assert_eq!(saved.audit, events[1..]);
    let mut archived = Vec::new();
    ramsim::api::audit_archive::for_each_archived(&state, saved.archived, |e| {
        archived.push(e);
        Ok(())
    })
    .unwrap();
    assert_eq!(archived, events[..1]);
    // A record that skips ahead of the state is refused, naming the journal and line.
    write_journal(&state, &[record(5, describe)], "");
    let err = recover(&state).err().unwrap();
    assert!(
        err.contains("state.json.journal:1") && err.contains("does not follow"),
        "{err}"
    );
    // A corrupt line that is not the last one is an error too.
    write_journal(&state, &[record(2, describe)], "garbage\n{}\n");
    let err = recover(&state).err().unwrap();
    assert!(err.contains(":2: corrupt journal record"), "{err}");
}

#[test]
fn the_state_lock_is_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let held = acquire_lock(&state).unwrap();
    let err = acquire_lock(&state).err().unwrap();
    assert!(err.contains("in use by another process"), "{err}");
    drop(held);
    assert!(acquire_lock(&state).is_ok());
}
