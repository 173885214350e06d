use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_replicaset_that_cannot_create_pods() {
    let findings = analyze("replicaset", "replicaset/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("replicaset-create-failed", "api-7c9d8f6b5"),
        ("replicaset-create-failed", "worker-5f6d7c8b9"),
        ("replicaset-create-failed", "hooks-6a7b8c9d0"),
        ("replicaset-create-failed", "legacy-6b7c8d9f4"),
        ("replicaset-create-failed", "mailer-8c9d0e1f2"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
    for f in &findings {
        assert_severity(f, Severity::High);
    }
}

#[test]
fn quota_failure_names_the_deployment_and_the_controller_message() {
    let findings = analyze("replicaset", "replicaset/broken.yaml");
    let api = find(&findings, "replicaset-create-failed", "api-7c9d8f6b5");
    let parent = api.parent.as_ref().expect("parent");
    assert_eq!((parent.kind.as_str(), parent.name.as_str()), ("Deployment", "api"));
    assert!(api.message.starts_with("cannot create pods (1 of 3 exist): "), "{}", api.message);
    assert!(api.message.contains("exceeded quota: compute"), "{}", api.message);
    assert!(api.evidence.iter().any(|e| matches!(e, Evidence::Event(ev) if ev.reason == "FailedCreate")));
}

#[test]
fn each_admission_failure_carries_its_own_message() {
    let findings = analyze("replicaset", "replicaset/broken.yaml");
    let sa = find(&findings, "replicaset-create-failed", "worker-5f6d7c8b9");
    assert!(sa.message.contains("serviceaccount \"worker\" not found"), "{}", sa.message);
    let hook = find(&findings, "replicaset-create-failed", "hooks-6a7b8c9d0");
    assert!(hook.message.contains("denied the request"), "{}", hook.message);
    let pss = find(&findings, "replicaset-create-failed", "legacy-6b7c8d9f4");
    assert!(pss.message.contains("violates PodSecurity \"restricted:latest\""), "{}", pss.message);
}

#[test]
fn failed_create_events_stand_in_for_a_missing_condition() {
    let findings = analyze("replicaset", "replicaset/broken.yaml");
    let mailer = find(&findings, "replicaset-create-failed", "mailer-8c9d0e1f2");
    assert!(mailer.message.contains("exceeded quota: pods"), "{}", mailer.message);
    assert!(!mailer.evidence.iter().any(|e| matches!(e, Evidence::Condition { .. })));
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("replicaset", "replicaset/broken.yaml"));
}

#[test]
fn old_scaled_down_and_recovered_replicasets_are_not_findings() {
    assert_no_findings("replicaset", "replicaset/healthy.yaml");
}
