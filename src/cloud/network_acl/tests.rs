//! Tests of §7.4 network ACLs: operations with every error code, byte-identical state after
//! failures, the evaluation table, and a property test against a naive evaluator.

use super::*;
use crate::cloud::ecs::tests::{ctx, ip, net, vsw, A, B};
use crate::cloud::ecs::NetMaps;
use crate::cloud::packet::{Packet, Protocol};

struct Fx {
    st: NaclState,
    ids: IdGen,
    net: NetMaps,
    ctx: OpCtx,
}

impl Fx {
    fn new() -> Self {
        Fx {
            st: NaclState::default(),
            ids: IdGen::new(7),
            net: net(),
            ctx: ctx(),
        }
    }

    fn snapshot(&self) -> String {
        serde_json::to_string(&(&self.st, &self.ids)).unwrap_or_default()
    }

    fn fails<T: std::fmt::Debug>(
        &mut self,
        code: &str,
        f: impl FnOnce(&mut Fx) -> Result<T, CloudError>,
    ) -> CloudError {
        let before = self.snapshot();
        let err = match f(self) {
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

    fn acl(&mut self, vpc: &str) -> String {
        create_network_acl(
            &mut self.st,
            &self.net,
            &mut self.ids,
            &self.ctx,
            &CreateNetworkAcl {
                vpc_id: Some(vpc.into()),
                ..Default::default()
            },
        )
        .unwrap_or_default()
    }

    fn set(
        &mut self,
        acl: &str,
        ingress: Option<Vec<AclEntryParam>>,
        egress: Option<Vec<AclEntryParam>>,
    ) -> Result<(), CloudError> {
        update_network_acl_entries(
            &mut self.st,
            &self.net,
            &mut self.ids,
            &self.ctx,
            &UpdateNetworkAclEntries {
                network_acl_id: acl.into(),
                update_ingress: ingress.is_some(),
                ingress: ingress.unwrap_or_default(),
                update_egress: egress.is_some(),
                egress: egress.unwrap_or_default(),
            },
        )
    }

    fn bind(&mut self, acl: &str, vsws: &[&str]) -> Result<(), CloudError> {
        associate_network_acl(&mut self.st, &self.net, &self.ctx, &res(acl, vsws))
    }
}

fn res(acl: &str, vsws: &[&str]) -> NetworkAclResources {
    NetworkAclResources {
        network_acl_id: acl.into(),
        resources: vsws.iter().map(|v| AclResourceParam::vswitch(v)).collect(),
    }
}

fn e(policy: &str, proto: &str, cidr: &str, port: &str) -> AclEntryParam {
    AclEntryParam::new(policy, proto, cidr, port)
}

#[test]
fn create_network_acl_and_its_error_codes() {
    let mut f = Fx::new();
    let id = f.acl("vpc-aaaaaa");
    assert!(id.starts_with("nacl-bp1"), "{id}");
    let a = &f.st.acls[&id];
    assert!(a.ingress.is_empty() && a.egress.is_empty() && a.resources.is_empty());
    let mk = |m: &dyn Fn(&mut CreateNetworkAcl)| {
        let mut p = CreateNetworkAcl {
            vpc_id: Some("vpc-aaaaaa".into()),
            ..Default::default()
        };
        m(&mut p);
        p
    };
    let cases: Vec<(&str, CreateNetworkAcl)> = vec![
        ("ParameterMissing.VpcId", mk(&|p| p.vpc_id = None)),
        (
            "ParameterLengthIllegal.Name",
            mk(&|p| p.network_acl_name = Some("x".repeat(129))),
        ),
        (
            "ParameterLengthIllegal.Name",
            mk(&|p| p.network_acl_name = Some(String::new())),
        ),
        (
            "ParameterIllegal.Name",
            mk(&|p| p.network_acl_name = Some("9lives".into())),
        ),
        (
            "ParameterIllegal.Name",
            mk(&|p| p.network_acl_name = Some("a b".into())),
        ),
        (
            "ParameterLengthIllegal.Description",
            mk(&|p| p.description = Some("d".repeat(257))),
        ),
        (
            "ParameterIllegal.Description",
            mk(&|p| p.description = Some("http://x".into())),
        ),
        (
            "InvalidVpcId.NotFound",
            mk(&|p| p.vpc_id = Some("vpc-nope00".into())),
        ),
        // another account's VPC
        (
            "InvalidVpcId.NotFound",
            mk(&|p| p.vpc_id = Some("vpc-cccccc".into())),
        ),
    ];
    for (code, p) in cases {
        f.fails(code, |f| {
            create_network_acl(&mut f.st, &f.net, &mut f.ids, &f.ctx, &p)
        });
    }
    for _ in 1..MAX_ACLS_PER_VPC {
        f.acl("vpc-aaaaaa");
    }
    f.fails("QuotaExceed.NetworkAcl", |f| {
        create_network_acl(&mut f.st, &f.net, &mut f.ids, &f.ctx, &mk(&|_| {}))
    });
    // per VPC
    assert!(!f.acl("vpc-bbbbbb").is_empty());
}

#[test]
fn update_replaces_a_direction_and_keeps_named_ids() {
    let mut f = Fx::new();
    let id = f.acl("vpc-aaaaaa");
    f.set(
        &id,
        Some(vec![
            e("accept", "tcp", "10.0.0.0/8", "22/22"),
            e("drop", "all", "0.0.0.0/0", "-1/-1"),
        ]),
        Some(vec![e("accept", "all", "0.0.0.0/0", "-1/-1")]),
    )
    .unwrap_or_default();
    let a = f.st.acls[&id].clone();
    assert_eq!(a.ingress.len(), 2);
    assert!(a.ingress.iter().all(|x| x.entry_id.starts_with("nae-")));
    let keep = a.ingress[1].entry_id.clone();
    // replace ingress with [kept entry, new entry]; egress untouched (flag off)
    let kept = AclEntryParam {
        network_acl_entry_id: Some(keep.clone()),
        ..e("drop", "udp", "0.0.0.0/0", "53/53")
    };
    f.set(
        &id,
        Some(vec![kept, e("accept", "icmp", "10.0.0.0/8", "-1/-1")]),
        None,
    )
    .unwrap_or_default();
    let b = &f.st.acls[&id];
    assert_eq!(b.ingress.len(), 2);
    assert_eq!(b.ingress[0].entry_id, keep);
    assert_eq!(b.ingress[0].protocol, RuleProtocol::Udp);
    assert_ne!(b.ingress[1].entry_id, a.ingress[0].entry_id);
    assert_eq!(b.egress, a.egress);
    // an empty list with the flag on empties the direction
    f.set(&id, None, Some(vec![])).unwrap_or_default();
    assert!(f.st.acls[&id].egress.is_empty());
    let attr = describe_network_acl_attributes(&f.st, &f.ctx, &id).unwrap_or_default();
    let ing = &attr["NetworkAclAttribute"]["IngressAclEntries"]["IngressAclEntry"];
    assert_eq!(ing[0]["NetworkAclEntryId"], keep.as_str());
    assert_eq!(ing[1]["SourceCidrIp"], "10.0.0.0/8");
    assert_eq!(ing[1]["Port"], "-1/-1");
    assert_eq!(ing[1]["EntryType"], "custom");
}

#[test]
fn update_error_codes() {
    let mut f = Fx::new();
    let id = f.acl("vpc-aaaaaa");
    f.set(
        &id,
        Some(vec![e("accept", "tcp", "10.0.0.0/8", "22/22")]),
        None,
    )
    .unwrap_or_default();
    let eg_id = {
        f.set(
            &id,
            None,
            Some(vec![e("accept", "all", "0.0.0.0/0", "-1/-1")]),
        )
        .unwrap_or_default();
        f.st.acls[&id].egress[0].entry_id.clone()
    };
    let mut v6 = f.net.clone();
    if let Some(v) = v6.vpcs.get_mut("vpc-aaaaaa") {
        v.ipv6_cidr_block = Some("2408:4000::/56".into());
    }
    let with = |m: &dyn Fn(&mut AclEntryParam)| {
        let mut p = e("accept", "tcp", "10.0.0.0/8", "80/80");
        m(&mut p);
        p
    };
    type In = (Option<Vec<AclEntryParam>>, Option<Vec<AclEntryParam>>);
    let ing = |p: AclEntryParam| -> In { (Some(vec![p]), None) };
    let egr = |p: AclEntryParam| -> In { (None, Some(vec![p])) };
    let cases: Vec<(&str, In)> = vec![
        (
            "QuotaExceed.NetworkAclEntry",
            (Some(vec![with(&|_| {}); 101]), None),
        ),
        (
            "IllegalParam.IngressAclEntryId",
            ing(with(&|p| p.network_acl_entry_id = Some(eg_id.clone()))),
        ),
        (
            "IllegalParam.EgressAclEntryId",
            egr(with(&|p| {
                p.network_acl_entry_id = Some("nae-nope0000".into())
            })),
        ),
        ("ParameterMissing.Policy", ing(with(&|p| p.policy = None))),
        (
            "ParameterIllegal.Policy",
            ing(with(&|p| p.policy = Some("allow".into()))),
        ),
        (
            "ParameterMissing.Protocol",
            ing(with(&|p| p.protocol = None)),
        ),
        (
            "ParameterIllegal.Protocol",
            ing(with(&|p| p.protocol = Some("sctp".into()))),
        ),
        ("ParameterMissing.Port", ing(with(&|p| p.port = None))),
        (
            "ParameterIllegal.Port",
            ing(with(&|p| p.port = Some("80".into()))),
        ),
        (
            "ParameterIllegal.Port",
            ing(with(&|p| p.port = Some("-1/-1".into()))),
        ),
        (
            "ParameterIllegal.Port",
            ing(with(&|p| {
                p.protocol = Some("icmp".into());
                p.port = Some("80/80".into())
            })),
        ),
        (
            "ParameterMissing.SourceCidrIp",
            ing(with(&|p| p.cidr_ip = None)),
        ),
        (
            "ParameterIllegal.SourceCidrIp",
            ing(with(&|p| p.cidr_ip = Some("10.0.0.1/8".into()))),
        ),
        (
            "ParameterMissing.DestinationCidrIp",
            egr(with(&|p| p.cidr_ip = None)),
        ),
        (
            "ParameterIllegal.DestinationCidrIp",
            egr(with(&|p| p.cidr_ip = Some("nope".into()))),
        ),
        (
            "IllegalParam.IpVersion",
            ing(with(&|p| p.ip_version = Some("IPv5".into()))),
        ),
        (
            "OperationDenied.VpcIpv6NotEnabled",
            ing(with(&|p| {
                p.ip_version = Some("IPv6".into());
                p.cidr_ip = Some("::/0".into())
            })),
        ),
        (
            "IllegalParam.SourceCidrIp",
            ing(with(&|p| p.cidr_ip = Some("2408:4000::/56".into()))),
        ),
        (
            "IllegalParam.DestinationCidrIp",
            egr(with(&|p| p.cidr_ip = Some("::/0".into()))),
        ),
        (
            "ParameterIllegal.Name",
            ing(with(&|p| p.name = Some("-x".into()))),
        ),
        (
            "ParameterLengthIllegal.Description",
            ing(with(&|p| p.description = Some(String::new()))),
        ),
    ];
    for (code, (i, eg)) in cases {
        f.fails(code, |f| f.set(&id, i, eg));
    }
    // an error in egress aborts the ingress replacement of the same call
    f.fails("ParameterIllegal.Policy", |f| {
        f.set(
            &id,
            Some(vec![]),
            Some(vec![with(&|p| p.policy = Some("x".into()))]),
        )
    });
    f.fails("ParameterMissing.NetworkAclId", |f| f.set("", None, None));
    f.fails("InvalidNetworkAcl.NotFound", |f| {
        f.set("nacl-nope0000", None, None)
    });
    let mut b = f.ctx.clone();
    b.caller = B.into();
    f.fails("InvalidNetworkAcl.NotFound", |f| {
        update_network_acl_entries(
            &mut f.st,
            &f.net,
            &mut f.ids,
            &b,
            &UpdateNetworkAclEntries {
                network_acl_id: id.clone(),
                ..Default::default()
            },
        )
    });
    // IPv6 entries are accepted once the VPC has IPv6, and never match IPv4 packets
    let p6 = AclEntryParam {
        ip_version: Some("IPv6".into()),
        ..e("accept", "all", "::/0", "-1/-1")
    };
    assert!(update_network_acl_entries(
        &mut f.st,
        &v6,
        &mut f.ids,
        &f.ctx,
        &UpdateNetworkAclEntries {
            network_acl_id: id.clone(),
            update_ingress: true,
            ingress: vec![p6],
            ..Default::default()
        }
    )
    .is_ok());
    let d = evaluate_entries(
        &f.st.acls[&id],
        Direction::Ingress,
        &Packet::new(Protocol::Tcp, ip("10.0.1.5"), ip("10.0.2.5"), 80),
    );
    assert_eq!(d.reason, NaclReason::DefaultDrop);
}

#[test]
fn associate_unassociate_delete() {
    let mut f = Fx::new();
    let a1 = f.acl("vpc-aaaaaa");
    let a2 = f.acl("vpc-aaaaaa");
    assert_eq!(f.bind(&a1, &["vsw-aaaaa1", "vsw-aaaaa1"]), Ok(()));
    assert_eq!(
        f.st.acl_of("vsw-aaaaa1").map(|a| a.network_acl_id.clone()),
        Some(a1.clone())
    );
    assert_eq!(f.st.acls[&a1].resources.len(), 1);
    let bad_type = NetworkAclResources {
        network_acl_id: a1.clone(),
        resources: vec![AclResourceParam {
            resource_type: Some("Instance".into()),
            resource_id: Some("vsw-aaaaa2".into()),
        }],
    };
    let cases: Vec<(&str, NetworkAclResources)> = vec![
        ("ParameterMissing.NetworkAclId", res("", &["vsw-aaaaa2"])),
        (
            "InvalidNetworkAcl.NotFound",
            res("nacl-nope0000", &["vsw-aaaaa2"]),
        ),
        ("ParameterMissing.Resources", res(&a1, &[])),
        ("ParameterIllegal.ResourceType", bad_type.clone()),
        ("InvalidResource.NotFound", res(&a1, &["vsw-nope00"])),
        ("InvalidResource.NotFound", res(&a1, &["vsw-ccccc1"])),
        ("InvalidResource.VpcError", res(&a1, &["vsw-bbbbb1"])),
        // a vSwitch has at most one ACL, this one included; all-or-nothing
        (
            "InvalidResource.BindingExist",
            res(&a2, &["vsw-aaaaa2", "vsw-aaaaa1"]),
        ),
        ("InvalidResource.BindingExist", res(&a1, &["vsw-aaaaa1"])),
    ];
    for (code, p) in cases {
        f.fails(code, |f| {
            associate_network_acl(&mut f.st, &f.net, &f.ctx, &p)
        });
    }
    let cases: Vec<(&str, NetworkAclResources)> = vec![
        ("ParameterMissing.Resources", res(&a1, &[])),
        ("ParameterIllegal.ResourceType", bad_type),
        ("InvalidResource.NotFound", res(&a1, &["vsw-nope00"])),
        ("InvalidResource.VpcError", res(&a1, &["vsw-bbbbb1"])),
        ("InvalidResource.NotBinding", res(&a1, &["vsw-aaaaa2"])),
        ("Mismatch.NetworkAclAndVSwitch", res(&a2, &["vsw-aaaaa1"])),
        (
            "InvalidNetworkAcl.NotFound",
            res("nacl-nope0000", &["vsw-aaaaa1"]),
        ),
    ];
    for (code, p) in cases {
        f.fails(code, |f| {
            unassociate_network_acl(&mut f.st, &f.net, &f.ctx, &p)
        });
    }
    f.fails("NetworkAclExistBinding", |f| {
        delete_network_acl(&mut f.st, &f.ctx, &a1)
    });
    f.fails("InvalidNetworkAcl.NotFound", |f| {
        delete_network_acl(&mut f.st, &f.ctx, "nacl-nope0000")
    });
    f.fails("ParameterMissing.NetworkAclId", |f| {
        delete_network_acl(&mut f.st, &f.ctx, "")
    });
    assert_eq!(
        unassociate_network_acl(&mut f.st, &f.net, &f.ctx, &res(&a1, &["vsw-aaaaa1"])),
        Ok(())
    );
    assert!(f.st.acl_of("vsw-aaaaa1").is_none());
    assert_eq!(f.bind(&a2, &["vsw-aaaaa1"]), Ok(()));
    assert_eq!(delete_network_acl(&mut f.st, &f.ctx, &a1), Ok(()));
    assert!(!f.st.acls.contains_key(&a1));
    forget_vswitch(&mut f.st, "vsw-aaaaa1");
    assert!(f.st.acls[&a2].resources.is_empty());
    assert_eq!(f.st.check_invariants(), Ok(()));
}

#[test]
fn at_most_thirty_vswitches_per_acl() {
    let mut f = Fx::new();
    let names: Vec<String> = (0..31).map(|i| format!("vsw-many{i:02}")).collect();
    for (i, n) in names.iter().enumerate() {
        let s = vsw(n, "vpc-aaaaaa", A, &format!("10.0.{}.0/24", 100 + i));
        f.net.vswitches.insert(n.clone(), s);
    }
    let id = f.acl("vpc-aaaaaa");
    let first: Vec<&str> = names[..30].iter().map(String::as_str).collect();
    assert_eq!(f.bind(&id, &first), Ok(()));
    f.fails("QuotaExceed.NetworkAclResource", |f| {
        f.bind(&id, &[names[30].as_str()])
    });
    assert_eq!(f.st.check_invariants(), Ok(()));
}

#[test]
fn state_round_trips_through_serde() {
    let mut f = Fx::new();
    let id = f.acl("vpc-aaaaaa");
    f.set(
        &id,
        Some(vec![e("accept", "tcp", "10.0.0.0/8", "22/22")]),
        Some(vec![]),
    )
    .unwrap_or_default();
    f.bind(&id, &["vsw-aaaaa1"]).unwrap_or_default();
    let js = serde_json::to_string(&f.st).unwrap_or_default();
    let back: NaclState = serde_json::from_str(&js).unwrap_or_default();
    assert_eq!(back, f.st);
    let bin = crate::store::codec::to_vec(&f.st).unwrap_or_default();
    let back2: NaclState = crate::store::codec::from_slice(&bin, 64).unwrap_or_default();
    assert_eq!(back2, f.st);
}

// ---- §7.4 evaluation, one row per rule ------------------------------------------------------------

/// Client in vsw-aaaaa1 (10.0.1.0/24), server in vsw-aaaaa2 (10.0.2.0/24). Each row configures
/// the ACL bound to the client's and/or server's vSwitch and checks the forward and reply verdicts.
#[test]
fn network_acl_evaluation_table() {
    struct Row {
        name: &'static str,
        /// (ingress, egress) of the client vSwitch's ACL; `None` = no ACL.
        client: Option<(Vec<AclEntryParam>, Vec<AclEntryParam>)>,
        /// Same for the server vSwitch.
        server: Option<(Vec<AclEntryParam>, Vec<AclEntryParam>)>,
        packet: Packet,
        same_vswitch: bool,
        allowed: bool,
        reply_allowed: bool,
    }
    let all_ok = || vec![e("accept", "all", "0.0.0.0/0", "-1/-1")];
    let open = || Some((all_ok(), all_ok()));
    let tcp80 = Packet::new(Protocol::Tcp, ip("10.0.1.10"), ip("10.0.2.10"), 80);
    let row = |name, client, server, packet, allowed, reply_allowed| Row {
        name,
        client,
        server,
        packet,
        same_vswitch: false,
        allowed,
        reply_allowed,
    };
    let rows = vec![
        row("no ACL anywhere passes", None, None, tcp80, true, true),
        row(
            "2 an ACL without entries drops",
            Some((vec![], vec![])),
            None,
            tcp80,
            false,
            false,
        ),
        row(
            "1 first match decides: accept before drop",
            None,
            Some((
                vec![
                    e("accept", "tcp", "10.0.1.0/24", "80/80"),
                    e("drop", "all", "0.0.0.0/0", "-1/-1"),
                ],
                all_ok(),
            )),
            tcp80,
            true,
            true,
        ),
        row(
            "1 first match decides: drop before accept",
            None,
            Some((
                vec![
                    e("drop", "all", "0.0.0.0/0", "-1/-1"),
                    e("accept", "tcp", "10.0.1.0/24", "80/80"),
                ],
                all_ok(),
            )),
            tcp80,
            false,
            true,
        ),
        row(
            "1 protocol must match",
            None,
            Some((vec![e("accept", "udp", "0.0.0.0/0", "80/80")], all_ok())),
            tcp80,
            false,
            true,
        ),
        row(
            "1 destination port must match",
            None,
            Some((vec![e("accept", "tcp", "0.0.0.0/0", "81/90")], all_ok())),
            tcp80,
            false,
            true,
        ),
        row(
            "1 ingress address is the source",
            None,
            Some((vec![e("accept", "tcp", "10.0.2.0/24", "1/65535")], all_ok())),
            tcp80,
            false,
            true,
        ),
        row(
            "1 egress address is the destination",
            Some((all_ok(), vec![e("accept", "tcp", "10.0.2.10/32", "80/80")])),
            None,
            tcp80,
            true,
            true,
        ),
        row(
            "1 egress to another destination drops",
            Some((all_ok(), vec![e("accept", "tcp", "10.0.3.0/24", "80/80")])),
            None,
            tcp80,
            false,
            true,
        ),
        row(
            "1 icmp ignores ports",
            None,
            Some((vec![e("accept", "icmp", "0.0.0.0/0", "-1/-1")], all_ok())),
            Packet::new(Protocol::Icmp, ip("10.0.1.10"), ip("10.0.2.10"), 0),
            true,
            true,
        ),
        row(
            "3 stateless: the reply needs the server's egress",
            None,
            Some((all_ok(), vec![e("accept", "tcp", "0.0.0.0/0", "80/80")])),
            tcp80,
            true,
            false,
        ),
        row(
            "3/7 reply reaches the client on port 32768 by default",
            None,
            Some((
                all_ok(),
                vec![e("accept", "tcp", "10.0.1.0/24", "32768/32768")],
            )),
            tcp80,
            true,
            true,
        ),
        row(
            "3 reply ingress at the client uses the client port",
            Some((
                vec![e("accept", "tcp", "10.0.2.0/24", "1024/65535")],
                all_ok(),
            )),
            open(),
            tcp80,
            true,
            true,
        ),
        row(
            "3 reply ingress at the client denied for a low client port",
            Some((
                vec![e("accept", "tcp", "10.0.2.0/24", "1024/65535")],
                all_ok(),
            )),
            open(),
            Packet::tcp(ip("10.0.1.10"), 1000, ip("10.0.2.10"), 80),
            true,
            false,
        ),
        Row {
            same_vswitch: true,
            ..row(
                "4 same vSwitch is not filtered",
                Some((vec![], vec![])),
                Some((vec![], vec![])),
                Packet::new(Protocol::Tcp, ip("10.0.1.10"), ip("10.0.1.11"), 80),
                true,
                true,
            )
        },
        row(
            "5 DNS 100.100.2.136 always allowed",
            Some((vec![], vec![])),
            None,
            Packet::new(Protocol::Udp, ip("10.0.1.10"), ip("100.100.2.136"), 53),
            true,
            true,
        ),
        row(
            "5 DNS 100.100.2.120 always allowed",
            Some((vec![], vec![])),
            None,
            Packet::new(Protocol::Udp, ip("10.0.1.10"), ip("100.100.2.120"), 53),
            true,
            true,
        ),
        row(
            "5 metaserver 100.100.100.200 always allowed",
            Some((vec![], vec![])),
            None,
            Packet::new(Protocol::Tcp, ip("10.0.1.10"), ip("100.100.100.200"), 80),
            true,
            true,
        ),
        row(
            "5 a neighbour of the metaserver is not",
            Some((vec![], vec![])),
            None,
            Packet::new(Protocol::Tcp, ip("10.0.1.10"), ip("100.100.100.201"), 80),
            false,
            false,
        ),
    ];
    for r in rows {
        let mut f = Fx::new();
        let setup =
            |f: &mut Fx, vsw: &str, cfg: Option<(Vec<AclEntryParam>, Vec<AclEntryParam>)>| {
                if let Some((i, eg)) = cfg {
                    let id = f.acl("vpc-aaaaaa");
                    assert_eq!(f.set(&id, Some(i), Some(eg)), Ok(()), "{}", r.name);
                    assert_eq!(f.bind(&id, &[vsw]), Ok(()), "{}", r.name);
                }
            };
        setup(&mut f, "vsw-aaaaa1", r.client);
        setup(&mut f, "vsw-aaaaa2", r.server);
        let dst = if r.same_vswitch {
            "vsw-aaaaa1"
        } else {
            "vsw-aaaaa2"
        };
        let d = evaluate_path(&f.st, "vsw-aaaaa1", dst, &r.packet);
        assert_eq!(
            (d.allowed, d.reply_allowed),
            (r.allowed, r.reply_allowed),
            "{}: {d:#?}",
            r.name
        );
    }
}

#[test]
fn decisions_name_the_deciding_entry() {
    let mut f = Fx::new();
    let id = f.acl("vpc-aaaaaa");
    f.set(
        &id,
        Some(vec![
            e("drop", "tcp", "10.0.1.0/24", "22/22"),
            e("accept", "all", "0.0.0.0/0", "-1/-1"),
        ]),
        None,
    )
    .unwrap_or_default();
    f.bind(&id, &["vsw-aaaaa2"]).unwrap_or_default();
    let first = f.st.acls[&id].ingress[0].entry_id.clone();
    let p = Packet::new(Protocol::Tcp, ip("10.0.1.10"), ip("10.0.2.10"), 22);
    let d = evaluate_vswitch(&f.st, "vsw-aaaaa2", Direction::Ingress, &p);
    assert_eq!(
        (d.allowed, d.entry_id, d.network_acl_id),
        (false, Some(first), Some(id.clone()))
    );
    let d = evaluate_vswitch(&f.st, "vsw-aaaaa2", Direction::Egress, &p.reply());
    assert_eq!((d.allowed, d.reason), (false, NaclReason::DefaultDrop));
    let d = evaluate_vswitch(&f.st, "vsw-aaaaa1", Direction::Egress, &p);
    assert_eq!(d.reason, NaclReason::NoAcl);
}

// ---- property test against a naive evaluator ------------------------------------------------------

mod prop {
    use super::*;
    use proptest::prelude::*;

    /// §7.4 transcribed literally.
    fn naive_check(st: &NaclState, vsw: &str, d: Direction, p: &Packet) -> bool {
        let specials = [
            ("100.100.2.128", 28),
            ("100.100.2.112", 28),
            ("100.100.100.200", 32),
        ];
        let mut acl = None;
        for a in st.acls.values() {
            for r in a.resources.keys() {
                if r == vsw {
                    acl = Some(a);
                }
            }
        }
        let Some(acl) = acl else { return true };
        for (net, len) in specials {
            let n = Ipv4Net::new(ip(net), len).unwrap_or_default();
            if n.contains(&p.src_ip) || n.contains(&p.dst_ip) {
                return true;
            }
        }
        let list = if d == Direction::Ingress {
            &acl.ingress
        } else {
            &acl.egress
        };
        for en in list {
            let addr = if d == Direction::Ingress {
                p.src_ip
            } else {
                p.dst_ip
            };
            let IpNet::V4(c) = en.cidr else { continue };
            if en.ip_version != IpVersion::IPv4 {
                continue;
            }
            let proto_ok =
                en.protocol == RuleProtocol::All || en.protocol.vpc_name() == p.protocol.as_str();
            let port_ok = !p.protocol.has_ports()
                || match en.port {
                    PortRange::Any => true,
                    PortRange::Range(a, b) => a <= p.dst_port && p.dst_port <= b,
                };
            if proto_ok && port_ok && c.contains(&addr) {
                return en.policy == Action::Accept;
            }
        }
        false
    }

    fn naive_path(st: &NaclState, s: &str, d: &str, p: &Packet) -> (bool, bool) {
        if s == d {
            return (true, true);
        }
        let r = Packet {
            src_ip: p.dst_ip,
            dst_ip: p.src_ip,
            protocol: p.protocol,
            src_port: p.dst_port,
            dst_port: p.src_port,
        };
        (
            naive_check(st, s, Direction::Egress, p) && naive_check(st, d, Direction::Ingress, p),
            naive_check(st, d, Direction::Egress, &r) && naive_check(st, s, Direction::Ingress, &r),
        )
    }

    fn entry() -> impl Strategy<Value = AclEntryParam> {
        let cidrs = [
            "0.0.0.0/0",
            "10.0.0.0/16",
            "10.0.1.0/24",
            "10.0.2.0/24",
            "10.0.1.10/32",
            "100.100.2.128/28",
        ];
        let ports = [
            "1/65535",
            "80/80",
            "22/80",
            "32768/32768",
            "1024/65535",
            "53/53",
        ];
        (
            any::<bool>(),
            0usize..4,
            0usize..cidrs.len(),
            0usize..ports.len(),
        )
            .prop_map(move |(drop, proto, c, p)| {
                let proto_s = ["tcp", "udp", "icmp", "all"][proto];
                let port = if proto < 2 { ports[p] } else { "-1/-1" };
                e(
                    if drop { "drop" } else { "accept" },
                    proto_s,
                    cidrs[c],
                    port,
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn nacl_evaluation_matches_naive(
            lists in proptest::collection::vec(
                (proptest::collection::vec(entry(), 0..6), proptest::collection::vec(entry(), 0..6)), 2),
            bound in proptest::collection::vec(proptest::option::of(0usize..2), 2),
            packets in proptest::collection::vec((0usize..5, 0usize..5, 0usize..3, 0usize..5, 0usize..3), 1..16),
        ) {
            let mut f = Fx::new();
            let acls: Vec<String> = lists.iter().map(|_| f.acl("vpc-aaaaaa")).collect();
            for (id, (i, eg)) in acls.iter().zip(lists) {
                prop_assert_eq!(f.set(id, Some(i), Some(eg)), Ok(()));
            }
            let vsws = ["vsw-aaaaa1", "vsw-aaaaa2"];
            for (v, b) in vsws.iter().zip(&bound) {
                if let Some(b) = b {
                    prop_assert_eq!(f.bind(&acls[*b], &[v]), Ok(()));
                }
            }
            prop_assert_eq!(f.st.check_invariants(), Ok(()));
            let addrs = ["10.0.1.10", "10.0.1.11", "10.0.2.10", "100.100.2.130", "8.8.8.8"];
            let ports = [22u16, 53, 80, 1000, 32768];
            for (s, d, proto, dp, sp) in packets {
                let p = Packet {
                    src_ip: ip(addrs[s]),
                    dst_ip: ip(addrs[d]),
                    protocol: [Protocol::Tcp, Protocol::Udp, Protocol::Icmp][proto],
                    src_port: [1000u16, 32768, 50000][sp],
                    dst_port: ports[dp],
                };
                for sv in vsws {
                    for dv in vsws {
                        let fast = evaluate_path(&f.st, sv, dv, &p);
                        prop_assert_eq!((fast.allowed, fast.reply_allowed), naive_path(&f.st, sv, dv, &p), "{} -> {} {:?}", sv, dv, p);
                    }
                }
            }
        }
    }
}
