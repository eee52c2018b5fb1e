//! `analyze(probe)` (§8.3): resolve both ends, check the source, walk the packet, deliver it,
//! walk the reply, and collect the verdict.

use super::deliver::{deliver, running, sg_check, vm_hop};
use super::finding::{Code, Finding, Leg, Severity, Site};
use super::hop::Hop;
use super::probe::{resolve_all, Probe, ProbeError, Resolved};
use super::reverse::reply;
use super::segment::load_balancer::BackendResult;
use super::topology::Topology;
use super::trace::{Walk, HOP_LIMIT};
use crate::cloud::packet::{Direction, Packet};
use crate::cloud::World;

/// The answer to a probe (§8.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Forward and reply both get through.
    pub reachable: bool,
    /// The question.
    pub probe: Probe,
    /// The forward packet.
    pub packet: Packet,
    /// Forward hops (up to the failing one, marked `drop`).
    pub forward: Vec<Hop>,
    /// Reply hops (empty when the forward packet did not arrive).
    pub reverse: Vec<Hop>,
    /// Errors first (the first one is the failing check), then warnings.
    pub findings: Vec<Finding>,
    /// Service targets (endpoints, load balancers, domains) and paths through a load
    /// balancer: one entry per destination address tried, with its backends (§8.3.7 L5).
    /// Empty for a single address with no load balancer on the way.
    pub candidates: Vec<Candidate>,
}

/// One destination address of a service target, and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The address tried (endpoint-zone ENI address, VIP).
    pub ip: std::net::Ipv4Addr,
    /// It gets there and back.
    pub reachable: bool,
    /// Its first failing check.
    pub code: Option<Code>,
    /// The backends a load balancer on its way tried.
    pub backends: Vec<BackendResult>,
}

/// One candidate's walk.
struct Attempt {
    packet: Packet,
    forward: Vec<Hop>,
    reverse: Vec<Hop>,
    warnings: Vec<Finding>,
    errors: Vec<Finding>,
    backends: Vec<BackendResult>,
}

impl Verdict {
    /// The first failing check.
    pub fn first_error(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.severity == Severity::Error)
    }

    /// Codes of all findings, in order.
    pub fn codes(&self) -> Vec<Code> {
        self.findings.iter().map(|f| f.code).collect()
    }
}

/// Analyses probes against one world; the index is built once, so each analysis costs the
/// length of its path.
#[derive(Debug)]
pub struct Analyzer<'w> {
    topology: Topology<'w>,
    limit: u32,
}

impl<'w> Analyzer<'w> {
    /// Indexes `world`.
    pub fn new(world: &'w World) -> Self {
        Analyzer {
            topology: Topology::new(world),
            limit: HOP_LIMIT,
        }
    }

    /// The index.
    pub fn topology(&self) -> &Topology<'w> {
        &self.topology
    }

    /// Changes the hop limit (tests of `LOOP_DETECTED`).
    pub fn with_hop_limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Analyses one probe. `Err` only for probes NIS rejects as parameters (§8.1). A target
    /// with several addresses is reachable when one of them is; the path shown is the first
    /// reachable one (else the first), and an unreachable verdict carries the errors of all.
    pub fn analyze(&self, probe: &Probe) -> Result<Verdict, ProbeError> {
        let entries = resolve_all(&self.topology, probe)?;
        let service = entries.len() > 1
            || !matches!(
                probe.target,
                super::probe::Target::Ecs { .. }
                    | super::probe::Target::Ip { .. }
                    | super::probe::Target::VSwitch { .. }
            );
        let attempts: Vec<Attempt> = entries.iter().map(|r| self.attempt(r)).collect();
        let candidates: Vec<Candidate> = attempts
            .iter()
            .map(|a| Candidate {
                ip: a.packet.dst_ip,
                reachable: a.errors.is_empty(),
                code: a.errors.first().map(|f| f.code),
                backends: a.backends.clone(),
            })
            .collect();
        let shown = attempts
            .iter()
            .position(|a| a.errors.is_empty())
            .unwrap_or(0);
        let reachable = attempts.iter().any(|a| a.errors.is_empty());
        let mut findings: Vec<Finding> = Vec::new();
        if !reachable {
            for a in &attempts {
                for f in &a.errors {
                    if !findings.contains(f) {
                        findings.push(f.clone());
                    }
                }
            }
        }
        let mut attempts = attempts;
        let a = attempts.swap_remove(shown);
        for w in a.warnings {
            let seen = findings
                .iter()
                .any(|f| f.code == w.code && f.component_id == w.component_id);
            if !seen {
                findings.push(w);
            }
        }
        let with_lb = candidates.iter().any(|c| !c.backends.is_empty());
        Ok(Verdict {
            reachable,
            probe: probe.clone(),
            packet: a.packet,
            forward: a.forward,
            reverse: a.reverse,
            findings,
            candidates: if service || with_lb {
                candidates
            } else {
                Vec::new()
            },
        })
    }

    fn attempt(&self, r: &Resolved) -> Attempt {
        let mut forward = Vec::new();
        let mut reverse = Vec::new();
        let mut warnings = Vec::new();
        let mut backends = Vec::new();
        let errors =
            self.forward_and_back(r, &mut forward, &mut reverse, &mut warnings, &mut backends);
        // The packet stopped at the last hop of the leg that failed.
        if let Some(f) = errors.first() {
            let leg = match f.leg {
                Leg::Forward => &mut forward,
                Leg::Reverse => &mut reverse,
            };
            if let Some(h) = leg.last_mut() {
                h.action = crate::cloud::packet::Action::Drop;
            }
        }
        Attempt {
            packet: r.packet,
            forward,
            reverse,
            warnings,
            errors,
            backends,
        }
    }

    fn forward_and_back(
        &self,
        r: &Resolved,
        forward: &mut Vec<Hop>,
        reverse: &mut Vec<Hop>,
        warnings: &mut Vec<Finding>,
        backends: &mut Vec<BackendResult>,
    ) -> Vec<Finding> {
        let t = &self.topology;
        let leg = Leg::Forward;
        // §8.3.1 + F1: the source instance runs and its groups let the packet out.
        if let Some(i) = &r.src.instance_id {
            forward.push(vm_hop(t, i));
            if let Err(f) = running(t, leg, i, Code::SrcInstanceNotRunning) {
                if let Some(h) = forward.last_mut() {
                    h.action = crate::cloud::packet::Action::Drop;
                }
                return vec![f];
            }
        }
        if let Some(e) = &r.src.eni_id {
            let (h, ok) = sg_check(t, leg, e, Direction::Egress, &r.packet, Code::SgEgressDeny);
            forward.push(h);
            if let Err(f) = ok {
                return vec![f];
            }
        }
        let Some(origin) = t.world.vswitches.get(&r.src.vswitch_id) else {
            return vec![Finding::error(
                leg,
                Code::UnsupportedSource,
                &r.src.vswitch_id,
                format!("vSwitch `{}` does not exist", r.src.vswitch_id),
                Site::None,
            )];
        };
        let mut walk = Walk::new(t, leg, r.packet, origin);
        walk.want_vpc = Some(r.dst_vpc.clone());
        walk.limit = self.limit;
        let arrived = walk.trace();
        forward.append(&mut walk.hops);
        warnings.append(&mut walk.warnings);
        let arrived = match arrived {
            Ok(a) => a,
            Err(f) => return vec![f],
        };
        let server = match deliver(t, r, &arrived, forward, warnings, backends) {
            Ok(s) => s,
            Err(fs) => return fs,
        };
        *reverse = server.reverse;
        if !server.reply {
            return Vec::new();
        }
        let mut back = reply(t, &r.src, &server.end, &r.packet, self.limit);
        reverse.append(&mut back.hops);
        for w in back.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        back.error.into_iter().collect()
    }
}

/// Analyses one probe against `world` (builds the index; use [`Analyzer`] for many probes).
pub fn analyze(world: &World, probe: &Probe) -> Result<Verdict, ProbeError> {
    Analyzer::new(world).analyze(probe)
}
