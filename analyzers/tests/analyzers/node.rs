use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_node_problem_with_its_code() {
    let findings = analyze("node", "node/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("node-not-ready", "worker-1"),
        ("node-status-unknown", "worker-2"),
        ("node-memory-pressure", "worker-3"),
        ("node-disk-pressure", "worker-3"),
        ("node-pid-pressure", "worker-3"),
        ("node-network-unavailable", "worker-4"),
        ("node-problem-detected", "worker-5"),
        ("node-problem-detected", "worker-5"),
        ("node-problem-detected", "worker-5"),
        ("node-cordoned", "worker-6"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn not_ready_and_lost_nodes_are_critical() {
    let findings = analyze("node", "node/broken.yaml");
    let not_ready = find(&findings, "node-not-ready", "worker-1");
    assert_severity(not_ready, Severity::Critical);
    assert!(not_ready.message.contains("cni plugin not initialized"), "{}", not_ready.message);
    assert!(not_ready.object.namespace.is_none(), "nodes are cluster-scoped");
    let lost = find(&findings, "node-status-unknown", "worker-2");
    assert_severity(lost, Severity::Critical);
    assert_eq!(lost.message, "node status is unknown: Kubelet stopped posting node status. (NodeStatusUnknown)");
}

#[test]
fn pressure_and_network_are_high_and_cordon_is_info() {
    let findings = analyze("node", "node/broken.yaml");
    for code in ["node-memory-pressure", "node-disk-pressure", "node-pid-pressure"] {
        assert_severity(find(&findings, code, "worker-3"), Severity::High);
    }
    let network = find(&findings, "node-network-unavailable", "worker-4");
    assert_severity(network, Severity::High);
    assert!(network.message.contains("RouteController failed to create a route"), "{}", network.message);
    assert_severity(find(&findings, "node-cordoned", "worker-6"), Severity::Info);
}

#[test]
fn problem_detector_severity_follows_the_condition_type() {
    let findings = analyze("node", "node/broken.yaml");
    let problems: Vec<_> = findings.iter().filter(|f| f.code == "node-problem-detected").collect();
    let by_type = |t: &str| {
        problems
            .iter()
            .find(|f| f.message.starts_with(&format!("node has problem {t}:")))
            .unwrap_or_else(|| panic!("no problem {t}"))
    };
    assert_severity(by_type("KernelDeadlock"), Severity::High);
    assert_severity(by_type("ReadonlyFilesystem"), Severity::High);
    assert_severity(by_type("FrequentContainerdRestart"), Severity::Medium);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("node", "node/broken.yaml"));
}

#[test]
fn healthy_vendor_and_departing_nodes_are_not_findings() {
    assert_no_findings("node", "node/healthy.yaml");
}
