//! The VpcPeer product's APIs, each declared once: typed parameters, RAM action and ARNs,
//! injected keys, dependent actions, response shape, and the calls into its checks and effects
//! (`ops.rs`). Spec: `network-model.md` §3.3, §9.2.

use super::ops::PeeringView;
use super::{Peering, PRODUCT};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Bool, Int, Str, Uid};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::response::Response;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `acs:TargetRDId` / `acs:TargetRDPath` of the peer account (§9.3).
const TARGET_RD: &[&str] = &["acs:TargetRDId", "acs:TargetRDPath"];

/// The peering's ARN (§9.2: VpcPeer resources are global, `*` region).
fn peer_arn(account: &str, id: &str) -> Vec<String> {
    vec![format!("acs:vpc:*:{account}:vpcpeer/{id}")]
}

/// The TargetRD keys of `peer`'s account, absent when it is outside every directory (§9.3).
fn rd_keys(world: &World, peer: &str, keys: &mut BTreeMap<String, String>) {
    if let (Some(id), Some(path)) = (world.rd_id(peer), world.rd_path(peer)) {
        keys.insert("acs:TargetRDId".to_string(), id);
        keys.insert("acs:TargetRDPath".to_string(), path);
    }
}

/// Global APIs log the caller side's region (§10.1).
fn caller_side_region(world: &World, id: &str, account: &str) -> Option<String> {
    let p: &Peering = world.peering(id)?;
    Some(if p.owner_uid == account {
        p.region_id.clone()
    } else {
        p.accepting_region_id.clone()
    })
}

fn tags(p: &Params<'_>) -> Vec<(String, String)> {
    p.list_obj("Tag")
        .into_iter()
        .filter_map(|m| {
            let k = m.get("Key").and_then(Value::as_str)?.to_string();
            let v = m
                .get("Value")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            Some((k, v))
        })
        .collect()
}

/// Fields of one peering in Get/List answers.
const PEERING_FIELDS: &[&str] = &[
    "InstanceId",
    "GmtCreate",
    "GmtModified",
    "Name",
    "Description",
    "OwnerId",
    "AcceptingOwnerUid",
    "RegionId",
    "AcceptingRegionId",
    "Bandwidth",
    "Status",
    "BizStatus",
    "GmtExpired",
    "ResourceGroupId",
    "LinkType",
    "Vpc",
    "AcceptingVpc",
    "Tags",
];

/// CreateVpcPeerConnection (§3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpcPeerConnection {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `AcceptingAliUid`.
    pub accepting_ali_uid: String,
    /// `AcceptingRegionId`.
    pub accepting_region_id: String,
    /// `AcceptingVpcId`.
    pub accepting_vpc_id: String,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<i64>,
    /// `LinkType`.
    pub link_type: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `Tag.N.Key/Value`.
    pub tags: Vec<(String, String)>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for CreateVpcPeerConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateVpcPeerConnection",
            "vpc:CreateVpcPeerConnection",
            Create,
        )
        .names(&["InstanceId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[
            req("RegionId", Str),
            req("VpcId", Str),
            req("AcceptingAliUid", Uid),
            req("AcceptingRegionId", Str),
            req("AcceptingVpcId", Str),
            opt("Name", Str),
            opt("Description", Str),
            opt("Bandwidth", Int),
            opt("LinkType", Str),
            opt("ResourceGroupId", Str),
            opt("Tag.N.Key", Str),
            opt("Tag.N.Value", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .condition_keys(TARGET_RD)
        .dependent(&[("cdt:GetCdtServiceStatus", "*")])
        .response(&["InstanceId"]);
    type Plan = (Peering, Option<String>);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateVpcPeerConnection {
            region_id: p.req_str("RegionId")?,
            vpc_id: p.req_str("VpcId")?,
            accepting_ali_uid: p
                .opt_uid("AcceptingAliUid")?
                .ok_or_else(|| CloudError::missing("AcceptingAliUid"))?,
            accepting_region_id: p.req_str("AcceptingRegionId")?,
            accepting_vpc_id: p.req_str("AcceptingVpcId")?,
            name: p.opt_str("Name")?,
            description: p.opt_str("Description")?,
            bandwidth: p.opt_i64("Bandwidth")?,
            link_type: p.opt_str("LinkType")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
            tags: tags(p),
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    region_accessors!(dry_run, client_token);
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.create_peer_pre(ctx, self)?;
        rd_keys(w, &self.accepting_ali_uid, keys);
        Ok(vec!["*".into()])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_create_peer(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, (peering, open_cdt_for): Self::Plan) -> Value {
        w.apply_create_peer(now, peering, open_cdt_for)
    }
}

/// AcceptVpcPeerConnection (§3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for AcceptVpcPeerConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "AcceptVpcPeerConnection",
            "vpc:AcceptVpcPeerConnection",
            Create,
        )
        .names_in_request(&["InstanceId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[
            req("InstanceId", Str),
            opt("ResourceGroupId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .condition_keys(TARGET_RD);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(AcceptVpcPeerConnection {
            instance_id: p.req_str("InstanceId")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    fn dry_run(&self) -> bool {
        self.dry_run
    }
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn event_region(&self, w: &World, account: &str) -> Option<String> {
        caller_side_region(w, &self.instance_id, account)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        now: Timestamp,
        keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let peering = w.accept_pre(ctx, now, &self.instance_id)?;
        rd_keys(w, &peering.owner_uid, keys);
        Ok(vec!["*".into()])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_accept_peer(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, id: Self::Plan) -> Value {
        w.apply_accept_peer(now, &id)
    }
}

/// RejectVpcPeerConnection (§3.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for RejectVpcPeerConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "RejectVpcPeerConnection",
            "vpc:RejectVpcPeerConnection",
            Update,
        )
        .names(&["InstanceId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[
            req("InstanceId", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:vpc:*:{account}:vpcpeer/{InstanceId}"]);
    type Plan = String;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(RejectVpcPeerConnection {
            instance_id: p.req_str("InstanceId")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    fn dry_run(&self) -> bool {
        self.dry_run
    }
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn event_region(&self, w: &World, account: &str) -> Option<String> {
        caller_side_region(w, &self.instance_id, account)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.accept_pre(ctx, now, &self.instance_id)?;
        Ok(peer_arn(&ctx.caller_account, &self.instance_id))
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_reject_peer(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, id: Self::Plan) -> Value {
        w.apply_reject_peer(now, &id)
    }
}

/// ModifyVpcPeerConnection (§3.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifyVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<i64>,
    /// `LinkType`.
    pub link_type: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for ModifyVpcPeerConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "ModifyVpcPeerConnection",
            "vpc:ModifyVpcPeerConnection",
            Update,
        )
        .names(&["InstanceId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[
            req("InstanceId", Str),
            opt("Name", Str),
            opt("Description", Str),
            opt("Bandwidth", Int),
            opt("LinkType", Str),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ])
        .resources(&["acs:vpc:*:{account}:vpcpeer/{InstanceId}"]);
    type Plan = (String, ModifyVpcPeerConnection);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ModifyVpcPeerConnection {
            instance_id: p.req_str("InstanceId")?,
            name: p.opt_str("Name")?,
            description: p.opt_str("Description")?,
            bandwidth: p.opt_i64("Bandwidth")?,
            link_type: p.opt_str("LinkType")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    fn dry_run(&self) -> bool {
        self.dry_run
    }
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn event_region(&self, w: &World, account: &str) -> Option<String> {
        caller_side_region(w, &self.instance_id, account)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.modify_pre(ctx, now, &self.instance_id)?;
        Ok(peer_arn(&ctx.caller_account, &self.instance_id))
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_modify_peer(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, (id, op): Self::Plan) -> Value {
        w.apply_modify_peer(now, &id, op)
    }
}

/// DeleteVpcPeerConnection (§3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `Force`.
    pub force: bool,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

impl CloudApi for DeleteVpcPeerConnection {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DeleteVpcPeerConnection",
            "vpc:DeleteVpcPeerConnection",
            Delete,
        )
        .names(&["InstanceId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[
            req("InstanceId", Str),
            opt("Force", Bool),
            opt("DryRun", Bool),
            opt("ClientToken", Str),
        ]);
    type Plan = (String, Vec<String>);

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteVpcPeerConnection {
            instance_id: p.req_str("InstanceId")?,
            force: p.flag("Force")?,
            dry_run: p.flag("DryRun")?,
            client_token: p.client_token()?,
        })
    }
    fn dry_run(&self) -> bool {
        self.dry_run
    }
    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
    fn event_region(&self, w: &World, account: &str) -> Option<String> {
        caller_side_region(w, &self.instance_id, account)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.modify_pre(ctx, now, &self.instance_id)?;
        Ok(vec!["*".into()])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.plan_delete_peer(ctx, now, self)
    }
    fn apply(w: &mut World, now: Timestamp, (id, routes): Self::Plan) -> Value {
        w.apply_delete_peer(now, &id, routes)
    }
}

/// GetVpcPeerConnectionAttribute (§3.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetVpcPeerConnectionAttribute {
    /// `InstanceId`.
    pub instance_id: String,
}

impl CloudApi for GetVpcPeerConnectionAttribute {
    const DECL: ApiDecl = PRODUCT
        .api(
            "GetVpcPeerConnectionAttribute",
            "vpc:GetVpcPeerConnectionAttribute",
            Get,
        )
        .names(&["InstanceId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[req("InstanceId", Str)])
        .resources(&["acs:vpc:*:{account}:vpcpeer/{InstanceId}"])
        .response(PEERING_FIELDS);
    type Plan = PeeringView;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(GetVpcPeerConnectionAttribute {
            instance_id: p.req_str("InstanceId")?,
        })
    }
    fn event_region(&self, w: &World, account: &str) -> Option<String> {
        caller_side_region(w, &self.instance_id, account)
    }
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let a = ctx.caller_account.as_str();
        w.visible_peer(&self.instance_id, a, now, false)?;
        Ok(peer_arn(a, &self.instance_id))
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.get_peer(ctx, now, self)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        Response::typed(response).into_value()
    }
    fn respond(_: &mut World, _: Timestamp, response: Self::Plan) -> Response {
        Response::typed(response)
    }
}

/// ListVpcPeerConnections (§3.3.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVpcPeerConnections {
    /// `RegionId`.
    pub region_id: String,
    /// `InstanceId`.
    pub instance_id: Option<String>,
    /// `VpcId.N` (≤ 2).
    pub vpc_ids: Vec<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `MaxResults` (1–100, default 20).
    pub max_results: i64,
    /// `NextToken`.
    pub next_token: Option<String>,
}

impl CloudApi for ListVpcPeerConnections {
    const DECL: ApiDecl = PRODUCT
        .api("ListVpcPeerConnections", "vpc:ListVpcPeerConnections", List)
        .names(&["InstanceId", "ResourceGroupId"])
        .resource_type("ACS::VPC::PeerConnection")
        .params(&[
            req("RegionId", Str),
            opt("InstanceId", Str),
            opt("VpcId.N", Str),
            opt("Name", Str),
            opt("ResourceGroupId", Str),
            opt("MaxResults", Int),
            opt("NextToken", Str),
        ])
        .response(&["NextToken", "TotalCount", "MaxResults", "VpcPeerConnects"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        let vpc_ids = p.list_str("VpcId")?;
        if vpc_ids.len() > 2 {
            return Err(CloudError::invalid_param("VpcId", "at most 2 values"));
        }
        Ok(ListVpcPeerConnections {
            region_id: p.req_str("RegionId")?,
            instance_id: p.opt_str("InstanceId")?,
            vpc_ids,
            name: p.opt_str("Name")?,
            resource_group_id: p.opt_str("ResourceGroupId")?,
            max_results: p.page("MaxResults", 20, 100)?,
            next_token: p.opt_str("NextToken")?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        w.list_peers(ctx, now, self)
    }
    fn apply(_: &mut World, _: Timestamp, response: Self::Plan) -> Value {
        response
    }
}
