//! Tests of the ECS domain layer: §7.1 instances, §7.2 ENIs, §7.3 security groups.

use super::eni::{self, CreateServiceEni, DescribeNetworkInterfaces};
use super::instance::{self, DescribeInstances, RunInstances, TagParam, L4};
use super::security_group::{
    self as sg, CreateSecurityGroup, DescribeSecurityGroups, InnerAccessPolicy, Permission,
    SecurityGroupRules, SgReason,
};
use super::*;
use crate::cloud::ids::IdGen;
use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::packet::{Direction, Packet, Protocol};
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::{NetStatus, VSwitch, Vpc};
use crate::cloud::CloudError;
use std::net::Ipv4Addr;

pub(crate) const A: &str = "1234567890123456";
pub(crate) const B: &str = "2234567890123456";
pub(crate) const HZ: &str = "cn-hangzhou";

pub(crate) fn t0() -> Timestamp {
    Timestamp::parse("2026-01-01T00:00:00Z").unwrap_or_default()
}

pub(crate) fn ctx() -> OpCtx {
    OpCtx::new(A, HZ, t0())
}

pub(crate) fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)
}

pub(crate) fn vpc(id: &str, owner: &str, cidr: &str) -> Vpc {
    Vpc {
        vpc_id: id.into(),
        region_id: HZ.into(),
        owner_uid: owner.into(),
        cidr_block: cidr.parse().unwrap_or_default(),
        secondary_cidr_blocks: vec![],
        user_cidrs: vec![],
        ipv6_cidr_block: None,
        name: String::new(),
        description: String::new(),
        lifecycle: Lifecycle::settled(NetStatus::Available),
        vrouter_id: format!("vrt-{id}"),
        system_route_table_id: format!("vtb-{id}"),
        resource_group_id: String::new(),
        shared_with: vec![],
        is_default: false,
        creation_time: t0(),
    }
}

pub(crate) fn vsw(id: &str, vpc: &str, owner: &str, cidr: &str) -> VSwitch {
    VSwitch {
        vswitch_id: id.into(),
        vpc_id: vpc.into(),
        region_id: HZ.into(),
        zone_id: "cn-hangzhou-h".into(),
        owner_uid: owner.into(),
        cidr_block: cidr.parse().unwrap_or_default(),
        name: String::new(),
        description: String::new(),
        lifecycle: Lifecycle::settled(NetStatus::Available),
        route_table_id: None,
        network_acl_id: None,
        system_route_entry_id: String::new(),
        creation_time: t0(),
    }
}

/// Account A: `vpc-aaaaaa` 10.0.0.0/16 with `vsw-aaaaa1` 10.0.1.0/24, `vsw-aaaaa2` 10.0.2.0/24,
/// `vsw-tiny00` 10.0.9.0/29; `vpc-bbbbbb` 172.16.0.0/12 with `vsw-bbbbb1` 172.16.1.0/24.
/// Account B: `vpc-cccccc` 192.168.0.0/16 with `vsw-ccccc1` 192.168.1.0/24.
pub(crate) fn net() -> NetMaps {
    let mut n = NetMaps::default();
    for v in [
        vpc("vpc-aaaaaa", A, "10.0.0.0/16"),
        vpc("vpc-bbbbbb", A, "172.16.0.0/12"),
        vpc("vpc-cccccc", B, "192.168.0.0/16"),
    ] {
        n.vpcs.insert(v.vpc_id.clone(), v);
    }
    for s in [
        vsw("vsw-aaaaa1", "vpc-aaaaaa", A, "10.0.1.0/24"),
        vsw("vsw-aaaaa2", "vpc-aaaaaa", A, "10.0.2.0/24"),
        vsw("vsw-tiny00", "vpc-aaaaaa", A, "10.0.9.0/29"),
        vsw("vsw-bbbbb1", "vpc-bbbbbb", A, "172.16.1.0/24"),
        vsw("vsw-ccccc1", "vpc-cccccc", B, "192.168.1.0/24"),
    ] {
        n.vswitches.insert(s.vswitch_id.clone(), s);
    }
    n
}

/// State, ids, net, context.
pub(crate) struct Fx {
    pub st: EcsState,
    pub ids: IdGen,
    pub net: NetMaps,
    pub ctx: OpCtx,
}

impl Fx {
    pub(crate) fn new() -> Self {
        Fx {
            st: EcsState::default(),
            ids: IdGen::new(42),
            net: net(),
            ctx: ctx(),
        }
    }

    /// Serialized state + id counter: what must not change after a failed call.
    pub(crate) fn snapshot(&self) -> String {
        serde_json::to_string(&(&self.st, &self.ids)).unwrap_or_default()
    }

    pub(crate) fn sg(&mut self, vpc: &str, kind: &str) -> String {
        sg::create_security_group(
            &mut self.st,
            &self.net,
            &mut self.ids,
            &self.ctx,
            &CreateSecurityGroup {
                vpc_id: Some(vpc.into()),
                security_group_type: Some(kind.into()),
                ..Default::default()
            },
        )
        .unwrap_or_default()
    }

    pub(crate) fn rules(
        &mut self,
        d: Direction,
        group: &str,
        perms: Vec<Permission>,
    ) -> Result<Vec<String>, CloudError> {
        sg::authorize(
            &mut self.st,
            &mut self.ids,
            &self.ctx,
            d,
            &SecurityGroupRules {
                security_group_id: group.into(),
                permissions: perms,
            },
        )
    }

    pub(crate) fn run(&mut self, p: RunInstances) -> Result<Vec<String>, CloudError> {
        instance::run_instances(&mut self.st, &self.net, &mut self.ids, &self.ctx, &p)
            .map(|o| o.instance_ids)
    }

    /// One instance in `vsw` with `groups` at `addr`; returns (instance, primary ENI).
    pub(crate) fn vm(&mut self, vsw: &str, groups: &[&str], addr: &str) -> (String, String) {
        let ids = self
            .run(RunInstances {
                vswitch_id: Some(vsw.into()),
                security_group_ids: groups.iter().map(|s| s.to_string()).collect(),
                private_ip_address: Some(addr.into()),
                ..Default::default()
            })
            .unwrap_or_default();
        let id = ids.first().cloned().unwrap_or_default();
        let eni = self
            .st
            .instances
            .get(id.as_str())
            .map(|i| i.primary_eni_id.clone())
            .unwrap_or_default();
        (id, eni.to_string())
    }

    /// Runs `f`, expects error `code`, and checks the state did not change.
    pub(crate) fn fails<T: std::fmt::Debug>(
        &mut self,
        code: &str,
        f: impl FnOnce(&mut Fx) -> Result<T, CloudError>,
    ) -> CloudError {
        let before = self.snapshot();
        let r = f(self);
        let err = match r {
            Err(e) => e,
            Ok(v) => panic!("expected {code}, got Ok({v:?})"),
        };
        assert_eq!(err.code, code, "{err}");
        assert_eq!(
            self.snapshot(),
            before,
            "state changed by failed call {code}"
        );
        err
    }
}

fn run_in(vsw: &str, groups: &[&str]) -> RunInstances {
    RunInstances {
        vswitch_id: Some(vsw.into()),
        security_group_ids: groups.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

// ---- §7.1 instances ---------------------------------------------------------------------------

#[test]
fn run_instances_creates_instance_and_primary_eni() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let mut p = run_in("vsw-aaaaa1", &[&g]);
    p.private_ip_address = Some("10.0.1.10".into());
    p.tags = vec![TagParam::new("ramsim:listening", "tcp/22, TCP/80,udp/53")];
    p.instance_name = Some("web-1".into());
    let ids = f.run(p).unwrap_or_default();
    assert_eq!(ids.len(), 1);
    let i = &f.st.instances[ids[0].as_str()];
    assert!(i.instance_id.starts_with("i-bp1"), "{}", i.instance_id);
    assert_eq!(i.private_ip, ip("10.0.1.10"));
    assert_eq!(i.status(t0()), InstanceStatus::Running);
    assert!(i.listens_on(L4::Tcp, 22) && i.listens_on(L4::Tcp, 80) && i.listens_on(L4::Udp, 53));
    assert!(!i.listens_on(L4::Tcp, 443));
    let e = &f.st.enis[&i.primary_eni_id];
    assert_eq!(e.eni_type, EniType::Primary);
    assert_eq!(e.status, EniStatus::InUse);
    assert_eq!(e.instance_id.as_deref(), Some(i.instance_id.as_str()));
    assert_eq!(e.security_group_ids, vec![g.clone()]);
    assert_eq!(
        f.st.addresses.owner("vpc-aaaaaa", ip("10.0.1.10")),
        Some(&AddressOwner::Eni(e.network_interface_id.to_string()))
    );
    assert!(f.st.security_groups[&g]
        .member_enis
        .contains(&e.network_interface_id));
    assert_eq!(f.st.check_invariants(), Ok(()));
    // deterministic: the same calls from a fresh fixture give the same ids
    let mut f2 = Fx::new();
    let g2 = f2.sg("vpc-aaaaaa", "normal");
    assert_eq!(g, g2);
}

#[test]
fn stepped_mode_keeps_pending_until_settled() {
    let mut f = Fx::new();
    f.ctx.stepped = true;
    let g = f.sg("vpc-aaaaaa", "normal");
    let id = f.run(run_in("vsw-aaaaa1", &[&g])).unwrap_or_default()[0].clone();
    assert_eq!(
        f.st.instances[id.as_str()].status(t0()),
        InstanceStatus::Pending
    );
    assert_eq!(f.st.next_due(), Some(t0().plus(5)));
    // a Pending instance cannot be stopped
    f.fails("IncorrectInstanceStatus", |f| {
        instance::stop_instance(&mut f.st, &f.ctx, &id)
    });
    assert_eq!(
        f.st.instances[id.as_str()].status(t0().plus(5)),
        InstanceStatus::Running
    );
    assert_eq!(f.st.settle_due(t0().plus(5)), vec![id.clone()]);
    assert_eq!(f.st.instances[id.as_str()].lifecycle.pending, None);
    assert_eq!(f.st.next_due(), None);
}

#[test]
fn addresses_lowest_free_skips_reserved_and_used() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    // 10.0.9.0/29: .0 and .5/.6/.7 reserved → usable .1–.4
    let mut p = run_in("vsw-tiny00", &[&g]);
    p.private_ip_address = Some("10.0.9.2".into());
    f.run(p).unwrap_or_default();
    let mut p = run_in("vsw-tiny00", &[&g]);
    p.amount = Some(2);
    let ids = f.run(p).unwrap_or_default();
    let got: Vec<Ipv4Addr> = ids
        .iter()
        .map(|i| f.st.instances[i.as_str()].private_ip)
        .collect();
    assert_eq!(got, vec![ip("10.0.9.1"), ip("10.0.9.3")]);
    // one address left (.4); two requested → nothing created
    let mut p = run_in("vsw-tiny00", &[&g]);
    p.amount = Some(2);
    f.fails("QuotaExceeded.PrivateIpAddress", |f| f.run(p));
    let id = f.run(run_in("vsw-tiny00", &[&g])).unwrap_or_default()[0].clone();
    assert_eq!(f.st.instances[id.as_str()].private_ip, ip("10.0.9.4"));
    f.fails("QuotaExceeded.PrivateIpAddress", |f| {
        f.run(run_in("vsw-tiny00", &[&g]))
    });
    // deleting frees the address for reuse
    instance::stop_instance(&mut f.st, &f.ctx, &id).unwrap_or_default();
    instance::delete_instance(&mut f.st, &f.ctx, &id, false).unwrap_or_default();
    let id2 = f.run(run_in("vsw-tiny00", &[&g])).unwrap_or_default()[0].clone();
    assert_eq!(f.st.instances[id2.as_str()].private_ip, ip("10.0.9.4"));
    assert_eq!(f.st.check_invariants(), Ok(()));
}

#[test]
fn run_instances_error_codes_leave_state_unchanged() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let g_other_vpc = f.sg("vpc-bbbbbb", "normal");
    let managed = sg::create_managed_security_group(
        &mut f.st,
        &mut f.ids,
        &f.ctx,
        "vpc-aaaaaa",
        "privatelink",
    );
    f.vm("vsw-aaaaa1", &[&g], "10.0.1.10");
    let mut pending = f.net.clone();
    if let Some(v) = pending.vswitches.get_mut("vsw-aaaaa2") {
        v.lifecycle =
            Lifecycle::transitional(NetStatus::Pending, NetStatus::Available, t0().plus(5));
    }
    let base = || run_in("vsw-aaaaa1", &[]);
    let with = |m: &dyn Fn(&mut RunInstances)| {
        let mut p = run_in("vsw-aaaaa1", &[]);
        p.security_group_ids = vec!["PLACEHOLDER".into()];
        m(&mut p);
        p
    };
    let g1 = g.clone();
    let set_g = move |p: &mut RunInstances| p.security_group_ids = vec![g1.clone()];
    let cases: Vec<(&str, RunInstances)> = vec![
        (
            "InvalidVSwitchId.Necessary",
            RunInstances {
                vswitch_id: None,
                ..base()
            },
        ),
        (
            "InvalidParameter.VSwitchId",
            RunInstances {
                vswitch_id: Some("vsw-nope00".into()),
                ..base()
            },
        ),
        // another account's vSwitch is invisible
        (
            "InvalidParameter.VSwitchId",
            RunInstances {
                vswitch_id: Some("vsw-ccccc1".into()),
                ..base()
            },
        ),
        (
            "InvalidParameter.ZoneId",
            with(&|p| {
                set_g(p);
                p.zone_id = Some("cn-hangzhou-k".into())
            }),
        ),
        ("MissingParameter.SecurityGroupId", base()),
        (
            "InvalidParameter.SecurityGroupIdRepeated",
            with(&|p| p.security_group_ids = vec![g.clone(), g.clone()]),
        ),
        (
            "JoinedGroupLimitExceed",
            with(&|p| p.security_group_ids = (0..6).map(|i| format!("sg-x{i}")).collect()),
        ),
        (
            "InvalidSecurityGroupId.NotFound",
            with(&|p| p.security_group_ids = vec!["sg-nope000".into()]),
        ),
        (
            "InvalidSecurityGroup.VpcMismatch",
            with(&|p| p.security_group_ids = vec![g.clone(), g_other_vpc.clone()]),
        ),
        (
            "InvalidParameter.Mismatch",
            with(&|p| p.security_group_ids = vec![g_other_vpc.clone()]),
        ),
        (
            "InvalidOperation.ResourceManagedByCloudProduct",
            with(&|p| p.security_group_ids = vec![managed.clone()]),
        ),
        (
            "InvalidInstanceName.Malformed",
            with(&|p| {
                set_g(p);
                p.instance_name = Some("1bad".into())
            }),
        ),
        (
            "InvalidParam.Amount",
            with(&|p| {
                set_g(p);
                p.amount = Some(0)
            }),
        ),
        (
            "InvalidParam.Amount",
            with(&|p| {
                set_g(p);
                p.amount = Some(101)
            }),
        ),
        (
            "InvalidPrimaryIpAddress.SizeInvalid",
            with(&|p| {
                set_g(p);
                p.amount = Some(2);
                p.private_ip_address = Some("10.0.1.20".into())
            }),
        ),
        (
            "NumberExceed.Tags",
            with(&|p| {
                set_g(p);
                p.tags = (0..21)
                    .map(|i| TagParam::new(&format!("k{i}"), "v"))
                    .collect()
            }),
        ),
        (
            "InvalidTag.Mismatch",
            with(&|p| {
                set_g(p);
                p.tags = vec![TagParam {
                    key: None,
                    value: Some("v".into()),
                }]
            }),
        ),
        (
            "InvalidTagKey.Malformed",
            with(&|p| {
                set_g(p);
                p.tags = vec![TagParam::new("aliyun:x", "v")]
            }),
        ),
        (
            "InvalidTagValue.Malformed",
            with(&|p| {
                set_g(p);
                p.tags = vec![TagParam::new("k", "https://x")]
            }),
        ),
        (
            "InvalidTagValue.Malformed",
            with(&|p| {
                set_g(p);
                p.tags = vec![TagParam::new("ramsim:listening", "tcp/0")]
            }),
        ),
        (
            "InvalidTagValue.Malformed",
            with(&|p| {
                set_g(p);
                p.tags = vec![TagParam::new("ramsim:listening", "sctp/80")]
            }),
        ),
        (
            "Duplicate.TagKey",
            with(&|p| {
                set_g(p);
                p.tags = vec![TagParam::new("k", "1"), TagParam::new("k", "2")]
            }),
        ),
        (
            "InvalidPrivateIpAddress.Malformed",
            with(&|p| {
                set_g(p);
                p.private_ip_address = Some("10.0.1.300".into())
            }),
        ),
        (
            "InvalidPrivateIpAddress",
            with(&|p| {
                set_g(p);
                p.private_ip_address = Some("10.0.2.10".into())
            }),
        ),
        // reserved: the first and the last three addresses
        (
            "InvalidPrivateIpAddress",
            with(&|p| {
                set_g(p);
                p.private_ip_address = Some("10.0.1.0".into())
            }),
        ),
        (
            "InvalidPrivateIpAddress",
            with(&|p| {
                set_g(p);
                p.private_ip_address = Some("10.0.1.253".into())
            }),
        ),
        (
            "InvalidPrivateIpAddress",
            with(&|p| {
                set_g(p);
                p.private_ip_address = Some("10.0.1.255".into())
            }),
        ),
        (
            "InvalidPrivateIpAddress.Duplicated",
            with(&|p| {
                set_g(p);
                p.private_ip_address = Some("10.0.1.10".into())
            }),
        ),
        (
            "DryRunOperation",
            with(&|p| {
                set_g(p);
                p.dry_run = true
            }),
        ),
    ];
    for (code, p) in cases {
        f.fails(code, |f| f.run(p));
    }
    // vSwitch not Available
    let mut p = run_in("vsw-aaaaa2", &[&g]);
    p.private_ip_address = None;
    let before = f.snapshot();
    let e = instance::run_instances(&mut f.st, &pending, &mut f.ids, &f.ctx, &p);
    assert_eq!(
        e.err().map(|e| e.code),
        Some("IncorrectVSwitchStatus".into())
    );
    assert_eq!(f.snapshot(), before);
    // another region's vSwitch is not found
    let mut other = f.ctx.clone();
    other.region_id = "cn-beijing".into();
    let before = f.snapshot();
    let e = instance::run_instances(
        &mut f.st,
        &f.net,
        &mut f.ids,
        &other,
        &run_in("vsw-aaaaa1", &[&g]),
    );
    assert_eq!(
        e.err().map(|e| e.code),
        Some("InvalidParameter.VSwitchId".into())
    );
    assert_eq!(f.snapshot(), before);
    // the 1.253 edge: .252 is the last usable address of a /24
    let mut p = run_in("vsw-aaaaa1", &[&g]);
    p.private_ip_address = Some("10.0.1.252".into());
    assert!(f.run(p).is_ok());
}

#[test]
fn instance_status_machine() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let (id, eni_id) = f.vm("vsw-aaaaa1", &[&g], "10.0.1.10");
    type Op = fn(&mut EcsState, &OpCtx, &str) -> Result<(), CloudError>;
    let start: Op = instance::start_instance;
    let stop: Op = instance::stop_instance;
    let del: Op = |s, c, i| instance::delete_instance(s, c, i, false);
    let force: Op = |s, c, i| instance::delete_instance(s, c, i, true);
    // (op, expected error, status after)
    let rows: Vec<(Op, Option<&str>, InstanceStatus)> = vec![
        (
            start,
            Some("IncorrectInstanceStatus"),
            InstanceStatus::Running,
        ),
        (
            del,
            Some("IncorrectInstanceStatus"),
            InstanceStatus::Running,
        ),
        (stop, None, InstanceStatus::Stopped),
        (
            stop,
            Some("IncorrectInstanceStatus"),
            InstanceStatus::Stopped,
        ),
        (start, None, InstanceStatus::Running),
    ];
    for (op, err, after) in rows {
        match err {
            Some(code) => {
                f.fails(code, |f| op(&mut f.st, &f.ctx, &id));
            }
            None => assert_eq!(op(&mut f.st, &f.ctx, &id), Ok(())),
        }
        assert_eq!(f.st.instances[id.as_str()].status(t0()), after);
    }
    f.fails("InvalidInstanceId.NotFound", |f| {
        instance::stop_instance(&mut f.st, &f.ctx, "i-nope0000")
    });
    let mut b = f.ctx.clone();
    b.caller = B.into();
    f.fails("InvalidInstanceId.NotFound", |f| {
        instance::stop_instance(&mut f.st, &b, &id)
    });
    assert_eq!(force(&mut f.st, &f.ctx, &id), Ok(()));
    assert!(!f.st.instances.contains_key(id.as_str()));
    assert!(!f.st.enis.contains_key(eni_id.as_str()));
    assert!(!f.st.addresses.is_used("vpc-aaaaaa", ip("10.0.1.10")));
    assert!(f.st.security_groups[&g].member_enis.is_empty());
    assert_eq!(f.st.check_invariants(), Ok(()));
}

#[test]
fn tags_set_and_clear_listening() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let (id, _) = f.vm("vsw-aaaaa1", &[&g], "10.0.1.10");
    assert!(f.st.instances[id.as_str()].listening.is_empty());
    instance::tag_instance(
        &mut f.st,
        &f.ctx,
        &id,
        &[TagParam::new("ramsim:listening", "tcp/80")],
    )
    .unwrap_or_default();
    assert!(f.st.instances[id.as_str()].listens_on(L4::Tcp, 80));
    f.fails("InvalidTagValue.Malformed", |f| {
        instance::tag_instance(
            &mut f.st,
            &f.ctx,
            &id,
            &[TagParam::new("ramsim:listening", "tcp/x")],
        )
    });
    for i in 0..19 {
        instance::tag_instance(
            &mut f.st,
            &f.ctx,
            &id,
            &[TagParam::new(&format!("k{i}"), "v")],
        )
        .unwrap_or_default();
    }
    f.fails("QuotaExceed.Tags", |f| {
        instance::tag_instance(&mut f.st, &f.ctx, &id, &[TagParam::new("one-more", "v")])
    });
    instance::untag_instance(
        &mut f.st,
        &f.ctx,
        &id,
        &["ramsim:listening".into(), "absent".into()],
    )
    .unwrap_or_default();
    assert!(f.st.instances[id.as_str()].listening.is_empty());
    let ports = instance::parse_listening("udp/53").unwrap_or_default();
    instance::set_listening(&mut f.st, &id, ports).unwrap_or_default();
    assert!(f.st.instances[id.as_str()].listens_on(L4::Udp, 53));
    assert_eq!(
        instance::parse_listening(" tcp/22 , ,TCP/22").map(|s| s.len()),
        Ok(1)
    );
    assert!(instance::parse_listening("tcp/65536").is_err());
    assert!(instance::parse_listening("tcp").is_err());
}

#[test]
fn describe_instances_filters_and_pages() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let mut p = run_in("vsw-aaaaa1", &[&g]);
    p.amount = Some(3);
    f.run(p).unwrap_or_default();
    f.vm("vsw-aaaaa2", &[&g], "10.0.2.10");
    let all = instance::describe_instances(&f.st, &f.ctx, &DescribeInstances::default());
    assert_eq!(all["TotalCount"], 4);
    let page = instance::describe_instances(
        &f.st,
        &f.ctx,
        &DescribeInstances {
            vswitch_id: Some("vsw-aaaaa1".into()),
            page_size: Some(2),
            page_number: Some(2),
            ..Default::default()
        },
    );
    assert_eq!(page["TotalCount"], 3);
    assert_eq!(
        page["Instances"]["Instance"].as_array().map(Vec::len),
        Some(1)
    );
    let mut b = f.ctx.clone();
    b.caller = B.into();
    assert_eq!(
        instance::describe_instances(&f.st, &b, &DescribeInstances::default())["TotalCount"],
        0
    );
    let enis = eni::describe_network_interfaces(
        &f.st,
        &f.ctx,
        &DescribeNetworkInterfaces {
            primary_ip_address: Some("10.0.2.10".into()),
            ..Default::default()
        },
    );
    assert_eq!(enis["TotalCount"], 1);
    assert_eq!(
        enis["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["Type"],
        "Primary"
    );
}

// ---- §7.2 ENIs ----------------------------------------------------------------------------------

#[test]
fn service_managed_enis() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let p = CreateServiceEni {
        vswitch_id: "vsw-aaaaa1".into(),
        private_ip: Some("10.0.1.10".into()),
        security_group_ids: vec![g.clone()],
        service_owner: "privatelink:ep-1:cn-hangzhou-h".into(),
    };
    let e = eni::create_service_eni(&mut f.st, &f.net, &mut f.ids, &f.ctx, &p).unwrap_or_default();
    assert!(e.starts_with("eni-"));
    assert!(f.st.enis[e.as_str()].service_managed);
    assert_eq!(f.st.enis[e.as_str()].eni_type, EniType::Secondary);
    assert_eq!(
        f.st.addresses.owner("vpc-aaaaaa", ip("10.0.1.10")),
        Some(&AddressOwner::Eni(e.clone()))
    );
    // same address again, or through RunInstances: duplicated
    f.fails("InvalidPrivateIpAddress.Duplicated", |f| {
        eni::create_service_eni(&mut f.st, &f.net, &mut f.ids, &f.ctx, &p)
    });
    let mut r = run_in("vsw-aaaaa1", &[&g]);
    r.private_ip_address = Some("10.0.1.10".into());
    f.fails("InvalidPrivateIpAddress.Duplicated", |f| f.run(r));
    // users cannot touch it, and the group it uses cannot be deleted
    f.fails("InvalidOperation.EniServiceManaged", |f| {
        eni::ensure_user_modifiable(&f.st, &f.ctx, &e).map(|_| ())
    });
    f.fails("DependencyViolation", |f| {
        sg::delete_security_group(&mut f.st, &f.ctx, &g)
    });
    f.fails("InvalidEniId.NotFound", |f| {
        eni::ensure_user_modifiable(&f.st, &f.ctx, "eni-nope0000").map(|_| ())
    });
    let mut q = p.clone();
    q.private_ip = None;
    q.security_group_ids = vec!["sg-nope0000".into()];
    f.fails("InvalidSecurityGroupId.NotFound", |f| {
        eni::create_service_eni(&mut f.st, &f.net, &mut f.ids, &f.ctx, &q)
    });
    q.security_group_ids = vec![];
    q.vswitch_id = "vsw-nope00".into();
    f.fails("InvalidParameter.VSwitchId", |f| {
        eni::create_service_eni(&mut f.st, &f.net, &mut f.ids, &f.ctx, &q)
    });
    // only its service deletes it
    f.fails("InvalidEniId.NotFound", |f| {
        eni::delete_service_eni(&mut f.st, &e, "cen:tr-attach-x")
    });
    assert!(eni::delete_service_eni(&mut f.st, &e, "privatelink:ep-1:cn-hangzhou-h").is_ok());
    assert!(!f.st.addresses.is_used("vpc-aaaaaa", ip("10.0.1.10")));
    assert_eq!(f.st.check_invariants(), Ok(()));
    // service addresses (LB VIPs) share the index
    assert!(f
        .st
        .addresses
        .insert(
            "vpc-aaaaaa",
            ip("10.0.1.1"),
            AddressOwner::Service {
                kind: "nlb-vip".into(),
                id: "nlb-1".into()
            }
        )
        .is_ok());
    let id = f.run(run_in("vsw-aaaaa1", &[&g])).unwrap_or_default()[0].clone();
    assert_eq!(f.st.instances[id.as_str()].private_ip, ip("10.0.1.2"));
}

#[test]
fn state_round_trips_through_serde() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    f.rules(
        Direction::Ingress,
        &g,
        vec![Permission::cidr("tcp", "22/22", "10.0.0.0/8")],
    )
    .unwrap_or_default();
    let mut p = run_in("vsw-aaaaa1", &[&g]);
    p.tags = vec![TagParam::new("ramsim:listening", "tcp/22")];
    f.run(p).unwrap_or_default();
    let js = serde_json::to_string(&f.st).unwrap_or_default();
    let back: EcsState = serde_json::from_str(&js).unwrap_or_default();
    assert_eq!(back, f.st);
    assert_eq!(serde_json::to_string(&back).unwrap_or_default(), js);
    let bin = crate::store::codec::to_vec(&f.st).unwrap_or_default();
    let back2: EcsState = crate::store::codec::from_slice(&bin, 64).unwrap_or_default();
    assert_eq!(back2, f.st);
}

// ---- §7.3 security groups: operations -----------------------------------------------------------

#[test]
fn create_security_group_error_codes() {
    let mut f = Fx::new();
    let mk = |m: &dyn Fn(&mut CreateSecurityGroup)| {
        let mut p = CreateSecurityGroup {
            vpc_id: Some("vpc-aaaaaa".into()),
            ..Default::default()
        };
        m(&mut p);
        p
    };
    let cases: Vec<(&str, u16, CreateSecurityGroup)> = vec![
        (
            "InvalidSecurityGroupName.Malformed",
            400,
            mk(&|p| p.security_group_name = Some("x".into())),
        ),
        (
            "InvalidSecurityGroupName.Malformed",
            400,
            mk(&|p| p.security_group_name = Some("http://x".into())),
        ),
        (
            "InvalidSecurityGroupDiscription.Malformed",
            400,
            mk(&|p| p.description = Some("https://x".into())),
        ),
        (
            "InvalidParams.GroupType",
            400,
            mk(&|p| p.security_group_type = Some("premium".into())),
        ),
        ("InvalidVpcId.NotFound", 403, mk(&|p| p.vpc_id = None)),
        (
            "InvalidVpcId.NotFound",
            404,
            mk(&|p| p.vpc_id = Some("vpc-nope00".into())),
        ),
        (
            "InvalidVpcId.NotFound",
            404,
            mk(&|p| p.vpc_id = Some("vpc-cccccc".into())),
        ),
    ];
    for (code, status, p) in cases {
        let e = f.fails(code, |f| {
            sg::create_security_group(&mut f.st, &f.net, &mut f.ids, &f.ctx, &p)
        });
        assert_eq!(e.http_status, status, "{code}");
    }
    let mut pending = f.net.clone();
    if let Some(v) = pending.vpcs.get_mut("vpc-aaaaaa") {
        v.lifecycle =
            Lifecycle::transitional(NetStatus::Pending, NetStatus::Available, t0().plus(5));
    }
    f.fails("IncorrectVpcStatus", |f| {
        sg::create_security_group(&mut f.st, &pending, &mut f.ids, &f.ctx, &mk(&|_| {}))
    });
    let ok = sg::create_security_group(
        &mut f.st,
        &f.net,
        &mut f.ids,
        &f.ctx,
        &mk(&|p| {
            p.security_group_name = Some("web".into());
            p.security_group_type = Some("Enterprise".into());
        }),
    );
    assert!(ok.is_ok());
    for _ in 1..MAX_SGS {
        f.sg("vpc-aaaaaa", "normal");
    }
    let e = f.fails("QuotaExceed.SecurityGroup", |f| {
        sg::create_security_group(&mut f.st, &f.net, &mut f.ids, &f.ctx, &mk(&|_| {}))
    });
    assert_eq!(e.http_status, 403);
    // the quota is per account and region
    let mut b = f.ctx.clone();
    b.caller = B.into();
    assert!(sg::create_security_group(
        &mut f.st,
        &f.net,
        &mut f.ids,
        &b,
        &CreateSecurityGroup {
            vpc_id: Some("vpc-cccccc".into()),
            ..Default::default()
        }
    )
    .is_ok());
}

const MAX_SGS: usize = sg::MAX_SGS_PER_REGION;

#[test]
fn authorize_error_codes() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let ent = f.sg("vpc-aaaaaa", "enterprise");
    let other_vpc = f.sg("vpc-bbbbbb", "normal");
    let managed =
        sg::create_managed_security_group(&mut f.st, &mut f.ids, &f.ctx, "vpc-aaaaaa", "alb");
    let c = |proto: &str, ports: &str| Permission::cidr(proto, ports, "10.0.0.0/8");
    let with = |m: &dyn Fn(&mut Permission)| {
        let mut p = c("tcp", "22/22");
        m(&mut p);
        p
    };
    // (direction, group, permissions, code, status)
    let cases: Vec<(Direction, String, Vec<Permission>, &str, u16)> = vec![
        (
            Direction::Ingress,
            g.clone(),
            vec![],
            "MissingParameter.Permissions",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("tcp", "22/22"); 101],
            "InvalidParameter.Permissions",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("sctp", "22/22")],
            "InvalidIpProtocol.ValueNotSupported",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.ip_protocol = None)],
            "InvalidIpProtocol.ValueNotSupported",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.port_range = None)],
            "InvalidPortRange.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("tcp", "22")],
            "InvalidParam.PortRange",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("tcp", "1/70000")],
            "InvalidParam.PortRange",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("tcp", "90/80")],
            "InvalidParam.PortRange",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("icmp", "80/80")],
            "OperationDenied",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("tcp", "-1/-1")],
            "OperationDenied",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("all", "1/65535")],
            "OperationDenied",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.source_port_range = Some("x".into()))],
            "InvalidSourcePortRange.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.nic_type = Some("internet".into()))],
            "InvalidNicType.ValueNotSupported",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.policy = Some("reject".into()))],
            "InvalidPolicy.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.priority = Some("high".into()))],
            "InvalidPriority.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.priority = Some("0".into()))],
            "InvalidPriority.ValueNotSupported",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.priority = Some("101".into()))],
            "InvalidPriority.ValueNotSupported",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.cidr_ip = None)],
            "MissingParameter.Source",
            400,
        ),
        (
            Direction::Egress,
            g.clone(),
            vec![with(&|p| p.cidr_ip = None)],
            "MissingParameter.Dest",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.cidr_ip = Some("10.0.0.1/8".into()))],
            "InvalidSourceCidrIp.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.cidr_ip = Some("fe80::/10".into()))],
            "InvalidSourceCidrIp.Malformed",
            400,
        ),
        (
            Direction::Egress,
            g.clone(),
            vec![with(&|p| p.cidr_ip = Some("nope".into()))],
            "InvalidDestCidrIp.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![with(&|p| p.description = Some("http://x".into()))],
            "InvalidSecurityGroupDiscription.Malformed",
            400,
        ),
        (
            Direction::Ingress,
            "sg-nope0000".into(),
            vec![c("tcp", "22/22")],
            "InvalidSecurityGroupId.NotFound",
            404,
        ),
        (
            Direction::Ingress,
            managed.clone(),
            vec![c("tcp", "22/22")],
            "InvalidOperation.ResourceManagedByCloudProduct",
            403,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![Permission::group("tcp", "22/22", "sg-nope0000")],
            "InvalidSourceGroupId.NotFound",
            404,
        ),
        (
            Direction::Egress,
            g.clone(),
            vec![Permission::group("tcp", "22/22", "sg-nope0000")],
            "InvalidDestGroupId.NotFound",
            404,
        ),
        (
            Direction::Ingress,
            ent.clone(),
            vec![Permission::group("tcp", "22/22", &g)],
            "InvalidGroupAuthParameter.OperationDenied",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![Permission::group("tcp", "22/22", &ent)],
            "InvalidGroupAuthParameter.OperationDenied",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![Permission::group("tcp", "22/22", &other_vpc)],
            "InvalidSourceGroupId.Mismatch",
            400,
        ),
        (
            Direction::Egress,
            g.clone(),
            vec![Permission::group("tcp", "22/22", &other_vpc)],
            "InvalidDestGroupId.Mismatch",
            400,
        ),
        (
            Direction::Ingress,
            g.clone(),
            vec![c("tcp", "22/22"), c("TCP", "22/22").policy("Accept")],
            "InvalidParam.DuplicatePermissions",
            400,
        ),
    ];
    for (d, group, perms, code, status) in cases {
        let e = f.fails(code, |f| f.rules(d, &group, perms));
        assert_eq!(e.http_status, status, "{code}");
    }
    // limits: 20 authorized groups, 200 rules
    let peers: Vec<String> = (0..21).map(|_| f.sg("vpc-aaaaaa", "normal")).collect();
    let perms: Vec<Permission> = peers[..20]
        .iter()
        .map(|p| Permission::group("tcp", "22/22", p))
        .collect();
    assert_eq!(
        f.rules(Direction::Ingress, &g, perms).map(|v| v.len()),
        Ok(20)
    );
    f.fails("AuthorizedGroupRule.LimitExceed", |f| {
        f.rules(
            Direction::Egress,
            &g,
            vec![Permission::group("tcp", "22/22", &peers[20])],
        )
    });
    let many = |from: u16, n: u16| -> Vec<Permission> {
        (from..from + n)
            .map(|p| c("tcp", &format!("{p}/{p}")))
            .collect()
    };
    assert!(f.rules(Direction::Ingress, &g, many(1000, 100)).is_ok());
    assert!(f.rules(Direction::Egress, &g, many(2000, 80)).is_ok());
    let e = f.fails("AuthorizationLimitExceed", |f| {
        f.rules(Direction::Egress, &g, many(3000, 1))
    });
    assert_eq!(e.http_status, 403);
    // an identical rule is not added twice and does not count
    assert_eq!(f.rules(Direction::Ingress, &g, many(1000, 1)), Ok(vec![]));
    assert_eq!(f.st.security_groups[&g].rules.len(), 200);
}

#[test]
fn revoke_modify_and_delete() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    let peer = f.sg("vpc-aaaaaa", "normal");
    let ent = f.sg("vpc-aaaaaa", "enterprise");
    let p22 = Permission::cidr("tcp", "22/22", "10.0.0.0/8");
    let drop = Permission::cidr("tcp", "22/22", "10.0.0.0/8")
        .policy("drop")
        .priority("5");
    f.rules(Direction::Ingress, &g, vec![p22.clone(), drop.clone()])
        .unwrap_or_default();
    f.rules(
        Direction::Ingress,
        &g,
        vec![Permission::group("all", "-1/-1", &peer)],
    )
    .unwrap_or_default();
    let revoke = |f: &mut Fx, d: Direction, perms: Vec<Permission>| {
        sg::revoke(
            &mut f.st,
            &f.ctx,
            d,
            &SecurityGroupRules {
                security_group_id: g.clone(),
                permissions: perms,
            },
        )
    };
    // field mismatch (priority) and wrong direction: nothing removed
    f.fails("InvalidSecurityGroupRule.RuleNotExist", |f| {
        revoke(f, Direction::Ingress, vec![p22.clone().priority("2")])
    });
    f.fails("InvalidSecurityGroupRule.RuleNotExist", |f| {
        revoke(f, Direction::Egress, vec![p22.clone()])
    });
    // all-or-nothing: one missing rule aborts the whole call
    f.fails("InvalidSecurityGroupRule.RuleNotExist", |f| {
        revoke(
            f,
            Direction::Ingress,
            vec![p22.clone(), Permission::cidr("udp", "53/53", "10.0.0.0/8")],
        )
    });
    f.fails("InvalidParam.PortRange", |f| {
        revoke(
            f,
            Direction::Ingress,
            vec![Permission::cidr("tcp", "x", "10.0.0.0/8")],
        )
    });
    assert_eq!(
        revoke(&mut f, Direction::Ingress, vec![drop]).map(|v| v.len()),
        Ok(1)
    );
    // the referenced group cannot go while the rule exists
    f.fails("DependencyViolation", |f| {
        sg::delete_security_group(&mut f.st, &f.ctx, &peer)
    });
    assert!(revoke(
        &mut f,
        Direction::Ingress,
        vec![Permission::group("ALL", "-1/-1", &peer)]
    )
    .is_ok());
    assert_eq!(sg::delete_security_group(&mut f.st, &f.ctx, &peer), Ok(()));
    f.fails("InvalidSecurityGroup.NotFound", |f| {
        sg::delete_security_group(&mut f.st, &f.ctx, &peer)
    });
    // ModifySecurityGroupPolicy
    let modify = |f: &mut Fx, id: &str, v: Option<&str>| {
        sg::modify_security_group_policy(&mut f.st, &f.ctx, id, v)
    };
    f.fails("MissingParameter.InnerAccessPolicy", |f| {
        modify(f, &g, None)
    });
    f.fails("InvalidPolicy.Malformed", |f| modify(f, &g, Some("deny")));
    f.fails("InvalidSecurityGroupId.NotFound", |f| {
        modify(f, "sg-nope0000", Some("Drop"))
    });
    let e = f.fails("InvalidParameter.InnerAccessPolicy", |f| {
        modify(f, &ent, Some("Drop"))
    });
    assert_eq!(e.http_status, 404);
    assert_eq!(modify(&mut f, &g, Some("drop")), Ok(()));
    assert_eq!(
        f.st.security_groups[&g].inner_access_policy,
        InnerAccessPolicy::Drop
    );
    // a group with members cannot be deleted; a managed one never by users
    let (id, _) = f.vm("vsw-aaaaa1", &[&g], "10.0.1.10");
    let e = f.fails("DependencyViolation", |f| {
        sg::delete_security_group(&mut f.st, &f.ctx, &g)
    });
    assert_eq!(e.http_status, 403);
    let managed =
        sg::create_managed_security_group(&mut f.st, &mut f.ids, &f.ctx, "vpc-aaaaaa", "nlb");
    f.fails("InvalidOperation.ResourceManagedByCloudProduct", |f| {
        sg::delete_security_group(&mut f.st, &f.ctx, &managed)
    });
    f.fails("InvalidOperation.ResourceManagedByCloudProduct", |f| {
        modify(f, &managed, Some("Drop"))
    });
    instance::delete_instance(&mut f.st, &f.ctx, &id, true).unwrap_or_default();
    assert_eq!(sg::delete_security_group(&mut f.st, &f.ctx, &g), Ok(()));
    assert_eq!(f.st.check_invariants(), Ok(()));
}

#[test]
fn describe_security_groups_and_attribute() {
    let mut f = Fx::new();
    let g = f.sg("vpc-aaaaaa", "normal");
    f.sg("vpc-bbbbbb", "enterprise");
    f.rules(
        Direction::Ingress,
        &g,
        vec![Permission::cidr("tcp", "22/22", "10.0.0.0/8")],
    )
    .unwrap_or_default();
    f.rules(
        Direction::Egress,
        &g,
        vec![Permission::cidr("udp", "53/53", "10.0.0.2")],
    )
    .unwrap_or_default();
    let all = sg::describe_security_groups(&f.st, &f.ctx, &DescribeSecurityGroups::default());
    assert_eq!(all["TotalCount"], 2);
    let one = sg::describe_security_groups(
        &f.st,
        &f.ctx,
        &DescribeSecurityGroups {
            vpc_id: Some("vpc-aaaaaa".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        one["SecurityGroups"]["SecurityGroup"][0]["SecurityGroupId"],
        g.as_str()
    );
    let attr = sg::describe_security_group_attribute(&f.st, &f.ctx, &g, Some("egress"))
        .unwrap_or_default();
    let rules = &attr["Permissions"]["Permission"];
    assert_eq!(rules.as_array().map(Vec::len), Some(1));
    assert_eq!(rules[0]["DestCidrIp"], "10.0.0.2/32");
    assert_eq!(rules[0]["IpProtocol"], "UDP");
    assert_eq!(rules[0]["Priority"], "1");
    f.fails("InvalidParameter.Direction", |f| {
        sg::describe_security_group_attribute(&f.st, &f.ctx, &g, Some("up"))
    });
    f.fails("InvalidSecurityGroupId.NotFound", |f| {
        sg::describe_security_group_attribute(&f.st, &f.ctx, "sg-nope0000", None)
    });
}

// ---- §7.3 evaluation, table-driven ---------------------------------------------------------------

fn tcp(src: &str, dst: &str, dport: u16) -> Packet {
    Packet::new(Protocol::Tcp, ip(src), ip(dst), dport)
}

fn icmp(src: &str, dst: &str) -> Packet {
    Packet::new(Protocol::Icmp, ip(src), ip(dst), 0)
}

/// One row per rule of §7.3 "Evaluation": a setup (rules on the server ENI's group(s)), a packet,
/// and the expected verdict.
#[test]
fn security_group_evaluation_table() {
    struct Row {
        name: &'static str,
        ingress: Vec<Permission>,
        egress: Vec<Permission>,
        kind: &'static str,
        inner_drop: bool,
        direction: Direction,
        packet: Packet,
        allowed: bool,
        reason: &'static str,
    }
    let c = Permission::cidr;
    let row = |name, ingress, direction, packet, allowed, reason| Row {
        name,
        ingress,
        egress: vec![],
        kind: "normal",
        inner_drop: false,
        direction,
        packet,
        allowed,
        reason,
    };
    let i = Direction::Ingress;
    let e = Direction::Egress;
    // server ENI 10.0.1.10 (group S), same-group peer 10.0.1.11 (group S), outsider 10.0.1.12
    // (group O), non-ENI address 10.9.9.9.
    let rows = vec![
        // rule 1: protocol, destination port, source port, peer
        row(
            "1 tcp rule matches tcp in range",
            vec![c("tcp", "20/30", "10.9.0.0/16")],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            true,
            "rule",
        ),
        row(
            "1 port outside range: no match, default deny",
            vec![c("tcp", "20/30", "10.9.0.0/16")],
            i,
            tcp("10.9.9.9", "10.0.1.10", 31),
            false,
            "deny",
        ),
        row(
            "1 protocol mismatch",
            vec![c("udp", "22/22", "10.9.0.0/16")],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            false,
            "deny",
        ),
        row(
            "1 ALL matches icmp",
            vec![c("all", "-1/-1", "10.9.0.0/16")],
            i,
            icmp("10.9.9.9", "10.0.1.10"),
            true,
            "rule",
        ),
        row(
            "1 icmp ignores ports",
            vec![c("icmp", "-1/-1", "10.9.0.0/16")],
            i,
            icmp("10.9.9.9", "10.0.1.10"),
            true,
            "rule",
        ),
        row(
            "1 source outside cidr",
            vec![c("tcp", "22/22", "10.8.0.0/16")],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            false,
            "deny",
        ),
        row(
            "1 single-IP peer",
            vec![c("tcp", "22/22", "10.9.9.9")],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            true,
            "rule",
        ),
        row(
            "1 source port range matches",
            vec![Permission {
                source_port_range: Some("32768/32768".into()),
                ..c("tcp", "22/22", "10.9.0.0/16")
            }],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            true,
            "rule",
        ),
        row(
            "1 source port range excludes",
            vec![Permission {
                source_port_range: Some("1/1024".into()),
                ..c("tcp", "22/22", "10.9.0.0/16")
            }],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            false,
            "deny",
        ),
        row(
            "1 group peer: member of O",
            vec![Permission::group("tcp", "22/22", "O")],
            i,
            tcp("10.0.1.12", "10.0.1.10", 22),
            true,
            "rule",
        ),
        row(
            "1 group peer: address without ENI",
            vec![Permission::group("tcp", "22/22", "O")],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            false,
            "deny",
        ),
        row(
            "1 cidr prevails over group",
            vec![Permission {
                group_id: Some("O".into()),
                ..c("tcp", "22/22", "10.9.0.0/16")
            }],
            i,
            tcp("10.0.1.12", "10.0.1.10", 22),
            false,
            "deny",
        ),
        row(
            "1 ingress rule does not apply to egress",
            vec![c("tcp", "22/22", "10.9.0.0/16").policy("drop")],
            e,
            tcp("10.0.1.10", "10.9.9.9", 22),
            true,
            "egress-default",
        ),
        // rule 2: priority, then drop over accept
        row(
            "2 lower priority value wins (accept 1 vs drop 2)",
            vec![
                c("tcp", "22/22", "10.9.0.0/16").priority("1"),
                c("tcp", "1/65535", "0.0.0.0/0")
                    .policy("drop")
                    .priority("2"),
            ],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            true,
            "rule",
        ),
        row(
            "2 lower priority value wins (drop 1 vs accept 2)",
            vec![
                c("tcp", "22/22", "10.9.0.0/16").priority("2"),
                c("tcp", "1/65535", "0.0.0.0/0")
                    .policy("drop")
                    .priority("1"),
            ],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            false,
            "rule",
        ),
        row(
            "2 equal priority: drop beats accept",
            vec![
                c("tcp", "22/22", "10.9.0.0/16").priority("7"),
                c("all", "-1/-1", "10.9.9.9").policy("drop").priority("7"),
            ],
            i,
            tcp("10.9.9.9", "10.0.1.10", 22),
            false,
            "rule",
        ),
        row(
            "2 a drop rule beats the intra-group default",
            vec![c("tcp", "22/22", "10.0.1.11").policy("drop")],
            i,
            tcp("10.0.1.11", "10.0.1.10", 22),
            false,
            "rule",
        ),
        // rule 3: defaults
        row(
            "3 basic: same-group peer allowed by default",
            vec![],
            i,
            tcp("10.0.1.11", "10.0.1.10", 22),
            true,
            "intra",
        ),
        Row {
            inner_drop: true,
            ..row(
                "3 basic with InnerAccessPolicy=Drop: same-group peer denied",
                vec![],
                i,
                tcp("10.0.1.11", "10.0.1.10", 22),
                false,
                "deny",
            )
        },
        row(
            "3 basic: other group denied by default",
            vec![],
            i,
            tcp("10.0.1.12", "10.0.1.10", 22),
            false,
            "deny",
        ),
        row(
            "3 basic: egress allowed by default",
            vec![],
            e,
            tcp("10.0.1.10", "8.8.8.8", 53),
            true,
            "egress-default",
        ),
        Row {
            kind: "enterprise",
            ..row(
                "3 enterprise: same-group peer denied",
                vec![],
                i,
                tcp("10.0.1.11", "10.0.1.10", 22),
                false,
                "deny",
            )
        },
        Row {
            kind: "enterprise",
            ..row(
                "3 enterprise: egress denied by default",
                vec![],
                e,
                tcp("10.0.1.10", "8.8.8.8", 53),
                false,
                "deny",
            )
        },
        Row {
            kind: "enterprise",
            egress: vec![c("udp", "53/53", "8.8.8.8")],
            ..row(
                "3 enterprise: a udp egress rule does not cover tcp",
                vec![],
                e,
                tcp("10.0.1.10", "8.8.8.8", 53),
                false,
                "deny",
            )
        },
        Row {
            kind: "enterprise",
            egress: vec![c("udp", "53/53", "8.8.8.8")],
            ..row(
                "3 enterprise: egress rule allows udp",
                vec![],
                e,
                Packet::new(Protocol::Udp, ip("10.0.1.10"), ip("8.8.8.8"), 53),
                true,
                "rule",
            )
        },
        Row {
            egress: vec![c("all", "-1/-1", "0.0.0.0/0").policy("drop")],
            ..row(
                "3 basic: egress drop rule",
                vec![],
                e,
                tcp("10.0.1.10", "8.8.8.8", 53),
                false,
                "rule",
            )
        },
    ];
    for r in rows {
        let mut f = Fx::new();
        let s = f.sg("vpc-aaaaaa", r.kind);
        let o = f.sg("vpc-aaaaaa", "normal");
        let fix = |p: Permission| Permission {
            group_id: p.group_id.map(|g| if g == "O" { o.clone() } else { g }),
            ..p
        };
        if !r.ingress.is_empty() {
            let perms = r.ingress.into_iter().map(fix).collect();
            assert!(f.rules(Direction::Ingress, &s, perms).is_ok(), "{}", r.name);
        }
        if !r.egress.is_empty() {
            let perms = r.egress.into_iter().map(fix).collect();
            assert!(f.rules(Direction::Egress, &s, perms).is_ok(), "{}", r.name);
        }
        if r.inner_drop {
            sg::modify_security_group_policy(&mut f.st, &f.ctx, &s, Some("Drop"))
                .unwrap_or_default();
        }
        let (_, server) = f.vm("vsw-aaaaa1", &[&s], "10.0.1.10");
        f.vm("vsw-aaaaa1", &[&s], "10.0.1.11");
        f.vm("vsw-aaaaa1", &[&o], "10.0.1.12");
        let d = sg::evaluate(&f.st, &server, r.direction, &r.packet);
        let d = d.unwrap_or_else(|| panic!("{}: no ENI", r.name));
        assert_eq!(d.allowed, r.allowed, "{}: {d:?}", r.name);
        let reason = match &d.reason {
            SgReason::Rule => "rule",
            SgReason::IntraGroup(_) => "intra",
            SgReason::DefaultEgressAccept => "egress-default",
            SgReason::DefaultDeny => "deny",
        };
        assert_eq!(reason, r.reason, "{}: {d:?}", r.name);
        assert_eq!(d.matched.is_some(), r.reason == "rule", "{}", r.name);
    }
}

#[test]
fn several_groups_aggregate_and_flows_are_stateful() {
    let mut f = Fx::new();
    let web = f.sg("vpc-aaaaaa", "normal");
    let ssh = f.sg("vpc-aaaaaa", "normal");
    let lone = f.sg("vpc-aaaaaa", "normal");
    f.rules(
        Direction::Ingress,
        &ssh,
        vec![Permission::cidr("tcp", "22/22", "10.9.0.0/16")],
    )
    .unwrap_or_default();
    f.rules(
        Direction::Ingress,
        &web,
        vec![Permission::cidr("tcp", "80/80", "0.0.0.0/0")],
    )
    .unwrap_or_default();
    // the server drops every reply-looking packet on egress: statefulness still lets replies out
    f.rules(
        Direction::Egress,
        &web,
        vec![Permission::cidr("all", "-1/-1", "0.0.0.0/0").policy("drop")],
    )
    .unwrap_or_default();
    let (_, server) = f.vm("vsw-aaaaa1", &[&web, &ssh], "10.0.1.10");
    let (_, peer) = f.vm("vsw-aaaaa2", &[&lone, &ssh], "10.0.2.10");
    let (_, stranger) = f.vm("vsw-aaaaa2", &[&lone], "10.0.2.11");
    // a rule from either group applies
    let ok22 = sg::evaluate(
        &f.st,
        &server,
        Direction::Ingress,
        &tcp("10.9.1.1", "10.0.1.10", 22),
    );
    assert_eq!(ok22.map(|d| d.allowed), Some(true));
    let ok80 = sg::evaluate(
        &f.st,
        &server,
        Direction::Ingress,
        &tcp("1.2.3.4", "10.0.1.10", 80),
    );
    assert_eq!(ok80.map(|d| d.allowed), Some(true));
    // intra-group default of a shared basic group (ssh), across vSwitches
    let intra = sg::evaluate(
        &f.st,
        &server,
        Direction::Ingress,
        &tcp("10.0.2.10", "10.0.1.10", 5432),
    );
    assert_eq!(
        intra.map(|d| d.reason),
        Some(SgReason::IntraGroup(ssh.clone()))
    );
    let no = sg::evaluate(
        &f.st,
        &server,
        Direction::Ingress,
        &tcp("10.0.2.11", "10.0.1.10", 5432),
    );
    assert_eq!(no.map(|d| d.allowed), Some(false));
    // a flow: egress at the client (basic default accept), ingress at the server, reply allowed
    let p = tcp("10.0.2.10", "10.0.1.10", 80);
    let flow = sg::evaluate_flow(&f.st, Some(&peer), Some(&server), &p);
    assert!(flow.allowed && flow.reply_allowed, "{flow:?}");
    // although the reply evaluated on its own would be dropped by the server's egress rule
    let reply = sg::evaluate(&f.st, &server, Direction::Egress, &p.reply());
    assert_eq!(reply.map(|d| d.allowed), Some(false));
    // a denied flow has no reply either
    let denied = sg::evaluate_flow(
        &f.st,
        Some(&stranger),
        Some(&server),
        &tcp("10.0.2.11", "10.0.1.10", 5432),
    );
    assert!(!denied.allowed && !denied.reply_allowed);
    // a source without ENI skips egress; an egress drop stops before ingress is looked at
    let from_vsw = sg::evaluate_flow(
        &f.st,
        None,
        Some(&server),
        &tcp("10.9.1.1", "10.0.1.10", 22),
    );
    assert!(from_vsw.allowed && from_vsw.egress.is_none());
    let out = sg::evaluate_flow(
        &f.st,
        Some(&server),
        Some(&peer),
        &tcp("10.0.1.10", "10.0.2.10", 22),
    );
    assert!(!out.allowed && out.ingress.is_none());
    assert!(sg::evaluate(&f.st, "eni-nope", Direction::Ingress, &p).is_none());
}

// ---- property test against a naive evaluator ------------------------------------------------------

mod naive {
    //! §7.3 transcribed literally, with plain loops over everything.
    use super::super::security_group::{InnerAccessPolicy, SecurityGroupType};
    use super::super::EcsState;
    use crate::cloud::packet::{Action, Direction, Packet, PortRange, RuleProtocol};

    fn port_ok(r: PortRange, port: u16) -> bool {
        match r {
            PortRange::Any => true,
            PortRange::Range(a, b) => a <= port && port <= b,
        }
    }

    /// Is `ip` the address of some ENI of the VPC that is a member of group `g`?
    fn ip_in_group(st: &EcsState, vpc: &str, ip: std::net::Ipv4Addr, g: &str) -> bool {
        for e in st.enis.values() {
            if e.vpc_id == vpc && e.private_ip == ip {
                for x in &e.security_group_ids {
                    if x == g {
                        return true;
                    }
                }
            }
        }
        false
    }

    pub fn allowed(st: &EcsState, eni: &str, d: Direction, p: &Packet) -> bool {
        let e = &st.enis[eni];
        let peer = if d == Direction::Ingress {
            p.src_ip
        } else {
            p.dst_ip
        };
        // step 1: matching rules
        let mut matches: Vec<(u8, Action)> = Vec::new();
        for gid in &e.security_group_ids {
            let g = &st.security_groups[gid.as_str()];
            for r in &g.rules {
                if r.direction != d {
                    continue;
                }
                let proto_ok = r.protocol == RuleProtocol::All
                    || r.protocol.ecs_name().to_ascii_lowercase() == p.protocol.as_str();
                if !proto_ok {
                    continue;
                }
                if p.protocol.has_ports() {
                    if !port_ok(r.port_range, p.dst_port) {
                        continue;
                    }
                    if let Some(sp) = r.source_port_range {
                        if !port_ok(sp, p.src_port) {
                            continue;
                        }
                    }
                }
                let peer_ok = if let Some(c) = r.cidr {
                    c.contains(&peer)
                } else if let Some(pg) = &r.group_id {
                    ip_in_group(st, &e.vpc_id, peer, pg)
                } else {
                    false
                };
                if peer_ok {
                    matches.push((r.priority, r.policy));
                }
            }
        }
        // step 2
        if !matches.is_empty() {
            let mut best = 101u8;
            for (pr, _) in &matches {
                if *pr < best {
                    best = *pr;
                }
            }
            for (pr, a) in &matches {
                if *pr == best && *a == Action::Drop {
                    return false;
                }
            }
            return true;
        }
        // step 3: defaults
        for gid in &e.security_group_ids {
            let g = &st.security_groups[gid.as_str()];
            if g.group_type != SecurityGroupType::Normal {
                continue;
            }
            match d {
                Direction::Egress => return true,
                Direction::Ingress => {
                    if g.inner_access_policy == InnerAccessPolicy::Accept
                        && ip_in_group(st, &e.vpc_id, peer, gid)
                    {
                        return true;
                    }
                }
            }
        }
        false
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn perm() -> impl Strategy<Value = (u8, u8, u8, u8, bool, u8, bool, Option<u8>)> {
        // (protocol, port lo, span, peer kind/index, drop, priority, egress, source port)
        (
            0u8..4,
            0u8..6,
            0u8..3,
            0u8..8,
            any::<bool>(),
            1u8..4,
            any::<bool>(),
            proptest::option::of(0u8..3),
        )
    }

    fn build(
        f: &mut Fx,
        groups: &[String],
        target: usize,
        r: (u8, u8, u8, u8, bool, u8, bool, Option<u8>),
    ) {
        let (proto, lo, span, peer, drop, prio, egress, sport) = r;
        let ports = [22u16, 53, 80, 443, 8080, 32768];
        let (proto_s, range) = match proto {
            0 => ("tcp", true),
            1 => ("udp", true),
            2 => ("icmp", false),
            _ => ("all", false),
        };
        let lo_p = ports[usize::from(lo) % ports.len()];
        let hi_p = lo_p.saturating_add(u16::from(span) * 100);
        let pr = if range {
            format!("{lo_p}/{hi_p}")
        } else {
            "-1/-1".into()
        };
        let mut p = match peer {
            0 => Permission::cidr(proto_s, &pr, "10.0.0.0/16"),
            1 => Permission::cidr(proto_s, &pr, "10.0.1.10"),
            2 => Permission::cidr(proto_s, &pr, "10.0.1.11"),
            3 => Permission::cidr(proto_s, &pr, "0.0.0.0/0"),
            4 => Permission::cidr(proto_s, &pr, "192.168.0.0/24"),
            n => Permission::group(proto_s, &pr, &groups[usize::from(n - 5) % groups.len()]),
        };
        if drop {
            p = p.policy("drop");
        }
        p = p.priority(&prio.to_string());
        if range {
            if let Some(s) = sport {
                p.source_port_range =
                    Some(["1/1024", "32768/40000", "1/65535"][usize::from(s)].into());
            }
        }
        let d = if egress {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        // enterprise groups refuse group rules: the error is part of the model, ignore it here
        let _ = f.rules(d, &groups[target], vec![p]);
    }

    proptest! {
        #[test]
        fn lowest_free_matches_a_scan(
            prefix in 26u8..31,
            used in proptest::collection::btree_set(0u32..80, 0..40),
            freed in proptest::collection::btree_set(0u32..80, 0..20),
            n in 1usize..6,
        ) {
            let cidr = format!("10.0.7.0/{prefix}");
            let v = vsw("vsw-prop00", "vpc-aaaaaa", A, &cidr);
            let mut idx = AddressIndex::default();
            for u in &used {
                let a = Ipv4Addr::from(u32::from(ip("10.0.7.0")) + u);
                let _ = idx.insert("vpc-aaaaaa", a, AddressOwner::Eni(format!("eni-{u}")));
            }
            // Frees split the runs of used addresses the index jumps over.
            for u in &freed {
                let _ = idx.remove("vpc-aaaaaa", Ipv4Addr::from(u32::from(ip("10.0.7.0")) + u));
            }
            // The derived runs survive a save and load.
            let reloaded: AddressIndex =
                serde_json::from_str(&serde_json::to_string(&idx).unwrap()).unwrap();
            prop_assert_eq!(&reloaded, &idx);
            let mut want = Vec::new();
            for a in v.cidr_block.hosts().chain([v.cidr_block.network(), v.cidr_block.broadcast()]) {
                if want.len() < n && !v.is_reserved(a) && !idx.is_used("vpc-aaaaaa", a) {
                    want.push(a);
                }
            }
            want.sort();
            want.truncate(n);
            prop_assert_eq!(idx.lowest_free(&v, n), want);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn sg_evaluation_matches_naive(
            kinds in proptest::collection::vec(any::<bool>(), 3),
            inner_drop in proptest::collection::vec(any::<bool>(), 3),
            membership in proptest::collection::vec((0usize..3, proptest::option::of(0usize..3)), 4),
            rules in proptest::collection::vec((0usize..3, perm()), 0..14),
            packets in proptest::collection::vec((0usize..6, 0usize..6, 0u8..3, 0usize..6, 0usize..3, any::<bool>()), 1..12),
        ) {
            let mut f = Fx::new();
            let groups: Vec<String> = kinds
                .iter()
                .map(|e| f.sg("vpc-aaaaaa", if *e { "enterprise" } else { "normal" }))
                .collect();
            for (g, d) in groups.iter().zip(&inner_drop) {
                if *d {
                    let _ = sg::modify_security_group_policy(&mut f.st, &f.ctx, g, Some("Drop"));
                }
            }
            for (t, r) in rules {
                build(&mut f, &groups, t, r);
            }
            let addrs = ["10.0.1.10", "10.0.1.11", "10.0.2.10", "10.0.2.11", "192.168.0.5", "8.8.8.8"];
            let mut enis = Vec::new();
            for (k, (a, b)) in membership.iter().enumerate() {
                let mut gs = vec![groups[*a].as_str()];
                if let Some(b) = b {
                    if b != a {
                        gs.push(groups[*b].as_str());
                    }
                }
                let vsw = if k < 2 { "vsw-aaaaa1" } else { "vsw-aaaaa2" };
                enis.push(f.vm(vsw, &gs, addrs[k]).1);
            }
            prop_assert_eq!(f.st.check_invariants(), Ok(()));
            let ports = [22u16, 53, 80, 443, 8080, 32768];
            for (s, d, proto, dp, sp, egress) in packets {
                let protocol = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp][usize::from(proto)];
                let p = Packet {
                    src_ip: ip(addrs[s]),
                    dst_ip: ip(addrs[d]),
                    protocol,
                    src_port: [1000u16, 32768, 50000][sp],
                    dst_port: ports[dp],
                };
                let dir = if egress { Direction::Egress } else { Direction::Ingress };
                for e in &enis {
                    let fast = sg::evaluate(&f.st, e, dir, &p).map(|x| x.allowed);
                    prop_assert_eq!(fast, Some(naive::allowed(&f.st, e, dir, &p)), "eni {} {:?} {:?}", e, dir, p);
                }
            }
        }
    }
}

// ---- §11 S1 fixtures: the ECS / security-group steps --------------------------------------------

/// S1-A steps 3–4 and 7–8, S1-B steps 1–2, S1-C and S1-D step 1, built with the domain
/// functions; the security-group half of the reach expectations (step 15 of S1-A etc.) is
/// checked with the evaluator. Routes and peering are the next issue's.
#[test]
fn s1_fixtures_build_and_their_groups_decide() {
    let mut net = NetMaps::default();
    let mut add = |region: &str, owner: &str, v: &str, cidr: &str, s: &str, scidr: &str| {
        let mut x = vpc(v, owner, cidr);
        x.region_id = region.into();
        net.vpcs.insert(v.into(), x);
        let mut y = vsw(s, v, owner, scidr);
        y.region_id = region.into();
        y.zone_id = format!("{region}-h");
        net.vswitches.insert(s.into(), y);
    };
    add(
        HZ,
        A,
        "vpc-hzhzhz",
        "10.0.0.0/8",
        "vsw-hzhzhz",
        "10.0.1.0/24",
    );
    add(
        "cn-beijing",
        A,
        "vpc-bjbjbj",
        "172.16.0.0/12",
        "vsw-bjbjbj",
        "172.16.1.0/24",
    );
    add(
        HZ,
        A,
        "vpc-rrrrrr",
        "172.16.0.0/12",
        "vsw-rrrrrr",
        "172.16.1.0/24",
    );
    add(
        "cn-beijing",
        B,
        "vpc-bbbbbb",
        "192.168.0.0/24",
        "vsw-bbbbbb",
        "192.168.0.0/25",
    );
    let mut st = EcsState::default();
    let mut ids = IdGen::new(1);
    let step = |st: &mut EcsState,
                ids: &mut IdGen,
                c: &OpCtx,
                vpc: &str,
                vsw: &str,
                perms: Vec<Permission>,
                addr: &str,
                listening: Option<&str>| {
        let g = sg::create_security_group(
            st,
            &net,
            ids,
            c,
            &CreateSecurityGroup {
                vpc_id: Some(vpc.into()),
                ..Default::default()
            },
        )
        .unwrap_or_default();
        let p = SecurityGroupRules {
            security_group_id: g.clone(),
            permissions: perms,
        };
        assert!(sg::authorize(st, ids, c, Direction::Ingress, &p).is_ok());
        let tags = listening
            .map(|l| vec![TagParam::new("ramsim:listening", l)])
            .unwrap_or_default();
        let out = instance::run_instances(
            st,
            &net,
            ids,
            c,
            &RunInstances {
                vswitch_id: Some(vsw.into()),
                security_group_ids: vec![g.clone()],
                private_ip_address: Some(addr.into()),
                tags,
                ..Default::default()
            },
        );
        let id = out.map(|o| o.instance_ids[0].clone()).unwrap_or_default();
        let eni = st
            .instances
            .get(id.as_str())
            .map(|i| i.primary_eni_id.clone())
            .unwrap_or_default();
        (g, id, eni)
    };
    let hz = OpCtx::new(A, HZ, t0());
    let bj = OpCtx::new(A, "cn-beijing", t0());
    let icmp_from = |c: &str| Permission::cidr("ICMP", "-1/-1", c);
    let ssh_from = |c: &str| Permission::cidr("TCP", "22/22", c);
    // S1-A
    let (_, ecs_hz, eni_hz) = step(
        &mut st,
        &mut ids,
        &hz,
        "vpc-hzhzhz",
        "vsw-hzhzhz",
        vec![
            icmp_from("172.16.0.0/12").policy("accept").priority("1"),
            ssh_from("172.16.0.0/12"),
        ],
        "10.0.1.10",
        Some("tcp/22"),
    );
    let (_, ecs_bj, eni_bj) = step(
        &mut st,
        &mut ids,
        &bj,
        "vpc-bjbjbj",
        "vsw-bjbjbj",
        vec![icmp_from("10.0.0.0/8"), ssh_from("10.0.0.0/8")],
        "172.16.1.10",
        Some("tcp/22"),
    );
    assert!(
        ecs_hz.starts_with("i-bp1") && ecs_bj.starts_with("i-2ze"),
        "{ecs_hz} {ecs_bj}"
    );
    assert!(st.instances[ecs_bj.as_str()].listens_on(L4::Tcp, 22));
    // step 15: HZ → BJ tcp/22 and icmp, BJ → HZ tcp/22 pass both ends' groups
    for p in [
        tcp("10.0.1.10", "172.16.1.10", 22),
        icmp("10.0.1.10", "172.16.1.10"),
    ] {
        let d = sg::evaluate_flow(&st, Some(&eni_hz), Some(&eni_bj), &p);
        assert!(d.allowed && d.reply_allowed, "{p:?} {d:?}");
    }
    let back = sg::evaluate_flow(
        &st,
        Some(&eni_bj),
        Some(&eni_hz),
        &tcp("172.16.1.10", "10.0.1.10", 22),
    );
    assert!(back.allowed);
    // but not a port the groups do not open
    let web = sg::evaluate_flow(
        &st,
        Some(&eni_hz),
        Some(&eni_bj),
        &tcp("10.0.1.10", "172.16.1.10", 80),
    );
    assert!(!web.allowed);
    // S1-B: A's and B's instances, ICMP only
    let (_, _, eni_r) = step(
        &mut st,
        &mut ids,
        &hz,
        "vpc-rrrrrr",
        "vsw-rrrrrr",
        vec![icmp_from("192.168.0.0/24")],
        "172.16.1.10",
        None,
    );
    let b_bj = OpCtx::new(B, "cn-beijing", t0());
    let (_, ecs_b, eni_b) = step(
        &mut st,
        &mut ids,
        &b_bj,
        "vpc-bbbbbb",
        "vsw-bbbbbb",
        vec![icmp_from("172.16.0.0/12")],
        "192.168.0.10",
        None,
    );
    assert_eq!(st.instances[ecs_b.as_str()].owner_uid, B);
    // the same address in two VPCs is two index entries
    assert!(st.addresses.is_used("vpc-rrrrrr", ip("172.16.1.10")));
    assert!(st.addresses.is_used("vpc-bjbjbj", ip("172.16.1.10")));
    assert!(
        sg::evaluate_flow(
            &st,
            Some(&eni_r),
            Some(&eni_b),
            &icmp("172.16.1.10", "192.168.0.10")
        )
        .allowed
    );
    assert!(
        !sg::evaluate_flow(
            &st,
            Some(&eni_r),
            Some(&eni_b),
            &tcp("172.16.1.10", "192.168.0.10", 22)
        )
        .allowed
    );
    assert_eq!(st.check_invariants(), Ok(()));
}

/// S1-C (hub and spoke: SGs allow ICMP from 10.0.0.0/8 everywhere) and S1-D (overlapping
/// 172.17.3.0/24 VPCs: SGs allow ICMP from 172.17.3.0/24) step 1.
#[test]
fn s1_c_and_s1_d_fixtures() {
    let mut net = NetMaps::default();
    // (region, vpc, vpc cidr, [(vsw, cidr, [instance addresses])], allowed icmp source)
    type Subnet<'a> = (&'a str, &'a str, Vec<&'a str>);
    let plan: Vec<(&str, &str, &str, Vec<Subnet>, &str)> = vec![
        (
            HZ,
            "vpc-hubhub",
            "10.1.0.0/16",
            vec![("vsw-hub001", "10.1.1.0/24", vec!["10.1.1.10"])],
            "10.0.0.0/8",
        ),
        (
            HZ,
            "vpc-sp2sp2",
            "10.2.0.0/16",
            vec![
                ("vsw-sp2001", "10.2.1.0/24", vec!["10.2.1.10"]),
                ("vsw-sp2002", "10.2.2.0/24", vec!["10.2.2.10"]),
            ],
            "10.0.0.0/8",
        ),
        (
            HZ,
            "vpc-sp3sp3",
            "10.3.0.0/16",
            vec![("vsw-sp3001", "10.3.1.0/24", vec!["10.3.1.10"])],
            "10.0.0.0/8",
        ),
        (
            HZ,
            "vpc-vxvxvx",
            "172.17.3.0/24",
            vec![("vsw-vx0001", "172.17.3.0/25", vec!["172.17.3.10"])],
            "172.17.3.0/24",
        ),
        (
            "cn-beijing",
            "vpc-vyvyvy",
            "172.17.3.0/24",
            vec![
                ("vsw-vy0001", "172.17.3.128/25", vec!["172.17.3.200"]),
                ("vsw-vy0002", "172.17.3.0/26", vec!["172.17.3.20"]),
            ],
            "172.17.3.0/24",
        ),
    ];
    for (region, v, cidr, vsws, _) in &plan {
        let mut x = vpc(v, A, cidr);
        x.region_id = region.to_string();
        net.vpcs.insert(v.to_string(), x);
        for (s, sc, _) in vsws {
            let mut y = vsw(s, v, A, sc);
            y.region_id = region.to_string();
            net.vswitches.insert(s.to_string(), y);
        }
    }
    let mut st = EcsState::default();
    let mut ids = IdGen::new(3);
    let mut enis = Vec::new();
    for (region, v, _, vsws, src) in &plan {
        let c = OpCtx::new(A, region, t0());
        let g = sg::create_security_group(
            &mut st,
            &net,
            &mut ids,
            &c,
            &CreateSecurityGroup {
                vpc_id: Some(v.to_string()),
                ..Default::default()
            },
        )
        .unwrap_or_default();
        let perms = vec![Permission::cidr("ICMP", "-1/-1", src)];
        let p = SecurityGroupRules {
            security_group_id: g.clone(),
            permissions: perms,
        };
        assert!(sg::authorize(&mut st, &mut ids, &c, Direction::Ingress, &p).is_ok());
        for (s, _, addrs) in vsws {
            for a in addrs {
                let r = RunInstances {
                    vswitch_id: Some(s.to_string()),
                    security_group_ids: vec![g.clone()],
                    private_ip_address: Some(a.to_string()),
                    ..Default::default()
                };
                let out = instance::run_instances(&mut st, &net, &mut ids, &c, &r);
                let id = out.map(|o| o.instance_ids[0].clone()).unwrap_or_default();
                enis.push((
                    st.instances[id.as_str()].primary_eni_id.clone(),
                    ip(a),
                    *src,
                ));
            }
        }
    }
    assert_eq!(enis.len(), 7);
    // every instance accepts ICMP from its allowed range and nothing else
    for (eni, addr, src) in &enis {
        let from_ok = if src.starts_with("10.") {
            "10.9.9.9"
        } else {
            "172.17.3.99"
        };
        let ok = sg::evaluate(
            &st,
            eni,
            Direction::Ingress,
            &icmp(from_ok, &addr.to_string()),
        );
        assert_eq!(ok.map(|d| d.allowed), Some(true), "{eni}");
        let no = sg::evaluate(
            &st,
            eni,
            Direction::Ingress,
            &icmp("192.168.9.9", &addr.to_string()),
        );
        assert_eq!(no.map(|d| d.allowed), Some(false), "{eni}");
        let ssh = sg::evaluate(
            &st,
            eni,
            Direction::Ingress,
            &tcp(from_ok, &addr.to_string(), 22),
        );
        assert_eq!(ssh.map(|d| d.allowed), Some(false), "{eni}");
    }
    assert_eq!(st.check_invariants(), Ok(()));
}

// ---- random operation sequences: failures change nothing, invariants always hold ----------------

mod sequences {
    use super::*;
    use crate::cloud::network_acl::{self as nacl, AclEntryParam, NaclState};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        CreateSg(u8, u8),
        Authorize(bool, u8, u8, u8, u8, u8),
        Revoke(bool, u8, u8, u8, u8, u8),
        Run(u8, u8, u8, u8, bool),
        Lifecycle(u8, u8),
        Policy(u8, u8),
        DeleteSg(u8),
        Tag(u8, u8),
        ServiceEni(u8, u8, bool),
        CreateAcl(u8),
        UpdateAcl(u8, Vec<(u8, u8, u8, u8)>, bool),
        Bind(u8, u8, bool),
        DeleteAcl(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        let b = any::<u8>;
        prop_oneof![
            (b(), b()).prop_map(|(a, c)| Op::CreateSg(a, c)),
            (any::<bool>(), b(), b(), b(), b(), b())
                .prop_map(|(a, c, d, e, f, g)| Op::Authorize(a, c, d, e, f, g)),
            (any::<bool>(), b(), b(), b(), b(), b())
                .prop_map(|(a, c, d, e, f, g)| Op::Revoke(a, c, d, e, f, g)),
            (b(), b(), b(), b(), any::<bool>()).prop_map(|(a, c, d, e, f)| Op::Run(a, c, d, e, f)),
            (b(), b()).prop_map(|(a, c)| Op::Lifecycle(a, c)),
            (b(), b()).prop_map(|(a, c)| Op::Policy(a, c)),
            b().prop_map(Op::DeleteSg),
            (b(), b()).prop_map(|(a, c)| Op::Tag(a, c)),
            (b(), b(), any::<bool>()).prop_map(|(a, c, d)| Op::ServiceEni(a, c, d)),
            b().prop_map(Op::CreateAcl),
            (
                b(),
                proptest::collection::vec((b(), b(), b(), b()), 0..4),
                any::<bool>()
            )
                .prop_map(|(a, v, d)| Op::UpdateAcl(a, v, d)),
            (b(), b(), any::<bool>()).prop_map(|(a, c, d)| Op::Bind(a, c, d)),
            b().prop_map(Op::DeleteAcl),
        ]
    }

    fn pick<T: Clone>(v: &[T], i: u8, or: T) -> T {
        if v.is_empty() {
            or
        } else {
            v[usize::from(i) % v.len()].clone()
        }
    }

    fn perm(groups: &[String], proto: u8, ports: u8, peer: u8, extra: u8) -> Permission {
        let protos = ["tcp", "udp", "icmp", "all", "sctp"];
        let ranges = ["22/22", "80/90", "-1/-1", "1/65535", "x", "90/80"];
        let cidrs = ["10.0.0.0/8", "10.0.1.10", "0.0.0.0/0", "10.0.0.1/8"];
        let mut p = if peer % 5 == 4 {
            Permission::group(
                protos[usize::from(proto) % 5],
                ranges[usize::from(ports) % 6],
                &pick(groups, peer, "sg-none000".into()),
            )
        } else {
            Permission::cidr(
                protos[usize::from(proto) % 5],
                ranges[usize::from(ports) % 6],
                cidrs[usize::from(peer) % 4],
            )
        };
        match extra % 6 {
            0 => p = p.policy("drop"),
            1 => p = p.priority(&(extra % 4).to_string()),
            2 => p = p.priority("100"),
            _ => {}
        }
        p
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn failed_calls_change_nothing_and_invariants_hold(ops in proptest::collection::vec(op(), 1..40)) {
            let mut f = Fx::new();
            let mut acls = NaclState::default();
            let vpcs = ["vpc-aaaaaa", "vpc-bbbbbb", "vpc-cccccc", "vpc-nope00"];
            let vsws = ["vsw-aaaaa1", "vsw-aaaaa2", "vsw-tiny00", "vsw-bbbbb1", "vsw-ccccc1"];
            let addrs = ["10.0.1.10", "10.0.1.0", "10.0.9.6", "10.0.9.1", "172.16.1.10", "bad"];
            for o in ops {
                let groups: Vec<String> = f.st.security_groups.keys().cloned().collect();
                let insts: Vec<String> = f.st.instances.keys().map(|k| k.to_string()).collect();
                let acl_ids: Vec<String> = acls.acls.keys().cloned().collect();
                let before = serde_json::to_string(&(&f.st, &f.ids, &acls)).unwrap_or_default();
                let r: Result<(), CloudError> = match o.clone() {
                    Op::CreateSg(v, t) => {
                        let p = CreateSecurityGroup {
                            vpc_id: Some(vpcs[usize::from(v) % 4].into()),
                            security_group_type: Some(["normal", "enterprise", "x"][usize::from(t) % 3].into()),
                            ..Default::default()
                        };
                        sg::create_security_group(&mut f.st, &f.net, &mut f.ids, &f.ctx, &p).map(|_| ())
                    }
                    Op::Authorize(eg, g, a, b, c, d) | Op::Revoke(eg, g, a, b, c, d) => {
                        let dir = if eg { Direction::Egress } else { Direction::Ingress };
                        let target = pick(&groups, g, "sg-none000".into());
                        let p = SecurityGroupRules { security_group_id: target, permissions: vec![perm(&groups, a, b, c, d)] };
                        if matches!(o, Op::Revoke(..)) {
                            sg::revoke(&mut f.st, &f.ctx, dir, &p).map(|_| ())
                        } else {
                            sg::authorize(&mut f.st, &mut f.ids, &f.ctx, dir, &p).map(|_| ())
                        }
                    }
                    Op::Run(v, g, a, n, dry) => {
                        let mut p = run_in(vsws[usize::from(v) % 5], &[]);
                        if g % 4 != 3 {
                            p.security_group_ids = vec![pick(&groups, g, "sg-none000".into())];
                        }
                        if a % 7 != 6 {
                            p.private_ip_address = Some(addrs[usize::from(a) % 6].into());
                        }
                        p.amount = Some(u32::from(n % 3) + 1);
                        p.dry_run = dry && n % 5 == 0;
                        f.run(p).map(|_| ())
                    }
                    Op::Lifecycle(i, k) => {
                        let id = pick(&insts, i, "i-none0000".into());
                        match k % 4 {
                            0 => instance::stop_instance(&mut f.st, &f.ctx, &id),
                            1 => instance::start_instance(&mut f.st, &f.ctx, &id),
                            2 => instance::delete_instance(&mut f.st, &f.ctx, &id, false),
                            _ => instance::delete_instance(&mut f.st, &f.ctx, &id, true),
                        }
                    }
                    Op::Policy(g, v) => {
                        let id = pick(&groups, g, "sg-none000".into());
                        sg::modify_security_group_policy(&mut f.st, &f.ctx, &id, Some(["Drop", "accept", "nope"][usize::from(v) % 3]))
                    }
                    Op::DeleteSg(g) => {
                        let id = pick(&groups, g, "sg-none000".into());
                        sg::delete_security_group(&mut f.st, &f.ctx, &id)
                    }
                    Op::Tag(i, v) => {
                        let id = pick(&insts, i, "i-none0000".into());
                        if v % 3 == 0 {
                            instance::untag_instance(&mut f.st, &f.ctx, &id, &["ramsim:listening".into()])
                        } else {
                            let val = ["tcp/80", "udp/x"][usize::from(v) % 2];
                            instance::tag_instance(&mut f.st, &f.ctx, &id, &[TagParam::new("ramsim:listening", val)])
                        }
                    }
                    Op::ServiceEni(v, a, del) => {
                        if del {
                            let e = f.st.enis.values().find(|e| e.service_managed).map(|e| e.network_interface_id.clone());
                            eni::delete_service_eni(&mut f.st, &e.unwrap_or_default(), "svc").map(|_| ())
                        } else {
                            let p = CreateServiceEni {
                                vswitch_id: vsws[usize::from(v) % 5].into(),
                                private_ip: (a % 3 != 0).then(|| addrs[usize::from(a) % 6].into()),
                                security_group_ids: vec![],
                                service_owner: "svc".into(),
                            };
                            eni::create_service_eni(&mut f.st, &f.net, &mut f.ids, &f.ctx, &p).map(|_| ())
                        }
                    }
                    Op::CreateAcl(v) => {
                        let p = nacl::CreateNetworkAcl { vpc_id: Some(vpcs[usize::from(v) % 4].into()), ..Default::default() };
                        nacl::create_network_acl(&mut acls, &f.net, &mut f.ids, &f.ctx, &p).map(|_| ())
                    }
                    Op::UpdateAcl(a, entries, egress) => {
                        let list: Vec<AclEntryParam> = entries
                            .iter()
                            .map(|(p, pr, c, po)| AclEntryParam::new(
                                ["accept", "drop", "allow"][usize::from(*p) % 3],
                                ["tcp", "all", "icmp", "x"][usize::from(*pr) % 4],
                                ["0.0.0.0/0", "10.0.1.0/24", "10.0.0.1/8"][usize::from(*c) % 3],
                                ["80/80", "-1/-1", "1/65535"][usize::from(*po) % 3],
                            ))
                            .collect();
                        let p = nacl::UpdateNetworkAclEntries {
                            network_acl_id: pick(&acl_ids, a, "nacl-none0000".into()),
                            update_ingress: !egress,
                            ingress: if egress { vec![] } else { list.clone() },
                            update_egress: egress,
                            egress: if egress { list } else { vec![] },
                        };
                        nacl::update_network_acl_entries(&mut acls, &f.net, &mut f.ids, &f.ctx, &p)
                    }
                    Op::Bind(a, v, unbind) => {
                        let p = nacl::NetworkAclResources {
                            network_acl_id: pick(&acl_ids, a, "nacl-none0000".into()),
                            resources: vec![nacl::AclResourceParam::vswitch(vsws[usize::from(v) % 5])],
                        };
                        if unbind {
                            nacl::unassociate_network_acl(&mut acls, &f.net, &f.ctx, &p)
                        } else {
                            nacl::associate_network_acl(&mut acls, &f.net, &f.ctx, &p)
                        }
                    }
                    Op::DeleteAcl(a) => nacl::delete_network_acl(&mut acls, &f.ctx, &pick(&acl_ids, a, "nacl-none0000".into())),
                };
                if r.is_err() {
                    let after = serde_json::to_string(&(&f.st, &f.ids, &acls)).unwrap_or_default();
                    prop_assert_eq!(after, before, "{:?} failed with {:?} but changed the state", o, r);
                }
                prop_assert_eq!(f.st.check_invariants(), Ok(()));
                prop_assert_eq!(acls.check_invariants(), Ok(()));
            }
        }
    }
}

/// The world's own maps serve as the view, with its id generator borrowed mutably alongside:
/// the shape the registry wiring will use.
#[test]
fn the_worlds_maps_are_a_net_view() {
    use crate::cloud::tests as world_tests;
    let mut w = world_tests::world();
    let (vpc_id, _) = world_tests::mk_vpc(&mut w, world_tests::A, HZ, "10.0.0.0/8");
    let vsw_id = world_tests::mk_vsw(
        &mut w,
        world_tests::A,
        HZ,
        &vpc_id,
        "cn-hangzhou-h",
        "10.0.1.0/24",
    );
    let mut st = EcsState::default();
    let c = OpCtx::new(world_tests::A, HZ, w.now());
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    let g = sg::create_security_group(
        &mut st,
        &net,
        &mut w.ids,
        &c,
        &CreateSecurityGroup {
            vpc_id: Some(vpc_id.clone()),
            ..Default::default()
        },
    );
    let g = g.unwrap_or_default();
    let before = w.ids.counter;
    let net = NetRefs {
        vpcs: &w.vpcs,
        vswitches: &w.vswitches,
    };
    let out = instance::run_instances(&mut st, &net, &mut w.ids, &c, &run_in(&vsw_id, &[&g]));
    let id = out.map(|o| o.instance_ids[0].clone()).unwrap_or_default();
    assert_eq!(
        w.ids.counter,
        before + 2,
        "instance and ENI ids come from the world's generator"
    );
    // the first usable address of 10.0.1.0/24
    assert_eq!(st.instances[id.as_str()].private_ip, ip("10.0.1.1"));
    assert_eq!(st.instances[id.as_str()].vpc_id, vpc_id);
}
