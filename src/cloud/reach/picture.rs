//! The path as a picture: Graphviz DOT text, and an SVG drawn in-process (no external binary).
//! Both show the forward path and the reply, nodes grouped by region and VPC, the hop where the
//! packet stopped in red.

use super::analyze::Verdict;
use super::hop::{Hop, NodeType};
use crate::cloud::packet::Action;
use crate::cloud::World;
use std::fmt::Write;

/// The VPC a hop belongs to (`None` for hops between VPCs, such as a peering or a transit
/// router). PrivateLink and load-balancer nodes sit in a VPC too: an endpoint in its consumer
/// VPC, an endpoint service in the VPC of its load balancers (the provider side), a load
/// balancer, its listeners and server groups in the load balancer's VPC.
pub(crate) fn vpc_of(w: &World, h: &Hop) -> Option<String> {
    let e = w.ecs();
    let id = h.node_id.as_str();
    let lb_vpc = |lb: &str| -> Option<String> {
        w.nlb
            .load_balancers
            .get(lb)
            .map(|l| l.vpc_id.clone())
            .or_else(|| w.alb.load_balancers.get(lb).map(|l| l.vpc_id.clone()))
            .or_else(|| w.clb.load_balancers.get(lb).and_then(|l| l.vpc_id.clone()))
    };
    match h.node_type {
        NodeType::Vm => e.instances.get(id).map(|i| String::from(&i.vpc_id)),
        NodeType::Eni => e.enis.get(id).map(|i| String::from(&i.vpc_id)),
        NodeType::Vsw => w.vswitch(id).map(|s| s.vpc_id.clone()),
        NodeType::Vrt => Some(h.node_id.clone()),
        NodeType::Ep => w.privatelink.endpoints.get(id).map(|x| x.vpc_id.clone()),
        NodeType::EpSrv => w
            .privatelink
            .services
            .get(id)
            .and_then(|s| s.resources.first())
            .map(|r| r.vpc_id.clone()),
        NodeType::Nlb | NodeType::Alb | NodeType::Clb => lb_vpc(id),
        NodeType::Lsn => w
            .nlb
            .listeners
            .get(id)
            .map(|l| l.load_balancer_id.as_str())
            .or_else(|| w.alb.listeners.get(id).map(|l| l.load_balancer_id.as_str()))
            // CLB listeners are shown as `<lb-id>:<port>`.
            .or_else(|| id.rsplit_once(':').map(|(lb, _)| lb))
            .and_then(lb_vpc),
        NodeType::Sgp => w
            .nlb
            .server_groups
            .get(id)
            .map(|g| g.vpc_id.clone())
            .or_else(|| w.alb.server_groups.get(id).map(|g| g.vpc_id.clone())),
        _ => None,
    }
}

fn label(h: &Hop) -> String {
    let mut l = format!("{} {}", h.node_type.as_str(), h.node_id);
    if let Some(ip) = h.ip {
        let _ = write!(l, " {ip}");
    } else if let Some(c) = &h.cidr {
        if h.node_type == NodeType::Vsw {
            let _ = write!(l, " {c}");
        }
    }
    l
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Graphviz DOT: one cluster per VPC (labelled with its region), forward edges solid, reply
/// edges dashed, the stopping hop red.
pub fn dot(w: &World, v: &Verdict) -> String {
    let mut out = String::from(
        "digraph reach {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    let legs = [("f", &v.forward), ("r", &v.reverse)];
    let mut vpcs: Vec<String> = Vec::new();
    for (_, hops) in legs {
        for h in hops.iter() {
            if let Some(x) = vpc_of(w, h) {
                if !vpcs.contains(&x) {
                    vpcs.push(x);
                }
            }
        }
    }
    for (ci, vpc) in vpcs.iter().enumerate() {
        let region = w.vpc(vpc).map(|x| x.region_id.clone()).unwrap_or_default();
        let _ = writeln!(
            out,
            "  subgraph cluster_{ci} {{\n    label=\"{} ({})\";",
            esc(vpc),
            esc(&region)
        );
        for (leg, hops) in legs {
            for (i, h) in hops.iter().enumerate() {
                if vpc_of(w, h).as_deref() == Some(vpc.as_str()) {
                    node_line(&mut out, leg, i, h, "    ");
                }
            }
        }
        out.push_str("  }\n");
    }
    for (leg, hops) in legs {
        for (i, h) in hops.iter().enumerate() {
            if vpc_of(w, h).is_none() {
                node_line(&mut out, leg, i, h, "  ");
            }
        }
        for i in 1..hops.len() {
            let style = if leg == "r" { " [style=dashed]" } else { "" };
            let _ = writeln!(out, "  {leg}{} -> {leg}{i}{style};", i - 1);
        }
    }
    out.push_str("}\n");
    out
}

fn node_line(out: &mut String, leg: &str, i: usize, h: &Hop, indent: &str) {
    let red = if h.action == Action::Drop {
        ", color=red, fontcolor=red, penwidth=2"
    } else {
        ""
    };
    let _ = writeln!(out, "{indent}{leg}{i} [label=\"{}\"{red}];", esc(&label(h)));
}

const BOX_W: usize = 270;
const BOX_H: usize = 46;
const GAP: usize = 30;
const ROW_H: usize = 150;

/// SVG of the two paths: the forward path on the first row, the reply on the second, each hop a
/// box, boxes of one VPC inside a labelled frame, arrows between hops, the stopping hop red.
pub fn svg(w: &World, v: &Verdict, title: &str) -> String {
    let cols = v.forward.len().max(v.reverse.len()).max(1);
    let width = 40 + cols * (BOX_W + GAP);
    let rows = if v.reverse.is_empty() { 1 } else { 2 };
    let height = 70 + rows * ROW_H;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"monospace\" font-size=\"11\">"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>"
    );
    let _ = writeln!(out, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>");
    let _ = writeln!(
        out,
        "<text x=\"20\" y=\"24\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    for (row, (name, hops)) in [("forward", &v.forward), ("reply", &v.reverse)]
        .iter()
        .enumerate()
        .take(rows)
    {
        let y = 60 + row * ROW_H;
        let _ = writeln!(
            out,
            "<text x=\"20\" y=\"{}\" fill=\"#555\">{name}</text>",
            y + 8
        );
        // frames: runs of consecutive hops in one VPC
        let mut i = 0;
        while i < hops.len() {
            let vpc = hops.get(i).and_then(|h| vpc_of(w, h));
            let mut j = i + 1;
            while j < hops.len() && hops.get(j).and_then(|h| vpc_of(w, h)) == vpc {
                j += 1;
            }
            if let Some(vpc) = vpc {
                let region = w.vpc(&vpc).map(|x| x.region_id.clone()).unwrap_or_default();
                let x0 = 20 + i * (BOX_W + GAP) - 8;
                let fw = (j - i) * (BOX_W + GAP) - GAP + 16;
                let _ = writeln!(out, "<rect x=\"{x0}\" y=\"{}\" width=\"{fw}\" height=\"{}\" rx=\"8\" fill=\"#eef4fb\" stroke=\"#7a9cc6\"/>", y + 16, BOX_H + 44);
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" fill=\"#2b4c7e\">{} ({})</text>",
                    x0 + 8,
                    y + 32,
                    esc(&vpc),
                    esc(&region)
                );
            }
            i = j;
        }
        for (k, h) in hops.iter().enumerate() {
            let x = 20 + k * (BOX_W + GAP);
            let by = y + 44;
            let (stroke, fill, sw) = if h.action == Action::Drop {
                ("#d00000", "#ffe5e5", 3)
            } else {
                ("#333333", "#ffffff", 1)
            };
            let _ = writeln!(out, "<rect x=\"{x}\" y=\"{by}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>");
            let first = format!("{} {}", h.node_type.as_str(), h.node_id);
            let second = match (&h.ip, &h.cidr, &h.matched_route) {
                (_, _, Some(r)) => format!(
                    "{} -> {}",
                    r.destination,
                    if r.next_hop_id.is_empty() {
                        r.next_hop_type.clone()
                    } else {
                        r.next_hop_id.clone()
                    }
                ),
                (Some(ip), _, _) => ip.to_string(),
                (None, Some(c), _) => c.to_string(),
                _ => String::new(),
            };
            let color = if h.action == Action::Drop {
                "#d00000"
            } else {
                "#000000"
            };
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
                x + 8,
                by + 19,
                esc(&first)
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{}</text>",
                x + 8,
                by + 36,
                esc(&second)
            );
            if k + 1 < hops.len() {
                let ay = by + BOX_H / 2;
                let dash = if row == 1 {
                    " stroke-dasharray=\"5,3\""
                } else {
                    ""
                };
                let _ = writeln!(out, "<line x1=\"{}\" y1=\"{ay}\" x2=\"{}\" y2=\"{ay}\" stroke=\"#333\"{dash} marker-end=\"url(#arrow)\"/>", x + BOX_W, x + BOX_W + GAP);
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
