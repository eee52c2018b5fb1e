//! The NIS product (Network Intelligence Service, API version 2021-12-16, RAM code `nis`):
//! Alibaba's Reachability Analyzer as a product of the world (`network-model.md` §8.1).
//!
//! A *network path* stores a probe's parameters (source, target, protocol, ports); an
//! *analysis* runs the reachability analyzer ([`crate::cloud::reach`]) on the world and keeps
//! its `NetworkReachableAnalysisResult` document (§8.5). `CreateAndAnalyzeNetworkPath` runs an
//! analysis without storing a path.
//!
//! Time: in `Immediate` settle mode an analysis is `finish` (or `error`) as soon as it is
//! created; in `Stepped` mode it is `init` until the clock reaches its due time or `settle()`
//! runs, and it then analyses the world *as it is at that moment* — like the real service,
//! which runs the task in the background after answering.
//!
//! Limits (Alibaba's API pages): 100 paths and 1,000 analyses per account
//! (`QuotaExceeded.NetworkPath`, `QuotaExceeded.MaxNraCount`). Analyses of
//! `CreateAndAnalyzeNetworkPath` are "not recorded in the system": the model keeps the most
//! recent [`UNRECORDED_KEPT`] per account so that `GetNetworkReachableAnalysis` can read them
//! (ASSUMED retention), and they do not count against the quota.

pub mod api;

#[cfg(test)]
mod tests;

use crate::cloud::declare::{Denial, Product};
use crate::cloud::error::CloudError;
use crate::cloud::reach::{self, Probe, Source, Target};
use crate::cloud::time::Timestamp;
use crate::cloud::world::World;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The NIS product: a RAM denial answers 403 `Forbidden.NoPermission` (§9.5, ASSUMED).
pub const PRODUCT: Product = Product {
    name: "Nis",
    version: "2021-12-16",
    ram_code: "nis",
    endpoint: "nis.aliyuncs.com",
    regional_endpoint: None,
    denial: Denial {
        status: 403,
        code: "Forbidden.NoPermission",
        message: "You are not authorized to do this operation.",
    },
};

/// Network paths per account (Alibaba: "up to 100 network paths within one account").
pub const MAX_PATHS_PER_ACCOUNT: usize = 100;
/// Recorded analyses per account (Alibaba: "up to 1,000 reachability analysis records").
pub const MAX_ANALYSES_PER_ACCOUNT: usize = 1000;
/// Unrecorded (`CreateAndAnalyzeNetworkPath`) analyses kept per account for reading back
/// (ASSUMED; the oldest is dropped first).
pub const UNRECORDED_KEPT: usize = 1000;

/// A source type NIS accepts (`SourceType`).
const SOURCE_TYPES: &[&str] = &["ecs", "vsw", "internetIp", "vpn", "vbr"];
/// A target type the model accepts (`TargetType`): Alibaba's list plus the §8.1 extensions.
const TARGET_TYPES: &[&str] = &[
    "ecs",
    "vsw",
    "ip",
    "internetIp",
    "vpn",
    "vbr",
    "clb",
    "nlb",
    "alb",
    "vpcEndpoint",
    "domain",
];

/// The stored parameters of a path (`NetworkPathParameter`), under Alibaba's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathParameter {
    /// `SourceId`.
    pub source_id: String,
    /// `SourceType`.
    pub source_type: String,
    /// `SourceIpAddress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<Ipv4Addr>,
    /// `SourcePort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_port: Option<u16>,
    /// `TargetId`.
    pub target_id: String,
    /// `TargetType`.
    pub target_type: String,
    /// `TargetIpAddress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ip: Option<Ipv4Addr>,
    /// `TargetPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<u16>,
    /// `Protocol` (`tcp`, `udp`, `icmp`).
    pub protocol: String,
}

impl PathParameter {
    /// The parameters as the API echoes them (`NetworkPathParameter`, and the response of
    /// `CreateAndAnalyzeNetworkPath`); an absent address is `""` and an absent port `0`
    /// (ASSUMED: how the API shows an unset value).
    pub fn to_json(&self) -> Value {
        json!({
            "SourceId": self.source_id,
            "SourceType": self.source_type,
            "SourceIpAddress": self.source_ip.map(|i| i.to_string()).unwrap_or_default(),
            "SourcePort": self.source_port.unwrap_or(0),
            "TargetId": self.target_id,
            "TargetType": self.target_type,
            "TargetIpAddress": self.target_ip.map(|i| i.to_string()).unwrap_or_default(),
            "TargetPort": self.target_port.unwrap_or(0),
            "Protocol": self.protocol,
        })
    }

    /// Checks that need no world: known types, ports 1–65535, protocol, id shape per type,
    /// source ≠ target (§8.1 parameter errors).
    pub fn check_shape(&self) -> Result<(), CloudError> {
        let bad = |code: &str, msg: String| Err(CloudError::bad(code, msg));
        if !SOURCE_TYPES.contains(&self.source_type.as_str()) {
            return bad(
                "IllegalParam.SourceType",
                format!(
                    "The SourceType `{}` is not one of {}.",
                    self.source_type,
                    SOURCE_TYPES.join(", ")
                ),
            );
        }
        if !TARGET_TYPES.contains(&self.target_type.as_str()) {
            return bad(
                "IllegalParam.TargetType",
                format!(
                    "The TargetType `{}` is not one of {}.",
                    self.target_type,
                    TARGET_TYPES.join(", ")
                ),
            );
        }
        if reach::probe::parse_protocol(&self.protocol).is_err() {
            return bad(
                "IllegalParam.Protocol",
                format!(
                    "The Protocol `{}` is not one of tcp, udp, icmp.",
                    self.protocol
                ),
            );
        }
        if self.source_port == Some(0) {
            return bad(
                "IllegalParam.SourcePort",
                "SourcePort must be 1-65535.".into(),
            );
        }
        if self.target_port == Some(0) {
            return bad(
                "IllegalParam.TargetPort",
                "TargetPort must be 1-65535.".into(),
            );
        }
        for (ty, id) in [
            (&self.source_type, &self.source_id),
            (&self.target_type, &self.target_id),
        ] {
            if let Some(prefix) = id_prefix(ty) {
                if !id.starts_with(prefix) {
                    return bad(
                        "IllegalParam.TypeAndIdMismatch",
                        format!("The id `{id}` is not of type `{ty}` (expected `{prefix}…`)."),
                    );
                }
            }
        }
        if self.source_type == self.target_type
            && self.source_id == self.target_id
            && self.source_ip == self.target_ip
        {
            return bad(
                "IllegalParam.SourceEqualTarget",
                "The source and the target are the same.".into(),
            );
        }
        Ok(())
    }

    /// The analyzer's probe, or why the model cannot analyse this path (`None` + code:
    /// a source or target type it does not model). Shape checks come first.
    pub fn probe(&self) -> Result<Probe, Unanalysable> {
        let protocol = reach::probe::parse_protocol(&self.protocol).map_err(|m| Unanalysable {
            code: "IllegalParam.Protocol",
            message: m,
        })?;
        let source = match self.source_type.as_str() {
            "ecs" => Source::Ecs {
                instance_id: self.source_id.clone(),
                source_ip: self.source_ip,
            },
            "vsw" => Source::VSwitch {
                vswitch_id: self.source_id.clone(),
                ip: self.source_ip.ok_or_else(|| Unanalysable {
                    code: "IllegalParam.SourceIp",
                    message: "a vsw source needs SourceIpAddress".into(),
                })?,
            },
            other => {
                return Err(Unanalysable {
                    code: "UNSUPPORTED_SOURCE",
                    message: format!("source type `{other}` is not modelled"),
                })
            }
        };
        let target = match self.target_type.as_str() {
            "ecs" => Target::Ecs {
                instance_id: self.target_id.clone(),
                target_ip: self.target_ip,
            },
            "vsw" | "ip" => {
                let ip = self.target_ip.ok_or_else(|| Unanalysable {
                    code: "IllegalParam.TargetIp",
                    message: format!("a {} target needs TargetIpAddress", self.target_type),
                })?;
                if self.target_type == "vsw" {
                    Target::VSwitch {
                        vswitch_id: self.target_id.clone(),
                        ip,
                    }
                } else {
                    Target::Ip {
                        vpc_id: self.target_id.clone(),
                        ip,
                    }
                }
            }
            other => {
                return Err(Unanalysable {
                    code: "UNSUPPORTED_TARGET",
                    message: format!("target type `{other}` is not modelled by the analyzer yet"),
                })
            }
        };
        Ok(Probe {
            source,
            target,
            protocol,
            source_port: self.source_port,
            target_port: self.target_port,
        })
    }
}

/// The id prefix a resource type's ids carry (`TypeAndIdMismatch`); `None` for types whose
/// id is free-form (an IP, a domain name) or not modelled.
fn id_prefix(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "ecs" => "i-",
        "vsw" => "vsw-",
        "ip" => "vpc-",
        "nlb" => "nlb-",
        "alb" => "alb-",
        "clb" => "lb-",
        "vpcEndpoint" => "ep-",
        _ => return None,
    })
}

/// Why a path cannot be analysed by the model: the analysis ends `error` with this code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanalysable {
    /// `UNSUPPORTED_SOURCE`, `UNSUPPORTED_TARGET` or an `IllegalParam.*` code.
    pub code: &'static str,
    /// One sentence.
    pub message: String,
}

/// A stored network path (CreateNetworkPath).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPath {
    /// `np-…`.
    pub network_path_id: String,
    /// `NetworkPathName`.
    pub name: String,
    /// `NetworkPathDescription`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owner account.
    pub owner_uid: String,
    /// `RegionId` of the creating call.
    pub region_id: String,
    /// Creation time.
    pub create_time: Timestamp,
    /// The probe's parameters.
    pub parameter: PathParameter,
}

/// `NetworkReachableAnalysisStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisStatus {
    /// Created, not yet analysed (Stepped mode only).
    Init,
    /// Analysed; `Reachable` and the result are meaningful.
    Finish,
    /// Could not be analysed (an unmodelled source/target, or an end that no longer exists).
    Error,
}

impl AnalysisStatus {
    /// Alibaba's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisStatus::Init => "init",
            AnalysisStatus::Finish => "finish",
            AnalysisStatus::Error => "error",
        }
    }
}

/// One reachability analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    /// `nra-…`.
    pub analysis_id: String,
    /// The analysed path; `None` for `CreateAndAnalyzeNetworkPath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_path_id: Option<String>,
    /// Owner account (`AliUid`).
    pub owner_uid: String,
    /// `RegionId` of the creating call.
    pub region_id: String,
    /// Creation time.
    pub create_time: Timestamp,
    /// Creation order in the world (orders analyses created at the same scenario time).
    pub seq: u64,
    /// Request id of the creating call (the result document's `requestId`).
    pub request_id: String,
    /// The probe's parameters at creation.
    pub parameter: PathParameter,
    /// Status.
    pub status: AnalysisStatus,
    /// When a Stepped-mode analysis runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    /// `Reachable`.
    pub reachable: bool,
    /// The `NetworkReachableAnalysisResult` document (§8.5), once analysed.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub result: Value,
}

/// Every path and analysis of the world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NisState {
    /// Paths by id.
    #[serde(default)]
    pub paths: BTreeMap<String, NetworkPath>,
    /// Analyses by id.
    #[serde(default)]
    pub analyses: BTreeMap<String, Analysis>,
    /// Analyses created so far (the next one's `seq`).
    #[serde(default)]
    pub created: u64,
}

impl NisState {
    /// True when nothing is stored (the state file then omits the product).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.analyses.is_empty()
    }

    /// Paths owned by `uid`.
    pub fn path_count(&self, uid: &str) -> usize {
        self.paths.values().filter(|p| p.owner_uid == uid).count()
    }

    /// Recorded (path) analyses owned by `uid`.
    pub fn recorded_count(&self, uid: &str) -> usize {
        self.analyses
            .values()
            .filter(|a| a.owner_uid == uid && a.network_path_id.is_some())
            .count()
    }

    /// The oldest unrecorded analysis of `uid` when it already has [`UNRECORDED_KEPT`].
    pub fn unrecorded_to_drop(&self, uid: &str) -> Option<String> {
        let mine: Vec<&Analysis> = self
            .analyses
            .values()
            .filter(|a| a.owner_uid == uid && a.network_path_id.is_none())
            .collect();
        if mine.len() < UNRECORDED_KEPT {
            return None;
        }
        mine.iter()
            .min_by_key(|a| a.seq)
            .map(|a| a.analysis_id.clone())
    }

    /// True when the path's latest analysis is still running (`IncorrectStatus.NetworkPath`).
    pub fn path_busy(&self, path_id: &str) -> bool {
        self.analyses.values().any(|a| {
            a.network_path_id.as_deref() == Some(path_id) && a.status == AnalysisStatus::Init
        })
    }

    /// Earliest due time of a pending analysis.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.analyses.values().filter_map(|a| a.due).min()
    }

    /// Ids of the analyses to run now (`force`: every pending one).
    pub fn due_ids(&self, now: Timestamp, force: bool) -> Vec<String> {
        self.analyses
            .values()
            .filter(|a| a.due.is_some_and(|d| force || d <= now))
            .map(|a| a.analysis_id.clone())
            .collect()
    }
}

/// What an analysis concludes: status, `Reachable` and the result document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `finish` or `error`.
    pub status: AnalysisStatus,
    /// `Reachable`.
    pub reachable: bool,
    /// The result document (§8.5); for an `error`, `{"errorCode", "errorMessage"}`.
    pub result: Value,
}

/// An analysis before it has an id: the analyzer's verdict, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Analysed {
    /// The analyzer answered.
    Verdict(Box<reach::Verdict>),
    /// A source or target type the model does not analyse, or an end that does not resolve.
    Failed {
        /// `UNSUPPORTED_SOURCE`, `UNSUPPORTED_TARGET` or an `IllegalParam.*` code.
        code: &'static str,
        /// One sentence.
        message: String,
    },
}

impl Analysed {
    /// The NIS parameter error a creating call answers with instead (an end that does not
    /// resolve, a missing address): every `IllegalParam.*` failure.
    pub fn parameter_error(&self) -> Option<CloudError> {
        match self {
            Analysed::Failed { code, message } if code.starts_with("IllegalParam.") => {
                Some(CloudError::bad(*code, message.clone()))
            }
            _ => None,
        }
    }

    /// Status, `Reachable` and the result document under analysis id `nra_id`.
    pub fn outcome(&self, nra_id: &str, request_id: &str) -> Outcome {
        match self {
            Analysed::Verdict(v) => Outcome {
                status: AnalysisStatus::Finish,
                reachable: v.reachable,
                result: reach::document::result_document(v, nra_id, request_id),
            },
            Analysed::Failed { code, message } => Outcome {
                status: AnalysisStatus::Error,
                reachable: false,
                result: json!({
                    "nraId": nra_id, "requestId": request_id,
                    "errorCode": code, "errorMessage": message,
                }),
            },
        }
    }
}

/// Analyses `parameter` on `world` (pure, one analyzer run).
pub fn analyse(world: &World, parameter: &PathParameter) -> Analysed {
    let probe = match parameter.probe() {
        Ok(p) => p,
        Err(u) => {
            return Analysed::Failed {
                code: u.code,
                message: u.message,
            }
        }
    };
    match reach::analyze(world, &probe) {
        Ok(v) => Analysed::Verdict(Box::new(v)),
        Err(e) => Analysed::Failed {
            code: e.code,
            message: e.message,
        },
    }
}

impl World {
    /// Runs the analyses that are due (Stepped mode) on the world as it is now; returns how
    /// many ran. Called by the clock after every other transition has settled.
    pub(crate) fn run_due_analyses(&mut self, force: bool) -> usize {
        let ids = self.nis.due_ids(self.clock, force);
        let outcomes: Vec<(String, Outcome)> = ids
            .into_iter()
            .filter_map(|id| {
                let a = self.nis.analyses.get(&id)?;
                let o = analyse(self, &a.parameter).outcome(&a.analysis_id, &a.request_id);
                Some((id, o))
            })
            .collect();
        let n = outcomes.len();
        for (id, o) in outcomes {
            if let Some(a) = self.nis.analyses.get_mut(&id) {
                a.status = o.status;
                a.reachable = o.reachable;
                a.result = o.result;
                a.due = None;
            }
        }
        n
    }
}
