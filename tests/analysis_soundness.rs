//! Soundness of the exact analysis as a property over the reference generators' policies
//! (every operator, set qualifiers, odd and non-ASCII values, wildcards anywhere, NotAction /
//! NotResource): every region's witness, replayed through the real engine, gets exactly the
//! two decisions the diff claims — for identity policies and for control policies in the
//! harness. A statement `vacuous` says never applies must not apply to any region witness.

#[path = "reference/mod.rs"]
mod reference;

use proptest::prelude::*;
use ramsim::analysis::{self, Flow, Options, PolicyInput};
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_witness_gets_the_claimed_decisions(a in policy(), b in policy(), any_keys in any::<bool>()) {
        let options = Options { any_keys, ..Options::default() };
        for kind in [PolicyKind::Identity, PolicyKind::Control] {
            let (Some(pa), Some(pb)) = (input("a", &a, kind), input("b", &b, kind)) else {
                continue;
            };
            let (fa, fb) = match kind {
                PolicyKind::Control => (Flow::control("a", pa, None), Flow::control("b", pb, None)),
                _ => (Flow::identity("a", vec![pa]), Flow::identity("b", vec![pb])),
            };
            let d = analysis::diff(fa.clone(), fb.clone(), options);
            prop_assert!(d.stats.complete);
            for (_, r) in &d.regions {
                prop_assert_eq!(fa.replay(&r.witness), r.decisions[0].decision, "{:?}", r);
                prop_assert_eq!(fb.replay(&r.witness), r.decisions[1].decision, "{:?}", r);
            }
        }
    }
}
