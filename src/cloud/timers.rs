//! The timer queue: which resources may have a transition (or a peering expiry) falling due,
//! ordered by time, so that moving the scenario clock visits only what is due instead of
//! scanning every resource of the world (issue 18: "`settle` visits only what is due").
//!
//! The queue is derived state, like the lookup index: not persisted, built by one scan of the
//! world the first time it is needed (after a load), then kept up to date by
//! [`super::world::World::track`], which every operation that gives a resource a pending
//! transition calls. An entry is a hint, never the truth: when it fires, the resource itself
//! is asked what is due (an entry left behind by a resource that was deleted or settled
//! otherwise finds nothing to do), so a stale entry costs one lookup and cannot change a
//! result. What must never happen is a pending transition *without* an entry;
//! `World::check_timers` (run by the pipeline tests after every operation) checks exactly that.

use crate::cloud::time::Timestamp;
use std::collections::BTreeSet;

/// A resource a timer wakes. The variants' order is the order in which a settling pass visits
/// the kinds (and within a kind, ids in order), which fixes the order of the platform events
/// it produces — the same order as a scan of every map would give.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum Timer {
    /// A VPC's lifecycle.
    Vpc(String),
    /// A vSwitch's lifecycle.
    VSwitch(String),
    /// A custom route entry's lifecycle.
    RouteEntry(String),
    /// A peering's lifecycle, or its expiry while `Accepting` (§3.2 T5).
    Peering(String),
    /// An ECS instance's lifecycle.
    Instance(String),
}

/// `(due time, timer)` pairs; see the module documentation.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerQueue {
    /// False until the first scan of the world (a loaded world starts unbuilt).
    built: bool,
    queue: BTreeSet<(Timestamp, Timer)>,
}

impl PartialEq for TimerQueue {
    /// Derived state, not part of the world: two worlds differing only in it are equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl TimerQueue {
    /// True once the queue reflects the whole world.
    pub(crate) fn is_built(&self) -> bool {
        self.built
    }

    /// Replaces the contents with `entries` (the scan of a whole world) and marks it built.
    pub(crate) fn rebuild(&mut self, entries: impl IntoIterator<Item = (Timestamp, Timer)>) {
        self.queue = entries.into_iter().collect();
        self.built = true;
    }

    /// Adds an entry (a no-op before the queue is built: the first scan will find it).
    pub(crate) fn push(&mut self, at: Timestamp, timer: Timer) {
        if self.built {
            self.queue.insert((at, timer));
        }
    }

    /// The earliest entry's time.
    pub(crate) fn first_time(&self) -> Option<Timestamp> {
        self.queue.first().map(|(t, _)| *t)
    }

    /// Removes and returns the timers due at `now` (every timer when `all`), each once, in
    /// visiting order.
    pub(crate) fn take_due(&mut self, now: Timestamp, all: bool) -> BTreeSet<Timer> {
        let mut due = BTreeSet::new();
        while let Some((t, _)) = self.queue.first() {
            if !all && *t > now {
                break;
            }
            if let Some((_, timer)) = self.queue.pop_first() {
                due.insert(timer);
            }
        }
        due
    }

    /// True when `(at, timer)` or an earlier entry for `timer` is queued (a check for tests:
    /// linear in the queue).
    pub(crate) fn covers(&self, at: Timestamp, timer: &Timer) -> bool {
        self.queue.iter().any(|(t, x)| x == timer && *t <= at)
    }

    /// Number of entries (stale ones included).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_epoch(1_700_000_000 + s)
    }

    #[test]
    fn take_due_returns_each_due_timer_once_in_visiting_order() {
        let mut q = TimerQueue::default();
        q.push(t(1), Timer::Vpc("vpc-b".into()));
        assert_eq!(q.len(), 0, "pushes before the first build are dropped");
        q.rebuild([
            (t(5), Timer::Instance("i-a".into())),
            (t(3), Timer::Vpc("vpc-b".into())),
            (t(9), Timer::Vpc("vpc-a".into())),
        ]);
        q.push(t(4), Timer::Vpc("vpc-b".into()));
        assert_eq!(q.first_time(), Some(t(3)));
        let due: Vec<Timer> = q.take_due(t(5), false).into_iter().collect();
        assert_eq!(
            due,
            vec![Timer::Vpc("vpc-b".into()), Timer::Instance("i-a".into())]
        );
        assert_eq!(q.first_time(), Some(t(9)));
        assert!(q.covers(t(9), &Timer::Vpc("vpc-a".into())));
        assert!(!q.covers(t(8), &Timer::Vpc("vpc-a".into())));
        assert_eq!(q.take_due(t(0), true).len(), 1);
        assert_eq!(q.first_time(), None);
    }
}
