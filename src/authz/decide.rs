//! The decision flow across policy types (§6): control policies member → root, session
//! policy, identity policies (account scope, then resource-group scope), resource or trust
//! policy, and their combination — for every (action, resource) pair of a request.
//!
//! The flow is written once, generic over a [`StageEvaluator`]: the fast evaluator only
//! computes outcomes; the tracing one (see [`super::explain`]) records every statement.

use super::context::RequestContext;
use super::options::{EvalOptions, IdentityImplicitDenyType};
use super::policy_set::{with_folded_action, Outcome, PairRequest, PolicySet};
use super::principal::{Principal, PrincipalKind};
use serde::Serialize;
use std::sync::Arc;

/// `PolicyType` of `AccessDeniedDetail` (§7.2): which stage denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PolicyType {
    /// A Resource Directory control policy.
    ControlPolicy,
    /// The STS session policy.
    SessionPolicy,
    /// The role's trust policy (AssumeRole).
    AssumeRolePolicy,
    /// Identity policies attached at account scope.
    AccountLevelIdentityBasedPolicy,
    /// Identity policies attached at resource-group scope.
    ResourceGroupLevelIdentityBasedPolicy,
}

impl PolicyType {
    /// The spelling RAM uses.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::ControlPolicy => "ControlPolicy",
            PolicyType::SessionPolicy => "SessionPolicy",
            PolicyType::AssumeRolePolicy => "AssumeRolePolicy",
            PolicyType::AccountLevelIdentityBasedPolicy => "AccountLevelIdentityBasedPolicy",
            PolicyType::ResourceGroupLevelIdentityBasedPolicy => {
                "ResourceGroupLevelIdentityBasedPolicy"
            }
        }
    }
}

/// One node of the control-policy chain: the policies attached directly to a member, a folder
/// or the root folder (§6.3).
#[derive(Debug, Clone, Default)]
pub struct ControlNode {
    /// The target: member UID, folder id or root folder id.
    pub target: String,
    /// Every policy attached to the node (apply to RAM users and roles).
    pub policies: PolicySet,
    /// The policies with `EffectScope = All` (also apply to the member's root, §10 Q17).
    pub all_scope: PolicySet,
}

/// The policies that bear on one principal's requests.
#[derive(Debug, Clone, Default)]
pub struct PolicyStore {
    /// Control-policy nodes from the member up to the root folder (empty: no directory).
    /// Shared: every principal of an account has the same chain, and the nodes of one
    /// target are compiled once for as long as its policies stay the same.
    pub control_chain: Vec<Arc<ControlNode>>,
    /// The session policy of a role session, if one was passed to AssumeRole.
    pub session: Option<PolicySet>,
    /// Identity policies attached at account scope (user + its groups, or the role).
    pub identity: PolicySet,
    /// Identity policies attached at resource-group scope, by resource-group id.
    pub resource_groups: Vec<(String, PolicySet)>,
    /// The resource's own policy (resource-based policy), or the role's trust policy for AssumeRole.
    pub resource_policy: Option<PolicySet>,
}

impl PolicyStore {
    /// Whether a decision on this store can depend on the resources of a request's pairs: a
    /// set of it reads the resource ([`PolicySet::reads_resource`]), or it has
    /// resource-group-scope sets (the group is the resource's) or a resource policy. When
    /// false, requests that differ only in their pairs' resources — naming no owner, with the
    /// same [`Request::resource_account`] — are decided alike.
    pub fn reads_resource(&self) -> bool {
        !self.resource_groups.is_empty()
            || self.resource_policy.is_some()
            || self.identity.reads_resource()
            || self.session.as_ref().is_some_and(PolicySet::reads_resource)
            || self
                .control_chain
                .iter()
                .any(|n| n.policies.reads_resource() || n.all_scope.reads_resource())
    }

    /// The resource-group-scope set for `rg`, created empty on first use.
    pub fn resource_group_set(&mut self, rg: &str) -> &mut PolicySet {
        let pos = match self.resource_groups.iter().position(|(id, _)| id == rg) {
            Some(p) => p,
            None => {
                self.resource_groups
                    .push((rg.to_string(), PolicySet::new()));
                self.resource_groups.len() - 1
            }
        };
        &mut self.resource_groups[pos].1
    }
}

/// One (action, resource) pair a request must be allowed for (§3.3, §6.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionResource {
    /// RAM action, e.g. `vpc:CreateVpcPeerConnection`.
    pub action: String,
    /// Resource ARN, or `*` for All-Resource actions.
    pub resource: String,
    /// The account owning this pair's resource, when known for the pair itself; `None` falls
    /// back to [`Request::resource_account`] (and then to the caller's own account).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl ActionResource {
    /// A pair whose resource belongs to the request's resource account.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> ActionResource {
        ActionResource {
            action: action.into(),
            resource: resource.into(),
            owner: None,
        }
    }

    /// A pair whose resource is owned by `owner` when given, else by the account its ARN
    /// names ([`arn_account`]); `*` and ARNs without a concrete account name no owner.
    pub fn owned(
        action: impl Into<String>,
        resource: impl Into<String>,
        owner: Option<&str>,
    ) -> ActionResource {
        let resource = resource.into();
        let owner = owner.or_else(|| arn_account(&resource)).map(str::to_string);
        ActionResource {
            action: action.into(),
            resource,
            owner,
        }
    }
}

/// The account an ARN names (`acs:<service>:<region>:<account>:<relative>`), when it names
/// one: the field must be present, non-empty and free of wildcards (`acs:vpc:*:*:vpc/*`
/// names no account). `acs:ram::1234:role/r` names `1234`.
pub fn arn_account(arn: &str) -> Option<&str> {
    use crate::swar;
    // Word-at-a-time searches up to the third colon (`splitn` with a char searcher cost a
    // batch line ~780 instructions, a fifth of its decision); the account's search also stops
    // at a wildcard, which means no concrete account.
    let colon = |b: &[u8]| swar::find(b, |w| swar::equal(w, b':'), |c| c == b':');
    let rest = arn.strip_prefix("acs:")?;
    let fields = rest.as_bytes();
    let region = colon(fields)? + 1;
    let start = region + colon(fields.get(region..)?)? + 1;
    let end = start
        + swar::find(
            fields.get(start..)?,
            |w| swar::equal(w, b':') | swar::equal(w, b'*') | swar::equal(w, b'?'),
            |c| matches!(c, b':' | b'*' | b'?'),
        )?;
    if end == start || fields.get(end) != Some(&b':') {
        return None;
    }
    rest.get(start..end)
}

/// A request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// Every pair that must be allowed: the action's resources, then dependent actions.
    pub pairs: &'a [ActionResource],
    /// Condition-key values.
    pub context: &'a RequestContext,
    /// Owner of the target resources whose pair names none ([`ActionResource::owner`]);
    /// `None` means the caller's own account.
    pub resource_account: Option<&'a str>,
    /// Resource group of the target resource, for resource-group-scope policies.
    pub resource_group: Option<&'a str>,
    /// True for `sts:AssumeRole`: identity and trust policy must *both* allow (§6.7).
    pub assume_role: bool,
}

/// The final answer for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow, ExplicitDeny or ImplicitDeny.
    pub outcome: Outcome,
    /// The stage that denied (`None` when allowed).
    pub policy_type: Option<PolicyType>,
    /// Index of the pair that decided (the first explicit deny, else the first implicit deny).
    pub pair: usize,
}

impl Decision {
    /// True when allowed.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// Which stage a set is evaluated as (for traces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "Stage")]
pub enum Stage<'a> {
    /// A control-policy node.
    ControlPolicy {
        /// Node target (member, folder or root id).
        #[serde(rename = "Target")]
        target: &'a str,
    },
    /// The session policy.
    SessionPolicy,
    /// Account-scope identity policies.
    AccountLevelIdentity,
    /// Resource-group-scope identity policies.
    ResourceGroupLevelIdentity {
        /// The resource group.
        #[serde(rename = "ResourceGroup")]
        resource_group: &'a str,
    },
    /// The resource's own policy.
    ResourcePolicy,
    /// The role's trust policy (AssumeRole).
    TrustPolicy,
}

/// Evaluates one stage; implemented by the fast path and by the tracer.
pub trait StageEvaluator {
    /// Basic evaluation of `set` as `stage` for one pair.
    fn evaluate(&mut self, stage: Stage<'_>, set: &PolicySet, req: &PairRequest<'_>) -> Outcome;
    /// Called when the root identity's ownership decides the pair (§6.1).
    fn root_owner(&mut self) {}
}

/// The fast evaluator: outcomes only.
#[derive(Debug, Default)]
pub struct Fast;

impl StageEvaluator for Fast {
    fn evaluate(&mut self, _stage: Stage<'_>, set: &PolicySet, req: &PairRequest<'_>) -> Outcome {
        set.evaluate(req)
    }
}

/// Do control policies apply to this principal at all (§6.1)? Only to identities of a
/// Resource Directory member, never to its management account, service-linked roles or
/// services.
pub fn control_policies_apply(p: &Principal) -> bool {
    p.in_resource_directory
        && !p.management_account
        && !p.service_linked_role
        && p.kind != PrincipalKind::Service
}

/// Decides one pair (§6.10); `owner` is the account owning the pair's resource (`None`: the
/// caller's own account).
pub fn decide_pair<E: StageEvaluator>(
    store: &PolicyStore,
    req: &Request<'_>,
    pair: &PairRequest<'_>,
    owner: Option<&str>,
    options: &EvalOptions,
    eval: &mut E,
) -> (Outcome, Option<PolicyType>) {
    let p = req.principal;
    let is_root = p.kind == PrincipalKind::Root;
    // 1. Control policies, member → root; every node must allow.
    if control_policies_apply(p) {
        for node in &store.control_chain {
            let set = if is_root {
                &node.all_scope
            } else {
                &node.policies
            };
            // The member's root is bound only by EffectScope=All policies; nodes without any pass.
            if is_root && set.is_empty() {
                continue;
            }
            let o = eval.evaluate(
                Stage::ControlPolicy {
                    target: &node.target,
                },
                set,
                pair,
            );
            if o != Outcome::Allow {
                return (o, Some(PolicyType::ControlPolicy));
            }
        }
    }
    let cross_account = owner.is_some_and(|owner| owner != p.account);
    // The owner has full access to its own resources (§6.1).
    if is_root && !cross_account {
        eval.root_owner();
        return (Outcome::Allow, None);
    }
    // 2. Session policy.
    if let Some(session) = &store.session {
        let o = eval.evaluate(Stage::SessionPolicy, session, pair);
        if o != Outcome::Allow {
            return (o, Some(PolicyType::SessionPolicy));
        }
    }
    // 3a. Identity policies: account scope, then resource-group scope only if nothing decided.
    let account = eval.evaluate(Stage::AccountLevelIdentity, &store.identity, pair);
    let (a, a_type) = if account != Outcome::ImplicitDeny {
        (account, PolicyType::AccountLevelIdentityBasedPolicy)
    } else {
        let rg = req.resource_group.and_then(|g| {
            store
                .resource_groups
                .iter()
                .find(|(id, _)| id == g)
                .map(|(id, set)| (id, set))
        });
        let o = match rg {
            Some((id, set)) => eval.evaluate(
                Stage::ResourceGroupLevelIdentity { resource_group: id },
                set,
                pair,
            ),
            None => Outcome::ImplicitDeny,
        };
        let t = match (o, options.identity_implicit_deny_type) {
            (Outcome::ImplicitDeny, IdentityImplicitDenyType::AccountLevel) => {
                PolicyType::AccountLevelIdentityBasedPolicy
            }
            _ => PolicyType::ResourceGroupLevelIdentityBasedPolicy,
        };
        (o, t)
    };
    // 3b. Resource policy (or trust policy).
    let b = store.resource_policy.as_ref().map(|rp| {
        let stage = if req.assume_role {
            Stage::TrustPolicy
        } else {
            Stage::ResourcePolicy
        };
        eval.evaluate(stage, rp, pair)
    });
    // 4. Combine.
    let final_outcome = if req.assume_role {
        if a == Outcome::ExplicitDeny || b == Some(Outcome::ExplicitDeny) {
            Outcome::ExplicitDeny
        } else if a == Outcome::Allow && b == Some(Outcome::Allow) {
            Outcome::Allow
        } else {
            Outcome::ImplicitDeny
        }
    } else if let Some(b) = b {
        if a == Outcome::ExplicitDeny || b == Outcome::ExplicitDeny {
            Outcome::ExplicitDeny
        } else if a == Outcome::Allow || b == Outcome::Allow {
            Outcome::Allow
        } else {
            Outcome::ImplicitDeny
        }
    } else if cross_account && a == Outcome::Allow {
        // §6.8: identity policies alone never reach another account's resources.
        Outcome::ImplicitDeny
    } else {
        a
    };
    if final_outcome == Outcome::Allow {
        return (Outcome::Allow, None);
    }
    let t = if req.assume_role && a == Outcome::Allow && b != Some(Outcome::Allow) {
        PolicyType::AssumeRolePolicy
    } else {
        a_type
    };
    (final_outcome, Some(t))
}

/// Decides pair `ar` of `req` ([`decide_pair`] with the action folded and the owner resolved).
#[inline]
fn decide_action_resource<E: StageEvaluator>(
    store: &PolicyStore,
    req: &Request<'_>,
    ar: &ActionResource,
    options: &EvalOptions,
    eval: &mut E,
) -> (Outcome, Option<PolicyType>) {
    with_folded_action(&ar.action, |action| {
        let pair = PairRequest {
            action,
            resource: &ar.resource,
            context: req.context,
            principal: req.principal,
            options,
        };
        let owner = ar.owner.as_deref().or(req.resource_account);
        decide_pair(store, req, &pair, owner, options, eval)
    })
}

/// Decides a whole request with evaluator `eval`. With `exhaustive` every pair is evaluated
/// (for traces); otherwise evaluation stops at the first explicit deny.
pub fn decide_with<E: StageEvaluator>(
    store: &PolicyStore,
    req: &Request<'_>,
    options: &EvalOptions,
    eval: &mut E,
    exhaustive: bool,
    mut on_pair: impl FnMut(&mut E, usize, Outcome, Option<PolicyType>),
) -> Decision {
    // The request's answer so far: the first pair of the most severe outcome (an explicit
    // deny outranks an implicit one); `None` while every pair is allowed.
    let mut decided: Option<Decision> = None;
    for (i, ar) in req.pairs.iter().enumerate() {
        let (outcome, policy_type) = decide_action_resource(store, req, ar, options, eval);
        on_pair(eval, i, outcome, policy_type);
        let this = Decision {
            outcome,
            policy_type,
            pair: i,
        };
        match outcome {
            Outcome::ExplicitDeny => {
                if decided.is_none_or(|d| d.outcome != Outcome::ExplicitDeny) {
                    decided = Some(this);
                }
                if !exhaustive {
                    break;
                }
            }
            Outcome::ImplicitDeny if decided.is_none() => decided = Some(this),
            _ => {}
        }
    }
    decided.unwrap_or(if req.pairs.is_empty() {
        // A request with no pairs authorizes nothing: fail closed.
        Decision {
            outcome: Outcome::ImplicitDeny,
            policy_type: Some(PolicyType::AccountLevelIdentityBasedPolicy),
            pair: 0,
        }
    } else {
        Decision {
            outcome: Outcome::Allow,
            policy_type: None,
            pair: 0,
        }
    })
}

/// Decides a request on the fast path (no allocation for ASCII actions).
pub fn decide(store: &PolicyStore, req: &Request<'_>, options: &EvalOptions) -> Decision {
    decide_with(store, req, options, &mut Fast, false, |_, _, _, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{read_policy, PolicyKind, ReadOptions};

    #[test]
    fn arns_name_their_owner() {
        assert_eq!(
            arn_account("acs:vpc:cn-hangzhou:222:vpc/vpc-1"),
            Some("222")
        );
        assert_eq!(arn_account("acs:ram::111:role/admin"), Some("111"));
        assert_eq!(arn_account("acs:oss:*:333:bucket/a:b"), Some("333"));
        for none in [
            "*",
            "acs:vpc:*:*:vpc/*",
            "acs:vpc:cn-hangzhou::vpc/x",
            "acs:vpc:r:1?3:x",
            "acs:vpc:r:111",
            "arn:aws:s3:::b",
        ] {
            assert_eq!(arn_account(none), None, "{none}");
        }
        let owned = ActionResource::owned("vpc:DeleteVpc", "acs:vpc:r:222:vpc/v", None);
        assert_eq!(owned.owner.as_deref(), Some("222"));
        let told = ActionResource::owned("vpc:DeleteVpc", "acs:vpc:r:222:vpc/v", Some("111"));
        assert_eq!(told.owner.as_deref(), Some("111"));
    }

    proptest::proptest! {
        /// The byte search names the same owner as splitting the ARN into its fields.
        #[test]
        fn arn_account_agrees_with_splitting(arn in "(acs:)?[a-z:*?0-9]{0,14}(:[a-z/*?0-9]{0,6}){0,3}") {
            let reference = arn.strip_prefix("acs:").and_then(|rest| {
                let mut fields = rest.splitn(4, ':');
                let (_service, _region, account) = (fields.next()?, fields.next()?, fields.next()?);
                fields.next()?;
                (!account.is_empty() && !account.contains(['*', '?'])).then_some(account)
            });
            proptest::prop_assert_eq!(arn_account(&arn), reference);
        }
    }

    /// A store reads the resource exactly when one of its statements can tell resources
    /// apart, or it has resource-group-scope sets or a resource policy.
    #[test]
    fn a_store_reads_the_resource_when_a_statement_can_tell_resources_apart() {
        let set = |resource: &str| {
            let text = format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"vpc:*",{resource}}}]}}"#
            );
            let policy = read_policy(&text, PolicyKind::Identity, &ReadOptions::default())
                .policy
                .expect("policy");
            let mut set = PolicySet::new();
            set.add(&policy, super::super::PolicySource::custom("p"), None);
            set
        };
        let blind = [
            r#""Resource":"*""#,
            r#""Resource":["acs:vpc:*:*:vpc/v","*"]"#,
        ];
        let reads = [
            r#""Resource":"acs:vpc:*:*:vpc/*""#,
            r#""Resource":["acs:vpc:*:*:vpc/v","acs:vpc:*:*:vswitch/*"]"#,
            r#""NotResource":"acs:vpc:*:*:vpc/v""#,
        ];
        for r in blind {
            assert!(!set(r).reads_resource(), "{r}");
            let store = PolicyStore {
                identity: set(r),
                ..PolicyStore::default()
            };
            assert!(!store.reads_resource(), "{r}");
            let with_rg = PolicyStore {
                resource_groups: vec![("rg-1".into(), set(r))],
                ..store.clone()
            };
            assert!(with_rg.reads_resource(), "{r}: resource-group scope");
            let with_rp = PolicyStore {
                resource_policy: Some(set(r)),
                ..store
            };
            assert!(with_rp.reads_resource(), "{r}: resource policy");
        }
        for r in reads {
            assert!(set(r).reads_resource(), "{r}");
            for store in [
                PolicyStore {
                    identity: set(r),
                    ..PolicyStore::default()
                },
                PolicyStore {
                    session: Some(set(r)),
                    ..PolicyStore::default()
                },
                PolicyStore {
                    control_chain: vec![Arc::new(ControlNode {
                        all_scope: set(r),
                        ..ControlNode::default()
                    })],
                    ..PolicyStore::default()
                },
            ] {
                assert!(store.reads_resource(), "{r}");
            }
        }
    }

    /// §6.1 and §6.8 per pair: each resource is judged with its own owner.
    #[test]
    fn each_pair_is_judged_with_its_own_owner() {
        let allow_all =
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let policy = read_policy(allow_all, PolicyKind::Identity, &ReadOptions::default())
            .policy
            .expect("policy");
        let mut store = PolicyStore::default();
        store
            .identity
            .add(&policy, super::super::PolicySource::custom("all"), None);
        let context = RequestContext::new();
        let options = EvalOptions::default();
        for kind in [PrincipalKind::Root, PrincipalKind::RamUser] {
            let principal = Principal::new(kind, "111", "alice");
            let pairs = [
                ActionResource::owned("vpc:DeleteVpc", "acs:vpc:r:111:vpc/a", None),
                ActionResource::owned("vpc:DeleteVpc", "acs:vpc:r:222:vpc/b", None),
            ];
            let req = Request {
                principal: &principal,
                pairs: &pairs,
                context: &context,
                resource_account: None,
                resource_group: None,
                assume_role: false,
            };
            let d = decide(&store, &req, &options);
            assert_eq!((d.outcome, d.pair), (Outcome::ImplicitDeny, 1), "{kind:?}");
            // The request-level owner applies to pairs that name none.
            let star = [ActionResource::new("vpc:DeleteVpc", "*")];
            let req = Request {
                pairs: &star,
                resource_account: Some("222"),
                ..req
            };
            assert_eq!(
                decide(&store, &req, &options).outcome,
                Outcome::ImplicitDeny
            );
        }
    }
}
