//! The binary state snapshot: what `ramsim init`, a compaction and `ramsim serve` write as the
//! state file. A 24-byte header, then the payload:
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | [`MAGIC`] (`0xAB` then `RAMSIM` then `\n`: never the start of a JSON document) |
//! | 8..12 | snapshot format version, little-endian u32 ([`SNAPSHOT_VERSION`]) |
//! | 12..16 | state schema version, little-endian u32 ([`STATE_SCHEMA_VERSION`]) |
//! | 16..24 | payload length in bytes, little-endian u64 (the rest of the file, exactly) |
//! | 24..28 | CRC-32 of the rest of the file, little-endian u32 |
//! | 28.. | the [`SimState`] and its [`SnapshotDerived`] data in the [`codec`] format |
//!
//! Why a self-describing format and not bincode: the state types omit empty fields
//! (`skip_serializing_if`), and the audit trail holds `serde_json::Value`s; bincode is not
//! self-describing, so it can read neither back. The codec writes each repeated string once
//! (see [`codec`]), and the world's big maps as lazy sections whose values a `ramsim call`
//! decodes only when it uses them ([`crate::store::LazyMap`]); the derived data (the timer
//! queue, the VPC quota counts) saves that call a scan of every record. Older formats still
//! load, and the next write turns them into version 4: version 1 was MessagePack with named
//! fields (crate `rmp-serde`), version 2 the codec with every map inline and no checksum,
//! version 3 lazy sections whose string table and keys had to be parsed whole. All
//! keep map order, so the same state always encodes to the same bytes. The JSON form stays
//! available as `ramsim export`.
//!
//! Hostile and damaged files: the header is checked before the payload is decoded; the payload
//! must be exactly the rest of the file (a torn file is refused); the checksum catches damage
//! anywhere in it before anything is decoded, including in values decoded only later; lengths
//! inside it are checked against the bytes that remain, so a forged length never allocates
//! more than the file's size, and nesting is bounded by the decoder's depth limit. A lazily
//! decoded value that still fails (a file forged with a matching checksum) makes the command
//! that met it fail without writing ([`World::damage`](crate::cloud::World::damage)).

use crate::cloud::world::SnapshotDerived;
use crate::store::codec::{self, MAX_DEPTH};
use serde::{Deserialize, Serialize};

use super::state::{SimState, STATE_SCHEMA_VERSION};
use std::path::Path;
use std::sync::Arc;

/// The first eight bytes of a binary state file.
pub const MAGIC: [u8; 8] = *b"\xABRAMSIM\n";

/// Version of the binary encoding (header and payload layout); bumped on incompatible changes.
pub const SNAPSHOT_VERSION: u32 = 4;

/// Format 3: lazy sections with a string table of varint lengths and each value's length
/// before it (read, never written).
const PARSED_SECTIONS_VERSION: u32 = 3;

/// Format 2: the codec with every map inline and no checksum (read, never written).
const STRING_TABLE_VERSION: u32 = 2;

/// The MessagePack encoding of sessions 11–13, still read.
const MSGPACK_VERSION: u32 = 1;

/// Header length: magic, two versions, payload length.
pub const HEADER_LEN: usize = 24;

/// True when `bytes` starts like a binary state file.
pub fn is_snapshot(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Encodes `state` as a binary snapshot (header + payload).
pub fn encode(state: &SimState) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.extend_from_slice(&STATE_SCHEMA_VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    let body = BodyOut {
        state,
        derived: state.world.snapshot_derived(),
    };
    let payload = codec::to_vec(&body).map_err(|e| format!("cannot serialize state: {e}"))?;
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    let len = (out.len() - HEADER_LEN) as u64;
    out[16..24].copy_from_slice(&len.to_le_bytes());
    Ok(out)
}

/// Decodes a binary snapshot read from `path` (named in every error).
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<SimState, String> {
    let file = path.display();
    if !is_snapshot(&bytes) {
        return Err(format!("{file}: not a ramsim state file"));
    }
    if bytes.len() < HEADER_LEN {
        return Err(format!(
            "{file}: not a state file: truncated header ({} of {HEADER_LEN} bytes)",
            bytes.len()
        ));
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let format = u32_at(8);
    if ![
        SNAPSHOT_VERSION,
        PARSED_SECTIONS_VERSION,
        STRING_TABLE_VERSION,
        MSGPACK_VERSION,
    ]
    .contains(&format)
    {
        return Err(format!(
            "{file}: binary state format version {format} is not supported (expected {SNAPSHOT_VERSION})"
        ));
    }
    let schema = u32_at(12);
    if schema != STATE_SCHEMA_VERSION {
        return Err(format!(
            "{file}: state schema version {schema} is not supported (expected {STATE_SCHEMA_VERSION})"
        ));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[16..24]);
    let len = u64::from_le_bytes(len);
    let rest = (bytes.len() - HEADER_LEN) as u64;
    if len != rest {
        return Err(format!(
            "{file}: not a state file: the header announces {len} bytes of state, the file holds {rest} (torn or truncated)"
        ));
    }
    let state: SimState = match format {
        SNAPSHOT_VERSION => {
            // The lazy sections keep sharing the file's buffer.
            let file = Arc::new(bytes);
            checked_body(&file[HEADER_LEN..])
                .and_then(|_| {
                    codec::from_shared(&file, HEADER_LEN + 4, MAX_DEPTH).map_err(|e| e.to_string())
                })
                .map(adopt)
        }
        _ => decode_older(format, &bytes[HEADER_LEN..]),
    }
    .map_err(|e| format!("{file}: corrupt state file: {e}"))?;
    if state.format != "ramsim-state" || state.schema_version != STATE_SCHEMA_VERSION {
        return Err(format!(
            "{file}: corrupt state file: the payload says format `{}`, schema version {}",
            state.format, state.schema_version
        ));
    }
    Ok(state)
}

/// The payload of a file of format 1, 2 or 3.
fn decode_older(format: u32, payload: &[u8]) -> Result<SimState, String> {
    match format {
        MSGPACK_VERSION => {
            let mut de = rmp_serde::Deserializer::from_read_ref(payload);
            de.set_max_depth(MAX_DEPTH);
            serde::Deserialize::deserialize(&mut de).map_err(|e| e.to_string())
        }
        STRING_TABLE_VERSION => codec::from_slice(payload, MAX_DEPTH).map_err(|e| e.to_string()),
        _ => checked_body(payload)
            .and_then(|body| codec::from_slice_format3(body, MAX_DEPTH).map_err(|e| e.to_string()))
            .map(adopt),
    }
}

/// What formats 3 and 4 encode: the state, then what a lazily read world would otherwise rebuild
/// from every record.
#[derive(Serialize)]
struct BodyOut<'a> {
    state: &'a SimState,
    derived: SnapshotDerived,
}

#[derive(Deserialize)]
struct BodyIn {
    state: SimState,
    derived: SnapshotDerived,
}

/// The body of a format-3 or -4 payload, once the CRC-32 before it matches.
fn checked_body(payload: &[u8]) -> Result<&[u8], String> {
    let (sum, body) = payload
        .split_first_chunk::<4>()
        .ok_or("truncated checksum")?;
    let found = crc32fast::hash(body);
    if u32::from_le_bytes(*sum) != found {
        return Err(format!(
            "checksum mismatch (the file says {:08x}, its bytes give {found:08x}): the file was damaged after it was written",
            u32::from_le_bytes(*sum)
        ));
    }
    Ok(body)
}

/// The state of a decoded body, with the derived data it was saved with.
fn adopt(body: BodyIn) -> SimState {
    let mut state = body.state;
    state.world.adopt_snapshot_derived(body.derived);
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SimState {
        SimState::from_world_file(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/worlds/peering.json"
        )))
        .unwrap()
    }

    #[test]
    fn round_trip_is_exact_and_deterministic() {
        let s = state();
        let bytes = encode(&s).unwrap();
        assert!(is_snapshot(&bytes));
        let back = decode(Path::new("s"), bytes.clone()).unwrap();
        assert_eq!(back.to_json().unwrap(), s.to_json().unwrap());
        assert_eq!(encode(&back).unwrap(), bytes, "same state, same bytes");
    }

    #[test]
    fn hostile_headers_and_payloads_are_errors_naming_the_file() {
        let bytes = encode(&state()).unwrap();
        let err = |b: &[u8]| decode(Path::new("evil.state"), b.to_vec()).unwrap_err();
        for cut in [0, 3, 8, 23, 24, bytes.len() / 2, bytes.len() - 1] {
            let e = err(&bytes[..cut]);
            assert!(e.starts_with("evil.state: "), "{e}");
        }
        let mut v = bytes.clone();
        v[8] = 9;
        assert!(err(&v).contains("format version 9 is not supported"));
        let mut v = bytes.clone();
        v[12] = 7;
        assert!(err(&v).contains("schema version 7 is not supported"));
        // A forged length, and a payload whose lengths claim far more than the file holds:
        // errors, no allocation of the claimed size.
        let mut v = bytes.clone();
        v[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(err(&v).contains("torn or truncated"));
        let with_payload = |payload: &[u8]| {
            let mut v = bytes[..HEADER_LEN].to_vec();
            v.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
            v.extend_from_slice(payload);
            v[16..24].copy_from_slice(&(payload.len() as u64 + 4).to_le_bytes());
            v
        };
        // A string table of 2^32 strings, then a map of 2^32 entries.
        for payload in [
            &[0xff, 0xff, 0xff, 0xff, 0x0f][..],
            &[0, 10, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ] {
            let e = err(&with_payload(payload));
            assert!(
                e.contains("corrupt state file") && e.contains("exceeds"),
                "{e}"
            );
        }
        // 100,000 nested one-element sequences (the codec's own tests show the depth bound).
        let mut deep = vec![0u8];
        deep.extend(std::iter::repeat_n([9u8, 1], 100_000).flatten());
        assert!(err(&with_payload(&deep)).contains("corrupt state file"));
    }

    #[test]
    fn format_1_messagepack_files_still_load() {
        let s = state();
        let mut v1 = encode(&s).unwrap()[..HEADER_LEN].to_vec();
        v1[8..12].copy_from_slice(&MSGPACK_VERSION.to_le_bytes());
        let mut ser = rmp_serde::Serializer::new(&mut v1).with_struct_map();
        serde::Serialize::serialize(&s, &mut ser).unwrap();
        let len = (v1.len() - HEADER_LEN) as u64;
        v1[16..24].copy_from_slice(&len.to_le_bytes());
        let back = decode(Path::new("old.state"), v1.clone()).unwrap();
        assert_eq!(back.to_json().unwrap(), s.to_json().unwrap());
        assert!(
            encode(&back).unwrap().len() < v1.len(),
            "format 2 is smaller"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes after a valid header, and any few bytes of a valid snapshot overwritten
        /// (with the checksum left stale, or forged to match so the decoder meets them): an
        /// error, or a state whose records decode or report their damage — never a panic, a
        /// hang or an allocation past the file.
        #[test]
        fn damaged_snapshots_are_errors_or_states_never_panics(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..6),
        ) {
            let good = encode(&state()).unwrap();
            let mut v = good[..HEADER_LEN].to_vec();
            v.extend_from_slice(&noise);
            v[16..24].copy_from_slice(&(noise.len() as u64).to_le_bytes());
            let _ = decode(Path::new("noise.state"), v.clone());
            let mut v = good.clone();
            for (at, byte) in edits {
                let at = HEADER_LEN + at.index(v.len() - HEADER_LEN);
                v[at] = byte;
            }
            if let Err(e) = decode(Path::new("edited.state"), v.clone()) {
                proptest::prop_assert!(e.contains("checksum mismatch") || v == good, "{}", e);
            }
            let sum = crc32fast::hash(&v[HEADER_LEN + 4..]);
            v[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&sum.to_le_bytes());
            match decode(Path::new("forged.state"), v.clone()) {
                Err(e) => proptest::prop_assert!(e.starts_with("forged.state: "), "{}", e),
                Ok(state) => {
                    let _ = state.world.force_all();
                    if let Some(d) = state.world.damage() {
                        proptest::prop_assert!(d.contains("is damaged"), "{}", d);
                    }
                }
            }
        }
    }
}
