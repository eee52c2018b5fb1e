//! The CEN governance example (issue 13): "a VPC of an account outside the corp-network
//! folder is attached to the company's CEN", hunted by `check` over the CEN APIs. Without the
//! guardrail every seed 0–9 finds it and shrinks it to its two steps (the outsider's
//! `GrantInstanceToTransitRouter`, then the CEN owner's `CreateTransitRouterVpcAttachment
//! --VpcOwnerId`; three when the search used a CEN Corp created first); with the control policy on the folder (`StringNotLike acs:TargetRDPath`,
//! the key `CreateTransitRouterVpcAttachment` injects for the VPC's account) the default
//! budget stays clean, although the grants still succeed.

use ramsim::api::SimState;
use ramsim::check::invariant::Invariant;
use ramsim::check::{CheckConfig, CheckReport, Checker};
use std::path::Path;

const INVARIANT: &str = "corpus/worlds/cen-folder.invariant";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(world: &str, seed: u64) -> (CheckReport, Checker) {
    let state =
        SimState::from_world_file(&root().join("corpus/worlds").join(world)).expect("world builds");
    let inv = Invariant::from_arg(root().join(INVARIANT).to_str().unwrap()).expect("invariant");
    let config = CheckConfig {
        seed,
        principals: vec!["!root@*".into()],
        actions: vec!["cen:*".into()],
        ..CheckConfig::default()
    };
    let mut c = Checker::new(state, vec![inv], config);
    let report = c.run().expect("evaluates");
    (report, c)
}

#[test]
fn without_the_guardrail_every_seed_finds_the_outsider_vpc_in_two_steps() {
    for seed in 0..10 {
        let (report, mut c) = run("cen-folder.json", seed);
        let v = report
            .violation
            .as_ref()
            .unwrap_or_else(|| panic!("seed {seed}: not found"));
        assert!(!v.in_initial_world);
        let steps: Vec<(&str, &str)> = v
            .records
            .iter()
            .map(|r| {
                (
                    r.caller.as_deref().unwrap_or(""),
                    r.action.as_deref().unwrap_or(""),
                )
            })
            .collect();
        // The company CEN of the world file, or one Corp creates first (any CEN of Corp's is
        // the company's for the invariant): then the grant, then the attachment.
        let steps: &[(&str, &str)] = match steps.as_slice() {
            [("netops@Corp", "CreateCen"), rest @ ..] => rest,
            all => all,
        };
        assert_eq!(steps.len(), 2, "seed {seed}: {steps:?}");
        assert_eq!(steps[0].1, "GrantInstanceToTransitRouter", "seed {seed}");
        assert!(
            ["netadmin@Out", "netadmin@Ext"].contains(&steps[0].0),
            "seed {seed}: an account outside the folder grants: {steps:?}"
        );
        assert_eq!(
            steps[1],
            ("netops@Corp", "CreateTransitRouterVpcAttachment"),
            "seed {seed}"
        );
        assert!(
            v.witness
                .iter()
                .any(|w| w.contains("of 1111111111111111 attaches vpc-")
                    && (w.contains("fd-other01") || w.contains("outside the directory"))),
            "seed {seed}: {:?}",
            v.witness
        );
        assert!(v.one_minimal, "seed {seed}");
        assert!(c.replay_violates(&v.steps, 0).expect("replays"));
        for i in 0..v.steps.len() {
            let mut fewer = v.steps.clone();
            fewer.remove(i);
            assert!(
                !c.replay_violates(&fewer, 0).expect("replays"),
                "seed {seed}: without step {} the violation disappears",
                i + 1
            );
        }
    }
}

#[test]
fn with_the_guardrail_the_default_budget_stays_clean() {
    for seed in 0..3 {
        let (report, _) = run("cen-folder-guarded.json", seed);
        assert!(
            report.violation.is_none(),
            "seed {seed}: {:?}",
            report.violation.map(|v| v.witness)
        );
        assert_eq!(report.steps, 200 * 50, "the whole default budget ran");
        // The moves of the hole were made: grants succeed, attachments are tried.
        assert!(report
            .apis_succeeded
            .contains("GrantInstanceToTransitRouter"));
        assert!(report
            .apis_succeeded
            .contains("CreateTransitRouterVpcAttachment"));
    }
}
