//! ECS instances (`network-model.md` §7.1).
//!
//! RunInstances creates `Amount` instances, each with its primary ENI (`Type=Primary`,
//! `InUse`) holding the private IP and the security groups. An explicit `PrivateIpAddress`
//! must lie in the vSwitch CIDR, not be one of the vSwitch's reserved addresses (the first
//! and the last three, as Alibaba documents for vSwitches) and be free; otherwise the lowest
//! free usable address is taken. Status machine: `Pending → Running` on creation,
//! `Running → Stopping → Stopped` (StopInstance), `Stopped → Starting → Running`
//! (StartInstance); in `Immediate` settle mode the transitional status is skipped.
//!
//! `listening` is the model's stand-in for the software on the instance (used by
//! load-balancer health checks and reachability): the tag `ramsim:listening` with a value such
//! as `tcp/80,tcp/22` sets it at RunInstances and through [`tag_instance`] /
//! [`untag_instance`]; world files and tests may also set it directly ([`set_listening`]).

use crate::cloud::ecs::eni::{
    check_requested_ip, link_eni, page_ids, page_json_token, unlink_eni, vswitch_available,
    vswitch_full, Eni, EniStatus, EniType, Paging,
};
use crate::cloud::ecs::errors::{self, bad, forbidden};
use crate::cloud::ecs::security_group::{SecurityGroup, MAX_SGS_PER_INSTANCE};
use crate::cloud::ecs::{EcsState, NetView, OpCtx};
use crate::cloud::ids::{Id, IdGen};
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::VSwitch;
use crate::cloud::CloudError;
use crate::store::KeyStr;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

/// Tag key whose value sets [`Instance::listening`].
pub const LISTENING_TAG: &str = "ramsim:listening";
/// At most this many tags per resource (`NumberExceed.Tags`, [M-ecs]).
pub const MAX_TAGS: usize = 20;
/// `Amount` range of RunInstances ([M-ecs]: 1–100).
pub const MAX_AMOUNT: u32 = 100;

/// Instance status (§7.1, [M-ecs DescribeInstances]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceStatus {
    /// Being created.
    Pending,
    /// Being started.
    Starting,
    /// Running.
    Running,
    /// Being stopped.
    Stopping,
    /// Stopped.
    Stopped,
}

impl InstanceStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceStatus::Pending => "Pending",
            InstanceStatus::Starting => "Starting",
            InstanceStatus::Running => "Running",
            InstanceStatus::Stopping => "Stopping",
            InstanceStatus::Stopped => "Stopped",
        }
    }
}

/// Transport protocol of a listening port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum L4 {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One `proto/port` the instance listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ListenPort {
    /// Protocol.
    pub protocol: L4,
    /// Port, 1–65535.
    pub port: u16,
}

impl fmt::Display for ListenPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.protocol {
            L4::Tcp => "tcp",
            L4::Udp => "udp",
        };
        write!(f, "{p}/{}", self.port)
    }
}

/// Parses a `ramsim:listening` value: comma-separated `tcp/N` or `udp/N` (N in 1–65535,
/// protocol case-insensitive, blanks around items ignored); the empty string is the empty set.
pub fn parse_listening(s: &str) -> Result<BTreeSet<ListenPort>, String> {
    let mut out = BTreeSet::new();
    for item in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let (p, n) = item
            .split_once('/')
            .ok_or_else(|| format!("`{item}` is not `tcp/PORT` or `udp/PORT`"))?;
        let protocol = match p.trim().to_ascii_lowercase().as_str() {
            "tcp" => L4::Tcp,
            "udp" => L4::Udp,
            _ => return Err(format!("`{item}`: protocol must be tcp or udp")),
        };
        let port: u16 = n
            .trim()
            .parse()
            .ok()
            .filter(|x| *x >= 1)
            .ok_or_else(|| format!("`{item}`: port must be 1–65535"))?;
        out.insert(ListenPort { protocol, port });
    }
    Ok(out)
}

/// An ECS instance (§7.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// `i-…`.
    pub instance_id: Id,
    /// Region.
    pub region_id: Id,
    /// Zone (the vSwitch's).
    pub zone_id: Id,
    /// Owner account uid.
    pub owner_uid: Id,
    /// VPC.
    pub vpc_id: Id,
    /// vSwitch.
    pub vswitch_id: Id,
    /// Primary ENI.
    pub primary_eni_id: Id,
    /// Primary private IP (the primary ENI's).
    pub private_ip: Ipv4Addr,
    /// Security groups (1–5 in the model), in the order given.
    pub security_group_ids: Vec<Id>,
    /// Status.
    pub lifecycle: Lifecycle<InstanceStatus>,
    /// Name.
    pub instance_name: Id,
    /// Instance type, stored only.
    pub instance_type: String,
    /// Image, stored only.
    pub image_id: String,
    /// Tags (key → value).
    pub tags: BTreeMap<String, String>,
    /// Simulation field: what the instance listens on.
    pub listening: BTreeSet<ListenPort>,
    /// Creation time.
    pub creation_time: Timestamp,
}

impl Instance {
    /// Status at `now`.
    pub fn status(&self, now: Timestamp) -> InstanceStatus {
        self.lifecycle.at(now)
    }

    /// True when the instance listens on `protocol/port`.
    pub fn listens_on(&self, protocol: L4, port: u16) -> bool {
        self.listening.contains(&ListenPort { protocol, port })
    }
}

/// One `Tag.N.Key` / `Tag.N.Value` pair as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagParam {
    /// `Tag.N.Key`.
    pub key: Option<String>,
    /// `Tag.N.Value`.
    pub value: Option<String>,
}

impl TagParam {
    /// A key/value pair.
    pub fn new(key: &str, value: &str) -> Self {
        TagParam {
            key: Some(key.to_string()),
            value: Some(value.to_string()),
        }
    }
}

/// Parameters of RunInstances (the §7.1 subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInstances {
    /// `ZoneId` (optional; must be the vSwitch's zone).
    pub zone_id: Option<String>,
    /// `VSwitchId` (required in the model).
    pub vswitch_id: Option<String>,
    /// `SecurityGroupId` and `SecurityGroupIds.N`, in order.
    pub security_group_ids: Vec<String>,
    /// `PrivateIpAddress`.
    pub private_ip_address: Option<String>,
    /// `InstanceType`.
    pub instance_type: Option<String>,
    /// `ImageId`.
    pub image_id: Option<String>,
    /// `InstanceName`.
    pub instance_name: Option<String>,
    /// `Amount` (default 1, 1–100).
    pub amount: Option<u32>,
    /// `Tag.N.*`.
    pub tags: Vec<TagParam>,
    /// `DryRun`.
    pub dry_run: bool,
}

/// Validates tags (RunInstances, TagResources): count ≤ 20 (`NumberExceed.Tags`), key present
/// when a value is (`InvalidTag.Mismatch`), key 1–128 chars, not `aliyun`/`acs:`-prefixed nor
/// `http(s)://` (`InvalidTagKey.Malformed`), value ≤ 128 chars, not `http(s)://`
/// (`InvalidTagValue.Malformed`), no repeated key (`Duplicate.TagKey`), and a parseable
/// `ramsim:listening` value (`InvalidTagValue.Malformed`, ASSUMED).
pub fn check_tags(tags: &[TagParam]) -> Result<BTreeMap<String, String>, CloudError> {
    if tags.len() > MAX_TAGS {
        return Err(bad(
            "NumberExceed.Tags",
            "The Tags parameter's number is exceed , Valid : 20.",
        ));
    }
    let mut out = BTreeMap::new();
    for t in tags {
        let Some(k) = &t.key else {
            return Err(bad(
                "InvalidTag.Mismatch",
                "The specified Tag.n.Key and Tag.n.Value are not match.",
            ));
        };
        let kn = k.chars().count();
        let lower = k.to_ascii_lowercase();
        if !(1..=128).contains(&kn)
            || lower.starts_with("aliyun")
            || lower.starts_with("acs:")
            || lower.starts_with("http://")
            || lower.starts_with("https://")
        {
            return Err(bad(
                "InvalidTagKey.Malformed",
                format!("The specified Tag.n.Key `{k}` is not valid."),
            ));
        }
        let v = t.value.clone().unwrap_or_default();
        let vl = v.to_ascii_lowercase();
        if v.chars().count() > 128 || vl.starts_with("http://") || vl.starts_with("https://") {
            return Err(bad(
                "InvalidTagValue.Malformed",
                format!("The specified Tag.n.Value of `{k}` is not valid."),
            ));
        }
        if k == LISTENING_TAG {
            parse_listening(&v).map_err(|e| {
                bad(
                    "InvalidTagValue.Malformed",
                    format!("The value of tag `{LISTENING_TAG}` is not valid: {e}."),
                )
            })?;
        }
        if out.insert(k.clone(), v).is_some() {
            return Err(bad(
                "Duplicate.TagKey",
                format!("The Tag.N.Key contain duplicate key `{k}`."),
            ));
        }
    }
    Ok(out)
}

fn listening_of(tags: &BTreeMap<String, String>) -> BTreeSet<ListenPort> {
    tags.get(LISTENING_TAG)
        .and_then(|v| parse_listening(v).ok())
        .unwrap_or_default()
}

/// Result of RunInstances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInstancesOutput {
    /// `InstanceIdSets.InstanceIdSet[]`, in creation order.
    pub instance_ids: Vec<String>,
}

/// A validated RunInstances: everything [`apply_run_instances`] needs, and nothing more (the
/// request's own values and the addresses picked; O(request) to build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInstancesPlan {
    /// Caller, region, time and settle mode of the call.
    pub ctx: OpCtx,
    /// VPC of the vSwitch.
    pub vpc_id: String,
    /// vSwitch.
    pub vswitch_id: String,
    /// Zone of the vSwitch.
    pub zone_id: String,
    /// One address per instance, in creation order.
    pub ips: Vec<Ipv4Addr>,
    /// Security groups, in the order given.
    pub security_group_ids: Vec<String>,
    /// Validated tags.
    pub tags: BTreeMap<String, String>,
    /// `InstanceName` (default: the instance id).
    pub instance_name: Option<String>,
    /// `InstanceType`.
    pub instance_type: String,
    /// `ImageId`.
    pub image_id: String,
}

/// RunInstances (§7.1): [`plan_run_instances`] then [`apply_run_instances`].
pub fn run_instances(
    state: &mut EcsState,
    net: &dyn NetView,
    ids: &mut IdGen,
    ctx: &OpCtx,
    p: &RunInstances,
) -> Result<RunInstancesOutput, CloudError> {
    let plan = plan_run_instances(state, net, ctx, p)?;
    Ok(apply_run_instances(state, ids, plan))
}

/// The checks of RunInstances (§7.1) against an unchanged state. In order:
/// `InvalidVSwitchId.Necessary` (no vSwitch),
/// `InvalidParameter.VSwitchId` (unknown or invisible vSwitch), `IncorrectVSwitchStatus`,
/// `InvalidParameter.ZoneId` (ZoneId differs from the vSwitch zone, ASSUMED code),
/// `MissingParameter.SecurityGroupId`, `InvalidParameter.SecurityGroupIdRepeated`,
/// `JoinedGroupLimitExceed` (> 5), `InvalidSecurityGroupId.NotFound`,
/// `InvalidSecurityGroup.VpcMismatch` (groups of several VPCs), `InvalidParameter.Mismatch`
/// (group and vSwitch in different VPCs), `InvalidOperation.ResourceManagedByCloudProduct`,
/// `InvalidInstanceName.Malformed`, `InvalidParam.Amount` (outside 1–100),
/// `InvalidPrimaryIpAddress.SizeInvalid` (an address with Amount > 1), tag errors
/// ([`check_tags`]), then the address (`InvalidPrivateIpAddress.Malformed`,
/// `InvalidPrivateIpAddress`, `InvalidPrivateIpAddress.Duplicated`,
/// `QuotaExceeded.PrivateIpAddress`), then DryRun (`DryRunOperation`).
pub fn plan_run_instances(
    state: &EcsState,
    net: &dyn NetView,
    ctx: &OpCtx,
    p: &RunInstances,
) -> Result<RunInstancesPlan, CloudError> {
    let vsw = run_vswitch(net, ctx, p.vswitch_id.as_deref())?;
    if !vswitch_available(vsw, ctx.now) {
        return Err(bad(
            "IncorrectVSwitchStatus",
            "The current status of virtual switch does not support this operation.",
        ));
    }
    if let Some(z) = &p.zone_id {
        if *z != vsw.zone_id {
            return Err(bad(
                "InvalidParameter.ZoneId",
                format!(
                    "The specified zone `{z}` is not the zone `{}` of vSwitch `{}`.",
                    vsw.zone_id, vsw.vswitch_id
                ),
            ));
        }
    }
    if p.security_group_ids.is_empty() {
        return Err(CloudError::missing("SecurityGroupId"));
    }
    let mut seen = BTreeSet::new();
    for sg in &p.security_group_ids {
        if !seen.insert(sg) {
            return Err(bad(
                "InvalidParameter.SecurityGroupIdRepeated",
                format!("The security group `{sg}` is given more than once."),
            ));
        }
    }
    if p.security_group_ids.len() > MAX_SGS_PER_INSTANCE {
        return Err(bad(
            "JoinedGroupLimitExceed",
            format!("An instance can join at most {MAX_SGS_PER_INSTANCE} security groups."),
        ));
    }
    let mut group_vpc: Option<&str> = None;
    for sg in &p.security_group_ids {
        let g = run_security_group(state, ctx, sg)?;
        match group_vpc {
            Some(v) if v != g.vpc_id => {
                return Err(bad(
                    "InvalidSecurityGroup.VpcMismatch",
                    "The specified security groups are not in the same VPC.",
                ))
            }
            _ => group_vpc = Some(&g.vpc_id),
        }
        if g.vpc_id != vsw.vpc_id {
            return Err(bad(
                "InvalidParameter.Mismatch",
                "Specified security group and virtual switch are not in the same VPC.",
            ));
        }
        if g.managed_by.is_some() {
            return Err(errors::sg_managed(sg));
        }
    }
    if let Some(n) = &p.instance_name {
        if !instance_name_ok(n) {
            return Err(bad(
                "InvalidInstanceName.Malformed",
                "The specified parameter \"InstanceName\" is not valid.",
            ));
        }
    }
    let amount = p.amount.unwrap_or(1);
    if !(1..=MAX_AMOUNT).contains(&amount) {
        return Err(forbidden(
            "InvalidParam.Amount",
            format!("Amount must be between 1 and {MAX_AMOUNT}."),
        ));
    }
    if amount > 1 && p.private_ip_address.is_some() {
        return Err(bad(
            "InvalidPrimaryIpAddress.SizeInvalid",
            "The NetworkInterface PrimaryIpAddress is used to create only one instance.",
        ));
    }
    let tags = check_tags(&p.tags)?;
    let n = usize::try_from(amount).unwrap_or(1);
    let ips: Vec<Ipv4Addr> = match &p.private_ip_address {
        Some(r) => vec![check_requested_ip(&state.addresses, vsw, r)?],
        None => {
            let v = state.addresses.lowest_free(vsw, n);
            if v.len() < n {
                return Err(vswitch_full(vsw));
            }
            v
        }
    };
    if p.dry_run {
        return Err(CloudError::dry_run());
    }
    Ok(RunInstancesPlan {
        ctx: ctx.clone(),
        vpc_id: vsw.vpc_id.clone(),
        vswitch_id: vsw.vswitch_id.clone(),
        zone_id: vsw.zone_id.clone(),
        ips,
        security_group_ids: p.security_group_ids.clone(),
        tags,
        instance_name: p.instance_name.clone(),
        instance_type: p.instance_type.clone().unwrap_or_default(),
        image_id: p.image_id.clone().unwrap_or_default(),
    })
}

/// The vSwitch of a RunInstances request: given (`InvalidVSwitchId.Necessary`), in the
/// request region and in a VPC the caller owns or shares (`InvalidParameter.VSwitchId`).
/// Also the pre-RAM check of the gateway (§0.4.10 (b)).
pub fn run_vswitch<'n>(
    net: &'n dyn NetView,
    ctx: &OpCtx,
    vswitch_id: Option<&str>,
) -> Result<&'n VSwitch, CloudError> {
    let vsw_id = vswitch_id
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("InvalidVSwitchId.Necessary", "The VSwitchId is necessary."))?;
    net.vswitch(vsw_id)
        .filter(|v| v.region_id == ctx.region_id)
        .filter(|v| {
            net.vpc(&v.vpc_id)
                .is_some_and(|vpc| vpc.visible_to(&ctx.caller))
        })
        .ok_or_else(|| {
            bad(
                "InvalidParameter.VSwitchId",
                format!("The specified vSwitch `{vsw_id}` does not exist."),
            )
        })
}

/// A security group a RunInstances request may name: the caller's, in the request region
/// (`InvalidSecurityGroupId.NotFound`). Also a pre-RAM check of the gateway.
pub fn run_security_group<'s>(
    state: &'s EcsState,
    ctx: &OpCtx,
    sg: &str,
) -> Result<&'s SecurityGroup, CloudError> {
    state
        .security_groups
        .get(sg)
        .filter(|g| g.region_id == ctx.region_id && g.owner_uid == ctx.caller)
        .ok_or_else(|| errors::sg_not_found(sg))
}

/// Commits a [`RunInstancesPlan`]: draws the ids (instance, then its ENI, per instance) and
/// links each instance with its primary ENI. Cannot fail.
pub fn apply_run_instances(
    state: &mut EcsState,
    ids: &mut IdGen,
    plan: RunInstancesPlan,
) -> RunInstancesOutput {
    let RunInstancesPlan {
        ctx,
        vpc_id,
        vswitch_id,
        zone_id,
        ips,
        security_group_ids,
        tags,
        instance_name,
        instance_type,
        image_id,
    } = plan;
    let listening = listening_of(&tags);
    let mut out = Vec::with_capacity(ips.len());
    for ip in ips {
        let instance_id = ctx.new_id(ids, "i");
        let eni_id = ctx.new_id(ids, "eni");
        link_eni(
            state,
            Eni {
                network_interface_id: Id::new(&eni_id),
                region_id: Id::new(&ctx.region_id),
                owner_uid: Id::new(&ctx.caller),
                vpc_id: Id::new(&vpc_id),
                vswitch_id: Id::new(&vswitch_id),
                zone_id: Id::new(&zone_id),
                private_ip: ip,
                security_group_ids: security_group_ids.iter().map(Id::from).collect(),
                eni_type: EniType::Primary,
                status: EniStatus::InUse,
                instance_id: Some(Id::new(&instance_id)),
                service_managed: false,
                service_owner: None,
                creation_time: ctx.now,
            },
        );
        if state.by_owner.built {
            state
                .by_owner
                .add_instance(&ctx.caller, &ctx.region_id, &instance_id);
        }
        state.instances.insert(
            Id::new(&instance_id),
            Instance {
                instance_id: Id::new(&instance_id),
                region_id: Id::new(&ctx.region_id),
                zone_id: Id::new(&zone_id),
                owner_uid: Id::new(&ctx.caller),
                vpc_id: Id::new(&vpc_id),
                vswitch_id: Id::new(&vswitch_id),
                primary_eni_id: Id::from(eni_id),
                private_ip: ip,
                security_group_ids: security_group_ids.iter().map(Id::from).collect(),
                lifecycle: Lifecycle::start(
                    ctx.stepped,
                    InstanceStatus::Pending,
                    InstanceStatus::Running,
                    ctx.settle_at(),
                ),
                instance_name: Id::new(instance_name.as_deref().unwrap_or(&instance_id)),
                instance_type: instance_type.clone(),
                image_id: image_id.clone(),
                tags: tags.clone(),
                listening: listening.clone(),
                creation_time: ctx.now,
            },
        );
        out.push(instance_id);
    }
    RunInstancesOutput { instance_ids: out }
}

/// InstanceName rule ([M-ecs]): 2–128 characters, starts with a letter, then letters, digits,
/// `.`, `_`, `:`, `-` (ASSUMED: the documented set without the `[m,n]` name sequences).
fn instance_name_ok(s: &str) -> bool {
    let n = s.chars().count();
    let mut cs = s.chars();
    (2..=128).contains(&n)
        && cs.next().is_some_and(char::is_alphabetic)
        && cs.all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

/// The caller's instance in the request region, else `InvalidInstanceId.NotFound`.
pub fn visible_instance<'a>(
    state: &'a EcsState,
    ctx: &OpCtx,
    id: &str,
) -> Result<&'a Instance, CloudError> {
    state
        .instance(id)
        .filter(|i| i.region_id == ctx.region_id && i.owner_uid == ctx.caller)
        .ok_or_else(|| errors::instance_not_found(id))
}

/// A validated status change of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionPlan {
    /// The instance.
    pub instance_id: String,
    /// Its new lifecycle.
    pub lifecycle: Lifecycle<InstanceStatus>,
}

fn plan_transition(
    state: &EcsState,
    ctx: &OpCtx,
    id: &str,
    from: InstanceStatus,
    via: InstanceStatus,
    to: InstanceStatus,
) -> Result<TransitionPlan, CloudError> {
    let status = visible_instance(state, ctx, id)?.status(ctx.now);
    if status != from {
        return Err(errors::incorrect_instance_status(id, status.as_str()));
    }
    Ok(TransitionPlan {
        instance_id: id.to_string(),
        lifecycle: Lifecycle::start(ctx.stepped, via, to, ctx.settle_at()),
    })
}

/// Commits a [`TransitionPlan`].
pub fn apply_transition(state: &mut EcsState, plan: TransitionPlan) {
    if let Some(i) = state.instance_mut(&plan.instance_id) {
        i.lifecycle = plan.lifecycle;
    }
}

/// The checks of StopInstance: `Running → (Stopping →) Stopped`; any other status is
/// `IncorrectInstanceStatus` (403).
pub fn plan_stop_instance(
    state: &EcsState,
    ctx: &OpCtx,
    id: &str,
) -> Result<TransitionPlan, CloudError> {
    plan_transition(
        state,
        ctx,
        id,
        InstanceStatus::Running,
        InstanceStatus::Stopping,
        InstanceStatus::Stopped,
    )
}

/// The checks of StartInstance: `Stopped → (Starting →) Running`; any other status is
/// `IncorrectInstanceStatus` (403).
pub fn plan_start_instance(
    state: &EcsState,
    ctx: &OpCtx,
    id: &str,
) -> Result<TransitionPlan, CloudError> {
    plan_transition(
        state,
        ctx,
        id,
        InstanceStatus::Stopped,
        InstanceStatus::Starting,
        InstanceStatus::Running,
    )
}

/// StopInstance: [`plan_stop_instance`] then [`apply_transition`].
pub fn stop_instance(state: &mut EcsState, ctx: &OpCtx, id: &str) -> Result<(), CloudError> {
    let plan = plan_stop_instance(state, ctx, id)?;
    apply_transition(state, plan);
    Ok(())
}

/// StartInstance: [`plan_start_instance`] then [`apply_transition`].
pub fn start_instance(state: &mut EcsState, ctx: &OpCtx, id: &str) -> Result<(), CloudError> {
    let plan = plan_start_instance(state, ctx, id)?;
    apply_transition(state, plan);
    Ok(())
}

/// A validated DeleteInstance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteInstancePlan {
    /// The instance.
    pub instance_id: String,
    /// Its primary ENI, removed with it.
    pub eni_id: String,
}

/// The checks of DeleteInstance: a `Stopped` instance, or a `Running` one with `Force=true`;
/// transitional statuses and `Running` without force are `IncorrectInstanceStatus` (403).
pub fn plan_delete_instance(
    state: &EcsState,
    ctx: &OpCtx,
    id: &str,
    force: bool,
) -> Result<DeleteInstancePlan, CloudError> {
    let inst = visible_instance(state, ctx, id)?;
    let status = inst.status(ctx.now);
    let ok = status == InstanceStatus::Stopped || (force && status == InstanceStatus::Running);
    if !ok {
        return Err(errors::incorrect_instance_status(id, status.as_str()));
    }
    Ok(DeleteInstancePlan {
        instance_id: id.to_string(),
        eni_id: String::from(&inst.primary_eni_id),
    })
}

/// Commits a [`DeleteInstancePlan`]: removes the instance and its primary ENI (freeing the
/// address and the SG memberships).
pub fn apply_delete_instance(state: &mut EcsState, plan: DeleteInstancePlan) {
    unlink_eni(state, &plan.eni_id);
    if let Some(i) = state.instances.remove(KeyStr::new(&plan.instance_id)) {
        state
            .by_owner
            .remove_instance(&i.owner_uid, &i.region_id, &i.instance_id);
    }
}

/// DeleteInstance: [`plan_delete_instance`] then [`apply_delete_instance`].
pub fn delete_instance(
    state: &mut EcsState,
    ctx: &OpCtx,
    id: &str,
    force: bool,
) -> Result<(), CloudError> {
    let plan = plan_delete_instance(state, ctx, id, force)?;
    apply_delete_instance(state, plan);
    Ok(())
}

/// A validated tag change of one instance: its whole new tag set (≤ 20 entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPlan {
    /// The instance.
    pub instance_id: String,
    /// Its tags after the call.
    pub tags: BTreeMap<String, String>,
}

/// Commits a [`TagPlan`]; the `ramsim:listening` tag decides [`Instance::listening`].
pub fn apply_tags(state: &mut EcsState, plan: TagPlan) {
    if let Some(i) = state.instance_mut(&plan.instance_id) {
        i.listening = listening_of(&plan.tags);
        i.tags = plan.tags;
    }
}

/// The checks of TagResources on one instance, with tags already validated by
/// [`check_tags`]: the merged set holds at most 20 tags (`QuotaExceed.Tags`).
pub fn plan_tag_instance(
    state: &EcsState,
    ctx: &OpCtx,
    id: &str,
    new: &BTreeMap<String, String>,
) -> Result<TagPlan, CloudError> {
    let inst = visible_instance(state, ctx, id)?;
    let mut merged = inst.tags.clone();
    merged.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
    if merged.len() > MAX_TAGS {
        return Err(forbidden(
            "QuotaExceed.Tags",
            format!("A resource can have at most {MAX_TAGS} tags."),
        ));
    }
    Ok(TagPlan {
        instance_id: id.to_string(),
        tags: merged,
    })
}

/// The checks of UntagResources on one instance: the tags left after removing `keys`
/// (absent keys are ignored, as Alibaba does), or none at all with `all`.
pub fn plan_untag_instance(
    state: &EcsState,
    ctx: &OpCtx,
    id: &str,
    keys: &[String],
    all: bool,
) -> Result<TagPlan, CloudError> {
    let inst = visible_instance(state, ctx, id)?;
    let tags = if all {
        BTreeMap::new()
    } else {
        let mut t = inst.tags.clone();
        for k in keys {
            t.remove(k);
        }
        t
    };
    Ok(TagPlan {
        instance_id: id.to_string(),
        tags,
    })
}

/// TagResources on instances: validates the merged tag set (≤ 20) and applies it; a
/// `ramsim:listening` tag replaces [`Instance::listening`].
pub fn tag_instance(
    state: &mut EcsState,
    ctx: &OpCtx,
    id: &str,
    tags: &[TagParam],
) -> Result<(), CloudError> {
    visible_instance(state, ctx, id)?;
    let new = check_tags(tags)?;
    let plan = plan_tag_instance(state, ctx, id, &new)?;
    apply_tags(state, plan);
    Ok(())
}

/// UntagResources on instances: removes the given keys (absent keys are ignored, as Alibaba
/// does); removing `ramsim:listening` empties [`Instance::listening`].
pub fn untag_instance(
    state: &mut EcsState,
    ctx: &OpCtx,
    id: &str,
    keys: &[String],
) -> Result<(), CloudError> {
    let plan = plan_untag_instance(state, ctx, id, keys, false)?;
    apply_tags(state, plan);
    Ok(())
}

/// Test/world-file helper (§7.1): sets what an instance listens on, without touching tags.
pub fn set_listening(
    state: &mut EcsState,
    id: &str,
    ports: BTreeSet<ListenPort>,
) -> Result<(), CloudError> {
    let i = state
        .instances
        .get_mut(id)
        .ok_or_else(|| errors::instance_not_found(id))?;
    i.listening = ports;
    Ok(())
}

/// Filters of DescribeInstances (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeInstances {
    /// `InstanceIds` (JSON array in Alibaba; here already split).
    pub instance_ids: Vec<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `SecurityGroupId`.
    pub security_group_id: Option<String>,
    /// `Status`.
    pub status: Option<String>,
    /// `ZoneId`.
    pub zone_id: Option<String>,
    /// `InstanceName`.
    pub instance_name: Option<String>,
    /// `Tag.N.Key` / `Tag.N.Value`: an instance matches when it carries every pair (a pair
    /// without a value matches any value of the key).
    pub tags: Vec<TagParam>,
    /// `PageNumber`.
    pub page_number: Option<i64>,
    /// `PageSize` (default 10, at most 100).
    pub page_size: Option<i64>,
    /// `MaxResults` (token paging).
    pub max_results: Option<i64>,
    /// `NextToken` (token paging).
    pub next_token: Option<String>,
}

/// One instance in the DescribeInstances shape.
pub fn instance_json(i: &Instance, now: Timestamp) -> Value {
    json!({
        "InstanceId": i.instance_id,
        "InstanceName": i.instance_name,
        "RegionId": i.region_id,
        "ZoneId": i.zone_id,
        "Status": i.status(now).as_str(),
        "InstanceType": i.instance_type,
        "ImageId": i.image_id,
        "VpcAttributes": {
            "VpcId": i.vpc_id,
            "VSwitchId": i.vswitch_id,
            "PrivateIpAddress": {"IpAddress": [i.private_ip.to_string()]},
        },
        "NetworkInterfaces": {"NetworkInterface": [{
            "NetworkInterfaceId": i.primary_eni_id,
            "PrimaryIpAddress": i.private_ip.to_string(),
            "Type": "Primary",
        }]},
        "SecurityGroupIds": {"SecurityGroupId": i.security_group_ids},
        "Tags": {"Tag": i.tags.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>()},
        "CreationTime": i.creation_time.to_string(),
    })
}

/// DescribeInstances: the caller's instances of the region, filtered, in id order, paged.
pub fn describe_instances(state: &EcsState, ctx: &OpCtx, p: &DescribeInstances) -> Value {
    let unfiltered = p.instance_ids.is_empty()
        && p.vpc_id.is_none()
        && p.vswitch_id.is_none()
        && p.security_group_id.is_none()
        && p.status.is_none()
        && p.zone_id.is_none()
        && p.instance_name.is_none()
        && p.tags.is_empty();
    let indexed = state.indexed_instances(&ctx.caller, &ctx.region_id);
    // No filter and an index: the page is read straight from the caller's ordered ids, so
    // the cost is the page's, not the world's (nor the caller's whole fleet's).
    if let (true, Some(ids)) = (unfiltered, indexed) {
        let empty = BTreeSet::new();
        let ids = ids.unwrap_or(&empty);
        let paging = Paging {
            page_number: p.page_number,
            page_size: p.page_size,
            max_results: p.max_results,
            next_token: p.next_token.clone(),
        };
        return page_ids(ids, &paging, "Instances", "Instance", |id| {
            state.instance(id).map(|i| instance_json(i, ctx.now))
        });
    }
    // Named instances are looked up, not searched for.
    let named: BTreeSet<&String> = p.instance_ids.iter().collect();
    let candidates: Box<dyn Iterator<Item = &Instance>> = match indexed {
        _ if !named.is_empty() => Box::new(named.into_iter().filter_map(|id| state.instance(id))),
        Some(ids) => Box::new(
            ids.into_iter()
                .flatten()
                .filter_map(|id| state.instance(id)),
        ),
        None => Box::new(state.instances.values()),
    };
    let rows: Vec<&Instance> = candidates
        .filter(|i| i.region_id == ctx.region_id && i.owner_uid == ctx.caller)
        .filter(|i| p.instance_ids.is_empty() || p.instance_ids.iter().any(|x| *x == i.instance_id))
        .filter(|i| p.vpc_id.as_ref().is_none_or(|v| *v == i.vpc_id))
        .filter(|i| p.vswitch_id.as_ref().is_none_or(|v| *v == i.vswitch_id))
        .filter(|i| {
            p.security_group_id
                .as_ref()
                .is_none_or(|v| i.security_group_ids.iter().any(|g| g == v))
        })
        .filter(|i| {
            p.status
                .as_ref()
                .is_none_or(|s| s == i.status(ctx.now).as_str())
        })
        .filter(|i| p.zone_id.as_ref().is_none_or(|z| *z == i.zone_id))
        .filter(|i| {
            p.instance_name
                .as_ref()
                .is_none_or(|n| *n == i.instance_name)
        })
        .filter(|i| {
            p.tags.iter().all(|t| match (&t.key, &t.value) {
                (Some(k), Some(v)) => i.tags.get(k) == Some(v),
                (Some(k), None) => i.tags.contains_key(k),
                (None, _) => true,
            })
        })
        .collect();
    let paging = Paging {
        page_number: p.page_number,
        page_size: p.page_size,
        max_results: p.max_results,
        next_token: p.next_token.clone(),
    };
    page_json_token(
        &rows,
        &paging,
        "Instances",
        "Instance",
        |i| i.instance_id.as_str(),
        |i| instance_json(i, ctx.now),
    )
}

#[cfg(test)]
mod index_tests {
    use super::*;
    use crate::cloud::ecs::eni::{describe_network_interfaces, DescribeNetworkInterfaces};
    use crate::cloud::ecs::tests::Fx;

    /// The (owner, region) index answers exactly what a scan answers, for every filter and
    /// paging mode, and stays in step through creations and deletions.
    #[test]
    fn indexed_lists_answer_what_a_scan_answers() {
        let mut f = Fx::new();
        let g = f.sg("vpc-aaaaaa", "normal");
        let p = RunInstances {
            vswitch_id: Some("vsw-aaaaa1".into()),
            security_group_ids: vec![g.clone()],
            amount: Some(7),
            ..Default::default()
        };
        let ids = f.run(p).unwrap_or_default();
        let mut other = f.ctx.clone();
        other.caller = "2234567890123456".into();
        let ctx = f.ctx.clone();
        delete_instance(&mut f.st, &ctx, &ids[3], true).unwrap_or_default();
        let stale = {
            let mut s = f.st.clone();
            s.by_owner = super::super::OwnerIndex::stale();
            s
        };
        assert!(f
            .st
            .indexed_instances(&ctx.caller, &ctx.region_id)
            .is_some());
        assert!(stale
            .indexed_instances(&ctx.caller, &ctx.region_id)
            .is_none());
        let mut reindexed = stale.clone();
        reindexed.reindex();
        let filters = [
            DescribeInstances::default(),
            DescribeInstances {
                page_size: Some(2),
                page_number: Some(2),
                ..Default::default()
            },
            DescribeInstances {
                page_size: Some(4),
                page_number: Some(9),
                ..Default::default()
            },
            DescribeInstances {
                max_results: Some(2),
                ..Default::default()
            },
            DescribeInstances {
                max_results: Some(4),
                next_token: Some(ids[1].clone()),
                ..Default::default()
            },
            DescribeInstances {
                security_group_id: Some(g.clone()),
                max_results: Some(3),
                ..Default::default()
            },
            DescribeInstances {
                instance_ids: vec![ids[0].clone(), ids[3].clone()],
                ..Default::default()
            },
        ];
        for c in [&ctx, &other] {
            for p in &filters {
                let a = describe_instances(&f.st, c, p);
                assert_eq!(a, describe_instances(&stale, c, p), "{p:?}");
                assert_eq!(a, describe_instances(&reindexed, c, p), "{p:?}");
            }
            let e = DescribeNetworkInterfaces::default();
            assert_eq!(
                describe_network_interfaces(&f.st, c, &e),
                describe_network_interfaces(&stale, c, &e)
            );
        }
        assert_eq!(
            describe_instances(&f.st, &ctx, &filters[0])["TotalCount"],
            6
        );
    }
}
