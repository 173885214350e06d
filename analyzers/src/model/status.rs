//! A pod's status and its containers' statuses, in the compact layout of [`super`]: a container's last state,
//! resources and user are boxed (most containers never restarted, and the rest are rarely set).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    pub allocated_resources: Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    #[serde(deserialize_with = "super::exact")]
    pub conditions: Option<Vec<PodCondition>>,
    #[serde(deserialize_with = "super::exact")]
    pub container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(deserialize_with = "super::exact")]
    pub ephemeral_container_statuses: Option<Vec<ContainerStatus>>,
    pub extended_resource_claim_status: Option<Box<k8s_openapi::api::core::v1::PodExtendedResourceClaimStatus>>,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    #[serde(rename = "hostIPs", deserialize_with = "super::exact")]
    pub host_ips: Option<Vec<k8s_openapi::api::core::v1::HostIP>>,
    #[serde(deserialize_with = "super::exact")]
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
    pub message: Option<String>,
    #[serde(deserialize_with = "super::exact")]
    pub node_allocatable_resource_claim_statuses:
        Option<Vec<k8s_openapi::api::core::v1::NodeAllocatableResourceClaimStatus>>,
    pub nominated_node_name: Option<String>,
    pub observed_generation: Option<i64>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub phase: Option<super::Word>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(rename = "podIPs", deserialize_with = "super::exact")]
    pub pod_ips: Option<Vec<k8s_openapi::api::core::v1::PodIP>>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub qos_class: Option<super::Word>,
    pub reason: Option<String>,
    pub resize: Option<String>,
    #[serde(deserialize_with = "super::exact")]
    pub resource_claim_statuses: Option<Vec<k8s_openapi::api::core::v1::PodResourceClaimStatus>>,
    pub resources: Option<Box<k8s_openapi::api::core::v1::ResourceRequirements>>,
    pub start_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerStatus {
    pub allocated_resources: Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    #[serde(deserialize_with = "super::exact")]
    pub allocated_resources_status: Option<Vec<k8s_openapi::api::core::v1::ResourceStatus>>,
    #[serde(rename = "containerID")]
    pub container_id: Option<String>,
    pub image: String,
    #[serde(rename = "imageID")]
    pub image_id: String,
    pub last_state: Option<Box<ContainerState>>,
    pub name: String,
    pub ready: bool,
    pub resources: Option<Box<k8s_openapi::api::core::v1::ResourceRequirements>>,
    pub restart_count: i32,
    pub started: Option<bool>,
    pub state: Option<ContainerState>,
    pub stop_signal: Option<String>,
    pub user: Option<Box<k8s_openapi::api::core::v1::ContainerUser>>,
    #[serde(deserialize_with = "super::exact")]
    pub volume_mounts: Option<Vec<k8s_openapi::api::core::v1::VolumeMountStatus>>,
}

/// A container's state, with the waiting and terminated details boxed: the API lays all three out inline (208
/// bytes), and a container is in one state at a time, most often running.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerState {
    pub running: Option<k8s_openapi::api::core::v1::ContainerStateRunning>,
    pub terminated: Option<Box<k8s_openapi::api::core::v1::ContainerStateTerminated>>,
    pub waiting: Option<Box<k8s_openapi::api::core::v1::ContainerStateWaiting>>,
}

/// A pod condition, its type and status read as [`super::Word`]s (four conditions per pod, each with two strings).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodCondition {
    pub last_probe_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    pub last_transition_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    pub message: Option<String>,
    pub observed_generation: Option<i64>,
    pub reason: Option<String>,
    #[serde(deserialize_with = "super::words::word")]
    pub status: super::Word,
    #[serde(rename = "type", deserialize_with = "super::words::word")]
    pub type_: super::Word,
}
