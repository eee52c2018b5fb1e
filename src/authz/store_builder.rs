//! Building a [`PolicyStore`] from policy files named per kind — the shape `ramsim eval` and
//! the scenario runner's decision cases use.
//!
//! Control policies are given as `FILE[@LEVEL]` with LEVEL `member` (default), `folder:ID` or
//! `root`; policies at one level form one node of the member → root chain, folders innermost
//! first in order of first appearance. FullAliyunAccess is attached to every node unless
//! `full_aliyun_access` is false (what enabling the feature does, §6.3); per level,
//! `detach_full_aliyun_access` leaves it off and `attach_full_aliyun_access` puts it back.

use super::policy_set::{AttachedEntityType, AttachedScope, PolicySourceType};
use super::{ControlNode, PolicySet, PolicySource, PolicyStore};
use crate::input::FileRefs;
use crate::policy::file::{load_policy, LoadedPolicy};
use crate::policy::{read_policy, PolicyKind, ReadOptions};
use serde::Deserialize;
use std::path::Path;

/// The system policy FullAliyunAccess (allows everything).
pub const FULL_ALIYUN_ACCESS: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

fn yes() -> bool {
    true
}

/// Policy files per kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSpec {
    /// Identity policies: `FILE` (account scope) or `FILE@rg:ID` (resource-group scope).
    #[serde(default)]
    pub identity: Vec<String>,
    /// Control policies: `FILE[@member|@folder:ID|@root]`.
    #[serde(default)]
    pub control: Vec<String>,
    /// Attach FullAliyunAccess to every control node (default true).
    #[serde(default = "yes")]
    pub full_aliyun_access: bool,
    /// Levels (`member`, `folder:ID`, `root`) where FullAliyunAccess is detached.
    #[serde(default)]
    pub detach_full_aliyun_access: Vec<String>,
    /// Levels where FullAliyunAccess is attached even though `full_aliyun_access` is false.
    #[serde(default)]
    pub attach_full_aliyun_access: Vec<String>,
    /// Session policy.
    #[serde(default)]
    pub session: Option<String>,
    /// Resource-based policies of the target resource.
    #[serde(default)]
    pub resource_policy: Vec<String>,
    /// Trust policy of the role being assumed (makes the request an AssumeRole).
    #[serde(default)]
    pub trust: Option<String>,
    /// The principal is a role session (identity policies are attached to a role).
    #[serde(skip)]
    pub role_principal: bool,
}

fn source(loaded: &LoadedPolicy, scope: AttachedScope, entity: AttachedEntityType) -> PolicySource {
    PolicySource {
        name: loaded.name(),
        source_type: PolicySourceType::Custom,
        version: Some("v1".into()),
        scope,
        entity,
        file: Some(loaded.file.clone()),
    }
}

fn add(
    set: &mut PolicySet,
    loaded: &LoadedPolicy,
    scope: AttachedScope,
    entity: AttachedEntityType,
) {
    set.add(
        &loaded.policy,
        source(loaded, scope, entity),
        Some(&loaded.text),
    );
}

fn full_aliyun_access_set(options: &ReadOptions) -> Result<PolicySet, String> {
    let policy = read_policy(FULL_ALIYUN_ACCESS, PolicyKind::Control, options)
        .policy
        .ok_or("internal error: FullAliyunAccess does not validate")?;
    let mut set = PolicySet::new();
    set.add(
        &policy,
        PolicySource {
            name: "FullAliyunAccess".into(),
            source_type: PolicySourceType::System,
            version: None,
            scope: AttachedScope::Folder,
            entity: AttachedEntityType::ResourceDirectoryTarget,
            file: None,
        },
        None,
    );
    Ok(set)
}

fn path_in(base: &Path, file: &str) -> String {
    if base.as_os_str().is_empty() || Path::new(file).is_absolute() {
        file.to_string()
    } else {
        base.join(file).display().to_string()
    }
}

/// A level of the control-policy chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// The member account's own node.
    Member,
    /// A folder, by id.
    Folder(String),
    /// The root folder.
    Root,
}

impl Level {
    /// Parses `member`, `root` or `folder:ID`.
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "member" => Some(Level::Member),
            "root" => Some(Level::Root),
            _ => text
                .strip_prefix("folder:")
                .filter(|id| !id.is_empty())
                .map(|id| Level::Folder(id.to_string())),
        }
    }
}

fn parse_levels(levels: &[String], what: &str) -> Result<Vec<Level>, String> {
    levels
        .iter()
        .map(|l| {
            Level::parse(l).ok_or_else(|| {
                format!("{what} `{l}`: a level is `member`, `folder:ID` (e.g. `folder:fd-123`) or `root`")
            })
        })
        .collect()
}

impl StoreSpec {
    /// True when the spec describes Resource Directory attachments (control policies, or
    /// where FullAliyunAccess is attached or detached): the principal is then taken to be in
    /// a directory unless told otherwise.
    pub fn has_control(&self) -> bool {
        !self.control.is_empty()
            || !self.detach_full_aliyun_access.is_empty()
            || !self.attach_full_aliyun_access.is_empty()
    }

    /// Loads and compiles every file (paths relative to `base`); `member` names the member node.
    /// The paths are taken as given (command-line arguments); see [`StoreSpec::build_with`].
    pub fn build(
        &self,
        base: &Path,
        member: &str,
        options: &ReadOptions,
    ) -> Result<PolicyStore, String> {
        self.build_with(base, member, options, &FileRefs::anywhere())
    }

    /// [`StoreSpec::build`] for paths written in a file (a scenario's decision cases): each
    /// must resolve inside what `refs` allows.
    pub fn build_with(
        &self,
        base: &Path,
        member: &str,
        options: &ReadOptions,
        refs: &FileRefs,
    ) -> Result<PolicyStore, String> {
        let load = |file: &str, kind| {
            if !refs.is_anywhere() {
                refs.resolve(base, file, "policies")?;
            }
            load_policy(&path_in(base, file), kind, options)
        };
        let mut store = PolicyStore::default();
        let entity = if self.role_principal {
            AttachedEntityType::RamRole
        } else {
            AttachedEntityType::RamUser
        };
        for spec in &self.identity {
            match spec.rsplit_once("@rg:") {
                Some((file, rg)) => {
                    let loaded = load(file, PolicyKind::Identity)?;
                    add(
                        store.resource_group_set(rg),
                        &loaded,
                        AttachedScope::ResourceGroup,
                        entity,
                    );
                }
                None => {
                    let loaded = load(spec, PolicyKind::Identity)?;
                    add(&mut store.identity, &loaded, AttachedScope::Account, entity);
                }
            }
        }
        if self.has_control() {
            store.control_chain = self.control_chain(base, member, options, refs)?;
        }
        if let Some(file) = &self.session {
            let loaded = load(file, PolicyKind::Session)?;
            let mut set = PolicySet::new();
            add(
                &mut set,
                &loaded,
                AttachedScope::None,
                AttachedEntityType::None,
            );
            store.session = Some(set);
        }
        if self.trust.is_some() && !self.resource_policy.is_empty() {
            return Err("a trust policy and resource policies cannot be combined: the trust policy is the role's resource policy".into());
        }
        if let Some(file) = &self.trust {
            let loaded = load(file, PolicyKind::Trust)?;
            let mut set = PolicySet::new();
            add(
                &mut set,
                &loaded,
                AttachedScope::None,
                AttachedEntityType::None,
            );
            store.resource_policy = Some(set);
        }
        if !self.resource_policy.is_empty() {
            let mut set = PolicySet::new();
            for file in &self.resource_policy {
                let loaded = load(file, PolicyKind::Resource)?;
                add(
                    &mut set,
                    &loaded,
                    AttachedScope::None,
                    AttachedEntityType::None,
                );
            }
            store.resource_policy = Some(set);
        }
        Ok(store)
    }

    fn control_chain(
        &self,
        base: &Path,
        member: &str,
        options: &ReadOptions,
        refs: &FileRefs,
    ) -> Result<Vec<std::sync::Arc<ControlNode>>, String> {
        let detached = parse_levels(
            &self.detach_full_aliyun_access,
            "FullAliyunAccess detached at",
        )?;
        let attached = parse_levels(
            &self.attach_full_aliyun_access,
            "FullAliyunAccess attached at",
        )?;
        if let Some(both) = detached.iter().find(|l| attached.contains(l)) {
            return Err(format!(
                "FullAliyunAccess is both attached and detached at {}",
                match both {
                    Level::Member => "member".to_string(),
                    Level::Root => "root".to_string(),
                    Level::Folder(id) => format!("folder:{id}"),
                }
            ));
        }
        let mut member_policies = Vec::new();
        let mut folders: Vec<(String, Vec<LoadedPolicy>)> = Vec::new();
        let mut root = Vec::new();
        for spec in &self.control {
            let (file, level) = match spec.rsplit_once('@') {
                Some((f, l)) if l == "member" || l == "root" || l.starts_with("folder:") => (f, l),
                _ => (spec.as_str(), "member"),
            };
            let level = Level::parse(level).ok_or_else(|| {
                format!(
                    "control policy `{spec}`: a folder level needs an id, e.g. `@folder:fd-123`"
                )
            })?;
            if !refs.is_anywhere() {
                refs.resolve(base, file, "policies.control")?;
            }
            let loaded = load_policy(&path_in(base, file), PolicyKind::Control, options)?;
            match level {
                Level::Member => member_policies.push(loaded),
                Level::Root => root.push(loaded),
                Level::Folder(id) => match folders.iter_mut().find(|(f, _)| *f == id) {
                    Some((_, list)) => list.push(loaded),
                    None => folders.push((id, vec![loaded])),
                },
            }
        }
        // Folders named only where FullAliyunAccess is (de)attached are nodes too.
        for level in detached.iter().chain(&attached) {
            if let Level::Folder(id) = level {
                if !folders.iter().any(|(f, _)| f == id) {
                    folders.push((id.clone(), Vec::new()));
                }
            }
        }
        let mut nodes = vec![(Level::Member, member.to_string(), member_policies)];
        nodes.extend(
            folders
                .into_iter()
                .map(|(id, p)| (Level::Folder(id.clone()), id, p)),
        );
        nodes.push((Level::Root, "root".to_string(), root));
        let full = full_aliyun_access_set(options)?;
        let full_at = |level: &Level| {
            (self.full_aliyun_access && !detached.contains(level)) || attached.contains(level)
        };
        Ok(nodes
            .into_iter()
            .map(|(level, target, policies)| {
                let mut set = if full_at(&level) {
                    full.clone()
                } else {
                    PolicySet::default()
                };
                for p in &policies {
                    add(
                        &mut set,
                        p,
                        AttachedScope::Folder,
                        AttachedEntityType::ResourceDirectoryTarget,
                    );
                }
                std::sync::Arc::new(ControlNode {
                    target,
                    policies: set,
                    all_scope: PolicySet::new(),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse() {
        assert_eq!(Level::parse("member"), Some(Level::Member));
        assert_eq!(Level::parse("root"), Some(Level::Root));
        assert_eq!(
            Level::parse("folder:fd-1"),
            Some(Level::Folder("fd-1".into()))
        );
        for bad in ["folder:", "folder", "Root", ""] {
            assert_eq!(Level::parse(bad), None, "{bad}");
        }
    }

    fn chain(spec: StoreSpec) -> Result<Vec<(String, Vec<String>)>, String> {
        let store = spec.build(Path::new(""), "111", &ReadOptions::default())?;
        Ok(store
            .control_chain
            .iter()
            .map(|n| {
                (
                    n.target.clone(),
                    n.policies
                        .sources()
                        .iter()
                        .map(|s| s.name.clone())
                        .collect(),
                )
            })
            .collect())
    }

    #[test]
    fn full_aliyun_access_is_attached_per_level() {
        let spec = StoreSpec {
            full_aliyun_access: true,
            detach_full_aliyun_access: vec!["member".into(), "folder:fd-1".into()],
            ..StoreSpec::default()
        };
        assert!(spec.has_control());
        let full = || vec!["FullAliyunAccess".to_string()];
        assert_eq!(
            chain(spec).expect("chain"),
            vec![
                ("111".into(), vec![]),
                ("fd-1".into(), vec![]),
                ("root".into(), full())
            ]
        );
        let spec = StoreSpec {
            full_aliyun_access: false,
            attach_full_aliyun_access: vec!["root".into()],
            ..StoreSpec::default()
        };
        assert_eq!(
            chain(spec).expect("chain"),
            vec![("111".into(), vec![]), ("root".into(), full())]
        );
        let both = StoreSpec {
            full_aliyun_access: true,
            detach_full_aliyun_access: vec!["root".into()],
            attach_full_aliyun_access: vec!["root".into()],
            ..StoreSpec::default()
        };
        assert!(chain(both).is_err());
        let bad = StoreSpec {
            detach_full_aliyun_access: vec!["folder".into()],
            ..StoreSpec::default()
        };
        assert!(chain(bad).is_err());
    }
}
