//! Builders shared by unit tests across modules.

use mekhanikube_analyzers::{Finding, ObjectRef, Severity};

/// A high `pod-crash-loop` finding about one Pod, without parent or evidence; tests adjust fields from here.
pub fn pod_finding(namespace: Option<&str>, name: &str, message: &str) -> Finding {
    Finding {
        id: format!("pod-{name}"),
        analyzer: "pod".into(),
        code: "pod-crash-loop".into(),
        severity: Severity::High,
        object: ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: namespace.map(str::to_string),
            name: name.into(),
            uid: None,
        },
        parent: None,
        message: message.into(),
        evidence: Vec::new(),
    }
}
