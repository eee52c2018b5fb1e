//! How an API is declared: the static half ([`ApiDecl`]: product, version, RAM action, access
//! level, parameters, ARN templates, injected condition keys, dependent actions, denial,
//! response shape) and, for the network products, the typed half ([`CloudApi`]: decode,
//! pre-RAM checks and concrete ARNs, validate, apply).
//!
//! Each product folder declares its APIs next to the functions that apply them
//! (`src/cloud/vpcpeer/api.rs`, `src/cloud/vpc/api.rs`, `src/iam/declare.rs`); the registry
//! (`cloud::operation` for dispatch, `api::catalog` for listings) is assembled from them and
//! holds no facts of its own.

use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::response::Response;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde_json::Value;
use std::collections::BTreeMap;

/// How an API touches its resources (ActionTrail `eventRW`: create/update/delete are `Write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLevel {
    /// Creates a resource.
    Create,
    /// Modifies a resource.
    Update,
    /// Deletes a resource.
    Delete,
    /// Reads one resource.
    Get,
    /// Lists resources.
    List,
}

impl AccessLevel {
    /// True for Create/Update/Delete.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            AccessLevel::Create | AccessLevel::Update | AccessLevel::Delete
        )
    }
}

/// The type of one request parameter, as Alibaba's API reference gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A string.
    Str,
    /// An integer (sent as a number or a decimal string).
    Int,
    /// A boolean (`true`/`false`, as JSON or text).
    Bool,
    /// A 16-digit account UID.
    Uid,
}

/// One request parameter under its Alibaba name. A repeated list is declared by its items:
/// the name carries `.N` (`VpcId.N`, `Tag.N.Key`, `NextHopList.N.Weight`) and the type is the
/// item's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Alibaba's name: `InstanceId`, `VpcId.N`, `NextHopList.N.NextHopId`.
    pub name: &'static str,
    /// Its type.
    pub ty: ParamType,
    /// True when the API refuses a call without it (`MissingParameter.<Name>`).
    pub required: bool,
}

/// A required parameter.
pub const fn req(name: &'static str, ty: ParamType) -> Param {
    Param {
        name,
        ty,
        required: true,
    }
}

/// An optional parameter.
pub const fn opt(name: &'static str, ty: ParamType) -> Param {
    Param {
        name,
        ty,
        required: false,
    }
}

/// What a RAM denial answers for a product (§9.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denial {
    /// HTTP status.
    pub status: u16,
    /// Error code.
    pub code: &'static str,
    /// Error message.
    pub message: &'static str,
}

/// One cloud product: what every API of it shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// ActionTrail `serviceName` and the aliyun CLI product (`VpcPeer`).
    pub name: &'static str,
    /// API version (`2022-01-01`).
    pub version: &'static str,
    /// RAM service code (`vpc`).
    pub ram_code: &'static str,
    /// Global endpoint (`vpcpeer.aliyuncs.com`).
    pub endpoint: &'static str,
    /// Regional endpoint prefix (`vpc` → `vpc.{region}.aliyuncs.com`) for products whose
    /// events name a regional host; `None` for global products.
    pub regional_endpoint: Option<&'static str>,
    /// The answer to a RAM denial.
    pub denial: Denial,
}

impl Product {
    /// The declaration of API `api` of this product with RAM action `action`: no parameters,
    /// authorized against `*`, no keys, no dependent actions, an empty response — refine it
    /// with the builder methods of [`ApiDecl`].
    pub const fn api(
        &'static self,
        api: &'static str,
        action: &'static str,
        level: AccessLevel,
    ) -> ApiDecl {
        ApiDecl {
            product: self.name,
            version: self.version,
            api,
            action,
            level,
            params: &[],
            resources: &["*"],
            condition_keys: &[],
            dependent: &[],
            denial: self.denial,
            response: &[],
            resource_type: "",
            names: &[],
            names_in_request: false,
        }
    }
}

/// The static declaration of one API: everything listing, simulation, diffing, linting and the
/// gateway's routing need without a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiDecl {
    /// Product (`VpcPeer`, `Vpc`, `Ram`, `ResourceManager`, `Sts`).
    pub product: &'static str,
    /// The product's API version.
    pub version: &'static str,
    /// API name (`CreateVpcPeerConnection`).
    pub api: &'static str,
    /// RAM action (`vpc:CreateVpcPeerConnection`).
    pub action: &'static str,
    /// Access level.
    pub level: AccessLevel,
    /// Request parameters (common POP parameters aside).
    pub params: &'static [Param],
    /// Resource ARN templates: `{region}`, `{account}` and `{Param}` placeholders; `*` alone
    /// means an All-Resource action (authorized against `*`).
    pub resources: &'static [&'static str],
    /// Condition keys the product injects besides the global ones.
    pub condition_keys: &'static [&'static str],
    /// Dependent `(action, resource)` pairs that must also be allowed.
    pub dependent: &'static [(&'static str, &'static str)],
    /// The answer to a RAM denial.
    pub denial: Denial,
    /// Top-level fields of a successful response besides `RequestId`, in order.
    pub response: &'static [&'static str],
    /// The ActionTrail `resourceType` of its events (§10.3: `ACS::VPC::VPC`); empty for an API
    /// that acts on no resource (`GetCallerIdentity`, `DescribeRegions`).
    pub resource_type: &'static str,
    /// Where its events' `resourceName` comes from: the first of these fields present in the
    /// response (writes only: reads record none), else in the request parameters; a field
    /// starting with `/` is a JSON pointer into the response whose list is joined with `,`
    /// (`/InstanceIdSets/InstanceIdSet`). Empty: the event names no resource.
    pub names: &'static [&'static str],
    /// True for a create that acts on a resource its request names (AcceptVpcPeerConnection,
    /// AssumeRole): its events name it even when the call fails. Any other failed create
    /// names no resource (§10.1).
    pub names_in_request: bool,
}

impl ApiDecl {
    /// With these parameters.
    pub const fn params(mut self, params: &'static [Param]) -> Self {
        self.params = params;
        self
    }

    /// Authorized against these ARN templates.
    pub const fn resources(mut self, resources: &'static [&'static str]) -> Self {
        self.resources = resources;
        self
    }

    /// Injecting these condition keys.
    pub const fn condition_keys(mut self, keys: &'static [&'static str]) -> Self {
        self.condition_keys = keys;
        self
    }

    /// Requiring these dependent `(action, resource)` pairs.
    pub const fn dependent(mut self, dependent: &'static [(&'static str, &'static str)]) -> Self {
        self.dependent = dependent;
        self
    }

    /// Answering a RAM denial with `denial` instead of the product's (ALB answers by resource
    /// type, §9.5).
    pub const fn denial(mut self, denial: Denial) -> Self {
        self.denial = denial;
        self
    }

    /// Acting on resources of this ActionTrail type (`ACS::VPC::VPC`).
    pub const fn resource_type(mut self, resource_type: &'static str) -> Self {
        self.resource_type = resource_type;
        self
    }

    /// Naming its events' resource by the first of these fields (see [`ApiDecl::names`]).
    pub const fn names(mut self, fields: &'static [&'static str]) -> Self {
        self.names = fields;
        self
    }

    /// A create naming its events' resource by these request parameters, even when it fails
    /// (see [`ApiDecl::names_in_request`]).
    pub const fn names_in_request(mut self, fields: &'static [&'static str]) -> Self {
        self.names = fields;
        self.names_in_request = true;
        self
    }

    /// Answering with these top-level fields.
    pub const fn response(mut self, fields: &'static [&'static str]) -> Self {
        self.response = fields;
        self
    }

    /// True when the action is authorized against `*` only (§3.3).
    pub fn all_resource(&self) -> bool {
        self.is_all_resource()
    }

    /// [`ApiDecl::all_resource`], usable in constant evaluation.
    pub const fn is_all_resource(&self) -> bool {
        matches!(self.resources, [only] if matches!(only.as_bytes(), b"*"))
    }
}

/// The typed half of a network API: one implementation per operation, in its product folder.
///
/// The gateway's order (§0.4.10): [`CloudApi::decode`] → [`CloudApi::authorize`] (the checks
/// that precede RAM, then the concrete ARNs and injected keys) → RAM → [`CloudApi::plan`]
/// (every rule, against an immutable world) → [`CloudApi::apply`] (cannot fail).
pub trait CloudApi: Sized {
    /// The static declaration.
    const DECL: ApiDecl;
    /// A validated change, ready to apply (a read's is its response).
    type Plan;

    /// Typed parameters from an RPC request (`MissingParameter.<Name>`,
    /// `InvalidParameter.<Name>` on a bad one).
    fn decode(p: &Params<'_>) -> Result<Self, CloudError>;

    /// The request's `RegionId`, when the API has one.
    fn region(&self) -> Option<&str> {
        None
    }

    /// The region an event of a global API is logged under: the caller's side (§10.1).
    fn event_region(&self, _world: &World, _caller_account: &str) -> Option<String> {
        None
    }

    /// `DryRun`, when the API has it.
    fn dry_run(&self) -> bool {
        false
    }

    /// `ClientToken`, when given (§0.4.3).
    fn client_token(&self) -> Option<&str> {
        None
    }

    /// The checks that precede RAM authorization, then the concrete resource ARNs; injected
    /// condition keys go into `keys`.
    ///
    /// The default serves an All-Resource API (declared on `*`, §3.3: the lists): the region
    /// it names must exist, and RAM evaluates `*`. An API declared on ARN templates must say
    /// which ARNs it touches; relying on this default does not compile.
    fn authorize(
        &self,
        world: &World,
        _ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        const {
            assert!(
                Self::DECL.is_all_resource(),
                "an API declared on ARN templates must implement CloudApi::authorize"
            )
        };
        if let Some(region) = self.region() {
            world.known_region(region)?;
        }
        Ok(vec!["*".into()])
    }

    /// Validates every rule against the unchanged world.
    fn plan(
        &self,
        world: &World,
        ctx: &CallContext,
        now: Timestamp,
    ) -> Result<Self::Plan, CloudError>;

    /// Commits a validated plan and returns the response body (without `RequestId`).
    fn apply(world: &mut World, now: Timestamp, plan: Self::Plan) -> Value;

    /// [`CloudApi::apply`] as the gateway runs it: an API whose answer is a whole resource
    /// overrides this to answer with a typed struct, rendered only when read (see
    /// [`crate::cloud::response`]); `apply` then stays its JSON form.
    fn respond(world: &mut World, now: Timestamp, plan: Self::Plan) -> Response {
        Response::Json(Self::apply(world, now, plan))
    }
}

/// The [`CloudApi`] accessors of an operation struct with a `region_id: String` field and,
/// when named, a `dry_run: bool` and a `client_token: Option<String>` field:
/// `region_accessors!()`, `region_accessors!(dry_run)`, `region_accessors!(dry_run, client_token)`.
/// One definition for every product folder (they each used to spell these three methods out).
macro_rules! region_accessors {
    () => {
        fn region(&self) -> Option<&str> {
            Some(&self.region_id)
        }
    };
    (dry_run $(, $rest:ident)*) => {
        fn dry_run(&self) -> bool {
            self.dry_run
        }
        $crate::cloud::declare::region_accessors!($($rest),*);
    };
    (client_token $(, $rest:ident)*) => {
        fn client_token(&self) -> Option<&str> {
            self.client_token.as_deref()
        }
        $crate::cloud::declare::region_accessors!($($rest),*);
    };
}
pub(crate) use region_accessors;
