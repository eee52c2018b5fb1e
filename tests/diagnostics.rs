//! Snapshot tests of the human-facing diagnostics.
//!
//! * Every malformed document in `tests/fixtures/malformed/` is read with the kind its file name
//!   gives (`control-…`, `session-…`, `trust-…`, otherwise identity). All findings are rendered
//!   with [`render_human`] (one snapshot) and resolved with [`locate`] (one JSON snapshot), and
//!   the set of rules reported is asserted outside the snapshot too.
//! * Three representative decisions are snapshotted: `Explanation::render_human()`, the
//!   `AccessDeniedDetail` JSON and the decoded diagnostic message.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test diagnostics`, then review every
//! changed file in `tests/snapshots/`.

use base64::Engine as _;
use ramsim::authz::policy_set::{AttachedEntityType, AttachedScope, PolicySourceType};
use ramsim::authz::{
    self, ActionResource, ControlNode, EvalOptions, Explanation, PolicySet, PolicySource,
    PolicyStore, Principal, PrincipalKind, Request, RequestContext,
};
use ramsim::policy::diagnostic::{locate, render_human, ApiError, Located};
use ramsim::policy::span::LineIndex;
use ramsim::policy::{read_policy, PolicyKind, ReadOptions, Severity};
use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The policy kind a fixture is read as, from its file-name prefix.
fn kind_of(file: &str) -> PolicyKind {
    for kind in [PolicyKind::Control, PolicyKind::Session, PolicyKind::Trust] {
        if file.starts_with(&format!("{}-", kind.name())) {
            return kind;
        }
    }
    PolicyKind::Identity
}

struct Rendered {
    text: String,
    human: String,
    located: Vec<Located>,
}

/// Reads fixture `file`, checks that exactly the rules `expected` (ids such as `V4`) are
/// reported, all as errors, with the API error of the fixture's kind, and renders them.
fn run(file: &str, expected: &[&str]) -> Rendered {
    let path = root().join("tests/fixtures/malformed").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let kind = kind_of(file);
    let result = read_policy(&text, kind, &ReadOptions::default());
    assert!(result.policy.is_none(), "{file}: must be rejected");
    assert!(!result.diagnostics.is_empty(), "{file}: findings expected");
    let got: BTreeSet<&str> = result
        .diagnostics
        .iter()
        .map(|d| d.rule.id_for(kind))
        .collect();
    let want: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(got, want, "{file}: rules reported");
    let shown = format!("tests/fixtures/malformed/{file}");
    let index = LineIndex::new(&text);
    let mut human = String::new();
    let mut located = Vec::new();
    for d in &result.diagnostics {
        assert_eq!(d.severity, Severity::Error, "{file}: {d:?}");
        let loc = locate(&shown, &text, &index, kind, d);
        let api = ApiError::for_rule(kind, d.rule);
        assert_eq!(
            (loc.api_error, loc.http_status),
            (api.code, api.http_status),
            "{file}: API error"
        );
        if kind == PolicyKind::Session {
            assert_eq!(
                loc.api_error, "InvalidParameter.PolicyGrammar",
                "{file}: V15"
            );
        } else if !matches!(loc.rule, "V13" | "V14") {
            assert_eq!(loc.api_error, "MalformedPolicyDocument", "{file}");
            assert_eq!(loc.http_status, 400, "{file}");
        }
        // Findings are in document order.
        if let Some(prev) = located.last() {
            let prev: &Located = prev;
            assert!(
                (prev.line, prev.column) <= (loc.line, loc.column),
                "{file}: findings sorted by position"
            );
        }
        if !human.is_empty() {
            human.push('\n');
        }
        human.push_str(&render_human(&shown, &text, &index, kind, d));
        located.push(loc);
    }
    Rendered {
        text,
        human,
        located,
    }
}

macro_rules! fixture {
    ($test:ident, $file:literal, [$($rule:literal),+ $(,)?]) => {
        #[test]
        fn $test() {
            let r = run($file, &[$($rule),+]);
            insta::assert_snapshot!(concat!(stringify!($test), "__human"), r.human);
            insta::assert_json_snapshot!(concat!(stringify!($test), "__located"), r.located);
        }
    };
}

fixture!(
    v01_trailing_comma,
    "v01-json-syntax-trailing-comma.json",
    ["V1"]
);
fixture!(
    v01_missing_comma,
    "v01-json-syntax-missing-comma.json",
    ["V1"]
);
fixture!(
    v01_unterminated_string,
    "v01-json-syntax-unterminated-string.json",
    ["V1"]
);
fixture!(v02_version_number, "v02-version-number.json", ["V2"]);
fixture!(v02_statement_object, "v02-statement-object.json", ["V2"]);
fixture!(v02_non_string_values, "v02-non-string-values.json", ["V2"]);
fixture!(v03_invalid_version, "v03-invalid-version.json", ["V3"]);
fixture!(v04_invalid_effect, "v04-invalid-effect.json", ["V4"]);
fixture!(
    v05_unknown_element,
    "v05-unknown-element.json",
    ["V5", "V16"]
);
fixture!(
    v05_principal_in_identity_policy,
    "v05-principal-in-identity-policy.json",
    ["V5"]
);
fixture!(
    v05_not_resource_in_control_policy,
    "control-v05-not-resource.json",
    ["V5", "V16"]
);
fixture!(
    v05_action_and_not_action,
    "v05-action-and-not-action.json",
    ["V5"]
);
fixture!(v06_missing_action, "v06-missing-action.json", ["V6"]);
fixture!(v06_empty_action_list, "v06-empty-action-list.json", ["V6"]);
fixture!(
    v07_invalid_action_format,
    "v07-invalid-action-format.json",
    ["V7"]
);
// Regression: the string form `"Action": "sts:*"` is reported at `Statement[0].Action`, not
// `Statement[0].Action[0]` (src/policy/read.rs trust-action check).
fixture!(
    v07_trust_action_not_assume_role,
    "trust-v07-action-not-assume-role.json",
    ["V7"]
);
fixture!(
    v08_invalid_arn_prefix,
    "v08-invalid-arn-prefix.json",
    ["V8"]
);
fixture!(v09_missing_arn_field, "v09-missing-arn-field.json", ["V9"]);
fixture!(
    v10_condition_key_format,
    "v10-condition-key-format.json",
    ["V10"]
);
fixture!(
    v11_condition_operator,
    "v11-condition-operator.json",
    ["V11"]
);
fixture!(
    v12_bool_multiple_values,
    "v12-bool-multiple-values.json",
    ["V12"]
);
fixture!(v13_identity_too_long, "v13-identity-too-long.json", ["V13"]);
fixture!(v14_control_too_long, "control-v14-too-long.json", ["V14"]);
fixture!(v15_session_too_long, "session-v15-too-long.json", ["V13"]);
fixture!(
    v15_session_invalid_grammar,
    "session-v15-invalid-grammar.json",
    ["V8"]
);
fixture!(v16_missing_version, "v16-missing-version.json", ["V16"]);
fixture!(v16_missing_statement, "v16-missing-statement.json", ["V16"]);
fixture!(v16_empty_statement, "v16-empty-statement.json", ["V16"]);
fixture!(v16_missing_effect, "v16-missing-effect.json", ["V16"]);
fixture!(v16_missing_resource, "v16-missing-resource.json", ["V16"]);
fixture!(
    v16_trust_missing_principal,
    "trust-v16-missing-principal.json",
    ["V16"]
);
fixture!(v17_duplicate_key, "v17-duplicate-key.json", ["V17"]);
fixture!(v18_condition_value, "v18-condition-value.json", ["V18"]);
fixture!(deep_nesting, "deep-nesting.json", ["V1"]);
fixture!(
    non_ascii_before_error,
    "non-ascii-before-error.json",
    ["V4"]
);
fixture!(minified_one_line, "minified-one-line.json", ["V8"]);
fixture!(
    many_errors,
    "many-errors.json",
    ["V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9", "V10", "V11", "V12", "V16", "V17", "V18"]
);

#[test]
fn every_fixture_has_a_snapshot_test() {
    let source = include_str!("diagnostics.rs");
    let dir = root().join("tests/fixtures/malformed");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("utf-8");
        assert!(
            source.contains(&format!("\"{name}\"")),
            "fixture {name} has no test"
        );
        count += 1;
    }
    assert!(count >= 30, "fixtures present");
}

#[test]
fn trust_action_paths_follow_the_list_form() {
    let r = run("trust-v07-action-not-assume-role.json", &["V7"]);
    let paths: Vec<&str> = r.located.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(paths, ["Statement[0].Action", "Statement[1].Action[1]"]);
}

#[test]
fn many_errors_are_reported_in_one_pass() {
    let r = run(
        "many-errors.json",
        &[
            "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9", "V10", "V11", "V12", "V16", "V17",
            "V18",
        ],
    );
    assert!(
        r.located.len() >= 17,
        "every error of the document in one pass, got {}",
        r.located.len()
    );
    // Every statement contributes.
    for stmt in 0..4 {
        let prefix = format!("Statement[{stmt}]");
        assert!(
            r.located.iter().any(|l| l.path.starts_with(&prefix)),
            "{prefix} reported"
        );
    }
}

#[test]
fn columns_count_characters_not_bytes() {
    let r = run("non-ascii-before-error.json", &["V4"]);
    let loc = &r.located[0];
    let line = r.text.lines().nth(loc.line - 1).expect("line");
    let byte = line.find("\"allow\"").expect("effect value");
    let chars = line[..byte].chars().count() + 1;
    assert_ne!(chars, byte + 1, "the fixture has multi-byte text first");
    assert_eq!((loc.line, loc.column), (4, chars));
    assert_eq!(loc.end_column, chars + "\"allow\"".len());
    // The caret sits under the value in the rendered line.
    let lines: Vec<&str> = r.human.lines().collect();
    let src = lines
        .iter()
        .position(|l| l.starts_with("4 | "))
        .expect("src");
    let caret = lines[src + 1];
    let caret_col = caret.chars().position(|c| c == '^').expect("caret");
    let src_col = lines[src].chars().take(caret_col).count();
    assert_eq!(
        lines[src].chars().skip(src_col).take(7).collect::<String>(),
        "\"allow\""
    );
}

#[test]
fn minified_documents_show_a_window_around_the_caret() {
    let r = run("minified-one-line.json", &["V8"]);
    let loc = &r.located[0];
    assert_eq!(loc.line, 1);
    assert!(loc.column > 300, "deep inside the line: {}", loc.column);
    let src = r
        .human
        .lines()
        .find(|l| l.starts_with("1 | "))
        .expect("source line");
    assert!(src.starts_with("1 | …") && src.ends_with('…'), "{src}");
    assert!(src.chars().count() < 120, "window, not the whole line");
    assert!(src.contains("arn:aws:s3:::logs/*"));
}

#[test]
fn length_limits_per_kind() {
    for (file, kind, rule, limit, status) in [
        (
            "v13-identity-too-long.json",
            PolicyKind::Identity,
            "V13",
            6_144,
            400,
        ),
        (
            "control-v14-too-long.json",
            PolicyKind::Control,
            "V14",
            4_096,
            409,
        ),
        (
            "session-v15-too-long.json",
            PolicyKind::Session,
            "V13",
            2_048,
            400,
        ),
    ] {
        assert_eq!(kind_of(file), kind);
        let r = run(file, &[rule]);
        let n = r.text.chars().count();
        assert!(n > limit && n < limit + 200, "{file}: {n} characters");
        assert_eq!(r.located.len(), 1, "{file}");
        assert_eq!(r.located[0].http_status, status, "{file}");
        // Only the length is wrong: a kind with a higher limit accepts the same text.
        if kind != PolicyKind::Identity {
            let as_identity = read_policy(&r.text, PolicyKind::Identity, &ReadOptions::default());
            assert!(
                as_identity.diagnostics.is_empty(),
                "{file}: {:?}",
                as_identity.diagnostics
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Explanations
// ---------------------------------------------------------------------------------------------

const ACCOUNT: &str = "1234567890123456";
const FULL_ALIYUN_ACCESS: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn policy_text(file: &str) -> String {
    std::fs::read_to_string(root().join("policies").join(file)).expect("policy file")
}

fn add(set: &mut PolicySet, kind: PolicyKind, name: &str, file: Option<&str>, text: &str) {
    let r = read_policy(text, kind, &ReadOptions::default());
    let p = r
        .policy
        .unwrap_or_else(|| panic!("{name}: {:?}", r.diagnostics));
    let mut src = PolicySource::custom(name);
    src.file = file.map(|f| format!("policies/{f}"));
    if name == "FullAliyunAccess" {
        src.source_type = PolicySourceType::System;
        src.version = None;
    }
    if kind == PolicyKind::Control {
        src.scope = AttachedScope::Folder;
        src.entity = AttachedEntityType::ResourceDirectoryTarget;
    } else {
        src.entity = AttachedEntityType::RamUser;
    }
    set.add(&p, src, Some(text));
}

fn identity_file(set: &mut PolicySet, file: &str) {
    let name = file.trim_end_matches(".json");
    add(
        set,
        PolicyKind::Identity,
        name,
        Some(file),
        &policy_text(file),
    );
}

fn user() -> Principal {
    let mut p = Principal::new(PrincipalKind::RamUser, ACCOUNT, "alice");
    p.display_name = "2345678901234567".into();
    p
}

struct Scenario {
    store: PolicyStore,
    principal: Principal,
    pairs: Vec<ActionResource>,
    context: RequestContext,
    resource_group: Option<&'static str>,
}

impl Scenario {
    fn explain(&self) -> Explanation {
        let req = Request {
            principal: &self.principal,
            pairs: &self.pairs,
            context: &self.context,
            resource_account: None,
            resource_group: self.resource_group,
            assume_role: false,
        };
        let e = authz::explain(&self.store, &req, &EvalOptions::default());
        assert_eq!(
            e.decision,
            authz::decide(&self.store, &req, &EvalOptions::default())
        );
        e
    }

    fn snapshot(&self, name: &str) {
        let e = self.explain();
        insta::assert_snapshot!(format!("{name}__explanation"), e.render_human());
        let detail = e.access_denied_detail(&self.context);
        insta::assert_json_snapshot!(format!("{name}__access_denied_detail"), detail);
        let decoded = detail.map(|d| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(d.encoded_diagnostic_message)
                .expect("base64");
            serde_json::from_slice::<serde_json::Value>(&bytes).expect("json")
        });
        insta::assert_json_snapshot!(format!("{name}__decoded_diagnostic_message"), decoded);
    }
}

/// A RAM user allowed by `network-admin.json`; P-ID attached as a control policy to the
/// member's folder; the peer account is in another resource directory (§8 row (b)).
#[test]
fn explanation_explicit_deny_by_control_policy() {
    let mut identity = PolicySet::new();
    identity_file(&mut identity, "network-admin.json");
    let chain = [(ACCOUNT, false), ("fd-xxxxxx", true), ("r-xxxxxx", false)]
        .into_iter()
        .map(|(target, with_seed)| {
            let mut policies = PolicySet::new();
            add(
                &mut policies,
                PolicyKind::Control,
                "FullAliyunAccess",
                None,
                FULL_ALIYUN_ACCESS,
            );
            if with_seed {
                add(
                    &mut policies,
                    PolicyKind::Control,
                    "cp-guardrail-rd-id",
                    Some("guardrail-rd-id.json"),
                    &policy_text("guardrail-rd-id.json"),
                );
            }
            ControlNode {
                target: target.to_string(),
                policies,
                all_scope: PolicySet::new(),
            }
            .into()
        })
        .collect();
    let mut principal = user();
    principal.in_resource_directory = true;
    let mut context = RequestContext::new();
    context.insert("acs:TargetRDId", "rd-yyyyyy");
    context.insert("acs:TargetRDPath", "rd-yyyyyy/r-yyyyyy/fd-yyyyyy/555");
    Scenario {
        store: PolicyStore {
            control_chain: chain,
            identity,
            ..PolicyStore::default()
        },
        principal,
        pairs: vec![
            ActionResource::new("vpc:CreateVpcPeerConnection", "*"),
            ActionResource::new("cdt:GetCdtServiceStatus", "*"),
        ],
        context,
        resource_group: None,
    }
    .snapshot("explicit_deny_control_policy");
}

/// A RAM user with `vpc-readonly.json` at account scope and nothing useful at resource-group
/// scope tries to delete a VPC.
#[test]
fn explanation_implicit_deny_at_identity_stage() {
    let mut identity = PolicySet::new();
    identity_file(&mut identity, "vpc-readonly.json");
    let mut rg = PolicySet::new();
    add(
        &mut rg,
        PolicyKind::Identity,
        "ecs-operator-rg",
        None,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#,
    );
    let mut context = RequestContext::new();
    context.insert("acs:SourceIp", "203.0.113.7");
    Scenario {
        store: PolicyStore {
            identity,
            resource_groups: vec![("rg-prod".to_string(), rg)],
            ..PolicyStore::default()
        },
        principal: user(),
        pairs: vec![ActionResource::new(
            "vpc:DeleteVpc",
            "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-bp1",
        )],
        context,
        resource_group: Some("rg-prod"),
    }
    .snapshot("implicit_deny_identity_stage");
}

/// `ecs-admin-beijing-https.json` allows the call because both conditions hold.
#[test]
fn explanation_allow_with_conditions() {
    let mut identity = PolicySet::new();
    identity_file(&mut identity, "ecs-admin-beijing-https.json");
    identity_file(&mut identity, "vpc-readonly.json");
    let mut context = RequestContext::new();
    context.insert("acs:SecureTransport", "true");
    context.insert("acs:SourceIp", "2001:db8::7");
    context.insert("acs:CurrentTime", "2026-01-15T08:00:00Z");
    Scenario {
        store: PolicyStore {
            identity,
            ..PolicyStore::default()
        },
        principal: user(),
        pairs: vec![ActionResource::new(
            "ecs:StopInstance",
            "acs:ecs:cn-beijing:1234567890123456:instance/i-2ze1",
        )],
        context,
        resource_group: None,
    }
    .snapshot("allow_with_conditions");
}

// ---------------------------------------------------------------------------------------------
// Regressions for fixes made in src/policy while pinning these snapshots
// ---------------------------------------------------------------------------------------------

#[test]
fn regression_duplicate_key_help_gives_line_and_column() {
    let r = run("v17-duplicate-key.json", &["V17"]);
    let help = r.located[0].help.as_deref().expect("help");
    assert!(help.contains("first defined at 5:7"), "{help}");
    assert!(!help.contains("byte"), "{help}");
}

#[test]
fn regression_messages_use_the_right_article() {
    let r = run("v05-principal-in-identity-policy.json", &["V5"]);
    assert_eq!(
        r.located[0].message,
        "`Principal` is not allowed in an identity policy"
    );
    let r = run("v13-identity-too-long.json", &["V13"]);
    assert!(r.located[0]
        .message
        .starts_with("an identity policy may be"));
}

#[test]
fn regression_control_policy_length_is_v14() {
    let r = run("control-v14-too-long.json", &["V14"]);
    assert_eq!((r.located[0].rule, r.located[0].http_status), ("V14", 409));
    assert!(r.human.starts_with("error[V14]"));
}

#[test]
fn regression_short_lines_are_shown_whole() {
    let r = run("v05-principal-in-identity-policy.json", &["V5"]);
    assert!(
        r.human
            .contains(r#"6 |       "Principal": {"RAM": ["acs:ram::1234567890123456:root"]},"#),
        "{}",
        r.human
    );
    assert!(!r.human.contains('…'));
}

#[test]
fn regression_line_break_in_string_is_called_unterminated() {
    let r = run("v01-json-syntax-unterminated-string.json", &["V1"]);
    assert!(
        r.located[0].message.contains("unterminated string"),
        "{}",
        r.located[0].message
    );
}
