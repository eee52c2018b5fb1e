//! Security groups (`network-model.md` §7.3): resources, rule changes and the packet
//! evaluation used by reach analysis.
//!
//! Evaluation of a packet on an ENI aggregates all the ENI's groups ([`evaluate`]):
//! 1. keep the rules of the packet's direction whose protocol, destination port (and source
//!    port when the rule has one) and peer (source for ingress, destination for egress) match;
//!    a group peer matches when the peer IP belongs to an ENI of that group (same VPC);
//! 2. among matches take the lowest `Priority` value; at equal priority `drop` beats `accept`;
//! 3. no match: the type's default — basic (`normal`) groups accept ingress only from ENIs in
//!    the same group when `InnerAccessPolicy=Accept` and accept all egress; enterprise groups
//!    deny both. With several groups, the intra-group default of any shared basic group
//!    allows (ASSUMED aggregation), and egress is allowed when any group is basic (ASSUMED;
//!    Alibaba does not let one ENI mix the two types);
//! 4. groups are stateful: the reply of an allowed flow is allowed without evaluation
//!    ([`evaluate_flow`]).

use crate::cloud::ecs::eni::page_json;
use crate::cloud::ecs::errors::{self, bad, forbidden};
use crate::cloud::ecs::{AddressOwner, EcsState, NetView, OpCtx};
use crate::cloud::ids::{Id, IdGen};
use crate::cloud::packet::{Action, Direction, Packet, PortRange, PortRangeError, RuleProtocol};
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::NetStatus;
use crate::cloud::CloudError;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Security groups per instance in the model (§7.1).
pub const MAX_SGS_PER_INSTANCE: usize = 5;
/// Security groups per ENI (§7.3 rule 5).
pub const MAX_SGS_PER_ENI: usize = 10;
/// Security groups per account and region (§7.3, `QuotaExceed.SecurityGroup`).
pub const MAX_SGS_PER_REGION: usize = 100;
/// Rules per group, both directions (`AuthorizationLimitExceed`; ASSUMED: Alibaba's default
/// quota of 200 rules per security group).
pub const MAX_RULES_PER_GROUP: usize = 200;
/// `Permissions.N` per call (§7.3: 1–100).
pub const MAX_PERMISSIONS_PER_CALL: usize = 100;
/// Distinct groups a basic group may authorize ([M-ecs AuthorizeSecurityGroup]: at most 20;
/// `AuthorizedGroupRule.LimitExceed`).
pub const MAX_AUTHORIZED_GROUPS: usize = 20;

/// `SecurityGroupType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecurityGroupType {
    /// `normal`: a basic security group.
    Normal,
    /// `enterprise`.
    Enterprise,
}

impl SecurityGroupType {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityGroupType::Normal => "normal",
            SecurityGroupType::Enterprise => "enterprise",
        }
    }
}

/// `InnerAccessPolicy` of basic groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InnerAccessPolicy {
    /// ENIs of the group reach each other (default).
    Accept,
    /// They do not.
    Drop,
}

/// One rule of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgRule {
    /// `SecurityGroupRuleId` (`sgr-…`).
    pub rule_id: String,
    /// Direction.
    pub direction: Direction,
    /// `IpProtocol`.
    pub protocol: RuleProtocol,
    /// `PortRange` (destination ports).
    pub port_range: PortRange,
    /// `SourcePortRange` (five-tuple rules).
    pub source_port_range: Option<PortRange>,
    /// `SourceCidrIp` / `DestCidrIp`.
    pub cidr: Option<Ipv4Net>,
    /// `SourceGroupId` / `DestGroupId` (used only when `cidr` is absent: "if both are given,
    /// SourceCidrIp prevails" [M-ecs AuthorizeSecurityGroup]).
    pub group_id: Option<String>,
    /// `Policy`.
    pub policy: Action,
    /// `Priority`, 1–100, smaller first.
    pub priority: u8,
    /// `NicType` (always `intranet` for VPC groups).
    pub nic_type: String,
    /// `Description`.
    pub description: String,
    /// When the rule was added.
    pub create_time: Timestamp,
}

impl SgRule {
    /// The fields that identify a rule for duplicate detection and revocation (everything
    /// except id, description and time).
    fn key(&self) -> RuleKey {
        RuleKey {
            direction: self.direction,
            protocol: self.protocol,
            port_range: self.port_range,
            source_port_range: self.source_port_range,
            cidr: self.cidr,
            group_id: self.group_id.clone(),
            policy: self.policy,
            priority: self.priority,
        }
    }

    /// True when the rule's protocol, ports and peer match `p` in the rule's direction.
    /// `peer_in_group` answers "does this address belong to an ENI of group X?".
    pub fn matches(&self, p: &Packet, peer_in_group: &dyn Fn(&str, Ipv4Addr) -> bool) -> bool {
        if !self.protocol.matches(p.protocol) {
            return false;
        }
        if p.protocol.has_ports() {
            if !self.port_range.contains(p.dst_port) {
                return false;
            }
            if let Some(sp) = self.source_port_range {
                if !sp.contains(p.src_port) {
                    return false;
                }
            }
        }
        let peer = self.direction.peer(p);
        match (&self.cidr, &self.group_id) {
            (Some(c), _) => c.contains(&peer),
            (None, Some(g)) => peer_in_group(g, peer),
            (None, None) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RuleKey {
    direction: Direction,
    protocol: RuleProtocol,
    port_range: PortRange,
    source_port_range: Option<PortRange>,
    cidr: Option<Ipv4Net>,
    group_id: Option<String>,
    policy: Action,
    priority: u8,
}

/// A security group (§7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// `sg-…`.
    pub security_group_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account uid.
    pub owner_uid: String,
    /// VPC.
    pub vpc_id: String,
    /// `SecurityGroupName`.
    pub name: String,
    /// `Description`.
    pub description: String,
    /// Basic or enterprise.
    pub group_type: SecurityGroupType,
    /// `Accept` by default for basic groups; enterprise groups are created with `Drop` (internal
    /// isolation, which Alibaba does not let change) and evaluation never reads it for them.
    pub inner_access_policy: InnerAccessPolicy,
    /// Rules, in the order they were added.
    pub rules: Vec<SgRule>,
    /// ENIs that are members (derived from the ENIs' group lists, kept in step).
    pub member_enis: BTreeSet<crate::cloud::ids::Id>,
    /// Cloud product managing the group (`InvalidOperation.ResourceManagedByCloudProduct`).
    pub managed_by: Option<String>,
    /// Creation time.
    pub creation_time: Timestamp,
}

// ---- CreateSecurityGroup --------------------------------------------------------------

/// Parameters of CreateSecurityGroup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSecurityGroup {
    /// `VpcId` (required: the model has no classic network).
    pub vpc_id: Option<String>,
    /// `SecurityGroupName`.
    pub security_group_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `SecurityGroupType` (`normal` default, `enterprise`).
    pub security_group_type: Option<String>,
}

/// Name rule ([M-ecs]): 2–128 characters, starts with a letter, not `http(s)://`.
fn sg_name_ok(s: &str) -> bool {
    let n = s.chars().count();
    (2..=128).contains(&n)
        && s.chars().next().is_some_and(char::is_alphabetic)
        && !s.starts_with("http://")
        && !s.starts_with("https://")
}

/// A validated CreateSecurityGroup: what [`apply_create_security_group`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSecurityGroupPlan {
    vpc_id: String,
    name: String,
    description: String,
    group_type: SecurityGroupType,
}

/// CreateSecurityGroup. Checks: `InvalidSecurityGroupName.Malformed`,
/// `InvalidSecurityGroupDiscription.Malformed` (2–256 characters, not `http(s)://`),
/// `InvalidParams.GroupType`, `InvalidVpcId.NotFound` (403 when absent, 404 when unknown),
/// `IncorrectVpcStatus`, `QuotaExceed.SecurityGroup` (403, ≥ 100 groups in the region).
/// New groups have no rules. Plan, then apply.
pub fn create_security_group(
    state: &mut EcsState,
    net: &dyn NetView,
    ids: &mut IdGen,
    ctx: &OpCtx,
    p: &CreateSecurityGroup,
) -> Result<String, CloudError> {
    let plan = plan_create_security_group(state, net, ctx, p)?;
    Ok(apply_create_security_group(state, ids, ctx, plan))
}

/// The checks of [`create_security_group`], against an unchanged state.
pub fn plan_create_security_group(
    state: &EcsState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &CreateSecurityGroup,
) -> Result<CreateSecurityGroupPlan, CloudError> {
    if let Some(n) = &p.security_group_name {
        if !sg_name_ok(n) {
            return Err(bad(
                "InvalidSecurityGroupName.Malformed",
                "Specified security group name is not valid.",
            ));
        }
    }
    if let Some(d) = &p.description {
        let n = d.chars().count();
        if !(2..=256).contains(&n) || d.starts_with("http://") || d.starts_with("https://") {
            return Err(bad(
                "InvalidSecurityGroupDiscription.Malformed",
                "Specified security group description is not valid.",
            ));
        }
    }
    let group_type = match p
        .security_group_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("normal") => SecurityGroupType::Normal,
        Some("enterprise") => SecurityGroupType::Enterprise,
        Some(_) => {
            return Err(bad(
                "InvalidParams.GroupType",
                "The specified security group type is not valid.",
            ))
        }
    };
    let vpc_id = p
        .vpc_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            forbidden(
                "InvalidVpcId.NotFound",
                "The VpcId must not empty when only support vpc vm.",
            )
        })?;
    let vpc = net
        .vpc(vpc_id)
        .filter(|v| v.region_id == ctx.region_id && v.visible_to(&ctx.caller))
        .ok_or_else(|| {
            CloudError::not_found(
                "InvalidVpcId.NotFound",
                format!("Specified VPC `{vpc_id}` does not exist."),
            )
        })?;
    if vpc.lifecycle.at(ctx.now) != NetStatus::Available {
        return Err(bad(
            "IncorrectVpcStatus",
            "Current VPC status does not support this operation.",
        ));
    }
    let count = state
        .security_groups
        .values()
        .filter(|g| g.region_id == ctx.region_id && g.owner_uid == ctx.caller)
        .take(MAX_SGS_PER_REGION)
        .count();
    if count >= MAX_SGS_PER_REGION {
        return Err(forbidden(
            "QuotaExceed.SecurityGroup",
            "The maximum number of security groups is reached.",
        ));
    }
    Ok(CreateSecurityGroupPlan {
        vpc_id: vpc.vpc_id.clone(),
        name: p.security_group_name.clone().unwrap_or_default(),
        description: p.description.clone().unwrap_or_default(),
        group_type,
    })
}

/// Stores a planned group under a new `sg-…` id (drawn here, after validation).
pub fn apply_create_security_group(
    state: &mut EcsState,
    ids: &mut IdGen,
    ctx: &OpCtx,
    plan: CreateSecurityGroupPlan,
) -> String {
    let id = ctx.new_id(ids, "sg");
    state.security_groups.insert(
        id.clone(),
        SecurityGroup {
            security_group_id: id.clone(),
            region_id: ctx.region_id.clone(),
            owner_uid: ctx.caller.clone(),
            vpc_id: plan.vpc_id,
            name: plan.name,
            description: plan.description,
            group_type: plan.group_type,
            inner_access_policy: match plan.group_type {
                SecurityGroupType::Normal => InnerAccessPolicy::Accept,
                SecurityGroupType::Enterprise => InnerAccessPolicy::Drop,
            },
            rules: Vec::new(),
            member_enis: BTreeSet::new(),
            managed_by: None,
            creation_time: ctx.now,
        },
    );
    id
}

/// The caller's group in the request region (`InvalidSecurityGroupId.NotFound`, 404), not
/// managed by a cloud product (`InvalidOperation.ResourceManagedByCloudProduct`, 403).
fn user_group<'a>(
    state: &'a EcsState,
    ctx: &OpCtx,
    id: &str,
) -> Result<&'a SecurityGroup, CloudError> {
    let g = state
        .security_groups
        .get(id)
        .filter(|g| g.region_id == ctx.region_id && g.owner_uid == ctx.caller)
        .ok_or_else(|| errors::sg_not_found(id))?;
    if g.managed_by.is_some() {
        return Err(errors::sg_managed(id));
    }
    Ok(g)
}

// ---- Authorize / Revoke -----------------------------------------------------------------

/// One `Permissions.N` entry as received (strings, so every syntax error keeps its code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// `IpProtocol`.
    pub ip_protocol: Option<String>,
    /// `PortRange`.
    pub port_range: Option<String>,
    /// `SourcePortRange`.
    pub source_port_range: Option<String>,
    /// `SourceCidrIp` (ingress) / `DestCidrIp` (egress).
    pub cidr_ip: Option<String>,
    /// `SourceGroupId` (ingress) / `DestGroupId` (egress).
    pub group_id: Option<String>,
    /// `Policy` (`accept` default).
    pub policy: Option<String>,
    /// `Priority` (1 default).
    pub priority: Option<String>,
    /// `NicType` (`intranet`).
    pub nic_type: Option<String>,
    /// `Description`.
    pub description: Option<String>,
}

impl Permission {
    /// A CIDR permission: `protocol`, `ports`, `cidr`, accept, priority 1.
    pub fn cidr(protocol: &str, ports: &str, cidr: &str) -> Self {
        Permission {
            ip_protocol: Some(protocol.into()),
            port_range: Some(ports.into()),
            cidr_ip: Some(cidr.into()),
            ..Default::default()
        }
    }

    /// A group permission: `protocol`, `ports`, peer group, accept, priority 1.
    pub fn group(protocol: &str, ports: &str, group: &str) -> Self {
        Permission {
            ip_protocol: Some(protocol.into()),
            port_range: Some(ports.into()),
            group_id: Some(group.into()),
            ..Default::default()
        }
    }

    /// Sets `Policy`.
    pub fn policy(mut self, p: &str) -> Self {
        self.policy = Some(p.into());
        self
    }

    /// Sets `Priority`.
    pub fn priority(mut self, p: &str) -> Self {
        self.priority = Some(p.into());
        self
    }
}

/// Parameters of AuthorizeSecurityGroup / AuthorizeSecurityGroupEgress / RevokeSecurityGroup /
/// RevokeSecurityGroupEgress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRules {
    /// `SecurityGroupId`.
    pub security_group_id: String,
    /// `Permissions.N.*`.
    pub permissions: Vec<Permission>,
}

/// Direction-specific spellings of the error codes.
struct Codes {
    missing_peer: &'static str,
    cidr_malformed: &'static str,
    group_not_found: &'static str,
    group_mismatch: &'static str,
}

fn codes(d: Direction) -> Codes {
    match d {
        Direction::Ingress => Codes {
            missing_peer: "MissingParameter.Source",
            cidr_malformed: "InvalidSourceCidrIp.Malformed",
            group_not_found: "InvalidSourceGroupId.NotFound",
            group_mismatch: "InvalidSourceGroupId.Mismatch",
        },
        Direction::Egress => Codes {
            missing_peer: "MissingParameter.Dest",
            cidr_malformed: "InvalidDestCidrIp.Malformed",
            group_not_found: "InvalidDestGroupId.NotFound",
            group_mismatch: "InvalidDestGroupId.Mismatch",
        },
    }
}

/// A CIDR or a single address (`/32`); host bits must be zero.
fn parse_cidr_or_ip(s: &str) -> Option<Ipv4Net> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<Ipv4Addr>() {
        return Ipv4Net::new(ip, 32).ok();
    }
    let n: Ipv4Net = s.parse().ok()?;
    (n.trunc() == n).then_some(n)
}

/// Syntax of one permission (§7.3), in this order: `InvalidIpProtocol.ValueNotSupported`,
/// `InvalidPortRange.Malformed` (absent), `InvalidParam.PortRange` (not `a/b` with integers
/// ≤ 65535), `OperationDenied` (range/protocol mismatch), `InvalidSourcePortRange.Malformed`,
/// `InvalidNicType.ValueNotSupported` (only `intranet` in a VPC), `InvalidPolicy.Malformed`,
/// `InvalidPriority.Malformed` / `InvalidPriority.ValueNotSupported` (outside 1–100),
/// `MissingParameter.Source`/`.Dest`, `InvalidSourceCidrIp.Malformed`/`InvalidDestCidrIp.Malformed`,
/// `InvalidSecurityGroupDiscription.Malformed`.
fn parse_permission(
    d: Direction,
    n: usize,
    p: &Permission,
    now: Timestamp,
) -> Result<SgRule, CloudError> {
    let c = codes(d);
    let protocol = p
        .ip_protocol
        .as_deref()
        .and_then(RuleProtocol::parse)
        .ok_or_else(|| {
            bad(
                "InvalidIpProtocol.ValueNotSupported",
                format!("The parameter Permissions.{n}.IpProtocol must be specified with case insensitive TCP, UDP, ICMP, ICMPv6, GRE or All."),
            )
        })?;
    let pr = p.port_range.as_deref().ok_or_else(|| {
        bad(
            "InvalidPortRange.Malformed",
            format!("The specified parameter Permissions.{n}.PortRange must set."),
        )
    })?;
    let port_range = PortRange::parse_for(pr, protocol).map_err(|e| match e {
        PortRangeError::Syntax => bad(
            "InvalidParam.PortRange",
            format!("The specified parameter Permissions.{n}.PortRange `{pr}` is not valid. It should be two integers less than 65535 in ?/? format."),
        ),
        PortRangeError::ProtocolMismatch => bad(
            "OperationDenied",
            format!("The specified IpProtocol `{}` and PortRange `{pr}` do not match.", protocol.ecs_name()),
        ),
    })?;
    let source_port_range = match &p.source_port_range {
        None => None,
        Some(s) => Some(PortRange::parse_for(s, protocol).map_err(|_| {
            bad(
                "InvalidSourcePortRange.Malformed",
                format!(
                    "The specified parameter Permissions.{n}.SourcePortRange `{s}` is not valid."
                ),
            )
        })?),
    };
    let nic_type = match p.nic_type.as_deref().map(str::to_ascii_lowercase) {
        None => "intranet".to_string(),
        Some(s) if s == "intranet" => s,
        Some(s) => {
            return Err(bad(
                "InvalidNicType.ValueNotSupported",
                format!("The specified NicType `{s}` is not supported for a VPC security group."),
            ))
        }
    };
    let policy = match &p.policy {
        None => Action::Accept,
        Some(s) => Action::parse(s).ok_or_else(|| {
            bad(
                "InvalidPolicy.Malformed",
                format!("The specified parameter Permissions.{n}.Policy `{s}` is not valid."),
            )
        })?,
    };
    let priority = match &p.priority {
        None => 1,
        Some(s) => {
            let v: i64 = s.trim().parse().map_err(|_| {
                bad(
                    "InvalidPriority.Malformed",
                    format!("The parameter Permissions.{n}.Priority `{s}` is invalid."),
                )
            })?;
            u8::try_from(v)
                .ok()
                .filter(|x| (1..=100).contains(x))
                .ok_or_else(|| {
                    bad(
                        "InvalidPriority.ValueNotSupported",
                        format!("The specified parameter Permissions.{n}.Priority `{s}` is invalid: it must be 1–100."),
                    )
                })?
        }
    };
    let cidr_s = p.cidr_ip.as_deref().filter(|s| !s.trim().is_empty());
    let group_s = p.group_id.as_deref().filter(|s| !s.trim().is_empty());
    if cidr_s.is_none() && group_s.is_none() {
        return Err(bad(
            c.missing_peer,
            format!("Permissions.{n} names no peer: give a CIDR block or a security group."),
        ));
    }
    let cidr = match cidr_s {
        None => None,
        Some(s) => Some(parse_cidr_or_ip(s).ok_or_else(|| {
            bad(
                c.cidr_malformed,
                format!("The CIDR block `{s}` of Permissions.{n} is not valid."),
            )
        })?),
    };
    let description = p.description.clone().unwrap_or_default();
    if description.chars().count() > 512
        || description.starts_with("http://")
        || description.starts_with("https://")
    {
        return Err(bad(
            "InvalidSecurityGroupDiscription.Malformed",
            format!(
                "The specified security group rule description of Permissions.{n} is not valid."
            ),
        ));
    }
    Ok(SgRule {
        rule_id: String::new(),
        direction: d,
        protocol,
        port_range,
        source_port_range,
        cidr,
        group_id: group_s.map(str::to_string),
        policy,
        priority,
        nic_type,
        description,
        create_time: now,
    })
}

/// Parses and checks a whole call against the group; returns the target group id and the
/// parsed rules (in order). Shared by authorize and revoke.
fn check_rules(
    state: &EcsState,
    ctx: &OpCtx,
    d: Direction,
    p: &SecurityGroupRules,
) -> Result<Vec<SgRule>, CloudError> {
    if p.permissions.is_empty() {
        return Err(CloudError::missing("Permissions"));
    }
    if p.permissions.len() > MAX_PERMISSIONS_PER_CALL {
        return Err(CloudError::invalid_param(
            "Permissions",
            "at most 100 permissions per call",
        ));
    }
    let rules: Vec<SgRule> = p
        .permissions
        .iter()
        .enumerate()
        .map(|(i, x)| parse_permission(d, i + 1, x, ctx.now))
        .collect::<Result<_, _>>()?;
    let g = user_group(state, ctx, &p.security_group_id)?;
    let c = codes(d);
    for r in &rules {
        let Some(peer) = &r.group_id else { continue };
        let pg = state
            .security_groups
            .get(peer)
            .filter(|x| x.region_id == ctx.region_id && x.owner_uid == ctx.caller)
            .ok_or_else(|| {
                CloudError::not_found(
                    c.group_not_found,
                    format!("The security group `{peer}` provided does not exist in our records."),
                )
            })?;
        if g.group_type == SecurityGroupType::Enterprise
            || pg.group_type == SecurityGroupType::Enterprise
        {
            return Err(bad(
                "InvalidGroupAuthParameter.OperationDenied",
                "The security group can not authorize to enterprise level security group.",
            ));
        }
        if pg.vpc_id != g.vpc_id {
            return Err(bad(
                c.group_mismatch,
                format!(
                    "Security groups `{}` and `{peer}` are not in the same VPC.",
                    g.security_group_id
                ),
            ));
        }
    }
    let mut keys = BTreeSet::new();
    for r in &rules {
        if !keys.insert(r.key()) {
            return Err(bad(
                "InvalidParam.DuplicatePermissions",
                "There are duplicate permissions in the specified parameter Permissions.",
            ));
        }
    }
    Ok(rules)
}

/// Rules validated for AuthorizeSecurityGroup(Egress): the group and the rules to add (ids
/// are drawn by [`apply_authorize`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizePlan {
    security_group_id: String,
    fresh: Vec<SgRule>,
}

/// AuthorizeSecurityGroup (`Ingress`) / AuthorizeSecurityGroupEgress (`Egress`): adds the
/// permissions (1–100 per call). After the syntax checks of each permission: the group
/// (`InvalidSecurityGroupId.NotFound`, `InvalidOperation.ResourceManagedByCloudProduct`),
/// referenced groups (`InvalidSourceGroupId.NotFound` / `InvalidDestGroupId.NotFound`,
/// `InvalidGroupAuthParameter.OperationDenied` on enterprise groups,
/// `InvalidSourceGroupId.Mismatch` / `InvalidDestGroupId.Mismatch` across VPCs),
/// `InvalidParam.DuplicatePermissions`, `AuthorizedGroupRule.LimitExceed` (> 20 authorized
/// groups), `AuthorizationLimitExceed` (403, > 200 rules). A permission identical to an
/// existing rule (all fields but the description) is not added twice (Alibaba: "if the rule
/// already exists, the call succeeds but no rule is added"). Returns the ids of the rules
/// added. Plan, then apply.
pub fn authorize(
    state: &mut EcsState,
    ids: &mut IdGen,
    ctx: &OpCtx,
    d: Direction,
    p: &SecurityGroupRules,
) -> Result<Vec<String>, CloudError> {
    let plan = plan_authorize(state, ctx, d, p)?;
    Ok(apply_authorize(state, ids, ctx, plan))
}

/// The checks of [`authorize`], against an unchanged state.
pub fn plan_authorize(
    state: &EcsState,
    ctx: &OpCtx,
    d: Direction,
    p: &SecurityGroupRules,
) -> Result<AuthorizePlan, CloudError> {
    let rules = check_rules(state, ctx, d, p)?;
    let g = user_group(state, ctx, &p.security_group_id)?;
    let existing: BTreeSet<RuleKey> = g.rules.iter().map(SgRule::key).collect();
    let fresh: Vec<SgRule> = rules
        .into_iter()
        .filter(|r| !existing.contains(&r.key()))
        .collect();
    let groups: BTreeSet<&String> = g
        .rules
        .iter()
        .chain(fresh.iter())
        .filter(|r| r.cidr.is_none())
        .filter_map(|r| r.group_id.as_ref())
        .collect();
    if groups.len() > MAX_AUTHORIZED_GROUPS {
        return Err(bad(
            "AuthorizedGroupRule.LimitExceed",
            format!(
                "A security group can authorize at most {MAX_AUTHORIZED_GROUPS} security groups."
            ),
        ));
    }
    if g.rules.len() + fresh.len() > MAX_RULES_PER_GROUP {
        return Err(forbidden(
            "AuthorizationLimitExceed",
            format!("The limit of {MAX_RULES_PER_GROUP} authorization records in the security group reaches."),
        ));
    }
    Ok(AuthorizePlan {
        security_group_id: p.security_group_id.clone(),
        fresh,
    })
}

/// Adds the planned rules, each under a new `sgr-…` id; returns the ids.
pub fn apply_authorize(
    state: &mut EcsState,
    ids: &mut IdGen,
    ctx: &OpCtx,
    plan: AuthorizePlan,
) -> Vec<String> {
    let mut added = Vec::with_capacity(plan.fresh.len());
    let mut to_add = Vec::with_capacity(plan.fresh.len());
    for mut r in plan.fresh {
        r.rule_id = ctx.new_id(ids, "sgr");
        added.push(r.rule_id.clone());
        to_add.push(r);
    }
    if let Some(g) = state.security_groups.get_mut(&plan.security_group_id) {
        g.rules.extend(to_add);
    }
    added
}

/// Rules validated for RevokeSecurityGroup(Egress): the group and the ids of the rules to
/// remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokePlan {
    security_group_id: String,
    removed: Vec<String>,
}

/// RevokeSecurityGroup (`Ingress`) / RevokeSecurityGroupEgress (`Egress`): removes the rules
/// matching each permission on every field but the description (defaults `accept` and
/// priority 1 apply). Same checks as [`authorize`]; a permission matching no rule is
/// `InvalidSecurityGroupRule.RuleNotExist` (ASSUMED for field-matched revocation; nothing is
/// removed then). Returns the ids of the removed rules. Plan, then apply.
pub fn revoke(
    state: &mut EcsState,
    ctx: &OpCtx,
    d: Direction,
    p: &SecurityGroupRules,
) -> Result<Vec<String>, CloudError> {
    let plan = plan_revoke(state, ctx, d, p)?;
    Ok(apply_revoke(state, plan))
}

/// The checks of [`revoke`], against an unchanged state.
pub fn plan_revoke(
    state: &EcsState,
    ctx: &OpCtx,
    d: Direction,
    p: &SecurityGroupRules,
) -> Result<RevokePlan, CloudError> {
    let rules = check_rules(state, ctx, d, p)?;
    let g = user_group(state, ctx, &p.security_group_id)?;
    let wanted: BTreeSet<RuleKey> = rules.iter().map(SgRule::key).collect();
    for k in &wanted {
        if !g.rules.iter().any(|r| r.key() == *k) {
            return Err(bad(
                "InvalidSecurityGroupRule.RuleNotExist",
                "The specified rule does not exist.",
            ));
        }
    }
    let removed: Vec<String> = g
        .rules
        .iter()
        .filter(|r| wanted.contains(&r.key()))
        .map(|r| r.rule_id.clone())
        .collect();
    Ok(RevokePlan {
        security_group_id: p.security_group_id.clone(),
        removed,
    })
}

/// Removes the planned rules; returns their ids.
pub fn apply_revoke(state: &mut EcsState, plan: RevokePlan) -> Vec<String> {
    if let Some(g) = state.security_groups.get_mut(&plan.security_group_id) {
        g.rules.retain(|r| !plan.removed.contains(&r.rule_id));
    }
    plan.removed
}

// ---- ModifySecurityGroupPolicy / DeleteSecurityGroup -------------------------------------

/// ModifySecurityGroupPolicy: `InnerAccessPolicy` = `Accept` | `Drop` (case-insensitive;
/// `MissingParameter.InnerAccessPolicy`, `InvalidPolicy.Malformed`), on a basic group
/// (`InvalidParameter.InnerAccessPolicy`, 404 as documented, for enterprise groups).
/// Plan, then apply.
pub fn modify_security_group_policy(
    state: &mut EcsState,
    ctx: &OpCtx,
    security_group_id: &str,
    inner_access_policy: Option<&str>,
) -> Result<(), CloudError> {
    let policy =
        plan_modify_security_group_policy(state, ctx, security_group_id, inner_access_policy)?;
    apply_modify_security_group_policy(state, security_group_id, policy);
    Ok(())
}

/// The checks of [`modify_security_group_policy`]; returns the new policy.
pub fn plan_modify_security_group_policy(
    state: &EcsState,
    ctx: &OpCtx,
    security_group_id: &str,
    inner_access_policy: Option<&str>,
) -> Result<InnerAccessPolicy, CloudError> {
    let raw = inner_access_policy.ok_or_else(|| CloudError::missing("InnerAccessPolicy"))?;
    let policy = match raw.trim().to_ascii_lowercase().as_str() {
        "accept" => InnerAccessPolicy::Accept,
        "drop" => InnerAccessPolicy::Drop,
        _ => {
            return Err(bad(
                "InvalidPolicy.Malformed",
                "The Policy is invalid. Only 'Accept' and 'Drop' are supported. Ignore case.",
            ))
        }
    };
    let g = user_group(state, ctx, security_group_id)?;
    if g.group_type == SecurityGroupType::Enterprise {
        return Err(CloudError::not_found(
            "InvalidParameter.InnerAccessPolicy",
            "The InnerAccessPolicy attribute of enterprise level security group can't be modified.",
        ));
    }
    Ok(policy)
}

/// Sets a planned `InnerAccessPolicy`.
pub fn apply_modify_security_group_policy(
    state: &mut EcsState,
    security_group_id: &str,
    policy: InnerAccessPolicy,
) {
    if let Some(g) = state.security_groups.get_mut(security_group_id) {
        g.inner_access_policy = policy;
    }
}

/// DeleteSecurityGroup: `InvalidSecurityGroup.NotFound` (404),
/// `InvalidOperation.ResourceManagedByCloudProduct` (403), `DependencyViolation` (403) while
/// an ENI is a member or another group's rule references it (the second case ASSUMED to share
/// the documented code). Plan, then apply.
pub fn delete_security_group(
    state: &mut EcsState,
    ctx: &OpCtx,
    security_group_id: &str,
) -> Result<(), CloudError> {
    plan_delete_security_group(state, ctx, security_group_id)?;
    apply_delete_security_group(state, security_group_id);
    Ok(())
}

/// The checks of [`delete_security_group`].
pub fn plan_delete_security_group(
    state: &EcsState,
    ctx: &OpCtx,
    security_group_id: &str,
) -> Result<(), CloudError> {
    let g = state
        .security_groups
        .get(security_group_id)
        .filter(|g| g.region_id == ctx.region_id && g.owner_uid == ctx.caller)
        .ok_or_else(|| errors::sg_not_found_on_delete(security_group_id))?;
    if g.managed_by.is_some() {
        return Err(errors::sg_managed(security_group_id));
    }
    if !g.member_enis.is_empty() {
        return Err(forbidden(
            "DependencyViolation",
            "There is still instance(s) in the specified security group.",
        ));
    }
    let referenced_by = state.security_groups.values().find(|o| {
        o.security_group_id != security_group_id
            && o.rules
                .iter()
                .any(|r| r.group_id.as_deref() == Some(security_group_id))
    });
    if let Some(o) = referenced_by {
        return Err(forbidden(
            "DependencyViolation",
            format!(
                "The security group is referenced by a rule of security group `{}`.",
                o.security_group_id
            ),
        ));
    }
    Ok(())
}

/// Removes a group whose deletion was planned.
pub fn apply_delete_security_group(state: &mut EcsState, security_group_id: &str) {
    state.security_groups.remove(security_group_id);
}

// ---- Describe -------------------------------------------------------------------------------

/// Filters of DescribeSecurityGroups (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeSecurityGroups {
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `SecurityGroupIds` (already split).
    pub security_group_ids: Vec<String>,
    /// `SecurityGroupType`.
    pub security_group_type: Option<String>,
    /// `PageNumber`.
    pub page_number: Option<i64>,
    /// `PageSize` (default 10, at most 100).
    pub page_size: Option<i64>,
}

/// DescribeSecurityGroups: the caller's groups of the region, filtered, in id order, paged.
pub fn describe_security_groups(
    state: &EcsState,
    ctx: &OpCtx,
    p: &DescribeSecurityGroups,
) -> Value {
    let rows: Vec<&SecurityGroup> = state
        .security_groups
        .values()
        .filter(|g| g.region_id == ctx.region_id && g.owner_uid == ctx.caller)
        .filter(|g| p.vpc_id.as_ref().is_none_or(|v| *v == g.vpc_id))
        .filter(|g| {
            p.security_group_ids.is_empty() || p.security_group_ids.contains(&g.security_group_id)
        })
        .filter(|g| {
            p.security_group_type
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(g.group_type.as_str()))
        })
        .collect();
    page_json(
        &rows,
        p.page_number,
        p.page_size,
        "SecurityGroups",
        "SecurityGroup",
        |g| {
            json!({
                "SecurityGroupId": g.security_group_id,
                "SecurityGroupName": g.name,
                "Description": g.description,
                "VpcId": g.vpc_id,
                "SecurityGroupType": g.group_type.as_str(),
                "ServiceManaged": g.managed_by.is_some(),
                "EcsCount": g.member_enis.len(),
                "RuleCount": g.rules.len(),
                "CreationTime": g.creation_time.to_string(),
            })
        },
    )
}

/// One rule in the DescribeSecurityGroupAttribute shape.
pub fn rule_json(r: &SgRule) -> Value {
    let cidr = r.cidr.map(|c| c.to_string()).unwrap_or_default();
    let group = r.group_id.clone().unwrap_or_default();
    let (sc, sg, dc, dg) = match r.direction {
        Direction::Ingress => (cidr, group, String::new(), String::new()),
        Direction::Egress => (String::new(), String::new(), cidr, group),
    };
    json!({
        "SecurityGroupRuleId": r.rule_id,
        "Direction": r.direction.as_str(),
        "IpProtocol": r.protocol.ecs_name(),
        "PortRange": r.port_range.to_string(),
        "SourcePortRange": r.source_port_range.map(|x| x.to_string()).unwrap_or_default(),
        "SourceCidrIp": sc,
        "SourceGroupId": sg,
        "DestCidrIp": dc,
        "DestGroupId": dg,
        "Policy": match r.policy { Action::Accept => "Accept", Action::Drop => "Drop" },
        "Priority": r.priority.to_string(),
        "NicType": r.nic_type,
        "Description": r.description,
        "CreateTime": r.create_time.to_string(),
    })
}

/// DescribeSecurityGroupAttribute: the group and its rules, optionally one direction
/// (`Direction` = `ingress` | `egress` | `all`; anything else is `InvalidParameter.Direction`,
/// ASSUMED).
pub fn describe_security_group_attribute(
    state: &EcsState,
    ctx: &OpCtx,
    security_group_id: &str,
    direction: Option<&str>,
) -> Result<Value, CloudError> {
    let g = state
        .security_groups
        .get(security_group_id)
        .filter(|g| g.region_id == ctx.region_id && g.owner_uid == ctx.caller)
        .ok_or_else(|| errors::sg_not_found(security_group_id))?;
    let want = match direction.map(str::to_ascii_lowercase).as_deref() {
        None | Some("all") => None,
        Some("ingress") => Some(Direction::Ingress),
        Some("egress") => Some(Direction::Egress),
        Some(other) => {
            return Err(CloudError::invalid_param(
                "Direction",
                &format!("`{other}` is not ingress, egress or all"),
            ))
        }
    };
    let rules: Vec<Value> = g
        .rules
        .iter()
        .filter(|r| want.is_none_or(|d| d == r.direction))
        .map(rule_json)
        .collect();
    Ok(json!({
        "SecurityGroupId": g.security_group_id,
        "SecurityGroupName": g.name,
        "Description": g.description,
        "VpcId": g.vpc_id,
        "RegionId": g.region_id,
        "InnerAccessPolicy": match g.inner_access_policy { InnerAccessPolicy::Accept => "Accept", InnerAccessPolicy::Drop => "Drop" },
        "Permissions": {"Permission": rules},
    }))
}

// ---- Evaluation ------------------------------------------------------------------------------

/// Why a security-group evaluation decided as it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SgReason {
    /// A rule matched (the deciding rule is in [`SgDecision::matched`]).
    Rule,
    /// No rule matched; the peer shares this basic group (with `InnerAccessPolicy=Accept`).
    IntraGroup(String),
    /// No rule matched; egress default of a basic group.
    DefaultEgressAccept,
    /// No rule matched and no default allows.
    DefaultDeny,
}

/// The deciding rule of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedSgRule {
    /// Group holding the rule.
    pub security_group_id: String,
    /// `SecurityGroupRuleId`.
    pub rule_id: String,
    /// Its priority.
    pub priority: u8,
    /// Its policy.
    pub policy: Action,
}

/// Result of evaluating a packet against the groups of an ENI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SgDecision {
    /// True when the packet passes.
    pub allowed: bool,
    /// Deciding rule, when a rule decided.
    pub matched: Option<MatchedSgRule>,
    /// Why.
    pub reason: SgReason,
}

/// Groups of the ENI owning `ip` in `vpc`, if an ENI owns it.
fn peer_groups<'a>(state: &'a EcsState, vpc_id: &str, ip: Ipv4Addr) -> Option<&'a [Id]> {
    match state.addresses.owner(vpc_id, ip)? {
        AddressOwner::Eni(e) => state
            .enis
            .get(e.as_str())
            .map(|x| x.security_group_ids.as_slice()),
        AddressOwner::Service { .. } => None,
    }
}

/// Evaluates `packet` in `direction` against the groups `sg_ids` of an ENI in `vpc_id`
/// (§7.3 rules 1–3). Unknown group ids contribute nothing.
pub fn evaluate_groups(
    state: &EcsState,
    vpc_id: &str,
    sg_ids: &[Id],
    direction: Direction,
    packet: &Packet,
) -> SgDecision {
    let in_group = |g: &str, ip: Ipv4Addr| {
        peer_groups(state, vpc_id, ip).is_some_and(|gs| gs.iter().any(|x| x == g))
    };
    let groups: Vec<&SecurityGroup> = sg_ids
        .iter()
        .filter_map(|id| state.security_groups.get(id.as_str()))
        .collect();
    let mut best: Option<(&SecurityGroup, &SgRule)> = None;
    for g in &groups {
        for r in g.rules.iter().filter(|r| r.direction == direction) {
            if !r.matches(packet, &in_group) {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, b)) => {
                    r.priority < b.priority
                        || (r.priority == b.priority
                            && r.policy == Action::Drop
                            && b.policy == Action::Accept)
                }
            };
            if better {
                best = Some((g, r));
            }
        }
    }
    if let Some((g, r)) = best {
        return SgDecision {
            allowed: r.policy == Action::Accept,
            matched: Some(MatchedSgRule {
                security_group_id: g.security_group_id.clone(),
                rule_id: r.rule_id.clone(),
                priority: r.priority,
                policy: r.policy,
            }),
            reason: SgReason::Rule,
        };
    }
    let basic = |g: &&&SecurityGroup| g.group_type == SecurityGroupType::Normal;
    let reason = match direction {
        Direction::Egress if groups.iter().any(|g| basic(&g)) => SgReason::DefaultEgressAccept,
        Direction::Egress => SgReason::DefaultDeny,
        Direction::Ingress => groups
            .iter()
            .filter(|g| basic(g) && g.inner_access_policy == InnerAccessPolicy::Accept)
            .find(|g| in_group(&g.security_group_id, packet.src_ip))
            .map(|g| SgReason::IntraGroup(g.security_group_id.clone()))
            .unwrap_or(SgReason::DefaultDeny),
    };
    SgDecision {
        allowed: reason != SgReason::DefaultDeny,
        matched: None,
        reason,
    }
}

/// Evaluates `packet` on ENI `eni_id` (all its groups aggregated). `None` for an unknown ENI.
pub fn evaluate(
    state: &EcsState,
    eni_id: &str,
    direction: Direction,
    packet: &Packet,
) -> Option<SgDecision> {
    let eni = state.enis.get(eni_id)?;
    Some(evaluate_groups(
        state,
        &eni.vpc_id,
        &eni.security_group_ids,
        direction,
        packet,
    ))
}

/// Security-group verdict for a whole flow (§8.3: F1 egress at the source ENI, D4 ingress at
/// the destination ENI, §7.3 rule 4 statefulness).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowDecision {
    /// Egress at the source ENI (`None`: the source has no ENI, e.g. a vSwitch source).
    pub egress: Option<SgDecision>,
    /// Ingress at the destination ENI (`None` when the forward packet was already dropped at
    /// egress, or the destination has no ENI).
    pub ingress: Option<SgDecision>,
    /// The forward packet passes both ends.
    pub allowed: bool,
    /// The reply passes: security groups are stateful, so this equals `allowed` whatever the
    /// rules say about the reply packet.
    pub reply_allowed: bool,
}

/// Evaluates a flow from `src_eni` to `dst_eni` (either may be absent).
pub fn evaluate_flow(
    state: &EcsState,
    src_eni: Option<&str>,
    dst_eni: Option<&str>,
    packet: &Packet,
) -> FlowDecision {
    let egress = src_eni.and_then(|e| evaluate(state, e, Direction::Egress, packet));
    let egress_ok = egress.as_ref().is_none_or(|d| d.allowed);
    let ingress = if egress_ok {
        dst_eni.and_then(|e| evaluate(state, e, Direction::Ingress, packet))
    } else {
        None
    };
    let allowed = egress_ok && ingress.as_ref().is_none_or(|d| d.allowed);
    FlowDecision {
        egress,
        ingress,
        allowed,
        reply_allowed: allowed,
    }
}

/// Creates a group managed by a cloud product (e.g. the group of a managed service), which
/// users cannot modify or delete. Not a user API; for later products and world files.
pub fn create_managed_security_group(
    state: &mut EcsState,
    ids: &mut IdGen,
    ctx: &OpCtx,
    vpc_id: &str,
    managed_by: &str,
) -> String {
    let id = ctx.new_id(ids, "sg");
    state.security_groups.insert(
        id.clone(),
        SecurityGroup {
            security_group_id: id.clone(),
            region_id: ctx.region_id.clone(),
            owner_uid: ctx.caller.clone(),
            vpc_id: vpc_id.to_string(),
            name: String::new(),
            description: String::new(),
            group_type: SecurityGroupType::Normal,
            inner_access_policy: InnerAccessPolicy::Accept,
            rules: Vec::new(),
            member_enis: BTreeSet::new(),
            managed_by: Some(managed_by.to_string()),
            creation_time: ctx.now,
        },
    );
    id
}
