//! Alibaba error codes of the ECS product used by §7.1–§7.3.
//!
//! Codes and HTTP statuses come from the ECS 2014-05-26 OpenAPI metadata ([M-ecs]); the few
//! the metadata does not settle are marked **ASSUMED** where they are built.

use crate::cloud::CloudError;

/// `InvalidSecurityGroupId.NotFound` (404): unknown group, or a group of another region or
/// account (§0.4.2).
pub fn sg_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidSecurityGroupId.NotFound",
        format!("The specified SecurityGroupId `{id}` does not exist."),
    )
}

/// `InvalidSecurityGroup.NotFound` (404): DeleteSecurityGroup's spelling of a missing group.
pub fn sg_not_found_on_delete(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidSecurityGroup.NotFound",
        format!("The specified security group `{id}` is not found."),
    )
}

/// `InvalidInstanceId.NotFound` (404).
pub fn instance_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidInstanceId.NotFound",
        format!("The specified InstanceId `{id}` does not exist."),
    )
}

/// `IncorrectInstanceStatus` (403).
pub fn incorrect_instance_status(id: &str, status: &str) -> CloudError {
    CloudError::new(
        "IncorrectInstanceStatus",
        403,
        format!(
            "The current status `{status}` of instance `{id}` does not support this operation."
        ),
    )
}

/// `InvalidEniId.NotFound` (404).
pub fn eni_not_found(id: &str) -> CloudError {
    CloudError::not_found(
        "InvalidEniId.NotFound",
        format!("The specified network interface `{id}` does not exist."),
    )
}

/// `InvalidOperation.ResourceManagedByCloudProduct` (403): a security group created by a cloud
/// service for its own use.
pub fn sg_managed(id: &str) -> CloudError {
    CloudError::new(
        "InvalidOperation.ResourceManagedByCloudProduct",
        403,
        format!("The security group `{id}` is managed by a cloud product and cannot be modified."),
    )
}

/// `InvalidOperation.EniServiceManaged` (403, [M-ecs DeleteNetworkInterface]): users cannot
/// modify or delete a service-managed ENI. The spec's ASSUMED `Forbidden.ServiceManagedResource`
/// (§7.2) is replaced by this documented code.
pub fn eni_service_managed(id: &str) -> CloudError {
    CloudError::new(
        "InvalidOperation.EniServiceManaged",
        403,
        format!("The network interface `{id}` is managed by a cloud service."),
    )
}

/// A 400 error with `code` and `message`.
pub fn bad(code: &str, message: impl Into<String>) -> CloudError {
    CloudError::bad(code, message)
}

/// A 403 error with `code` and `message`.
pub fn forbidden(code: &str, message: impl Into<String>) -> CloudError {
    CloudError::new(code, 403, message)
}
