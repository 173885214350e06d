use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_statefulset_problem_with_its_code() {
    let findings = analyze("statefulset", "statefulset/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("statefulset-service-missing", "db"),
        ("statefulset-storage-class-missing", "kafka"),
        ("statefulset-storage-class-missing", "logs"),
        ("statefulset-pods-not-ready", "etcd"),
        ("statefulset-pods-not-ready", "redis"),
        ("statefulset-pods-not-ready", "zk"),
        ("statefulset-pods-not-ready", "mq"),
        ("statefulset-pods-not-ready", "pg"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn missing_governing_service_is_named() {
    let findings = analyze("statefulset", "statefulset/broken.yaml");
    let db = find(&findings, "statefulset-service-missing", "db");
    assert_severity(db, Severity::Medium);
    assert!(db.message.contains("governing Service db-headless does not exist in namespace data"), "{}", db.message);
}

#[test]
fn missing_storage_class_is_high_while_pods_wait_for_it() {
    let findings = analyze("statefulset", "statefulset/broken.yaml");
    let kafka = find(&findings, "statefulset-storage-class-missing", "kafka");
    assert_severity(kafka, Severity::High);
    assert_eq!(kafka.message, "volume claim template data uses StorageClass fast-ssd, which does not exist");
    let logs = find(&findings, "statefulset-storage-class-missing", "logs");
    assert_severity(logs, Severity::Medium);
    assert!(logs.message.contains("StorageClass slow-hdd"), "{}", logs.message);
}

#[test]
fn not_ready_severity_follows_ready_count() {
    let findings = analyze("statefulset", "statefulset/broken.yaml");
    let etcd = find(&findings, "statefulset-pods-not-ready", "etcd");
    assert_severity(etcd, Severity::Critical);
    assert_eq!(etcd.message, "0 of 3 pods ready");
    assert_severity(find(&findings, "statefulset-pods-not-ready", "redis"), Severity::High);
    assert_severity(find(&findings, "statefulset-pods-not-ready", "zk"), Severity::Medium);
    let pg = find(&findings, "statefulset-pods-not-ready", "pg");
    assert_severity(pg, Severity::Medium);
    assert_eq!(pg.message, "2 of 4 pods ready during a rolling update to pg-9e8d7c6b5 (1 updated)");
}

#[test]
fn failed_creation_during_scale_up_cites_the_controller_message() {
    let findings = analyze("statefulset", "statefulset/broken.yaml");
    let mq = find(&findings, "statefulset-pods-not-ready", "mq");
    assert_severity(mq, Severity::High);
    assert!(mq.message.starts_with("1 of 3 pods ready, 1 created; pods cannot be created: "), "{}", mq.message);
    assert!(mq.message.contains("exceeded quota: data-quota"), "{}", mq.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("statefulset", "statefulset/broken.yaml"));
}

#[test]
fn rollouts_start_up_and_valid_storage_are_not_findings() {
    assert_no_findings("statefulset", "statefulset/healthy.yaml");
}

#[test]
fn absent_services_and_classes_are_not_reported_when_their_kinds_were_not_read() {
    assert_no_findings("statefulset", "statefulset/not-read.yaml");
}
