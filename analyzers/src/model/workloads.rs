//! The specs of the workload kinds that carry a pod template, in the compact layout of [`super`]. Only the
//! template differs from the API's own types; every other field keeps its k8s-openapi type.

use serde::{Deserialize, Serialize};

use super::PodTemplateSpec;

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeploymentSpec {
    pub min_ready_seconds: Option<i32>,
    pub paused: Option<bool>,
    pub progress_deadline_seconds: Option<i32>,
    pub replicas: Option<i32>,
    pub revision_history_limit: Option<i32>,
    pub selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pub strategy: Option<k8s_openapi::api::apps::v1::DeploymentStrategy>,
    pub template: PodTemplateSpec,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ReplicaSetSpec {
    pub min_ready_seconds: Option<i32>,
    pub replicas: Option<i32>,
    pub selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pub template: Option<PodTemplateSpec>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StatefulSetSpec {
    pub min_ready_seconds: Option<i32>,
    pub ordinals: Option<k8s_openapi::api::apps::v1::StatefulSetOrdinals>,
    pub persistent_volume_claim_retention_policy:
        Option<k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy>,
    pub pod_management_policy: Option<String>,
    pub replicas: Option<i32>,
    pub revision_history_limit: Option<i32>,
    pub selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pub service_name: Option<String>,
    pub template: PodTemplateSpec,
    pub update_strategy: Option<k8s_openapi::api::apps::v1::StatefulSetUpdateStrategy>,
    #[serde(deserialize_with = "super::exact")]
    pub volume_claim_templates: Option<Vec<k8s_openapi::api::core::v1::PersistentVolumeClaim>>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DaemonSetSpec {
    pub min_ready_seconds: Option<i32>,
    pub revision_history_limit: Option<i32>,
    pub selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pub template: PodTemplateSpec,
    pub update_strategy: Option<k8s_openapi::api::apps::v1::DaemonSetUpdateStrategy>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JobSpec {
    pub active_deadline_seconds: Option<i64>,
    pub backoff_limit: Option<i32>,
    pub backoff_limit_per_index: Option<i32>,
    pub completion_mode: Option<String>,
    pub completions: Option<i32>,
    pub managed_by: Option<String>,
    pub manual_selector: Option<bool>,
    pub max_failed_indexes: Option<i32>,
    pub parallelism: Option<i32>,
    pub pod_failure_policy: Option<k8s_openapi::api::batch::v1::PodFailurePolicy>,
    pub pod_replacement_policy: Option<String>,
    pub selector: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
    pub success_policy: Option<k8s_openapi::api::batch::v1::SuccessPolicy>,
    pub suspend: Option<bool>,
    pub template: PodTemplateSpec,
    pub ttl_seconds_after_finished: Option<i32>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JobTemplateSpec {
    pub metadata: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    pub spec: Option<JobSpec>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CronJobSpec {
    pub concurrency_policy: Option<String>,
    pub failed_jobs_history_limit: Option<i32>,
    pub job_template: JobTemplateSpec,
    pub schedule: String,
    pub starting_deadline_seconds: Option<i64>,
    pub successful_jobs_history_limit: Option<i32>,
    pub suspend: Option<bool>,
    pub time_zone: Option<String>,
}
