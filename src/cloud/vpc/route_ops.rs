//! CreateRouteEntry, DeleteRouteEntry, DescribeRouteTableList, DescribeRouteEntryList (§2.3, §2.4).

use crate::cloud::error::CloudError;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use crate::cloud::timers::Timer;
use crate::cloud::validate::{
    optional_description, optional_text, page_of, page_of_counted, token_page,
};
use crate::cloud::vpc::api::{
    CreateRouteEntry, DeleteRouteEntry, DescribeRouteEntryList, DescribeRouteTableList,
};
use crate::cloud::vpc::route::{NextHopItem, NextHopType, RouteEntry, RouteTable};
use crate::cloud::vpc::{cgnat, NetStatus};
use crate::cloud::vpcpeer::PeerStatus;
use crate::cloud::world::{CallContext, World};
use ipnet::IpNet;
use serde_json::{json, Value};
use std::net::IpAddr;

/// Parses a destination: a strict CIDR or a single IP treated as /32 (/128) (§2.4.4).
pub fn parse_destination(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return (n.trunc() == n).then_some(n);
    }
    s.parse::<IpAddr>().ok().map(IpNet::from)
}

fn table_not_found() -> CloudError {
    CloudError::not_found(
        "InvalidRouteTableId.NotFound",
        "The specified route table does not exist.",
    )
}

impl World {
    /// A route table in `region` whose VPC is owned by the caller (§0.4.2: other
    /// regions are reported as not found).
    fn owned_table(&self, caller: &str, region: &str, id: &str) -> Result<&RouteTable, CloudError> {
        self.route_tables
            .get(id)
            .filter(|t| t.region_id == region && t.owner_uid == caller)
            .ok_or_else(table_not_found)
    }

    pub(crate) fn plan_create_route_entry(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateRouteEntry,
    ) -> Result<(String, RouteEntry), CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        optional_text(
            p.route_entry_name.as_deref(),
            128,
            "InvalidRouteEntryName.Malformed",
            "Specified route entry name is not valid.",
        )?;
        optional_description(p.description.as_deref())?;
        // §2.4.4 step 1
        let table = self.owned_table(&acct.uid, &p.region_id, &p.route_table_id)?;
        let vpc_id = table.vpc_id.clone();
        // step 2: exactly one of (NextHopType+NextHopId) or NextHopList
        let pair = p.next_hop_id.is_some();
        let list = !p.next_hop_list.is_empty();
        if !pair && !list {
            return Err(CloudError::bad(
                "InvalidNexthopTypeAndList.BothNull",
                "NextHopType/NextHopId and NextHopList are both null.",
            ));
        }
        if pair && list {
            return Err(CloudError::bad(
                "InvalidNexthopTypeAndList.BothNotNull",
                "NextHopType/NextHopId and NextHopList cannot both be set.",
            ));
        }
        let hop_type = match (&p.next_hop_type, pair) {
            (Some(t), _) => Some(NextHopType::parse(t).ok_or_else(|| {
                CloudError::invalid_param("NextHopType", "unsupported next hop type")
            })?),
            (None, true) => Some(NextHopType::Instance), // default when omitted (§2.4.2)
            (None, false) => None,
        };
        // step 3
        let dest = parse_destination(&p.destination_cidr_block).ok_or_else(|| {
            CloudError::bad(
                "InvalidCidrBlock.Malformed",
                "Specified destination CIDR block is malformed.",
            )
        })?;
        // step 4: not inside/equal to 100.64.0.0/10, except Attachment (ALB back-to-origin, S3)
        if let (IpNet::V4(d), Some(c)) = (dest, cgnat()) {
            if c.contains(&d) && hop_type != Some(NextHopType::Attachment) {
                return Err(CloudError::bad(
                    "InvalidDestinationCidrBlock",
                    "The destination CIDR block is invalid.",
                ));
            }
        }
        // step 5: vSwitch CIDR conflicts
        if let IpNet::V4(d) = dest {
            for s in self.vswitches_of(&vpc_id) {
                if s.cidr_block == d {
                    return Err(CloudError::bad(
                        "RouteConflict.AlreadyExist",
                        "The destination CIDR block equals a vSwitch CIDR block.",
                    ));
                }
                if s.cidr_block.contains(&d) {
                    return Err(CloudError::bad(
                        "InvalidCidrBlock",
                        "The destination CIDR block is contained in a vSwitch CIDR block.",
                    ));
                }
            }
        }
        // step 6: one destination per table
        let hop_id = p.next_hop_id.clone().unwrap_or_default();
        if let Some(e) = self
            .route_entries_of(&table.route_table_id)
            .find(|e| e.destination == dest)
        {
            return Err(
                if e.next_hop_type == hop_type && e.next_hop_id == hop_id && !list {
                    CloudError::bad(
                        "RouterEntryConflict.Duplicated",
                        "The route entry already exists.",
                    )
                } else {
                    CloudError::bad(
                        "InvalidCIDRBlock.Duplicate",
                        "A route entry with the same destination already exists.",
                    )
                },
            );
        }
        // steps 7–11: next hop checks
        if let Some(t) = hop_type {
            self.check_next_hop(now, &vpc_id, t, &hop_id)?;
        }
        // step 12
        if self.route_entries_of(&table.route_table_id).count()
            >= self.options.quotas.custom_entries_per_table as usize
        {
            return Err(CloudError::bad(
                "QuotaExceeded",
                "The number of route entries exceeds the quota.",
            ));
        }
        // step 13 (Stepped mode only): the VPC's own entries, found through its tables
        if self
            .route_tables_of(&vpc_id)
            .flat_map(|t| self.route_entries_of(&t.route_table_id))
            .any(|e| e.vpc_id == vpc_id && e.lifecycle.is_transitional(now))
        {
            return Err(CloudError::bad(
                "TaskConflict",
                "Another route entry operation is in progress.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        let entry = RouteEntry {
            route_entry_id: String::new(),
            route_table_id: table.route_table_id.clone(),
            vpc_id,
            destination: dest,
            next_hop_type: hop_type,
            next_hop_id: hop_id,
            next_hop_list: p
                .next_hop_list
                .iter()
                .map(|h| NextHopItem {
                    next_hop_id: h.next_hop_id.clone(),
                    next_hop_type: h.next_hop_type.clone(),
                    weight: h.weight,
                })
                .collect(),
            name: p.route_entry_name.clone().unwrap_or_default(),
            description: p.description.clone().unwrap_or_default(),
            lifecycle: Lifecycle::start(
                self.stepped(),
                NetStatus::Pending,
                NetStatus::Available,
                self.settle_at(now),
            ),
            creation_time: now,
        };
        Ok((p.region_id.clone(), entry))
    }

    /// §2.4.4 steps 7–11.
    fn check_next_hop(
        &self,
        now: Timestamp,
        vpc_id: &str,
        t: NextHopType,
        id: &str,
    ) -> Result<(), CloudError> {
        match t {
            NextHopType::VpcPeer => {
                let nf = || {
                    CloudError::bad(
                        "ResourceNotFound.VpcPeer",
                        format!("The specified resource of {id} is not found."),
                    )
                };
                let peer = self
                    .peerings
                    .get(id)
                    .filter(|p| p.status_at(now) != PeerStatus::Deleted)
                    .ok_or_else(nf)?;
                if !peer.involves_vpc(vpc_id) {
                    return Err(nf()); // step 9 (ASSUMED code reuse)
                }
                let st = peer.status_at(now);
                if st != PeerStatus::Activated {
                    return Err(CloudError::peer_incorrect_status(id, st.as_str()));
                    // step 10
                }
                Ok(())
            }
            // §2.4.4 steps 7/11: a TR VPC attachment of this VPC, Attached (cen/ops.rs).
            NextHopType::Attachment => self.check_attachment_next_hop(now, vpc_id, id),
            NextHopType::Instance | NextHopType::NetworkInterface => {
                let (code, mismatch) = match t {
                    NextHopType::Instance => (
                        "InvalidInstanId.NotFound",
                        "OperationFailed.InstanceDismatchCurrentVpc",
                    ),
                    _ => ("InvalidNetworkInterface.NotFound", "INVALID_VPC_ID"),
                };
                let hop = self
                    .next_hops
                    .get(id)
                    .filter(|h| h.kind == t)
                    .ok_or_else(|| {
                        CloudError::not_found(
                            code,
                            format!("The specified next hop {id} does not exist."),
                        )
                    })?;
                if hop.vpc_id != vpc_id {
                    return Err(CloudError::bad(
                        mismatch,
                        format!("The next hop {id} does not belong to the VPC or is not usable."),
                    ));
                }
                Ok(())
            }
            // Store-only types: nothing creates them in this model, so any id with the
            // right prefix is accepted (ASSUMED).
            _ => {
                if crate::cloud::ids::valid_id(id, t.id_prefix(), true) {
                    Ok(())
                } else {
                    Err(CloudError::not_found(
                        "InvalidNextHopId.NotFound",
                        format!("The specified next hop {id} does not exist."),
                    ))
                }
            }
        }
    }

    pub(crate) fn apply_create_route_entry(
        &mut self,
        region: String,
        mut entry: RouteEntry,
    ) -> Value {
        let id = self.new_id("rte", &region);
        entry.route_entry_id = id.clone();
        self.insert_route_entry(entry);
        self.track(Timer::RouteEntry(id.clone()));
        json!({"RouteEntryId": id})
    }

    pub(crate) fn plan_delete_route_entry(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &DeleteRouteEntry,
    ) -> Result<String, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        if p.route_entry_id.is_some() && p.destination_cidr_block.is_some() {
            return Err(CloudError::bad(
                "ParamExclusive.RouteEntryIdAndRouteTableIdOrDestCidrBlock",
                "RouteEntryId and DestinationCidrBlock are mutually exclusive.",
            ));
        }
        let system = || CloudError::bad("OperationDenied", "The route entry type is system.");
        let entry = match (&p.route_entry_id, &p.destination_cidr_block) {
            (Some(id), _) => {
                let nf = || {
                    CloudError::not_found(
                        "InvalidRouteEntryId.NotFound",
                        "The specified route entry does not exist.",
                    )
                };
                if let Some(s) = self
                    .vswitches
                    .values()
                    .find(|s| &s.system_route_entry_id == id)
                {
                    let owned = s.region_id == p.region_id && s.owner_uid == acct.uid;
                    return Err(if owned { system() } else { nf() });
                }
                let e = self.route_entries.get(id).ok_or_else(nf)?;
                let t = self
                    .owned_table(&acct.uid, &p.region_id, &e.route_table_id)
                    .map_err(|_| nf())?;
                if p.route_table_id
                    .as_ref()
                    .is_some_and(|x| x != &t.route_table_id)
                {
                    return Err(nf());
                }
                e
            }
            (None, Some(d)) => {
                let table_id = p
                    .route_table_id
                    .as_ref()
                    .ok_or_else(|| CloudError::missing("RouteTableId"))?;
                let t = self.owned_table(&acct.uid, &p.region_id, table_id)?;
                let dest = parse_destination(d).ok_or_else(|| {
                    CloudError::bad(
                        "InvalidCidrBlock.Malformed",
                        "Specified destination CIDR block is malformed.",
                    )
                })?;
                if self
                    .vswitches_of(&t.vpc_id)
                    .any(|s| IpNet::V4(s.cidr_block) == dest)
                {
                    return Err(system());
                }
                self.route_entries_of(&t.route_table_id)
                    .find(|e| {
                        e.destination == dest
                            && p.next_hop_id.as_ref().is_none_or(|h| h == &e.next_hop_id)
                    })
                    .ok_or_else(|| {
                        CloudError::not_found(
                            "InvalidRouteEntry.NotFound",
                            "The specified route entry does not exist.",
                        )
                    })?
            }
            (None, None) => return Err(CloudError::missing("RouteEntryId")),
        };
        if entry.lifecycle.at(now) != NetStatus::Available {
            return Err(CloudError::bad(
                "IncorrectRouteEntryStatus",
                "The status of the route entry does not support this operation.",
            ));
        }
        Ok(entry.route_entry_id.clone())
    }

    pub(crate) fn describe_route_table_list(
        &self,
        ctx: &CallContext,
        p: &DescribeRouteTableList,
    ) -> Result<Value, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        // Candidates through the indexes (one table, one VPC's, or every table of every VPC
        // the caller sees, in id order); only the page is rendered.
        let (total, page) = match (&p.route_table_id, &p.vpc_id) {
            // Every table the caller sees, already in id order (the full listing's order): the
            // index's size is the total and only the page is read.
            (None, None) => {
                let visible = self.route_table_ids_visible_to(&p.region_id, &acct.uid);
                page_of_counted(
                    visible.len(),
                    visible.iter().filter_map(|id| self.route_tables.get(id)),
                    p.page_number,
                    p.page_size,
                )
            }
            (table, vpc) => {
                let candidates: Vec<&RouteTable> = match table {
                    Some(id) => self.route_tables.get(id).into_iter().collect(),
                    None => vpc.iter().flat_map(|v| self.route_tables_of(v)).collect(),
                };
                page_of(
                    candidates
                        .into_iter()
                        .filter(|t| t.region_id == p.region_id)
                        .filter(|t| {
                            self.vpcs
                                .get(&t.vpc_id)
                                .is_some_and(|v| v.visible_to(&acct.uid))
                        })
                        .filter(|t| p.vpc_id.as_ref().is_none_or(|x| &t.vpc_id == x)),
                    p.page_number,
                    p.page_size,
                )
            }
        };
        let items: Vec<Value> = page
            .into_iter()
            .map(|t| {
                let vsw: Vec<&str> = self
                    .vswitches_of(&t.vpc_id)
                    .filter(|s| self.table_for_vswitch(&s.vswitch_id).is_some_and(|x| x.route_table_id == t.route_table_id))
                    .map(|s| s.vswitch_id.as_str())
                    .collect();
                json!({
                    "VpcId": t.vpc_id,
                    "RouteTableId": t.route_table_id,
                    "RouteTableName": t.name,
                    "RouteTableType": format!("{:?}", t.table_type),
                    "RouterId": t.router_id,
                    "RouterType": "VRouter",
                    "Description": t.description,
                    "CreationTime": t.creation_time.to_string(),
                    "ResourceGroupId": self.vpcs.get(&t.vpc_id).map(|v| v.resource_group_id.clone()).unwrap_or_default(),
                    "Status": "Available",
                    "OwnerId": t.owner_uid.parse::<u64>().unwrap_or_default(),
                    "AssociateType": t.associate_type,
                    "VSwitchIds": {"VSwitchId": vsw},
                })
            })
            .collect();
        Ok(json!({
            "Success": true,
            "Code": "200",
            "Message": "successful",
            "TotalCount": total,
            "PageNumber": p.page_number,
            "PageSize": p.page_size,
            "RouterTableList": {"RouterTableListType": items},
        }))
    }

    pub(crate) fn describe_route_entry_list(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &DescribeRouteEntryList,
    ) -> Result<Value, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        let t = self
            .route_tables
            .get(&p.route_table_id)
            .filter(|t| {
                t.region_id == p.region_id
                    && self
                        .vpcs
                        .get(&t.vpc_id)
                        .is_some_and(|v| v.visible_to(&acct.uid))
            })
            .ok_or_else(table_not_found)?;
        let dest_filter = match &p.destination_cidr_block {
            Some(d) => Some(parse_destination(d).ok_or_else(|| {
                CloudError::invalid_param("DestinationCidrBlock", "malformed CIDR")
            })?),
            None => None,
        };
        let mut rows: Vec<(IpNet, Value)> = Vec::new();
        // §2.4.3: system routes of Available vSwitches.
        for s in self
            .vswitches_of(&t.vpc_id)
            .filter(|s| s.lifecycle.at(now) == NetStatus::Available)
        {
            rows.push((
                IpNet::V4(s.cidr_block),
                json!({
                    "RouteEntryId": s.system_route_entry_id,
                    "RouteTableId": t.route_table_id,
                    "DestinationCidrBlock": s.cidr_block.to_string(),
                    "Type": "System",
                    "Origin": "SystemCreate",
                    "IpVersion": "ipv4",
                    "Status": "Available",
                    "RouteEntryName": "",
                    "Description": "",
                    "NextHops": {"NextHop": [{"NextHopType": "local", "NextHopId": "", "Enabled": 1, "Weight": 0}]},
                }),
            ));
        }
        for e in self.route_entries_of(&t.route_table_id) {
            let hops: Vec<Value> = if e.next_hop_list.is_empty() {
                vec![json!({
                    "NextHopType": e.next_hop_type.map(|x| x.as_str()).unwrap_or_default(),
                    "NextHopId": e.next_hop_id,
                    "Enabled": 1,
                    "Weight": 0,
                })]
            } else {
                e.next_hop_list
                    .iter()
                    .map(|h| json!({"NextHopType": h.next_hop_type, "NextHopId": h.next_hop_id, "Enabled": 1, "Weight": h.weight.unwrap_or(0)}))
                    .collect()
            };
            rows.push((
                e.destination,
                json!({
                    "RouteEntryId": e.route_entry_id,
                    "RouteTableId": t.route_table_id,
                    "DestinationCidrBlock": e.destination.to_string(),
                    "Type": "Custom",
                    "Origin": "CustomCreate",
                    "IpVersion": if matches!(e.destination, IpNet::V4(_)) { "ipv4" } else { "ipv6" },
                    "Status": e.lifecycle.at(now).as_str(),
                    "RouteEntryName": e.name,
                    "Description": e.description,
                    "CreationTime": e.creation_time.to_string(),
                    "NextHops": {"NextHop": hops},
                }),
            ));
        }
        // Routes published by a transit router into the system table (§6.3.4), read-only.
        let system = self
            .vpcs
            .get(&t.vpc_id)
            .is_some_and(|v| v.system_route_table_id == t.route_table_id);
        if system {
            for (d, att) in self.tr_published_routes(&t.vpc_id, now) {
                rows.push((
                    IpNet::V4(d),
                    json!({
                        "RouteEntryId": "",
                        "RouteTableId": t.route_table_id,
                        "DestinationCidrBlock": d.to_string(),
                        "Type": "CEN",
                        "Origin": "RoutePropagation",
                        "ServiceType": "TR",
                        "IpVersion": "ipv4",
                        "Status": "Available",
                        "RouteEntryName": "",
                        "Description": "",
                        "NextHops": {"NextHop": [{"NextHopType": "Attachment", "NextHopId": att, "Enabled": 1, "Weight": 0}]},
                    }),
                ));
            }
        }
        let rows: Vec<Value> = rows
            .into_iter()
            .filter(|(d, _)| dest_filter.is_none_or(|f| &f == d))
            .map(|(_, v)| v)
            .filter(|v| {
                p.route_entry_id
                    .as_ref()
                    .is_none_or(|x| v["RouteEntryId"] == json!(x))
            })
            .filter(|v| {
                p.route_entry_type
                    .as_ref()
                    .is_none_or(|x| v["Type"] == json!(x))
            })
            .filter(|v| {
                p.next_hop_type
                    .as_ref()
                    .is_none_or(|x| v["NextHops"]["NextHop"][0]["NextHopType"] == json!(x))
            })
            .collect();
        let size = usize::try_from(p.max_result).unwrap_or(10);
        let (page, next) = token_page(&rows, p.next_token.as_deref(), size, || {
            CloudError::invalid_param("NextToken", "unknown token")
        })?;
        Ok(json!({
            "NextToken": next,
            "TotalCount": rows.len(),
            "RouteEntrys": {"RouteEntry": page},
        }))
    }
}
