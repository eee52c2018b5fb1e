//! L007: a Resource that can never match what an action is authorized against (§3.3, §3.4).
//!
//! Only statements whose every action is an exact catalog action are checked (a wildcard may
//! cover actions ramsim does not model, whose ARNs it does not know). An action is flagged when
//! no Resource pattern can match any instance of any of its ARN templates; placeholders in the
//! templates (`{region}`, `{InstanceId}`) stand for any string, so the check never flags a
//! pattern some request could match.

use super::actions::templates_of;
use super::glob::{intersects, pattern, template};
use super::{list_span, pattern_path, Code, Lint};
use crate::policy::ast::Statement;
use crate::policy::span::JsonPath;

/// True when resource pattern `p` matches some ARN of `template`.
pub fn may_match(p: &str, template_text: &str) -> bool {
    intersects(&pattern(p), &template(template_text))
}

fn describe(templates: &[&str]) -> String {
    if templates == ["*"] {
        "which is authorized against `*` only (an All-Resource action)".to_string()
    } else {
        format!(
            "which is authorized against {}",
            super::list_some(templates.iter().copied())
        )
    }
}

fn help_for(templates: &[&str]) -> String {
    if templates == ["*"] {
        "All-Resource actions need `\"Resource\": \"*\"`; move the action to a statement with that Resource".to_string()
    } else {
        format!(
            "use a Resource pattern that matches {}",
            super::list_some(templates.iter().copied())
        )
    }
}

/// Runs L007 on statement `s` at `path`.
pub fn check_statement(s: &Statement, path: &JsonPath, out: &mut Vec<Lint>) {
    let Some(resources) = &s.resources else {
        return;
    };
    if resources.negated || s.actions.negated {
        return;
    }
    if s.actions
        .patterns
        .iter()
        .any(|p| p.value.contains(['*', '?']))
    {
        return;
    }
    let mut failing = Vec::new();
    for (k, a) in s.actions.patterns.iter().enumerate() {
        let Some(templates) = templates_of(&a.value) else {
            return;
        };
        let reachable = resources
            .patterns
            .iter()
            .any(|r| templates.iter().any(|t| may_match(&r.value, t)));
        if !reachable {
            failing.push((k, a, templates));
        }
    }
    let action_element = path.key("Action");
    if failing.len() == s.actions.patterns.len() {
        let what = match failing.as_slice() {
            [(_, a, templates)] => format!("`{}`, {}", a.value, describe(templates)),
            _ => format!(
                "any of its actions ({})",
                super::list_some(failing.iter().map(|(_, a, _)| a.value.as_str()))
            ),
        };
        let help = match failing.as_slice() {
            [(_, _, templates)] => help_for(templates),
            _ => "check the Resource patterns against the actions' resource types".to_string(),
        };
        out.push(
            Lint::new(
                Code::ResourceNeverMatches,
                path.key("Resource"),
                list_span(&resources.patterns),
                format!(
                    "no Resource of this statement can match {what}: the statement never applies"
                ),
            )
            .with_help(help),
        );
    } else {
        for (k, a, templates) in failing {
            out.push(
                Lint::new(
                    Code::ResourceNeverMatches,
                    pattern_path(&action_element, s.actions.single, k),
                    a.span,
                    format!(
                        "no Resource of this statement can match `{}`, {}",
                        a.value,
                        describe(&templates)
                    ),
                )
                .with_help(help_for(&templates)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::test_util::codes;

    fn stmt(action: &str, resource: &str) -> String {
        format!(r#"{{"Effect":"Allow","Action":{action},"Resource":{resource}}}"#)
    }

    #[test]
    fn all_resource_action_with_a_specific_resource() {
        assert_eq!(
            codes(&stmt(
                r#""vpc:CreateVpcPeerConnection""#,
                r#""acs:vpc:*:*:vpc/*""#
            )),
            ["L007"]
        );
        assert!(codes(&stmt(r#""vpc:CreateVpcPeerConnection""#, r#""*""#)).is_empty());
        assert!(codes(&stmt(
            r#""vpc:CreateVpcPeerConnection""#,
            r#"["acs:vpc:*:*:vpc/*","*"]"#
        ))
        .is_empty());
    }

    #[test]
    fn resource_type_mismatch() {
        assert_eq!(
            codes(&stmt(
                r#""vpc:GetVpcPeerConnectionAttribute""#,
                r#""acs:vpc:*:*:vpc/*""#
            )),
            ["L007"]
        );
        assert!(codes(&stmt(
            r#""vpc:GetVpcPeerConnectionAttribute""#,
            r#""acs:vpc:*:*:vpcpeer/pcc-1""#
        ))
        .is_empty());
        assert!(codes(&stmt(
            r#""vpc:CreateVpc""#,
            r#""acs:vpc:cn-beijing:123:vpc/*""#
        ))
        .is_empty());
        assert!(codes(&stmt(r#""ram:CreateUser""#, r#""acs:ram:*:*:user/alice""#)).is_empty());
        assert_eq!(
            codes(&stmt(r#""ram:CreateUser""#, r#""acs:ram:*:*:role/*""#)),
            ["L007"]
        );
    }

    #[test]
    fn one_action_of_several_never_matches() {
        let found = codes(&stmt(
            r#"["vpc:CreateVpcPeerConnection","vpc:GetVpcPeerConnectionAttribute"]"#,
            r#""acs:vpc:*:*:vpcpeer/*""#,
        ));
        assert_eq!(found, ["L007"]);
    }

    #[test]
    fn wildcards_and_unmodeled_actions_are_not_checked() {
        assert!(codes(&stmt(r#""vpc:Create*""#, r#""acs:vpc:*:*:vpc/*""#)).is_empty());
        assert_eq!(
            codes(&stmt(r#""oss:GetObject""#, r#""acs:vpc:*:*:vpc/*""#)),
            ["L005"]
        );
    }
}
