//! One authorization decision, made one way. The gateway's step 4 ([`super::Gateway::call`])
//! and every question asked about a world without calling it — `can()` in `ramsim check`
//! invariants, the `no-privilege-escalation` rows and the "can become" graph, the check
//! generator's permitted APIs — go through [`with_request`]: the same request context
//! (envelope keys, `acs:AccessId`, `acs:PrincipalARN`, the service's injected keys), the same
//! trust policy as resource policy for `sts:AssumeRole`, the same resource group, the same
//! store (identity, control and session policies) and the same engine call. [`query_for_action`]
//! turns an `(action, resource, target account)` question into what the gateway would present
//! for a call of that action: the catalog's dependent actions, the role's trust policy, the
//! target's `acs:TargetRDId`/`acs:TargetRDPath`.

use super::catalog::CATALOG;
use super::request::Envelope;
use super::state::SimState;
use crate::authz::{decide, EvalOptions, RequestContext};
use crate::authz::{ActionResource, PolicySet, PolicySource, PolicyStore, Principal, Request};
use crate::cloud::{Timestamp, World};
use crate::iam::Caller;
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

/// Source IP used when the envelope names none (§10.1, ASSUMED).
pub const DEFAULT_SOURCE_IP: &str = "192.0.2.10";

/// What one call must be authorized for, after the service's pre-RAM checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthQuery {
    /// Every `(action, resource)` pair that must be allowed: the action's resources, then
    /// dependent actions.
    pub pairs: Vec<ActionResource>,
    /// Condition keys the service injects (`acs:TargetRDId`, …).
    pub keys: Vec<(String, String)>,
    /// For `sts:AssumeRole`: the role's trust policy text, evaluated as the resource policy.
    pub trust: Option<String>,
    /// Owner of the target when it is not the caller's account (cross-account AssumeRole).
    pub resource_account: Option<String>,
}

/// How the credentials were presented: the envelope, and the AccessKeyId when the envelope
/// named one.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The envelope (source IP, transport, MFA, source VPC).
    pub envelope: &'a Envelope,
    /// The AccessKeyId in the envelope (`LTAI…`), if any.
    pub access_key: Option<&'a str>,
}

/// Builds the request exactly as the gateway authorizes it and hands it to `f` with the store
/// to evaluate it against (the caller's compiled store, plus the role's trust policy as
/// resource policy for AssumeRole) and the context (for denial details).
#[allow(clippy::too_many_arguments)]
pub fn with_request<R>(
    world: &World,
    store: &PolicyStore,
    principal: &Principal,
    caller: &Caller,
    presented: Presented<'_>,
    now: Timestamp,
    query: &AuthQuery,
    params: Option<&Map<String, Value>>,
    f: impl FnOnce(&PolicyStore, &Request<'_>, &RequestContext) -> R,
) -> R {
    let base = base_context(principal, caller, presented, now);
    with_context(world, store, principal, Cow::Owned(base), query, params, f)
}

/// The envelope's part of the request context: the clock, source IP, transport, MFA, source
/// VPC, `acs:AccessId` and `acs:PrincipalARN` (what [`with_request`] starts from; callers that
/// ask many questions of one caller build it once and use [`with_base`]).
pub fn base_context(
    principal: &Principal,
    caller: &Caller,
    presented: Presented<'_>,
    now: Timestamp,
) -> RequestContext {
    let envelope = presented.envelope;
    // Seven envelope keys at most, then the service's own.
    let mut context = RequestContext::with_capacity(9);
    context.insert_static("acs:CurrentTime", now.text());
    context.insert_static(
        "acs:SourceIp",
        envelope
            .source_ip
            .clone()
            .unwrap_or_else(|| DEFAULT_SOURCE_IP.into()),
    );
    context.insert_static(
        "acs:SecureTransport",
        if envelope.secure_transport.unwrap_or(true) {
            "true"
        } else {
            "false"
        },
    );
    if let Some(mfa) = envelope.mfa {
        context.insert_static("acs:MFAPresent", if mfa { "true" } else { "false" });
    }
    if let Some(vpc) = &envelope.source_vpc {
        context.insert_static("acs:SourceVpc", vpc.clone());
    }
    let ak = match caller {
        Caller::Session { access_key_id, .. } => Some(access_key_id.clone()),
        _ => presented.access_key.map(str::to_string),
    };
    if let Some(ak) = ak {
        context.insert_static("acs:AccessId", ak);
    }
    if let Some(arn) = principal.principal_arn_key() {
        context.insert_static("acs:PrincipalARN", arn);
    }
    context
}

/// [`with_request`] from a [`base_context`]: adds the service's keys, the trust policy and
/// the resource group, and hands the request to `f`.
#[allow(clippy::too_many_arguments)]
pub fn with_base<R>(
    world: &World,
    store: &PolicyStore,
    principal: &Principal,
    base: &RequestContext,
    query: &AuthQuery,
    params: Option<&Map<String, Value>>,
    f: impl FnOnce(&PolicyStore, &Request<'_>, &RequestContext) -> R,
) -> R {
    with_context(
        world,
        store,
        principal,
        Cow::Borrowed(base),
        query,
        params,
        f,
    )
}

/// [`with_base`] over a base context that may be owned: the gateway's own context gets the
/// service's keys in place instead of through a copy.
fn with_context<R>(
    world: &World,
    store: &PolicyStore,
    principal: &Principal,
    base: Cow<'_, RequestContext>,
    query: &AuthQuery,
    params: Option<&Map<String, Value>>,
    f: impl FnOnce(&PolicyStore, &Request<'_>, &RequestContext) -> R,
) -> R {
    let context: Cow<'_, RequestContext> = if query.keys.is_empty() {
        base
    } else {
        let mut c = base.into_owned();
        for (k, v) in &query.keys {
            c.insert(k, v.clone());
        }
        Cow::Owned(c)
    };
    // AssumeRole adds the role's trust policy as the resource policy; every other call uses
    // the store as it is.
    let store: Cow<'_, PolicyStore> = match &query.trust {
        None => Cow::Borrowed(store),
        Some(trust) => {
            let mut owned = store.clone();
            owned.resource_policy = Some(trust_set(trust));
            Cow::Owned(owned)
        }
    };
    // The engine reads the resource group only to pick the store's resource-group-scope set
    // of that group: with no such set the lookup (an ARN parse and a world lookup per pair,
    // thousands per check step) cannot change the decision.
    let resource_group = if store.resource_groups.is_empty() {
        None
    } else {
        resource_group_of(world, &query.pairs, params)
    };
    let req = Request {
        principal,
        pairs: &query.pairs,
        context: &context,
        resource_account: query.resource_account.as_deref(),
        resource_group: resource_group.as_deref(),
        assume_role: query.trust.is_some(),
    };
    f(&store, &req, &context)
}

/// Largest number of compiled trust policies kept per thread (then they start over).
const TRUST_SETS_LIMIT: usize = 256;

thread_local! {
    /// Compiled trust policies by text: every `sts:AssumeRole` decision evaluates its role's
    /// trust policy, and a world has few of them (a check asks about each thousands of times).
    static TRUST_SETS: RefCell<HashMap<String, PolicySet>> = RefCell::new(HashMap::new());
}

/// `trust` compiled as the resource policy of an AssumeRole decision (empty when it does not
/// read).
fn trust_set(trust: &str) -> PolicySet {
    TRUST_SETS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(set) = cache.get(trust) {
            return set.clone();
        }
        let mut set = PolicySet::new();
        if let Some(p) = read_policy(trust, PolicyKind::Trust, &ReadOptions::default()).policy {
            set.add(
                &p,
                PolicySource {
                    name: "AssumeRolePolicy".into(),
                    ..PolicySource::custom("AssumeRolePolicy")
                },
                Some(trust),
            );
        }
        if cache.len() >= TRUST_SETS_LIMIT {
            cache.clear();
        }
        cache.insert(trust.to_string(), set.clone());
        set
    })
}

/// Resource group of the target resource, for resource-group-scope policies: the group of the
/// first pair's VPC, vSwitch, route table or peering, else the call's `ResourceGroupId`.
pub fn resource_group_of(
    w: &World,
    pairs: &[ActionResource],
    params: Option<&Map<String, Value>>,
) -> Option<String> {
    for pair in pairs {
        let Some((_, rel)) = pair.resource.rsplit_once(':') else {
            continue;
        };
        let Some((kind, id)) = rel.split_once('/') else {
            continue;
        };
        let rg = match kind {
            "vpc" => w.vpc(id).map(|v| v.resource_group_id.clone()),
            "vswitch" => w
                .vswitch(id)
                .and_then(|s| w.vpc(&s.vpc_id))
                .map(|v| v.resource_group_id.clone()),
            "routetable" => w
                .route_table(id)
                .and_then(|t| w.vpc(&t.vpc_id))
                .map(|v| v.resource_group_id.clone()),
            "vpcpeer" => w.peering(id).map(|p| p.resource_group_id.clone()),
            _ => None,
        };
        if rg.is_some() {
            return rg;
        }
    }
    params?
        .get("ResourceGroupId")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `acs:ram::<uid>:role/<name>` → the role's account and its trust policy text (role names
/// compare without case, as `AssumeRole` resolves them).
pub fn trust_of(state: &SimState, role_arn: &str) -> Option<(String, String)> {
    let rest = role_arn.strip_prefix("acs:ram::")?;
    let (uid, rel) = rest.split_once(':')?;
    let name = rel.strip_prefix("role/")?;
    let role = state
        .iam
        .accounts
        .get(uid)?
        .roles
        .values()
        .find(|r| r.name.eq_ignore_ascii_case(name))?;
    Some((uid.to_string(), role.trust_policy.clone()))
}

/// What the gateway would present for a call of `action` on `resource`, with `target` (an
/// account uid) as the peer account of peering calls: the pair, the catalog's dependent
/// actions of that action, the target's `acs:TargetRDId`/`acs:TargetRDPath` when the action
/// injects them and the target is in a directory, and for `sts:AssumeRole` the role's trust
/// policy and account. `None` when the gateway would answer before authorizing: AssumeRole of a
/// role that does not exist (`EntityNotExist.Role`).
pub fn query_for_action(
    state: &SimState,
    action: &str,
    resource: &str,
    target: Option<&str>,
) -> Option<AuthQuery> {
    let entry = CATALOG
        .iter()
        .find(|e| e.action.eq_ignore_ascii_case(action));
    let mut pairs = vec![ActionResource::new(action, resource)];
    let mut keys = Vec::new();
    if let Some(e) = entry {
        pairs.extend(e.dependent.iter().map(|(a, r)| ActionResource::new(*a, *r)));
        if let Some(t) = target {
            if e.condition_keys.contains(&"acs:TargetRDPath") {
                if let (Some(id), Some(path)) = (state.world.rd_id(t), state.world.rd_path(t)) {
                    keys.push(("acs:TargetRDId".to_string(), id));
                    keys.push(("acs:TargetRDPath".to_string(), path));
                }
            }
        }
    }
    let (trust, resource_account) = if action.eq_ignore_ascii_case("sts:AssumeRole") {
        let (uid, text) = trust_of(state, resource)?;
        (Some(text), Some(uid))
    } else {
        (None, None)
    };
    Some(AuthQuery {
        pairs,
        keys,
        trust,
        resource_account,
    })
}

/// The gateway's decision for `caller` presenting `envelope` on `query` at time `now` (the
/// world's clock for `can()`), with the caller's store and principal compiled from `state`
/// ([`crate::iam::model::Iam::policy_store`]). Credentials past their expiry on the world's
/// clock are refused, as the gateway refuses them before anything else.
#[allow(clippy::too_many_arguments)]
pub fn decide_query(
    state: &SimState,
    store: &PolicyStore,
    principal: &Principal,
    caller: &Caller,
    envelope: &Envelope,
    query: &AuthQuery,
    now: Timestamp,
) -> bool {
    if state
        .iam
        .credential_error(caller, state.world.now().epoch())
        .is_some()
    {
        return false;
    }
    let presented = Presented {
        envelope,
        access_key: envelope
            .caller
            .starts_with("LTAI")
            .then_some(envelope.caller.as_str()),
    };
    with_request(
        &state.world,
        store,
        principal,
        caller,
        presented,
        now,
        query,
        None,
        |store, req, _| decide(store, req, &EvalOptions::default()),
    )
    .is_allowed()
}
