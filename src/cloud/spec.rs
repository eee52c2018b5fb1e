//! Declarative world description (`WorldSpec`, JSON) and the builder (§11.0).

use crate::cloud::account::{valid_uid, Account, Site};
use crate::cloud::directory::{Folder, Member, ResourceDirectory};
use crate::cloud::error::CloudError;
use crate::cloud::ids::valid_id;
use crate::cloud::operation::{CreateVSwitch, CreateVpc, Operation};
use crate::cloud::options::CloudOptions;
use crate::cloud::time::Timestamp;
use crate::cloud::vpc::parse_strict_v4;
use crate::cloud::world::{CallContext, World, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

fn yes() -> bool {
    true
}
fn default_start() -> Timestamp {
    // §11 conventions: T0 = 2025-01-01T00:00:00Z
    Timestamp(1_735_689_600)
}
fn default_schema() -> u32 {
    SCHEMA_VERSION
}
fn china() -> Site {
    Site::China
}

/// Errors building a world from a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The JSON did not match the schema (unknown field, wrong type, …).
    #[error("world spec is not valid JSON for the schema: {0}")]
    Parse(String),
    /// A semantic rule of the spec was violated.
    #[error("world spec invalid at {path}: {message}")]
    Invalid {
        /// Where (e.g. `accounts[2].uid`).
        path: String,
        /// What.
        message: String,
    },
    /// An initial VPC or vSwitch was rejected by the API rules.
    #[error("world spec {path}: {error}")]
    Api {
        /// Where.
        path: String,
        /// The API error.
        error: CloudError,
    },
}

/// Folder levels allowed below the root folder: "A maximum of five levels of folders can be
/// created under the Root folder" (Resource Management, CreateFolder).
pub const MAX_FOLDER_DEPTH: usize = 5;

fn invalid(path: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// An account (§1.1). Flags default as in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// Decimal uid.
    pub uid: String,
    /// Optional alias used by tests (`A`, `B`, …).
    #[serde(default)]
    pub alias: Option<String>,
    /// Site (default China).
    #[serde(default = "china")]
    pub site: Site,
    /// CDT activated (default false).
    #[serde(default)]
    pub cdt_enabled: bool,
    /// Cross-border CDT (default false).
    #[serde(default)]
    pub cross_border_cdt_enabled: bool,
    /// Cross-border qualification (default false).
    #[serde(default)]
    pub cross_border_qualified: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub privatelink_opened: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub tr_service_opened: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub nis_opened: bool,
    /// Default false.
    #[serde(default)]
    pub overdue: bool,
    /// Default true.
    #[serde(default = "yes")]
    pub payer_whitelisted: bool,
    /// Default false.
    #[serde(default)]
    pub svc_res_mgt_enabled: bool,
    /// Resource groups (`rg-…`); when empty a default group id is generated.
    #[serde(default)]
    pub resource_groups: Vec<String>,
}

/// A folder of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderSpec {
    /// `fd-…`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent `r-…` or `fd-…` (default: the root).
    #[serde(default)]
    pub parent: Option<String>,
}

/// A member placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberSpec {
    /// Account uid (must be declared in `accounts`).
    pub uid: String,
    /// Folder `r-…`/`fd-…` (default: the root).
    #[serde(default)]
    pub folder: Option<String>,
    /// `CloudAccount` (default) | `ResourceAccount`.
    #[serde(default)]
    pub account_type: Option<String>,
    /// `invited` (default) | `created`.
    #[serde(default)]
    pub join_method: Option<String>,
}

/// The resource directory (§1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySpec {
    /// `rd-…`.
    pub id: String,
    /// `r-…`.
    pub root_folder_id: String,
    /// Management account uid (placed under the root unless listed in `members`).
    pub management_account: String,
    /// Folders, any order; they nest through `parent`.
    #[serde(default)]
    pub folders: Vec<FolderSpec>,
    /// Member placements.
    #[serde(default)]
    pub members: Vec<MemberSpec>,
}

/// An initial vSwitch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VSwitchSpec {
    /// Zone id.
    pub zone_id: String,
    /// CIDR.
    pub cidr_block: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
}

/// An initial VPC, created through the CreateVpc/CreateVSwitch rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VpcSpec {
    /// Owner uid.
    pub owner: String,
    /// Region.
    pub region_id: String,
    /// Primary CIDR.
    pub cidr_block: String,
    /// Name (also the handle tests use with `World::vpc_by_name`).
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Secondary CIDRs (fixture-only, §2.5).
    #[serde(default)]
    pub secondary_cidr_blocks: Vec<String>,
    /// Accounts the VPC is shared with (same RD, §2.6).
    #[serde(default)]
    pub shared_with: Vec<String>,
    /// vSwitches.
    #[serde(default)]
    pub vswitches: Vec<VSwitchSpec>,
}

/// One rule of a declared security group (§7.3), as AuthorizeSecurityGroup(Egress) takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgRuleSpec {
    /// `IpProtocol`: `tcp`, `udp`, `icmp`, `icmpv6`, `gre`, `all` (any case).
    pub protocol: String,
    /// `PortRange` (default `-1/-1`, the value for protocols without ports).
    #[serde(default)]
    pub port_range: Option<String>,
    /// `SourcePortRange` (five-tuple rules).
    #[serde(default)]
    pub source_port_range: Option<String>,
    /// The peer CIDR block or address (`SourceCidrIp` / `DestCidrIp`).
    #[serde(default)]
    pub cidr: Option<String>,
    /// The peer group (`SourceGroupId` / `DestGroupId`), by the `name` of a security group
    /// declared in the same file by the same owner.
    #[serde(default)]
    pub group: Option<String>,
    /// `accept` (default) | `drop`.
    #[serde(default)]
    pub policy: Option<String>,
    /// 1–100 (default 1).
    #[serde(default)]
    pub priority: Option<u32>,
    /// Rule description.
    #[serde(default)]
    pub description: Option<String>,
}

/// An initial security group (§7.3), created through CreateSecurityGroup and its rules through
/// AuthorizeSecurityGroup / AuthorizeSecurityGroupEgress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroupSpec {
    /// Owner uid.
    pub owner: String,
    /// The VPC, by the `name` of one of the owner's VPCs declared in `vpcs` (the group's
    /// region is the VPC's).
    pub vpc: String,
    /// `SecurityGroupName`; also the handle rules use in `group` (unique per owner).
    pub name: String,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `SecurityGroupType`: `normal` (default, basic) | `enterprise`.
    #[serde(default, rename = "type")]
    pub group_type: Option<String>,
    /// `InnerAccessPolicy` of a basic group: `Accept` (default) | `Drop`.
    #[serde(default)]
    pub inner_access_policy: Option<String>,
    /// Ingress rules.
    #[serde(default)]
    pub ingress: Vec<SgRuleSpec>,
    /// Egress rules.
    #[serde(default)]
    pub egress: Vec<SgRuleSpec>,
}

/// One entry of a declared network ACL (§7.4), as UpdateNetworkAclEntries takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclEntrySpec {
    /// `accept` | `drop`.
    pub policy: String,
    /// `tcp`, `udp`, `icmp`, `gre`, `all`, `icmpv6`.
    pub protocol: String,
    /// `SourceCidrIp` (ingress) / `DestinationCidrIp` (egress).
    pub cidr: String,
    /// `Port` (default `-1/-1`, the value for protocols without ports).
    #[serde(default)]
    pub port: Option<String>,
    /// `NetworkAclEntryName`.
    #[serde(default)]
    pub name: Option<String>,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
}

/// An initial network ACL (§7.4), created through CreateNetworkAcl, its entries set through
/// UpdateNetworkAclEntries and its vSwitches bound through AssociateNetworkAcl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkAclSpec {
    /// Owner uid.
    pub owner: String,
    /// The VPC, by the `name` of one of the owner's VPCs declared in `vpcs`.
    pub vpc: String,
    /// `NetworkAclName`.
    #[serde(default)]
    pub name: Option<String>,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// Ingress entries, in priority order.
    #[serde(default)]
    pub ingress: Vec<AclEntrySpec>,
    /// Egress entries, in priority order.
    #[serde(default)]
    pub egress: Vec<AclEntrySpec>,
    /// Associated vSwitches of the VPC, each by its `name` or its CIDR block.
    #[serde(default)]
    pub vswitches: Vec<String>,
}

/// A whole world description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// Must equal [`SCHEMA_VERSION`].
    #[serde(default = "default_schema")]
    pub schema_version: u32,
    /// Scenario start (default `2025-01-01T00:00:00Z`).
    #[serde(default = "default_start")]
    pub start_time: Timestamp,
    /// Id generator seed (default 0).
    #[serde(default)]
    pub id_seed: u64,
    /// Options (defaults per spec).
    #[serde(default)]
    pub options: CloudOptions,
    /// Accounts.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    /// Resource directory.
    #[serde(default)]
    pub resource_directory: Option<DirectorySpec>,
    /// Zone list overrides per region.
    #[serde(default)]
    pub zones: BTreeMap<String, Vec<String>>,
    /// Initial VPCs.
    #[serde(default)]
    pub vpcs: Vec<VpcSpec>,
    /// Initial security groups (built after every VPC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<SecurityGroupSpec>,
    /// Initial network ACLs (built after the security groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_acls: Vec<NetworkAclSpec>,
    /// Initial ECS instances, built last (see `cloud::ecs::world_spec`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<crate::cloud::ecs::world_spec::InstanceSpec>,
    /// Initial CEN instances with their transit routers, built after the instances (see
    /// `cloud::cen::world_spec`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cens: Vec<crate::cloud::cen::world_spec::CenSpec>,
}

impl WorldSpec {
    /// Parses JSON; unknown fields are rejected.
    pub fn from_json(s: &str) -> Result<WorldSpec, SpecError> {
        serde_json::from_str(s).map_err(|e| SpecError::Parse(e.to_string()))
    }

    /// Builds the world.
    pub fn build(&self) -> Result<World, SpecError> {
        World::from_spec(self)
    }
}

impl World {
    /// Builds a world from a spec; deterministic for a given spec.
    pub fn from_spec(spec: &WorldSpec) -> Result<World, SpecError> {
        if spec.schema_version != SCHEMA_VERSION {
            return Err(invalid(
                "schema_version",
                format!(
                    "unsupported version {}, expected {SCHEMA_VERSION}",
                    spec.schema_version
                ),
            ));
        }
        let mut w = World::empty(spec.options.clone(), spec.start_time, spec.id_seed);
        let mut aliases = BTreeSet::new();
        for (i, a) in spec.accounts.iter().enumerate() {
            let path = format!("accounts[{i}]");
            if !valid_uid(&a.uid) {
                return Err(invalid(
                    format!("{path}.uid"),
                    format!("{:?} is not a decimal account id", a.uid),
                ));
            }
            if w.accounts.contains_key(&a.uid) {
                return Err(invalid(
                    format!("{path}.uid"),
                    format!("duplicate account {}", a.uid),
                ));
            }
            if let Some(al) = &a.alias {
                if !aliases.insert(al.clone()) {
                    return Err(invalid(
                        format!("{path}.alias"),
                        format!("duplicate alias {al}"),
                    ));
                }
            }
            for (j, rg) in a.resource_groups.iter().enumerate() {
                if !valid_id(rg, "rg", false) {
                    return Err(invalid(
                        format!("{path}.resource_groups[{j}]"),
                        format!("{rg:?} is not an rg- id"),
                    ));
                }
            }
            let mut groups = a.resource_groups.clone();
            if groups.is_empty() {
                groups.push(w.ids.next("rg", "acf"));
            }
            w.accounts.insert(
                a.uid.clone(),
                Account {
                    uid: a.uid.clone(),
                    alias: a.alias.clone(),
                    site: a.site,
                    cdt_enabled: a.cdt_enabled,
                    cross_border_cdt_enabled: a.cross_border_cdt_enabled,
                    cross_border_qualified: a.cross_border_qualified,
                    privatelink_opened: a.privatelink_opened,
                    tr_service_opened: a.tr_service_opened,
                    nis_opened: a.nis_opened,
                    overdue: a.overdue,
                    payer_whitelisted: a.payer_whitelisted,
                    svc_res_mgt_enabled: a.svc_res_mgt_enabled,
                    resource_groups: groups,
                },
            );
        }
        if let Some(d) = &spec.resource_directory {
            w.directory = Some(build_directory(&w, d, spec.start_time)?);
        }
        for (region, zones) in &spec.zones {
            if w.region(region).is_none() {
                return Err(invalid(format!("zones.{region}"), "unknown region"));
            }
            for z in zones {
                if !z.starts_with(&format!("{region}-")) {
                    return Err(invalid(
                        format!("zones.{region}"),
                        format!("zone {z} does not belong to the region"),
                    ));
                }
            }
            w.zones.insert(region.clone(), zones.clone());
        }
        // Each VPC goes through the CreateVpc/CreateVSwitch rules, whose checks scan the
        // world's VPCs, vSwitches and route entries (the VPC quota count, vSwitch overlaps,
        // settling). Finished VPCs are parked outside the world meanwhile, so each VPC's build
        // sees only its own objects and the whole build stays linear in the world's size; the
        // VPC quota per account and region, the one rule across VPCs, is counted here.
        let mut parked = Parked::default();
        let mut per_owner_region: BTreeMap<(&str, &str), u32> = BTreeMap::new();
        let quota = w.options.quotas.vpcs_per_account_region;
        for (i, v) in spec.vpcs.iter().enumerate() {
            if w.accounts.contains_key(&v.owner) {
                let n = per_owner_region
                    .entry((v.owner.as_str(), v.region_id.as_str()))
                    .or_default();
                if *n >= quota {
                    return Err(SpecError::Api {
                        path: format!("vpcs[{i}]"),
                        error: CloudError::bad(
                            "QuotaExceeded.Vpc",
                            "The number of VPCs exceeds the quota.",
                        ),
                    });
                }
                *n += 1;
            }
            build_vpc(&mut w, i, v, spec.start_time)?;
            parked.take_from(&mut w);
        }
        parked.restore(&mut w);
        w.settle();
        build_security_groups(&mut w, &spec.security_groups, spec.start_time)?;
        build_network_acls(&mut w, &spec.network_acls, spec.start_time)?;
        crate::cloud::ecs::world_spec::build_instances(&mut w, &spec.instances, spec.start_time)?;
        crate::cloud::cen::world_spec::build_cens(&mut w, &spec.cens, spec.start_time)?;
        w.settle();
        // The build itself emits no platform events.
        w.service_events.clear();
        Ok(w)
    }
}

fn build_directory(
    w: &World,
    d: &DirectorySpec,
    t: Timestamp,
) -> Result<ResourceDirectory, SpecError> {
    let p = "resource_directory";
    if !valid_id(&d.id, "rd", true) {
        return Err(invalid(
            format!("{p}.id"),
            format!("{:?} is not an rd- id", d.id),
        ));
    }
    if !valid_id(&d.root_folder_id, "r", true) {
        return Err(invalid(
            format!("{p}.root_folder_id"),
            format!("{:?} is not an r- id", d.root_folder_id),
        ));
    }
    if !w.accounts.contains_key(&d.management_account) {
        return Err(invalid(
            format!("{p}.management_account"),
            format!("unknown account {}", d.management_account),
        ));
    }
    let mut rd = ResourceDirectory {
        resource_directory_id: d.id.clone(),
        root_folder_id: d.root_folder_id.clone(),
        master_account_id: d.management_account.clone(),
        create_time: t,
        folders: BTreeMap::new(),
        members: BTreeMap::new(),
    };
    for (i, f) in d.folders.iter().enumerate() {
        if !valid_id(&f.id, "fd", true) {
            return Err(invalid(
                format!("{p}.folders[{i}].id"),
                format!("{:?} is not an fd- id", f.id),
            ));
        }
        if rd.folders.contains_key(&f.id) {
            return Err(invalid(
                format!("{p}.folders[{i}].id"),
                format!("duplicate folder {}", f.id),
            ));
        }
        rd.folders.insert(
            f.id.clone(),
            Folder {
                folder_id: f.id.clone(),
                folder_name: f.name.clone(),
                parent_folder_id: f.parent.clone().unwrap_or_else(|| d.root_folder_id.clone()),
            },
        );
    }
    for (i, f) in d.folders.iter().enumerate() {
        let parent = f.parent.clone().unwrap_or_else(|| d.root_folder_id.clone());
        if parent != d.root_folder_id && !rd.folders.contains_key(&parent) {
            return Err(invalid(
                format!("{p}.folders[{i}].parent"),
                format!("unknown folder {parent}"),
            ));
        }
        // At most MAX_FOLDER_DEPTH + 1 steps up per folder: linear in the number of folders.
        if folder_depth(&rd, &f.id, MAX_FOLDER_DEPTH).is_none() {
            let message = if folder_depth(&rd, &f.id, rd.folders.len()).is_none() {
                format!("folder {} is part of a nesting cycle", f.id)
            } else {
                format!(
                    "folder {} ({}) is nested more than {MAX_FOLDER_DEPTH} levels below the root folder; a Resource Directory allows at most {MAX_FOLDER_DEPTH}",
                    f.id, f.name
                )
            };
            return Err(invalid(format!("{p}.folders[{i}]"), message));
        }
    }
    let mut placements: Vec<(String, String, String, String)> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    for (i, m) in d.members.iter().enumerate() {
        if !w.accounts.contains_key(&m.uid) {
            return Err(invalid(
                format!("{p}.members[{i}].uid"),
                format!("unknown account {}", m.uid),
            ));
        }
        let folder = m.folder.clone().unwrap_or_else(|| d.root_folder_id.clone());
        if folder != d.root_folder_id && !rd.folders.contains_key(&folder) {
            return Err(invalid(
                format!("{p}.members[{i}].folder"),
                format!("unknown folder {folder}"),
            ));
        }
        if !placed.insert(m.uid.as_str()) {
            return Err(invalid(
                format!("{p}.members[{i}].uid"),
                format!("account {} placed twice", m.uid),
            ));
        }
        placements.push((
            m.uid.clone(),
            folder,
            m.account_type
                .clone()
                .unwrap_or_else(|| "CloudAccount".into()),
            m.join_method.clone().unwrap_or_else(|| "invited".into()),
        ));
    }
    // The management account is a member; ASSUMED directly under the root (§1.2).
    if !placed.contains(d.management_account.as_str()) {
        placements.push((
            d.management_account.clone(),
            d.root_folder_id.clone(),
            "CloudAccount".into(),
            "created".into(),
        ));
    }
    for (uid, folder, account_type, join_method) in placements {
        let status = if join_method == "created" {
            "CreateSuccess"
        } else {
            "InviteSuccess"
        };
        rd.members.insert(
            uid.clone(),
            Member {
                account_id: uid,
                folder_id: folder,
                account_type,
                join_method,
                status: status.into(),
            },
        );
    }
    Ok(rd)
}

/// Network objects of VPCs already built, kept out of the world while the next one is built.
#[derive(Default)]
struct Parked {
    vpcs: BTreeMap<String, crate::cloud::vpc::Vpc>,
    vswitches: BTreeMap<String, crate::cloud::vpc::VSwitch>,
    route_tables: BTreeMap<String, crate::cloud::vpc::route::RouteTable>,
    route_entries: BTreeMap<String, crate::cloud::vpc::route::RouteEntry>,
}

impl Parked {
    /// Moves the world's VPC objects here (the few of the VPC just built: O(log n) each).
    fn take_from(&mut self, w: &mut World) {
        self.vpcs.extend(std::mem::take(&mut w.vpcs));
        self.vswitches.extend(std::mem::take(&mut w.vswitches));
        self.route_tables
            .extend(std::mem::take(&mut w.route_tables));
        self.route_entries
            .extend(std::mem::take(&mut w.route_entries));
        // The maps were moved out behind the lookup index's back.
        w.index.invalidate();
        w.cen.invalidate_derived();
    }

    /// Puts everything back (the world's own maps are empty after the last `take_from`).
    fn restore(self, w: &mut World) {
        w.vpcs = self.vpcs.into();
        w.vswitches = self.vswitches.into();
        w.route_tables = self.route_tables.into();
        w.route_entries = self.route_entries.into();
        w.index.invalidate();
        // The CEN route tables read the vSwitches that were parked.
        w.cen.invalidate_derived();
    }
}

/// Levels of `folder` below the root (1 for a child of the root), walking at most `max`
/// steps up; `None` when the root is not reached within `max` levels.
fn folder_depth(rd: &ResourceDirectory, folder: &str, max: usize) -> Option<usize> {
    let mut cur = folder;
    for depth in 1..=max {
        let parent = rd.folders.get(cur)?.parent_folder_id.as_str();
        if parent == rd.root_folder_id {
            return Some(depth);
        }
        cur = parent;
    }
    None
}

fn build_vpc(w: &mut World, i: usize, v: &VpcSpec, t: Timestamp) -> Result<(), SpecError> {
    let path = format!("vpcs[{i}]");
    if !w.accounts.contains_key(&v.owner) {
        return Err(invalid(
            format!("{path}.owner"),
            format!("unknown account {}", v.owner),
        ));
    }
    let ctx = CallContext {
        caller_account: v.owner.clone(),
        time: t,
        request_id: format!("spec-vpc-{i}"),
    };
    let op = Operation::CreateVpc(CreateVpc {
        region_id: v.region_id.clone(),
        cidr_block: Some(v.cidr_block.clone()),
        vpc_name: v.name.clone(),
        description: v.description.clone(),
        user_cidr: None,
        enable_ipv6: false,
        ipv6_cidr_block: None,
        resource_group_id: None,
        dry_run: false,
        client_token: None,
    });
    let resp = w.execute(&ctx, &op).map_err(|error| SpecError::Api {
        path: path.clone(),
        error,
    })?;
    let vpc_id = resp
        .get("VpcId")
        .and_then(|x| x.as_str())
        .map(str::to_string)
        .ok_or_else(|| invalid(&path, "CreateVpc returned no VpcId"))?;
    let mut secondary = Vec::new();
    for (j, c) in v.secondary_cidr_blocks.iter().enumerate() {
        secondary.push(parse_strict_v4(c).ok_or_else(|| {
            invalid(
                format!("{path}.secondary_cidr_blocks[{j}]"),
                format!("bad CIDR {c}"),
            )
        })?);
    }
    for (j, u) in v.shared_with.iter().enumerate() {
        let same_rd = w.rd_id(u).is_some() && w.rd_id(u) == w.rd_id(&v.owner);
        if !same_rd {
            return Err(invalid(
                format!("{path}.shared_with[{j}]"),
                format!("{u} is not in the owner's resource directory"),
            ));
        }
    }
    w.set_vpc_sharing(&vpc_id, secondary, v.shared_with.clone());
    // Initial resources are settled even in Stepped mode.
    w.settle();
    for (j, s) in v.vswitches.iter().enumerate() {
        let op = Operation::CreateVSwitch(CreateVSwitch {
            region_id: v.region_id.clone(),
            zone_id: s.zone_id.clone(),
            vpc_id: vpc_id.clone(),
            cidr_block: s.cidr_block.clone(),
            vswitch_name: s.name.clone(),
            description: None,
            dry_run: false,
            client_token: None,
        });
        w.execute(&ctx, &op).map_err(|error| SpecError::Api {
            path: format!("{path}.vswitches[{j}]"),
            error,
        })?;
        w.settle();
    }
    Ok(())
}

/// The id of `owner`'s VPC named `name`, else an error at `path`.
fn vpc_named(w: &World, owner: &str, name: &str, path: &str) -> Result<String, SpecError> {
    if !w.accounts.contains_key(owner) {
        return Err(invalid(
            format!("{path}.owner"),
            format!("unknown account {owner}"),
        ));
    }
    w.vpc_by_name(owner, name)
        .map(|v| v.vpc_id.clone())
        .ok_or_else(|| {
            invalid(
                format!("{path}.vpc"),
                format!("account {owner} declares no VPC named {name:?} in `vpcs`"),
            )
        })
}

/// Runs one API call of the build for `owner`, naming `path` on failure.
fn build_call(
    w: &mut World,
    owner: &str,
    t: Timestamp,
    path: &str,
    op: Operation,
) -> Result<serde_json::Value, SpecError> {
    let ctx = CallContext {
        caller_account: owner.to_string(),
        time: t,
        request_id: format!("spec-{path}"),
    };
    w.execute(&ctx, &op).map_err(|error| SpecError::Api {
        path: path.to_string(),
        error,
    })
}

/// Security groups first (so rules may name groups declared later), then their policies and
/// rules, one AuthorizeSecurityGroup(Egress) call per rule so an error names its rule.
fn build_security_groups(
    w: &mut World,
    groups: &[SecurityGroupSpec],
    t: Timestamp,
) -> Result<(), SpecError> {
    use crate::cloud::ecs::security_group as sg;
    use crate::cloud::operation::{
        AuthorizeSecurityGroup, AuthorizeSecurityGroupEgress, CreateSecurityGroup,
        ModifySecurityGroupPolicy,
    };
    let mut ids: BTreeMap<(&str, &str), (String, String)> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let path = format!("security_groups[{i}]");
        let vpc_id = vpc_named(w, &g.owner, &g.vpc, &path)?;
        let region = w
            .vpc(&vpc_id)
            .map(|v| v.region_id.clone())
            .unwrap_or_default();
        if ids.contains_key(&(g.owner.as_str(), g.name.as_str())) {
            return Err(invalid(
                format!("{path}.name"),
                format!(
                    "account {} declares two security groups named {:?}",
                    g.owner, g.name
                ),
            ));
        }
        let op = Operation::CreateSecurityGroup(CreateSecurityGroup {
            region_id: region.clone(),
            params: sg::CreateSecurityGroup {
                vpc_id: Some(vpc_id),
                security_group_name: Some(g.name.clone()),
                description: g.description.clone(),
                security_group_type: g.group_type.clone(),
            },
            client_token: None,
        });
        let resp = build_call(w, &g.owner, t, &path, op)?;
        let id = resp
            .get("SecurityGroupId")
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| invalid(&path, "CreateSecurityGroup returned no SecurityGroupId"))?;
        ids.insert((g.owner.as_str(), g.name.as_str()), (region, id));
    }
    for (i, g) in groups.iter().enumerate() {
        let path = format!("security_groups[{i}]");
        let Some((region, id)) = ids.get(&(g.owner.as_str(), g.name.as_str())).cloned() else {
            continue;
        };
        if let Some(policy) = &g.inner_access_policy {
            let op = Operation::ModifySecurityGroupPolicy(ModifySecurityGroupPolicy {
                region_id: region.clone(),
                security_group_id: id.clone(),
                inner_access_policy: policy.clone(),
                client_token: None,
            });
            build_call(w, &g.owner, t, &format!("{path}.inner_access_policy"), op)?;
        }
        for (dir, rules) in [("ingress", &g.ingress), ("egress", &g.egress)] {
            for (j, r) in rules.iter().enumerate() {
                let rpath = format!("{path}.{dir}[{j}]");
                let group_id = match &r.group {
                    None => None,
                    Some(name) => Some(
                        ids.get(&(g.owner.as_str(), name.as_str()))
                            .map(|(_, peer)| peer.clone())
                            .ok_or_else(|| {
                                invalid(
                                    format!("{rpath}.group"),
                                    format!(
                                        "account {} declares no security group named {name:?}",
                                        g.owner
                                    ),
                                )
                            })?,
                    ),
                };
                let rules = sg::SecurityGroupRules {
                    security_group_id: id.clone(),
                    permissions: vec![sg::Permission {
                        ip_protocol: Some(r.protocol.clone()),
                        port_range: Some(r.port_range.clone().unwrap_or_else(|| "-1/-1".into())),
                        source_port_range: r.source_port_range.clone(),
                        cidr_ip: r.cidr.clone(),
                        group_id,
                        policy: r.policy.clone(),
                        priority: r.priority.map(|p| p.to_string()),
                        nic_type: None,
                        description: r.description.clone(),
                    }],
                };
                let before = w.ecs.security_groups.get(&id).map_or(0, |x| x.rules.len());
                let op = if dir == "ingress" {
                    Operation::AuthorizeSecurityGroup(AuthorizeSecurityGroup {
                        region_id: region.clone(),
                        rules,
                        client_token: None,
                    })
                } else {
                    Operation::AuthorizeSecurityGroupEgress(AuthorizeSecurityGroupEgress {
                        region_id: region.clone(),
                        rules,
                        client_token: None,
                    })
                };
                build_call(w, &g.owner, t, &rpath, op)?;
                let after = w.ecs.security_groups.get(&id).map_or(0, |x| x.rules.len());
                if after == before {
                    return Err(invalid(
                        rpath,
                        "the rule repeats an earlier rule of the group (same fields but the description)",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Each ACL: CreateNetworkAcl, UpdateNetworkAclEntries (both lists at once, when any entry is
/// declared), AssociateNetworkAcl.
fn build_network_acls(
    w: &mut World,
    acls: &[NetworkAclSpec],
    t: Timestamp,
) -> Result<(), SpecError> {
    use crate::cloud::network_acl::{self as nacl, AclEntryParam, AclResourceParam};
    use crate::cloud::operation::{AssociateNetworkAcl, CreateNetworkAcl, UpdateNetworkAclEntries};
    for (i, a) in acls.iter().enumerate() {
        let path = format!("network_acls[{i}]");
        let vpc_id = vpc_named(w, &a.owner, &a.vpc, &path)?;
        let region = w
            .vpc(&vpc_id)
            .map(|v| v.region_id.clone())
            .unwrap_or_default();
        let op = Operation::CreateNetworkAcl(CreateNetworkAcl {
            region_id: region.clone(),
            params: nacl::CreateNetworkAcl {
                vpc_id: Some(vpc_id.clone()),
                network_acl_name: a.name.clone(),
                description: a.description.clone(),
            },
            dry_run: false,
            client_token: None,
        });
        let resp = build_call(w, &a.owner, t, &path, op)?;
        let id = resp
            .get("NetworkAclId")
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| invalid(&path, "CreateNetworkAcl returned no NetworkAclId"))?;
        let entries = |list: &[AclEntrySpec]| -> Vec<AclEntryParam> {
            list.iter()
                .map(|e| AclEntryParam {
                    name: e.name.clone(),
                    description: e.description.clone(),
                    port: Some(e.port.clone().unwrap_or_else(|| "-1/-1".into())),
                    ..AclEntryParam::new(&e.policy, &e.protocol, &e.cidr, "-1/-1")
                })
                .collect()
        };
        // One direction per call, so an error names its direction.
        for (dir, list) in [("ingress", &a.ingress), ("egress", &a.egress)] {
            if list.is_empty() {
                continue;
            }
            let ingress = dir == "ingress";
            let op = Operation::UpdateNetworkAclEntries(UpdateNetworkAclEntries {
                region_id: region.clone(),
                params: nacl::UpdateNetworkAclEntries {
                    network_acl_id: id.clone(),
                    update_ingress: ingress,
                    ingress: if ingress { entries(list) } else { Vec::new() },
                    update_egress: !ingress,
                    egress: if ingress { Vec::new() } else { entries(list) },
                },
                dry_run: false,
                client_token: None,
            });
            build_call(w, &a.owner, t, &format!("{path}.{dir}"), op)?;
        }
        let mut resources = Vec::new();
        for (j, name) in a.vswitches.iter().enumerate() {
            let vsw = w
                .vswitches_of(&vpc_id)
                .find(|s| s.name == *name || s.cidr_block.to_string() == *name)
                .map(|s| s.vswitch_id.clone())
                .ok_or_else(|| {
                    invalid(
                        format!("{path}.vswitches[{j}]"),
                        format!(
                            "the VPC {:?} has no vSwitch named or with CIDR {name:?}",
                            a.vpc
                        ),
                    )
                })?;
            resources.push(AclResourceParam::vswitch(&vsw));
        }
        if !resources.is_empty() {
            let op = Operation::AssociateNetworkAcl(AssociateNetworkAcl {
                region_id: region.clone(),
                params: nacl::NetworkAclResources {
                    network_acl_id: id.clone(),
                    resources,
                },
                dry_run: false,
                client_token: None,
            });
            build_call(w, &a.owner, t, &format!("{path}.vswitches"), op)?;
        }
    }
    Ok(())
}
