//! What the invariant language can see: the collections, the kinds of objects in them and
//! their fields. The static checker uses this table; the evaluator reads the same fields.

/// The kind of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A VPC peering connection.
    Peering,
    /// One end of a peering (`requester` / `accepter`).
    Side,
    /// A VPC.
    Vpc,
    /// A vSwitch.
    VSwitch,
    /// A custom route entry.
    Route,
    /// An ECS instance.
    Instance,
    /// A RAM user.
    User,
    /// A RAM role.
    Role,
    /// A RAM group.
    Group,
    /// A custom RAM policy.
    Policy,
    /// An account.
    Account,
    /// A Resource Directory control policy.
    ControlPolicy,
    /// An audit (ActionTrail) event.
    Event,
    /// A transit router attachment (CEN, §6.3).
    TrAttachment,
    /// A CDT charge: billed traffic of one link, sender and hour (issue 17).
    Charge,
    /// A CloudMonitor alert rule.
    AlertRule,
    /// A CloudMonitor alert-log entry.
    Alert,
    /// A raw JSON value (event parameters and responses): any field may be read.
    Json,
}

impl Kind {
    /// The kind's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Peering => "peering",
            Kind::Side => "peering side",
            Kind::Vpc => "vpc",
            Kind::VSwitch => "vswitch",
            Kind::Route => "route",
            Kind::Instance => "instance",
            Kind::User => "user",
            Kind::Role => "role",
            Kind::Group => "group",
            Kind::Policy => "policy",
            Kind::Account => "account",
            Kind::ControlPolicy => "control policy",
            Kind::Event => "event",
            Kind::TrAttachment => "tr attachment",
            Kind::Charge => "charge",
            Kind::AlertRule => "alert rule",
            Kind::Alert => "alert",
            Kind::Json => "JSON value",
        }
    }

    /// The fields of the kind (empty for [`Kind::Json`], which accepts any field).
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Peering => PEERING,
            Kind::Side => SIDE,
            Kind::Vpc => VPC,
            Kind::VSwitch => VSWITCH,
            Kind::Route => ROUTE,
            Kind::Instance => INSTANCE,
            Kind::User => USER,
            Kind::Role => ROLE,
            Kind::Group => GROUP,
            Kind::Policy => POLICY,
            Kind::Account => ACCOUNT,
            Kind::ControlPolicy => CONTROL_POLICY,
            Kind::Event => EVENT,
            Kind::TrAttachment => TR_ATTACHMENT,
            Kind::Charge => super::cost::CHARGE,
            Kind::AlertRule => super::cost::ALERT_RULE,
            Kind::Alert => super::cost::ALERT,
            Kind::Json => &[],
        }
    }

    /// The type of field `name`, if the kind has it.
    pub fn field(self, name: &str) -> Option<Ty> {
        if self == Kind::Json {
            return Some(Ty::Any);
        }
        self.fields().iter().find(|f| f.name == name).map(|f| f.ty)
    }
}

/// A static type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A string (may be `null` where the field says so).
    Str,
    /// A number.
    Num,
    /// A boolean.
    Bool,
    /// A list.
    List,
    /// An object of a kind.
    Obj(Kind),
    /// Unknown until evaluation (JSON).
    Any,
    /// `null`.
    Null,
}

impl Ty {
    /// The type's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Str => "string",
            Ty::Num => "number",
            Ty::Bool => "boolean",
            Ty::List => "list",
            Ty::Obj(k) => k.name(),
            Ty::Any => "value",
            Ty::Null => "null",
        }
    }
}

/// One field of a kind.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Name.
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// What it is (README table).
    pub doc: &'static str,
}

pub(super) const fn f(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

const PEERING: &[Field] = &[
    f("id", Ty::Str, "instance id `pcc-…`"),
    f("name", Ty::Str, "name"),
    f(
        "status",
        Ty::Str,
        "Accepting, Activated, Rejected, Expired, Deleted, …",
    ),
    f(
        "live",
        Ty::Bool,
        "status is Creating, Accepting, Updating, Activated or Deleting",
    ),
    f("requester", Ty::Obj(Kind::Side), "the requesting side"),
    f("accepter", Ty::Obj(Kind::Side), "the accepting side"),
    f("bandwidth", Ty::Num, "Mbit/s (-1 intra-region)"),
    f("link_type", Ty::Str, "link type"),
    f("inter_region", Ty::Bool, "regions differ"),
    f("cross_account", Ty::Bool, "accounts differ"),
    f("resource_group", Ty::Str, "resource group id"),
    f("created", Ty::Str, "creation time"),
];

const SIDE: &[Field] = &[
    f("uid", Ty::Str, "account uid"),
    f("account", Ty::Obj(Kind::Account), "the account"),
    f("vpc_id", Ty::Str, "VPC id"),
    f("region", Ty::Str, "region id"),
    f("rd_id", Ty::Str, "directory id, null outside the directory"),
    f(
        "rd_path",
        Ty::Str,
        "RD path `rd-…/r-…/fd-…/<uid>`, null outside",
    ),
    f("folder", Ty::Str, "folder id, null outside"),
    f("in_directory", Ty::Bool, "member of the resource directory"),
];

const VPC: &[Field] = &[
    f("id", Ty::Str, "`vpc-…`"),
    f("name", Ty::Str, "name"),
    f("owner", Ty::Str, "owner uid"),
    f("account", Ty::Obj(Kind::Account), "owner account"),
    f("region", Ty::Str, "region id"),
    f("cidr", Ty::Str, "IPv4 CIDR block"),
    f("status", Ty::Str, "Available / Pending"),
    f("route_table", Ty::Str, "system route table id"),
    f("resource_group", Ty::Str, "resource group id"),
];

const VSWITCH: &[Field] = &[
    f("id", Ty::Str, "`vsw-…`"),
    f("name", Ty::Str, "name"),
    f("vpc_id", Ty::Str, "VPC id"),
    f("owner", Ty::Str, "owner uid"),
    f("region", Ty::Str, "region id"),
    f("zone", Ty::Str, "zone id"),
    f("cidr", Ty::Str, "IPv4 CIDR block"),
    f("status", Ty::Str, "status"),
];

const ROUTE: &[Field] = &[
    f("id", Ty::Str, "`rte-…`"),
    f("name", Ty::Str, "name"),
    f("table", Ty::Str, "route table id"),
    f("vpc_id", Ty::Str, "VPC id"),
    f("owner", Ty::Str, "owner uid of the VPC"),
    f("destination", Ty::Str, "destination CIDR"),
    f(
        "next_hop_type",
        Ty::Str,
        "VpcPeer, Instance, … (null for ECMP lists)",
    ),
    f("next_hop_id", Ty::Str, "next hop id"),
    f("status", Ty::Str, "status"),
];

const INSTANCE: &[Field] = &[
    f("id", Ty::Str, "`i-…`"),
    f("name", Ty::Str, "instance name"),
    f("owner", Ty::Str, "owner uid"),
    f("account", Ty::Obj(Kind::Account), "owner account"),
    f("region", Ty::Str, "region id"),
    f("zone", Ty::Str, "zone id"),
    f("vpc_id", Ty::Str, "VPC id"),
    f("vswitch_id", Ty::Str, "vSwitch id"),
    f("ip", Ty::Str, "primary private IPv4 address"),
    f("status", Ty::Str, "Running, Stopped, …"),
    f("security_groups", Ty::List, "security group ids"),
];

const USER: &[Field] = &[
    f("name", Ty::Str, "user name"),
    f("id", Ty::Str, "user id"),
    f("account", Ty::Str, "account uid"),
    f("arn", Ty::Str, "`acs:ram::<uid>:user/<name>`"),
    f("groups", Ty::List, "group names"),
    f(
        "policies",
        Ty::List,
        "names of policies attached to the user (account scope)",
    ),
    f("access_keys", Ty::Num, "number of AccessKeys"),
];

const ROLE: &[Field] = &[
    f("name", Ty::Str, "role name"),
    f("id", Ty::Str, "role id"),
    f("account", Ty::Str, "account uid"),
    f("arn", Ty::Str, "`acs:ram::<uid>:role/<name>`"),
    f("trust", Ty::Str, "trust policy text"),
    f("policies", Ty::List, "names of attached policies"),
];

const GROUP: &[Field] = &[
    f("name", Ty::Str, "group name"),
    f("account", Ty::Str, "account uid"),
    f("arn", Ty::Str, "`acs:ram::<uid>:group/<name>`"),
    f("members", Ty::List, "user names"),
    f("policies", Ty::List, "names of attached policies"),
];

const POLICY: &[Field] = &[
    f("name", Ty::Str, "policy name"),
    f("account", Ty::Str, "account uid"),
    f("type", Ty::Str, "`Custom`"),
    f("default_version", Ty::Str, "`v1`, `v2`, …"),
    f("document", Ty::Str, "default version's document text"),
    f("versions", Ty::Num, "number of versions"),
    f("attached", Ty::Bool, "attached to any user, group or role"),
];

const ACCOUNT: &[Field] = &[
    f("uid", Ty::Str, "account uid"),
    f("alias", Ty::Str, "alias, null if none"),
    f("in_directory", Ty::Bool, "member of the resource directory"),
    f("rd_id", Ty::Str, "directory id, null outside"),
    f("rd_path", Ty::Str, "RD path, null outside"),
    f("folder", Ty::Str, "folder id, null outside"),
    f("management", Ty::Bool, "the directory's management account"),
    f("cdt_enabled", Ty::Bool, "CDT activated"),
    f("site", Ty::Str, "China / International"),
];

const CONTROL_POLICY: &[Field] = &[
    f(
        "id",
        Ty::Str,
        "`cp-…` (`p-FullAliyunAccess` for the system one)",
    ),
    f("name", Ty::Str, "name"),
    f("type", Ty::Str, "System / Custom"),
    f("effect_scope", Ty::Str, "RAM / All"),
    f("document", Ty::Str, "document text"),
    f(
        "targets",
        Ty::List,
        "folder ids and member uids it is attached to",
    ),
];

const EVENT: &[Field] = &[
    f("id", Ty::Str, "event id"),
    f("request_id", Ty::Str, "request id"),
    f("name", Ty::Str, "API name (eventName)"),
    f("type", Ty::Str, "ApiCall / AliyunServiceEvent"),
    f("rw", Ty::Str, "Read / Write"),
    f("service", Ty::Str, "service name"),
    f("time", Ty::Str, "event time"),
    f("region", Ty::Str, "acsRegion"),
    f("success", Ty::Bool, "no error code"),
    f("error_code", Ty::Str, "error code, \"\" on success"),
    f("caller", Ty::Str, "userIdentity.userName"),
    f(
        "caller_type",
        Ty::Str,
        "root-account, ram-user, assumed-role, system, unknown",
    ),
    f("account", Ty::Str, "userIdentity.accountId"),
    f("recipient", Ty::Str, "recipientAccountId"),
    f("resource", Ty::Str, "resourceName"),
    f("resource_type", Ty::Str, "resourceType"),
    f(
        "params",
        Ty::Obj(Kind::Json),
        "requestParameters (any field)",
    ),
    f(
        "response",
        Ty::Obj(Kind::Json),
        "responseElements (null when absent)",
    ),
];

const TR_ATTACHMENT: &[Field] = &[
    f("id", Ty::Str, "`tr-attach-…`"),
    f("cen_id", Ty::Str, "CEN id"),
    f("owner", Ty::Str, "owner uid (the CEN's account)"),
    f("tr_id", Ty::Str, "transit router id"),
    f("region", Ty::Str, "region id of the transit router"),
    f("type", Ty::Str, "VPC / TR (peer attachment)"),
    f(
        "vpc_id",
        Ty::Str,
        "attached VPC id, null for a peer attachment",
    ),
    f(
        "vpc_owner",
        Ty::Str,
        "uid of the VPC's account, null for a peer attachment",
    ),
    f(
        "vpc_account",
        Ty::Obj(Kind::Account),
        "the VPC's account, null for a peer attachment",
    ),
    f(
        "cross_account",
        Ty::Bool,
        "the VPC belongs to another account than the CEN",
    ),
    f("status", Ty::Str, "Attaching / Attached"),
];

/// The collections a quantifier can range over, with the kind of their elements.
pub const COLLECTIONS: &[(&str, Kind)] = &[
    ("peerings", Kind::Peering),
    ("vpcs", Kind::Vpc),
    ("vswitches", Kind::VSwitch),
    ("routes", Kind::Route),
    ("instances", Kind::Instance),
    ("users", Kind::User),
    ("roles", Kind::Role),
    ("groups", Kind::Group),
    ("policies", Kind::Policy),
    ("accounts", Kind::Account),
    ("control_policies", Kind::ControlPolicy),
    ("events", Kind::Event),
    ("tr_attachments", Kind::TrAttachment),
    ("charges", Kind::Charge),
    ("alert_rules", Kind::AlertRule),
    ("alerts", Kind::Alert),
];

/// The element kind of collection `name`.
pub fn collection(name: &str) -> Option<Kind> {
    COLLECTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
}
