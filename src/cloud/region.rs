//! Static region table (§1.3) and zone helpers (§1.4).

use serde::{Deserialize, Serialize};

/// Region type for rule P-REGIONTYPE (§3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RegionType {
    /// Public cloud region.
    Public,
    /// Finance Cloud region.
    Finance,
    /// Alibaba Gov Cloud region.
    Gov,
}

/// One row of the §1.3 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionInfo {
    /// Region id, e.g. `cn-hangzhou`.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Region type (Public / Finance / Gov).
    pub region_type: RegionType,
    /// Inside the Chinese mainland (cross-border rule P-XBORDER).
    pub mainland: bool,
    /// Listed by S0 as supporting VPC peering (rule P-REGION).
    pub peering: bool,
    /// ALB may use backends in another region through CEN [S3].
    pub alb_cross_region: bool,
    /// PrivateLink endpoint exists.
    pub privatelink: bool,
    /// NLB endpoint exists.
    pub nlb: bool,
    /// ALB endpoint exists.
    pub alb: bool,
    /// Cosmetic 3-character id prefix (§1.5).
    pub id_code: &'static str,
}

macro_rules! r {
    ($id:literal, $name:literal, $t:ident, $ml:literal, $peer:literal, $axr:literal, $pl:literal, $nlb:literal, $alb:literal, $code:literal) => {
        RegionInfo {
            id: $id,
            name: $name,
            region_type: RegionType::$t,
            mainland: $ml,
            peering: $peer,
            alb_cross_region: $axr,
            privatelink: $pl,
            nlb: $nlb,
            alb: $alb,
            id_code: $code,
        }
    };
}

/// The §1.3 region table. Region codes for ids are cosmetic (§1.5); the five
/// documented ones (`bp1`, `2ze`, `wz9`, `hp3`, `uf6`) are used where known.
pub const REGIONS: &[RegionInfo] = &[
    r!(
        "cn-hangzhou",
        "China (Hangzhou)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "bp1"
    ),
    r!(
        "cn-shanghai",
        "China (Shanghai)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "uf6"
    ),
    r!(
        "cn-nanjing",
        "China (Nanjing) - Local Region",
        Public,
        true,
        true,
        false,
        true,
        true,
        true,
        "gc7"
    ),
    r!(
        "cn-qingdao",
        "China (Qingdao)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "m5e"
    ),
    r!(
        "cn-beijing",
        "China (Beijing)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "2ze"
    ),
    r!(
        "cn-zhangjiakou",
        "China (Zhangjiakou)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "8vb"
    ),
    r!(
        "cn-huhehaote",
        "China (Hohhot)",
        Public,
        true,
        true,
        false,
        true,
        false,
        false,
        "hp3"
    ),
    r!(
        "cn-wulanchabu",
        "China (Ulanqab)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "0jl"
    ),
    r!(
        "cn-shenzhen",
        "China (Shenzhen)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "wz9"
    ),
    r!(
        "cn-heyuan",
        "China (Heyuan)",
        Public,
        true,
        true,
        false,
        true,
        true,
        true,
        "f8z"
    ),
    r!(
        "cn-guangzhou",
        "China (Guangzhou)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "7xv"
    ),
    r!(
        "cn-chengdu",
        "China (Chengdu)",
        Public,
        true,
        true,
        true,
        true,
        true,
        true,
        "2vc"
    ),
    r!(
        "cn-zhongwei",
        "China (Zhongwei)",
        Public,
        true,
        true,
        false,
        false,
        false,
        false,
        "zw1"
    ),
    r!(
        "cn-hongkong",
        "China (Hong Kong)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "j6c"
    ),
    r!(
        "cn-wuhan-lr",
        "China (Wuhan) - Local Region",
        Public,
        true,
        true,
        false,
        true,
        true,
        true,
        "wh1"
    ),
    r!(
        "cn-fuzhou",
        "China (Fuzhou) - Local Region",
        Public,
        true,
        true,
        false,
        true,
        true,
        true,
        "gw0"
    ),
    r!(
        "ap-northeast-1",
        "Japan (Tokyo)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "6we"
    ),
    r!(
        "ap-northeast-2",
        "South Korea (Seoul)",
        Public,
        false,
        true,
        false,
        true,
        true,
        true,
        "mj7"
    ),
    r!(
        "ap-southeast-1",
        "Singapore",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "t4n"
    ),
    r!(
        "ap-southeast-2",
        "Australia (Sydney)",
        Public,
        false,
        false,
        true,
        true,
        false,
        true,
        "p0w"
    ),
    r!(
        "ap-southeast-3",
        "Malaysia (Kuala Lumpur)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "8ps"
    ),
    r!(
        "ap-southeast-5",
        "Indonesia (Jakarta)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "k1a"
    ),
    r!(
        "ap-southeast-6",
        "Philippines (Manila)",
        Public,
        false,
        true,
        false,
        true,
        true,
        true,
        "m6a"
    ),
    r!(
        "ap-southeast-7",
        "Thailand (Bangkok)",
        Public,
        false,
        true,
        false,
        true,
        true,
        true,
        "0jo"
    ),
    r!(
        "ap-southeast-8",
        "Malaysia (Johor Bahru)",
        Public,
        false,
        true,
        false,
        false,
        false,
        false,
        "jb8"
    ),
    r!(
        "ap-south-1",
        "India (Mumbai)",
        Public,
        false,
        false,
        true,
        true,
        true,
        true,
        "a2d"
    ),
    r!(
        "eu-central-1",
        "Germany (Frankfurt)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "gw8"
    ),
    r!(
        "eu-west-1",
        "UK (London)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "d7o"
    ),
    r!(
        "us-west-1",
        "US (Silicon Valley)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "rj9"
    ),
    r!(
        "us-east-1",
        "US (Virginia)",
        Public,
        false,
        true,
        true,
        true,
        true,
        true,
        "0xi"
    ),
    r!(
        "me-east-1",
        "UAE (Dubai)",
        Public,
        false,
        true,
        false,
        true,
        true,
        true,
        "eb3"
    ),
    r!(
        "me-central-1",
        "Saudi Arabia (Riyadh)",
        Public,
        false,
        true,
        false,
        true,
        true,
        true,
        "l4v"
    ),
    r!(
        "cn-shenzhen-finance-1",
        "China (Shenzhen) Finance",
        Finance,
        true,
        true,
        false,
        true,
        true,
        true,
        "wz8"
    ),
    r!(
        "cn-shanghai-finance-1",
        "China (Shanghai) Finance",
        Finance,
        true,
        true,
        false,
        true,
        true,
        true,
        "uf9"
    ),
    r!(
        "cn-beijing-finance-1",
        "China (Beijing) Finance",
        Finance,
        true,
        true,
        false,
        true,
        true,
        true,
        "2zf"
    ),
    r!(
        "cn-north-2-gov-1",
        "China (Beijing) GovCloud 1",
        Gov,
        true,
        true,
        false,
        false,
        false,
        false,
        "gv1"
    ),
];

/// Looks a region up in the static table.
pub fn region(id: &str) -> Option<&'static RegionInfo> {
    REGIONS.iter().find(|r| r.id == id)
}

/// Default zones of a region: `<region>-a` … `<region>-k` (§1.4, **ASSUMED** fixture).
pub fn default_zones(region_id: &str) -> Vec<String> {
    ('a'..='k').map(|c| format!("{region_id}-{c}")).collect()
}

/// True when a peering between the two regions is cross-border (§3.1 derived `IsCrossBorder`).
pub fn is_cross_border(a: &RegionInfo, b: &RegionInfo) -> bool {
    a.mainland != b.mainland
}
