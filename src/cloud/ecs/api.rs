//! The Ecs product's instance and ENI APIs, each declared once: typed parameters (Alibaba's
//! names), RAM action and ARNs, response shape, and the calls into their checks (`plan_*`)
//! and effects (`apply_*`) in `instance.rs` / `eni.rs`. Spec: `network-model.md` §7.1, §7.2,
//! §9.2 (ECS rows), §9.5, §10.
//!
//! The order of a call (§0.4.10): decode (parameter syntax) → authorize (the referenced
//! vSwitch, security groups and instances exist and are the caller's, then the concrete ARNs)
//! → RAM → plan (every rule of the domain layer, DryRun last) → apply (cannot fail).
//!
//! StartInstance, StopInstance and DeleteInstance name no region in Alibaba's reference: the
//! instance's own region is used (a `RegionId`, which the aliyun CLI sends anyway, must then
//! match it, else the instance is not found — ASSUMED).

use super::eni::{describe_network_interfaces, DescribeNetworkInterfaces as EniFilter, EniType};
use super::instance::{
    apply_delete_instance, apply_run_instances, apply_tags, apply_transition, check_tags,
    describe_instances, plan_delete_instance, plan_run_instances, plan_start_instance,
    plan_stop_instance, plan_tag_instance, plan_untag_instance, run_security_group, run_vswitch,
    DeleteInstancePlan, DescribeInstances as InstanceFilter, Instance, InstanceStatus,
    RunInstances as RunParams, RunInstancesPlan, TagParam, TagPlan, TransitionPlan,
};
use super::{errors, OpCtx, PRODUCT};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::timers::Timer;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// At most this many `ResourceId.N` per TagResources/UntagResources call ([M-ecs]: 1–50).
const MAX_TAG_RESOURCES: usize = 50;
/// At most this many ids in DescribeInstances' `InstanceIds` ([M-ecs]: 100).
const MAX_INSTANCE_IDS: usize = 100;
/// At most this many `TagKey.N` per UntagResources call ([M-ecs]: 1–20).
const MAX_TAG_KEYS: usize = 20;

/// The context the domain layer works with: the caller, the region acted in, the time and
/// the world's settle mode.
fn op_ctx(w: &World, ctx: &CallContext, region: &str, now: Timestamp) -> OpCtx {
    OpCtx {
        caller: ctx.caller_account.clone(),
        region_id: region.to_string(),
        now,
        stepped: w.stepped(),
        settle_delay_secs: w.options.settle_delay_secs,
    }
}

/// The caller's instance `id` (of `region` when the request names one), else
/// `InvalidInstanceId.NotFound` (§0.4.2: another account's or region's instance is "not
/// found" too).
fn own_instance<'w>(
    w: &'w World,
    ctx: &CallContext,
    region: Option<&str>,
    id: &str,
) -> Result<&'w Instance, CloudError> {
    w.ecs
        .instance(id)
        .filter(|i| i.owner_uid == ctx.caller_account)
        .filter(|i| region.is_none_or(|r| r == i.region_id))
        .ok_or_else(|| errors::instance_not_found(id))
}

/// `acs:ecs:{region}:{owner}:instance/{id}`.
fn instance_arn(i: &Instance) -> String {
    format!(
        "acs:ecs:{}:{}:instance/{}",
        i.region_id, i.owner_uid, i.instance_id
    )
}

/// `Tag.N.Key` / `Tag.N.Value` pairs as received (a value without a key is kept, so that the
/// tag rules can refuse it).
fn tag_params(p: &Params<'_>) -> Result<Vec<TagParam>, CloudError> {
    let mut out = Vec::new();
    for m in p.list_obj("Tag") {
        let mp = Params::new(&m);
        out.push(TagParam {
            key: mp.opt_str("Key")?,
            value: mp.opt_str("Value")?,
        });
        if let Some((field, _)) = mp.unknown() {
            return Err(CloudError::invalid_param(
                "Tag.N",
                &format!("`{field}` is not a field of a tag (Key, Value)"),
            ));
        }
    }
    Ok(out)
}

/// `ResourceType`: the model tags instances only (ASSUMED code for any other type).
fn check_resource_type(t: &str) -> Result<(), CloudError> {
    if t == "instance" {
        Ok(())
    } else {
        Err(CloudError::bad(
            "InvalidResourceType.NotSupported",
            format!("The resource type `{t}` is not supported; the model tags `instance` only."),
        ))
    }
}

/// `ResourceId.N`: 1–50 ids (`MissingParameter.ResourceId`, `InvalidParameter.ResourceId`).
fn resource_ids(p: &Params<'_>) -> Result<Vec<String>, CloudError> {
    let ids = p.list_str("ResourceId")?;
    if ids.is_empty() {
        return Err(CloudError::missing("ResourceId.N"));
    }
    if ids.len() > MAX_TAG_RESOURCES {
        return Err(CloudError::invalid_param(
            "ResourceId",
            &format!("at most {MAX_TAG_RESOURCES} resources per call"),
        ));
    }
    Ok(ids)
}

/// One row per instance the paged describe shapes share.
const fn paged(list: &'static str) -> [&'static str; 5] {
    ["TotalCount", "PageNumber", "PageSize", "NextToken", list]
}
const DESCRIBE_INSTANCES: [&str; 5] = paged("Instances");
const DESCRIBE_ENIS: [&str; 5] = paged("NetworkInterfaceSets");

/// The paging parameters: `PageNumber` (≥ 1), `PageSize` (1–100), `MaxResults` (1–100),
/// `NextToken` (ASSUMED bounds for the last two, as DescribeInstances documents them).
fn paging(p: &Params<'_>) -> Result<(i64, i64, Option<i64>, Option<String>), CloudError> {
    let number = p.page("PageNumber", 1, i64::from(i32::MAX))?;
    let size = p.page("PageSize", 10, 100)?;
    let max = match p.opt_i64("MaxResults")? {
        None => None,
        Some(_) => Some(p.page("MaxResults", 10, 100)?),
    };
    Ok((number, size, max, p.opt_str("NextToken")?))
}

// ---- RunInstances --------------------------------------------------------------------------

/// RunInstances (§7.1): instances with their primary ENIs in one vSwitch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInstances {
    /// `RegionId`.
    pub region_id: String,
    /// The domain parameters (`ZoneId`, `VSwitchId`, `SecurityGroupId` + `SecurityGroupIds.N`,
    /// `PrivateIpAddress`, `InstanceType`, `ImageId`, `InstanceName`, `Amount`, `Tag.N.*`,
    /// `DryRun`).
    pub params: RunParams,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for RunInstances {
    const DECL: ApiDecl = PRODUCT
        .api("RunInstances", "ecs:RunInstances", Create)
        .names(&["/InstanceIdSets/InstanceIdSet"])
        .resource_type("ACS::ECS::Instance")
        .params(&[
            req("RegionId", Str),
            opt("ZoneId", Str),
            opt("VSwitchId", Str),
            opt("SecurityGroupId", Str),
            opt("SecurityGroupIds.N", Str),
            opt("PrivateIpAddress", Str),
            opt("InstanceType", Str),
            opt("ImageId", Str),
            opt("InstanceName", Str),
            opt("Amount", Int),
            opt("Tag.N.Key", Str),
            opt("Tag.N.Value", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&[
            "acs:ecs:{region}:{account}:instance/*",
            "acs:ecs:{region}:{account}:securitygroup/{SecurityGroupId}",
            "acs:vpc:{region}:{account}:vswitch/{VSwitchId}",
        ])
        .response(&["InstanceIdSets"]);
    type Plan = RunInstancesPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let region_id = p.req_str("RegionId")?;
        // `SecurityGroupId` and `SecurityGroupIds.N` are one list here (ASSUMED: Alibaba
        // documents them as alternatives).
        let mut groups: Vec<String> = p.opt_str("SecurityGroupId")?.into_iter().collect();
        groups.extend(p.list_str("SecurityGroupIds")?);
        // Out-of-range values reach the plan's `InvalidParam.Amount` check.
        let amount = p.opt_i64("Amount")?.map(|n| u32::try_from(n).unwrap_or(0));
        Ok(RunInstances {
            region_id,
            params: RunParams {
                zone_id: p.opt_str("ZoneId")?,
                vswitch_id: p.opt_str("VSwitchId")?,
                security_group_ids: groups,
                private_ip_address: p.opt_str("PrivateIpAddress")?,
                instance_type: p.opt_str("InstanceType")?,
                image_id: p.opt_str("ImageId")?,
                instance_name: p.opt_str("InstanceName")?,
                amount,
                tags: tag_params(p)?,
                dry_run: p.flag("DryRun")?,
            },
            client_token: p.client_token()?,
        })
    }
    region_accessors!();
    fn dry_run(&self) -> bool {
        self.params.dry_run
    }
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        let c = op_ctx(w, ctx, &self.region_id, now);
        let net = w.net_refs();
        let vsw = run_vswitch(&net, &c, self.params.vswitch_id.as_deref())?;
        if self.params.security_group_ids.is_empty() {
            return Err(CloudError::missing("SecurityGroupId"));
        }
        let r = &self.region_id;
        let a = &ctx.caller_account;
        let mut arns = vec![format!("acs:ecs:{r}:{a}:instance/*")];
        for sg in &self.params.security_group_ids {
            let g = run_security_group(&w.ecs, &c, sg)?;
            let arn = format!(
                "acs:ecs:{r}:{}:securitygroup/{}",
                g.owner_uid, g.security_group_id
            );
            if !arns.contains(&arn) {
                arns.push(arn);
            }
        }
        // The vSwitch's owner is the VPC's (a shared VPC's vSwitch belongs to its owner).
        let owner = w
            .vpc(&vsw.vpc_id)
            .map_or(a.as_str(), |v| v.owner_uid.as_str());
        arns.push(format!("acs:vpc:{r}:{owner}:vswitch/{}", vsw.vswitch_id));
        Ok(arns)
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = op_ctx(w, ctx, &self.region_id, now);
        plan_run_instances(&w.ecs, &w.net_refs(), &c, &self.params)
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        let out = apply_run_instances(&mut w.ecs, &mut w.ids, plan);
        for id in &out.instance_ids {
            w.track(Timer::Instance(id.clone()));
        }
        json!({"InstanceIdSets": {"InstanceIdSet": out.instance_ids}})
    }
}

// ---- StartInstance / StopInstance / DeleteInstance ---------------------------------------

/// StartInstance: `Stopped → (Starting →) Running`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartInstance {
    /// `InstanceId`.
    pub instance_id: String,
    /// `RegionId` (optional, see the module note).
    pub region_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
}

/// StopInstance: `Running → (Stopping →) Stopped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopInstance {
    /// `InstanceId`.
    pub instance_id: String,
    /// `RegionId` (optional, see the module note).
    pub region_id: Option<String>,
    /// `ForceStop` (accepted; the model has no guest OS to stop gracefully).
    pub force_stop: bool,
    /// `DryRun`.
    pub dry_run: bool,
}

/// DeleteInstance: a `Stopped` instance, or a `Running` one with `Force=true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteInstance {
    /// `InstanceId`.
    pub instance_id: String,
    /// `RegionId` (optional, see the module note).
    pub region_id: Option<String>,
    /// `Force`.
    pub force: bool,
    /// `DryRun`.
    pub dry_run: bool,
}

/// The shared authorize/plan steps of the three single-instance writes.
macro_rules! instance_write {
    () => {
        fn region(&self) -> Option<&str> {
            self.region_id.as_deref()
        }
        fn event_region(&self, w: &World, account: &str) -> Option<String> {
            w.ecs
                .instances
                .get(self.instance_id.as_str())
                .filter(|i| i.owner_uid == account)
                .map(|i| String::from(&i.region_id))
        }
        fn dry_run(&self) -> bool {
            self.dry_run
        }
        fn authorize(
            &self,
            w: &World,
            ctx: &CallContext,
            _now: Timestamp,
            _keys: &mut BTreeMap<String, String>,
        ) -> Result<Vec<String>, CloudError> {
            if let Some(r) = &self.region_id {
                w.known_region(r)?;
            }
            let i = own_instance(w, ctx, self.region_id.as_deref(), &self.instance_id)?;
            Ok(vec![instance_arn(i)])
        }
    };
}

/// The instance's region as the domain context, after the same lookup `authorize` made.
fn instance_ctx(
    w: &World,
    ctx: &CallContext,
    region: Option<&str>,
    id: &str,
    now: Timestamp,
) -> Result<OpCtx, CloudError> {
    let i = own_instance(w, ctx, region, id)?;
    Ok(op_ctx(w, ctx, &i.region_id, now))
}

fn dry_run_gate<T>(dry_run: bool, plan: T) -> Result<T, CloudError> {
    if dry_run {
        Err(CloudError::dry_run())
    } else {
        Ok(plan)
    }
}

impl CloudApi for StartInstance {
    const DECL: ApiDecl = PRODUCT
        .api("StartInstance", "ecs:StartInstance", Update)
        .names(&["InstanceId"])
        .resource_type("ACS::ECS::Instance")
        .params(&[req("InstanceId", Str), opt("DryRun", Bool)])
        .resources(&["acs:ecs:{region}:{account}:instance/{InstanceId}"]);
    type Plan = TransitionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(StartInstance {
            instance_id: p.req_str("InstanceId")?,
            region_id: p.opt_str("RegionId")?,
            dry_run: p.flag("DryRun")?,
        })
    }
    instance_write!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = instance_ctx(w, ctx, self.region_id.as_deref(), &self.instance_id, now)?;
        dry_run_gate(
            self.dry_run,
            plan_start_instance(&w.ecs, &c, &self.instance_id)?,
        )
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        let id = plan.instance_id.clone();
        apply_transition(&mut w.ecs, plan);
        w.track(Timer::Instance(id));
        json!({})
    }
}

impl CloudApi for StopInstance {
    const DECL: ApiDecl = PRODUCT
        .api("StopInstance", "ecs:StopInstance", Update)
        .names(&["InstanceId"])
        .resource_type("ACS::ECS::Instance")
        .params(&[
            req("InstanceId", Str),
            opt("ForceStop", Bool),
            opt("DryRun", Bool),
        ])
        .resources(&["acs:ecs:{region}:{account}:instance/{InstanceId}"]);
    type Plan = TransitionPlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(StopInstance {
            instance_id: p.req_str("InstanceId")?,
            region_id: p.opt_str("RegionId")?,
            force_stop: p.flag("ForceStop")?,
            dry_run: p.flag("DryRun")?,
        })
    }
    instance_write!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = instance_ctx(w, ctx, self.region_id.as_deref(), &self.instance_id, now)?;
        dry_run_gate(
            self.dry_run,
            plan_stop_instance(&w.ecs, &c, &self.instance_id)?,
        )
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        let id = plan.instance_id.clone();
        apply_transition(&mut w.ecs, plan);
        w.track(Timer::Instance(id));
        json!({})
    }
}

impl CloudApi for DeleteInstance {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteInstance", "ecs:DeleteInstance", Delete)
        .names(&["InstanceId"])
        .resource_type("ACS::ECS::Instance")
        .params(&[
            req("InstanceId", Str),
            opt("Force", Bool),
            opt("DryRun", Bool),
        ])
        .resources(&["acs:ecs:{region}:{account}:instance/{InstanceId}"]);
    type Plan = DeleteInstancePlan;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteInstance {
            instance_id: p.req_str("InstanceId")?,
            region_id: p.opt_str("RegionId")?,
            force: p.flag("Force")?,
            dry_run: p.flag("DryRun")?,
        })
    }
    instance_write!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = instance_ctx(w, ctx, self.region_id.as_deref(), &self.instance_id, now)?;
        dry_run_gate(
            self.dry_run,
            plan_delete_instance(&w.ecs, &c, &self.instance_id, self.force)?,
        )
    }
    fn apply(w: &mut World, _now: Timestamp, plan: Self::Plan) -> Value {
        apply_delete_instance(&mut w.ecs, plan);
        json!({})
    }
}

// ---- DescribeInstances / DescribeNetworkInterfaces ----------------------------------------

/// DescribeInstances: the caller's instances of the region, filtered, paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeInstances {
    /// `RegionId`.
    pub region_id: String,
    /// The filters and paging.
    pub filter: InstanceFilter,
}

impl CloudApi for DescribeInstances {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeInstances", "ecs:DescribeInstances", List)
        .names(&["VpcId", "VSwitchId", "SecurityGroupId"])
        .resource_type("ACS::ECS::Instance")
        .params(&[
            req("RegionId", Str),
            opt("InstanceIds", Str),
            opt("VpcId", Str),
            opt("VSwitchId", Str),
            opt("ZoneId", Str),
            opt("SecurityGroupId", Str),
            opt("Status", Str),
            opt("InstanceName", Str),
            opt("Tag.N.Key", Str),
            opt("Tag.N.Value", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .resources(&["acs:ecs:{region}:{account}:instance/*"])
        .response(&DESCRIBE_INSTANCES);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let region_id = p.req_str("RegionId")?;
        // `InstanceIds` is a JSON array in a string, as Alibaba takes it (`["i-1","i-2"]`),
        // at most 100 ids.
        let instance_ids = p
            .id_list("InstanceIds", MAX_INSTANCE_IDS)
            .map_err(|_| {
                CloudError::bad(
                    "InvalidInstanceIds.Malformed",
                    "The specified parameter InstanceIds is not valid: a JSON array of at most 100 instance ids is expected.",
                )
            })?
            .unwrap_or_default();
        let status = p.opt_str("Status")?;
        if let Some(s) = &status {
            const ALL: [InstanceStatus; 5] = [
                InstanceStatus::Pending,
                InstanceStatus::Starting,
                InstanceStatus::Running,
                InstanceStatus::Stopping,
                InstanceStatus::Stopped,
            ];
            if !ALL.iter().any(|x| x.as_str() == s) {
                return Err(CloudError::invalid_param(
                    "Status",
                    "one of Pending, Starting, Running, Stopping, Stopped",
                ));
            }
        }
        let (page_number, page_size, max_results, next_token) = paging(p)?;
        Ok(DescribeInstances {
            region_id,
            filter: InstanceFilter {
                instance_ids,
                vpc_id: p.opt_str("VpcId")?,
                vswitch_id: p.opt_str("VSwitchId")?,
                security_group_id: p.opt_str("SecurityGroupId")?,
                status,
                zone_id: p.opt_str("ZoneId")?,
                instance_name: p.opt_str("InstanceName")?,
                tags: tag_params(p)?,
                page_number: Some(page_number),
                page_size: Some(page_size),
                max_results,
                next_token,
            },
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![format!(
            "acs:ecs:{}:{}:instance/*",
            self.region_id, ctx.caller_account
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = op_ctx(w, ctx, &self.region_id, now);
        Ok(describe_instances(&w.ecs, &c, &self.filter))
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}

/// DescribeNetworkInterfaces: the caller's ENIs of the region (primary and service-managed),
/// filtered, paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeNetworkInterfaces {
    /// `RegionId`.
    pub region_id: String,
    /// The filters and paging.
    pub filter: EniFilter,
}

impl CloudApi for DescribeNetworkInterfaces {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DescribeNetworkInterfaces",
            "ecs:DescribeNetworkInterfaces",
            List,
        )
        .names(&["InstanceId", "VpcId", "VSwitchId", "SecurityGroupId"])
        .resource_type("ACS::ECS::NetworkInterface")
        .params(&[
            req("RegionId", Str),
            opt("NetworkInterfaceId.N", Str),
            opt("VpcId", Str),
            opt("VSwitchId", Str),
            opt("InstanceId", Str),
            opt("SecurityGroupId", Str),
            opt("PrimaryIpAddress", Str),
            opt("Type", Str),
            opt("PageNumber", Int),
            opt("PageSize", Int),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .resources(&["acs:ecs:{region}:{account}:networkinterface/*"])
        .response(&DESCRIBE_ENIS);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let region_id = p.req_str("RegionId")?;
        let eni_type = match p.opt_str("Type")?.as_deref() {
            None => None,
            Some("Primary") => Some(EniType::Primary),
            Some("Secondary") => Some(EniType::Secondary),
            Some(_) => {
                return Err(CloudError::invalid_param(
                    "Type",
                    "one of Primary, Secondary",
                ))
            }
        };
        let (page_number, page_size, max_results, next_token) = paging(p)?;
        Ok(DescribeNetworkInterfaces {
            region_id,
            filter: EniFilter {
                network_interface_ids: p.list_str("NetworkInterfaceId")?,
                vpc_id: p.opt_str("VpcId")?,
                vswitch_id: p.opt_str("VSwitchId")?,
                instance_id: p.opt_str("InstanceId")?,
                security_group_id: p.opt_str("SecurityGroupId")?,
                primary_ip_address: p.opt_str("PrimaryIpAddress")?,
                eni_type,
                page_number: Some(page_number),
                page_size: Some(page_size),
                max_results,
                next_token,
            },
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![format!(
            "acs:ecs:{}:{}:networkinterface/*",
            self.region_id, ctx.caller_account
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = op_ctx(w, ctx, &self.region_id, now);
        Ok(describe_network_interfaces(&w.ecs, &c, &self.filter))
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}

// ---- TagResources / UntagResources ---------------------------------------------------------

/// TagResources (`ResourceType=instance`): adds or replaces tags; `ramsim:listening` sets
/// what the instance listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagResources {
    /// `RegionId`.
    pub region_id: String,
    /// `ResourceType` (`instance`).
    pub resource_type: String,
    /// `ResourceId.N` (1–50).
    pub resource_ids: Vec<String>,
    /// `Tag.N.Key` / `Tag.N.Value` (1–20).
    pub tags: Vec<TagParam>,
}

impl CloudApi for TagResources {
    const DECL: ApiDecl = PRODUCT
        .api("TagResources", "ecs:TagResources", Update)
        .names(&["ResourceId.1"])
        .resource_type("ACS::ECS::Instance")
        .params(&[
            req("RegionId", Str),
            req("ResourceType", Str),
            opt("ResourceId.N", Str),
            opt("Tag.N.Key", Str),
            opt("Tag.N.Value", Str),
        ])
        .resources(&["acs:ecs:{region}:{account}:instance/{ResourceId}"]);
    type Plan = Vec<TagPlan>;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let region_id = p.req_str("RegionId")?;
        let resource_type = p.req_str("ResourceType")?;
        let resource_ids = resource_ids(p)?;
        let tags = tag_params(p)?;
        check_resource_type(&resource_type)?;
        if tags.is_empty() {
            return Err(CloudError::missing("Tag.N"));
        }
        Ok(TagResources {
            region_id,
            resource_type,
            resource_ids,
            tags,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        self.resource_ids
            .iter()
            .map(|id| own_instance(w, ctx, Some(&self.region_id), id).map(instance_arn))
            .collect()
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = op_ctx(w, ctx, &self.region_id, now);
        for id in &self.resource_ids {
            super::instance::visible_instance(&w.ecs, &c, id)?;
        }
        let new = check_tags(&self.tags)?;
        let mut plans: Vec<TagPlan> = Vec::with_capacity(self.resource_ids.len());
        for id in &self.resource_ids {
            // A resource named twice is tagged once.
            if plans.iter().all(|p| p.instance_id != *id) {
                plans.push(plan_tag_instance(&w.ecs, &c, id, &new)?);
            }
        }
        Ok(plans)
    }
    fn apply(w: &mut World, _now: Timestamp, plans: Self::Plan) -> Value {
        for plan in plans {
            apply_tags(&mut w.ecs, plan);
        }
        json!({})
    }
}

/// UntagResources (`ResourceType=instance`): removes tags by key (`TagKey.N`), or all of them
/// (`All=true`); removing `ramsim:listening` empties what the instance listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UntagResources {
    /// `RegionId`.
    pub region_id: String,
    /// `ResourceType` (`instance`).
    pub resource_type: String,
    /// `ResourceId.N` (1–50).
    pub resource_ids: Vec<String>,
    /// `TagKey.N` (≤ 20).
    pub tag_keys: Vec<String>,
    /// `All`: every tag, when no `TagKey.N` is given.
    pub all: bool,
}

impl CloudApi for UntagResources {
    const DECL: ApiDecl = PRODUCT
        .api("UntagResources", "ecs:UntagResources", Update)
        .names(&["ResourceId.1"])
        .resource_type("ACS::ECS::Instance")
        .params(&[
            req("RegionId", Str),
            req("ResourceType", Str),
            opt("ResourceId.N", Str),
            opt("TagKey.N", Str),
            opt("All", Bool),
        ])
        .resources(&["acs:ecs:{region}:{account}:instance/{ResourceId}"]);
    type Plan = Vec<TagPlan>;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let region_id = p.req_str("RegionId")?;
        let resource_type = p.req_str("ResourceType")?;
        let resource_ids = resource_ids(p)?;
        let tag_keys = p.list_str("TagKey")?;
        let all = p.flag("All")?;
        check_resource_type(&resource_type)?;
        if tag_keys.len() > MAX_TAG_KEYS {
            return Err(CloudError::bad(
                "NumberExceed.TagKey",
                format!("At most {MAX_TAG_KEYS} tag keys can be given."),
            ));
        }
        // ASSUMED: neither keys nor `All` is refused rather than removing nothing.
        if tag_keys.is_empty() && !all {
            return Err(CloudError::missing("TagKey.N"));
        }
        Ok(UntagResources {
            region_id,
            resource_type,
            resource_ids,
            tag_keys,
            all,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        self.resource_ids
            .iter()
            .map(|id| own_instance(w, ctx, Some(&self.region_id), id).map(instance_arn))
            .collect()
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        let c = op_ctx(w, ctx, &self.region_id, now);
        let all = self.all && self.tag_keys.is_empty();
        let mut plans: Vec<TagPlan> = Vec::with_capacity(self.resource_ids.len());
        for id in &self.resource_ids {
            if plans.iter().all(|p| p.instance_id != *id) {
                plans.push(plan_untag_instance(&w.ecs, &c, id, &self.tag_keys, all)?);
            }
        }
        Ok(plans)
    }
    fn apply(w: &mut World, _now: Timestamp, plans: Self::Plan) -> Value {
        for plan in plans {
            apply_tags(&mut w.ecs, plan);
        }
        json!({})
    }
}
