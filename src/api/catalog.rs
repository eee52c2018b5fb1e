//! The operation registry, assembled from the products' own declarations: every modeled API
//! with its RAM action, access level, parameters, the resource ARN templates it is authorized
//! against, the condition keys it injects, its dependent actions, denial and response shape
//! (network-model.md §9.2, ram-policy.md §3.4). Nothing here is declared twice: each
//! [`ApiEntry`] is the `DECL` of an API in its product folder (`cloud/vpcpeer/api.rs`,
//! `cloud/vpc/api.rs`) or the product's list (`iam/ram.rs`, `iam/resourcemanager.rs`,
//! `iam/sts.rs`, `api/trail.rs`). Listing, simulation, diffing, linting, `check`'s generator and the CLI's
//! did-you-mean read this registry; the gateway dispatches through `cloud::operation` and
//! `iam::ops`, which are built from the same declarations.

use crate::cloud::declare::Product;
use crate::cloud::{alb, cen, clb, cms, ecs, nis, nlb, operation, privatelink, vpc, vpcpeer};
use crate::iam::{ram, resourcemanager, sts};

use super::trail;
use crate::authz::fast::FxMap;
use std::sync::OnceLock;

pub use crate::cloud::declare::{AccessLevel, ApiDecl as ApiEntry};

/// Every product, in listing order.
pub const PRODUCTS: &[&Product] = &[
    &vpcpeer::PRODUCT,
    &vpc::PRODUCT,
    &ecs::PRODUCT,
    &nlb::PRODUCT,
    &privatelink::PRODUCT,
    &clb::PRODUCT,
    &cen::PRODUCT,
    &alb::PRODUCT,
    &nis::PRODUCT,
    &cms::PRODUCT,
    &ram::PRODUCT,
    &resourcemanager::PRODUCT,
    &sts::PRODUCT,
    &trail::PRODUCT,
];

/// The declaration lists, in listing order: the network registry (VpcPeer, Vpc), then RAM,
/// Resource Manager, STS and ActionTrail.
const LISTS: [&[ApiEntry]; 5] = [
    operation::DECLS,
    ram::DECLS,
    resourcemanager::DECLS,
    sts::DECLS,
    trail::DECLS,
];

const COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < LISTS.len() {
        n += LISTS[i].len();
        i += 1;
    }
    n
};

/// `LISTS` laid end to end, at compile time.
const fn concat() -> [ApiEntry; COUNT] {
    let mut out = [operation::DECLS[0]; COUNT];
    let (mut list, mut at) = (0, 0);
    while list < LISTS.len() {
        let mut i = 0;
        while i < LISTS[list].len() {
            out[at] = LISTS[list][i];
            at += 1;
            i += 1;
        }
        list += 1;
    }
    out
}

/// Every modeled API, in listing order.
pub const CATALOG: &[ApiEntry] = &concat();

/// The product named `name` (as the aliyun CLI and ActionTrail spell it, any case).
pub fn product(name: &str) -> Option<&'static Product> {
    PRODUCTS
        .iter()
        .copied()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Actions referenced only as dependent actions (they have no API of their own here).
pub const DEPENDENT_ONLY_ACTIONS: &[&str] = &["cdt:GetCdtServiceStatus"];

/// The catalog indexes of the entries named `name`, in catalog order (several for NLB's, CLB's
/// and ALB's `CreateLoadBalancer`). The gateway looks an API up several times per call: one
/// hash of the name instead of comparing it with every registered API (169 and growing).
pub fn indexes_of(name: &str) -> &'static [u16] {
    static INDEX: OnceLock<FxMap<&'static str, Vec<u16>>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let mut index: FxMap<&'static str, Vec<u16>> = FxMap::default();
            for (i, e) in CATALOG.iter().enumerate() {
                const { assert!(COUNT <= u16::MAX as usize) };
                let i = u16::try_from(i).unwrap_or(u16::MAX);
                index.entry(e.api).or_default().push(i);
            }
            index
        })
        .get(name)
        .map_or(&[], Vec::as_slice)
}

/// The entry for API `name`: the first registered one when two products share the name
/// (NLB's and CLB's `CreateLoadBalancer`); use [`by_product_api`] when the product is known.
pub fn by_api(name: &str) -> Option<&'static ApiEntry> {
    let i = *indexes_of(name).first()?;
    CATALOG.get(usize::from(i))
}

/// The entry for API `name` of product `product` (any case), or, with no product, the only
/// product's entry of that name (`None` when the name is unknown or shared by several
/// products and no product is named).
pub fn by_product_api(product: Option<&str>, name: &str) -> Option<&'static ApiEntry> {
    let mut found = indexes_of(name)
        .iter()
        .map(|&i| &CATALOG[usize::from(i)])
        .filter(|e| product.is_none_or(|p| e.product.eq_ignore_ascii_case(p)));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// True when several products declare an API named `name` (the request must name its
/// product).
pub fn is_shared_api(name: &str) -> bool {
    indexes_of(name).len() > 1
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
        // An API name may be shared by products (NLB and CLB `CreateLoadBalancer`), never
        // declared twice by one product.
        let mut names: Vec<_> = CATALOG.iter().map(|e| (e.product, e.api)).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate API names");
        for e in CATALOG.iter() {
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
            vec![
                "actiontrail",
                "alb",
                "cdt",
                "cen",
                "cms",
                "ecs",
                "nis",
                "nlb",
                "privatelink",
                "ram",
                "resourcemanager",
                "slb",
                "sts",
                "vpc"
            ]
        );
    }

    #[test]
    fn every_api_on_a_resource_declares_its_trail_type() {
        // The ActionTrail service segments of each product's types (§10.3); Resource
        // Manager's AttachPolicy/DetachPolicy act on RAM policies.
        let families = |product: &str| -> &[&str] {
            match product {
                "VpcPeer" | "Vpc" => &["VPC"],
                "Ecs" => &["ECS"],
                "Nlb" => &["NLB"],
                "Privatelink" => &["PrivateLink"],
                "Slb" => &["SLB"],
                "Cbn" => &["CEN"],
                "Alb" => &["ALB"],
                "Nis" => &["NIS"],
                "Cms" => &["CMS"],
                "Ram" | "Sts" => &["RAM"],
                "ResourceManager" => &["ResourceManager", "RAM"],
                other => panic!("no ActionTrail family for product {other}"),
            }
        };
        for e in CATALOG {
            if e.resource_type.is_empty() {
                assert!(
                    e.all_resource() && !e.level.is_write(),
                    "{}/{} acts on a resource but declares no resource type",
                    e.product,
                    e.api
                );
                continue;
            }
            let in_family = families(e.product).iter().any(|f| {
                let prefix = format!("ACS::{f}::");
                e.resource_type.starts_with(&prefix) && e.resource_type.len() > prefix.len()
            });
            assert!(in_family, "{}/{}: {}", e.product, e.api, e.resource_type);
        }
        // Names that would mislead a guess from the API name.
        let type_of = |product, api| by_product_api(Some(product), api).unwrap().resource_type;
        assert_eq!(
            type_of("Privatelink", "AddUserToVpcEndpointService"),
            "ACS::PrivateLink::VpcEndpointService"
        );
        assert_eq!(type_of("Nlb", "CreateServerGroup"), "ACS::NLB::ServerGroup");
        assert_eq!(type_of("Alb", "CreateServerGroup"), "ACS::ALB::ServerGroup");
        assert_eq!(
            type_of("Slb", "CreateLoadBalancer"),
            "ACS::SLB::LoadBalancer"
        );
        assert_eq!(
            type_of("Cbn", "CreateTransitRouterVpcAttachment"),
            "ACS::CEN::TransitRouterAttachment"
        );
        assert_eq!(type_of("Ram", "AddUserToGroup"), "ACS::RAM::Group");
    }

    #[test]
    fn every_call_on_a_resource_declares_where_its_name_comes_from() {
        for e in CATALOG {
            if e.resource_type.is_empty() || e.level == AccessLevel::List {
                continue;
            }
            assert!(
                !e.names.is_empty(),
                "{}/{} acts on {} but declares no `names`",
                e.product,
                e.api,
                e.resource_type
            );
            for name in e.names {
                // A request parameter (`Foo.1` for a `Foo.N` list), a response field, or a
                // pointer into the response.
                let declared = e
                    .params
                    .iter()
                    .any(|p| p.name == *name || p.name.replace(".N", ".1") == *name)
                    || e.response.contains(name)
                    || name
                        .strip_prefix('/')
                        .and_then(|path| path.split('/').next())
                        .is_some_and(|top| e.response.contains(&top));
                assert!(
                    declared,
                    "{}/{} names its resource by undeclared {name}",
                    e.product, e.api
                );
            }
        }
    }

    #[test]
    fn product_and_api_name_one_entry() {
        assert_eq!(
            by_product_api(Some("vpcpeer"), "CreateVpcPeerConnection").map(|e| e.product),
            Some("VpcPeer")
        );
        assert_eq!(
            by_product_api(None, "CreateVpc").map(|e| e.product),
            Some("Vpc")
        );
        assert!(by_product_api(Some("Vpc"), "CreateVpcPeerConnection").is_none());
        assert!(by_product_api(None, "NoSuchApi").is_none());
        assert!(!is_shared_api("CreateVpc"));
        // Every shared name resolves per product, and not without one.
        for e in CATALOG {
            assert_eq!(
                by_product_api(Some(e.product), e.api).map(|f| (f.product, f.api)),
                Some((e.product, e.api))
            );
            assert_eq!(by_product_api(None, e.api).is_none(), is_shared_api(e.api));
        }
    }
}
