//! Alibaba-style API errors (§0.4.6) and the constructors used by every module.

use serde::{Deserialize, Serialize};

/// An API error: Alibaba error code, HTTP status and message (§0.4.6).
///
/// The gateway wraps it into `{RequestId, HostId, Code, Message, Recommend}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code} ({http_status}): {message}")]
pub struct CloudError {
    /// Alibaba error code, e.g. `IncorrectStatus.VpcPeer`.
    pub code: String,
    /// HTTP status of the error response.
    pub http_status: u16,
    /// Human-readable message.
    pub message: String,
}

impl CloudError {
    /// Builds an error with an explicit status.
    pub fn new(code: impl Into<String>, http_status: u16, message: impl Into<String>) -> Self {
        CloudError {
            code: code.into(),
            http_status,
            message: message.into(),
        }
    }

    /// HTTP 400 business error (the default for VpcPeer and most Vpc codes, §3.3).
    pub fn bad(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, 400, message)
    }

    /// HTTP 404 error (missing resources of the Vpc product, unknown region, …).
    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, 404, message)
    }

    /// Unknown `Action` (POP gateway behaviour).
    pub fn unknown_action(action: &str) -> Self {
        Self::not_found(
            "InvalidAction.NotFound",
            format!(
                "Specified api is not found, please check your url and method. Action: {action}"
            ),
        )
    }

    /// An API name several products declare, called without naming the product (ASSUMED:
    /// Alibaba always knows the product from the endpoint; ramsim's JSON requests may omit it).
    pub fn ambiguous_action(action: &str) -> Self {
        Self::bad(
            "MissingParameter.Product",
            format!(
                "Several products declare the API `{action}`; name the product (`Product` in a JSON request, `aliyun <product> {action}` on a command line)."
            ),
        )
    }

    /// A parameter the API does not define (ASSUMED: Alibaba's gateway may ignore it; ramsim
    /// refuses it so that a misspelt optional parameter is not silently dropped).
    pub fn unknown_param(param: &str, action: &str, suggestion: Option<&str>) -> Self {
        let hint = suggestion
            .map(|s| format!(" Did you mean \"{s}\"?"))
            .unwrap_or_default();
        Self::bad(
            "InvalidParameter",
            format!("The parameter \"{param}\" is not defined for {action}.{hint}"),
        )
    }

    /// Appends a sentence to the message (a did-you-mean), when there is one.
    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        if let Some(h) = hint {
            self.message.push(' ');
            self.message.push_str(&h);
        }
        self
    }

    /// A required parameter is absent.
    pub fn missing(param: &str) -> Self {
        Self::bad(
            format!("MissingParameter.{param}"),
            format!("The input parameter \"{param}\" that is mandatory for processing this request is not supplied."),
        )
    }

    /// A parameter has the wrong type or syntax at decode time.
    pub fn invalid_param(param: &str, detail: &str) -> Self {
        Self::bad(
            format!("InvalidParameter.{param}"),
            format!("The specified parameter \"{param}\" is not valid: {detail}"),
        )
    }

    /// `IllegalParam.%s` pattern of the VpcPeer product (§3.3.1).
    pub fn illegal_param(param: &str) -> Self {
        Self::bad(
            format!("IllegalParam.{param}"),
            format!("The param of {param} is illegal."),
        )
    }

    /// `ResourceNotFound.InstanceId` of the VpcPeer product (§3.3.2 step 1).
    pub fn peer_not_found(id: &str) -> Self {
        Self::bad(
            "ResourceNotFound.InstanceId",
            format!("The specified resource of {id} is not found."),
        )
    }

    /// `IncorrectStatus.VpcPeer` ("The status of %s [%s] is incorrect.").
    pub fn peer_incorrect_status(id: &str, status: &str) -> Self {
        Self::bad(
            "IncorrectStatus.VpcPeer",
            format!("The status of {id} [{status}] is incorrect."),
        )
    }

    /// `DryRunOperation` (§0.4.4): reported as an error although validation passed.
    pub fn dry_run() -> Self {
        Self::bad(
            "DryRunOperation",
            "Request validation has been passed with DryRun flag set.",
        )
    }

    /// `InvalidRegionId.NotFound` (404) for regions outside the table (§1.3).
    pub fn unknown_region(region: &str) -> Self {
        Self::not_found(
            "InvalidRegionId.NotFound",
            format!("The specified region {region} does not exist."),
        )
    }
}
