//! Custom resources in snapshot files, and the analysis clock a file carries or implies.

use mekhanikube_analyzers::{Kind, SnapshotBuilder};

const LIST: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: web-tls, namespace: shop, creationTimestamp: "2026-11-01T10:00:00Z"}
  spec: {secretName: web-tls}
  status:
    notAfter: "2027-02-01T10:00:00Z"
    conditions:
    - {type: Ready, status: "True", reason: Ready, lastTransitionTime: "2026-11-01T10:05:00Z"}
- apiVersion: example.com/v1
  kind: Vault
  metadata: {name: v, namespace: other}
  data: {password: aHVudGVyMg==}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: reader, namespace: shop}
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: shop, creationTimestamp: "2026-11-01T09:00:00Z", deletionTimestamp: "2030-01-01T00:00:00Z"}
  spec: {containers: [{name: web, image: web:1}]}
"#;

fn loaded(text: &str) -> SnapshotBuilder {
    let mut builder = SnapshotBuilder::new();
    builder.add_text("list.yaml", text).expect("loads");
    builder
}

#[test]
fn custom_groups_are_kept_and_builtin_groups_outside_the_table_are_ignored() {
    let builder = loaded(LIST);
    assert_eq!(builder.ignored_kinds().collect::<Vec<_>>(), ["rbac.authorization.k8s.io/v1/Role"]);
    assert_eq!(builder.object_count(), 3);
    let snapshot = builder.build();
    let certificate = snapshot.custom.get("cert-manager.io", "Certificate", "shop", "web-tls").expect("kept");
    assert_eq!(certificate.pointer("/spec/secretName"), Some(&serde_json::json!("web-tls")));
    let vault = snapshot.custom.get("example.com", "Vault", "other", "v").expect("kept");
    assert!(vault.pointer("/data").is_none(), "payload fields are dropped");
}

#[test]
fn a_plain_list_is_timed_by_its_newest_past_event() {
    // The Certificate's condition is the newest past time; the Pod's deletionTimestamp and the notAfter lie ahead.
    let snapshot = loaded(LIST).build();
    assert_eq!(snapshot.read_at().map(|t| t.to_string()).as_deref(), Some("2026-11-01T10:05:00Z"));
}

#[test]
fn a_list_with_no_time_has_no_clock() {
    let snapshot = loaded("kind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n").build();
    assert_eq!(snapshot.read_at(), None);
}

/// What a live read records (when it started) is written into the info item and read back from it, whatever
/// times the objects carry, and custom resources travel with it.
#[test]
fn the_read_time_and_custom_objects_survive_a_saved_snapshot() {
    let mut live = SnapshotBuilder::new();
    live.set_read_at("2026-11-30T12:00:00Z".parse().unwrap());
    live.mark_read(Kind::Pod);
    live.add_text("live", LIST).unwrap();
    let mut items = vec![live.info_item()];
    items.extend(live.objects().to_list_items());
    items.extend(live.custom().to_list_items());
    let text = serde_json::to_string(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})).unwrap();
    let snapshot = loaded(&text).build();
    assert_eq!(snapshot.read_at().map(|t| t.to_string()).as_deref(), Some("2026-11-30T12:00:00Z"));
    assert_eq!(snapshot.custom.len(), 2);
    assert!(!text.contains("aHVudGVyMg"), "no payload is written");
}

#[test]
fn an_info_item_that_only_sets_the_clock_keeps_every_kind_read() {
    let text = r#"
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: mekhanikube-snapshot-info, annotations: {mekhanikube.io/read-at: "2026-11-30T12:00:00Z"}}
- {apiVersion: v1, kind: Namespace, metadata: {name: a, creationTimestamp: "2026-11-30T13:00:00Z"}}
"#;
    let snapshot = loaded(text).build();
    assert_eq!(snapshot.read_at().map(|t| t.to_string()).as_deref(), Some("2026-11-30T12:00:00Z"));
    assert!(Kind::ALL.iter().all(|k| snapshot.has_read(*k)));
}
