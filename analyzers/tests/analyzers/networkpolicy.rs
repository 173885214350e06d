use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn policies_that_cut_pods_off_their_dns_or_their_ingress_controller() {
    let findings = analyze("networkpolicy", "networkpolicy/broken.yaml");
    let expected: Vec<(String, String)> = [
        ("networkpolicy-blocks-ingress-controller", "web-ingress"),
        ("networkpolicy-egress-blocks-dns", "worker-egress"),
        ("networkpolicy-egress-blocks-dns", "report-egress"),
        ("networkpolicy-selects-no-pods", "orphan"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    assert_eq!(codes_and_names(&findings), expected);
    assert_severity(find(&findings, "networkpolicy-egress-blocks-dns", "worker-egress"), Severity::High);
    assert_severity(find(&findings, "networkpolicy-egress-blocks-dns", "report-egress"), Severity::Medium);
    assert_severity(find(&findings, "networkpolicy-selects-no-pods", "orphan"), Severity::Low);
}

#[test]
fn findings_name_the_pods_and_the_controller() {
    let findings = analyze("networkpolicy", "networkpolicy/broken.yaml");
    let worker = find(&findings, "networkpolicy-egress-blocks-dns", "worker-egress");
    assert!(worker.message.starts_with("isolates egress of 1 pod(s) (such as worker-1)"), "{}", worker.message);
    assert!(worker.evidence.contains(&Evidence::field("not ready", "worker-1")), "{:?}", worker.evidence);
    let web = find(&findings, "networkpolicy-blocks-ingress-controller", "web-ingress");
    assert!(web.message.contains("Service web (such as web-1) behind Ingress shop"), "{}", web.message);
    assert!(web.message.contains("ingress-nginx/ingress-nginx-controller-6f7d8-xyz"), "{}", web.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("networkpolicy", "networkpolicy/broken.yaml"));
}

#[test]
fn default_deny_with_allowances_empty_selectors_host_network_and_unknown_controllers_are_not_findings() {
    assert_no_findings("networkpolicy", "networkpolicy/healthy.yaml");
}
