//! ActionTrail-shaped audit events (network-model.md §10): exactly one per API call, whatever
//! the outcome, plus `AliyunServiceEvent`s for platform-side changes (expiry, settling).

use super::catalog::{AccessLevel, ApiEntry};
use super::param_map::ParamMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Text that is usually one of a few constants (`"ApiCall"`, `"Write"`, a host name):
/// borrowed when built by the gateway, owned when read back from a state file. Saves one
/// allocation per field per call on the hot path.
pub type Text = Cow<'static, str>;

/// `userIdentity.sessionContext` (§10.2): `{}` for platform events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionContext {
    /// `attributes`, absent for platform events.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attributes: Option<SessionAttributes>,
}

/// `sessionContext.attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAttributes {
    /// `"true"` / `"false"` (a string, as ActionTrail writes it).
    #[serde(rename = "mfaAuthenticated")]
    pub mfa_authenticated: Text,
    /// When the credentials were issued (the call time in the model).
    #[serde(rename = "creationDate")]
    pub creation_date: String,
}

/// `additionalEventData`: `{"Scheme": "https"}` for API calls, `{}` for platform events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdditionalEventData {
    /// `https` / `http`.
    #[serde(rename = "Scheme", skip_serializing_if = "Option::is_none", default)]
    pub scheme: Option<Text>,
}

/// `userIdentity` (§10.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIdentity {
    /// `root-account`, `ram-user`, `assumed-role`, `system`, or `unknown` (caller not resolved).
    #[serde(rename = "type")]
    pub kind: Text,
    /// Account UID.
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// Account UID / RAM user id / `RoleId:Session`.
    #[serde(rename = "principalId")]
    pub principal_id: String,
    /// `root` / user name / `role:session`.
    #[serde(rename = "userName")]
    pub user_name: String,
    /// AccessKey used (`STS.…` for sessions).
    #[serde(rename = "accessKeyId")]
    pub access_key_id: String,
    /// `sessionContext.attributes`.
    #[serde(rename = "sessionContext")]
    pub session_context: SessionContext,
}

/// One ActionTrail event (§10.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Unique id (= requestId for API calls).
    #[serde(rename = "eventId")]
    pub event_id: String,
    /// `1`.
    #[serde(rename = "eventVersion")]
    pub event_version: Text,
    /// `Management`.
    #[serde(rename = "eventCategory")]
    pub event_category: Text,
    /// `ApiCall` or `AliyunServiceEvent`.
    #[serde(rename = "eventType")]
    pub event_type: Text,
    /// API name or platform operation.
    #[serde(rename = "eventName")]
    pub event_name: String,
    /// `Write` / `Read`.
    #[serde(rename = "eventRW")]
    pub event_rw: Text,
    /// Endpoint host.
    #[serde(rename = "eventSource")]
    pub event_source: Text,
    /// UTC time.
    #[serde(rename = "eventTime")]
    pub event_time: String,
    /// Region.
    #[serde(rename = "acsRegion")]
    pub acs_region: String,
    /// Product.
    #[serde(rename = "serviceName")]
    pub service_name: Text,
    /// API version.
    #[serde(rename = "apiVersion")]
    pub api_version: Text,
    /// Request id (same as the response's RequestId).
    #[serde(rename = "requestId")]
    pub request_id: String,
    /// Parameters as received.
    #[serde(rename = "requestParameters")]
    pub request_parameters: ParamMap,
    /// Response body of successful writes.
    #[serde(
        rename = "responseElements",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub response_elements: Option<Value>,
    /// Error code (`""` on success).
    #[serde(rename = "errorCode")]
    pub error_code: String,
    /// Error message (`""` on success).
    #[serde(rename = "errorMessage")]
    pub error_message: String,
    /// Caller IP.
    #[serde(rename = "sourceIpAddress")]
    pub source_ip_address: String,
    /// User agent.
    #[serde(rename = "userAgent")]
    pub user_agent: Text,
    /// The caller.
    #[serde(rename = "userIdentity")]
    pub user_identity: UserIdentity,
    /// Account the event is delivered to.
    #[serde(rename = "recipientAccountId")]
    pub recipient_account_id: String,
    /// Main resource type, e.g. `ACS::VPC::PeerConnection`.
    #[serde(rename = "resourceType")]
    pub resource_type: Text,
    /// Main resource id (empty for failed creates).
    #[serde(rename = "resourceName")]
    pub resource_name: String,
    /// Denial detail for `Forbidden.NoPermission` (ramsim addition, mirrors the response).
    #[serde(
        rename = "accessDeniedDetail",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub access_denied_detail: Option<Value>,
    /// Extra data, e.g. `{"Scheme": "https"}`.
    #[serde(rename = "additionalEventData")]
    pub additional_event_data: AdditionalEventData,
}

/// The main resource id of a call, where its declaration says to find it ([`ApiEntry::names`]):
/// the response of a write first, then the request parameters. A create that failed names no
/// resource (§10.1) unless its request names an existing one ([`ApiEntry::names_in_request`]).
pub fn resource_name(
    entry: Option<&ApiEntry>,
    params: &Map<String, Value>,
    response: Option<&Value>,
) -> String {
    let Some(entry) = entry else {
        return String::new();
    };
    if let Some(response) = response {
        for field in entry.names {
            let found = if field.starts_with('/') {
                response.pointer(field).and_then(|v| match v {
                    Value::Array(ids) => Some(
                        ids.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
            } else {
                response
                    .get(field)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            if let Some(name) = found {
                return name;
            }
        }
    } else if entry.level == AccessLevel::Create && !entry.names_in_request {
        return String::new();
    }
    entry
        .names
        .iter()
        .find_map(|field| params.get(*field).and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

/// Renders events as a fixed-width table (for `ramsim log`).
pub fn render_table(events: &[AuditEvent]) -> String {
    let mut out = format!(
        "{:<20}  {:<30}  {:<16}  {:<16}  {:<38}  {}\n",
        "TIME", "EVENT", "CALLER", "ACCOUNT", "RESULT", "RESOURCE"
    );
    for e in events {
        let result = if e.error_code.is_empty() {
            "OK".to_string()
        } else {
            e.error_code.clone()
        };
        let result = match e
            .access_denied_detail
            .as_ref()
            .and_then(|d| d.get("NoPermissionType"))
            .and_then(Value::as_str)
        {
            Some(t) => format!("{result} ({t})"),
            None => result,
        };
        out.push_str(&format!(
            "{:<20}  {:<30}  {:<16}  {:<16}  {:<38}  {}\n",
            e.event_time,
            e.event_name,
            e.user_identity.user_name,
            e.user_identity.account_id,
            result,
            e.resource_name
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::resource_name;
    use crate::api::catalog::by_product_api;
    use serde_json::{json, Map, Value};

    fn name(product: &str, api: &str, params: Value, response: Option<Value>) -> String {
        let entry = by_product_api(Some(product), api).expect("declared");
        let params: Map<String, Value> = serde_json::from_value(params).unwrap();
        resource_name(Some(entry), &params, response.as_ref())
    }

    #[test]
    fn each_event_names_the_resource_its_api_declares() {
        // A create names what it created, from the response; failed, it names nothing.
        let p = json!({"RegionId": "cn-hangzhou", "VpcId": "vpc-1", "ServiceId": "epsrv-1"});
        let ok = json!({"EndpointId": "ep-1", "VpcId": "vpc-1"});
        assert_eq!(
            name("Privatelink", "CreateVpcEndpoint", p.clone(), Some(ok)),
            "ep-1"
        );
        assert_eq!(name("Privatelink", "CreateVpcEndpoint", p, None), "");
        // A create of a named resource names it from the request once it succeeded.
        let user = json!({"UserName": "alice"});
        let created = json!({"User": {"UserName": "alice"}});
        assert_eq!(
            name("Ram", "CreateUser", user.clone(), Some(created)),
            "alice"
        );
        assert_eq!(name("Ram", "CreateUser", user, None), "");
        // A create on an existing resource names it even when it fails.
        let accept = json!({"InstanceId": "pcc-1"});
        assert_eq!(
            name("VpcPeer", "AcceptVpcPeerConnection", accept, None),
            "pcc-1"
        );
        // Lists of created ids are joined.
        let run = json!({"InstanceIdSets": {"InstanceIdSet": ["i-1", "i-2"]}});
        assert_eq!(name("Ecs", "RunInstances", json!({}), Some(run)), "i-1,i-2");
        // The resource the declaration names, not the first id-like parameter.
        let bind = json!({"RouteTableId": "vtb-1", "VSwitchId": "vsw-1"});
        assert_eq!(name("Vpc", "AssociateRouteTable", bind, None), "vtb-1");
        let nlb = json!({"LoadbalancerId": "nlb-1"});
        assert_eq!(
            name(
                "Nlb",
                "CreateLoadBalancer",
                json!({"VpcId": "vpc-1"}),
                Some(nlb)
            ),
            "nlb-1"
        );
        let clb = json!({"LoadBalancerId": "lb-1", "VpcId": "vpc-1"});
        assert_eq!(
            name("Slb", "CreateLoadBalancer", json!({}), Some(clb)),
            "lb-1"
        );
        // A call on no resource names none.
        assert_eq!(
            name("Sts", "GetCallerIdentity", json!({"AccountId": "1"}), None),
            ""
        );
        assert_eq!(resource_name(None, &Map::new(), None), "");
    }
}
