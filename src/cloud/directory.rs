//! Resource Directory: folders, members and RD paths (§1.2).

use crate::cloud::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A folder below the root (`fd-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// `fd-…` id.
    pub folder_id: String,
    /// Folder name.
    pub folder_name: String,
    /// Parent: the root folder (`r-…`) or another folder (`fd-…`).
    pub parent_folder_id: String,
}

/// A member account of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Account uid.
    pub account_id: String,
    /// Folder holding the account (`r-…` or `fd-…`).
    pub folder_id: String,
    /// `CloudAccount` | `ResourceAccount`.
    pub account_type: String,
    /// `invited` | `created`.
    pub join_method: String,
    /// e.g. `CreateSuccess`, `InviteSuccess`.
    pub status: String,
}

/// The resource directory (one per world in this model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceDirectory {
    /// `rd-…`.
    pub resource_directory_id: String,
    /// `r-…`.
    pub root_folder_id: String,
    /// Management account uid (`MasterAccountId`).
    pub master_account_id: String,
    /// Creation time.
    pub create_time: Timestamp,
    /// Folders by id.
    pub folders: BTreeMap<String, Folder>,
    /// Members by uid (includes the management account).
    pub members: BTreeMap<String, Member>,
}

impl ResourceDirectory {
    /// Path of a folder id (`r-…` or `fd-…`): `rd-…/r-…/fd-…/…`. `None` when unknown
    /// or when the parent chain is broken or cyclic.
    pub fn folder_path(&self, folder_id: &str) -> Option<String> {
        // Borrowed ids, one string built at the end: every peering call computes a path.
        let mut chain: Vec<&str> = Vec::new();
        let mut cur = folder_id;
        // Depth bound guards against cycles (the spec builder rejects them anyway).
        for _ in 0..=self.folders.len() {
            if cur == self.root_folder_id {
                let len = self.resource_directory_id.len()
                    + self.root_folder_id.len()
                    + chain.iter().map(|f| f.len() + 1).sum::<usize>()
                    + 1;
                let mut path = String::with_capacity(len + 17);
                path.push_str(&self.resource_directory_id);
                path.push('/');
                path.push_str(&self.root_folder_id);
                for f in chain.iter().rev() {
                    path.push('/');
                    path.push_str(f);
                }
                return Some(path);
            }
            let f = self.folders.get(cur)?;
            chain.push(&f.folder_id);
            cur = &f.parent_folder_id;
        }
        None
    }

    /// RD path of a member account: `rd-…/r-…/[fd-…/]*<uid>` (§1.2).
    pub fn member_path(&self, uid: &str) -> Option<String> {
        let m = self.members.get(uid)?;
        let mut path = self.folder_path(&m.folder_id)?;
        path.push('/');
        path.push_str(uid);
        Some(path)
    }
}
