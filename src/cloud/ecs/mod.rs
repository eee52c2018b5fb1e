//! `ecs`: ECS instances, ENIs and security groups — the domain layer of
//! `network-model.md` §7.1–§7.3.
//!
//! This module owns its state ([`EcsState`]) and exposes every operation as a plain
//! function over it: typed parameters in, `Result<…, CloudError>` out. Each operation
//! validates completely before it mutates, so a failed call leaves the state
//! byte-identical (tested by serializing before and after). Ids come from the world's
//! deterministic [`IdGen`] and are drawn only after validation.
//!
//! The instance operations come in two halves: `plan_*` (every check, against `&EcsState`,
//! returning a small plan struct) and `apply_*` (infallible; draws ids and mutates), so they
//! fit the gateway's `CloudApi::plan`/`apply`; the plain functions (`run_instances`, …) chain
//! the two. The world hands the operations what they need through [`NetView`] (VPCs and
//! vSwitches) and [`OpCtx`] (caller, region, clock, settle mode).
//!
//! * [`api`] — the gateway declarations (RAM action, ARNs, parameters, response) of
//!   RunInstances, StartInstance, StopInstance, DeleteInstance, DescribeInstances,
//!   DescribeNetworkInterfaces, TagResources and UntagResources.
//! * [`world_spec`] — `security_groups` and `instances` in world files.
//! * [`instance`] — §7.1 RunInstances / StartInstance / StopInstance / DeleteInstance,
//!   DescribeInstances, tags and the simulated `listening` set.
//! * [`eni`] — §7.2 ENIs (primary and service-managed) and the address index
//!   `(vpc, ip) → owner`.
//! * [`security_group`] — §7.3 security groups, their rules, and the packet evaluation;
//!   [`security_group_api`] declares their APIs (CreateSecurityGroup … DescribeSecurityGroupAttribute).
//! * [`errors`] — the Alibaba error codes used above.

#![warn(missing_docs)]

pub mod api;
pub mod eni;
pub mod errors;
pub mod instance;
pub mod security_group;
pub mod security_group_api;
pub mod world_spec;

#[cfg(test)]
pub(crate) mod tests;

use crate::cloud::declare::{Denial, Product};
use crate::cloud::ids::{Id, IdGen};
use crate::cloud::region;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::{VSwitch, Vpc};
use crate::store::{KeyStr, LazyMap};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use eni::{AddressIndex, AddressOwner, Eni, EniStatus, EniType};
pub use instance::{Instance, InstanceStatus, ListenPort};
pub use security_group::{SecurityGroup, SecurityGroupType, SgDecision, SgRule};

/// The ECS product (API version 2014-05-26, RAM code `ecs`, regional endpoint
/// `ecs.{region}.aliyuncs.com`). A RAM denial answers 403 `Forbidden.NoPermission`
/// (§9.5, ASSUMED: ECS does not document its denial code).
pub const PRODUCT: Product = Product {
    name: "Ecs",
    version: "2014-05-26",
    ram_code: "ecs",
    endpoint: "ecs.aliyuncs.com",
    regional_endpoint: Some("ecs"),
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// Read access to the network resources ECS depends on (implemented by the world).
pub trait NetView {
    /// A VPC by id.
    fn vpc(&self, vpc_id: &str) -> Option<&Vpc>;
    /// A vSwitch by id.
    fn vswitch(&self, vswitch_id: &str) -> Option<&VSwitch>;
}

/// A plain map-backed [`NetView`] (tests, and callers that assemble a view by hand).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetMaps {
    /// VPCs by id.
    pub vpcs: BTreeMap<String, Vpc>,
    /// vSwitches by id.
    pub vswitches: BTreeMap<String, VSwitch>,
}

impl NetView for NetMaps {
    fn vpc(&self, vpc_id: &str) -> Option<&Vpc> {
        self.vpcs.get(vpc_id)
    }
    fn vswitch(&self, vswitch_id: &str) -> Option<&VSwitch> {
        self.vswitches.get(vswitch_id)
    }
}

/// Borrowed VPC and vSwitch maps: lets the world lend its own maps as a [`NetView`] while its id
/// generator and its ECS state are borrowed mutably (disjoint fields), e.g.
/// `run_instances(&mut w.ecs, &NetRefs { vpcs: &w.vpcs, vswitches: &w.vswitches }, &mut w.ids, …)`.
#[derive(Debug, Clone, Copy)]
pub struct NetRefs<'a> {
    /// VPCs by id.
    pub vpcs: &'a LazyMap<Vpc>,
    /// vSwitches by id.
    pub vswitches: &'a LazyMap<VSwitch>,
}

impl NetView for NetRefs<'_> {
    fn vpc(&self, vpc_id: &str) -> Option<&Vpc> {
        self.vpcs.get(vpc_id)
    }
    fn vswitch(&self, vswitch_id: &str) -> Option<&VSwitch> {
        self.vswitches.get(vswitch_id)
    }
}

/// Who calls, where and when: what every operation needs from the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpCtx {
    /// Account uid the caller acts for.
    pub caller: String,
    /// `RegionId` of the request (§0.4.2: resources of other regions are "not found").
    pub region_id: String,
    /// Scenario time of the call.
    pub now: Timestamp,
    /// `Stepped` settle mode (§0.4.5): transitional statuses last until `now + settle_delay_secs`.
    pub stepped: bool,
    /// Delay of transitional statuses in `Stepped` mode.
    pub settle_delay_secs: i64,
}

impl OpCtx {
    /// An `Immediate`-mode context.
    pub fn new(caller: &str, region_id: &str, now: Timestamp) -> Self {
        OpCtx {
            caller: caller.to_string(),
            region_id: region_id.to_string(),
            now,
            stepped: false,
            settle_delay_secs: 5,
        }
    }

    /// When a transition started now settles.
    pub fn settle_at(&self) -> Timestamp {
        self.now.plus(self.settle_delay_secs)
    }

    /// Draws an id `prefix-<region code><17 chars>` (§1.5).
    pub fn new_id(&self, ids: &mut IdGen, prefix: &str) -> String {
        let code = region::region(&self.region_id)
            .map(|r| r.id_code)
            .unwrap_or("000");
        ids.next(prefix, code)
    }
}

/// All ECS-side state: instances, ENIs, security groups and the address index.
/// Every collection is ordered, so the serialized form is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsState {
    /// Instances by id.
    #[serde(deserialize_with = "crate::store::bulk_map::deserialize")]
    pub instances: BTreeMap<Id, Instance>,
    /// ENIs by id.
    #[serde(deserialize_with = "crate::store::bulk_map::deserialize")]
    pub enis: BTreeMap<Id, Eni>,
    /// Security groups by id.
    #[serde(deserialize_with = "crate::store::bulk_map::deserialize")]
    pub security_groups: BTreeMap<String, SecurityGroup>,
    /// `(vpc, ip) → owner` (§7.2).
    pub addresses: AddressIndex,
    /// Instance and ENI ids per (owner, region): lets the list calls page without scanning
    /// other accounts' and regions' resources. Derived, not serialized; rebuilt by
    /// [`EcsState::reindex`] after loading (until then the lists scan).
    #[serde(skip, default = "OwnerIndex::stale")]
    pub(crate) by_owner: OwnerIndex,
}

/// Ids of instances and ENIs per `(owner, region)` (see [`EcsState::by_owner`]).
#[derive(Debug, Clone)]
pub(crate) struct OwnerIndex {
    /// False after deserialization, until [`EcsState::reindex`].
    pub(crate) built: bool,
    /// Instance ids per `(owner, region)`.
    pub(crate) instances: BTreeMap<(Id, Id), BTreeSet<Id>>,
    /// ENI ids per `(owner, region)`.
    pub(crate) enis: BTreeMap<(Id, Id), BTreeSet<Id>>,
}

impl Default for OwnerIndex {
    /// The (valid) index of an empty state.
    fn default() -> Self {
        OwnerIndex {
            built: true,
            instances: BTreeMap::new(),
            enis: BTreeMap::new(),
        }
    }
}

impl OwnerIndex {
    fn stale() -> Self {
        OwnerIndex {
            built: false,
            ..OwnerIndex::default()
        }
    }
}

impl PartialEq for OwnerIndex {
    /// Derived data, not state: two states differing only in their index are equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for OwnerIndex {}

/// `(owner, region, id)` triples in id order, grouped per `(owner, region)`. Each group's ids
/// arrive sorted, so every set is bulk-built (linear) rather than filled by inserts.
fn grouped<'a>(
    rows: impl Iterator<Item = (&'a Id, &'a Id, &'a Id)>,
) -> BTreeMap<(Id, Id), BTreeSet<Id>> {
    let mut groups: BTreeMap<(Id, Id), Vec<Id>> = BTreeMap::new();
    for (owner, region, id) in rows {
        groups
            .entry((owner.clone(), region.clone()))
            .or_default()
            .push(id.clone());
    }
    groups
        .into_iter()
        .map(|(k, ids)| (k, ids.into_iter().collect()))
        .collect()
}

fn key(owner: &str, region: &str) -> (Id, Id) {
    (Id::new(owner), Id::new(region))
}

impl OwnerIndex {
    pub(crate) fn add_instance(&mut self, owner: &str, region: &str, id: &str) {
        self.instances
            .entry(key(owner, region))
            .or_default()
            .insert(Id::new(id));
    }
    pub(crate) fn remove_instance(&mut self, owner: &str, region: &str, id: &str) {
        if let Some(set) = self.instances.get_mut(&key(owner, region)) {
            set.remove(id);
            if set.is_empty() {
                self.instances.remove(&key(owner, region));
            }
        }
    }
    pub(crate) fn add_eni(&mut self, owner: &str, region: &str, id: &str) {
        self.enis
            .entry(key(owner, region))
            .or_default()
            .insert(Id::new(id));
    }
    pub(crate) fn remove_eni(&mut self, owner: &str, region: &str, id: &str) {
        if let Some(set) = self.enis.get_mut(&key(owner, region)) {
            set.remove(id);
            if set.is_empty() {
                self.enis.remove(&key(owner, region));
            }
        }
    }
}

impl EcsState {
    /// Instance `id`. The maps are searched through [`KeyStr`], a word at a time: searched
    /// with a plain `&str`, every key compared on the way calls `memcmp` (ids share their
    /// `i-bp1` prefix).
    pub fn instance(&self, id: &str) -> Option<&Instance> {
        self.instances.get(KeyStr::new(id))
    }

    /// Instance `id`, to change.
    pub fn instance_mut(&mut self, id: &str) -> Option<&mut Instance> {
        self.instances.get_mut(KeyStr::new(id))
    }

    /// ENI `id`.
    pub fn eni(&self, id: &str) -> Option<&Eni> {
        self.enis.get(KeyStr::new(id))
    }

    /// True when there is nothing in it (the world then leaves it out of its serialized form).
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
            && self.enis.is_empty()
            && self.security_groups.is_empty()
            && self.addresses.is_empty()
    }

    /// Rebuilds the derived (owner, region) index from the instances and ENIs (after loading a
    /// serialized state).
    pub fn reindex(&mut self) {
        self.by_owner = OwnerIndex {
            built: true,
            instances: grouped(
                self.instances
                    .values()
                    .map(|i| (&i.owner_uid, &i.region_id, &i.instance_id)),
            ),
            enis: grouped(
                self.enis
                    .values()
                    .map(|e| (&e.owner_uid, &e.region_id, &e.network_interface_id)),
            ),
        };
    }

    /// The caller's instance ids in `region`, in id order, when the index can answer (built
    /// and covering every instance); `None` means "scan".
    pub(crate) fn indexed_instances(
        &self,
        owner: &str,
        region: &str,
    ) -> Option<Option<&BTreeSet<Id>>> {
        let idx = &self.by_owner;
        let covered: usize = idx.instances.values().map(BTreeSet::len).sum();
        (idx.built && covered == self.instances.len())
            .then(|| idx.instances.get(&key(owner, region)))
    }

    /// As [`EcsState::indexed_instances`], for ENIs.
    pub(crate) fn indexed_enis(&self, owner: &str, region: &str) -> Option<Option<&BTreeSet<Id>>> {
        let idx = &self.by_owner;
        let covered: usize = idx.enis.values().map(BTreeSet::len).sum();
        (idx.built && covered == self.enis.len()).then(|| idx.enis.get(&key(owner, region)))
    }

    /// Materializes every transition due at `now` (Stepped mode; §0.4.5). Returns the ids of
    /// the resources whose stored status changed, in id order.
    pub fn settle_due(&mut self, now: Timestamp) -> Vec<String> {
        let mut changed = Vec::new();
        for (id, i) in &mut self.instances {
            if i.lifecycle.settle_due(now).is_some() {
                changed.push(id.to_string());
            }
        }
        changed
    }

    /// Earliest pending transition, if any.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.instances
            .values()
            .filter_map(|i| i.lifecycle.pending.map(|p| p.at))
            .min()
    }

    /// Consistency of the derived data (address index, SG membership, instance ↔ ENI links).
    /// Returns the first violation found; used by tests after every operation.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (id, eni) in &self.enis {
            match self.addresses.owner(&eni.vpc_id, eni.private_ip) {
                Some(AddressOwner::Eni(o)) if o == id => {}
                other => return Err(format!("address of {id} owned by {other:?}")),
            }
            for sg in &eni.security_group_ids {
                let ok = self
                    .security_groups
                    .get(sg.as_str())
                    .is_some_and(|g| g.member_enis.contains(id));
                if !ok {
                    return Err(format!("{id} not listed as member of {sg}"));
                }
            }
            if let Some(inst) = &eni.instance_id {
                if !self.instances.contains_key(inst.as_str()) {
                    return Err(format!("{id} attached to missing {inst}"));
                }
            }
        }
        for (vpc, m) in self.addresses.vpcs() {
            for (ip, owner) in m {
                if let AddressOwner::Eni(e) = owner {
                    let ok = self
                        .enis
                        .get(e.as_str())
                        .is_some_and(|x| &x.vpc_id == vpc && x.private_ip == *ip);
                    if !ok {
                        return Err(format!("stale address {vpc}/{ip} → {e}"));
                    }
                }
            }
        }
        for (id, g) in &self.security_groups {
            for e in &g.member_enis {
                let ok = self
                    .enis
                    .get(e)
                    .is_some_and(|x| x.security_group_ids.iter().any(|g| g == id));
                if !ok {
                    return Err(format!("stale member {e} of {id}"));
                }
            }
        }
        for (id, i) in &self.instances {
            let ok = self
                .enis
                .get(i.primary_eni_id.as_str())
                .is_some_and(|e| e.instance_id.as_deref() == Some(id.as_str()));
            if !ok {
                return Err(format!("{id} without its primary ENI"));
            }
        }
        Ok(())
    }
}
