//! Snapshot files at real sizes load; hostile YAML (alias bombs, absurd nesting) is refused with a clear error.

use mekhanikube_analyzers::SnapshotBuilder;

fn pod(i: usize) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("app-{i:05}"), "namespace": "scale", "labels": {"app": "app", "team": "shop"}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "registry.example.com/app:1",
                 "ports": [{"containerPort": 8080}], "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "app", "image": "registry.example.com/app:1", "imageID": "",
                                          "ready": true, "restartCount": 0,
                                          "state": {"running": {"startedAt": "2026-11-23T09:00:00Z"}}}]}
    })
}

/// 5,000 pods written as YAML the way `mekhanikube snapshot` writes it: more nodes than the parser's default
/// budget (250,000) allows, which refused snapshots of about 3,000 pods.
#[test]
fn a_big_yaml_snapshot_loads() {
    let items: Vec<serde_json::Value> = (0..5000).map(pod).collect();
    let text = serde_saphyr::to_string(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}))
        .expect("encodes");
    let mut builder = SnapshotBuilder::new();
    builder.add_text("big.yaml", &text).expect("a big YAML snapshot loads");
    assert_eq!(builder.build().objects.pods.len(), 5000);
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let prev = (b'a' + level - 1) as char;
        let this = (b'a' + level) as char;
        text.push_str(&format!("{this}: &{this} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let err = SnapshotBuilder::new().add_text("bomb.yaml", &text).expect_err("a billion laughs");
    assert!(err.to_string().starts_with("bomb.yaml: not YAML or JSON"), "{err}");
}

#[test]
fn absurd_nesting_is_refused() {
    let text = format!("{}x{}", "[".repeat(10_000), "]".repeat(10_000));
    let err = SnapshotBuilder::new().add_text("deep.yaml", &text).expect_err("too deep");
    assert!(err.to_string().starts_with("deep.yaml: not YAML or JSON"), "{err}");
}
