//! The stable library API: compile policies once, then decide requests with
//! [`decide`]`(&CompiledPolicies, &Request) -> Decision`.
//!
//! This module is the supported entry point for embedding ramsim's RAM evaluator in another
//! program — a log processor, a query engine's scalar function (see
//! `integrations/datafusion/`), a service. It is a thin layer over [`crate::authz`]: the
//! answers are exactly those of `ramsim eval` for the same policies and request.
//!
//! - [`CompiledPolicies`] holds every policy that bears on a principal's requests (identity
//!   policies at account or resource-group scope, a session policy, a resource or trust
//!   policy, Resource Directory control policies) compiled for fast evaluation, with the
//!   evaluation options. It is immutable, `Send + Sync`, and shared across threads by reference.
//! - [`Request`] owns one request: the caller (a shared [`Principal`]), the action on one or
//!   more resources, dependent actions and condition-key values.
//! - [`decide`] evaluates one request. It **does not allocate**: every value it needs is
//!   borrowed from the policies and the request (`tests/engine_alloc_free.rs` proves it with a
//!   counting allocator over thousands of varied decisions). Building a [`Request`] allocates
//!   its strings once; it can be decided any number of times.
//!
//! ```
//! use ramsim::engine::{decide, CompiledPolicies, Outcome, Principal, Request};
//! use std::sync::Arc;
//!
//! let policies = CompiledPolicies::builder()
//!     .identity(
//!         "vpc-admin",
//!         r#"{"Version":"1","Statement":[
//!             {"Effect":"Allow","Action":"vpc:*","Resource":"*",
//!              "Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
//!             {"Effect":"Deny","Action":"vpc:DeleteVpc","Resource":"acs:vpc:*:*:vpc/prod-*"}]}"#,
//!     )?
//!     .build();
//! let alice = Arc::new(Principal::ram_user("1234567890123456", "alice"));
//! let request = Request::new(
//!     alice.clone(),
//!     "vpc:DeleteVpc",
//!     "acs:vpc:cn-hangzhou:1234567890123456:vpc/dev-1",
//! )
//! .context("acs:SourceIp", "10.1.2.3");
//! assert_eq!(decide(&policies, &request).outcome, Outcome::Allow);
//!
//! let prod = Request::new(alice, "vpc:DeleteVpc", "acs:vpc:cn-hangzhou:1234567890123456:vpc/prod-1")
//!     .context("acs:SourceIp", "10.1.2.3");
//! let decision = decide(&policies, &prod);
//! assert_eq!(decision.outcome, Outcome::ExplicitDeny);
//! assert_eq!(decision.outcome.as_str(), "ExplicitDeny");
//! # Ok::<(), String>(())
//! ```

use crate::authz::policy_set::{AttachedEntityType, AttachedScope, PolicySourceType};
use crate::authz::store_builder::FULL_ALIYUN_ACCESS;
use crate::authz::{self, ActionResource, ControlNode, PolicySet, PolicySource, PolicyStore};
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use std::sync::Arc;

pub use crate::authz::options::{IdentityImplicitDenyType, UnparseableValues};
pub use crate::authz::store_builder::StoreSpec;
pub use crate::authz::{
    Decision, EvalOptions, Outcome, PolicyType, Principal, PrincipalKind, RequestContext,
};

/// Every policy bearing on one principal's requests, compiled, with the evaluation options.
///
/// Build it with [`CompiledPolicies::builder`] from policy documents, with
/// [`CompiledPolicies::from_files`] from files named per kind (the shape of `ramsim eval`'s
/// flags), or wrap a [`PolicyStore`] with [`CompiledPolicies::from_store`].
#[derive(Debug, Clone, Default)]
pub struct CompiledPolicies {
    store: PolicyStore,
    options: EvalOptions,
}

impl CompiledPolicies {
    /// A builder adding policy documents one by one.
    pub fn builder() -> PoliciesBuilder {
        PoliciesBuilder::default()
    }

    /// Wraps an already compiled store.
    pub fn from_store(store: PolicyStore, options: EvalOptions) -> CompiledPolicies {
        CompiledPolicies { store, options }
    }

    /// Loads the files `spec` names (relative to the current directory) as `ramsim eval`
    /// does; `member` names the member node of the control-policy chain (the principal's
    /// account). Errors name the file and every finding with its line and column.
    pub fn from_files(
        spec: &StoreSpec,
        member: &str,
        read: &ReadOptions,
        options: EvalOptions,
    ) -> Result<CompiledPolicies, String> {
        let store = spec.build(std::path::Path::new(""), member, read)?;
        Ok(CompiledPolicies { store, options })
    }

    /// The compiled store.
    pub fn store(&self) -> &PolicyStore {
        &self.store
    }

    /// The evaluation options.
    pub fn options(&self) -> &EvalOptions {
        &self.options
    }
}

/// Adds policy documents (JSON text) to a [`CompiledPolicies`]. Each method checks its
/// document as `ramsim validate` does and fails with every finding, located by line and
/// column in the document called `name`.
#[derive(Debug, Default)]
pub struct PoliciesBuilder {
    store: PolicyStore,
    options: EvalOptions,
    read: ReadOptions,
    control: bool,
}

fn source(name: &str, scope: AttachedScope, entity: AttachedEntityType) -> PolicySource {
    PolicySource {
        name: name.to_string(),
        source_type: PolicySourceType::Custom,
        version: Some("v1".into()),
        scope,
        entity,
        file: None,
    }
}

impl PoliciesBuilder {
    /// Reader options (the `--no-not-resource`, `--lenient-values` … flags); set them before
    /// adding documents.
    pub fn read_options(mut self, read: ReadOptions) -> PoliciesBuilder {
        self.read = read;
        self
    }

    /// Evaluation options (`--identity-implicit-deny-type`, `--unparseable`).
    pub fn eval_options(mut self, options: EvalOptions) -> PoliciesBuilder {
        self.options = options;
        self
    }

    fn compile(
        &self,
        name: &str,
        text: &str,
        kind: PolicyKind,
        set: &mut PolicySet,
        scope: AttachedScope,
        entity: AttachedEntityType,
    ) -> Result<(), String> {
        let result = read_policy(text, kind, &self.read);
        match result.policy {
            Some(policy) => {
                set.add(&policy, source(name, scope, entity), Some(text));
                Ok(())
            }
            None => Err(format!(
                "{name}: not a valid {kind} policy\n{}",
                crate::policy::diagnostic::render_human_all(name, text, kind, &result.diagnostics)
            )),
        }
    }

    /// An identity policy attached at account scope (to the user, its groups or the role).
    pub fn identity(mut self, name: &str, json: &str) -> Result<PoliciesBuilder, String> {
        let mut set = std::mem::take(&mut self.store.identity);
        let r = self.compile(
            name,
            json,
            PolicyKind::Identity,
            &mut set,
            AttachedScope::Account,
            AttachedEntityType::RamUser,
        );
        self.store.identity = set;
        r.map(|()| self)
    }

    /// An identity policy attached at the scope of resource group `resource_group`.
    pub fn identity_in_resource_group(
        mut self,
        resource_group: &str,
        name: &str,
        json: &str,
    ) -> Result<PoliciesBuilder, String> {
        let mut set = std::mem::take(self.store.resource_group_set(resource_group));
        let r = self.compile(
            name,
            json,
            PolicyKind::Identity,
            &mut set,
            AttachedScope::ResourceGroup,
            AttachedEntityType::RamUser,
        );
        *self.store.resource_group_set(resource_group) = set;
        r.map(|()| self)
    }

    /// The session policy of a role session.
    pub fn session(mut self, name: &str, json: &str) -> Result<PoliciesBuilder, String> {
        let mut set = self.store.session.take().unwrap_or_default();
        let r = self.compile(
            name,
            json,
            PolicyKind::Session,
            &mut set,
            AttachedScope::None,
            AttachedEntityType::None,
        );
        self.store.session = Some(set);
        r.map(|()| self)
    }

    /// A resource-based policy of the target resource (OSS bucket policy form included).
    pub fn resource_policy(mut self, name: &str, json: &str) -> Result<PoliciesBuilder, String> {
        let mut set = self.store.resource_policy.take().unwrap_or_default();
        let r = self.compile(
            name,
            json,
            PolicyKind::Resource,
            &mut set,
            AttachedScope::None,
            AttachedEntityType::None,
        );
        self.store.resource_policy = Some(set);
        r.map(|()| self)
    }

    /// A Resource Directory control policy attached to the principal's account (the member
    /// node). The member node also carries FullAliyunAccess, as when the feature is enabled;
    /// control policies then apply to principals whose `in_resource_directory` is set.
    pub fn control(mut self, name: &str, json: &str) -> Result<PoliciesBuilder, String> {
        if !self.control {
            let mut node = ControlNode {
                target: "member".into(),
                ..ControlNode::default()
            };
            self.compile(
                "FullAliyunAccess",
                FULL_ALIYUN_ACCESS,
                PolicyKind::Control,
                &mut node.policies,
                AttachedScope::None,
                AttachedEntityType::None,
            )?;
            self.store.control_chain.push(Arc::new(node));
            self.control = true;
        }
        let mut node = self
            .store
            .control_chain
            .pop()
            .map(Arc::unwrap_or_clone)
            .unwrap_or_default();
        let r = self.compile(
            name,
            json,
            PolicyKind::Control,
            &mut node.policies,
            AttachedScope::None,
            AttachedEntityType::None,
        );
        self.store.control_chain.push(Arc::new(node));
        r.map(|()| self)
    }

    /// The compiled policies.
    pub fn build(self) -> CompiledPolicies {
        CompiledPolicies {
            store: self.store,
            options: self.options,
        }
    }
}

impl Principal {
    /// A RAM user `name` of account `account`.
    pub fn ram_user(account: &str, name: &str) -> Principal {
        Principal::new(PrincipalKind::RamUser, account, name)
    }

    /// A session `session` of role `role` in account `account`.
    pub fn role_session(account: &str, role: &str, session: &str) -> Principal {
        Principal::new(
            PrincipalKind::AssumedRoleUser,
            account,
            &format!("{role}/{session}"),
        )
    }

    /// The root identity of account `account`.
    pub fn root(account: &str) -> Principal {
        Principal::new(PrincipalKind::Root, account, account)
    }

    /// The same principal as a member of a Resource Directory (control policies apply).
    pub fn in_resource_directory(mut self) -> Principal {
        self.in_resource_directory = true;
        self
    }
}

/// `action` case-folded now when [`crate::authz::decide`] would fold it into a new string on
/// every call (a non-ASCII action with capitals, or one over 256 bytes): actions are compared
/// case-insensitively, so the decision is the same and `decide` stays allocation-free. Short
/// ASCII actions, folded on the stack by `decide`, are kept as written.
fn prefolded(action: &str) -> std::borrow::Cow<'_, str> {
    if action.is_ascii() && action.len() <= 256 {
        std::borrow::Cow::Borrowed(action)
    } else {
        crate::policy::pattern::fold_case(action)
    }
}

/// One request: a caller, an action on one or more resources, dependent actions that must
/// also be allowed, and condition-key values. Each resource is owned by the account its ARN
/// names unless [`Request::resource_account`] says otherwise (another account's resource
/// needs a resource policy, as in RAM).
#[derive(Debug, Clone)]
pub struct Request {
    principal: Arc<Principal>,
    action: String,
    resources: Vec<String>,
    dependent: Vec<(String, String)>,
    pairs: Vec<ActionResource>,
    context: RequestContext,
    resource_account: Option<String>,
    resource_group: Option<String>,
    assume_role: bool,
}

impl Request {
    /// `principal` calling `action` on `resource` (an ARN, or `*` for All-Resource actions).
    pub fn new(principal: Arc<Principal>, action: &str, resource: &str) -> Request {
        let mut r = Request {
            principal,
            action: action.to_string(),
            resources: vec![resource.to_string()],
            dependent: Vec::new(),
            pairs: Vec::new(),
            context: RequestContext::new(),
            resource_account: None,
            resource_group: None,
            assume_role: false,
        };
        r.rebuild_pairs();
        r
    }

    fn rebuild_pairs(&mut self) {
        let owner = self.resource_account.as_deref();
        let action = prefolded(&self.action);
        self.pairs = self
            .resources
            .iter()
            .map(|r| ActionResource::owned(action.as_ref(), r.as_str(), owner))
            .chain(
                self.dependent
                    .iter()
                    .map(|(a, r)| ActionResource::owned(prefolded(a).as_ref(), r.as_str(), owner)),
            )
            .collect();
    }

    /// A further resource the action must be allowed on.
    pub fn resource(mut self, resource: &str) -> Request {
        self.resources.push(resource.to_string());
        self.rebuild_pairs();
        self
    }

    /// A dependent action that must also be allowed, on `resource` (`*` for none).
    pub fn dependent(mut self, action: &str, resource: &str) -> Request {
        self.dependent
            .push((action.to_string(), resource.to_string()));
        self.rebuild_pairs();
        self
    }

    /// Adds `value` to condition key `key` (repeat a key for a multi-valued key such as
    /// `acs:TagKeys`). Key names are case-insensitive.
    pub fn context(mut self, key: &str, value: &str) -> Request {
        self.context.insert(key, value);
        self
    }

    /// Replaces every condition-key value.
    pub fn with_context(mut self, context: RequestContext) -> Request {
        self.context = context;
        self
    }

    /// The account owning every resource (default: the account each ARN names, else the
    /// caller's own).
    pub fn resource_account(mut self, account: &str) -> Request {
        self.resource_account = Some(account.to_string());
        self.rebuild_pairs();
        self
    }

    /// The resource group of the target resource (for resource-group-scope policies).
    pub fn resource_group(mut self, resource_group: &str) -> Request {
        self.resource_group = Some(resource_group.to_string());
        self
    }

    /// Marks the request as `sts:AssumeRole` against the role whose trust policy is the
    /// compiled resource policy: identity and trust policy must both allow.
    pub fn assume_role(mut self, assume_role: bool) -> Request {
        self.assume_role = assume_role;
        self
    }

    /// The caller.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Every (action, resource) pair decided: the action on each resource, then the
    /// dependent actions (a non-ASCII or very long action case-folded). [`Decision::pair`]
    /// indexes this list.
    pub fn pairs(&self) -> &[ActionResource] {
        &self.pairs
    }

    /// The request in [`crate::authz`]'s borrowed form (for [`crate::authz::explain`]).
    pub fn as_authz(&self) -> authz::Request<'_> {
        authz::Request {
            principal: &self.principal,
            pairs: &self.pairs,
            context: &self.context,
            resource_account: self.resource_account.as_deref(),
            resource_group: self.resource_group.as_deref(),
            assume_role: self.assume_role,
        }
    }
}

/// Decides `request` against `policies`: Allow, ExplicitDeny or ImplicitDeny, the stage that
/// denied and the pair that decided. Allocation-free; safe to call from many threads at once.
#[inline]
pub fn decide(policies: &CompiledPolicies, request: &Request) -> Decision {
    authz::decide(&policies.store, &request.as_authz(), &policies.options)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = r#"{"Version":"1","Statement":[
        {"Effect":"Allow","Action":"vpc:*","Resource":"*"},
        {"Effect":"Deny","Action":"vpc:DeleteVpc","Resource":"acs:vpc:*:*:vpc/prod-*"}]}"#;

    #[test]
    fn decides_like_authz() {
        let policies = CompiledPolicies::builder()
            .identity("admin", ADMIN)
            .expect("valid")
            .build();
        let p = Arc::new(Principal::ram_user("111", "alice"));
        let ok = Request::new(p.clone(), "vpc:DescribeVpcs", "*");
        assert_eq!(decide(&policies, &ok).outcome, Outcome::Allow);
        let prod = Request::new(p.clone(), "vpc:DeleteVpc", "acs:vpc:r:111:vpc/prod-1");
        let d = decide(&policies, &prod);
        assert_eq!(
            (d.outcome, d.policy_type),
            (
                Outcome::ExplicitDeny,
                Some(PolicyType::AccountLevelIdentityBasedPolicy)
            )
        );
        // Another account's resource needs a resource policy (§6.8).
        let other = Request::new(p.clone(), "vpc:DescribeVpcs", "acs:vpc:r:222:vpc/v");
        assert_eq!(decide(&policies, &other).outcome, Outcome::ImplicitDeny);
        let with_rp = CompiledPolicies::builder()
            .identity("admin", ADMIN)
            .and_then(|b| {
                b.resource_policy(
                    "rp",
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*","Principal":{"RAM":["111"]}}]}"#,
                )
            })
            .expect("valid")
            .build();
        assert_eq!(decide(&with_rp, &other).outcome, Outcome::Allow);
        // The second resource decides.
        let two = Request::new(p, "vpc:DeleteVpc", "acs:vpc:r:111:vpc/dev")
            .resource("acs:vpc:r:111:vpc/prod-2");
        let d = decide(&policies, &two);
        assert_eq!((d.outcome, d.pair), (Outcome::ExplicitDeny, 1));
        assert_eq!(two.pairs()[d.pair].resource, "acs:vpc:r:111:vpc/prod-2");
    }

    /// README's library example is this module's doc test (so it compiles and runs).
    #[test]
    fn readme_example_is_the_doc_test() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("### Library use: `ramsim::engine`")
            .nth(1)
            .expect("README has the library section");
        let block = section
            .split("```rust\n")
            .nth(1)
            .and_then(|b| b.split("\n```").next())
            .expect("a rust block");
        let doc: Vec<&str> = include_str!("engine.rs")
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| {
                l.strip_prefix("//! ")
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect();
        let start = doc.iter().position(|l| *l == "```").expect("doc example") + 1;
        let end = start + doc[start..].iter().position(|l| *l == "```").expect("end");
        let example: Vec<&str> = doc[start..end]
            .iter()
            .copied()
            .filter(|l| !l.starts_with("# "))
            .collect();
        assert_eq!(block, example.join("\n"));
    }

    #[test]
    fn invalid_documents_are_located() {
        let err = CompiledPolicies::builder()
            .identity(
                "bad.json",
                "{\"Version\":\"1\",\n\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"vpc:*\"}]}",
            )
            .expect_err("no Resource");
        assert!(err.starts_with("bad.json: not a valid"), "{err}");
        assert!(err.contains("bad.json:2:"), "{err}");
    }

    #[test]
    fn control_policies_bind_directory_members_only() {
        let policies = CompiledPolicies::builder()
            .identity("admin", ADMIN)
            .and_then(|b| {
                b.control(
                    "no-vpc-delete",
                    r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:Delete*","Resource":"*"}]}"#,
                )
            })
            .expect("valid")
            .build();
        let outside = Arc::new(Principal::ram_user("111", "alice"));
        let member = Arc::new(Principal::ram_user("111", "alice").in_resource_directory());
        let arn = "acs:vpc:r:111:vpc/dev";
        assert_eq!(
            decide(&policies, &Request::new(outside, "vpc:DeleteVpc", arn)).outcome,
            Outcome::Allow
        );
        let d = decide(
            &policies,
            &Request::new(member.clone(), "vpc:DeleteVpc", arn),
        );
        assert_eq!(
            (d.outcome, d.policy_type),
            (Outcome::ExplicitDeny, Some(PolicyType::ControlPolicy))
        );
        assert_eq!(
            decide(&policies, &Request::new(member, "vpc:DescribeVpcs", arn)).outcome,
            Outcome::Allow
        );
    }
}
