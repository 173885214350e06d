//! The workloads of a namespace as constraints see them: each top-level pod template (a Deployment, a CronJob,
//! a bare Pod) with the labels its pods get, and the pods with the workload that owns them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::object_ref;
use crate::finding::ObjectRef;
use crate::kind::Kind;
use crate::kinds::references::templates;
use crate::kinds::{name_of, namespace_of};
use crate::model::Pod;
use crate::selector::label_selector_matches;
use crate::snapshot::Snapshot;

/// One top-level workload.
pub(super) struct Workload {
    pub object: ObjectRef,
    pub kind: Kind,
    /// The labels of its pod template (a bare pod's own labels).
    pub labels: BTreeMap<String, String>,
}

pub(super) struct Workloads<'a> {
    pub list: Vec<Workload>,
    snapshot: &'a Snapshot,
}

impl<'a> Workloads<'a> {
    pub fn of(snapshot: &'a Snapshot, namespace: &str) -> Workloads<'a> {
        let o = &snapshot.objects;
        let mut list = Vec::new();
        for t in templates(snapshot).into_iter().filter(|t| namespace_of(t.meta) == namespace) {
            let name = name_of(t.meta);
            let labels = match t.kind {
                Kind::Deployment => o
                    .deployments
                    .get(namespace, name)
                    .and_then(|d| d.spec.as_ref()?.template.metadata.as_ref()?.labels.clone()),
                Kind::ReplicaSet => o
                    .replica_sets
                    .get(namespace, name)
                    .and_then(|r| r.spec.as_ref()?.template.as_ref()?.metadata.as_ref()?.labels.clone()),
                Kind::StatefulSet => o
                    .stateful_sets
                    .get(namespace, name)
                    .and_then(|s| s.spec.as_ref()?.template.metadata.as_ref()?.labels.clone()),
                Kind::DaemonSet => o
                    .daemon_sets
                    .get(namespace, name)
                    .and_then(|d| d.spec.as_ref()?.template.metadata.as_ref()?.labels.clone()),
                Kind::Job => o
                    .jobs
                    .get(namespace, name)
                    .and_then(|j| j.spec.as_ref()?.template.metadata.as_ref()?.labels.clone()),
                Kind::CronJob => o
                    .cron_jobs
                    .get(namespace, name)
                    .and_then(|c| c.spec.job_template.spec.as_ref()?.template.metadata.as_ref()?.labels.clone()),
                _ => t.meta.labels.clone(),
            };
            list.push(Workload {
                object: object_ref(t.kind, t.meta),
                kind: t.kind,
                labels: labels.unwrap_or_default(),
            });
        }
        list.sort_by(|a, b| (a.kind, &a.object.name).cmp(&(b.kind, &b.object.name)));
        Workloads { list, snapshot }
    }

    pub fn all(&self) -> Vec<ObjectRef> {
        self.list.iter().map(|w| w.object.clone()).collect()
    }

    /// The workloads whose pod template a selector selects (an empty selector selects all).
    pub fn selected_by(&self, selector: Option<&LabelSelector>) -> Vec<ObjectRef> {
        let Some(selector) = selector else { return Vec::new() };
        self.list
            .iter()
            .filter(|w| label_selector_matches(selector, Some(&w.labels)))
            .map(|w| w.object.clone())
            .collect()
    }

    /// The workloads of these pods: each pod's top owner, or the pod itself.
    pub fn owning(&self, pods: &[&Pod]) -> Vec<ObjectRef> {
        let mut out: Vec<ObjectRef> = Vec::new();
        for pod in pods {
            let ns = namespace_of(&pod.metadata);
            let top = self.snapshot.owner_chain(ns, &pod.metadata).pop();
            let object =
                top.map(|o| ObjectRef { uid: None, ..o }).unwrap_or_else(|| object_ref(Kind::Pod, &pod.metadata));
            if !out.contains(&object) {
                out.push(object);
            }
        }
        out
    }
}

/// Adds to `into` what `more` has that it lacks, keeping the order.
pub(super) fn merge(into: &mut Vec<ObjectRef>, more: Vec<ObjectRef>) {
    for o in more {
        if !into.contains(&o) {
            into.push(o);
        }
    }
}
