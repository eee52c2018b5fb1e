//! The NIS reachability APIs (`network-model.md` §8.1), each declared once: typed parameters
//! under Alibaba's names, RAM action and ARNs, response shape, and the plan/apply split.
//!
//! RAM (Alibaba's API pages): `nis:CreateNetworkPath` on `acs:nis:*:{account}:networkpath/*`;
//! `nis:CreateNetworkReachableAnalysis` on `acs:nis:*:{account}:networkreachableanalysis/*`
//! (the resource part ASSUMED from its documented type); Get/DeleteNetworkReachableAnalysis
//! on `acs:nis:*:{account}:networkreachableanalysis/{id}`; DeleteNetworkPath on
//! `acs:nis:*:{account}:networkpath/{id}` (ASSUMED by analogy); CreateAndAnalyzeNetworkPath
//! on `*`. NIS resources are not regional: their ARNs carry `*` as the region, as Alibaba
//! documents them, so a policy must name the region `*` to match.
//!
//! `RegionId` is optional (NIS has one endpoint); when absent, the call is logged in
//! `cn-hangzhou` (ASSUMED). A caller whose account has not activated NIS (`nis_opened` false
//! in the world file) gets 403 `Forbidden.NetworkPath` after authorization.

use super::{
    analyse, Analysed, Analysis, AnalysisStatus, NetworkPath, PathParameter,
    MAX_ANALYSES_PER_ACCOUNT, MAX_PATHS_PER_ACCOUNT, PRODUCT,
};
use crate::cloud::declare::region_accessors;
use crate::cloud::declare::ParamType::{Int, Str};
use crate::cloud::declare::{opt, req, AccessLevel::*, ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Region a call without `RegionId` is logged in (ASSUMED: NIS's home region).
const DEFAULT_REGION: &str = "cn-hangzhou";

fn path_arn(account: &str, id: &str) -> String {
    format!("acs:nis:*:{account}:networkpath/{id}")
}

fn analysis_arn(account: &str, id: &str) -> String {
    format!("acs:nis:*:{account}:networkreachableanalysis/{id}")
}

/// `RegionId` (optional): a known region when given.
fn region_of(p: &Params<'_>) -> Result<String, CloudError> {
    Ok(p.opt_str("RegionId")?
        .unwrap_or_else(|| DEFAULT_REGION.to_string()))
}

/// An address parameter (`IllegalParam.SourceIp` / `IllegalParam.TargetIp` when malformed).
fn opt_ip(p: &Params<'_>, name: &'static str, code: &str) -> Result<Option<Ipv4Addr>, CloudError> {
    match p.opt_str(name)? {
        None => Ok(None),
        Some(s) => s.trim().parse().map(Some).map_err(|_| {
            CloudError::bad(code, format!("The {name} `{s}` is not an IPv4 address."))
        }),
    }
}

/// A port parameter (`IllegalParam.SourcePort` / `IllegalParam.TargetPort` outside 1–65535).
fn opt_port(p: &Params<'_>, name: &'static str, code: &str) -> Result<Option<u16>, CloudError> {
    match p.opt_i64(name)? {
        None => Ok(None),
        Some(n) if (1..=65535).contains(&n) => Ok(Some(n as u16)),
        Some(n) => Err(CloudError::bad(
            code,
            format!("The {name} `{n}` is not within 1-65535."),
        )),
    }
}

/// The probe parameters shared by CreateNetworkPath and CreateAndAnalyzeNetworkPath.
fn decode_parameter(p: &Params<'_>) -> Result<PathParameter, CloudError> {
    // Required parameters first: a missing one is reported before a malformed optional one.
    let (source_id, source_type) = (p.req_str("SourceId")?, p.req_str("SourceType")?);
    let (target_id, target_type) = (p.req_str("TargetId")?, p.req_str("TargetType")?);
    let protocol = p.req_str("Protocol")?;
    let parameter = PathParameter {
        source_id,
        source_type,
        source_ip: opt_ip(p, "SourceIpAddress", "IllegalParam.SourceIp")?,
        source_port: opt_port(p, "SourcePort", "IllegalParam.SourcePort")?,
        target_id,
        target_type,
        target_ip: opt_ip(p, "TargetIpAddress", "IllegalParam.TargetIp")?,
        target_port: opt_port(p, "TargetPort", "IllegalParam.TargetPort")?,
        protocol,
    };
    parameter.check_shape()?;
    Ok(parameter)
}

/// The probe parameters every path API declares.
macro_rules! probe_params {
    ($($extra:expr),* $(,)?) => {
        &[
            opt("RegionId", Str),
            req("SourceId", Str),
            req("SourceType", Str),
            opt("SourceIpAddress", Str),
            opt("SourcePort", Int),
            req("TargetId", Str),
            req("TargetType", Str),
            opt("TargetIpAddress", Str),
            opt("TargetPort", Int),
            req("Protocol", Str),
            $($extra,)*
        ]
    };
}

/// A known region, and the caller's account must have activated NIS (403 `Forbidden.NetworkPath`).
fn nis_opened(w: &World, ctx: &CallContext, region_id: &str) -> Result<(), CloudError> {
    w.known_region(region_id)?;
    if w.caller_account(ctx)?.nis_opened {
        Ok(())
    } else {
        Err(CloudError::new(
            "Forbidden.NetworkPath",
            403,
            "Network Intelligence Service is not activated for this account.",
        ))
    }
}

/// Ends that must exist now: a modelled path is resolved by the analyzer (its parameter
/// errors, e.g. `IllegalParam.SourceId` for an instance that does not exist); an unmodelled
/// source or target type is accepted and its analysis ends in `error`.
/// The analysis is kept: in Immediate mode it is the one the call records.
fn check_ends(w: &World, parameter: &PathParameter) -> Result<Analysed, CloudError> {
    let analysed = analyse(w, parameter);
    match analysed.parameter_error() {
        Some(e) => Err(e),
        None => Ok(analysed),
    }
}

/// An analysis of `uid` (`ResourceNotFound.NetworkReachableAnalysis`, 404).
fn analysis<'w>(w: &'w World, uid: &str, id: &str) -> Result<&'w Analysis, CloudError> {
    w.nis
        .analyses
        .get(id)
        .filter(|a| a.owner_uid == uid)
        .ok_or_else(|| {
            CloudError::not_found(
                "ResourceNotFound.NetworkReachableAnalysis",
                format!("The analysis `{id}` does not exist."),
            )
        })
}

/// A path of `uid` (`ResourceNotFound.NetworkPath`, 404).
fn path<'w>(w: &'w World, uid: &str, id: &str) -> Result<&'w NetworkPath, CloudError> {
    w.nis
        .paths
        .get(id)
        .filter(|p| p.owner_uid == uid)
        .ok_or_else(|| {
            CloudError::not_found(
                "ResourceNotFound.NetworkPath",
                format!("The network path `{id}` does not exist."),
            )
        })
}

/// A required list of at most 100 ids (`Name.N` or a JSON array, how the SDKs send it),
/// sorted and without repeats.
fn id_list(p: &Params<'_>, name: &'static str) -> Result<Vec<String>, CloudError> {
    let mut ids = p
        .id_list(name, 100)?
        .ok_or_else(|| CloudError::missing(name))?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Everything an analysis needs to be created.
#[derive(Debug, Clone)]
pub struct NewAnalysis {
    owner_uid: String,
    region_id: String,
    request_id: String,
    network_path_id: Option<String>,
    parameter: PathParameter,
    when: When,
}

/// When a new analysis is analysed.
#[derive(Debug, Clone)]
enum When {
    /// Immediate mode: analysed in the plan, on the world the call saw.
    Now(Analysed),
    /// Stepped mode: at this time, on the world of that moment.
    Later(Timestamp),
}

/// Creates the analysis (Immediate mode: analysed on the world as it is) and returns its id.
fn apply_new_analysis(w: &mut World, now: Timestamp, n: NewAnalysis) -> String {
    if n.network_path_id.is_none() {
        if let Some(old) = w.nis.unrecorded_to_drop(&n.owner_uid) {
            w.nis.analyses.remove(&old);
        }
    }
    let id = w.new_id("nra", &n.region_id);
    let (status, reachable, result, due) = match &n.when {
        When::Later(at) => (AnalysisStatus::Init, false, Value::Null, Some(*at)),
        When::Now(analysed) => {
            let o = analysed.outcome(&id, &n.request_id);
            (o.status, o.reachable, o.result, None)
        }
    };
    w.nis.analyses.insert(
        id.clone(),
        Analysis {
            analysis_id: id.clone(),
            network_path_id: n.network_path_id,
            owner_uid: n.owner_uid,
            region_id: n.region_id,
            create_time: now,
            seq: w.nis.created,
            request_id: n.request_id,
            parameter: n.parameter,
            status,
            due,
            reachable,
            result,
        },
    );
    w.nis.created += 1;
    if due.is_some() {
        w.note_scheduled(now);
    }
    id
}

fn new_analysis(
    w: &World,
    ctx: &CallContext,
    now: Timestamp,
    region_id: &str,
    network_path_id: Option<String>,
    parameter: PathParameter,
    analysed: Option<Analysed>,
) -> NewAnalysis {
    let when = if w.stepped() {
        When::Later(w.settle_at(now))
    } else {
        When::Now(analysed.unwrap_or_else(|| analyse(w, &parameter)))
    };
    NewAnalysis {
        owner_uid: ctx.caller_account.clone(),
        region_id: region_id.to_string(),
        request_id: ctx.request_id.clone(),
        network_path_id,
        parameter,
        when,
    }
}

// ---- CreateNetworkPath ---------------------------------------------------------------------

/// CreateNetworkPath: stores a probe for repeated analysis (≤ 100 per account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNetworkPath {
    /// `RegionId` (default `cn-hangzhou`).
    pub region_id: String,
    /// `NetworkPathName`.
    pub name: String,
    /// `NetworkPathDescription`.
    pub description: Option<String>,
    /// Source, target, protocol and ports.
    pub parameter: PathParameter,
}

impl CloudApi for CreateNetworkPath {
    const DECL: ApiDecl = PRODUCT
        .api("CreateNetworkPath", "nis:CreateNetworkPath", Create)
        .names(&["NetworkPathId"])
        .resource_type("ACS::NIS::NetworkPath")
        .params(probe_params![
            req("NetworkPathName", Str),
            opt("NetworkPathDescription", Str),
        ])
        .resources(&["acs:nis:*:{account}:networkpath/*"])
        .response(&["NetworkPathId"]);
    type Plan = NetworkPath;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateNetworkPath {
            region_id: region_of(p)?,
            name: p.req_str("NetworkPathName")?,
            description: p.opt_str("NetworkPathDescription")?,
            parameter: decode_parameter(p)?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![path_arn(&ctx.caller_account, "*")])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        nis_opened(w, ctx, &self.region_id)?;
        if w.nis.path_count(&ctx.caller_account) >= MAX_PATHS_PER_ACCOUNT {
            return Err(CloudError::bad(
                "QuotaExceeded.NetworkPath",
                format!("An account can have at most {MAX_PATHS_PER_ACCOUNT} network paths."),
            ));
        }
        check_ends(w, &self.parameter)?;
        Ok(NetworkPath {
            network_path_id: String::new(),
            name: self.name.clone(),
            description: self.description.clone(),
            owner_uid: ctx.caller_account.clone(),
            region_id: self.region_id.clone(),
            create_time: now,
            parameter: self.parameter.clone(),
        })
    }
    fn apply(w: &mut World, _now: Timestamp, mut path: Self::Plan) -> Value {
        let id = w.new_id("np", &path.region_id);
        path.network_path_id = id.clone();
        w.nis.paths.insert(id.clone(), path);
        json!({ "NetworkPathId": id })
    }
}

// ---- DeleteNetworkPath ---------------------------------------------------------------------

/// DeleteNetworkPath: removes paths (`NetworkPathIds`); their analyses stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteNetworkPath {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkPathIds`.
    pub ids: Vec<String>,
}

impl CloudApi for DeleteNetworkPath {
    const DECL: ApiDecl = PRODUCT
        .api("DeleteNetworkPath", "nis:DeleteNetworkPath", Delete)
        .names(&["NetworkPathIds.1"])
        .resource_type("ACS::NIS::NetworkPath")
        .params(&[opt("RegionId", Str), opt("NetworkPathIds.N", Str)])
        .resources(&["acs:nis:*:{account}:networkpath/{NetworkPathIds.N}"])
        .response(&["Data"]);
    type Plan = Vec<String>;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteNetworkPath {
            region_id: region_of(p)?,
            ids: id_list(p, "NetworkPathIds")?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(self
            .ids
            .iter()
            .map(|id| path_arn(&ctx.caller_account, id))
            .collect())
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        nis_opened(w, ctx, &self.region_id)?;
        for id in &self.ids {
            path(w, &ctx.caller_account, id)?;
            if w.nis.path_busy(id) {
                return Err(CloudError::bad(
                    "IncorrectStatus.NetworkPath",
                    format!("The network path `{id}` has an analysis in progress."),
                ));
            }
        }
        Ok(self.ids.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, ids: Self::Plan) -> Value {
        for id in ids {
            w.nis.paths.remove(&id);
        }
        json!({ "Data": true })
    }
}

// ---- CreateNetworkReachableAnalysis --------------------------------------------------------

/// CreateNetworkReachableAnalysis: analyses a stored path and records the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateNetworkReachableAnalysis {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkPathId`.
    pub network_path_id: String,
}

impl CloudApi for CreateNetworkReachableAnalysis {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateNetworkReachableAnalysis",
            "nis:CreateNetworkReachableAnalysis",
            Create,
        )
        .names(&["NetworkReachableAnalysisId"])
        .resource_type("ACS::NIS::NetworkReachableAnalysis")
        .params(&[opt("RegionId", Str), req("NetworkPathId", Str)])
        .resources(&["acs:nis:*:{account}:networkreachableanalysis/*"])
        .response(&["NetworkReachableAnalysisId"]);
    type Plan = NewAnalysis;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateNetworkReachableAnalysis {
            region_id: region_of(p)?,
            network_path_id: p.req_str("NetworkPathId")?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![analysis_arn(&ctx.caller_account, "*")])
    }
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        nis_opened(w, ctx, &self.region_id)?;
        let p = path(w, &ctx.caller_account, &self.network_path_id)?;
        if w.nis.path_busy(&self.network_path_id) {
            return Err(CloudError::bad(
                "IncorrectStatus.NetworkPath",
                format!(
                    "The network path `{}` has an analysis in progress.",
                    self.network_path_id
                ),
            ));
        }
        if w.nis.recorded_count(&ctx.caller_account) >= MAX_ANALYSES_PER_ACCOUNT {
            return Err(CloudError::bad(
                "QuotaExceeded.MaxNraCount",
                format!("An account can have at most {MAX_ANALYSES_PER_ACCOUNT} analyses."),
            ));
        }
        Ok(new_analysis(
            w,
            ctx,
            now,
            &self.region_id,
            Some(p.network_path_id.clone()),
            p.parameter.clone(),
            None,
        ))
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        let id = apply_new_analysis(w, now, plan);
        json!({ "NetworkReachableAnalysisId": id })
    }
}

// ---- CreateAndAnalyzeNetworkPath -----------------------------------------------------------

/// CreateAndAnalyzeNetworkPath: one-shot analysis, no stored path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAndAnalyzeNetworkPath {
    /// `RegionId`.
    pub region_id: String,
    /// Source, target, protocol and ports.
    pub parameter: PathParameter,
}

impl CloudApi for CreateAndAnalyzeNetworkPath {
    const DECL: ApiDecl = PRODUCT
        .api(
            "CreateAndAnalyzeNetworkPath",
            "nis:CreateAndAnalyzeNetworkPath",
            Create,
        )
        .names(&["NetworkReachableAnalysisId"])
        .resource_type("ACS::NIS::NetworkReachableAnalysis")
        .params(probe_params![])
        .resources(&["*"])
        .response(&[
            "NetworkReachableAnalysisId",
            "SourceId",
            "SourceType",
            "SourceIpAddress",
            "SourcePort",
            "TargetId",
            "TargetType",
            "TargetIpAddress",
            "TargetPort",
            "Protocol",
        ]);
    type Plan = NewAnalysis;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(CreateAndAnalyzeNetworkPath {
            region_id: region_of(p)?,
            parameter: decode_parameter(p)?,
        })
    }
    region_accessors!();
    fn plan(&self, w: &World, ctx: &CallContext, now: Timestamp) -> Result<Self::Plan, CloudError> {
        nis_opened(w, ctx, &self.region_id)?;
        let analysed = check_ends(w, &self.parameter)?;
        Ok(new_analysis(
            w,
            ctx,
            now,
            &self.region_id,
            None,
            self.parameter.clone(),
            Some(analysed),
        ))
    }
    fn apply(w: &mut World, now: Timestamp, plan: Self::Plan) -> Value {
        let parameter = plan.parameter.to_json();
        let id = apply_new_analysis(w, now, plan);
        let mut body = json!({ "NetworkReachableAnalysisId": id });
        if let (Value::Object(out), Value::Object(echo)) = (&mut body, parameter) {
            out.extend(echo);
        }
        body
    }
}

// ---- GetNetworkReachableAnalysis -----------------------------------------------------------

/// GetNetworkReachableAnalysis: status, `Reachable` and the result document (as a JSON
/// string, like the real API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetNetworkReachableAnalysis {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkReachableAnalysisId`.
    pub id: String,
}

impl CloudApi for GetNetworkReachableAnalysis {
    const DECL: ApiDecl = PRODUCT
        .api(
            "GetNetworkReachableAnalysis",
            "nis:GetNetworkReachableAnalysis",
            Get,
        )
        .names(&["NetworkReachableAnalysisId"])
        .resource_type("ACS::NIS::NetworkReachableAnalysis")
        .params(&[opt("RegionId", Str), req("NetworkReachableAnalysisId", Str)])
        .resources(&["acs:nis:*:{account}:networkreachableanalysis/{NetworkReachableAnalysisId}"])
        .response(&[
            "NetworkReachableAnalysisId",
            "NetworkReachableAnalysisStatus",
            "Reachable",
            "NetworkReachableAnalysisResult",
            "NetworkPathId",
            "NetworkPathParameter",
            "AliUid",
            "CreateTime",
        ]);
    type Plan = Value;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(GetNetworkReachableAnalysis {
            region_id: region_of(p)?,
            id: p.req_str("NetworkReachableAnalysisId")?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(vec![analysis_arn(&ctx.caller_account, &self.id)])
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        nis_opened(w, ctx, &self.region_id)?;
        let a = analysis(w, &ctx.caller_account, &self.id)?;
        let result = if a.result.is_null() {
            String::new()
        } else {
            a.result.to_string()
        };
        Ok(json!({
            "NetworkReachableAnalysisId": a.analysis_id,
            "NetworkReachableAnalysisStatus": a.status.as_str(),
            "Reachable": a.reachable,
            "NetworkReachableAnalysisResult": result,
            "NetworkPathId": a.network_path_id.clone().unwrap_or_default(),
            "NetworkPathParameter": a.parameter.to_json().to_string(),
            "AliUid": a.owner_uid,
            "CreateTime": a.create_time.to_string(),
        }))
    }
    fn apply(_w: &mut World, _now: Timestamp, body: Self::Plan) -> Value {
        body
    }
}

// ---- DeleteNetworkReachableAnalysis --------------------------------------------------------

/// DeleteNetworkReachableAnalysis: removes analyses (`NetworkReachableAnalysisIds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteNetworkReachableAnalysis {
    /// `RegionId`.
    pub region_id: String,
    /// `NetworkReachableAnalysisIds`.
    pub ids: Vec<String>,
}

impl CloudApi for DeleteNetworkReachableAnalysis {
    const DECL: ApiDecl = PRODUCT
        .api(
            "DeleteNetworkReachableAnalysis",
            "nis:DeleteNetworkReachableAnalysis",
            Delete,
        )
        .names(&["NetworkReachableAnalysisIds.1"])
        .resource_type("ACS::NIS::NetworkReachableAnalysis")
        .params(&[
            opt("RegionId", Str),
            opt("NetworkReachableAnalysisIds.N", Str),
        ])
        .resources(&[
            "acs:nis:*:{account}:networkreachableanalysis/{NetworkReachableAnalysisIds.N}",
        ])
        .response(&["Data"]);
    type Plan = Vec<String>;

    fn decode(p: &Params<'_>) -> Result<Self, CloudError> {
        Ok(DeleteNetworkReachableAnalysis {
            region_id: region_of(p)?,
            ids: id_list(p, "NetworkReachableAnalysisIds")?,
        })
    }
    region_accessors!();
    fn authorize(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
        _keys: &mut BTreeMap<String, String>,
    ) -> Result<Vec<String>, CloudError> {
        w.known_region(&self.region_id)?;
        Ok(self
            .ids
            .iter()
            .map(|id| analysis_arn(&ctx.caller_account, id))
            .collect())
    }
    fn plan(
        &self,
        w: &World,
        ctx: &CallContext,
        _now: Timestamp,
    ) -> Result<Self::Plan, CloudError> {
        nis_opened(w, ctx, &self.region_id)?;
        for id in &self.ids {
            analysis(w, &ctx.caller_account, id)?;
        }
        Ok(self.ids.clone())
    }
    fn apply(w: &mut World, _now: Timestamp, ids: Self::Plan) -> Value {
        for id in ids {
            w.nis.analyses.remove(&id);
        }
        json!({ "Data": true })
    }
}
