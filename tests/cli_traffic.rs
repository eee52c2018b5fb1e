//! `ramsim traffic` and `ramsim bill` through the real binary (issue 17): the seed's worked
//! example (BILL-1) from a state file, every bill format, an unreachable flow's exit code,
//! and a state that stays byte-identical until traffic is recorded.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::{export_in, ramsim_in, root, Output};
use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    /// `corpus/worlds/cdt.json` initialized, with the Gold peering VPC1 ↔ VPC2 accepted and
    /// routed both ways.
    fn new() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let world = root().join("corpus/worlds/cdt.json");
        let env = Env { dir };
        let r = env.run(&[
            "init",
            "--world",
            world.to_str().expect("utf-8"),
            "--state",
            "s.json",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = env.call(
            "netops@A",
            "aliyun vpcpeer CreateVpcPeerConnection --RegionId cn-huhehaote --VpcId ${vpc:vpc1} --AcceptingAliUid ${uid:B} --AcceptingRegionId cn-guangzhou --AcceptingVpcId ${vpc:vpc2} --LinkType Gold",
        );
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let body: Value = serde_json::from_str(&r.stdout).expect("json");
        let pcc = body["InstanceId"].as_str().expect("id").to_string();
        for (who, line) in [
            ("netops@B", format!("aliyun vpcpeer AcceptVpcPeerConnection --InstanceId {pcc}")),
            ("netops@A", format!("aliyun vpc CreateRouteEntry --RegionId cn-huhehaote --RouteTableId ${{rt:vpc1}} --DestinationCidrBlock 10.1.0.0/16 --NextHopType VpcPeer --NextHopId {pcc}")),
            ("netops@B", format!("aliyun vpc CreateRouteEntry --RegionId cn-guangzhou --RouteTableId ${{rt:vpc2}} --DestinationCidrBlock 10.0.0.0/16 --NextHopType VpcPeer --NextHopId {pcc}")),
        ] {
            let r = env.call(who, &line);
            assert_eq!(r.code, 0, "{line}: {}{}", r.stdout, r.stderr);
        }
        env
    }

    fn run(&self, args: &[&str]) -> Output {
        ramsim_in(args, self.dir.path())
    }

    fn call(&self, who: &str, line: &str) -> Output {
        self.run(&[
            "call", "--state", "s.json", "--as", who, "--format", "json", line,
        ])
    }

    /// The state as `ramsim export` prints it (snapshot plus journal).
    fn bytes(&self) -> Vec<u8> {
        export_in("s.json", self.dir.path()).into_bytes()
    }
}

#[test]
fn bill_1_from_the_command_line_in_every_format() {
    let env = Env::new();
    let flow = |from: &str, to: &str, volume: &str| {
        env.run(&[
            "traffic",
            "--state",
            "s.json",
            "--from",
            from,
            "--to",
            to,
            "--protocol",
            "tcp",
            "--port",
            "443",
            "--volume",
            volume,
            "--duration",
            "1h",
        ])
    };
    let r = flow("ecs:app1", "ecs:app2", "200GB");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("delivered 200.00 GB, dropped 0.00 GB"),
        "{}",
        r.stdout
    );
    assert_eq!(flow("ecs:app2", "ecs:app1", "100GB").code, 0);

    let r = env.run(&["bill", "--state", "s.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("total A (1234567890123456): 96.00 CNY"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("total B (2234567890123456): 48.00 CNY"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("documented"), "{}", r.stdout);

    let r = env.run(&[
        "bill",
        "--state",
        "s.json",
        "--account",
        "B",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["total_cny"], "48.00");
    assert_eq!(doc["lines"][0]["source_region"], "cn-guangzhou");
    assert_eq!(doc["lines"][0]["cny_per_gb"], "0.48");

    let r = env.run(&["bill", "--state", "s.json", "--format", "csv"]);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        vec![
            "account,hour,source_region,dest_region,link_type,gb,cny_per_gb,price_source,fee_cny",
            "1234567890123456,2025-01-01T00:00:00Z,cn-huhehaote,cn-guangzhou,Gold,200.00,0.48,documented,96.00",
            "2234567890123456,2025-01-01T00:00:00Z,cn-guangzhou,cn-huhehaote,Gold,100.00,0.48,documented,48.00",
        ]
    );
    // Hours outside the window: nothing.
    let r = env.run(&[
        "bill",
        "--state",
        "s.json",
        "--from",
        "2025-01-01T01:00:00Z",
    ]);
    assert_eq!(r.stdout, "no billable inter-region traffic\n");
}

#[test]
fn unreachable_flows_exit_1_and_bad_input_exits_2() {
    let env = Env::new();
    let before = env.bytes();
    let r = env.run(&[
        "traffic",
        "--state",
        "s.json",
        "--from",
        "ecs:app1",
        "--to",
        "ecs:app3",
        "--protocol",
        "tcp",
        "--port",
        "443",
        "--rate",
        "100Mbps",
        "--duration",
        "1h",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("not sent: ROUTE_NOT_FOUND"),
        "{}",
        r.stdout
    );
    assert_ne!(env.bytes(), before, "the unreachable flow is on record");
    let after = env.bytes();
    for bad in [
        vec!["--volume", "lots", "--duration", "1h"],
        vec!["--volume", "1GB", "--duration", "0s"],
        vec!["--volume", "1GB", "--rate", "1Mbps", "--duration", "1h"],
    ] {
        let mut args = vec![
            "traffic",
            "--state",
            "s.json",
            "--from",
            "ecs:app1",
            "--to",
            "ecs:app2",
            "--protocol",
            "tcp",
            "--port",
            "443",
        ];
        args.extend(bad.iter().copied());
        let r = env.run(&args);
        assert_eq!(r.code, 2, "{bad:?}: {}{}", r.stdout, r.stderr);
    }
    let r = env.run(&["bill", "--state", "s.json", "--account", "Z"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown account `Z`"), "{}", r.stderr);
    assert_eq!(env.bytes(), after, "refused flows change nothing");
}

#[test]
fn states_without_traffic_have_no_traffic_fields() {
    let env = Env::new();
    let text = String::from_utf8(env.bytes()).expect("utf-8");
    assert!(!text.contains("\"flows\""));
    assert!(!text.contains("fallback_prices"));
}
