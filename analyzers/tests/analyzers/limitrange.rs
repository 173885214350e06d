use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn ranges_refusing_pods_and_broken_by_templates_or_pods() {
    let findings = analyze("limitrange", "limitrange/broken.yaml");
    let expected: Vec<(String, String)> = [
        ("limitrange-refused-pods", "claim-sizes"),
        ("limitrange-refused-pods", "container-limits"),
        ("limitrange-violated", "ratios"),
        ("limitrange-violated", "pod-sums"),
        ("limitrange-violated", "claim-min"),
        ("limitrange-violated", "mins"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    assert_eq!(codes_and_names(&findings), expected);
    assert_severity(&findings[0], Severity::High);
    assert_severity(&findings[1], Severity::High);
    assert_severity(&findings[2], Severity::Medium);
    assert_severity(&findings[3], Severity::Medium);
    assert_severity(&findings[4], Severity::Low);
    assert_severity(&findings[5], Severity::Low);
}

#[test]
fn messages_say_which_container_breaks_which_bound() {
    let findings = analyze("limitrange", "limitrange/broken.yaml");
    let refused = find(&findings, "limitrange-refused-pods", "container-limits");
    assert_eq!(
        refused.message,
        "refuses pods of ReplicaSet shop/search-6b7c8d9e0: container search's memory limit 2Gi is above the maximum 1Gi"
    );
    assert!(refused.evidence.iter().any(|e| matches!(e, Evidence::Event(ev) if ev.reason == "FailedCreate")));
    let ratio = find(&findings, "limitrange-violated", "ratios");
    assert_eq!(
        ratio.message,
        "1 template(s) or pod(s) break it, such as Deployment worker: container worker's cpu limit 1 is 10.0 times its request 100m, above the ratio 4"
    );
    let min = find(&findings, "limitrange-violated", "mins");
    assert!(min.message.contains("container tiny's memory request 16Mi is below the minimum 64Mi"), "{}", min.message);
}

#[test]
fn pod_sums_include_injected_defaults_and_claims_are_bounded_by_size() {
    let findings = analyze("limitrange", "limitrange/broken.yaml");
    let sums = find(&findings, "limitrange-violated", "pod-sums");
    assert_eq!(
        sums.message,
        "1 template(s) or pod(s) break it, such as Deployment sidecars: the pod's memory limits add up to 1280Mi, above \
         the maximum per pod 1Gi"
    );
    let refused = find(&findings, "limitrange-refused-pods", "claim-sizes");
    assert_eq!(
        refused.message,
        "refuses pods of StatefulSet data/db: claim template data's storage request 10Gi is above the maximum 5Gi"
    );
    let old = find(&findings, "limitrange-violated", "claim-min");
    assert!(
        old.message.ends_with("PersistentVolumeClaim logs: claim logs's storage request 1Gi is below the minimum 10Gi"),
        "{}",
        old.message
    );
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("limitrange", "limitrange/broken.yaml"));
}

#[test]
fn injected_defaults_bounds_met_old_refusals_and_pod_ranges_are_not_findings() {
    assert_no_findings("limitrange", "limitrange/healthy.yaml");
}
