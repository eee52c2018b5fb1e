//! The CEN list APIs: transit routers, TR route tables, TR route entries (static and
//! propagated, with their conflict status), attachments.

use super::api::{
    ListTransitRouterAttachments, ListTransitRouterRouteEntries, ListTransitRouterRouteTables,
    ListTransitRouters,
};
use super::derived::group;
use super::resources::{AttachKind, Attachment, TrTableType, TrType, TransitRouter};
use crate::cloud::error::CloudError;
use crate::cloud::time::Timestamp;
use crate::cloud::validate::{page_of, token_page};
use crate::cloud::world::{CallContext, World};
use serde_json::{json, Value};

fn bad_token() -> CloudError {
    CloudError::invalid_param("NextToken", "unknown token")
}

/// The window of a `NextToken` page over `total` rows, exactly as `token_page` computes it:
/// `(offset, next token)`.
fn token_window(
    token: Option<&str>,
    size: usize,
    total: usize,
) -> Result<(usize, String), CloudError> {
    let offset: usize = match token {
        Some(t) => t.parse().map_err(|_| bad_token())?,
        None => 0,
    };
    let next = if offset.saturating_add(size) < total {
        (offset + size).to_string()
    } else {
        String::new()
    };
    Ok((offset, next))
}

/// One attachment as `ListTransitRouterAttachments` shows it.
pub fn attachment_json(a: &Attachment, now: Timestamp) -> Value {
    let mut v = json!({
        "TransitRouterAttachmentId": a.attachment_id,
        "CenId": a.cen_id,
        "TransitRouterId": a.transit_router_id,
        "RegionId": a.region_id,
        "ResourceType": a.resource_type(),
        "Status": a.lifecycle.at(now).as_str(),
        "AutoPublishRouteEnabled": a.auto_publish,
        "TransitRouterAttachmentName": a.name,
        "TransitRouterAttachmentDescription": a.description,
        "CreationTime": a.creation_time.to_string(),
    });
    match &a.kind {
        AttachKind::Vpc {
            vpc_id,
            vpc_owner_uid,
            zones,
        } => {
            v["VpcId"] = json!(vpc_id);
            v["VpcOwnerId"] = json!(vpc_owner_uid.parse::<u64>().unwrap_or_default());
            v["ZoneMappings"] = json!(zones
                .iter()
                .map(|z| json!({"ZoneId": z.zone_id, "VSwitchId": z.vswitch_id, "NetworkInterfaceId": z.network_interface_id}))
                .collect::<Vec<_>>());
        }
        AttachKind::Peer {
            peer_transit_router_id,
            peer_region_id,
            bandwidth_type,
            bandwidth,
            package_id,
            link_type,
        } => {
            v["PeerTransitRouterId"] = json!(peer_transit_router_id);
            v["PeerTransitRouterRegionId"] = json!(peer_region_id);
            v["BandwidthType"] = json!(bandwidth_type);
            v["Bandwidth"] = json!(bandwidth);
            v["CenBandwidthPackageId"] = json!(package_id.clone().unwrap_or_default());
            v["DefaultLinkType"] = json!(link_type);
        }
    }
    v
}

impl World {
    pub(crate) fn list_transit_routers(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &ListTransitRouters,
    ) -> Result<Value, CloudError> {
        let me = ctx.caller_account.as_str();
        if let Some(c) = &p.cen_id {
            self.own_cen(me, c)?;
        }
        let ix = self.cen.index();
        let (total, page): (usize, Vec<&TransitRouter>) = match (&p.transit_router_id, &p.cen_id) {
            // Without an id or CEN, the caller's TRs (in a region) are exactly an index group
            // in id order: its size is the count and only the page is read (O(page)).
            (None, None) => {
                let group = match &p.region_id {
                    Some(r) => ix.trs_by_owner_region.get(&format!("{me}|{r}")),
                    None => ix.trs_by_owner.get(me),
                };
                let size = usize::try_from(p.page_size.max(1)).unwrap_or(1);
                let start = usize::try_from(p.page_number.max(1) - 1)
                    .unwrap_or(0)
                    .saturating_mul(size);
                let page = group
                    .into_iter()
                    .flatten()
                    .skip(start)
                    .take(size)
                    .filter_map(|id| self.cen.transit_routers.get(id))
                    .collect();
                (group.map_or(0, |g| g.len()), page)
            }
            // By id (one) or by CEN (one TR per region at most): filter the candidates.
            (id, cen) => {
                let candidates: Box<dyn Iterator<Item = &TransitRouter>> = match (id, cen) {
                    (Some(id), _) => Box::new(self.cen.transit_routers.get(id).into_iter()),
                    (None, Some(c)) => Box::new(
                        group(&ix.trs_by_cen, c).filter_map(|id| self.cen.transit_routers.get(id)),
                    ),
                    (None, None) => Box::new(std::iter::empty()),
                };
                let rows = candidates.filter(|t| {
                    t.owner_uid == me
                        && p.cen_id.as_ref().is_none_or(|c| c == &t.cen_id)
                        && p.region_id.as_ref().is_none_or(|r| r == &t.region_id)
                        && p.transit_router_id
                            .as_ref()
                            .is_none_or(|x| x == &t.transit_router_id)
                });
                page_of(rows, p.page_number, p.page_size)
            }
        };
        let items: Vec<Value> = page
            .into_iter()
            .map(|t| {
                json!({
                    "TransitRouterId": t.transit_router_id,
                    "CenId": t.cen_id,
                    "RegionId": t.region_id,
                    "Type": t.tr_type.as_str(),
                    "Status": t.lifecycle.at(now).as_str(),
                    "TransitRouterName": t.name,
                    "TransitRouterDescription": t.description,
                    "SupportMulticast": t.support_multicast,
                    "AliUid": t.owner_uid.parse::<u64>().unwrap_or_default(),
                    "CreationTime": t.creation_time.to_string(),
                    "TransitRouterCidrList": t.cidrs.iter().map(|c| json!({"Cidr": c})).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({
            "TotalCount": total,
            "PageNumber": p.page_number,
            "PageSize": p.page_size,
            "TransitRouters": items,
        }))
    }

    pub(crate) fn list_tr_route_tables(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &ListTransitRouterRouteTables,
    ) -> Result<Value, CloudError> {
        let tr = self.own_tr(&ctx.caller_account, &p.transit_router_id)?;
        if tr.tr_type != TrType::Enterprise {
            return Err(CloudError::bad(
                "OperationFailed.TransitRouterType",
                "Basic transit routers have no route table API.",
            ));
        }
        let rows: Vec<&super::resources::TrRouteTable> = self
            .cen
            .tables_of(&tr.transit_router_id)
            .filter(|t| {
                p.route_table_ids.is_empty() || p.route_table_ids.contains(&t.route_table_id)
            })
            .collect();
        let size = usize::try_from(p.max_results).unwrap_or(50);
        // Only the page is rendered.
        let (page, next) = token_page(&rows, p.next_token.as_deref(), size, bad_token)?;
        let page: Vec<Value> = page
            .into_iter()
            .map(|t| {
                json!({
                    "TransitRouterRouteTableId": t.route_table_id,
                    "TransitRouterId": t.transit_router_id,
                    "TransitRouterRouteTableType": match t.table_type { TrTableType::System => "System", TrTableType::Custom => "Custom" },
                    "TransitRouterRouteTableStatus": t.lifecycle.at(now).as_str(),
                    "CreateTime": t.creation_time.to_string(),
                })
            })
            .collect();
        Ok(json!({
            "TotalCount": rows.len(),
            "MaxResults": p.max_results,
            "NextToken": next,
            "TransitRouterRouteTables": page,
        }))
    }

    pub(crate) fn list_tr_route_entries(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &ListTransitRouterRouteEntries,
    ) -> Result<Value, CloudError> {
        let (t, tr) = self.own_table(&ctx.caller_account, &p.route_table_id)?;
        if tr.tr_type != TrType::Enterprise {
            return Err(CloudError::bad(
                "OperationFailed.TransitRouterType",
                "Basic transit routers have no route table API.",
            ));
        }
        let dest = match &p.destination {
            Some(d) => Some(crate::cloud::vpc::parse_strict_v4(d).ok_or_else(|| {
                CloudError::bad(
                    "IllegalParam.TransitRouterDestinationCidrBlock",
                    format!("The destination {d} is not a valid IPv4 CIDR block."),
                )
            })?),
            None => None,
        };
        let routes = self.tr_routes(now);
        let table = routes.get(&t.route_table_id);
        let render = |r: &super::routing::TrRoute| -> Value {
            let hop = r.next_hop.attachment().unwrap_or_default();
            let att = self.cen.attachments.get(hop);
            let hop_resource = att.map(|a| a.resource_type()).unwrap_or_default();
            let hop_resource_id = match att.map(|a| &a.kind) {
                Some(AttachKind::Vpc { vpc_id, .. }) => vpc_id.clone(),
                Some(AttachKind::Peer { .. }) => att
                    .and_then(|a| a.other_end(&tr.transit_router_id))
                    .unwrap_or_default()
                    .to_string(),
                None => String::new(),
            };
            json!({
                "TransitRouterRouteEntryId": r.route_entry_id,
                "TransitRouterRouteEntryDestinationCidrBlock": r.destination.to_string(),
                "TransitRouterRouteEntryType": r.entry_type(),
                "TransitRouterRouteEntryStatus": r.status.as_str(),
                "TransitRouterRouteEntryNextHopType": r.next_hop.type_str(),
                "TransitRouterRouteEntryNextHopId": hop,
                "TransitRouterRouteEntryNextHopResourceType": hop_resource,
                "TransitRouterRouteEntryNextHopResourceId": hop_resource_id,
            })
        };
        let size = usize::try_from(p.max_results).unwrap_or(50);
        let unfiltered = dest.is_none()
            && p.status.is_none()
            && p.entry_type.is_none()
            && p.next_hop_id.is_none();
        if unfiltered {
            // O(page): the count is kept with the table, the page is read in place.
            let total = table.map_or(0, |tb| tb.len());
            let (offset, next) = token_window(p.next_token.as_deref(), size, total)?;
            let page: Vec<Value> = table
                .into_iter()
                .flat_map(|tb| tb.iter())
                .skip(offset)
                .take(size)
                .map(render)
                .collect();
            return Ok(json!({
                "TotalCount": total,
                "MaxResults": p.max_results,
                "NextToken": next,
                "TransitRouterRouteEntries": page,
            }));
        }
        // With a destination, only that destination's entries are looked at.
        let candidates: Box<dyn Iterator<Item = &super::routing::TrRoute>> = match (&dest, table) {
            (Some(d), Some(tb)) => Box::new(tb.for_destination(d).iter()),
            (None, Some(tb)) => Box::new(tb.iter()),
            (_, None) => Box::new(std::iter::empty()),
        };
        let rows: Vec<&super::routing::TrRoute> = candidates
            .filter(|r| dest.is_none_or(|d| d == r.destination))
            .filter(|r| p.status.as_ref().is_none_or(|s| s == r.status.as_str()))
            .filter(|r| p.entry_type.as_ref().is_none_or(|s| s == r.entry_type()))
            .filter(|r| {
                p.next_hop_id
                    .as_ref()
                    .is_none_or(|h| Some(h.as_str()) == r.next_hop.attachment())
            })
            .collect();
        // Only the page is rendered.
        let (page, next) = token_page(&rows, p.next_token.as_deref(), size, bad_token)?;
        let page: Vec<Value> = page.into_iter().map(render).collect();
        Ok(json!({
            "TotalCount": rows.len(),
            "MaxResults": p.max_results,
            "NextToken": next,
            "TransitRouterRouteEntries": page,
        }))
    }

    pub(crate) fn list_tr_attachments(
        &self,
        ctx: &CallContext,
        now: Timestamp,
        p: &ListTransitRouterAttachments,
    ) -> Result<Value, CloudError> {
        let me = ctx.caller_account.as_str();
        if let Some(c) = &p.cen_id {
            self.own_cen(me, c)?;
        }
        if let Some(t) = &p.transit_router_id {
            self.own_tr(me, t)?;
        }
        let ix = self.cen.index();
        let size = usize::try_from(p.max_results).unwrap_or(50);
        // O(page) when at most one of TransitRouterId / CenId filters: that index group is
        // exactly the answer (the attachments of a TR or CEN the caller owns are the caller's:
        // an attachment belongs to its CEN's owner), its size is the count.
        if p.attachment_id.is_none()
            && p.region_id.is_none()
            && (p.transit_router_id.is_none() || p.cen_id.is_none())
        {
            let group = match (&p.transit_router_id, &p.cen_id) {
                (Some(t), _) => ix.atts_by_tr.get(t),
                (None, Some(c)) => ix.atts_by_cen.get(c),
                (None, None) => ix.atts_by_owner.get(me),
            };
            let total = group.map_or(0, |g| g.len());
            let (offset, next) = token_window(p.next_token.as_deref(), size, total)?;
            let page: Vec<Value> = group
                .into_iter()
                .flatten()
                .skip(offset)
                .take(size)
                .filter_map(|id| self.cen.attachments.get(id))
                .map(|a| attachment_json(a, now))
                .collect();
            return Ok(json!({
                "TotalCount": total,
                "MaxResults": p.max_results,
                "NextToken": next,
                "TransitRouterAttachments": page,
            }));
        }
        // Candidates from the narrowest index: by id, by TR, by CEN, else the caller's own.
        let ids: Box<dyn Iterator<Item = &String>> =
            match (&p.attachment_id, &p.transit_router_id, &p.cen_id) {
                (Some(id), _, _) => Box::new(std::iter::once(id)),
                (None, Some(t), _) => Box::new(group(&ix.atts_by_tr, t)),
                (None, None, Some(c)) => Box::new(group(&ix.atts_by_cen, c)),
                (None, None, None) => Box::new(group(&ix.atts_by_owner, me)),
            };
        let rows: Vec<&Attachment> = ids
            .filter_map(|id| self.cen.attachments.get(id))
            .filter(|a| {
                a.owner_uid == me
                    && p.cen_id.as_ref().is_none_or(|c| c == &a.cen_id)
                    && p.transit_router_id
                        .as_ref()
                        .is_none_or(|t| a.ends().contains(&t.as_str()))
                    && p.attachment_id
                        .as_ref()
                        .is_none_or(|x| x == &a.attachment_id)
                    && p.region_id.as_ref().is_none_or(|r| r == &a.region_id)
            })
            .collect();
        // Only the page is rendered.
        let (page, next) = token_page(&rows, p.next_token.as_deref(), size, bad_token)?;
        let page: Vec<Value> = page.into_iter().map(|a| attachment_json(a, now)).collect();
        Ok(json!({
            "TotalCount": rows.len(),
            "MaxResults": p.max_results,
            "NextToken": next,
            "TransitRouterAttachments": page,
        }))
    }
}
