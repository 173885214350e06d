use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(c, n)| (c.to_string(), n.to_string())).collect()
}

#[test]
fn refusing_used_up_and_nearly_used_up_quotas() {
    let findings = analyze("resourcequota", "resourcequota/broken.yaml");
    assert_eq!(
        codes_and_names(&findings),
        pairs(&[
            ("resourcequota-refused-pods", "strict"),
            ("resourcequota-refused-pods", "compute"),
            ("resourcequota-exhausted", "objects"),
            ("resourcequota-nearly-exhausted", "claims-quota"),
        ])
    );
    assert_severity(&findings[0], Severity::High);
    assert_severity(&findings[2], Severity::Medium);
    assert_severity(&findings[3], Severity::Low);
}

#[test]
fn a_refusal_names_the_refused_controller_and_the_resources_at_the_limit() {
    let findings = analyze("resourcequota", "resourcequota/broken.yaml");
    let compute = find(&findings, "resourcequota-refused-pods", "compute");
    assert!(
        compute.message.starts_with("refuses pods of ReplicaSet shop/search-6b7c8d9e0 (FailedCreate): "),
        "{}",
        compute.message
    );
    let fields: Vec<(&str, &str)> = compute
        .evidence
        .iter()
        .filter_map(|e| match e {
            Evidence::Field { name, value } => Some((name.as_str(), value.as_str())),
            _ => None,
        })
        .collect();
    // 3584Mi of 4Gi is 87%: not listed; pods are at 100%.
    assert_eq!(fields, [("status.used.pods", "4 of 4 (100%)")]);
    assert!(compute.evidence.iter().any(|e| matches!(e, Evidence::Event(ev) if ev.reason == "FailedCreate")));
    let strict = find(&findings, "resourcequota-refused-pods", "strict");
    assert!(
        strict.message.contains("Job ci/build-42") && strict.message.contains("must specify limits.cpu"),
        "{}",
        strict.message
    );
}

#[test]
fn an_old_refusal_of_a_controller_with_all_its_pods_is_not_a_refusal() {
    let findings = analyze("resourcequota", "resourcequota/broken.yaml");
    let objects = find(&findings, "resourcequota-exhausted", "objects");
    assert_eq!(objects.message, "services is at its hard limit: 10 of 10 used (100%)");
    let storage = find(&findings, "resourcequota-nearly-exhausted", "claims-quota");
    assert_eq!(storage.message, "requests.storage is near its hard limit: 95Gi of 100Gi used (95%)");
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("resourcequota", "resourcequota/broken.yaml"));
}

#[test]
fn below_ninety_percent_forbidden_resources_other_quotas_and_uncounted_quotas_are_not_findings() {
    assert_no_findings("resourcequota", "resourcequota/healthy.yaml");
}
