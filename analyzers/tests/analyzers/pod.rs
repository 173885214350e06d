use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_pod_failure_with_its_code() {
    let findings = analyze("pod", "pod/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("pod-crash-loop", "api-5d8f7c9b6-crash"),
        ("pod-oom-killed", "worker-oom"),
        ("pod-oom-killed", "cache-restarted-oom"),
        ("pod-image-pull-failed", "web-badtag"),
        ("pod-invalid-image-name", "web-invalid"),
        ("pod-container-config-error", "api-noconfig"),
        ("pod-container-start-error", "migrate-init"),
        ("pod-container-restarted", "flaky"),
        ("pod-unschedulable", "db-pending"),
        ("pod-volume-mount-failed", "files-mount"),
        ("pod-sandbox-failed", "net-sandbox"),
        ("pod-probe-failing", "web-unready"),
        ("pod-evicted", "batch-evicted"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn crash_loop_names_the_top_owner_and_last_exit() {
    let findings = analyze("pod", "pod/broken.yaml");
    let crash = find(&findings, "pod-crash-loop", "api-5d8f7c9b6-crash");
    assert_severity(crash, Severity::High);
    let parent = crash.parent.as_ref().expect("parent");
    assert_eq!((parent.kind.as_str(), parent.name.as_str()), ("Deployment", "api"));
    assert!(crash.message.contains("last exit code 1 (Error)"), "{}", crash.message);
    assert!(crash.message.contains("7 restarts"), "{}", crash.message);
}

#[test]
fn oom_while_running_is_less_severe_than_oom_crash_loop() {
    let findings = analyze("pod", "pod/broken.yaml");
    assert_severity(find(&findings, "pod-oom-killed", "worker-oom"), Severity::High);
    assert_severity(find(&findings, "pod-oom-killed", "cache-restarted-oom"), Severity::Medium);
}

#[test]
fn stuck_and_unready_pods_cite_their_events() {
    let findings = analyze("pod", "pod/broken.yaml");
    let mount = find(&findings, "pod-volume-mount-failed", "files-mount");
    assert!(mount.message.contains("configmap \"uploads-config\" not found"), "{}", mount.message);
    let probe = find(&findings, "pod-probe-failing", "web-unready");
    assert!(probe.message.contains("statuscode: 503"), "{}", probe.message);
    let unsched = find(&findings, "pod-unschedulable", "db-pending");
    assert!(unsched.message.contains("Insufficient cpu"), "{}", unsched.message);
}

#[test]
fn init_container_failures_say_init() {
    let findings = analyze("pod", "pod/broken.yaml");
    let init = find(&findings, "pod-container-start-error", "migrate-init");
    assert!(init.message.starts_with("init container migrate"), "{}", init.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("pod", "pod/broken.yaml"));
}

#[test]
fn healthy_and_transitional_pods_are_not_findings() {
    assert_no_findings("pod", "pod/healthy.yaml");
}
