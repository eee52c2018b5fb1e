//! `ramsim show`: what a world holds, with names and ids — accounts and their place in the
//! Resource Directory, principals (how to name them in `--as`, their ids and AccessKeys) and
//! resources (folders, VPCs, vSwitches, route tables and entries, peerings, resource groups,
//! policies), each with the `${…}` handle that names it in scenario steps and `ramsim call`.

use super::{EXIT_OK, EXIT_USAGE};
use crate::api::SimState;
use crate::authz::ram_arn;
use crate::cloud::World;
use crate::iam::model::Grantee;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Output format of `ramsim show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// Three fixed-width tables: accounts, principals, resources.
    Table,
    /// One JSON document with the same rows.
    Json,
}

/// Arguments of `ramsim show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// State file (`ramsim init`) or world file.
    #[arg(long)]
    pub state: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ShowFormat,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    /// Account UID.
    pub uid: String,
    /// Test alias (`A`), if any.
    pub alias: Option<String>,
    /// `management`, `member` or `outside` (no Resource Directory membership).
    pub role: &'static str,
    /// RD path (`rd-…/r-…/fd-…/<uid>`) of a member; `null` otherwise.
    pub rd_path: Option<String>,
    /// Name of the folder the member sits in (`root` directly under the root folder).
    pub folder: Option<String>,
    /// `China` or `International`.
    pub site: String,
    /// Handle in scenario steps and `ramsim call` (`${uid:A}`), for accounts with an alias.
    pub handle: Option<String>,
}

/// One principal (or group, which `simulate` can take as a principal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrincipalRow {
    /// How to name it: `--as` for callers (`netops`, `root@A`, `STS.…`), `role:NAME@A` /
    /// `group:NAME@A` for `simulate --principal`.
    pub name: String,
    /// `root`, `user`, `role`, `session` or `group`.
    pub kind: &'static str,
    /// Account UID.
    pub account: String,
    /// Principal id (user and role ids; a session's role id and session name).
    pub id: String,
    /// Principal ARN.
    pub arn: String,
    /// Active AccessKey ids (users), or the session's `STS.…` key.
    pub access_keys: Vec<String>,
    /// Policies attached at account scope (`rg-…:` prefix for resource-group scope).
    pub policies: Vec<String>,
}

/// One resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRow {
    /// `folder`, `vpc`, `vswitch`, `route-table`, `route-entry`, `peering`, `resource-group`,
    /// `policy` or `control-policy`.
    pub kind: &'static str,
    /// The id (or, for custom policies, the name) to use in requests.
    pub id: String,
    /// Name (empty when none was given).
    pub name: String,
    /// Owning account UID (empty for directory objects).
    pub account: String,
    /// Region (empty for global resources).
    pub region: String,
    /// Status and relations: CIDR block, VPC, next hop, peers, targets.
    pub detail: String,
    /// `${…}` handle, when the resource has one.
    pub handle: Option<String>,
}

/// Everything `ramsim show` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorldOverview {
    /// The scenario clock.
    pub clock: String,
    /// Accounts, by UID.
    pub accounts: Vec<AccountRow>,
    /// Principals: roots, then per account users, groups, roles; then role sessions.
    pub principals: Vec<PrincipalRow>,
    /// Resources, by kind then id.
    pub resources: Vec<ResourceRow>,
}

fn alias_or_uid(world: &World, uid: &str) -> String {
    world
        .account(uid)
        .and_then(|a| a.alias.clone())
        .unwrap_or_else(|| uid.to_string())
}

fn accounts(world: &World) -> Vec<AccountRow> {
    let rd = world.resource_directory();
    world
        .accounts()
        .map(|a| {
            let member = rd.and_then(|rd| rd.members.get(&a.uid));
            let management = rd.is_some_and(|rd| rd.master_account_id == a.uid);
            let folder = member.and_then(|m| {
                let rd = rd?;
                if m.folder_id == rd.root_folder_id {
                    Some("root".to_string())
                } else {
                    rd.folders.get(&m.folder_id).map(|f| f.folder_name.clone())
                }
            });
            AccountRow {
                uid: a.uid.clone(),
                alias: a.alias.clone(),
                role: match (management, member.is_some()) {
                    (true, _) => "management",
                    (false, true) => "member",
                    (false, false) => "outside",
                },
                rd_path: world.rd_path(&a.uid),
                folder,
                site: format!("{:?}", a.site),
                handle: a.alias.as_ref().map(|x| format!("${{uid:{x}}}")),
            }
        })
        .collect()
}

fn principals(state: &SimState) -> Vec<PrincipalRow> {
    let (world, iam) = (&state.world, &state.iam);
    let mut out: Vec<PrincipalRow> = world
        .accounts()
        .map(|a| PrincipalRow {
            name: format!("root@{}", alias_or_uid(world, &a.uid)),
            kind: "root",
            account: a.uid.clone(),
            id: a.uid.clone(),
            arn: ram_arn(&a.uid, &["root"]),
            access_keys: Vec::new(),
            policies: Vec::new(),
        })
        .collect();
    // A user name alone is a caller only when no other account has a user of that name.
    let user_accounts = |name: &str| {
        iam.accounts
            .values()
            .filter(|a| a.users.contains_key(name))
            .count()
    };
    for (uid, acct) in &iam.accounts {
        let tag = alias_or_uid(world, uid);
        let attached = |grantee: &Grantee| -> Vec<String> {
            acct.attachments
                .iter()
                .filter(|att| &att.grantee == grantee)
                .map(|att| match &att.resource_group {
                    Some(rg) => format!("{rg}:{}", att.policy),
                    None => att.policy.clone(),
                })
                .collect()
        };
        for u in acct.users.values() {
            out.push(PrincipalRow {
                name: if user_accounts(&u.name) == 1 {
                    u.name.clone()
                } else {
                    format!("{}@{tag}", u.name)
                },
                kind: "user",
                account: uid.clone(),
                id: u.id.clone(),
                arn: ram_arn(uid, &["user/", &u.name]),
                access_keys: u
                    .access_keys
                    .iter()
                    .filter(|k| k.status == "Active")
                    .map(|k| k.id.clone())
                    .collect(),
                policies: attached(&Grantee::User(u.name.clone())),
            });
        }
        for g in acct.groups.values() {
            out.push(PrincipalRow {
                name: format!("group:{}@{tag}", g.name),
                kind: "group",
                account: uid.clone(),
                id: String::new(),
                arn: ram_arn(uid, &["group/", &g.name]),
                access_keys: Vec::new(),
                policies: attached(&Grantee::Group(g.name.clone())),
            });
        }
        for r in acct.roles.values() {
            out.push(PrincipalRow {
                name: format!("role:{}@{tag}", r.name),
                kind: "role",
                account: uid.clone(),
                id: r.id.clone(),
                arn: ram_arn(uid, &["role/", &r.name.to_lowercase()]),
                access_keys: Vec::new(),
                policies: attached(&Grantee::Role(r.name.clone())),
            });
        }
    }
    for s in iam.sessions.values() {
        let role_id = iam
            .accounts
            .get(&s.account)
            .and_then(|a| a.roles.get(&s.role))
            .map_or_else(String::new, |r| r.id.clone());
        out.push(PrincipalRow {
            name: s.access_key_id.clone(),
            kind: "session",
            account: s.account.clone(),
            id: format!("{role_id}:{}", s.session_name),
            arn: crate::iam::Caller::Session {
                account: s.account.clone(),
                role: s.role.clone(),
                session: s.session_name.clone(),
                access_key_id: s.access_key_id.clone(),
            }
            .arn(),
            access_keys: vec![s.access_key_id.clone()],
            policies: s
                .policy
                .as_ref()
                .map(|_| vec!["(session policy)".to_string()])
                .unwrap_or_default(),
        });
    }
    out
}

fn resources(state: &SimState) -> Vec<ResourceRow> {
    let (world, iam) = (&state.world, &state.iam);
    let now = world.now();
    let mut out = Vec::new();
    let row =
        |kind, id: &str, name: &str, account: &str, region: &str, detail: String| ResourceRow {
            kind,
            id: id.to_string(),
            name: name.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            detail,
            handle: None,
        };
    if let Some(rd) = world.resource_directory() {
        let mut r = row(
            "folder",
            &rd.root_folder_id,
            "root",
            &rd.master_account_id,
            "",
            format!("root folder of {}", rd.resource_directory_id),
        );
        r.account = rd.master_account_id.clone();
        out.push(r);
        for f in rd.folders.values() {
            let path = rd.folder_path(&f.folder_id).unwrap_or_default();
            out.push(row(
                "folder",
                &f.folder_id,
                &f.folder_name,
                &rd.master_account_id,
                "",
                format!("path {path}"),
            ));
        }
    }
    // A VPC name is a handle only when it names one VPC.
    let unique_name =
        |name: &str| !name.is_empty() && world.vpcs().filter(|v| v.name == name).count() == 1;
    for v in world.vpcs() {
        let mut r = row(
            "vpc",
            &v.vpc_id,
            &v.name,
            &v.owner_uid,
            &v.region_id,
            format!("{} {}", v.cidr_block, v.lifecycle.at(now).as_str()),
        );
        if unique_name(&v.name) {
            r.handle = Some(format!("${{vpc:{}}}", v.name));
        }
        out.push(r);
    }
    for v in world.vpcs() {
        for (i, s) in world.vswitches_of(&v.vpc_id).enumerate() {
            let mut r = row(
                "vswitch",
                &s.vswitch_id,
                &s.name,
                &s.owner_uid,
                &s.region_id,
                format!("{} in {} ({})", s.cidr_block, s.vpc_id, s.zone_id),
            );
            if i == 0 && unique_name(&v.name) {
                r.handle = Some(format!("${{vsw:{}}}", v.name));
            }
            out.push(r);
        }
    }
    for t in world.route_tables() {
        let system = world
            .vpc(&t.vpc_id)
            .filter(|v| v.system_route_table_id == t.route_table_id);
        let mut r = row(
            "route-table",
            &t.route_table_id,
            &t.name,
            &t.owner_uid,
            &t.region_id,
            format!(
                "{} table of {}",
                if system.is_some() { "system" } else { "custom" },
                t.vpc_id
            ),
        );
        if let Some(v) = system.filter(|v| unique_name(&v.name)) {
            r.handle = Some(format!("${{rt:{}}}", v.name));
        }
        out.push(r);
    }
    let groups = &world.ecs().security_groups;
    for g in groups.values() {
        let ingress = g
            .rules
            .iter()
            .filter(|r| r.direction.as_str() == "ingress")
            .count();
        let mut r = row(
            "security-group",
            &g.security_group_id,
            &g.name,
            &g.owner_uid,
            &g.region_id,
            format!(
                "{} in {}, {ingress} ingress / {} egress rules, {} members",
                g.group_type.as_str(),
                g.vpc_id,
                g.rules.len() - ingress,
                g.member_enis.len()
            ),
        );
        if !g.name.is_empty() && groups.values().filter(|x| x.name == g.name).count() == 1 {
            r.handle = Some(format!("${{sg:{}}}", g.name));
        }
        out.push(r);
    }
    let acls = &world.nacl().acls;
    for a in acls.values() {
        let bound: Vec<&str> = a.resources.keys().map(String::as_str).collect();
        let mut r = row(
            "network-acl",
            &a.network_acl_id,
            &a.name,
            &a.owner_uid,
            &a.region_id,
            format!(
                "in {}, {} ingress / {} egress entries, vSwitches: {}",
                a.vpc_id,
                a.ingress.len(),
                a.egress.len(),
                if bound.is_empty() {
                    "-".to_string()
                } else {
                    bound.join(", ")
                }
            ),
        );
        if !a.name.is_empty() && acls.values().filter(|x| x.name == a.name).count() == 1 {
            r.handle = Some(format!("${{nacl:{}}}", a.name));
        }
        out.push(r);
    }
    for t in world.route_tables() {
        for e in world.route_entries_of(&t.route_table_id) {
            let hop = match &e.next_hop_type {
                Some(kind) => format!("{} {}", kind.as_str(), e.next_hop_id),
                None => e
                    .next_hop_list
                    .iter()
                    .map(|h| format!("{} {}", h.next_hop_type, h.next_hop_id))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            out.push(row(
                "route-entry",
                &e.route_entry_id,
                &e.name,
                &t.owner_uid,
                &t.region_id,
                format!(
                    "{} -> {hop} in {} {}",
                    e.destination,
                    e.route_table_id,
                    e.lifecycle.at(now).as_str()
                ),
            ));
        }
    }
    for p in world.peerings() {
        out.push(row(
            "peering",
            &p.instance_id,
            &p.name,
            &p.owner_uid,
            &p.region_id,
            format!(
                "{} ({}) -> {} ({}, {}) {}",
                p.vpc_id,
                alias_or_uid(world, &p.owner_uid),
                p.accepting_vpc_id,
                alias_or_uid(world, &p.accepting_owner_uid),
                p.accepting_region_id,
                p.status_at(now).as_str()
            ),
        ));
    }
    for i in world.ecs().instances.values() {
        let listening: Vec<String> = i.listening.iter().map(ToString::to_string).collect();
        out.push(row(
            "instance",
            &i.instance_id,
            &i.instance_name,
            &i.owner_uid,
            &i.region_id,
            format!(
                "{} in {} {} listening {}",
                i.private_ip,
                i.vswitch_id,
                i.status(now).as_str(),
                if listening.is_empty() {
                    "-".to_string()
                } else {
                    listening.join(",")
                }
            ),
        ));
    }
    for a in world.accounts() {
        for rg in &a.resource_groups {
            out.push(row("resource-group", rg, "", &a.uid, "", String::new()));
        }
    }
    for (uid, acct) in &iam.accounts {
        for p in acct.policies.values() {
            out.push(row(
                "policy",
                &p.name,
                &p.name,
                uid,
                "",
                format!(
                    "custom policy, default {} of {}",
                    p.default_version,
                    p.versions.len()
                ),
            ));
        }
    }
    for cp in iam.control_policies.values() {
        let targets: Vec<&str> = iam
            .control_attachments
            .iter()
            .filter(|(_, ids)| ids.contains(&cp.id))
            .map(|(t, _)| t.as_str())
            .collect();
        out.push(row(
            "control-policy",
            &cp.id,
            &cp.name,
            "",
            "",
            format!(
                "{:?}, scope {}, attached to {}",
                cp.policy_type,
                cp.effect_scope,
                if targets.is_empty() {
                    "nothing".to_string()
                } else {
                    targets.join(", ")
                }
            ),
        ));
    }
    out
}

/// Collects the overview of a state.
pub fn overview(state: &SimState) -> WorldOverview {
    WorldOverview {
        clock: state.world.now().to_string(),
        accounts: accounts(&state.world),
        principals: principals(state),
        resources: resources(state),
    }
}

/// Renders rows as a table: columns padded to their widest cell, two spaces apart.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (c, w) in cells.zip(&width) {
            s.push_str(c);
            s.push_str(&" ".repeat(w.saturating_sub(c.chars().count()) + 2));
        }
        let _ = writeln!(out, "{}", s.trim_end());
    };
    line(&mut header.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
}

fn dash(s: Option<&str>) -> String {
    match s {
        Some(x) if !x.is_empty() => x.to_string(),
        _ => "-".to_string(),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(", ")
    }
}

/// Renders the overview as three tables.
pub fn render_table(o: &WorldOverview) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "clock: {}\n\naccounts ({}):",
        o.clock,
        o.accounts.len()
    );
    let rows: Vec<Vec<String>> = o
        .accounts
        .iter()
        .map(|a| {
            vec![
                a.uid.clone(),
                dash(a.alias.as_deref()),
                a.role.to_string(),
                dash(a.folder.as_deref()),
                dash(a.rd_path.as_deref()),
                a.site.clone(),
                dash(a.handle.as_deref()),
            ]
        })
        .collect();
    table(
        &mut out,
        &["UID", "ALIAS", "RD", "FOLDER", "RD PATH", "SITE", "HANDLE"],
        &rows,
    );
    let _ = writeln!(out, "\nprincipals ({}):", o.principals.len());
    let rows: Vec<Vec<String>> = o
        .principals
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.kind.to_string(),
                p.account.clone(),
                dash(Some(&p.id)),
                list(&p.access_keys),
                list(&p.policies),
            ]
        })
        .collect();
    table(
        &mut out,
        &["NAME", "TYPE", "ACCOUNT", "ID", "ACCESS KEYS", "POLICIES"],
        &rows,
    );
    let _ = writeln!(out, "\nresources ({}):", o.resources.len());
    let rows: Vec<Vec<String>> = o
        .resources
        .iter()
        .map(|r| {
            vec![
                r.kind.to_string(),
                r.id.clone(),
                dash(Some(&r.name)),
                dash(Some(&r.account)),
                dash(Some(&r.region)),
                dash(r.handle.as_deref()),
                dash(Some(&r.detail)),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "TYPE", "ID", "NAME", "ACCOUNT", "REGION", "HANDLE", "DETAIL",
        ],
        &rows,
    );
    out
}

/// Runs `ramsim show`.
pub fn run(args: &ShowArgs) -> u8 {
    let state = match crate::simulate::load_state(&args.state) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let o = overview(&state);
    let text = match args.format {
        ShowFormat::Table => render_table(&o),
        ShowFormat::Json => match serde_json::to_string_pretty(&o) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("error: cannot render: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, text.as_bytes()) {
        // `ramsim show … | head`: the reader is gone, which is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write: {e}");
            EXIT_USAGE
        }
        _ => EXIT_OK,
    }
}
