//! Property: a failed call leaves the world byte-identical (serialized JSON).

use super::errors::err_world;
use super::*;
use crate::cloud::operation::ACTIONS;
use proptest::prelude::*;

const KEYS: &[&str] = &[
    "RegionId",
    "VpcId",
    "AcceptingAliUid",
    "AcceptingRegionId",
    "AcceptingVpcId",
    "Bandwidth",
    "LinkType",
    "InstanceId",
    "Force",
    "DryRun",
    "ClientToken",
    "CidrBlock",
    "ZoneId",
    "RouteTableId",
    "DestinationCidrBlock",
    "NextHopType",
    "NextHopId",
    "Name",
    "RouteEntryId",
    "ResourceGroupId",
];

fn pick<T: Clone>(pool: &[T], c: u8) -> Option<T> {
    if pool.is_empty() {
        None
    } else {
        pool.get(c as usize % pool.len()).cloned()
    }
}

fn value_for(w: &World, key: &str, c: u8) -> Option<Value> {
    let vpcs: Vec<String> = w.vpcs().map(|v| v.vpc_id.clone()).collect();
    let pccs: Vec<String> = w
        .peerings()
        .map(|p| p.instance_id.clone())
        .chain(["pcc-none00000".to_string()])
        .collect();
    let tables: Vec<String> = w.vpcs().map(|v| v.system_route_table_id.clone()).collect();
    let s = |xs: &[&str]| pick(xs, c).map(|x| json!(x));
    match key {
        "RegionId" | "AcceptingRegionId" => s(&[
            "cn-hangzhou",
            "cn-beijing",
            "cn-hongkong",
            "cn-shanghai-finance-1",
            "ap-southeast-2",
            "zz-nowhere",
        ]),
        "VpcId" | "AcceptingVpcId" => pick(&vpcs, c).map(Value::String),
        "AcceptingAliUid" => s(&[A, B, C, D, "77"]),
        "Bandwidth" => s(&["-1", "0", "100", "1024", "2048", "abc"]),
        "LinkType" => s(&["Gold", "Platinum", "Silver"]),
        "InstanceId" | "NextHopId" => pick(&pccs, c).map(Value::String),
        "Force" | "DryRun" => s(&["true", "false", "perhaps"]),
        "ClientToken" => s(&["t1", "t2"]),
        "CidrBlock" | "DestinationCidrBlock" => s(&[
            "10.0.1.0/24",
            "10.0.0.0/16",
            "192.168.0.0/24",
            "100.64.0.0/24",
            "10.0.0.5/24",
            "172.16.0.0/12",
            "0.0.0.0/0",
        ]),
        "ZoneId" => s(&["cn-hangzhou-h", "cn-beijing-h", "cn-hangzhou-z"]),
        "RouteTableId" => pick(&tables, c).map(Value::String),
        "NextHopType" => s(&["VpcPeer", "Instance", "NatGateway", "Bogus"]),
        "Name" => s(&["ok_name", "x", "http://bad"]),
        "RouteEntryId" => s(&["rte-none000000"]),
        "ResourceGroupId" => s(&["rg-acfmaaaaaa", "rg-acfmbbbbbb", "rg-none000000"]),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    #[test]
    fn failed_calls_do_not_mutate(steps in proptest::collection::vec((0u8..5, 0u8..15, proptest::collection::vec(0u8..12, KEYS.len()), 0u8..3), 1..25)) {
        let mut w = err_world(json!({"settle": "Stepped"}));
        for (caller, action, choices, tick) in steps {
            let caller = [A, B, C, D, "1010101010101010"][caller as usize % 5];
            let action = ACTIONS[action as usize % ACTIONS.len()];
            let mut params = serde_json::Map::new();
            for (k, c) in KEYS.iter().zip(choices.iter()) {
                if *c % 3 != 0 {
                    if let Some(v) = value_for(&w, k, *c) {
                        params.insert(k.to_string(), v);
                    }
                }
            }
            let before = serde_json::to_string(&w).unwrap();
            let mut c = ctx(&w, caller);
            c.time = w.now().plus(i64::from(tick) * 3);
            if let Err(e) = w.call(&c, action, &params) {
                prop_assert_eq!(&before, &serde_json::to_string(&w).unwrap(), "{} {:?} -> {}", action, params, e);
            }
            // The maintained lookup indexes agree with the maps after every call.
            if let Err(e) = w.check_index() {
                prop_assert!(false, "{} {:?}: {}", action, params, e);
            }
        }
    }
}
