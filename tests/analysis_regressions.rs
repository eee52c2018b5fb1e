//! Named regressions of the exact analysis (issue 14): the changes the sampling diff missed or
//! misreported, and the seed guardrails analysed with `implies` both ways.

#[path = "cli_support/mod.rs"]
mod cli_support;
use cli_support::ramsim;
use ramsim::analysis::{self, Analysis, ChangeKind, Flow, Options, PolicyInput};
use ramsim::authz::Outcome;
use ramsim::diff::{diff, DiffInput, DiffKind, Version};
use ramsim::policy::file::LoadedPolicy;
use ramsim::policy::{read_policy, PolicyKind, ReadOptions};

fn doc(name: &str, text: &str, kind: PolicyKind) -> PolicyInput {
    let p = read_policy(text, kind, &ReadOptions::default())
        .policy
        .expect("valid policy");
    PolicyInput::new(name, None, Some(text), p)
}

fn identity(name: &str, text: &str) -> Flow {
    Flow::identity(name, vec![doc(name, text, PolicyKind::Identity)])
}

fn sampled(old: &str, new: &str) -> ramsim::diff::DiffReport {
    let v = |name: &str, text: &str| {
        Version::new(
            LoadedPolicy {
                file: name.into(),
                text: text.into(),
                policy: read_policy(text, PolicyKind::Identity, &ReadOptions::default())
                    .policy
                    .expect("valid"),
            },
            DiffKind::Identity,
        )
    };
    let (a, b) = (v("old.json", old), v("new.json", new));
    diff(DiffInput {
        old: &a,
        new: &b,
        kind: DiffKind::Identity,
        state: None,
        replay: &[],
        skipped: Vec::new(),
    })
}

fn assert_witnesses(old: &Flow, new: &Flow, d: &analysis::ExactDiff) {
    for (_, r) in &d.regions {
        assert_eq!(old.replay(&r.witness), r.decisions[0].decision, "{r:?}");
        assert_eq!(new.replay(&r.witness), r.decisions[1].decision, "{r:?}");
    }
}

const BASE: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"}]}"#;

/// (a) A new Allow needing two keys at once (`acs:SourceVpc` equals a VPC id *and*
/// `acs:SourceIp` in a CIDR): the sampling diff varied one key at a time and reported 0 granted.
#[test]
fn regression_a_two_key_allow_is_granted() {
    let new = r#"{"Version":"1","Statement":[
        {"Effect":"Allow","Action":"vpc:Describe*","Resource":"*"},
        {"Effect":"Allow","Action":"vpc:DeleteVpcPeerConnection","Resource":"*",
         "Condition":{"StringEquals":{"acs:SourceVpc":"vpc-bp1prod"},"IpAddress":{"acs:SourceIp":"10.8.0.0/16"}}}]}"#;
    // (The sampling diff's second base happens to satisfy both conditions of this exact
    // statement; the exact diff does not depend on such luck.)
    let _ = sampled(BASE, new);
    let (o, n) = (identity("old", BASE), identity("new", new));
    let d = analysis::diff(o.clone(), n.clone(), Options::default());
    let granted: Vec<_> = d.of(ChangeKind::Granted).collect();
    assert_eq!(granted.len(), 1, "{:#?}", d.regions);
    let r = granted[0];
    assert_eq!(r.action, "vpc:DeleteVpcPeerConnection");
    let ctx = r.witness.context_text();
    assert!(ctx.contains("acs:SourceVpc=vpc-bp1prod"), "{ctx}");
    assert!(ctx.contains("acs:SourceIp=10.8."), "{ctx}");
    assert_eq!(r.decisions[0].decision, Outcome::ImplicitDeny);
    assert_eq!(r.decisions[1].decision, Outcome::Allow);
    assert_eq!(d.count(ChangeKind::Removed), 0);
    assert_witnesses(&o, &n, &d);
}

/// (b) `ForAllValues:` → `ForAnyValue:` on a tag key: a request tagged `env` *and* something
/// else gains access; an untagged one loses it.
#[test]
fn regression_b_for_all_values_to_for_any_value() {
    let old = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:CreateVpc","Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"acs:TagKeys":["env","team"]}}}]}"#;
    let new = old.replace("ForAllValues:", "ForAnyValue:");
    let (o, n) = (identity("old", old), identity("new", &new));
    let d = analysis::diff(o.clone(), n.clone(), Options::default());
    let granted: Vec<_> = d
        .of(ChangeKind::Granted)
        .filter(|r| r.action == "vpc:CreateVpc")
        .collect();
    assert!(!granted.is_empty(), "{:#?}", d.regions);
    let tags = granted[0]
        .witness
        .context
        .iter()
        .find(|(k, _)| k == "acs:TagKeys")
        .map(|(_, v)| v.clone())
        .expect("tag keys in the witness");
    assert!(tags.len() >= 2, "a mixed tag set: {tags:?}");
    assert!(d
        .of(ChangeKind::Removed)
        .any(|r| r.conditions.iter().any(|c| c.contains("is absent"))));
    assert_witnesses(&o, &n, &d);
}

/// (c) The impossible-key false positive: `vpc:GetVpcPeerConnectionAttribute` was flagged in a
/// context carrying `acs:TargetRDId`, which the gateway never injects for it.
#[test]
fn regression_c_impossible_key_is_not_reported() {
    let old = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*"},
        {"Effect":"Deny","Action":"vpc:*VpcPeerConnection*","Resource":"*",
         "Condition":{"StringEquals":{"acs:TargetRDId":"rd-evil"}}}]}"#;
    let new = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*"}]}"#;
    let (o, n) = (identity("old", old), identity("new", new));
    let d = analysis::diff(o.clone(), n.clone(), Options::default());
    let actions: Vec<&str> = d
        .of(ChangeKind::Granted)
        .filter(|r| r.modeled)
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["vpc:CreateVpcPeerConnection", "vpc:AcceptVpcPeerConnection"],
        "{:#?}",
        d.regions
    );
    assert!(!d
        .regions
        .iter()
        .any(|(_, r)| r.action == "vpc:GetVpcPeerConnectionAttribute"));
    // With --any-keys the key may be present anywhere, and the Get action shows up.
    let any = analysis::diff(
        o.clone(),
        n.clone(),
        Options {
            any_keys: true,
            ..Options::default()
        },
    );
    assert!(any
        .regions
        .iter()
        .any(|(_, r)| r.action == "vpc:GetVpcPeerConnectionAttribute"));
    assert_witnesses(&o, &n, &d);
    assert_witnesses(&o, &n, &any);
}

fn guardrail(name: &str) -> Flow {
    let text = std::fs::read_to_string(format!(
        "{}/policies/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("seed policy");
    Flow::control(name, doc(name, &text, PolicyKind::Control), None)
}

/// (d) The seed's two guardrails: the path guardrail implies the id guardrail (everything it
/// allows, the id one allows: a path names its directory), not the other way round — a
/// sibling folder of the same directory is the witness.
#[test]
fn regression_d_seed_guardrails_implies_both_ways() {
    let (path, id) = (guardrail("guardrail-rd-path"), guardrail("guardrail-rd-id"));
    let implies = |a: &Flow, b: &Flow| {
        let an = Analysis::new(vec![a.clone(), b.clone()], Options::default());
        an.regions(
            &|d| d[0] == Outcome::Allow && d[1] != Outcome::Allow,
            None,
            None,
            0,
        )
        .0
    };
    let path_to_id = implies(&path, &id);
    assert!(
        path_to_id.is_empty(),
        "path should imply id: {:#?}",
        path_to_id
    );
    let id_to_path = implies(&id, &path);
    assert!(!id_to_path.is_empty());
    for r in &id_to_path {
        assert_eq!(id.replay(&r.witness), Outcome::Allow);
        assert_eq!(path.replay(&r.witness), Outcome::ExplicitDeny);
        let ctx = r.witness.context_text();
        assert!(ctx.contains("acs:TargetRDId=rd-xxxxxx"), "{ctx}");
        assert!(ctx.contains("acs:TargetRDPath=rd-xxxxxx/"), "{ctx}");
    }
}

#[test]
fn cli_analyze_implies_and_exit_codes() {
    let yes = ramsim(&[
        "analyze",
        "implies",
        "policies/guardrail-rd-path.json",
        "policies/guardrail-rd-id.json",
        "--kind",
        "control",
    ]);
    assert_eq!(yes.code, 0, "{}", yes.stdout);
    assert!(yes.stdout.contains("answer: yes"), "{}", yes.stdout);
    let no = ramsim(&[
        "analyze",
        "implies",
        "policies/guardrail-rd-id.json",
        "policies/guardrail-rd-path.json",
        "--kind",
        "control",
    ]);
    assert_eq!(no.code, 1, "{}", no.stdout);
    assert!(no.stdout.contains("answer: no"), "{}", no.stdout);
    assert!(no.stdout.contains("witness: vpc:"), "{}", no.stdout);
    let vac = ramsim(&["analyze", "vacuous", "tests/fixtures/analysis/vacuous.json"]);
    assert_eq!(vac.code, 1, "{}", vac.stdout);
    assert!(vac.stdout.contains("Statement[1]"), "{}", vac.stdout);
    assert!(vac.stdout.contains("Statement[2]"), "{}", vac.stdout);
    assert!(!vac.stdout.contains("Statement[0]:"), "{}", vac.stdout);
    let bad = ramsim(&[
        "analyze",
        "implies",
        "nope.json",
        "policies/guardrail-rd-id.json",
    ]);
    assert_eq!(bad.code, 2);
}
