use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

fn field<'a>(finding: &'a mekhanikube_analyzers::Finding, name: &str) -> Option<&'a str> {
    finding.evidence.iter().find_map(|e| match e {
        Evidence::Field { name: n, value } if n == name => Some(value.as_str()),
        _ => None,
    })
}

#[test]
fn failing_results_and_violations_land_on_the_objects_they_name() {
    let findings = analyze("policy", "policy/broken.yaml");
    let mut got: Vec<(String, String, String, Severity)> =
        findings.iter().map(|f| (f.code.clone(), f.object.kind.clone(), f.object.name.clone(), f.severity)).collect();
    got.sort();
    let mut want: Vec<(String, String, String, Severity)> = [
        ("gatekeeper-violation", "Deployment", "web", Severity::Medium),
        ("gatekeeper-violation", "Deployment", "worker", Severity::Medium),
        ("gatekeeper-violation", "Pod", "web-6d4f8-abcde", Severity::Low),
        ("policy-report-error", "Deployment", "web", Severity::Low),
        ("policy-report-fail", "Deployment", "web", Severity::Medium),
        ("policy-report-fail", "Deployment", "worker", Severity::Low),
        ("policy-report-fail", "Deployment", "worker", Severity::Low),
        ("policy-report-fail", "Namespace", "shop", Severity::High),
        ("policy-report-fail", "Pod", "web-6d4f8-abcde", Severity::High),
        ("policy-report-stale", "PolicyReport", "polr-ns-shop", Severity::Low),
    ]
    .iter()
    .map(|(c, k, n, s)| (c.to_string(), k.to_string(), n.to_string(), *s))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_repeated_result_is_one_finding_with_the_policy_and_rule_as_evidence() {
    let findings = analyze("policy", "policy/broken.yaml");
    let web: Vec<_> = findings.iter().filter(|f| f.code == "policy-report-fail" && f.object.name == "web").collect();
    assert_eq!(web.len(), 1, "{:?}", codes_and_names(&findings));
    let web = web[0];
    assert_eq!(
        web.message,
        "fails kyverno policy require-labels (rule check-team): validation error: the label `team` is required. rule \
         check-team failed at path /metadata/labels/team/"
    );
    assert_eq!(field(web, "policy"), Some("require-labels"));
    assert_eq!(field(web, "rule"), Some("check-team"));
    assert_eq!(field(web, "severity"), Some("medium"));
    assert_eq!(field(web, "report"), Some("wgpolicyk8s.io/v1alpha2 PolicyReport"));
}

#[test]
fn the_owner_of_a_pod_is_its_parent_and_cluster_scoped_objects_have_no_namespace() {
    let findings = analyze("policy", "policy/broken.yaml");
    let pod = find(&findings, "policy-report-fail", "web-6d4f8-abcde");
    assert_eq!(pod.parent.as_ref().map(|p| p.label()), Some("Deployment shop/web".to_string()));
    let ns = find(&findings, "policy-report-fail", "shop");
    assert_eq!(ns.object.namespace, None);
    assert_eq!(ns.object.api_version, "v1");
    assert_severity(ns, Severity::High);
}

#[test]
fn a_result_for_a_deleted_object_is_said_on_the_report() {
    let findings = analyze("policy", "policy/broken.yaml");
    assert!(!findings.iter().any(|f| f.object.name == "old-api"), "{:?}", codes_and_names(&findings));
    let stale = find(&findings, "policy-report-stale", "polr-ns-shop");
    assert_eq!(field(stale, "gone"), Some("Deployment shop/old-api"));
    assert!(stale.message.contains("1 object(s) that no longer exist"), "{}", stale.message);
}

#[test]
fn gatekeeper_violations_are_one_finding_per_object_with_every_message() {
    let findings = analyze("policy", "policy/broken.yaml");
    let web = find(&findings, "gatekeeper-violation", "web");
    assert_eq!(
        web.message,
        "violates Gatekeeper constraint K8sRequiredLabels deployments-must-have-team (deny): you must provide labels: \
         {\"team\"}; label team must match ^[a-z]+$"
    );
    assert_eq!(field(web, "totalViolations"), Some("3"));
    let pod = find(&findings, "gatekeeper-violation", "web-6d4f8-abcde");
    assert_eq!(field(pod, "enforcementAction"), Some("dryrun"));
    assert_eq!(pod.object.api_version, "v1");
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("policy", "policy/broken.yaml"));
}

#[test]
fn passes_skips_unscored_warnings_empty_reports_and_gone_objects_are_not_findings() {
    assert_no_findings("policy", "policy/healthy.yaml");
}
