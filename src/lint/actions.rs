//! Action rules: misspelled (L004) and unmodeled (L005) actions, wildcards that match no
//! modeled action (L006), `Allow` of `*` on `*` (L010); and which modeled actions a statement
//! covers, for the other rules.

use super::glob::is_all;
use super::{pattern_path, Code, Lint};
use crate::api::catalog::{self, ApiEntry};
use crate::policy::ast::{Effect, PatternList, Statement};
use crate::policy::pattern::{fold_case, Wildcard};
use crate::policy::span::JsonPath;
use crate::policy::PolicyKind;
use crate::suggest::closest_within;

/// True when action pattern `pattern` matches `action` (case-insensitively, spec §2).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    Wildcard::new(&fold_case(pattern)).matches(&fold_case(action))
}

/// True when the statement's `Action`/`NotAction` list applies to `action`.
pub fn list_applies(list: &PatternList, action: &str) -> bool {
    let any = list
        .patterns
        .iter()
        .any(|p| action_matches(&p.value, action));
    any != list.negated
}

/// The catalog entries whose action the list applies to.
pub fn covered_entries(list: &PatternList) -> Vec<&'static ApiEntry> {
    catalog::CATALOG
        .iter()
        .filter(|e| list_applies(list, e.action))
        .collect()
}

/// The resource templates an action is authorized against: its catalog entry's, or for an
/// action known only as a dependent action, the resources it is required on.
pub fn templates_of(action: &str) -> Option<Vec<&'static str>> {
    if let Some(e) = catalog::by_action(action) {
        return Some(e.resources.to_vec());
    }
    let mut out: Vec<&'static str> = catalog::CATALOG
        .iter()
        .flat_map(|e| e.dependent.iter())
        .filter(|(a, _)| a.eq_ignore_ascii_case(action))
        .map(|(_, r)| *r)
        .collect();
    out.sort_unstable();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

/// True when `action` (no wildcard) names a modeled action, case-insensitively.
pub fn is_modeled(action: &str) -> bool {
    catalog::all_actions().any(|a| a.eq_ignore_ascii_case(action))
}

/// Edits up to which an unknown action is reported as a misspelling of a modeled one. Real
/// sibling actions (`vpc:DeleteVpc` next to `vpc:CreateVpc`) are further apart.
const MAX_TYPO_DISTANCE: usize = 2;

/// The modeled action `action` is probably a misspelling of.
pub fn misspelling_of(action: &str) -> Option<&'static str> {
    closest_within(action, catalog::all_actions(), MAX_TYPO_DISTANCE)
}

fn is_modeled_service(code: &str) -> bool {
    catalog::service_codes()
        .iter()
        .any(|c| c.eq_ignore_ascii_case(code))
}

/// Checks one action pattern (L004, L005, L006).
fn check_pattern(
    pattern: &str,
    path: JsonPath,
    span: crate::policy::span::Span,
    out: &mut Vec<Lint>,
) {
    if is_all(pattern) {
        return;
    }
    let Some((code, name)) = pattern.split_once(':') else {
        return;
    };
    let wild = pattern.contains(['*', '?']);
    if wild {
        if catalog::all_actions().any(|a| action_matches(pattern, a)) {
            return;
        }
        if code.contains(['*', '?']) {
            return;
        }
        if is_modeled_service(code) {
            let n = catalog::all_actions()
                .filter(|a| {
                    a.split_once(':')
                        .is_some_and(|(c, _)| c.eq_ignore_ascii_case(code))
                })
                .count();
            out.push(
                Lint::new(
                    Code::WildcardMatchesNothing,
                    path,
                    span,
                    format!("`{pattern}` matches none of the {n} modeled actions of service `{code}`"),
                )
                .with_help(format!(
                    "check the spelling of `{name}`; `ramsim` models only some `{code}` actions, so ignore this if the pattern targets others"
                )),
            );
        } else {
            out.push(
                Lint::new(
                    Code::UnmodeledAction,
                    path,
                    span,
                    format!(
                        "service `{code}` is not modeled by ramsim; `{pattern}` cannot be checked"
                    ),
                )
                .with_help("the lints that need the API catalog skip this pattern"),
            );
        }
        return;
    }
    if is_modeled(pattern) {
        return;
    }
    if let Some(suggestion) = misspelling_of(pattern) {
        out.push(
            Lint::new(
                Code::MisspelledAction,
                path,
                span,
                format!("unknown action `{pattern}`"),
            )
            .with_help(format!("did you mean `{suggestion}`?")),
        );
    } else if is_modeled_service(code) {
        out.push(
            Lint::new(
                Code::UnmodeledAction,
                path,
                span,
                format!("`{pattern}` is not in ramsim's API catalog; it cannot be checked"),
            )
            .with_help(format!(
                "if `{name}` is not a real `{code}` action, this statement never matches it"
            )),
        );
    } else {
        out.push(
            Lint::new(
                Code::UnmodeledAction,
                path,
                span,
                format!("service `{code}` is not modeled by ramsim; `{pattern}` cannot be checked"),
            )
            .with_help("the lints that need the API catalog skip this action"),
        );
    }
}

/// Runs the action rules on statement `s` at `path`.
pub fn check_statement(kind: PolicyKind, s: &Statement, path: &JsonPath, out: &mut Vec<Lint>) {
    let element = path.key(if s.actions.negated {
        "NotAction"
    } else {
        "Action"
    });
    for (k, p) in s.actions.patterns.iter().enumerate() {
        check_pattern(
            &p.value,
            pattern_path(&element, s.actions.single, k),
            p.span,
            out,
        );
    }
    // L010: Allow `*` on `*` (not in control policies, where it is FullAliyunAccess, nor in
    // trust policies, which have no Resource).
    if s.effect != Effect::Allow
        || matches!(kind, PolicyKind::Control | PolicyKind::Trust)
        || s.actions.negated
    {
        return;
    }
    let Some((k, star)) = s
        .actions
        .patterns
        .iter()
        .enumerate()
        .find(|(_, p)| is_all(&p.value))
    else {
        return;
    };
    let all_resources = s
        .resources
        .as_ref()
        .is_some_and(|r| !r.negated && r.patterns.iter().any(|p| is_all(&p.value)));
    if all_resources {
        let when = if s.conditions.is_empty() {
            ""
        } else {
            " whenever its conditions hold"
        };
        out.push(
            Lint::new(
                Code::AllowAll,
                pattern_path(&element, s.actions.single, k),
                star.span,
                format!("this statement allows every action on every resource{when}"),
            )
            .with_help("grant only the actions and resources needed; `*` on `*` is administrator access (the FullAliyunAccess system policy)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::test_util::codes;

    fn stmt(effect: &str, action: &str, resource: &str) -> String {
        format!(r#"{{"Effect":"{effect}","Action":{action},"Resource":"{resource}"}}"#)
    }

    #[test]
    fn misspelled_action_is_reported_with_a_suggestion() {
        assert_eq!(
            codes(&stmt("Allow", r#""vpc:CreateVpcPeerConection""#, "*")),
            ["L004"]
        );
        assert_eq!(
            misspelling_of("vpc:CreateVpcPeerConection"),
            Some("vpc:CreateVpcPeerConnection")
        );
        assert_eq!(misspelling_of("vcp:CreateVpc"), Some("vpc:CreateVpc"));
        // Real sibling actions are not misspellings.
        assert_eq!(misspelling_of("vpc:DeleteVpc"), None);
        assert_eq!(misspelling_of("ram:GetUser"), None);
    }

    #[test]
    fn modeled_actions_are_accepted_in_any_case() {
        assert!(codes(&stmt(
            "Allow",
            r#"["VPC:createvpc","vpc:Describe*","cdt:GetCdtServiceStatus"]"#,
            "*"
        ))
        .is_empty());
    }

    #[test]
    fn unmodeled_actions_and_services_are_notes() {
        assert_eq!(codes(&stmt("Allow", r#""oss:GetObject""#, "*")), ["L005"]);
        assert_eq!(codes(&stmt("Allow", r#""rds:Describe*""#, "*")), ["L005"]);
        // ecs is modeled (security groups): its wildcards match modeled actions.
        assert!(codes(&stmt("Allow", r#""ecs:Describe*""#, "*")).is_empty());
        assert_eq!(codes(&stmt("Allow", r#""vpc:DeleteVpc""#, "*")), ["L005"]);
        assert!(codes(&stmt("Allow", r#""*:Describe*""#, "*")).is_empty());
    }

    #[test]
    fn wildcard_matching_nothing() {
        assert_eq!(codes(&stmt("Allow", r#""vpc:Craete*""#, "*")), ["L006"]);
        assert!(codes(&stmt("Allow", r#""vpc:Create*""#, "*")).is_empty());
        assert!(codes(&stmt("Allow", r#""vpc:*PeerConnection""#, "*")).is_empty());
    }

    #[test]
    fn allow_all() {
        assert_eq!(codes(&stmt("Allow", r#""*""#, "*")), ["L010"]);
        assert!(codes(&stmt("Deny", r#""*""#, "*")).is_empty());
        assert!(codes(&stmt("Allow", r#""*""#, "acs:vpc:*:*:*")).is_empty());
        assert!(codes(&stmt("Allow", r#""vpc:*""#, "*")).is_empty());
    }

    #[test]
    fn coverage_of_action_lists() {
        let list = PatternList {
            negated: true,
            patterns: vec![crate::policy::ast::Spanned {
                value: "vpc:*".into(),
                span: Default::default(),
            }],
            single: true,
        };
        let covered = covered_entries(&list);
        assert!(covered.iter().all(|e| !e.action.starts_with("vpc:")));
        assert!(covered.iter().any(|e| e.action == "ram:CreateUser"));
        assert_eq!(templates_of("cdt:GetCdtServiceStatus"), Some(vec!["*"]));
        assert_eq!(templates_of("vpc:CreateVpcPeerConnection"), Some(vec!["*"]));
        assert_eq!(templates_of("oss:GetObject"), None);
    }
}
