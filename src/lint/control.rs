//! L012: a control policy made only of Deny statements, where FullAliyunAccess has been
//! detached. Control policies never grant; at each node of the Resource Directory some policy
//! must allow the action or the request is denied (§6.3), so such a node denies everything.

use super::{list_span_of_statements, Code, Lint, LintOptions};
use crate::policy::ast::{Effect, Policy};
use crate::policy::span::JsonPath;
use crate::policy::PolicyKind;

/// Runs L012 on `policy`.
pub fn check_policy(policy: &Policy, options: &LintOptions, out: &mut Vec<Lint>) {
    if policy.kind != PolicyKind::Control || !options.full_aliyun_access_detached {
        return;
    }
    if policy.statements.is_empty() || policy.statements.iter().any(|s| s.effect == Effect::Allow) {
        return;
    }
    out.push(
        Lint::new(
            Code::DenyOnlyControlPolicy,
            JsonPath::root().key("Statement"),
            list_span_of_statements(policy),
            "this control policy has only Deny statements: with FullAliyunAccess detached, nothing allows any action where it is attached, so every request is denied",
        )
        .with_help("add an Allow statement for the services the members may use (e.g. `Allow` `*` on `*` next to the Deny statements), or keep FullAliyunAccess attached"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_util::lint_kind;

    const DENY_ONLY: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection","Resource":"*"}]}"#;

    fn ids(kind: PolicyKind, text: &str, detached: bool) -> Vec<&'static str> {
        let options = LintOptions {
            full_aliyun_access_detached: detached,
            ..LintOptions::default()
        };
        lint_kind(kind, text, &options)
            .iter()
            .map(|l| l.code.info().id)
            .collect()
    }

    #[test]
    fn deny_only_control_policy_when_detached() {
        assert_eq!(ids(PolicyKind::Control, DENY_ONLY, true), ["L012"]);
        assert!(ids(PolicyKind::Control, DENY_ONLY, false).is_empty());
        assert!(ids(PolicyKind::Identity, DENY_ONLY, true).is_empty());
        let with_allow = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert!(ids(PolicyKind::Control, with_allow, true).is_empty());
    }
}
