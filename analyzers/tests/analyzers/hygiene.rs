//! What a snapshot keeps of each object: no Secret value in any form, and no credential-like value unless values
//! are kept on purpose. Checked on the serialized snapshot, the bytes a saved file, a prompt or a report start from.

use mekhanikube_analyzers::{Kind, SnapshotBuilder, ValuePolicy};

use crate::common::fixture_path;

const SECRET_VALUE: &str = "s3cr3t-Pa55word-7731";
const SECRET_VALUE_BASE64: &str = "czNjcjN0LVBhNTV3b3JkLTc3MzE=";
const OTHER_VALUES: &[&str] = &["env-value-D8f2Qz", "arg-pass-Kq93", "url-pass-Zz81", "hdr-token-Pp02"];
/// A ConfigMap's values, in data, binaryData (and as its base64) and kubectl's annotation: never kept.
const CONFIG_MAP_VALUES: &[&str] = &["cm-value-Xq47", "cm-bin-Yb52", "Y20tYmluLVliNTI="];

fn load(policy: ValuePolicy) -> String {
    let text = std::fs::read_to_string(fixture_path("hygiene/values.yaml")).unwrap();
    let mut builder = SnapshotBuilder::new().with_values(policy);
    builder.add_text("values.yaml", &text).unwrap();
    serde_json::to_string(&builder.build().objects.to_list_items()).unwrap()
}

#[test]
fn no_secret_value_and_no_credential_like_value_survives_loading() {
    let saved = load(ValuePolicy::Redact);
    for value in [SECRET_VALUE, SECRET_VALUE_BASE64].iter().chain(OTHER_VALUES).chain(CONFIG_MAP_VALUES) {
        assert!(!saved.contains(value), "{value} survived: {saved}");
    }
    assert!(!saved.contains("last-applied-configuration"), "{saved}");
}

#[test]
fn what_analyzers_and_readers_need_is_kept() {
    let saved = load(ValuePolicy::Redact);
    for kept in [
        r#""name":"API_KEY""#,
        r#""secretKeyRef":{"key":"password","name":"db-creds"}"#,
        r#""--db-password","<redacted>""#,
        "postgres://api:<redacted>@db:5432/shop",
        r#""--token=<redacted>""#,
        r#""--port","8080""#,
        r#""name":"X-Probe","value":"kept""#,
        r#""kubernetes.io/service-account.name":"api""#,
        r#""cert-manager.io/issuer-name":"letsencrypt""#,
        r#""deployment.kubernetes.io/revision":"3""#,
        r#""type":"Opaque""#,
        r#""data":{"feature-flags":""}"#,
        r#""binaryData":{"blob":""}"#,
        r#""example.com/owner":"team-api""#,
    ] {
        assert!(saved.contains(kept), "{kept} missing: {saved}");
    }
}

#[test]
fn keeping_values_never_keeps_secret_values() {
    let saved = load(ValuePolicy::Keep);
    for value in OTHER_VALUES {
        assert!(saved.contains(value), "--keep-values dropped {value}");
    }
    assert!(saved.contains("last-applied-configuration"), "kept on the Deployment");
    for value in [SECRET_VALUE, SECRET_VALUE_BASE64] {
        assert!(!saved.contains(value), "a Secret value survived --keep-values: {saved}");
    }
    for value in CONFIG_MAP_VALUES {
        assert!(!saved.contains(value), "a ConfigMap value survived --keep-values: {saved}");
    }
    assert!(saved.contains(r#""data":{"feature-flags":""}"#), "its key names stay: {saved}");
}

/// Our info item is no cluster ConfigMap: a saved file's own is read as the record of what was read, and a
/// cluster's ConfigMap of that name (it has a namespace) as a ConfigMap like any other.
#[test]
fn the_snapshot_info_item_is_not_a_config_map_but_a_namesake_is() {
    let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mekhanikube-snapshot-info",
         "annotations": {"mekhanikube.io/read-kinds": "Pod,ConfigMap", "mekhanikube.io/skipped": "[]"}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mekhanikube-snapshot-info", "namespace": "shop"},
         "data": {"k": "v"}}]}"#;
    let mut builder = SnapshotBuilder::new();
    builder.add_text("saved.json", text).unwrap();
    let snapshot = builder.build();
    let names: Vec<String> = snapshot
        .objects
        .config_maps
        .iter()
        .map(|c| format!("{}/{}", c.metadata.namespace.as_deref().unwrap_or(""), c.metadata.name.as_deref().unwrap()))
        .collect();
    assert_eq!(names, ["shop/mekhanikube-snapshot-info"]);
    let read: Vec<Kind> = snapshot.read_kinds().collect();
    assert_eq!(read, [Kind::Pod, Kind::ConfigMap], "the info item said what was read");
}
