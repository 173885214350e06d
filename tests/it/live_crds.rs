//! The cost of reading custom resources on a big cluster: a separate API server with many CRDs and a few thousand
//! custom objects. One discovery request, one list per custom kind plus pages, and every object read; the times
//! and request counts with `--crds none` and `--crds all` go to target/crd-read-cost.json.

use std::time::{Duration, Instant};

use mekhanikube_testenv::TestEnv;
use serde_json::{Value, json};

use crate::common::{json, repo_path};

const KINDS: usize = 50;
const PER_KIND: usize = 60;

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

fn group(i: usize) -> String {
    format!("bench{i:02}.example.com")
}

/// The CRDs, and a role for the reader on each of their groups.
fn definitions() -> Value {
    let mut items = Vec::new();
    let mut rules = Vec::new();
    for i in 0..KINDS {
        items.push(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("widgets.{}", group(i))},
            "spec": {
                "group": group(i), "scope": "Namespaced",
                "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"},
                "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
            }
        }));
        rules.push(json!({"apiGroups": [group(i)], "resources": ["widgets"], "verbs": ["get", "list", "watch"]}));
    }
    items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "bench-widgets"}, "rules": rules}));
    items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "bench-widgets"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "bench-widgets"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "reader"}]}));
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// PER_KIND objects of each kind, with a spec and conditions of a realistic size; every tenth is not Ready.
fn objects() -> Value {
    let mut items = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}})];
    for i in 0..KINDS {
        for j in 0..PER_KIND {
            let ready = if j % 10 == 0 { "False" } else { "True" };
            items.push(json!({
                "apiVersion": format!("{}/v1", group(i)), "kind": "Widget",
                "metadata": {"name": format!("w-{j:03}"), "namespace": "bench", "labels": {"app": "bench"}},
                "spec": {"size": j, "image": "registry.example.com/widget:1", "replicas": 3,
                         "config": {"retries": 5, "endpoints": ["https://a.example.com", "https://b.example.com"]}},
                "status": {"observedGeneration": 1, "conditions": [
                    {"type": "Ready", "status": ready, "reason": "Reconciled", "message": "widget reconciled",
                     "lastTransitionTime": "2026-11-01T00:00:00Z"},
                    {"type": "Synced", "status": "True", "reason": "ReconcileSuccess",
                     "lastTransitionTime": "2026-11-01T00:00:00Z"}]}
            }));
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Runs `analyze` and returns (seconds, peak RSS in KiB, the document), via /usr/bin/time.
fn timed_analyze(env: &TestEnv, crds: &str) -> (f64, u64, Value) {
    let rss_file = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(assert_cmd::cargo::cargo_bin("mekhanikube"))
        .args(["analyze", "-o", "json", "--crds", crds, "--kubeconfig"])
        .arg(&env.reader_kubeconfig)
        .output()
        .expect("runs");
    let seconds = started.elapsed().as_secs_f64();
    let code = out.status.code();
    assert!(code == Some(0) || code == Some(1), "analyze failed: {}", String::from_utf8_lossy(&out.stderr));
    // GNU time writes "Command exited with non-zero status 1" first when the run has findings.
    let text = std::fs::read_to_string(rss_file.path()).unwrap();
    let rss = text.lines().last().unwrap_or_default().trim().parse().unwrap_or(0);
    (seconds, rss, json(&String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn reading_many_custom_kinds_costs_one_list_each() {
    let dir = tempfile::Builder::new().prefix("mekhanikube-crds-").tempdir().unwrap();
    let env = TestEnv::start(dir.path()).expect("a separate API server starts");
    struct Stop<'a>(&'a TestEnv);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            let _ = self.0.stop();
        }
    }
    let _stop = Stop(&env);
    let load_started = Instant::now();
    block_on(env.load_value(definitions())).expect("CRDs load");
    block_on(env.load_value(objects())).expect("objects load");
    let load_seconds = load_started.elapsed().as_secs_f64();
    // RBAC reaches the authorizer's cache within a moment.
    std::thread::sleep(Duration::from_secs(2));

    let mut runs = Vec::new();
    for crds in ["none", "all", "none", "all", "none", "all"] {
        let before = env.audit_events("reader").unwrap().len();
        let (seconds, rss, doc) = timed_analyze(&env, crds);
        let events = env.audit_events("reader").unwrap();
        let requests = events.len() - before;
        let lists = events[before..].iter().filter(|e| e.verb == "list").count();
        let custom_lists =
            events[before..].iter().filter(|e| e.verb == "list" && e.resource.as_deref() == Some("widgets")).count();
        let findings = doc["findings"].as_array().unwrap().iter().filter(|f| f["object"]["kind"] == "Widget").count();
        assert!(doc["skipped"].as_array().unwrap().is_empty(), "{}", doc["skipped"]);
        if crds == "all" {
            assert_eq!(custom_lists, KINDS, "one list per custom kind (60 objects fit one page)");
            assert_eq!(findings, KINDS * PER_KIND / 10, "every tenth widget is not Ready");
        } else {
            assert_eq!((custom_lists, findings), (0, 0));
        }
        runs.push(json!({"crds": crds, "seconds": seconds, "maxRssKiB": rss, "requests": requests, "lists": lists}));
    }
    let report = json!({"customKinds": KINDS, "customObjects": KINDS * PER_KIND, "loadSeconds": load_seconds,
                        "runs": runs});
    std::fs::write(repo_path("target/crd-read-cost.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
}
