//! ActionTrail `LookupEvents` (2020-07-06) over the simulator's audit trail: the events of the
//! caller's account, filtered by one lookup attribute and a time window, newest first by
//! default, in pages of `MaxResults` with an opaque `NextToken`.

use super::audit::AuditEvent;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, AccessLevel, ApiDecl, Product};
use crate::cloud::params::Params;
use crate::cloud::{CloudError, Timestamp};
use serde_json::{json, Map, Value};

/// The ActionTrail product. It lives with the gateway because what it reads is the gateway's
/// own audit trail.
pub const PRODUCT: Product = Product {
    name: "Actiontrail",
    version: "2020-07-06",
    ram_code: "actiontrail",
    endpoint: "actiontrail.aliyuncs.com",
    regional_endpoint: None,
    // ASSUMED: ActionTrail answers a RAM denial like RAM does.
    denial: crate::iam::ram::IDENTITY_DENIAL,
};

/// Every ActionTrail API.
pub const DECLS: &[ApiDecl] = &[LookupEvents::DECL];

/// Default page size (ASSUMED: the API reference gives only the range 0–50).
pub const DEFAULT_MAX_RESULTS: usize = 20;
/// Largest page (`MaxResults` valid values 0 to 50).
pub const MAX_MAX_RESULTS: usize = 50;
/// Default window: the last 7 days before the scenario clock.
pub const DEFAULT_WINDOW_SECS: i64 = 7 * 86_400;

/// The attributes `LookupAttribute.N.Key` may name.
pub const LOOKUP_KEYS: [&str; 8] = [
    "ServiceName",
    "EventName",
    "User",
    "EventId",
    "ResourceType",
    "ResourceName",
    "EventRW",
    "EventAccessKeyId",
];

/// A decoded `LookupEvents` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupEvents {
    /// The lookup attribute `(Key, Value)`, if any (Alibaba accepts one per query).
    pub attribute: Option<(String, String)>,
    /// `StartTime`.
    pub start: Option<Timestamp>,
    /// `EndTime`.
    pub end: Option<Timestamp>,
    /// `Direction`: newest first (`BACKWARD`, the default) or oldest first (`FORWARD`).
    pub forward: bool,
    /// `MaxResults`.
    pub max_results: usize,
    /// `NextToken`: where the previous page stopped.
    pub next_token: Option<usize>,
}

fn time_param(p: &Params<'_>, name: &'static str) -> Result<Option<Timestamp>, CloudError> {
    match p.opt_str(name)? {
        None => Ok(None),
        Some(t) => Timestamp::parse(&t).map(Some).ok_or_else(|| {
            CloudError::invalid_param(name, "expected a UTC time YYYY-MM-DDThh:mm:ssZ")
        }),
    }
}

impl LookupEvents {
    /// The declaration of `LookupEvents` (a `NextToken` field joins the response when more
    /// events remain).
    pub const DECL: ApiDecl = PRODUCT
        .api(
            "LookupEvents",
            "actiontrail:LookupEvents",
            AccessLevel::List,
        )
        .params(&[
            opt("LookupAttribute.N.Key", Str),
            opt("LookupAttribute.N.Value", Str),
            opt("StartTime", Str),
            opt("EndTime", Str),
            opt("Direction", Str),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .response(&["StartTime", "EndTime", "Events"]);

    /// Decodes the parameters (unknown parameters are refused, like every other API).
    pub fn decode(params: &Map<String, Value>) -> Result<LookupEvents, CloudError> {
        let p = Params::new(params);
        let attrs = p.list_obj("LookupAttribute");
        if attrs.len() > 1 {
            return Err(CloudError::invalid_param(
                "LookupAttribute",
                "only one query condition is allowed per query",
            ));
        }
        let attribute = match attrs.into_iter().next() {
            None => None,
            Some(a) => {
                let field = |f: &str| match a.get(f) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(Value::Number(n)) => Ok(n.to_string()),
                    _ => Err(CloudError::missing(if f == "Key" {
                        "LookupAttribute.1.Key"
                    } else {
                        "LookupAttribute.1.Value"
                    })),
                };
                let key = field("Key")?;
                if !LOOKUP_KEYS.contains(&key.as_str()) {
                    return Err(CloudError::invalid_param(
                        "LookupAttribute.1.Key",
                        "expected one of ServiceName, EventName, User, EventId, ResourceType, ResourceName, EventRW, EventAccessKeyId",
                    ));
                }
                if let Some(extra) = a.keys().find(|k| *k != "Key" && *k != "Value") {
                    return Err(CloudError::invalid_param(
                        "LookupAttribute",
                        &format!("unknown field `{extra}`"),
                    ));
                }
                Some((key, field("Value")?))
            }
        };
        let forward = match p.opt_str("Direction")?.as_deref() {
            None | Some("BACKWARD") => false,
            Some("FORWARD") => true,
            Some(_) => {
                return Err(CloudError::invalid_param(
                    "Direction",
                    "expected FORWARD or BACKWARD",
                ))
            }
        };
        let max_results = match p.opt_i64("MaxResults")? {
            None | Some(0) => DEFAULT_MAX_RESULTS,
            Some(n) if (1..=MAX_MAX_RESULTS as i64).contains(&n) => n as usize,
            Some(_) => return Err(CloudError::invalid_param("MaxResults", "expected 0 to 50")),
        };
        let next_token = match p.opt_str("NextToken")? {
            None => None,
            Some(t) => Some(t.parse::<usize>().map_err(|_| {
                CloudError::invalid_param("NextToken", "not a token returned by LookupEvents")
            })?),
        };
        let start = time_param(&p, "StartTime")?;
        let end = time_param(&p, "EndTime")?;
        if let Some((param, suggestion)) = p.unknown() {
            return Err(CloudError::unknown_param(
                &param,
                "LookupEvents",
                suggestion.as_deref(),
            ));
        }
        Ok(LookupEvents {
            attribute,
            start,
            end,
            forward,
            max_results,
            next_token,
        })
    }

    fn matches(&self, e: &AuditEvent, account: &str, start: Timestamp, end: Timestamp) -> bool {
        if e.recipient_account_id != account {
            return false;
        }
        match Timestamp::parse(&e.event_time) {
            Some(t) if t >= start && t <= end => {}
            _ => return false,
        }
        let Some((key, value)) = &self.attribute else {
            return true;
        };
        let field: &str = match key.as_str() {
            "ServiceName" => &e.service_name,
            "EventName" => &e.event_name,
            "User" => &e.user_identity.user_name,
            "EventId" => &e.event_id,
            "ResourceType" => &e.resource_type,
            "EventRW" => &e.event_rw,
            "EventAccessKeyId" => &e.user_identity.access_key_id,
            "ResourceName" => {
                return e.resource_name.split(',').any(|r| r.trim() == value);
            }
            _ => return false,
        };
        field == value
    }

    /// The page of `account`'s events visible at scenario time `now`.
    pub fn run(
        &self,
        audit: &[AuditEvent],
        account: &str,
        now: Timestamp,
    ) -> Result<Value, CloudError> {
        let end = self.end.unwrap_or(now);
        let start = self.start.unwrap_or(end.plus(-DEFAULT_WINDOW_SECS));
        if start > end {
            return Err(CloudError::invalid_param(
                "StartTime",
                "StartTime is later than EndTime",
            ));
        }
        // The token is a position in the trail: the first event not yet returned.
        let len = audit.len();
        let from = self
            .next_token
            .unwrap_or(if self.forward { 0 } else { len });
        if from > len {
            return Err(CloudError::invalid_param(
                "NextToken",
                "not a token returned by LookupEvents",
            ));
        }
        let mut events = Vec::new();
        let mut next = None;
        let indices: Box<dyn Iterator<Item = usize>> = if self.forward {
            Box::new(from..len)
        } else {
            Box::new((0..from).rev())
        };
        for i in indices {
            let Some(e) = audit.get(i) else { break };
            if !self.matches(e, account, start, end) {
                continue;
            }
            if events.len() == self.max_results {
                next = Some(if self.forward { i } else { i + 1 });
                break;
            }
            events.push(serde_json::to_value(e).unwrap_or(Value::Null));
        }
        let mut body = json!({
            "StartTime": start.to_string(),
            "EndTime": end.to_string(),
            "Events": events,
        });
        if let (Some(n), Some(obj)) = (next, body.as_object_mut()) {
            obj.insert("NextToken".into(), Value::String(n.to_string()));
        }
        Ok(body)
    }
}
