//! The CLB product (Slb, API version 2014-05-15, RAM code `slb`): the minimum PrivateLink needs
//! (spec `network-model.md` §5.3) — intranet and internet load balancers, TCP listeners,
//! backend servers.
//!
//! An intranet CLB's VIP is taken from its vSwitch through the world's address index
//! (`Service { kind: "clb-vip" }`). Error codes not given by the spec are marked ASSUMED where
//! they are declared. PrivateLink accepts a CLB only when it is intranet, in a VPC and
//! pay-as-you-go ([`Clb::privatelink_eligible`]).

pub mod api;
pub mod health;

#[cfg(test)]
mod tests;

use crate::cloud::declare::{Denial, Product};
use crate::cloud::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The CLB product: 403 `Forbidden.NoPermission` on a RAM denial (§9.5, ASSUMED).
pub const PRODUCT: Product = Product {
    name: "Slb",
    version: "2014-05-15",
    ram_code: "slb",
    endpoint: "slb.aliyuncs.com",
    regional_endpoint: Some("slb"),
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// One TCP listener of a CLB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbListener {
    /// `ListenerPort`.
    pub port: u16,
    /// `BackendServerPort`.
    pub backend_port: u16,
    /// `tcp`.
    pub protocol: String,
    /// `Bandwidth` (-1: unlimited).
    pub bandwidth: i64,
    /// `stopped` after creation, `running` once started.
    pub status: String,
}

/// One backend server of a CLB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendServer {
    /// `ServerId` (`i-…`).
    pub server_id: String,
    /// `Weight` (0–100).
    pub weight: u8,
    /// The instance's address.
    pub ip: Ipv4Addr,
}

/// A classic load balancer (§5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clb {
    /// `lb-…`.
    pub load_balancer_id: String,
    /// Region.
    pub region_id: String,
    /// Owner account.
    pub owner_uid: String,
    /// `LoadBalancerName`.
    pub name: String,
    /// `internet` | `intranet`.
    pub address_type: String,
    /// VPC (intranet CLBs).
    pub vpc_id: Option<String>,
    /// vSwitch (intranet CLBs).
    pub vswitch_id: Option<String>,
    /// `Address` (the VIP).
    pub address: Ipv4Addr,
    /// `MasterZoneId`.
    pub master_zone_id: String,
    /// `SlaveZoneId`.
    pub slave_zone_id: Option<String>,
    /// `LoadBalancerSpec`.
    pub spec: Option<String>,
    /// `PayType` (`PayOnDemand` | `PrePay`).
    pub pay_type: String,
    /// `InstanceChargeType` (`PayBySpec` | `PayByCLCU`).
    pub instance_charge_type: String,
    /// `LoadBalancerStatus` (`active`).
    pub status: String,
    /// Listeners by port.
    pub listeners: BTreeMap<u16, ClbListener>,
    /// Backend servers, in the order added.
    pub backends: Vec<BackendServer>,
    /// Resource group.
    pub resource_group_id: String,
    /// Creation time.
    pub create_time: Timestamp,
}

impl Clb {
    /// PrivateLink eligibility [S1]: intranet, VPC-type, pay-as-you-go.
    pub fn privatelink_eligible(&self) -> bool {
        self.address_type == "intranet" && self.vpc_id.is_some() && self.pay_type == "PayOnDemand"
    }
}

/// All CLB state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClbState {
    /// Load balancers by id.
    pub load_balancers: BTreeMap<String, Clb>,
}

impl ClbState {
    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.load_balancers.is_empty()
    }
}
