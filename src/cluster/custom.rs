//! Reads custom resources: discovers the served API groups that are not built into Kubernetes (one aggregated
//! discovery request where the server supports it, per-group discovery otherwise) and lists each listable kind
//! once, concurrently (bounded) and page by page, like the built-in kinds. Nothing here can fail the run: a kind
//! that cannot be read (403, 404, a conversion webhook down) is a `skipped` note with the reason.

use std::collections::BTreeSet;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::discovery::{ApiCapabilities, Discovery, Scope, verbs};
use mekhanikube_analyzers::{CrdSelection, CustomKind, SnapshotBuilder, custom};

use super::reader::{MAX_IN_FLIGHT, paginate};

/// What one custom kind's list gave.
enum Outcome {
    Read(Box<SnapshotBuilder>),
    Skipped(String),
}

/// Reads the selected custom kinds, and those of the `required` groups (which analyzers read whatever the
/// selection says; a required group the server does not serve is no note: there is nothing of it to read), into
/// `builder`; namespaced kinds in `namespace` only, when given.
pub async fn read_custom(
    client: &Client,
    selection: &CrdSelection,
    required: &BTreeSet<String>,
    namespace: Option<&str>,
    mut builder: SnapshotBuilder,
) -> SnapshotBuilder {
    if *selection == CrdSelection::None && required.is_empty() {
        return builder;
    }
    let resources = match discover(client, selection, required).await {
        Ok(resources) => resources,
        Err(e) => {
            let kind = CustomKind { group: String::new(), kind: "custom resources".into() };
            builder.skip_custom(&kind, format!("API discovery failed: {e}"));
            return builder;
        }
    };
    // A group asked for by name that serves nothing listable is said, not silently ignored (a typo, say).
    if let CrdSelection::Groups(groups) = selection {
        for group in groups.iter().filter(|g| !resources.iter().any(|(r, _)| &r.group == *g)) {
            let kind = CustomKind { group: String::new(), kind: format!("API group {group}") };
            builder.skip_custom(&kind, "not served by this API server, or it serves nothing that can be listed");
        }
    }
    let results: Vec<(CustomKind, Outcome)> = futures::stream::iter(resources)
        .map(|(resource, caps)| {
            let fragment = builder.fragment();
            async move {
                let kind = CustomKind { group: resource.group.clone(), kind: resource.kind.clone() };
                let outcome = match list_kind(client, &resource, &caps, namespace, fragment).await {
                    Ok((fragment, count)) => {
                        tracing::debug!("read {count} {}", kind);
                        Outcome::Read(Box::new(fragment))
                    }
                    Err(kube::Error::Api(status)) if status.code == 403 => {
                        Outcome::Skipped(format!("forbidden: {}", status.message))
                    }
                    Err(kube::Error::Api(status)) if status.code == 404 => {
                        Outcome::Skipped("not served by this API server".to_string())
                    }
                    Err(kube::Error::Api(status)) => {
                        Outcome::Skipped(format!("the API server answered {}: {}", status.code, status.message))
                    }
                    Err(e) => Outcome::Skipped(format!("cannot be listed: {e}")),
                };
                (kind, outcome)
            }
        })
        .buffer_unordered(MAX_IN_FLIGHT)
        .collect()
        .await;
    let mut sorted = results;
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (kind, outcome) in sorted {
        match outcome {
            Outcome::Read(fragment) => {
                builder.mark_custom_read(kind);
                builder.absorb(*fragment);
            }
            Outcome::Skipped(reason) => builder.skip_custom(&kind, reason),
        }
    }
    builder
}

/// The listable resources of the selected and required custom groups, at each group's preferred version, sorted.
async fn discover(
    client: &Client,
    selection: &CrdSelection,
    required: &BTreeSet<String>,
) -> Result<Vec<(ApiResource, ApiCapabilities)>, kube::Error> {
    let configure = || match selection {
        CrdSelection::Groups(_) | CrdSelection::None => {
            let groups: BTreeSet<&str> = match selection {
                CrdSelection::Groups(groups) => groups.iter().chain(required).map(String::as_str).collect(),
                _ => required.iter().map(String::as_str).collect(),
            };
            Discovery::new(client.clone()).filter(&groups.into_iter().collect::<Vec<_>>())
        }
        CrdSelection::All => {
            let mut skip: Vec<&str> = custom::BUILTIN_GROUPS.to_vec();
            skip.extend(custom::NOT_CUSTOM);
            Discovery::new(client.clone()).exclude(&skip)
        }
    };
    // One request on servers with aggregated discovery (1.26+, GA in 1.30); older ones answer it with the plain
    // group list, which kube reports as an error: then one request per custom group.
    let discovery = match configure().run_aggregated().await {
        Ok(d) => d,
        Err(e) => {
            tracing::debug!("aggregated discovery unavailable ({e}); discovering group by group");
            configure().run().await?
        }
    };
    let mut resources: Vec<(ApiResource, ApiCapabilities)> = discovery
        .groups()
        .filter(|g| selection.includes(g.name()) || required.contains(g.name()))
        .flat_map(|g| g.recommended_resources())
        .filter(|(r, caps)| caps.supports_operation(verbs::LIST) && !r.plural.contains('/'))
        .collect();
    resources.sort_by(|a, b| (&a.0.group, &a.0.kind).cmp(&(&b.0.group, &b.0.kind)));
    Ok(resources)
}

/// Lists one custom kind into `fragment`; returns it with the number of objects read.
async fn list_kind(
    client: &Client,
    resource: &ApiResource,
    caps: &ApiCapabilities,
    namespace: Option<&str>,
    fragment: SnapshotBuilder,
) -> Result<(SnapshotBuilder, usize), kube::Error> {
    let api: Api<DynamicObject> = match (caps.scope.clone(), namespace) {
        (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, resource),
        _ => Api::all_with(client.clone(), resource),
    };
    let state = std::cell::RefCell::new((fragment, 0usize));
    paginate(
        |params| {
            let api = api.clone();
            async move { api.list(&params).await }
        },
        |items: Vec<DynamicObject>| {
            let mut state = state.borrow_mut();
            state.1 += items.len();
            for item in items {
                state.0.insert_custom_parts(&resource.api_version, &resource.kind, item.metadata, item.data);
            }
        },
        || {
            let mut state = state.borrow_mut();
            *state = (state.0.fragment(), 0);
        },
    )
    .await?;
    Ok(state.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use http::{Request, Response, StatusCode};
    use kube::client::Body;

    use super::*;
    use crate::cluster::ReadOnlyLayer;

    const DISCOVERY: &str = r#"{"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
      "items": [
        {"metadata": {"name": "cert-manager.io"}, "versions": [{"version": "v1", "freshness": "Current", "resources": [
          {"resource": "certificates", "scope": "Namespaced", "singularResource": "certificate",
           "responseKind": {"group": "cert-manager.io", "version": "v1", "kind": "Certificate"},
           "verbs": ["get", "list", "watch"],
           "subresources": [{"subresource": "status", "verbs": ["get", "patch"],
             "responseKind": {"group": "cert-manager.io", "version": "v1", "kind": "Certificate"}}]},
          {"resource": "certificaterequests", "scope": "Namespaced", "singularResource": "certificaterequest",
           "responseKind": {"group": "cert-manager.io", "version": "v1", "kind": "CertificateRequest"},
           "verbs": ["create"]}]}]},
        {"metadata": {"name": "convert.example.com"}, "versions": [{"version": "v2", "resources": [
          {"resource": "widgets", "scope": "Cluster", "singularResource": "widget",
           "responseKind": {"group": "convert.example.com", "version": "v2", "kind": "Widget"},
           "verbs": ["get", "list"]}]}]}
      ]}"#;

    /// A fake API server: aggregated discovery, one list of Certificates in two pages, and a kind whose
    /// conversion webhook is down (500).
    fn fake_client(seen: Arc<Mutex<Vec<String>>>) -> Client {
        let service = tower::service_fn(move |req: Request<Body>| {
            let seen = seen.clone();
            async move {
                let uri = req.uri().to_string();
                seen.lock().unwrap().push(format!("{} {uri}", req.method()));
                let path = req.uri().path();
                let certificates = path.starts_with("/apis/cert-manager.io/v1/") && path.ends_with("/certificates");
                let (status, body) = match path {
                    "/apis" => (StatusCode::OK, DISCOVERY.to_string()),
                    _ if certificates && uri.contains("continue=") => (
                        StatusCode::OK,
                        r#"{"apiVersion": "cert-manager.io/v1", "kind": "CertificateList", "metadata": {}, "items": [
                          {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                           "metadata": {"name": "b", "namespace": "shop"}, "spec": {"secretName": "b"}}]}"#
                            .to_string(),
                    ),
                    _ if certificates => (
                        StatusCode::OK,
                        r#"{"apiVersion": "cert-manager.io/v1", "kind": "CertificateList", "metadata": {"continue": "t1"},
                          "items": [{"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                           "metadata": {"name": "a", "namespace": "shop", "managedFields": [{"manager": "m",
                             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
                           "spec": {"secretName": "a"}, "data": {"key": "c2VjcmV0"}}]}"#
                            .to_string(),
                    ),
                    _ => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 500,
                          "message": "conversion webhook for convert.example.com/v1, Kind=Widget failed"}"#
                            .to_string(),
                    ),
                };
                let mut response = Response::new(Body::from(body.into_bytes()));
                *response.status_mut() = status;
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let service = tower::ServiceBuilder::new().layer(ReadOnlyLayer).service(service);
        Client::new(service, "default")
    }

    #[tokio::test]
    async fn discovers_once_lists_each_listable_kind_and_skips_a_failing_one() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let builder =
            read_custom(&fake_client(seen.clone()), &CrdSelection::All, &BTreeSet::new(), None, SnapshotBuilder::new())
                .await;
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.iter().filter(|r| r.ends_with(" /apis")).count(), 1, "one discovery request: {seen:#?}");
        assert!(seen.iter().all(|r| r.starts_with("GET ")), "{seen:#?}");
        assert!(!seen.iter().any(|r| r.contains("certificaterequests")), "not listable: {seen:#?}");
        let lists: Vec<&String> = seen.iter().filter(|r| r.contains("/certificates")).collect();
        assert_eq!(lists.len(), 2, "two pages: {lists:?}");
        assert!(lists.iter().all(|r| r.contains("limit=500")), "{lists:?}");
        let snapshot = builder.build();
        assert_eq!(snapshot.custom.len(), 2);
        let a = snapshot.custom.get("cert-manager.io", "Certificate", "shop", "a").expect("read");
        assert_eq!(a.api_version, "cert-manager.io/v1");
        assert!(a.pointer("/data").is_none(), "payload dropped");
        assert!(a.metadata.managed_fields.as_ref().unwrap()[0].fields_v1.is_none(), "field sets dropped");
        assert_eq!(snapshot.skipped.len(), 1, "{:?}", snapshot.skipped);
        assert_eq!(snapshot.skipped[0].kind, "Widget.convert.example.com");
        assert!(snapshot.skipped[0].reason.contains("conversion webhook"), "{:?}", snapshot.skipped[0]);
    }

    #[tokio::test]
    async fn none_reads_nothing_and_a_named_group_reads_only_itself() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = fake_client(seen.clone());
        let none = read_custom(&client, &CrdSelection::None, &BTreeSet::new(), None, SnapshotBuilder::new()).await;
        assert!(seen.lock().unwrap().is_empty() && none.custom().is_empty());
        let groups = CrdSelection::parse("cert-manager.io,missing.example.com").unwrap();
        let builder = read_custom(&client, &groups, &BTreeSet::new(), Some("shop"), SnapshotBuilder::new()).await;
        let seen = seen.lock().unwrap().clone();
        assert!(!seen.iter().any(|r| r.contains("widgets")), "{seen:#?}");
        assert!(seen.iter().any(|r| r.contains("/apis/cert-manager.io/v1/namespaces/shop/certificates")), "{seen:#?}");
        let snapshot = builder.build();
        let skipped: Vec<&str> = snapshot.skipped.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(skipped, ["API group missing.example.com"]);
    }

    #[tokio::test]
    async fn required_groups_are_read_whatever_the_selection_and_an_unserved_one_is_no_note() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let required: BTreeSet<String> = ["cert-manager.io", "wgpolicyk8s.io"].map(String::from).into();
        let builder =
            read_custom(&fake_client(seen.clone()), &CrdSelection::None, &required, None, SnapshotBuilder::new()).await;
        let seen = seen.lock().unwrap().clone();
        assert!(seen.iter().any(|r| r.contains("/apis/cert-manager.io/v1/certificates")), "{seen:#?}");
        assert!(!seen.iter().any(|r| r.contains("widgets")), "not required, not selected: {seen:#?}");
        let snapshot = builder.build();
        assert_eq!(snapshot.custom.len(), 2);
        assert!(snapshot.skipped.is_empty(), "a required group that is not served is no note: {:?}", snapshot.skipped);
    }

    #[test]
    fn selections_parse_and_builtin_groups_are_refused() {
        assert_eq!(CrdSelection::parse("none").unwrap(), CrdSelection::None);
        assert_eq!(CrdSelection::parse("all").unwrap(), CrdSelection::All);
        let groups = CrdSelection::parse("cert-manager.io, argoproj.io").unwrap();
        assert!(groups.includes("argoproj.io") && !groups.includes("fluxcd.io"));
        assert!(CrdSelection::parse("apps").unwrap_err().contains("built into Kubernetes"));
        assert!(CrdSelection::parse("a,,b").is_err());
        assert!(CrdSelection::All.includes("gateway.networking.k8s.io"));
        assert!(!CrdSelection::All.includes("apps") && !CrdSelection::All.includes("custom.metrics.k8s.io"));
    }
}
