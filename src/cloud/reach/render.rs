//! The human-readable report of a verdict: the answer, the first failing check, its fix, and
//! both paths hop by hop.

use super::analyze::Verdict;
use super::finding::Severity;
use super::fix::Fix;
use super::hop::{Hop, NodeType};
use super::probe::{Source, Target};
use crate::cloud::World;
use std::fmt::Write;

/// `name (i-…)` for a named instance, else the id.
fn instance_label(w: &World, id: &str) -> String {
    match w.ecs().instances.get(id) {
        Some(i) if i.instance_name != id => format!("{} ({id})", i.instance_name),
        _ => id.to_string(),
    }
}

fn end_source(w: &World, s: &Source) -> String {
    match s {
        Source::Ecs {
            instance_id,
            source_ip: Some(ip),
        } => format!("{}@{ip}", instance_label(w, instance_id)),
        Source::Ecs { instance_id, .. } => instance_label(w, instance_id),
        Source::VSwitch { vswitch_id, ip } => format!("{vswitch_id}/{ip}"),
    }
}

fn end_target(w: &World, t: &Target) -> String {
    match t {
        Target::Ecs {
            instance_id,
            target_ip: Some(ip),
        } => format!("{}@{ip}", instance_label(w, instance_id)),
        Target::Ecs { instance_id, .. } => instance_label(w, instance_id),
        Target::Ip { vpc_id, ip } => format!("{vpc_id}/{ip}"),
        Target::VSwitch { vswitch_id, ip } => format!("{vswitch_id}/{ip}"),
        Target::Endpoint { endpoint_id } => format!("ep:{endpoint_id}"),
        Target::LoadBalancer { load_balancer_id } => load_balancer_id.clone(),
        Target::Domain { name } => name.clone(),
    }
}

/// `tcp/22`, `udp/53`, `icmp`.
pub fn service(v: &Verdict) -> String {
    if v.packet.protocol.has_ports() {
        format!("{}/{}", v.packet.protocol.as_str(), v.packet.dst_port)
    } else {
        v.packet.protocol.as_str().to_string()
    }
}

fn hop_line(out: &mut String, n: usize, h: &Hop) {
    let mut what = Vec::new();
    if let Some(ip) = h.ip {
        what.push(ip.to_string());
    }
    if h.node_type == NodeType::Vsw {
        if let Some(c) = &h.cidr {
            what.push(c.to_string());
        }
    }
    if let Some(r) = &h.matched_route {
        let nh = if r.next_hop_id.is_empty() {
            r.next_hop_type.clone()
        } else {
            format!("{} {}", r.next_hop_type, r.next_hop_id)
        };
        what.push(format!(
            "route {} {} -> {nh}",
            r.route_table_id, r.destination
        ));
    }
    if let Some(s) = &h.matched_sg_rule {
        let by = match (&s.rule_id, &s.security_group_id) {
            (Some(r), Some(g)) => format!("{g} rule {r}"),
            (None, Some(g)) => format!("{g} {}", s.description),
            _ => s.description.clone(),
        };
        what.push(format!(
            "sg {} {}: {by}",
            s.direction.as_str(),
            s.policy.as_str()
        ));
    }
    for a in &h.matched_acl_rules {
        what.push(format!(
            "acl {} {} {}: {}",
            a.network_acl_id,
            a.direction.as_str(),
            a.policy.as_str(),
            a.matched_entry_id
        ));
    }
    let mark = if h.action == crate::cloud::packet::Action::Drop {
        "  <- DROP"
    } else {
        ""
    };
    let what = if what.is_empty() {
        String::new()
    } else {
        format!("  {}", what.join("; "))
    };
    let _ = writeln!(
        out,
        "  {n:>2}. {:<4} {}{what}{mark}",
        h.node_type.as_str(),
        h.node_id,
    );
}

/// Renders the report. `fix` is the suggested change; `state` names the state file in the
/// `ramsim call` line.
pub fn human(w: &World, v: &Verdict, fix: Option<&Fix>, state: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} -> {} {}: {}",
        end_source(w, &v.probe.source),
        end_target(w, &v.probe.target),
        service(v),
        if v.reachable {
            "REACHABLE"
        } else {
            "UNREACHABLE"
        }
    );
    if let Some(f) = v.first_error() {
        let _ = writeln!(
            out,
            "first failing check: {} ({}, {}) at {}: {}",
            f.code,
            f.code.check_item(),
            f.leg.nis_name(),
            f.component_id,
            f.detail
        );
        match fix {
            Some(x) => {
                let _ = writeln!(out, "fix: {}", x.why);
                let _ = writeln!(out, "  {}", x.aliyun_line());
                let _ = writeln!(
                    out,
                    "  ramsim call --state {} --as root@{} -- {}",
                    state.unwrap_or("STATE"),
                    x.caller,
                    x.aliyun_line()
                );
            }
            None => {
                let _ = writeln!(out, "fix: no single API call fixes this check");
            }
        }
    }
    if !v.candidates.is_empty() {
        let _ = writeln!(out, "candidates:");
        for c in &v.candidates {
            let _ = writeln!(
                out,
                "  {:<15} {}",
                c.ip.to_string(),
                c.code.map_or("ok".to_string(), |x| x.as_str().to_string())
            );
            for b in &c.backends {
                let what = match (b.ok, b.code, b.cause) {
                    (true, _, _) => "ok".to_string(),
                    (_, Some(code), Some(cause)) => format!("{code} ({cause})"),
                    (_, Some(code), None) => code.as_str().to_string(),
                    _ => "not tried".to_string(),
                };
                let _ = writeln!(
                    out,
                    "    backend {} {}:{} from {} {what}",
                    b.server_id, b.ip, b.port, b.source
                );
            }
        }
    }
    let _ = writeln!(out, "forward path:");
    for (i, h) in v.forward.iter().enumerate() {
        hop_line(&mut out, i + 1, h);
    }
    if !v.reverse.is_empty() {
        let _ = writeln!(out, "reverse path:");
        for (i, h) in v.reverse.iter().enumerate() {
            hop_line(&mut out, i + 1, h);
        }
    }
    if !v.findings.is_empty() {
        let _ = writeln!(out, "findings:");
        for f in &v.findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let _ = writeln!(
                out,
                "  {sev:<7} {} ({}) {}: {}",
                f.code,
                f.leg.nis_name(),
                f.component_id,
                f.detail
            );
        }
    }
    out
}
