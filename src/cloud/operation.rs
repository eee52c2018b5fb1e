//! The operation interface: typed parameters decoded from Alibaba RPC requests.

use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// CreateVpc (§2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpc {
    /// `RegionId`.
    pub region_id: String,
    /// `CidrBlock`.
    pub cidr_block: Option<String>,
    /// `VpcName`.
    pub vpc_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `UserCidr` (comma-separated).
    pub user_cidr: Option<String>,
    /// `EnableIpv6`.
    pub enable_ipv6: bool,
    /// `Ipv6CidrBlock`.
    pub ipv6_cidr_block: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// CreateVSwitch (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVSwitch {
    /// `RegionId` (required by the model).
    pub region_id: String,
    /// `ZoneId`.
    pub zone_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `CidrBlock`.
    pub cidr_block: String,
    /// `VSwitchName`.
    pub vswitch_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// One `NextHopList.N` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextHopParam {
    /// `NextHopId`.
    pub next_hop_id: String,
    /// `NextHopType`.
    pub next_hop_type: String,
    /// `Weight`.
    pub weight: Option<i64>,
}

/// CreateRouteEntry (§2.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRouteEntry {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: String,
    /// `NextHopType` (default `Instance` when `NextHopId` is given).
    pub next_hop_type: Option<String>,
    /// `NextHopId`.
    pub next_hop_id: Option<String>,
    /// `NextHopList.N.*`.
    pub next_hop_list: Vec<NextHopParam>,
    /// `RouteEntryName`.
    pub route_entry_name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// DeleteRouteEntry (§2.4.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRouteEntry {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: Option<String>,
    /// `RouteEntryId`.
    pub route_entry_id: Option<String>,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: Option<String>,
    /// `NextHopId`.
    pub next_hop_id: Option<String>,
}

/// DescribeVpcs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeVpcs {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId` (comma-separated, ≤ 20).
    pub vpc_ids: Vec<String>,
    /// `VpcName`.
    pub vpc_name: Option<String>,
    /// `PageNumber` (default 1).
    pub page_number: i64,
    /// `PageSize` (default 10, ≤ 50).
    pub page_size: i64,
}

/// DescribeVSwitches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeVSwitches {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `VSwitchId`.
    pub vswitch_id: Option<String>,
    /// `ZoneId`.
    pub zone_id: Option<String>,
    /// `PageNumber`.
    pub page_number: i64,
    /// `PageSize`.
    pub page_size: i64,
}

/// DescribeRouteTableList.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeRouteTableList {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: Option<String>,
    /// `RouteTableId`.
    pub route_table_id: Option<String>,
    /// `PageNumber`.
    pub page_number: i64,
    /// `PageSize`.
    pub page_size: i64,
}

/// DescribeRouteEntryList.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeRouteEntryList {
    /// `RegionId`.
    pub region_id: String,
    /// `RouteTableId`.
    pub route_table_id: String,
    /// `RouteEntryId`.
    pub route_entry_id: Option<String>,
    /// `DestinationCidrBlock`.
    pub destination_cidr_block: Option<String>,
    /// `RouteEntryType` (`System` | `Custom`).
    pub route_entry_type: Option<String>,
    /// `NextHopType`.
    pub next_hop_type: Option<String>,
    /// `MaxResult` (default 10, ≤ 100).
    pub max_result: i64,
    /// `NextToken` (opaque offset).
    pub next_token: Option<String>,
}

/// CreateVpcPeerConnection (§3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVpcPeerConnection {
    /// `RegionId`.
    pub region_id: String,
    /// `VpcId`.
    pub vpc_id: String,
    /// `AcceptingAliUid`.
    pub accepting_ali_uid: String,
    /// `AcceptingRegionId`.
    pub accepting_region_id: String,
    /// `AcceptingVpcId`.
    pub accepting_vpc_id: String,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<i64>,
    /// `LinkType`.
    pub link_type: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `Tag.N.Key/Value`.
    pub tags: Vec<(String, String)>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// AcceptVpcPeerConnection (§3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// RejectVpcPeerConnection (§3.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// ModifyVpcPeerConnection (§3.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifyVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Bandwidth`.
    pub bandwidth: Option<i64>,
    /// `LinkType`.
    pub link_type: Option<String>,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// DeleteVpcPeerConnection (§3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteVpcPeerConnection {
    /// `InstanceId`.
    pub instance_id: String,
    /// `Force`.
    pub force: bool,
    /// `DryRun`.
    pub dry_run: bool,
    /// `ClientToken`.
    pub client_token: Option<String>,
}

/// GetVpcPeerConnectionAttribute (§3.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetVpcPeerConnectionAttribute {
    /// `InstanceId`.
    pub instance_id: String,
}

/// ListVpcPeerConnections (§3.3.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVpcPeerConnections {
    /// `RegionId`.
    pub region_id: String,
    /// `InstanceId`.
    pub instance_id: Option<String>,
    /// `VpcId.N` (≤ 2).
    pub vpc_ids: Vec<String>,
    /// `Name`.
    pub name: Option<String>,
    /// `ResourceGroupId`.
    pub resource_group_id: Option<String>,
    /// `MaxResults` (1–100, default 20).
    pub max_results: i64,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// Every operation this module implements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operation {
    /// CreateVpc.
    CreateVpc(CreateVpc),
    /// CreateVSwitch.
    CreateVSwitch(CreateVSwitch),
    /// CreateRouteEntry.
    CreateRouteEntry(CreateRouteEntry),
    /// DeleteRouteEntry.
    DeleteRouteEntry(DeleteRouteEntry),
    /// DescribeVpcs.
    DescribeVpcs(DescribeVpcs),
    /// DescribeVSwitches.
    DescribeVSwitches(DescribeVSwitches),
    /// DescribeRouteTableList.
    DescribeRouteTableList(DescribeRouteTableList),
    /// DescribeRouteEntryList.
    DescribeRouteEntryList(DescribeRouteEntryList),
    /// CreateVpcPeerConnection.
    CreateVpcPeerConnection(CreateVpcPeerConnection),
    /// AcceptVpcPeerConnection.
    AcceptVpcPeerConnection(AcceptVpcPeerConnection),
    /// RejectVpcPeerConnection.
    RejectVpcPeerConnection(RejectVpcPeerConnection),
    /// ModifyVpcPeerConnection.
    ModifyVpcPeerConnection(ModifyVpcPeerConnection),
    /// DeleteVpcPeerConnection.
    DeleteVpcPeerConnection(DeleteVpcPeerConnection),
    /// GetVpcPeerConnectionAttribute.
    GetVpcPeerConnectionAttribute(GetVpcPeerConnectionAttribute),
    /// ListVpcPeerConnections.
    ListVpcPeerConnections(ListVpcPeerConnections),
}

/// Names of all supported actions, in a stable order.
pub const ACTIONS: [&str; 15] = [
    "CreateVpc",
    "CreateVSwitch",
    "CreateRouteEntry",
    "DeleteRouteEntry",
    "DescribeVpcs",
    "DescribeVSwitches",
    "DescribeRouteTableList",
    "DescribeRouteEntryList",
    "CreateVpcPeerConnection",
    "AcceptVpcPeerConnection",
    "RejectVpcPeerConnection",
    "ModifyVpcPeerConnection",
    "DeleteVpcPeerConnection",
    "GetVpcPeerConnectionAttribute",
    "ListVpcPeerConnections",
];

fn page(p: &Params<'_>, name: &'static str, default: i64, max: i64) -> Result<i64, CloudError> {
    let v = p.opt_i64(name)?.unwrap_or(default);
    if v < 1 || v > max {
        return Err(CloudError::invalid_param(
            name,
            &format!("must be between 1 and {max}"),
        ));
    }
    Ok(v)
}

fn tags(p: &Params<'_>) -> Vec<(String, String)> {
    p.list_obj("Tag")
        .into_iter()
        .filter_map(|m| {
            let k = m.get("Key").and_then(Value::as_str)?.to_string();
            let v = m
                .get("Value")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            Some((k, v))
        })
        .collect()
}

impl Operation {
    /// Decodes an RPC request. Unknown action → `InvalidAction.NotFound` (404);
    /// missing required parameter → `MissingParameter.<Name>`; wrong type →
    /// `InvalidParameter.<Name>` (§0.4.10 step (a)); a parameter the API does not define →
    /// `InvalidParameter` naming it (ASSUMED, see [`CloudError::unknown_param`]).
    pub fn decode(action: &str, params: &Map<String, Value>) -> Result<Operation, CloudError> {
        let p = Params::new(params);
        let op = match action {
            "CreateVpc" => Operation::CreateVpc(CreateVpc {
                region_id: p.req_str("RegionId")?,
                cidr_block: p.opt_str("CidrBlock")?,
                vpc_name: p.opt_str("VpcName")?,
                description: p.opt_str("Description")?,
                user_cidr: p.opt_str("UserCidr")?,
                enable_ipv6: p.flag("EnableIpv6")?,
                ipv6_cidr_block: p.opt_str("Ipv6CidrBlock")?,
                resource_group_id: p.opt_str("ResourceGroupId")?,
                dry_run: p.flag("DryRun")?,
                client_token: p.client_token()?,
            }),
            "CreateVSwitch" => Operation::CreateVSwitch(CreateVSwitch {
                region_id: p.req_str("RegionId")?,
                zone_id: p.req_str("ZoneId")?,
                vpc_id: p.req_str("VpcId")?,
                cidr_block: p.req_str("CidrBlock")?,
                vswitch_name: p.opt_str("VSwitchName")?,
                description: p.opt_str("Description")?,
                dry_run: p.flag("DryRun")?,
                client_token: p.client_token()?,
            }),
            "CreateRouteEntry" => {
                let mut list = Vec::new();
                for m in p.list_obj("NextHopList") {
                    let mp = Params::new(&m);
                    list.push(NextHopParam {
                        next_hop_id: mp
                            .req_str("NextHopId")
                            .map_err(|_| CloudError::missing("NextHopList.N.NextHopId"))?,
                        next_hop_type: mp
                            .opt_str("NextHopType")?
                            .unwrap_or_else(|| "RouterInterface".into()),
                        weight: mp.opt_i64("Weight")?,
                    });
                }
                Operation::CreateRouteEntry(CreateRouteEntry {
                    region_id: p.req_str("RegionId")?,
                    route_table_id: p.req_str("RouteTableId")?,
                    destination_cidr_block: p.req_str("DestinationCidrBlock")?,
                    next_hop_type: p.opt_str("NextHopType")?,
                    next_hop_id: p.opt_str("NextHopId")?,
                    next_hop_list: list,
                    route_entry_name: p.opt_str("RouteEntryName")?,
                    description: p.opt_str("Description")?,
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            "DeleteRouteEntry" => Operation::DeleteRouteEntry(DeleteRouteEntry {
                region_id: p.req_str("RegionId")?,
                route_table_id: p.opt_str("RouteTableId")?,
                route_entry_id: p.opt_str("RouteEntryId")?,
                destination_cidr_block: p.opt_str("DestinationCidrBlock")?,
                next_hop_id: p.opt_str("NextHopId")?,
            }),
            "DescribeVpcs" => Operation::DescribeVpcs(DescribeVpcs {
                region_id: p.req_str("RegionId")?,
                vpc_ids: p
                    .opt_str("VpcId")?
                    .map(|s| {
                        s.split(',')
                            .map(|x| x.trim().to_string())
                            .filter(|x| !x.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                vpc_name: p.opt_str("VpcName")?,
                page_number: page(&p, "PageNumber", 1, i64::from(i32::MAX))?,
                page_size: page(&p, "PageSize", 10, 50)?,
            }),
            "DescribeVSwitches" => Operation::DescribeVSwitches(DescribeVSwitches {
                region_id: p.req_str("RegionId")?,
                vpc_id: p.opt_str("VpcId")?,
                vswitch_id: p.opt_str("VSwitchId")?,
                zone_id: p.opt_str("ZoneId")?,
                page_number: page(&p, "PageNumber", 1, i64::from(i32::MAX))?,
                page_size: page(&p, "PageSize", 10, 50)?,
            }),
            "DescribeRouteTableList" => Operation::DescribeRouteTableList(DescribeRouteTableList {
                region_id: p.req_str("RegionId")?,
                vpc_id: p.opt_str("VpcId")?,
                route_table_id: p.opt_str("RouteTableId")?,
                page_number: page(&p, "PageNumber", 1, i64::from(i32::MAX))?,
                page_size: page(&p, "PageSize", 10, 50)?,
            }),
            "DescribeRouteEntryList" => Operation::DescribeRouteEntryList(DescribeRouteEntryList {
                region_id: p.req_str("RegionId")?,
                route_table_id: p.req_str("RouteTableId")?,
                route_entry_id: p.opt_str("RouteEntryId")?,
                destination_cidr_block: p.opt_str("DestinationCidrBlock")?,
                route_entry_type: p.opt_str("RouteEntryType")?,
                next_hop_type: p.opt_str("NextHopType")?,
                max_result: page(&p, "MaxResult", 10, 100)?,
                next_token: p.opt_str("NextToken")?,
            }),
            "CreateVpcPeerConnection" => {
                Operation::CreateVpcPeerConnection(CreateVpcPeerConnection {
                    region_id: p.req_str("RegionId")?,
                    vpc_id: p.req_str("VpcId")?,
                    accepting_ali_uid: p
                        .opt_uid("AcceptingAliUid")?
                        .ok_or_else(|| CloudError::missing("AcceptingAliUid"))?,
                    accepting_region_id: p.req_str("AcceptingRegionId")?,
                    accepting_vpc_id: p.req_str("AcceptingVpcId")?,
                    name: p.opt_str("Name")?,
                    description: p.opt_str("Description")?,
                    bandwidth: p.opt_i64("Bandwidth")?,
                    link_type: p.opt_str("LinkType")?,
                    resource_group_id: p.opt_str("ResourceGroupId")?,
                    tags: tags(&p),
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            "AcceptVpcPeerConnection" => {
                Operation::AcceptVpcPeerConnection(AcceptVpcPeerConnection {
                    instance_id: p.req_str("InstanceId")?,
                    resource_group_id: p.opt_str("ResourceGroupId")?,
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            "RejectVpcPeerConnection" => {
                Operation::RejectVpcPeerConnection(RejectVpcPeerConnection {
                    instance_id: p.req_str("InstanceId")?,
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            "ModifyVpcPeerConnection" => {
                Operation::ModifyVpcPeerConnection(ModifyVpcPeerConnection {
                    instance_id: p.req_str("InstanceId")?,
                    name: p.opt_str("Name")?,
                    description: p.opt_str("Description")?,
                    bandwidth: p.opt_i64("Bandwidth")?,
                    link_type: p.opt_str("LinkType")?,
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            "DeleteVpcPeerConnection" => {
                Operation::DeleteVpcPeerConnection(DeleteVpcPeerConnection {
                    instance_id: p.req_str("InstanceId")?,
                    force: p.flag("Force")?,
                    dry_run: p.flag("DryRun")?,
                    client_token: p.client_token()?,
                })
            }
            "GetVpcPeerConnectionAttribute" => {
                Operation::GetVpcPeerConnectionAttribute(GetVpcPeerConnectionAttribute {
                    instance_id: p.req_str("InstanceId")?,
                })
            }
            "ListVpcPeerConnections" => {
                let vpc_ids = p.list_str("VpcId")?;
                if vpc_ids.len() > 2 {
                    return Err(CloudError::invalid_param("VpcId", "at most 2 values"));
                }
                Operation::ListVpcPeerConnections(ListVpcPeerConnections {
                    region_id: p.req_str("RegionId")?,
                    instance_id: p.opt_str("InstanceId")?,
                    vpc_ids,
                    name: p.opt_str("Name")?,
                    resource_group_id: p.opt_str("ResourceGroupId")?,
                    max_results: page(&p, "MaxResults", 20, 100)?,
                    next_token: p.opt_str("NextToken")?,
                })
            }
            other => return Err(CloudError::unknown_action(other)),
        };
        if let Some((param, suggestion)) = p.unknown() {
            return Err(CloudError::unknown_param(
                &param,
                action,
                suggestion.as_deref(),
            ));
        }
        Ok(op)
    }

    /// The API name (`Action`).
    pub fn action_name(&self) -> &'static str {
        match self {
            Operation::CreateVpc(_) => "CreateVpc",
            Operation::CreateVSwitch(_) => "CreateVSwitch",
            Operation::CreateRouteEntry(_) => "CreateRouteEntry",
            Operation::DeleteRouteEntry(_) => "DeleteRouteEntry",
            Operation::DescribeVpcs(_) => "DescribeVpcs",
            Operation::DescribeVSwitches(_) => "DescribeVSwitches",
            Operation::DescribeRouteTableList(_) => "DescribeRouteTableList",
            Operation::DescribeRouteEntryList(_) => "DescribeRouteEntryList",
            Operation::CreateVpcPeerConnection(_) => "CreateVpcPeerConnection",
            Operation::AcceptVpcPeerConnection(_) => "AcceptVpcPeerConnection",
            Operation::RejectVpcPeerConnection(_) => "RejectVpcPeerConnection",
            Operation::ModifyVpcPeerConnection(_) => "ModifyVpcPeerConnection",
            Operation::DeleteVpcPeerConnection(_) => "DeleteVpcPeerConnection",
            Operation::GetVpcPeerConnectionAttribute(_) => "GetVpcPeerConnectionAttribute",
            Operation::ListVpcPeerConnections(_) => "ListVpcPeerConnections",
        }
    }

    /// API product (`Vpc` or `VpcPeer`, §0.3) — for ActionTrail `serviceName`.
    pub fn product(&self) -> &'static str {
        if self.action_name().contains("VpcPeerConnection") {
            "VpcPeer"
        } else {
            "Vpc"
        }
    }

    /// The request's `RegionId`, if the API has one (VpcPeer Accept/Reject/
    /// Modify/Delete/Get are global and have none).
    pub fn region(&self) -> Option<&str> {
        match self {
            Operation::CreateVpc(p) => Some(&p.region_id),
            Operation::CreateVSwitch(p) => Some(&p.region_id),
            Operation::CreateRouteEntry(p) => Some(&p.region_id),
            Operation::DeleteRouteEntry(p) => Some(&p.region_id),
            Operation::DescribeVpcs(p) => Some(&p.region_id),
            Operation::DescribeVSwitches(p) => Some(&p.region_id),
            Operation::DescribeRouteTableList(p) => Some(&p.region_id),
            Operation::DescribeRouteEntryList(p) => Some(&p.region_id),
            Operation::CreateVpcPeerConnection(p) => Some(&p.region_id),
            Operation::ListVpcPeerConnections(p) => Some(&p.region_id),
            Operation::AcceptVpcPeerConnection(_)
            | Operation::RejectVpcPeerConnection(_)
            | Operation::ModifyVpcPeerConnection(_)
            | Operation::DeleteVpcPeerConnection(_)
            | Operation::GetVpcPeerConnectionAttribute(_) => None,
        }
    }

    /// True for create/update/delete access levels (ActionTrail `eventRW=Write`).
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Operation::DescribeVpcs(_)
                | Operation::DescribeVSwitches(_)
                | Operation::DescribeRouteTableList(_)
                | Operation::DescribeRouteEntryList(_)
                | Operation::GetVpcPeerConnectionAttribute(_)
                | Operation::ListVpcPeerConnections(_)
        )
    }

    /// `DryRun` flag, when the API has one.
    pub fn dry_run(&self) -> bool {
        match self {
            Operation::CreateVpc(p) => p.dry_run,
            Operation::CreateVSwitch(p) => p.dry_run,
            Operation::CreateRouteEntry(p) => p.dry_run,
            Operation::CreateVpcPeerConnection(p) => p.dry_run,
            Operation::AcceptVpcPeerConnection(p) => p.dry_run,
            Operation::RejectVpcPeerConnection(p) => p.dry_run,
            Operation::ModifyVpcPeerConnection(p) => p.dry_run,
            Operation::DeleteVpcPeerConnection(p) => p.dry_run,
            _ => false,
        }
    }

    /// `ClientToken`, when given (§0.4.3).
    pub fn client_token(&self) -> Option<&str> {
        match self {
            Operation::CreateVpc(p) => p.client_token.as_deref(),
            Operation::CreateVSwitch(p) => p.client_token.as_deref(),
            Operation::CreateRouteEntry(p) => p.client_token.as_deref(),
            Operation::CreateVpcPeerConnection(p) => p.client_token.as_deref(),
            Operation::AcceptVpcPeerConnection(p) => p.client_token.as_deref(),
            Operation::RejectVpcPeerConnection(p) => p.client_token.as_deref(),
            Operation::ModifyVpcPeerConnection(p) => p.client_token.as_deref(),
            Operation::DeleteVpcPeerConnection(p) => p.client_token.as_deref(),
            _ => None,
        }
    }
}
