//! The kinds the analyzers can read, generated once from the k8s-openapi types so that the kind table, the
//! snapshot's stores and the decoder of `kind: List` items cannot drift apart.

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
    ValidatingWebhookConfiguration,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, LimitRange, Namespace, Node, PersistentVolume, PersistentVolumeClaim, ResourceQuota,
    Secret, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::api::storage::v1::StorageClass;
use serde::{Deserialize, Serialize};

use crate::hygiene::{Scrub, ValuePolicy};
use crate::model::{CronJob, DaemonSet, Deployment, Job, Pod, ReplicaSet, StatefulSet};
use crate::snapshot::Store;

/// A typed object of one kind of the table, and where it is stored: lets a live read insert objects as decoded,
/// without a detour through JSON.
pub trait KindObject:
    Scrub + k8s_openapi::Metadata<Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>
{
    const TABLE_KIND: Kind;
    fn store(objects: &mut Objects) -> &mut Store<Self>
    where
        Self: Sized;
}

/// Lists the readable kinds once; every table below is derived from it.
macro_rules! define_kinds {
    ($( $variant:ident => $field:ident : $ty:ty, short [$($short:literal),*], token $token:literal; )*) => {
        /// A Kubernetes kind the analyzers know how to read.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Kind { $($variant),* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::KIND),* }
            }
            pub fn api_version(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::API_VERSION),* }
            }
            pub fn group(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::GROUP),* }
            }
            /// The plural resource name used in API paths and RBAC rules.
            pub fn plural(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::URL_PATH_SEGMENT),* }
            }
            /// kubectl's short names (`deploy`, `svc`, ...), accepted wherever users name a kind.
            pub fn short_names(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => &[$($short),*]),* }
            }
            /// The prefix of the tokens that replace this kind's names in anonymized prompts (`pod-1`).
            pub fn token_prefix(self) -> &'static str {
                match self { $(Kind::$variant => $token),* }
            }
            pub fn namespaced(self) -> bool {
                use std::any::TypeId;
                match self {
                    $(Kind::$variant => TypeId::of::<<$ty as k8s_openapi::Resource>::Scope>()
                        == TypeId::of::<k8s_openapi::NamespaceResourceScope>()),*
                }
            }
        }

        /// Every object of a snapshot, one store per kind.
        #[derive(Clone, Debug, Default)]
        pub struct Objects { $(pub $field: Store<$ty>),* }

        $(impl KindObject for $ty {
            const TABLE_KIND: Kind = Kind::$variant;
            fn store(objects: &mut Objects) -> &mut Store<Self> { &mut objects.$field }
        })*

        impl Objects {
            /// Moves every object of `other` in (same namespace/name: `other` wins).
            pub(crate) fn absorb(&mut self, other: Objects) {
                $( self.$field.absorb(other.$field); )*
            }
            /// Decodes one object of `kind` and keeps what [`crate::hygiene`] allows of it.
            pub(crate) fn insert_value(&mut self, kind: Kind, value: serde_json::Value, policy: ValuePolicy)
                -> Result<(), serde_json::Error> {
                match kind {
                    $(Kind::$variant => self.insert_object(serde_json::from_value::<$ty>(value)?, policy)),*
                }
                Ok(())
            }
            /// Decodes one object of `kind` from its JSON text and keeps what [`crate::hygiene`] allows of it.
            pub(crate) fn insert_text(&mut self, kind: Kind, text: &str, policy: ValuePolicy)
                -> Result<(), serde_json::Error> {
                match kind {
                    $(Kind::$variant => self.insert_object(serde_json::from_str::<$ty>(text)?, policy)),*
                }
                Ok(())
            }
            /// Metadata of one object, whatever its kind.
            pub fn meta(&self, kind: Kind, namespace: &str, name: &str)
                -> Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> {
                use k8s_openapi::Metadata;
                match kind { $(Kind::$variant => self.$field.get(namespace, name).map(|o| o.metadata())),* }
            }
            /// How many objects there are, of every kind.
            pub fn count(&self) -> usize {
                0 $( + self.$field.len() )*
            }
            /// Every object's kind and metadata, in kind order then namespace/name order.
            pub fn all_meta(&self)
                -> Vec<(Kind, &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta)> {
                use k8s_openapi::Metadata;
                let mut all = Vec::new();
                $( all.extend(self.$field.iter().map(|o| (Kind::$variant, o.metadata()))); )*
                all
            }
            /// Every object of one kind as JSON, `apiVersion` and `kind` included (for rule files).
            pub fn values_of(&self, kind: Kind) -> Vec<serde_json::Value> {
                match kind {
                    $(Kind::$variant => self.$field.iter().filter_map(|o| serde_json::to_value(o).ok()).collect()),*
                }
            }
            pub(crate) fn retain_namespace(&mut self, namespace: &str) {
                $( if Kind::$variant.namespaced() { self.$field.retain_namespace(namespace); } )*
            }
            /// Serializes every object as an item of a `kind: List`, one at a time, as it is stored.
            pub fn serialize_items<S: serde::ser::SerializeSeq>(&self, items: &mut S) -> Result<(), S::Error> {
                $( for object in self.$field.iter() { items.serialize_element(object)?; } )*
                Ok(())
            }
            /// Serializes every object as a `kind: List` item (apiVersion and kind included).
            pub fn to_list_items(&self) -> Vec<serde_json::Value> {
                let mut items = Vec::new();
                $( items.extend(self.$field.iter().filter_map(|o| serde_json::to_value(o).ok())); )*
                items
            }
        }
    };
}

define_kinds! {
    Namespace => namespaces: Namespace, short ["ns"], token "ns";
    Node => nodes: Node, short ["no"], token "node";
    Pod => pods: Pod, short ["po"], token "pod";
    Deployment => deployments: Deployment, short ["deploy"], token "deployment";
    ReplicaSet => replica_sets: ReplicaSet, short ["rs"], token "replicaset";
    StatefulSet => stateful_sets: StatefulSet, short ["sts"], token "statefulset";
    DaemonSet => daemon_sets: DaemonSet, short ["ds"], token "daemonset";
    Job => jobs: Job, short [], token "job";
    CronJob => cron_jobs: CronJob, short ["cj"], token "cronjob";
    Service => services: Service, short ["svc"], token "service";
    Endpoints => endpoints: Endpoints, short ["ep"], token "endpoints";
    EndpointSlice => endpoint_slices: EndpointSlice, short [], token "endpoints";
    Ingress => ingresses: Ingress, short ["ing"], token "ingress";
    IngressClass => ingress_classes: IngressClass, short [], token "ingressclass";
    PersistentVolumeClaim => persistent_volume_claims: PersistentVolumeClaim, short ["pvc"], token "pvc";
    StorageClass => storage_classes: StorageClass, short ["sc"], token "storageclass";
    ServiceAccount => service_accounts: ServiceAccount, short ["sa"], token "serviceaccount";
    Secret => secrets: Secret, short [], token "secret";
    HorizontalPodAutoscaler => horizontal_pod_autoscalers: HorizontalPodAutoscaler, short ["hpa"], token "hpa";
    ValidatingWebhookConfiguration => validating_webhook_configurations: ValidatingWebhookConfiguration, short [], token "webhookconfig";
    MutatingWebhookConfiguration => mutating_webhook_configurations: MutatingWebhookConfiguration, short [], token "webhookconfig";
    Event => events: Event, short ["ev"], token "event";
    // Constraints on workloads, and what pods reference (issue 12). ConfigMaps keep key names only.
    ResourceQuota => resource_quotas: ResourceQuota, short ["quota"], token "quota";
    LimitRange => limit_ranges: LimitRange, short ["limits"], token "limitrange";
    PodDisruptionBudget => pod_disruption_budgets: PodDisruptionBudget, short ["pdb"], token "pdb";
    NetworkPolicy => network_policies: NetworkPolicy, short ["netpol"], token "netpol";
    ConfigMap => config_maps: ConfigMap, short ["cm"], token "configmap";
    PersistentVolume => persistent_volumes: PersistentVolume, short ["pv"], token "pv";
    PriorityClass => priority_classes: PriorityClass, short ["pc"], token "priorityclass";
    // In-process admission policies (CEL), GA in Kubernetes 1.30.
    ValidatingAdmissionPolicy => validating_admission_policies: ValidatingAdmissionPolicy, short ["vap"], token "admissionpolicy";
    ValidatingAdmissionPolicyBinding => validating_admission_policy_bindings: ValidatingAdmissionPolicyBinding, short ["vapb"], token "admissionpolicybinding";
}
impl Objects {
    /// Keeps what [`crate::hygiene`] allows of one typed object, and stores it.
    pub(crate) fn insert_object<K: KindObject>(&mut self, mut object: K, policy: ValuePolicy) {
        crate::hygiene::scrub_meta(object.metadata_mut(), policy);
        object.scrub(policy);
        K::store(self).insert(object);
    }
}

impl Kind {
    /// Finds a kind by the `kind` and `apiVersion` fields of an object.
    pub fn from_type(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == kind && k.api_version() == api_version)
    }

    /// Finds a kind by a name as users type it: `Deployment`, `deployment`, `deployments`, `deploy`.
    pub fn parse_user(text: &str) -> Option<Kind> {
        let lower = text.to_ascii_lowercase();
        Kind::ALL.iter().copied().find(|k| {
            k.short_names().contains(&lower.as_str()) || k.name().eq_ignore_ascii_case(&lower) || k.plural() == lower
        })
    }

    /// Finds a kind of the table by its `kind` field alone (events and owner references may omit the group).
    pub fn from_name(kind: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == kind)
    }

    /// The kind a reference names: by apiVersion and kind, else by kind alone (a reference may carry another
    /// version of the group, or none).
    pub fn from_reference(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::from_type(api_version, kind).or_else(|| Kind::from_name(kind))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
