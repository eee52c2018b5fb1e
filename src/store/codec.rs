//! The snapshot's payload encoding: a compact, self-describing serde format with one string
//! table.
//!
//! ```text
//! payload = count:varint  len:varint × count  table bytes (UTF-8, the strings back to back)
//!           value
//! value   = 0 unit/None | 1 false | 2 true | 3 Some value | 4 u64:varint | 5 (−1 − i64):varint
//!         | 6 f64 (8 bytes LE) | 7 string id:varint | 8 len:varint bytes
//!         | 9 count:varint value × count (sequence) | 10 count:varint (value value) × count (map)
//! ```
//!
//! Why not MessagePack with named fields (format 1): every string — each struct field name of
//! every record, and each id as often as it is referenced (a vSwitch id appears in its map key,
//! its record, its instances, its ENIs, the address index) — was written, UTF-8-validated and
//! compared in full at every occurrence. Here a string is written to the table once and every
//! occurrence is a small integer (a string whose slot in the encoder's 65,536-slot cache
//! another string has taken since is written again); the table is validated in one pass, and
//! field names
//! resolve by the derived field match on the table's `&str`. Decoding the 10,000-VPC state took 263 M
//! instructions in format 1 (BENCHMARKS.md, "State files").
//!
//! Structs are maps keyed by field name and enums are externally tagged (a unit variant is its
//! name, any other variant a one-entry map), exactly as in JSON, so `serde_json::Value`s,
//! internally tagged enums and skipped empty fields round-trip. Ids are given in first-use
//! order while encoding a deterministic state, so the same state always gives the same bytes.
//!
//! Hostile input: every count and id is checked against the bytes that remain or the table's
//! size before anything is allocated, varints longer than ten bytes are refused, and nesting is
//! bounded by the caller's depth limit.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

const UNIT: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const SOME: u8 = 3;
const UINT: u8 = 4;
const NEG: u8 = 5;
const FLOAT: u8 = 6;
const STR: u8 = 7;
const BYTES: u8 = 8;
const SEQ: u8 = 9;
const MAP: u8 = 10;

/// An encoding or decoding error (the caller adds the file name).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error(msg.into()))
}

/// Appends `v` as LEB128.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Overwrites the five bytes at `at` with `v` as a padded LEB128 (for counts known only after
/// the elements are written).
fn patch_varint5(out: &mut [u8], at: usize, v: u32) {
    let mut v = v as u64;
    for i in 0..5 {
        let more = if i < 4 { 0x80 } else { 0 };
        out[at + i] = (v as u8 & 0x7f) | more;
        v >>= 7;
    }
}

/// A fast, deterministic string hash (FxHash-style over 8-byte words). Collisions cost only
/// compactness: a string whose hash is taken by another string gets its own table entry.
fn hash_str(s: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = s.len() as u64;
    let mut chunks = s.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^ (h >> 29)
}

/// Byte equality, inlined for the short strings of a state (ids, names), where a call to
/// `memcmp` costs more than the comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8], i: usize| {
        u64::from_le_bytes(<[u8; 8]>::try_from(&c[i..i + 8]).unwrap_or_default())
    };
    let mut i = 0;
    while i + 8 <= a.len() {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    a[i..] == b[i..]
}

/// Encodes `value` as a payload (string table, then the value).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut enc = Encoder::new(false);
    value.serialize(&mut enc)?;
    Ok(enc.finish())
}

/// The newtype-struct name that marks a map to be written as a lazy section: a payload of its
/// own (string table, then the map) whose values each carry their byte length, so a reader can
/// index the keys and decode a value only when it is used ([`Section`],
/// [`crate::store::LazyMap`]). Other serde formats see an ordinary newtype around a map.
pub const LAZY_SECTION: &str = "$ramsim::lazy_section";

/// The deepest nesting a snapshot decoder follows (world and scenario JSON allow 128 levels;
/// request values in audit events are JSON of at most that depth).
pub const MAX_DEPTH: usize = 512;

/// A map written as a section ([`Section`]).
fn section_to_vec<T: Serialize + ?Sized>(map: &T) -> Result<Vec<u8>, Error> {
    let mut enc = Encoder::new(true);
    map.serialize(&mut enc)?;
    if enc.section_top {
        return err("a lazy section must hold a map");
    }
    enc.finish_section()
}

struct Encoder {
    out: Vec<u8>,
    /// Recently written strings: `(hash, id)` by `hash % RECENT`, direct-mapped. A string
    /// whose slot another string took since is written to the table again: a little size for
    /// a cache that stays small and never rehashes (a table of every distinct string of
    /// 100,000 instances spends its time in cache misses).
    recent: Vec<(u64, u32)>,
    /// The distinct strings, back to back.
    table: Vec<u8>,
    /// End offset in `table` of each string, by id.
    ends: Vec<usize>,
    /// Field and variant names by address: `(pointer, length, id + 1)`, direct-mapped.
    names: [(usize, usize, u32); NAME_CACHE],
    /// Writing a section whose top-level map is not yet open: that map's keys go to
    /// `section_entries` and its values back to back to `out`.
    section_top: bool,
    /// A section's entries as written: `(key id, end of the value in out)`.
    section_entries: Vec<(u32, u32)>,
}

/// Slots of the field-name cache (a state has a few hundred distinct field names).
const NAME_CACHE: usize = 1024;

/// Slots of the recent-strings cache (1 MiB).
const RECENT: usize = 1 << 16;

/// An empty slot of the recent-strings cache.
const NO_ID: u32 = u32::MAX;

impl Encoder {
    fn new(section: bool) -> Encoder {
        Encoder {
            out: Vec::with_capacity(64 * 1024),
            recent: vec![(0, NO_ID); RECENT],
            table: Vec::new(),
            ends: Vec::new(),
            names: [(0, 0, 0); NAME_CACHE],
            section_top: section,
            section_entries: Vec::new(),
        }
    }

    /// A section: its string table of fixed-width ends, then its entries and their values
    /// (see [`Section`]).
    fn finish_section(self) -> Result<Vec<u8>, Error> {
        let too_big = || Error("a lazy section exceeds 4 GiB".into());
        let count = |n: usize| u32::try_from(n).map_err(|_| too_big());
        let mut out = Vec::with_capacity(
            8 + self.ends.len() * 4
                + self.table.len()
                + self.section_entries.len() * 8
                + self.out.len(),
        );
        out.extend_from_slice(&count(self.ends.len())?.to_le_bytes());
        for &end in &self.ends {
            out.extend_from_slice(&count(end)?.to_le_bytes());
        }
        out.extend_from_slice(&self.table);
        out.extend_from_slice(&count(self.section_entries.len())?.to_le_bytes());
        for &(key, end) in &self.section_entries {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&end.to_le_bytes());
        }
        out.extend_from_slice(&self.out);
        Ok(out)
    }

    /// The payload: the string table, then what was written.
    fn finish(self) -> Vec<u8> {
        let mut payload =
            Vec::with_capacity(self.table.len() + self.out.len() + self.ends.len() * 2 + 8);
        put_varint(&mut payload, self.ends.len() as u64);
        let mut start = 0;
        for &end in &self.ends {
            put_varint(&mut payload, (end - start) as u64);
            start = end;
        }
        payload.extend_from_slice(&self.table);
        payload.extend_from_slice(&self.out);
        payload
    }

    /// Writes a field or variant name: the same `&'static str` is found by its address, with
    /// no hashing or comparing of its bytes.
    fn name(&mut self, s: &'static str) {
        let slot = (s.as_ptr() as usize >> 2) % NAME_CACHE;
        let (ptr, len, id) = self.names[slot];
        if ptr == s.as_ptr() as usize && len == s.len() && id != 0 {
            self.out.push(STR);
            put_varint(&mut self.out, (id - 1) as u64);
            return;
        }
        let id = self.string(s);
        self.names[slot] = (s.as_ptr() as usize, s.len(), id + 1);
    }

    /// Writes a string as its table id (appending it to the table unless it was written
    /// recently); returns the id.
    fn string(&mut self, s: &str) -> u32 {
        let h = hash_str(s);
        let slot = (h as usize) % RECENT;
        let (seen, id) = self.recent[slot];
        let id = if id != NO_ID && seen == h && same_bytes(self.entry(id), s.as_bytes()) {
            id
        } else {
            let id = self.ends.len() as u32;
            self.table.extend_from_slice(s.as_bytes());
            self.ends.push(self.table.len());
            self.recent[slot] = (h, id);
            id
        };
        self.out.push(STR);
        put_varint(&mut self.out, id as u64);
        id
    }

    fn entry(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.table[start..self.ends[id]]
    }

    fn begin(&mut self, tag: u8, len: Option<usize>) -> Compound<'_> {
        if tag == MAP && std::mem::take(&mut self.section_top) {
            // A section's map: no tag or count (the entries are listed apart).
            return Compound {
                enc: self,
                patch: None,
                expected: len.unwrap_or(usize::MAX),
                written: 0,
                section: true,
            };
        }
        self.out.push(tag);
        let (patch, expected) = match len {
            Some(n) => {
                put_varint(&mut self.out, n as u64);
                (None, n)
            }
            None => {
                let at = self.out.len();
                self.out.extend_from_slice(&[0; 5]);
                (Some(at), 0)
            }
        };
        Compound {
            enc: self,
            patch,
            expected,
            written: 0,
            section: false,
        }
    }

    /// Opens the one-entry map of a non-unit enum variant.
    fn variant(&mut self, name: &'static str) {
        self.out.push(MAP);
        put_varint(&mut self.out, 1);
        self.name(name);
    }
}

/// A sequence or map being written; checks the announced element count.
struct Compound<'a> {
    enc: &'a mut Encoder,
    /// Where to write the count once known (length not announced).
    patch: Option<usize>,
    expected: usize,
    written: usize,
    /// A section's map: each key's string id goes to the section's entry list, each value
    /// to `out`.
    section: bool,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.written += 1;
        v.serialize(&mut *self.enc)
    }

    fn finish(self) -> Result<(), Error> {
        if self.section && self.expected == usize::MAX {
            return Ok(());
        }
        match self.patch {
            Some(at) => {
                let n =
                    u32::try_from(self.written).map_err(|_| Error("too many elements".into()))?;
                patch_varint5(&mut self.enc.out, at, n);
                Ok(())
            }
            None if self.written == self.expected => Ok(()),
            None => err(format!(
                "announced {} elements, wrote {}",
                self.expected, self.written
            )),
        }
    }
}

impl<'a> ser::Serializer for &'a mut Encoder {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn is_human_readable(&self) -> bool {
        false
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push(if v { TRUE } else { FALSE });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v as i64)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        if v >= 0 {
            return self.serialize_u64(v as u64);
        }
        self.out.push(NEG);
        put_varint(&mut self.out, !(v as u64));
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v as u64)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v as u64)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v as u64)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.out.push(UINT);
        put_varint(&mut self.out, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.out.push(FLOAT);
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.out.push(BYTES);
        put_varint(&mut self.out, v.len() as u64);
        self.out.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.out.push(UNIT);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        self.out.push(SOME);
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push(UNIT);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
    ) -> Result<(), Error> {
        self.string(name);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        if name == LAZY_SECTION {
            let section = section_to_vec(v)?;
            return ser::Serializer::serialize_bytes(self, &section);
        }
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.variant(name);
        v.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.begin(SEQ, len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.begin(SEQ, Some(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.begin(SEQ, Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant(name);
        Ok(self.begin(SEQ, Some(len)))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.begin(MAP, len))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        // Not the announced length: fields skipped by `skip_serializing_if` are counted as
        // they are written.
        Ok(self.begin(MAP, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant(name);
        Ok(self.begin(MAP, None))
    }
}

/// The four sequence-like serializer traits: each element is one value.
macro_rules! sequence_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                self.element(v)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

sequence_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        if self.section {
            // Written as usual, then moved from `out` to the entry list.
            self.written += 1;
            let at = self.enc.out.len();
            k.serialize(&mut *self.enc)?;
            let written = self.enc.out.split_off(at);
            let mut de = Decoder::over(&written);
            if de.byte()? != STR {
                return err("a lazy section's keys must be strings");
            }
            let id = u32::try_from(de.varint()?).map_err(|_| Error("too many strings".into()))?;
            self.enc.section_entries.push((id, 0));
            return Ok(());
        }
        // A map entry counts once, at its key.
        self.element(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.enc)?;
        if self.section {
            let end = u32::try_from(self.enc.out.len())
                .map_err(|_| Error("a lazy section exceeds 4 GiB".into()))?;
            if let Some(entry) = self.enc.section_entries.last_mut() {
                entry.1 = end;
            }
        }
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.written += 1;
        self.enc.name(key);
        v.serialize(&mut *self.enc)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// Decodes a payload written by [`to_vec`]; nesting deeper than `max_depth` is an error.
pub fn from_slice<'de, T: de::Deserialize<'de>>(
    bytes: &'de [u8],
    max_depth: usize,
) -> Result<T, Error> {
    decode_payload(bytes, max_depth, false)
}

/// [`from_slice`] for a payload of snapshot format 3, whose lazy sections had a string table
/// of varint lengths and each value's length before it: each section is rewritten in
/// today's layout as it is read.
pub fn from_slice_format3<'de, T: de::Deserialize<'de>>(
    bytes: &'de [u8],
    max_depth: usize,
) -> Result<T, Error> {
    decode_payload(bytes, max_depth, true)
}

/// [`from_slice`] of `buf[start..]`, whose lazy sections keep `buf` (shared, not copied)
/// instead of a copy of their bytes: a snapshot's sections are most of its file.
pub fn from_shared<'de, T: de::Deserialize<'de>>(
    buf: &'de Arc<Vec<u8>>,
    start: usize,
    max_depth: usize,
) -> Result<T, Error> {
    let bytes = buf
        .get(start..)
        .ok_or_else(|| Error("a payload outside its buffer".into()))?;
    decode_with(bytes, max_depth, false, Some(buf))
}

fn decode_payload<'de, T: de::Deserialize<'de>>(
    bytes: &'de [u8],
    max_depth: usize,
    format3_sections: bool,
) -> Result<T, Error> {
    decode_with(bytes, max_depth, format3_sections, None)
}

fn decode_with<'de, T: de::Deserialize<'de>>(
    bytes: &'de [u8],
    max_depth: usize,
    format3_sections: bool,
    shared: Option<&'de Arc<Vec<u8>>>,
) -> Result<T, Error> {
    let Table { text, spans, end } = read_table(bytes)?;
    let mut de = Decoder {
        input: bytes,
        pos: end,
        strings: Strings::Spans {
            text,
            spans: &spans,
        },
        depth_left: max_depth,
        format3_sections,
        shared,
    };
    let value = T::deserialize(&mut de)?;
    if de.pos != de.input.len() {
        return err(format!("{} bytes after the state", de.input.len() - de.pos));
    }
    Ok(value)
}

/// A payload's string table as read.
struct Table<'de> {
    /// The strings back to back (checked UTF-8).
    text: &'de str,
    /// Each string's span in `text`, by id.
    spans: Vec<(u32, u32)>,
    /// Where the table ends in the payload.
    end: usize,
}

/// Reads the string table at the start of a payload: the strings' text (one UTF-8 check for
/// all of them), each string's span in it, and where the table ends.
fn read_table(bytes: &[u8]) -> Result<Table<'_>, Error> {
    let mut de = Decoder::over(bytes);
    let count = de.count()?;
    let mut spans = Vec::with_capacity(count);
    let mut total = 0usize;
    for _ in 0..count {
        let n = de.varint()?;
        let end = total
            .checked_add(usize::try_from(n).unwrap_or(usize::MAX))
            .filter(|&t| t <= de.remaining() && t <= u32::MAX as usize)
            .ok_or_else(|| Error("the string table exceeds the file".into()))?;
        spans.push((total as u32, end as u32));
        total = end;
    }
    let blob = de.take(total)?;
    // One validation pass for every string. A boundary inside a character is refused where
    // the string is used (`string_id`).
    let text = std::str::from_utf8(blob).map_err(|e| Error(format!("string table: {e}")))?;
    Ok(Table {
        text,
        spans,
        end: de.pos,
    })
}

/// The little-endian `u32` at `at` of `bytes` (the caller checked the bounds).
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// A map read from a lazy section ([`LAZY_SECTION`]), nothing of it parsed until used:
///
/// ```text
/// section = strings:u32  end:u32 × strings  text      (string i = text[end(i−1)..end(i)])
///           entries:u32  (key:u32  end:u32) × entries  values   (value i = values[end(i−1)..end(i)])
/// ```
///
/// All integers are little-endian; `key` is a string id and the values use the section's
/// string ids. Reading it checks only that these parts fit the bytes: a string is checked
/// (its bounds and UTF-8) when it is used, a value when it is decoded, so a call that uses a
/// few entries of a large section reads a few. The keys are written in increasing order and
/// found by binary search; the order is checked where the whole map is read
/// ([`crate::store::LazyMap`]'s iteration), since only a forged file (a matching checksum)
/// could break it.
#[derive(Debug)]
pub struct Section {
    /// The buffer the section lies in: the snapshot file's, shared ([`from_shared`]), or a
    /// copy of the section.
    buf: Arc<Vec<u8>>,
    /// Where the section lies in `buf`.
    start: usize,
    byte_len: usize,
    text: usize,
    text_len: usize,
    entries: usize,
    entries_at: usize,
    values: usize,
}

thread_local! {
    /// The shared buffer of the section being handed to a visitor, and where the section
    /// starts in it ([`from_shared`]): serde's visitors take only a byte slice, so
    /// [`Section::parse`] finds the buffer here.
    static SECTION_SOURCE: RefCell<Option<(Arc<Vec<u8>>, usize)>> = const { RefCell::new(None) };
}

impl Section {
    /// The section's bytes.
    fn bytes(&self) -> &[u8] {
        self.buf
            .get(self.start..self.start + self.byte_len)
            .unwrap_or_default()
    }

    /// Reads a section's layout (sizes only, see [`Section`]). The bytes are shared when they
    /// are the section a [`from_shared`] decoder hands over, copied otherwise.
    pub fn parse(bytes: &[u8]) -> Result<Section, Error> {
        let shared = SECTION_SOURCE
            .with(|s| s.borrow_mut().take())
            .filter(|(buf, at)| {
                buf.get(*at..at + bytes.len())
                    .is_some_and(|b| std::ptr::eq(b.as_ptr(), bytes.as_ptr()))
            });
        let mut section = Section::layout(bytes)?;
        (section.buf, section.start) = match shared {
            Some(source) => source,
            None => (Arc::new(bytes.to_vec()), 0),
        };
        Ok(section)
    }

    /// The layout of the section `bytes` (its buffer still to be set).
    fn layout(bytes: &[u8]) -> Result<Section, Error> {
        let short = || Error("a lazy section is cut short".into());
        let word = |at: usize| -> Result<usize, Error> {
            let end = at.checked_add(4).ok_or_else(short)?;
            let b = bytes.get(at..end).ok_or_else(short)?;
            Ok(u32_at(b, 0) as usize)
        };
        let strings = word(0)?;
        let text = strings
            .checked_mul(4)
            .and_then(|n| n.checked_add(4))
            .filter(|&t| t <= bytes.len())
            .ok_or_else(short)?;
        let text_len = if strings == 0 { 0 } else { word(text - 4)? };
        let count_at = text.checked_add(text_len).ok_or_else(short)?;
        let entries = word(count_at)?;
        let entries_at = count_at + 4;
        let values = entries
            .checked_mul(8)
            .and_then(|n| n.checked_add(entries_at))
            .filter(|&v| v <= bytes.len())
            .ok_or_else(short)?;
        let values_len = if entries == 0 { 0 } else { word(values - 4)? };
        if values_len != bytes.len() - values {
            return err(format!(
                "a lazy section's values take {} bytes, its entries say {values_len}",
                bytes.len() - values
            ));
        }
        Ok(Section {
            buf: Arc::default(),
            start: 0,
            byte_len: bytes.len(),
            text,
            text_len,
            entries,
            entries_at,
            values,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// True when the section has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    fn strings(&self) -> Strings<'_, '_> {
        let bytes = self.bytes();
        Strings::Ends {
            ends: bytes.get(4..self.text).unwrap_or_default(),
            text: bytes
                .get(self.text..self.text + self.text_len)
                .unwrap_or_default(),
        }
    }

    /// The bytes of entry `i`'s key (`None` if its id or bounds are wrong).
    pub fn key_bytes(&self, i: usize) -> Option<&[u8]> {
        if i >= self.entries {
            return None;
        }
        let id = u32_at(self.bytes(), self.entries_at + i * 8);
        self.strings().bytes(id as usize)
    }

    /// Entry `i`'s key.
    pub fn key(&self, i: usize) -> Result<&str, Error> {
        let bytes = self
            .key_bytes(i)
            .ok_or_else(|| Error(format!("entry {i} has no key in the section's table")))?;
        std::str::from_utf8(bytes).map_err(|e| Error(format!("entry {i}'s key: {e}")))
    }

    /// The entry whose key is `key`, by binary search over the keys in order.
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.entries);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key_bytes(mid)?.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Decodes entry `i`'s value.
    pub fn decode<V: de::DeserializeOwned>(&self, i: usize) -> Result<V, Error> {
        if i >= self.entries {
            return err("an entry outside its section");
        }
        let bytes = self.bytes();
        let end = |j: usize| u32_at(bytes, self.entries_at + j * 8 + 4) as usize;
        let (a, b) = (if i == 0 { 0 } else { end(i - 1) }, end(i));
        let values = bytes.get(self.values..).unwrap_or_default();
        let input = values
            .get(a..b)
            .filter(|_| a <= b)
            .ok_or_else(|| Error("a value outside its section".into()))?;
        let mut de = Decoder {
            input,
            pos: 0,
            strings: self.strings(),
            depth_left: MAX_DEPTH,
            format3_sections: false,
            shared: None,
        };
        let value = V::deserialize(&mut de)?;
        if de.pos != input.len() {
            return err(format!("{} bytes after a value", input.len() - de.pos));
        }
        Ok(value)
    }
}

/// Rewrites a lazy section of snapshot format 3 (`table  MAP count (STR key-id
/// len:varint5 value) × count`, keys strictly increasing) in today's layout ([`Section`]).
fn upgrade_format3_section(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let Table { text, spans, end } = read_table(bytes)?;
    let body = &bytes[end..];
    let mut de = Decoder {
        input: body,
        pos: 0,
        strings: Strings::Spans {
            text,
            spans: &spans,
        },
        depth_left: 1,
        format3_sections: true,
        shared: None,
    };
    if de.byte()? != MAP {
        return err("a lazy section must hold a map");
    }
    let count = de.count()?;
    let mut entries: Vec<(u32, u32)> = Vec::with_capacity(count);
    let mut values = Vec::with_capacity(body.len());
    let mut last: Option<&str> = None;
    for _ in 0..count {
        if de.byte()? != STR {
            return err("a lazy section's keys must be strings");
        }
        let id = de.varint()?;
        let key = de.strings.get(id)?;
        let id = u32::try_from(id).map_err(|_| Error("too many strings".into()))?;
        if last.is_some_and(|last| last >= key) {
            return err(format!("a lazy section's keys are out of order at `{key}`"));
        }
        last = Some(key);
        let len = de.fixed5()? as usize;
        values.extend_from_slice(de.take(len)?);
        let end = u32::try_from(values.len()).map_err(|_| Error("a section over 4 GiB".into()))?;
        entries.push((id, end));
    }
    if de.pos != body.len() {
        return err(format!(
            "{} bytes after a lazy section",
            body.len() - de.pos
        ));
    }
    let mut out =
        Vec::with_capacity(8 + spans.len() * 4 + text.len() + entries.len() * 8 + values.len());
    out.extend_from_slice(&(spans.len() as u32).to_le_bytes());
    for &(_, end) in &spans {
        out.extend_from_slice(&end.to_le_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for &(key, end) in &entries {
        out.extend_from_slice(&key.to_le_bytes());
        out.extend_from_slice(&end.to_le_bytes());
    }
    out.extend_from_slice(&values);
    Ok(out)
}

/// Where a decoder finds the strings its ids name.
#[derive(Clone, Copy)]
enum Strings<'t, 'de> {
    /// A payload's table: checked text and each string's span.
    Spans {
        text: &'de str,
        spans: &'t [(u32, u32)],
    },
    /// A section's table: each string's end, little-endian `u32`s, and the unchecked text.
    Ends { ends: &'de [u8], text: &'de [u8] },
}

impl<'de> Strings<'_, 'de> {
    fn len(&self) -> usize {
        match self {
            Strings::Spans { spans, .. } => spans.len(),
            Strings::Ends { ends, .. } => ends.len() / 4,
        }
    }

    /// The bytes of string `id` (`None`: no such id, or bounds outside the text).
    fn bytes(&self, id: usize) -> Option<&'de [u8]> {
        match *self {
            Strings::Spans { text, spans } => {
                let &(a, b) = spans.get(id)?;
                text.as_bytes().get(a as usize..b as usize)
            }
            Strings::Ends { ends, text } => {
                if id >= ends.len() / 4 {
                    return None;
                }
                let a = if id == 0 {
                    0
                } else {
                    u32_at(ends, id * 4 - 4) as usize
                };
                let b = u32_at(ends, id * 4) as usize;
                text.get(a..b)
            }
        }
    }

    /// String `id`, checked.
    fn get(&self, id: u64) -> Result<&'de str, Error> {
        let id = usize::try_from(id).unwrap_or(usize::MAX);
        match *self {
            Strings::Spans { text, spans } => match spans.get(id) {
                Some(&(a, b)) => text
                    .get(a as usize..b as usize)
                    .ok_or_else(|| Error("string table: a string ends inside a character".into())),
                None => err(format!(
                    "string id {id} is not in the table of {}",
                    spans.len()
                )),
            },
            Strings::Ends { .. } => {
                let bytes = self.bytes(id).ok_or_else(|| {
                    Error(format!(
                        "string id {id} is not in the section's table of {}",
                        self.len()
                    ))
                })?;
                std::str::from_utf8(bytes).map_err(|e| Error(format!("string table: {e}")))
            }
        }
    }
}

struct Decoder<'t, 'de> {
    input: &'de [u8],
    pos: usize,
    /// Where string ids point.
    strings: Strings<'t, 'de>,
    depth_left: usize,
    /// Lazy sections are in snapshot format 3's layout (rewritten as they are read).
    format3_sections: bool,
    /// The buffer `input` lies in, for lazy sections to share ([`from_shared`]).
    shared: Option<&'de Arc<Vec<u8>>>,
}

impl<'de> Decoder<'static, 'de> {
    /// A decoder of bare integers and bytes (no strings, no nesting).
    fn over(input: &'de [u8]) -> Self {
        Decoder {
            input,
            pos: 0,
            strings: Strings::Spans {
                text: "",
                spans: &[],
            },
            depth_left: 0,
            format3_sections: false,
            shared: None,
        }
    }
}

impl<'de> Decoder<'_, 'de> {
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, Error> {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => err("unexpected end of the state"),
        }
    }

    fn peek(&self) -> Result<u8, Error> {
        match self.input.get(self.pos) {
            Some(&b) => Ok(b),
            None => err("unexpected end of the state"),
        }
    }

    #[inline]
    fn varint(&mut self) -> Result<u64, Error> {
        // Fast paths: most values (tags' operands, string ids below 16,384) take one or two
        // bytes.
        match self.input.get(self.pos..).unwrap_or_default() {
            [a, ..] if *a < 0x80 => {
                self.pos += 1;
                return Ok(*a as u64);
            }
            [a, b, ..] if *b < 0x80 => {
                self.pos += 2;
                return Ok((*a & 0x7f) as u64 | (*b as u64) << 7);
            }
            _ => {}
        }
        self.varint_slow()
    }

    fn varint_slow(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return err("integer out of range");
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        err("integer longer than ten bytes")
    }

    /// A padded five-byte varint (a length written after what it measures): exactly five
    /// bytes, the first four with the continuation bit.
    fn fixed5(&mut self) -> Result<u32, Error> {
        let b = self.take(5)?;
        if b[..4].iter().any(|&x| x < 0x80) || b[4] > 0x0f {
            return err("a section value's length is not a padded five-byte varint");
        }
        Ok(b.iter()
            .rev()
            .fold(0u32, |v, &x| (v << 7) | (x & 0x7f) as u32))
    }

    /// A count of elements that each take at least one byte: never more than what remains.
    fn count(&mut self) -> Result<usize, Error> {
        let n = self.varint()?;
        if n > self.remaining() as u64 {
            return err(format!(
                "a count of {n} exceeds the {} bytes that remain",
                self.remaining()
            ));
        }
        Ok(n as usize)
    }

    fn take(&mut self, n: usize) -> Result<&'de [u8], Error> {
        if n > self.remaining() {
            return err("unexpected end of the state");
        }
        let s = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn string_id(&mut self) -> Result<&'de str, Error> {
        let id = self.varint()?;
        self.strings.get(id)
    }

    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if self.depth_left == 0 {
            return err("nesting too deep");
        }
        self.depth_left -= 1;
        let r = f(self);
        self.depth_left += 1;
        r
    }
}

impl<'de> de::Deserializer<'de> for &mut Decoder<'_, 'de> {
    type Error = Error;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.byte()? {
            UNIT => visitor.visit_unit(),
            FALSE => visitor.visit_bool(false),
            TRUE => visitor.visit_bool(true),
            SOME => self.nest(|d| visitor.visit_some(d)),
            UINT => visitor.visit_u64(self.varint()?),
            NEG => {
                let v = self.varint()?;
                if v > i64::MAX as u64 {
                    return err("integer out of range");
                }
                visitor.visit_i64(!(v as i64))
            }
            FLOAT => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                visitor.visit_f64(f64::from_le_bytes(a))
            }
            STR => visitor.visit_borrowed_str(self.string_id()?),
            BYTES => {
                let n = self.varint()?;
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                visitor.visit_borrowed_bytes(self.take(n)?)
            }
            SEQ => {
                let left = self.count()?;
                self.nest(|d| visitor.visit_seq(Elements { de: d, left }))
            }
            MAP => {
                let left = self.count()?;
                self.nest(|d| visitor.visit_map(Elements { de: d, left }))
            }
            tag => err(format!("unknown tag {tag}")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            UNIT => {
                self.pos += 1;
                visitor.visit_none()
            }
            SOME => {
                self.pos += 1;
                self.nest(|d| visitor.visit_some(d))
            }
            _ => err("expected an option"),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.byte()? {
            STR => visitor.visit_enum(self.string_id()?.into_deserializer()),
            MAP => {
                if self.varint()? != 1 {
                    return err("an enum variant must be a one-entry map");
                }
                self.nest(|d| visitor.visit_enum(Variant { de: d }))
            }
            tag => err(format!("expected an enum, found tag {tag}")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        // A lazy section is handed over whole; a map written inline (format 2) is read as is.
        if name == LAZY_SECTION && self.peek()? == BYTES {
            self.pos += 1;
            let n = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
            let bytes = self.take(n)?;
            if self.format3_sections {
                return visitor.visit_byte_buf(upgrade_format3_section(bytes)?);
            }
            let Some(buf) = self.shared else {
                return visitor.visit_borrowed_bytes(bytes);
            };
            let at = (bytes.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
            SECTION_SOURCE.with(|s| *s.borrow_mut() = Some((Arc::clone(buf), at)));
            let visited = visitor.visit_borrowed_bytes(bytes);
            SECTION_SOURCE.with(|s| s.borrow_mut().take());
            return visited;
        }
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

/// The elements of a sequence, or the entries of a map.
struct Elements<'a, 't, 'de> {
    de: &'a mut Decoder<'t, 'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, '_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// A non-unit enum variant: its name, then its content.
struct Variant<'a, 't, 'de> {
    de: &'a mut Decoder<'t, 'de>,
}

impl<'a, 't, 'de> de::EnumAccess<'de> for Variant<'a, 't, 'de> {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let name = seed.deserialize(&mut *self.de)?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, '_, 'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(&mut *self.de)
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(&mut *self.de, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(&mut *self.de, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Empty,
        Circle(f64),
        Pair(u8, i16),
        Rect { w: u32, h: u32 },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type")]
    enum Tagged {
        User { name: String },
        Role { name: String, depth: i64 },
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        parent: Option<String>,
        maybe_null: Option<serde_json::Value>,
        shapes: Vec<Shape>,
        tagged: Vec<Tagged>,
        by_name: BTreeMap<String, (i64, bool)>,
        doc: serde_json::Value,
        unit: (),
        bytes: serde_bytes_like::Bytes,
    }

    mod serde_bytes_like {
        /// A byte string serialized with `serialize_bytes`.
        #[derive(Debug, PartialEq)]
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for Bytes {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = Bytes;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("bytes")
                    }
                    fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                        Ok(Bytes(v.to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
    }

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            tags: vec![],
            parent: Some("vpc-1".into()),
            maybe_null: Some(serde_json::Value::Null),
            shapes: vec![
                Shape::Empty,
                Shape::Circle(-1.5),
                Shape::Pair(255, -32768),
                Shape::Rect { w: 3, h: u32::MAX },
            ],
            tagged: vec![
                Tagged::User {
                    name: "alice".into(),
                },
                Tagged::Role {
                    name: "ops".into(),
                    depth: i64::MIN,
                },
            ],
            by_name: [("b".to_string(), (-1, true)), ("a".to_string(), (7, false))].into(),
            doc: json!({"Version": "1", "Statement": [{"Effect": "Allow", "n": [1, -2, 2.5, u64::MAX, null, true]}], "ünï": "çødé"}),
            unit: (),
            bytes: serde_bytes_like::Bytes(vec![0, 159, 255]),
        }
    }

    #[test]
    fn every_shape_round_trips_and_repeated_strings_are_written_once() {
        let value = vec![record("i-1"), record("i-2"), record("i-1")];
        let bytes = to_vec(&value).unwrap();
        let back: Vec<Record> = from_slice(&bytes, 64).unwrap();
        assert_eq!(back, value);
        assert_eq!(to_vec(&back).unwrap(), bytes, "same value, same bytes");
        let once = to_vec(&vec![record("i-1")]).unwrap();
        assert!(
            bytes.len() * 10 < once.len() * 25,
            "three records {} bytes, one {}",
            bytes.len(),
            once.len()
        );
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.matches("Statement").count(), 1);
    }

    #[test]
    fn colliding_hashes_still_decode_exactly() {
        // A slot taken by another string with the same hash: the table then stores the string
        // again, never confuses the two.
        let mut enc = Encoder::new(false);
        assert_eq!(enc.string("abc"), 0);
        let h = hash_str("xyz");
        enc.recent[(h as usize) % RECENT] = (h, 0); // pretend "xyz" collides with "abc"
        assert_eq!(enc.string("xyz"), 1);
        assert_eq!(enc.string("xyz"), 1, "found again once it holds the slot");
        assert_eq!(enc.string("abc"), 0);
        assert_eq!(enc.ends.len(), 2);
        assert_eq!(enc.entry(1), b"xyz");
    }

    #[test]
    fn varints_round_trip_at_their_edges() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let bytes = to_vec(&v).unwrap();
            assert_eq!(from_slice::<u64>(&bytes, 4).unwrap(), v);
        }
        for v in [i64::MIN, -1, 0, i64::MAX] {
            let bytes = to_vec(&v).unwrap();
            assert_eq!(from_slice::<i64>(&bytes, 4).unwrap(), v);
        }
        let mut five = vec![0u8; 5];
        patch_varint5(&mut five, 0, 300);
        let mut d = Decoder::over(&five);
        assert_eq!(d.varint().unwrap(), 300);
    }

    #[test]
    fn hostile_payloads_are_errors_not_panics_or_allocations() {
        let good = to_vec(&vec![record("i-1")]).unwrap();
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xff; 11],                             // varint longer than ten bytes
            vec![0x80, 0x80, 0x80, 0x80, 0x0f],         // table count far beyond the file
            vec![1, 0xff, 0xff, 0xff, 0xff, 0x0f],      // one string longer than the file
            vec![1, 2, 0xc3, 0x28, STR, 0],             // invalid UTF-8 in the table
            vec![1, 2, 0xc3, 0xa9, STR, 1],             // string id outside the table
            vec![2, 1, 1, 0xc3, 0xa9, STR, 0],          // a string ending inside a character
            vec![0, SEQ, 0xff, 0xff, 0xff, 0xff, 0x0f], // a count beyond the file
            vec![0, 99],                                // unknown tag
            vec![0, UINT, 1, UINT],                     // trailing bytes
        ];
        for bytes in cases {
            assert!(
                from_slice::<serde_json::Value>(&bytes, 64).is_err(),
                "{bytes:?}"
            );
        }
        for cut in 0..good.len() {
            assert!(from_slice::<Vec<Record>>(&good[..cut], 64).is_err());
        }
        let mut deep = vec![0u8];
        deep.extend(std::iter::repeat_n([SEQ, 1], 10_000).flatten());
        deep.push(UNIT);
        let e = from_slice::<serde_json::Value>(&deep, 512).unwrap_err();
        assert!(e.to_string().contains("nesting too deep"), "{e}");
    }

    #[test]
    fn lengths_announced_wrongly_are_refused() {
        struct Liar;
        impl Serialize for Liar {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(2))?;
                seq.serialize_element(&1)?;
                seq.end()
            }
        }
        assert!(to_vec(&Liar).is_err());
    }
}
