//! The compact types must be the API's types in another layout: same field names, same JSON both ways.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;

/// What a derived or generated `Deserialize` impl hands to `deserialize_struct`: its full list of JSON field names.
#[derive(Debug)]
enum Caught {
    Fields(&'static [&'static str]),
    Other(String),
}

impl std::fmt::Display for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caught::Fields(fields) => write!(f, "fields {fields:?}"),
            Caught::Other(message) => f.write_str(message),
        }
    }
}
impl std::error::Error for Caught {}
impl serde::de::Error for Caught {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Caught::Other(msg.to_string())
    }
}

struct FieldNames;

impl<'de> serde::Deserializer<'de> for FieldNames {
    type Error = Caught;
    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Caught> {
        Err(Caught::Other("not a struct".into()))
    }
    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Caught> {
        Err(Caught::Fields(fields))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

fn fields_of<T: DeserializeOwned + std::fmt::Debug>() -> BTreeSet<&'static str> {
    match T::deserialize(FieldNames) {
        Err(Caught::Fields(fields)) => {
            fields.iter().copied().filter(|f| !matches!(*f, "apiVersion" | "kind")).collect()
        }
        other => panic!("{} did not name its fields: {other:?}", std::any::type_name::<T>()),
    }
}

#[test]
fn every_compact_type_has_exactly_the_fields_of_the_api_type() {
    use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
    macro_rules! same_fields {
        ($($ours:ty => $api:ty),* $(,)?) => {{
            let mut differ = Vec::new();
            $(
                let (ours, api) = (fields_of::<$ours>(), fields_of::<$api>());
                if ours != api {
                    differ.push(format!("{}: missing {:?}, extra {:?}", stringify!($ours),
                        api.difference(&ours).collect::<Vec<_>>(), ours.difference(&api).collect::<Vec<_>>()));
                }
            )*
            differ
        }};
    }
    let differ = same_fields!(
        Pod => core::Pod, PodSpec => core::PodSpec, Container => core::Container, Volume => core::Volume,
        PodTemplateSpec => core::PodTemplateSpec, ResourceRequirements => core::ResourceRequirements,
        PodStatus => core::PodStatus, ContainerStatus => core::ContainerStatus,
        ContainerState => core::ContainerState, EnvVar => core::EnvVar, PodCondition => core::PodCondition, ContainerPort => core::ContainerPort,
        PodSecurityContext => core::PodSecurityContext, SecurityContext => core::SecurityContext,
        Deployment => apps::Deployment, DeploymentSpec => apps::DeploymentSpec,
        ReplicaSet => apps::ReplicaSet, ReplicaSetSpec => apps::ReplicaSetSpec,
        StatefulSet => apps::StatefulSet, StatefulSetSpec => apps::StatefulSetSpec,
        DaemonSet => apps::DaemonSet, DaemonSetSpec => apps::DaemonSetSpec,
        Job => batch::Job, JobSpec => batch::JobSpec, JobTemplateSpec => batch::JobTemplateSpec,
        CronJob => batch::CronJob, CronJobSpec => batch::CronJobSpec,
    );
    assert!(differ.is_empty(), "the compact types drifted from k8s-openapi:\n{}", differ.join("\n"));
}

/// Every item of every fixture file (and the demo) of one mirrored kind.
fn items_of(kind: &str) -> Vec<serde_json::Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("../examples/demo-cluster.yaml")];
    let mut dirs = vec![root.join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    let mut items = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(docs) = serde_saphyr::from_multiple::<serde_json::Value>(&text) else { continue };
        for doc in docs {
            let listed = doc.get("items").and_then(|i| i.as_array()).cloned();
            for item in listed.unwrap_or_else(|| vec![doc]) {
                if item.get("kind").and_then(|k| k.as_str()) == Some(kind) {
                    items.push(item);
                }
            }
        }
    }
    items
}

fn same_json<Ours: DeserializeOwned + Serialize, Api: DeserializeOwned + Serialize>(kind: &str) -> usize {
    let items = items_of(kind);
    for item in &items {
        let name = &item["metadata"]["name"];
        let (ours, api) = (serde_json::from_value::<Ours>(item.clone()), serde_json::from_value::<Api>(item.clone()));
        let (Ok(ours), Ok(api)) = (ours, api) else {
            // Fixtures of invalid objects: both must refuse them.
            assert!(
                serde_json::from_value::<Ours>(item.clone()).is_err(),
                "{kind} {name}: accepted, the API type refuses it"
            );
            assert!(
                serde_json::from_value::<Api>(item.clone()).is_err(),
                "{kind} {name}: refused, the API type reads it"
            );
            continue;
        };
        let (ours, api) = (serde_json::to_value(ours).unwrap(), serde_json::to_value(api).unwrap());
        assert_eq!(ours, api, "{kind} {name} reads or writes differently");
    }
    items.len()
}

#[test]
fn every_fixture_object_reads_and_writes_as_the_api_type_does() {
    use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
    let counts = [
        same_json::<Pod, core::Pod>("Pod"),
        same_json::<Deployment, apps::Deployment>("Deployment"),
        same_json::<ReplicaSet, apps::ReplicaSet>("ReplicaSet"),
        same_json::<StatefulSet, apps::StatefulSet>("StatefulSet"),
        same_json::<DaemonSet, apps::DaemonSet>("DaemonSet"),
        same_json::<Job, batch::Job>("Job"),
        same_json::<CronJob, batch::CronJob>("CronJob"),
    ];
    // The fixtures hold every kind, so a broken walk cannot pass by comparing nothing.
    assert!(counts.iter().all(|&n| n > 0), "objects compared per kind: {counts:?}");
}

#[test]
fn a_pod_is_a_third_of_the_api_layout() {
    use std::mem::size_of;
    let ours = size_of::<Pod>() + size_of::<Container>() + size_of::<Volume>();
    let api = size_of::<k8s_openapi::api::core::v1::Pod>()
        + size_of::<k8s_openapi::api::core::v1::Container>()
        + size_of::<k8s_openapi::api::core::v1::Volume>();
    assert!(ours * 3 <= api, "a pod with one container and one volume: {ours} bytes against the API's {api}");
}

#[test]
fn empty_pod_security_contexts_share_one_allocation_and_still_read_and_write_as_written() {
    let pod = |context: serde_json::Value| -> Pod {
        serde_json::from_value(serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
            "spec": {"containers": [{"name": "app"}], "securityContext": context}}))
        .unwrap()
    };
    let context = |pod: &Pod| pod.spec.as_ref().unwrap().security_context.clone().unwrap();
    let (a, b) = (pod(serde_json::json!({})), pod(serde_json::json!({})));
    assert!(std::sync::Arc::ptr_eq(&context(&a), &context(&b)));
    let set = pod(serde_json::json!({"runAsNonRoot": true}));
    assert!(!std::sync::Arc::ptr_eq(&context(&a), &context(&set)));
    assert_eq!(context(&set).run_as_non_root, Some(true));
    let written = serde_json::to_value(&a).unwrap();
    assert_eq!(written["spec"]["securityContext"], serde_json::json!({}));
}
