//! The snapshot's indexes answer what a scan would.

use std::collections::BTreeMap;

use mekhanikube_analyzers::SnapshotBuilder;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn pods_selected_by_match_every_label_in_the_namespace_only() {
    let pod = |ns: &str, name: &str, labels: &str| {
        format!("- {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, namespace: {ns}, labels: {labels}}}}}\n")
    };
    let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
    text += &pod("shop", "web-b", "{app: web, tier: front}");
    text += &pod("shop", "web-a", "{app: web, tier: front, canary: 'true'}");
    text += &pod("shop", "api", "{app: api, tier: front}");
    text += &pod("shop", "unlabelled", "{}");
    text += &pod("other", "web-z", "{app: web, tier: front}");
    let mut builder = SnapshotBuilder::new();
    builder.add_text("pods.yaml", &text).unwrap();
    let snapshot = builder.build();
    let names = |selector: &[(&str, &str)]| -> Vec<String> {
        snapshot.pods_selected_by("shop", &labels(selector)).iter().map(|p| p.metadata.name.clone().unwrap()).collect()
    };
    assert_eq!(names(&[("app", "web"), ("tier", "front")]), ["web-a", "web-b"], "name order, this namespace only");
    assert_eq!(names(&[("tier", "front")]), ["api", "web-a", "web-b"]);
    assert_eq!(names(&[("canary", "true"), ("tier", "front")]), ["web-a"]);
    assert_eq!(names(&[("app", "web"), ("tier", "back")]), Vec::<String>::new(), "every label must match");
    assert_eq!(names(&[]), Vec::<String>::new(), "an empty selector selects nothing");
    assert_eq!(names(&[("app", "db")]), Vec::<String>::new());
}
