//! ActionTrail-shaped audit events (network-model.md §10): exactly one per API call, whatever
//! the outcome, plus `AliyunServiceEvent`s for platform-side changes (expiry, settling).

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

/// The event's `resourceType` for API `api` of product `product` (§10.3; `product` as the
/// event's `serviceName`, e.g. `Alb`, which tells ALB's load balancer, server group and
/// listener APIs from NLB's of the same names).
pub fn resource_type(product: &str, api: &str) -> &'static str {
    if product == "Alb" {
        return if api.contains("ServerGroup") {
            "ACS::ALB::ServerGroup"
        } else if api.contains("Listener") {
            "ACS::ALB::Listener"
        } else {
            "ACS::ALB::LoadBalancer"
        };
    }
    if product == "Cms" {
        return "ACS::CMS::AlarmRule";
    }
    if product == "Nis" {
        return if api.contains("NetworkPath") && !api.starts_with("CreateAndAnalyze") {
            "ACS::NIS::NetworkPath"
        } else {
            "ACS::NIS::NetworkReachableAnalysis"
        };
    }
    // CEN (§10.3) first: its names also contain `RouteEntry`, `RouteTable`, `Vpc`.
    if api.contains("TransitRouterRouteEntr") || api.contains("TransitRouterRouteTable") {
        "ACS::CEN::TransitRouterRouteTable"
    } else if api.contains("TransitRouterAttachment")
        || api.contains("TransitRouterVpcAttachment")
        || api.contains("TransitRouterPeerAttachment")
        || api == "ListTransitRouterAttachments"
    {
        "ACS::CEN::TransitRouterAttachment"
    } else if api.contains("TransitRouter") {
        "ACS::CEN::TransitRouter"
    } else if api.contains("CenBandwidthPackage") {
        "ACS::CEN::CenBandwidthPackage"
    } else if api == "CreateCen" || api == "DeleteCen" {
        "ACS::CEN::CenInstance"
    // Then NLB and PrivateLink: `AddUserToVpcEndpointService` is not a RAM user call, and
    // `CreateServerGroup` not a RAM group one. CLB's `CreateLoadBalancer` shares NLB's name
    // and type (ASSUMED: the event names the NLB type for both).
    } else if api.contains("VpcEndpointService") {
        "ACS::PrivateLink::VpcEndpointService"
    } else if api.contains("VpcEndpoint") {
        "ACS::PrivateLink::VpcEndpoint"
    } else if api.contains("ServerGroup") {
        "ACS::NLB::ServerGroup"
    } else if api.contains("Listener") {
        "ACS::NLB::Listener"
    } else if api.contains("LoadBalancer") {
        "ACS::NLB::LoadBalancer"
    } else if api.contains("SecurityGroup") {
        "ACS::ECS::SecurityGroup"
    } else if api.contains("NetworkAcl") {
        "ACS::VPC::NetworkAcl"
    } else if api.contains("NetworkInterface") {
        "ACS::ECS::NetworkInterface"
    } else if api.ends_with("Instance")
        || api.ends_with("Instances")
        || api == "TagResources"
        || api == "UntagResources"
    {
        // ECS's instance APIs; its TagResources/UntagResources tag instances only here.
        "ACS::ECS::Instance"
    } else if api.contains("VpcPeerConnection") {
        "ACS::VPC::PeerConnection"
    } else if api.contains("RouteEntry") {
        "ACS::VPC::RouteEntry"
    } else if api.contains("RouteTable") {
        "ACS::VPC::RouteTable"
    } else if api.contains("VSwitch") {
        "ACS::VPC::VSwitch"
    } else if api.contains("Vpc") {
        "ACS::VPC::VPC"
    } else if api == "MoveAccount" {
        "ACS::ResourceManager::Account"
    } else if api.contains("ControlPolicy") {
        "ACS::ResourceManager::ControlPolicy"
    } else if api.contains("ResourceGroup") {
        "ACS::ResourceManager::ResourceGroup"
    } else if api.contains("Policy") {
        "ACS::RAM::Policy"
    } else if api.contains("AccessKey") {
        "ACS::RAM::AccessKey"
    } else if api.contains("Group") {
        "ACS::RAM::Group"
    } else if api.contains("User") {
        "ACS::RAM::User"
    } else if api.contains("Role") {
        "ACS::RAM::Role"
    } else {
        ""
    }
}

/// The main resource id of a call: from the response (creates) or the parameters.
/// A create that failed names no resource (§10.1).
pub fn resource_name(api: &str, params: &Map<String, Value>, response: Option<&Value>) -> String {
    const KEYS: [&str; 21] = [
        "InstanceId",
        "VpcId",
        "VSwitchId",
        "RouteEntryId",
        "RouteTableId",
        "PolicyName",
        "UserName",
        "RoleName",
        "GroupName",
        "PolicyId",
        "ResourceGroupId",
        "RoleArn",
        "SecurityGroupId",
        "NetworkAclId",
        // ECS TagResources/UntagResources: the first resource named
        "ResourceId.1",
        // CEN (no earlier key occurs in a Cbn request or response)
        "TransitRouterRouteEntryId",
        "TransitRouterAttachmentId",
        "TransitRouterRouteTableId",
        "TransitRouterId",
        "CenBandwidthPackageId",
        "CenId",
    ];
    if api == "MoveAccount" {
        // The member moved (GetCallerIdentity answers an `AccountId` too, so the key is not
        // one of the general ones).
        return first_of(params, &["AccountId"])
            .unwrap_or_default()
            .to_string();
    }
    if let Some(s) = response
        .and_then(Value::as_object)
        .and_then(|r| first_of(r, &KEYS))
    {
        return s.to_string();
    }
    // ECS RunInstances answers the ids it created as a list.
    if let Some(ids) = response
        .and_then(|r| r.pointer("/InstanceIdSets/InstanceIdSet"))
        .and_then(Value::as_array)
    {
        return ids
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",");
    }
    let creates =
        super::catalog::by_api(api).is_some_and(|e| e.level == super::catalog::AccessLevel::Create);
    if creates && !api.starts_with("Accept") && api != "AssumeRole" {
        return String::new();
    }
    first_of(params, &KEYS).unwrap_or_default().to_string()
}

/// The string value of the earliest of `keys` that `map` holds as a string. One pass over
/// the (small) map instead of one SipHash lookup per candidate key.
fn first_of<'m>(map: &'m Map<String, Value>, keys: &[&str]) -> Option<&'m str> {
    map.iter()
        .filter_map(|(k, v)| {
            let rank = keys.iter().position(|c| c == k)?;
            Some((rank, v.as_str()?))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, s)| s)
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
