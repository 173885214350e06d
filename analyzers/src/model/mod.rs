//! Compact mirrors of the API types that carry a pod spec: Pod and the six workload kinds with a template.
//!
//! k8s-openapi lays every optional part out inline, so a Pod takes 2.4 KB before its first container (2.1 KB),
//! and each volume takes 3.2 KB, most of it empty space for the thirty volume sources it does not use. Pods are
//! most of a cluster's objects, and that layout was most of the memory of a big run. These types have exactly the
//! API's fields, names and JSON (a test checks both against k8s-openapi), but box the large optional parts, so a
//! pod costs about a third. Statuses, metadata and everything below the boxed parts are k8s-openapi's own types,
//! so analyzers read them as before.

mod pod;
mod resources;
mod security;
mod status;
mod words;
mod workloads;

#[cfg(test)]
mod tests;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

pub use pod::{Container, ContainerPort, EnvVar, PodSpec, PodTemplateSpec, Volume};
pub use resources::{Amounts, ResourceList, ResourceRequirements};
pub use security::{PodSecurityContext, SecurityContext};
pub use status::{ContainerState, ContainerStatus, PodCondition, PodStatus};
pub use words::Word;
pub use workloads::{
    CronJobSpec, DaemonSetSpec, DeploymentSpec, JobSpec, JobTemplateSpec, ReplicaSetSpec, StatefulSetSpec,
};

/// A top-level kind: `metadata`, `spec` and `status`, with the type constants of the k8s-openapi kind it mirrors
/// (so kube lists it and the kind table names it exactly as before).
macro_rules! resource {
    ($($name:ident mirrors $api:ty { spec: $spec:ty, status: $status:ty })*) => {$(
        #[derive(Clone, Debug, Default, PartialEq, Deserialize)]
        #[serde(default)]
        pub struct $name {
            pub metadata: ObjectMeta,
            pub spec: $spec,
            pub status: Option<$status>,
        }

        impl k8s_openapi::Resource for $name {
            const API_VERSION: &'static str = <$api as k8s_openapi::Resource>::API_VERSION;
            const GROUP: &'static str = <$api as k8s_openapi::Resource>::GROUP;
            const KIND: &'static str = <$api as k8s_openapi::Resource>::KIND;
            const VERSION: &'static str = <$api as k8s_openapi::Resource>::VERSION;
            const URL_PATH_SEGMENT: &'static str = <$api as k8s_openapi::Resource>::URL_PATH_SEGMENT;
            type Scope = <$api as k8s_openapi::Resource>::Scope;
        }

        impl k8s_openapi::ListableResource for $name {
            const LIST_KIND: &'static str = <$api as k8s_openapi::ListableResource>::LIST_KIND;
        }

        impl k8s_openapi::Metadata for $name {
            type Ty = ObjectMeta;
            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn metadata_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }

        /// Written as the API writes it: `apiVersion` and `kind` first, absent parts left out.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use k8s_openapi::Resource;
                let fields = 3 + usize::from(self.spec.present()) + usize::from(self.status.is_some());
                let mut state = serializer.serialize_struct(Self::KIND, fields)?;
                state.serialize_field("apiVersion", Self::API_VERSION)?;
                state.serialize_field("kind", Self::KIND)?;
                state.serialize_field("metadata", &self.metadata)?;
                if self.spec.present() {
                    state.serialize_field("spec", &self.spec)?;
                }
                if let Some(status) = &self.status {
                    state.serialize_field("status", status)?;
                }
                state.end()
            }
        }
    )*};
}

/// Arrays decoded straight from JSON text get room for four elements (the text gives serde no length to go by):
/// shrunk as they are decoded, a pod's one container takes its own size.
fn exact<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(input: D) -> Result<Option<Vec<T>>, D::Error> {
    let mut items = Option::<Vec<T>>::deserialize(input)?;
    if let Some(items) = &mut items {
        items.shrink_to_fit();
    }
    Ok(items)
}

/// [`exact`] for an array the API requires (a pod's containers).
fn exact_required<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(input: D) -> Result<Vec<T>, D::Error> {
    let mut items = Vec::<T>::deserialize(input)?;
    items.shrink_to_fit();
    Ok(items)
}

/// Whether a top-level part is written: an optional spec when set, a required one (a CronJob's) always.
trait Part: Serialize {
    fn present(&self) -> bool;
}
impl<T: Serialize> Part for Option<T> {
    fn present(&self) -> bool {
        self.is_some()
    }
}
impl Part for CronJobSpec {
    fn present(&self) -> bool {
        true
    }
}

resource! {
    Pod mirrors k8s_openapi::api::core::v1::Pod {
        spec: Option<PodSpec>, status: PodStatus
    }
    Deployment mirrors k8s_openapi::api::apps::v1::Deployment {
        spec: Option<DeploymentSpec>, status: k8s_openapi::api::apps::v1::DeploymentStatus
    }
    ReplicaSet mirrors k8s_openapi::api::apps::v1::ReplicaSet {
        spec: Option<ReplicaSetSpec>, status: k8s_openapi::api::apps::v1::ReplicaSetStatus
    }
    StatefulSet mirrors k8s_openapi::api::apps::v1::StatefulSet {
        spec: Option<StatefulSetSpec>, status: k8s_openapi::api::apps::v1::StatefulSetStatus
    }
    DaemonSet mirrors k8s_openapi::api::apps::v1::DaemonSet {
        spec: Option<DaemonSetSpec>, status: k8s_openapi::api::apps::v1::DaemonSetStatus
    }
    Job mirrors k8s_openapi::api::batch::v1::Job {
        spec: Option<JobSpec>, status: k8s_openapi::api::batch::v1::JobStatus
    }
    CronJob mirrors k8s_openapi::api::batch::v1::CronJob {
        spec: CronJobSpec, status: k8s_openapi::api::batch::v1::CronJobStatus
    }
}
