use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn long_held_deletions_name_their_finalizers() {
    let findings = analyze("deletion", "deletion/stuck.yaml");
    let mut got = codes_and_names(&findings);
    got.sort();
    assert_eq!(
        got,
        [("stuck-deletion", "data-db-0"), ("stuck-deletion", "legacy-tls"), ("stuck-deletion", "old-team")]
            .map(|(c, n)| (c.to_string(), n.to_string()))
    );
    let pvc = find(&findings, "stuck-deletion", "data-db-0");
    assert_severity(pvc, Severity::Medium);
    assert_eq!(
        pvc.message,
        "deletion requested at 2026-11-30T11:00:00Z is held by finalizer kubernetes.io/pvc-protection"
    );
    let certificate = find(&findings, "stuck-deletion", "legacy-tls");
    assert_eq!(certificate.object.kind, "Certificate");
    assert!(certificate.message.contains("cert-manager.io/finalizer"), "{}", certificate.message);
}

#[test]
fn a_stuck_namespace_quotes_what_is_left_in_it() {
    let findings = analyze("deletion", "deletion/stuck.yaml");
    let namespace = find(&findings, "stuck-deletion", "old-team");
    assert_severity(namespace, Severity::High);
    let expected = "deletion requested at 2026-11-30T10:00:00Z is held by finalizer kubernetes: ";
    assert!(namespace.message.starts_with(expected), "{}", namespace.message);
    assert!(
        namespace.message.contains("certificates.cert-manager.io has 1 resource instances"),
        "{}",
        namespace.message
    );
    assert!(namespace.message.contains("cert-manager.io/finalizer in 1 resource instances"), "{}", namespace.message);
    assert!(!namespace.message.contains("successfully"), "conditions that are False are not quoted");
}

/// Seconds-old and minutes-old deletions, a graceful deletion due in the future, and a long deletion with no
/// finalizer are finalizers (or the kubelet) doing their job.
#[test]
fn recent_deletions_are_not_findings() {
    assert_no_findings("deletion", "deletion/recent.yaml");
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("deletion", "deletion/stuck.yaml"));
}
