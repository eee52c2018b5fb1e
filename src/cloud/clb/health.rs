//! CLB DescribeHealthStatus: the health of every backend server of every listener (or of one
//! port), computed by the reach analyzer's load-balancer segment, never random: `normal` when
//! a TCP probe from the CLB's VIP to the server port gets there and back (the backend vSwitch
//! ACL both ways, the backend's security groups) and the instance runs and listens on the port;
//! `abnormal` otherwise; `unavailable` for a stopped listener, which checks nothing (ASSUMED).
//! Weight 0 does not stop CLB health checks (ASSUMED), so such servers are probed too.

use super::api::own_clb;
use super::PRODUCT;
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::reach::segment::load_balancer::{
    backend_health, BackendHealth, LoadBalancer as _,
};
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// CLB DescribeHealthStatus parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbDescribeHealthStatus {
    /// `RegionId`.
    pub region_id: String,
    /// `LoadBalancerId`.
    pub load_balancer_id: String,
    /// `ListenerPort` (every listener when absent).
    pub listener_port: Option<i64>,
    /// `ListenerProtocol`.
    pub listener_protocol: Option<String>,
}

impl CloudApi for ClbDescribeHealthStatus {
    const DECL: ApiDecl = PRODUCT
        .api("DescribeHealthStatus", "slb:DescribeHealthStatus", Get)
        .names(&["LoadBalancerId"])
        .resource_type("ACS::SLB::LoadBalancer")
        .params(&[
            req("RegionId", Str),
            req("LoadBalancerId", Str),
            opt("ListenerPort", Int),
            opt("ListenerProtocol", Str),
        ])
        .resources(&["acs:slb:{region}:{account}:loadbalancer/{LoadBalancerId}"])
        .response(&["BackendServers"]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(ClbDescribeHealthStatus {
            region_id: p.req_str("RegionId")?,
            load_balancer_id: p.req_str("LoadBalancerId")?,
            listener_port: p.opt_i64("ListenerPort")?,
            listener_protocol: p.opt_str("ListenerProtocol")?,
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
            "acs:slb:{}:{}:loadbalancer/{}",
            self.region_id, ctx.caller_account, self.load_balancer_id
        )])
    }
    fn plan(&self, w: &World, ctx: &CallContext, _now: Timestamp) -> Result<Value, CloudError> {
        let l = own_clb(w, ctx, &self.region_id, &self.load_balancer_id)?;
        if let Some(p) = self.listener_port {
            if !(1..=65535).contains(&p) {
                return Err(CloudError::bad(
                    "InvalidParameter",
                    format!("ListenerPort {p} is not 1-65535."),
                ));
            }
        }
        let view = l.lb_view(w);
        let mut rows = Vec::new();
        for (port, listener) in &l.listeners {
            if self.listener_port.is_some_and(|p| p != i64::from(*port))
                || self
                    .listener_protocol
                    .as_deref()
                    .is_some_and(|p| !p.eq_ignore_ascii_case(&listener.protocol))
            {
                continue;
            }
            let id = format!("{}:{port}", l.load_balancer_id);
            let Some(g) = view
                .listeners
                .iter()
                .find(|x| x.listener_id == id)
                .and_then(|x| x.groups.first())
            else {
                continue;
            };
            for b in &g.backends {
                let status = if listener.status != "running" {
                    "unavailable"
                } else {
                    let probed = crate::cloud::reach::segment::load_balancer::Backend {
                        weight: b.weight.max(1),
                        ..b.clone()
                    };
                    match backend_health(w, &view, g, &probed) {
                        BackendHealth::Healthy => "normal",
                        BackendHealth::Unavailable | BackendHealth::Unused => "unavailable",
                        BackendHealth::Unhealthy(_) => "abnormal",
                    }
                };
                rows.push(json!({
                    "ListenerPort": port,
                    "Protocol": listener.protocol,
                    "ServerId": b.server_id,
                    "ServerIp": b.ip.to_string(),
                    "Port": b.port,
                    "ServerHealthStatus": status,
                }));
            }
        }
        Ok(json!({"BackendServers": {"BackendServer": rows}}))
    }
    fn apply(_w: &mut World, _now: Timestamp, plan: Value) -> Value {
        plan
    }
}
