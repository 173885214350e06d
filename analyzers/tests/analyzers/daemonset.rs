use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_daemonset_problem_with_its_code() {
    let findings = analyze("daemonset", "daemonset/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("daemonset-pods-not-ready", "node-exporter"),
        ("daemonset-pods-not-ready", "fluent-bit"),
        ("daemonset-pods-not-ready", "cni-agent"),
        ("daemonset-pods-not-ready", "private-agent"),
        ("daemonset-image-pull-secret-missing", "private-agent"),
        ("daemonset-image-pull-secret-missing", "scanner"),
        ("daemonset-pods-not-ready", "gpu-plugin"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn not_ready_severity_follows_ready_count() {
    let findings = analyze("daemonset", "daemonset/broken.yaml");
    let exporter = find(&findings, "daemonset-pods-not-ready", "node-exporter");
    assert_severity(exporter, Severity::Critical);
    assert_eq!(exporter.message, "0 of 5 pods ready (5 unavailable)");
    assert_severity(find(&findings, "daemonset-pods-not-ready", "fluent-bit"), Severity::Medium);
    let cni = find(&findings, "daemonset-pods-not-ready", "cni-agent");
    assert_severity(cni, Severity::Medium);
    assert_eq!(cni.message, "3 of 6 pods ready (3 unavailable) during a rolling update (2 of 6 updated)");
}

#[test]
fn nodes_without_a_pod_and_misscheduled_pods_are_evidence() {
    let findings = analyze("daemonset", "daemonset/broken.yaml");
    let gpu = find(&findings, "daemonset-pods-not-ready", "gpu-plugin");
    assert_eq!(gpu.message, "3 of 4 pods ready (1 unavailable), 1 node without a pod");
    let field = |name: &str| {
        gpu.evidence.iter().find_map(|e| match e {
            Evidence::Field { name: n, value } if n == name => Some(value.clone()),
            _ => None,
        })
    };
    assert_eq!(field("status.numberMisscheduled").as_deref(), Some("1"));
    assert!(gpu.evidence.iter().any(|e| matches!(e, Evidence::Event(ev) if ev.reason == "FailedCreate")));
}

#[test]
fn missing_pull_secret_names_only_the_missing_ones() {
    let findings = analyze("daemonset", "daemonset/broken.yaml");
    let private = find(&findings, "daemonset-image-pull-secret-missing", "private-agent");
    assert_severity(private, Severity::High);
    assert_eq!(
        private.message,
        "pod template uses imagePullSecrets that do not exist in namespace monitoring: vendor-registry"
    );
    let scanner = find(&findings, "daemonset-image-pull-secret-missing", "scanner");
    assert_severity(scanner, Severity::Medium);
    assert!(scanner.message.ends_with(": old-registry"), "{}", scanner.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("daemonset", "daemonset/broken.yaml"));
}

#[test]
fn rollouts_zero_desired_and_existing_secrets_are_not_findings() {
    assert_no_findings("daemonset", "daemonset/healthy.yaml");
}

#[test]
fn absent_secrets_are_not_reported_when_secrets_were_not_read() {
    assert_no_findings("daemonset", "daemonset/not-read.yaml");
}

#[test]
fn without_secrets_the_kubelets_pull_secret_warnings_name_the_missing_ones() {
    let findings = analyze("daemonset", "daemonset/not-read-kubelet-event.yaml");
    let got: Vec<(String, String)> =
        codes_and_names(&findings).into_iter().filter(|(code, _)| code.contains("pull-secret")).collect();
    assert_eq!(got, [("daemonset-image-pull-secret-missing".to_string(), "private-agent".to_string())]);
    let private = find(&findings, "daemonset-image-pull-secret-missing", "private-agent");
    assert_severity(private, Severity::High);
    assert_eq!(
        private.message,
        "the kubelet cannot retrieve imagePullSecrets of the pod template in namespace monitoring: vendor-registry"
    );
    assert!(
        private.evidence.iter().any(
            |e| matches!(e, Evidence::Event(ev) if ev.reason == "FailedToRetrieveImagePullSecret" && ev.count == 4)
        ),
        "{:?}",
        private.evidence
    );
}
