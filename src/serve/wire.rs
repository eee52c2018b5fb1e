//! From an HTTP request to a gateway call: which product and API (from `x-acs-version` /
//! `Version` and `x-acs-action` / `Action`), the business parameters (query and form body
//! merged, protocol parameters removed), and Alibaba's JSON bodies for answers and errors.

use crate::api::catalog;
use serde_json::{json, Map, Value};

/// Parameters that belong to the RPC protocol, not to the API.
pub const PROTOCOL_PARAMS: [&str; 11] = [
    "Action",
    "Version",
    "Format",
    "Timestamp",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Signature",
    "AccessKeyId",
    "SecurityToken",
];

/// An error answered before the gateway (authentication, routing): never a decision, never
/// an audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// HTTP status.
    pub status: u16,
    /// Alibaba error code.
    pub code: &'static str,
    /// Message.
    pub message: String,
    /// The server's canonical request / string to sign, shown with `--verbose`.
    pub canonical: Option<String>,
}

impl WireError {
    /// A 400 answer.
    pub fn bad(code: &'static str, message: impl Into<String>) -> WireError {
        WireError {
            status: 400,
            code,
            message: message.into(),
            canonical: None,
        }
    }
}

/// The product whose API version is `version`, with its endpoint host.
/// Versions do not collide across the modeled products, so the version names the product
/// (the registry's products, `catalog::PRODUCTS`).
pub fn product_of_version(version: &str) -> Option<(&'static str, &'static str)> {
    catalog::PRODUCTS
        .iter()
        .find(|p| p.version == version)
        .map(|p| (p.name, p.endpoint))
}

/// Checks that `action` is a modeled API of the product of `version`.
pub fn route(version: &str, action: &str) -> Result<&'static str, WireError> {
    let (product, _) = product_of_version(version).ok_or_else(|| {
        // ASSUMED status and code (Alibaba answers an unknown version with InvalidVersion).
        WireError::bad(
            "InvalidVersion",
            format!("Specified parameter Version `{version}` is not valid."),
        )
    })?;
    match catalog::by_product_api(Some(product), action) {
        Some(_) => Ok(product),
        _ => Err(WireError {
            status: 404,
            code: "InvalidAction.NotFound",
            message: format!(
                "Specified api `{action}` is not found in product {product} ({version}), please check your url and method."
            ),
            canonical: None,
        }),
    }
}

/// Merges query and body pairs into the API's parameters: protocol parameters dropped, a
/// name given twice with different values refused (the same value twice is one parameter,
/// as the SDKs' own maps make it).
pub fn merge_params(
    query: &[(String, String)],
    body: &[(String, String)],
) -> Result<Map<String, Value>, WireError> {
    let mut out = Map::new();
    for (k, v) in query.iter().chain(body) {
        if PROTOCOL_PARAMS.contains(&k.as_str()) {
            continue;
        }
        if k.is_empty() {
            return Err(WireError::bad(
                "InvalidParameter",
                "A parameter has an empty name.",
            ));
        }
        match out.get(k) {
            Some(Value::String(old)) if old != v => {
                return Err(WireError::bad(
                    "InvalidParameter",
                    format!("The parameter `{k}` is given twice with different values."),
                ))
            }
            Some(_) => {}
            None => {
                out.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Ok(out)
}

/// The error body every SDK parses: `RequestId`, `HostId`, `Code`, `Message`, `Recommend`.
pub fn error_body(request_id: &str, host: &str, code: &str, message: &str) -> Value {
    json!({
        "RequestId": request_id,
        "HostId": host,
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn routing_by_version_and_action() {
        assert_eq!(
            route("2022-01-01", "CreateVpcPeerConnection"),
            Ok("VpcPeer")
        );
        assert_eq!(route("2016-04-28", "CreateRouteEntry"), Ok("Vpc"));
        assert_eq!(route("2015-04-01", "AssumeRole"), Ok("Sts"));
        assert_eq!(route("2020-07-06", "LookupEvents"), Ok("Actiontrail"));
        assert_eq!(
            route("2016-04-28", "CreateVpcPeerConnection")
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            route("2016-04-28", "NoSuchApi").unwrap_err().code,
            "InvalidAction.NotFound"
        );
        assert_eq!(
            route("1999-01-01", "CreateVpc").unwrap_err().code,
            "InvalidVersion"
        );
    }

    #[test]
    fn query_and_body_merge() {
        let q = pairs(&[
            ("Action", "X"),
            ("RegionId", "cn-hangzhou"),
            ("Tag.1.Key", "env"),
        ]);
        let b = pairs(&[
            ("RegionId", "cn-hangzhou"),
            ("DryRun", "False"),
            ("Signature", "s"),
        ]);
        let m = merge_params(&q, &b).unwrap();
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["RegionId", "Tag.1.Key", "DryRun"]
        );
        let clash = pairs(&[("RegionId", "cn-beijing")]);
        assert_eq!(
            merge_params(&q, &clash).unwrap_err().code,
            "InvalidParameter"
        );
    }
}
