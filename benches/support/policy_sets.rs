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

/// Fifty services of the distinct-pattern workload (real Alibaba Cloud RAM service codes; the
/// action names under them are generated, so most are not modeled APIs).
pub const SERVICES: [&str; 50] = [
    "ecs",
    "vpc",
    "ram",
    "sts",
    "oss",
    "rds",
    "slb",
    "cdn",
    "cs",
    "kms",
    "actiontrail",
    "cms",
    "log",
    "fc",
    "mns",
    "ots",
    "polardb",
    "kvstore",
    "dds",
    "nas",
    "ess",
    "elasticsearch",
    "alidns",
    "waf",
    "yundun-ddoscoo",
    "cbn",
    "cen",
    "resourcemanager",
    "privatelink",
    "nlb",
    "alb",
    "vpn",
    "eip",
    "nat",
    "ga",
    "apigateway",
    "arms",
    "sls",
    "hbr",
    "dts",
    "dms",
    "drds",
    "adb",
    "emr",
    "pvtz",
    "cr",
    "acm",
    "mse",
    "sae",
    "bss",
];

/// Verbs of generated action names.
pub const VERBS: [&str; 16] = [
    "Describe", "Create", "Delete", "Modify", "List", "Get", "Update", "Attach", "Detach", "Start",
    "Stop", "Tag", "Untag", "Enable", "Disable", "Query",
];

/// Nouns of generated action names.
pub const NOUNS: [&str; 20] = [
    "Instance",
    "Vpc",
    "Snapshot",
    "Disk",
    "Image",
    "Bucket",
    "Key",
    "Policy",
    "Rule",
    "Group",
    "Listener",
    "Route",
    "Zone",
    "Endpoint",
    "Table",
    "Certificate",
    "Domain",
    "User",
    "Role",
    "Alarm",
];

fn exact_action(s: usize, j: usize) -> String {
    format!(
        "{}:{}{}",
        SERVICES[s],
        VERBS[(s + j) % VERBS.len()],
        NOUNS[(s * 3 + j * 7) % NOUNS.len()]
    )
}

/// The 1,000 distinct action patterns of the distinct-pattern workload, in statement order
/// (the kinds interleaved): 700 exact actions (14 per service; the catalog's own names among
/// them where a generated name is a modeled API), 150 service prefix globs (`ecs:Describe*`),
/// 60 infix globs inside a service (`oss:*Bucket*`), 30 globs with a wildcard in the middle
/// (`rds:Create*Instance`), 60 exact catalog actions, and cross-service globs with a wildcard
/// in the service part (`*:List*`, `*Snapshot*`, `ecs*:Describe*`, …).
pub fn distinct_patterns() -> Vec<String> {
    let mut exact = Vec::new();
    for s in 0..SERVICES.len() {
        for j in 0..14 {
            exact.push(exact_action(s, j));
        }
    }
    let mut prefix = Vec::new();
    for s in 0..SERVICES.len() {
        for k in 0..3 {
            prefix.push(format!(
                "{}:{}*",
                SERVICES[s],
                VERBS[(s + k * 5) % VERBS.len()]
            ));
        }
    }
    let mut infix = Vec::new();
    for s in 0..30 {
        for k in 0..2 {
            infix.push(format!(
                "{}:*{}*",
                SERVICES[s],
                NOUNS[(s + k * 9) % NOUNS.len()]
            ));
        }
    }
    let middle: Vec<String> = (0..30)
        .map(|s| {
            format!(
                "{}:{}*{}",
                SERVICES[s + 20],
                VERBS[(s * 3) % VERBS.len()],
                NOUNS[(s * 7 + 1) % NOUNS.len()]
            )
        })
        .collect();
    let cross: Vec<String> = [
        "*:List*",
        "*:Describe*",
        "*:Get*",
        "*:Query*",
        "*:*Snapshot*",
        "*:Create*Instance",
        "ecs*:Describe*",
        "*:*Tag*",
        "?ds:*",
        "*:Delete*Rule",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    // Modeled actions, by name (the catalog is the library's; listed here to keep this file
    // free of the crate).
    let modeled: Vec<String> = MODELED_FOR_TEST.iter().map(|a| a.to_string()).collect();
    let mut all: Vec<String> = Vec::new();
    let kinds = [exact, prefix, infix, middle, modeled, cross];
    let mut iters: Vec<_> = kinds.iter().map(|k| k.iter()).collect();
    // Interleave: every kind spread over the statements.
    let total: usize = kinds.iter().map(Vec::len).sum();
    let mut taken = vec![0usize; kinds.len()];
    while all.len() < total {
        for (k, it) in iters.iter_mut().enumerate() {
            // Kind k's share of the statements so far, rounded up.
            let due = (all.len() + 1) * kinds[k].len();
            if taken[k] * total < due {
                if let Some(p) = it.next() {
                    all.push(p.clone());
                    taken[k] += 1;
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|p| seen.insert(p.to_ascii_lowercase()));
    all.truncate(1_000);
    all
}

/// Sixty modeled APIs (the catalog's names) the distinct-pattern workload names exactly.
pub const MODELED_FOR_TEST: [&str; 60] = [
    "vpc:CreateVpc",
    "vpc:DeleteNetworkAcl",
    "vpc:CreateVSwitch",
    "vpc:CreateNetworkAcl",
    "vpc:CreateRouteEntry",
    "vpc:DeleteRouteEntry",
    "vpc:CreateVpcPeerConnection",
    "vpc:AcceptVpcPeerConnection",
    "vpc:DeleteVpcPeerConnection",
    "vpc:ModifyVpcPeerConnection",
    "vpc:GetVpcPeerConnectionAttribute",
    "vpc:ListVpcPeerConnections",
    "vpc:DescribeVpcs",
    "vpc:DescribeVSwitches",
    "vpc:DescribeRouteTableList",
    "vpc:CreateRouteTable",
    "vpc:DeleteRouteTable",
    "vpc:AssociateRouteTable",
    "vpc:UnassociateRouteTable",
    "vpc:DescribeRouteEntryList",
    "ecs:RunInstances",
    "ecs:DeleteInstance",
    "ecs:CreateSecurityGroup",
    "ecs:DeleteSecurityGroup",
    "ecs:AuthorizeSecurityGroup",
    "ecs:RevokeSecurityGroup",
    "ecs:DescribeSecurityGroups",
    "ecs:DescribeSecurityGroupAttribute",
    "ram:CreateUser",
    "ram:GetPolicy",
    "ram:CreateRole",
    "ram:DeletePolicyVersion",
    "ram:AttachPolicyToUser",
    "ram:DetachPolicyFromUser",
    "ram:AttachPolicyToRole",
    "ram:DetachPolicyFromRole",
    "ram:CreatePolicy",
    "ram:DeletePolicy",
    "ram:CreatePolicyVersion",
    "ram:UpdateRole",
    "ram:CreateGroup",
    "ram:AddUserToGroup",
    "ram:ListPolicyVersions",
    "ram:SetDefaultPolicyVersion",
    "ram:CreateAccessKey",
    "sts:AssumeRole",
    "resourcemanager:AttachPolicy",
    "resourcemanager:MoveAccount",
    "resourcemanager:AttachControlPolicy",
    "resourcemanager:DetachControlPolicy",
    "resourcemanager:CreateControlPolicy",
    "resourcemanager:DetachPolicy",
    "resourcemanager:CreateResourceGroup",
    "cen:CreateCen",
    "cen:DeleteCen",
    "cen:CreateTransitRouter",
    "cen:CreateTransitRouterVpcAttachment",
    "cen:GrantInstanceToTransitRouter",
    "privatelink:CreateVpcEndpoint",
    "privatelink:CreateVpcEndpointService",
];

/// Statement `i` of the distinct-pattern workload: pattern `i` of [`distinct_patterns`] as its
/// Action (every 25th statement: as NotAction, an Allow of everything else on development
/// resources), resources and conditions as [`statement`]; `variant` 1 replaces the pattern of
/// every tenth statement by an exact action no other statement names, so each set still has
/// 1,000 distinct patterns.
pub fn distinct_statement(patterns: &[String], i: usize, variant: usize) -> serde_json::Value {
    let mut s = statement(i, variant);
    let pattern = if variant > 0 && i % 10 == 3 {
        exact_action((i / 10) % SERVICES.len(), 14 + i / 500)
    } else {
        patterns[i % patterns.len()].clone()
    };
    if i % 25 == 12 {
        s.as_object_mut().expect("object").remove("Action");
        s["NotAction"] = json!(pattern);
        s["Effect"] = json!("Allow");
        s["Resource"] = json!(format!("acs:*:*:*:*/dev-{}*", i % 4));
    } else {
        s["Action"] = json!(pattern);
    }
    s
}

/// Statements `from..from + n` of the distinct-pattern workload as documents of at most 20
/// statements each.
pub fn distinct_documents(from: usize, n: usize, variant: usize) -> Vec<String> {
    let patterns = distinct_patterns();
    let all: Vec<serde_json::Value> = (from..from + n)
        .map(|i| distinct_statement(&patterns, i, variant))
        .collect();
    all.chunks(20)
        .map(|chunk| json!({"Version": "1", "Statement": chunk}).to_string())
        .collect()
}
