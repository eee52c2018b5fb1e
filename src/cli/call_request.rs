//! What `ramsim call` sends: the request from the command line (word for word, or one quoted
//! string) or a JSON file, refused when an envelope option was written after it, with the
//! world's handles (`${vpc:NAME}`, …) resolved and the caller checked against the world.

use crate::api::{parse_cli_args, parse_cli_line, parse_json_request, ApiRequest, SimState};
use crate::scenario::vars::substitute_handles;
use serde_json::Value;
use std::path::Path;

/// Options of `ramsim call` that belong before the request line (the envelope and the state),
/// by their spelling after `--`.
pub const ENVELOPE_OPTIONS: &[&str] = &[
    "as",
    "state",
    "request",
    "source-ip",
    "insecure",
    "mfa",
    "source-vpc",
    "time",
    "format",
];

/// Reads the request: `--request FILE`, or the aliyun CLI line. Several words are taken exactly
/// as the shell passed them (never joined and split again, so `"$DOC"` arrives intact and a
/// value cannot inject a parameter); a single word is a whole line, split as a shell would
/// (the form scenario files use).
pub fn read_request(line: &[String], request: Option<&Path>) -> Result<ApiRequest, String> {
    let req = match (request, line) {
        (Some(_), [_, ..]) => {
            return Err("give either --request FILE or a CLI line, not both".into())
        }
        (Some(path), []) => {
            let text = crate::input::read_text(path, crate::input::InputKind::Request)?;
            parse_json_request(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        (None, []) => return Err("no request: give an aliyun CLI line or --request FILE".into()),
        (None, [one]) => parse_cli_line(one)?,
        (None, words) => parse_cli_args(words.iter().cloned())?,
    };
    check_envelope_options(&req)?;
    Ok(req)
}

/// Refuses a request with a parameter spelled like an envelope option (`--source-ip` after
/// the request line: clap hands everything after the line to the line). API parameters are
/// PascalCase, so no real parameter is mistaken for one.
pub fn check_envelope_options(req: &ApiRequest) -> Result<(), String> {
    match req
        .params
        .keys()
        .find(|k| ENVELOPE_OPTIONS.contains(&k.as_str()))
    {
        Some(k) => Err(format!(
            "--{k} is an envelope option: put it before the request \
             (`ramsim call --state S --as CALLER --{k} … aliyun …`)"
        )),
        None => Ok(()),
    }
}

/// Checks the caller and resolves the world handles of the request's parameters. A caller
/// that names no principal of the world is refused here ("no principal `alcie` — did you
/// mean `alice`?"); an AccessKey id (`LTAI…`, `STS.…`) goes to the gateway, which answers
/// `InvalidAccessKeyId.NotFound` for an unknown one, as Alibaba does.
pub fn prepare(mut req: ApiRequest, state: &SimState, caller: &str) -> Result<ApiRequest, String> {
    if !crate::iam::caller::is_access_key_id(caller) {
        if let Err(e) = state.iam.resolve_caller(&state.world, caller) {
            if e.code == "InvalidAccessKeyId.NotFound" {
                return Err(state.iam.no_principal_message(&state.world, caller));
            }
        }
    }
    let params = Value::Object(std::mem::take(&mut req.params));
    if let Value::Object(p) = substitute_handles(&params, &state.world)? {
        req.params = p;
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn one_word_is_a_line_several_are_argv() {
        let r = read_request(
            &words(&["aliyun vpc DescribeVpcs --RegionId cn-hangzhou --VpcName 'a b'"]),
            None,
        )
        .unwrap();
        assert_eq!(r.params["VpcName"], "a b");
        let r = read_request(
            &words(&[
                "aliyun",
                "vpc",
                "DescribeVpcs",
                "--VpcName",
                "'a b' --RegionId x",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(r.params["VpcName"], "'a b' --RegionId x");
        assert_eq!(r.params.len(), 1);
    }

    #[test]
    fn envelope_options_after_the_line_are_refused_with_a_hint() {
        for (ws, opt) in [
            (
                vec!["aliyun", "vpc", "DescribeVpcs", "--source-ip", "10.0.0.1"],
                "--source-ip",
            ),
            (
                vec!["aliyun", "vpc", "DescribeVpcs", "--insecure"],
                "--insecure",
            ),
            (vec!["aliyun vpc DescribeVpcs --as=netops"], "--as"),
        ] {
            let e = read_request(&words(&ws), None).unwrap_err();
            assert!(
                e.starts_with(&format!(
                    "{opt} is an envelope option: put it before the request"
                )),
                "{e}"
            );
        }
        assert!(read_request(
            &words(&["aliyun", "vpc", "DescribeVpcs", "--Format", "JSON"]),
            None
        )
        .is_ok());
    }
}
