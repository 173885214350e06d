use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_service_failure_with_its_code() {
    let findings = analyze("service", "service/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("service-no-pods", "orders"),
        ("service-no-pods", "report-viewer"),
        ("service-no-ready-endpoints", "web"),
        ("service-no-ready-endpoints", "legacy-api"),
        ("service-no-ready-endpoints", "db"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
    for f in &findings {
        assert_severity(f, Severity::High);
        assert_eq!(f.object.kind, "Service");
        assert!(f.parent.is_none(), "{} has no owner", f.object.name);
    }
}

#[test]
fn no_pods_names_the_selector_and_ignores_finished_pods() {
    let findings = analyze("service", "service/broken.yaml");
    let orders = find(&findings, "service-no-pods", "orders");
    assert_eq!(orders.message, "selector app=orders matches no pods");
    let viewer = find(&findings, "service-no-pods", "report-viewer");
    assert!(viewer.message.contains("(1 finished pod ignored)"), "{}", viewer.message);
}

#[test]
fn not_ready_counts_pods_and_endpoints() {
    let findings = analyze("service", "service/broken.yaml");
    let web = find(&findings, "service-no-ready-endpoints", "web");
    assert!(web.message.contains("selector app=web,tier=front matches 2 pods but none is ready"), "{}", web.message);
    assert!(web.message.contains("2 not ready"), "{}", web.message);
    assert!(web.evidence.contains(&Evidence::field("selectedPods", "2")), "{:?}", web.evidence);
}

#[test]
fn falls_back_to_core_endpoints_without_slices() {
    let findings = analyze("service", "service/broken.yaml");
    let legacy = find(&findings, "service-no-ready-endpoints", "legacy-api");
    assert!(legacy.message.contains("matches 1 pod but none is ready"), "{}", legacy.message);
    assert!(legacy.evidence.contains(&Evidence::field("notReadyEndpoints", "1")), "{:?}", legacy.evidence);
    // A pod without an IP is selected but never becomes an endpoint.
    let db = find(&findings, "service-no-ready-endpoints", "db");
    assert!(db.message.contains("0 ready endpoints, 0 not ready"), "{}", db.message);
}

#[test]
fn without_pods_only_endpoints_that_exist_are_judged() {
    let findings = analyze("service", "service/without-pods.yaml");
    assert_eq!(codes_and_names(&findings), [("service-no-ready-endpoints".to_string(), "web".to_string())]);
    assert_eq!(findings[0].message, "none of the 2 endpoints selected by app=web is ready");
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("service", "service/broken.yaml"));
}

#[test]
fn healthy_and_unmanaged_services_are_not_findings() {
    assert_no_findings("service", "service/healthy.yaml");
}
