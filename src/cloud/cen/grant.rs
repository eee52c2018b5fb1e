//! Cross-account VPC attachments (§9.4): the VPC owner grants its VPC to another account's CEN
//! with `GrantInstanceToTransitRouter` (Cbn 2017-09-12, RAM action
//! `cen:GrantInstanceToTransitRouter`, All Resources, access level create) and takes the grant
//! back with `RevokeInstanceFromTransitRouter` (`cen:RevokeInstanceFromTransitRouter`, delete),
//! which Alibaba allows only once the VPC is detached. The CEN owner then attaches the VPC
//! with `CreateTransitRouterVpcAttachment --VpcOwnerId <uid>`, which succeeds only while the
//! grant exists ([`World::check_vpc_grant`]).
//!
//! Documented: the APIs, their parameters (`CenId`, `InstanceId`, `InstanceType`,
//! `RegionId`, `CenOwnerId`, `OrderType`), the RAM actions and the "detach first" rule
//! [U: help.aliyun.com/document_detail/468227, 468228]. **ASSUMED** (the error tables are not
//! in the sources): `DuplicatedGrantRule` for a second grant (the code `GrantInstanceToCbn`
//! documents), `InvalidInstanceId.NotFound`, `IllegalParam.InstanceType` (only `VPC` is
//! modelled; VBR, IPsec and ECR instances do not exist here), `IllegalParam.CenOwnerId`
//! (granting to one's own account), `IllegalParam.OrderType`, `InvalidGrantRule.NotFound`,
//! `OperationFailed.InstanceAttached` and, on the attachment side,
//! `Forbidden.VpcNotGranted`. Also **ASSUMED**: both APIs inject `acs:TargetRDId` /
//! `acs:TargetRDPath` of the *other* account (the CEN owner here, the VPC owner for
//! `CreateTransitRouterVpcAttachment`), by analogy with the peering keys of §9.3, so a
//! control policy can keep a company CEN inside a folder of the Resource Directory.

use super::resources::{AttachKind, TrGrant};
use super::PRODUCT;
use crate::cloud::declare::ParamType::{Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::NetStatus;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `acs:TargetRDId` / `acs:TargetRDPath` of the other account (ASSUMED, see the module docs).
pub(crate) const TARGET_RD: &[&str] = &["acs:TargetRDId", "acs:TargetRDPath"];

/// The TargetRD keys of account `uid`, absent when it is outside every directory (§9.3).
pub(crate) fn rd_keys(world: &World, uid: &str, keys: &mut BTreeMap<String, String>) {
    if let (Some(id), Some(path)) = (world.rd_id(uid), world.rd_path(uid)) {
        keys.insert("acs:TargetRDId".to_string(), id);
        keys.insert("acs:TargetRDPath".to_string(), path);
    }
}

/// The resource type of grant events (the ROS type `ALIYUN::CEN::TransitRouterGrantAttachment`).
const GRANT_TYPE: &str = "ACS::CEN::TransitRouterGrantAttachment";

/// GrantInstanceToTransitRouter: the VPC owner lets CEN `CenId` of account `CenOwnerId`
/// attach VPC `InstanceId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantInstanceToTransitRouter {
    /// `CenId`.
    pub cen_id: String,
    /// `InstanceId`.
    pub instance_id: String,
    /// `InstanceType`.
    pub instance_type: String,
    /// `RegionId`.
    pub region_id: String,
    /// `CenOwnerId`.
    pub cen_owner_id: String,
    /// `OrderType`.
    pub order_type: Option<String>,
}

/// RevokeInstanceFromTransitRouter: the VPC owner takes a grant back (the VPC must be
/// detached from that CEN first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeInstanceFromTransitRouter {
    /// `CenId`.
    pub cen_id: String,
    /// `InstanceId`.
    pub instance_id: String,
    /// `InstanceType`.
    pub instance_type: String,
    /// `RegionId`.
    pub region_id: String,
    /// `CenOwnerId`.
    pub cen_owner_id: String,
}

const GRANT_PARAMS: &[crate::cloud::declare::Param] = &[
    req("CenId", Str),
    req("InstanceId", Str),
    req("InstanceType", Str),
    req("RegionId", Str),
    req("CenOwnerId", Uid),
    opt("OrderType", Str),
];

const REVOKE_PARAMS: &[crate::cloud::declare::Param] = &[
    req("CenId", Str),
    req("InstanceId", Str),
    req("InstanceType", Str),
    req("RegionId", Str),
    req("CenOwnerId", Uid),
];

fn req_uid(p: &Params<'_>, name: &'static str) -> Result<String, CloudError> {
    p.opt_uid(name)?.ok_or_else(|| CloudError::missing(name))
}

impl CloudApi for GrantInstanceToTransitRouter {
    const DECL: ApiDecl = PRODUCT
        .api(
            "GrantInstanceToTransitRouter",
            "cen:GrantInstanceToTransitRouter",
            Create,
        )
        .names(&["InstanceId"])
        .resource_type(GRANT_TYPE)
        .params(GRANT_PARAMS)
        .condition_keys(TARGET_RD);
    type Plan = TrGrant;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(GrantInstanceToTransitRouter {
            cen_id: p.req_str("CenId")?,
            instance_id: p.req_str("InstanceId")?,
            instance_type: p.req_str("InstanceType")?,
            region_id: p.req_str("RegionId")?,
            cen_owner_id: req_uid(p, "CenOwnerId")?,
            order_type: p.opt_str("OrderType")?,
        })
    }
    fn region(&self) -> Option<&str> {
        Some(&self.region_id)
    }
    fn authorize(
        &self,
        w: &World,
        _ctx: &CallContext,
        _now: Timestamp,
        keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        rd_keys(w, &self.cen_owner_id, keys);
        Ok(vec!["*".into()])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<TrGrant, CloudError> {
        w.plan_grant_to_tr(ctx, now, self)
    }
    fn apply(w: &mut World, _now: Timestamp, g: TrGrant) -> Value {
        w.cen
            .grants
            .insert(TrGrant::key(&g.instance_id, &g.cen_id), g);
        json!({})
    }
}

impl CloudApi for RevokeInstanceFromTransitRouter {
    const DECL: ApiDecl = PRODUCT
        .api(
            "RevokeInstanceFromTransitRouter",
            "cen:RevokeInstanceFromTransitRouter",
            Delete,
        )
        .names(&["InstanceId"])
        .resource_type(GRANT_TYPE)
        .params(REVOKE_PARAMS);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(RevokeInstanceFromTransitRouter {
            cen_id: p.req_str("CenId")?,
            instance_id: p.req_str("InstanceId")?,
            instance_type: p.req_str("InstanceType")?,
            region_id: p.req_str("RegionId")?,
            cen_owner_id: req_uid(p, "CenOwnerId")?,
        })
    }
    fn region(&self) -> Option<&str> {
        Some(&self.region_id)
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<String, CloudError> {
        w.plan_revoke_from_tr(ctx, self)
    }
    fn apply(w: &mut World, _now: Timestamp, key: String) -> Value {
        w.cen.grants.remove(&key);
        json!({})
    }
}

fn instance_type(t: &str) -> Result<(), CloudError> {
    if t == "VPC" {
        Ok(())
    } else {
        Err(CloudError::bad(
            "IllegalParam.InstanceType",
            format!("The instance type {t} is not supported (only VPC is modelled)."),
        ))
    }
}

fn instance_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidInstanceId.NotFound",
        format!("The specified instance {id} does not exist."),
    )
}

impl World {
    /// The caller's VPC `id` in `region`, or `InvalidInstanceId.NotFound`.
    fn own_vpc_in(&self, caller: &str, region: &str, id: &str) -> Result<(), CloudError> {
        self.vpcs
            .get(id)
            .filter(|v| v.owner_uid == caller && v.region_id == region)
            .map(|_| ())
            .ok_or_else(|| instance_not_found(id))
    }

    pub(crate) fn plan_grant_to_tr(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &GrantInstanceToTransitRouter,
    ) -> Result<TrGrant, CloudError> {
        let acct = self.caller_account(ctx)?.uid.clone();
        instance_type(&p.instance_type)?;
        let order_type = p
            .order_type
            .clone()
            .unwrap_or_else(|| "PayByCenOwner".into());
        if !matches!(order_type.as_str(), "PayByCenOwner" | "PayByResourceOwner") {
            return Err(CloudError::bad(
                "IllegalParam.OrderType",
                format!("The order type {order_type} is invalid."),
            ));
        }
        if p.cen_owner_id == acct {
            return Err(CloudError::bad(
                "IllegalParam.CenOwnerId",
                "A network instance is granted to a CEN of another account only.",
            ));
        }
        self.own_vpc_in(&acct, &p.region_id, &p.instance_id)?;
        if self
            .vpcs
            .get(&p.instance_id)
            .is_some_and(|v| v.lifecycle.at(now) != NetStatus::Available)
        {
            return Err(CloudError::bad(
                "IncorrectStatus.Vpc",
                format!("The status of VPC {} is incorrect.", p.instance_id),
            ));
        }
        if self
            .cen
            .grants
            .contains_key(&TrGrant::key(&p.instance_id, &p.cen_id))
        {
            return Err(CloudError::bad(
                "DuplicatedGrantRule",
                "The specified privilege granting rule already exists.",
            ));
        }
        Ok(TrGrant {
            instance_id: p.instance_id.clone(),
            instance_type: p.instance_type.clone(),
            region_id: p.region_id.clone(),
            owner_uid: acct,
            cen_id: p.cen_id.clone(),
            cen_owner_uid: p.cen_owner_id.clone(),
            order_type,
            creation_time: now,
        })
    }

    pub(crate) fn plan_revoke_from_tr(
        &self,
        ctx: &CallContext,
        p: &RevokeInstanceFromTransitRouter,
    ) -> Result<String, CloudError> {
        let acct = self.caller_account(ctx)?.uid.clone();
        instance_type(&p.instance_type)?;
        self.own_vpc_in(&acct, &p.region_id, &p.instance_id)?;
        let key = TrGrant::key(&p.instance_id, &p.cen_id);
        if self
            .cen
            .grants
            .get(&key)
            .is_none_or(|g| g.cen_owner_uid != p.cen_owner_id)
        {
            return Err(CloudError::not_found(
                "InvalidGrantRule.NotFound",
                "The specified privilege granting rule does not exist.",
            ));
        }
        if self.attachments_of_vpc(&p.instance_id).any(|a| {
            a.cen_id == p.cen_id
                && matches!(&a.kind, AttachKind::Vpc { vpc_id, .. } if vpc_id == &p.instance_id)
        }) {
            return Err(CloudError::bad(
                "OperationFailed.InstanceAttached",
                format!(
                    "The instance {} is still attached to the CEN; delete the attachment first.",
                    p.instance_id
                ),
            ));
        }
        Ok(key)
    }

    /// The grant rule of `CreateTransitRouterVpcAttachment` with `VpcOwnerId`: VPC `vpc_id`
    /// of another account may join CEN `cen_id` of `cen_owner` only while its owner's grant
    /// exists.
    pub(crate) fn check_vpc_grant(
        &self,
        vpc_id: &str,
        cen_id: &str,
        cen_owner: &str,
    ) -> Result<(), CloudError> {
        let granted = self
            .cen
            .grants
            .get(&TrGrant::key(vpc_id, cen_id))
            .is_some_and(|g| g.cen_owner_uid == cen_owner);
        if granted {
            Ok(())
        } else {
            Err(CloudError::bad(
                "Forbidden.VpcNotGranted",
                format!(
                    "The VPC {vpc_id} of another account has not been granted to CEN {cen_id}: its owner must call GrantInstanceToTransitRouter first."
                ),
            ))
        }
    }
}
