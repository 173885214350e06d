//! The health score on real fixtures: it counts workloads and nodes, not findings, so fixing one problem moves it,
//! and a pod's findings count against its Deployment once.

use mekhanikube_analyzers::{Finding, Severity, SnapshotBuilder, health, run, select};

fn demo() -> (mekhanikube_analyzers::Snapshot, Vec<Finding>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/demo-cluster.yaml");
    let mut builder = SnapshotBuilder::new();
    builder.add_text("demo", &std::fs::read_to_string(path).unwrap()).unwrap();
    let snapshot = builder.build();
    let findings = run(&select(&[]).unwrap(), &snapshot);
    (snapshot, findings)
}

#[test]
fn fixing_any_one_problem_raises_the_score() {
    let (snapshot, findings) = demo();
    let before = health(&snapshot, &findings);
    assert!(before.score > 0 && before.score < 60, "the demo is broken but not all of it: {}", before.score);
    assert_eq!(before.grade, "F");
    // Take away everything on one Deployment at a time (its pods' findings too): the score goes up each time.
    let owners: std::collections::BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.parent.as_ref())
        .filter(|p| p.kind == "Deployment")
        .map(|p| p.name.clone())
        .collect();
    assert!(owners.len() >= 3, "{owners:?}");
    for owner in owners {
        let fixed: Vec<Finding> =
            findings.iter().filter(|f| f.parent.as_ref().unwrap_or(&f.object).name != owner).cloned().collect();
        let after = health(&snapshot, &fixed);
        assert!(after.score > before.score, "fixing {owner}: {} -> {}", before.score, after.score);
        // Workloads and nodes are always scored; an object of another kind only while it has a finding.
        assert!(after.units <= before.units && after.units >= before.units - 3, "{} -> {}", before.units, after.units);
    }
    assert_eq!(health(&snapshot, &[]).score, 100);
}

#[test]
fn a_workload_counts_once_by_its_worst_finding() {
    let (snapshot, findings) = demo();
    let api: Vec<&Finding> = findings.iter().filter(|f| f.parent.as_ref().is_some_and(|p| p.name == "api")).collect();
    assert!(api.len() >= 2, "the api Deployment's pods crash-loop");
    let only_api: Vec<Finding> =
        findings.iter().filter(|f| f.parent.as_ref().is_some_and(|p| p.name == "api")).cloned().collect();
    let h = health(&snapshot, &only_api);
    assert_eq!(h.affected, 1, "two crash-looping pods are one affected workload");
    let worst = only_api.iter().map(|f| f.severity).min_by_key(|s| match s {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    });
    let expected = 100.0 * (1.0 - if worst == Some(Severity::Critical) { 1.0 } else { 0.7 } / h.units as f64);
    assert_eq!(h.score, expected.round() as u8);
}

#[test]
fn namespaces_are_scored_apart_worst_first() {
    let (snapshot, findings) = demo();
    let h = health(&snapshot, &findings);
    let names: Vec<&str> = h.namespaces.iter().map(|n| n.namespace.as_str()).collect();
    assert!(names.contains(&"shop") && names.contains(&""), "{names:?}");
    assert!(h.namespaces.windows(2).all(|w| w[0].score <= w[1].score), "worst first");
    let units: usize = h.namespaces.iter().map(|n| n.units).sum();
    assert_eq!(units, h.units);
}

#[test]
fn healthy_workloads_score_full_marks() {
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
           "spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
         "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
         "status": {"conditions": [{"type": "Ready", "status": "True"}]}}]}"#;
    let mut builder = SnapshotBuilder::new();
    builder.add_text("healthy", list).unwrap();
    let snapshot = builder.build();
    let findings = run(&select(&[]).unwrap(), &snapshot);
    let h = health(&snapshot, &findings);
    assert_eq!((h.score, h.grade.as_str(), h.units, h.affected), (100, "A", 2, 0), "{findings:?}");
}
