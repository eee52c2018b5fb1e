//! The operation catalog: one entry per modeled API with its RAM action, access level, the
//! resource ARNs it is authorized against, the condition keys it injects and its dependent
//! actions (network-model.md §9.2, ram-policy.md §3.4). The gateway computes concrete ARNs
//! from request parameters (see `cloud::auth` and `iam::ops`); this table is the static view
//! used for listing, simulation, diffing and linting.

/// How an API touches its resources (ActionTrail `eventRW`: create/update/delete are `Write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLevel {
    /// Creates a resource.
    Create,
    /// Modifies a resource.
    Update,
    /// Deletes a resource.
    Delete,
    /// Reads one resource.
    Get,
    /// Lists resources.
    List,
}

impl AccessLevel {
    /// True for Create/Update/Delete.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            AccessLevel::Create | AccessLevel::Update | AccessLevel::Delete
        )
    }
}

/// One modeled API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiEntry {
    /// Product (`VpcPeer`, `Vpc`, `Ram`, `ResourceManager`, `Sts`, `Actiontrail`).
    pub product: &'static str,
    /// API name (`CreateVpcPeerConnection`).
    pub api: &'static str,
    /// RAM action (`vpc:CreateVpcPeerConnection`).
    pub action: &'static str,
    /// Access level.
    pub level: AccessLevel,
    /// Resource ARN templates: `{region}`, `{account}` and `{Param}` placeholders; `*` alone
    /// means an All-Resource action (authorized against `*`).
    pub resources: &'static [&'static str],
    /// Condition keys the product injects besides the global ones.
    pub condition_keys: &'static [&'static str],
    /// Dependent `(action, resource)` pairs that must also be allowed.
    pub dependent: &'static [(&'static str, &'static str)],
}

impl ApiEntry {
    /// True when the action is authorized against `*` only (§3.3).
    pub fn all_resource(&self) -> bool {
        self.resources == ["*"]
    }
}

use AccessLevel::*;

const TARGET_RD: &[&str] = &["acs:TargetRDId", "acs:TargetRDPath"];

macro_rules! api {
    ($product:literal, $api:literal, $code:literal, $level:expr, [$($res:literal),*]) => {
        api!($product, $api, $code, $level, [$($res),*], &[], &[])
    };
    ($product:literal, $api:literal, $code:literal, $level:expr, [$($res:literal),*], $keys:expr, $dep:expr) => {
        ApiEntry {
            product: $product,
            api: $api,
            action: concat!($code, ":", $api),
            level: $level,
            resources: &[$($res),*],
            condition_keys: $keys,
            dependent: $dep,
        }
    };
}

/// Every modeled API.
pub const CATALOG: &[ApiEntry] = &[
    // VPC peering (product VpcPeer, RAM code vpc), §9.2.
    api!(
        "VpcPeer",
        "CreateVpcPeerConnection",
        "vpc",
        Create,
        ["*"],
        TARGET_RD,
        &[("cdt:GetCdtServiceStatus", "*")]
    ),
    api!(
        "VpcPeer",
        "AcceptVpcPeerConnection",
        "vpc",
        Create,
        ["*"],
        TARGET_RD,
        &[]
    ),
    api!(
        "VpcPeer",
        "RejectVpcPeerConnection",
        "vpc",
        Update,
        ["acs:vpc:*:{account}:vpcpeer/{InstanceId}"]
    ),
    api!(
        "VpcPeer",
        "ModifyVpcPeerConnection",
        "vpc",
        Update,
        ["acs:vpc:*:{account}:vpcpeer/{InstanceId}"]
    ),
    api!("VpcPeer", "DeleteVpcPeerConnection", "vpc", Delete, ["*"]),
    api!(
        "VpcPeer",
        "GetVpcPeerConnectionAttribute",
        "vpc",
        Get,
        ["acs:vpc:*:{account}:vpcpeer/{InstanceId}"]
    ),
    api!("VpcPeer", "ListVpcPeerConnections", "vpc", List, ["*"]),
    // VPC, vSwitch, routes.
    api!(
        "Vpc",
        "CreateVpc",
        "vpc",
        Create,
        ["acs:vpc:{region}:{account}:vpc/*"]
    ),
    api!(
        "Vpc",
        "CreateVSwitch",
        "vpc",
        Create,
        [
            "acs:vpc:{region}:{account}:vswitch/*",
            "acs:vpc:{region}:{account}:vpc/{VpcId}"
        ]
    ),
    api!(
        "Vpc",
        "CreateRouteEntry",
        "vpc",
        Create,
        ["acs:vpc:{region}:{account}:routetable/{RouteTableId}"]
    ),
    api!(
        "Vpc",
        "DeleteRouteEntry",
        "vpc",
        Delete,
        ["acs:vpc:{region}:{account}:routetable/{RouteTableId}"]
    ),
    api!("Vpc", "DescribeVpcs", "vpc", List, ["*"]),
    api!("Vpc", "DescribeVSwitches", "vpc", List, ["*"]),
    api!("Vpc", "DescribeRouteTableList", "vpc", List, ["*"]),
    api!("Vpc", "DescribeRouteEntryList", "vpc", List, ["*"]),
    // RAM.
    api!(
        "Ram",
        "CreateUser",
        "ram",
        Create,
        ["acs:ram::{account}:user/{UserName}"]
    ),
    api!(
        "Ram",
        "CreateAccessKey",
        "ram",
        Create,
        ["acs:ram::{account}:user/{UserName}"]
    ),
    api!(
        "Ram",
        "CreateGroup",
        "ram",
        Create,
        ["acs:ram::{account}:group/{GroupName}"]
    ),
    api!(
        "Ram",
        "AddUserToGroup",
        "ram",
        Update,
        ["acs:ram::{account}:group/{GroupName}"]
    ),
    api!(
        "Ram",
        "CreateRole",
        "ram",
        Create,
        ["acs:ram::{account}:role/{RoleName}"]
    ),
    api!(
        "Ram",
        "UpdateRole",
        "ram",
        Update,
        ["acs:ram::{account}:role/{RoleName}"]
    ),
    api!(
        "Ram",
        "CreatePolicy",
        "ram",
        Create,
        ["acs:ram::{account}:policy/{PolicyName}"]
    ),
    api!(
        "Ram",
        "CreatePolicyVersion",
        "ram",
        Create,
        ["acs:ram::{account}:policy/{PolicyName}"]
    ),
    api!(
        "Ram",
        "DeletePolicy",
        "ram",
        Delete,
        ["acs:ram::{account}:policy/{PolicyName}"]
    ),
    api!(
        "Ram",
        "AttachPolicyToUser",
        "ram",
        Update,
        [
            "acs:ram::{account}:policy/{PolicyName}",
            "acs:ram::{account}:user/{UserName}"
        ]
    ),
    api!(
        "Ram",
        "AttachPolicyToGroup",
        "ram",
        Update,
        [
            "acs:ram::{account}:policy/{PolicyName}",
            "acs:ram::{account}:group/{GroupName}"
        ]
    ),
    api!(
        "Ram",
        "AttachPolicyToRole",
        "ram",
        Update,
        [
            "acs:ram::{account}:policy/{PolicyName}",
            "acs:ram::{account}:role/{RoleName}"
        ]
    ),
    api!(
        "Ram",
        "DetachPolicyFromUser",
        "ram",
        Update,
        [
            "acs:ram::{account}:policy/{PolicyName}",
            "acs:ram::{account}:user/{UserName}"
        ]
    ),
    api!(
        "Ram",
        "DetachPolicyFromGroup",
        "ram",
        Update,
        [
            "acs:ram::{account}:policy/{PolicyName}",
            "acs:ram::{account}:group/{GroupName}"
        ]
    ),
    api!(
        "Ram",
        "DetachPolicyFromRole",
        "ram",
        Update,
        [
            "acs:ram::{account}:policy/{PolicyName}",
            "acs:ram::{account}:role/{RoleName}"
        ]
    ),
    // Resource Manager / Resource Directory.
    api!(
        "ResourceManager",
        "CreateResourceGroup",
        "resourcemanager",
        Create,
        ["acs:resourcemanager::{account}:resourcegroup/*"]
    ),
    api!(
        "ResourceManager",
        "AttachPolicy",
        "resourcemanager",
        Update,
        ["acs:resourcemanager::{account}:resourcegroup/{ResourceGroupId}"]
    ),
    api!(
        "ResourceManager",
        "DetachPolicy",
        "resourcemanager",
        Update,
        ["acs:resourcemanager::{account}:resourcegroup/{ResourceGroupId}"]
    ),
    api!(
        "ResourceManager",
        "CreateControlPolicy",
        "resourcemanager",
        Create,
        ["acs:resourcemanager::{account}:policy/controlpolicy/*"]
    ),
    api!(
        "ResourceManager",
        "AttachControlPolicy",
        "resourcemanager",
        Update,
        [
            "acs:resourcemanager::{account}:policy/controlpolicy/{PolicyId}",
            "acs:resourcemanager::{account}:folder/{TargetPath}"
        ]
    ),
    api!(
        "ResourceManager",
        "DetachControlPolicy",
        "resourcemanager",
        Update,
        [
            "acs:resourcemanager::{account}:policy/controlpolicy/{PolicyId}",
            "acs:resourcemanager::{account}:folder/{TargetPath}"
        ]
    ),
    // STS.
    api!(
        "Sts",
        "AssumeRole",
        "sts",
        Create,
        ["acs:ram::{RoleAccount}:role/{RoleName}"]
    ),
    api!("Sts", "GetCallerIdentity", "sts", Get, ["*"]),
    // ActionTrail (2020-07-06): the audit trail itself.
    api!("Actiontrail", "LookupEvents", "actiontrail", List, ["*"]),
];

/// Actions referenced only as dependent actions (they have no API of their own here).
pub const DEPENDENT_ONLY_ACTIONS: &[&str] = &["cdt:GetCdtServiceStatus"];

/// The entry for API `name`.
pub fn by_api(name: &str) -> Option<&'static ApiEntry> {
    CATALOG.iter().find(|e| e.api == name)
}

/// The entry for RAM action `action` (case-insensitive, as RAM matches actions).
pub fn by_action(action: &str) -> Option<&'static ApiEntry> {
    CATALOG
        .iter()
        .find(|e| e.action.eq_ignore_ascii_case(action))
}

/// Every RAM action ramsim knows (APIs and dependent-only actions), in catalog order.
pub fn all_actions() -> impl Iterator<Item = &'static str> {
    CATALOG
        .iter()
        .map(|e| e.action)
        .chain(DEPENDENT_ONLY_ACTIONS.iter().copied())
}

/// RAM service codes with at least one modeled action.
pub fn service_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = all_actions()
        .filter_map(|a| a.split_once(':').map(|(c, _)| c))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_consistent() {
        let mut names: Vec<_> = CATALOG.iter().map(|e| e.api).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate API names");
        for e in CATALOG {
            assert!(
                crate::policy::read::action_format_ok(e.action),
                "{}",
                e.action
            );
            assert!(
                e.resources
                    .iter()
                    .all(|r| *r == "*" || r.starts_with("acs:")),
                "{}",
                e.api
            );
        }
        assert_eq!(
            by_action("VPC:createvpcpeerconnection").map(|e| e.api),
            Some("CreateVpcPeerConnection")
        );
        assert!(by_api("CreateVpcPeerConnection").is_some_and(ApiEntry::all_resource));
        assert_eq!(
            service_codes(),
            vec!["actiontrail", "cdt", "ram", "resourcemanager", "sts", "vpc"]
        );
    }
}
