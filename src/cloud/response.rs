//! What a service answers: a JSON value, or a typed answer rendered only when it is read.
//!
//! Most APIs answer with a small `serde_json::Value`. A read that returns a whole resource
//! (GetVpcPeerConnectionAttribute: 22 fields) used to build a `serde_json` map for every call —
//! a SipHash and an allocation per key, 12 % of the gateway's peering cycle — although most
//! in-process callers never look at it and `ramsim serve` only writes it out. A typed answer is a
//! plain struct whose `Serialize` gives Alibaba's field order; it becomes a `Value` on first
//! read ([`Body`]'s `Deref`) and is written to the wire straight from the struct. Both renderings
//! give the same bytes (tested below and in `vpcpeer`).

use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

/// A typed answer: any `Serialize` struct (a JSON object) that can be shared across threads.
pub trait TypedResponse: Send + Sync + fmt::Debug {
    /// The answer as a JSON value, `RequestId` first when given.
    fn to_value(&self, request_id: Option<&str>) -> Value;
    /// Writes the answer as JSON, `RequestId` first when given; the bytes equal
    /// `serde_json::to_vec(&self.to_value(request_id))`.
    fn write_json(&self, request_id: Option<&str>, out: &mut Vec<u8>);
}

/// `{"RequestId": …, <the fields of T>}`: one map, the id first (Alibaba's order).
#[derive(Serialize)]
struct WithRequestId<'a, T: Serialize> {
    #[serde(rename = "RequestId", skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    #[serde(flatten)]
    body: &'a T,
}

impl<T: Serialize + Send + Sync + fmt::Debug> TypedResponse for T {
    fn to_value(&self, request_id: Option<&str>) -> Value {
        let body = WithRequestId {
            request_id,
            body: self,
        };
        // A struct of strings, numbers, options and vectors always converts.
        serde_json::to_value(body).unwrap_or(Value::Null)
    }

    fn write_json(&self, request_id: Option<&str>, out: &mut Vec<u8>) {
        let body = WithRequestId {
            request_id,
            body: self,
        };
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(out, &body);
    }
}

/// A service's answer before the gateway adds `RequestId`.
#[derive(Debug)]
pub enum Response {
    /// An answer built as a JSON value.
    Json(Value),
    /// A typed answer, rendered when read.
    Typed(Box<dyn TypedResponse>),
}

impl Response {
    /// A typed answer.
    pub fn typed<T: TypedResponse + 'static>(body: T) -> Response {
        Response::Typed(Box::new(body))
    }

    /// The answer as a JSON value (without `RequestId`).
    pub fn into_value(self) -> Value {
        match self {
            Response::Json(v) => v,
            Response::Typed(t) => t.to_value(None),
        }
    }

    /// A JSON copy of the answer (without `RequestId`).
    pub fn to_value(&self) -> Value {
        match self {
            Response::Json(v) => v.clone(),
            Response::Typed(t) => t.to_value(None),
        }
    }
}

impl From<Value> for Response {
    fn from(v: Value) -> Response {
        Response::Json(v)
    }
}

/// A whole response body, `RequestId` included: a JSON value, or a typed answer that becomes
/// one the first time it is read through `Deref` (and is written out without becoming one by
/// [`Body::write_json`]).
pub struct Body {
    value: OnceLock<Value>,
    typed: Option<(String, Box<dyn TypedResponse>)>,
}

impl Body {
    /// A body that is already a JSON value.
    pub fn json(value: Value) -> Body {
        Body {
            value: OnceLock::from(value),
            typed: None,
        }
    }

    /// A typed answer with its request id (rendered `RequestId` first).
    pub fn typed(request_id: String, body: Box<dyn TypedResponse>) -> Body {
        Body {
            value: OnceLock::new(),
            typed: Some((request_id, body)),
        }
    }

    /// The body as JSON text, without building a `Value` for a typed answer.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match (self.value.get(), &self.typed) {
            (None, Some((id, t))) => t.write_json(Some(id), out),
            _ => {
                // Writing to a Vec cannot fail.
                let _ = serde_json::to_writer(out, &**self);
            }
        }
    }

    /// The body as a JSON value.
    pub fn into_value(self) -> Value {
        let Body { value, typed } = self;
        match (value.into_inner(), typed) {
            (Some(v), _) => v,
            (None, Some((id, t))) => t.to_value(Some(&id)),
            (None, None) => Value::Null,
        }
    }
}

impl Deref for Body {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value.get_or_init(|| match &self.typed {
            Some((id, t)) => t.to_value(Some(id)),
            None => Value::Null,
        })
    }
}

impl Clone for Body {
    fn clone(&self) -> Body {
        Body::json((**self).clone())
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl PartialEq<Value> for Body {
    fn eq(&self, other: &Value) -> bool {
        **self == *other
    }
}

impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        **self == **other
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.value.get(), &self.typed) {
            (None, Some((id, t))) => t.to_value(Some(id)).serialize(serializer),
            _ => (**self).serialize(serializer),
        }
    }
}

impl From<Value> for Body {
    fn from(v: Value) -> Body {
        Body::json(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Sample {
        instance_id: String,
        owner_id: u64,
        gmt_expired: Option<String>,
        cidrs: Vec<String>,
        tags: Vec<Tag>,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        key: String,
        value: String,
    }

    fn sample() -> Sample {
        Sample {
            instance_id: "pcc-1\"quoted\"".into(),
            owner_id: 1234567890123456,
            gmt_expired: None,
            cidrs: vec!["10.0.0.0/8".into()],
            tags: vec![Tag {
                key: "k".into(),
                value: "é\n".into(),
            }],
        }
    }

    #[test]
    fn typed_body_writes_the_bytes_of_its_value() {
        let body = Body::typed("RID-1".into(), Box::new(sample()));
        let mut direct = Vec::new();
        body.write_json(&mut direct);
        let value = body.clone().into_value();
        assert_eq!(direct, serde_json::to_vec(&value).unwrap());
        let text = String::from_utf8(direct).unwrap();
        assert!(text.starts_with(r#"{"RequestId":"RID-1","InstanceId":"pcc-1\"quoted\"","OwnerId":1234567890123456,"GmtExpired":null"#), "{text}");
        // Reading through Deref renders the same value, once.
        assert_eq!(body["Tags"][0]["Value"], "é\n");
        assert_eq!(*body, value);
        let mut after = Vec::new();
        body.write_json(&mut after);
        assert_eq!(after, serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn a_response_renders_without_request_id() {
        let v = Response::typed(sample()).into_value();
        assert_eq!(
            v.as_object().unwrap().keys().next().map(String::as_str),
            Some("InstanceId")
        );
        assert_eq!(Response::from(Value::Null).to_value(), Value::Null);
    }

    #[test]
    fn json_bodies_serialize_as_their_value() {
        let v = serde_json::json!({"RequestId": "x", "A": [1, 2]});
        let body = Body::json(v.clone());
        assert_eq!(serde_json::to_value(&body).unwrap(), v);
        let mut out = Vec::new();
        body.write_json(&mut out);
        assert_eq!(out, serde_json::to_vec(&v).unwrap());
        assert_eq!(format!("{body}"), v.to_string());
    }
}
