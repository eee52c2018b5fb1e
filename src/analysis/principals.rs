//! The principal dimension of resource and trust policies.
//!
//! A `Principal` element names callers by account (`*`, a bare UID, `acs:ram::<uid>:root`), by
//! ARN glob (RAM users, roles and role sessions, SAML/OIDC providers, §5.4), by UID (the OSS
//! bucket-policy form) or by service name. Whether a statement's element names the caller is a
//! function of the caller's ARN(s), account and kind, so the callers split into finitely many
//! classes by the constants the elements mention: each ARN shape (root, user, role session,
//! role, providers) is walked as a product automaton over those constants (as resources are),
//! every region's shortest member becomes a candidate caller, and readable callers built from
//! the constants (their wildcards filled, each account they name, the resource owner's account
//! and one account no element names) are tried first. Services are the names written plus one
//! no element names (the comparison is an ASCII-case-insensitive equality).
//!
//! Each candidate's class is the *evaluator's own* answer for every element
//! ([`principal_element_matches`]), with the facts the decision flow reads besides: is it the
//! resource owner's root (full access to its own resources, §6.1), is it in another account.

use super::strings::{representatives, StrPred};
use super::HARNESS_ACCOUNT;
use crate::authz::policy_set::{bucket_principal_arn, principal_element_matches};
use crate::authz::{ram_arn, Principal, PrincipalKind};
use crate::policy::ast::{Principal as PrincipalElement, PrincipalForm};

/// An account no `Principal` element of the analysed policies names (a caller from elsewhere).
/// ASSUMED sixteen-digit UIDs like the harness account's.
pub const OTHER_ACCOUNT: &str = "9876543210987654";

/// A service no element names (the class of "any other service").
pub const OTHER_SERVICE: &str = "analysis.aliyuncs.com";

/// ARN shapes of RAM identities (§5.4), walked for regions.
const SHAPES: [&str; 6] = [
    "acs:ram::*:root",
    "acs:ram::*:user/*",
    "acs:ram::*:role/*",
    "acs:ram::*:role/*/*",
    "acs:ram::*:saml-provider/*",
    "acs:ram::*:oidc-provider/*",
];

/// States one region walk of an ARN shape may visit (beyond it the principal dimension is
/// INCOMPLETE).
const WALK_STATES: usize = 200_000;

/// A caller from an identity ARN (`acs:ram::<uid>:root|user/N|role/R[/S]|saml-provider/N|
/// oidc-provider/N`); role ARNs without a session get the session `analysis`.
pub fn from_arn(arn: &str) -> Option<Principal> {
    let rest = arn.strip_prefix("acs:ram::")?;
    let (account, rel) = rest.split_once(':')?;
    if account.is_empty() || account.contains(['*', '?']) {
        return None;
    }
    if rel == "root" {
        return Some(Principal::new(PrincipalKind::Root, account, account));
    }
    if let Some(n) = rel.strip_prefix("user/") {
        return Some(Principal::new(PrincipalKind::RamUser, account, n));
    }
    if let Some(r) = rel.strip_prefix("role/") {
        let name = if r.contains('/') {
            r.to_string()
        } else {
            format!("{r}/analysis")
        };
        return Some(Principal::new(
            PrincipalKind::AssumedRoleUser,
            account,
            &name,
        ));
    }
    if let Some(n) = rel.strip_prefix("saml-provider/") {
        return Some(Principal::new(PrincipalKind::Federated, account, n));
    }
    if rel.starts_with("oidc-provider/") {
        let mut p = Principal::new(PrincipalKind::Federated, account, "x");
        p.arns = vec![arn.to_string()];
        p.id = rel.to_string();
        p.display_name = rel.to_string();
        return Some(p);
    }
    None
}

/// A readable member of a glob (`*` as `example`, `?` as `x`) and the shortest one.
fn fills(p: &str) -> [String; 2] {
    [
        p.replace('*', "example").replace('?', "x"),
        p.replace('*', "").replace('?', "x"),
    ]
}

/// Candidate callers for the elements: readable ones first, then one per region of each ARN
/// shape, then services. The flag is false when a walk ran out of budget.
pub fn candidates(elements: &[&PrincipalElement]) -> (Vec<Principal>, bool) {
    let mut accounts: Vec<String> = vec![HARNESS_ACCOUNT.into(), OTHER_ACCOUNT.into()];
    let mut ram: Vec<String> = Vec::new();
    let mut uids: Vec<String> = Vec::new();
    let mut services: Vec<String> = Vec::new();
    for e in elements {
        for v in &e.ram {
            let text = match e.form {
                PrincipalForm::Object => v.value.clone(),
                _ => bucket_principal_arn(&v.value).into_owned(),
            };
            let literal = !text.contains(['*', '?']);
            if literal && !text.contains(':') && !text.is_empty() {
                accounts.push(text.clone());
                if e.form != PrincipalForm::Object {
                    uids.push(text.clone());
                }
            }
            if let Some(rest) = text.strip_prefix("acs:ram::") {
                if let Some((a, _)) = rest.split_once(':') {
                    if !a.is_empty() && !a.contains(['*', '?']) {
                        accounts.push(a.to_string());
                    }
                }
            }
            ram.push(text);
        }
        for v in &e.federated {
            ram.push(v.value.clone());
        }
        for v in &e.service {
            services.push(v.value.clone());
        }
    }
    accounts.sort();
    accounts.dedup();
    ram.sort();
    ram.dedup();
    uids.sort();
    uids.dedup();
    let mut out: Vec<Principal> = Vec::new();
    for a in &accounts {
        out.push(Principal::new(PrincipalKind::Root, a, a));
        out.push(Principal::new(PrincipalKind::RamUser, a, "analysis-user"));
        out.push(Principal::new(
            PrincipalKind::AssumedRoleUser,
            a,
            "analysis-role/analysis",
        ));
        out.push(Principal::new(PrincipalKind::Federated, a, "analysis-idp"));
        for u in &uids {
            out.push(Principal::new(PrincipalKind::RamUser, a, u));
        }
    }
    for p in &ram {
        for f in fills(p) {
            if let Some(c) = from_arn(&f) {
                out.push(c);
            }
            // The same name in the other accounts.
            if let Some(rest) = f.strip_prefix("acs:ram::") {
                if let Some((_, rel)) = rest.split_once(':') {
                    for a in &accounts {
                        if let Some(c) = from_arn(&ram_arn(a, &[rel])) {
                            out.push(c);
                        }
                    }
                }
            }
        }
    }
    // Exactness: one member of every region of each shape.
    let mut preds: Vec<StrPred> = ram.iter().map(|p| StrPred::Like(p.clone())).collect();
    for a in &accounts {
        preds.push(StrPred::Like(format!("acs:ram::{a}:*")));
    }
    for u in &uids {
        preds.push(StrPred::Like(format!("acs:ram::*:user/{u}")));
    }
    let mut complete = true;
    for shape in SHAPES {
        let r = representatives(&preds, &[StrPred::Like(shape.into())], WALK_STATES);
        complete &= r.complete;
        for (_, w) in r.cells {
            // The shortest member may leave the account empty: give it a readable one of the
            // same region when the account field is free.
            let w = match w.strip_prefix("acs:ram:::") {
                Some(rel) => {
                    let alt = ram_arn(OTHER_ACCOUNT, &[rel]);
                    let same = |x: &str| {
                        preds.iter().all(|p| match p {
                            StrPred::Like(g) => {
                                crate::policy::pattern::glob(g, x)
                                    == crate::policy::pattern::glob(g, &w)
                            }
                            _ => true,
                        })
                    };
                    if same(&alt) {
                        alt
                    } else {
                        w
                    }
                }
                None => w,
            };
            match from_arn(&w) {
                Some(c) => out.push(c),
                None => {
                    // An empty account: the evaluator compares it like any other.
                    if let Some(rel) = w.strip_prefix("acs:ram:::") {
                        if let Some(mut c) = from_arn(&ram_arn(OTHER_ACCOUNT, &[rel])) {
                            c.account = String::new();
                            c.arns = c
                                .arns
                                .iter()
                                .map(|a| a.replacen(OTHER_ACCOUNT, "", 1))
                                .collect();
                            out.push(c);
                        }
                    }
                }
            }
        }
    }
    let mut svc_names: Vec<String> = services.clone();
    svc_names.push(OTHER_SERVICE.into());
    svc_names.sort();
    svc_names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    for s in svc_names {
        out.push(Principal::new(PrincipalKind::Service, &s, &s));
    }
    (out, complete)
}

/// The evaluator's answer of each element for `p`.
pub fn vector(elements: &[&PrincipalElement], p: &Principal) -> Vec<bool> {
    elements
        .iter()
        .map(|e| principal_element_matches(e, p))
        .collect()
}

/// `RAM user acs:ram::…:user/x` and the like.
pub fn describe(p: &Principal) -> String {
    let kind = match p.kind {
        PrincipalKind::Root => "account root",
        PrincipalKind::RamUser => "RAM user",
        PrincipalKind::AssumedRoleUser => "role session",
        PrincipalKind::Federated => "federated identity",
        PrincipalKind::Service => "service",
    };
    format!("{kind} `{}`", p.arns.first().map_or("", String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{read_policy, PolicyKind, ReadOptions};

    fn elements(text: &str, kind: PolicyKind) -> Vec<PrincipalElement> {
        read_policy(text, kind, &ReadOptions::default())
            .policy
            .expect("policy")
            .statements
            .into_iter()
            .filter_map(|s| s.principal)
            .collect()
    }

    /// Every combination of element answers some caller can get is reached by a candidate.
    #[test]
    fn middle_wildcards_meet() {
        let els = elements(
            r#"{"Version":"1","Statement":[
              {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::*:user/a*"]}},
              {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::*:user/*b"]}},
              {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["111"]}},
              {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#,
            PolicyKind::Trust,
        );
        let refs: Vec<&PrincipalElement> = els.iter().collect();
        let (cands, complete) = candidates(&refs);
        assert!(complete);
        let vs: std::collections::HashSet<Vec<bool>> =
            cands.iter().map(|c| vector(&refs, c)).collect();
        for want in [
            vec![true, true, true, false],
            vec![true, true, false, false],
            vec![true, false, true, false],
            vec![false, true, false, false],
            vec![false, false, true, false],
            vec![false, false, false, true],
            vec![false, false, false, false],
        ] {
            assert!(vs.contains(&want), "{want:?} not reached: {vs:?}");
        }
    }

    #[test]
    fn arns_parse_into_callers() {
        let p = from_arn("acs:ram::111:role/r/s").expect("session");
        assert_eq!(p.kind, PrincipalKind::AssumedRoleUser);
        assert_eq!(p.arns, vec!["acs:ram::111:role/r/s", "acs:ram::111:role/r"]);
        assert!(from_arn("acs:ram::*:root").is_none());
        assert!(from_arn("acs:ecs::1:instance/x").is_none());
    }
}
