//! Lists each needed kind once, concurrently (bounded), page by page, and feeds a snapshot builder.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, ObjectList};
use kube::{Client, Resource};
use mekhanikube_analyzers::{Kind, SnapshotBuilder};
use serde_json::value::RawValue;

use super::{ClusterError, ClusterInfo, classify};

/// HTTP/1.1 only: more lists in flight than this just queue on connections.
pub(super) const MAX_IN_FLIGHT: usize = 8;
const PAGE_SIZE: u32 = 500;
/// A continue token expires after a few minutes (410 Gone); restart the list from the top this many times.
const MAX_RESTARTS: usize = 3;

/// Called as each kind finishes, with the number of objects read.
pub trait ReadProgress: Sync {
    fn kind_done(&self, kind: Kind, count: usize);
}

enum Outcome {
    /// The kind's objects, already decoded and filtered, and how many there were.
    Read(Box<SnapshotBuilder>, usize),
    Skipped(String),
}

/// Reads `kinds` (namespaced ones in `namespace` only, when given) into `builder`. A 403 or 404 on a kind is
/// recorded as skipped; any other failure aborts the read. Each list fills a fragment of the builder page by page,
/// so a page is decoded once into its typed objects and dropped before the next one arrives.
pub async fn read(
    client: &Client,
    info: &ClusterInfo,
    kinds: &BTreeSet<Kind>,
    namespace: Option<&str>,
    read_timeout: Duration,
    progress: &dyn ReadProgress,
    mut builder: SnapshotBuilder,
) -> Result<SnapshotBuilder, ClusterError> {
    let results: Vec<(Kind, Result<Outcome, ClusterError>)> = futures::stream::iter(kinds.iter().copied())
        .map(|kind| {
            let fragment = builder.fragment();
            async move {
                let result = match list_kind(client, kind, namespace, fragment).await {
                    Ok((fragment, count)) => Ok(Outcome::Read(Box::new(fragment), count)),
                    Err(kube::Error::Api(status)) if status.code == 403 => {
                        Ok(Outcome::Skipped(format!("forbidden: {}", status.message)))
                    }
                    Err(kube::Error::Api(status)) if status.code == 404 => {
                        Ok(Outcome::Skipped("not served by this API server".to_string()))
                    }
                    Err(e) => Err(classify(&info.server, kind.plural(), e, read_timeout)),
                };
                let count = match &result {
                    Ok(Outcome::Read(_, count)) => *count,
                    _ => 0,
                };
                progress.kind_done(kind, count);
                (kind, result)
            }
        })
        .buffer_unordered(MAX_IN_FLIGHT)
        .collect()
        .await;

    let mut sorted = results;
    sorted.sort_by_key(|(kind, _)| *kind);
    for (kind, result) in sorted {
        match result? {
            Outcome::Read(fragment, _) => {
                builder.mark_read(kind);
                builder.absorb(*fragment);
            }
            Outcome::Skipped(reason) => builder.skip(kind, reason),
        }
    }
    Ok(builder)
}

/// Lists one kind into `fragment`; returns it with the number of objects read. Each page is split into its items'
/// raw text, and each item is inserted from its text as a saved file's items are ([`SnapshotBuilder::insert_json`]):
/// a whole page decoded at once gave every array in an object room for four elements (the text gives serde no
/// length), which doubled the memory of a live run, and a page of 500 pods as JSON values took about ten times
/// its text.
async fn list_kind(
    client: &Client,
    kind: Kind,
    namespace: Option<&str>,
    fragment: SnapshotBuilder,
) -> Result<(SnapshotBuilder, usize), kube::Error> {
    if kind == Kind::Secret {
        return list_secret_metadata(namespaced_api::<Secret>(client, namespace), fragment).await;
    }
    let collection = kube::core::Request::new(collection_url(kind, namespace));
    fill(
        fragment,
        |params| {
            let request = collection.list(&params).map_err(kube::Error::BuildRequest);
            async move { client.request::<ObjectList<Box<RawValue>>>(request?).await }
        },
        |builder, item| builder.insert_json(kind, item.get()).map_err(kube::Error::SerdeError),
    )
    .await
}

/// Where a kind's objects are listed: `/api/v1/namespaces/shop/pods`, `/apis/apps/v1/deployments`.
fn collection_url(kind: Kind, namespace: Option<&str>) -> String {
    let root = if kind.group().is_empty() { "/api" } else { "/apis" };
    match namespace {
        Some(ns) if kind.namespaced() => format!("{root}/{}/namespaces/{ns}/{}", kind.api_version(), kind.plural()),
        _ => format!("{root}/{}/{}", kind.api_version(), kind.plural()),
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

/// Pages through a list, handing each page to `on_page` as it arrives; a 410 Gone (expired continue token)
/// calls `on_restart`, which must forget what the abandoned pass delivered, and restarts the list from the top.
pub(super) async fn paginate<T, F, Fut>(
    mut list_page: F,
    mut on_page: impl FnMut(Vec<T>),
    mut on_restart: impl FnMut(),
) -> Result<(), kube::Error>
where
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = Result<ObjectList<T>, kube::Error>>,
    T: Clone,
{
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
                on_page(page.items);
                match page.metadata.continue_ {
                    Some(t) if !t.is_empty() => token = Some(t),
                    _ => return Ok(()),
                }
            }
            Err(kube::Error::Api(status)) if status.code == 410 && restarts < MAX_RESTARTS => {
                tracing::debug!("continue token expired; restarting the list");
                restarts += 1;
                on_restart();
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

/// Secrets are listed as PartialObjectMetadataList: their values never reach this process.
async fn list_secret_metadata(
    api: Api<Secret>,
    fragment: SnapshotBuilder,
) -> Result<(SnapshotBuilder, usize), kube::Error> {
    fill(
        fragment,
        |params| {
            let api = api.clone();
            async move { api.list_metadata(&params).await }
        },
        |builder, partial| {
            builder.insert(Secret { metadata: partial.metadata, ..Secret::default() });
            Ok(())
        },
    )
    .await
}

/// Pages through a list into `fragment`, each item inserted by `insert` as its page arrives; a restarted list starts
/// the fragment afresh. Returns the fragment and how many objects it took.
async fn fill<T, F, Fut>(
    fragment: SnapshotBuilder,
    list_page: F,
    insert: impl Fn(&mut SnapshotBuilder, T) -> Result<(), kube::Error>,
) -> Result<(SnapshotBuilder, usize), kube::Error>
where
    T: Clone,
    F: FnMut(ListParams) -> Fut,
    Fut: Future<Output = Result<ObjectList<T>, kube::Error>>,
{
    let state = std::cell::RefCell::new((fragment, 0usize));
    let mut failure = None;
    paginate(
        list_page,
        |items| {
            let mut state = state.borrow_mut();
            state.1 += items.len();
            for item in items {
                if let Err(e) = insert(&mut state.0, item) {
                    failure.get_or_insert(e);
                }
            }
        },
        || {
            let mut state = state.borrow_mut();
            *state = (state.0.fragment(), 0);
        },
    )
    .await?;
    match failure {
        Some(e) => Err(e),
        None => Ok(state.into_inner()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use http::{Request, Response};
    use kube::client::Body;
    use mekhanikube_analyzers::Kind;

    use super::*;
    use crate::cluster::ReadOnlyLayer;

    #[derive(Clone, Debug)]
    struct Seen {
        method: String,
        path: String,
        query: String,
        accept: String,
    }

    struct Quiet;
    impl ReadProgress for Quiet {
        fn kind_done(&self, _: Kind, _: usize) {}
    }

    /// A fake API server at the request level: answers every list with an empty list of the right shape
    /// and records what was asked.
    fn fake_client(seen: Arc<Mutex<Vec<Seen>>>) -> Client {
        let service = tower::service_fn(move |req: Request<Body>| {
            let seen = seen.clone();
            async move {
                let accept = req.headers().get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
                let record = Seen {
                    method: req.method().to_string(),
                    path: req.uri().path().to_string(),
                    query: req.uri().query().unwrap_or("").to_string(),
                    accept: accept.to_string(),
                };
                let body = if accept.contains("as=PartialObjectMetadataList") {
                    r#"{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadataList","metadata":{},"items":[{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":{"name":"db-password","namespace":"shop"}}]}"#
                } else {
                    r#"{"apiVersion":"v1","kind":"List","metadata":{},"items":[]}"#
                };
                seen.lock().unwrap().push(record);
                Ok::<_, std::convert::Infallible>(Response::new(Body::from(body.as_bytes().to_vec())))
            }
        });
        let service = tower::ServiceBuilder::new().layer(ReadOnlyLayer).service(service);
        Client::new(service, "default")
    }

    #[tokio::test]
    async fn lists_each_kind_once_and_secrets_as_metadata_only() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = fake_client(seen.clone());
        let info = ClusterInfo { context: None, server: "https://fake".into() };
        let kinds: BTreeSet<Kind> = Kind::ALL.iter().copied().collect();
        let builder = read(&client, &info, &kinds, None, Duration::from_secs(5), &Quiet, SnapshotBuilder::new())
            .await
            .expect("reads");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), Kind::ALL.len(), "one request per kind: {seen:#?}");
        for kind in Kind::ALL {
            let hits: Vec<&Seen> = seen.iter().filter(|s| s.path.ends_with(&format!("/{}", kind.plural()))).collect();
            assert_eq!(hits.len(), 1, "{kind}: {hits:?}");
            assert_eq!(hits[0].method, "GET");
            assert!(hits[0].query.contains("limit=500"), "{kind} is paginated: {}", hits[0].query);
        }
        let secrets: Vec<&Seen> = seen.iter().filter(|s| s.path.contains("/secrets")).collect();
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets[0].path, "/api/v1/secrets", "a list, never one Secret by name");
        assert!(secrets[0].accept.contains("as=PartialObjectMetadataList"), "{}", secrets[0].accept);
        let snapshot = builder.build();
        let secret = snapshot.objects.secrets.get("shop", "db-password").expect("secret metadata kept");
        assert!(secret.data.is_none() && secret.string_data.is_none());
    }

    /// A ConfigMap list as the API server sends it, values and kubectl's annotation included: its values are
    /// dropped as the page is inserted, whatever the value policy, and only the key names stay.
    #[tokio::test]
    async fn config_map_values_are_dropped_as_they_are_read() {
        let service = tower::service_fn(|req: Request<Body>| async move {
            let body = if req.uri().path().ends_with("/configmaps") {
                r#"{"apiVersion":"v1","kind":"ConfigMapList","metadata":{},"items":[{"metadata":{"name":"app","namespace":"shop","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"url\":\"cm-live-Vv19\"}}"}},"data":{"url":"cm-live-Vv19"},"binaryData":{"blob":"Y20tbGl2ZS1WdjE5"}}]}"#
            } else {
                r#"{"apiVersion":"v1","kind":"List","metadata":{},"items":[]}"#
            };
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(body.as_bytes().to_vec())))
        });
        let client = Client::new(tower::ServiceBuilder::new().layer(ReadOnlyLayer).service(service), "default");
        let info = ClusterInfo { context: None, server: "https://fake".into() };
        let kinds: BTreeSet<Kind> = [Kind::ConfigMap].into_iter().collect();
        for policy in [mekhanikube_analyzers::ValuePolicy::Redact, mekhanikube_analyzers::ValuePolicy::Keep] {
            let builder = SnapshotBuilder::new().with_values(policy);
            let builder =
                read(&client, &info, &kinds, None, Duration::from_secs(5), &Quiet, builder).await.expect("reads");
            let saved = serde_json::to_string(&builder.objects().to_list_items()).unwrap();
            assert!(!saved.contains("cm-live-Vv19") && !saved.contains("Y20tbGl2ZS1WdjE5"), "{policy:?}: {saved}");
            assert!(saved.contains(r#""data":{"url":""}"#) && saved.contains(r#""binaryData":{"blob":""}"#), "{saved}");
        }
    }

    /// Arrays decoded straight from page text get room for four elements; a pod's one container, one volume and
    /// one container status then took four times their size, which doubled a live run's memory.
    #[tokio::test]
    async fn listed_objects_take_only_the_room_they_need() {
        let service = tower::service_fn(|req: Request<Body>| async move {
            let body = if req.uri().path().ends_with("/pods") {
                r#"{"apiVersion":"v1","kind":"PodList","metadata":{},"items":[{"metadata":{"name":"web-1","namespace":"shop","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"u"}]},"spec":{"containers":[{"name":"app","image":"web:1"}],"volumes":[{"name":"data","emptyDir":{}}]},"status":{"conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","image":"web:1","imageID":"","ready":true,"restartCount":0}]}}]}"#
            } else {
                r#"{"apiVersion":"v1","kind":"List","metadata":{},"items":[]}"#
            };
            Ok::<_, std::convert::Infallible>(Response::new(Body::from(body.as_bytes().to_vec())))
        });
        let client = Client::new(tower::ServiceBuilder::new().layer(ReadOnlyLayer).service(service), "default");
        let info = ClusterInfo { context: None, server: "https://fake".into() };
        let kinds: BTreeSet<Kind> = [Kind::Pod].into_iter().collect();
        let builder = read(&client, &info, &kinds, None, Duration::from_secs(5), &Quiet, SnapshotBuilder::new())
            .await
            .expect("reads");
        let snapshot = builder.build();
        let pod = snapshot.objects.pods.get("shop", "web-1").expect("the pod was read");
        let (spec, status) = (pod.spec.as_ref().unwrap(), pod.status.as_ref().unwrap());
        let room = [
            ("containers", spec.containers.capacity()),
            ("volumes", spec.volumes.as_ref().unwrap().capacity()),
            ("ownerReferences", pod.metadata.owner_references.as_ref().unwrap().capacity()),
            ("conditions", status.conditions.as_ref().unwrap().capacity()),
            ("containerStatuses", status.container_statuses.as_ref().unwrap().capacity()),
        ];
        assert!(room.iter().all(|(_, capacity)| *capacity == 1), "room for one element each: {room:?}");
    }

    #[tokio::test]
    async fn namespaced_kinds_are_listed_in_the_namespace_only() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = fake_client(seen.clone());
        let info = ClusterInfo { context: None, server: "https://fake".into() };
        let kinds: BTreeSet<Kind> = [Kind::Pod, Kind::Node].into_iter().collect();
        read(&client, &info, &kinds, Some("shop"), Duration::from_secs(5), &Quiet, SnapshotBuilder::new())
            .await
            .unwrap();
        let paths: Vec<String> = seen.lock().unwrap().iter().map(|s| s.path.clone()).collect();
        assert!(paths.contains(&"/api/v1/namespaces/shop/pods".to_string()), "{paths:?}");
        assert!(paths.contains(&"/api/v1/nodes".to_string()), "{paths:?}");
    }

    fn page(items: &[&str], next: Option<&str>) -> ObjectList<String> {
        ObjectList {
            types: Default::default(),
            metadata: kube::api::ListMeta { continue_: next.map(str::to_string), ..Default::default() },
            items: items.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn gone() -> kube::Error {
        kube::Error::Api(Box::new(kube::core::Status { code: 410, message: "expired".into(), ..Default::default() }))
    }

    #[tokio::test]
    async fn follows_continue_tokens_and_restarts_on_410_gone() {
        let calls = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
        let log = calls.clone();
        let items = std::cell::RefCell::new(Vec::new());
        paginate(
            move |params: ListParams| {
                let log = log.clone();
                async move {
                    let mut log = log.lock().unwrap();
                    log.push(params.continue_token.clone());
                    match (log.len(), params.continue_token.as_deref()) {
                        (1, None) => Ok(page(&["a", "b"], Some("t1"))),
                        (2, Some("t1")) => Err(gone()),
                        (3, None) => Ok(page(&["a", "b"], Some("t2"))),
                        (4, Some("t2")) => Ok(page(&["c"], None)),
                        other => panic!("unexpected call {other:?}"),
                    }
                }
            },
            |page| items.borrow_mut().extend(page),
            || items.borrow_mut().clear(),
        )
        .await
        .expect("restarted after 410");
        assert_eq!(items.into_inner(), vec!["a", "b", "c"], "no duplicates from the abandoned pass");
        assert_eq!(calls.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn gives_up_after_repeated_410_gone() {
        let result =
            paginate(|_params: ListParams| async { Err::<ObjectList<String>, _>(gone()) }, |_| {}, || {}).await;
        assert!(matches!(result, Err(kube::Error::Api(s)) if s.code == 410));
    }
}
