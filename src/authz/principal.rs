//! The calling principal (§5.4, §6.1).

use serde::Serialize;

/// What kind of identity makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PrincipalKind {
    /// An account's owner (root identity).
    Root,
    /// A RAM user.
    RamUser,
    /// A RAM role session obtained through STS.
    AssumedRoleUser,
    /// A federated (SSO) identity.
    Federated,
    /// A cloud service acting through a service principal (trust policies only).
    Service,
}

impl PrincipalKind {
    /// Parses the command-line spelling (`RamUser`, `AssumedRoleUser`, `Root`, ...).
    pub fn from_name(s: &str) -> Option<PrincipalKind> {
        match s {
            "Root" | "RootUser" => Some(PrincipalKind::Root),
            "RamUser" | "SubUser" => Some(PrincipalKind::RamUser),
            "AssumedRoleUser" => Some(PrincipalKind::AssumedRoleUser),
            "Federated" => Some(PrincipalKind::Federated),
            "Service" => Some(PrincipalKind::Service),
            _ => None,
        }
    }

    /// `AuthPrincipalType` as RAM reports it (§7.2).
    pub fn auth_principal_type(self) -> &'static str {
        match self {
            PrincipalKind::Root => "RootUser",
            PrincipalKind::RamUser => "SubUser",
            PrincipalKind::AssumedRoleUser => "AssumedRoleUser",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::Service => "Service",
        }
    }
}

/// Everything the evaluator needs to know about the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The identity kind.
    pub kind: PrincipalKind,
    /// UID of the account the principal belongs to.
    pub account: String,
    /// Principal id: RAM user id, `RoleId:SessionName`, or the account UID for root.
    pub id: String,
    /// ARNs the principal is known by, most specific first (user ARN; session ARN then role
    /// ARN for role sessions; `acs:ram::<uid>:root` for root; the service name for services).
    pub arns: Vec<String>,
    /// The account is a member of a Resource Directory with control policies enabled.
    pub in_resource_directory: bool,
    /// The account is the directory's management account (control policies never apply, §6.1).
    pub management_account: bool,
    /// The principal is a service-linked role (control policies never apply, §6.1).
    pub service_linked_role: bool,
    /// `AuthPrincipalDisplayName` (§7.2): user id for RAM users, `RoleName:Session` for sessions.
    pub display_name: String,
}

/// The RAM ARN `acs:ram::<account>:<tail…>` (`tail` joined: `["user/", name]`), built in one
/// allocation of the exact length: principals, grantees and RAM resources are named this way
/// on every call.
pub fn ram_arn(account: &str, tail: &[&str]) -> String {
    const HEAD: &str = "acs:ram::";
    let len = HEAD.len() + account.len() + 1 + tail.iter().map(|t| t.len()).sum::<usize>();
    let mut arn = String::with_capacity(len);
    arn.push_str(HEAD);
    arn.push_str(account);
    arn.push(':');
    for t in tail {
        arn.push_str(t);
    }
    arn
}

impl Principal {
    /// A principal of `kind` in `account`, with ARNs derived from `name` as §5.4 describes.
    /// For role sessions `name` is `RoleName/SessionName` (or just `RoleName`).
    pub fn new(kind: PrincipalKind, account: &str, name: &str) -> Principal {
        // Built without `format!`: the gateway and every decider build a principal per call.
        let (arns, display) = match kind {
            PrincipalKind::Root => (vec![ram_arn(account, &["root"])], account.to_string()),
            PrincipalKind::RamUser => (vec![ram_arn(account, &["user/", name])], name.to_string()),
            PrincipalKind::AssumedRoleUser => {
                let (role, session) = name.split_once('/').unwrap_or((name, ""));
                let role_arn = ram_arn(account, &["role/", role]);
                if session.is_empty() {
                    (vec![role_arn], role.to_string())
                } else {
                    (
                        vec![[role_arn.as_str(), "/", session].concat(), role_arn],
                        [role, ":", session].concat(),
                    )
                }
            }
            PrincipalKind::Federated => (
                vec![ram_arn(account, &["saml-provider/", name])],
                ["saml-provider/", name].concat(),
            ),
            PrincipalKind::Service => (vec![name.to_string()], name.to_string()),
        };
        Principal {
            kind,
            account: account.to_string(),
            id: name.to_string(),
            arns,
            in_resource_directory: false,
            management_account: false,
            service_linked_role: false,
            display_name: display,
        }
    }

    /// A principal from command-line style parts: kind name (`RamUser`, `AssumedRoleUser`,
    /// `Root`, `Federated`, `Service`), account, optional name/id, optional extra ARN and the
    /// flags `(in_resource_directory, management_account, service_linked_role)`.
    pub fn from_parts(
        kind_name: &str,
        account: &str,
        id: Option<&str>,
        arn: Option<&str>,
        flags: (bool, bool, bool),
    ) -> Result<Principal, String> {
        let kind = PrincipalKind::from_name(kind_name)
            .ok_or_else(|| format!("unknown principal type `{kind_name}`"))?;
        if account.is_empty() {
            return Err("the principal's account UID must not be empty".into());
        }
        let default_name = match kind {
            PrincipalKind::AssumedRoleUser => "role/session",
            PrincipalKind::Service => "ecs.aliyuncs.com",
            _ => "user",
        };
        let mut p = Principal::new(kind, account, id.unwrap_or(default_name));
        if let Some(arn) = arn {
            p.arns.insert(0, arn.to_string());
        }
        (
            p.in_resource_directory,
            p.management_account,
            p.service_linked_role,
        ) = flags;
        Ok(p)
    }

    /// The value RAM injects as `acs:PrincipalARN` (§5.1, §10 Q9): role sessions carry the role
    /// ARN with the role name lower-cased and no session suffix.
    pub fn principal_arn_key(&self) -> Option<String> {
        match self.kind {
            PrincipalKind::AssumedRoleUser => {
                self.arns
                    .last()
                    .map(|role_arn| match role_arn.split_once(":role/") {
                        Some((head, role)) => [head, ":role/", &role.to_lowercase()].concat(),
                        None => role_arn.clone(),
                    })
            }
            PrincipalKind::Service => None,
            _ => self.arns.first().cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_arn_joins_account_and_tail() {
        assert_eq!(ram_arn("123", &["root"]), "acs:ram::123:root");
        assert_eq!(
            ram_arn("123", &["role/", "admin", "/", "s1"]),
            "acs:ram::123:role/admin/s1"
        );
        assert_eq!(ram_arn("", &[]), "acs:ram:::");
        let user = Principal::new(PrincipalKind::RamUser, "123", "alice");
        assert_eq!(user.arns, vec!["acs:ram::123:user/alice".to_string()]);
    }
}
