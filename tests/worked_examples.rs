//! Every worked example of the spec (§9 E1–E52), the §8 decision tables (a)–(f) for both seed
//! guardrail policies under every attachment, and the notes under §8.
//!
//! Each test builds the exact setup of its row — policies as JSON text read with
//! [`read_policy`] and the right [`PolicyKind`], control chains with `FullAliyunAccess`
//! attached or detached, session policies, resource-group scopes, trust policies — and checks
//! the outcome *and* the `PolicyType`. Every assertion message starts with the example id.
//!
//! Where a row names no `PolicyType` the value the spec's flow (§6.10) and recommendations (§7.3,
//! §10 Q13: identity-stage implicit deny → `ResourceGroupLevelIdentityBasedPolicy`) produce is
//! pinned, so a change of those choices shows up here.

use base64::Engine as _;
use ramsim::authz::policy_set::{AttachedEntityType, AttachedScope, PolicySourceType};
use ramsim::authz::{
    self, ActionResource, ControlNode, Decision, EvalOptions, Explanation, Outcome, PolicySet,
    PolicySource, PolicyStore, PolicyType, Principal, PrincipalKind, Request, RequestContext,
};
use ramsim::policy::diagnostic::ApiError;
use ramsim::policy::span::LineIndex;
use ramsim::policy::{diagnostic, read_policy, Policy, PolicyKind, ReadOptions, Rule};
use std::path::Path;

use Outcome::{Allow, ExplicitDeny, ImplicitDeny};
use PolicyType::{
    AccountLevelIdentityBasedPolicy as AccountLevel, AssumeRolePolicy, ControlPolicy,
    ResourceGroupLevelIdentityBasedPolicy as ResourceGroupLevel, SessionPolicy,
};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The system policy attached everywhere when control policies are enabled (§6.3).
const FULL_ALIYUN_ACCESS: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// An unconditional Allow for everything: "allowed by other policy" in §9.
const ALLOW_ALL: &str = FULL_ALIYUN_ACCESS;

/// The caller's account and the RD member the chains below belong to.
const ACCOUNT: &str = "1234567890123456";
const MEMBER: &str = ACCOUNT;
const ROOT_FOLDER: &str = "r-xxxxxx";
const FOLDER: &str = "fd-xxxxxx";

fn policy_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(id: &str, kind: PolicyKind, text: &str) -> Policy {
    let r = read_policy(text, kind, &ReadOptions::default());
    assert!(
        r.diagnostics.is_empty(),
        "{id}: the {kind} policy must read without findings: {:#?}",
        r.diagnostics
    );
    r.policy
        .unwrap_or_else(|| panic!("{id}: the {kind} policy must be valid"))
}

fn source(name: &str, system: bool) -> PolicySource {
    let mut s = PolicySource::custom(name);
    if system {
        s.source_type = PolicySourceType::System;
        s.version = None;
    }
    s
}

/// A set of `kind` policies given as `(name, text)`. `FullAliyunAccess` is added as a system
/// policy, everything else as a custom policy.
fn set_of(id: &str, kind: PolicyKind, policies: &[(&str, &str)]) -> PolicySet {
    let mut set = PolicySet::new();
    for (name, text) in policies {
        let p = parse(id, kind, text);
        let mut src = source(name, *name == "FullAliyunAccess");
        if kind == PolicyKind::Control {
            src.scope = AttachedScope::Folder;
            src.entity = AttachedEntityType::ResourceDirectoryTarget;
        }
        set.add(&p, src, Some(text));
    }
    set
}

/// One control-policy node: its target, the custom control policies attached to it and whether
/// `FullAliyunAccess` is still attached.
struct Node<'a> {
    target: &'a str,
    faa: bool,
    policies: &'a [(&'a str, &'a str)],
}

fn node<'a>(target: &'a str, faa: bool, policies: &'a [(&'a str, &'a str)]) -> Node<'a> {
    Node {
        target,
        faa,
        policies,
    }
}

/// One worked example: a policy store, a principal and a request.
struct Case {
    id: String,
    store: PolicyStore,
    principal: Principal,
    pairs: Vec<ActionResource>,
    context: RequestContext,
    resource_account: Option<String>,
    resource_group: Option<String>,
    assume_role: bool,
    options: EvalOptions,
}

impl Case {
    /// A RAM user of [`ACCOUNT`] with no policies.
    fn new(id: &str) -> Case {
        Case {
            id: id.to_string(),
            store: PolicyStore::default(),
            principal: Principal::new(PrincipalKind::RamUser, ACCOUNT, "alice"),
            pairs: Vec::new(),
            context: RequestContext::new(),
            resource_account: None,
            resource_group: None,
            assume_role: false,
            options: EvalOptions::default(),
        }
    }

    fn principal(mut self, kind: PrincipalKind, account: &str, name: &str) -> Case {
        let (rd, mgmt) = (
            self.principal.in_resource_directory,
            self.principal.management_account,
        );
        self.principal = Principal::new(kind, account, name);
        self.principal.in_resource_directory = rd;
        self.principal.management_account = mgmt;
        self
    }

    /// Account-scope identity policies.
    fn identity(mut self, policies: &[(&str, &str)]) -> Case {
        self.store.identity = set_of(&self.id, PolicyKind::Identity, policies);
        self
    }

    fn session(mut self, text: &str) -> Case {
        self.store.session = Some(set_of(
            &self.id,
            PolicyKind::Session,
            &[("session-policy", text)],
        ));
        self
    }

    /// Identity policies attached with the scope of resource group `rg`.
    fn resource_group_scope(mut self, rg: &str, policies: &[(&str, &str)]) -> Case {
        let set = set_of(&self.id, PolicyKind::Identity, policies);
        self.store.resource_groups.push((rg.to_string(), set));
        self
    }

    /// The control-policy chain; the principal's account becomes an RD member.
    fn control(mut self, chain: &[Node<'_>]) -> Case {
        self.principal.in_resource_directory = true;
        self.store.control_chain = chain
            .iter()
            .map(|n| {
                let mut policies: Vec<(&str, &str)> = Vec::new();
                if n.faa {
                    policies.push(("FullAliyunAccess", FULL_ALIYUN_ACCESS));
                }
                policies.extend_from_slice(n.policies);
                ControlNode {
                    target: n.target.to_string(),
                    policies: set_of(&self.id, PolicyKind::Control, &policies),
                    all_scope: PolicySet::new(),
                }
                .into()
            })
            .collect();
        self
    }

    /// An AssumeRole request for `role_arn` in `role_account` guarded by `trust`.
    fn assume_role(mut self, role_arn: &str, role_account: &str, trust: &str) -> Case {
        self.store.resource_policy = Some(set_of(
            &self.id,
            PolicyKind::Trust,
            &[("trust-policy", trust)],
        ));
        self.assume_role = true;
        self.resource_account = Some(role_account.to_string());
        self.action("sts:AssumeRole", role_arn)
    }

    fn action(mut self, action: &str, resource: &str) -> Case {
        self.pairs.push(ActionResource::new(action, resource));
        self
    }

    fn ctx(mut self, key: &str, value: &str) -> Case {
        self.context.insert(key, value);
        self
    }

    /// Adds `acs:PrincipalARN` as RAM computes it for the principal (§5.1, §10 Q9).
    fn principal_arn(self) -> Case {
        let arn = self
            .principal
            .principal_arn_key()
            .expect("RAM identities have a principal ARN");
        self.ctx("acs:PrincipalARN", &arn)
    }

    fn in_resource_group(mut self, rg: &str) -> Case {
        self.resource_group = Some(rg.to_string());
        self
    }

    fn request(&self) -> Request<'_> {
        Request {
            principal: &self.principal,
            pairs: &self.pairs,
            context: &self.context,
            resource_account: self.resource_account.as_deref(),
            resource_group: self.resource_group.as_deref(),
            assume_role: self.assume_role,
        }
    }

    fn decide(&self) -> Decision {
        authz::decide(&self.store, &self.request(), &self.options)
    }

    fn explain(&self) -> Explanation {
        authz::explain(&self.store, &self.request(), &self.options)
    }

    /// Asserts outcome and PolicyType (`None` for Allow), and that the tracing path agrees.
    fn expect(&self, outcome: Outcome, policy_type: Option<PolicyType>) -> Decision {
        let d = self.decide();
        assert_eq!(d.outcome, outcome, "{}: outcome", self.id);
        assert_eq!(d.policy_type, policy_type, "{}: PolicyType", self.id);
        let e = self.explain();
        assert_eq!(
            e.decision, d,
            "{}: explain() must agree with decide()",
            self.id
        );
        d
    }

    fn expect_allow(&self) {
        self.expect(Allow, None);
    }
}

// ---------------------------------------------------------------------------------------------
// §9 E1–E40, E51–E52: decisions
// ---------------------------------------------------------------------------------------------

const E1: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}"#;
const INSTANCE: &str = "acs:ecs:cn-hangzhou:1234567890123456:instance/i-1";

#[test]
fn e01_glob_action_allows() {
    Case::new("E1")
        .identity(&[("ecs-describe", E1)])
        .action("ecs:DescribeInstances", INSTANCE)
        .expect_allow();
}

#[test]
fn e02_actions_are_case_insensitive() {
    Case::new("E2")
        .identity(&[("ecs-describe", E1)])
        .action("ECS:describeinstances", INSTANCE)
        .expect_allow();
}

#[test]
fn e03_no_pattern_matches() {
    Case::new("E3")
        .identity(&[("ecs-describe", E1)])
        .action("ecs:StopInstance", INSTANCE)
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

const E4: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"ram:*","Resource":"*"}]}"#;

#[test]
fn e04_not_action_excludes_listed_actions() {
    Case::new("E4")
        .identity(&[("all-but-ram", E4)])
        .action("ram:CreateUser", "acs:ram::1234567890123456:user/*")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

#[test]
fn e05_not_action_allows_every_other_action() {
    Case::new("E5")
        .identity(&[("all-but-ram", E4)])
        .action("vpc:CreateVpc", "*")
        .expect_allow();
}

#[test]
fn e06_deny_overrides_allow() {
    let policy = r#"{"Version":"1","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":["bss:*","bssapi:*","efc:*"],"Resource":"*"}]}"#;
    Case::new("E6")
        .identity(&[("all-but-billing", policy)])
        .action("bss:DescribeBill", "*")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e07_star_crosses_slash_in_relative_id() {
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject",
        "Resource":"acs:oss:*:*:myphotos/hangzhou/2015/*"}]}"#;
    Case::new("E7")
        .identity(&[("photos", policy)])
        .action(
            "oss:GetObject",
            "acs:oss:cn-hangzhou:123:myphotos/hangzhou/2015/a/b.jpg",
        )
        .expect_allow();
}

/// E8/E9: `FullAliyunAccess` detached from folder F, which holds the allow-list control policy.
fn beijing_allow_list(id: &str) -> Case {
    let cp = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:*","rds:*"],
        "Resource":["acs:*:*cn-beijing*:*:*"]}]}"#;
    Case::new(id).identity(&[("admin", ALLOW_ALL)]).control(&[
        node(MEMBER, true, &[]),
        node(FOLDER, false, &[("cp-beijing-only", cp)]),
        node(ROOT_FOLDER, true, &[]),
    ])
}

#[test]
fn e08_wildcard_inside_region_segment() {
    let case =
        beijing_allow_list("E8").action("ecs:StartInstance", "acs:ecs:cn-beijing:123:instance/i-1");
    case.expect_allow();
    // "CP stage Allow": every control-policy node allowed the pair.
    let e = case.explain();
    let cp: Vec<_> = e.pairs[0]
        .stages
        .iter()
        .filter(|s| s.stage.starts_with("ControlPolicy"))
        .collect();
    assert_eq!(cp.len(), 3, "E8: three control-policy nodes evaluated");
    assert!(cp.iter().all(|s| s.outcome == Allow), "E8: CP stage Allow");
}

#[test]
fn e09_region_does_not_match() {
    beijing_allow_list("E9")
        .action("ecs:StartInstance", "acs:ecs:cn-hangzhou:123:instance/i-1")
        .expect(ImplicitDeny, Some(ControlPolicy));
}

#[test]
fn e10_arns_are_case_sensitive() {
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow",
        "Action":"vpc:DescribeVSwitchAttributes","Resource":"acs:vpc:*:*:vswitch/vsw-abc"}]}"#;
    let case = Case::new("E10").identity(&[("vsw", policy)]);
    case.action(
        "vpc:DescribeVSwitchAttributes",
        "acs:vpc:cn-hangzhou:123:vswitch/VSW-ABC",
    )
    .expect(ImplicitDeny, Some(ResourceGroupLevel));
    // Control: the same ARN in the policy's case is allowed.
    Case::new("E10 (same case)")
        .identity(&[("vsw", policy)])
        .action(
            "vpc:DescribeVSwitchAttributes",
            "acs:vpc:cn-hangzhou:123:vswitch/vsw-abc",
        )
        .expect_allow();
}

#[test]
fn e11_all_resource_action_needs_star_resource() {
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow",
        "Action":"vpc:CreateVpcPeerConnection","Resource":"acs:vpc:*:*:vpc/*"}]}"#;
    Case::new("E11")
        .identity(&[("peering-on-vpcs", policy)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

const E12: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*",
    "Condition":{"IpAddress":{"acs:SourceIp":["192.168.0.0/16","172.16.215.218"]}}}]}"#;

#[test]
fn e12_bare_ip_is_a_single_host() {
    Case::new("E12")
        .identity(&[("office-ips", E12)])
        .action("ecs:DescribeInstances", "*")
        .ctx("acs:SourceIp", "172.16.215.218")
        .expect_allow();
}

#[test]
fn e13_ip_outside_every_block() {
    Case::new("E13")
        .identity(&[("office-ips", E12)])
        .action("ecs:DescribeInstances", "*")
        .ctx("acs:SourceIp", "192.169.0.1")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

#[test]
fn e14_ipv6_is_not_in_an_ipv4_block() {
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
        "Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#;
    Case::new("E14")
        .identity(&[("deny-outside-intranet", deny), ("admin", ALLOW_ALL)])
        .action("ecs:DescribeInstances", "*")
        .ctx("acs:SourceIp", "2001:db8::1")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e15_ipv6_cidr() {
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:GenerateDataKey",
        "Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"2001:db8::/32"}}}]}"#;
    Case::new("E15")
        .identity(&[("kms-v6", policy)])
        .action("kms:GenerateDataKey", "*")
        .ctx("acs:SourceIp", "2001:db8:1::5")
        .expect_allow();
}

const E16: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*",
    "Condition":{"DateLessThan":{"acs:CurrentTime":"2019-08-12T17:00:00+08:00"}}}]}"#;

#[test]
fn e16_date_before_deadline() {
    Case::new("E16")
        .identity(&[("until-5pm", E16)])
        .action("ecs:DescribeInstances", "*")
        .ctx("acs:CurrentTime", "2019-08-12T08:59:59Z")
        .expect_allow();
}

#[test]
fn e17_date_at_deadline_is_not_less() {
    Case::new("E17")
        .identity(&[("until-5pm", E16)])
        .action("ecs:DescribeInstances", "*")
        .ctx("acs:CurrentTime", "2019-08-12T09:00:00Z")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

#[test]
fn e18_bool_mismatch() {
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*",
        "Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}"#;
    Case::new("E18")
        .identity(&[("https-only", policy)])
        .action("ecs:DescribeInstances", "*")
        .ctx("acs:SecureTransport", "false")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

#[test]
fn e19_positive_operator_on_absent_key_is_false() {
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
        "Condition":{"Bool":{"acs:MFAPresent":"false"}}}]}"#;
    Case::new("E19")
        .identity(&[("deny-without-mfa", deny), ("admin", ALLOW_ALL)])
        .action("ecs:DescribeInstances", "*")
        .expect_allow();
}

#[test]
fn e20_negated_operator_on_absent_key_is_true() {
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
        "Condition":{"StringNotEquals":{"acs:SourceVpc":"vpc-a"}}}]}"#;
    Case::new("E20")
        .identity(&[("deny-outside-vpc-a", deny), ("admin", ALLOW_ALL)])
        .action("ecs:DescribeInstances", "*")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e21_keys_never_injected_for_delete() {
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":["vpc:*VpcPeerConnection"],
        "Resource":"*","Condition":{"StringNotEquals":{"acs:TargetRDId":"rd-x"}}}]}"#;
    Case::new("E21")
        .identity(&[("deny-peering-outside-rd", deny), ("admin", ALLOW_ALL)])
        .action("vpc:DeleteVpcPeerConnection", "*")
        .expect(ExplicitDeny, Some(AccountLevel));
}

const E22: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection",
    "Resource":"*","Condition":{"StringNotEquals":{"acs:TargetRDId":["rd-a","rd-b"]}}}]}"#;

#[test]
fn e22_negated_multi_value_is_nor_value_listed() {
    Case::new("E22")
        .identity(&[("two-rds", E22), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDId", "rd-b")
        .expect_allow();
}

#[test]
fn e23_negated_multi_value_is_nor_value_unlisted() {
    Case::new("E23")
        .identity(&[("two-rds", E22), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDId", "rd-c")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e24_star_matches_the_empty_string() {
    // Spec ambiguity: the row writes the folder path as `rd-xxxxxx/r-xxxxxx/fd-xxxxxx` but gives
    // the reason "`*` matches empty string". Against the pattern `rd-xxxxxx/r-xxxxxx/fd-xxxxxx/*`
    // that reason holds for the folder path *with* its trailing separator, which is the reading
    // tested first. The literal string without the slash cannot match the anchored pattern
    // (§4.2, and E25's own reasoning), so it is denied — pinned below so the difference stays
    // visible.
    let p_path = policy_file("guardrail-rd-path.json");
    Case::new("E24")
        .identity(&[("guardrail-rd-path", &p_path), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDId", "rd-xxxxxx")
        .ctx("acs:TargetRDPath", "rd-xxxxxx/r-xxxxxx/fd-xxxxxx/")
        .expect_allow();
    Case::new("E24 (path without trailing slash)")
        .identity(&[("guardrail-rd-path", &p_path), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDPath", "rd-xxxxxx/r-xxxxxx/fd-xxxxxx")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e25_string_not_like_is_anchored() {
    let p_path = policy_file("guardrail-rd-path.json").replace("fd-xxxxxx/*", "fd-xxxxxx");
    assert!(!p_path.contains("/*"), "E25: pattern without trailing `/*`");
    Case::new("E25")
        .identity(&[("guardrail-rd-path-no-star", &p_path), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDPath", "rd-xxxxxx/r-xxxxxx/fd-xxxxxx/111")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e26_string_not_equals_is_case_sensitive() {
    let p_id = policy_file("guardrail-rd-id.json").replace("rd-xxxxxx", "rd-XXXXXX");
    Case::new("E26")
        .identity(&[("guardrail-rd-id-upper", &p_id), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDId", "rd-xxxxxx")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e27_ignore_case_comparison() {
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"vpc:CreateVpcPeerConnection",
        "Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"acs:TargetRDId":"RD-XXXXXX"}}}]}"#;
    Case::new("E27")
        .identity(&[("rd-ignore-case", deny), ("admin", ALLOW_ALL)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDId", "rd-xxxxxx")
        .expect_allow();
}

#[test]
fn e28_deny_only_policy_grants_nothing() {
    let p_id = policy_file("guardrail-rd-id.json");
    let case = Case::new("E28")
        .identity(&[("guardrail-rd-id", &p_id)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .ctx("acs:TargetRDId", "rd-xxxxxx")
        .ctx("acs:TargetRDPath", "rd-xxxxxx/r-xxxxxx/fd-xxxxxx/111");
    // §7.3 / §10 Q13 recommendation: ResourceGroupLevel (last identity stage evaluated).
    case.expect(ImplicitDeny, Some(ResourceGroupLevel));
    // The configurable alternative (Alibaba's SDK example) reports AccountLevel.
    let mut alt = case;
    alt.id = "E28 (Q13 = AccountLevel)".into();
    alt.options.identity_implicit_deny_type =
        authz::options::IdentityImplicitDenyType::AccountLevel;
    alt.expect(ImplicitDeny, Some(AccountLevel));
}

#[test]
fn e29_deny_checked_before_allow() {
    let p_id = policy_file("guardrail-rd-id.json");
    Case::new("E29")
        .identity(&[("guardrail-rd-id", &p_id)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .expect(ExplicitDeny, Some(AccountLevel));
}

#[test]
fn e30_dependent_cdt_action() {
    let vpc_full = policy_file("aliyun-vpc-full-access.json");
    let d = Case::new("E30")
        .identity(&[("AliyunVPCFullAccess", &vpc_full)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .action("cdt:GetCdtServiceStatus", "*")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
    assert_eq!(d.pair, 1, "E30: the dependent cdt pair decides");
    // With the CDT permission (network-admin.json) the call goes through.
    Case::new("E30 (network-admin)")
        .identity(&[("network-admin", &policy_file("network-admin.json"))])
        .action("vpc:CreateVpcPeerConnection", "*")
        .action("cdt:GetCdtServiceStatus", "*")
        .expect_allow();
}

/// E31/E32: FullAliyunAccess detached from folder F, which allows only ECS and RDS.
fn ecs_rds_folder(id: &str) -> Case {
    let cp = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:*","rds:*"],"Resource":"*"}]}"#;
    Case::new(id)
        .identity(&[("admin", ALLOW_ALL)])
        .control(&[
            node(MEMBER, true, &[]),
            node("fd-F", false, &[("cp-ecs-rds", cp)]),
            node(ROOT_FOLDER, true, &[]),
        ])
        .action(
            "vpc:CreateVpc",
            "acs:vpc:cn-hangzhou:1234567890123456:vpc/*",
        )
}

#[test]
fn e31_node_without_allow_denies() {
    ecs_rds_folder("E31").expect(ImplicitDeny, Some(ControlPolicy));
    // The allow-listed services still pass the chain.
    ecs_rds_folder("E31 (ecs)")
        .action("ecs:DescribeInstances", "*")
        .expect(ImplicitDeny, Some(ControlPolicy));
    let mut only_ecs = ecs_rds_folder("E31 (only ecs)");
    only_ecs.pairs = vec![ActionResource::new("ecs:DescribeInstances", "*")];
    only_ecs.expect_allow();
}

#[test]
fn e32_control_policies_skip_the_owner() {
    ecs_rds_folder("E32")
        .principal(PrincipalKind::Root, ACCOUNT, "")
        .expect_allow();
}

#[test]
fn e33_service_role_exempt_via_principal_arn() {
    let cp = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:UpdateUser","Resource":"*",
        "Condition":{"StringNotLike":{"acs:PrincipalARN":"acs:ram:*:*:role/opsautomationrole"}}}]}"#;
    let attached = [("cp-protect-users", cp)];
    let chain = [
        node(MEMBER, true, &[]),
        node(FOLDER, true, &[]),
        node(ROOT_FOLDER, true, &attached),
    ];
    Case::new("E33")
        .identity(&[("admin", ALLOW_ALL)])
        .control(&chain)
        .principal(
            PrincipalKind::AssumedRoleUser,
            ACCOUNT,
            "OpsAutomationRole/ecs-task",
        )
        .principal_arn()
        .action("ram:UpdateUser", "acs:ram::1234567890123456:user/bob")
        .expect_allow();
    // Anyone else is denied at the control-policy stage.
    Case::new("E33 (other principal)")
        .identity(&[("admin", ALLOW_ALL)])
        .control(&chain)
        .principal_arn()
        .action("ram:UpdateUser", "acs:ram::1234567890123456:user/bob")
        .expect(ExplicitDeny, Some(ControlPolicy));
}

#[test]
fn e34_deny_inherited_from_root_folder() {
    let cp = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}"#;
    Case::new("E34")
        .identity(&[("admin", ALLOW_ALL)])
        .control(&[
            node(MEMBER, true, &[]),
            node(FOLDER, true, &[]),
            node(ROOT_FOLDER, true, &[("cp-no-delete", cp)]),
        ])
        .action("ecs:DeleteInstance", INSTANCE)
        .expect(ExplicitDeny, Some(ControlPolicy));
}

#[test]
fn e35_session_policy_intersects() {
    let session = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}"#;
    let role =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#;
    let case = |id: &str, action: &str| {
        Case::new(id)
            .principal(PrincipalKind::AssumedRoleUser, ACCOUNT, "oss-role/s1")
            .identity(&[("oss-full", role)])
            .session(session)
            .action(action, "acs:oss:*:1234567890123456:bucket/obj")
    };
    case("E35", "oss:PutObject").expect(ImplicitDeny, Some(SessionPolicy));
    case("E35 (GetObject)", "oss:GetObject").expect_allow();
}

#[test]
fn e36_account_scope_allow_skips_resource_group_set() {
    let allow =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#;
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:StopInstance","Resource":"*"}]}"#;
    let case = Case::new("E36")
        .identity(&[("ecs-admin", allow)])
        .resource_group_scope("rg-1", &[("no-stop", deny)])
        .in_resource_group("rg-1")
        .action("ecs:StopInstance", INSTANCE);
    case.expect_allow();
    let e = case.explain();
    assert!(
        e.pairs[0]
            .stages
            .iter()
            .all(|s| !s.stage.starts_with("ResourceGroupLevel")),
        "E36: the resource-group set is not evaluated"
    );
}

#[test]
fn e37_resource_group_policy_covers_only_its_group() {
    let allow =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#;
    let case = |id: &str, rg: &str| {
        Case::new(id)
            .resource_group_scope("rg-1", &[("ecs-in-rg-1", allow)])
            .in_resource_group(rg)
            .action("ecs:StopInstance", INSTANCE)
    };
    case("E37", "rg-2").expect(ImplicitDeny, Some(ResourceGroupLevel));
    case("E37 (rg-1)", "rg-1").expect_allow();
}

const TRUST_ACCOUNT_111: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
    "Principal":{"RAM":["acs:ram::111:root"]}}]}"#;
const ALLOW_ASSUME: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;

#[test]
fn e38_assume_role_both_sides_allow() {
    Case::new("E38")
        .principal(PrincipalKind::RamUser, "111", "alice")
        .identity(&[("assume-any-role", ALLOW_ASSUME)])
        .assume_role("acs:ram::222:role/admin", "222", TRUST_ACCOUNT_111)
        .expect_allow();
}

#[test]
fn e39_assume_role_without_identity_allow() {
    Case::new("E39")
        .principal(PrincipalKind::RamUser, "111", "alice")
        .assume_role("acs:ram::222:role/admin", "222", TRUST_ACCOUNT_111)
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

#[test]
fn e40_principal_not_trusted() {
    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
        "Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#;
    Case::new("E40")
        .identity(&[("assume-any-role", ALLOW_ASSUME)])
        .assume_role(
            "acs:ram::1234567890123456:role/ecs-instance-role",
            ACCOUNT,
            trust,
        )
        .expect(ImplicitDeny, Some(AssumeRolePolicy));
}

#[test]
fn e51_star_matches_empty_region() {
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetRole",
        "Resource":"acs:ram:*:*:role/app-*"}]}"#;
    Case::new("E51")
        .identity(&[("app-roles", policy)])
        .action("ram:GetRole", "acs:ram::123:role/app-web")
        .expect_allow();
}

#[test]
fn e52_principal_arn_carries_lower_cased_role_name() {
    // §10 Q9: RAM emits the role ARN with the role name lower-cased; the official example
    // relies on it with a case-sensitive StringNotLike.
    let cp = r#"{"Version":"1","Statement":[{"Effect":"Deny",
        "Action":["ram:UpdateRole","ram:DeleteRole","ram:AttachPolicyToRole","ram:DetachPolicyFromRole"],
        "Resource":"acs:ram:*:*:role/ResourceDirectoryAccountAccessRole",
        "Condition":{"StringNotLike":{"acs:PrincipalARN":"acs:ram:*:*:role/resourcedirectoryaccountaccessrole"}}}]}"#;
    let attached = [("cp-protect-rd-role", cp)];
    let chain = [
        node(MEMBER, true, &[]),
        node(FOLDER, true, &[]),
        node(ROOT_FOLDER, true, &attached),
    ];
    let role = "acs:ram::1234567890123456:role/ResourceDirectoryAccountAccessRole";
    let case = Case::new("E52")
        .identity(&[("admin", ALLOW_ALL)])
        .control(&chain)
        .principal(
            PrincipalKind::AssumedRoleUser,
            ACCOUNT,
            "ResourceDirectoryAccountAccessRole/admin-session",
        )
        .principal_arn()
        .action("ram:UpdateRole", role);
    assert_eq!(
        case.context.get("acs:PrincipalARN"),
        Some(
            &["acs:ram::1234567890123456:role/resourcedirectoryaccountaccessrole".to_string()][..]
        ),
        "E52: acs:PrincipalARN of a role session"
    );
    case.expect_allow();
    Case::new("E52 (other principal)")
        .identity(&[("admin", ALLOW_ALL)])
        .control(&chain)
        .principal_arn()
        .action("ram:UpdateRole", role)
        .expect(ExplicitDeny, Some(ControlPolicy));
}

// ---------------------------------------------------------------------------------------------
// §9 E41–E50: validation
// ---------------------------------------------------------------------------------------------

struct Rejection<'a> {
    rule: Rule,
    rule_id: &'a str,
    checker: &'a str,
    code: &'a str,
    status: u16,
    path: &'a str,
}

fn expect_rejected(id: &str, kind: PolicyKind, text: &str, want: Rejection<'_>) {
    let r = read_policy(text, kind, &ReadOptions::default());
    assert!(r.policy.is_none(), "{id}: the document must be rejected");
    assert!(r.has_errors(), "{id}: at least one error");
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.rule == want.rule)
        .unwrap_or_else(|| panic!("{id}: expected {:?}, got {:#?}", want.rule, r.diagnostics));
    assert_eq!(d.rule.id_for(kind), want.rule_id, "{id}: rule id");
    assert_eq!(d.rule.checker_name(), want.checker, "{id}: checker name");
    let api = ApiError::for_rule(kind, d.rule);
    assert_eq!(api.code, want.code, "{id}: API error code");
    assert_eq!(api.http_status, want.status, "{id}: HTTP status");
    assert_eq!(d.path.to_string(), want.path, "{id}: JSON path");
    // The located record carries the same facts.
    let index = LineIndex::new(text);
    let loc = diagnostic::locate("policy.json", text, &index, kind, d);
    assert_eq!(loc.rule, want.rule_id, "{id}: located rule");
    assert_eq!(loc.checker, want.checker, "{id}: located checker");
    assert_eq!(loc.api_error, want.code, "{id}: located API error");
    assert_eq!(loc.http_status, want.status, "{id}: located HTTP status");
    assert_eq!(loc.path, want.path, "{id}: located path");
}

const MALFORMED: &str = "MalformedPolicyDocument";

fn statement_doc(statement_body: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{{{statement_body}}}]}}"#)
}

#[test]
fn e41_invalid_version() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#;
    expect_rejected(
        "E41",
        PolicyKind::Identity,
        doc,
        Rejection {
            rule: Rule::InvalidVersion,
            rule_id: "V3",
            checker: "Invalid version",
            code: MALFORMED,
            status: 400,
            path: "Version",
        },
    );
}

#[test]
fn e42_effect_is_case_sensitive() {
    let doc = statement_doc(r#""Effect":"allow","Action":"ecs:*","Resource":"*""#);
    expect_rejected(
        "E42",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::InvalidEffect,
            rule_id: "V4",
            checker: "Invalid effect",
            code: MALFORMED,
            status: 400,
            path: "Statement[0].Effect",
        },
    );
}

#[test]
fn e43_missing_action() {
    let doc = statement_doc(r#""Effect":"Allow","Resource":"*""#);
    expect_rejected(
        "E43",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::MissingAction,
            rule_id: "V6",
            checker: "Missing action",
            code: MALFORMED,
            status: 400,
            path: "Statement[0]",
        },
    );
    let r = read_policy(&doc, PolicyKind::Identity, &ReadOptions::default());
    assert_eq!(
        r.diagnostics[0].help.as_deref(),
        Some("Add an Action or NotAction element to the policy statement."),
        "E43: RAM's message (FIELD [S29])"
    );
}

#[test]
fn e44_action_and_not_action() {
    let doc =
        statement_doc(r#""Effect":"Allow","Action":"ecs:*","NotAction":"ram:*","Resource":"*""#);
    expect_rejected(
        "E44",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::InvalidPolicyElement,
            rule_id: "V5",
            checker: "Invalid policy element",
            code: MALFORMED,
            status: 400,
            path: "Statement[0].NotAction",
        },
    );
}

#[test]
fn e45_if_exists_operator() {
    let doc = statement_doc(
        r#""Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"BoolIfExists":{"acs:MFAPresent":"true"}}"#,
    );
    expect_rejected(
        "E45",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::InvalidConditionOperator,
            rule_id: "V11",
            checker: "Invalid condition operator",
            code: MALFORMED,
            status: 400,
            path: "Statement[0].Condition.BoolIfExists",
        },
    );
    let r = read_policy(&doc, PolicyKind::Identity, &ReadOptions::default());
    assert!(
        r.diagnostics[0]
            .message
            .contains("The condition operator 'IfExists/Null' is not supported"),
        "E45: observed RAM text, got {:?}",
        r.diagnostics[0].message
    );
}

#[test]
fn e46_bool_with_two_values() {
    let doc = statement_doc(
        r#""Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":["true","false"]}}"#,
    );
    expect_rejected(
        "E46",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::InvalidConditionMultipleBoolean,
            rule_id: "V12",
            checker: "Invalid condition multiple Boolean",
            code: MALFORMED,
            status: 400,
            path: r#"Statement[0].Condition.Bool."acs:SecureTransport""#,
        },
    );
}

#[test]
fn e47_aws_arn_prefix() {
    let doc = statement_doc(r#""Effect":"Allow","Action":"oss:*","Resource":"arn:aws:s3:::b""#);
    expect_rejected(
        "E47",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::InvalidArnPrefix,
            rule_id: "V8",
            checker: "Invalid ARN prefix",
            code: MALFORMED,
            status: 400,
            path: "Statement[0].Resource",
        },
    );
}

#[test]
fn e48_action_without_service_code() {
    let doc = statement_doc(r#""Effect":"Allow","Action":"CreateVpc","Resource":"*""#);
    expect_rejected(
        "E48",
        PolicyKind::Identity,
        &doc,
        Rejection {
            rule: Rule::InvalidActionFormat,
            rule_id: "V7",
            checker: "Invalid action format",
            code: MALFORMED,
            status: 400,
            path: "Statement[0].Action",
        },
    );
}

/// Pads `text` with trailing whitespace (which counts, §10 Q6) to exactly `chars` characters.
fn pad_to(text: &str, chars: usize) -> String {
    let mut out = text.trim_end().to_string();
    let n = out.chars().count();
    assert!(n < chars, "document already longer than {chars}");
    out.push_str(&" ".repeat(chars - n));
    assert_eq!(out.chars().count(), chars);
    out
}

#[test]
fn e49_control_policy_over_4096_characters() {
    let p_path = policy_file("guardrail-rd-path.json");
    // As written, P-PATH is a valid control policy (§8).
    parse("E49 (unpadded)", PolicyKind::Control, &p_path);
    let padded = pad_to(&p_path, 4_200);
    expect_rejected(
        "E49",
        PolicyKind::Control,
        &padded,
        Rejection {
            rule: Rule::DocumentTooLong,
            rule_id: "V14",
            checker: "Policy document too long",
            code: "InvalidParameter.PolicyDocument.Length",
            status: 409,
            path: "(document)",
        },
    );
    // The same text is still a valid custom (identity) policy: 4,200 ≤ 6,144.
    parse("E49 (as identity policy)", PolicyKind::Identity, &padded);
    // Boundary: exactly 4,096 characters is accepted, 4,097 is not.
    parse("E49 (4096)", PolicyKind::Control, &pad_to(&p_path, 4_096));
    let r = read_policy(
        &pad_to(&p_path, 4_097),
        PolicyKind::Control,
        &ReadOptions::default(),
    );
    assert!(r.policy.is_none(), "E49: 4,097 characters are too many");
}

#[test]
fn e50_session_policy_over_2048_characters() {
    let session = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}"#;
    let padded = pad_to(session, 2_100);
    // STS reports every invalid session policy as InvalidParameter.PolicyGrammar (V15, FIELD
    // [S15]); E50 names no code for the length case, so the V15 mapping is kept.
    expect_rejected(
        "E50",
        PolicyKind::Session,
        &padded,
        Rejection {
            rule: Rule::DocumentTooLong,
            rule_id: "V13",
            checker: "Policy document too long",
            code: "InvalidParameter.PolicyGrammar",
            status: 400,
            path: "(document)",
        },
    );
    parse("E50 (2048)", PolicyKind::Session, &pad_to(session, 2_048));
    // The same text is a valid identity policy.
    parse("E50 (as identity policy)", PolicyKind::Identity, &padded);
}

#[test]
fn v13_identity_policy_over_6144_characters() {
    let p_id = policy_file("guardrail-rd-id.json");
    parse("V13 (6144)", PolicyKind::Identity, &pad_to(&p_id, 6_144));
    expect_rejected(
        "V13",
        PolicyKind::Identity,
        &pad_to(&p_id, 6_145),
        Rejection {
            rule: Rule::DocumentTooLong,
            rule_id: "V13",
            checker: "Policy document too long",
            code: "InvalidParameter.PolicyDocument.Length",
            status: 400,
            path: "(document)",
        },
    );
}

// ---------------------------------------------------------------------------------------------
// §8: the seed policies P-ID and P-PATH, tables (a)–(f)
// ---------------------------------------------------------------------------------------------

const PEERING_ACTIONS: [&str; 2] = ["vpc:CreateVpcPeerConnection", "vpc:AcceptVpcPeerConnection"];

/// One row of §8: peer account location and the injected context (`None` = keys absent).
struct Location {
    row: &'static str,
    rd_id: Option<&'static str>,
    rd_path: Option<&'static str>,
    p_id: Outcome,
    p_path: Outcome,
}

const LOCATIONS: [Location; 6] = [
    Location {
        row: "(a) directly in fd-xxxxxx",
        rd_id: Some("rd-xxxxxx"),
        rd_path: Some("rd-xxxxxx/r-xxxxxx/fd-xxxxxx/111"),
        p_id: Allow,
        p_path: Allow,
    },
    Location {
        row: "(b) in another RD",
        rd_id: Some("rd-yyyyyy"),
        rd_path: Some("rd-yyyyyy/r-yyyyyy/fd-yyyyyy/555"),
        p_id: ExplicitDeny,
        p_path: ExplicitDeny,
    },
    Location {
        row: "(c) in no RD",
        rd_id: None,
        rd_path: None,
        p_id: ExplicitDeny,
        p_path: ExplicitDeny,
    },
    Location {
        row: "(d) in a sub-folder",
        rd_id: Some("rd-xxxxxx"),
        rd_path: Some("rd-xxxxxx/r-xxxxxx/fd-xxxxxx/fd-child/222"),
        p_id: Allow,
        p_path: Allow,
    },
    Location {
        row: "(e) in a sibling folder",
        rd_id: Some("rd-xxxxxx"),
        rd_path: Some("rd-xxxxxx/r-xxxxxx/fd-zzzzzz/333"),
        p_id: Allow,
        p_path: ExplicitDeny,
    },
    Location {
        row: "(f) directly under Root",
        rd_id: Some("rd-xxxxxx"),
        rd_path: Some("rd-xxxxxx/r-xxxxxx/444"),
        p_id: Allow,
        p_path: ExplicitDeny,
    },
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Seed {
    PId,
    PPath,
}

impl Seed {
    fn name(self) -> &'static str {
        match self {
            Seed::PId => "guardrail-rd-id",
            Seed::PPath => "guardrail-rd-path",
        }
    }

    fn text(self) -> String {
        policy_file(&format!("{}.json", self.name()))
    }

    fn expected(self, loc: &Location) -> Outcome {
        match self {
            Seed::PId => loc.p_id,
            Seed::PPath => loc.p_path,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Attachment {
    /// A RAM custom policy attached at account scope.
    Identity,
    /// A control policy attached to the member, its folder or the root folder.
    ControlAt(&'static str),
}

/// The §8 setup: a RAM user whose other policy (`network-admin.json`) allows the actions, with
/// `seed` attached as `attachment`.
fn seed_case(id: &str, seed: Seed, attachment: Attachment) -> Case {
    let text = seed.text();
    let admin = policy_file("network-admin.json");
    match attachment {
        Attachment::Identity => {
            Case::new(id).identity(&[(seed.name(), &text), ("network-admin", &admin)])
        }
        Attachment::ControlAt(level) => {
            let attached = [(seed.name(), text.as_str())];
            let at = |target: &str| -> &[(&str, &str)] {
                if target == level {
                    &attached
                } else {
                    &[]
                }
            };
            Case::new(id)
                .identity(&[("network-admin", &admin)])
                .control(&[
                    node(MEMBER, true, at(MEMBER)),
                    node(FOLDER, true, at(FOLDER)),
                    node(ROOT_FOLDER, true, at(ROOT_FOLDER)),
                ])
        }
    }
}

fn with_location(mut case: Case, loc: &Location) -> Case {
    if let Some(id) = loc.rd_id {
        case = case.ctx("acs:TargetRDId", id);
    }
    if let Some(path) = loc.rd_path {
        case = case.ctx("acs:TargetRDPath", path);
    }
    case
}

fn check_table(seed: Seed, attachment: Attachment) {
    let deny_type = match attachment {
        Attachment::Identity => AccountLevel,
        Attachment::ControlAt(_) => ControlPolicy,
    };
    assert!(
        seed.text().chars().count() < 4_096,
        "§8: seed policies fit both limits"
    );
    for loc in &LOCATIONS {
        for action in PEERING_ACTIONS {
            let id = format!("§8 {seed:?} {attachment:?} {} {action}", loc.row);
            let case = with_location(seed_case(&id, seed, attachment), loc)
                .action(action, "*")
                .action("cdt:GetCdtServiceStatus", "*");
            match seed.expected(loc) {
                Allow => {
                    case.expect_allow();
                }
                outcome => {
                    let d = case.expect(outcome, Some(deny_type));
                    assert_eq!(d.pair, 0, "{id}: the peering pair decides");
                    // The denying statement is the seed policy's only statement.
                    let e = case.explain();
                    let deciding = e.deciding_statements();
                    assert_eq!(deciding.len(), 1, "{id}: one deciding statement");
                    assert_eq!(deciding[0].policy, seed.name(), "{id}: deciding policy");
                    assert_eq!(deciding[0].statement, 0, "{id}: deciding statement");
                }
            }
        }
    }
    // (c) with an empty string injected instead of absent keys gives the same answer (§5.3).
    for action in PEERING_ACTIONS {
        let id = format!("§8 {seed:?} {attachment:?} (c) empty-string keys {action}");
        seed_case(&id, seed, attachment)
            .ctx("acs:TargetRDId", "")
            .ctx("acs:TargetRDPath", "")
            .action(action, "*")
            .expect(ExplicitDeny, Some(deny_type));
    }
}

#[test]
fn s8_p_id_as_account_scope_identity_policy() {
    check_table(Seed::PId, Attachment::Identity);
}

#[test]
fn s8_p_id_as_control_policy_on_member() {
    check_table(Seed::PId, Attachment::ControlAt(MEMBER));
}

#[test]
fn s8_p_id_as_control_policy_on_folder() {
    check_table(Seed::PId, Attachment::ControlAt(FOLDER));
}

#[test]
fn s8_p_id_as_control_policy_on_root_folder() {
    check_table(Seed::PId, Attachment::ControlAt(ROOT_FOLDER));
}

#[test]
fn s8_p_path_as_account_scope_identity_policy() {
    check_table(Seed::PPath, Attachment::Identity);
}

#[test]
fn s8_p_path_as_control_policy_on_member() {
    check_table(Seed::PPath, Attachment::ControlAt(MEMBER));
}

#[test]
fn s8_p_path_as_control_policy_on_folder() {
    check_table(Seed::PPath, Attachment::ControlAt(FOLDER));
}

#[test]
fn s8_p_path_as_control_policy_on_root_folder() {
    check_table(Seed::PPath, Attachment::ControlAt(ROOT_FOLDER));
}

const ATTACHMENTS: [Attachment; 4] = [
    Attachment::Identity,
    Attachment::ControlAt(MEMBER),
    Attachment::ControlAt(FOLDER),
    Attachment::ControlAt(ROOT_FOLDER),
];

#[test]
fn s8_note_account_root_is_not_restricted() {
    // "As a RAM custom policy the policies do not restrict the account's root; as control
    // policies they do not restrict the member's root."
    let outside = &LOCATIONS[1];
    for seed in [Seed::PId, Seed::PPath] {
        for attachment in ATTACHMENTS {
            let id = format!("§8 note root {seed:?} {attachment:?}");
            let case = with_location(seed_case(&id, seed, attachment), outside)
                .principal(PrincipalKind::Root, ACCOUNT, "")
                .action("vpc:CreateVpcPeerConnection", "*");
            case.expect_allow();
            assert!(
                case.explain().pairs[0].root_owner,
                "{id}: decided by ownership"
            );
        }
    }
}

#[test]
fn s8_note_management_account_is_not_restricted_by_control_policies() {
    let outside = &LOCATIONS[2];
    for seed in [Seed::PId, Seed::PPath] {
        for level in [MEMBER, FOLDER, ROOT_FOLDER] {
            let id = format!("§8 note management account {seed:?} at {level}");
            let mut case =
                with_location(seed_case(&id, seed, Attachment::ControlAt(level)), outside)
                    .action("vpc:CreateVpcPeerConnection", "*");
            case.principal.management_account = true;
            case.expect_allow();
            assert!(
                case.explain().pairs[0]
                    .stages
                    .iter()
                    .all(|s| !s.stage.starts_with("ControlPolicy")),
                "{id}: no control-policy stage"
            );
        }
        // As a RAM policy it still applies inside the management account.
        let id = format!("§8 note management account {seed:?} as identity policy");
        let mut case = with_location(seed_case(&id, seed, Attachment::Identity), outside)
            .action("vpc:CreateVpcPeerConnection", "*");
        case.principal.management_account = true;
        case.expect(ExplicitDeny, Some(AccountLevel));
    }
}

#[test]
fn s8_note_service_linked_role_is_not_restricted_by_control_policies() {
    let mut case = with_location(
        seed_case("§8 note SLR", Seed::PId, Attachment::ControlAt(FOLDER)),
        &LOCATIONS[1],
    )
    .principal(
        PrincipalKind::AssumedRoleUser,
        ACCOUNT,
        "AliyunServiceRoleForVpc/slr",
    )
    .action("vpc:CreateVpcPeerConnection", "*");
    case.principal.service_linked_role = true;
    case.expect_allow();
}

#[test]
fn s8_note_extending_to_delete_denies_every_delete() {
    for seed in [Seed::PId, Seed::PPath] {
        for attachment in ATTACHMENTS {
            let extended = seed.text().replace(
                r#""vpc:AcceptVpcPeerConnection"]"#,
                r#""vpc:AcceptVpcPeerConnection","vpc:DeleteVpcPeerConnection"]"#,
            );
            assert!(extended.contains("DeleteVpcPeerConnection"));
            let deny_type = match attachment {
                Attachment::Identity => AccountLevel,
                Attachment::ControlAt(_) => ControlPolicy,
            };
            // Even the "good" location (a) is denied: the keys are never injected for Delete.
            let id = format!("§8 note delete {seed:?} {attachment:?}");
            let mut case =
                seed_case(&id, seed, attachment).action("vpc:DeleteVpcPeerConnection", "*");
            match attachment {
                Attachment::Identity => {
                    let admin = policy_file("network-admin.json");
                    case.store.identity = set_of(
                        &id,
                        PolicyKind::Identity,
                        &[(seed.name(), &extended), ("network-admin", &admin)],
                    );
                }
                Attachment::ControlAt(level) => {
                    let n = case
                        .store
                        .control_chain
                        .iter_mut()
                        .find(|n| n.target == level)
                        .expect("node");
                    let mut policies = set_of(
                        &id,
                        PolicyKind::Control,
                        &[("FullAliyunAccess", FULL_ALIYUN_ACCESS)],
                    );
                    let p = parse(&id, PolicyKind::Control, &extended);
                    policies.add(&p, source(seed.name(), false), Some(&extended));
                    std::sync::Arc::make_mut(n).policies = policies;
                }
            }
            case.expect(ExplicitDeny, Some(deny_type));
            // Create from location (a) is still allowed by the extended policy.
            let create = with_location(
                Case {
                    id: format!("{id} create (a)"),
                    pairs: vec![ActionResource::new("vpc:CreateVpcPeerConnection", "*")],
                    ..case
                },
                &LOCATIONS[0],
            );
            create.expect_allow();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §7.2/§7.4: AccessDeniedDetail of §8 denials
// ---------------------------------------------------------------------------------------------

fn decode(detail_blob: &str, id: &str) -> serde_json::Value {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(detail_blob)
        .unwrap_or_else(|e| panic!("{id}: EncodedDiagnosticMessage is base64: {e}"));
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{id}: EncodedDiagnosticMessage decodes to JSON: {e}"))
}

#[test]
fn s8_access_denied_detail_fields() {
    for seed in [Seed::PId, Seed::PPath] {
        for attachment in ATTACHMENTS {
            let id = format!("§8 AccessDeniedDetail {seed:?} {attachment:?}");
            let mut case = with_location(seed_case(&id, seed, attachment), &LOCATIONS[1])
                .action("vpc:CreateVpcPeerConnection", "*")
                .action("cdt:GetCdtServiceStatus", "*");
            case.principal.display_name = "2345678901234567".into();
            let e = case.explain();
            let detail = e
                .access_denied_detail(&case.context)
                .unwrap_or_else(|| panic!("{id}: a denial has a detail"));
            let (policy_type, scope, entity) = match attachment {
                Attachment::Identity => ("AccountLevelIdentityBasedPolicy", "Account", None),
                Attachment::ControlAt(_) => {
                    ("ControlPolicy", "Folder", Some("ResourceDirectoryTarget"))
                }
            };
            assert_eq!(detail.policy_type, policy_type, "{id}: PolicyType");
            assert_eq!(
                detail.no_permission_type, "ExplicitDeny",
                "{id}: NoPermissionType"
            );
            assert_eq!(
                detail.action, "vpc:CreateVpcPeerConnection",
                "{id}: AuthAction"
            );
            assert_eq!(detail.resource, "*", "{id}: AuthResource");
            assert_eq!(detail.principal_type, "SubUser", "{id}: AuthPrincipalType");
            assert_eq!(detail.owner_id, ACCOUNT, "{id}: AuthPrincipalOwnerId");
            assert_eq!(
                detail.display_name, "2345678901234567",
                "{id}: AuthPrincipalDisplayName"
            );
            let decoded = decode(&detail.encoded_diagnostic_message, &id);
            assert_eq!(decoded["ExplicitDeny"], true, "{id}: decoded ExplicitDeny");
            assert_eq!(
                decoded["NoPermissionPolicyType"], policy_type,
                "{id}: decoded NoPermissionPolicyType"
            );
            assert_eq!(
                decoded["AuthAction"], "vpc:CreateVpcPeerConnection",
                "{id}: decoded AuthAction"
            );
            assert_eq!(
                decoded["AuthPrincipal"]["AuthPrincipalType"], "SubUser",
                "{id}: decoded AuthPrincipalType"
            );
            let matched = decoded["MatchedPolicies"]
                .as_array()
                .unwrap_or_else(|| panic!("{id}: MatchedPolicies is an array"));
            assert_eq!(
                matched.len(),
                1,
                "{id}: exactly the denying policy: {matched:?}"
            );
            assert_eq!(
                matched[0]["PolicyIdentifier"],
                seed.name(),
                "{id}: PolicyIdentifier"
            );
            assert_eq!(matched[0]["Effect"], "Deny", "{id}: Effect");
            assert_eq!(matched[0]["PolicyType"], "Custom", "{id}: Custom policy");
            assert_eq!(matched[0]["AttachedScope"], scope, "{id}: AttachedScope");
            match entity {
                Some(e) => assert_eq!(matched[0]["AttachedEntityType"], e, "{id}: entity"),
                None => assert!(
                    matched[0].get("AttachedEntityType").is_none(),
                    "{id}: no entity type"
                ),
            }
            // AuthConditions carry the injected values the decision looked at.
            let conditions = decoded["AuthConditions"].as_array().expect("array");
            let key = match seed {
                Seed::PId => "acs:TargetRDId",
                Seed::PPath => "acs:TargetRDPath",
            };
            assert!(
                conditions.iter().any(|c| c["ConditionKey"] == key),
                "{id}: AuthConditions names {key}: {conditions:?}"
            );
            // The typed decoded message matches the blob.
            let typed = e
                .decoded_diagnostic_message(&case.context)
                .expect("decoded");
            assert_eq!(
                serde_json::to_value(&typed).expect("serialise"),
                decoded,
                "{id}: blob = decoded_diagnostic_message"
            );
        }
    }
}

#[test]
fn allowed_requests_have_no_access_denied_detail() {
    let case = with_location(
        seed_case("allow detail", Seed::PId, Attachment::Identity),
        &LOCATIONS[0],
    )
    .action("vpc:CreateVpcPeerConnection", "*");
    let e = case.explain();
    assert_eq!(e.decision.outcome, Allow);
    assert!(e.access_denied_detail(&case.context).is_none());
    assert!(e.decoded_diagnostic_message(&case.context).is_none());
}

// ---------------------------------------------------------------------------------------------
// The example policies in `policies/` are valid for the kinds they are meant for.
// ---------------------------------------------------------------------------------------------

#[test]
fn example_policies_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("policies/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let name = path.display().to_string();
        parse(&name, PolicyKind::Identity, &text);
        parse(&name, PolicyKind::Session, &text);
        if text.chars().count() <= 4_096 {
            parse(&name, PolicyKind::Control, &text);
        }
        seen += 1;
    }
    assert!(seen >= 6, "policies/ holds the example policies");
    // The seed policies are exactly §8's text.
    assert_eq!(
        policy_file("guardrail-rd-id.json").trim_end(),
        concat!(
            r#"{"Version":"1","Statement":[{"Effect":"Deny","#,
            "\n",
            r#" "Action":["vpc:CreateVpcPeerConnection","vpc:AcceptVpcPeerConnection"],"#,
            "\n",
            r#" "Resource":"*","#,
            "\n",
            r#" "Condition":{"StringNotEquals":{"acs:TargetRDId":["rd-xxxxxx"]}}}]}"#
        )
    );
    assert_eq!(
        policy_file("guardrail-rd-path.json").trim_end(),
        concat!(
            r#"{"Version":"1","Statement":[{"Effect":"Deny","#,
            "\n",
            r#" "Action":["vpc:CreateVpcPeerConnection","vpc:AcceptVpcPeerConnection"],"#,
            "\n",
            r#" "Resource":"*","#,
            "\n",
            r#" "Condition":{"StringNotLike":{"acs:TargetRDPath":["rd-xxxxxx/r-xxxxxx/fd-xxxxxx/*"]}}}]}"#
        )
    );
}

#[test]
fn ecs_admin_beijing_https_example() {
    let text = policy_file("ecs-admin-beijing-https.json");
    let case = |id: &str, resource: &str, https: &str, ip: &str| {
        Case::new(id)
            .identity(&[("ecs-admin-beijing-https", &text)])
            .action("ecs:StopInstance", resource)
            .ctx("acs:SecureTransport", https)
            .ctx("acs:SourceIp", ip)
    };
    let bj = "acs:ecs:cn-beijing:1234567890123456:instance/i-1";
    case("ecs-admin ok", bj, "true", "203.0.113.7").expect_allow();
    case("ecs-admin v6", bj, "true", "2001:db8::7").expect_allow();
    case("ecs-admin http", bj, "false", "203.0.113.7")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
    case("ecs-admin ip", bj, "true", "198.51.100.1").expect(ImplicitDeny, Some(ResourceGroupLevel));
    case("ecs-admin region", INSTANCE, "true", "203.0.113.7")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}

#[test]
fn vpc_readonly_example() {
    let text = policy_file("vpc-readonly.json");
    let case = |id: &str, action: &str| {
        Case::new(id)
            .identity(&[("vpc-readonly", &text)])
            .action(action, "acs:vpc:cn-hangzhou:1234567890123456:vpc/vpc-1")
    };
    case("vpc-readonly describe", "vpc:DescribeVpcs").expect_allow();
    case("vpc-readonly list", "vpc:ListTagResources").expect_allow();
    case("vpc-readonly delete", "vpc:DeleteVpc").expect(ImplicitDeny, Some(ResourceGroupLevel));
    Case::new("vpc-readonly peering")
        .identity(&[("vpc-readonly", &text)])
        .action("vpc:CreateVpcPeerConnection", "*")
        .expect(ImplicitDeny, Some(ResourceGroupLevel));
}
