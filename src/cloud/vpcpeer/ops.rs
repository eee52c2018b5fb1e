//! VPC peering operations (§3.3): validation in the spec's order, then effects.
//!
//! Each `*_pre` function performs the checks that precede RAM authorization
//! (§0.4.10 (a)–(b)); `authorization_request` reuses them so the gateway sees
//! the same errors in the same order.

use crate::cloud::account::Account;
use crate::cloud::error::CloudError;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::region::{is_cross_border, RegionInfo};
use crate::cloud::time::Timestamp;
use crate::cloud::timers::Timer;
use crate::cloud::validate::{
    generic_text_ok, peer_create_desc_ok, peer_create_name_ok, token_page,
};
use crate::cloud::vpc::route::NextHopType;
use crate::cloud::vpc::{NetStatus, Vpc};
use crate::cloud::vpcpeer::api::{
    AcceptVpcPeerConnection, CreateVpcPeerConnection, DeleteVpcPeerConnection,
    GetVpcPeerConnectionAttribute, ListVpcPeerConnections, ModifyVpcPeerConnection,
    RejectVpcPeerConnection,
};
use crate::cloud::vpcpeer::billing;
use crate::cloud::vpcpeer::{PeerStatus, Peering};
use crate::cloud::world::{CallContext, ServiceEvent, World};
use serde_json::{json, Value};

/// Default inter-region bandwidth (§3.3.1 effects).
const DEFAULT_INTER_REGION_BANDWIDTH: i64 = 1024;

/// References resolved by the pre-authorization checks of CreateVpcPeerConnection.
pub(crate) struct CreatePeerRefs<'a> {
    pub acct: &'a Account,
    pub peer_acct: &'a Account,
    pub vpc: &'a Vpc,
    pub accepting_vpc: &'a Vpc,
    pub region: &'static RegionInfo,
    pub accepting_region: &'static RegionInfo,
}

fn violative() -> CloudError {
    CloudError::bad(
        "OperationFailed.ViolativeVpcPeer",
        "The operation is not allowed to create a vpc peer instance between the originating region and the receiving region.",
    )
}

fn not_owner() -> CloudError {
    CloudError::bad(
        "OperationDenied.VpcNotOwner",
        "Only the owner of the VPC can perform this operation.",
    )
}

fn valid_link_type(s: &str) -> bool {
    // §3.3.1 LinkType: Platinum or Gold; Silver rejected (ASSUMED).
    s == "Gold" || s == "Platinum"
}

impl World {
    /// Max bandwidth for a region pair (§3.5).
    fn max_bandwidth(&self, a: &RegionInfo, b: &RegionInfo) -> i64 {
        if is_cross_border(a, b) {
            self.options.quotas.max_cross_border_bandwidth
        } else {
            self.options.quotas.max_inter_region_bandwidth
        }
    }

    /// Peering visible to `uid` at `now`: requester or accepter (and, with
    /// `include_users`, a resource user of either VPC so that P-SHARED can answer
    /// `OperationDenied.VpcNotOwner`). Deleted records are invisible (§3.2 T9).
    pub(crate) fn visible_peer(
        &self,
        id: &str,
        uid: &str,
        now: Timestamp,
        include_users: bool,
    ) -> Result<&Peering, CloudError> {
        let p = self
            .peerings
            .get(id)
            .filter(|p| p.status_at(now) != PeerStatus::Deleted)
            .ok_or_else(|| CloudError::peer_not_found(id))?;
        // A party sees its peering without looking its VPCs up (two map lookups, a third of
        // a Delete's checks); only others are asked whether a VPC is shared with them.
        let user = || {
            include_users
                && [&p.vpc_id, &p.accepting_vpc_id].iter().any(|v| {
                    self.vpcs
                        .get(v.as_str())
                        .is_some_and(|v| v.shared_with.iter().any(|u| u == uid))
                })
        };
        if p.involves_account(uid) || user() {
            Ok(p)
        } else {
            Err(CloudError::peer_not_found(id))
        }
    }

    /// CreateVpcPeerConnection steps (a) and 1–5 (§3.3.1).
    pub(crate) fn create_peer_pre(
        &self,
        ctx: &CallContext,
        p: &CreateVpcPeerConnection,
    ) -> Result<CreatePeerRefs<'_>, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        // (a) syntax (§3.1 name/description rules at creation)
        if p.name.as_deref().is_some_and(|n| !peer_create_name_ok(n)) {
            return Err(CloudError::illegal_param("Name"));
        }
        if p.description
            .as_deref()
            .is_some_and(|d| !peer_create_desc_ok(d))
        {
            return Err(CloudError::illegal_param("Description"));
        }
        // step 1 (P-REGION)
        let unsupported = |r: &str| {
            CloudError::bad(
                "UnsupportedRegion",
                format!("The feature of VpcPeer is not supported in the region of {r}."),
            )
        };
        let region = self
            .region(&p.region_id)
            .filter(|r| r.peering)
            .ok_or_else(|| unsupported(&p.region_id))?;
        let accepting_region = self
            .region(&p.accepting_region_id)
            .filter(|r| r.peering)
            .ok_or_else(|| unsupported(&p.accepting_region_id))?;
        // step 2
        let vpc = self
            .vpcs
            .get(&p.vpc_id)
            .filter(|v| v.region_id == p.region_id && v.visible_to(&acct.uid))
            .ok_or_else(|| {
                CloudError::bad(
                    "ResourceNotFound.VpcId",
                    format!("The specified resource of {} is not found.", p.vpc_id),
                )
            })?;
        // step 3 (P-SHARED)
        if vpc.owner_uid != acct.uid {
            return Err(not_owner());
        }
        // step 4
        let peer_acct = self
            .accounts
            .get(&p.accepting_ali_uid)
            .ok_or_else(|| CloudError::illegal_param("AcceptingAliUid"))?;
        // step 5
        let accepting_vpc = self
            .vpcs
            .get(&p.accepting_vpc_id)
            .filter(|v| {
                v.region_id == p.accepting_region_id
                    && v.owner_uid == peer_acct.uid
                    && v.vpc_id != vpc.vpc_id
            })
            .ok_or_else(|| CloudError::illegal_param("AcceptingVpcId"))?;
        Ok(CreatePeerRefs {
            acct,
            peer_acct,
            vpc,
            accepting_vpc,
            region,
            accepting_region,
        })
    }

    pub(crate) fn plan_create_peer(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateVpcPeerConnection,
    ) -> Result<(Peering, Option<String>), CloudError> {
        let r = self.create_peer_pre(ctx, p)?;
        // step 6 is RAM authorization, done by the gateway via `authorization_request`.
        // step 7 (P-SITE), step 8 (P-REGIONTYPE)
        if r.acct.site != r.peer_acct.site {
            return Err(violative());
        }
        if r.region.region_type != r.accepting_region.region_type {
            return Err(violative());
        }
        // step 9
        if r.vpc.lifecycle.at(now) != NetStatus::Available {
            return Err(CloudError::bad(
                "IncorrectStatus.Vpc",
                format!("The status of {} is incorrect.", r.vpc.vpc_id),
            ));
        }
        if r.accepting_vpc.lifecycle.at(now) != NetStatus::Available {
            return Err(CloudError::bad(
                "IncorrectStatus.AcceptingVpc",
                format!("The status of {} is incorrect.", r.accepting_vpc.vpc_id),
            ));
        }
        let inter = p.region_id != p.accepting_region_id;
        // step 10 (P-BW)
        if !inter && p.bandwidth.is_some() {
            return Err(CloudError::illegal_param("Bandwidth"));
        }
        if !inter && p.link_type.is_some() {
            return Err(CloudError::illegal_param("LinkType"));
        }
        // step 11 (+ Bandwidth must be > 0)
        if p.link_type.as_deref().is_some_and(|l| !valid_link_type(l)) {
            return Err(CloudError::illegal_param("LinkType"));
        }
        if p.bandwidth.is_some_and(|b| b <= 0) {
            return Err(CloudError::illegal_param("Bandwidth"));
        }
        // step 12
        if p.bandwidth
            .is_some_and(|b| b > self.max_bandwidth(r.region, r.accepting_region))
        {
            return Err(CloudError::bad(
                "QuotaExceeded.Bandwidth",
                "The quota of bandwidth is exceeded.",
            ));
        }
        // step 13: requester CDT, auto-activated when allowed
        let same_account = r.acct.uid == r.peer_acct.uid;
        let open_cdt = !r.acct.cdt_enabled && self.options.auto_open_cdt;
        if !r.acct.cdt_enabled && !open_cdt {
            return Err(CloudError::bad(
                "OperationFailed.CdtNotOpened",
                "The CDT service is not opened.",
            ));
        }
        // step 14: accepter CDT (same account: covered by step 13's activation)
        if !(r.peer_acct.cdt_enabled || (same_account && open_cdt)) {
            return Err(CloudError::bad(
                "OperationFailed.AcceptUserCdtNotOpened",
                "The CDT service of the accepting user is not opened.",
            ));
        }
        // steps 15–16 (P-XBORDER)
        if is_cross_border(r.region, r.accepting_region) {
            if !r.acct.cross_border_cdt_enabled {
                return Err(CloudError::bad(
                    "OperationFailed.CrossBorderCdtNotOpened",
                    "The cross-border CDT service is not opened.",
                ));
            }
            if !r.peer_acct.cross_border_cdt_enabled {
                return Err(CloudError::bad(
                    "OperationFailed.AcceptUserCrossBorderCdtNotOpened",
                    "The cross-border CDT service of the accepting user is not opened.",
                ));
            }
        }
        // steps 17–18
        if r.acct.overdue {
            return Err(CloudError::bad(
                "IncorrectBusinessStatus.VpcPeer",
                "The business status of the requester is incorrect.",
            ));
        }
        if r.peer_acct.overdue {
            return Err(CloudError::bad(
                "IncorrectBusinessStatus.AcceptUserVpcPeer",
                "The business status of the accepting user is incorrect.",
            ));
        }
        // ResourceGroupId (position not numbered by the spec; ASSUMED here)
        if let Some(rg) = &p.resource_group_id {
            if !r.acct.resource_groups.contains(rg) {
                return Err(CloudError::bad(
                    "OperationFailed.NotExist.ResourceGroup",
                    format!("The resource group {rg} does not exist."),
                ));
            }
        }
        // step 19: same VPC pair, either direction, non-terminal
        let live: Vec<&Peering> = self
            .peerings
            .values()
            .filter(|x| x.status_at(now).counts())
            .collect();
        if live
            .iter()
            .any(|x| x.involves_vpc(&r.vpc.vpc_id) && x.involves_vpc(&r.accepting_vpc.vpc_id))
        {
            return Err(CloudError::bad(
                "ResourceAlreadyExist.VpcPeer",
                "The vpc peer connection already exists.",
            ));
        }
        // step 20: concurrent peering operations on either VPC (Stepped mode only)
        if live.iter().any(|x| {
            x.status_at(now).transitional()
                && (x.involves_vpc(&r.vpc.vpc_id) || x.involves_vpc(&r.accepting_vpc.vpc_id))
        }) {
            return Err(CloudError::bad(
                "Conflict.Operation",
                "There are other peering operations on the requester VPC or accepter VPC, try again later.",
            ));
        }
        // step 21: quotas (§3.5)
        let q = &self.options.quotas;
        for v in [&r.vpc.vpc_id, &r.accepting_vpc.vpc_id] {
            let on_vpc: Vec<&&Peering> = live.iter().filter(|x| x.involves_vpc(v)).collect();
            let same_kind = on_vpc
                .iter()
                .filter(|x| x.is_inter_region() == inter)
                .count();
            if inter && same_kind >= q.inter_region_peers_per_vpc as usize {
                return Err(CloudError::bad(
                    "QuotaExceeded.CrossRegionVpcPeerCountPerVpc",
                    "The number of cross-region vpc peer connections per VPC exceeds the quota.",
                ));
            }
            if !inter && same_kind >= q.intra_region_peers_per_vpc as usize {
                return Err(CloudError::bad(
                    "QuotaExceeded.IntraRegionVpcPeerCountPerVpc",
                    "The number of intra-region vpc peer connections per VPC exceeds the quota.",
                ));
            }
            if q.legacy_peers_per_vpc
                .is_some_and(|max| on_vpc.len() >= max as usize)
            {
                return Err(CloudError::bad(
                    "QuotaExceeded.VpcPeerCountPerVpc",
                    "The number of vpc peer connections per VPC exceeds the quota.",
                ));
            }
        }
        let mine = live
            .iter()
            .filter(|x| x.owner_uid == r.acct.uid && x.region_id == p.region_id)
            .count();
        if mine >= q.peers_per_account_region as usize {
            return Err(CloudError::bad(
                "QuotaExceeded.VpcPeerCountPerUserPerRegion",
                "The number of vpc peer connections per user per region exceeds the quota.",
            ));
        }
        // step 22
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        let target = if same_account {
            PeerStatus::Activated
        } else {
            PeerStatus::Accepting
        };
        let link_type = if inter {
            p.link_type.clone().unwrap_or_else(|| "Gold".into())
        } else {
            String::new()
        };
        let peering = Peering {
            instance_id: String::new(),
            name: p.name.clone().unwrap_or_default(),
            description: p.description.clone().unwrap_or_default(),
            owner_uid: r.acct.uid.clone(),
            region_id: p.region_id.clone(),
            vpc_id: r.vpc.vpc_id.clone(),
            accepting_owner_uid: r.peer_acct.uid.clone(),
            accepting_region_id: p.accepting_region_id.clone(),
            accepting_vpc_id: r.accepting_vpc.vpc_id.clone(),
            bandwidth: p.bandwidth.unwrap_or(if inter {
                DEFAULT_INTER_REGION_BANDWIDTH
            } else {
                -1
            }),
            link_type: link_type.clone(),
            // T1 / T2
            lifecycle: Lifecycle::start(
                self.stepped(),
                PeerStatus::Creating,
                target,
                self.settle_at(now),
            ),
            gmt_create: now,
            gmt_modified: now,
            gmt_expired: (!same_account).then(|| now.plus(self.options.peering_expiry_secs)),
            resource_group_id: p
                .resource_group_id
                .clone()
                .unwrap_or_else(|| r.acct.default_resource_group().to_string()),
            tags: p.tags.clone(),
            link_type_history: if inter {
                vec![(now, link_type)]
            } else {
                Vec::new()
            },
        };
        Ok((peering, open_cdt.then(|| r.acct.uid.clone())))
    }

    pub(crate) fn apply_create_peer(
        &mut self,
        now: Timestamp,
        mut peering: Peering,
        open_cdt_for: Option<String>,
    ) -> Value {
        if let Some(uid) = open_cdt_for {
            if let Some(a) = self.accounts.get_mut(&uid) {
                a.cdt_enabled = true;
                self.service_events.push(ServiceEvent {
                    time: now,
                    event_name: "OpenCdtService".into(),
                    resource_type: "ACS::CDT::Service".into(),
                    resource_id: uid.clone(),
                    recipient_account_id: uid,
                    detail: Value::Null,
                });
            }
        }
        let id = self.new_id("pcc", &peering.region_id);
        peering.instance_id = id.clone();
        self.peerings.insert(id.clone(), peering);
        self.track(Timer::Peering(id.clone()));
        json!({"InstanceId": id})
    }

    /// Accept/Reject steps 1–2 (§3.3.2).
    pub(crate) fn accept_pre(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        id: &str,
    ) -> Result<&Peering, CloudError> {
        let acct = self.caller_account(ctx)?;
        let p = self.visible_peer(id, &acct.uid, now, false)?;
        if p.accepting_owner_uid != acct.uid {
            return Err(CloudError::bad(
                "OperationDenied.NotAccepter",
                "Only the accepter can perform this operation.",
            ));
        }
        Ok(p)
    }

    /// The peering `id` as seen by its accepter, which must still be `Accepting` (shared by
    /// Accept and Reject).
    fn pending_for_accepter(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        id: &str,
    ) -> Result<&Peering, CloudError> {
        let p = self.accept_pre(ctx, now, id)?;
        let st = p.status_at(now);
        if st != PeerStatus::Accepting {
            return Err(CloudError::peer_incorrect_status(
                &p.instance_id,
                st.as_str(),
            ));
        }
        Ok(p)
    }

    pub(crate) fn plan_accept_peer(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        op: &AcceptVpcPeerConnection,
    ) -> Result<String, CloudError> {
        // Step 3 is RAM authorization (gateway). Step 4: T5 applied lazily by status_at.
        let p = self.pending_for_accepter(ctx, now, &op.instance_id)?;
        let acct = self.caller_account(ctx)?;
        // step 5
        if !acct.cdt_enabled {
            return Err(CloudError::bad(
                "OperationFailed.CdtNotOpened",
                "The CDT service is not opened.",
            ));
        }
        let cross = match (
            self.region(&p.region_id),
            self.region(&p.accepting_region_id),
        ) {
            (Some(a), Some(b)) => is_cross_border(a, b),
            _ => false,
        };
        if cross && !acct.cross_border_cdt_enabled {
            return Err(CloudError::bad(
                "OperationFailed.CrossBorderCdtNotOpened",
                "The cross-border CDT service is not opened.",
            ));
        }
        // step 6
        if acct.overdue {
            return Err(CloudError::bad(
                "IncorrectBusinessStatus.VpcPeer",
                "The business status of the accepter is incorrect.",
            ));
        }
        // step 7
        if let Some(rg) = &op.resource_group_id {
            if !acct.resource_groups.contains(rg) {
                return Err(CloudError::bad(
                    "OperationFailed.NotExist.ResourceGroup",
                    format!("The resource group {rg} does not exist."),
                ));
            }
        }
        // step 8
        if op.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(p.instance_id.clone())
    }

    pub(crate) fn apply_accept_peer(&mut self, now: Timestamp, id: &str) -> Value {
        let stepped = self.stepped();
        let at = self.settle_at(now);
        if let Some(p) = self.peerings.get_mut(id) {
            // T3
            p.lifecycle =
                Lifecycle::start(stepped, PeerStatus::Updating, PeerStatus::Activated, at);
            p.gmt_expired = None;
            p.gmt_modified = now;
        }
        self.track(Timer::Peering(id.to_string()));
        json!({})
    }

    pub(crate) fn plan_reject_peer(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        op: &RejectVpcPeerConnection,
    ) -> Result<String, CloudError> {
        let p = self.pending_for_accepter(ctx, now, &op.instance_id)?;
        if op.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(p.instance_id.clone())
    }

    pub(crate) fn apply_reject_peer(&mut self, now: Timestamp, id: &str) -> Value {
        if let Some(p) = self.peerings.get_mut(id) {
            // T4
            p.lifecycle = Lifecycle::settled(PeerStatus::Rejected);
            p.gmt_expired = None;
            p.gmt_modified = now;
        }
        json!({})
    }

    /// Modify/Delete step 1 (§3.3.4, §3.3.5).
    pub(crate) fn modify_pre(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        id: &str,
    ) -> Result<&Peering, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.visible_peer(id, &acct.uid, now, true)
    }

    pub(crate) fn plan_modify_peer(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        op: &ModifyVpcPeerConnection,
    ) -> Result<(String, ModifyVpcPeerConnection), CloudError> {
        let p = self.modify_pre(ctx, now, &op.instance_id)?;
        // (a) Modify name/description rules (§3.1)
        if op.name.as_deref().is_some_and(|n| !generic_text_ok(n, 128)) {
            return Err(CloudError::illegal_param("Name"));
        }
        if op
            .description
            .as_deref()
            .is_some_and(|d| !generic_text_ok(d, 256))
        {
            return Err(CloudError::illegal_param("Description"));
        }
        // step 2 (P-SHARED)
        if !p.involves_account(&ctx.caller_account) {
            return Err(not_owner());
        }
        // step 3
        let st = p.status_at(now);
        if st != PeerStatus::Activated {
            return Err(CloudError::peer_incorrect_status(
                &p.instance_id,
                st.as_str(),
            ));
        }
        // step 4
        if self.peering_biz_status(p) != "Normal" {
            return Err(CloudError::bad(
                "IncorrectBusinessStatus.VpcPeer",
                "The business status of the vpc peer connection is incorrect.",
            ));
        }
        // step 5 (P-BW)
        if !p.is_inter_region() && (op.bandwidth.is_some() || op.link_type.is_some()) {
            return Err(CloudError::bad(
                "OperationFailed.BandwidthCannotBeChangedInSameRegion",
                "The bandwidth of an intra-region vpc peer connection cannot be changed.",
            ));
        }
        if op.link_type.as_deref().is_some_and(|l| !valid_link_type(l)) {
            return Err(CloudError::illegal_param("LinkType"));
        }
        if op.bandwidth.is_some_and(|b| b <= 0) {
            return Err(CloudError::illegal_param("Bandwidth"));
        }
        // step 6
        if let (Some(b), Some(ra), Some(rb)) = (
            op.bandwidth,
            self.region(&p.region_id),
            self.region(&p.accepting_region_id),
        ) {
            if b > self.max_bandwidth(ra, rb) {
                return Err(CloudError::bad(
                    "QuotaExceeded.Bandwidth",
                    "The quota of bandwidth is exceeded.",
                ));
            }
        }
        if op.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((p.instance_id.clone(), op.clone()))
    }

    pub(crate) fn apply_modify_peer(
        &mut self,
        now: Timestamp,
        id: &str,
        op: ModifyVpcPeerConnection,
    ) -> Value {
        let stepped = self.stepped();
        let at = self.settle_at(now);
        if let Some(p) = self.peerings.get_mut(id) {
            if let Some(n) = op.name {
                p.name = n;
            }
            if let Some(d) = op.description {
                p.description = d;
            }
            if let Some(b) = op.bandwidth {
                p.bandwidth = b;
            }
            if let Some(l) = op.link_type {
                if l != p.link_type {
                    // §3.7 rule 4: keep the history for hourly billing.
                    p.link_type_history.push((now, l.clone()));
                    p.link_type = l;
                }
            }
            // T6
            p.lifecycle =
                Lifecycle::start(stepped, PeerStatus::Updating, PeerStatus::Activated, at);
            p.gmt_modified = now;
        }
        self.track(Timer::Peering(id.to_string()));
        json!({})
    }

    /// Route entries whose next hop is the peering (in any VPC).
    pub fn routes_via_peering(&self, id: &str) -> Vec<String> {
        self.route_entries
            .values()
            .filter(|e| e.next_hop_type == Some(NextHopType::VpcPeer) && e.next_hop_id == id)
            .map(|e| e.route_entry_id.clone())
            .collect()
    }

    pub(crate) fn plan_delete_peer(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        op: &DeleteVpcPeerConnection,
    ) -> Result<(String, Vec<String>), CloudError> {
        let p = self.modify_pre(ctx, now, &op.instance_id)?;
        // step 2 (P-SHARED)
        if !p.involves_account(&ctx.caller_account) {
            return Err(not_owner());
        }
        // step 3
        let st = p.status_at(now);
        if !matches!(
            st,
            PeerStatus::Activated
                | PeerStatus::Accepting
                | PeerStatus::Rejected
                | PeerStatus::Expired
        ) {
            return Err(CloudError::peer_incorrect_status(
                &p.instance_id,
                st.as_str(),
            ));
        }
        // step 4
        let routes = self.routes_via_peering(&p.instance_id);
        if !op.force && !routes.is_empty() {
            return Err(CloudError::bad(
                "OperationDenied.RouteEntryExist",
                "The operation is denied because of existing routeEntry point to VpcPeer.",
            ));
        }
        if op.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok((p.instance_id.clone(), routes))
    }

    pub(crate) fn apply_delete_peer(
        &mut self,
        now: Timestamp,
        id: &str,
        routes: Vec<String>,
    ) -> Value {
        // Force=true: the platform deletes the routes first, one service event each (§3.3.5).
        for r in routes {
            if let Some(e) = self.remove_route_entry(&r) {
                let owner = self
                    .vpcs
                    .get(&e.vpc_id)
                    .map(|v| v.owner_uid.clone())
                    .unwrap_or_default();
                self.service_events.push(ServiceEvent {
                    time: now,
                    event_name: "DeleteRouteEntry".into(),
                    resource_type: "ACS::VPC::RouteEntry".into(),
                    resource_id: r,
                    recipient_account_id: owner,
                    detail: json!({"RouteTableId": e.route_table_id, "NextHopId": id}),
                });
            }
        }
        let stepped = self.stepped();
        let at = self.settle_at(now);
        if let Some(p) = self.peerings.get_mut(id) {
            // T7
            p.lifecycle = Lifecycle::start(stepped, PeerStatus::Deleting, PeerStatus::Deleted, at);
            p.gmt_modified = now;
        }
        if !stepped {
            if let Some((key, p)) = self.peerings.remove_entry(id) {
                self.archived_peerings.insert(key, p);
            }
        }
        self.track(Timer::Peering(id.to_string()));
        json!({})
    }

    /// Response object of Get/List (§3.3.6), typed: Alibaba's field order is the struct's.
    pub fn peering_view(&self, p: &Peering, now: Timestamp) -> PeeringView {
        let st = p.status_at(now);
        let vpc_view = |id: &str| {
            let v = self.vpcs.get(id);
            PeeringVpcView {
                vpc_id: id.to_string(),
                ipv4_cidrs: v
                    .map(|v| {
                        v.ipv4_cidrs()
                            .iter()
                            .map(crate::cloud::packet::cidr_text)
                            .collect()
                    })
                    .unwrap_or_default(),
                ipv6_cidrs: v
                    .and_then(|v| v.ipv6_cidr_block.clone())
                    .into_iter()
                    .collect(),
            }
        };
        let gmt_expired = match st {
            PeerStatus::Accepting | PeerStatus::Expired => p.gmt_expired.map(|t| t.text()),
            _ => None,
        };
        PeeringView {
            instance_id: p.instance_id.clone(),
            gmt_create: p.gmt_create.text(),
            gmt_modified: p.gmt_modified.text(),
            name: p.name.clone(),
            description: p.description.clone(),
            owner_id: p.owner_uid.parse::<u64>().unwrap_or_default(),
            accepting_owner_uid: p.accepting_owner_uid.parse::<u64>().unwrap_or_default(),
            region_id: p.region_id.clone(),
            accepting_region_id: p.accepting_region_id.clone(),
            bandwidth: p.bandwidth,
            status: st.as_str(),
            biz_status: self.peering_biz_status(p),
            gmt_expired,
            resource_group_id: p.resource_group_id.clone(),
            link_type: p.link_type.clone(),
            vpc: vpc_view(&p.vpc_id),
            accepting_vpc: vpc_view(&p.accepting_vpc_id),
            tags: p
                .tags
                .iter()
                .map(|(k, v)| TagView {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        }
    }

    /// [`World::peering_view`] as a JSON value (a List row).
    pub fn peering_json(&self, p: &Peering, now: Timestamp) -> Value {
        // A struct of strings, numbers and vectors always converts.
        serde_json::to_value(self.peering_view(p, now)).unwrap_or(Value::Null)
    }

    pub(crate) fn get_peer(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        op: &GetVpcPeerConnectionAttribute,
    ) -> Result<PeeringView, CloudError> {
        let acct = self.caller_account(ctx)?;
        let p = self.visible_peer(&op.instance_id, &acct.uid, now, false)?;
        Ok(self.peering_view(p, now))
    }

    pub(crate) fn list_peers(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        op: &ListVpcPeerConnections,
    ) -> Result<Value, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&op.region_id)?;
        let rows: Vec<Value> = self
            .peerings
            .values()
            .filter(|p| p.status_at(now) != PeerStatus::Deleted)
            // §3.3.7 visibility (ASSUMED): each side sees the record in its own region.
            .filter(|p| {
                (p.owner_uid == acct.uid && p.region_id == op.region_id)
                    || (p.accepting_owner_uid == acct.uid && p.accepting_region_id == op.region_id)
            })
            .filter(|p| op.instance_id.as_ref().is_none_or(|x| &p.instance_id == x))
            .filter(|p| op.vpc_ids.is_empty() || op.vpc_ids.iter().any(|v| p.involves_vpc(v)))
            .filter(|p| op.name.as_ref().is_none_or(|x| &p.name == x))
            .filter(|p| {
                op.resource_group_id
                    .as_ref()
                    .is_none_or(|x| &p.resource_group_id == x)
            })
            .map(|p| self.peering_json(p, now))
            .collect();
        let size = usize::try_from(op.max_results).unwrap_or(20);
        let (page, next) = token_page(&rows, op.next_token.as_deref(), size, || {
            CloudError::illegal_param("NextToken")
        })?;
        Ok(json!({
            "NextToken": next,
            "TotalCount": rows.len(),
            "MaxResults": op.max_results,
            "VpcPeerConnects": page,
        }))
    }
}

/// A peering as Get and List answer it (`PEERING_FIELDS` in `api.rs` names the same fields).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeeringView {
    instance_id: String,
    gmt_create: String,
    gmt_modified: String,
    name: String,
    description: String,
    owner_id: u64,
    accepting_owner_uid: u64,
    region_id: String,
    accepting_region_id: String,
    bandwidth: i64,
    status: &'static str,
    biz_status: &'static str,
    gmt_expired: Option<String>,
    resource_group_id: String,
    link_type: String,
    vpc: PeeringVpcView,
    accepting_vpc: PeeringVpcView,
    tags: Vec<TagView>,
}

/// One side's VPC in a [`PeeringView`].
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct PeeringVpcView {
    vpc_id: String,
    ipv4_cidrs: Vec<String>,
    ipv6_cidrs: Vec<String>,
}

/// A tag in a [`PeeringView`].
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagView {
    key: String,
    value: String,
}

impl World {
    /// Records `gigabytes` sent by `from_vpc_id` over a peering during the hour
    /// containing `hour_start` (`billing.record_traffic`, §3.7).
    pub fn record_traffic(
        &mut self,
        peering_id: &str,
        from_vpc_id: &str,
        gigabytes: u64,
        hour_start: Timestamp,
    ) -> Result<(), CloudError> {
        let p = self
            .peerings
            .get(peering_id)
            .ok_or_else(|| CloudError::peer_not_found(peering_id))?;
        let payer = self.vpcs.get(from_vpc_id).map(|v| v.owner_uid.as_str());
        let record = billing::traffic_record(p, from_vpc_id, payer, gigabytes, hour_start)?;
        self.traffic.push(record);
        Ok(())
    }

    /// Fee charged to `account_uid` for the billing hour containing `hour_start`
    /// (`billing.fee`, §3.7): that account's lines of the CDT bill for the hour (one pricing
    /// path, [`crate::cloud::traffic::bill`]), in micro-CNY.
    pub fn fee(
        &self,
        account_uid: &str,
        hour_start: Timestamp,
    ) -> Result<billing::Cny, CloudError> {
        let start = hour_start.hour_floor();
        let bill = self
            .bill(&crate::cloud::traffic::bill::BillQuery {
                account: Some(account_uid.to_string()),
                from: Some(start),
                to: Some(start.plus(crate::cloud::time::HOUR)),
            })
            .map_err(|e| CloudError::bad("Billing.Unavailable", e))?;
        // Bill units are 10^-15 CNY; a fee is micro-CNY.
        let micro = bill.total_units() / 1_000_000_000;
        Ok(billing::Cny(u64::try_from(micro).unwrap_or(u64::MAX)))
    }
}
