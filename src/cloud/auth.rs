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
    /// Denial message (§9.5).
    pub denial_message: String,
}

impl World {
    /// Runs the checks that precede RAM authorization (§0.4.10 (a)–(b), and for
    /// Accept/Reject also "caller is the accepter") and returns what the
    /// authorizer must evaluate. An `Err` is the call's final answer.
    ///
    /// The action, dependent actions and denial come from the API's declaration; the
    /// concrete ARNs and injected condition keys (§9.3: for Create, the RD of
    /// `AcceptingAliUid`; for Accept, the RD of the stored requester uid) from its
    /// [`CloudApi::authorize`](crate::cloud::declare::CloudApi::authorize).
    pub fn authorization_request(
        &self,
        ctx: &CallContext,
        op: &Operation,
    ) -> Result<AuthRequirements, CloudError> {
        let mut keys = BTreeMap::new();
        let resources = self.authorization_resources(ctx, op, &mut keys)?;
        let decl = op.decl();
        Ok(AuthRequirements {
            action: decl.action.to_string(),
            resources,
            condition_keys: keys,
            dependent_actions: decl
                .dependent
                .iter()
                .map(|(action, resource)| DependentAction {
                    action: (*action).to_string(),
                    resources: vec![(*resource).to_string()],
                })
                .collect(),
            denial_http_status: decl.denial.status,
            denial_code: decl.denial.code.to_string(),
            denial_message: decl.denial.message.to_string(),
        })
    }

    /// The concrete part of [`World::authorization_request`]: the pre-RAM checks, then the
    /// resource ARNs (the injected condition keys go into `keys`). The rest is the API's
    /// static declaration ([`Operation::decl`]), which the gateway reads without copying it.
    pub fn authorization_resources(
        &self,
        ctx: &CallContext,
        op: &Operation,
        keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        let now = self.clock.max(ctx.time);
        self.caller_account(ctx)?;
        op.authorize(self, ctx, now, keys)
    }
}
