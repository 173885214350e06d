//! Pods that a controller cannot create right now, and the admission plugin's message saying why: for the
//! analyzers of what refuses them (quotas, limit ranges). A controller counts only while it is short of pods, so
//! an old `FailedCreate` event of one that has all its pods is history.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{condition, name_of};
use crate::finding::ObjectRef;
use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// One refusal: the controller and the message (the ReplicaFailure condition's, or a FailedCreate event's).
pub(crate) struct Refusal<'a> {
    pub controller: ObjectRef,
    pub message: &'a str,
    pub event: Option<&'a k8s_openapi::api::core::v1::Event>,
}

/// Every refusal in a namespace, ReplicaSets first, then StatefulSets, DaemonSets and Jobs.
pub(crate) fn in_namespace<'a>(snapshot: &'a Snapshot, namespace: &'a str) -> Vec<Refusal<'a>> {
    let objects = &snapshot.objects;
    let mut out = Vec::new();
    for rs in objects.replica_sets.in_namespace(namespace) {
        let desired = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        if rs.status.as_ref().map(|s| s.replicas).unwrap_or(0) >= desired {
            continue;
        }
        let failure = condition!(rs.status, "ReplicaFailure")
            .filter(|c| c.status == "True" && c.reason.as_deref() == Some("FailedCreate"));
        if let Some(message) = failure.and_then(|c| c.message.as_deref()) {
            out.push(Refusal { controller: reference(Kind::ReplicaSet, &rs.metadata), message, event: None });
        }
        out.extend(events(snapshot, Kind::ReplicaSet, &rs.metadata));
    }
    for sts in objects.stateful_sets.in_namespace(namespace) {
        let desired = sts.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        if sts.status.as_ref().map(|s| s.replicas).unwrap_or(0) < desired {
            out.extend(events(snapshot, Kind::StatefulSet, &sts.metadata));
        }
    }
    for ds in objects.daemon_sets.in_namespace(namespace) {
        let status = ds.status.as_ref();
        let (desired, scheduled) =
            status.map(|s| (s.desired_number_scheduled, s.current_number_scheduled)).unwrap_or((0, 0));
        if scheduled < desired {
            out.extend(events(snapshot, Kind::DaemonSet, &ds.metadata));
        }
    }
    for job in objects.jobs.in_namespace(namespace) {
        let finished =
            ["Complete", "Failed"].iter().any(|t| condition!(job.status, *t).is_some_and(|c| c.status == "True"));
        if !finished && job.spec.as_ref().and_then(|s| s.suspend) != Some(true) {
            out.extend(events(snapshot, Kind::Job, &job.metadata));
        }
    }
    out
}

fn events<'a>(snapshot: &'a Snapshot, kind: Kind, meta: &ObjectMeta) -> Vec<Refusal<'a>> {
    let namespace = meta.namespace.as_deref().unwrap_or("");
    snapshot
        .warnings_for(kind, namespace, name_of(meta))
        .filter(|e| e.reason.as_deref() == Some("FailedCreate"))
        .filter_map(|e| {
            let message = e.message.as_deref()?;
            Some(Refusal { controller: reference(kind, meta), message, event: Some(e) })
        })
        .collect()
}

fn reference(kind: Kind, meta: &ObjectMeta) -> ObjectRef {
    ObjectRef::from_meta(kind.api_version(), kind.name(), meta)
}
