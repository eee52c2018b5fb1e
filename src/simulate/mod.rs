//! `ramsim simulate`: what may this principal do? Every modeled API (the catalog) is evaluated
//! against every matching resource of a world, the way the gateway would authorize it, and the
//! answer is a permission matrix: decision, deciding policy type, policy and statement, and
//! the condition keys the in-scope statements looked for that the request did not carry
//! ("missing context", like AWS's `MissingContextValues`).
//!
//! Every row is decided on the gateway's one decision path ([`crate::api::decision`]): the
//! context the gateway builds for the caller's credentials (envelope keys, `acs:AccessId`,
//! `acs:PrincipalARN`), the keys the service injects (`acs:TargetRDId`/`acs:TargetRDPath` of
//! the row's target account — APIs that inject them get one row per account of the world), the
//! role's trust policy for `sts:AssumeRole`, the catalog's dependent actions, the target's
//! resource group, and the caller's compiled store (identity, control and session policies).

pub mod instances;
pub mod peers;
pub mod render;

pub use instances::{instances, Instance};

use crate::api::catalog::{ApiEntry, CATALOG, DEPENDENT_ONLY_ACTIONS};
use crate::api::decision::{base_context, with_base, AuthQuery, Presented};
use crate::api::gateway::DEFAULT_SOURCE_IP;
use crate::api::{Envelope, SimState};
use crate::authz::policy_set::AttachedEntityType;
use crate::authz::{
    explain, ActionResource, EvalOptions, Explanation, Outcome, PolicyStore, PolicyType, Principal,
    RequestContext,
};
use crate::cloud::declare::ParamType;
use crate::iam::model::Grantee;
use crate::iam::Caller;
use crate::policy::pattern::{fold_case, Wildcard};
use serde::Serialize;
use serde_json::{Map, Value};

/// Actions the gateway serves without asking RAM (every caller may call them).
pub const UNAUTHORIZED_ACTIONS: &[&str] = &["sts:GetCallerIdentity"];

/// A `--principal` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalSpec {
    /// A RAM user (`alice`, `alice@<account>`) or an account root (`root@<account>`): anything
    /// the gateway's caller resolution accepts.
    Caller(String),
    /// A session of role `name` in `account`, without a session policy.
    Role {
        /// Role name.
        name: String,
        /// Account UID or alias.
        account: String,
    },
    /// A hypothetical member of group `name` in `account` with only the group's policies.
    Group {
        /// Group name.
        name: String,
        /// Account UID or alias.
        account: String,
    },
}

impl PrincipalSpec {
    /// Parses `NAME`, `root@ACCT`, `role:NAME@ACCT` or `group:NAME@ACCT`.
    pub fn parse(text: &str) -> Result<PrincipalSpec, String> {
        let scoped = |rest: &str, what: &str| -> Result<(String, String), String> {
            match rest.rsplit_once('@') {
                Some((n, a)) if !n.is_empty() && !a.is_empty() => Ok((n.into(), a.into())),
                _ => Err(format!(
                    "principal `{text}`: write `{what}:NAME@ACCOUNT` (account UID or alias)"
                )),
            }
        };
        if let Some(rest) = text.strip_prefix("role:") {
            let (name, account) = scoped(rest, "role")?;
            Ok(PrincipalSpec::Role { name, account })
        } else if let Some(rest) = text.strip_prefix("group:") {
            let (name, account) = scoped(rest, "group")?;
            Ok(PrincipalSpec::Group { name, account })
        } else if text.trim().is_empty() {
            Err("the principal must not be empty".into())
        } else {
            Ok(PrincipalSpec::Caller(text.to_string()))
        }
    }
}

/// A principal resolved against a state: who it is and the policies bearing on it.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The `--principal` text as given.
    pub label: String,
    /// The principal's ARN (or a description for a group member).
    pub arn: String,
    /// The account the principal acts for.
    pub account: String,
    /// What the evaluator sees.
    pub principal: Principal,
    /// The policies that apply.
    pub store: PolicyStore,
    /// The caller the gateway would resolve (a hypothetical one for `role:`/`group:`).
    pub caller: Caller,
    /// The AccessKeyId presented, when the principal was given as a user's `LTAI…` key.
    pub access_key: Option<String>,
    /// True for a `role:` or `group:` principal: no real credentials, so no `acs:AccessId`.
    pub hypothetical: bool,
}

fn account_uid(state: &SimState, text: &str) -> Result<String, String> {
    if state.world.account(text).is_some() {
        Ok(text.to_string())
    } else {
        state
            .world
            .uid_by_alias(text)
            .map(str::to_string)
            .ok_or_else(|| format!("unknown account `{text}`"))
    }
}

fn group_policies(state: &SimState, account: &str, group: &str, store: &mut PolicyStore) {
    let Some(acct) = state.iam.accounts.get(account) else {
        return;
    };
    let grantee = Grantee::Group(group.to_string());
    for att in acct.attachments.iter().filter(|a| a.grantee == grantee) {
        state
            .iam
            .attach_to_store(store, account, att, AttachedEntityType::RamGroup);
    }
}

/// Loads `path` as a state file (`ramsim init` output) or, when it is not one, as a world file.
pub fn load_state(path: &std::path::Path) -> Result<SimState, String> {
    let cannot = |e: std::io::Error| format!("{}: cannot read: {e}", path.display());
    let mut head = [0u8; crate::api::snapshot::MAGIC.len()];
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let n = std::io::Read::read(&mut file, &mut head).map_err(cannot)?;
    if crate::api::snapshot::is_snapshot(&head[..n]) {
        return SimState::load(path);
    }
    // Bounded (and a regular file): sniffing a JSON file reads it whole.
    let bytes = crate::api::state::read_state_bytes(path)?;
    if SimState::looks_like_state(&bytes) {
        SimState::load(path)
    } else {
        SimState::from_world_file(path)
    }
}

/// Resolves a principal against `state`.
pub fn resolve(state: &SimState, spec: &PrincipalSpec, label: &str) -> Result<Subject, String> {
    let (caller, group) = match spec {
        PrincipalSpec::Caller(who) => (
            state
                .iam
                .authenticate(&state.world, who)
                .map_err(|e| format!("principal `{who}`: {}: {}", e.code, e.message))?,
            None,
        ),
        PrincipalSpec::Role { name, account } => {
            let account = account_uid(state, account)?;
            let role = state
                .iam
                .accounts
                .get(&account)
                .and_then(|a| a.roles.values().find(|r| r.name.eq_ignore_ascii_case(name)))
                .ok_or_else(|| format!("principal `{label}`: no role `{name}` in {account}"))?;
            (
                Caller::Session {
                    account,
                    role: role.name.clone(),
                    session: "simulate".into(),
                    // No such session: the store gets no session policy.
                    access_key_id: String::new(),
                },
                None,
            )
        }
        PrincipalSpec::Group { name, account } => {
            let account = account_uid(state, account)?;
            if !state
                .iam
                .accounts
                .get(&account)
                .is_some_and(|a| a.groups.contains_key(name))
            {
                return Err(format!(
                    "principal `{label}`: no group `{name}` in {account}"
                ));
            }
            (
                Caller::User {
                    account,
                    // Not a real user: the store gets only the control chain, then the group's policies.
                    name: format!("member-of-{name}"),
                },
                Some(name.clone()),
            )
        }
    };
    let mut store = state.iam.policy_store(&state.world, &caller);
    let principal = state.iam.principal(&state.world, &caller);
    let account = caller.account().to_string();
    let arn = match &group {
        Some(g) => {
            group_policies(state, &account, g, &mut store);
            format!("a member of acs:ram::{account}:group/{g}")
        }
        None => match &caller {
            Caller::Session { account, role, .. } => {
                crate::authz::ram_arn(account, &["role/", role])
            }
            other => other.arn(),
        },
    };
    let access_key = match spec {
        PrincipalSpec::Caller(who) if who.starts_with("LTAI") => Some(who.clone()),
        _ => None,
    };
    Ok(Subject {
        label: label.to_string(),
        arn,
        account,
        principal,
        store,
        caller,
        access_key,
        hypothetical: !matches!(spec, PrincipalSpec::Caller(_)),
    })
}

/// The context the gateway injects for every call (see `Gateway::handle`): `acs:CurrentTime`
/// from `now`, the default `acs:SourceIp`, `acs:SecureTransport=true` and `acs:PrincipalARN`.
pub fn gateway_context(now: &str, principal: &Principal) -> RequestContext {
    let mut c = RequestContext::new();
    c.insert("acs:CurrentTime", now);
    c.insert("acs:SourceIp", DEFAULT_SOURCE_IP);
    c.insert("acs:SecureTransport", "true");
    if let Some(arn) = principal.principal_arn_key() {
        c.insert("acs:PrincipalARN", arn);
    }
    c
}

/// Applies `KEY=VALUE` overrides: a key given replaces the default; repeating it makes it
/// multi-valued.
pub fn apply_overrides(base: &mut RequestContext, overrides: &[String]) -> Result<(), String> {
    let mut given = RequestContext::new();
    for o in overrides {
        given.insert_assignment(o)?;
    }
    for (k, v) in given.entries() {
        base.set(k, v.to_vec());
    }
    Ok(())
}

/// What to simulate.
#[derive(Debug, Clone, Default)]
pub struct SimulateOptions {
    /// Only actions matching this wildcard (case-insensitive), e.g. `vpc:*Peer*`.
    pub action: Option<String>,
    /// Only rows with a resource matching this wildcard.
    pub resource: Option<String>,
    /// `KEY=VALUE` context overrides.
    pub context: Vec<String>,
    /// Evaluation options.
    pub eval: EvalOptions,
}

/// A statement that decided a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecidingStatement {
    /// Policy name.
    pub policy: String,
    /// `Statement[i]`.
    pub statement: usize,
    /// Sid, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl DecidingStatement {
    /// `policy Statement[i] (Sid)`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) => format!("{} Statement[{}] ({s})", self.policy, self.statement),
            None => format!("{} Statement[{}]", self.policy, self.statement),
        }
    }
}

/// One row of the permission matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// API name (`-` for actions that are only ever dependent actions).
    pub api: String,
    /// RAM action.
    pub action: String,
    /// Resource ARNs the API is authorized against (`*` for All-Resource actions).
    pub resources: Vec<String>,
    /// The account the call targets (the peer of `CreateVpcPeerConnection`, the requester of
    /// `AcceptVpcPeerConnection`, the CEN owner of a grant), whose `acs:TargetRDId` /
    /// `acs:TargetRDPath` the gateway injects; one row per account of the world.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Dependent `action on resource` pairs also evaluated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependent: Vec<String>,
    /// Allow / ExplicitDeny / ImplicitDeny.
    pub decision: Outcome,
    /// The stage that denied.
    pub policy_type: Option<PolicyType>,
    /// The statements that decided (Deny statements for an explicit deny, the granting Allow
    /// statements for an Allow, none for an implicit deny).
    pub statements: Vec<DecidingStatement>,
    /// Why there is no statement, when it is not an implicit deny (`account owner`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The pair that decided a denial when it is not the API's own (a dependent action).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_pair: Option<String>,
    /// Condition keys of in-scope statements that the request context did not carry.
    pub missing_context: Vec<String>,
    /// The request parameters the row's objects fill in (`VpcId`, `UserName`, `RegionId`, …):
    /// the call the row stands for, less the parameters that do not bear on authorization.
    #[serde(skip)]
    pub call: Vec<(String, String)>,
}

/// The matrix of one principal.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The `--principal` text.
    pub principal: String,
    /// Its ARN (or description).
    pub arn: String,
    /// Rows in catalog order.
    pub rows: Vec<Row>,
}

impl Matrix {
    /// Number of rows the decision allows (every rendering's summary line counts them).
    pub fn allowed(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.decision == Outcome::Allow)
            .count()
    }
}

/// Condition keys the in-scope statements of `ex` looked for and `ctx` lacked, sorted,
/// case-insensitively deduplicated.
pub fn missing_context(ex: &Explanation) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for pair in &ex.pairs {
        for stage in &pair.stages {
            for st in &stage.statements {
                for c in &st.conditions {
                    if c.request_values.is_none()
                        && !keys.iter().any(|k| k.eq_ignore_ascii_case(&c.key))
                    {
                        keys.push(c.key.clone());
                    }
                }
            }
        }
    }
    keys.sort_by_key(|k| k.to_ascii_lowercase());
    keys
}

/// Does the `--action` pattern match any modeled action (the catalog's, or a dependent-only
/// one)?
pub fn filter_matches_modeled(pattern: &str) -> bool {
    let w = Wildcard::new(&fold_case(pattern));
    CATALOG
        .iter()
        .map(|e| e.action)
        .chain(DEPENDENT_ONLY_ACTIONS.iter().copied())
        .any(|a| w.matches(&fold_case(a)))
}

fn matches_action(filter: Option<&Wildcard>, action: &str) -> bool {
    filter.is_none_or(|w| w.matches(&fold_case(action)))
}

/// The account whose `acs:TargetRDId`/`acs:TargetRDPath` a row carries, and whether the row
/// names it (one row per account of the world) or it is implied (the caller's own account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    /// The API names no other account: no target keys.
    None,
    /// The caller's own account (`CreateTransitRouterVpcAttachment` without `VpcOwnerId`).
    Own,
    /// Any account of the world: the peer of `CreateVpcPeerConnection`, the requester of
    /// `AcceptVpcPeerConnection`, the CEN owner of `GrantInstanceToTransitRouter`.
    Each,
}

fn target_kind(entry: &ApiEntry) -> TargetKind {
    if !entry.condition_keys.contains(&"acs:TargetRDPath") {
        TargetKind::None
    } else if entry.api == "AcceptVpcPeerConnection"
        || entry
            .params
            .iter()
            .any(|p| p.required && p.ty == ParamType::Uid)
    {
        TargetKind::Each
    } else {
        TargetKind::Own
    }
}

/// Evaluates one request on the gateway's decision path and turns it into a row. `target` is
/// the account whose RD keys the service injects; `shown` says whether the row names it.
#[allow(clippy::too_many_arguments)]
fn row(
    state: &SimState,
    subject: &Subject,
    entry: Option<&ApiEntry>,
    action: &str,
    inst: &Instance,
    base: &RequestContext,
    overridden: &[String],
    target: Option<(&str, bool)>,
    options: &EvalOptions,
) -> Row {
    let mut pairs: Vec<ActionResource> = inst
        .resources
        .iter()
        .map(|r| ActionResource::new(action, r.as_str()))
        .collect();
    let own = pairs.len();
    if let Some(e) = entry {
        pairs.extend(e.dependent.iter().map(|(a, r)| ActionResource::new(*a, *r)));
    }
    let dependent = pairs
        .get(own..)
        .unwrap_or_default()
        .iter()
        .map(|p| format!("{} on {}", p.action, p.resource))
        .collect();
    let api = entry.map_or_else(|| "-".to_string(), |e| e.api.to_string());
    let shown_target = target
        .filter(|(_, shown)| *shown)
        .map(|(t, _)| t.to_string());
    if UNAUTHORIZED_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action))
    {
        return Row {
            api,
            action: action.to_string(),
            resources: inst.resources.clone(),
            target: shown_target,
            dependent,
            decision: Outcome::Allow,
            policy_type: None,
            statements: Vec::new(),
            note: Some("not authorized by RAM: every caller may call it".into()),
            denied_pair: None,
            missing_context: Vec::new(),
            call: inst.params.clone(),
        };
    }
    // The keys the service injects for the target; a key the user set with --context stays
    // as the user set it.
    let mut keys = Vec::new();
    if let Some((t, _)) = target {
        if let (Some(id), Some(path)) = (state.world.rd_id(t), state.world.rd_path(t)) {
            keys.push(("acs:TargetRDId".to_string(), id));
            keys.push(("acs:TargetRDPath".to_string(), path));
        }
    }
    keys.retain(|(k, _)| !overridden.iter().any(|o| o.eq_ignore_ascii_case(k)));
    let query = AuthQuery {
        pairs,
        keys,
        trust: inst.trust.clone(),
        resource_account: inst.resource_account.clone(),
    };
    let params: Map<String, Value> = inst
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let ex = with_base(
        &state.world,
        &subject.store,
        &subject.principal,
        base,
        &query,
        Some(&params),
        |store, req, _| explain(store, req, options),
    );
    let pairs = query.pairs;
    let d = ex.decision;
    let statements: Vec<DecidingStatement> = ex
        .deciding_statements()
        .into_iter()
        .map(|s| DecidingStatement {
            policy: s.policy.clone(),
            statement: s.statement,
            sid: s.sid.clone(),
        })
        .collect();
    let note = if d.outcome == Outcome::Allow
        && statements.is_empty()
        && ex.pairs.iter().all(|p| p.root_owner)
    {
        Some("account owner: full access to its own resources".into())
    } else {
        None
    };
    let denied_pair = (d.outcome != Outcome::Allow && d.pair >= own)
        .then(|| pairs.get(d.pair))
        .flatten()
        .map(|p| format!("{} on {}", p.action, p.resource));
    Row {
        api,
        action: action.to_string(),
        resources: inst.resources.clone(),
        target: shown_target,
        dependent,
        decision: d.outcome,
        policy_type: d.policy_type,
        statements,
        note,
        denied_pair,
        missing_context: missing_context(&ex),
        call: inst.params.clone(),
    }
}

/// The context the gateway builds for `subject`'s calls now (envelope defaults, the clock,
/// `acs:AccessId` of real credentials, `acs:PrincipalARN`), with `overrides` applied; and the
/// keys the user overrode.
pub fn subject_context(
    state: &SimState,
    subject: &Subject,
    overrides: &[String],
) -> Result<(RequestContext, Vec<String>), String> {
    let envelope = Envelope {
        caller: subject.label.clone(),
        ..Envelope::default()
    };
    let mut base = base_context(
        &subject.principal,
        &subject.caller,
        Presented {
            envelope: &envelope,
            access_key: subject.access_key.as_deref(),
        },
        state.world.now(),
    );
    if subject.hypothetical {
        base.remove("acs:AccessId");
    }
    apply_overrides(&mut base, overrides)?;
    let mut given = RequestContext::new();
    for o in overrides {
        given.insert_assignment(o)?;
    }
    let overridden = given.entries().map(|(k, _)| k.to_string()).collect();
    Ok((base, overridden))
}

/// The permission matrix of `subject` over `state`.
pub fn simulate(
    state: &SimState,
    subject: &Subject,
    opts: &SimulateOptions,
) -> Result<Matrix, String> {
    let (base, overridden) = subject_context(state, subject, &opts.context)?;
    let action_filter = opts.action.as_deref().map(|a| Wildcard::new(&fold_case(a)));
    let resource_filter = opts.resource.as_deref().map(Wildcard::new);
    let keep = |inst: &Instance| {
        resource_filter
            .as_ref()
            .is_none_or(|w| inst.resources.iter().any(|r| w.matches(r)))
    };
    // A target named with --context: one row, with the user's keys.
    let targets_given = overridden.iter().any(|k| {
        k.eq_ignore_ascii_case("acs:TargetRDPath") || k.eq_ignore_ascii_case("acs:TargetRDId")
    });
    let mut accounts: Vec<&str> = state.world.accounts().map(|a| a.uid.as_str()).collect();
    accounts.sort_unstable();
    let mut rows = Vec::new();
    for entry in CATALOG.iter() {
        if !matches_action(action_filter.as_ref(), entry.action) {
            continue;
        }
        let targets: Vec<Option<(&str, bool)>> = match target_kind(entry) {
            TargetKind::None => vec![None],
            _ if targets_given => vec![None],
            TargetKind::Own => vec![Some((subject.account.as_str(), false))],
            TargetKind::Each => accounts.iter().map(|a| Some((*a, true))).collect(),
        };
        for inst in instances(state, &subject.account, entry) {
            if !keep(&inst) {
                continue;
            }
            for target in &targets {
                rows.push(row(
                    state,
                    subject,
                    Some(entry),
                    entry.action,
                    &inst,
                    &base,
                    &overridden,
                    *target,
                    &opts.eval,
                ));
            }
        }
    }
    for action in DEPENDENT_ONLY_ACTIONS {
        if !matches_action(action_filter.as_ref(), action) {
            continue;
        }
        let inst = Instance {
            resources: vec!["*".into()],
            resource_account: None,
            resource_group: None,
            trust: None,
            params: Vec::new(),
        };
        if keep(&inst) {
            rows.push(row(
                state,
                subject,
                None,
                action,
                &inst,
                &base,
                &overridden,
                None,
                &opts.eval,
            ));
        }
    }
    Ok(Matrix {
        principal: subject.label.clone(),
        arn: subject.arn.clone(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_specs() {
        assert_eq!(
            PrincipalSpec::parse("role:Admin@A"),
            Ok(PrincipalSpec::Role {
                name: "Admin".into(),
                account: "A".into()
            })
        );
        assert_eq!(
            PrincipalSpec::parse("group:ops@123"),
            Ok(PrincipalSpec::Group {
                name: "ops".into(),
                account: "123".into()
            })
        );
        assert!(PrincipalSpec::parse("role:Admin").is_err());
        assert!(PrincipalSpec::parse("group:@A").is_err());
        assert!(PrincipalSpec::parse(" ").is_err());
        assert_eq!(
            PrincipalSpec::parse("root@A"),
            Ok(PrincipalSpec::Caller("root@A".into()))
        );
    }

    #[test]
    fn overrides_replace_defaults() {
        let p = Principal::new(crate::authz::PrincipalKind::RamUser, "1", "u");
        let mut c = gateway_context("2025-01-01T00:00:00Z", &p);
        apply_overrides(
            &mut c,
            &[
                "acs:SourceIp=10.0.0.1".into(),
                "acs:TagKeys=a".into(),
                "acs:TagKeys=b".into(),
            ],
        )
        .unwrap();
        assert_eq!(c.get("acs:sourceip"), Some(&["10.0.0.1".to_string()][..]));
        assert_eq!(c.get("acs:TagKeys").map(<[String]>::len), Some(2));
        assert_eq!(
            c.get("acs:PrincipalARN"),
            Some(&["acs:ram::1:user/u".to_string()][..])
        );
        assert!(apply_overrides(&mut c, &["nokey".into()]).is_err());
    }
}
