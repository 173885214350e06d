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

/// The streamed path (a List read item by item) and the whole-document path must agree on every file.
#[test]
fn a_streamed_list_loads_what_the_whole_document_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/demo-cluster.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let mut whole = SnapshotBuilder::new();
    whole.add_document("demo", doc.clone()).unwrap();
    let whole = serde_json::to_string(&whole.objects().to_list_items()).unwrap();
    for (name, text) in [("demo.yaml", text), ("demo.json", serde_json::to_string_pretty(&doc).unwrap())] {
        let mut streamed = SnapshotBuilder::new();
        streamed.add_text(name, &text).unwrap();
        assert_eq!(serde_json::to_string(&streamed.objects().to_list_items()).unwrap(), whole, "{name}");
    }
}

/// kubectl prints `items` before `kind`; an object that merely has an `items` field is not a List.
#[test]
fn items_before_kind_is_a_list_and_items_alone_is_not() {
    let list = r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}],"kind":"List","metadata":{}}"#;
    let mut builder = SnapshotBuilder::new();
    builder.add_text("list.json", list).unwrap();
    assert!(builder.build().objects.namespaces.get("", "shop").is_some());

    let custom =
        "apiVersion: example.com/v1\nkind: Basket\nmetadata: {name: b, namespace: shop}\nitems: [{sku: 1}, {sku: 2}]\n";
    let mut builder = SnapshotBuilder::new();
    builder.add_text("basket.yaml", custom).expect("a custom object with an items field");
    assert_eq!(builder.custom().len(), 1);
    assert_eq!(builder.object_count(), 1);
}

/// A bad item in a streamed List is reported as the whole-document path words it, and nothing of the file is kept.
#[test]
fn a_bad_item_in_a_list_names_its_index_and_keeps_nothing() {
    let list = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ok"}},{"metadata":{"name":"typeless"}}]}"#;
    let mut builder = SnapshotBuilder::new();
    let err = builder.add_text("bad.json", list).expect_err("item 1 has no type");
    assert_eq!(err.to_string(), "bad.json: item 1 (typeless) has no apiVersion/kind");
    assert_eq!(builder.object_count(), 0);
}

/// Several YAML documents, each a List or an object, all load.
#[test]
fn several_yaml_documents_load() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n";
    let mut builder = SnapshotBuilder::new();
    builder.add_text("multi.yaml", text).unwrap();
    let snapshot = builder.build();
    assert!(snapshot.objects.namespaces.get("", "a").is_some() && snapshot.objects.namespaces.get("", "b").is_some());
}
