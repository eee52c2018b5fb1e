//! A random world for agreement tests: accounts A and B with three users and two roles each
//! (random policies from a test's documents, random trust policies), control policies attached
//! at random to the two folders or the root, A and B placed in random folders, and one VPC per
//! account. Each test brings its own documents and odds; the draws happen in a fixed order, so
//! a seed gives the same world.
#![allow(dead_code)]

use ramsim::api::SimState;
use ramsim::check::prng::Rng;
use serde_json::{json, Map, Value};
use std::path::Path;

pub const A: &str = "1234567890123456";
pub const B: &str = "2234567890123456";
pub const C: &str = "3234567890123456";
pub const M: &str = "9234567890123456";

/// What a test draws its world from.
pub struct Mix<'a> {
    /// Identity policy documents; each principal gets `min_policies` to `min_policies + 2` of
    /// them.
    pub identity_docs: &'a [&'a str],
    /// The fewest identity policies a user or role gets.
    pub min_policies: usize,
    /// Control policy documents; each is attached with this chance (percent).
    pub control_docs: &'a [&'a str],
    /// Chance (percent) that a control policy is attached.
    pub control_chance: u32,
    /// A role's trust policy.
    pub trust: fn(&mut Rng) -> Value,
}

/// A world drawn from `mix`.
pub fn random_world(rng: &mut Rng, mix: &Mix<'_>) -> SimState {
    let policies: Vec<Value> = mix
        .identity_docs
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"name": format!("p{i}"), "document": serde_json::from_str::<Value>(d).unwrap()}))
        .collect();
    let mut accounts = Map::new();
    for alias in ["A", "B"] {
        let pick = |rng: &mut Rng| -> Vec<String> {
            (0..mix.min_policies + rng.below(3))
                .map(|_| format!("p{}", rng.below(mix.identity_docs.len())))
                .collect()
        };
        let users: Vec<Value> = (0..3)
            .map(|i| json!({"name": format!("u{i}"), "policies": pick(rng)}))
            .collect();
        let roles: Vec<Value> = ["admin", "reader"]
            .iter()
            .map(|r| json!({"name": r, "trust": (mix.trust)(rng), "policies": pick(rng)}))
            .collect();
        accounts.insert(
            alias.into(),
            json!({"policies": policies, "users": users, "roles": roles}),
        );
    }
    let mut control: Vec<Value> = Vec::new();
    for (i, d) in mix.control_docs.iter().enumerate() {
        if rng.chance(mix.control_chance) {
            let target = ["fd-prod01", "fd-dev01", "r-root01"][rng.below(3)];
            control.push(json!({"name": format!("cp{i}"), "attach": [target],
                "document": serde_json::from_str::<Value>(d).unwrap()}));
        }
    }
    let folder = |rng: &mut Rng| ["fd-prod01", "fd-dev01"][rng.below(2)];
    let world = json!({
        "start_time": "2025-01-01T00:00:00Z",
        "accounts": [
            {"uid": A, "alias": "A", "cdt_enabled": rng.chance(80)},
            {"uid": B, "alias": "B", "cdt_enabled": true},
            {"uid": C, "alias": "C", "cdt_enabled": true},
            {"uid": M, "alias": "M"}
        ],
        "resource_directory": {
            "id": "rd-abc123", "root_folder_id": "r-root01", "management_account": M,
            "folders": [{"id": "fd-prod01", "name": "prod"}, {"id": "fd-dev01", "name": "dev"}],
            "members": [{"uid": A, "folder": folder(rng)}, {"uid": B, "folder": folder(rng)}]
        },
        "vpcs": [
            {"owner": A, "region_id": "cn-hangzhou", "cidr_block": "172.16.0.0/12", "name": "a-hz"},
            {"owner": B, "region_id": "cn-beijing", "cidr_block": "192.168.0.0/24", "name": "b-bj"},
            {"owner": C, "region_id": "cn-beijing", "cidr_block": "10.30.0.0/16", "name": "c-bj"}
        ],
        "identity": {"control_policies": control, "accounts": accounts}
    });
    SimState::from_world_json(&world.to_string(), Path::new(".")).expect("world builds")
}
