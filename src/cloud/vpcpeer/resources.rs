//! VPC peering connection resource and state machine helpers (§3.1, §3.2).

use crate::cloud::lifecycle::Lifecycle;
use crate::cloud::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Peering status (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PeerStatus {
    /// Being created (Stepped mode).
    Creating,
    /// Waiting for the accepter (cross-account).
    Accepting,
    /// Being accepted or modified (Stepped mode).
    Updating,
    /// Usable.
    Activated,
    /// Rejected by the accepter.
    Rejected,
    /// Not accepted within the expiry window.
    Expired,
    /// Being deleted (Stepped mode).
    Deleting,
    /// Deleted (terminal; record kept internally, §3.2 T9).
    Deleted,
}

impl PeerStatus {
    /// Alibaba spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerStatus::Creating => "Creating",
            PeerStatus::Accepting => "Accepting",
            PeerStatus::Updating => "Updating",
            PeerStatus::Activated => "Activated",
            PeerStatus::Rejected => "Rejected",
            PeerStatus::Expired => "Expired",
            PeerStatus::Deleting => "Deleting",
            PeerStatus::Deleted => "Deleted",
        }
    }

    /// Non-terminal statuses counted by quotas and the duplicate check (§3.3.1 step 19, §3.5).
    pub fn counts(self) -> bool {
        matches!(
            self,
            PeerStatus::Creating
                | PeerStatus::Accepting
                | PeerStatus::Updating
                | PeerStatus::Activated
                | PeerStatus::Deleting
        )
    }

    /// Transitional statuses (§3.2 last paragraph).
    pub fn transitional(self) -> bool {
        matches!(
            self,
            PeerStatus::Creating | PeerStatus::Updating | PeerStatus::Deleting
        )
    }
}

/// A VPC peering connection (§3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peering {
    /// `pcc-…`.
    pub instance_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Requester account uid (`OwnerId`).
    pub owner_uid: String,
    /// Requester region.
    pub region_id: String,
    /// Requester VPC.
    pub vpc_id: String,
    /// Accepter account uid (`AcceptingOwnerUid`).
    pub accepting_owner_uid: String,
    /// Accepter region.
    pub accepting_region_id: String,
    /// Accepter VPC.
    pub accepting_vpc_id: String,
    /// Mbit/s; `-1` = unlimited (intra-region).
    pub bandwidth: i64,
    /// `Gold` | `Platinum` | `""` (intra-region).
    pub link_type: String,
    /// Status and pending transition.
    pub lifecycle: Lifecycle<PeerStatus>,
    /// Creation time.
    pub gmt_create: Timestamp,
    /// Last modification time.
    pub gmt_modified: Timestamp,
    /// Expiry of an un-accepted request (kept once `Expired`).
    pub gmt_expired: Option<Timestamp>,
    /// Resource group of the requester.
    pub resource_group_id: String,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Link type history for billing (§3.7 rule 4): `(since, link_type)`.
    pub link_type_history: Vec<(Timestamp, String)>,
}

impl Peering {
    /// Status at `now` with T5 (expiry) applied lazily (§3.2).
    pub fn status_at(&self, now: Timestamp) -> PeerStatus {
        let s = self.lifecycle.at(now);
        match (s, self.gmt_expired) {
            (PeerStatus::Accepting, Some(exp)) if now >= exp => PeerStatus::Expired,
            _ => s,
        }
    }

    /// Requester and accepter regions differ.
    pub fn is_inter_region(&self) -> bool {
        self.region_id != self.accepting_region_id
    }

    /// The two accounts differ.
    pub fn is_cross_account(&self) -> bool {
        self.owner_uid != self.accepting_owner_uid
    }

    /// True when `uid` is the requester or accepter account.
    pub fn involves_account(&self, uid: &str) -> bool {
        self.owner_uid == uid || self.accepting_owner_uid == uid
    }

    /// True when `vpc_id` is one of the two ends.
    pub fn involves_vpc(&self, vpc_id: &str) -> bool {
        self.vpc_id == vpc_id || self.accepting_vpc_id == vpc_id
    }

    /// Highest link type in effect at any time during `[start, end)` (§3.7 rule 4).
    pub fn max_link_type_during(&self, start: Timestamp, end: Timestamp) -> Option<String> {
        let mut best: Option<&str> = None;
        for (i, (since, lt)) in self.link_type_history.iter().enumerate() {
            let until = self
                .link_type_history
                .get(i + 1)
                .map(|(t, _)| *t)
                .unwrap_or(Timestamp(i64::MAX));
            if *since < end && until > start {
                best = match best {
                    Some(b) if link_rank(b) >= link_rank(lt) => Some(b),
                    _ => Some(lt.as_str()),
                };
            }
        }
        best.map(str::to_string)
    }
}

/// Service level order: Platinum > Gold.
pub fn link_rank(lt: &str) -> u8 {
    match lt {
        "Platinum" => 2,
        "Gold" => 1,
        _ => 0,
    }
}
