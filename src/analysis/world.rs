//! Flows of a world's principals: for every RAM user and role of every account, its
//! account-scope identity policies (the user's and its groups', or the role's) and the
//! control-policy chain of its account (member → root; none for the management account or
//! outside the directory). Principals with the same policies share one flow.

use super::{Flow, PolicyInput, Stage, StageKind};
use crate::api::SimState;
use crate::iam::model::Grantee;
use crate::policy::{read_policy, PolicyKind, ReadOptions};

/// A world principal's flow.
#[derive(Debug, Clone)]
pub struct WorldFlow {
    /// Principals (`netops@A`, `role/NAME@A`) sharing these policies.
    pub principals: Vec<String>,
    /// Account UID.
    pub account: String,
    /// The flow.
    pub flow: Flow,
    /// Identity policies only (without the control chain), for harnesses.
    pub identity: Vec<PolicyInput>,
}

fn doc(name: &str, text: &str, kind: PolicyKind) -> Option<PolicyInput> {
    read_policy(text, kind, &ReadOptions::default())
        .policy
        .map(|p| PolicyInput::new(name, None, Some(text), p))
}

/// Every principal's flow; `filter` keeps principals whose label matches (`*`/`?` globs over
/// `name@ALIAS`, `name@UID`, `role/NAME@ALIAS`).
pub fn world_flows(state: &SimState, filter: Option<&str>) -> Vec<WorldFlow> {
    let world = &state.world;
    let iam = &state.iam;
    let mut out: Vec<WorldFlow> = Vec::new();
    let mgmt = world
        .resource_directory()
        .map(|rd| rd.master_account_id.clone());
    for (uid, acct) in &iam.accounts {
        let alias = world
            .account(uid)
            .and_then(|a| a.alias.clone())
            .unwrap_or_else(|| uid.clone());
        let chain: Vec<Stage> = if mgmt.as_deref() == Some(uid.as_str()) {
            Vec::new()
        } else {
            iam.control_chain(world, uid)
                .iter()
                .map(|node| Stage {
                    kind: StageKind::Control(node.target.clone()),
                    policies: iam
                        .control_policies_at(&node.target)
                        .iter()
                        .filter_map(|cp| doc(&cp.name, &cp.document, PolicyKind::Control))
                        .collect(),
                })
                .collect()
        };
        let mut subjects: Vec<(String, Vec<Grantee>)> = Vec::new();
        for (name, u) in &acct.users {
            let mut g = vec![Grantee::User(name.clone())];
            g.extend(u.groups.iter().cloned().map(Grantee::Group));
            subjects.push((name.clone(), g));
        }
        for name in acct.roles.keys() {
            subjects.push((format!("role/{name}"), vec![Grantee::Role(name.clone())]));
        }
        for (label, grantees) in subjects {
            let labels = [format!("{label}@{alias}"), format!("{label}@{uid}")];
            if let Some(f) = filter {
                if !labels
                    .iter()
                    .any(|l| crate::policy::pattern::glob(f, l) || f == label)
                {
                    continue;
                }
            }
            let mut identity: Vec<PolicyInput> = Vec::new();
            for att in acct
                .attachments
                .iter()
                .filter(|a| grantees.contains(&a.grantee) && a.resource_group.is_none())
            {
                if let Some((text, _)) = iam.identity_document(uid, &att.policy, att.policy_type) {
                    identity.extend(doc(&att.policy, &text, PolicyKind::Identity));
                }
            }
            let mut stages = chain.clone();
            stages.push(Stage {
                kind: StageKind::Identity,
                policies: identity.clone(),
            });
            let sig = |ps: &[PolicyInput]| -> Vec<String> {
                ps.iter()
                    .map(|p| format!("{}{:?}", p.name, p.text))
                    .collect()
            };
            let key_of = |stages: &[Stage]| -> Vec<Vec<String>> {
                stages.iter().map(|s| sig(&s.policies)).collect()
            };
            let k = key_of(&stages);
            if let Some(existing) = out
                .iter_mut()
                .find(|w| w.account == *uid && key_of(&w.flow.stages) == k)
            {
                existing.principals.push(labels[0].clone());
                continue;
            }
            out.push(WorldFlow {
                principals: vec![labels[0].clone()],
                account: uid.clone(),
                flow: Flow {
                    label: labels[0].clone(),
                    stages,
                },
                identity,
            });
        }
    }
    out
}
