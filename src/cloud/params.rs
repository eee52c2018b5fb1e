//! Typed access to flat RPC parameters (§0.4.1).
//!
//! Values may arrive as JSON strings even for numbers and booleans (aliyun CLI
//! lines), so every accessor accepts both spellings. Empty strings and `null`
//! count as absent, like Alibaba's gateway does for query parameters.

use crate::cloud::error::CloudError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Parameters every API accepts: the POP common parameters, and `RegionId`, which the aliyun
/// CLI sends even to global APIs.
const COMMON: [&str; 10] = [
    "RegionId",
    "Format",
    "Version",
    "AccessKeyId",
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "Timestamp",
    "SecurityToken",
];

/// Borrowed view of a request's parameters. Every name an operation's decoder asks for is
/// remembered, so that parameters nobody asked for can be reported ([`Params::unknown`]).
pub struct Params<'a> {
    map: &'a Map<String, Value>,
    /// Names are `'static` (every decoder asks for literal names): noting one is a push,
    /// not an allocation.
    asked: std::cell::RefCell<Vec<&'static str>>,
}

impl<'a> Params<'a> {
    /// Wraps a parameter map.
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Params {
            map,
            asked: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn note(&self, name: &'static str) {
        let mut asked = self.asked.borrow_mut();
        // Room for every name of most APIs at the first: growing one push at a time cost
        // three allocations per decode (and a view nobody asks allocates nothing).
        if asked.capacity() == 0 {
            asked.reserve(16);
        }
        asked.push(name);
    }

    /// The first parameter no decoder asked for (common parameters excepted), with the asked
    /// name closest to it as a suggestion. List entries `Name.N` / `Name.N.Field` count as asked
    /// when `Name` was.
    pub fn unknown(&self) -> Option<(String, Option<String>)> {
        let asked = self.asked.borrow();
        let known = |k: &str| {
            COMMON.contains(&k)
                || asked
                    .iter()
                    .any(|a| k == *a || k.strip_prefix(a).is_some_and(|rest| rest.starts_with('.')))
        };
        let unknown = self.map.keys().find(|k| !known(k))?;
        let suggestion =
            crate::policy::read::closest(unknown, asked.iter().copied()).map(str::to_string);
        Some((unknown.clone(), suggestion))
    }

    fn raw(&self, name: &'static str) -> Option<&'a Value> {
        self.note(name);
        self.lookup(name)
    }

    /// The value under `name`, without noting it as asked (list items `Name.N`, covered by
    /// `Name`); empty strings and `null` are absent.
    fn lookup(&self, name: &str) -> Option<&'a Value> {
        // Requests carry a handful of parameters: a scan of the entries beats hashing the
        // name with SipHash (serde_json's map hasher).
        let found = if self.map.len() <= 16 {
            self.map
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, v)| v)
        } else {
            self.map.get(name)
        };
        match found {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// Optional string (numbers and booleans are rendered as text).
    pub fn opt_str(&self, name: &'static str) -> Result<Option<String>, CloudError> {
        text(name, self.raw(name))
    }

    /// Required string. When it is absent but a parameter nobody asked for yet is spelled
    /// like it (`VpcID`, `RegoinId`), the error says so.
    pub fn req_str(&self, name: &'static str) -> Result<String, CloudError> {
        self.opt_str(name)?
            .ok_or_else(|| CloudError::missing(name).with_hint(self.misspelling_of(name)))
    }

    /// A given parameter, not a common one nor one asked for so far, that is probably a
    /// misspelling of the required `name`: ` "VpcID" was given: did you mean "VpcId"?`.
    fn misspelling_of(&self, name: &str) -> Option<String> {
        let asked = self.asked.borrow();
        let unasked = self
            .map
            .keys()
            .map(String::as_str)
            .filter(|k| !COMMON.contains(k) && !asked.contains(k));
        crate::suggest::closest(name, unasked)
            .map(|given| format!("\"{given}\" was given: did you mean \"{name}\"?"))
    }

    /// Optional integer (JSON number or decimal string).
    pub fn opt_i64(&self, name: &'static str) -> Result<Option<i64>, CloudError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| CloudError::invalid_param(name, "expected an integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| CloudError::invalid_param(name, "expected an integer")),
            Some(_) => Err(CloudError::invalid_param(name, "expected an integer")),
        }
    }

    /// Optional boolean (`true`/`false`, any case, or a JSON bool).
    pub fn opt_bool(&self, name: &'static str) -> Result<Option<bool>, CloudError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(CloudError::invalid_param(name, "expected true or false")),
        }
    }

    /// Boolean defaulting to false.
    pub fn flag(&self, name: &'static str) -> Result<bool, CloudError> {
        Ok(self.opt_bool(name)?.unwrap_or(false))
    }

    /// Optional account uid (int64 in the metadata; number or string accepted).
    pub fn opt_uid(&self, name: &'static str) -> Result<Option<String>, CloudError> {
        match self.opt_i64(name)? {
            None => Ok(None),
            Some(n) if n >= 0 => Ok(Some(n.to_string())),
            Some(_) => Err(CloudError::invalid_param(
                name,
                "expected a non-negative account id",
            )),
        }
    }

    /// List parameter `Name.N` (1-based), or a JSON array under `Name`.
    pub fn list_str(&self, name: &'static str) -> Result<Vec<String>, CloudError> {
        // `raw` notes `name`, which also covers the `Name.N` entries read below.
        if let Some(Value::Array(items)) = self.raw(name) {
            let mut out = Vec::new();
            for v in items {
                match v {
                    Value::String(s) if !s.is_empty() => out.push(s.clone()),
                    Value::Number(n) => out.push(n.to_string()),
                    Value::String(_) | Value::Null => {}
                    _ => {
                        return Err(CloudError::invalid_param(
                            name,
                            "expected a list of strings",
                        ))
                    }
                }
            }
            return Ok(out);
        }
        let mut out = Vec::new();
        for i in 1..=1000usize {
            let key = format!("{name}.{i}");
            match text(&key, self.lookup(&key))? {
                Some(s) => out.push(s),
                None if self.map.contains_key(&key) => {}
                None => break,
            }
        }
        Ok(out)
    }

    /// An id list in the shapes Alibaba's clients send: `Name.N`, a JSON array (from a JSON
    /// request) or a JSON array in a string (`["i-1","i-2"]`, the SDKs' form for ECS and NIS
    /// ids). Empty items are dropped; `None` when the parameter is absent or names no id. More
    /// than `max` ids, or a string that is not a JSON array of strings, is
    /// `InvalidParameter.<Name>` (a product with its own code maps it).
    pub fn id_list(
        &self,
        name: &'static str,
        max: usize,
    ) -> Result<Option<Vec<String>>, CloudError> {
        self.ids(name, max, false)
    }

    /// [`Params::id_list`], also taking a comma-separated string (`sg-1,sg-2`), which the
    /// aliyun CLI accepts for some lists.
    pub fn id_list_or_commas(
        &self,
        name: &'static str,
        max: usize,
    ) -> Result<Option<Vec<String>>, CloudError> {
        self.ids(name, max, true)
    }

    fn ids(
        &self,
        name: &'static str,
        max: usize,
        commas: bool,
    ) -> Result<Option<Vec<String>>, CloudError> {
        let mut ids = self.list_str(name)?;
        if ids.is_empty() {
            if let Some(text) = self.opt_str(name)? {
                ids = if commas && !text.trim_start().starts_with('[') {
                    text.split(',').map(|s| s.trim().to_string()).collect()
                } else {
                    serde_json::from_str::<Vec<String>>(&text).map_err(|_| {
                        CloudError::invalid_param(name, "expected a JSON array of ids")
                    })?
                };
                ids.retain(|id| !id.is_empty());
            }
        }
        if ids.len() > max {
            return Err(CloudError::invalid_param(
                name,
                &format!("at most {max} ids per call"),
            ));
        }
        Ok((!ids.is_empty()).then_some(ids))
    }

    /// Object list `Name.N.Field` (1-based): returns one map per index, in order, from 1 up to
    /// the first missing index (at most 1,000). One pass over the parameters: a call without
    /// the list pays one prefix test per parameter, and a long list is not rescanned per index.
    pub fn list_obj(&self, name: &'static str) -> Vec<Map<String, Value>> {
        const MAX_INDEX: usize = 1000;
        self.note(name);
        let mut by_index: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
        for (k, v) in self.map.iter() {
            let Some(rest) = k.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let Some((index, field)) = rest.split_once('.') else {
                continue;
            };
            // Indexes are written in decimal without a sign or leading zeros (`Tag.1.Key`);
            // checked on the bytes, not by formatting the number back (no allocation per key).
            let canonical = !index.is_empty()
                && !index.starts_with('0')
                && index.bytes().all(|b| b.is_ascii_digit());
            let Some(i) = canonical
                .then(|| index.parse::<usize>().ok())
                .flatten()
                .filter(|i| (1..=MAX_INDEX).contains(i))
            else {
                continue;
            };
            by_index
                .entry(i)
                .or_default()
                .insert(field.to_string(), v.clone());
        }
        let mut out = Vec::with_capacity(by_index.len());
        for (expected, (i, obj)) in (1..).zip(by_index) {
            if i != expected {
                break;
            }
            out.push(obj);
        }
        out
    }

    /// `ClientToken`: optional, ASCII, ≤ 64 characters (§0.4.3).
    pub fn client_token(&self) -> Result<Option<String>, CloudError> {
        let t = self.opt_str("ClientToken")?;
        if let Some(t) = &t {
            if t.len() > 64 || !t.is_ascii() {
                return Err(CloudError::invalid_param(
                    "ClientToken",
                    "ASCII, at most 64 characters",
                ));
            }
        }
        Ok(t)
    }

    /// A paging parameter: `default` when absent, else between 1 and `max`
    /// (`InvalidParameter.<Name>` otherwise).
    pub fn page(&self, name: &'static str, default: i64, max: i64) -> Result<i64, CloudError> {
        let v = self.opt_i64(name)?.unwrap_or(default);
        if v < 1 || v > max {
            return Err(CloudError::invalid_param(
                name,
                &format!("must be between 1 and {max}"),
            ));
        }
        Ok(v)
    }
}

/// A parameter value as text (numbers and booleans are rendered as text).
fn text(name: &str, value: Option<&Value>) -> Result<Option<String>, CloudError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(CloudError::invalid_param(name, "expected a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    /// The one-pass object-list reader against the obvious one: per index, scan every
    /// parameter for the `Name.N.` prefix, stop at the first index with nothing.
    #[test]
    fn object_lists_read_like_a_per_index_scan() {
        fn naive(m: &Map<String, Value>, name: &str) -> Vec<Map<String, Value>> {
            let mut out = Vec::new();
            for i in 1..=1000usize {
                let prefix = format!("{name}.{i}.");
                let obj: Map<String, Value> = m
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&prefix).map(|f| (f.to_string(), v.clone()))
                    })
                    .collect();
                if obj.is_empty() {
                    break;
                }
                out.push(obj);
            }
            out
        }
        let cases = [
            json!({}),
            json!({"Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "b"}),
            json!({"Tag.2.Key": "b", "Tag.1.Key": "a"}),
            json!({"Tag.1.Key": "a", "Tag.3.Key": "c"}),
            json!({"Tag.01.Key": "x", "Tag.1.Key": "a", "Tags.1.Key": "t", "Tag.1": "v"}),
            json!({"Tag.1.": "e", "Tag.1.Key.Sub": "s", "Tag.+1.Key": "p", "Tag.1001.Key": "z"}),
            json!({"Tag.0.Key": "zero", "Tag.1.Key": "a", "TagX.1.Key": "y", "Tag..Key": "d"}),
        ];
        for case in cases {
            let m = map(case.clone());
            assert_eq!(Params::new(&m).list_obj("Tag"), naive(&m, "Tag"), "{case}");
        }
        let long: Map<String, Value> = (1..=1001)
            .map(|i| (format!("Tag.{i}.Key"), Value::from(i)))
            .collect();
        assert_eq!(Params::new(&long).list_obj("Tag"), naive(&long, "Tag"));
        assert_eq!(Params::new(&long).list_obj("Tag").len(), 1000);
    }

    #[test]
    fn id_lists_take_every_shape_clients_send() {
        let ids = |v: Value| Params::new(&map(v)).id_list("Ids", 3);
        let want = Some(vec!["a".to_string(), "b".to_string()]);
        assert_eq!(ids(json!({"Ids": "[\"a\",\"b\"]"})).unwrap(), want);
        assert_eq!(ids(json!({"Ids": ["a", "b"]})).unwrap(), want);
        assert_eq!(ids(json!({"Ids.1": "a", "Ids.2": "b"})).unwrap(), want);
        assert_eq!(ids(json!({})).unwrap(), None);
        assert_eq!(ids(json!({"Ids": "[]"})).unwrap(), None);
        for bad in [
            json!({"Ids": "[\"a\""}),
            json!({"Ids": "[1]"}),
            json!({"Ids": "a,b"}),
            json!({"Ids": "[\"a\",\"b\",\"c\",\"d\"]"}),
        ] {
            let e = ids(bad.clone()).unwrap_err();
            assert_eq!(e.code, "InvalidParameter.Ids", "{bad}");
        }
        // The comma form, where a list takes it.
        let commas = |v: Value| Params::new(&map(v)).id_list_or_commas("Ids", 3);
        assert_eq!(commas(json!({"Ids": " a, ,b "})).unwrap(), want);
        assert_eq!(commas(json!({"Ids": "[\"a\",\"b\"]"})).unwrap(), want);
        assert_eq!(commas(json!({"Ids": ","})).unwrap(), None);
        let e = commas(json!({"Ids": "a,b,c,d"})).unwrap_err();
        assert_eq!(e.code, "InvalidParameter.Ids");
    }

    #[test]
    fn a_missing_required_parameter_names_its_misspelling() {
        let m = map(json!({"RegionId": "cn-hangzhou", "VpcID": "vpc-1"}));
        let p = Params::new(&m);
        let e = p.req_str("VpcId").unwrap_err();
        assert_eq!(e.code, "MissingParameter.VpcId");
        assert!(
            e.message
                .ends_with("is not supplied. \"VpcID\" was given: did you mean \"VpcId\"?"),
            "{}",
            e.message
        );
        // common parameters and parameters already read are not suggested
        let m = map(json!({"RegionId": "cn-hangzhou", "Version": "x"}));
        let p = Params::new(&m);
        p.req_str("RegionId").unwrap();
        let e = p.req_str("RegionIds").unwrap_err();
        assert!(!e.message.contains("did you mean"), "{}", e.message);
        let e = p.req_str("Versions").unwrap_err();
        assert!(!e.message.contains("did you mean"), "{}", e.message);
    }
}
