use mekhanikube_analyzers::{Evidence, SnapshotBuilder, run, select};

use crate::common::{analyze, assert_no_findings, codes_and_names, find, fixture_path};

#[test]
fn missing_config_maps_keys_and_service_accounts_are_reported_on_the_template_owner() {
    let findings = analyze("references", "references/broken.yaml");
    let expected: Vec<(String, String)> = [
        ("reference-serviceaccount-missing", "report"),
        ("reference-configmap-key-missing", "web"),
        ("reference-configmap-missing", "web"),
        ("reference-configmap-key-missing", "debug"),
        ("reference-configmap-missing", "db"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    let mut got = codes_and_names(&findings);
    let mut want = expected.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let kinds: Vec<&str> = findings.iter().map(|f| f.object.kind.as_str()).collect();
    assert!(kinds.iter().all(|k| ["Deployment", "StatefulSet", "CronJob", "Pod"].contains(k)), "{kinds:?}");
}

#[test]
fn a_missing_key_is_told_from_a_missing_config_map() {
    let findings = analyze("references", "references/broken.yaml");
    let key = find(&findings, "reference-configmap-key-missing", "web");
    assert_eq!(
        key.message,
        "pod template: env URL of container web references key url of ConfigMap web-cfg, which has no such key: its pods cannot start"
    );
    let map = find(&findings, "reference-configmap-missing", "web");
    assert!(
        map.message.contains("envFrom of container web references ConfigMap web-extra, which does not exist"),
        "{}",
        map.message
    );
    assert!(map.evidence.contains(&Evidence::field("missing", "ConfigMap shop/web-extra")));
    let sa = find(&findings, "reference-serviceaccount-missing", "report");
    assert!(sa.message.contains("ServiceAccount reporter"), "{}", sa.message);
}

#[test]
fn nothing_is_reported_missing_for_kinds_that_were_not_read() {
    let text = std::fs::read_to_string(fixture_path("references/broken.yaml")).unwrap();
    let mut list: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    list["items"].as_array_mut().unwrap().push(serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "mekhanikube-snapshot-info", "annotations": {
            "mekhanikube.io/read-kinds": "Pod,Deployment,StatefulSet,CronJob", "mekhanikube.io/skipped": "[]"}}}));
    let mut builder = SnapshotBuilder::new();
    builder.add_text("not-read.json", &list.to_string()).unwrap();
    let findings = run(&select(&["references".to_string()]).unwrap(), &builder.build());
    assert!(findings.is_empty(), "{:?}", codes_and_names(&findings));
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("references", "references/broken.yaml"));
}

#[test]
fn present_optional_old_default_and_finished_references_are_not_findings() {
    assert_no_findings("references", "references/healthy.yaml");
}
