//! `World::execute`: validate against an immutable view, then mutate.
//!
//! Every operation first builds a [`Plan`] with `&self` (all checks, DryRun
//! included, §0.4.10); only a successful plan is applied, and applying cannot
//! fail. A failed call therefore leaves the world byte-identical — including
//! the clock, the id counter and the ClientToken table.

use crate::cloud::error::CloudError;
use crate::cloud::operation::{CreateVSwitch, CreateVpc, ModifyVpcPeerConnection, Operation};
use crate::cloud::peering::Peering;
use crate::cloud::route::RouteEntry;
use crate::cloud::world::{CallContext, TokenRecord, World};
use ipnet::Ipv4Net;
use serde_json::Value;

/// A validated change, ready to apply.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    /// A read: the response is already computed.
    Read(Value),
    CreateVpc {
        owner: String,
        op: CreateVpc,
        cidr: Ipv4Net,
        user_cidrs: Vec<Ipv4Net>,
        resource_group_id: String,
    },
    CreateVSwitch {
        owner: String,
        op: CreateVSwitch,
        cidr: Ipv4Net,
    },
    CreateRouteEntry {
        region: String,
        entry: RouteEntry,
    },
    DeleteRouteEntry {
        route_entry_id: String,
    },
    CreatePeer {
        peering: Peering,
        open_cdt_for: Option<String>,
    },
    AcceptPeer {
        id: String,
    },
    RejectPeer {
        id: String,
    },
    ModifyPeer {
        id: String,
        op: ModifyVpcPeerConnection,
    },
    DeletePeer {
        id: String,
        routes: Vec<String>,
    },
}

impl World {
    /// Executes one API call for `ctx.caller_account` at `max(clock, ctx.time)` and
    /// returns Alibaba's response body without `RequestId` (the gateway adds it).
    ///
    /// RAM authorization is *not* evaluated here: the gateway calls
    /// [`World::authorization_request`] first (it performs the checks that precede
    /// authorization in the spec's order), evaluates the policy, and only then
    /// calls `execute`, which re-runs every check. On error the world is unchanged.
    pub fn execute(&mut self, ctx: &CallContext, op: &Operation) -> Result<Value, CloudError> {
        let now = self.clock.max(ctx.time);
        // §0.4.3 ClientToken idempotency.
        let token_key = op
            .client_token()
            .map(|t| format!("{}|{}|{}", ctx.caller_account, op.action_name(), t));
        // Only idempotent requests need a fingerprint; serializing every request is costly.
        let fingerprint = match &token_key {
            None => String::new(),
            Some(_) => serde_json::to_string(op).map_err(|e| {
                CloudError::new(
                    "InternalError",
                    500,
                    format!("cannot serialize request: {e}"),
                )
            })?,
        };
        if let Some(k) = &token_key {
            if let Some(rec) = self.client_tokens.get(k) {
                if now.epoch().saturating_sub(rec.time.epoch())
                    < self.options.client_token_window_secs
                {
                    return if rec.fingerprint == fingerprint {
                        Ok(rec.response.clone())
                    } else {
                        Err(CloudError::bad(
                            "IdempotenceParamNotMatch",
                            "Request uses a client token in a previous, but not identical request.",
                        ))
                    };
                }
            }
        }
        let plan = self.plan(ctx, now, op)?;
        // ---- commit: nothing below can fail ----
        self.advance_clock(now);
        let response = self.apply(now, plan);
        self.note_scheduled(now);
        if let Some(k) = token_key {
            self.client_tokens.insert(
                k,
                TokenRecord {
                    time: now,
                    fingerprint,
                    response: response.clone(),
                },
            );
        }
        Ok(response)
    }

    /// Validation phase (immutable).
    fn plan(
        &self,
        ctx: &CallContext,
        now: crate::cloud::time::Timestamp,
        op: &Operation,
    ) -> Result<Plan, CloudError> {
        match op {
            Operation::CreateVpc(p) => self.plan_create_vpc(ctx, p),
            Operation::CreateVSwitch(p) => self.plan_create_vswitch(ctx, now, p),
            Operation::CreateRouteEntry(p) => self.plan_create_route_entry(ctx, now, p),
            Operation::DeleteRouteEntry(p) => self.plan_delete_route_entry(ctx, now, p),
            Operation::DescribeVpcs(p) => self.describe_vpcs(ctx, now, p).map(Plan::Read),
            Operation::DescribeVSwitches(p) => self.describe_vswitches(ctx, now, p).map(Plan::Read),
            Operation::DescribeRouteTableList(p) => {
                self.describe_route_table_list(ctx, p).map(Plan::Read)
            }
            Operation::DescribeRouteEntryList(p) => {
                self.describe_route_entry_list(ctx, now, p).map(Plan::Read)
            }
            Operation::CreateVpcPeerConnection(p) => self.plan_create_peer(ctx, now, p),
            Operation::AcceptVpcPeerConnection(p) => self.plan_accept_peer(ctx, now, p),
            Operation::RejectVpcPeerConnection(p) => self.plan_reject_peer(ctx, now, p),
            Operation::ModifyVpcPeerConnection(p) => self.plan_modify_peer(ctx, now, p),
            Operation::DeleteVpcPeerConnection(p) => self.plan_delete_peer(ctx, now, p),
            Operation::GetVpcPeerConnectionAttribute(p) => {
                self.get_peer(ctx, now, p).map(Plan::Read)
            }
            Operation::ListVpcPeerConnections(p) => self.list_peers(ctx, now, p).map(Plan::Read),
        }
    }

    /// Mutation phase (infallible).
    fn apply(&mut self, now: crate::cloud::time::Timestamp, plan: Plan) -> Value {
        match plan {
            Plan::Read(v) => v,
            Plan::CreateVpc {
                owner,
                op,
                cidr,
                user_cidrs,
                resource_group_id,
            } => self.apply_create_vpc(now, owner, op, cidr, user_cidrs, resource_group_id),
            Plan::CreateVSwitch { owner, op, cidr } => {
                self.apply_create_vswitch(now, owner, op, cidr)
            }
            Plan::CreateRouteEntry { region, entry } => {
                self.apply_create_route_entry(region, entry)
            }
            Plan::DeleteRouteEntry { route_entry_id } => {
                self.route_entries.remove(&route_entry_id);
                serde_json::json!({})
            }
            Plan::CreatePeer {
                peering,
                open_cdt_for,
            } => self.apply_create_peer(now, peering, open_cdt_for),
            Plan::AcceptPeer { id } => self.apply_accept_peer(now, &id),
            Plan::RejectPeer { id } => self.apply_reject_peer(now, &id),
            Plan::ModifyPeer { id, op } => self.apply_modify_peer(now, &id, op),
            Plan::DeletePeer { id, routes } => self.apply_delete_peer(now, &id, routes),
        }
    }

    /// Convenience for tests and scripts: decode then execute.
    pub fn call(
        &mut self,
        ctx: &CallContext,
        action: &str,
        params: &serde_json::Map<String, Value>,
    ) -> Result<Value, CloudError> {
        let op = Operation::decode(action, params)?;
        self.execute(ctx, &op)
    }
}
