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

/// Stores key objects by namespace and name in one string: a namespace that is a prefix of another (`a`, `ab`)
/// must not leak into it, and the order must stay namespace first, then name.
#[test]
fn stores_keep_namespace_then_name_order_and_namespaces_apart() {
    let pod = |ns: &str, name: &str| {
        format!("- {{apiVersion: v1, kind: Pod, metadata: {{name: {name}, namespace: {ns}}}}}\n")
    };
    let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for (ns, name) in [("ab", "x"), ("a", "z"), ("a-b", "m"), ("a", "b-c"), ("ab", "a"), ("a", "b")] {
        text += &pod(ns, name);
    }
    let mut builder = SnapshotBuilder::new();
    builder.add_text("pods.yaml", &text).unwrap();
    let snapshot = builder.build();
    let key = |p: &mekhanikube_analyzers::model::Pod| {
        format!("{}/{}", p.metadata.namespace.as_deref().unwrap(), p.metadata.name.as_deref().unwrap())
    };
    let all: Vec<String> = snapshot.objects.pods.iter().map(key).collect();
    assert_eq!(all, ["a/b", "a/b-c", "a/z", "a-b/m", "ab/a", "ab/x"]);
    let in_a: Vec<String> = snapshot.objects.pods.in_namespace("a").map(key).collect();
    assert_eq!(in_a, ["a/b", "a/b-c", "a/z"]);
    assert_eq!(snapshot.objects.pods.in_namespace("").count(), 0);
    assert!(snapshot.objects.pods.get("a", "b-c").is_some() && snapshot.objects.pods.get("a-b", "c").is_none());
}
