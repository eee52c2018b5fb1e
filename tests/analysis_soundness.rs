//! Soundness of the exact analysis as a property over the reference generators' policies
//! (every operator, set qualifiers, odd and non-ASCII values, wildcards anywhere, NotAction /
//! NotResource): every region's witness, replayed through the real engine, gets exactly the
//! two decisions the diff claims — for identity policies and for control policies in the
//! harness, for resource and trust policies (the caller a request dimension) and for identity
//! policies at resource-group scope (the resource group a request dimension). A statement `vacuous` says never applies must not apply to any region witness.

#[path = "reference/mod.rs"]
mod reference;

use proptest::prelude::*;
use ramsim::analysis::{self, Flow, Options, PolicyInput, Stage, StageKind};
use ramsim::policy::PolicyKind;
use reference::strategies::{policy, read};

fn input(
    name: &str,
    p: &reference::strategies::GenPolicy,
    kind: PolicyKind,
) -> Option<PolicyInput> {
    let (policy, text) = read(p, kind).ok()?;
    Some(PolicyInput::new(name, None, Some(&text), policy))
}

/// Identity policies at account scope and at resource-group scope in one flow.
fn mixed(label: &str, account: PolicyInput, rg: PolicyInput) -> Flow {
    Flow {
        label: label.into(),
        stages: vec![
            Stage {
                kind: StageKind::Identity,
                policies: vec![account],
            },
            Stage {
                kind: StageKind::ResourceGroup("rg-1".into()),
                policies: vec![rg],
            },
        ],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_witness_gets_the_claimed_decisions(a in policy(), b in policy(), any_keys in any::<bool>()) {
        let options = Options { any_keys, ..Options::default() };
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Control,
            PolicyKind::Resource,
            PolicyKind::Trust,
        ] {
            let (Some(pa), Some(pb)) = (input("a", &a, kind), input("b", &b, kind)) else {
                continue;
            };
            let pairs = match kind {
                PolicyKind::Control => vec![(Flow::control("a", pa, None), Flow::control("b", pb, None))],
                PolicyKind::Resource => vec![(Flow::resource("a", pa), Flow::resource("b", pb))],
                PolicyKind::Trust => vec![(Flow::trust("a", pa), Flow::trust("b", pb))],
                _ => vec![
                    (Flow::identity("a", vec![pa.clone()]), Flow::identity("b", vec![pb.clone()])),
                    // Resource-group scope: different groups, and account scope next to it.
                    (
                        Flow::resource_group("a", "rg-1", vec![pa.clone()]),
                        Flow::resource_group("b", "rg-2", vec![pb.clone()]),
                    ),
                    (mixed("a", pa.clone(), pb.clone()), mixed("b", pb, pa)),
                ],
            };
            for (fa, fb) in pairs {
                let d = analysis::diff(fa.clone(), fb.clone(), options);
                prop_assert!(d.stats.complete);
                for (_, r) in &d.regions {
                    prop_assert_eq!(fa.replay(&r.witness), r.decisions[0].decision, "{:?}", r);
                    prop_assert_eq!(fb.replay(&r.witness), r.decisions[1].decision, "{:?}", r);
                }
            }
        }
    }
}
