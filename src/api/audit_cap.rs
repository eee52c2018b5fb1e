//! Size caps on audit events: one hostile request (a 100 MB parameter value, a 100 MB action
//! name, a million parameters) must not put 100 MB into the audit trail, which every later
//! save of the state file rewrites.
//!
//! ActionTrail truncates long values too, but Alibaba publishes no figure (ASSUMED): ramsim
//! keeps text up to [`MAX_AUDIT_TEXT_CHARS`] characters, which is above every valid parameter
//! value (the longest, an identity policy document, is 6,144 characters), so only requests
//! that Alibaba would refuse anyway are ever cut, and replaying the audit trail (`ramsim diff`)
//! replays every valid call unchanged. A cut value ends in a marker naming its full length:
//! `…[truncated: 104857600 characters]`.

use super::audit::AuditEvent;
use super::param_map::ParamMap;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Longest text an audit event keeps in one field or parameter value, in characters. A list
/// or object value (JSON requests) counts the characters of its JSON text; cut, it becomes
/// that text, cut, as a string.
pub const MAX_AUDIT_TEXT_CHARS: usize = 8192;
/// Longest parameter name an audit event keeps, in characters (Alibaba's are under 64).
pub const MAX_AUDIT_NAME_CHARS: usize = 128;
/// Most request parameters an audit event keeps (the ActionTrail additions `AcsHost`,
/// `RequestId`, … come on top). The number left out is recorded under
/// [`OMITTED_PARAMETERS_KEY`].
pub const MAX_AUDIT_PARAMS: usize = 256;
/// `requestParameters` key that counts the parameters beyond [`MAX_AUDIT_PARAMS`].
pub const OMITTED_PARAMETERS_KEY: &str = "ramsim:omittedParameters";

/// `text` cut to `max` characters plus the marker, or `None` when it fits.
#[inline]
pub fn cut(text: &str, max: usize) -> Option<String> {
    // A string of at most `max` bytes has at most `max` characters: no counting needed (and
    // inlined, the dozen checks of every event cost a compare each).
    if text.len() <= max {
        return None;
    }
    cut_long(text, max)
}

/// [`cut`] for text longer than `max` bytes: rare (hostile requests only).
#[cold]
#[inline(never)]
fn cut_long(text: &str, max: usize) -> Option<String> {
    let (end, _) = text.char_indices().nth(max)?;
    let total = text.chars().count();
    let mut out = String::with_capacity(end + 40);
    out.push_str(&text[..end]);
    out.push_str(&format!("…[truncated: {total} characters]"));
    Some(out)
}

/// Cuts `s` in place to [`MAX_AUDIT_TEXT_CHARS`].
fn cap_string(s: &mut String) {
    if let Some(c) = cut(s, MAX_AUDIT_TEXT_CHARS) {
        *s = c;
    }
}

/// Cuts `s` in place to [`MAX_AUDIT_TEXT_CHARS`].
fn cap_cow(s: &mut Cow<'static, str>) {
    if let Some(c) = cut(s, MAX_AUDIT_TEXT_CHARS) {
        *s = Cow::Owned(c);
    }
}

/// A writer that keeps the first `limit` bytes and then refuses, so measuring a huge value's
/// JSON text costs at most `limit` bytes.
struct Bounded {
    buf: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room = self.limit.saturating_sub(self.buf.len());
        if room == 0 {
            return Err(std::io::Error::other("limit reached"));
        }
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A parameter value as the audit event keeps it: strings cut to [`MAX_AUDIT_TEXT_CHARS`];
/// a list or object whose JSON text is longer becomes that text, cut.
pub fn capped_value(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            Value::String(cut(s, MAX_AUDIT_TEXT_CHARS).unwrap_or_else(|| s.clone()))
        }
        Value::Array(_) | Value::Object(_) => {
            // Enough bytes for MAX_AUDIT_TEXT_CHARS characters of any width, plus one.
            let mut w = Bounded {
                buf: Vec::new(),
                limit: MAX_AUDIT_TEXT_CHARS * 4 + 1,
            };
            let complete = serde_json::to_writer(&mut w, v).is_ok();
            let text = String::from_utf8_lossy(&w.buf);
            if complete && text.chars().count() <= MAX_AUDIT_TEXT_CHARS {
                return v.clone();
            }
            let (end, _) = text
                .char_indices()
                .nth(MAX_AUDIT_TEXT_CHARS)
                .unwrap_or((text.len(), ' '));
            Value::String(format!("{}…[truncated: list or object]", &text[..end]))
        }
        other => other.clone(),
    }
}

/// True when `v` is kept as it is (the common case, checked without allocating).
fn fits(v: &Value) -> bool {
    match v {
        Value::String(s) => s.len() <= MAX_AUDIT_TEXT_CHARS,
        Value::Array(_) | Value::Object(_) => false,
        _ => true,
    }
}

/// The request parameters as an audit event records them, capped (see the module docs).
pub fn capped_params(params: &Map<String, Value>, extra: usize) -> ParamMap {
    let kept = params.len().min(MAX_AUDIT_PARAMS);
    let mut out = ParamMap::with_capacity(kept + extra + 1);
    let short = params.len() <= MAX_AUDIT_PARAMS
        && params
            .iter()
            .all(|(k, v)| k.len() <= MAX_AUDIT_NAME_CHARS && fits(v));
    if short {
        out.extend_from(params);
        return out;
    }
    for (k, v) in params.iter().take(MAX_AUDIT_PARAMS) {
        // Cut names may coincide: the later value wins, as in a JSON object.
        match cut(k, MAX_AUDIT_NAME_CHARS) {
            Some(name) => out.insert(&name, capped_value(v)),
            None => out.insert(k, capped_value(v)),
        }
    }
    if params.len() > MAX_AUDIT_PARAMS {
        out.insert(
            OMITTED_PARAMETERS_KEY,
            Value::from(params.len() - MAX_AUDIT_PARAMS),
        );
    }
    out
}

/// Cuts every string inside `v` in place (denial details, whose fields echo the request).
fn cap_strings_in(v: &mut Value) {
    match v {
        Value::String(s) => cap_string(s),
        Value::Array(items) => items.iter_mut().for_each(cap_strings_in),
        Value::Object(map) => map.values_mut().for_each(cap_strings_in),
        _ => {}
    }
}

impl AuditEvent {
    /// Cuts the fields that echo the caller's input (action name, region, caller name and
    /// keys, source IP, user agent, error message, resource name, denial detail) to
    /// [`MAX_AUDIT_TEXT_CHARS`]. Request parameters are capped when the event is built
    /// ([`capped_params`]); response elements hold only values the model validated.
    pub fn cap_sizes(&mut self) {
        cap_string(&mut self.event_name);
        cap_string(&mut self.acs_region);
        cap_string(&mut self.error_message);
        cap_string(&mut self.source_ip_address);
        cap_cow(&mut self.user_agent);
        cap_string(&mut self.user_identity.account_id);
        cap_string(&mut self.user_identity.principal_id);
        cap_string(&mut self.user_identity.user_name);
        cap_string(&mut self.user_identity.access_key_id);
        cap_string(&mut self.recipient_account_id);
        cap_string(&mut self.resource_name);
        if let Some(d) = &mut self.access_denied_detail {
            cap_strings_in(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_text_is_kept_and_long_text_is_cut_with_its_length() {
        assert_eq!(cut("abc", 3), None);
        assert_eq!(
            cut("abcd", 3).as_deref(),
            Some("abc…[truncated: 4 characters]")
        );
        // characters, not bytes: three 3-byte characters fit a 3-character cap
        assert_eq!(cut("日本語", 3), None);
        assert_eq!(
            cut("日本語です", 3).as_deref(),
            Some("日本語…[truncated: 5 characters]")
        );
    }

    #[test]
    fn values_names_and_counts_are_capped() {
        let mut params = Map::new();
        params.insert("PolicyName".into(), json!("p"));
        params.insert("PolicyDocument".into(), json!("x".repeat(10_000_000)));
        params.insert("N".repeat(1000), json!(1));
        params.insert("List".into(), json!(vec!["y"; 100_000]));
        params.insert("Small".into(), json!(["a", {"b": true}]));
        let capped = capped_params(&params, 0);
        assert_eq!(capped.get("PolicyName"), Some(&json!("p")));
        let doc = capped
            .get("PolicyDocument")
            .and_then(Value::as_str)
            .unwrap();
        assert!(doc.starts_with(&"x".repeat(MAX_AUDIT_TEXT_CHARS)));
        assert!(
            doc.ends_with("…[truncated: 10000000 characters]"),
            "{}",
            &doc[8000..]
        );
        let long_name = cut(&"N".repeat(1000), MAX_AUDIT_NAME_CHARS).unwrap();
        assert_eq!(capped.get(&long_name), Some(&json!(1)));
        let list = capped.get("List").and_then(Value::as_str).unwrap();
        assert!(list.starts_with("[\"y\",\"y\""));
        assert!(list.ends_with("…[truncated: list or object]"));
        assert!(list.chars().count() < MAX_AUDIT_TEXT_CHARS + 40);
        assert_eq!(capped.get("Small"), Some(&json!(["a", {"b": true}])));

        let many: Map<String, Value> = (0..1000).map(|i| (format!("P{i}"), json!(i))).collect();
        let capped = capped_params(&many, 0);
        assert_eq!(capped.len(), MAX_AUDIT_PARAMS + 1);
        assert_eq!(
            capped.get(OMITTED_PARAMETERS_KEY),
            Some(&json!(1000 - MAX_AUDIT_PARAMS))
        );
        assert_eq!(capped.get("P255"), Some(&json!(255)));
        assert_eq!(capped.get("P256"), None);
    }

    #[test]
    fn ordinary_parameters_are_copied_as_they_are() {
        let params: Map<String, Value> = serde_json::from_value(json!({
            "RegionId": "cn-hangzhou", "PolicyDocument": "x".repeat(MAX_AUDIT_TEXT_CHARS), "DryRun": true
        }))
        .unwrap();
        assert_eq!(capped_params(&params, 0).to_map(), params);
    }
}
