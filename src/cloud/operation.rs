//! The registry of network APIs: one line per API, naming the type that declares it in its
//! product folder. Everything else — decoding by `Action`, the static declarations
//! ([`DECLS`]), dispatch to the declaration's checks and effects — is generated from that
//! list by [`operations!`].
//!
//! To add an API: declare it in its product folder (a struct with the parameters and an
//! `impl CloudApi`, see `vpcpeer/api.rs`), then add its line below.

use crate::cloud::declare::{ApiDecl, CloudApi};
use crate::cloud::error::CloudError;
use crate::cloud::params::Params;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, World};
use crate::cloud::{alb, cen, clb, cms, ecs, network_acl, nis, nlb, privatelink, vpc, vpcpeer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

// The declaring types, by name, for the list below (and for callers of `cloud::operation`).
pub use alb::api::{
    AlbAddServersToServerGroup, AlbCreateListener, AlbCreateLoadBalancer, AlbCreateServerGroup,
    AlbDeleteListener, AlbDeleteLoadBalancer, AlbDeleteServerGroup, AlbGetListenerHealthStatus,
    AlbGetLoadBalancerAttribute, AlbListListeners, AlbListServerGroups,
    AlbRemoveServersFromServerGroup, ListServerGroupServers,
};
pub use cen::api::*;
pub use cen::grant::{GrantInstanceToTransitRouter, RevokeInstanceFromTransitRouter};
pub use clb::api::*;
pub use clb::health::ClbDescribeHealthStatus;
pub use cms::api::*;
pub use ecs::api::*;
pub use ecs::security_group_api::{
    AuthorizeSecurityGroup, AuthorizeSecurityGroupEgress, CreateSecurityGroup, DeleteSecurityGroup,
    DescribeSecurityGroupAttribute, DescribeSecurityGroups, ModifySecurityGroupPolicy,
    RevokeSecurityGroup, RevokeSecurityGroupEgress,
};
pub use network_acl::api::*;
pub use nis::api::*;
pub use nlb::api::*;
pub use privatelink::api::*;
pub use privatelink::regions::{PrivatelinkDescribeRegions, PrivatelinkDescribeZones};
pub use privatelink::zone_resource::*;
pub use vpc::api::*;
pub use vpc::route_table_api::*;
pub use vpcpeer::api::*;

/// Something done with one typed operation, whatever its type: the registry's dispatch calls
/// it with the operation's concrete type, so each call is monomorphic.
pub(crate) trait OpVisitor {
    /// The result.
    type Out;
    /// Visits `op`.
    fn visit<O: CloudApi + Serialize>(self, op: &O) -> Self::Out;
}

/// Generates [`Operation`] (one variant per registered API, named like the API), [`ACTIONS`],
/// [`DECLS`] and the dispatch from the registration list.
macro_rules! operations {
    ($($name:ident,)*) => {
        /// Every network operation, typed.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                $name($name),
            )*
        }

        /// Names of all registered network APIs, in registration order (a name two products
        /// share — NLB's and CLB's `CreateLoadBalancer` — appears once per product).
        pub const ACTIONS: &[&str] = &[$(<$name as CloudApi>::DECL.api),*];

        /// The Rust names of the declaring types, index for index with [`ACTIONS`] (a type of
        /// a shared API name carries its product's prefix: `NlbCreateLoadBalancer`).
        pub const VARIANTS: &[&str] = &[$(stringify!($name)),*];

        /// The declarations of all registered network APIs, in registration order.
        pub const DECLS: &[ApiDecl] = &[$(<$name as CloudApi>::DECL),*];

        /// Each registered API's typed decode, index for index with [`DECLS`].
        type Decoder = fn(&Params<'_>) -> Result<Operation, CloudError>;
        const DECODERS: &[Decoder] =
            &[$(|p| Ok(Operation::$name(<$name as CloudApi>::decode(p)?))),*];

        impl Operation {
            /// Decodes an RPC request whose product is not named: [`Operation::decode_in`]
            /// with no product.
            pub fn decode(action: &str, params: &Map<String, Value>) -> Result<Operation, CloudError> {
                Operation::decode_in(None, action, params)
            }

            /// Decodes an RPC request of product `product` (any case; `None`: whichever
            /// product declares `action`). Unknown action, or an action `product` does not
            /// declare → `InvalidAction.NotFound` (404); an action several products declare
            /// and no product named → `MissingParameter.Product` (400, ASSUMED: Alibaba
            /// always knows the product from the endpoint); missing required parameter →
            /// `MissingParameter.<Name>`; wrong type → `InvalidParameter.<Name>` (§0.4.10
            /// step (a)); a parameter the API does not define → `InvalidParameter` naming it
            /// (ASSUMED, see [`CloudError::unknown_param`]).
            pub fn decode_in(
                product: Option<&str>,
                action: &str,
                params: &Map<String, Value>,
            ) -> Result<Operation, CloudError> {
                let p = Params::new(params);
                let named = crate::api::catalog::indexes_of(action);
                // The network registry is the catalog's first list: its indexes are the
                // operations' own.
                let Some(&i) = named.iter().find(|&&i| {
                    DECLS
                        .get(usize::from(i))
                        .is_some_and(|d| product.is_none_or(|n| d.product.eq_ignore_ascii_case(n)))
                }) else {
                    return Err(CloudError::unknown_action(action));
                };
                if product.is_none() && named.len() > 1 {
                    return Err(CloudError::ambiguous_action(action));
                }
                let op = DECODERS[usize::from(i)](&p)?;
                if let Some((param, suggestion)) = p.unknown() {
                    return Err(CloudError::unknown_param(
                        &param,
                        action,
                        suggestion.as_deref(),
                    ));
                }
                Ok(op)
            }

            /// Calls `visitor` with the typed operation.
            pub(crate) fn visit<V: OpVisitor>(&self, visitor: V) -> V::Out {
                match self {
                    $(Operation::$name(op) => visitor.visit(op),)*
                }
            }

            /// The operation's declaration.
            pub fn decl(&self) -> &'static ApiDecl {
                match self {
                    $(Operation::$name(_) => &<$name as CloudApi>::DECL,)*
                }
            }

            /// The request's `RegionId`, if the API has one (VpcPeer Accept/Reject/
            /// Modify/Delete/Get are global and have none).
            pub fn region(&self) -> Option<&str> {
                match self {
                    $(Operation::$name(op) => op.region(),)*
                }
            }

            /// The region an event of a global API is logged under: the caller's side (§10.1).
            pub fn event_region(&self, world: &World, caller_account: &str) -> Option<String> {
                match self {
                    $(Operation::$name(op) => op.event_region(world, caller_account),)*
                }
            }

            /// `DryRun` flag, when the API has one.
            pub fn dry_run(&self) -> bool {
                match self {
                    $(Operation::$name(op) => op.dry_run(),)*
                }
            }

            /// `ClientToken`, when given (§0.4.3).
            pub fn client_token(&self) -> Option<&str> {
                match self {
                    $(Operation::$name(op) => op.client_token(),)*
                }
            }

            /// Pre-RAM checks, then the concrete resource ARNs (keys go into `keys`).
            pub(crate) fn authorize(
                &self,
                world: &World,
                ctx: &CallContext,
                now: Timestamp,
                keys: &mut BTreeMap<String, String>,
            ) -> Result<Vec<String>, CloudError> {
                match self {
                    $(Operation::$name(op) => op.authorize(world, ctx, now, keys),)*
                }
            }
        }
    };
}

operations! {
    // VpcPeer (vpcpeer/api.rs)
    CreateVpcPeerConnection,
    AcceptVpcPeerConnection,
    RejectVpcPeerConnection,
    ModifyVpcPeerConnection,
    DeleteVpcPeerConnection,
    GetVpcPeerConnectionAttribute,
    ListVpcPeerConnections,
    // Vpc (vpc/api.rs)
    CreateVpc,
    CreateVSwitch,
    CreateRouteEntry,
    DeleteRouteEntry,
    DescribeVpcs,
    DescribeVSwitches,
    DescribeRouteTableList,
    DescribeRouteEntryList,
    // Vpc custom route tables (vpc/route_table_api.rs)
    CreateRouteTable,
    AssociateRouteTable,
    UnassociateRouteTable,
    DeleteRouteTable,
    // Ecs (ecs/api.rs)
    RunInstances,
    StartInstance,
    StopInstance,
    DeleteInstance,
    DescribeInstances,
    DescribeNetworkInterfaces,
    TagResources,
    UntagResources,
    // Ecs security groups (ecs/security_group_api.rs)
    CreateSecurityGroup,
    AuthorizeSecurityGroup,
    AuthorizeSecurityGroupEgress,
    RevokeSecurityGroup,
    RevokeSecurityGroupEgress,
    ModifySecurityGroupPolicy,
    DeleteSecurityGroup,
    DescribeSecurityGroups,
    DescribeSecurityGroupAttribute,
    // Vpc network ACLs (network_acl/api.rs)
    CreateNetworkAcl,
    UpdateNetworkAclEntries,
    AssociateNetworkAcl,
    UnassociateNetworkAcl,
    DeleteNetworkAcl,
    DescribeNetworkAclAttributes,
    // Nlb (nlb/api.rs; `Nlb` prefix: ALB and CLB declare the same API names)
    NlbCreateLoadBalancer,
    NlbCreateServerGroup,
    NlbAddServersToServerGroup,
    NlbRemoveServersFromServerGroup,
    NlbCreateListener,
    NlbGetLoadBalancerAttribute,
    NlbListLoadBalancers,
    NlbListServerGroups,
    NlbListListeners,
    NlbGetListenerHealthStatus,
    NlbDeleteListener,
    NlbDeleteServerGroup,
    NlbDeleteLoadBalancer,
    // Privatelink (privatelink/api.rs)
    CreateVpcEndpointService,
    AddUserToVpcEndpointService,
    RemoveUserFromVpcEndpointService,
    AttachResourceToVpcEndpointService,
    DetachResourceFromVpcEndpointService,
    UpdateVpcEndpointServiceAttribute,
    UpdateVpcEndpointServiceResourceAttribute,
    UpdateVpcEndpointZoneConnectionResourceAttribute,
    CreateVpcEndpoint,
    EnableVpcEndpointConnection,
    DisableVpcEndpointConnection,
    EnableVpcEndpointZoneConnection,
    DisableVpcEndpointZoneConnection,
    UpdateVpcEndpointConnectionAttribute,
    AddZoneToVpcEndpoint,
    RemoveZoneFromVpcEndpoint,
    DeleteVpcEndpoint,
    DeleteVpcEndpointService,
    GetVpcEndpointServiceAttribute,
    GetVpcEndpointAttribute,
    ListVpcEndpointServices,
    ListVpcEndpointServicesByEndUser,
    ListVpcEndpoints,
    ListVpcEndpointZones,
    ListVpcEndpointConnections,
    ListVpcEndpointServiceResources,
    ListVpcEndpointServiceUsers,
    PrivatelinkDescribeRegions,
    PrivatelinkDescribeZones,
    // Slb (clb/api.rs; `Clb` prefix: NLB and ALB declare the same API names)
    ClbCreateLoadBalancer,
    ClbCreateLoadBalancerTCPListener,
    ClbAddBackendServers,
    ClbStartLoadBalancerListener,
    ClbDescribeLoadBalancers,
    ClbDescribeHealthStatus,
    ClbDeleteLoadBalancer,
    // Cbn (cen/api.rs)
    CreateCen,
    DeleteCen,
    CreateCenBandwidthPackage,
    AssociateCenBandwidthPackage,
    UnassociateCenBandwidthPackage,
    CreateTransitRouter,
    DeleteTransitRouter,
    CreateTransitRouterVpcAttachment,
    DeleteTransitRouterVpcAttachment,
    CreateTransitRouterPeerAttachment,
    DeleteTransitRouterPeerAttachment,
    AssociateTransitRouterAttachmentWithRouteTable,
    DissociateTransitRouterAttachmentFromRouteTable,
    EnableTransitRouterRouteTablePropagation,
    DisableTransitRouterRouteTablePropagation,
    CreateTransitRouterRouteEntry,
    DeleteTransitRouterRouteEntry,
    ListTransitRouters,
    ListTransitRouterRouteTables,
    ListTransitRouterRouteEntries,
    ListTransitRouterAttachments,
    GrantInstanceToTransitRouter,
    RevokeInstanceFromTransitRouter,
    // Alb (alb/api.rs; `Alb` prefix where NLB or CLB declare the same API name)
    AlbCreateLoadBalancer,
    AlbCreateServerGroup,
    AlbAddServersToServerGroup,
    AlbRemoveServersFromServerGroup,
    AlbCreateListener,
    AlbGetLoadBalancerAttribute,
    AlbListServerGroups,
    ListServerGroupServers,
    AlbListListeners,
    AlbGetListenerHealthStatus,
    AlbDeleteListener,
    AlbDeleteServerGroup,
    AlbDeleteLoadBalancer,
    // Nis (nis/api.rs)
    CreateNetworkPath,
    DeleteNetworkPath,
    CreateNetworkReachableAnalysis,
    CreateAndAnalyzeNetworkPath,
    GetNetworkReachableAnalysis,
    DeleteNetworkReachableAnalysis,
    // Cms (cms/api.rs)
    PutResourceMetricRules,
    EnableMetricRules,
    DisableMetricRules,
    DeleteMetricRules,
    DescribeMetricRuleList,
    DescribeMetricList,
    DescribeMetricLast,
    DescribeAlertLogList,
}

impl Operation {
    /// The API name (`Action`).
    pub fn action_name(&self) -> &'static str {
        self.decl().api
    }

    /// API product (`Vpc` or `VpcPeer`, §0.3) — for ActionTrail `serviceName`.
    pub fn product(&self) -> &'static str {
        self.decl().product
    }

    /// True for create/update/delete access levels (ActionTrail `eventRW=Write`).
    pub fn is_write(&self) -> bool {
        self.decl().level.is_write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_names_are_the_declared_names() {
        assert_eq!(ACTIONS.len(), DECLS.len());
        assert_eq!(VARIANTS.len(), DECLS.len());
        for ((name, variant), decl) in ACTIONS.iter().zip(VARIANTS).zip(DECLS) {
            assert_eq!(*name, decl.api);
            // The type is the API's name, prefixed by its product where names are shared.
            assert!(
                variant.ends_with(decl.api),
                "{variant} declares {}",
                decl.api
            );
        }
    }
}
