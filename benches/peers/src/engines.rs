//! The engines under comparison, each behind [`Engine`]: loaded from the same statements,
//! given the same requests (converted once into the engine's own request form, outside the
//! timed region), answering Allow / Deny / ImplicitDeny.

use crate::ram_workload::{
    Catalogue, CondOp, Condition, Decision, Effect, Indexed, IndexedRequest, Naive, NaiveRequest,
    Request, Statement, KEY_IP, OUR_ACCOUNT,
};
use std::collections::{BTreeSet, HashSet};
use std::str::FromStr;

/// One engine with its prepared requests.
pub trait Engine {
    /// Converts `reqs` into the engine's request form (replacing earlier ones).
    fn prepare(&mut self, reqs: &[Request]);
    /// Decides prepared request `i`.
    fn decide(&mut self, i: usize) -> Decision;
    /// A trace for a disagreement report.
    fn explain(&mut self, _i: usize) -> String {
        String::new()
    }
}

// ---------------------------------------------------------------------------------------------
// ramsim through its public library API.

/// ramsim: the documents read and validated by `read_policy`, compiled into the account-scope
/// identity set of a `PolicyStore` (what `ramsim eval --identity F…` builds), decided by
/// `ramsim::authz::decide` for a RAM user of the policy account.
pub struct Ramsim {
    store: ramsim::authz::PolicyStore,
    principal: ramsim::authz::Principal,
    options: ramsim::authz::EvalOptions,
    reqs: Vec<(ramsim::authz::ActionResource, ramsim::authz::RequestContext)>,
}

impl Ramsim {
    /// Reads, validates and compiles `docs`.
    pub fn load(docs: &[String]) -> Result<Ramsim, String> {
        use ramsim::authz::{PolicySet, PolicySource, PolicyStore, Principal, PrincipalKind};
        use ramsim::policy::{read_policy, PolicyKind, ReadOptions};
        let mut set = PolicySet::new();
        for (i, d) in docs.iter().enumerate() {
            let r = read_policy(d, PolicyKind::Identity, &ReadOptions::default());
            let p = r
                .policy
                .ok_or_else(|| format!("ramsim rejected document {i}: {:?}", r.diagnostics))?;
            set.add(&p, PolicySource::custom(&format!("p{i}")), Some(d));
        }
        Ok(Ramsim {
            store: PolicyStore {
                identity: set,
                ..PolicyStore::default()
            },
            principal: Principal::new(PrincipalKind::RamUser, OUR_ACCOUNT, "user"),
            options: ramsim::authz::EvalOptions::default(),
            reqs: Vec::new(),
        })
    }

    fn request<'a>(&'a self, i: usize) -> ramsim::authz::Request<'a> {
        let (pair, ctx) = &self.reqs[i];
        ramsim::authz::Request {
            principal: &self.principal,
            pairs: std::slice::from_ref(pair),
            context: ctx,
            resource_account: None,
            resource_group: None,
            assume_role: false,
        }
    }
}

impl Engine for Ramsim {
    fn prepare(&mut self, reqs: &[Request]) {
        self.reqs = reqs
            .iter()
            .map(|r| {
                let mut ctx = ramsim::authz::RequestContext::with_capacity(r.context.len());
                for (k, v) in &r.context {
                    ctx.insert(k, v.as_str());
                }
                (
                    ramsim::authz::ActionResource::new(r.action.as_str(), r.resource.as_str()),
                    ctx,
                )
            })
            .collect();
    }
    #[inline]
    fn decide(&mut self, i: usize) -> Decision {
        use ramsim::authz::Outcome;
        match ramsim::authz::decide(&self.store, &self.request(i), &self.options).outcome {
            Outcome::Allow => Decision::Allow,
            Outcome::ExplicitDeny => Decision::Deny,
            Outcome::ImplicitDeny => Decision::ImplicitDeny,
        }
    }
    fn explain(&mut self, i: usize) -> String {
        ramsim::authz::explain(&self.store, &self.request(i), &self.options).render_human()
    }
}

// ---------------------------------------------------------------------------------------------
// The two plain Rust evaluators.

/// The naive evaluator.
pub struct NaiveE(pub Naive, pub Vec<NaiveRequest>);

impl Engine for NaiveE {
    fn prepare(&mut self, reqs: &[Request]) {
        self.1 = reqs.iter().map(Naive::prepare).collect();
    }
    #[inline]
    fn decide(&mut self, i: usize) -> Decision {
        self.0.decide(&self.1[i])
    }
}

/// The simple indexed evaluator.
pub struct IndexedE(pub Indexed, pub Vec<IndexedRequest>);

impl Engine for IndexedE {
    fn prepare(&mut self, reqs: &[Request]) {
        self.1 = reqs.iter().map(|r| self.0.prepare(r)).collect();
    }
    #[inline]
    fn decide(&mut self, i: usize) -> Decision {
        self.0.decide(&self.1[i])
    }
}

// ---------------------------------------------------------------------------------------------
// Cedar.

/// A Cedar string literal.
fn lit(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

fn glob_test(expr: &str, pattern: &str) -> Result<String, String> {
    if pattern.contains('?') {
        // `like` has no one-character wildcard; the workload keeps `?` to action patterns
        return Err(format!("Cedar `like` cannot express `?` in {pattern}"));
    }
    Ok(if pattern.contains('*') {
        format!("{expr} like {}", lit(pattern))
    } else {
        format!("{expr} == {}", lit(pattern))
    })
}

fn any_of(parts: Vec<String>) -> String {
    if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        format!("({})", parts.join(" || "))
    }
}

fn cedar_condition(c: &Condition) -> Result<String, String> {
    let has = format!("context has {}", lit(&c.key));
    let get = format!("context[{}]", lit(&c.key));
    // Guarded with `has`: in Cedar an erroring policy is skipped, and a skipped `forbid` would not deny.
    Ok(match c.op {
        CondOp::StringEquals => format!(
            "({has} && {})",
            any_of(
                c.values
                    .iter()
                    .map(|v| format!("{get} == {}", lit(v)))
                    .collect()
            )
        ),
        CondOp::StringLike => format!(
            "({has} && {})",
            any_of(
                c.values
                    .iter()
                    .map(|v| glob_test(&get, v))
                    .collect::<Result<_, _>>()?
            )
        ),
        CondOp::StringNotLike => format!(
            "(!({has}) || !({}))",
            any_of(
                c.values
                    .iter()
                    .map(|v| glob_test(&get, v))
                    .collect::<Result<_, _>>()?
            )
        ),
        CondOp::IpAddress => format!(
            "({has} && {})",
            any_of(
                c.values
                    .iter()
                    .map(|v| format!("{get}.isInRange(ip({}))", lit(v)))
                    .collect()
            )
        ),
    })
}

/// The set as Cedar source: Allow → `permit`, Deny → `forbid`; a wildcard action pattern
/// becomes an action group `Action::"pat:<pattern>"` whose members (the catalogue actions it
/// matches, computed here, so `?` is exact) are listed as the actions' parents; resource
/// patterns test `context.arn`; conditions test the context.
pub struct CedarSource {
    /// Policy text.
    pub text: String,
    /// Catalogue action → its groups.
    pub parents: Vec<(String, Vec<String>)>,
    /// Every group.
    pub groups: Vec<String>,
}

/// Translates `stmts` over the action catalogue.
pub fn to_cedar(stmts: &[Statement], cat: &Catalogue) -> Result<CedarSource, String> {
    use crate::ram_workload::wildcard_match;
    let mut text = String::new();
    let mut groups = BTreeSet::new();
    for s in stmts {
        let mut when = Vec::new();
        let scope = if s.actions.iter().any(|a| a == "*") {
            "action".to_string()
        } else {
            let ids: Vec<String> = s
                .actions
                .iter()
                .map(|a| {
                    if a.contains(['*', '?']) {
                        groups.insert(a.clone());
                        format!("Action::{}", lit(&format!("pat:{a}")))
                    } else {
                        format!("Action::{}", lit(a))
                    }
                })
                .collect();
            format!("action in [{}]", ids.join(", "))
        };
        if !s.resources.iter().any(|r| r == "*") {
            when.push(any_of(
                s.resources
                    .iter()
                    .map(|r| glob_test("context.arn", r))
                    .collect::<Result<_, _>>()?,
            ));
        }
        for c in &s.conditions {
            when.push(cedar_condition(c)?);
        }
        let effect = match s.effect {
            Effect::Allow => "permit",
            Effect::Deny => "forbid",
        };
        text.push_str(&format!("{effect} (principal, {scope}, resource)"));
        if !when.is_empty() {
            text.push_str(&format!(" when {{ {} }}", when.join(" && ")));
        }
        text.push_str(";\n");
    }
    let parents = cat
        .actions
        .iter()
        .map(|a| {
            let ps = groups
                .iter()
                .filter(|g| wildcard_match(g.as_bytes(), a.as_bytes()))
                .map(|g| format!("pat:{g}"))
                .collect();
            (a.clone(), ps)
        })
        .collect();
    Ok(CedarSource {
        text,
        parents,
        groups: groups.into_iter().map(|g| format!("pat:{g}")).collect(),
    })
}

fn action_uid(id: &str) -> Result<cedar_policy::EntityUid, String> {
    cedar_policy::EntityUid::from_str(&format!("Action::{}", lit(id))).map_err(|e| e.to_string())
}

/// Cedar 4 (`cedar-policy`): policies parsed from text, the action hierarchy as entities.
pub struct Cedar {
    policies: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
    authorizer: cedar_policy::Authorizer,
    principal: cedar_policy::EntityUid,
    reqs: Vec<cedar_policy::Request>,
}

impl Cedar {
    /// Parses the source and builds the entities.
    pub fn load(src: &CedarSource) -> Result<Cedar, String> {
        use cedar_policy::Entity;
        let policies = cedar_policy::PolicySet::from_str(&src.text)
            .map_err(|e| format!("cedar parse: {e}"))?;
        let mut ents = Vec::new();
        for g in &src.groups {
            ents.push(Entity::new_no_attrs(action_uid(g)?, HashSet::new()));
        }
        for (a, ps) in &src.parents {
            let parents = ps
                .iter()
                .map(|p| action_uid(p))
                .collect::<Result<HashSet<_>, _>>()?;
            ents.push(Entity::new_no_attrs(action_uid(a)?, parents));
        }
        let entities =
            cedar_policy::Entities::from_entities(ents, None).map_err(|e| e.to_string())?;
        Ok(Cedar {
            policies,
            entities,
            authorizer: cedar_policy::Authorizer::new(),
            principal: cedar_policy::EntityUid::from_str(r#"User::"user""#)
                .map_err(|e| e.to_string())?,
            reqs: Vec::new(),
        })
    }

    fn request(&self, r: &Request) -> Result<cedar_policy::Request, String> {
        use cedar_policy::RestrictedExpression as E;
        let mut pairs = vec![("arn".to_string(), E::new_string(r.resource.clone()))];
        for (k, v) in &r.context {
            pairs.push((
                k.clone(),
                if k == KEY_IP {
                    E::new_ip(v)
                } else {
                    E::new_string(v.clone())
                },
            ));
        }
        let ctx = cedar_policy::Context::from_pairs(pairs).map_err(|e| e.to_string())?;
        let resource =
            cedar_policy::EntityUid::from_str(&format!("Resource::{}", lit(&r.resource)))
                .map_err(|e| e.to_string())?;
        cedar_policy::Request::new(
            self.principal.clone(),
            action_uid(&r.action)?,
            resource,
            ctx,
            None,
        )
        .map_err(|e| e.to_string())
    }
}

impl Engine for Cedar {
    fn prepare(&mut self, reqs: &[Request]) {
        let built: Result<Vec<_>, String> = reqs.iter().map(|r| self.request(r)).collect();
        self.reqs = built.unwrap_or_else(|e| panic!("Cedar request: {e}"));
    }
    #[inline]
    fn decide(&mut self, i: usize) -> Decision {
        let resp = self
            .authorizer
            .is_authorized(&self.reqs[i], &self.policies, &self.entities);
        match resp.decision() {
            cedar_policy::Decision::Allow => Decision::Allow,
            // a satisfied `forbid` is the reason of a Deny; no reason is an implicit deny
            cedar_policy::Decision::Deny if resp.diagnostics().reason().next().is_some() => {
                Decision::Deny
            }
            cedar_policy::Decision::Deny => Decision::ImplicitDeny,
        }
    }
    fn explain(&mut self, i: usize) -> String {
        let resp = self
            .authorizer
            .is_authorized(&self.reqs[i], &self.policies, &self.entities);
        let errors: Vec<String> = resp.diagnostics().errors().map(|e| e.to_string()).collect();
        format!(
            "reasons {:?}, errors {errors:?}",
            resp.diagnostics().reason().collect::<Vec<_>>()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// regorus (Rego).

/// The policy: data-driven, one rule set for any statement list in `data.stmts`.
pub const REGO_POLICY: &str = r#"
package ram
import rego.v1

default decision := "ImplicitDeny"
decision := "Deny" if deny
decision := "Allow" if {
	not deny
	allow
}

deny if {
	some s in data.stmts
	s.deny
	applies(s)
}

allow if {
	some s in data.stmts
	not s.deny
	applies(s)
}

applies(s) if {
	some a in s.actions
	regex.match(a, input.action)
	some r in s.resources
	regex.match(r, input.resource)
	every c in s.conds {
		cond_ok(c)
	}
}

cond_ok(c) if {
	c.op == "StringEquals"
	input.ctx[c.key] in c.values
}

cond_ok(c) if {
	c.op == "StringLike"
	like_any(c.values, input.ctx[c.key])
}

# an absent key makes `like_any` undefined, so `not` holds: StringNotLike is true
cond_ok(c) if {
	c.op == "StringNotLike"
	not like_any(c.values, input.ctx[c.key])
}

cond_ok(c) if {
	c.op == "IpAddress"
	some n in c.values
	net.cidr_contains(n, input.ctx[c.key])
}

like_any(ps, v) if {
	some p in ps
	regex.match(p, v)
}
"#;

/// A wildcard pattern as an anchored regular expression.
fn glob_regex(p: &str) -> String {
    let mut out = String::from("^");
    for c in p.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if "\\.+()|[]{}^$#&-~".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

/// `data.stmts` for [`REGO_POLICY`] (glob patterns as regular expressions).
pub fn to_rego_data(stmts: &[Statement]) -> String {
    use serde_json::json;
    let list: Vec<serde_json::Value> = stmts
        .iter()
        .map(|s| {
            let conds: Vec<serde_json::Value> = s
                .conditions
                .iter()
                .map(|c| {
                    let values: Vec<String> = match c.op {
                        CondOp::StringLike | CondOp::StringNotLike => {
                            c.values.iter().map(|v| glob_regex(v)).collect()
                        }
                        _ => c.values.clone(),
                    };
                    json!({"op": c.op.name(), "key": c.key, "values": values})
                })
                .collect();
            json!({
                "deny": s.effect == Effect::Deny,
                "actions": s.actions.iter().map(|a| glob_regex(a)).collect::<Vec<_>>(),
                "resources": s.resources.iter().map(|r| glob_regex(r)).collect::<Vec<_>>(),
                "conds": conds,
            })
        })
        .collect();
    json!({ "stmts": list }).to_string()
}

/// regorus: the interpreter with [`REGO_POLICY`] and the statements as data.
pub struct Rego {
    engine: regorus::Engine,
    reqs: Vec<regorus::Value>,
}

impl Rego {
    /// Loads the policy and the data.
    pub fn load(data_json: &str) -> Result<Rego, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("ram.rego".into(), REGO_POLICY.into())
            .map_err(|e| e.to_string())?;
        engine
            .add_data(regorus::Value::from_json_str(data_json).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        Ok(Rego {
            engine,
            reqs: Vec::new(),
        })
    }
}

impl Engine for Rego {
    fn prepare(&mut self, reqs: &[Request]) {
        self.reqs = reqs
            .iter()
            .map(|r| {
                let ctx: serde_json::Map<String, serde_json::Value> = r
                    .context
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into()))
                    .collect();
                let input =
                    serde_json::json!({"action": r.action, "resource": r.resource, "ctx": ctx});
                regorus::Value::from_json_str(&input.to_string())
                    .unwrap_or_else(|e| panic!("rego input: {e}"))
            })
            .collect();
    }
    fn decide(&mut self, i: usize) -> Decision {
        self.engine.set_input(self.reqs[i].clone());
        match self.engine.eval_rule("data.ram.decision".into()) {
            Ok(v) => match v.as_string().map(|s| s.to_string()).as_deref() {
                Ok("Allow") => Decision::Allow,
                Ok("Deny") => Decision::Deny,
                Ok("ImplicitDeny") => Decision::ImplicitDeny,
                other => panic!("regorus answered {other:?}"),
            },
            Err(e) => panic!("regorus: {e}"),
        }
    }
}
