//! The fast path of `ramsim eval --requests`: lines are read into one buffer per batch, parsed
//! in place (borrowed `&str`s, no JSON tree) when they have the request-line shape, decided on
//! every `--jobs` thread in chunks, and written as JSON without building `serde_json::Value`s.
//!
//! Anything the in-place parser does not recognise — escapes in strings, `null`, numbers other
//! than plain non-negative integers as `id`, unknown or repeated fields, repeated context keys,
//! malformed JSON — and every line whose request is in error (an unknown principal type, say)
//! is decided again by the general path ([`super::decide_line`], serde_json), so records and
//! error messages (with serde_json's `line … column …`) are exactly those of the general path.
//! Output is byte-identical to it for every input (`tests/eval_batch.rs` compares both on
//! generated and hostile lines).

use super::{decide_line, one_line, parse_dependent, EvalArgs};
use crate::api::audit_json::write_str;
use crate::authz::decide::arn_account;
use crate::authz::RequestContext;
use crate::authz::{decide, ActionResource, EvalOptions, PolicyStore, Principal, Request};
use crate::input::{human_size, read_bounded_line};
use std::io::{BufRead, Write};
use std::ops::Range;

/// One line of a batch.
#[derive(Debug, Clone)]
pub(super) enum BatchLine {
    /// Its bytes, `text[range]` of the batch (not yet checked for UTF-8).
    Bytes(Range<usize>),
    /// Longer than the bound: its length in bytes.
    TooLong(usize),
}

/// Lines read together: their bytes in one buffer, each with its 0-based line number.
#[derive(Debug, Default)]
pub(super) struct Batch {
    text: Vec<u8>,
    lines: Vec<(usize, BatchLine)>,
}

impl Batch {
    /// The lines, in input order.
    pub(super) fn lines(&self) -> &[(usize, BatchLine)] {
        &self.lines
    }
}

/// Reads a stream into [`Batch`]es, with the line semantics of [`crate::input::BoundedLines`]:
/// lines end at `\n` (a `\r` before it is dropped), a line longer than `max` bytes is skipped
/// to its end and kept only as its length, and only an I/O error ends the stream early.
pub(super) struct BatchReader<R> {
    reader: R,
    max: usize,
    next: usize,
    done: bool,
}

/// How a [`BatchReader::fill`] ended.
pub(super) enum Filled {
    /// The batch is full; more lines may follow.
    Full,
    /// The stream ended.
    End,
    /// Reading line `n` (0-based) failed; the lines before it are in the batch.
    Failed(usize, std::io::Error),
}

impl<R: BufRead> BatchReader<R> {
    /// Lines of `reader`, each bounded by `max` bytes.
    pub(super) fn new(reader: R, max: usize) -> BatchReader<R> {
        BatchReader {
            reader,
            max,
            next: 0,
            done: false,
        }
    }

    /// Empties `batch` and reads lines into it until it holds `max_lines` lines or
    /// `max_bytes` bytes of line text, or the stream ends.
    pub(super) fn fill(&mut self, batch: &mut Batch, max_lines: usize, max_bytes: usize) -> Filled {
        batch.text.clear();
        batch.lines.clear();
        while !self.done {
            if batch.lines.len() >= max_lines || batch.text.len() >= max_bytes {
                return Filled::Full;
            }
            let start = batch.text.len();
            let total = match read_bounded_line(&mut self.reader, self.max, &mut batch.text) {
                Err(e) => {
                    self.done = true;
                    batch.text.truncate(start);
                    return Filled::Failed(self.next, e);
                }
                Ok(None) => {
                    self.done = true;
                    return Filled::End;
                }
                Ok(Some((total, ended))) => {
                    self.done = ended;
                    total
                }
            };
            let line = if total > self.max {
                batch.text.truncate(start);
                BatchLine::TooLong(total)
            } else {
                BatchLine::Bytes(start..batch.text.len())
            };
            batch.lines.push((self.next, line));
            self.next += 1;
        }
        Filled::End
    }
}

/// What the threads share.
pub(super) struct Shared<'a> {
    pub(super) args: &'a EvalArgs,
    pub(super) store: &'a PolicyStore,
    pub(super) options: &'a EvalOptions,
    /// The principal of lines that name none of their own.
    pub(super) default: Option<&'a Principal>,
    /// `--in-rd` as the flags resolve it.
    pub(super) in_rd: bool,
}

/// The output of a chunk of lines: the records, and the error messages with the position in
/// `records` where each belongs (so that stdout and stderr interleave as line by line).
#[derive(Debug, Default)]
pub(super) struct ChunkOut {
    pub(super) records: Vec<u8>,
    pub(super) errors: Vec<(usize, String)>,
}

impl ChunkOut {
    /// Writes the records to `out` and the messages to `err`, in order.
    pub(super) fn write(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), String> {
        let mut from = 0usize;
        for (at, message) in &self.errors {
            out.write_all(self.records.get(from..*at).unwrap_or(&[]))
                .map_err(|e| format!("cannot write output: {e}"))?;
            let _ = err.write_all(message.as_bytes());
            from = *at;
        }
        out.write_all(self.records.get(from..).unwrap_or(&[]))
            .map_err(|e| format!("cannot write output: {e}"))
    }
}

/// Buffers one thread reuses from line to line.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    spans: Vec<Range<usize>>,
    context: Vec<(Range<usize>, Value)>,
    pairs: Vec<ActionResource>,
    principal: Option<(PrincipalKey, Principal)>,
    /// The request context, refilled line after line so its strings are reused.
    request_context: RequestContext,
}

/// The fields a line's principal was built from.
#[derive(Debug, PartialEq, Eq)]
struct PrincipalKey {
    kind: String,
    account: String,
    id: Option<String>,
    arn: Option<String>,
    flags: (bool, bool, bool),
}

/// A context value: one string, or `spans[range]`.
#[derive(Debug, Clone)]
enum Value {
    One(Range<usize>),
    Many(Range<usize>),
}

/// `resource` as written.
#[derive(Debug, Clone, Default)]
enum Resources {
    #[default]
    Absent,
    One(Range<usize>),
    Many(Range<usize>),
}

/// A request line parsed in place: byte ranges of the line.
#[derive(Debug, Default)]
struct Parsed {
    /// `id`: its raw text (a string with its quotes, or a non-negative integer).
    id: Option<Range<usize>>,
    action: Option<Range<usize>>,
    resource: Resources,
    dependent: Range<usize>,
    context: Range<usize>,
    principal_type: Option<Range<usize>>,
    account: Option<Range<usize>>,
    principal_id: Option<Range<usize>>,
    principal_arn: Option<Range<usize>>,
    in_rd: Option<bool>,
    management_account: Option<bool>,
    resource_account: Option<Range<usize>>,
    resource_group: Option<Range<usize>>,
}

/// A cursor over a line's bytes.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes or control characters: the range of its contents.
    #[inline]
    fn string(&mut self) -> Option<Range<usize>> {
        self.eat(b'"')?;
        let start = self.i;
        let end = start + plain_len(self.b.get(start..)?);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some(start..end)
    }

    /// A non-negative integer that fits a `u64`, written without leading zeros.
    fn integer(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        let digits = self.b.get(start..self.i)?;
        if digits.is_empty()
            || (digits.len() > 1 && digits.first() == Some(&b'0'))
            || matches!(self.peek(), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse::<u64>().ok()?;
        Some(start..self.i)
    }

    fn boolean(&mut self) -> Option<bool> {
        let rest = self.b.get(self.i..)?;
        if rest.starts_with(b"true") {
            self.i += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.i += 5;
            Some(false)
        } else {
            None
        }
    }

    /// `[ "…", … ]`, each string's range pushed to `spans`: the range of `spans` filled.
    fn strings(&mut self, spans: &mut Vec<Range<usize>>) -> Option<Range<usize>> {
        self.eat(b'[')?;
        let first = spans.len();
        self.ws();
        if self.eat(b']').is_some() {
            return Some(first..first);
        }
        loop {
            self.ws();
            let s = self.string()?;
            spans.push(s);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(first..spans.len());
                }
                _ => return None,
            }
        }
    }

    /// `{ "key": "…" | ["…", …], … }` into `context` (a repeated key: `None`).
    fn context(
        &mut self,
        spans: &mut Vec<Range<usize>>,
        context: &mut Vec<(Range<usize>, Value)>,
    ) -> Option<Range<usize>> {
        self.eat(b'{')?;
        let first = context.len();
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(first..first);
        }
        loop {
            self.ws();
            let key = self.string()?;
            let name = self.b.get(key.clone())?;
            let seen = context.get(first..)?;
            if seen
                .iter()
                .any(|(k, _)| self.b.get(k.clone()) == Some(name))
            {
                return None;
            }
            self.ws();
            self.eat(b':')?;
            self.ws();
            let value = match self.peek()? {
                b'"' => Value::One(self.string()?),
                b'[' => Value::Many(self.strings(spans)?),
                _ => return None,
            };
            context.push((key, value));
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(first..context.len());
                }
                _ => return None,
            }
        }
    }
}

/// The length of the longest prefix of `b` free of `"`, `\\` and control characters, found
/// eight bytes at a time (one pass instead of a `memchr2` call and a second scan for control
/// characters: the strings of a request line are short, and that call's setup dominated).
fn plain_len(b: &[u8]) -> usize {
    use crate::swar;
    swar::find(b, swar::escapes, swar::escapes_byte).unwrap_or(b.len())
}

/// Parses `line` when it has the plain request-line shape; `None` sends it to serde_json.
fn parse(line: &[u8], scratch: &mut Scratch) -> Option<Parsed> {
    scratch.spans.clear();
    scratch.context.clear();
    let mut p = Parsed::default();
    let mut c = Cursor { b: line, i: 0 };
    let mut seen = 0u32;
    c.ws();
    c.eat(b'{')?;
    c.ws();
    if c.peek()? != b'}' {
        loop {
            c.ws();
            let key = c.string()?;
            c.ws();
            c.eat(b':')?;
            c.ws();
            let bit = match line.get(key)? {
                b"id" => {
                    p.id = Some(if c.peek()? == b'"' {
                        let s = c.string()?;
                        s.start - 1..s.end + 1
                    } else {
                        c.integer()?
                    });
                    0
                }
                b"action" => {
                    p.action = Some(c.string()?);
                    1
                }
                b"resource" => {
                    p.resource = if c.peek()? == b'"' {
                        Resources::One(c.string()?)
                    } else {
                        Resources::Many(c.strings(&mut scratch.spans)?)
                    };
                    2
                }
                b"dependent" => {
                    p.dependent = c.strings(&mut scratch.spans)?;
                    3
                }
                b"context" => {
                    p.context = c.context(&mut scratch.spans, &mut scratch.context)?;
                    4
                }
                b"principal_type" => {
                    p.principal_type = Some(c.string()?);
                    5
                }
                b"account" => {
                    p.account = Some(c.string()?);
                    6
                }
                b"principal_id" => {
                    p.principal_id = Some(c.string()?);
                    7
                }
                b"principal_arn" => {
                    p.principal_arn = Some(c.string()?);
                    8
                }
                b"in_rd" => {
                    p.in_rd = Some(c.boolean()?);
                    9
                }
                b"management_account" => {
                    p.management_account = Some(c.boolean()?);
                    10
                }
                b"resource_account" => {
                    p.resource_account = Some(c.string()?);
                    11
                }
                b"resource_group" => {
                    p.resource_group = Some(c.string()?);
                    12
                }
                _ => return None,
            };
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
            c.ws();
            match c.peek()? {
                b',' => c.i += 1,
                b'}' => break,
                _ => return None,
            }
        }
    }
    c.eat(b'}')?;
    c.ws();
    (c.i == line.len() && p.action.is_some()).then_some(p)
}

/// Sets `slot` to `ActionResource::owned(action, resource, owner)`, reusing its buffers.
fn set_pair(slot: &mut ActionResource, action: &str, resource: &str, owner: Option<&str>) {
    slot.action.clear();
    slot.action.push_str(action);
    slot.resource.clear();
    slot.resource.push_str(resource);
    match (owner.or_else(|| arn_account(resource)), &mut slot.owner) {
        (Some(o), Some(s)) => {
            s.clear();
            s.push_str(o);
        }
        (Some(o), none) => *none = Some(o.to_string()),
        (None, o) => *o = None,
    }
}

fn push_pair(pairs: &mut Vec<ActionResource>, n: usize, a: &str, r: &str, owner: Option<&str>) {
    match pairs.get_mut(n) {
        Some(slot) => set_pair(slot, a, r, owner),
        None => pairs.push(ActionResource::owned(a, r, owner)),
    }
}

/// Decides a line of the plain shape and appends its record to `out`; `None` when the line
/// must take the general path (not the plain shape, or its request is in error).
fn decide_fast(
    shared: &Shared<'_>,
    text: &str,
    n: usize,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Option<()> {
    let p = parse(text.as_bytes(), scratch)?;
    let s = |r: &Range<usize>| text.get(r.clone());
    let opt = |r: &Option<Range<usize>>| -> Option<Option<&str>> {
        match r {
            Some(r) => s(r).map(Some),
            None => Some(None),
        }
    };
    let args = shared.args;
    let own_principal = p.account.is_some()
        || p.principal_type.is_some()
        || p.principal_id.is_some()
        || p.principal_arn.is_some()
        || p.in_rd.is_some()
        || p.management_account.is_some();
    let principal: &Principal = match shared.default {
        Some(d) if !own_principal => d,
        _ => {
            let account = opt(&p.account)?.or(args.account.as_deref())?;
            let kind = opt(&p.principal_type)?.unwrap_or(&args.principal_type);
            let id = opt(&p.principal_id)?.or(args.principal_id.as_deref());
            let arn = opt(&p.principal_arn)?.or(args.principal_arn.as_deref());
            let flags = (
                p.in_rd.unwrap_or(shared.in_rd),
                p.management_account.unwrap_or(args.management_account),
                args.service_linked_role,
            );
            let same = scratch.principal.as_ref().is_some_and(|(k, _)| {
                k.kind == kind
                    && k.account == account
                    && k.id.as_deref() == id
                    && k.arn.as_deref() == arn
                    && k.flags == flags
            });
            if !same {
                let built = Principal::from_parts(kind, account, id, arn, flags).ok()?;
                let key = PrincipalKey {
                    kind: kind.to_string(),
                    account: account.to_string(),
                    id: id.map(str::to_string),
                    arn: arn.map(str::to_string),
                    flags,
                };
                scratch.principal = Some((key, built));
            }
            &scratch.principal.as_ref()?.1
        }
    };
    {
        let mut context = scratch.request_context.refill();
        for (key, value) in scratch.context.get(p.context.clone())? {
            let key = s(key)?;
            match value {
                Value::One(v) => context.insert(key, s(v)?),
                Value::Many(range) => {
                    let values = scratch.spans.get(range.clone())?;
                    // Every span is of the line (the parser made them), so none is skipped.
                    context.set(key, values.iter().filter_map(s));
                }
            }
        }
    }
    let context = &scratch.request_context;
    let owner = opt(&p.resource_account)?.or(args.resource_account.as_deref());
    let action = s(p.action.as_ref()?)?;
    let mut count = 0usize;
    match &p.resource {
        Resources::Absent => {
            push_pair(&mut scratch.pairs, count, action, "*", owner);
            count += 1;
        }
        Resources::One(r) => {
            push_pair(&mut scratch.pairs, count, action, s(r)?, owner);
            count += 1;
        }
        Resources::Many(range) => {
            for r in scratch.spans.get(range.clone())? {
                push_pair(&mut scratch.pairs, count, action, s(r)?, owner);
                count += 1;
            }
        }
    }
    for d in scratch.spans.get(p.dependent.clone())? {
        let spec = s(d)?;
        let pair = parse_dependent(spec, owner);
        match scratch.pairs.get_mut(count) {
            Some(slot) => *slot = pair,
            None => scratch.pairs.push(pair),
        }
        count += 1;
    }
    let pairs = scratch.pairs.get(..count)?;
    let req = Request {
        principal,
        pairs,
        context,
        resource_account: owner,
        resource_group: opt(&p.resource_group)?.or(args.resource_group.as_deref()),
        assume_role: args.trust.is_some(),
    };
    let d = decide(shared.store, &req, shared.options);
    out.extend_from_slice(b"{\"decision\":\"");
    out.extend_from_slice(d.outcome.as_str().as_bytes());
    out.extend_from_slice(b"\",\"policy_type\":");
    match d.policy_type {
        Some(t) => {
            out.push(b'"');
            out.extend_from_slice(t.as_str().as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"action\":");
    match pairs.get(d.pair) {
        Some(pair) => write_str(out, &pair.action),
        None => out.extend_from_slice(b"null"),
    }
    if let Some(id) = &p.id {
        out.extend_from_slice(b",\"id\":");
        out.extend_from_slice(text.as_bytes().get(id.clone())?);
    }
    out.extend_from_slice(b",\"line\":");
    let _ = serde_json::to_writer(&mut *out, &(n + 1));
    out.extend_from_slice(b"}\n");
    Some(())
}

/// Decides `lines` of `batch`, appending records and messages to `out` (cleared first);
/// returns the number of bad lines. `label` names the stream in messages.
pub(super) fn decide_chunk(
    shared: &Shared<'_>,
    batch: &Batch,
    lines: &[(usize, BatchLine)],
    label: &str,
    scratch: &mut Scratch,
    out: &mut ChunkOut,
) -> usize {
    out.records.clear();
    out.errors.clear();
    let mut bad = 0usize;
    for (n, line) in lines {
        let n = *n;
        let decided = match line {
            BatchLine::TooLong(len) => Err(format!(
                "line of {len} bytes is over the {} limit for a request line",
                human_size(crate::input::MAX_REQUEST_LINE as u64)
            )),
            BatchLine::Bytes(range) => {
                match std::str::from_utf8(batch.text.get(range.clone()).unwrap_or(&[])) {
                    Err(e) => Err(format!(
                        "not UTF-8 (invalid byte at column {})",
                        e.valid_up_to() + 1
                    )),
                    Ok(text) if text.trim().is_empty() => continue,
                    Ok(text) => {
                        let mark = out.records.len();
                        if decide_fast(shared, text, n, scratch, &mut out.records).is_some() {
                            continue;
                        }
                        out.records.truncate(mark);
                        decide_line(
                            shared.args,
                            shared.store,
                            shared.options,
                            shared.default,
                            text,
                        )
                    }
                }
            }
        };
        let value = match decided {
            Ok(mut v) => {
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("line".into(), (n + 1).into());
                }
                v
            }
            Err(e) => {
                bad += 1;
                out.errors.push((
                    out.records.len(),
                    format!("{label}:{}: {}\n", n + 1, one_line(&e)),
                ));
                serde_json::json!({ "line": n + 1, "error": e })
            }
        };
        let _ = serde_json::to_writer(&mut out.records, &value);
        out.records.push(b'\n');
    }
    bad
}
