//! Lists each needed kind once, concurrently (bounded), page by page, and feeds a snapshot builder.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::admissionregistration::v1::{MutatingWebhookConfiguration, ValidatingWebhookConfiguration};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Endpoints, Event, Namespace, Node, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams, ObjectList};
use kube::{Client, Resource};
use mekhanikube_analyzers::{Kind, SnapshotBuilder};
use serde::de::DeserializeOwned;

use super::{ClusterError, ClusterInfo, classify};

/// HTTP/1.1 only: more lists in flight than this just queue on connections.
const MAX_IN_FLIGHT: usize = 8;
const PAGE_SIZE: u32 = 500;
/// A continue token expires after a few minutes (410 Gone); restart the list from the top this many times.
const MAX_RESTARTS: usize = 3;

/// Called as each kind finishes, with the number of objects read.
pub trait ReadProgress: Sync {
    fn kind_done(&self, kind: Kind, count: usize);
}

enum Outcome {
    Items(Vec<serde_json::Value>),
    Skipped(String),
}

/// Reads `kinds` (namespaced ones in `namespace` only, when given) into a builder. A 403 or 404 on a kind is
/// recorded as skipped; any other failure aborts the read.
pub async fn read(
    client: &Client,
    info: &ClusterInfo,
    kinds: &BTreeSet<Kind>,
    namespace: Option<&str>,
    read_timeout: Duration,
    progress: &dyn ReadProgress,
) -> Result<SnapshotBuilder, ClusterError> {
    let results: Vec<(Kind, Result<Outcome, ClusterError>)> = futures::stream::iter(kinds.iter().copied())
        .map(|kind| async move {
            let result = list_kind(client, kind, namespace).await.map_or_else(
                |e| match &e {
                    kube::Error::Api(status) if status.code == 403 => {
                        Ok(Outcome::Skipped(format!("forbidden: {}", status.message)))
                    }
                    kube::Error::Api(status) if status.code == 404 => {
                        Ok(Outcome::Skipped("not served by this API server".to_string()))
                    }
                    _ => Err(classify(&info.server, kind.plural(), e, read_timeout)),
                },
                |items| Ok(Outcome::Items(items)),
            );
            if let Ok(Outcome::Items(items)) = &result {
                progress.kind_done(kind, items.len());
            } else {
                progress.kind_done(kind, 0);
            }
            (kind, result)
        })
        .buffer_unordered(MAX_IN_FLIGHT)
        .collect()
        .await;

    let mut sorted = results;
    sorted.sort_by_key(|(kind, _)| *kind);
    let mut builder = SnapshotBuilder::new();
    for (kind, result) in sorted {
        match result? {
            Outcome::Items(items) => {
                builder.mark_read(kind);
                for item in items {
                    builder.insert_value(kind, item).map_err(|e| ClusterError::List {
                        kind: kind.plural().to_string(),
                        detail: format!("unexpected object from the server: {e}"),
                    })?;
                }
            }
            Outcome::Skipped(reason) => builder.skip(kind, reason),
        }
    }
    Ok(builder)
}

async fn list_kind(
    client: &Client,
    kind: Kind,
    namespace: Option<&str>,
) -> Result<Vec<serde_json::Value>, kube::Error> {
    macro_rules! namespaced {
        ($ty:ty) => {
            list_typed::<$ty>(namespaced_api(client, namespace)).await
        };
    }
    macro_rules! cluster {
        ($ty:ty) => {
            list_typed::<$ty>(Api::all(client.clone())).await
        };
    }
    match kind {
        Kind::Namespace => cluster!(Namespace),
        Kind::Node => cluster!(Node),
        Kind::Pod => namespaced!(Pod),
        Kind::Deployment => namespaced!(Deployment),
        Kind::ReplicaSet => namespaced!(ReplicaSet),
        Kind::StatefulSet => namespaced!(StatefulSet),
        Kind::DaemonSet => namespaced!(DaemonSet),
        Kind::Job => namespaced!(Job),
        Kind::CronJob => namespaced!(CronJob),
        Kind::Service => namespaced!(Service),
        Kind::Endpoints => namespaced!(Endpoints),
        Kind::EndpointSlice => namespaced!(EndpointSlice),
        Kind::Ingress => namespaced!(Ingress),
        Kind::IngressClass => cluster!(IngressClass),
        Kind::PersistentVolumeClaim => namespaced!(PersistentVolumeClaim),
        Kind::StorageClass => cluster!(StorageClass),
        Kind::ServiceAccount => namespaced!(ServiceAccount),
        Kind::HorizontalPodAutoscaler => namespaced!(HorizontalPodAutoscaler),
        Kind::ValidatingWebhookConfiguration => cluster!(ValidatingWebhookConfiguration),
        Kind::MutatingWebhookConfiguration => cluster!(MutatingWebhookConfiguration),
        Kind::Event => namespaced!(Event),
        Kind::Secret => list_secret_metadata(namespaced_api::<Secret>(client, namespace)).await,
    }
}

fn namespaced_api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Pages through a list; a 410 Gone (expired continue token) restarts it from the top.
async fn paginate<T, F, Fut>(mut list_page: F) -> Result<Vec<T>, kube::Error>
where
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = Result<ObjectList<T>, kube::Error>>,
    T: Clone,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    let mut restarts = 0;
    loop {
        let mut params = ListParams::default().limit(PAGE_SIZE);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        test_delay().await;
        match list_page(params).await {
            Ok(page) => {
                items.extend(page.items);
                match page.metadata.continue_ {
                    Some(t) if !t.is_empty() => token = Some(t),
                    _ => return Ok(items),
                }
            }
            Err(kube::Error::Api(status)) if status.code == 410 && restarts < MAX_RESTARTS => {
                tracing::debug!("continue token expired; restarting the list");
                restarts += 1;
                items.clear();
                token = None;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Debug builds only: slows every page so a test can stop the API server in the middle of a run.
async fn test_delay() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("MEKHANIKUBE_TEST_SLOW_LIST_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

async fn list_typed<K>(api: Api<K>) -> Result<Vec<serde_json::Value>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let items = paginate(|params| {
        let api = api.clone();
        async move { api.list(&params).await }
    })
    .await?;
    items.iter().map(|o| serde_json::to_value(o).map_err(kube::Error::SerdeError)).collect()
}

/// Secrets are listed as PartialObjectMetadataList: their values never reach this process.
async fn list_secret_metadata(api: Api<Secret>) -> Result<Vec<serde_json::Value>, kube::Error> {
    let items = paginate(|params| {
        let api = api.clone();
        async move { api.list_metadata(&params).await }
    })
    .await?;
    Ok(items
        .into_iter()
        .map(|partial| serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": partial.metadata}))
        .collect())
}
