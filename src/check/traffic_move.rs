//! Traffic as a `check` move (issue 17): a flow between two existing ECS instances, sent along
//! the path `reach` computes, as `ramsim traffic` sends it. Fees and alert states only change
//! when traffic flows, so invariants over `charges`, `alert_rules` and `alerts` need it.
//!
//! * Only searches whose invariants read one of those collections send traffic (a flow
//!   changes nothing else an invariant can see), and only when the world holds two instances
//!   or more; other searches draw exactly the random numbers they drew before.
//! * A step is a flow with [`SHARE`] percent chance; source and destination are two distinct
//!   instances, the port one of [`PORTS`], the volume one of [`VOLUMES`] over one hour,
//!   starting at the scenario clock — all drawn from the run's seeded generator.
//! * Shrinking tries the smaller volumes; the violating sequence replays under `ramsim test`
//!   as a scenario `traffic` step.

use super::invariant::ast::{Expr, ExprKind};
use super::invariant::{Invariant, Rule};
use super::prng::Rng;
use crate::api::SimState;
use crate::cloud::time::HOUR;
use crate::cloud::traffic::{Amount, FlowOutcome, FlowSpec, BYTES_PER_GB};
use crate::cloud::World;

/// Percent of steps that send a flow (when traffic moves are on).
pub const SHARE: u32 = 10;

/// Volumes a flow sends, smallest first (shrinking tries the smaller ones).
pub const VOLUMES: &[u64] = &[
    BYTES_PER_GB,
    10 * BYTES_PER_GB,
    100 * BYTES_PER_GB,
    1_000 * BYTES_PER_GB,
];

/// Destination ports.
pub const PORTS: &[u16] = &[443, 80, 22];

/// Duration of a flow.
pub const DURATION: i64 = HOUR;

/// The collections whose contents traffic changes.
const TRAFFIC_COLLECTIONS: &[&str] = &["charges", "alert_rules", "alerts"];

/// One flow of a check sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficMove {
    /// Source instance id.
    pub from: String,
    /// Destination instance id.
    pub to: String,
    /// TCP destination port.
    pub port: u16,
    /// Bytes sent over [`DURATION`].
    pub bytes: u64,
}

impl TrafficMove {
    /// The flow, starting at the world's clock.
    pub fn spec(&self) -> FlowSpec {
        FlowSpec {
            from: self.from.clone(),
            to: self.to.clone(),
            protocol: "tcp".into(),
            port: Some(self.port),
            amount: Amount::Volume(self.bytes),
            duration_secs: DURATION,
            start: None,
        }
    }

    /// Sends it (an `Err` — an instance deleted by then — sends nothing).
    pub fn send(&self, world: &mut World) -> Result<FlowOutcome, String> {
        world.send_flow(&self.spec())
    }

    /// The volume as `ramsim traffic --volume` takes it: `10GB`.
    pub fn volume(&self) -> String {
        if self.bytes % BYTES_PER_GB == 0 {
            format!("{}GB", self.bytes / BYTES_PER_GB)
        } else {
            format!("{}B", self.bytes)
        }
    }

    /// The same flow with each smaller volume of [`VOLUMES`].
    pub fn smaller(&self) -> Vec<TrafficMove> {
        VOLUMES
            .iter()
            .filter(|v| **v < self.bytes)
            .map(|v| TrafficMove {
                bytes: *v,
                ..self.clone()
            })
            .collect()
    }
}

/// What a traffic step did, for the report and the replay scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The flow.
    pub flow: TrafficMove,
    /// Bytes delivered (a sent flow).
    pub delivered: Option<u64>,
    /// The first failing check (a flow the path does not carry).
    pub code: Option<String>,
    /// One line: delivered and dropped, or why nothing was sent.
    pub text: String,
}

impl Sent {
    /// The outcome of sending `flow`.
    pub fn of(flow: &TrafficMove, out: &Result<FlowOutcome, String>) -> Sent {
        let gb = |b: u64| {
            if b % BYTES_PER_GB == 0 {
                format!("{} GB", b / BYTES_PER_GB)
            } else {
                format!("{b} bytes")
            }
        };
        let (delivered, code, text) = match out {
            Err(e) => (None, None, format!("not sent: {e}")),
            Ok(o) if !o.flow.reachable => {
                let code = o.flow.code.clone().unwrap_or_else(|| "UNREACHABLE".into());
                let text = format!(
                    "not sent: {code} ({})",
                    o.flow.detail.as_deref().unwrap_or("unreachable")
                );
                (None, Some(code), text)
            }
            Ok(o) => {
                let f = &o.flow;
                let over: Vec<&str> = f
                    .peering_id
                    .iter()
                    .map(String::as_str)
                    .chain(f.links.iter().map(String::as_str))
                    .collect();
                let over = if over.is_empty() {
                    String::new()
                } else {
                    format!(" over {}", over.join(", "))
                };
                let text = format!(
                    "delivered {}{over}, dropped {}",
                    gb(f.delivered_bytes),
                    gb(f.dropped_bytes())
                );
                (Some(f.delivered_bytes), None, text)
            }
        };
        Sent {
            flow: flow.clone(),
            delivered,
            code,
            text,
        }
    }
}

fn reads(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Lit(_) => false,
        ExprKind::Path { root, .. } => TRAFFIC_COLLECTIONS.contains(&root.as_str()),
        ExprKind::List(items) | ExprKind::Can(items) | ExprKind::Reach(items) => {
            items.iter().any(reads)
        }
        ExprKind::Bool(_, items) => items.iter().any(reads),
        ExprKind::Not(inner) => reads(inner),
        ExprKind::Cmp(_, l, r) => reads(l) || reads(r),
        ExprKind::Quant {
            collection,
            filter,
            body,
            ..
        } => {
            TRAFFIC_COLLECTIONS.contains(&collection.as_str())
                || filter.as_deref().is_some_and(reads)
                || reads(body)
        }
    }
}

/// True when some invariant reads `charges`, `alert_rules` or `alerts`.
pub fn reads_traffic(invariants: &[Invariant]) -> bool {
    invariants.iter().any(|i| match &i.rule {
        Rule::Expr { expr, .. } => reads(expr),
        _ => false,
    })
}

/// A flow for this step, or `None` (then the generator picks a call or a clock advance). No
/// random number is drawn while the world holds fewer than two instances.
pub fn pick(rng: &mut Rng, state: &SimState) -> Option<TrafficMove> {
    let instances = &state.world.ecs().instances;
    if instances.len() < 2 || !rng.chance(SHARE) {
        return None;
    }
    let ids: Vec<&str> = instances.keys().map(|k| k.as_str()).collect();
    let a = rng.below(ids.len());
    let mut b = rng.below(ids.len() - 1);
    if b >= a {
        b += 1;
    }
    Some(TrafficMove {
        from: ids[a].to_string(),
        to: ids[b].to_string(),
        port: PORTS[rng.below(PORTS.len())],
        bytes: VOLUMES[rng.below(VOLUMES.len())],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_invariants_over_fees_and_alerts_send_traffic() {
        let yes = [
            "forall c in charges: not c.cross_border",
            "exists r in alert_rules: r.enabled",
            "forall p in peerings: exists a in alerts: a.resource == p.id",
            "forall p in peerings: p.id in [] or not (exists c in charges: c.link == p.id)",
        ];
        for src in yes {
            let inv = Invariant::from_expr("t", src).unwrap();
            assert!(reads_traffic(&[inv]), "{src}");
        }
        let no = [
            "forall p in peerings: p.live",
            "forall i in instances: i.status == \"Running\"",
        ];
        for src in no {
            let inv = Invariant::from_expr("t", src).unwrap();
            assert!(!reads_traffic(&[inv]), "{src}");
        }
        assert!(!reads_traffic(&[
            Invariant::builtin("audit-complete").unwrap()
        ]));
    }

    #[test]
    fn smaller_volumes_and_texts() {
        let m = TrafficMove {
            from: "i-1".into(),
            to: "i-2".into(),
            port: 443,
            bytes: 100 * BYTES_PER_GB,
        };
        assert_eq!(m.volume(), "100GB");
        let smaller: Vec<String> = m.smaller().iter().map(TrafficMove::volume).collect();
        assert_eq!(smaller, ["1GB", "10GB"]);
        assert_eq!(m.spec().duration_secs, HOUR);
    }
}
