//! The invariant language: rules over the world's objects that must hold after every step.
//!
//! ```text
//! forall p in peerings where p.status == "Activated":
//!     p.requester.rd_path like "rd-abc/r-root/fd-prod/*" and p.accepter.rd_path like "rd-abc/r-root/fd-prod/*"
//! ```
//!
//! An [`Invariant`] is either an expression ([`parser::parse`], checked by [`eval::check`]) or a
//! built-in ([`BUILTINS`]). A [`Monitor`] evaluates one invariant step after step of a run;
//! built-ins that need history (`no-privilege-escalation`, `audit-complete`) keep it there.

pub mod ast;
pub mod cost;
pub mod escalation;
pub mod eval;
pub mod parser;
pub(crate) mod rows;
pub mod schema;

use crate::api::SimState;
use ast::Expr;
pub use eval::{EvalCache, EvalError, Verdict};
pub use parser::ParseError;
use std::path::Path;
use std::sync::Arc;

/// Source of `builtin:peering-within-directory`: a live peering requested by a member of the
/// directory, or an activated one with a member on either side, links two accounts of the
/// same directory.
pub const PEERING_WITHIN_DIRECTORY: &str = "forall p in peerings where p.live:
    (p.requester.in_directory implies p.accepter.rd_id == p.requester.rd_id)
    and (p.status == \"Activated\" implies p.accepter.rd_id == p.requester.rd_id)";

/// Source of `builtin:routes-point-to-live-peerings`: every route whose next hop is a peering
/// points at an activated one.
pub const ROUTES_POINT_TO_LIVE_PEERINGS: &str =
    "forall r in routes where r.next_hop_type == \"VpcPeer\":
    exists p in peerings: p.id == r.next_hop_id and p.status == \"Activated\"";

/// The built-in invariants: name and a one-line description.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "no-privilege-escalation",
        "no principal gains an action it could not do initially, unless the change was made by a caller who could already do that action",
    ),
    (
        "peering-within-directory",
        "a live peering requested from inside the directory, or an activated one touching it, stays inside the directory",
    ),
    (
        "routes-point-to-live-peerings",
        "every route with a VpcPeer next hop points at an Activated peering",
    ),
    (
        "audit-complete",
        "every call leaves exactly one ApiCall event, carrying the call's RequestId",
    ),
];

/// What an invariant checks.
#[derive(Debug, Clone)]
pub enum Rule {
    /// An expression of the language.
    Expr {
        /// The source text (positions in errors refer to it).
        src: String,
        /// The parsed expression.
        expr: Expr,
    },
    /// `builtin:no-privilege-escalation`.
    NoPrivilegeEscalation,
    /// `builtin:audit-complete`.
    AuditComplete,
}

/// A named invariant.
#[derive(Debug, Clone)]
pub struct Invariant {
    /// How it is referred to in reports: `builtin:NAME`, the file path, or the expression.
    pub name: String,
    /// What it checks.
    pub rule: Rule,
}

impl Invariant {
    /// Parses and checks an expression invariant.
    pub fn from_expr(name: &str, src: &str) -> Result<Invariant, String> {
        let expr = parser::parse(src).map_err(|e| format!("{name}:{e}"))?;
        eval::check(src, &expr).map_err(|e| format!("{name}:{e}"))?;
        Ok(Invariant {
            name: name.to_string(),
            rule: Rule::Expr {
                src: src.to_string(),
                expr,
            },
        })
    }

    /// A built-in by name (without the `builtin:` prefix).
    pub fn builtin(name: &str) -> Result<Invariant, String> {
        let full = format!("builtin:{name}");
        match name {
            "no-privilege-escalation" => Ok(Invariant {
                name: full,
                rule: Rule::NoPrivilegeEscalation,
            }),
            "audit-complete" => Ok(Invariant {
                name: full,
                rule: Rule::AuditComplete,
            }),
            "peering-within-directory" => Invariant::from_expr(&full, PEERING_WITHIN_DIRECTORY),
            "routes-point-to-live-peerings" => {
                Invariant::from_expr(&full, ROUTES_POINT_TO_LIVE_PEERINGS)
            }
            other => Err(format!(
                "unknown built-in invariant `{other}` (built-ins: {})",
                BUILTINS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Reads an `--invariant` argument: `builtin:NAME`, a file holding one expression, or an
    /// expression.
    pub fn from_arg(arg: &str) -> Result<Invariant, String> {
        if let Some(name) = arg.strip_prefix("builtin:") {
            return Invariant::builtin(name);
        }
        let path = Path::new(arg);
        if !arg.contains('\n') && path.is_file() {
            let text = crate::input::read_text(path, crate::input::InputKind::Invariant)?;
            return Invariant::from_expr(arg, &text);
        }
        Invariant::from_expr("expression", arg).map(|mut inv| {
            inv.name = arg.split_whitespace().collect::<Vec<_>>().join(" ");
            inv
        })
    }
}

/// What a monitor needs to know about the step just taken.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo<'a> {
    /// The caller of a call step (`None` for a clock advance).
    pub caller: Option<&'a str>,
    /// The call's RequestId (`None` for a clock advance).
    pub request_id: Option<&'a str>,
    /// Length of the audit trail before the step.
    pub audit_before: usize,
}

/// Evaluates one invariant along a run.
pub struct Monitor {
    invariant: Arc<Invariant>,
    escalation: Option<escalation::EscalationMonitor>,
}

impl Monitor {
    /// A monitor for `invariant` over runs starting from `initial` (the baseline of
    /// `no-privilege-escalation` is computed here, once).
    pub fn new(invariant: Arc<Invariant>, initial: &SimState) -> Monitor {
        let escalation = matches!(invariant.rule, Rule::NoPrivilegeEscalation)
            .then(|| escalation::EscalationMonitor::new(initial));
        Monitor {
            invariant,
            escalation,
        }
    }

    /// [`Monitor::new`] sharing the initial world's probe table with the generator, and
    /// publishing the escalation rows on `board` for it.
    pub(crate) fn with_probes(
        invariant: Arc<Invariant>,
        initial: &SimState,
        probes: &escalation::ProbeTable,
        board: &rows::RowBoard,
    ) -> Monitor {
        let escalation = matches!(invariant.rule, Rule::NoPrivilegeEscalation).then(|| {
            escalation::EscalationMonitor::with_probes(initial, Arc::clone(probes), board.clone())
        });
        Monitor {
            invariant,
            escalation,
        }
    }

    /// The invariant.
    pub fn invariant(&self) -> &Invariant {
        &self.invariant
    }

    /// Forgets per-run history (call before each run, with the initial state).
    pub fn reset(&mut self) {
        if let Some(e) = self.escalation.as_mut() {
            e.reset();
        }
    }

    /// Evaluates the invariant after a step.
    pub fn check(
        &mut self,
        state: &SimState,
        step: &StepInfo<'_>,
        cache: &mut EvalCache,
    ) -> Result<Verdict, EvalError> {
        match &self.invariant.rule {
            Rule::Expr { src, expr } => eval::evaluate(src, expr, state, cache),
            Rule::AuditComplete => Ok(audit_complete(state, step)),
            Rule::NoPrivilegeEscalation => match self.escalation.as_mut() {
                Some(e) => Ok(e.check(state, step)),
                None => Ok(Verdict::Holds),
            },
        }
    }
}

fn audit_complete(state: &SimState, step: &StepInfo<'_>) -> Verdict {
    let new = state.audit.get(step.audit_before..).unwrap_or(&[]);
    let calls: Vec<_> = new.iter().filter(|e| e.event_type == "ApiCall").collect();
    match (step.request_id, calls.as_slice()) {
        (None, []) => Verdict::Holds,
        (Some(id), [one]) if one.request_id == id => Verdict::Holds,
        (None, more) => Verdict::Fails(vec![format!(
            "a clock advance logged {} ApiCall event(s)",
            more.len()
        )]),
        (Some(id), found) => Verdict::Fails(vec![format!(
            "call {id} logged {} ApiCall event(s){}",
            found.len(),
            found
                .first()
                .map(|e| format!(" (first with RequestId {})", e.request_id))
                .unwrap_or_default()
        )]),
    }
}
