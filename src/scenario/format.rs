//! The scenario file format (`*.test.json`): a world, ordered steps with expected outcomes,
//! and plain decision cases. See README "Scenario files" for a full example.

use crate::api::Envelope;
use crate::authz::store_builder::StoreSpec;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Scenario name (defaults to the file name).
    #[serde(default)]
    pub name: Option<String>,
    /// What the scenario shows.
    #[serde(default)]
    pub description: String,
    /// The world: a path to a world file (relative to this file) or an inline world.
    #[serde(default)]
    pub world: Option<Value>,
    /// Ordered steps run through the gateway.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Plain decision cases (policies + request → expected decision).
    #[serde(default)]
    pub cases: Vec<DecisionCase>,
}

/// An expected outcome of a call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expect {
    /// `"success"`.
    Word(String),
    /// `{"error": "Code"}` or `{"denied": "ExplicitDeny", "policy_type": …, "policy": …, "statement": …}`.
    Detailed(ExpectDetail),
}

/// The detailed form of [`Expect`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExpectDetail {
    /// `true` for success.
    #[serde(default)]
    pub success: Option<bool>,
    /// Expected error code.
    #[serde(default)]
    pub error: Option<String>,
    /// Expected denial: `ExplicitDeny` or `ImplicitDeny`.
    #[serde(default)]
    pub denied: Option<String>,
    /// Expected `PolicyType` of the denial.
    #[serde(default)]
    pub policy_type: Option<String>,
    /// Policy that decided (name; control policies by name too).
    #[serde(default)]
    pub policy: Option<String>,
    /// Deciding statement index in that policy.
    #[serde(default)]
    pub statement: Option<usize>,
}

/// One step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Step name (defaults to `step N`).
    #[serde(default)]
    pub name: Option<String>,
    /// Caller (user, `root@<account>`, AccessKeyId, or `${saved}`).
    #[serde(default, rename = "as")]
    pub caller: Option<String>,
    /// An aliyun CLI line.
    #[serde(default)]
    pub call: Option<String>,
    /// A JSON request `{"Action": …, "Parameters": {…}}`.
    #[serde(default)]
    pub request: Option<Value>,
    /// Envelope fields besides the caller.
    #[serde(default)]
    pub envelope: Option<EnvelopeSpec>,
    /// Move the clock forward (`7d`, `1h`, `30s`).
    #[serde(default)]
    pub advance: Option<String>,
    /// A reachability question with its expected answer (no API call is made).
    #[serde(default)]
    pub reach: Option<ReachStep>,
    /// A flow sent along the path `reach` computes, with what must have arrived.
    #[serde(default)]
    pub traffic: Option<crate::scenario::flow_steps::TrafficStep>,
    /// The CDT fee an account must owe.
    #[serde(default)]
    pub bill: Option<crate::scenario::flow_steps::BillStep>,
    /// The alert state and history of a CloudMonitor rule.
    #[serde(default)]
    pub alerts: Option<crate::scenario::flow_steps::AlertsStep>,
    /// Expected outcome (default `success`).
    #[serde(default)]
    pub expect: Option<Expect>,
    /// Fields the response body must contain (partial match).
    #[serde(default)]
    pub expect_body: Option<Value>,
    /// Values to save from the response: variable → field path (`InstanceId`,
    /// `Credentials.AccessKeyId`, `Vpcs.Vpc[0].VpcId`) or a JSON pointer
    /// (`/TransitRouterRouteTables/0/TransitRouterRouteTableId`).
    #[serde(default)]
    pub save: Map<String, Value>,
}

/// A `reach` step: the `ramsim reach` question and what the answer must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachStep {
    /// Source (`ecs:NAME`, `i-…`, an IP, `vsw:VSW/IP`; `${…}` handles and saved values allowed).
    pub from: String,
    /// Target (the source forms, `ip:VPC/IP`, `vsw:VSW/IP`).
    pub to: String,
    /// `tcp`, `udp` or `icmp`.
    pub protocol: String,
    /// Target port (tcp/udp).
    #[serde(default)]
    pub port: Option<u16>,
    /// Client port (default 32768).
    #[serde(default)]
    pub source_port: Option<u16>,
    /// Expected verdict (default: not checked when `code` is given, else `true`).
    #[serde(default)]
    pub reachable: Option<bool>,
    /// Expected first failing code (`ROUTE_NOT_FOUND`, `RETURN_ROUTE_NOT_FOUND`, …).
    #[serde(default)]
    pub code: Option<String>,
    /// Expected node types of the forward path (`["VM", "ENI", "VSW", …]`).
    #[serde(default)]
    pub hops: Option<Vec<String>>,
    /// Expected cause of `LB_BACKEND_UNHEALTHY`: the first failing check of the first
    /// backend's health probe (`SG_INGRESS_DENY`, `RETURN_TR_ROUTE_NOT_FOUND`, …).
    #[serde(default)]
    pub cause: Option<String>,
}

/// Envelope fields a step may set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSpec {
    /// `acs:SourceIp`.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// `acs:SecureTransport`.
    #[serde(default)]
    pub secure_transport: Option<bool>,
    /// `acs:MFAPresent`.
    #[serde(default)]
    pub mfa: Option<bool>,
    /// `acs:SourceVpc`.
    #[serde(default)]
    pub source_vpc: Option<String>,
    /// Scenario time of the call.
    #[serde(default)]
    pub time: Option<String>,
}

impl EnvelopeSpec {
    /// The full envelope for `caller`.
    pub fn envelope(&self, caller: String) -> Envelope {
        Envelope {
            caller,
            source_ip: self.source_ip.clone(),
            secure_transport: self.secure_transport,
            mfa: self.mfa,
            source_vpc: self.source_vpc.clone(),
            time: self.time.clone(),
            user_agent: Some("ramsim-test".into()),
        }
    }
}

/// The principal of a decision case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSpec {
    /// `RamUser` (default), `AssumedRoleUser`, `Root`, `Federated`, `Service`.
    #[serde(default = "ram_user", rename = "type")]
    pub kind: String,
    /// Account UID.
    pub account: String,
    /// Name or id.
    #[serde(default)]
    pub id: Option<String>,
    /// ARN for Principal matching.
    #[serde(default)]
    pub arn: Option<String>,
    /// Member of a directory; default: true when the case gives control policies (or
    /// FullAliyunAccess levels), else false. `false` with control policies: they do not apply.
    #[serde(default)]
    pub in_rd: Option<bool>,
    /// The directory's management account.
    #[serde(default)]
    pub management_account: bool,
    /// A service-linked role.
    #[serde(default)]
    pub service_linked_role: bool,
}

fn ram_user() -> String {
    "RamUser".into()
}

/// A plain decision case: policies + request → expected decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionCase {
    /// Case name.
    pub name: String,
    /// Policy files per kind (relative to the scenario file).
    pub policies: StoreSpec,
    /// The caller.
    pub principal: PrincipalSpec,
    /// RAM action.
    pub action: String,
    /// Resource(s) (default `*`).
    #[serde(default)]
    pub resource: Option<Value>,
    /// Dependent actions, `ACTION[=RESOURCE]`.
    #[serde(default)]
    pub dependent: Vec<String>,
    /// Condition keys: key → value or list of values.
    #[serde(default)]
    pub context: Map<String, Value>,
    /// Owner of the target resources (default: the account each ARN names, else the
    /// principal's account).
    #[serde(default)]
    pub resource_account: Option<String>,
    /// Resource group of the target resource.
    #[serde(default)]
    pub resource_group: Option<String>,
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub expect: String,
    /// Expected PolicyType of a denial.
    #[serde(default)]
    pub policy_type: Option<String>,
    /// Expected deciding policy name.
    #[serde(default)]
    pub policy: Option<String>,
    /// Expected deciding statement index.
    #[serde(default)]
    pub statement: Option<usize>,
}
