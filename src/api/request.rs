//! Requests in Alibaba's own shape: an API name and PascalCase parameters, read from JSON or
//! from an `aliyun <product> <Action> --Param value …` command line, plus the envelope (who
//! calls, from where, when).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One API call: `Action` plus parameters, optionally naming the product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiRequest {
    /// Product (`VpcPeer`, `Vpc`, `Ram`, `ResourceManager`, `Sts`), when the caller named it.
    #[serde(rename = "Product", default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// API name, e.g. `CreateVpcPeerConnection`.
    #[serde(rename = "Action")]
    pub action: String,
    /// Parameters as received (strings, numbers or booleans).
    #[serde(rename = "Parameters", default)]
    pub params: Map<String, Value>,
}

/// Who calls and how: the parts of a request that are not API parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Caller: user name (`alice` or `alice@<account>`), `root@<account>`, or an AccessKeyId.
    pub caller: String,
    /// `acs:SourceIp` (default `192.0.2.10`).
    #[serde(default)]
    pub source_ip: Option<String>,
    /// `acs:SecureTransport` (default true: HTTPS).
    #[serde(default)]
    pub secure_transport: Option<bool>,
    /// `acs:MFAPresent`: `Some` only for console sessions; absent for AccessKey calls.
    #[serde(default)]
    pub mfa: Option<bool>,
    /// `acs:SourceVpc`, when the call arrives through a VPC endpoint.
    #[serde(default)]
    pub source_vpc: Option<String>,
    /// Scenario time (`YYYY-MM-DDThh:mm:ssZ`); default: the world clock.
    #[serde(default)]
    pub time: Option<String>,
    /// User agent for the audit event.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// Maps the aliyun CLI's lower-case product names to products (the registry's products,
/// any case).
pub fn product_from_cli(name: &str) -> Option<&'static str> {
    super::catalog::product(name).map(|p| p.name)
}

/// Splits a command line into shell-style words: bare words, `'single quoted'` (literal),
/// `"double quoted"` (with `\"`, `\\`, `\$`, `` \` `` escapes), and backslash escapes outside
/// quotes; adjacent pieces are glued (`--Name="a b"`). A trailing `\` line continuation is ignored.
fn parse_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = line.trim().trim_end_matches('\\').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if let Some(w) = current.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => w.push(ch),
                        None => return Err(format!("unbalanced single quote in `{line}`")),
                    }
                }
            }
            '"' => {
                let w = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => w.push(e),
                            Some(other) => {
                                w.push('\\');
                                w.push(other);
                            }
                            None => return Err(format!("unbalanced double quote in `{line}`")),
                        },
                        Some(ch) => w.push(ch),
                        None => return Err(format!("unbalanced double quote in `{line}`")),
                    }
                }
            }
            '\\' => {
                let w = current.get_or_insert_with(String::new);
                if let Some(e) = chars.next() {
                    w.push(e);
                }
            }
            other => current.get_or_insert_with(String::new).push(other),
        }
    }
    if let Some(w) = current {
        words.push(w);
    }
    Ok(words)
}

/// Parses `aliyun <product> <Action> --Param value --Flag …` written as one string (scenario
/// files, or one quoted shell argument): the string is split into words the way a POSIX shell
/// would, then read by [`parse_cli_args`]. A parameter written without
/// a value (`--Force`) is `true`; `--Param=value` is accepted too.
pub fn parse_cli_line(line: &str) -> Result<ApiRequest, String> {
    parse_cli_args(parse_words(line)?)
}

/// Parses an aliyun CLI request given as words exactly as the shell passed them (`ramsim call
/// … -- aliyun ram CreatePolicy --PolicyDocument "$DOC"`): no word is split, joined or
/// unquoted, so a value with spaces, quotes or ` --Other x` inside stays one value.
pub fn parse_cli_args<I>(words: I) -> Result<ApiRequest, String>
where
    I: IntoIterator<Item = String>,
{
    let mut it = words.into_iter().peekable();
    match it.next() {
        Some(w) if w == "aliyun" => {}
        Some(w) => return Err(format!("a CLI request starts with `aliyun`, not `{w}`")),
        None => return Err("empty command line".into()),
    }
    let product_word = it
        .next()
        .ok_or("missing product after `aliyun` (e.g. `vpcpeer`)")?;
    let product = product_from_cli(&product_word).ok_or_else(|| {
        let modeled: Vec<String> = super::catalog::PRODUCTS
            .iter()
            .map(|p| p.name.to_ascii_lowercase())
            .collect();
        format!(
            "unknown product `{product_word}` (modeled: {})",
            modeled.join(", ")
        )
    })?;
    let action = it
        .next()
        .ok_or_else(|| format!("missing API name after `aliyun {product_word}`"))?;
    if action.starts_with("--") {
        return Err(format!(
            "missing API name after `aliyun {product_word}` (found `{action}`)"
        ));
    }
    let mut params = Map::new();
    while let Some(w) = it.next() {
        let Some(name) = w.strip_prefix("--") else {
            return Err(format!("expected `--Parameter`, found `{w}`"));
        };
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = match it.peek() {
                    Some(next) if !next.starts_with("--") => it.next().unwrap_or_default(),
                    _ => "true".to_string(),
                };
                (name.to_string(), v)
            }
        };
        if name.is_empty() {
            return Err("empty parameter name `--`".into());
        }
        if params.insert(name.clone(), Value::String(value)).is_some() {
            return Err(format!("parameter `--{name}` given twice"));
        }
    }
    Ok(ApiRequest {
        product: Some(product.to_string()),
        action,
        params,
    })
}

/// Parses a JSON request: `{"Action": …, "Parameters": {…}}`, or flat `{"Action": …, "RegionId": …}`.
pub fn parse_json_request(text: &str) -> Result<ApiRequest, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON request: {e}"))?;
    request_from_value(v)
}

/// Reads a request from a JSON value (see [`parse_json_request`]).
pub fn request_from_value(v: Value) -> Result<ApiRequest, String> {
    let Value::Object(mut obj) = v else {
        return Err("a JSON request must be an object".into());
    };
    let action = match obj.remove("Action") {
        Some(Value::String(a)) if !a.is_empty() => a,
        Some(_) => return Err("`Action` must be a non-empty string".into()),
        None => return Err("missing `Action`".into()),
    };
    let product = match obj.remove("Product") {
        Some(Value::String(p)) => Some(p),
        Some(_) => return Err("`Product` must be a string".into()),
        None => None,
    };
    let params = match obj.remove("Parameters") {
        Some(Value::Object(p)) => {
            if let Some(k) = obj.keys().next() {
                return Err(format!("unexpected key `{k}` next to `Parameters`"));
            }
            p
        }
        Some(_) => return Err("`Parameters` must be an object".into()),
        None => obj,
    };
    Ok(ApiRequest {
        product,
        action,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_line_with_quotes_and_flags() {
        let r = parse_cli_line(
            r#"aliyun vpcpeer CreateVpcPeerConnection --RegionId cn-hangzhou --VpcId vpc-1 --AcceptingAliUid 1234 --Name "my peer" --Description='a b' --DryRun"#,
        )
        .unwrap();
        assert_eq!(r.product.as_deref(), Some("VpcPeer"));
        assert_eq!(r.action, "CreateVpcPeerConnection");
        assert_eq!(r.params["Name"], "my peer");
        assert_eq!(r.params["Description"], "a b");
        assert_eq!(r.params["DryRun"], "true");
        assert_eq!(r.params["AcceptingAliUid"], "1234");
    }

    #[test]
    fn cli_line_with_json_document() {
        let r = parse_cli_line(r#"aliyun ram CreatePolicy --PolicyName p --PolicyDocument '{"Version":"1","Statement":[]}'"#).unwrap();
        assert_eq!(
            r.params["PolicyDocument"],
            r#"{"Version":"1","Statement":[]}"#
        );
        let r = parse_cli_line(r#"aliyun ram CreatePolicy --PolicyDocument "{\"a\": 1}""#).unwrap();
        assert_eq!(r.params["PolicyDocument"], r#"{"a": 1}"#);
    }

    #[test]
    fn cli_line_errors() {
        for bad in [
            "",
            "gcloud x y",
            "aliyun",
            "aliyun nosuch Action",
            "aliyun vpc",
            "aliyun vpc CreateVpc stray",
            "aliyun vpc CreateVpc --A 1 --A 2",
            "aliyun vpc CreateVpc --Name 'open",
        ] {
            assert!(parse_cli_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn argv_words_are_never_resplit() {
        let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let doc = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "vpc:*", "Resource": "*"}]}"#;
        let r = parse_cli_args(words(&[
            "aliyun",
            "ram",
            "CreatePolicy",
            "--PolicyName",
            "p",
            "--PolicyDocument",
            doc,
            "--Description",
            "team x --Foo bar",
        ]))
        .unwrap();
        assert_eq!(r.params["PolicyDocument"], doc);
        assert_eq!(r.params["Description"], "team x --Foo bar");
        assert!(!r.params.contains_key("Foo"));
        assert_eq!(r.params.len(), 3);
        // the same words joined into one string are split again: the hostile value injects
        let joined = parse_cli_line("aliyun ram CreatePolicy --Description team x --Foo bar");
        assert!(joined.is_err() || joined.unwrap().params.contains_key("Foo"));
    }

    #[test]
    fn json_requests() {
        let r = parse_json_request(r#"{"Action":"CreateVpc","RegionId":"cn-hangzhou"}"#).unwrap();
        assert_eq!(r.params["RegionId"], "cn-hangzhou");
        let r =
            parse_json_request(r#"{"Action":"CreateVpc","Parameters":{"RegionId":"cn-hangzhou"}}"#)
                .unwrap();
        assert_eq!(r.params["RegionId"], "cn-hangzhou");
        assert!(parse_json_request(r#"{"Parameters":{}}"#).is_err());
        assert!(parse_json_request(r#"[1]"#).is_err());
        assert!(parse_json_request(r#"{"Action":"X","Parameters":{},"Extra":1}"#).is_err());
    }
}
