//! Authentication of one HTTP request: which signature scheme, the signature recomputed from
//! the AccessKey secret, the security token of STS keys, the signed time against the server's
//! clock, and the nonce against replays. Every failure is an Alibaba error code with its HTTP
//! status, answered before the gateway: authentication never becomes a policy decision.

use super::sign::*;
use super::wire::{merge_params, WireError};
use crate::analysis::fxhash::FxHashMap;
use crate::cloud::Timestamp;
use crate::iam::secrets::{Credential, Holder};
use serde_json::{Map, Value};
use std::collections::hash_map::Entry;
use std::collections::VecDeque;
use std::sync::Arc;

/// Allowed difference between a request's signed time and the server's clock, and how long a
/// nonce is remembered (ASSUMED: 15 minutes, the window Alibaba's gateway is reported to use).
pub const SKEW_WINDOW_SECS: i64 = 15 * 60;

/// What the server needs to know of an HTTP request.
#[derive(Debug, Clone)]
pub struct RequestView<'a> {
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The path (`/` for RPC).
    pub path: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// Headers, names lowercase, in arrival order (borrowed from the HTTP request: no copy).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes.
    pub body: &'a [u8],
}

impl<'a> RequestView<'a> {
    /// Every value of header `name` (lowercase), in arrival order.
    pub fn header_values<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        self.headers
            .iter()
            .filter(move |(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    fn form_body(&self) -> Result<Vec<(String, String)>, WireError> {
        if self.body.is_empty() {
            return Ok(Vec::new());
        }
        let is_form = self.header("content-type").is_some_and(|c| {
            c.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
        if !is_form {
            return Err(WireError::bad(
                "InvalidParameter",
                "A request body must be application/x-www-form-urlencoded (RPC style).",
            ));
        }
        let text = std::str::from_utf8(self.body)
            .map_err(|_| WireError::bad("InvalidParameter", "The request body is not UTF-8."))?;
        parse_form(text).map_err(|e| WireError::bad("InvalidParameter", format!("body: {e}")))
    }
}

/// Options of authentication.
#[derive(Debug, Clone, Copy)]
pub struct AuthOptions {
    /// Check the signed time against the server's clock (off to replay recorded traffic).
    pub skew_check: bool,
}

/// An authenticated call, ready for the gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct Authenticated {
    /// The AccessKeyId that signed (`LTAI…` or `STS.…`).
    pub access_key_id: String,
    /// `x-acs-action` / `Action`.
    pub action: String,
    /// `x-acs-version` / `Version`.
    pub version: String,
    /// The signed request time.
    pub time: Timestamp,
    /// The API's parameters (query and body merged, protocol parameters removed).
    pub params: Map<String, Value>,
}

/// Nonces seen within the window, per AccessKey: a replayed nonce is refused while the window
/// since its first use lasts, and forgotten after it (the memory bound: one window of nonces).
#[derive(Debug, Default)]
pub struct NonceCache {
    /// `<key length, 4 bytes LE><key><nonce>` (one allocation per nonce, shared with `order`)
    /// to the wall time it was seen. Fx hashing: only nonces of requests whose signature
    /// verified get here, so nobody without a secret can choose colliding keys.
    seen: FxHashMap<Arc<[u8]>, i64>,
    order: VecDeque<(i64, Arc<[u8]>)>,
}

impl NonceCache {
    /// Records `nonce` of `key` at wall time `now`; false when it was used within the window.
    pub fn admit(&mut self, key: &str, nonce: &str, now: i64) -> bool {
        while let Some((t, _)) = self.order.front() {
            if now - *t <= SKEW_WINDOW_SECS {
                break;
            }
            if let Some((t, k)) = self.order.pop_front() {
                if self.seen.get(&k) == Some(&t) {
                    self.seen.remove(&k);
                }
            }
        }
        // The length prefix keeps the pair unambiguous whatever characters the two hold.
        let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
        let mut bytes = Vec::with_capacity(4 + key.len() + nonce.len());
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(nonce.as_bytes());
        let k: Arc<[u8]> = Arc::from(bytes);
        match self.seen.entry(Arc::clone(&k)) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(now);
                self.order.push_back((now, k));
                true
            }
        }
    }
}

fn incomplete(message: impl Into<String>) -> WireError {
    WireError::bad("IncompleteSignature", message)
}

/// The signature scheme of a request (research note §4.4).
enum Scheme {
    Acs3(Acs3Authorization),
    RpcV1,
}

/// What a scheme yields before the credential is known.
struct Signed {
    access_key_id: String,
    token: Option<String>,
    action: String,
    version: String,
    time: String,
    nonce: String,
    params: Map<String, Value>,
    /// Which scheme signs `string_to_sign`.
    acs3: bool,
    /// The string to sign, as the server computes it.
    string_to_sign: String,
    /// The ACS3 canonical request (shown by `--verbose` on a mismatch; empty for RPC 1.0).
    canonical_request: String,
    given: String,
}

impl Signed {
    /// Whether the secret gives the signature the request carries (compared in constant time).
    fn signature_matches(&self, secret: &str) -> bool {
        let given = self.given.as_bytes();
        if self.acs3 {
            acs3_signature_hex32(secret, &self.string_to_sign)
                .is_some_and(|h| constant_time_eq(h.as_str().as_bytes(), given))
        } else {
            constant_time_eq(
                rpc_signature(secret, &self.string_to_sign).as_bytes(),
                given,
            )
        }
    }

    /// The server's canonical text for `--verbose`.
    fn canonical(&self) -> String {
        if self.acs3 {
            format!(
                "{}\n--- string to sign ---\n{}",
                self.canonical_request, self.string_to_sign
            )
        } else {
            self.string_to_sign.clone()
        }
    }
}

fn required(v: Option<&str>, what: &str) -> Result<String, WireError> {
    required_str(v, what).map(str::to_string)
}

/// [`required`], borrowed.
fn required_str<'v>(v: Option<&'v str>, what: &str) -> Result<&'v str, WireError> {
    match v.map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(incomplete(format!("The request has no {what}."))),
    }
}

fn acs3(req: &RequestView<'_>, auth: Acs3Authorization) -> Result<Signed, WireError> {
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    for h in ACS3_REQUIRED_SIGNED {
        if !signed.contains(&h) {
            return Err(incomplete(format!(
                "The header `{h}` must be among the SignedHeaders."
            )));
        }
    }
    let token = req.header("x-acs-security-token").map(str::to_string);
    if token.is_some() && !signed.contains(&"x-acs-security-token") {
        return Err(incomplete(
            "The header `x-acs-security-token` must be among the SignedHeaders.",
        ));
    }
    let payload = sha256_hex32(req.body);
    let payload = payload.as_str();
    let claimed = required_str(
        req.header("x-acs-content-sha256"),
        "x-acs-content-sha256 header",
    )?;
    if claimed != payload {
        return Err(WireError {
            status: 400,
            code: "SignatureDoesNotMatch",
            message: format!("The x-acs-content-sha256 header `{claimed}` is not the SHA-256 of the request body ({payload})."),
            canonical: None,
        });
    }
    let query = parse_form(req.query).map_err(|e| WireError::bad("InvalidParameter", e))?;
    let canonical = acs3_canonical_request(
        req.method,
        req.path,
        &query,
        &auth.signed_headers,
        |n| req.header_values(n),
        payload,
    )
    .map_err(incomplete)?;
    let string_to_sign = acs3_string_to_sign(&canonical);
    let body = req.form_body()?;
    let params = merge_params(&query, &body)?;
    Ok(Signed {
        access_key_id: auth.access_key_id,
        token,
        action: required(req.header("x-acs-action"), "x-acs-action header")?,
        version: required(req.header("x-acs-version"), "x-acs-version header")?,
        time: required(req.header("x-acs-date"), "x-acs-date header")?,
        nonce: required(
            req.header("x-acs-signature-nonce"),
            "x-acs-signature-nonce header",
        )?,
        params,
        acs3: true,
        string_to_sign,
        canonical_request: canonical,
        given: auth.signature,
    })
}

fn rpc(req: &RequestView<'_>) -> Result<Signed, WireError> {
    let query = parse_form(req.query).map_err(|e| WireError::bad("InvalidParameter", e))?;
    let body = req.form_body()?;
    // The SDKs sign one map of query and body parameters: a name present in both is one entry.
    let mut all: Vec<(String, String)> = query.iter().chain(&body).cloned().collect();
    all.sort();
    all.dedup();
    for w in all.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(WireError::bad(
                "InvalidParameter",
                format!(
                    "The parameter `{}` is given twice with different values.",
                    w[0].0
                ),
            ));
        }
    }
    let get = |name: &str| all.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let given = required(get("Signature"), "Signature parameter")?;
    match get("SignatureMethod") {
        Some("HMAC-SHA1") => {}
        other => {
            return Err(WireError::bad(
                "InvalidSignatureMethod",
                format!(
                    "Specified signature method `{}` is not supported (use HMAC-SHA1).",
                    other.unwrap_or_default()
                ),
            ))
        }
    }
    if get("SignatureVersion") != Some("1.0") {
        return Err(WireError::bad(
            "InvalidSignatureVersion",
            "Specified signature version is not supported (use 1.0).",
        ));
    }
    let action = required(
        get("Action").or(req.header("x-acs-action")),
        "Action parameter",
    )?;
    let version = required(
        get("Version").or(req.header("x-acs-version")),
        "Version parameter",
    )?;
    let time = match get("Timestamp") {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => return Err(WireError::bad("MissingTimestamp", "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.")),
    };
    let nonce = match get("SignatureNonce") {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => return Err(WireError::bad("MissingSignatureNonce", "The input parameter \"SignatureNonce\" that is mandatory for processing this request is not supplied.")),
    };
    let access_key_id = match get("AccessKeyId") {
        Some(a) if !a.is_empty() => a.to_string(),
        _ => return Err(WireError::bad("MissingAccessKeyId", "The input parameter \"AccessKeyId\" that is mandatory for processing this request is not supplied.")),
    };
    let token = get("SecurityToken").map(str::to_string);
    let signed: Vec<(String, String)> = all
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    let string_to_sign = rpc_string_to_sign(req.method, &signed);
    let params = merge_params(&query, &body)?;
    Ok(Signed {
        access_key_id,
        token,
        action,
        version,
        time,
        nonce,
        params,
        acs3: false,
        string_to_sign,
        canonical_request: String::new(),
        given,
    })
}

/// Authenticates `req`. `lookup` gives the credential of an AccessKeyId and the scenario
/// clock (session expiry is judged at the later of the clock and the signed time);
/// `wall_now` is the server's clock in epoch seconds.
pub fn authenticate(
    req: &RequestView<'_>,
    options: AuthOptions,
    wall_now: i64,
    lookup: impl FnOnce(&str) -> (Option<Credential>, Timestamp),
    nonces: &std::sync::Mutex<NonceCache>,
) -> Result<Authenticated, WireError> {
    let scheme =
        match req.header("authorization") {
            Some(a) if a.trim_start().starts_with("ACS3-") => {
                Scheme::Acs3(parse_acs3_authorization(a).map_err(incomplete)?)
            }
            Some(_) => {
                return Err(incomplete(
                    "The Authorization header is not ACS3 (ACS3-HMAC-SHA256 is supported).",
                ))
            }
            None if req.query.split('&').any(|p| p.starts_with("Signature="))
                || std::str::from_utf8(req.body)
                    .is_ok_and(|b| b.split('&').any(|p| p.starts_with("Signature="))) =>
            {
                Scheme::RpcV1
            }
            None => return Err(incomplete(
                "The request is not signed (no ACS3 Authorization header and no RPC Signature).",
            )),
        };
    let s = match scheme {
        Scheme::Acs3(a) => acs3(req, a)?,
        Scheme::RpcV1 => rpc(req)?,
    };
    let (credential, clock) = lookup(&s.access_key_id);
    let Some(credential) = credential else {
        // ASSUMED status 404 (the research note could not confirm it).
        return Err(WireError {
            status: 404,
            code: "InvalidAccessKeyId.NotFound",
            message: "Specified access key is not found.".into(),
            canonical: None,
        });
    };
    if credential.status != "Active" {
        return Err(WireError::bad(
            "InvalidAccessKeyId.Inactive",
            "Specified access key is disabled.",
        ));
    }
    if !s.signature_matches(&credential.secret) {
        // The old core SDK splits this message at its first colon: keep Alibaba's wording.
        return Err(WireError {
            status: 400,
            code: "SignatureDoesNotMatch",
            message: format!(
                "Specified signature is not matched with our calculation. server string to sign is:{}",
                s.string_to_sign
            ),
            canonical: Some(s.canonical()),
        });
    }
    let time = Timestamp::parse(&s.time).ok_or_else(|| {
        WireError::bad(
            "InvalidTimeStamp.Format",
            format!("Specified time stamp or date value `{}` is not well formatted (YYYY-MM-DDThh:mm:ssZ).", s.time),
        )
    })?;
    if options.skew_check && (time.epoch() - wall_now).abs() > SKEW_WINDOW_SECS {
        return Err(WireError::bad(
            "InvalidTimeStamp.Expired",
            format!("Specified time stamp or date value is expired: `{}` is more than 15 minutes from the server's time.", s.time),
        ));
    }
    if let Holder::Session { expires, .. } = &credential.holder {
        match (&s.token, &credential.security_token) {
            (None, _) => {
                return Err(WireError::bad(
                    "MissingSecurityToken",
                    "The SecurityToken of an STS AccessKey is not supplied.",
                ))
            }
            (Some(given), Some(real)) if constant_time_eq(given.as_bytes(), real.as_bytes()) => {}
            _ => {
                return Err(WireError::bad(
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatches with the AccessKey.",
                ))
            }
        }
        let at = if time > clock { time } else { clock };
        if at.epoch() >= *expires {
            return Err(WireError::bad(
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired.",
            ));
        }
    } else if s.token.is_some() {
        return Err(WireError::bad(
            "InvalidSecurityToken.MismatchWithAccessKey",
            "A SecurityToken was supplied with a long-term AccessKey.",
        ));
    }
    let admitted = match nonces.lock() {
        Ok(mut n) => n.admit(&s.access_key_id, &s.nonce, wall_now),
        Err(_) => false,
    };
    if !admitted {
        return Err(WireError::bad(
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(Authenticated {
        access_key_id: s.access_key_id,
        action: s.action,
        version: s.version,
        time,
        params: s.params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const SECRET: &str = "fakeSecretForLocalTestsOnly0001";
    const AK: &str = "LTAIFAKEKEYID0001";

    /// A nonce is refused again within the window for the same key, never confused with
    /// another key's nonce (however the two split), and forgotten after the window.
    #[test]
    fn nonce_cache_keys_pairs_exactly_and_forgets_after_the_window() {
        let mut c = NonceCache::default();
        assert!(c.admit("ab", "c", 100));
        assert!(!c.admit("ab", "c", 100));
        assert!(c.admit("a", "bc", 100));
        assert!(c.admit("ab", "cd", 100));
        assert!(!c.admit("ab", "c", 100 + SKEW_WINDOW_SECS));
        assert!(c.admit("ab", "c", 101 + SKEW_WINDOW_SECS));
        assert!(!c.admit("ab", "c", 101 + SKEW_WINDOW_SECS));
        assert_eq!(c.seen.len(), c.order.len());
    }

    /// The cache holds one window of nonces: those seen more than a window ago are dropped
    /// (the memory bound), those within it are all kept and refused again.
    #[test]
    fn nonce_cache_holds_exactly_one_window() {
        let mut c = NonceCache::default();
        for t in 0..100 {
            assert!(c.admit(AK, &format!("n{t}"), t));
        }
        assert_eq!(c.seen.len(), 100);
        // At 50 + window, the nonces of 0..50 are older than the window.
        assert!(c.admit(AK, "late", 50 + SKEW_WINDOW_SECS));
        assert_eq!((c.seen.len(), c.order.len()), (51, 51));
        for t in 0..100 {
            let again = c.admit(AK, &format!("n{t}"), 50 + SKEW_WINDOW_SECS);
            assert_eq!(again, t < 50, "nonce n{t}");
        }
        assert!(!c.admit(AK, "late", 50 + SKEW_WINDOW_SECS));
    }

    fn user_credential(secret: &str) -> Credential {
        Credential {
            access_key_id: AK.into(),
            secret: secret.into(),
            security_token: None,
            status: "Active".into(),
            holder: Holder::User {
                account: "1".into(),
                name: "u".into(),
            },
        }
    }

    /// The §4.3 vector as the server receives it.
    fn rpc_vector() -> (String, Vec<(String, String)>, String) {
        let query = "Tag.1.Key=env&Tag.1.Value=prod&Version=2022-01-01&Action=CreateVpcPeerConnection&Format=JSON&RegionId=cn-hangzhou&Timestamp=2026-11-22T03%3A37%3A27Z&SignatureMethod=HMAC-SHA1&SignatureType=&SignatureVersion=1.0&SignatureNonce=456ecba3e836db6191924daf016e8322&AccessKeyId=LTAIFAKEKEYID0001&Signature=DLw1phPoET7acooFjJ9W%2F9QJsro%3D".to_string();
        let headers = vec![(
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        let body =
            "VpcId=vpc-aaa&AcceptingVpcId=vpc-bbb&AcceptingAliUid=123&RegionId=cn-hangzhou&Name=my+peer"
                .to_string();
        (query, headers, body)
    }

    fn wall(t: &str) -> i64 {
        Timestamp::parse(t).unwrap().epoch()
    }

    fn run(
        query: &str,
        headers: &[(String, String)],
        body: &str,
        secret: &str,
        wall_now: i64,
        skew: bool,
        nonces: &Mutex<NonceCache>,
    ) -> Result<Authenticated, WireError> {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let req = RequestView {
            method: "POST",
            path: "/",
            query,
            headers: &headers,
            body: body.as_bytes(),
        };
        authenticate(
            &req,
            AuthOptions { skew_check: skew },
            wall_now,
            |id| {
                (
                    (id == AK).then(|| user_credential(secret)),
                    Timestamp::from_epoch(0),
                )
            },
            nonces,
        )
    }

    #[test]
    fn rpc_vector_authenticates_then_replay_is_refused() {
        let (q, h, b) = rpc_vector();
        let nonces = Mutex::new(NonceCache::default());
        let now = wall("2026-11-22T03:40:00Z");
        let ok = run(&q, &h, &b, SECRET, now, true, &nonces).unwrap();
        assert_eq!(ok.action, "CreateVpcPeerConnection");
        assert_eq!(ok.version, "2022-01-01");
        assert_eq!(ok.params["Name"], "my peer");
        assert_eq!(ok.params["Tag.1.Key"], "env");
        assert!(!ok.params.contains_key("Signature") && !ok.params.contains_key("AccessKeyId"));
        let replay = run(&q, &h, &b, SECRET, now + 5, true, &nonces).unwrap_err();
        assert_eq!(replay.code, "SignatureNonceUsed");
        // Past the window the nonce is forgotten (the skew check would refuse it anyway).
        assert!(run(
            &q,
            &h,
            &b,
            SECRET,
            now + 2 * SKEW_WINDOW_SECS,
            false,
            &nonces
        )
        .is_ok());
    }

    #[test]
    fn rpc_failures_are_alibaba_errors() {
        let (q, h, b) = rpc_vector();
        let now = wall("2026-11-22T03:40:00Z");
        let fresh = || Mutex::new(NonceCache::default());
        let wrong = run(&q, &h, &b, "wrongSecret", now, true, &fresh()).unwrap_err();
        assert_eq!((wrong.status, wrong.code), (400, "SignatureDoesNotMatch"));
        assert!(wrong.message.contains("server string to sign is:POST&%2F&"));
        assert!(wrong.canonical.is_some());
        let tampered = run(
            &q,
            &h,
            &b.replace("vpc-bbb", "vpc-ccc"),
            SECRET,
            now,
            true,
            &fresh(),
        )
        .unwrap_err();
        assert_eq!(tampered.code, "SignatureDoesNotMatch");
        let unknown = run(
            &q.replace("LTAIFAKEKEYID0001", "LTAIOTHER00000001"),
            &h,
            &b,
            SECRET,
            now,
            true,
            &fresh(),
        )
        .unwrap_err();
        assert_eq!(
            (unknown.status, unknown.code),
            (404, "InvalidAccessKeyId.NotFound")
        );
        let skewed = run(&q, &h, &b, SECRET, now + 3600, true, &fresh()).unwrap_err();
        assert_eq!(
            (skewed.status, skewed.code),
            (400, "InvalidTimeStamp.Expired")
        );
        assert!(run(&q, &h, &b, SECRET, now + 3600, false, &fresh()).is_ok());
        let unsigned = run("Action=X", &h, "", SECRET, now, true, &fresh()).unwrap_err();
        assert_eq!(unsigned.code, "IncompleteSignature");
    }

    /// The §3.3 vector (ACS3, Python SDK) as the server receives it.
    #[test]
    fn acs3_vector_authenticates_and_tampering_fails() {
        let body = "AcceptingAliUid=1234567890123456&AcceptingRegionId=cn-shanghai&AcceptingVpcId=vpc-bbb&Bandwidth=1024&ClientToken=tok-1&Description=desc+with+spaces+%26+symbols+%2A~%2F&DryRun=False&Name=my+peer&RegionId=cn-hangzhou&ResourceGroupId=rg-1&VpcId=vpc-aaa";
        let h: Vec<(String, String)> = [
            ("accept-encoding", "identity"),
            ("host", "127.0.0.1:18080"),
            ("x-acs-version", "2022-01-01"),
            ("x-acs-action", "CreateVpcPeerConnection"),
            ("user-agent", "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"),
            ("x-acs-date", "2026-11-22T03:37:35Z"),
            ("x-acs-signature-nonce", "e16acc4e8cf4139b9ee91651ea8ad717"),
            ("accept", "application/json"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-acs-content-sha256", "ae3c2ee82854d596abb9f1ce35a0750030f2ec7b8873d1cdc02495f0185ac4ab"),
            ("x-acs-credentials-provider", "static_ak"),
            ("authorization", "ACS3-HMAC-SHA256 Credential=LTAIFAKEKEYID0001,SignedHeaders=accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=a3c9b328bdd83d0e22ac0d503c0346b6e54eb6e41a369d2b6a09765748ba4773"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let q =
            "LinkType=Platinum&Tag.1.Key=env&Tag.1.Value=prod&Tag.2.Key=team&Tag.2.Value=net+ops";
        let now = wall("2026-11-22T03:37:40Z");
        let fresh = || Mutex::new(NonceCache::default());
        let ok = run(q, &h, body, SECRET, now, true, &fresh()).unwrap();
        assert_eq!(ok.params["DryRun"], "False");
        assert_eq!(ok.params["Tag.2.Value"], "net ops");
        assert_eq!(ok.params["Description"], "desc with spaces & symbols *~/");
        assert_eq!(ok.time.to_string(), "2026-11-22T03:37:35Z");
        // Body changed but hash header kept: the payload hash no longer matches.
        let e = run(
            q,
            &h,
            &body.replace("vpc-bbb", "vpc-ccc"),
            SECRET,
            now,
            true,
            &fresh(),
        )
        .unwrap_err();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        // Query changed: the canonical request differs.
        let e = run(
            &q.replace("Platinum", "Gold"),
            &h,
            body,
            SECRET,
            now,
            true,
            &fresh(),
        )
        .unwrap_err();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        let e = run(q, &h, body, "wrongSecret", now, true, &fresh()).unwrap_err();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        // A required header dropped from SignedHeaders.
        let mut h2 = h.clone();
        if let Some(a) = h2.iter_mut().find(|(k, _)| k == "authorization") {
            a.1 = a.1.replace(";x-acs-signature-nonce", "");
        }
        assert_eq!(
            run(q, &h2, body, SECRET, now, true, &fresh())
                .unwrap_err()
                .code,
            "IncompleteSignature"
        );
    }

    #[test]
    fn sessions_need_their_token_until_expiry() {
        let (q, h, b) = rpc_vector();
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let now = wall("2026-11-22T03:40:00Z");
        let session = |expires: i64| Credential {
            access_key_id: AK.into(),
            secret: SECRET.into(),
            security_token: Some("CAIStoken".into()),
            status: "Active".into(),
            holder: Holder::Session {
                account: "1".into(),
                role: "r".into(),
                session: "s".into(),
                expires,
            },
        };
        let attempt = |query: &str, expires: i64| {
            let req = RequestView {
                method: "POST",
                path: "/",
                query,
                headers: &h,
                body: b.as_bytes(),
            };
            authenticate(
                &req,
                AuthOptions { skew_check: false },
                now,
                |_| (Some(session(expires)), Timestamp::from_epoch(0)),
                &Mutex::new(NonceCache::default()),
            )
        };
        // The vector carries no token: refused for a session key.
        assert_eq!(
            attempt(&q, i64::MAX).unwrap_err().code,
            "MissingSecurityToken"
        );
        // Appending a token to the vector breaks its signature (the token is signed).
        let with_token = format!("{q}&SecurityToken=CAIStoken");
        assert_eq!(
            attempt(&with_token, i64::MAX).unwrap_err().code,
            "SignatureDoesNotMatch"
        );
        // Freshly signed requests: right token, wrong token, expired session.
        let signed = |token: &str| {
            let mut pairs = parse_form(&q).unwrap();
            pairs.retain(|(k, _)| k != "Signature");
            pairs.push(("SecurityToken".into(), token.into()));
            let mut all = pairs.clone();
            all.extend(parse_form(&b).unwrap());
            all.sort();
            all.dedup();
            let sig = rpc_signature(SECRET, &rpc_string_to_sign("POST", &all));
            pairs.push(("Signature".into(), sig));
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(attempt(&signed("CAIStoken"), now + 60).is_ok());
        assert_eq!(
            attempt(&signed("CAISother"), now + 60).unwrap_err().code,
            "InvalidSecurityToken.MismatchWithAccessKey"
        );
        // The signed time (03:37:27Z) is before `now`; expiry is judged at the signed time or
        // the scenario clock, whichever is later.
        let signed_at = wall("2026-11-22T03:37:27Z");
        assert_eq!(
            attempt(&signed("CAIStoken"), signed_at).unwrap_err().code,
            "InvalidSecurityToken.Expired"
        );
        assert!(attempt(&signed("CAIStoken"), signed_at + 1).is_ok());
    }
}
