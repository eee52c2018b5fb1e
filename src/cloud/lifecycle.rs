//! Transitional statuses (§0.4.5) evaluated lazily on the scenario clock.
//!
//! A status may carry a pending transition `(to, at)`. Readers use
//! [`Lifecycle::at`] so that validation never has to mutate the world; the
//! transition is materialized (`settle_due`) only by successful calls,
//! `World::advance_clock` and `World::settle`.

use crate::cloud::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A scheduled transition to `to` at time `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending<S> {
    /// Target status.
    pub to: S,
    /// When it takes effect.
    pub at: Timestamp,
}

/// Stored status plus an optional pending transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle<S> {
    /// Current stored status.
    pub status: S,
    /// Pending transition (only in `Stepped` settle mode).
    pub pending: Option<Pending<S>>,
}

impl<S: Copy + PartialEq> Lifecycle<S> {
    /// A settled status.
    pub fn settled(status: S) -> Self {
        Lifecycle {
            status,
            pending: None,
        }
    }

    /// A transitional status that becomes `to` at `at`.
    pub fn transitional(status: S, to: S, at: Timestamp) -> Self {
        Lifecycle {
            status,
            pending: Some(Pending { to, at }),
        }
    }

    /// Builds either a settled `to` (`stepped == false`) or `from` pending to `to`.
    pub fn start(stepped: bool, from: S, to: S, at: Timestamp) -> Self {
        if stepped {
            Self::transitional(from, to, at)
        } else {
            Self::settled(to)
        }
    }

    /// Status as seen at `now`.
    pub fn at(&self, now: Timestamp) -> S {
        match self.pending {
            Some(p) if now >= p.at => p.to,
            _ => self.status,
        }
    }

    /// True while a transition is still pending at `now`.
    pub fn is_transitional(&self, now: Timestamp) -> bool {
        matches!(self.pending, Some(p) if now < p.at)
    }

    /// Materializes a due transition. Returns `Some((from, to))` when one happened.
    pub fn settle_due(&mut self, now: Timestamp) -> Option<(S, S)> {
        match self.pending {
            Some(p) if now >= p.at => Some(self.force_settle_inner(p.to)),
            _ => None,
        }
    }

    /// Materializes the pending transition regardless of time (`World::settle`).
    pub fn force_settle(&mut self) -> Option<(S, S)> {
        self.pending.map(|p| self.force_settle_inner(p.to))
    }

    /// [`Lifecycle::force_settle`] when `force`, else [`Lifecycle::settle_due`] at `now`: one
    /// settling pass's step (`World::settle` forces, a clock move does not).
    pub fn settle(&mut self, now: Timestamp, force: bool) -> Option<(S, S)> {
        if force {
            self.force_settle()
        } else {
            self.settle_due(now)
        }
    }

    fn force_settle_inner(&mut self, to: S) -> (S, S) {
        let from = self.status;
        self.status = to;
        self.pending = None;
        (from, to)
    }
}
