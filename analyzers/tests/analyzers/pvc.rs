use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_claim_failure_with_its_code() {
    let findings = analyze("pvc", "pvc/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("pvc-provisioning-failed", "data-db-0"),
        ("pvc-storage-class-missing", "uploads"),
        ("pvc-storage-class-missing", "legacy-data"),
        ("pvc-lost", "cache"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn provisioning_failure_quotes_the_provisioner_and_names_the_owner() {
    let findings = analyze("pvc", "pvc/broken.yaml");
    let failed = find(&findings, "pvc-provisioning-failed", "data-db-0");
    assert_severity(failed, Severity::High);
    assert!(failed.message.starts_with("claim is Pending: provisioning failed: "), "{}", failed.message);
    assert!(failed.message.contains("UnauthorizedOperation"), "{}", failed.message);
    let parent = failed.parent.as_ref().expect("parent");
    assert_eq!((parent.kind.as_str(), parent.name.as_str()), ("StatefulSet", "db"));
}

#[test]
fn missing_class_wins_over_the_provisioning_event_it_causes() {
    let findings = analyze("pvc", "pvc/broken.yaml");
    let uploads = find(&findings, "pvc-storage-class-missing", "uploads");
    assert_severity(uploads, Severity::High);
    assert_eq!(uploads.message, "claim is Pending: StorageClass premium-rwx does not exist");
    let legacy = find(&findings, "pvc-storage-class-missing", "legacy-data");
    assert!(legacy.evidence.contains(&Evidence::field("storageClassName", "gold")), "{:?}", legacy.evidence);
}

#[test]
fn lost_claim_is_critical_and_names_its_volume() {
    let findings = analyze("pvc", "pvc/broken.yaml");
    let lost = find(&findings, "pvc-lost", "cache");
    assert_severity(lost, Severity::Critical);
    assert!(lost.message.contains("pvc-1f2e3d4c-0000-0000-0000-000000000099"), "{}", lost.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("pvc", "pvc/broken.yaml"));
}

#[test]
fn bound_waiting_and_static_claims_are_not_findings() {
    assert_no_findings("pvc", "pvc/healthy.yaml");
}

#[test]
fn class_is_only_missing_when_storage_classes_were_read() {
    assert_no_findings("pvc", "pvc/not-read.yaml");
}
