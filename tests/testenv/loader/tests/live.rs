//! Against a real kube-apiserver of its own (started in a temp dir): a fixture loads with statuses and live owner
//! uids, and the `reader` user can read but not write or fetch secrets, as the audit log shows.
//! Needs the binaries from `tests/testenv/build.sh` and the `live` feature (`make test` turns it on); without
//! the binaries it fails saying so.
#![cfg(feature = "live")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Endpoints, Event, Node, Pod, Secret};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams, PostParams};
use mekhanikube_testenv::{AuditEvent, LoadStats, TestEnv};
use serde_json::json;

fn temp_dir() -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("mk-testenv-live-{}-{nanos}", std::process::id()))
}

fn forbidden(r: Result<impl std::fmt::Debug, kube::Error>) -> bool {
    matches!(r, Err(kube::Error::Api(s)) if s.code == 403)
}

fn has(events: &[AuditEvent], verb: &str, resource: &str, name: Option<&str>, code: u16) -> bool {
    events.iter().any(|e| {
        e.verb == verb && e.resource.as_deref() == Some(resource) && e.code == Some(code) && e.name.as_deref() == name
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_loads_and_reader_is_read_only() -> Result<()> {
    let dir = temp_dir();
    let started = Instant::now();
    let env = TestEnv::start(&dir)
        .context("starting a test API server (are the binaries built? run tests/testenv/build.sh)")?;
    eprintln!("API server up in {:.1} s ({})", started.elapsed().as_secs_f64(), dir.display());

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crashloop.yaml");
    let t = Instant::now();
    let stats = env.load_fixture(&fixture).await?;
    eprintln!("fixture loaded in {:.2} s: {stats:?}", t.elapsed().as_secs_f64());
    assert_eq!(stats, LoadStats { created: 9, status_patched: 4, existing: 0, deleted: 0 });

    // Loading again changes nothing but re-asserts the statuses.
    let again = env.load_fixture(&fixture).await?;
    assert_eq!(again, LoadStats { created: 0, status_patched: 4, existing: 9, deleted: 0 });

    let admin = env.admin_client().await?;
    let deploy = Api::<Deployment>::namespaced(admin.clone(), "shop").get("web").await?;
    let rs = Api::<ReplicaSet>::namespaced(admin.clone(), "shop").get("web-7d4b9c6f5").await?;
    let pod = Api::<Pod>::namespaced(admin.clone(), "shop").get("web-7d4b9c6f5-x2x9k").await?;
    let svc = Api::<k8s_openapi::api::core::v1::Service>::namespaced(admin.clone(), "shop").get("web").await?;
    let slice = Api::<EndpointSlice>::namespaced(admin.clone(), "shop").get("web-abcde").await?;
    let endpoints = Api::<Endpoints>::namespaced(admin.clone(), "shop").get("web").await?;
    let event = Api::<Event>::namespaced(admin.clone(), "shop").get("web-7d4b9c6f5-x2x9k.1800a1b2c3d4e5f6").await?;
    let node = Api::<Node>::all(admin.clone()).get("node-1").await?;

    // Fixture content kept as written.
    assert_eq!(deploy.metadata.annotations.as_ref().unwrap()["team"], "storefront");
    assert_eq!(deploy.status.as_ref().unwrap().unavailable_replicas, Some(1));
    assert_eq!(pod.spec.as_ref().unwrap().node_name.as_deref(), Some("node-1"));
    let cs = &pod.status.as_ref().unwrap().container_statuses.as_ref().unwrap()[0];
    assert_eq!(cs.restart_count, 42);
    assert_eq!(cs.state.as_ref().unwrap().waiting.as_ref().unwrap().reason.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(cs.last_state.as_ref().unwrap().terminated.as_ref().unwrap().exit_code, 1);
    let ready = node.status.as_ref().unwrap().conditions.as_ref().unwrap().iter().find(|c| c.type_ == "Ready").unwrap();
    assert_eq!(ready.status, "False");
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert_eq!(event.count, Some(42));

    // Owner and object references point at the live objects.
    let owner_uid = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        m.owner_references.as_ref().unwrap()[0].uid.clone()
    };
    assert_eq!(owner_uid(&rs.metadata), deploy.metadata.uid.clone().unwrap());
    assert_eq!(owner_uid(&pod.metadata), rs.metadata.uid.clone().unwrap());
    assert_eq!(owner_uid(&slice.metadata), svc.metadata.uid.clone().unwrap());
    assert_eq!(event.involved_object.uid, pod.metadata.uid);
    let target =
        endpoints.subsets.as_ref().unwrap()[0].not_ready_addresses.as_ref().unwrap()[0].target_ref.as_ref().unwrap();
    assert_eq!(target.uid, pod.metadata.uid);
    assert_eq!(slice.endpoints.as_ref().unwrap()[0].target_ref.as_ref().unwrap().uid, pod.metadata.uid);

    // Terminating objects: created, then deleted; with nothing to finish the deletion they stay.
    let stuck = json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone", "deletionTimestamp": "2025-01-01T00:00:00Z"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stuck", "namespace": "gone",
            "deletionTimestamp": "2025-01-01T00:00:00Z"},
         "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "i"}]},
         "status": {"phase": "Running"}}]});
    let stats = env.load_value(stuck.clone()).await?;
    assert_eq!(stats, LoadStats { created: 2, status_patched: 1, existing: 0, deleted: 2 });
    let ns = Api::<k8s_openapi::api::core::v1::Namespace>::all(admin.clone()).get("gone").await?;
    assert!(ns.metadata.deletion_timestamp.is_some());
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));
    let stuck_pod = Api::<Pod>::namespaced(admin.clone(), "gone").get("stuck").await?;
    assert!(stuck_pod.metadata.deletion_timestamp.is_some());
    assert_eq!(stuck_pod.status.unwrap().phase.as_deref(), Some("Running"));
    // Reloading keeps them as they are (creating in a Terminating namespace would be refused).
    assert_eq!(env.load_value(stuck).await?, LoadStats { created: 0, status_patched: 1, existing: 2, deleted: 0 });

    // A generated load, for the scale tests' budget.
    let n = 300;
    let mut items = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scale"}})];
    for i in 0..n {
        items.push(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": "scale"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]}}),
        );
    }
    let t = Instant::now();
    let stats = env.load_value(json!(items)).await?;
    eprintln!("{n} pods with status loaded in {:.2} s", t.elapsed().as_secs_f64());
    assert_eq!((stats.created, stats.status_patched), (n + 1, n));

    // The reader reads, and nothing more.
    let reader = env.reader_client().await?;
    let pods = Api::<Pod>::namespaced(reader.clone(), "shop");
    assert_eq!(pods.list(&ListParams::default()).await?.items.len(), 1);
    let new_pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "intruder"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}))?;
    assert!(forbidden(pods.create(&PostParams::default(), &new_pod).await), "reader must not create pods");
    let secrets = Api::<Secret>::namespaced(reader.clone(), "shop");
    assert!(forbidden(secrets.get("x").await), "reader must not get secrets");
    secrets.list_metadata(&ListParams::default()).await.context("reader holds the Secrets opt-in")?;
    let limited = env.limited_client().await?;
    assert!(forbidden(Api::<Node>::all(limited.clone()).list(&ListParams::default()).await), "limited lists no nodes");
    let limited_secrets = Api::<Secret>::all(limited);
    assert!(forbidden(limited_secrets.list_metadata(&ListParams::default()).await), "limited lists no Secrets");

    let events = env
        .wait_for_audit("reader", Duration::from_secs(10), |ev| {
            has(ev, "list", "pods", None, 200)
                && has(ev, "create", "pods", None, 403)
                && has(ev, "get", "secrets", Some("x"), 403)
                && has(ev, "list", "secrets", None, 200)
        })
        .await?;
    assert!(events.iter().all(|e| e.stage != "RequestReceived"), "RequestReceived is omitted");
    let secret_list = events.iter().find(|e| e.verb == "list" && e.resource.as_deref() == Some("secrets")).unwrap();
    assert_eq!(secret_list.response_kind.as_deref(), Some("PartialObjectMetadataList"));
    assert_eq!(secret_list.response_api_version.as_deref(), Some("meta.k8s.io/v1"));
    assert!(env.audit_events("admin")?.is_empty(), "the admin's fixture loading stays out of the audit log");
    assert!(has(&env.audit_events("limited")?, "list", "nodes", None, 403));
    assert!(has(&env.audit_events("limited")?, "list", "secrets", None, 403));

    env.stop()?;
    assert!(Api::<Pod>::all(admin).list(&ListParams::default()).await.is_err(), "stopped means stopped");
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
