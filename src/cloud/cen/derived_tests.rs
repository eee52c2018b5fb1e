//! The incremental TR route tables (`derived.rs`) against the from-scratch reference
//! (`routing::compute_routes`): random sequences of attach/detach, association and
//! propagation changes, peer attachments, static entries, new vSwitches and (Stepped mode)
//! clock moves, compared after random steps and at the end.

use crate::cloud::tests::{call, mk_vpc, mk_vsw, ok, world_with, A};
use crate::cloud::World;
use proptest::prelude::*;
use serde_json::json;

const REGIONS: [&str; 3] = ["cn-chengdu", "cn-hangzhou", "cn-shanghai"];
/// The region whose TR the steps create and delete (no VPC lives there).
const EXTRA: &str = "cn-beijing";

/// Two CENs, each with a TR in every region; two VPCs per region (`10.<i>.1.0/24`, and every
/// VPC also `10.99.0.0/24`, so destinations conflict).
struct Net {
    w: World,
    /// `trs[cen][region]`.
    trs: Vec<Vec<String>>,
    /// CEN ids.
    cens: Vec<String>,
    /// `(vpc, region index, first vSwitch)`.
    vpcs: Vec<(String, usize, String)>,
}

fn net(stepped: bool) -> Net {
    let mut w = if stepped {
        world_with(json!({"options": {"settle": "Stepped"}}))
    } else {
        world_with(json!({}))
    };
    let mut vpcs = Vec::new();
    for i in 0..6 {
        let r = i % 3;
        let (vpc, _) = mk_vpc(&mut w, A, REGIONS[r], "10.0.0.0/8");
        w.settle();
        let vsw = mk_vsw(
            &mut w,
            A,
            REGIONS[r],
            &vpc,
            &format!("{}-a", REGIONS[r]),
            &format!("10.{i}.1.0/24"),
        );
        w.settle();
        mk_vsw(
            &mut w,
            A,
            REGIONS[r],
            &vpc,
            &format!("{}-b", REGIONS[r]),
            "10.99.0.0/24",
        );
        w.settle();
        vpcs.push((vpc, r, vsw));
    }
    let mut trs = Vec::new();
    let mut cens = Vec::new();
    for _ in 0..2 {
        let cen = ok(&mut w, A, "CreateCen", json!({}))["CenId"]
            .as_str()
            .unwrap()
            .to_string();
        let mut row = Vec::new();
        for r in REGIONS {
            let tr = ok(
                &mut w,
                A,
                "CreateTransitRouter",
                json!({"RegionId": r, "CenId": cen}),
            )["TransitRouterId"]
                .as_str()
                .unwrap()
                .to_string();
            row.push(tr);
        }
        trs.push(row);
        cens.push(cen);
    }
    w.settle();
    Net { w, trs, cens, vpcs }
}

#[derive(Debug, Clone)]
enum Op {
    Attach {
        vpc: usize,
        cen: usize,
    },
    Detach {
        vpc: usize,
        cen: usize,
        force: bool,
    },
    Link {
        vpc: usize,
        cen: usize,
        associate: bool,
        on: bool,
    },
    Peer {
        cen: usize,
        pair: usize,
    },
    PeerDelete {
        cen: usize,
        pair: usize,
    },
    PeerLink {
        cen: usize,
        pair: usize,
        side: bool,
        associate: bool,
        on: bool,
    },
    Static {
        cen: usize,
        region: usize,
        n: u8,
        via_vpc: Option<usize>,
    },
    StaticDelete {
        cen: usize,
        region: usize,
        n: u8,
    },
    VSwitch {
        vpc: usize,
        n: u8,
    },
    /// CreateTransitRouter in `EXTRA`.
    TrCreate {
        cen: usize,
    },
    /// DeleteTransitRouter of the `EXTRA` TR.
    TrDelete {
        cen: usize,
    },
    Advance,
}

fn op() -> impl Strategy<Value = Op> {
    let b = any::<bool>;
    prop_oneof![
        3 => (0..6usize, 0..2usize).prop_map(|(vpc, cen)| Op::Attach { vpc, cen }),
        1 => (0..6usize, 0..2usize, b()).prop_map(|(vpc, cen, force)| Op::Detach { vpc, cen, force }),
        4 => (0..6usize, 0..2usize, b(), prop::bool::weighted(0.75))
            .prop_map(|(vpc, cen, associate, on)| Op::Link { vpc, cen, associate, on }),
        2 => (0..2usize, 0..4usize).prop_map(|(cen, pair)| Op::Peer { cen, pair }),
        1 => (0..2usize, 0..4usize).prop_map(|(cen, pair)| Op::PeerDelete { cen, pair }),
        4 => (0..2usize, 0..4usize, b(), b(), prop::bool::weighted(0.8))
            .prop_map(|(cen, pair, side, associate, on)| Op::PeerLink { cen, pair, side, associate, on }),
        2 => (0..2usize, 0..4usize, 0..4u8, prop::option::of(0..6usize))
            .prop_map(|(cen, region, n, via_vpc)| Op::Static { cen, region, n, via_vpc }),
        1 => (0..2usize, 0..4usize, 0..4u8).prop_map(|(cen, region, n)| Op::StaticDelete { cen, region, n }),
        1 => (0..6usize, 0..3u8).prop_map(|(vpc, n)| Op::VSwitch { vpc, n }),
        1 => (0..2usize).prop_map(|cen| Op::TrCreate { cen }),
        1 => (0..2usize).prop_map(|cen| Op::TrDelete { cen }),
        1 => Just(Op::Advance),
    ]
}

/// Region pairs of peer attachments (region 3 is `EXTRA`, whose TR comes and goes).
const PAIRS: [(usize, usize); 4] = [(0, 1), (1, 2), (0, 2), (2, 3)];

impl Net {
    /// The TR of CEN `cen` in region `region` (3: `EXTRA`, when it exists).
    fn tr(&self, cen: usize, region: usize) -> Option<String> {
        if let Some(tr) = self.trs[cen].get(region) {
            return Some(tr.clone());
        }
        self.w
            .cen()
            .transit_routers
            .values()
            .find(|t| t.cen_id == self.cens[cen] && t.region_id == EXTRA)
            .map(|t| t.transit_router_id.clone())
    }

    fn region(r: usize) -> &'static str {
        REGIONS.get(r).copied().unwrap_or(EXTRA)
    }

    fn table(&self, cen: usize, region: usize) -> Option<String> {
        let tr = self.tr(cen, region)?;
        Some(
            self.w.cen().transit_routers[&tr]
                .system_route_table_id
                .clone(),
        )
    }

    fn vpc_att(&self, vpc: usize, cen: usize) -> Option<String> {
        let tr = &self.trs[cen][self.vpcs[vpc].1];
        self.w
            .cen()
            .attachments
            .values()
            .find(|a| a.vpc_id() == Some(self.vpcs[vpc].0.as_str()) && &a.transit_router_id == tr)
            .map(|a| a.attachment_id.clone())
    }

    fn peer_att(&self, cen: usize, pair: usize) -> Option<String> {
        let (a, b) = PAIRS[pair];
        let (ta, tb) = (&self.tr(cen, a)?, &self.tr(cen, b)?);
        self.w
            .cen()
            .attachments
            .values()
            .find(|x| {
                let e = x.ends();
                e.len() == 2 && e.contains(&ta.as_str()) && e.contains(&tb.as_str())
            })
            .map(|x| x.attachment_id.clone())
    }

    fn link(&mut self, att: &str, table: &str, associate: bool, on: bool) {
        let api = match (associate, on) {
            (true, true) => "AssociateTransitRouterAttachmentWithRouteTable",
            (true, false) => "DissociateTransitRouterAttachmentFromRouteTable",
            (false, true) => "EnableTransitRouterRouteTablePropagation",
            (false, false) => "DisableTransitRouterRouteTablePropagation",
        };
        let _ = call(
            &mut self.w,
            A,
            api,
            json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": table}),
        );
    }

    /// Applies one step; failures (missing prerequisites) change nothing and are ignored.
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Attach { vpc, cen } => {
                let (v, r, vsw) = self.vpcs[*vpc].clone();
                let _ = call(
                    &mut self.w,
                    A,
                    "CreateTransitRouterVpcAttachment",
                    json!({"RegionId": REGIONS[r], "TransitRouterId": self.trs[*cen][r], "VpcId": v,
                           "ZoneMappings.1.VSwitchId": vsw, "ZoneMappings.1.ZoneId": format!("{}-a", REGIONS[r])}),
                );
            }
            Op::Detach { vpc, cen, force } => {
                if let Some(att) = self.vpc_att(*vpc, *cen) {
                    let _ = call(
                        &mut self.w,
                        A,
                        "DeleteTransitRouterVpcAttachment",
                        json!({"TransitRouterAttachmentId": att, "Force": force}),
                    );
                }
            }
            Op::Link {
                vpc,
                cen,
                associate,
                on,
            } => {
                if let Some(att) = self.vpc_att(*vpc, *cen) {
                    let t = self.table(*cen, self.vpcs[*vpc].1).unwrap();
                    self.link(&att, &t, *associate, *on);
                }
            }
            Op::Peer { cen, pair } => {
                let (a, b) = PAIRS[*pair];
                let (Some(ta), Some(tb)) = (self.tr(*cen, a), self.tr(*cen, b)) else {
                    return;
                };
                let _ = call(
                    &mut self.w,
                    A,
                    "CreateTransitRouterPeerAttachment",
                    json!({"RegionId": Self::region(a), "TransitRouterId": ta,
                           "PeerTransitRouterId": tb, "BandwidthType": "DataTransfer", "Bandwidth": 5}),
                );
            }
            Op::PeerDelete { cen, pair } => {
                if let Some(att) = self.peer_att(*cen, *pair) {
                    let _ = call(
                        &mut self.w,
                        A,
                        "DeleteTransitRouterPeerAttachment",
                        json!({"TransitRouterAttachmentId": att, "Force": true}),
                    );
                }
            }
            Op::PeerLink {
                cen,
                pair,
                side,
                associate,
                on,
            } => {
                if let Some(att) = self.peer_att(*cen, *pair) {
                    let (a, b) = PAIRS[*pair];
                    let t = self.table(*cen, if *side { a } else { b }).unwrap();
                    self.link(&att, &t, *associate, *on);
                }
            }
            Op::Static {
                cen,
                region,
                n,
                via_vpc,
            } => {
                let Some(t) = self.table(*cen, *region) else {
                    return;
                };
                // 10.99.0.0/24 (n = 0) conflicts with every VPC's second vSwitch.
                let dest = if *n == 0 {
                    "10.99.0.0/24".to_string()
                } else {
                    format!("172.{}.0.0/16", 15 + n)
                };
                let hop = via_vpc.and_then(|v| self.vpc_att(v, *cen));
                let params = match hop {
                    Some(att) => {
                        json!({"TransitRouterRouteTableId": t, "TransitRouterRouteEntryDestinationCidrBlock": dest,
                                        "TransitRouterRouteEntryNextHopType": "Attachment", "TransitRouterRouteEntryNextHopId": att})
                    }
                    None => {
                        json!({"TransitRouterRouteTableId": t, "TransitRouterRouteEntryDestinationCidrBlock": dest,
                                   "TransitRouterRouteEntryNextHopType": "BlackHole"})
                    }
                };
                let _ = call(&mut self.w, A, "CreateTransitRouterRouteEntry", params);
            }
            Op::StaticDelete { cen, region, n } => {
                let Some(t) = self.table(*cen, *region) else {
                    return;
                };
                let dest = if *n == 0 {
                    "10.99.0.0/24".to_string()
                } else {
                    format!("172.{}.0.0/16", 15 + n)
                };
                let _ = call(
                    &mut self.w,
                    A,
                    "DeleteTransitRouterRouteEntry",
                    json!({"TransitRouterRouteTableId": t, "TransitRouterRouteEntryDestinationCidrBlock": dest}),
                );
            }
            Op::VSwitch { vpc, n } => {
                let (v, r, _) = self.vpcs[*vpc].clone();
                let _ = call(
                    &mut self.w,
                    A,
                    "CreateVSwitch",
                    json!({"RegionId": REGIONS[r], "VpcId": v, "ZoneId": format!("{}-c", REGIONS[r]),
                           "CidrBlock": format!("10.{vpc}.{}.0/24", 10 + n)}),
                );
            }
            Op::TrCreate { cen } => {
                let _ = call(
                    &mut self.w,
                    A,
                    "CreateTransitRouter",
                    json!({"RegionId": EXTRA, "CenId": self.cens[*cen]}),
                );
            }
            Op::TrDelete { cen } => {
                if let Some(tr) = self.tr(*cen, 3) {
                    let _ = call(
                        &mut self.w,
                        A,
                        "DeleteTransitRouter",
                        json!({"RegionId": EXTRA, "TransitRouterId": tr}),
                    );
                }
            }
            Op::Advance => {
                self.w.advance_clock_by(30);
            }
        }
    }

    /// The incremental tables equal the reference, and the CEN index its rebuild.
    fn check(&self) -> Result<(), TestCaseError> {
        let now = self.w.now();
        let fast = self.w.tr_routes(now).to_map();
        let slow = self.w.tr_routes_from_scratch(now);
        prop_assert_eq!(fast, slow);
        prop_assert_eq!(self.w.check_index(), Ok(()));
        Ok(())
    }
}

fn run(stepped: bool, ops: &[(Op, bool)]) -> Result<(), TestCaseError> {
    let mut n = net(stepped);
    n.check()?;
    for (op, read) in ops {
        n.apply(op);
        // Not reading after every step lets changes pile up between two reads.
        if *read {
            n.check()?;
        }
    }
    n.check()?;
    // A clone and a serialization round trip start from their own (rebuilt) tables.
    let copy = Net {
        w: n.w.clone(),
        trs: n.trs.clone(),
        cens: n.cens.clone(),
        vpcs: n.vpcs.clone(),
    };
    copy.check()?;
    let back: World = serde_json::from_str(&serde_json::to_string(&n.w).unwrap()).unwrap();
    prop_assert_eq!(
        back.tr_routes(back.now()).to_map(),
        n.w.tr_routes(n.w.now()).to_map()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn incremental_tables_equal_a_full_recomputation(
        ops in proptest::collection::vec((op(), any::<bool>()), 1..60),
    ) {
        run(false, &ops)?;
    }

    #[test]
    fn incremental_tables_equal_a_full_recomputation_in_stepped_mode(
        ops in proptest::collection::vec((op(), any::<bool>()), 1..60),
    ) {
        run(true, &ops)?;
    }
}

/// A hand-written sequence through every kind of change, read after each step: the incremental
/// path (not a rebuild) is what answers, and it agrees with the reference.
#[test]
fn every_kind_of_change_is_applied_incrementally() {
    let mut n = net(false);
    n.check().unwrap();
    let rebuilds = n.w.cen().route_rebuilds();
    let mut steps = Vec::new();
    for cen in 0..2 {
        for pair in 0..2 {
            steps.push(Op::Peer { cen, pair });
            for side in [true, false] {
                for associate in [true, false] {
                    steps.push(Op::PeerLink {
                        cen,
                        pair,
                        side,
                        associate,
                        on: true,
                    });
                }
            }
        }
    }
    for vpc in 0..6 {
        steps.push(Op::Attach { vpc, cen: vpc % 2 });
        for associate in [true, false] {
            steps.push(Op::Link {
                vpc,
                cen: vpc % 2,
                associate,
                on: true,
            });
        }
    }
    steps.extend([
        Op::Static {
            cen: 0,
            region: 1,
            n: 0,
            via_vpc: None,
        },
        Op::Static {
            cen: 0,
            region: 2,
            n: 1,
            via_vpc: Some(2),
        },
        Op::VSwitch { vpc: 0, n: 1 },
        Op::Link {
            vpc: 0,
            cen: 0,
            associate: false,
            on: false,
        },
        Op::StaticDelete {
            cen: 0,
            region: 1,
            n: 0,
        },
        Op::Detach {
            vpc: 2,
            cen: 0,
            force: true,
        },
        Op::PeerDelete { cen: 1, pair: 0 },
        // A TR comes, is peered, learns, gets a static entry, and goes again.
        Op::TrCreate { cen: 0 },
        Op::Peer { cen: 0, pair: 3 },
        Op::PeerLink {
            cen: 0,
            pair: 3,
            side: true,
            associate: true,
            on: true,
        },
        Op::PeerLink {
            cen: 0,
            pair: 3,
            side: false,
            associate: true,
            on: true,
        },
        Op::PeerLink {
            cen: 0,
            pair: 3,
            side: false,
            associate: false,
            on: true,
        },
        Op::Static {
            cen: 0,
            region: 3,
            n: 2,
            via_vpc: None,
        },
        Op::PeerLink {
            cen: 0,
            pair: 3,
            side: true,
            associate: false,
            on: true,
        },
        Op::PeerDelete { cen: 0, pair: 3 },
        Op::TrDelete { cen: 0 },
    ]);
    let mut most_statics = 0;
    let (mut extra_static, mut extra_learned) = (false, false);
    for op in &steps {
        n.apply(op);
        n.check().unwrap();
        most_statics = most_statics.max(n.w.cen().static_entries.len());
        if let Some(t) = n.table(0, 3) {
            extra_static |=
                n.w.cen()
                    .static_entries
                    .values()
                    .any(|e| e.route_table_id == t);
            extra_learned |=
                n.w.tr_routes(n.w.now())
                    .get(&t)
                    .is_some_and(|x| x.iter().any(|r| r.round > 0));
        }
    }
    assert_eq!(most_statics, 2, "both static entries were created");
    assert!(extra_static && extra_learned, "the extra TR took part");
    assert_eq!(n.w.cen().transit_routers.len(), 6, "the extra TR is gone");
    assert_eq!(
        n.w.cen().route_rebuilds(),
        rebuilds,
        "no change recomputed a CEN from scratch"
    );
    // Something was learned over peers in both CENs (the sequence is not vacuous).
    let routes = n.w.tr_routes(n.w.now());
    for cen in 0..2 {
        let peer = (0..3)
            .flat_map(|r| {
                routes
                    .get(&n.table(cen, r).unwrap())
                    .into_iter()
                    .flatten()
                    .filter(|x| x.round > 0)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .count();
        assert!(peer > 0, "CEN {cen} learned nothing over peers");
    }
}
