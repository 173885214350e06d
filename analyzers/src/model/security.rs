//! Pod and container security contexts in the compact layout of [`super`]: the API's types lay out all their
//! options inline (448 bytes for a pod's), most of them nested structs that few pods set. Those are boxed here.
//! The API server writes an empty `securityContext: {}` into every pod and template: all empty ones share one.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

/// `deserialize_with` for a pod spec's security context: an empty one is the shared empty one.
pub(super) fn shared_when_empty<'de, D: serde::Deserializer<'de>>(
    input: D,
) -> Result<Option<Arc<PodSecurityContext>>, D::Error> {
    static EMPTY: OnceLock<Arc<PodSecurityContext>> = OnceLock::new();
    Ok(Option::<PodSecurityContext>::deserialize(input)?.map(|context| {
        if context == PodSecurityContext::default() {
            Arc::clone(EMPTY.get_or_init(Arc::default))
        } else {
            Arc::new(context)
        }
    }))
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSecurityContext {
    pub app_armor_profile: Option<Box<k8s_openapi::api::core::v1::AppArmorProfile>>,
    pub fs_group: Option<i64>,
    pub fs_group_change_policy: Option<String>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub se_linux_change_policy: Option<String>,
    pub se_linux_options: Option<Box<k8s_openapi::api::core::v1::SELinuxOptions>>,
    pub seccomp_profile: Option<Box<k8s_openapi::api::core::v1::SeccompProfile>>,
    #[serde(deserialize_with = "super::exact")]
    pub supplemental_groups: Option<Vec<i64>>,
    pub supplemental_groups_policy: Option<String>,
    #[serde(deserialize_with = "super::exact")]
    pub sysctls: Option<Vec<k8s_openapi::api::core::v1::Sysctl>>,
    pub windows_options: Option<Box<k8s_openapi::api::core::v1::WindowsSecurityContextOptions>>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SecurityContext {
    pub allow_privilege_escalation: Option<bool>,
    pub app_armor_profile: Option<Box<k8s_openapi::api::core::v1::AppArmorProfile>>,
    pub capabilities: Option<Box<k8s_openapi::api::core::v1::Capabilities>>,
    pub privileged: Option<bool>,
    pub proc_mount: Option<String>,
    pub read_only_root_filesystem: Option<bool>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub se_linux_options: Option<Box<k8s_openapi::api::core::v1::SELinuxOptions>>,
    pub seccomp_profile: Option<Box<k8s_openapi::api::core::v1::SeccompProfile>>,
    pub windows_options: Option<Box<k8s_openapi::api::core::v1::WindowsSecurityContextOptions>>,
}
