//! ENIs and the address index (`network-model.md` §7.2).
//!
//! Every ECS instance has a primary ENI holding its private IP and security groups. Later
//! products (PrivateLink endpoints, transit-router attachments) create **service-managed**
//! ENIs through [`create_service_eni`]; users cannot modify or delete those
//! ([`ensure_user_modifiable`]). The [`AddressIndex`] maps `(vpc, ip)` to the owner of the
//! address — ENIs here, load-balancer addresses registered by later products — and is what
//! reach analysis uses to find "who owns the destination IP" and what IP allocation uses to
//! find a free address.

use crate::cloud::ecs::errors::{self, bad};
use crate::cloud::ecs::{EcsState, NetView, OpCtx};
use crate::cloud::ids::{Id, IdGen};
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::{NetStatus, VSwitch};
use crate::cloud::CloudError;
use crate::store::KeyStr;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// `Type` of an ENI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EniType {
    /// The instance's primary ENI.
    Primary,
    /// Any other ENI (service-managed ENIs are secondary).
    Secondary,
}

/// `Status` of an ENI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EniStatus {
    /// Created, not attached.
    Available,
    /// Being attached.
    Attaching,
    /// Attached and usable.
    InUse,
    /// Being detached.
    Detaching,
    /// Being deleted.
    Deleting,
}

impl EniStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EniStatus::Available => "Available",
            EniStatus::Attaching => "Attaching",
            EniStatus::InUse => "InUse",
            EniStatus::Detaching => "Detaching",
            EniStatus::Deleting => "Deleting",
        }
    }
}

/// An elastic network interface (§7.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eni {
    /// `eni-…`.
    pub network_interface_id: Id,
    /// Region.
    pub region_id: Id,
    /// Owner account uid.
    pub owner_uid: Id,
    /// VPC.
    pub vpc_id: Id,
    /// vSwitch.
    pub vswitch_id: Id,
    /// Zone (the vSwitch's).
    pub zone_id: Id,
    /// Primary private IPv4 address.
    pub private_ip: Ipv4Addr,
    /// Security groups, in the order given (1–10, §7.3 rule 5).
    pub security_group_ids: Vec<Id>,
    /// Primary or secondary.
    pub eni_type: EniType,
    /// Status.
    pub status: EniStatus,
    /// Instance it is attached to.
    pub instance_id: Option<Id>,
    /// True for ENIs created by a cloud service (PrivateLink endpoint, TR attachment).
    pub service_managed: bool,
    /// Simulation field: `privatelink:<ep-id>:<zone>` or `cen:<tr-attach-id>`.
    pub service_owner: Option<String>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// Who owns an address of a VPC (§7.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AddressOwner {
    /// An ENI (ECS primary ENI or a service-managed ENI).
    Eni(String),
    /// An address held by another product without an ENI (LB VIP, NLB local address, CLB VIP…):
    /// `kind` names it (e.g. `nlb-vip`), `id` is the owning resource.
    Service {
        /// Kind of address, chosen by the registering product.
        kind: String,
        /// Owning resource id.
        id: String,
    },
}

/// `(vpc, ip) → owner`, ordered by VPC then numerically by address.
///
/// Besides the owners it keeps, per VPC, the maximal runs of consecutive used addresses
/// (derived: rebuilt when a state is loaded), so the lowest free address of a vSwitch is found
/// by jumping over whole runs instead of walking every used address below it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "AddressOwners", into = "AddressOwners")]
pub struct AddressIndex {
    by_vpc: BTreeMap<String, BTreeMap<Ipv4Addr, AddressOwner>>,
    /// Per VPC: start → end (inclusive) of each maximal run of used addresses.
    runs: BTreeMap<String, BTreeMap<u32, u32>>,
}

/// The serialized form of an [`AddressIndex`]: the owners only.
#[derive(Serialize, Deserialize)]
struct AddressOwners {
    by_vpc: BTreeMap<String, BTreeMap<Ipv4Addr, AddressOwner>>,
}

impl From<AddressOwners> for AddressIndex {
    fn from(owners: AddressOwners) -> Self {
        let mut index = AddressIndex::default();
        for (vpc, addresses) in owners.by_vpc {
            for (ip, owner) in addresses {
                // Keys of one map are distinct: nothing is refused.
                let _ = index.insert(&vpc, ip, owner);
            }
        }
        index
    }
}

impl From<AddressIndex> for AddressOwners {
    fn from(index: AddressIndex) -> Self {
        AddressOwners {
            by_vpc: index.by_vpc,
        }
    }
}

impl AddressIndex {
    /// Owner of `ip` in `vpc`.
    pub fn owner(&self, vpc_id: &str, ip: Ipv4Addr) -> Option<&AddressOwner> {
        self.by_vpc.get(vpc_id)?.get(&ip)
    }

    /// True when `ip` is taken in `vpc`.
    pub fn is_used(&self, vpc_id: &str, ip: Ipv4Addr) -> bool {
        self.owner(vpc_id, ip).is_some()
    }

    /// Every VPC with used addresses, each with its addresses and owners in address order.
    pub fn vpcs(&self) -> impl Iterator<Item = (&String, &BTreeMap<Ipv4Addr, AddressOwner>)> {
        self.by_vpc.iter()
    }

    /// True when no address is used anywhere.
    pub fn is_empty(&self) -> bool {
        self.by_vpc.is_empty()
    }

    /// Records an owner; refuses an address already taken (returns the current owner).
    pub fn insert(
        &mut self,
        vpc_id: &str,
        ip: Ipv4Addr,
        owner: AddressOwner,
    ) -> Result<(), AddressOwner> {
        // The VPC is looked up before an owned key is made: one allocation per VPC, not one
        // per address (world building inserts an address per instance).
        match self.by_vpc.get_mut(vpc_id) {
            Some(m) => {
                if let Some(cur) = m.get(&ip) {
                    return Err(cur.clone());
                }
                m.insert(ip, owner);
            }
            None => {
                self.by_vpc
                    .insert(vpc_id.to_string(), BTreeMap::from([(ip, owner)]));
            }
        }
        if !self.runs.contains_key(vpc_id) {
            self.runs.insert(vpc_id.to_string(), BTreeMap::new());
        }
        let Some(runs) = self.runs.get_mut(vpc_id) else {
            return Ok(()); // unreachable: inserted just above
        };
        let x = u32::from(ip);
        // Join the run ending just below and the one starting just above, if any.
        let mut start = x;
        if let Some((&s, &e)) = runs.range(..x).next_back() {
            if e.checked_add(1) == Some(x) {
                start = s;
            }
        }
        let mut end = x;
        if let Some(next) = x.checked_add(1) {
            if let Some(e) = runs.remove(&next) {
                end = e;
            }
        }
        runs.insert(start, end);
        Ok(())
    }

    /// Frees an address; returns its former owner.
    pub fn remove(&mut self, vpc_id: &str, ip: Ipv4Addr) -> Option<AddressOwner> {
        let m = self.by_vpc.get_mut(vpc_id)?;
        let out = m.remove(&ip)?;
        if m.is_empty() {
            self.by_vpc.remove(vpc_id);
        }
        if let Some(runs) = self.runs.get_mut(vpc_id) {
            let x = u32::from(ip);
            if let Some((&s, &e)) = runs.range(..=x).next_back() {
                // `x` was used, so it lies in this run: split it around `x`.
                runs.remove(&s);
                if s < x {
                    runs.insert(s, x - 1);
                }
                if x < e {
                    runs.insert(x + 1, e);
                }
            }
            if runs.is_empty() {
                self.runs.remove(vpc_id);
            }
        }
        Some(out)
    }

    /// The `n` lowest free usable addresses of `vsw` (usable = inside the CIDR and not one of
    /// the four reserved addresses: the first and the last three, §2.2). Fewer than `n` when
    /// the vSwitch is full. Jumps over runs of used addresses, so the cost is the number of
    /// runs below the answer (one for a vSwitch filled from the bottom), not of addresses.
    pub fn lowest_free(&self, vsw: &VSwitch, n: usize) -> Vec<Ipv4Addr> {
        let first = u32::from(vsw.cidr_block.network()).saturating_add(1);
        let last = u32::from(vsw.cidr_block.broadcast()).saturating_sub(3);
        let mut out = Vec::new();
        if first > last {
            return out;
        }
        let runs = self.runs.get(&vsw.vpc_id);
        let mut x = first;
        while out.len() < n {
            // The run holding `x`, if any: continue after it.
            if let Some((_, &e)) = runs.and_then(|r| r.range(..=x).next_back()) {
                if e >= x {
                    match e.checked_add(1) {
                        Some(next) if next <= last => {
                            x = next;
                            continue;
                        }
                        _ => break,
                    }
                }
            }
            // `x` is free, and so is everything up to the next run.
            let next_used = runs
                .and_then(|r| r.range(x..).next())
                .map_or(u32::MAX, |(&s, _)| s);
            let stop = next_used.saturating_sub(1).min(last);
            while out.len() < n && x <= stop {
                out.push(Ipv4Addr::from(x));
                if x == stop {
                    break;
                }
                x += 1;
            }
            if out.len() >= n || stop == last || next_used == u32::MAX {
                break;
            }
            x = next_used;
        }
        out
    }
}

/// Checks a requested private address for `vsw` (§7.1): syntax
/// (`InvalidPrivateIpAddress.Malformed`), inside the CIDR and not reserved
/// (`InvalidPrivateIpAddress`; the reserved case is ASSUMED to share the code), and free
/// (`InvalidPrivateIpAddress.Duplicated`).
pub fn check_requested_ip(
    index: &AddressIndex,
    vsw: &VSwitch,
    requested: &str,
) -> Result<Ipv4Addr, CloudError> {
    let ip: Ipv4Addr = requested.trim().parse().map_err(|_| {
        bad(
            "InvalidPrivateIpAddress.Malformed",
            format!("Specified private IP address `{requested}` is malformed."),
        )
    })?;
    if !vsw.cidr_block.contains(&ip) || vsw.is_reserved(ip) {
        return Err(bad(
            "InvalidPrivateIpAddress",
            format!(
                "Specified private IP address `{ip}` is not a usable address of the CIDR block `{}` of virtual switch `{}`.",
                vsw.cidr_block, vsw.vswitch_id
            ),
        ));
    }
    if index.is_used(&vsw.vpc_id, ip) {
        return Err(bad(
            "InvalidPrivateIpAddress.Duplicated",
            format!("The specified private IP address `{ip}` is already in use."),
        ));
    }
    Ok(ip)
}

/// `QuotaExceeded.PrivateIpAddress`: the vSwitch has no free usable address left.
pub fn vswitch_full(vsw: &VSwitch) -> CloudError {
    bad(
        "QuotaExceeded.PrivateIpAddress",
        format!(
            "Don't have enough private IPs in virtual switch `{}`.",
            vsw.vswitch_id
        ),
    )
}

/// Links a new ENI into the state: the ENI map, the address index and SG membership.
/// Callers have validated that the address is free and the groups exist.
pub(crate) fn link_eni(state: &mut EcsState, eni: Eni) {
    let id = eni.network_interface_id.clone();
    // INVARIANT: validated free by the caller; a clash would be a bug, and the index keeps
    // the first owner.
    let _ = state.addresses.insert(
        &eni.vpc_id,
        eni.private_ip,
        AddressOwner::Eni(String::from(&id)),
    );
    for sg in &eni.security_group_ids {
        if let Some(g) = state.security_groups.get_mut(sg.as_str()) {
            g.member_enis.insert(id.clone());
        }
    }
    if state.by_owner.built {
        state.by_owner.add_eni(&eni.owner_uid, &eni.region_id, &id);
    }
    state.enis.insert(id, eni);
}

/// Removes an ENI and everything that points to it (address, SG membership).
pub(crate) fn unlink_eni(state: &mut EcsState, eni_id: &str) -> Option<Eni> {
    let eni = state.enis.remove(KeyStr::new(eni_id))?;
    state
        .by_owner
        .remove_eni(&eni.owner_uid, &eni.region_id, eni_id);
    if state.addresses.owner(&eni.vpc_id, eni.private_ip) == Some(&AddressOwner::Eni(eni_id.into()))
    {
        state.addresses.remove(&eni.vpc_id, eni.private_ip);
    }
    for sg in &eni.security_group_ids {
        if let Some(g) = state.security_groups.get_mut(sg.as_str()) {
            g.member_enis.remove(eni_id);
        }
    }
    Some(eni)
}

/// Parameters of [`create_service_eni`] (used by later products, not a user API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateServiceEni {
    /// vSwitch the ENI lives in.
    pub vswitch_id: String,
    /// Requested address; `None` = the lowest free usable address.
    pub private_ip: Option<String>,
    /// Security groups (0–10; endpoint ENIs carry the endpoint's groups).
    pub security_group_ids: Vec<String>,
    /// `privatelink:<ep-id>:<zone>` or `cen:<tr-attach-id>`.
    pub service_owner: String,
}

/// Creates a service-managed ENI (`InUse`, `Secondary`, owned by the caller's account) for a
/// PrivateLink endpoint zone or a TR attachment. Same address rules as RunInstances.
pub fn create_service_eni(
    state: &mut EcsState,
    net: &dyn NetView,
    ids: &mut IdGen,
    ctx: &OpCtx,
    p: &CreateServiceEni,
) -> Result<String, CloudError> {
    let vsw = net
        .vswitch(&p.vswitch_id)
        .filter(|v| v.region_id == ctx.region_id)
        .ok_or_else(|| {
            bad(
                "InvalidParameter.VSwitchId",
                format!("The specified vSwitch `{}` does not exist.", p.vswitch_id),
            )
        })?;
    if p.security_group_ids.len() > crate::cloud::ecs::security_group::MAX_SGS_PER_ENI {
        return Err(bad(
            "JoinedGroupLimitExceed",
            "A network interface can join at most 10 security groups.",
        ));
    }
    for sg in &p.security_group_ids {
        let g = state
            .security_groups
            .get(sg)
            .filter(|g| g.region_id == ctx.region_id)
            .ok_or_else(|| errors::sg_not_found(sg))?;
        if g.vpc_id != vsw.vpc_id {
            return Err(bad(
                "InvalidParameter.Mismatch",
                "Specified security group and virtual switch are not in the same VPC.",
            ));
        }
    }
    let ip = match &p.private_ip {
        Some(r) => check_requested_ip(&state.addresses, vsw, r)?,
        None => *state
            .addresses
            .lowest_free(vsw, 1)
            .first()
            .ok_or_else(|| vswitch_full(vsw))?,
    };
    let id = ctx.new_id(ids, "eni");
    link_eni(
        state,
        Eni {
            network_interface_id: Id::new(&id),
            region_id: Id::new(&ctx.region_id),
            owner_uid: Id::new(&ctx.caller),
            vpc_id: Id::new(&vsw.vpc_id),
            vswitch_id: Id::new(&vsw.vswitch_id),
            zone_id: Id::new(&vsw.zone_id),
            private_ip: ip,
            security_group_ids: p.security_group_ids.iter().map(Id::from).collect(),
            eni_type: EniType::Secondary,
            status: EniStatus::InUse,
            instance_id: None,
            service_managed: true,
            service_owner: Some(p.service_owner.clone()),
            creation_time: ctx.now,
        },
    );
    Ok(id)
}

/// Deletes a service-managed ENI on behalf of its service (`service_owner` must match).
pub fn delete_service_eni(
    state: &mut EcsState,
    eni_id: &str,
    service_owner: &str,
) -> Result<Eni, CloudError> {
    let ok = state
        .enis
        .get(eni_id)
        .is_some_and(|e| e.service_managed && e.service_owner.as_deref() == Some(service_owner));
    if !ok {
        return Err(errors::eni_not_found(eni_id));
    }
    unlink_eni(state, eni_id).ok_or_else(|| errors::eni_not_found(eni_id))
}

/// The ENI a user call may modify: visible in the caller's region and account
/// (`InvalidEniId.NotFound`), not service-managed (`InvalidOperation.EniServiceManaged`).
pub fn ensure_user_modifiable<'a>(
    state: &'a EcsState,
    ctx: &OpCtx,
    eni_id: &str,
) -> Result<&'a Eni, CloudError> {
    let eni = state
        .enis
        .get(eni_id)
        .filter(|e| e.region_id == ctx.region_id && e.owner_uid == ctx.caller)
        .ok_or_else(|| errors::eni_not_found(eni_id))?;
    if eni.service_managed {
        return Err(errors::eni_service_managed(eni_id));
    }
    Ok(eni)
}

/// Filters of DescribeNetworkInterfaces (subset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeNetworkInterfaces {
    /// `NetworkInterfaceId.N`.
    pub network_interface_ids: Vec<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `InstanceId`.
    pub instance_id: Option<String>,
    /// `SecurityGroupId`.
    pub security_group_id: Option<String>,
    /// `PrimaryIpAddress`.
    pub primary_ip_address: Option<String>,
    /// `Type` (`Primary` | `Secondary`).
    pub eni_type: Option<EniType>,
    /// `PageNumber` (default 1).
    pub page_number: Option<i64>,
    /// `PageSize` (default 10, at most 100).
    pub page_size: Option<i64>,
    /// `MaxResults` (token paging).
    pub max_results: Option<i64>,
    /// `NextToken` (token paging).
    pub next_token: Option<String>,
}

/// One ENI in the DescribeNetworkInterfaces shape.
pub fn eni_json(e: &Eni) -> Value {
    json!({
        "NetworkInterfaceId": e.network_interface_id,
        "VpcId": e.vpc_id,
        "VSwitchId": e.vswitch_id,
        "ZoneId": e.zone_id,
        "PrivateIpAddress": e.private_ip.to_string(),
        "SecurityGroupIds": {"SecurityGroupId": e.security_group_ids},
        "Type": match e.eni_type { EniType::Primary => "Primary", EniType::Secondary => "Secondary" },
        "Status": e.status.as_str(),
        "InstanceId": e.instance_id.clone().unwrap_or_default(),
        "ServiceManaged": e.service_managed,
        "ServiceID": e.service_owner.clone().unwrap_or_default(),
        "OwnerId": e.owner_uid,
        "CreationTime": e.creation_time.to_string(),
    })
}

/// DescribeNetworkInterfaces: the caller's ENIs of the region, filtered, in id order, paged.
pub fn describe_network_interfaces(
    state: &EcsState,
    ctx: &OpCtx,
    p: &DescribeNetworkInterfaces,
) -> Value {
    let ip = p.primary_ip_address.as_deref().map(str::trim);
    let paging = Paging {
        page_number: p.page_number,
        page_size: p.page_size,
        max_results: p.max_results,
        next_token: p.next_token.clone(),
    };
    let unfiltered = p.network_interface_ids.is_empty()
        && p.vpc_id.is_none()
        && p.vswitch_id.is_none()
        && p.instance_id.is_none()
        && p.security_group_id.is_none()
        && ip.is_none()
        && p.eni_type.is_none();
    if let (true, Some(ids)) = (unfiltered, state.indexed_enis(&ctx.caller, &ctx.region_id)) {
        let empty = BTreeSet::new();
        return page_ids(
            ids.unwrap_or(&empty),
            &paging,
            "NetworkInterfaceSets",
            "NetworkInterfaceSet",
            |id| state.eni(id).map(eni_json),
        );
    }
    // The caller's ENIs of the region: from the (owner, region) index when it is built, so
    // that other accounts' and regions' ENIs cost nothing; else a scan.
    // Named ENIs are looked up, not searched for.
    let named: BTreeSet<&String> = p.network_interface_ids.iter().collect();
    let candidates: Box<dyn Iterator<Item = &Eni>> =
        match state.indexed_enis(&ctx.caller, &ctx.region_id) {
            _ if !named.is_empty() => Box::new(named.into_iter().filter_map(|id| state.eni(id))),
            Some(ids) => Box::new(ids.into_iter().flatten().filter_map(|id| state.eni(id))),
            None => Box::new(state.enis.values()),
        };
    let rows: Vec<&Eni> = candidates
        .filter(|e| e.region_id == ctx.region_id && e.owner_uid == ctx.caller)
        .filter(|e| {
            p.network_interface_ids.is_empty()
                || p.network_interface_ids
                    .iter()
                    .any(|x| *x == e.network_interface_id)
        })
        .filter(|e| p.vpc_id.as_ref().is_none_or(|v| *v == e.vpc_id))
        .filter(|e| p.vswitch_id.as_ref().is_none_or(|v| *v == e.vswitch_id))
        .filter(|e| {
            p.instance_id
                .as_ref()
                .is_none_or(|v| e.instance_id.as_deref() == Some(v.as_str()))
        })
        .filter(|e| {
            p.security_group_id
                .as_ref()
                .is_none_or(|v| e.security_group_ids.iter().any(|g| g == v))
        })
        .filter(|e| ip.is_none_or(|v| e.private_ip.to_string() == v))
        .filter(|e| p.eni_type.is_none_or(|t| t == e.eni_type))
        .collect();
    page_json_token(
        &rows,
        &paging,
        "NetworkInterfaceSets",
        "NetworkInterfaceSet",
        |e| e.network_interface_id.as_str(),
        |e| eni_json(e),
    )
}

/// `{TotalCount, PageNumber, PageSize, <outer>: {<inner>: [...]}}` for `rows`.
pub(crate) fn page_json<T>(
    rows: &[T],
    page_number: Option<i64>,
    page_size: Option<i64>,
    outer: &str,
    inner: &str,
    f: impl Fn(&T) -> Value,
) -> Value {
    let number = page_number.unwrap_or(1).max(1);
    let size = page_size.unwrap_or(10).clamp(1, 100);
    let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(10);
    let page: Vec<Value> = rows.iter().skip(skip).take(take).map(f).collect();
    let mut out = serde_json::Map::new();
    out.insert("TotalCount".into(), json!(rows.len()));
    out.insert("PageNumber".into(), json!(number));
    out.insert("PageSize".into(), json!(size));
    out.insert(outer.into(), json!({ inner: page }));
    Value::Object(out)
}

/// How a Describe call pages: by page number (`PageNumber`/`PageSize`), or by token
/// (`MaxResults`/`NextToken`: the token is the id of the last row of the previous page, so a
/// page starts right after it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    /// `PageNumber` (default 1).
    pub page_number: Option<i64>,
    /// `PageSize` (default 10, at most 100).
    pub page_size: Option<i64>,
    /// `MaxResults` (token paging; default 10, at most 100).
    pub max_results: Option<i64>,
    /// `NextToken` (token paging).
    pub next_token: Option<String>,
}

impl Paging {
    /// True when the request pages by token.
    pub fn by_token(&self) -> bool {
        self.max_results.is_some() || self.next_token.is_some()
    }
}

/// `{TotalCount, PageNumber, PageSize, NextToken, <outer>: {<inner>: [...]}}` for `rows`
/// (sorted by id, `id_of`), paged per `paging`. `NextToken` is the id of the page's last row
/// when more rows follow, else empty.
pub(crate) fn page_json_token<T>(
    rows: &[T],
    paging: &Paging,
    outer: &str,
    inner: &str,
    id_of: impl Fn(&T) -> &str,
    f: impl Fn(&T) -> Value,
) -> Value {
    let (number, size, skip) = if paging.by_token() {
        let size = paging.max_results.unwrap_or(10).clamp(1, 100);
        let skip = match &paging.next_token {
            Some(t) => rows.partition_point(|r| id_of(r) <= t.as_str()),
            None => 0,
        };
        (1, size, skip)
    } else {
        let number = paging.page_number.unwrap_or(1).max(1);
        let size = paging.page_size.unwrap_or(10).clamp(1, 100);
        let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
        (number, size, skip)
    };
    let take = usize::try_from(size).unwrap_or(10);
    let page: Vec<&T> = rows.iter().skip(skip).take(take).collect();
    let more = skip.saturating_add(page.len()) < rows.len();
    let next = match page.last() {
        Some(last) if more => id_of(last).to_string(),
        _ => String::new(),
    };
    let mut out = serde_json::Map::new();
    out.insert("TotalCount".into(), json!(rows.len()));
    out.insert("PageNumber".into(), json!(number));
    out.insert("PageSize".into(), json!(size));
    out.insert("NextToken".into(), json!(next));
    out.insert(
        outer.into(),
        json!({ inner: page.into_iter().map(f).collect::<Vec<_>>() }),
    );
    Value::Object(out)
}

/// The page of `ids` (sorted, all matching) that `paging` asks for, in the shape of
/// [`page_json_token`]: `TotalCount` is the set's size and only the page's rows are built, so
/// the cost is the page's (plus the skipped offset for `PageNumber` paging).
pub(crate) fn page_ids(
    ids: &BTreeSet<Id>,
    paging: &Paging,
    outer: &str,
    inner: &str,
    f: impl Fn(&str) -> Option<Value>,
) -> Value {
    let (number, size) = if paging.by_token() {
        (1, paging.max_results.unwrap_or(10).clamp(1, 100))
    } else {
        (
            paging.page_number.unwrap_or(1).max(1),
            paging.page_size.unwrap_or(10).clamp(1, 100),
        )
    };
    let take = usize::try_from(size).unwrap_or(10);
    let rest: Box<dyn Iterator<Item = &Id>> = match (&paging.next_token, paging.by_token()) {
        (Some(t), true) => Box::new(ids.range::<str, _>((
            std::ops::Bound::Excluded(t.as_str()),
            std::ops::Bound::Unbounded,
        ))),
        (None, true) => Box::new(ids.iter()),
        (_, false) => {
            let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
            Box::new(ids.iter().skip(skip))
        }
    };
    let mut rest = rest.peekable();
    let mut page = Vec::with_capacity(take);
    let mut last = None;
    while page.len() < take {
        let Some(id) = rest.next() else { break };
        if let Some(v) = f(id) {
            page.push(v);
            last = Some(id);
        }
    }
    let next = match (last, rest.peek().is_some()) {
        (Some(id), true) => String::from(id),
        _ => String::new(),
    };
    let mut out = serde_json::Map::new();
    out.insert("TotalCount".into(), json!(ids.len()));
    out.insert("PageNumber".into(), json!(number));
    out.insert("PageSize".into(), json!(size));
    out.insert("NextToken".into(), json!(next));
    out.insert(outer.into(), json!({ inner: page }));
    Value::Object(out)
}

/// True when `vsw` is usable for new addresses at `now` (`IncorrectVSwitchStatus` otherwise).
pub fn vswitch_available(vsw: &VSwitch, now: Timestamp) -> bool {
    vsw.lifecycle.at(now) == NetStatus::Available
}
