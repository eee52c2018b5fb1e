//! Parameters of the CEN (Cbn) APIs for `check`: drawn from the caller's own CENs, transit
//! routers, attachments and TR route tables, its own VPCs, and — for the cross-account moves —
//! the VPCs granted to its CENs (`CreateTransitRouterVpcAttachment --VpcOwnerId`) and the CENs
//! of other accounts (`GrantInstanceToTransitRouter`), so that a sequence such as "create a CEN,
//! another account grants its VPC, attach it" is within reach of a random search.

use super::{obj, Params};
use crate::cloud::cen::CenState;
use serde_json::{Map, Value};

impl<'a> Params<'a, '_> {
    fn cen_state(&self) -> &'a CenState {
        self.state.world.cen()
    }

    /// Ids of the caller's CENs.
    fn own_cens(&self) -> Vec<String> {
        let a = self.account();
        self.cen_state()
            .cens
            .values()
            .filter(|c| c.owner_uid == a)
            .map(|c| c.cen_id.clone())
            .collect()
    }

    /// `(id, region, cen)` of the caller's transit routers.
    fn own_trs(&self) -> Vec<(String, String, String)> {
        let a = self.account();
        self.cen_state()
            .transit_routers
            .values()
            .filter(|t| t.owner_uid == a)
            .map(|t| {
                (
                    t.transit_router_id.clone(),
                    t.region_id.clone(),
                    t.cen_id.clone(),
                )
            })
            .collect()
    }

    /// Ids of the caller's attachments (VPC ones when `vpc`, peer ones otherwise).
    fn own_attachments(&self, vpc: bool) -> Vec<String> {
        let a = self.account();
        self.cen_state()
            .attachments
            .values()
            .filter(|x| x.owner_uid == a && x.vpc_id().is_some() == vpc)
            .map(|x| x.attachment_id.clone())
            .collect()
    }

    /// An attachment of the caller and a route table of the same TR.
    fn own_link(&mut self) -> Map<String, Value> {
        let a = self.account().to_string();
        let cen = self.cen_state();
        let pairs: Vec<(String, String)> = cen
            .attachments
            .values()
            .filter(|x| x.owner_uid == a)
            .flat_map(|x| {
                x.ends()
                    .into_iter()
                    .flat_map(|tr| cen.tables_of(tr).map(|t| t.route_table_id.clone()))
                    .map(|t| (x.attachment_id.clone(), t))
                    .collect::<Vec<_>>()
            })
            .collect();
        let (att, table) = match pairs.get(self.rng.below(pairs.len())) {
            Some(p) if !self.invalid => p.clone(),
            _ => (
                "tr-attach-nosuchattach0".to_string(),
                "vtb-nosuchtable0000".to_string(),
            ),
        };
        obj(&[
            ("TransitRouterAttachmentId", att),
            ("TransitRouterRouteTableId", table),
        ])
    }

    /// `ZoneMappings.N` for VPC `vpc`: one vSwitch per zone, at most two.
    fn zone_mappings(&self, vpc: &str, m: &mut Map<String, Value>) {
        let mut zones: Vec<String> = Vec::new();
        for s in self.state.world.vswitches_of(vpc) {
            if zones.len() == 2 || zones.contains(&s.zone_id) {
                continue;
            }
            zones.push(s.zone_id.clone());
            let n = zones.len();
            m.insert(
                format!("ZoneMappings.{n}.VSwitchId"),
                Value::String(s.vswitch_id.clone()),
            );
            m.insert(
                format!("ZoneMappings.{n}.ZoneId"),
                Value::String(s.zone_id.clone()),
            );
        }
    }

    /// `CreateTransitRouterVpcAttachment`: one of the caller's CENs or TRs, and a VPC of that
    /// region — its own, one granted to that CEN (with `VpcOwnerId`), or any other.
    fn cen_vpc_attachment(&mut self) -> Map<String, Value> {
        let a = self.account().to_string();
        let trs = self.own_trs();
        let cens = self.own_cens();
        let state = self.state;
        let w = &state.world;
        let (mut m, cen, region) = match trs.get(self.rng.below(trs.len())) {
            Some((tr, region, cen)) if self.rng.chance(50) || cens.is_empty() => (
                obj(&[
                    ("RegionId", region.clone()),
                    ("TransitRouterId", tr.clone()),
                ]),
                cen.clone(),
                Some(region.clone()),
            ),
            _ => {
                let cen = self.pick_str(&cens, "cen-nosuchcen000000");
                (obj(&[("CenId", cen.clone())]), cen, None)
            }
        };
        let granted: Vec<String> = self
            .cen_state()
            .grants
            .values()
            .filter(|g| g.cen_id == cen && g.cen_owner_uid == a)
            .map(|g| g.instance_id.clone())
            .collect();
        let in_region = |r: &Option<String>| {
            w.vpcs()
                .filter(|v| r.as_ref().is_none_or(|r| &v.region_id == r))
                .map(|v| v.vpc_id.clone())
                .collect::<Vec<_>>()
        };
        let own: Vec<String> = in_region(&region)
            .into_iter()
            .filter(|v| w.vpc(v).is_some_and(|v| v.owner_uid == a))
            .collect();
        let vpc = match self.rng.below(5) {
            0..=2 if !granted.is_empty() => granted[self.rng.below(granted.len())].clone(),
            3 if !own.is_empty() => own[self.rng.below(own.len())].clone(),
            _ => self.pick_str(&in_region(&region), "vpc-nosuchvpc00000"),
        };
        if let Some(v) = w.vpc(&vpc) {
            m.insert("RegionId".into(), Value::String(v.region_id.clone()));
            if v.owner_uid != a {
                m.insert("VpcOwnerId".into(), Value::String(v.owner_uid.clone()));
            }
        }
        self.zone_mappings(&vpc, &mut m);
        m.insert("VpcId".into(), Value::String(vpc));
        m
    }

    /// `GrantInstanceToTransitRouter` / `RevokeInstanceFromTransitRouter`: one of the caller's
    /// VPCs and a CEN of another account (a grant of the caller's, for a revoke).
    fn cen_grant(&mut self, revoke: bool) -> Map<String, Value> {
        let a = self.account().to_string();
        let state = self.state;
        let w = &state.world;
        let target: Option<(String, String, String, String)> = if revoke {
            let grants: Vec<_> = self
                .cen_state()
                .grants
                .values()
                .filter(|g| g.owner_uid == a)
                .map(|g| {
                    (
                        g.instance_id.clone(),
                        g.region_id.clone(),
                        g.cen_id.clone(),
                        g.cen_owner_uid.clone(),
                    )
                })
                .collect();
            self.rng.pick(&grants).cloned()
        } else {
            let cens: Vec<(String, String)> = self
                .cen_state()
                .cens
                .values()
                .filter(|c| c.owner_uid != a)
                .map(|c| (c.cen_id.clone(), c.owner_uid.clone()))
                .collect();
            let vpcs: Vec<(String, String)> = w
                .vpcs()
                .filter(|v| v.owner_uid == a)
                .map(|v| (v.vpc_id.clone(), v.region_id.clone()))
                .collect();
            match (self.rng.pick(&cens).cloned(), self.rng.pick(&vpcs).cloned()) {
                (Some((cen, owner)), Some((vpc, region))) => Some((vpc, region, cen, owner)),
                _ => None,
            }
        };
        let (vpc, region, cen, owner) = match target {
            Some(t) if !self.invalid => t,
            _ => (
                "vpc-nosuchvpc00000".into(),
                self.regions().first().cloned().unwrap_or_default(),
                "cen-nosuchcen000000".into(),
                a.clone(),
            ),
        };
        obj(&[
            ("CenId", cen),
            ("InstanceId", vpc),
            ("InstanceType", "VPC".into()),
            ("RegionId", region),
            ("CenOwnerId", owner),
        ])
    }

    /// Parameters of a Cbn API, `None` for other products' APIs.
    pub(super) fn build_cen(&mut self, api: &str) -> Option<Map<String, Value>> {
        let m = match api {
            "CreateCen" => obj(&[("Name", "corp".into())]),
            "DeleteCen" => {
                let cens = self.own_cens();
                obj(&[("CenId", self.pick_str(&cens, "cen-nosuchcen000000"))])
            }
            "CreateTransitRouter" => {
                let cens = self.own_cens();
                let regions = self.regions();
                obj(&[
                    ("CenId", self.pick_str(&cens, "cen-nosuchcen000000")),
                    ("RegionId", self.pick_str(&regions, "cn-nowhere")),
                ])
            }
            "DeleteTransitRouter" | "ListTransitRouterRouteTables" => {
                let trs: Vec<String> = self.own_trs().into_iter().map(|t| t.0).collect();
                obj(&[(
                    "TransitRouterId",
                    self.pick_str(&trs, "tr-nosuchrouter00000"),
                )])
            }
            "ListTransitRouters" | "ListTransitRouterAttachments" => {
                let cens = self.own_cens();
                obj(&[("CenId", self.pick_str(&cens, "cen-nosuchcen000000"))])
            }
            "CreateTransitRouterVpcAttachment" => self.cen_vpc_attachment(),
            "DeleteTransitRouterVpcAttachment" | "DeleteTransitRouterPeerAttachment" => {
                let atts = self.own_attachments(api.contains("Vpc"));
                let mut m = obj(&[(
                    "TransitRouterAttachmentId",
                    self.pick_str(&atts, "tr-attach-nosuchattach0"),
                )]);
                if self.rng.chance(50) {
                    m.insert("Force".into(), Value::String("true".into()));
                }
                m
            }
            "CreateTransitRouterPeerAttachment" => {
                let trs = self.own_trs();
                match (self.rng.pick(&trs).cloned(), self.rng.pick(&trs).cloned()) {
                    (Some((a, region, _)), Some((b, peer_region, _))) if !self.invalid => obj(&[
                        ("RegionId", region),
                        ("TransitRouterId", a),
                        ("PeerTransitRouterId", b),
                        ("PeerTransitRouterRegionId", peer_region),
                        ("BandwidthType", "DataTransfer".into()),
                        ("Bandwidth", "10".into()),
                    ]),
                    _ => obj(&[("PeerTransitRouterId", "tr-nosuchrouter00000".into())]),
                }
            }
            "AssociateTransitRouterAttachmentWithRouteTable"
            | "DissociateTransitRouterAttachmentFromRouteTable"
            | "EnableTransitRouterRouteTablePropagation"
            | "DisableTransitRouterRouteTablePropagation" => self.own_link(),
            "GrantInstanceToTransitRouter" => self.cen_grant(false),
            "RevokeInstanceFromTransitRouter" => self.cen_grant(true),
            _ => return None,
        };
        Some(m)
    }
}
