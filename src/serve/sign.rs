//! Request signatures as the official SDKs compute them (research note `sdk-wire.md` §3–§4):
//! `ACS3-HMAC-SHA256` (headers) and RPC signature version 1.0 (`HMAC-SHA1`, in the query or
//! form body). The server recomputes each signature from the decoded request and the
//! AccessKey secret; it never trusts the raw query text.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The only ACS3 algorithm the SDKs were seen to use.
pub const ACS3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Headers every observed SDK signs; a request leaving one out is refused.
pub const ACS3_REQUIRED_SIGNED: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// Decodes one form-encoded component: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn form_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent escape in `{s}`"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("`{s}` does not decode to UTF-8"))
}

/// Splits `a=1&b=2` into decoded pairs, in order (a piece without `=` has an empty value).
pub fn parse_form(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for piece in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        out.push((form_decode(k)?, form_decode(v)?));
    }
    Ok(out)
}

/// Strict RFC 3986 encoding: `A–Z a–z 0–9 - _ . ~` kept, every other byte `%XX` (upper hex).
pub fn rfc3986(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes the lowercase hex of `bytes` into `out` (twice as long) with a table.
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (&b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = LOWER_HEX[usize::from(b >> 4)];
        pair[1] = LOWER_HEX[usize::from(b & 15)];
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The lowercase hex of a 32-byte digest, on the stack (no allocation per request).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Hex32([u8; 64]);

impl Hex32 {
    /// The hex of `digest`.
    pub fn of(digest: &[u8]) -> Hex32 {
        let mut out = [0; 64];
        hex_into(digest, &mut out);
        Hex32(out)
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        // Always ASCII hex digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Hex32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SHA-256 of the empty string: the payload hash of every request without a body (most Gets),
/// known without hashing.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lowercase hex SHA-256 of `bytes`, on the stack.
pub fn sha256_hex32(bytes: &[u8]) -> Hex32 {
    if bytes.is_empty() {
        let mut out = [0; 64];
        out.copy_from_slice(EMPTY_SHA256.as_bytes());
        return Hex32(out);
    }
    Hex32::of(&Sha256::digest(bytes))
}

/// Lowercase hex SHA-256 of `bytes` (`x-acs-content-sha256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha256_hex32(bytes).as_str().to_owned()
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The parts of an `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Authorization {
    /// The AccessKey id (`Credential`).
    pub access_key_id: String,
    /// `SignedHeaders` exactly as sent (lowercase, `;`-separated).
    pub signed_headers: String,
    /// `Signature` (lowercase hex).
    pub signature: String,
}

/// Parses an ACS3 `Authorization` header value.
pub fn parse_acs3_authorization(value: &str) -> Result<Acs3Authorization, String> {
    let (algorithm, rest) = value
        .trim()
        .split_once(' ')
        .ok_or("the Authorization header has no algorithm")?;
    if algorithm != ACS3_ALGORITHM {
        return Err(format!(
            "signature algorithm `{algorithm}` is not supported (use {ACS3_ALGORITHM})"
        ));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| format!("malformed Authorization field `{}`", part.trim()))?;
        let slot = match k {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            other => return Err(format!("unknown Authorization field `{other}`")),
        };
        if slot.replace(v.to_string()).is_some() {
            return Err(format!("Authorization field `{k}` given twice"));
        }
    }
    Ok(Acs3Authorization {
        access_key_id: credential.ok_or("the Authorization header has no Credential")?,
        signed_headers: signed.ok_or("the Authorization header has no SignedHeaders")?,
        signature: signature.ok_or("the Authorization header has no Signature")?,
    })
}

/// The canonical query of ACS3: pairs decoded, sorted by name (byte-wise, then value),
/// re-encoded with [`rfc3986`], joined with `&`.
pub fn acs3_canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&rfc3986(k));
        out.push('=');
        out.push_str(&rfc3986(v));
    }
    out
}

/// The ACS3 canonical request (§3.2 step 7). `header` returns every value of a header
/// (lowercase name); a signed header that is absent is an error. Written into one buffer:
/// the server builds it on every request.
pub fn acs3_canonical_request<'s, 'a, V>(
    method: &str,
    path: &str,
    query: &[(String, String)],
    signed_headers: &'s str,
    header: impl Fn(&'s str) -> V,
    payload_hash: &str,
) -> Result<String, String>
where
    V: IntoIterator<Item = &'a str>,
{
    let query = acs3_canonical_query(query);
    let mut out = String::with_capacity(
        method.len()
            + path.len()
            + query.len()
            + 2 * signed_headers.len()
            + payload_hash.len()
            + 512,
    );
    for part in [method, "\n", path, "\n", &query, "\n"] {
        out.push_str(part);
    }
    // One list reused for every header's values (almost always exactly one).
    let mut values: Vec<&str> = Vec::new();
    for name in signed_headers.split(';') {
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "SignedHeaders entry `{name}` is not a lowercase header name"
            ));
        }
        values.clear();
        values.extend(header(name).into_iter().map(str::trim));
        if values.is_empty() {
            return Err(format!(
                "signed header `{name}` is missing from the request"
            ));
        }
        values.sort_unstable();
        out.push_str(name);
        out.push(':');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(v);
        }
        out.push('\n');
    }
    for part in ["\n", signed_headers, "\n", payload_hash] {
        out.push_str(part);
    }
    Ok(out)
}

/// `ACS3-HMAC-SHA256\n<hex sha256(canonical request)>`.
pub fn acs3_string_to_sign(canonical_request: &str) -> String {
    let digest = Hex32::of(&Sha256::digest(canonical_request.as_bytes()));
    let mut out = String::with_capacity(ACS3_ALGORITHM.len() + 1 + 64);
    out.push_str(ACS3_ALGORITHM);
    out.push('\n');
    out.push_str(digest.as_str());
    out
}

/// Lowercase-hex HMAC-SHA256 of the string to sign, keyed with the secret.
pub fn acs3_signature(secret: &str, string_to_sign: &str) -> String {
    acs3_signature_hex32(secret, string_to_sign).map_or_else(String::new, |h| h.as_str().to_owned())
}

/// [`acs3_signature`] on the stack (`None` never happens: HMAC takes keys of any length).
pub fn acs3_signature_hex32(secret: &str, string_to_sign: &str) -> Option<Hex32> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(string_to_sign.as_bytes());
    Some(Hex32::of(&mac.finalize().into_bytes()))
}

/// The RPC 1.0 string to sign (§4.2 steps 4–5) over every parameter but `Signature`.
pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let canonical = acs3_canonical_query(params);
    format!("{method}&%2F&{}", rfc3986(&canonical))
}

/// base64(HMAC-SHA1(secret + "&", string to sign)).
pub fn rpc_signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    match Hmac::<Sha1>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "fakeSecretForLocalTestsOnly0001";

    fn headers<'a>(
        list: &'a [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Vec<&'static str> + 'a {
        move |name: &str| {
            list.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
                .collect()
        }
    }

    /// sdk-wire.md §3.3: the new Python SDK, body and query.
    #[test]
    fn acs3_known_answer_python_body_and_query() {
        let body = "AcceptingAliUid=1234567890123456&AcceptingRegionId=cn-shanghai&AcceptingVpcId=vpc-bbb&Bandwidth=1024&ClientToken=tok-1&Description=desc+with+spaces+%26+symbols+%2A~%2F&DryRun=False&Name=my+peer&RegionId=cn-hangzhou&ResourceGroupId=rg-1&VpcId=vpc-aaa";
        let hash = sha256_hex(body.as_bytes());
        assert_eq!(
            hash,
            "ae3c2ee82854d596abb9f1ce35a0750030f2ec7b8873d1cdc02495f0185ac4ab"
        );
        let h = [
            ("host", "127.0.0.1:18080"),
            ("x-acs-version", "2022-01-01"),
            ("x-acs-action", "CreateVpcPeerConnection"),
            (
                "user-agent",
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            ),
            ("x-acs-date", "2026-11-22T03:37:35Z"),
            ("x-acs-signature-nonce", "e16acc4e8cf4139b9ee91651ea8ad717"),
            ("accept", "application/json"),
            ("content-type", "application/x-www-form-urlencoded"),
            (
                "x-acs-content-sha256",
                "ae3c2ee82854d596abb9f1ce35a0750030f2ec7b8873d1cdc02495f0185ac4ab",
            ),
            ("x-acs-credentials-provider", "static_ak"),
        ];
        let auth = parse_acs3_authorization("ACS3-HMAC-SHA256 Credential=LTAIFAKEKEYID0001,SignedHeaders=accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=a3c9b328bdd83d0e22ac0d503c0346b6e54eb6e41a369d2b6a09765748ba4773").unwrap();
        assert_eq!(auth.access_key_id, "LTAIFAKEKEYID0001");
        let query = parse_form(
            "LinkType=Platinum&Tag.1.Key=env&Tag.1.Value=prod&Tag.2.Key=team&Tag.2.Value=net+ops",
        )
        .unwrap();
        assert_eq!(
            acs3_canonical_query(&query),
            "LinkType=Platinum&Tag.1.Key=env&Tag.1.Value=prod&Tag.2.Key=team&Tag.2.Value=net%20ops"
        );
        let canonical = acs3_canonical_request(
            "POST",
            "/",
            &query,
            &auth.signed_headers,
            headers(&h),
            &hash,
        )
        .unwrap();
        let sts = acs3_string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\na5d6dc66838f31e694ff912a3ec3e3feffe48665c216fcaaa2bd6ea9207c9348"
        );
        assert_eq!(acs3_signature(SECRET, &sts), auth.signature);
        assert_ne!(acs3_signature("wrongSecret", &sts), auth.signature);
        // A tampered body changes the payload hash and so the signature.
        let tampered = sha256_hex(body.replace("vpc-bbb", "vpc-ccc").as_bytes());
        let canonical2 = acs3_canonical_request(
            "POST",
            "/",
            &query,
            &auth.signed_headers,
            headers(&h),
            &tampered,
        )
        .unwrap();
        assert_ne!(
            acs3_signature(SECRET, &acs3_string_to_sign(&canonical2)),
            auth.signature
        );
    }

    /// sdk-wire.md §3.4: the Node SDK, awkward characters, query only.
    #[test]
    fn acs3_known_answer_node_awkward_characters() {
        let raw = "CidrBlock=10.0.0.0%2F8&Description=a%2Bb%20c*~%2F%C3%A9%E4%B8%AD%26%3D%25%27()!&DryRun=true&EnableIpv6=false&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=prod&VpcName=v%201";
        let query = parse_form(raw).unwrap();
        assert_eq!(acs3_canonical_query(&query), "CidrBlock=10.0.0.0%2F8&Description=a%2Bb%20c%2A~%2F%C3%A9%E4%B8%AD%26%3D%25%27%28%29%21&DryRun=true&EnableIpv6=false&RegionId=cn-hangzhou&Tag.1.Key=env&Tag.1.Value=prod&VpcName=v%201");
        let h = [
            ("host", "127.0.0.1:18080"),
            ("x-acs-version", "2016-04-28"),
            ("x-acs-action", "CreateVpc"),
            ("x-acs-date", "2026-11-22T03:39:31Z"),
            (
                "x-acs-signature-nonce",
                "57be4e8cca48ed0bfb6d6c8ae976b35f2f6180c01459f15a6c8212c1573d0c6d",
            ),
            (
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("x-acs-credentials-provider", "static_ak"),
        ];
        let signed = "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";
        let canonical =
            acs3_canonical_request("POST", "/", &query, signed, headers(&h), &sha256_hex(b""))
                .unwrap();
        let sts = acs3_string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\n2188a31f8abf77bf0761491e57b39fe478f76d0ed0a922249fc98374afc1b3b8"
        );
        assert_eq!(
            acs3_signature(SECRET, &sts),
            "444689ba3fe9b02b934377770465afc64bb7ac81717d5ab5fde8e9af0b0573b6"
        );
        // Python's form-style spelling of the same description canonicalises identically.
        let py = parse_form("Description=a%2Bb+c%2A~%2F%C3%A9%E4%B8%AD%26%3D%25").unwrap();
        let node = parse_form("Description=a%2Bb%20c*~%2F%C3%A9%E4%B8%AD%26%3D%25").unwrap();
        assert_eq!(acs3_canonical_query(&py), acs3_canonical_query(&node));
        // A signed header that is missing is an error, not an empty value.
        assert!(
            acs3_canonical_request("POST", "/", &query, "host;x-acs-missing", headers(&h), "")
                .is_err()
        );
    }

    /// sdk-wire.md §4.3: the old core SDK, CommonRequest with query and body.
    #[test]
    fn rpc_v1_known_answer_old_core_sdk() {
        let query = "Tag.1.Key=env&Tag.1.Value=prod&Version=2022-01-01&Action=CreateVpcPeerConnection&Format=JSON&RegionId=cn-hangzhou&Timestamp=2026-11-22T03%3A37%3A27Z&SignatureMethod=HMAC-SHA1&SignatureType=&SignatureVersion=1.0&SignatureNonce=456ecba3e836db6191924daf016e8322&AccessKeyId=LTAIFAKEKEYID0001&Signature=DLw1phPoET7acooFjJ9W%2F9QJsro%3D";
        let body =
            "VpcId=vpc-aaa&AcceptingVpcId=vpc-bbb&AcceptingAliUid=123&RegionId=cn-hangzhou&Name=my+peer";
        let mut params = parse_form(query).unwrap();
        params.extend(parse_form(body).unwrap());
        let pos = params.iter().position(|(k, _)| k == "Signature").unwrap();
        let (_, signature) = params.remove(pos);
        // RegionId arrives twice with the same value; both copies are signed.
        let sts = rpc_string_to_sign("POST", &params);
        let mut dedup = params.clone();
        dedup.sort();
        dedup.dedup();
        let sts_dedup = rpc_string_to_sign("POST", &dedup);
        let expected = "POST&%2F&AcceptingAliUid%3D123%26AcceptingVpcId%3Dvpc-bbb%26AccessKeyId%3DLTAIFAKEKEYID0001%26Action%3DCreateVpcPeerConnection%26Format%3DJSON%26Name%3Dmy%2520peer%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D456ecba3e836db6191924daf016e8322%26SignatureType%3D%26SignatureVersion%3D1.0%26Tag.1.Key%3Denv%26Tag.1.Value%3Dprod%26Timestamp%3D2026-11-22T03%253A37%253A27Z%26Version%3D2022-01-01%26VpcId%3Dvpc-aaa";
        assert_eq!(sts_dedup, expected);
        assert_ne!(sts, expected, "a duplicated pair is signed twice");
        assert_eq!(signature, "DLw1phPoET7acooFjJ9W/9QJsro=");
        assert_eq!(rpc_signature(SECRET, &sts_dedup), signature);
        assert_ne!(rpc_signature("wrong", &sts_dedup), signature);
    }

    /// The empty payload's hash is the constant, without hashing; hex is lowercase, two digits
    /// a byte.
    #[test]
    fn empty_payload_hash_and_hex() {
        assert_eq!(hex(&Sha256::digest(b"")), EMPTY_SHA256);
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(format!("{:?}", sha256_hex32(b"")), EMPTY_SHA256);
    }

    #[test]
    fn form_decoding_and_encoding() {
        assert_eq!(form_decode("a+b%20c%2A").unwrap(), "a b c*");
        assert!(form_decode("%zz").is_err());
        assert!(form_decode("%4").is_err());
        assert!(form_decode("%FF").is_err());
        assert_eq!(rfc3986("a b*~/é"), "a%20b%2A~%2F%C3%A9");
        assert_eq!(
            parse_form("a=1&b&c=").unwrap(),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), String::new())
            ]
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn authorization_header_errors() {
        for bad in [
            "",
            "ACS3-HMAC-SHA256",
            "ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
            "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential=a,Bogus=1,SignedHeaders=host,Signature=00",
            "ACS3-HMAC-SHA256 Credential",
        ] {
            assert!(parse_acs3_authorization(bad).is_err(), "{bad:?}");
        }
    }
}
