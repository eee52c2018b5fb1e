//! Compact JSON encoding of audit events, byte for byte what `serde_json::to_writer` writes
//! for an [`AuditEvent`] (checked by the properties below), but about three times faster.
//!
//! Why a hand-written encoder: every gateway call leaves one event and `ramsim log --format
//! json` (and the gateway benchmark) serialize each one. serde_json checks every byte of every
//! string against an escape table one at a time; audit events are ~1 KB of strings that almost
//! never need escaping. Here a string is checked eight bytes at a time and copied whole, and
//! anything that does need escaping (or any number) is handed to serde_json itself, so the
//! rare cases share its exact output.

use super::audit::{AdditionalEventData, AuditEvent, SessionContext, UserIdentity};
use crate::swar;
use serde_json::Value;

/// `,"name":` for one of the event's own field names, built at compile time so a key costs
/// one copy.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}

/// Appends `event` to `out` as one line of compact JSON (no trailing newline).
pub fn write_event(event: &AuditEvent, out: &mut Vec<u8>) {
    let mut obj = ObjectWriter::open(out);
    obj.str_field(key!("eventId"), &event.event_id);
    obj.str_field(key!("eventVersion"), &event.event_version);
    obj.str_field(key!("eventCategory"), &event.event_category);
    obj.str_field(key!("eventType"), &event.event_type);
    obj.str_field(key!("eventName"), &event.event_name);
    obj.str_field(key!("eventRW"), &event.event_rw);
    obj.str_field(key!("eventSource"), &event.event_source);
    obj.str_field(key!("eventTime"), &event.event_time);
    obj.str_field(key!("acsRegion"), &event.acs_region);
    obj.str_field(key!("serviceName"), &event.service_name);
    obj.str_field(key!("apiVersion"), &event.api_version);
    obj.str_field(key!("requestId"), &event.request_id);
    obj.key(key!("requestParameters"));
    write_pairs(obj.out, event.request_parameters.iter());
    if let Some(response) = &event.response_elements {
        obj.key(key!("responseElements"));
        write_value(obj.out, response);
    }
    obj.str_field(key!("errorCode"), &event.error_code);
    obj.str_field(key!("errorMessage"), &event.error_message);
    obj.str_field(key!("sourceIpAddress"), &event.source_ip_address);
    obj.str_field(key!("userAgent"), &event.user_agent);
    obj.key(key!("userIdentity"));
    write_identity(obj.out, &event.user_identity);
    obj.str_field(key!("recipientAccountId"), &event.recipient_account_id);
    obj.str_field(key!("resourceType"), &event.resource_type);
    obj.str_field(key!("resourceName"), &event.resource_name);
    if let Some(detail) = &event.access_denied_detail {
        obj.key(key!("accessDeniedDetail"));
        write_value(obj.out, detail);
    }
    obj.key(key!("additionalEventData"));
    write_additional(obj.out, &event.additional_event_data);
    obj.close();
}

/// The event as a `String` of compact JSON.
pub fn event_to_string(event: &AuditEvent) -> String {
    let mut out = Vec::with_capacity(1024);
    write_event(event, &mut out);
    // Only complete UTF-8 strings and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

fn write_identity(out: &mut Vec<u8>, identity: &UserIdentity) {
    let mut obj = ObjectWriter::open(out);
    obj.str_field(key!("type"), &identity.kind);
    obj.str_field(key!("accountId"), &identity.account_id);
    obj.str_field(key!("principalId"), &identity.principal_id);
    obj.str_field(key!("userName"), &identity.user_name);
    obj.str_field(key!("accessKeyId"), &identity.access_key_id);
    obj.key(key!("sessionContext"));
    write_session(obj.out, &identity.session_context);
    obj.close();
}

fn write_session(out: &mut Vec<u8>, session: &SessionContext) {
    let mut obj = ObjectWriter::open(out);
    if let Some(attributes) = &session.attributes {
        obj.key(key!("attributes"));
        let mut inner = ObjectWriter::open(obj.out);
        inner.str_field(key!("mfaAuthenticated"), &attributes.mfa_authenticated);
        inner.str_field(key!("creationDate"), &attributes.creation_date);
        inner.close();
    }
    obj.close();
}

fn write_additional(out: &mut Vec<u8>, data: &AdditionalEventData) {
    let mut obj = ObjectWriter::open(out);
    if let Some(scheme) = &data.scheme {
        obj.str_field(key!("Scheme"), scheme);
    }
    obj.close();
}

/// Writes `{`, then `"key":value` pairs separated by commas, then `}`.
struct ObjectWriter<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> ObjectWriter<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    /// Writes the separator and `"key":` for one of the event's own field names: `token` is
    /// `,"key":` as [`key!`] spells it (plain ASCII, nothing to escape), written in one copy
    /// (without its comma for the first field); the caller writes the value next.
    fn key(&mut self, token: &'static str) {
        debug_assert!(token.starts_with(",\"") && token.ends_with("\":"));
        let token = if self.first {
            self.first = false;
            &token[1..]
        } else {
            token
        };
        self.out.extend_from_slice(token.as_bytes());
    }

    /// Like [`ObjectWriter::key`] for a key that comes from data (request parameters).
    fn data_key(&mut self, key: &str) {
        self.separator();
        write_str(self.out, key);
        self.out.push(b':');
    }

    fn separator(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    fn str_field(&mut self, key: &'static str, value: &str) {
        self.key(key);
        write_str(self.out, value);
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn write_pairs<'v, K: AsRef<str> + 'v>(
    out: &mut Vec<u8>,
    pairs: impl Iterator<Item = (K, &'v Value)>,
) {
    let mut obj = ObjectWriter::open(out);
    for (k, v) in pairs {
        obj.data_key(k.as_ref());
        write_value(obj.out, v);
    }
    obj.close();
}

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_pairs(out, map.iter()),
        // serde_json's own number formatting (itoa / ryu), so every spelling matches.
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *out, n);
        }
    }
}

/// A JSON string literal, byte for byte as serde_json writes it. Strings with nothing to
/// escape (nearly all) are checked and copied in one pass ([`copy_quoted`]); a string that does
/// need escaping is handed to serde_json.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    if !copy_quoted(out, s.as_bytes()) {
        // Writing to a Vec cannot fail, and a &str always serializes.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Appends `"bytes"` to `out` when no byte needs escaping and answers whether it did; on
/// `false`, `out` is unchanged. One pass: each block is tested for bytes JSON must escape and
/// stored whole — sixteen bytes a step with SSE2 on x86-64 ([`copy_block16`]), then eight with
/// [`swar::escapes`] — and the last partial word is stored whole too, into the spare capacity
/// reserved for it, with the length set past the real bytes only. So there is no per-byte loop
/// and no `memcpy` call for the short strings of an audit event.
fn copy_quoted(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let n = bytes.len();
    // The quotes, and room to store the last word whole.
    out.reserve(n + 2 + 8);
    let len = out.len();
    let mut escapes = 0u64;
    let base = out.as_mut_ptr();
    // SAFETY: `reserve` left at least `n + 10` bytes of capacity past `len`. Relative to
    // `len`: the opening quote is at 0; whole blocks of the input are stored within
    // `1..1 + n` (each read is within `bytes`); the partial word's eight-byte store starts
    // before `1 + n` and so ends before `n + 9`; the closing quote is at `1 + n`.
    // `set_len(len + n + 2)` covers only bytes written here (quote, the `n` bytes, quote); what
    // the partial store wrote past them is spare capacity, never read as part of the vector.
    unsafe {
        let dst = base.add(len);
        let src = bytes.as_ptr();
        dst.write(b'"');
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        {
            while done + 16 <= n {
                escapes |= u64::from(copy_block16(src.add(done), dst.add(1 + done)));
                done += 16;
            }
            // Fewer than sixteen left: at most one whole word.
            if done + 8 <= n {
                escapes |= copy_word(src.add(done), dst.add(1 + done));
                done += 8;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        while done + 8 <= n {
            escapes |= copy_word(src.add(done), dst.add(1 + done));
            done += 8;
        }
        let rest = bytes.get_unchecked(done..);
        if !rest.is_empty() {
            let w = swar::tail_word(rest);
            // Only the real bytes count: the zero padding would read as control characters.
            escapes |= swar::escapes(w) & ((1u64 << (8 * rest.len())) - 1);
            dst.add(1 + done).cast::<u64>().write_unaligned(w.to_le());
        }
        if escapes != 0 {
            return false;
        }
        dst.add(1 + n).write(b'"');
        out.set_len(len + n + 2);
    }
    true
}

/// Copies the eight bytes at `src` to `dst` and returns [`swar::escapes`] of them.
///
/// # Safety
/// `src` must be readable and `dst` writable for eight bytes.
#[inline(always)]
unsafe fn copy_word(src: *const u8, dst: *mut u8) -> u64 {
    let w = src.cast::<u64>().read_unaligned();
    dst.cast::<u64>().write_unaligned(w);
    swar::escapes(u64::from_le(w))
}

/// Copies the sixteen bytes at `src` to `dst` and returns a bit per byte that JSON must escape
/// (`"`, `\`, or below `0x20`). SSE2 is part of x86-64, so no feature check is needed.
///
/// # Safety
/// `src` must be readable and `dst` writable for sixteen bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn copy_block16(src: *const u8, dst: *mut u8) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_storeu_si128,
    };
    let v = _mm_loadu_si128(src.cast());
    _mm_storeu_si128(dst.cast(), v);
    let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    // Unsigned `v <= 0x1f` is `max(v, 0x1f) == 0x1f`.
    let limit = _mm_set1_epi8(0x1f);
    let control = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit);
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::audit::SessionAttributes;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9:/._-]{0,40}",
            any::<String>(),
            "[\\x00-\\x7f]{0,40}",
            Just("\"quoted\" \\ back\nslash\u{7f}\u{2028}é".to_string()),
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn event() -> impl Strategy<Value = AuditEvent> {
        (
            proptest::collection::vec(text(), 17),
            proptest::collection::vec((text(), json_value()), 0..5),
            proptest::option::of(json_value()),
            proptest::option::of(json_value()),
            proptest::option::of((text(), text())),
            proptest::option::of(text()),
        )
            .prop_map(
                |(t, params, response, denial, attributes, scheme)| AuditEvent {
                    event_id: t[0].clone(),
                    event_version: t[1].clone().into(),
                    event_category: t[2].clone().into(),
                    event_type: t[3].clone().into(),
                    event_name: t[4].clone(),
                    event_rw: t[5].clone().into(),
                    event_source: t[6].clone().into(),
                    event_time: t[7].clone(),
                    acs_region: t[8].clone(),
                    service_name: t[9].clone().into(),
                    api_version: t[10].clone().into(),
                    request_id: t[11].clone(),
                    request_parameters: params.into_iter().collect(),
                    response_elements: response,
                    error_code: t[12].clone(),
                    error_message: t[13].clone(),
                    source_ip_address: t[14].clone(),
                    user_agent: t[15].clone().into(),
                    user_identity: UserIdentity {
                        kind: "ram-user".into(),
                        account_id: t[16].clone(),
                        principal_id: t[0].clone(),
                        user_name: t[1].clone(),
                        access_key_id: t[2].clone(),
                        session_context: SessionContext {
                            attributes: attributes.map(|(m, c)| SessionAttributes {
                                mfa_authenticated: m.into(),
                                creation_date: c,
                            }),
                        },
                    },
                    recipient_account_id: t[3].clone(),
                    resource_type: t[4].clone().into(),
                    resource_name: t[5].clone(),
                    access_denied_detail: denial,
                    additional_event_data: AdditionalEventData {
                        scheme: scheme.map(Into::into),
                    },
                },
            )
    }

    proptest! {
        #[test]
        fn matches_serde_json_byte_for_byte(e in event()) {
            let expected = serde_json::to_vec(&e).unwrap();
            let mut got = Vec::new();
            write_event(&e, &mut got);
            prop_assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected));
            prop_assert_eq!(event_to_string(&e).into_bytes(), expected);
        }

        #[test]
        fn escape_check_agrees_with_serde_json(s in any::<String>(), prefix in "[a-z]{0,9}") {
            let plain = format!("\"{s}\"");
            let mut out = prefix.clone().into_bytes();
            let copied = copy_quoted(&mut out, s.as_bytes());
            prop_assert_eq!(copied, serde_json::to_string(&s).unwrap() == plain);
            // Copied: the prefix then the quoted string; refused: the prefix untouched.
            let expected = if copied { format!("{prefix}{plain}") } else { prefix };
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    /// Whether [`copy_quoted`] would copy `bytes` unescaped.
    fn needs_escape(bytes: &[u8]) -> bool {
        !copy_quoted(&mut Vec::new(), bytes)
    }

    #[test]
    fn every_escapable_byte_is_caught_wherever_it_sits() {
        for b in (0u8..0x20).chain([b'"', b'\\']) {
            // Lengths 1–40 exercise the sixteen-byte blocks, the one whole word after them and
            // the partial last word, alone and together.
            for len in 1..=40 {
                assert!(!needs_escape(&vec![b'a'; len]), "clean, length {len}");
                for pos in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[pos] = b;
                    assert!(needs_escape(&bytes), "byte {b:#x} at {pos} of {len}");
                }
            }
        }
        assert!(!needs_escape(
            b"plain text with / and \x7f and more than sixteen bytes"
        ));
    }
}
