//! The pod spec and its containers and volumes, in the compact layout of [`super`]: every field of the API, with
//! the large optional parts boxed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    pub active_deadline_seconds: Option<i64>,
    pub affinity: Option<Box<k8s_openapi::api::core::v1::Affinity>>,
    pub automount_service_account_token: Option<bool>,
    #[serde(deserialize_with = "super::exact_required")]
    pub containers: Vec<Container>,
    pub dns_config: Option<Box<k8s_openapi::api::core::v1::PodDNSConfig>>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub dns_policy: Option<super::Word>,
    pub enable_service_links: Option<bool>,
    #[serde(deserialize_with = "super::exact")]
    pub ephemeral_containers: Option<Vec<k8s_openapi::api::core::v1::EphemeralContainer>>,
    #[serde(deserialize_with = "super::exact")]
    pub host_aliases: Option<Vec<k8s_openapi::api::core::v1::HostAlias>>,
    #[serde(rename = "hostIPC")]
    pub host_ipc: Option<bool>,
    pub host_network: Option<bool>,
    #[serde(rename = "hostPID")]
    pub host_pid: Option<bool>,
    pub host_users: Option<bool>,
    pub hostname: Option<String>,
    pub hostname_override: Option<String>,
    #[serde(deserialize_with = "super::exact")]
    pub image_pull_secrets: Option<Vec<k8s_openapi::api::core::v1::LocalObjectReference>>,
    #[serde(deserialize_with = "super::exact")]
    pub init_containers: Option<Vec<Container>>,
    pub node_name: Option<String>,
    pub node_selector: Option<BTreeMap<String, String>>,
    pub os: Option<Box<k8s_openapi::api::core::v1::PodOS>>,
    pub overhead: Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub preemption_policy: Option<super::Word>,
    pub priority: Option<i32>,
    pub priority_class_name: Option<String>,
    #[serde(deserialize_with = "super::exact")]
    pub readiness_gates: Option<Vec<k8s_openapi::api::core::v1::PodReadinessGate>>,
    #[serde(deserialize_with = "super::exact")]
    pub resource_claims: Option<Vec<k8s_openapi::api::core::v1::PodResourceClaim>>,
    pub resources: Option<Box<k8s_openapi::api::core::v1::ResourceRequirements>>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub restart_policy: Option<super::Word>,
    pub runtime_class_name: Option<String>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub scheduler_name: Option<super::Word>,
    #[serde(deserialize_with = "super::exact")]
    pub scheduling_gates: Option<Vec<k8s_openapi::api::core::v1::PodSchedulingGate>>,
    pub scheduling_group: Option<Box<k8s_openapi::api::core::v1::PodSchedulingGroup>>,
    #[serde(deserialize_with = "super::security::shared_when_empty")]
    pub security_context: Option<std::sync::Arc<super::PodSecurityContext>>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub service_account: Option<super::Word>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub service_account_name: Option<super::Word>,
    #[serde(rename = "setHostnameAsFQDN")]
    pub set_hostname_as_fqdn: Option<bool>,
    pub share_process_namespace: Option<bool>,
    pub subdomain: Option<String>,
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(deserialize_with = "super::exact")]
    pub tolerations: Option<Vec<k8s_openapi::api::core::v1::Toleration>>,
    #[serde(deserialize_with = "super::exact")]
    pub topology_spread_constraints: Option<Vec<k8s_openapi::api::core::v1::TopologySpreadConstraint>>,
    #[serde(deserialize_with = "super::exact")]
    pub volumes: Option<Vec<Volume>>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    #[serde(deserialize_with = "super::exact")]
    pub args: Option<Vec<String>>,
    #[serde(deserialize_with = "super::exact")]
    pub command: Option<Vec<String>>,
    #[serde(deserialize_with = "super::exact")]
    pub env: Option<Vec<EnvVar>>,
    #[serde(deserialize_with = "super::exact")]
    pub env_from: Option<Vec<k8s_openapi::api::core::v1::EnvFromSource>>,
    pub image: Option<String>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub image_pull_policy: Option<super::Word>,
    pub lifecycle: Option<Box<k8s_openapi::api::core::v1::Lifecycle>>,
    pub liveness_probe: Option<Box<k8s_openapi::api::core::v1::Probe>>,
    pub name: String,
    #[serde(deserialize_with = "super::exact")]
    pub ports: Option<Vec<ContainerPort>>,
    pub readiness_probe: Option<Box<k8s_openapi::api::core::v1::Probe>>,
    #[serde(deserialize_with = "super::exact")]
    pub resize_policy: Option<Vec<k8s_openapi::api::core::v1::ContainerResizePolicy>>,
    pub resources: Option<super::ResourceRequirements>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub restart_policy: Option<super::Word>,
    #[serde(deserialize_with = "super::exact")]
    pub restart_policy_rules: Option<Vec<k8s_openapi::api::core::v1::ContainerRestartRule>>,
    pub security_context: Option<Box<super::SecurityContext>>,
    pub startup_probe: Option<Box<k8s_openapi::api::core::v1::Probe>>,
    pub stdin: Option<bool>,
    pub stdin_once: Option<bool>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub termination_message_path: Option<super::Word>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub termination_message_policy: Option<super::Word>,
    pub tty: Option<bool>,
    #[serde(deserialize_with = "super::exact")]
    pub volume_devices: Option<Vec<k8s_openapi::api::core::v1::VolumeDevice>>,
    #[serde(deserialize_with = "super::exact")]
    pub volume_mounts: Option<Vec<k8s_openapi::api::core::v1::VolumeMount>>,
    pub working_dir: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    pub aws_elastic_block_store: Option<Box<k8s_openapi::api::core::v1::AWSElasticBlockStoreVolumeSource>>,
    pub azure_disk: Option<Box<k8s_openapi::api::core::v1::AzureDiskVolumeSource>>,
    pub azure_file: Option<Box<k8s_openapi::api::core::v1::AzureFileVolumeSource>>,
    pub cephfs: Option<Box<k8s_openapi::api::core::v1::CephFSVolumeSource>>,
    pub cinder: Option<Box<k8s_openapi::api::core::v1::CinderVolumeSource>>,
    pub config_map: Option<Box<k8s_openapi::api::core::v1::ConfigMapVolumeSource>>,
    pub csi: Option<Box<k8s_openapi::api::core::v1::CSIVolumeSource>>,
    #[serde(rename = "downwardAPI")]
    pub downward_api: Option<Box<k8s_openapi::api::core::v1::DownwardAPIVolumeSource>>,
    pub empty_dir: Option<Box<k8s_openapi::api::core::v1::EmptyDirVolumeSource>>,
    pub ephemeral: Option<Box<k8s_openapi::api::core::v1::EphemeralVolumeSource>>,
    pub fc: Option<Box<k8s_openapi::api::core::v1::FCVolumeSource>>,
    pub flex_volume: Option<Box<k8s_openapi::api::core::v1::FlexVolumeSource>>,
    pub flocker: Option<Box<k8s_openapi::api::core::v1::FlockerVolumeSource>>,
    pub gce_persistent_disk: Option<Box<k8s_openapi::api::core::v1::GCEPersistentDiskVolumeSource>>,
    pub git_repo: Option<Box<k8s_openapi::api::core::v1::GitRepoVolumeSource>>,
    pub glusterfs: Option<Box<k8s_openapi::api::core::v1::GlusterfsVolumeSource>>,
    pub host_path: Option<Box<k8s_openapi::api::core::v1::HostPathVolumeSource>>,
    pub image: Option<Box<k8s_openapi::api::core::v1::ImageVolumeSource>>,
    pub iscsi: Option<Box<k8s_openapi::api::core::v1::ISCSIVolumeSource>>,
    pub name: String,
    pub nfs: Option<Box<k8s_openapi::api::core::v1::NFSVolumeSource>>,
    pub persistent_volume_claim: Option<Box<k8s_openapi::api::core::v1::PersistentVolumeClaimVolumeSource>>,
    pub photon_persistent_disk: Option<Box<k8s_openapi::api::core::v1::PhotonPersistentDiskVolumeSource>>,
    pub portworx_volume: Option<Box<k8s_openapi::api::core::v1::PortworxVolumeSource>>,
    pub projected: Option<Box<k8s_openapi::api::core::v1::ProjectedVolumeSource>>,
    pub quobyte: Option<Box<k8s_openapi::api::core::v1::QuobyteVolumeSource>>,
    pub rbd: Option<Box<k8s_openapi::api::core::v1::RBDVolumeSource>>,
    #[serde(rename = "scaleIO")]
    pub scale_io: Option<Box<k8s_openapi::api::core::v1::ScaleIOVolumeSource>>,
    pub secret: Option<Box<k8s_openapi::api::core::v1::SecretVolumeSource>>,
    pub storageos: Option<Box<k8s_openapi::api::core::v1::StorageOSVolumeSource>>,
    pub vsphere_volume: Option<Box<k8s_openapi::api::core::v1::VsphereVirtualDiskVolumeSource>>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodTemplateSpec {
    pub metadata: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    pub spec: Option<PodSpec>,
}

/// An env var: its source boxed, as most variables have a plain value (the API's inline source takes 312 bytes).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<Box<k8s_openapi::api::core::v1::EnvVarSource>>,
}

/// A container port, its protocol read as a [`super::Word`] (the API server writes `TCP` into every port).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    pub container_port: i32,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    pub host_port: Option<i32>,
    pub name: Option<String>,
    #[serde(deserialize_with = "super::words::optional_word")]
    pub protocol: Option<super::Word>,
}
