//! Test worlds for reachability: the ONE place that builds instances, security groups and
//! network ACLs. VPCs, vSwitches, peerings and routes go through `World::call`; the ECS and
//! NACL domain functions are called directly until their APIs are on the gateway (then only
//! this file changes). [`Net::apply`] executes a [`Fix`] the same way.

use crate::cloud::ecs::instance::{self, RunInstances, TagParam};
use crate::cloud::ecs::security_group::{
    self as sg, CreateSecurityGroup, Permission, SecurityGroupRules,
};
use crate::cloud::ecs::{NetRefs, OpCtx};
use crate::cloud::network_acl::{
    self as nacl, AclEntryParam, AclResourceParam, CreateNetworkAcl, NetworkAclResources,
    UpdateNetworkAclEntries,
};
use crate::cloud::packet::{Direction, Protocol};
use crate::cloud::reach::{analyze, Fix, Probe, Source, Target, Verdict};
use crate::cloud::tests as ct;
use crate::cloud::{CloudError, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) use ct::{A, B};

/// A world under construction.
pub(crate) struct Net {
    /// The world.
    pub w: World,
}

fn region_of_vpc(w: &World, vpc: &str) -> String {
    w.vpc(vpc).map(|v| v.region_id.clone()).unwrap_or_default()
}

impl Net {
    /// The §11.0 shared fixture (accounts A–E, M, the resource directory).
    pub fn new() -> Self {
        Net { w: ct::world() }
    }

    fn ctx(&self, uid: &str, region: &str) -> OpCtx {
        OpCtx::new(uid, region, self.w.now())
    }

    /// CreateVpc → (vpc, system table).
    pub fn vpc(&mut self, uid: &str, region: &str, cidr: &str) -> (String, String) {
        ct::mk_vpc(&mut self.w, uid, region, cidr)
    }

    /// CreateVSwitch in zone `<region>-h`.
    pub fn vsw(&mut self, uid: &str, vpc: &str, cidr: &str) -> String {
        let region = region_of_vpc(&self.w, vpc);
        let zone = format!("{region}-h");
        ct::mk_vsw(&mut self.w, uid, &region, vpc, &zone, cidr)
    }

    /// CreateSecurityGroup (`normal` or `enterprise`).
    pub fn sg(&mut self, uid: &str, vpc: &str, kind: &str) -> String {
        let c = self.ctx(uid, &region_of_vpc(&self.w, vpc));
        let w = &mut self.w;
        let net = NetRefs {
            vpcs: &w.vpcs,
            vswitches: &w.vswitches,
        };
        sg::create_security_group(
            &mut w.ecs,
            &net,
            &mut w.ids,
            &c,
            &CreateSecurityGroup {
                vpc_id: Some(vpc.into()),
                security_group_type: Some(kind.into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("CreateSecurityGroup: {e}"))
    }

    /// AuthorizeSecurityGroup(Egress) with one permission; returns the rule id.
    pub fn rule(&mut self, sg_id: &str, d: Direction, perm: Permission) -> String {
        let g = &self.w.ecs.security_groups[sg_id];
        let c = self.ctx(&g.owner_uid.clone(), &g.region_id.clone());
        let w = &mut self.w;
        sg::authorize(
            &mut w.ecs,
            &mut w.ids,
            &c,
            d,
            &SecurityGroupRules {
                security_group_id: sg_id.into(),
                permissions: vec![perm],
            },
        )
        .unwrap_or_else(|e| panic!("Authorize: {e}"))
        .pop()
        .unwrap_or_default()
    }

    /// RunInstances in `vsw` with `groups`, at `ip` (or the lowest free), listening on `listening`.
    pub fn vm(
        &mut self,
        uid: &str,
        vsw: &str,
        groups: &[&str],
        ip: Option<&str>,
        listening: &str,
    ) -> String {
        let region = self
            .w
            .vswitch(vsw)
            .map(|s| s.region_id.clone())
            .unwrap_or_default();
        let c = self.ctx(uid, &region);
        let w = &mut self.w;
        let net = NetRefs {
            vpcs: &w.vpcs,
            vswitches: &w.vswitches,
        };
        let mut tags = Vec::new();
        if !listening.is_empty() {
            tags.push(TagParam::new(instance::LISTENING_TAG, listening));
        }
        let out = instance::run_instances(
            &mut w.ecs,
            &net,
            &mut w.ids,
            &c,
            &RunInstances {
                vswitch_id: Some(vsw.into()),
                security_group_ids: groups.iter().map(|s| s.to_string()).collect(),
                private_ip_address: ip.map(str::to_string),
                tags,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("RunInstances: {e}"));
        out.instance_ids[0].clone()
    }

    /// StopInstance.
    pub fn stop(&mut self, id: &str) {
        let i = &self.w.ecs.instances[id];
        let c = self.ctx(&i.owner_uid.clone(), &i.region_id.clone());
        instance::stop_instance(&mut self.w.ecs, &c, id).unwrap_or_else(|e| panic!("Stop: {e}"));
    }

    /// CreateVpcPeerConnection (same-account peerings are `Activated` at once).
    pub fn peer(&mut self, uid: &str, vpc: &str, acc_uid: &str, acc_vpc: &str) -> String {
        let (r, ar) = (region_of_vpc(&self.w, vpc), region_of_vpc(&self.w, acc_vpc));
        ct::peer_ok(&mut self.w, uid, &r, vpc, acc_uid, &ar, acc_vpc)
    }

    /// AcceptVpcPeerConnection.
    pub fn accept(&mut self, uid: &str, pcc: &str) {
        ct::ok(
            &mut self.w,
            uid,
            "AcceptVpcPeerConnection",
            json!({"InstanceId": pcc}),
        );
    }

    /// CreateRouteEntry `dest → pcc` in `table`.
    pub fn route(&mut self, table: &str, dest: &str, pcc: &str) -> Result<String, CloudError> {
        let t = self
            .w
            .route_table(table)
            .cloned()
            .unwrap_or_else(|| panic!("no table {table}"));
        ct::route(&mut self.w, &t.owner_uid, &t.region_id, table, dest, pcc)
            .map(|v| v["RouteEntryId"].as_str().unwrap_or_default().to_string())
    }

    /// DeleteRouteEntry by id.
    pub fn unroute(&mut self, table: &str, entry: &str) {
        let t = self
            .w
            .route_table(table)
            .cloned()
            .unwrap_or_else(|| panic!("no table {table}"));
        ct::ok(
            &mut self.w,
            &t.owner_uid,
            "DeleteRouteEntry",
            json!({"RegionId": t.region_id, "RouteTableId": table, "RouteEntryId": entry}),
        );
    }

    /// CreateNetworkAcl in `vpc`, associated with `vswitches`, with the given entries
    /// (`(policy, protocol, cidr, port)`).
    pub fn acl(
        &mut self,
        vpc: &str,
        vswitches: &[&str],
        ingress: &[(&str, &str, &str, &str)],
        egress: &[(&str, &str, &str, &str)],
    ) -> String {
        let owner = self
            .w
            .vpc(vpc)
            .map(|v| v.owner_uid.clone())
            .unwrap_or_default();
        let c = self.ctx(&owner, &region_of_vpc(&self.w, vpc));
        let w = &mut self.w;
        let net = NetRefs {
            vpcs: &w.vpcs,
            vswitches: &w.vswitches,
        };
        let id = nacl::create_network_acl(
            &mut w.nacl,
            &net,
            &mut w.ids,
            &c,
            &CreateNetworkAcl {
                vpc_id: Some(vpc.into()),
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("CreateNetworkAcl: {e}"));
        let conv = |v: &[(&str, &str, &str, &str)]| {
            v.iter()
                .map(|(a, b, c, d)| AclEntryParam::new(a, b, c, d))
                .collect::<Vec<_>>()
        };
        nacl::update_network_acl_entries(
            &mut w.nacl,
            &net,
            &mut w.ids,
            &c,
            &UpdateNetworkAclEntries {
                network_acl_id: id.clone(),
                update_ingress: true,
                ingress: conv(ingress),
                update_egress: true,
                egress: conv(egress),
            },
        )
        .unwrap_or_else(|e| panic!("UpdateNetworkAclEntries: {e}"));
        if !vswitches.is_empty() {
            nacl::associate_network_acl(
                &mut w.nacl,
                &net,
                &c,
                &NetworkAclResources {
                    network_acl_id: id.clone(),
                    resources: vswitches
                        .iter()
                        .map(|s| AclResourceParam::vswitch(s))
                        .collect(),
                },
            )
            .unwrap_or_else(|e| panic!("AssociateNetworkAcl: {e}"));
        }
        id
    }

    /// Analyses `from → to` (instances) on `proto`/`port`.
    pub fn reach(&self, from: &str, to: &str, proto: Protocol, port: Option<u16>) -> Verdict {
        self.probe(Probe {
            source: Source::Ecs {
                instance_id: from.into(),
                source_ip: None,
            },
            target: Target::Ecs {
                instance_id: to.into(),
                target_ip: None,
            },
            protocol: proto,
            source_port: None,
            target_port: port,
        })
    }

    /// Analyses a probe.
    pub fn probe(&self, p: Probe) -> Verdict {
        analyze(&self.w, &p).unwrap_or_else(|e| panic!("probe rejected: {e}"))
    }

    /// Executes a fix as its caller: VPC and peering APIs through `World::call`, ECS and NACL
    /// APIs through their domain functions with the fix's parameters decoded here.
    pub fn apply(&mut self, fix: &Fix) -> Result<(), CloudError> {
        let params = fix.params_json();
        let get = |k: &str| params.get(k).and_then(Value::as_str).map(str::to_string);
        let region = get("RegionId").unwrap_or_default();
        let c = self.ctx(&fix.caller, &region);
        match fix.action {
            "AuthorizeSecurityGroup"
            | "AuthorizeSecurityGroupEgress"
            | "RevokeSecurityGroup"
            | "RevokeSecurityGroupEgress" => {
                let d = if fix.action.ends_with("Egress") {
                    Direction::Egress
                } else {
                    Direction::Ingress
                };
                let f = |k: &str| get(&format!("Permissions.1.{k}"));
                let perm = Permission {
                    ip_protocol: f("IpProtocol"),
                    port_range: f("PortRange"),
                    source_port_range: f("SourcePortRange"),
                    cidr_ip: f("SourceCidrIp").or_else(|| f("DestCidrIp")),
                    group_id: f("SourceGroupId").or_else(|| f("DestGroupId")),
                    policy: f("Policy"),
                    priority: f("Priority"),
                    nic_type: None,
                    description: None,
                };
                let p = SecurityGroupRules {
                    security_group_id: get("SecurityGroupId").unwrap_or_default(),
                    permissions: vec![perm],
                };
                let w = &mut self.w;
                if fix.action.starts_with("Authorize") {
                    sg::authorize(&mut w.ecs, &mut w.ids, &c, d, &p).map(|_| ())
                } else {
                    sg::revoke(&mut w.ecs, &c, d, &p).map(|_| ())
                }
            }
            "StartInstance" => instance::start_instance(
                &mut self.w.ecs,
                &c,
                &get("InstanceId").unwrap_or_default(),
            ),
            "UpdateNetworkAclEntries" => {
                let list = |prefix: &str| {
                    let mut by_n: BTreeMap<usize, AclEntryParam> = BTreeMap::new();
                    for (k, v) in &params {
                        let Some(rest) = k.strip_prefix(prefix) else {
                            continue;
                        };
                        let Some((n, field)) = rest.split_once('.') else {
                            continue;
                        };
                        let Ok(n) = n.parse::<usize>() else { continue };
                        let e = by_n.entry(n).or_default();
                        let v = v.as_str().map(str::to_string);
                        match field {
                            "NetworkAclEntryId" => e.network_acl_entry_id = v,
                            "NetworkAclEntryName" => e.name = v,
                            "Description" => e.description = v,
                            "Policy" => e.policy = v,
                            "Protocol" => e.protocol = v,
                            "SourceCidrIp" | "DestinationCidrIp" => e.cidr_ip = v,
                            "Port" => e.port = v,
                            "IpVersion" => e.ip_version = v,
                            _ => {}
                        }
                    }
                    by_n.into_values().collect::<Vec<_>>()
                };
                let p = UpdateNetworkAclEntries {
                    network_acl_id: get("NetworkAclId").unwrap_or_default(),
                    update_ingress: get("UpdateIngressAclEntries").as_deref() == Some("true"),
                    ingress: list("IngressAclEntries."),
                    update_egress: get("UpdateEgressAclEntries").as_deref() == Some("true"),
                    egress: list("EgressAclEntries."),
                };
                let w = &mut self.w;
                let net = NetRefs {
                    vpcs: &w.vpcs,
                    vswitches: &w.vswitches,
                };
                nacl::update_network_acl_entries(&mut w.nacl, &net, &mut w.ids, &c, &p)
            }
            _ => ct::call(
                &mut self.w,
                &fix.caller,
                fix.action,
                Value::Object(params.clone()),
            )
            .map(|_| ()),
        }
    }
}

/// A small random world, as plain numbers (a proptest strategy draws these).
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// VPC 1 belongs to account B (else A).
    pub v1_other_account: bool,
    /// VPC 1 is in cn-beijing (else cn-hangzhou).
    pub v1_other_region: bool,
    /// VPC 2 reuses VPC 0's CIDR (overlap).
    pub v2_overlaps: bool,
    /// Per VPC pair (0–1, 0–2, 1–2): 0 none, 1 peered, 2 peered and accepted when needed.
    pub peerings: [u8; 3],
    /// Per (VPC, other VPC) 0..6: 0 none, 1 the other VPC's CIDR over the direct peering,
    /// 2 the first vSwitch's /24 only, 3 the other CIDR over some other peering of this VPC.
    pub routes: [u8; 6],
    /// Per instance (6): security-group kind 0..5.
    pub groups: [u8; 6],
    /// Per vSwitch (6): 0 no ACL, 1 allow all, 2 allow only icmp, 3 empty, 4 ingress tcp/22 only + egress all.
    pub acls: [u8; 6],
    /// Per instance: stopped.
    pub stopped: [bool; 6],
}

/// Builds a [`Plan`]: three VPCs with two vSwitches each and one instance per vSwitch.
/// Returns the instances in (VPC, vSwitch) order. Only calls that the APIs accept are made,
/// so every plan builds.
pub(crate) fn random_world(p: &Plan) -> (Net, Vec<String>) {
    let mut n = Net::new();
    let owner1 = if p.v1_other_account { B } else { A };
    let r1 = if p.v1_other_region {
        "cn-beijing"
    } else {
        "cn-hangzhou"
    };
    let specs = [
        (A, "cn-hangzhou", "10.0"),
        (owner1, r1, "10.1"),
        (
            A,
            "cn-hangzhou",
            if p.v2_overlaps { "10.0" } else { "10.2" },
        ),
    ];
    let mut vpcs = Vec::new();
    let mut tables = Vec::new();
    let mut vsws = Vec::new();
    for (uid, region, prefix) in specs {
        let (v, t) = n.vpc(uid, region, &format!("{prefix}.0.0/16"));
        for k in 1..=2 {
            vsws.push((
                uid,
                v.clone(),
                n.vsw(uid, &v, &format!("{prefix}.{k}.0/24")),
            ));
        }
        vpcs.push((uid, v));
        tables.push(t);
    }
    let vms = populate(&mut n, &vsws, p.groups, p.acls, p.stopped);
    // peerings
    let pairs = [(0usize, 1usize), (0, 2), (1, 2)];
    let mut pccs: Vec<Option<String>> = vec![None; 3];
    for (k, (a, b)) in pairs.iter().enumerate() {
        if p.peerings[k] % 3 == 0 {
            continue;
        }
        let (ua, va) = vpcs[*a].clone();
        let (ub, vb) = vpcs[*b].clone();
        let pcc = n.peer(ua, &va, ub, &vb);
        if ua != ub && p.peerings[k] % 3 == 2 {
            n.accept(ub, &pcc);
        }
        pccs[k] = Some(pcc);
    }
    let cidr = |i: usize| format!("{}.0.0/16", specs[i].2);
    let pair_of = |a: usize, b: usize| pairs.iter().position(|x| *x == (a.min(b), a.max(b)));
    let mut r = 0;
    for (a, table) in tables.iter().enumerate() {
        for (b, spec) in specs.iter().enumerate() {
            if a == b {
                continue;
            }
            let choice = p.routes[r] % 4;
            r += 1;
            let direct = pair_of(a, b).and_then(|k| pccs[k].clone());
            let active = |n: &Net, pcc: &str| {
                n.w.peering_status(pcc) == Some(crate::cloud::vpcpeer::PeerStatus::Activated)
            };
            let (dest, via) = match choice {
                1 => (cidr(b), direct),
                2 => (format!("{}.1.0/24", spec.2), direct),
                3 => {
                    let other = (0..3)
                        .find(|c| *c != a && *c != b)
                        .and_then(|c| pair_of(a, c))
                        .and_then(|k| pccs[k].clone());
                    (cidr(b), other)
                }
                _ => continue,
            };
            if let Some(pcc) = via.filter(|x| active(&n, x)) {
                // refused routes (same CIDR as a local vSwitch, duplicates) are simply not made
                let _ = n.route(table, &dest, &pcc);
            }
        }
    }
    (n, vms)
}

/// Instances (one per vSwitch, with a random kind of security group, listening on tcp/22) and
/// network ACLs of a random world.
fn populate(
    n: &mut Net,
    vsws: &[(&str, String, String)],
    groups: [u8; 6],
    acls: [u8; 6],
    stopped: [bool; 6],
) -> Vec<String> {
    let p = Lists {
        groups,
        acls,
        stopped,
    };
    // instances and groups
    let mut vms = Vec::new();
    for (i, (uid, vpc, vsw)) in vsws.iter().enumerate() {
        let g = match p.groups[i] % 5 {
            0 => {
                let g = n.sg(uid, vpc, "normal");
                n.rule(
                    &g,
                    Direction::Ingress,
                    Permission::cidr("ALL", "-1/-1", "10.0.0.0/8"),
                );
                g
            }
            1 => n.sg(uid, vpc, "normal"),
            2 => {
                let g = n.sg(uid, vpc, "enterprise");
                n.rule(
                    &g,
                    Direction::Ingress,
                    Permission::cidr("TCP", "22/22", "10.0.0.0/8"),
                );
                g
            }
            3 => {
                let g = n.sg(uid, vpc, "normal");
                n.rule(
                    &g,
                    Direction::Ingress,
                    Permission::cidr("ALL", "-1/-1", "10.0.0.0/8").priority("2"),
                );
                n.rule(
                    &g,
                    Direction::Ingress,
                    Permission::cidr("TCP", "22/22", "10.0.0.0/8").policy("drop"),
                );
                g
            }
            _ => {
                let g = n.sg(uid, vpc, "normal");
                n.rule(
                    &g,
                    Direction::Egress,
                    Permission::cidr("ICMP", "-1/-1", "0.0.0.0/0")
                        .policy("drop")
                        .priority("3"),
                );
                n.rule(
                    &g,
                    Direction::Ingress,
                    Permission::cidr("ICMP", "-1/-1", "10.0.0.0/8"),
                );
                g
            }
        };
        let vm = n.vm(uid, vsw, &[&g], None, "tcp/22");
        if p.stopped[i] {
            n.stop(&vm);
        }
        vms.push(vm);
    }
    // ACLs
    for (i, (_, vpc, vsw)) in vsws.iter().enumerate() {
        let all = ("accept", "all", "0.0.0.0/0", "-1/-1");
        match p.acls[i] % 5 {
            1 => {
                n.acl(vpc, &[vsw], &[all], &[all]);
            }
            2 => {
                n.acl(
                    vpc,
                    &[vsw],
                    &[("accept", "icmp", "0.0.0.0/0", "-1/-1")],
                    &[("accept", "icmp", "0.0.0.0/0", "-1/-1")],
                );
            }
            3 => {
                n.acl(vpc, &[vsw], &[], &[]);
            }
            4 => {
                n.acl(
                    vpc,
                    &[vsw],
                    &[("accept", "tcp", "10.0.0.0/8", "22/22")],
                    &[all],
                );
            }
            _ => {}
        }
    }
    vms
}

struct Lists {
    groups: [u8; 6],
    acls: [u8; 6],
    stopped: [bool; 6],
}

impl Net {
    /// Registers an address owned by a service (an LB VIP of a later product) in `vpc`.
    pub fn service_address(&mut self, vpc: &str, ip: &str, kind: &str, id: &str) {
        let ip = ip.parse().unwrap_or_else(|_| panic!("bad ip {ip}"));
        let owner = crate::cloud::ecs::AddressOwner::Service {
            kind: kind.into(),
            id: id.into(),
        };
        self.w
            .ecs
            .addresses
            .insert(vpc, ip, owner)
            .unwrap_or_else(|o| panic!("{ip} taken by {o:?}"));
    }

    /// Puts a peering in `status` directly (states the APIs reach only in Stepped mode or
    /// through deletion, e.g. `Updating` during ModifyVpcPeerConnection).
    pub fn force_peering_status(&mut self, pcc: &str, status: crate::cloud::vpcpeer::PeerStatus) {
        if let Some(p) = self.w.peerings.get_mut(pcc) {
            p.lifecycle.status = status;
            p.lifecycle.pending = None;
        }
    }

    /// Drops a peering from the world without touching the routes that use it.
    pub fn vanish_peering(&mut self, pcc: &str) {
        self.w.peerings.remove(pcc);
    }
}

impl Net {
    /// Sets an instance's name (RunInstances `InstanceName`).
    pub fn rename(&mut self, id: &str, name: &str) {
        if let Some(i) = self.w.ecs.instances.get_mut(id) {
            i.instance_name = name.into();
        }
    }
}

/// A small random world of VPCs joined by transit routers, as plain numbers.
#[derive(Debug, Clone)]
pub(crate) struct TrPlan {
    /// VPC 1 is in cn-beijing (else cn-hangzhou, the region of VPCs 0 and 2).
    pub v1_other_region: bool,
    /// VPC 2 reuses VPC 0's CIDR (overlap).
    pub v2_overlaps: bool,
    /// Per VPC: 0 not attached, 1 attached, 2 + associated with its TR's system table,
    /// 3 + propagated into it, 4 attached with auto publish, associated and propagated.
    pub attach: [u8; 3],
    /// The inter-region attachment (when VPC 1 is in cn-beijing): 0 none, 1 attached,
    /// 2 associated on both sides, 3 + propagated on both sides, 4 + propagated in Beijing only.
    pub peer: u8,
    /// Per (VPC, other VPC) 0..6: 0 none, 1 the other VPC's CIDR into the own attachment,
    /// 2 the other's first vSwitch /24 into it.
    pub routes: [u8; 6],
    /// 0 none, 1 a static blackhole for VPC 1's first /24 in Hangzhou's table, 2 a static route
    /// for VPC 2's CIDR to VPC 0's attachment in Hangzhou's table.
    pub statics: u8,
    /// Per instance (6): security-group kind 0..5.
    pub groups: [u8; 6],
    /// Per vSwitch (6): ACL kind 0..5.
    pub acls: [u8; 6],
    /// Per instance: stopped.
    pub stopped: [bool; 6],
}

/// Builds a [`TrPlan`] through the APIs (calls the APIs refuse are simply not made): three VPCs
/// of account A with two vSwitches each, one instance per vSwitch, a CEN with one TR per
/// region used. Returns the instances in (VPC, vSwitch) order.
pub(crate) fn random_tr_world(p: &TrPlan) -> (Net, Vec<String>) {
    let mut n = Net::new();
    let r1 = if p.v1_other_region {
        "cn-beijing"
    } else {
        "cn-hangzhou"
    };
    let specs = [
        ("cn-hangzhou", "10.0"),
        (r1, "10.1"),
        ("cn-hangzhou", if p.v2_overlaps { "10.0" } else { "10.2" }),
    ];
    let mut vpcs = Vec::new();
    let mut tables = Vec::new();
    let mut vsws: Vec<(&str, String, String)> = Vec::new();
    for (region, prefix) in specs {
        let (v, t) = n.vpc(A, region, &format!("{prefix}.0.0/16"));
        for k in 1..=2 {
            let s = n.vsw(A, &v, &format!("{prefix}.{k}.0/24"));
            vsws.push((A, v.clone(), s));
        }
        vpcs.push((v, region));
        tables.push(t);
    }
    let vms = populate(&mut n, &vsws, p.groups, p.acls, p.stopped);
    let call = |n: &mut Net, api: &str, v: Value| ct::call(&mut n.w, A, api, v).ok();
    let id = |v: Option<Value>, k: &str| v.and_then(|x| x[k].as_str().map(str::to_string));
    let cen = id(call(&mut n, "CreateCen", json!({"Name": "props"})), "CenId").expect("CreateCen");
    let mut trs: BTreeMap<&str, (String, String)> = BTreeMap::new();
    for region in ["cn-hangzhou", "cn-beijing"] {
        if region == "cn-beijing" && !p.v1_other_region {
            continue;
        }
        let tr = id(
            call(
                &mut n,
                "CreateTransitRouter",
                json!({"RegionId": region, "CenId": cen}),
            ),
            "TransitRouterId",
        )
        .expect("CreateTransitRouter");
        let table = n.w.cen.transit_routers[&tr].system_route_table_id.clone();
        trs.insert(region, (tr, table));
    }
    let link = |n: &mut Net, api: &str, att: &str, table: &str| {
        call(
            n,
            api,
            json!({"TransitRouterAttachmentId": att, "TransitRouterRouteTableId": table}),
        );
    };
    let mut atts: Vec<Option<String>> = vec![None; 3];
    for (i, (vpc, region)) in vpcs.iter().enumerate() {
        let level = p.attach[i] % 5;
        if level == 0 {
            continue;
        }
        let (tr, table) = trs[region].clone();
        let s = &vsws[2 * i].2;
        let zone =
            n.w.vswitch(s)
                .map(|x| x.zone_id.clone())
                .unwrap_or_default();
        let att = id(
            call(
                &mut n,
                "CreateTransitRouterVpcAttachment",
                json!({"RegionId": region, "TransitRouterId": tr, "VpcId": vpc,
                       "ZoneMappings.1.VSwitchId": s, "ZoneMappings.1.ZoneId": zone,
                       "AutoPublishRouteEnabled": level == 4}),
            ),
            "TransitRouterAttachmentId",
        );
        let Some(att) = att else { continue };
        if level >= 2 {
            link(
                &mut n,
                "AssociateTransitRouterAttachmentWithRouteTable",
                &att,
                &table,
            );
        }
        if level >= 3 {
            link(
                &mut n,
                "EnableTransitRouterRouteTablePropagation",
                &att,
                &table,
            );
        }
        atts[i] = Some(att);
    }
    if p.v1_other_region && p.peer % 5 > 0 {
        let bwp = id(
            call(
                &mut n,
                "CreateCenBandwidthPackage",
                json!({"Bandwidth": 10, "GeographicRegionAId": "China", "GeographicRegionBId": "China",
                       "BandwidthPackageChargeType": "PREPAY", "Period": 1, "PricingCycle": "Month"}),
            ),
            "CenBandwidthPackageId",
        )
        .expect("CreateCenBandwidthPackage");
        call(
            &mut n,
            "AssociateCenBandwidthPackage",
            json!({"CenId": cen, "CenBandwidthPackageId": bwp}),
        );
        let (hz, hzt) = trs["cn-hangzhou"].clone();
        let (bj, bjt) = trs["cn-beijing"].clone();
        let peer = id(
            call(
                &mut n,
                "CreateTransitRouterPeerAttachment",
                json!({"RegionId": "cn-hangzhou", "CenId": cen, "TransitRouterId": hz,
                       "PeerTransitRouterId": bj, "PeerTransitRouterRegionId": "cn-beijing",
                       "BandwidthType": "BandwidthPackage", "CenBandwidthPackageId": bwp, "Bandwidth": 10}),
            ),
            "TransitRouterAttachmentId",
        )
        .expect("CreateTransitRouterPeerAttachment");
        let level = p.peer % 5;
        for t in [&hzt, &bjt] {
            if level >= 2 {
                link(
                    &mut n,
                    "AssociateTransitRouterAttachmentWithRouteTable",
                    &peer,
                    t,
                );
            }
            if level == 3 || (level == 4 && t == &bjt) {
                link(&mut n, "EnableTransitRouterRouteTablePropagation", &peer, t);
            }
        }
    }
    let hz_table = trs["cn-hangzhou"].1.clone();
    match p.statics % 3 {
        1 => {
            call(
                &mut n,
                "CreateTransitRouterRouteEntry",
                json!({"TransitRouterRouteTableId": hz_table,
                       "TransitRouterRouteEntryDestinationCidrBlock": format!("{}.1.0/24", specs[1].1),
                       "TransitRouterRouteEntryNextHopType": "BlackHole"}),
            );
        }
        2 => {
            if let Some(a0) = &atts[0] {
                call(
                    &mut n,
                    "CreateTransitRouterRouteEntry",
                    json!({"TransitRouterRouteTableId": hz_table,
                           "TransitRouterRouteEntryDestinationCidrBlock": format!("{}.0.0/16", specs[2].1),
                           "TransitRouterRouteEntryNextHopType": "Attachment",
                           "TransitRouterRouteEntryNextHopId": a0}),
                );
            }
        }
        _ => {}
    }
    let mut r = 0;
    for (a, table) in tables.iter().enumerate() {
        for (b, spec) in specs.iter().enumerate() {
            if a == b {
                continue;
            }
            let choice = p.routes[r] % 3;
            r += 1;
            let dest = match choice {
                1 => format!("{}.0.0/16", spec.1),
                2 => format!("{}.1.0/24", spec.1),
                _ => continue,
            };
            if let Some(att) = &atts[a] {
                let region = vpcs[a].1;
                call(
                    &mut n,
                    "CreateRouteEntry",
                    json!({"RegionId": region, "RouteTableId": table, "DestinationCidrBlock": dest,
                           "NextHopType": "Attachment", "NextHopId": att}),
                );
            }
        }
    }
    (n, vms)
}

/// A random S2 world (§11.2 after step 11) with knobs on every check of the PrivateLink and
/// load-balancer segments, as plain numbers.
#[derive(Debug, Clone)]
pub(crate) struct PlPlan {
    /// 0 as built, 1 the endpoint SG denies (inner policy Drop, no rule).
    pub consumer_sg: u8,
    /// 0 connected, 1 connection disabled, 2 zone g disabled.
    pub connection: u8,
    /// Per backend (ECS03, ECS04): stopped.
    pub stopped: [bool; 2],
    /// Per backend: listening on tcp/80.
    pub listening: [bool; 2],
    /// Per backend: weight 0.
    pub unused: [bool; 2],
    /// Backend SG: 0 tcp/80 from 0.0.0.0/0, 1 no rule, 2 tcp/80 from 192.168.0.0/16,
    /// 3 tcp/81 only.
    pub backend_sg: u8,
    /// Per provider vSwitch (3, 4): 0 no ACL, 1 allow all, 2 deny all, 3 ingress only from
    /// 192.168.2.0/24 (egress all).
    pub acls: [u8; 2],
    /// Health checking on.
    pub health: bool,
    /// Cross-zone on.
    pub cross_zone: bool,
}

/// Builds a [`PlPlan`]: returns the net, the S2 handles.
pub(crate) fn random_pl_world(p: &PlPlan) -> (Net, crate::cloud::privatelink::tests::S2) {
    use crate::cloud::ecs::security_group::InnerAccessPolicy;
    let (w, x) = crate::cloud::privatelink::tests::s2();
    let mut n = Net { w };
    let region = "cn-hangzhou";
    if p.consumer_sg == 1 {
        let g = n.w.ecs.security_groups.get_mut(&x.sg1).expect("SG1");
        g.rules.clear();
        g.inner_access_policy = InnerAccessPolicy::Drop;
    }
    let conn = json!({"RegionId": region, "ServiceId": x.epsrv, "EndpointId": x.ep});
    match p.connection {
        1 => {
            ct::call(&mut n.w, A, "DisableVpcEndpointConnection", conn).expect("disable");
        }
        2 => {
            let mut z = conn;
            z["ZoneId"] = json!("cn-hangzhou-g");
            ct::call(&mut n.w, A, "DisableVpcEndpointZoneConnection", z).expect("zone");
        }
        _ => {}
    }
    let backends = [x.ecs[2].clone(), x.ecs[3].clone()];
    for (i, b) in backends.iter().enumerate() {
        if p.stopped[i] {
            n.stop(b);
        }
        if !p.listening[i] {
            n.w.ecs
                .instances
                .get_mut(b.as_str())
                .expect("backend")
                .listening
                .clear();
        }
    }
    let vpc2 = n.w.ecs.instances[backends[0].as_str()].vpc_id.clone();
    let sg2 = n.w.ecs.instances[backends[0].as_str()].security_group_ids[0].clone();
    if p.backend_sg != 0 {
        n.w.ecs
            .security_groups
            .get_mut(sg2.as_str())
            .expect("SG2")
            .rules
            .clear();
        match p.backend_sg {
            2 => {
                n.rule(
                    &sg2,
                    Direction::Ingress,
                    Permission::cidr("TCP", "80/80", "192.168.0.0/16"),
                );
            }
            3 => {
                n.rule(
                    &sg2,
                    Direction::Ingress,
                    Permission::cidr("TCP", "81/81", "0.0.0.0/0"),
                );
            }
            _ => {}
        }
    }
    let vsws: Vec<String> = backends
        .iter()
        .map(|b| n.w.ecs.instances[b.as_str()].vswitch_id.to_string())
        .collect();
    let all = ("accept", "all", "0.0.0.0/0", "-1/-1");
    for (i, v) in vsws.iter().enumerate() {
        match p.acls[i] {
            1 => {
                n.acl(&vpc2, &[v], &[all], &[all]);
            }
            2 => {
                n.acl(&vpc2, &[v], &[], &[]);
            }
            3 => {
                n.acl(
                    &vpc2,
                    &[v],
                    &[("accept", "all", "192.168.2.0/24", "-1/-1")],
                    &[all],
                );
            }
            _ => {}
        }
    }
    for g in n.w.nlb.server_groups.values_mut() {
        g.health_check.enabled = p.health;
        for (i, b) in backends.iter().enumerate() {
            if p.unused[i] {
                if let Some(s) = g.servers.iter_mut().find(|s| &s.server_id == b) {
                    s.weight = 0;
                }
            }
        }
    }
    for l in n.w.nlb.load_balancers.values_mut() {
        l.cross_zone_enabled = p.cross_zone;
    }
    (n, x)
}
