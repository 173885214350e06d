use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_autoscaler_problem_with_its_code() {
    let findings = analyze("hpa", "hpa/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("hpa-target-missing", "api"),
        ("hpa-target-missing", "orders"),
        ("hpa-target-missing", "checkout"),
        ("hpa-scaling-inactive", "web"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn missing_target_is_high_and_looked_up_in_the_autoscaler_namespace() {
    let findings = analyze("hpa", "hpa/broken.yaml");
    let api = find(&findings, "hpa-target-missing", "api");
    assert_severity(api, Severity::High);
    assert_eq!(api.message, "scale target Deployment api-v2 does not exist in namespace shop");
    let orders = find(&findings, "hpa-target-missing", "orders");
    assert_eq!(orders.message, "scale target Deployment orders does not exist in namespace shop");
}

#[test]
fn unread_target_kind_falls_back_to_failed_get_scale() {
    let findings = analyze("hpa", "hpa/broken.yaml");
    let checkout = find(&findings, "hpa-target-missing", "checkout");
    assert_severity(checkout, Severity::High);
    assert!(checkout.message.starts_with("cannot read the scale of target Rollout checkout:"), "{}", checkout.message);
    assert!(checkout.message.contains("rollouts.argoproj.io \"checkout\" not found"), "{}", checkout.message);
}

#[test]
fn scaling_inactive_gives_the_controller_message() {
    let findings = analyze("hpa", "hpa/broken.yaml");
    let web = find(&findings, "hpa-scaling-inactive", "web");
    assert_severity(web, Severity::Medium);
    assert!(web.message.contains("(FailedGetResourceMetric)"), "{}", web.message);
    assert!(web.message.contains("get pods.metrics.k8s.io"), "{}", web.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("hpa", "hpa/broken.yaml"));
}

#[test]
fn resting_disabled_and_unverifiable_autoscalers_are_not_findings() {
    assert_no_findings("hpa", "hpa/healthy.yaml");
}

#[test]
fn absent_target_of_a_kind_not_read_is_not_a_finding() {
    assert_no_findings("hpa", "hpa/unread-target-kind.yaml");
}
