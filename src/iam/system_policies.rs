//! The system policies ramsim knows: Alibaba-managed documents referred to by name.

/// `(name, document)` of every built-in system policy.
pub const SYSTEM_POLICIES: &[(&str, &str)] = &[
    (
        "AdministratorAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "AliyunVPCFullAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"vpc:*","Resource":"*"}]}"#,
    ),
    (
        "AliyunVPCReadOnlyAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["vpc:Describe*","vpc:Get*","vpc:List*"],"Resource":"*"}]}"#,
    ),
    (
        "AliyunCDTFullAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"cdt:*","Resource":"*"}]}"#,
    ),
    (
        "AliyunCDTReadOnlyAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["cdt:Get*","cdt:List*","cdt:Describe*"],"Resource":"*"}]}"#,
    ),
    (
        "AliyunRAMFullAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}"#,
    ),
    (
        "AliyunRAMReadOnlyAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}]}"#,
    ),
    (
        "AliyunSTSAssumeRoleAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
    ),
    (
        "AliyunResourceDirectoryFullAccess",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"resourcemanager:*","Resource":"*"}]}"#,
    ),
];

/// The id and document of the system control policy attached everywhere when the feature is enabled.
pub const FULL_ALIYUN_ACCESS_ID: &str = "p-FullAliyunAccess";

/// FullAliyunAccess: allows every action (§6.3).
pub const FULL_ALIYUN_ACCESS: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The document of system policy `name`.
pub fn system_policy(name: &str) -> Option<&'static str> {
    SYSTEM_POLICIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
}
