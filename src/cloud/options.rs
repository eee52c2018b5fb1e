//! World options: every configurable **ASSUMED** choice of the spec in one place (§12).

use serde::{Deserialize, Serialize};

/// How transitional statuses behave (§0.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SettleMode {
    /// Resources land in their final status before the call returns (default).
    #[default]
    Immediate,
    /// Resources stay transitional until `World::settle()` or the clock advances
    /// by `settle_delay_secs`.
    Stepped,
}

/// A unit price for inter-region peering traffic (§3.7), keyed symmetrically by region pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEntry {
    /// One region of the pair.
    pub region_a: String,
    /// The other region of the pair.
    pub region_b: String,
    /// `Gold` or `Platinum`.
    pub link_type: String,
    /// Price per GB in micro-CNY (1 CNY = 1_000_000) so that fees are exact.
    pub micro_cny_per_gb: u64,
}

/// Unit prices (micro-CNY per GB) for inter-region pairs the `prices` table does not list
/// (issue 17). Every default here is **ASSUMED**: the only documented CDT price is
/// Hohhot–Guangzhou Gold 0.48 CNY/GB [S0]; pairs inside (or outside) the mainland reuse it
/// for Gold and the BILL-2 fixture 0.60 for Platinum, cross-border pairs cost 2.5 times as
/// much. Override them (or list exact pairs in `prices`) in the world file's `options`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FallbackPrices {
    /// Gold, both regions on the same side of the border (**ASSUMED** 0.48).
    pub gold: u64,
    /// Platinum, same side of the border (**ASSUMED** 0.60).
    pub platinum: u64,
    /// Gold, cross-border (**ASSUMED** 1.20).
    pub cross_border_gold: u64,
    /// Platinum, cross-border (**ASSUMED** 1.50).
    pub cross_border_platinum: u64,
}

impl Default for FallbackPrices {
    fn default() -> Self {
        FallbackPrices {
            gold: 480_000,
            platinum: 600_000,
            cross_border_gold: 1_200_000,
            cross_border_platinum: 1_500_000,
        }
    }
}

impl FallbackPrices {
    /// The defaults (left out of a serialized world, so older states keep their bytes).
    pub fn is_default(&self) -> bool {
        *self == FallbackPrices::default()
    }
}

/// Quotas of §2 and §3.5 (all overridable: quota increases exist [S0]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quotas {
    /// VPCs per account per region (§2.1, **ASSUMED** 10).
    pub vpcs_per_account_region: u32,
    /// vSwitches per VPC (§2.2).
    pub vswitches_per_vpc: u32,
    /// Custom route entries per route table (§2.4.4 step 12).
    pub custom_entries_per_table: u32,
    /// Inter-region peerings per VPC (§3.5).
    pub inter_region_peers_per_vpc: u32,
    /// Intra-region peerings per VPC (§3.5).
    pub intra_region_peers_per_vpc: u32,
    /// Peerings requested per account per region (§3.5, **ASSUMED** counting).
    pub peers_per_account_region: u32,
    /// Legacy all-kinds per-VPC limit raising `QuotaExceeded.VpcPeerCountPerVpc`;
    /// `None` (default) disables it (§3.3.1 step 21, **ASSUMED**).
    pub legacy_peers_per_vpc: Option<u32>,
    /// Max inter-region bandwidth, Mbit/s (§3.5).
    pub max_inter_region_bandwidth: i64,
    /// Max cross-border bandwidth, Mbit/s (§3.5).
    pub max_cross_border_bandwidth: i64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            vpcs_per_account_region: 10,
            vswitches_per_vpc: 150,
            custom_entries_per_table: 200,
            inter_region_peers_per_vpc: 20,
            intra_region_peers_per_vpc: 10,
            peers_per_account_region: 20,
            legacy_peers_per_vpc: None,
            max_inter_region_bandwidth: 1024,
            max_cross_border_bandwidth: 1024,
        }
    }
}

/// Configurable behaviour of the cloud model. Defaults follow the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudOptions {
    /// Auto-activate the requester's CDT at CreateVpcPeerConnection (§3.3.1 step 13; default true).
    pub auto_open_cdt: bool,
    /// Settle mode (§0.4.5; default `Immediate`).
    pub settle: SettleMode,
    /// Simulated seconds after which a `Stepped` transitional status settles (§0.4.5: 5 s).
    pub settle_delay_secs: i64,
    /// Lifetime of an un-accepted peering request (§3.2 T2, **ASSUMED** 7 days).
    pub peering_expiry_secs: i64,
    /// ClientToken replay window (§0.4.3, **ASSUMED** 24 h).
    pub client_token_window_secs: i64,
    /// Default primary CIDR of CreateVpc without `CidrBlock` (§2.1, **ASSUMED**).
    pub default_vpc_cidr: String,
    /// Quotas.
    pub quotas: Quotas,
    /// Inter-region traffic prices (§3.7). Default: the S0 worked example
    /// (Hohhot–Guangzhou Gold 0.48) plus the BILL-2 Platinum fixture 0.60 (**ASSUMED**).
    pub prices: Vec<PriceEntry>,
    /// Prices of inter-region pairs `prices` does not list (all **ASSUMED**).
    #[serde(skip_serializing_if = "FallbackPrices::is_default")]
    pub fallback_prices: FallbackPrices,
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            auto_open_cdt: true,
            settle: SettleMode::Immediate,
            settle_delay_secs: 5,
            peering_expiry_secs: 7 * crate::cloud::time::DAY,
            client_token_window_secs: crate::cloud::time::DAY,
            default_vpc_cidr: "172.16.0.0/12".to_string(),
            quotas: Quotas::default(),
            prices: vec![
                PriceEntry {
                    region_a: "cn-huhehaote".into(),
                    region_b: "cn-guangzhou".into(),
                    link_type: "Gold".into(),
                    micro_cny_per_gb: 480_000,
                },
                PriceEntry {
                    region_a: "cn-huhehaote".into(),
                    region_b: "cn-guangzhou".into(),
                    link_type: "Platinum".into(),
                    micro_cny_per_gb: 600_000,
                },
            ],
            fallback_prices: FallbackPrices::default(),
        }
    }
}
