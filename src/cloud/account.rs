//! Alibaba Cloud accounts (§1.1).

use serde::{Deserialize, Serialize};

/// Alibaba Cloud site of an account (rule P-SITE, §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Site {
    /// China site (aliyun.com).
    China,
    /// International site (alibabacloud.com).
    International,
}

/// A main account. RAM users/roles belong to the authorization document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Decimal account uid (16 digits in all documented examples).
    pub uid: String,
    /// Optional test alias (e.g. `A`).
    pub alias: Option<String>,
    /// Site.
    pub site: Site,
    /// Cloud Data Transfer activated (P-CDT).
    pub cdt_enabled: bool,
    /// Cross-border CDT activated (P-XBORDER).
    pub cross_border_cdt_enabled: bool,
    /// Cross-border compliance qualification (informational; the model enforces
    /// P-XBORDER through `cross_border_cdt_enabled`, which presupposes it).
    pub cross_border_qualified: bool,
    /// PrivateLink activated (default true).
    pub privatelink_opened: bool,
    /// Transit router service activated (default true).
    pub tr_service_opened: bool,
    /// NIS activated (default true).
    pub nis_opened: bool,
    /// In arrears (§3.2 T8).
    pub overdue: bool,
    /// May create endpoint services with `Payer=EndpointService` (default true).
    pub payer_whitelisted: bool,
    /// Feature quota `svc_res_mgt_uat` granted (default false).
    pub svc_res_mgt_enabled: bool,
    /// Resource groups of the account (`rg-…`); the first is the default group.
    pub resource_groups: Vec<String>,
}

impl Account {
    /// The account's default resource group id, if any.
    pub fn default_resource_group(&self) -> &str {
        self.resource_groups
            .first()
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// True when `uid` is a decimal account id that fits an unsigned 64-bit integer.
pub fn valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 20
        && uid.bytes().all(|c| c.is_ascii_digit())
        && uid.parse::<u64>().is_ok()
}
