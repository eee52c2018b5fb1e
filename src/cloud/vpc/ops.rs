//! CreateVpc, CreateVSwitch, DescribeVpcs, DescribeVSwitches (§2.1, §2.2).

use crate::cloud::account::Account;
use crate::cloud::error::CloudError;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::region::RegionInfo;
use crate::cloud::time::Timestamp;
use crate::cloud::timers::Timer;
use crate::cloud::validate::{optional_description, optional_text, page_of, page_of_counted};
use crate::cloud::vpc::api::{CreateVSwitch, CreateVpc, DescribeVSwitches, DescribeVpcs};
use crate::cloud::vpc::route::{RouteTable, TableType};
use crate::cloud::vpc::{
    cgnat, overlaps, parse_strict_v4, valid_vpc_cidr, NetStatus, VSwitch, Vpc,
};
use crate::cloud::world::{CallContext, World};
use ipnet::{IpNet, Ipv4Net};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A validated CreateVpc.
#[derive(Debug, Clone)]
pub struct CreateVpcPlan {
    pub(crate) owner: String,
    pub(crate) op: CreateVpc,
    pub(crate) cidr: Ipv4Net,
    pub(crate) user_cidrs: Vec<Ipv4Net>,
    pub(crate) resource_group_id: String,
}

/// A validated CreateVSwitch.
#[derive(Debug, Clone)]
pub struct CreateVSwitchPlan {
    pub(crate) owner: String,
    pub(crate) op: CreateVSwitch,
    pub(crate) cidr: Ipv4Net,
}

impl World {
    /// The caller's account; unknown callers are rejected like an unknown AccessKey.
    pub(crate) fn caller_account(&self, ctx: &CallContext) -> Result<&Account, CloudError> {
        self.accounts.get(&ctx.caller_account).ok_or_else(|| {
            CloudError::not_found(
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            )
        })
    }

    /// A region of the §1.3 table, else `InvalidRegionId.NotFound` (404).
    pub(crate) fn known_region(&self, id: &str) -> Result<&'static RegionInfo, CloudError> {
        self.region(id)
            .ok_or_else(|| CloudError::unknown_region(id))
    }

    pub(crate) fn plan_create_vpc(
        &self,
        ctx: &CallContext,
        p: &CreateVpc,
    ) -> Result<CreateVpcPlan, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        optional_text(
            p.vpc_name.as_deref(),
            128,
            "InvalidVpcName.Malformed",
            "Specified VPC name is not valid.",
        )?;
        // "Discription" (sic) is Alibaba's spelling (§2.1).
        optional_text(
            p.description.as_deref(),
            256,
            "InvalidVpcDiscription.Malformed",
            "Specified VPC description is not valid.",
        )?;
        let cidr_s = p
            .cidr_block
            .clone()
            .unwrap_or_else(|| self.options.default_vpc_cidr.clone());
        let cidr = parse_strict_v4(&cidr_s)
            .filter(valid_vpc_cidr)
            .ok_or_else(|| {
                CloudError::bad("InvalidParameter", "Specified CIDR block is not valid.")
            })?;
        let mut user_cidrs = Vec::new();
        if let Some(u) = &p.user_cidr {
            let parts: Vec<&str> = u
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if parts.len() > 3 {
                return Err(CloudError::bad(
                    "InvalidUserCidr.Quota",
                    "The number of user CIDR blocks exceeds the quota (3).",
                ));
            }
            for s in parts {
                let n = parse_strict_v4(s)
                    .filter(|n| !cgnat().is_some_and(|c| overlaps(&c, n)))
                    .ok_or_else(|| {
                        CloudError::bad(
                            "InvalidUserCidr.Malformed",
                            "Specified user CIDR is not valid.",
                        )
                    })?;
                user_cidrs.push(n);
            }
        }
        let count = self.vpcs_owned(&p.region_id, &acct.uid);
        if count >= self.options.quotas.vpcs_per_account_region as usize {
            return Err(CloudError::bad(
                "QuotaExceeded.Vpc",
                "The number of VPCs exceeds the quota.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        let rg = p
            .resource_group_id
            .clone()
            .unwrap_or_else(|| acct.default_resource_group().to_string());
        Ok(CreateVpcPlan {
            owner: acct.uid.clone(),
            op: p.clone(),
            cidr,
            user_cidrs,
            resource_group_id: rg,
        })
    }

    pub(crate) fn apply_create_vpc(
        &mut self,
        now: Timestamp,
        owner: String,
        op: CreateVpc,
        cidr: Ipv4Net,
        user_cidrs: Vec<Ipv4Net>,
        resource_group_id: String,
    ) -> Value {
        let region = op.region_id.clone();
        let vpc_id = self.new_id("vpc", &region);
        let vrt = self.new_id("vrt", &region);
        let vtb = self.new_id("vtb", &region);
        let lifecycle = Lifecycle::start(
            self.stepped(),
            NetStatus::Pending,
            NetStatus::Available,
            self.settle_at(now),
        );
        self.insert_route_table(RouteTable {
            route_table_id: vtb.clone(),
            vpc_id: vpc_id.clone(),
            region_id: region.clone(),
            owner_uid: owner.clone(),
            table_type: TableType::System,
            associate_type: "VSwitch".into(),
            name: String::new(),
            description: String::new(),
            router_id: vrt.clone(),
            creation_time: now,
        });
        self.insert_vpc(Vpc {
            vpc_id: vpc_id.clone(),
            region_id: region,
            owner_uid: owner,
            cidr_block: cidr,
            secondary_cidr_blocks: Vec::new(),
            user_cidrs,
            ipv6_cidr_block: op.ipv6_cidr_block.clone(),
            name: op.vpc_name.clone().unwrap_or_default(),
            description: op.description.clone().unwrap_or_default(),
            lifecycle,
            vrouter_id: vrt.clone(),
            system_route_table_id: vtb.clone(),
            resource_group_id: resource_group_id.clone(),
            shared_with: Vec::new(),
            is_default: false,
            creation_time: now,
        });
        self.track(Timer::Vpc(vpc_id.clone()));
        json!({"VpcId": vpc_id, "VRouterId": vrt, "RouteTableId": vtb, "ResourceGroupId": resource_group_id})
    }

    pub(crate) fn plan_create_vswitch(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &CreateVSwitch,
    ) -> Result<CreateVSwitchPlan, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        // (a) syntax
        optional_text(
            p.vswitch_name.as_deref(),
            128,
            "InvalidVSwitchName.Malformed",
            "Specified vSwitch name is not valid.",
        )?;
        optional_description(p.description.as_deref())?;
        let malformed = || {
            CloudError::bad(
                "InvalidCidrBlock.Malformed",
                "Specified CIDR block is not valid.",
            )
        };
        let cidr = parse_strict_v4(&p.cidr_block).ok_or_else(malformed)?;
        if !(16..=29).contains(&cidr.prefix_len()) {
            return Err(malformed());
        }
        // (b) referenced resources
        if !self.zones_of(&p.region_id).iter().any(|z| z == &p.zone_id) {
            return Err(CloudError::not_found(
                "InvalidZoneId.NotFound",
                "Specified zone does not exist.",
            ));
        }
        let vpc = self
            .vpcs
            .get(&p.vpc_id)
            .filter(|v| v.region_id == p.region_id && v.visible_to(&acct.uid))
            .ok_or_else(|| {
                CloudError::not_found("InvalidVpcId.NotFound", "Specified VPC does not exist.")
            })?;
        // (d) business rules, §2.2
        if cgnat().is_some_and(|c| overlaps(&c, &cidr)) {
            return Err(CloudError::illegal_param("CidrBlock"));
        }
        if !vpc.ipv4_cidrs().iter().any(|v| v.contains(&cidr)) {
            return Err(CloudError::bad(
                "InvalidParameter",
                "Specified CIDR block is not valid in VPC.",
            ));
        }
        if self
            .vswitches_of(&vpc.vpc_id)
            .any(|s| overlaps(&s.cidr_block, &cidr))
        {
            return Err(CloudError::bad(
                "InvalidCidrBlock.Overlapped",
                "Specified CIDR block overlapped with other subnets.",
            ));
        }
        let dest = IpNet::V4(cidr);
        if self
            .route_entries
            .values()
            .any(|e| e.vpc_id == vpc.vpc_id && e.destination == dest)
        {
            return Err(CloudError::bad(
                "RouteConflict.AlreadyExist",
                "The CIDR block is the same as the destination of a route.",
            ));
        }
        if vpc.lifecycle.at(now) != NetStatus::Available {
            return Err(CloudError::bad(
                "IncorrectVpcStatus",
                "The current status of the VPC does not support this operation.",
            ));
        }
        if self
            .vswitches_of(&vpc.vpc_id)
            .any(|s| s.lifecycle.is_transitional(now))
        {
            return Err(CloudError::bad(
                "OperationDenied.OtherSubnetCreating",
                "Another vSwitch is being created in the VPC.",
            ));
        }
        if self.vswitches_of(&vpc.vpc_id).count() >= self.options.quotas.vswitches_per_vpc as usize
        {
            return Err(CloudError::bad(
                "QuotaExceeded.VSwitch",
                "The number of vSwitches exceeds the quota.",
            ));
        }
        if p.dry_run {
            return Err(CloudError::dry_run());
        }
        Ok(CreateVSwitchPlan {
            owner: vpc.owner_uid.clone(),
            op: p.clone(),
            cidr,
        })
    }

    pub(crate) fn apply_create_vswitch(
        &mut self,
        now: Timestamp,
        owner: String,
        op: CreateVSwitch,
        cidr: Ipv4Net,
    ) -> Value {
        let id = self.new_id("vsw", &op.region_id);
        let rte = self.new_id("rte", &op.region_id);
        let lifecycle = Lifecycle::start(
            self.stepped(),
            NetStatus::Pending,
            NetStatus::Available,
            self.settle_at(now),
        );
        self.insert_vswitch(VSwitch {
            vswitch_id: id.clone(),
            vpc_id: op.vpc_id,
            region_id: op.region_id,
            zone_id: op.zone_id,
            owner_uid: owner,
            cidr_block: cidr,
            name: op.vswitch_name.unwrap_or_default(),
            description: op.description.unwrap_or_default(),
            lifecycle,
            route_table_id: None,
            network_acl_id: None,
            system_route_entry_id: rte,
            creation_time: now,
        });
        self.track(Timer::VSwitch(id.clone()));
        json!({"VSwitchId": id})
    }

    /// DescribeVpcs: the caller's VPCs in the region (owned or shared) through the viewer
    /// index, so its cost follows the caller's VPCs, not the world's; only the requested page
    /// is rendered.
    pub(crate) fn describe_vpcs(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &DescribeVpcs,
    ) -> Result<Value, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        let name_ok = |v: &&Vpc| p.vpc_name.as_ref().is_none_or(|n| &v.name == n);
        let (total, page) = if p.vpc_ids.is_empty() && p.vpc_name.is_none() {
            // Every VPC the caller sees: the viewer index is the listing, its size the total.
            let ids = self.vpc_ids_visible_to(&p.region_id, &acct.uid);
            page_of_counted(
                ids.len(),
                ids.iter().filter_map(|id| self.vpcs.get(id)),
                p.page_number,
                p.page_size,
            )
        } else if p.vpc_ids.is_empty() {
            page_of(
                self.vpcs_visible_to(&p.region_id, &acct.uid)
                    .filter(name_ok),
                p.page_number,
                p.page_size,
            )
        } else {
            let ids: BTreeSet<&String> = p.vpc_ids.iter().collect();
            page_of(
                ids.into_iter()
                    .filter_map(|id| self.vpcs.get(id))
                    .filter(|v| v.region_id == p.region_id && v.visible_to(&acct.uid))
                    .filter(name_ok),
                p.page_number,
                p.page_size,
            )
        };
        let items: Vec<Value> = page.into_iter().map(|v| self.vpc_json(v, now)).collect();
        Ok(json!({
            "TotalCount": total,
            "PageNumber": p.page_number,
            "PageSize": p.page_size,
            "Vpcs": {"Vpc": items},
        }))
    }

    fn vpc_json(&self, v: &Vpc, now: Timestamp) -> Value {
        let vsw: Vec<&str> = self
            .vswitches_of(&v.vpc_id)
            .map(|s| s.vswitch_id.as_str())
            .collect();
        let tables: Vec<&str> = self
            .route_tables_of(&v.vpc_id)
            .map(|t| t.route_table_id.as_str())
            .collect();
        json!({
            "VpcId": v.vpc_id,
            "RegionId": v.region_id,
            "Status": v.lifecycle.at(now).as_str(),
            "VpcName": v.name,
            "Description": v.description,
            "CidrBlock": v.cidr_block.to_string(),
            "SecondaryCidrBlocks": {"SecondaryCidrBlock": v.secondary_cidr_blocks.iter().map(|c| c.to_string()).collect::<Vec<_>>()},
            "UserCidrs": {"UserCidr": v.user_cidrs.iter().map(|c| c.to_string()).collect::<Vec<_>>()},
            "Ipv6CidrBlock": v.ipv6_cidr_block.clone().unwrap_or_default(),
            "VRouterId": v.vrouter_id,
            "VSwitchIds": {"VSwitchId": vsw},
            "RouterTableIds": {"RouterTableIds": tables},
            "ResourceGroupId": v.resource_group_id,
            "IsDefault": v.is_default,
            "OwnerId": v.owner_uid.parse::<u64>().unwrap_or_default(),
            "CreationTime": v.creation_time.to_string(),
        })
    }

    pub(crate) fn describe_vswitches(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &DescribeVSwitches,
    ) -> Result<Value, CloudError> {
        let acct = self.caller_account(ctx)?;
        self.known_region(&p.region_id)?;
        // Candidates through the indexes: one vSwitch, one VPC's, or those of every VPC the
        // caller sees in the region (then re-sorted by id, the order of the full listing).
        let candidates: Box<dyn Iterator<Item = &VSwitch>> = match (&p.vswitch_id, &p.vpc_id) {
            (Some(id), _) => Box::new(self.vswitches.get(id).into_iter()),
            (None, Some(vpc)) => Box::new(self.vswitches_of(vpc)),
            // Every vSwitch the caller sees, already in id order (the full listing's order);
            // without a zone filter the index's size is the total and only the page is read.
            (None, None) => {
                let visible = self.vswitch_ids_visible_to(&p.region_id, &acct.uid);
                let all = visible.iter().filter_map(|id| self.vswitches.get(id));
                if p.zone_id.is_none() {
                    let (total, page) =
                        page_of_counted(visible.len(), all, p.page_number, p.page_size);
                    return Ok(self.vswitches_page(total, page, p, now));
                }
                Box::new(all)
            }
        };
        let (total, page) = page_of(
            candidates
                .filter(|s| s.region_id == p.region_id)
                .filter(|s| {
                    self.vpcs
                        .get(&s.vpc_id)
                        .is_some_and(|v| v.visible_to(&acct.uid))
                })
                .filter(|s| p.vpc_id.as_ref().is_none_or(|x| &s.vpc_id == x))
                .filter(|s| p.zone_id.as_ref().is_none_or(|x| &s.zone_id == x)),
            p.page_number,
            p.page_size,
        );
        Ok(self.vswitches_page(total, page, p, now))
    }

    /// DescribeVSwitches' answer for one page of the listing.
    fn vswitches_page(
        &self,
        total: usize,
        page: Vec<&VSwitch>,
        p: &DescribeVSwitches,
        now: Timestamp,
    ) -> Value {
        let items: Vec<Value> = page
            .into_iter()
            .map(|s| {
                let table = self.table_for_vswitch(&s.vswitch_id);
                json!({
                    "VSwitchId": s.vswitch_id,
                    "VpcId": s.vpc_id,
                    "Status": s.lifecycle.at(now).as_str(),
                    "CidrBlock": s.cidr_block.to_string(),
                    "ZoneId": s.zone_id,
                    "AvailableIpAddressCount": s.usable_ip_count(),
                    "Description": s.description,
                    "VSwitchName": s.name,
                    "CreationTime": s.creation_time.to_string(),
                    "IsDefault": false,
                    "NetworkAclId": s.network_acl_id.clone().unwrap_or_default(),
                    "OwnerId": s.owner_uid.parse::<u64>().unwrap_or_default(),
                    "RouteTable": {
                        "RouteTableId": table.map(|t| t.route_table_id.clone()).unwrap_or_default(),
                        "RouteTableType": table.map(|t| format!("{:?}", t.table_type)).unwrap_or_default(),
                    },
                })
            })
            .collect();
        json!({
            "TotalCount": total,
            "PageNumber": p.page_number,
            "PageSize": p.page_size,
            "VSwitches": {"VSwitch": items},
        })
    }
}
