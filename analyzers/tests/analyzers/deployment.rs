use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_deployment_problem_with_its_code() {
    let findings = analyze("deployment", "deployment/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("deployment-unavailable", "api"),
        ("deployment-unavailable", "web"),
        ("deployment-unavailable", "search"),
        ("deployment-progress-deadline-exceeded", "checkout"),
        ("deployment-unavailable", "reports"),
        ("deployment-unavailable", "billing"),
        ("deployment-progress-deadline-exceeded", "billing"),
        ("deployment-paused", "admin"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn severity_follows_how_many_replicas_are_available() {
    let findings = analyze("deployment", "deployment/broken.yaml");
    assert_severity(find(&findings, "deployment-unavailable", "api"), Severity::Critical);
    assert_severity(find(&findings, "deployment-unavailable", "web"), Severity::High);
    assert_severity(find(&findings, "deployment-unavailable", "search"), Severity::Medium);
    assert_severity(find(&findings, "deployment-unavailable", "billing"), Severity::Critical);
    let api = find(&findings, "deployment-unavailable", "api");
    assert_eq!(api.message, "0 of 3 replicas available (3 unavailable)");
    assert!(api.parent.is_none(), "a Deployment has no owner");
}

#[test]
fn pods_that_cannot_be_created_are_not_excused_as_a_fresh_rollout() {
    let findings = analyze("deployment", "deployment/broken.yaml");
    let reports = find(&findings, "deployment-unavailable", "reports");
    assert_severity(reports, Severity::Critical);
    assert!(reports.message.contains("pods cannot be created: "), "{}", reports.message);
    assert!(reports.message.contains("exceeded quota: compute"), "{}", reports.message);
}

#[test]
fn progress_deadline_names_the_stuck_replicaset_and_counts() {
    let findings = analyze("deployment", "deployment/broken.yaml");
    let checkout = find(&findings, "deployment-progress-deadline-exceeded", "checkout");
    assert_severity(checkout, Severity::High);
    assert!(
        checkout.message.starts_with("rollout made no progress within 300s (1 of 3 replicas updated, 3 available): "),
        "{}",
        checkout.message
    );
    assert!(checkout.message.contains("\"checkout-8a9b0c1d2\" has timed out progressing"), "{}", checkout.message);
    // The old pods still serve: availability is not reported.
    assert!(!codes_and_names(&findings).contains(&("deployment-unavailable".into(), "checkout".into())));
}

#[test]
fn paused_rollout_is_info_only() {
    let findings = analyze("deployment", "deployment/broken.yaml");
    assert_severity(find(&findings, "deployment-paused", "admin"), Severity::Info);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("deployment", "deployment/broken.yaml"));
}

#[test]
fn rollouts_start_up_and_scaled_down_deployments_are_not_findings() {
    assert_no_findings("deployment", "deployment/healthy.yaml");
}
