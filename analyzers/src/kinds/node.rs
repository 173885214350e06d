//! Nodes: not ready, lost (status unknown), under memory, disk or PID pressure, network unavailable, problems
//! reported by node-problem-detector, cordoned.

use k8s_openapi::api::core::v1::{Node, NodeCondition};

use super::{condition, condition_evidence, name_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct NodeAnalyzer;

const NAME: &str = "node";

const NOT_READY: CodeInfo = CodeInfo {
    code: "node-not-ready",
    summary: "The kubelet reports the node not ready (Ready=False): no new pods start there and its pods may be failing.",
    severity: SeverityRule::fixed(Severity::Critical),
};
const STATUS_UNKNOWN: CodeInfo = CodeInfo {
    code: "node-status-unknown",
    summary: "The kubelet stopped posting node status (Ready=Unknown): the node is down or unreachable, and its pods are evicted.",
    severity: SeverityRule::fixed(Severity::Critical),
};
const MEMORY_PRESSURE: CodeInfo = CodeInfo {
    code: "node-memory-pressure",
    summary: "The node is short of memory (MemoryPressure=True): the kubelet evicts pods and the scheduler avoids it.",
    severity: SeverityRule::fixed(Severity::High),
};
const DISK_PRESSURE: CodeInfo = CodeInfo {
    code: "node-disk-pressure",
    summary: "The node is short of disk space or inodes (DiskPressure=True): the kubelet evicts pods and garbage-collects images.",
    severity: SeverityRule::fixed(Severity::High),
};
const PID_PRESSURE: CodeInfo = CodeInfo {
    code: "node-pid-pressure",
    summary: "The node is running out of process IDs (PIDPressure=True): the kubelet evicts pods.",
    severity: SeverityRule::fixed(Severity::High),
};
const NETWORK_UNAVAILABLE: CodeInfo = CodeInfo {
    code: "node-network-unavailable",
    summary: "The node's network is not configured (NetworkUnavailable=True): pods there cannot reach the cluster network.",
    severity: SeverityRule::fixed(Severity::High),
};
const PROBLEM_DETECTED: CodeInfo = CodeInfo {
    code: "node-problem-detected",
    summary: "node-problem-detector reports a known node problem (kernel deadlock, read-only filesystem, a runtime or kubelet restarting over and over).",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::High],
        when: "high for KernelDeadlock and ReadonlyFilesystem",
    },
};
const CORDONED: CodeInfo = CodeInfo {
    code: "node-cordoned",
    summary: "The node is cordoned (spec.unschedulable): no new pods are scheduled on it.",
    severity: SeverityRule::fixed(Severity::Info),
};

/// Pressure conditions the kubelet sets, with their code: `True` is the problem.
const PRESSURES: [(&str, &CodeInfo, &str); 3] = [
    ("MemoryPressure", &MEMORY_PRESSURE, "memory"),
    ("DiskPressure", &DISK_PRESSURE, "disk space"),
    ("PIDPressure", &PID_PRESSURE, "process IDs"),
];

/// Problem conditions of node-problem-detector's default configurations, where `True` means the problem is
/// present. Any other condition type (cloud, distribution or vendor specific) is not judged: its `True` may be
/// good news (`CorrectDriverInstalled`).
const NPD_PROBLEMS: [(&str, Severity); 8] = [
    ("KernelDeadlock", Severity::High),
    ("ReadonlyFilesystem", Severity::High),
    ("FrequentKubeletRestart", Severity::Medium),
    ("FrequentDockerRestart", Severity::Medium),
    ("FrequentContainerdRestart", Severity::Medium),
    ("FrequentCrioRestart", Severity::Medium),
    ("CorruptDockerOverlay2", Severity::Medium),
    ("ContainerRuntimeProblem", Severity::Medium),
];

/// Taints that autoscalers put on a node they are about to delete.
const BEING_REMOVED_TAINTS: [&str; 2] = ["ToBeDeletedByClusterAutoscaler", "karpenter.sh/disrupted"];

impl Analyzer for NodeAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Node]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[
            NOT_READY,
            STATUS_UNKNOWN,
            MEMORY_PRESSURE,
            DISK_PRESSURE,
            PID_PRESSURE,
            NETWORK_UNAVAILABLE,
            PROBLEM_DETECTED,
            CORDONED,
        ]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.nodes.iter().flat_map(|n| analyze_node(snapshot, n)).collect()
    }
}

fn analyze_node(snapshot: &Snapshot, node: &Node) -> Vec<Finding> {
    let mut findings = Vec::new();
    let spec = node.spec.as_ref();
    let taints = spec.and_then(|s| s.taints.as_deref()).unwrap_or_default();
    // A node on its way out (deleted, or tainted for deletion by an autoscaler) is expected to go not ready.
    if node.metadata.deletion_timestamp.is_some()
        || taints.iter().any(|t| BEING_REMOVED_TAINTS.contains(&t.key.as_str()))
    {
        return findings;
    }
    let name = name_of(&node.metadata);
    let warnings = || recent_warnings(snapshot.warnings_for(Kind::Node, "", name));
    let detail = |c: &NodeCondition| {
        let reason = c.reason.as_deref().unwrap_or("no reason given");
        match c.message.as_deref().filter(|m| !m.is_empty()) {
            Some(message) => format!("{message} ({reason})"),
            None => reason.to_string(),
        }
    };

    if let Some(ready) = condition!(node.status, "Ready") {
        let found = match ready.status.as_str() {
            "False" => Some((&NOT_READY, format!("node is not ready: {}", detail(ready)))),
            "Unknown" => Some((&STATUS_UNKNOWN, format!("node status is unknown: {}", detail(ready)))),
            _ => None,
        };
        if let Some((code, message)) = found {
            let heartbeat =
                ready.last_heartbeat_time.as_ref().map(|t| Evidence::field("lastHeartbeatTime", t.0.to_string()));
            findings.push(
                snapshot
                    .finding(NAME, code, node, Severity::Critical, message)
                    .with_evidence([condition_evidence!(ready)])
                    .with_evidence(heartbeat)
                    .with_evidence(warnings()),
            );
        }
    }

    for (type_, code, what) in PRESSURES {
        if let Some(c) = condition!(node.status, type_).filter(|c| c.status == "True") {
            findings.push(
                snapshot
                    .finding(NAME, code, node, Severity::High, format!("node is short of {what}: {}", detail(c)))
                    .with_evidence([condition_evidence!(c)]),
            );
        }
    }

    if let Some(c) = condition!(node.status, "NetworkUnavailable").filter(|c| c.status == "True") {
        findings.push(
            snapshot
                .finding(
                    NAME,
                    &NETWORK_UNAVAILABLE,
                    node,
                    Severity::High,
                    format!("node network is unavailable: {}", detail(c)),
                )
                .with_evidence([condition_evidence!(c)]),
        );
    }

    for (type_, severity) in NPD_PROBLEMS {
        if let Some(c) = condition!(node.status, type_).filter(|c| c.status == "True") {
            findings.push(
                snapshot
                    .finding(
                        NAME,
                        &PROBLEM_DETECTED,
                        node,
                        severity,
                        format!("node has problem {type_}: {}", detail(c)),
                    )
                    .with_evidence([condition_evidence!(c)]),
            );
        }
    }

    if spec.and_then(|s| s.unschedulable) == Some(true) {
        findings.push(
            snapshot
                .finding(NAME, &CORDONED, node, Severity::Info, "node is cordoned: no new pods are scheduled on it")
                .with_evidence([Evidence::field("spec.unschedulable", "true")]),
        );
    }
    findings
}
