//! `ramsim::engine::decide` does not allocate: a counting global allocator watches this thread
//! while thousands of varied decisions run (conditions of every value type, IP ranges, tags,
//! multi-valued keys, action and resource wildcards, NotAction, resource-group scope, session,
//! control and resource policies, cross-account resources, role sessions, unparseable values).

use ramsim::engine::{decide, CompiledPolicies, Outcome, Principal, PrincipalKind, Request};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator may run while thread-locals are being torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(|n| n.get())
}

const ACCOUNT: &str = "1234567890123456";

const IDENTITY: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":["ecs:Describe*","vpc:*Vpc*","*:List*"],"Resource":"*"},
  {"Effect":"Allow","Action":"vpc:*","Resource":"acs:vpc:cn-*:*:vpc/dev-*",
   "Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.1.0/24","2001:db8::/32"]},
                "Bool":{"acs:SecureTransport":"true"}}},
  {"Effect":"Allow","Action":"ecs:*Instance*","Resource":"acs:ecs:*:*:instance/*",
   "Condition":{"StringEquals":{"acs:ResourceTag/team":["blue","green"]},
                "ForAnyValue:StringLike":{"acs:TagKeys":["cost-*","owner"]}}},
  {"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:bucket/logs/*",
   "Condition":{"DateLessThan":{"acs:CurrentTime":"2027-01-01T00:00:00Z"},
                "NumericLessThanEquals":{"oss:MaxKeys":"100"}}},
  {"Effect":"Allow","NotAction":["ram:*","sts:*"],"Resource":"acs:kms:*:*:key/*",
   "Condition":{"StringNotLike":{"acs:PrincipalARN":"*:role/breakglass*"}}},
  {"Effect":"Deny","Action":"*:Delete*","Resource":"*",
   "Condition":{"StringNotEquals":{"acs:RequestTag/env":"dev"}}},
  {"Effect":"Deny","Action":"vpc:*","Resource":"*",
   "Condition":{"NotIpAddress":{"acs:SourceIp":"0.0.0.0/0"}}}
]}"#;

const RG: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"rds:*","Resource":"*",
   "Condition":{"StringEqualsIgnoreCase":{"acs:RequestedRegion":"CN-HANGZHOU"}}}]}"#;

const SESSION: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"*","Resource":"*"},
  {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#;

const CONTROL: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Deny","Action":["vpc:CreateVpcPeerConnection","cen:*"],"Resource":"*",
   "Condition":{"StringNotLike":{"acs:ResourceRdPath":"rd-abc/r-1/*"}}}]}"#;

const RESOURCE: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":["vpc:Describe*","oss:GetObject"],"Resource":"*",
   "Principal":{"RAM":["acs:ram::1234567890123456:user/*","9999"]}}]}"#;

fn policies(session: bool) -> CompiledPolicies {
    let mut b = CompiledPolicies::builder()
        .identity("identity", IDENTITY)
        .and_then(|b| b.identity_in_resource_group("rg-1", "rg", RG))
        .and_then(|b| b.control("guardrail", CONTROL))
        .and_then(|b| b.resource_policy("resource", RESOURCE))
        .expect("valid policies");
    if session {
        b = b.session("session", SESSION).expect("valid session policy");
    }
    b.build()
}

fn requests() -> Vec<Request> {
    let user = Arc::new(Principal::ram_user(ACCOUNT, "alice").in_resource_directory());
    let outsider = Arc::new(Principal::ram_user(ACCOUNT, "bob"));
    let role = Arc::new(Principal::role_session(ACCOUNT, "BreakGlass-Admin", "s1"));
    let root = Arc::new(Principal::root(ACCOUNT));
    let fed = Arc::new(Principal::new(PrincipalKind::Federated, ACCOUNT, "idp"));
    let vpc = |id: &str| format!("acs:vpc:cn-hangzhou:{ACCOUNT}:vpc/{id}");
    let mut out = Vec::new();
    for p in [&user, &outsider, &role, &root, &fed] {
        out.extend([
            Request::new(p.clone(), "ecs:DescribeInstances", "*"),
            Request::new(p.clone(), "ECS:describeinstances", "*"),
            Request::new(p.clone(), "vpc:CreateVpc", &vpc("dev-1"))
                .context("acs:SourceIp", "10.1.2.3")
                .context("acs:SecureTransport", "true"),
            Request::new(p.clone(), "vpc:CreateVpc", &vpc("dev-1"))
                .context("acs:SourceIp", "2001:db8::7")
                .context("acs:SecureTransport", "true"),
            Request::new(p.clone(), "vpc:CreateVpc", &vpc("dev-1"))
                .context("acs:SourceIp", "not-an-ip")
                .context("acs:SecureTransport", "true"),
            Request::new(p.clone(), "vpc:DeleteVpc", &vpc("dev-2"))
                .context("acs:SourceIp", "10.9.9.9")
                .context("acs:SecureTransport", "true")
                .context("acs:RequestTag/env", "dev"),
            Request::new(p.clone(), "vpc:DeleteVpc", &vpc("dev-2"))
                .context("acs:SourceIp", "10.9.9.9")
                .context("acs:RequestTag/env", "prod"),
            Request::new(
                p.clone(),
                "ecs:StartInstance",
                &format!("acs:ecs:cn-beijing:{ACCOUNT}:instance/i-1"),
            )
            .context("acs:ResourceTag/team", "green")
            .context("acs:TagKeys", "cost-center")
            .context("acs:TagKeys", "owner"),
            Request::new(
                p.clone(),
                "ecs:StartInstance",
                &format!("acs:ecs:cn-beijing:{ACCOUNT}:instance/i-2"),
            )
            .context("acs:ResourceTag/team", "red"),
            Request::new(
                p.clone(),
                "oss:GetObject",
                "acs:oss:*:*:bucket/logs/2026/x.gz",
            )
            .context("acs:CurrentTime", "2026-12-06T08:00:00Z")
            .context("oss:MaxKeys", "50"),
            Request::new(
                p.clone(),
                "oss:GetObject",
                "acs:oss:*:*:bucket/logs/2026/x.gz",
            )
            .context("acs:CurrentTime", "yesterday")
            .context("oss:MaxKeys", "5e1"),
            Request::new(
                p.clone(),
                "kms:Decrypt",
                &format!("acs:kms:cn-hangzhou:{ACCOUNT}:key/k-1"),
            ),
            Request::new(
                p.clone(),
                "rds:CreateDBInstance",
                &format!("acs:rds:cn-hangzhou:{ACCOUNT}:dbinstance/d-1"),
            )
            .resource_group("rg-1")
            .context("acs:RequestedRegion", "cn-hangzhou"),
            Request::new(p.clone(), "vpc:CreateVpcPeerConnection", &vpc("dev-3"))
                .context("acs:ResourceRdPath", "rd-abc/r-2/fd-x")
                .context("acs:SourceIp", "10.0.0.1"),
            Request::new(
                p.clone(),
                "vpc:DescribeVpcs",
                "acs:vpc:cn-hangzhou:9999:vpc/v-1",
            ),
            Request::new(p.clone(), "vpc:DescribeVpcs", &vpc("a"))
                .resource(&vpc("b"))
                .dependent("ecs:DescribeInstances", "*")
                .dependent("ram:PassRole", "acs:ram::1234567890123456:role/x"),
            Request::new(p.clone(), "vpc:DescribeVpcs", "*").resource_account("9999"),
            Request::new(
                p.clone(),
                "sts:AssumeRole",
                "acs:ram::1234567890123456:role/r",
            )
            .assume_role(true),
            Request::new(p.clone(), "ecs:DescribeÍnstances", "*"),
            Request::new(p.clone(), &format!("ecs:{}", "Describe".repeat(40)), "*"),
        ]);
    }
    out
}

#[test]
fn deciding_never_allocates() {
    let reqs = requests();
    for session in [false, true] {
        let policies = policies(session);
        // The answers vary (the test would prove little if every request were denied).
        let outcomes: Vec<Outcome> = reqs.iter().map(|r| decide(&policies, r).outcome).collect();
        for o in [Outcome::Allow, Outcome::ExplicitDeny, Outcome::ImplicitDeny] {
            assert!(outcomes.contains(&o), "no {o:?} among {outcomes:?}");
        }
        let mut allows = 0usize;
        let allocations = allocations_in(|| {
            for _ in 0..200 {
                for r in &reqs {
                    allows += usize::from(decide(&policies, r).is_allowed());
                }
            }
        });
        assert!(allows > 0);
        assert_eq!(
            allocations,
            0,
            "decide allocated {allocations} times over {} decisions (session policy: {session})",
            200 * reqs.len()
        );
    }
}

/// The counter itself works: a decision that builds its request allocates.
#[test]
fn the_counter_counts() {
    let policies = policies(false);
    let p = Arc::new(Principal::ram_user(ACCOUNT, "alice"));
    let n = allocations_in(|| {
        let r = Request::new(p.clone(), "vpc:DescribeVpcs", "*");
        std::hint::black_box(decide(&policies, &r));
    });
    assert!(n > 0);
}
