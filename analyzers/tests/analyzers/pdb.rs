use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn budgets_that_block_drains_and_one_that_protects_nothing() {
    let findings = analyze("pdb", "pdb/broken.yaml");
    let expected: Vec<(String, String)> = [
        ("pdb-never-allows-disruption", "api"),
        ("pdb-never-allows-disruption", "db"),
        ("pdb-overlapping", "frontend"),
        ("pdb-overlapping", "web"),
        ("pdb-selects-no-pods", "legacy"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    assert_eq!(codes_and_names(&findings), expected);
    assert_severity(find(&findings, "pdb-selects-no-pods", "legacy"), Severity::Low);
}

#[test]
fn expected_pods_come_from_the_controllers_replicas() {
    let findings = analyze("pdb", "pdb/broken.yaml");
    let api = find(&findings, "pdb-never-allows-disruption", "api");
    assert!(
        api.message.starts_with(
            "can never allow a disruption: minAvailable 100% with 2 expected pods (from Deployment shop/api)"
        ),
        "{}",
        api.message
    );
    // One db pod exists, three are wanted: maxUnavailable 0 blocks whatever the count.
    let db = find(&findings, "pdb-never-allows-disruption", "db");
    assert!(db.message.contains("maxUnavailable 0 with 3 expected pods (from StatefulSet shop/db)"), "{}", db.message);
    let web = find(&findings, "pdb-overlapping", "web");
    assert!(
        web.message.starts_with("2 pod(s) (such as web-1) are also selected by PodDisruptionBudget frontend"),
        "{}",
        web.message
    );
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("pdb", "pdb/broken.yaml"));
}

#[test]
fn budgets_during_a_rollout_rounded_percentages_and_other_namespaces_are_not_findings() {
    assert_no_findings("pdb", "pdb/healthy.yaml");
}
