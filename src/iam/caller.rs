//! Who is calling: resolving a caller name or AccessKeyId to an identity, and the
//! `authz::Principal` the evaluator sees.

use super::model::Iam;
use crate::authz::{ram_arn, Principal, PrincipalKind};
use crate::cloud::{CloudError, World};
use serde::{Deserialize, Serialize};

/// A resolved caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Caller {
    /// The account's root identity.
    Root {
        /// Account UID.
        account: String,
    },
    /// A RAM user.
    User {
        /// Account UID.
        account: String,
        /// User name.
        name: String,
    },
    /// An STS role session.
    Session {
        /// Account owning the role.
        account: String,
        /// Role name.
        role: String,
        /// Session name.
        session: String,
        /// `STS.…` AccessKey id.
        access_key_id: String,
    },
}

impl Caller {
    /// The account the caller acts for.
    pub fn account(&self) -> &str {
        match self {
            Caller::Root { account }
            | Caller::User { account, .. }
            | Caller::Session { account, .. } => account,
        }
    }

    /// The principal ARN (`acs:ram::<uid>:user/<name>`, …) as shown in audit events.
    pub fn arn(&self) -> String {
        match self {
            Caller::Root { account } => ram_arn(account, &["root"]),
            Caller::User { account, name } => ram_arn(account, &["user/", name]),
            Caller::Session {
                account,
                role,
                session,
                ..
            } => ram_arn(account, &["role/", role, "/", session]),
        }
    }
}

/// The [`Principal`] flags `(in_resource_directory, management_account)` of a principal of
/// `account`: what the evaluator reads of the directory besides the policies.
pub fn directory_flags(world: &World, account: &str) -> (bool, bool) {
    let rd = world.resource_directory();
    (
        rd.is_some_and(|rd| rd.members.contains_key(account)),
        rd.is_some_and(|rd| rd.master_account_id == account),
    )
}

/// True for strings shaped like an AccessKey id (`LTAI…` of a user, `STS.…` of a session):
/// an unknown one is an unknown key, not a misspelt principal name.
pub fn is_access_key_id(who: &str) -> bool {
    who.starts_with("LTAI") || who.starts_with("STS.")
}

/// `text` with its first letter upper-cased, to follow another sentence.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn account_uid(world: &World, text: &str) -> Option<String> {
    if world.account(text).is_some() {
        Some(text.to_string())
    } else {
        world.uid_by_alias(text).map(str::to_string)
    }
}

/// The error an expired role session's AccessKey gets, from every API (Alibaba's public
/// error `InvalidSecurityToken.Expired`, "Specified SecurityToken is expired."; HTTP 400 as the
/// common-error tables list it — some product pages, e.g. DTS, list 403: ASSUMED 400).
pub fn expired_token_error() -> CloudError {
    CloudError::bad(
        "InvalidSecurityToken.Expired",
        "Specified SecurityToken is expired.",
    )
}

impl Iam {
    /// Why `caller`'s credentials cannot be used at `now` (epoch seconds), if they cannot: a
    /// role session past its `Expiration` ([`Session::is_live`](super::model::Session::is_live)).
    /// Roots, users and hypothetical sessions (`simulate`'s `role:NAME@ACCT`, `can()` on a
    /// role object: no AccessKey was issued) have no expiry. This is the one decision the
    /// gateway, `simulate` and `can()` share.
    pub fn credential_error(&self, caller: &Caller, now: i64) -> Option<CloudError> {
        let Caller::Session { access_key_id, .. } = caller else {
            return None;
        };
        let session = self.sessions.get(access_key_id)?;
        (!session.is_live(now)).then(expired_token_error)
    }

    /// Resolves `who` as [`Iam::resolve_caller`] does and refuses credentials that are no
    /// longer valid on the world's clock ([`Iam::credential_error`]): what a caller
    /// presenting `who` gets from any API.
    pub fn authenticate(&self, world: &World, who: &str) -> Result<Caller, CloudError> {
        let caller = self.resolve_caller(world, who)?;
        match self.credential_error(&caller, world.now().epoch()) {
            Some(e) => Err(e),
            None => Ok(caller),
        }
    }

    /// Resolves `who`: `root@<uid|alias>`, a user name (`alice`, or `alice@<uid|alias>` when
    /// ambiguous), a user's AccessKeyId (`LTAI…`), or a role session's AccessKeyId (`STS.…`).
    pub fn resolve_caller(&self, world: &World, who: &str) -> Result<Caller, CloudError> {
        let unknown = || {
            CloudError::not_found(
                "InvalidAccessKeyId.NotFound",
                format!("Specified access key is not found: `{who}`."),
            )
            .with_hint(
                (!is_access_key_id(who)).then(|| sentence(&self.no_principal_message(world, who))),
            )
        };
        if let Some(s) = self.sessions.get(who) {
            return Ok(Caller::Session {
                account: s.account.clone(),
                role: s.role.clone(),
                session: s.session_name.clone(),
                access_key_id: s.access_key_id.clone(),
            });
        }
        let (name, scope) = match who.split_once('@') {
            Some((n, acct)) => (n, Some(account_uid(world, acct).ok_or_else(unknown)?)),
            None => (who, None),
        };
        if name == "root" {
            let account = scope.ok_or_else(unknown)?;
            return Ok(Caller::Root { account });
        }
        // The one matching user, kept by reference until the search ends (no list: this runs
        // on every call).
        let mut found = None;
        for (uid, acct) in &self.accounts {
            if scope.as_ref().is_some_and(|s| s != uid) {
                continue;
            }
            for user in acct.users.values() {
                if user.name == name
                    || user
                        .access_keys
                        .iter()
                        .any(|k| k.id == name && k.status == "Active")
                {
                    if found.is_some() {
                        return Err(CloudError::bad(
                            "InvalidParameter.Caller",
                            format!(
                                "caller `{who}` names users in several accounts; write `{who}@<account>`"
                            ),
                        ));
                    }
                    found = Some((uid, &user.name));
                }
            }
        }
        match found {
            Some((uid, user)) => Ok(Caller::User {
                account: uid.clone(),
                name: user.clone(),
            }),
            None => Err(unknown()),
        }
    }

    /// Every way to name a caller of the world, in a stable order: user names, `user@alias`
    /// (or `user@uid` for accounts without an alias), `root@alias` and `root@uid`.
    pub fn caller_names(&self, world: &World) -> Vec<String> {
        let mut names = Vec::new();
        for (uid, acct) in &self.accounts {
            let tag = world
                .account(uid)
                .and_then(|a| a.alias.clone())
                .unwrap_or_else(|| uid.clone());
            for user in acct.users.values() {
                names.push(user.name.clone());
                names.push(format!("{}@{tag}", user.name));
            }
        }
        for a in world.accounts() {
            if let Some(alias) = &a.alias {
                names.push(format!("root@{alias}"));
            }
            names.push(format!("root@{}", a.uid));
        }
        names
    }

    /// The caller name closest to `who`, when one is close enough to be a typo.
    pub fn caller_suggestion(&self, world: &World, who: &str) -> Option<String> {
        let names = self.caller_names(world);
        crate::suggest::closest(who, names.iter().map(String::as_str)).map(str::to_string)
    }

    /// "no principal `alcie` — did you mean `alice`?" (or, without a close name, what
    /// callers look like).
    pub fn no_principal_message(&self, world: &World, who: &str) -> String {
        match self.caller_suggestion(world, who) {
            Some(s) => format!("no principal `{who}` — did you mean `{s}`?"),
            None => format!(
                "no principal `{who}` (callers are a user name, `user@<account>`, `root@<account>`, \
                 or an AccessKeyId; `ramsim show` lists them)"
            ),
        }
    }

    /// The principal the evaluator sees for `caller` (§5.4, §6.1).
    pub fn principal(&self, world: &World, caller: &Caller) -> Principal {
        let account = caller.account();
        let mut p = match caller {
            Caller::Root { account } => Principal::new(PrincipalKind::Root, account, "root"),
            Caller::User { account, name } => {
                let mut p = Principal::new(PrincipalKind::RamUser, account, name);
                if let Some(u) = self.accounts.get(account).and_then(|a| a.users.get(name)) {
                    p.display_name = u.id.clone();
                    p.id = u.id.clone();
                }
                p
            }
            Caller::Session {
                account,
                role,
                session,
                ..
            } => {
                let mut p = Principal::new(
                    PrincipalKind::AssumedRoleUser,
                    account,
                    &[role, "/", session].concat(),
                );
                if let Some(r) = self.accounts.get(account).and_then(|a| a.roles.get(role)) {
                    p.id = [r.id.as_str(), ":", session].concat();
                    p.service_linked_role = r.service_linked;
                }
                p
            }
        };
        (p.in_resource_directory, p.management_account) = directory_flags(world, account);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::model::Session;

    fn iam_with_session(expires: i64) -> Iam {
        let mut iam = Iam::default();
        iam.sessions.insert(
            "STS.k".into(),
            Session {
                access_key_id: "STS.k".into(),
                account: "111".into(),
                role: "r".into(),
                session_name: "s".into(),
                policy: None,
                expires,
                assumed_by: String::new(),
            },
        );
        iam
    }

    fn session(key: &str) -> Caller {
        Caller::Session {
            account: "111".into(),
            role: "r".into(),
            session: "s".into(),
            access_key_id: key.into(),
        }
    }

    #[test]
    fn sessions_expire_at_their_expiration() {
        let iam = iam_with_session(1_000);
        assert!(iam.credential_error(&session("STS.k"), 999).is_none());
        let e = iam
            .credential_error(&session("STS.k"), 1_000)
            .expect("expired at Expiration");
        assert_eq!(
            (e.code.as_str(), e.http_status),
            ("InvalidSecurityToken.Expired", 400)
        );
        // Hypothetical sessions (no AccessKey issued), users and roots never expire.
        assert!(iam.credential_error(&session(""), 5_000).is_none());
        let root = Caller::Root {
            account: "111".into(),
        };
        assert!(iam.credential_error(&root, i64::MAX).is_none());
    }
}
