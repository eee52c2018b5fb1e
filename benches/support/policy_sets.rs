//! The exact-diff workload (issue 14): deterministic identity policy sets of 100 or 1,000
//! statements and a "new version" of each. Included by path from `benches/analysis.rs` and
//! `tests/analysis_scale.rs` (which also writes the sets as files for `ramsim diff DIR DIR`), so
//! both measure the same thing. Depends on `serde_json` only.
//!
//! Statement `i`: one of ten action patterns (exact names, `vpc:Describe*`,
//! `vpc:*VpcPeerConnection`, `resourcemanager:*`, …), a resource by `i % 4` (`*`, a per-statement
//! VPC prefix `acs:vpc:cn-hangzhou:*:vpc/vpc-NNN*`, one of seven RAM users, all route tables),
//! a condition by `i % 5` (`IpAddress acs:SourceIp`, `StringLike acs:TargetRDPath`,
//! `Bool acs:SecureTransport`, none), Deny for every ninth. The new version shifts the action of
//! every tenth statement and every `IpAddress` CIDR.

#![allow(dead_code)]

use serde_json::json;

/// Action patterns, in statement order.
pub const ACTIONS: [&str; 10] = [
    "vpc:CreateVpc",
    "vpc:CreateVSwitch",
    "vpc:CreateRouteEntry",
    "vpc:DeleteRouteEntry",
    "vpc:Describe*",
    "vpc:*VpcPeerConnection",
    "ram:CreateUser",
    "ram:Attach*",
    "resourcemanager:*",
    "ecs:Describe*",
];

/// Statement `i` of a generated policy; `variant` 1 is the new version.
pub fn statement(i: usize, variant: usize) -> serde_json::Value {
    let shifted = variant > 0 && i % 10 == 3;
    let action = ACTIONS[(i + usize::from(shifted)) % ACTIONS.len()];
    let resource = match i % 4 {
        0 => "*".to_string(),
        1 => format!("acs:vpc:cn-hangzhou:*:vpc/vpc-{i:03}*"),
        2 => format!("acs:ram::*:user/team-{}", i % 7),
        _ => "acs:vpc:*:*:routetable/*".to_string(),
    };
    let mut s = json!({
        "Sid": format!("S{i}"),
        "Effect": if i % 9 == 0 { "Deny" } else { "Allow" },
        "Action": action,
        "Resource": resource,
    });
    match i % 5 {
        1 => {
            s["Condition"] =
                json!({"IpAddress": {"acs:SourceIp": format!("10.{}.0.0/16", (i + variant) % 256)}})
        }
        2 => {
            s["Condition"] = json!({"StringLike": {"acs:TargetRDPath": format!("rd-abc123/r-root01/fd-{}/*", i % 3)}})
        }
        3 => s["Condition"] = json!({"Bool": {"acs:SecureTransport": "true"}}),
        _ => {}
    }
    s
}

/// Statements `from..from + n` as documents of at most 20 statements each (RAM's 6,144-character
/// limit cannot hold more with conditions).
pub fn documents(from: usize, n: usize, variant: usize) -> Vec<String> {
    let all: Vec<serde_json::Value> = (from..from + n).map(|i| statement(i, variant)).collect();
    all.chunks(20)
        .map(|chunk| json!({"Version": "1", "Statement": chunk}).to_string())
        .collect()
}

/// Writes the `n`-statement set of `variant` into `dir` as `p00.json`, `p01.json`, ….
pub fn write_set(dir: &std::path::Path, n: usize, variant: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (k, text) in documents(0, n, variant).iter().enumerate() {
        std::fs::write(dir.join(format!("p{k:02}.json")), text)?;
    }
    Ok(())
}
