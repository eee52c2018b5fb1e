//! The gateway: the only door into the world. One request, top to bottom:
//!
//! 1. resolve the caller (user, role session, account root; by name or AccessKeyId);
//! 2. decode the parameters for the operation (unknown action / bad parameter → error);
//! 3. ask the service what the call must be authorized for (RAM action, resource ARNs,
//!    injected condition keys, dependent actions) — the pre-RAM checks happen here;
//! 4. authorize with the policy engine; a denial answers `Forbidden.NoPermission` (or the
//!    product's code) with `AccessDeniedDetail`, and the world is untouched;
//! 5. apply: the service validates everything, then commits (a rule broken → its error code,
//!    world untouched);
//! 6. log exactly one ActionTrail-shaped event, whatever the outcome.

use super::audit::{
    resource_name, AdditionalEventData, AuditEvent, SessionAttributes, SessionContext, UserIdentity,
};
use super::param_map::ParamMap;
use super::request::{ApiRequest, Envelope};
use super::state::SimState;
use super::trail::LookupEvents;
use crate::authz::fast::FxMap;
use crate::authz::Principal;
use crate::authz::{
    decide, explain, ActionResource, Decision, EvalOptions, Explanation, PolicyStore,
};
use crate::cloud::ids::splitmix64 as mix;
use crate::cloud::{Body, CallContext, CloudError, Operation, Response, Timestamp};
use crate::iam::{Caller, IamOperation};
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

pub use super::decision::DEFAULT_SOURCE_IP;

/// The answer to one call.
#[derive(Debug, Clone, Serialize)]
pub struct CallResult {
    /// HTTP status.
    pub http_status: u16,
    /// Response body in Alibaba's shape (always carries `RequestId`); reads as a
    /// `serde_json::Value` (a typed answer is rendered on first read).
    pub body: Body,
    /// The request id.
    pub request_id: String,
    /// The authorization decision, when the call got that far.
    #[serde(skip)]
    pub decision: Option<Decision>,
}

impl CallResult {
    /// True for 2xx answers.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.http_status)
    }

    /// The error code, if the call failed.
    pub fn error_code(&self) -> Option<&str> {
        if self.is_success() {
            None
        } else {
            self.body.get("Code").and_then(Value::as_str)
        }
    }
}

/// Any kind of operation.
enum Op {
    Cloud(Operation),
    Iam(IamOperation),
    /// ActionTrail reads the gateway's own audit trail.
    Trail(LookupEvents),
}

/// What to authorize, unified over services.
struct AuthPlan {
    pairs: Vec<ActionResource>,
    keys: Vec<(String, String)>,
    denial: (u16, Cow<'static, str>, Cow<'static, str>),
    trust: Option<String>,
    resource_account: Option<String>,
    authorize: bool,
}

/// A decoded call with what it must be authorized for.
struct Prepared {
    op: Op,
    product: String,
    region: Option<String>,
    ctx: CallContext,
    plan: AuthPlan,
}

/// Product metadata for events and errors: `(serviceName, apiVersion, host)`, from the
/// product's declaration; a regional product names its regional host when the call has one.
fn product_meta(
    product: &str,
    region: Option<&str>,
) -> (&'static str, &'static str, Cow<'static, str>) {
    // Exact spelling: a product named in another case by the request is not resolved here
    // (the event then names no service, as for an unknown product).
    let Some(p) = super::catalog::PRODUCTS.iter().find(|p| p.name == product) else {
        return ("", "", Cow::Borrowed(""));
    };
    let host = match (p.regional_endpoint, region) {
        (Some(prefix), Some(r)) => Cow::Owned([prefix, ".", r, ".aliyuncs.com"].concat()),
        _ => Cow::Borrowed(p.endpoint),
    };
    (p.name, p.version, host)
}

/// "Did you mean …?" for an API name no product models: the closest modeled API, of the named
/// product first (`aliyun vpcpeer CreateVpcPeerConection`), else of any product.
fn api_suggestion(action: &str, product: Option<&str>) -> Option<String> {
    let apis = |in_product: bool| {
        super::catalog::CATALOG
            .iter()
            .filter(move |e| {
                !in_product || product.is_some_and(|p| e.product.eq_ignore_ascii_case(p))
            })
            .map(|e| e.api)
    };
    // Typos only: sibling APIs (`DescribeVpcPeerConnections` vs `DeleteVpcPeerConnection`)
    // are further apart, and suggesting a destructive sibling would be worse than nothing.
    const MAX_EDITS: usize = 3;
    let found = crate::suggest::closest_within(action, apis(true), MAX_EDITS)
        .or_else(|| crate::suggest::closest_within(action, apis(false), MAX_EDITS))?;
    let entry = super::catalog::by_api(found)?;
    Some(format!(
        "(did you mean \"{found}\", `aliyun {} {found}`?)",
        entry.product.to_ascii_lowercase()
    ))
}

/// `InvalidAction.NotFound` for an API called under a product it does not belong to, saying
/// which product serves it.
fn wrong_product(request: &ApiRequest, named: &str, product: &str) -> CloudError {
    CloudError::not_found(
        "InvalidAction.NotFound",
        format!(
            "Specified api `{}` is not found in product {named}.",
            request.action
        ),
    )
    .with_hint(Some(format!(
        "It is an API of {product}: `aliyun {} {}`.",
        product.to_ascii_lowercase(),
        request.action
    )))
}

/// A deterministic request id in Alibaba's upper-case UUID shape.
fn request_id(seed: u64, n: u64) -> String {
    let a = mix(seed ^ n.wrapping_mul(2));
    let b = mix(seed ^ n.wrapping_mul(2).wrapping_add(1));
    // `{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}`, written by hand: `format!` with five
    // hex arguments was 2.5% of a gateway call.
    let groups: [(u64, usize); 5] = [
        (a >> 32, 8),
        ((a >> 16) & 0xFFFF, 4),
        (0x4000 | (a & 0xFFF), 4),
        (0x8000 | ((b >> 48) & 0x3FFF), 4),
        (b & 0xFFFF_FFFF_FFFF, 12),
    ];
    let mut out = String::with_capacity(36);
    for (i, (value, digits)) in groups.into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        for d in (0..digits).rev() {
            out.push(char::from(
                b"0123456789ABCDEF"[((value >> (4 * d)) & 0xF) as usize],
            ));
        }
    }
    out
}

/// A caller's compiled policy store and principal, with the `policy_generation` it is known
/// valid at and the fingerprint of what the store was built from.
#[derive(Debug, Clone)]
pub struct CompiledEntry {
    generation: u64,
    fingerprint: u64,
    inputs: Arc<(PolicyStore, Principal)>,
}

/// Compiled policy stores and principals per caller.
pub type CompiledStores = HashMap<Caller, CompiledEntry>;

/// The gateway over a simulator state.
pub struct Gateway {
    /// The state calls act on.
    pub state: SimState,
    /// Evaluation options.
    pub options: EvalOptions,
    /// When set, the explanation of every authorized call is collected here (statement and
    /// condition coverage for `ramsim test`).
    pub traces: Option<Vec<Explanation>>,
    /// Compiled policy stores per caller, valid for one identity generation. Fx-hashed: the
    /// lookup runs on every call, and SipHash of the caller's names was 1.5 % of a call; the
    /// keys are the world's own callers, a handful, so hash flooding is no concern.
    cache: FxMap<Caller, CompiledEntry>,
}

impl Gateway {
    /// A gateway over `state`.
    pub fn new(state: SimState) -> Gateway {
        Gateway {
            state,
            options: EvalOptions::default(),
            traces: None,
            cache: FxMap::default(),
        }
    }

    /// The compiled stores of roots and users built at `generation`, to give to a gateway
    /// over another copy of the same starting state ([`Gateway::adopt_compiled`]). Role sessions
    /// are left out: deterministic ids mean two runs can mint the same session key with
    /// different session policies.
    pub fn compiled_at(&self, generation: u64) -> CompiledStores {
        self.cache
            .iter()
            .filter(|(c, e)| e.generation == generation && !matches!(c, Caller::Session { .. }))
            .map(|(c, v)| (c.clone(), v.clone()))
            .collect()
    }

    /// Adopts stores from [`Gateway::compiled_at`] of a gateway that started from an identical
    /// state; entries stay valid until a decision-changing write bumps the generation.
    pub fn adopt_compiled(&mut self, stores: &CompiledStores) {
        for (c, v) in stores {
            self.cache.entry(c.clone()).or_insert_with(|| v.clone());
        }
    }

    /// Forgets every compiled store: the next call of each caller compiles its policies
    /// afresh. Calls answer exactly the same either way (the cache is an optimization, and
    /// the gateway property tests check that by running every sequence both ways).
    pub fn clear_compiled(&mut self) {
        self.cache.clear();
    }

    /// Gives the state back.
    pub fn into_state(self) -> SimState {
        self.state
    }

    /// The caller's compiled policies and principal. After a decision-changing identity
    /// write (a new `policy_generation`) the store is rebuilt only if what it is built from
    /// changed for this caller: most writes concern one principal, and compiling is the
    /// expensive part of a call.
    fn authz_inputs(&mut self, caller: &Caller) -> Arc<(PolicyStore, Principal)> {
        let generation = self.state.iam.policy_generation;
        let (iam, world) = (&self.state.iam, &self.state.world);
        let cached = self.cache.get_mut(caller);
        if let Some(entry) = &cached {
            if entry.generation == generation {
                return Arc::clone(&entry.inputs);
            }
        }
        let fingerprint = iam.store_fingerprint(world, caller);
        let principal = iam.principal(world, caller);
        if let Some(entry) = cached {
            if entry.fingerprint == fingerprint {
                entry.generation = generation;
                if entry.inputs.1 != principal {
                    entry.inputs = Arc::new((entry.inputs.0.clone(), principal));
                }
                return Arc::clone(&entry.inputs);
            }
        }
        let inputs = Arc::new((iam.policy_store(world, caller), principal));
        self.cache.insert(
            caller.clone(),
            CompiledEntry {
                generation,
                fingerprint,
                inputs: Arc::clone(&inputs),
            },
        );
        inputs
    }

    /// Advances the scenario clock to `to` (never backwards), logging platform events.
    pub fn advance_clock(&mut self, to: Timestamp) {
        self.state.world.advance_clock(to);
        self.log_service_events();
    }

    fn log_service_events(&mut self) {
        for e in self.state.world.drain_service_events() {
            let id = self.next_request_id();
            self.state.audit.push(AuditEvent {
                event_id: id.clone(),
                event_version: "1".into(),
                event_category: "Management".into(),
                event_type: "AliyunServiceEvent".into(),
                event_name: e.event_name.clone(),
                event_rw: "Write".into(),
                event_source: "vpcpeer.aliyuncs.com".into(),
                event_time: e.time.to_string(),
                acs_region: String::new(),
                service_name: "VpcPeer".into(),
                api_version: "2022-01-01".into(),
                request_id: id,
                request_parameters: ParamMap::default(),
                response_elements: Some(e.detail.clone()),
                error_code: String::new(),
                error_message: String::new(),
                source_ip_address: String::new(),
                user_agent: "AliyunServiceEvent".into(),
                user_identity: UserIdentity {
                    kind: "system".into(),
                    account_id: e.recipient_account_id.clone(),
                    principal_id: String::new(),
                    user_name: "system".into(),
                    access_key_id: String::new(),
                    session_context: SessionContext::default(),
                },
                recipient_account_id: e.recipient_account_id,
                resource_type: e.resource_type.into(),
                resource_name: e.resource_id,
                access_denied_detail: None,
                additional_event_data: AdditionalEventData::default(),
            });
        }
    }

    fn next_request_id(&mut self) -> String {
        self.state.requests += 1;
        request_id(self.state.seed, self.state.requests)
    }

    /// Authorizes, applies and logs one call. Never panics on bad input; every outcome is
    /// an Alibaba-shaped answer and exactly one audit event.
    pub fn call(&mut self, envelope: &Envelope, request: &ApiRequest) -> CallResult {
        // The clock moves first so that time-driven transitions (expiry) precede the call.
        let env_time = envelope
            .time
            .as_deref()
            .map(|t| Timestamp::parse(t).ok_or(t));
        if let Some(Ok(t)) = env_time {
            if t > self.state.world.now() {
                self.advance_clock(t);
            }
        }
        let request_id = self.next_request_id();
        let now = self.state.world.now();
        let caller = self
            .state
            .iam
            .resolve_caller(&self.state.world, &envelope.caller);
        // Credentials past their expiry are refused before anything else; the event still
        // names the session that presented them.
        let expired = caller
            .as_ref()
            .ok()
            .and_then(|c| self.state.iam.credential_error(c, now.epoch()));
        let access_key = envelope
            .caller
            .starts_with("LTAI")
            .then(|| envelope.caller.clone());
        let mut decision = None;
        let mut denial_detail: Option<Value> = None;
        let (product_name, region, outcome) = match (&caller, env_time, expired) {
            (_, Some(Err(bad)), _) => (
                request.product.clone().unwrap_or_default(),
                None,
                Err(CloudError::bad(
                    "InvalidParameter.Time",
                    format!("The envelope time `{bad}` is not of the form YYYY-MM-DDThh:mm:ssZ."),
                )),
            ),
            (Err(e), _, _) => (
                request.product.clone().unwrap_or_default(),
                None,
                Err(e.clone()),
            ),
            (Ok(_), _, Some(expired)) => (
                request.product.clone().unwrap_or_default(),
                None,
                Err(expired),
            ),
            (Ok(caller), _, None) => self.handle(
                caller,
                envelope,
                request,
                &request_id,
                now,
                access_key.as_deref(),
                &mut decision,
                &mut denial_detail,
            ),
        };
        let (service, version, host) = product_meta(&product_name, region.as_deref());
        // The success body is built once, by moving the service's answer; the audit event
        // takes a copy only for writes (reads carry no responseElements).
        let outcome = outcome.map(|v| match v {
            // Alibaba puts RequestId first; inserting it into the service's own map avoids
            // building and growing a second one.
            Response::Json(Value::Object(mut m)) => {
                m.shift_insert(0, "RequestId".into(), Value::String(request_id.clone()));
                Body::json(Value::Object(m))
            }
            Response::Json(_) => Body::json(json!({ "RequestId": request_id })),
            // A typed answer is rendered (id first) only when read.
            Response::Typed(t) => Body::typed(request_id.clone(), t),
        });
        let event = self.audit_event(
            envelope,
            request,
            &caller,
            &request_id,
            now,
            (service, version, &host),
            region,
            &outcome,
            access_key.as_deref(),
            denial_detail.clone(),
        );
        let (http_status, body) = match outcome {
            Ok(v) => (200, v),
            Err(e) => {
                let mut body = json!({
                    "RequestId": request_id,
                    "HostId": host,
                    "Code": e.code,
                    "Message": e.message,
                    "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}&product={service}", e.code),
                });
                if let (Some(d), Some(obj)) = (denial_detail, body.as_object_mut()) {
                    obj.insert("AccessDeniedDetail".into(), d);
                }
                (e.http_status, Body::json(body))
            }
        };
        self.state.audit.push(event);
        self.log_service_events();
        CallResult {
            http_status,
            body,
            request_id,
            decision,
        }
    }

    /// Steps 2 and 3 of a call: decode the operation, run the service's checks that precede
    /// RAM and say what must be authorized. An `Err` is the call's answer:
    /// `(product, region, error)`.
    fn prepare(
        &self,
        caller: &Caller,
        request: &ApiRequest,
        request_id: &str,
        now: Timestamp,
    ) -> Result<Prepared, (String, Option<String>, CloudError)> {
        // 2. decode (an API named under another product is refused first, whatever its
        // parameters, so the answer says where the API lives)
        if let (Some(named), Some(entry)) =
            (&request.product, super::catalog::by_api(&request.action))
        {
            // A name several products share is wrong only when the named product has none.
            if super::catalog::by_product_api(Some(named), &request.action).is_none() {
                return Err((
                    named.clone(),
                    None,
                    wrong_product(request, named, entry.product),
                ));
            }
        }
        let op = match IamOperation::decode(&request.action, &request.params) {
            None if request.action == "LookupEvents" => match LookupEvents::decode(&request.params)
            {
                Ok(op) => Op::Trail(op),
                Err(e) => return Err((request.product.clone().unwrap_or_default(), None, e)),
            },
            Some(Ok(op)) => Op::Iam(op),
            Some(Err(e)) => return Err((request.product.clone().unwrap_or_default(), None, e)),
            None => match Operation::decode_in(
                request.product.as_deref(),
                &request.action,
                &request.params,
            ) {
                Ok(op) => Op::Cloud(op),
                Err(e) if e.code == "InvalidAction.NotFound" => {
                    let hint = api_suggestion(&request.action, request.product.as_deref());
                    return Err((
                        request.product.clone().unwrap_or_default(),
                        None,
                        e.with_hint(hint),
                    ));
                }
                Err(e) => return Err((request.product.clone().unwrap_or_default(), None, e)),
            },
        };
        let (product, region) = match &op {
            Op::Cloud(o) => (o.product().to_string(), o.region().map(str::to_string)),
            Op::Iam(o) => (o.product().meta().0.to_string(), None),
            Op::Trail(_) => (LookupEvents::DECL.product.to_string(), None),
        };
        if let Some(named) = &request.product {
            if !named.eq_ignore_ascii_case(&product) {
                return Err((
                    named.clone(),
                    region,
                    wrong_product(request, named, &product),
                ));
            }
        }
        let region = region.or_else(|| self.caller_side_region(&op, caller.account()));
        let ctx = CallContext {
            caller_account: caller.account().to_string(),
            time: now,
            request_id: request_id.to_string(),
        };
        // 3. what must be authorized
        let plan = match self.plan(&op, caller, &ctx) {
            Ok(p) => p,
            Err(e) => return Err((product, region, e)),
        };
        Ok(Prepared {
            op,
            product,
            region,
            ctx,
            plan,
        })
    }

    /// What the gateway would authorize `request` for, presented by `envelope` now: the caller
    /// and the query its decision is made on ([`super::decision::with_request`]). `Ok(None)`
    /// for calls RAM never denies; an `Err` is the answer the call would get before any
    /// authorization (unknown caller, expired credentials, bad parameter, a failed pre-RAM
    /// check). Changes nothing.
    pub fn authorization_query(
        &self,
        envelope: &Envelope,
        request: &ApiRequest,
    ) -> Result<Option<(Caller, super::decision::AuthQuery)>, CloudError> {
        let now = self.state.world.now();
        let caller = self
            .state
            .iam
            .resolve_caller(&self.state.world, &envelope.caller)?;
        if let Some(e) = self.state.iam.credential_error(&caller, now.epoch()) {
            return Err(e);
        }
        let prepared = self
            .prepare(&caller, request, "", now)
            .map_err(|(_, _, e)| e)?;
        let plan = prepared.plan;
        Ok(plan.authorize.then_some({
            (
                caller,
                super::decision::AuthQuery {
                    pairs: plan.pairs,
                    keys: plan.keys,
                    trust: plan.trust,
                    resource_account: plan.resource_account,
                },
            )
        }))
    }

    #[allow(clippy::too_many_arguments)]
    fn handle(
        &mut self,
        caller: &Caller,
        envelope: &Envelope,
        request: &ApiRequest,
        request_id: &str,
        now: Timestamp,
        access_key: Option<&str>,
        decision_out: &mut Option<Decision>,
        denial_out: &mut Option<Value>,
    ) -> (String, Option<String>, Result<Response, CloudError>) {
        let Prepared {
            op,
            product,
            region,
            ctx,
            plan,
        } = match self.prepare(caller, request, request_id, now) {
            Ok(p) => p,
            Err((product, region, e)) => return (product, region, Err(e)),
        };
        // 4. authorize
        if plan.authorize {
            let inputs = self.authz_inputs(caller);
            let query = super::decision::AuthQuery {
                pairs: plan.pairs,
                keys: plan.keys,
                trust: plan.trust,
                resource_account: plan.resource_account,
            };
            let presented = super::decision::Presented {
                envelope,
                access_key,
            };
            let (options, traces) = (&self.options, &mut self.traces);
            let d = super::decision::with_request(
                &self.state.world,
                &inputs.0,
                &inputs.1,
                caller,
                presented,
                now,
                &query,
                Some(&request.params),
                |store, req, context| {
                    let d = decide(store, req, options);
                    if traces.is_some() || !d.is_allowed() {
                        let explanation = explain(store, req, options);
                        if !d.is_allowed() {
                            *denial_out = explanation
                                .access_denied_detail(context)
                                .and_then(|x| serde_json::to_value(x).ok());
                        }
                        if let Some(traces) = traces.as_mut() {
                            traces.push(explanation);
                        }
                    }
                    d
                },
            );
            *decision_out = Some(d);
            if !d.is_allowed() {
                let (status, code, message) = plan.denial;
                return (product, region, Err(CloudError::new(code, status, message)));
            }
        }
        // 5. apply
        let result = match &op {
            Op::Cloud(o) => self.state.world.respond(&ctx, o),
            Op::Iam(o) => self
                .state
                .iam
                .execute(&mut self.state.world, caller, now.epoch(), o)
                .map(Response::Json),
            Op::Trail(o) => o
                .run(&self.state.audit, caller.account(), now)
                .map(Response::Json),
        };
        (product, region, result)
    }

    fn plan(&self, op: &Op, caller: &Caller, ctx: &CallContext) -> Result<AuthPlan, CloudError> {
        match op {
            Op::Cloud(o) => {
                // What `World::authorization_request` answers, without copying the static
                // declaration's action, dependent actions and denial into owned strings
                // first: the concrete ARNs move into their pairs.
                let mut keys = std::collections::BTreeMap::new();
                let resources = self
                    .state
                    .world
                    .authorization_resources(ctx, o, &mut keys)?;
                let decl = o.decl();
                let mut pairs = Vec::with_capacity(resources.len() + decl.dependent.len());
                pairs.extend(
                    resources
                        .into_iter()
                        .map(|res| ActionResource::new(decl.action, res)),
                );
                pairs.extend(
                    decl.dependent
                        .iter()
                        .map(|(action, res)| ActionResource::new(*action, *res)),
                );
                Ok(AuthPlan {
                    pairs,
                    keys: keys.into_iter().collect(),
                    denial: (
                        decl.denial.status,
                        Cow::Borrowed(decl.denial.code),
                        Cow::Borrowed(decl.denial.message),
                    ),
                    trust: None,
                    resource_account: None,
                    authorize: true,
                })
            }
            Op::Iam(o) => {
                let r = self
                    .state
                    .iam
                    .authorization_request(&self.state.world, caller, o)?;
                Ok(AuthPlan {
                    pairs: r
                        .resources
                        .iter()
                        .map(|res| ActionResource::new(r.action.as_str(), res.as_str()))
                        .collect(),
                    keys: Vec::new(),
                    denial: {
                        let d = o.product().product().denial;
                        (d.status, Cow::Borrowed(d.code), Cow::Borrowed(d.message))
                    },
                    trust: r.trust.map(|(_, text)| text),
                    resource_account: r.resource_account,
                    authorize: r.authorize,
                })
            }
            Op::Trail(_) => Ok(AuthPlan {
                pairs: vec![ActionResource::new(
                    LookupEvents::DECL.action,
                    LookupEvents::DECL.resources[0],
                )],
                keys: Vec::new(),
                denial: (
                    LookupEvents::DECL.denial.status,
                    Cow::Borrowed(LookupEvents::DECL.denial.code),
                    Cow::Borrowed(LookupEvents::DECL.denial.message),
                ),
                trust: None,
                resource_account: None,
                authorize: true,
            }),
        }
    }

    /// For global VpcPeer APIs the event region is the caller side's region (§10.1).
    fn caller_side_region(&self, op: &Op, account: &str) -> Option<String> {
        let o = match op {
            Op::Cloud(o) => o,
            Op::Iam(_) | Op::Trail(_) => return Some("cn-hangzhou".into()),
        };
        o.event_region(&self.state.world, account)
    }

    #[allow(clippy::too_many_arguments)]
    fn audit_event(
        &self,
        envelope: &Envelope,
        request: &ApiRequest,
        caller: &Result<Caller, CloudError>,
        request_id: &str,
        now: Timestamp,
        (service, version, host): (&'static str, &'static str, &Cow<'static, str>),
        region: Option<String>,
        outcome: &Result<Body, CloudError>,
        access_key: Option<&str>,
        denial_detail: Option<Value>,
    ) -> AuditEvent {
        let iam = &self.state.iam;
        let now_text = now.text();
        let session_context = SessionContext {
            attributes: Some(SessionAttributes {
                mfa_authenticated: if envelope.mfa.unwrap_or(false) {
                    "true"
                } else {
                    "false"
                }
                .into(),
                creation_date: now_text.clone(),
            }),
        };
        let user_identity = match caller {
            Ok(Caller::Root { account }) => UserIdentity {
                kind: "root-account".into(),
                account_id: account.clone(),
                principal_id: account.clone(),
                user_name: "root".into(),
                access_key_id: access_key.unwrap_or_default().into(),
                session_context,
            },
            Ok(Caller::User { account, name }) => {
                let user = iam.accounts.get(account).and_then(|a| a.users.get(name));
                UserIdentity {
                    kind: "ram-user".into(),
                    account_id: account.clone(),
                    principal_id: user.map(|u| u.id.clone()).unwrap_or_default(),
                    user_name: name.clone(),
                    access_key_id: access_key
                        .map(str::to_string)
                        .or_else(|| {
                            user.and_then(|u| u.access_keys.first())
                                .map(|k| k.id.clone())
                        })
                        .unwrap_or_default(),
                    session_context,
                }
            }
            Ok(Caller::Session {
                account,
                role,
                session,
                access_key_id,
            }) => {
                let role_id = iam
                    .accounts
                    .get(account)
                    .and_then(|a| a.roles.get(role))
                    .map(|r| r.id.clone())
                    .unwrap_or_default();
                UserIdentity {
                    kind: "assumed-role".into(),
                    account_id: account.clone(),
                    principal_id: [role_id.as_str(), ":", session].concat(),
                    user_name: [role, ":", session].concat(),
                    access_key_id: access_key_id.clone(),
                    session_context,
                }
            }
            Err(_) => UserIdentity {
                kind: "unknown".into(),
                account_id: String::new(),
                principal_id: String::new(),
                user_name: envelope.caller.clone(),
                access_key_id: access_key.unwrap_or_default().into(),
                session_context,
            },
        };
        let mut params = super::audit_cap::capped_params(&request.params, 5);
        params.insert_static("AcsHost", Value::String(host.to_string()));
        params.insert_static("AcsProduct", Value::String(service.into()));
        params.insert_static("RequestId", Value::String(request_id.into()));
        params.insert_static("HostId", Value::String(host.to_string()));
        if let Some(r) = &region {
            params.insert_if_absent("RegionId", || Value::String(r.clone()));
        }
        let entry = super::catalog::by_product_api(request.product.as_deref(), &request.action)
            .or_else(|| super::catalog::by_api(&request.action));
        let write = entry.is_none_or(|e| e.level.is_write());
        // The event's type, as the service's own entry declares it (none for an unknown API).
        let event_resource_type = match entry {
            Some(e) if e.product.eq_ignore_ascii_case(service) => e.resource_type,
            _ => "",
        };
        let (error_code, error_message, response) = match outcome {
            Ok(body) => (
                String::new(),
                String::new(),
                write.then(|| (**body).clone()),
            ),
            Err(e) => (e.code.clone(), e.message.clone(), None),
        };
        let resource_name = resource_name(entry, &request.params, response.as_ref());
        let recipient = match (caller, &request.params.get("RoleArn")) {
            (Ok(_), Some(Value::String(arn))) => arn
                .strip_prefix("acs:ram::")
                .and_then(|r| r.split(':').next())
                .unwrap_or_default()
                .to_string(),
            (Ok(c), _) => c.account().to_string(),
            (Err(_), _) => String::new(),
        };
        let mut event = AuditEvent {
            event_id: request_id.into(),
            event_version: "1".into(),
            event_category: "Management".into(),
            event_type: "ApiCall".into(),
            event_name: request.action.clone(),
            event_rw: if write { "Write" } else { "Read" }.into(),
            event_source: host.clone(),
            event_time: now_text,
            acs_region: region.unwrap_or_default(),
            service_name: service.into(),
            api_version: version.into(),
            request_id: request_id.into(),
            request_parameters: params,
            response_elements: response,
            error_code,
            error_message,
            source_ip_address: envelope
                .source_ip
                .clone()
                .unwrap_or_else(|| DEFAULT_SOURCE_IP.into()),
            user_agent: envelope
                .user_agent
                .clone()
                .map_or(Cow::Borrowed("ramsim/0.1"), Cow::Owned),
            user_identity,
            recipient_account_id: recipient,
            resource_type: event_resource_type.into(),
            resource_name,
            access_denied_detail: denial_detail,
            additional_event_data: AdditionalEventData {
                scheme: Some(
                    if envelope.secure_transport.unwrap_or(true) {
                        "https"
                    } else {
                        "http"
                    }
                    .into(),
                ),
            },
        };
        event.cap_sizes();
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_deterministic_uuid_shaped() {
        let a = request_id(0, 1);
        assert_eq!(a, request_id(0, 1));
        assert_ne!(a, request_id(0, 2));
        assert_ne!(a, request_id(1, 1));
        assert_eq!(a.len(), 36);
        assert_eq!(a.chars().filter(|c| *c == '-').count(), 4);
        assert_eq!(&a[14..15], "4");
        // The hand-written formatter matches the reference format string.
        for (seed, n) in [(0, 1), (7, 99), (u64::MAX, u64::MAX), (12345, 0)] {
            let a = mix(seed ^ n.wrapping_mul(2));
            let b = mix(seed ^ n.wrapping_mul(2).wrapping_add(1));
            let expected = format!(
                "{:08X}-{:04X}-4{:03X}-{:04X}-{:012X}",
                a >> 32,
                (a >> 16) & 0xFFFF,
                a & 0xFFF,
                0x8000 | ((b >> 48) & 0x3FFF),
                b & 0xFFFF_FFFF_FFFF
            );
            assert_eq!(request_id(seed, n), expected);
        }
    }
}
