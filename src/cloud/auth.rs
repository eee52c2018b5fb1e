//! What each API presents to the RAM authorizer (§9.1–§9.3).

use crate::cloud::error::CloudError;
use crate::cloud::operation::Operation;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A dependent action that must also be allowed (§9.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentAction {
    /// e.g. `cdt:GetCdtServiceStatus`.
    pub action: String,
    /// Resource ARNs (`*` = all).
    pub resources: Vec<String>,
}

/// The authorization surface of one request (§9.1 `AuthRequest` minus the principal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequirements {
    /// `<ramcode>:<ApiName>`, e.g. `vpc:CreateVpcPeerConnection`.
    pub action: String,
    /// Resource ARNs; every one must be allowed.
    pub resources: Vec<String>,
    /// Product-injected condition keys (`acs:TargetRDId`, `acs:TargetRDPath`).
    pub condition_keys: BTreeMap<String, String>,
    /// Dependent actions.
    pub dependent_actions: Vec<DependentAction>,
    /// HTTP status of a denial for this product (§9.5): 400 for VpcPeer, 403 for Vpc.
    pub denial_http_status: u16,
    /// Denial code (§9.5): `Forbidden.NoPermission` (VpcPeer) or `Forbidden` (Vpc).
    pub denial_code: String,
}

impl World {
    /// Runs the checks that precede RAM authorization (§0.4.10 (a)–(b), and for
    /// Accept/Reject also "caller is the accepter") and returns what the
    /// authorizer must evaluate. An `Err` is the call's final answer.
    ///
    /// Condition keys (§9.3): for Create, the RD of `AcceptingAliUid`; for Accept,
    /// the RD of the stored requester uid; absent when the peer is outside every RD.
    pub fn authorization_request(
        &self,
        ctx: &CallContext,
        op: &Operation,
    ) -> Result<AuthRequirements, CloudError> {
        let now = self.clock.max(ctx.time);
        let a = ctx.caller_account.as_str();
        self.caller_account(ctx)?;
        let mut keys = BTreeMap::new();
        let mut deps = Vec::new();
        let rd_keys = |peer: &str, keys: &mut BTreeMap<String, String>| {
            if let (Some(id), Some(path)) = (self.rd_id(peer), self.rd_path(peer)) {
                keys.insert("acs:TargetRDId".to_string(), id);
                keys.insert("acs:TargetRDPath".to_string(), path);
            }
        };
        let star = || vec!["*".to_string()];
        let peer_arn = |id: &str| vec![format!("acs:vpc:*:{a}:vpcpeer/{id}")];
        let resources = match op {
            Operation::CreateVpc(p) => {
                self.known_region(&p.region_id)?;
                vec![format!("acs:vpc:{}:{a}:vpc/*", p.region_id)]
            }
            Operation::CreateVSwitch(p) => {
                self.known_region(&p.region_id)?;
                let vpc = self
                    .vpc(&p.vpc_id)
                    .filter(|v| v.region_id == p.region_id && v.visible_to(a))
                    .ok_or_else(|| {
                        CloudError::not_found(
                            "InvalidVpcId.NotFound",
                            "Specified VPC does not exist.",
                        )
                    })?;
                vec![
                    format!("acs:vpc:{}:{a}:vswitch/*", p.region_id),
                    format!(
                        "acs:vpc:{}:{}:vpc/{}",
                        p.region_id, vpc.owner_uid, vpc.vpc_id
                    ),
                ]
            }
            Operation::CreateRouteEntry(p) => {
                self.known_region(&p.region_id)?;
                vec![format!(
                    "acs:vpc:{}:{a}:routetable/{}",
                    p.region_id, p.route_table_id
                )]
            }
            Operation::DeleteRouteEntry(p) => {
                self.known_region(&p.region_id)?;
                let table = p
                    .route_table_id
                    .clone()
                    .or_else(|| {
                        p.route_entry_id
                            .as_ref()
                            .and_then(|e| self.route_entry(e))
                            .map(|e| e.route_table_id.clone())
                    })
                    .unwrap_or_else(|| "*".into());
                vec![format!("acs:vpc:{}:{a}:routetable/{table}", p.region_id)]
            }
            Operation::DescribeVpcs(p) => {
                self.known_region(&p.region_id)?;
                star()
            }
            Operation::DescribeVSwitches(p) => {
                self.known_region(&p.region_id)?;
                star()
            }
            Operation::DescribeRouteTableList(p) => {
                self.known_region(&p.region_id)?;
                star()
            }
            Operation::DescribeRouteEntryList(p) => {
                self.known_region(&p.region_id)?;
                star()
            }
            Operation::CreateVpcPeerConnection(p) => {
                self.create_peer_pre(ctx, p)?;
                rd_keys(&p.accepting_ali_uid, &mut keys);
                deps.push(DependentAction {
                    action: "cdt:GetCdtServiceStatus".into(),
                    resources: star(),
                });
                star()
            }
            Operation::AcceptVpcPeerConnection(p) => {
                let peering = self.accept_pre(ctx, now, &p.instance_id)?;
                rd_keys(&peering.owner_uid, &mut keys);
                star()
            }
            Operation::RejectVpcPeerConnection(p) => {
                self.accept_pre(ctx, now, &p.instance_id)?;
                peer_arn(&p.instance_id)
            }
            Operation::ModifyVpcPeerConnection(p) => {
                self.modify_pre(ctx, now, &p.instance_id)?;
                peer_arn(&p.instance_id)
            }
            Operation::DeleteVpcPeerConnection(p) => {
                self.modify_pre(ctx, now, &p.instance_id)?;
                star()
            }
            Operation::GetVpcPeerConnectionAttribute(p) => {
                self.visible_peer(&p.instance_id, a, now, false)?;
                peer_arn(&p.instance_id)
            }
            Operation::ListVpcPeerConnections(p) => {
                self.known_region(&p.region_id)?;
                star()
            }
        };
        let peer_product = op.product() == "VpcPeer";
        Ok(AuthRequirements {
            action: format!("vpc:{}", op.action_name()),
            resources,
            condition_keys: keys,
            dependent_actions: deps,
            denial_http_status: if peer_product { 400 } else { 403 },
            denial_code: if peer_product {
                "Forbidden.NoPermission".into()
            } else {
                "Forbidden".into()
            },
        })
    }
}
