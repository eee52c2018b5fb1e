//! Static checking and evaluation of invariant expressions over a simulator state.

use super::ast::{BoolOp, CmpOp, Expr, ExprKind, Literal, Quantifier};
use super::parser::line_col;
use super::schema::{collection, Kind, Ty, COLLECTIONS};
use crate::api::audit::AuditEvent;
use crate::api::SimState;
use crate::authz::PolicyStore;
use crate::cloud::account::{Account, Site};
use crate::cloud::ecs::Instance;
use crate::cloud::vpc::route::RouteEntry;
use crate::cloud::vpc::{VSwitch, Vpc};
use crate::cloud::vpcpeer::{PeerStatus, Peering};
use crate::cloud::World;
use crate::iam::model::{ControlPolicy, CustomPolicy, Grantee, Group, Role, User};
use crate::iam::Caller;
use crate::policy::pattern::Wildcard;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// An error found while checking or evaluating an invariant, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for EvalError {}

fn err_at(src: &str, pos: usize, message: String) -> EvalError {
    let (line, column) = line_col(src, pos);
    EvalError {
        line,
        column,
        message,
    }
}

fn field_list(kind: Kind) -> String {
    kind.fields()
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn collection_list() -> String {
    COLLECTIONS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks names, fields and obvious type mismatches before anything runs.
pub fn check(src: &str, expr: &Expr) -> Result<(), EvalError> {
    let mut env = Vec::new();
    check_expr(src, expr, &mut env).map(|_| ())
}

fn check_expr(src: &str, e: &Expr, env: &mut Vec<(String, Kind)>) -> Result<Ty, EvalError> {
    Ok(match &e.kind {
        ExprKind::Lit(Literal::Str(_)) => Ty::Str,
        ExprKind::Lit(Literal::Num(_)) => Ty::Num,
        ExprKind::Lit(Literal::Bool(_)) => Ty::Bool,
        ExprKind::Lit(Literal::Null) => Ty::Null,
        ExprKind::List(items) => {
            for i in items {
                check_expr(src, i, env)?;
            }
            Ty::List
        }
        ExprKind::Path { root, fields } => {
            let mut ty = match env.iter().rev().find(|(n, _)| n == root) {
                Some((_, k)) => Ty::Obj(*k),
                None if collection(root).is_some() => Ty::List,
                None => {
                    return Err(err_at(
                        src,
                        e.pos,
                        format!(
                            "unknown name `{root}`: expected a variable bound by forall/exists or a collection ({})",
                            collection_list()
                        ),
                    ))
                }
            };
            for (field, pos) in fields {
                ty = match ty {
                    Ty::Obj(kind) => kind.field(field).ok_or_else(|| {
                        err_at(
                            src,
                            *pos,
                            format!(
                                "unknown field `{field}` of {} (fields: {})",
                                kind.name(),
                                field_list(kind)
                            ),
                        )
                    })?,
                    Ty::Any => Ty::Any,
                    other => {
                        return Err(err_at(
                            src,
                            *pos,
                            format!("cannot read field `{field}` of a {}", other.name()),
                        ))
                    }
                };
            }
            ty
        }
        ExprKind::Not(inner) => {
            let t = check_expr(src, inner, env)?;
            want_bool(src, inner, t, "not")?;
            Ty::Bool
        }
        ExprKind::Bool(op, operands) => {
            for operand in operands {
                let t = check_expr(src, operand, env)?;
                want_bool(src, operand, t, op.as_str())?;
            }
            Ty::Bool
        }
        ExprKind::Cmp(op, l, r) => {
            let lt = check_expr(src, l, env)?;
            let rt = check_expr(src, r, env)?;
            let scalar = |t: Ty| matches!(t, Ty::Str | Ty::Num | Ty::Bool);
            match op {
                CmpOp::Like => {
                    for (side, t) in [(l, lt), (r, rt)] {
                        if !matches!(t, Ty::Str | Ty::Any | Ty::Null) {
                            return Err(err_at(
                                src,
                                side.pos,
                                format!(
                                    "type mismatch: `like` needs strings, this is a {}",
                                    t.name()
                                ),
                            ));
                        }
                    }
                }
                CmpOp::In | CmpOp::NotIn => {
                    if !matches!(rt, Ty::List | Ty::Any) {
                        return Err(err_at(
                            src,
                            r.pos,
                            format!(
                                "type mismatch: `{}` needs a list or a collection on the right, this is a {}",
                                op.as_str(),
                                rt.name()
                            ),
                        ));
                    }
                }
                _ => {
                    if scalar(lt) && scalar(rt) && lt != rt {
                        return Err(err_at(
                            src,
                            r.pos,
                            format!(
                                "type mismatch: cannot compare a {} with a {} using `{}`",
                                lt.name(),
                                rt.name(),
                                op.as_str()
                            ),
                        ));
                    }
                }
            }
            Ty::Bool
        }
        ExprKind::Quant {
            var,
            collection: coll,
            collection_pos,
            filter,
            body,
            ..
        } => {
            let kind = collection(coll).ok_or_else(|| {
                err_at(
                    src,
                    *collection_pos,
                    format!(
                        "unknown collection `{coll}` (collections: {})",
                        collection_list()
                    ),
                )
            })?;
            env.push((var.clone(), kind));
            let result = (|| {
                if let Some(f) = filter {
                    let t = check_expr(src, f, env)?;
                    want_bool(src, f, t, "where")?;
                }
                let t = check_expr(src, body, env)?;
                want_bool(src, body, t, "the quantifier body")
            })();
            env.pop();
            result?;
            Ty::Bool
        }
        ExprKind::Can(args) | ExprKind::Reach(args) => {
            for a in args {
                check_expr(src, a, env)?;
            }
            Ty::Bool
        }
    })
}

fn want_bool(src: &str, e: &Expr, t: Ty, what: &str) -> Result<(), EvalError> {
    if matches!(t, Ty::Bool | Ty::Any) {
        Ok(())
    } else {
        Err(err_at(
            src,
            e.pos,
            format!(
                "type mismatch: `{what}` needs a boolean, this is a {}",
                t.name()
            ),
        ))
    }
}

/// An object of the world, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Obj<'w> {
    /// A peering.
    Peering(&'w Peering),
    /// A side of a peering: `true` for the accepter.
    Side(&'w Peering, bool),
    /// A VPC.
    Vpc(&'w Vpc),
    /// A vSwitch.
    VSwitch(&'w VSwitch),
    /// A route entry.
    Route(&'w RouteEntry),
    /// An ECS instance.
    Instance(&'w Instance),
    /// A user with its account uid.
    User(&'w str, &'w User),
    /// A role with its account uid.
    Role(&'w str, &'w Role),
    /// A group with its account uid.
    Group(&'w str, &'w Group),
    /// A custom policy with its account uid.
    Policy(&'w str, &'w CustomPolicy),
    /// An account.
    Account(&'w Account),
    /// A control policy.
    ControlPolicy(&'w ControlPolicy),
    /// An audit event.
    Event(&'w AuditEvent),
    /// A transit router attachment.
    TrAttachment(&'w crate::cloud::cen::Attachment),
    /// A CDT charge (issue 17).
    Charge(crate::cloud::traffic::bill::ChargeRef<'w>),
    /// A CloudMonitor alert rule.
    AlertRule(&'w crate::cloud::cms::MetricRule),
    /// A CloudMonitor alert-log entry.
    Alert(super::cost::AlertRef<'w>),
    /// A JSON object.
    Json(&'w Value),
    /// A JSON object stored as a map (event parameters).
    Map(&'w crate::api::param_map::ParamMap),
}

/// A runtime value.
#[derive(Debug, Clone)]
pub enum Val<'w> {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(Cow<'w, str>),
    /// A list.
    List(Vec<Val<'w>>),
    /// An object.
    Obj(Obj<'w>),
}

impl Val<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::List(_) => "list",
            Val::Obj(o) => o.kind().name(),
        }
    }

    /// A short rendering for messages.
    pub fn show(&self) -> String {
        match self {
            Val::Null => "null".into(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => fmt_num(*n),
            Val::Str(s) => format!("{s:?}"),
            Val::List(items) => format!(
                "[{}]",
                items.iter().map(Val::show).collect::<Vec<_>>().join(", ")
            ),
            Val::Obj(o) => o.key().into_owned(),
        }
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn s<'w>(x: &'w str) -> Val<'w> {
    Val::Str(Cow::Borrowed(x))
}

fn opt_s<'w>(x: Option<String>) -> Val<'w> {
    x.map_or(Val::Null, |v| Val::Str(Cow::Owned(v)))
}

fn json_val(v: &Value) -> Val<'_> {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(n.as_f64().unwrap_or(0.0)),
        Value::String(x) => s(x),
        Value::Array(items) => Val::List(items.iter().map(json_val).collect()),
        Value::Object(_) => Val::Obj(Obj::Json(v)),
    }
}

impl<'w> Obj<'w> {
    /// The kind of the object.
    pub fn kind(&self) -> Kind {
        match self {
            Obj::Peering(_) => Kind::Peering,
            Obj::Side(..) => Kind::Side,
            Obj::Vpc(_) => Kind::Vpc,
            Obj::VSwitch(_) => Kind::VSwitch,
            Obj::Route(_) => Kind::Route,
            Obj::Instance(_) => Kind::Instance,
            Obj::User(..) => Kind::User,
            Obj::Role(..) => Kind::Role,
            Obj::Group(..) => Kind::Group,
            Obj::Policy(..) => Kind::Policy,
            Obj::Account(_) => Kind::Account,
            Obj::ControlPolicy(_) => Kind::ControlPolicy,
            Obj::Event(_) => Kind::Event,
            Obj::TrAttachment(_) => Kind::TrAttachment,
            Obj::Charge(_) => Kind::Charge,
            Obj::AlertRule(_) => Kind::AlertRule,
            Obj::Alert(_) => Kind::Alert,
            Obj::Json(_) | Obj::Map(_) => Kind::Json,
        }
    }

    /// The identity of the object: what it equals when compared with a string.
    pub fn key(&self) -> Cow<'w, str> {
        match *self {
            Obj::Peering(p) => Cow::Borrowed(&p.instance_id),
            Obj::Side(p, acc) => Cow::Borrowed(if acc {
                &p.accepting_owner_uid
            } else {
                &p.owner_uid
            }),
            Obj::Vpc(v) => Cow::Borrowed(&v.vpc_id),
            Obj::VSwitch(v) => Cow::Borrowed(&v.vswitch_id),
            Obj::Route(r) => Cow::Borrowed(&r.route_entry_id),
            Obj::Instance(i) => Cow::Borrowed(&i.instance_id),
            Obj::User(_, u) => Cow::Borrowed(&u.name),
            Obj::Role(_, r) => Cow::Borrowed(&r.name),
            Obj::Group(_, g) => Cow::Borrowed(&g.name),
            Obj::Policy(_, p) => Cow::Borrowed(&p.name),
            Obj::Account(a) => Cow::Borrowed(&a.uid),
            Obj::ControlPolicy(c) => Cow::Borrowed(&c.id),
            Obj::Event(e) => Cow::Borrowed(&e.request_id),
            Obj::TrAttachment(a) => Cow::Borrowed(&a.attachment_id),
            Obj::Charge(_) | Obj::AlertRule(_) | Obj::Alert(_) => super::cost::key(self),
            Obj::Json(v) => Cow::Owned(v.to_string()),
            Obj::Map(m) => Cow::Owned(Value::Object(m.to_map()).to_string()),
        }
    }

    /// A description for violation reports.
    pub fn describe(&self, state: &SimState) -> String {
        let w = &state.world;
        let side = |uid: &str| match w.rd_path(uid) {
            Some(path) => format!("{uid} ({path})"),
            None => format!("{uid} (outside the directory)"),
        };
        match *self {
            Obj::Peering(p) => format!(
                "{} {} → {}, {}",
                p.instance_id,
                side(&p.owner_uid),
                side(&p.accepting_owner_uid),
                p.status_at(w.now()).as_str()
            ),
            Obj::Route(r) => format!(
                "{} in {} to {} via {} {}",
                r.route_entry_id,
                r.route_table_id,
                r.destination,
                r.next_hop_type.map_or("(list)", |t| t.as_str()),
                r.next_hop_id
            ),
            Obj::Instance(i) => format!(
                "{} ({}, {} in {} of {})",
                i.instance_id, i.instance_name, i.private_ip, i.vpc_id, i.owner_uid
            ),
            Obj::User(a, u) => format!("user {}@{a}", u.name),
            Obj::Role(a, r) => format!("role {}@{a}", r.name),
            Obj::Group(a, g) => format!("group {}@{a}", g.name),
            Obj::Policy(a, p) => format!("policy {}@{a}", p.name),
            Obj::Event(e) => format!(
                "{} {} by {} ({})",
                e.event_type, e.event_name, e.user_identity.user_name, e.request_id
            ),
            Obj::TrAttachment(a) => match &a.kind {
                crate::cloud::cen::AttachKind::Vpc {
                    vpc_id,
                    vpc_owner_uid,
                    ..
                } => format!(
                    "{} {} of {} attaches {vpc_id} of {}",
                    a.attachment_id,
                    a.cen_id,
                    a.owner_uid,
                    side(vpc_owner_uid)
                ),
                crate::cloud::cen::AttachKind::Peer { .. } => {
                    format!("{} {} (peer attachment)", a.attachment_id, a.cen_id)
                }
            },
            Obj::Charge(_) | Obj::AlertRule(_) | Obj::Alert(_) => super::cost::describe(w, self),
            other => format!("{} {}", other.kind().name(), other.key()),
        }
    }
}

fn attached(state: &SimState, account: &str, g: Grantee) -> Vec<Val<'static>> {
    state
        .iam
        .accounts
        .get(account)
        .map(|a| {
            a.attachments
                .iter()
                .filter(|x| x.grantee == g && x.resource_group.is_none())
                .map(|x| Val::Str(Cow::Owned(x.policy.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn account_fields<'w>(w: &'w World, uid: &'w str, field: &str) -> Option<Val<'w>> {
    let rd = w.resource_directory();
    Some(match field {
        "uid" => s(uid),
        "in_directory" => Val::Bool(rd.is_some_and(|rd| rd.members.contains_key(uid))),
        "rd_id" => opt_s(w.rd_id(uid)),
        "rd_path" => opt_s(w.rd_path(uid)),
        "folder" => rd
            .and_then(|rd| rd.members.get(uid))
            .map_or(Val::Null, |m| s(&m.folder_id)),
        "management" => Val::Bool(rd.is_some_and(|rd| rd.master_account_id == uid)),
        "account" => w
            .account(uid)
            .map_or(Val::Null, |a| Val::Obj(Obj::Account(a))),
        _ => return None,
    })
}

fn get_field<'w>(state: &'w SimState, obj: Obj<'w>, field: &str) -> Option<Val<'w>> {
    let w = &state.world;
    let now = w.now();
    Some(match obj {
        Obj::Peering(p) => match field {
            "id" => s(&p.instance_id),
            "name" => s(&p.name),
            "status" => s(p.status_at(now).as_str()),
            "live" => Val::Bool(p.status_at(now).counts()),
            "requester" => Val::Obj(Obj::Side(p, false)),
            "accepter" => Val::Obj(Obj::Side(p, true)),
            "bandwidth" => Val::Num(p.bandwidth as f64),
            "link_type" => s(&p.link_type),
            "inter_region" => Val::Bool(p.is_inter_region()),
            "cross_account" => Val::Bool(p.is_cross_account()),
            "resource_group" => s(&p.resource_group_id),
            "created" => Val::Str(Cow::Owned(p.gmt_create.to_string())),
            _ => return None,
        },
        Obj::Side(p, acc) => {
            let (uid, vpc, region) = if acc {
                (
                    &p.accepting_owner_uid,
                    &p.accepting_vpc_id,
                    &p.accepting_region_id,
                )
            } else {
                (&p.owner_uid, &p.vpc_id, &p.region_id)
            };
            match field {
                "vpc_id" => s(vpc),
                "region" => s(region),
                other => account_fields(w, uid, other)?,
            }
        }
        Obj::Vpc(v) => match field {
            "id" => s(&v.vpc_id),
            "name" => s(&v.name),
            "owner" => s(&v.owner_uid),
            "account" => w
                .account(&v.owner_uid)
                .map_or(Val::Null, |a| Val::Obj(Obj::Account(a))),
            "region" => s(&v.region_id),
            "cidr" => Val::Str(Cow::Owned(v.cidr_block.to_string())),
            "status" => s(v.lifecycle.at(now).as_str()),
            "route_table" => s(&v.system_route_table_id),
            "resource_group" => s(&v.resource_group_id),
            _ => return None,
        },
        Obj::VSwitch(v) => match field {
            "id" => s(&v.vswitch_id),
            "name" => s(&v.name),
            "vpc_id" => s(&v.vpc_id),
            "owner" => s(&v.owner_uid),
            "region" => s(&v.region_id),
            "zone" => s(&v.zone_id),
            "cidr" => Val::Str(Cow::Owned(v.cidr_block.to_string())),
            "status" => s(v.lifecycle.at(now).as_str()),
            _ => return None,
        },
        Obj::Instance(i) => match field {
            "id" => s(&i.instance_id),
            "name" => s(&i.instance_name),
            "owner" => s(&i.owner_uid),
            "account" => w
                .account(&i.owner_uid)
                .map_or(Val::Null, |a| Val::Obj(Obj::Account(a))),
            "region" => s(&i.region_id),
            "zone" => s(&i.zone_id),
            "vpc_id" => s(&i.vpc_id),
            "vswitch_id" => s(&i.vswitch_id),
            "ip" => Val::Str(Cow::Owned(i.private_ip.to_string())),
            "status" => s(i.status(now).as_str()),
            "security_groups" => Val::List(i.security_group_ids.iter().map(|g| s(g)).collect()),
            _ => return None,
        },
        Obj::Route(r) => match field {
            "id" => s(&r.route_entry_id),
            "name" => s(&r.name),
            "table" => s(&r.route_table_id),
            "vpc_id" => s(&r.vpc_id),
            "owner" => w.vpc(&r.vpc_id).map_or(Val::Null, |v| s(&v.owner_uid)),
            "destination" => Val::Str(Cow::Owned(r.destination.to_string())),
            "next_hop_type" => r.next_hop_type.map_or(Val::Null, |t| s(t.as_str())),
            "next_hop_id" => s(&r.next_hop_id),
            "status" => s(r.lifecycle.at(now).as_str()),
            _ => return None,
        },
        Obj::User(a, u) => match field {
            "name" => s(&u.name),
            "id" => s(&u.id),
            "account" => s(a),
            "arn" => Val::Str(Cow::Owned(format!("acs:ram::{a}:user/{}", u.name))),
            "groups" => Val::List(u.groups.iter().map(|g| s(g)).collect()),
            "policies" => Val::List(attached(state, a, Grantee::User(u.name.clone()))),
            "access_keys" => Val::Num(u.access_keys.len() as f64),
            _ => return None,
        },
        Obj::Role(a, r) => match field {
            "name" => s(&r.name),
            "id" => s(&r.id),
            "account" => s(a),
            "arn" => Val::Str(Cow::Owned(format!("acs:ram::{a}:role/{}", r.name))),
            "trust" => s(&r.trust_policy),
            "policies" => Val::List(attached(state, a, Grantee::Role(r.name.clone()))),
            _ => return None,
        },
        Obj::Group(a, g) => match field {
            "name" => s(&g.name),
            "account" => s(a),
            "arn" => Val::Str(Cow::Owned(format!("acs:ram::{a}:group/{}", g.name))),
            "members" => Val::List(
                state
                    .iam
                    .accounts
                    .get(a)
                    .map(|acct| {
                        acct.users
                            .values()
                            .filter(|u| u.groups.contains(&g.name))
                            .map(|u| s(&u.name))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "policies" => Val::List(attached(state, a, Grantee::Group(g.name.clone()))),
            _ => return None,
        },
        Obj::Policy(a, p) => match field {
            "name" => s(&p.name),
            "account" => s(a),
            "type" => s("Custom"),
            "default_version" => s(&p.default_version),
            "document" => p.default_document().map_or(Val::Null, s),
            "versions" => Val::Num(p.versions.len() as f64),
            "attached" => Val::Bool(state.iam.accounts.get(a).is_some_and(|acct| {
                acct.attachments.iter().any(|x| {
                    x.policy == p.name && x.policy_type == crate::iam::model::PolicyType::Custom
                })
            })),
            _ => return None,
        },
        Obj::Account(a) => match field {
            "alias" => a.alias.as_deref().map_or(Val::Null, s),
            "cdt_enabled" => Val::Bool(a.cdt_enabled),
            "site" => s(match a.site {
                Site::China => "China",
                Site::International => "International",
            }),
            other => account_fields(w, &a.uid, other)?,
        },
        Obj::ControlPolicy(c) => match field {
            "id" => s(&c.id),
            "name" => s(&c.name),
            "type" => s(match c.policy_type {
                crate::iam::model::PolicyType::Custom => "Custom",
                crate::iam::model::PolicyType::System => "System",
            }),
            "effect_scope" => s(&c.effect_scope),
            "document" => s(&c.document),
            "targets" => Val::List(
                state
                    .iam
                    .control_attachments
                    .iter()
                    .filter(|(_, ids)| ids.contains(&c.id))
                    .map(|(t, _)| s(t))
                    .collect(),
            ),
            _ => return None,
        },
        Obj::Event(e) => match field {
            "id" => s(&e.event_id),
            "request_id" => s(&e.request_id),
            "name" => s(&e.event_name),
            "type" => s(&e.event_type),
            "rw" => s(&e.event_rw),
            "service" => s(&e.service_name),
            "time" => s(&e.event_time),
            "region" => s(&e.acs_region),
            "success" => Val::Bool(e.error_code.is_empty()),
            "error_code" => s(&e.error_code),
            "caller" => s(&e.user_identity.user_name),
            "caller_type" => s(&e.user_identity.kind),
            "account" => s(&e.user_identity.account_id),
            "recipient" => s(&e.recipient_account_id),
            "resource" => s(&e.resource_name),
            "resource_type" => s(&e.resource_type),
            "params" => Val::Obj(Obj::Map(&e.request_parameters)),
            "response" => e.response_elements.as_ref().map_or(Val::Null, json_val),
            _ => return None,
        },
        Obj::TrAttachment(a) => {
            let vpc = match &a.kind {
                crate::cloud::cen::AttachKind::Vpc {
                    vpc_id,
                    vpc_owner_uid,
                    ..
                } => Some((vpc_id, vpc_owner_uid)),
                crate::cloud::cen::AttachKind::Peer { .. } => None,
            };
            match field {
                "id" => s(&a.attachment_id),
                "cen_id" => s(&a.cen_id),
                "owner" => s(&a.owner_uid),
                "tr_id" => s(&a.transit_router_id),
                "region" => s(&a.region_id),
                "type" => s(a.resource_type()),
                "vpc_id" => vpc.map_or(Val::Null, |(v, _)| s(v)),
                "vpc_owner" => vpc.map_or(Val::Null, |(_, o)| s(o)),
                "vpc_account" => vpc
                    .and_then(|(_, o)| w.account(o))
                    .map_or(Val::Null, |x| Val::Obj(Obj::Account(x))),
                "cross_account" => Val::Bool(vpc.is_some_and(|(_, o)| *o != a.owner_uid)),
                "status" => s(a.lifecycle.at(now).as_str()),
                _ => return None,
            }
        }
        Obj::Charge(r) => super::cost::charge_field(w, r, field)?,
        Obj::AlertRule(r) => super::cost::rule_field(w, r, field)?,
        Obj::Alert(a) => super::cost::alert_field(a, field)?,
        Obj::Json(v) => v.get(field).map_or(Val::Null, json_val),
        Obj::Map(m) => m.get(field).map_or(Val::Null, json_val),
    })
}

fn collection_items<'w>(state: &'w SimState, name: &str) -> Vec<Val<'w>> {
    if let Some(items) = super::cost::collection(state, name) {
        return items;
    }
    let w = &state.world;
    let iam = &state.iam;
    let obj = Val::Obj;
    match name {
        "peerings" => w.peerings().map(|p| obj(Obj::Peering(p))).collect(),
        "vpcs" => w.vpcs().map(|v| obj(Obj::Vpc(v))).collect(),
        "vswitches" => w.vswitches.values().map(|v| obj(Obj::VSwitch(v))).collect(),
        "routes" => w
            .route_entries
            .values()
            .map(|r| obj(Obj::Route(r)))
            .collect(),
        "users" => iam
            .accounts
            .iter()
            .flat_map(|(a, acct)| acct.users.values().map(move |u| obj(Obj::User(a, u))))
            .collect(),
        "roles" => iam
            .accounts
            .iter()
            .flat_map(|(a, acct)| acct.roles.values().map(move |r| obj(Obj::Role(a, r))))
            .collect(),
        "groups" => iam
            .accounts
            .iter()
            .flat_map(|(a, acct)| acct.groups.values().map(move |g| obj(Obj::Group(a, g))))
            .collect(),
        "policies" => iam
            .accounts
            .iter()
            .flat_map(|(a, acct)| acct.policies.values().map(move |p| obj(Obj::Policy(a, p))))
            .collect(),
        "instances" => w
            .ecs()
            .instances
            .values()
            .map(|i| obj(Obj::Instance(i)))
            .collect(),
        "accounts" => w.accounts().map(|a| obj(Obj::Account(a))).collect(),
        "control_policies" => iam
            .control_policies
            .values()
            .map(|c| obj(Obj::ControlPolicy(c)))
            .collect(),
        "events" => state.audit.iter().map(|e| obj(Obj::Event(e))).collect(),
        "tr_attachments" => w
            .cen()
            .attachments
            .values()
            .map(|a| obj(Obj::TrAttachment(a)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Compiled `like` patterns kept at most (the cache starts over when full).
const MAX_CACHED_PATTERNS: usize = 4096;

/// Caches shared by evaluations: compiled `like` patterns and policy stores for `can`.
#[derive(Default)]
pub struct EvalCache {
    patterns: HashMap<String, Wildcard>,
    stores: HashMap<String, (u64, Arc<PolicyStore>)>,
}

impl EvalCache {
    /// An empty cache.
    pub fn new() -> EvalCache {
        EvalCache::default()
    }

    /// Forgets the policy stores (call when the state is replaced by an unrelated one).
    pub fn reset_stores(&mut self) {
        self.stores.clear();
    }
}

/// The outcome of evaluating an invariant: holds, or fails with the counterexample bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The invariant holds.
    Holds,
    /// The invariant fails; the bindings of the failing `forall`s, outermost first.
    Fails(Vec<String>),
}

struct Ev<'w, 'c> {
    src: &'w str,
    state: &'w SimState,
    cache: &'c mut EvalCache,
    env: Vec<(&'w str, Val<'w>)>,
    witness: Vec<String>,
    /// The world's reachability index, built on the first `reach()` of this evaluation.
    analyzer: Option<crate::cloud::reach::Analyzer<'w>>,
}

/// Evaluates a checked expression on `state`.
pub fn evaluate(
    src: &str,
    expr: &Expr,
    state: &SimState,
    cache: &mut EvalCache,
) -> Result<Verdict, EvalError> {
    let mut ev = Ev {
        src,
        state,
        cache,
        env: Vec::new(),
        witness: Vec::new(),
        analyzer: None,
    };
    let v = ev.eval(expr)?;
    match v {
        Val::Bool(true) => Ok(Verdict::Holds),
        Val::Bool(false) => Ok(Verdict::Fails(ev.witness)),
        other => Err(err_at(
            src,
            expr.pos,
            format!(
                "type mismatch: an invariant must be a boolean, this is a {}",
                other.type_name()
            ),
        )),
    }
}

impl<'w> Ev<'w, '_> {
    fn err(&self, pos: usize, message: String) -> EvalError {
        err_at(self.src, pos, message)
    }

    fn bool_of(&mut self, e: &'w Expr, what: &str) -> Result<bool, EvalError> {
        match self.eval(e)? {
            Val::Bool(b) => Ok(b),
            other => Err(self.err(
                e.pos,
                format!(
                    "type mismatch: `{what}` needs a boolean, got {} {}",
                    other.type_name(),
                    other.show()
                ),
            )),
        }
    }

    /// `and`/`or` chains left to right with short-circuit; `implies` as `not a or b`.
    fn connective(&mut self, op: BoolOp, operands: &'w [Expr]) -> Result<bool, EvalError> {
        match op {
            BoolOp::And => {
                for o in operands {
                    if !self.bool_of(o, "and")? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            BoolOp::Or => {
                for o in operands {
                    if self.bool_of(o, "or")? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            BoolOp::Implies => {
                for (k, o) in operands.iter().enumerate() {
                    let last = k + 1 == operands.len();
                    let v = self.bool_of(o, "implies")?;
                    if last {
                        return Ok(v);
                    }
                    if !v {
                        return Ok(true);
                    }
                }
                Ok(true)
            }
        }
    }

    fn eval(&mut self, e: &'w Expr) -> Result<Val<'w>, EvalError> {
        Ok(match &e.kind {
            ExprKind::Lit(Literal::Str(x)) => s(x),
            ExprKind::Lit(Literal::Num(n)) => Val::Num(*n),
            ExprKind::Lit(Literal::Bool(b)) => Val::Bool(*b),
            ExprKind::Lit(Literal::Null) => Val::Null,
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i)?);
                }
                Val::List(out)
            }
            ExprKind::Path { root, fields } => {
                let mut v = match self.env.iter().rev().find(|(n, _)| n == root) {
                    Some((_, v)) => v.clone(),
                    None if collection(root).is_some() => {
                        Val::List(collection_items(self.state, root))
                    }
                    None => {
                        return Err(self.err(e.pos, format!("unknown name `{root}`")));
                    }
                };
                for (field, pos) in fields {
                    v = match v {
                        Val::Obj(o) => get_field(self.state, o, field).ok_or_else(|| {
                            self.err(
                                *pos,
                                format!(
                                    "unknown field `{field}` of {} (fields: {})",
                                    o.kind().name(),
                                    field_list(o.kind())
                                ),
                            )
                        })?,
                        Val::Null => Val::Null,
                        other => {
                            return Err(self.err(
                                *pos,
                                format!(
                                    "cannot read field `{field}` of a {} ({})",
                                    other.type_name(),
                                    other.show()
                                ),
                            ))
                        }
                    };
                }
                v
            }
            ExprKind::Not(inner) => Val::Bool(!self.bool_of(inner, "not")?),
            ExprKind::Bool(op, operands) => Val::Bool(self.connective(*op, operands)?),
            ExprKind::Cmp(op, l, r) => {
                let lv = self.eval(l)?;
                let rv = self.eval(r)?;
                Val::Bool(self.compare(*op, &lv, &rv, r.pos)?)
            }
            ExprKind::Quant {
                quantifier,
                var,
                collection: coll,
                filter,
                body,
                ..
            } => {
                let items = collection_items(self.state, coll);
                let mut result = *quantifier == Quantifier::Forall;
                for item in items {
                    self.env.push((var.as_str(), item.clone()));
                    let mark = self.witness.len();
                    let outcome = (|| -> Result<Option<bool>, EvalError> {
                        if let Some(f) = filter {
                            if !self.bool_of(f, "where")? {
                                return Ok(None);
                            }
                        }
                        Ok(Some(self.bool_of(body, "the quantifier body")?))
                    })();
                    self.env.pop();
                    match (quantifier, outcome?) {
                        (_, None) => {}
                        (Quantifier::Forall, Some(false)) => {
                            let who = match &item {
                                Val::Obj(o) => o.describe(self.state),
                                other => other.show(),
                            };
                            self.witness.insert(mark, format!("{var} = {who}"));
                            result = false;
                            break;
                        }
                        (Quantifier::Exists, Some(true)) => {
                            self.witness.truncate(mark);
                            result = true;
                            break;
                        }
                        _ => self.witness.truncate(mark),
                    }
                }
                Val::Bool(result)
            }
            ExprKind::Can(args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                Val::Bool(self.can(&vals, args)?)
            }
            ExprKind::Reach(args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                Val::Bool(self.reach(&vals, args)?)
            }
        })
    }

    fn equal(a: &Val<'_>, b: &Val<'_>) -> bool {
        match (a, b) {
            (Val::Null, Val::Null) => true,
            (Val::Bool(x), Val::Bool(y)) => x == y,
            (Val::Num(x), Val::Num(y)) => x == y,
            (Val::Str(x), Val::Str(y)) => x == y,
            (Val::Obj(o), Val::Str(x)) | (Val::Str(x), Val::Obj(o)) => o.key() == *x,
            (Val::Obj(x), Val::Obj(y)) => x.kind() == y.kind() && x.key() == y.key(),
            (Val::List(x), Val::List(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| Self::equal(a, b))
            }
            _ => false,
        }
    }

    fn compare(
        &mut self,
        op: CmpOp,
        l: &Val<'w>,
        r: &Val<'w>,
        pos: usize,
    ) -> Result<bool, EvalError> {
        let mismatch = |this: &Self| {
            this.err(
                pos,
                format!(
                    "type mismatch: cannot compare {} {} with {} {} using `{}`",
                    l.type_name(),
                    l.show(),
                    r.type_name(),
                    r.show(),
                    op.as_str()
                ),
            )
        };
        Ok(match op {
            CmpOp::Eq | CmpOp::Ne => {
                let comparable = matches!(
                    (l, r),
                    (Val::Null, _)
                        | (_, Val::Null)
                        | (Val::Bool(_), Val::Bool(_))
                        | (Val::Num(_), Val::Num(_))
                        | (Val::Str(_), Val::Str(_))
                        | (Val::Obj(_), Val::Str(_) | Val::Obj(_))
                        | (Val::Str(_), Val::Obj(_))
                        | (Val::List(_), Val::List(_))
                );
                if !comparable {
                    return Err(mismatch(self));
                }
                Self::equal(l, r) == (op == CmpOp::Eq)
            }
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                let ord = match (l, r) {
                    (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
                    (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
                    _ => return Err(mismatch(self)),
                };
                let Some(ord) = ord else { return Ok(false) };
                match op {
                    CmpOp::Lt => ord.is_lt(),
                    CmpOp::Le => ord.is_le(),
                    CmpOp::Gt => ord.is_gt(),
                    _ => ord.is_ge(),
                }
            }
            CmpOp::Like => match (l, r) {
                (Val::Null, Val::Str(_)) => false,
                (Val::Str(text), Val::Str(pattern)) => {
                    let cache = &mut self.cache.patterns;
                    if !cache.contains_key(pattern.as_ref()) {
                        // Patterns may come from the world (`e.params.X`): keep the cache
                        // bounded over long runs.
                        if cache.len() >= MAX_CACHED_PATTERNS {
                            cache.clear();
                        }
                        cache.insert(pattern.to_string(), Wildcard::new(pattern));
                    }
                    cache.get(pattern.as_ref()).is_some_and(|w| w.matches(text))
                }
                _ => return Err(mismatch(self)),
            },
            CmpOp::In | CmpOp::NotIn => match r {
                Val::List(items) => items.iter().any(|i| Self::equal(l, i)) == (op == CmpOp::In),
                _ => return Err(mismatch(self)),
            },
        })
    }

    fn can(&mut self, vals: &[Val<'w>], args: &'w [Expr]) -> Result<bool, EvalError> {
        let state = self.state;
        let str_arg = |this: &Self, i: usize, what: &str| -> Result<String, EvalError> {
            match vals.get(i) {
                Some(Val::Str(x)) => Ok(x.to_string()),
                Some(other) => Err(this.err(
                    args.get(i).map_or(0, |a| a.pos),
                    format!(
                        "type mismatch: the {what} of can() must be a string, got {} {}",
                        other.type_name(),
                        other.show()
                    ),
                )),
                None => Err(this.err(0, format!("can() needs a {what}"))),
            }
        };
        let caller = match vals.first() {
            Some(Val::Obj(Obj::User(a, u))) => Caller::User {
                account: (*a).to_string(),
                name: u.name.clone(),
            },
            Some(Val::Obj(Obj::Role(a, r))) => role_caller(a, &r.name),
            Some(Val::Obj(Obj::Account(a))) => Caller::Root {
                account: a.uid.clone(),
            },
            Some(Val::Str(name)) => {
                let resolved = match name
                    .strip_prefix("role/")
                    .and_then(|r| r.split_once('@'))
                {
                    Some((role, acct)) => {
                        let uid = state
                            .world
                            .uid_by_alias(acct)
                            .map_or_else(|| acct.to_string(), str::to_string);
                        Ok(role_caller(&uid, role))
                    }
                    None => state
                        .iam
                        .resolve_caller(&state.world, name)
                        .map_err(|e| e.message),
                };
                resolved.map_err(|m| {
                    self.err(
                        args[0].pos,
                        format!("can(): unknown principal {name:?}: {m}"),
                    )
                })?
            }
            Some(other) => {
                return Err(self.err(
                    args[0].pos,
                    format!(
                        "type mismatch: the principal of can() must be a user, role, account or name, got {} {}",
                        other.type_name(),
                        other.show()
                    ),
                ))
            }
            None => return Err(self.err(0, "can() needs a principal".into())),
        };
        let action = str_arg(self, 1, "action")?;
        let resource = str_arg(self, 2, "resource")?;
        let target = match vals.get(3) {
            None | Some(Val::Null) => None,
            Some(Val::Obj(Obj::Account(a))) => Some(a.uid.clone()),
            Some(_) => Some(str_arg(self, 3, "target account")?),
        };
        Ok(can(
            state,
            self.cache,
            &caller,
            &action,
            &resource,
            target.as_deref(),
        ))
    }
}

impl<'w> Ev<'w, '_> {
    /// `reach(source, target, protocol[, port])`: true when the packet and its reply both get
    /// through (network-model §8). Ends are instances (objects, ids or names) or the string
    /// forms of `ramsim reach` (`ip:VPC/IP`, `vsw:VSW/IP`, …); an end that does not exist (any
    /// more) cannot be reached, so the answer is false.
    fn reach(&mut self, vals: &[Val<'w>], args: &'w [Expr]) -> Result<bool, EvalError> {
        use crate::cloud::reach::probe::{parse_protocol, parse_source, parse_target};
        let w = &self.state.world;
        let pos = |i: usize| args.get(i).map_or(0, |a| a.pos);
        let end = |i: usize| -> Result<String, EvalError> {
            match vals.get(i) {
                Some(Val::Obj(Obj::Instance(x))) => Ok(String::from(&x.instance_id)),
                Some(Val::Str(x)) => Ok(x.to_string()),
                Some(other) => Err(self.err(
                    pos(i),
                    format!(
                        "type mismatch: the {} of reach() must be an instance or a string, got {} {}",
                        if i == 0 { "source" } else { "target" },
                        other.type_name(),
                        other.show()
                    ),
                )),
                None => Err(self.err(0, "reach() needs a source and a target".into())),
            }
        };
        let (from, to) = (end(0)?, end(1)?);
        let protocol = match vals.get(2) {
            Some(Val::Str(p)) => parse_protocol(p).map_err(|m| self.err(pos(2), m))?,
            Some(other) => {
                return Err(self.err(
                    pos(2),
                    format!(
                        "type mismatch: the protocol of reach() must be \"tcp\", \"udp\" or \"icmp\", got {} {}",
                        other.type_name(),
                        other.show()
                    ),
                ))
            }
            None => return Err(self.err(0, "reach() needs a protocol".into())),
        };
        let port = match vals.get(3) {
            None | Some(Val::Null) => None,
            Some(Val::Num(n)) if n.fract() == 0.0 && (1.0..=65535.0).contains(n) => Some(*n as u16),
            Some(other) => {
                return Err(self.err(
                    pos(3),
                    format!(
                        "the port of reach() must be a number 1-65535, got {}",
                        other.show()
                    ),
                ))
            }
        };
        if protocol.has_ports() && port.is_none() {
            return Err(self.err(pos(2), "reach() over tcp or udp needs a port".into()));
        }
        let (Ok(source), Ok(target)) = (parse_source(w, &from), parse_target(w, &to)) else {
            return Ok(false);
        };
        let probe = crate::cloud::reach::Probe {
            source,
            target,
            protocol,
            source_port: None,
            target_port: port,
        };
        let a = self
            .analyzer
            .get_or_insert_with(|| crate::cloud::reach::Analyzer::new(w));
        Ok(a.analyze(&probe).is_ok_and(|v| v.reachable))
    }
}

fn role_caller(account: &str, role: &str) -> Caller {
    Caller::Session {
        account: account.to_string(),
        role: role.to_string(),
        session: "ramsim-check".into(),
        access_key_id: "(ramsim-check)".into(),
    }
}

/// Asks whether `caller` may do `action` on `resource` in `state`: exactly what the gateway
/// would decide for a call of that action now ([`crate::api::decision`]): the caller's store
/// with its control and session policies, the gateway's default envelope at the current clock,
/// the catalog's dependent actions (`cdt:GetCdtServiceStatus` for peering), the role's trust
/// policy for `sts:AssumeRole` (false when the role does not exist), and `target` (an account
/// uid) as the peer account whose `acs:TargetRDId`/`acs:TargetRDPath` peering calls inject.
/// Expired role sessions can do nothing.
pub fn can(
    state: &SimState,
    cache: &mut EvalCache,
    caller: &Caller,
    action: &str,
    resource: &str,
    target: Option<&str>,
) -> bool {
    let w = &state.world;
    let Some(query) = crate::api::decision::query_for_action(state, action, resource, target)
    else {
        return false;
    };
    let key = match caller {
        // A session's store depends on its own session policy: key by its AccessKey too.
        Caller::Session {
            account,
            role,
            access_key_id,
            ..
        } => {
            format!("role/{role}@{account}/{access_key_id}")
        }
        other => other.arn(),
    };
    let generation = state.iam.policy_generation;
    let store = match cache.stores.get(&key) {
        Some((g, store)) if *g == generation => store.clone(),
        _ => {
            let store = Arc::new(state.iam.policy_store(w, caller));
            cache.stores.insert(key, (generation, store.clone()));
            store
        }
    };
    let principal = state.iam.principal(w, caller);
    crate::api::decision::decide_query(
        state,
        &store,
        &principal,
        caller,
        &crate::api::Envelope::default(),
        &query,
        w.now(),
    )
}

/// Status names a peering can have (for documentation and generators).
pub fn peer_status_names() -> Vec<&'static str> {
    use PeerStatus::*;
    [
        Creating, Accepting, Updating, Activated, Rejected, Expired, Deleting, Deleted,
    ]
    .iter()
    .map(|s| s.as_str())
    .collect()
}
