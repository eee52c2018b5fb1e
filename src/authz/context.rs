//! The request context: condition-key values supplied with a request (§5).

use serde::Serialize;
use std::borrow::Cow;

/// Condition-key values of one request. Key names are matched case-insensitively (§1.5);
/// a key may carry several values (multi-valued keys such as `acs:TagKeys`, §4.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestContext {
    /// `(key as first written, values)` in insertion order.
    entries: Vec<(Cow<'static, str>, Values)>,
}

/// The values of one key. Almost every key has exactly one value; keeping it inline saves the
/// gateway an allocation per key per call.
#[derive(Debug, Clone)]
enum Values {
    One([String; 1]),
    Many(Vec<String>),
}

impl Values {
    fn as_slice(&self) -> &[String] {
        match self {
            Values::One(one) => one,
            Values::Many(many) => many,
        }
    }

    fn push(&mut self, value: String) {
        match self {
            Values::One([first]) => {
                *self = Values::Many(vec![std::mem::take(first), value]);
            }
            Values::Many(many) => many.push(value),
        }
    }
}

/// A [`RequestContext`] being refilled ([`RequestContext::refill`]): entries before `filled`
/// are this request's; the rest are the previous request's, kept for their buffers.
pub struct Refill<'a> {
    context: &'a mut RequestContext,
    filled: usize,
}

impl Refill<'_> {
    /// As [`RequestContext::insert`]: adds `value` to `key`.
    pub fn insert(&mut self, key: &str, value: &str) {
        if let Some(values) = self.refilled(key) {
            values.push(value.to_string());
            return;
        }
        match self.next_slot(key) {
            Values::One([one]) => overwrite(one, value),
            other => *other = Values::One([value.to_string()]),
        }
    }

    /// As [`RequestContext::set`]: sets `key` to exactly `values`.
    pub fn set<'v>(&mut self, key: &str, values: impl Iterator<Item = &'v str>) {
        if let Some(old) = self.refilled(key) {
            *old = Values::Many(values.map(str::to_string).collect());
            return;
        }
        match self.next_slot(key) {
            Values::Many(many) => {
                let mut n = 0;
                for v in values {
                    match many.get_mut(n) {
                        Some(slot) => overwrite(slot, v),
                        None => many.push(v.to_string()),
                    }
                    n += 1;
                }
                many.truncate(n);
            }
            other => *other = Values::Many(values.map(str::to_string).collect()),
        }
    }

    /// The values of `key` when this refill already has it (keys match case-insensitively).
    fn refilled(&mut self, key: &str) -> Option<&mut Values> {
        self.context
            .entries
            .get_mut(..self.filled)?
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// The next entry, named `key`: a kept one (its old values left for the caller to
    /// overwrite), or a new one without values when every kept entry is in use.
    fn next_slot(&mut self, key: &str) -> &mut Values {
        let at = self.filled;
        self.filled += 1;
        if at == self.context.entries.len() {
            self.context
                .entries
                .push((Cow::Owned(key.to_string()), Values::Many(Vec::new())));
        } else if let Some((k, _)) = self.context.entries.get_mut(at) {
            match k {
                Cow::Owned(owned) => overwrite(owned, key),
                borrowed => *borrowed = Cow::Owned(key.to_string()),
            }
        }
        // Present: `at` was a kept entry or has just been pushed.
        &mut self.context.entries[at].1
    }
}

impl Drop for Refill<'_> {
    fn drop(&mut self) {
        self.context.entries.truncate(self.filled);
    }
}

/// Replaces `slot`'s text with `text`, keeping its buffer.
fn overwrite(slot: &mut String, text: &str) {
    slot.clear();
    slot.push_str(text);
}

// Equal when the value lists are, however they are stored.
impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Values {}

impl Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl RequestContext {
    /// A context from a JSON object of condition keys, each a string or an array of strings
    /// (the `context` of an `eval --requests` line; the DataFusion UDF's context column).
    pub fn from_json_object(
        map: serde_json::Map<String, serde_json::Value>,
    ) -> Result<RequestContext, String> {
        let mut ctx = RequestContext::with_capacity(map.len());
        for (k, v) in map {
            match v {
                serde_json::Value::String(s) => ctx.insert(&k, s),
                serde_json::Value::Array(items) => {
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            serde_json::Value::String(s) => values.push(s),
                            other => {
                                return Err(format!(
                                    "context `{k}`: values must be strings, found {other}"
                                ))
                            }
                        }
                    }
                    ctx.set(&k, values);
                }
                other => {
                    return Err(format!(
                        "context `{k}`: expected a string or an array of strings, found {other}"
                    ))
                }
            }
        }
        Ok(ctx)
    }

    /// An empty context (every key absent).
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// An empty context with room for `keys` keys without growing (the gateway knows how many
    /// it will add; growing the list one key at a time was 6% of a call).
    pub fn with_capacity(keys: usize) -> RequestContext {
        RequestContext {
            entries: Vec::with_capacity(keys),
        }
    }

    /// Adds `value` to `key` (a repeated key becomes multi-valued).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.insert_key(Cow::Owned(key.to_string()), value.into());
    }

    /// [`RequestContext::insert`] for a key name known at compile time (no copy of the name:
    /// the gateway adds its envelope keys this way on every call).
    pub fn insert_static(&mut self, key: &'static str, value: impl Into<String>) {
        self.insert_key(Cow::Borrowed(key), value.into());
    }

    fn insert_key(&mut self, key: Cow<'static, str>, value: String) {
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some((_, values)) => values.push(value),
            None => self.entries.push((key, Values::One([value]))),
        }
    }

    /// Sets `key` to exactly `values` (an empty list makes the key present with no values).
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some((_, v)) => *v = Values::Many(values),
            None => self
                .entries
                .push((Cow::Owned(key.to_string()), Values::Many(values))),
        }
    }

    /// Starts refilling this context from scratch while reusing the strings it holds: the
    /// result is the context that [`RequestContext::insert`] and [`RequestContext::set`] would
    /// build from an empty one, but a stream of requests with the same keys (`eval
    /// --requests`) allocates nothing after its first line. Entries not refilled are dropped
    /// when the [`Refill`] is.
    pub fn refill(&mut self) -> Refill<'_> {
        Refill {
            context: self,
            filled: 0,
        }
    }

    /// Removes `key` (it becomes absent).
    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
    }

    /// The values of `key`, or `None` when the key is absent. Allocation-free.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        // Keys are unique ASCII case-insensitively (insert and set merge them), so an entry
        // spelled exactly as asked is the one: looking for it first, a word at a time, skips
        // the case-folding compare in the common case of a key written the same way.
        self.entries
            .iter()
            .find(|(k, _)| super::fast::same(k, key))
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
            })
            .map(|(_, v)| v.as_slice())
    }

    /// All entries in insertion order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v.as_slice()))
    }

    /// Parses `KEY=VALUE` (as given on the command line) and adds it.
    pub fn insert_assignment(&mut self, assignment: &str) -> Result<(), String> {
        match assignment.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                self.insert(k.trim(), v);
                Ok(())
            }
            _ => Err(format!(
                "context `{assignment}` is not of the form KEY=VALUE"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's context entries: a key with one value (`insert`) or a list (`set`).
    type Line = Vec<(String, Option<String>, Vec<String>)>;

    fn fresh(line: &Line) -> RequestContext {
        let mut c = RequestContext::new();
        for (key, one, many) in line {
            match one {
                Some(v) => c.insert(key, v.as_str()),
                None => c.set(key, many.clone()),
            }
        }
        c
    }

    proptest::proptest! {
        /// One context refilled line after line holds exactly what a fresh one built from
        /// each line holds, whatever the previous line left in its buffers.
        #[test]
        fn a_refilled_context_equals_a_fresh_one(lines in proptest::collection::vec(
            proptest::collection::vec(
                ("[aAbB]{1,2}", proptest::option::of("[xy]{0,2}"), proptest::collection::vec("[xy]{0,2}", 0..3)),
                0..5,
            ),
            1..6,
        )) {
            let mut reused = RequestContext::new();
            for line in &lines {
                {
                    let mut refill = reused.refill();
                    for (key, one, many) in line {
                        match one {
                            Some(v) => refill.insert(key, v),
                            None => refill.set(key, many.iter().map(String::as_str)),
                        }
                    }
                }
                let expected = fresh(line);
                proptest::prop_assert_eq!(&reused, &expected);
                let keys: Vec<&str> = reused.entries().map(|(k, _)| k).collect();
                let expected_keys: Vec<&str> = expected.entries().map(|(k, _)| k).collect();
                proptest::prop_assert_eq!(keys, expected_keys);
            }
        }
    }

    #[test]
    fn keys_are_case_insensitive_and_multi_valued() {
        let mut c = RequestContext::new();
        c.insert("acs:TagKeys", "a");
        c.insert("ACS:tagkeys", "b");
        assert_eq!(
            c.get("acs:tagKeys"),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert_eq!(c.get("acs:SourceIp"), None);
        c.remove("ACS:TAGKEYS");
        assert_eq!(c.get("acs:TagKeys"), None);
        assert!(c.insert_assignment("novalue").is_err());
        c.insert_assignment("acs:SourceIp=10.0.0.1").unwrap();
        assert_eq!(c.get("acs:sourceip").map(|v| v.len()), Some(1));
    }

    /// Static and owned keys, one value and several, set and serialized: the same context
    /// however it was built.
    #[test]
    fn static_keys_and_inline_values_behave_like_owned_lists() {
        let mut a = RequestContext::new();
        a.insert_static("acs:TagKeys", "a");
        a.insert("acs:tagkeys", "b");
        a.insert_static("acs:SourceIp", "10.0.0.1");
        let mut b = RequestContext::new();
        b.set("acs:TagKeys", vec!["a".into(), "b".into()]);
        b.insert("acs:SourceIp", "10.0.0.1");
        assert_eq!(a.get("ACS:TAGKEYS"), b.get("acs:TagKeys"));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"entries":[["acs:TagKeys",["a","b"]],["acs:SourceIp",["10.0.0.1"]]]}"#
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        b.set("acs:SourceIp", vec![]);
        assert_eq!(b.get("acs:SourceIp"), Some(&[][..]));
    }
}
