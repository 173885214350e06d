//! What a workload's pod template references and the snapshot shows missing: a ConfigMap, a key of an existing
//! ConfigMap (ConfigMaps are read for their key names only), a ServiceAccount. Reported once, on the object that
//! owns the template (a Deployment, not each of its pods); the pods' own `pod-container-config-error` and the
//! controller's refusals link to the same missing object (links/config.rs, links/admission.rs), so they fold into
//! one problem. `optional: true` references never block, and a missing object is reported only when its kind was
//! read.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::namespace_of;
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::kind::Kind;
use crate::model::{Container, PodSpec};
use crate::snapshot::Snapshot;

pub(crate) struct ReferencesAnalyzer;

const NAME: &str = "references";

const CONFIG_MAP_MISSING: CodeInfo = CodeInfo {
    code: "reference-configmap-missing",
    summary: "The pod template references a ConfigMap that does not exist: its pods cannot start.",
    severity: SeverityRule::fixed(Severity::High),
};
const CONFIG_MAP_KEY_MISSING: CodeInfo = CodeInfo {
    code: "reference-configmap-key-missing",
    summary: "The pod template references a key that its ConfigMap does not have: its pods cannot start.",
    severity: SeverityRule::fixed(Severity::High),
};
const SERVICE_ACCOUNT_MISSING: CodeInfo = CodeInfo {
    code: "reference-serviceaccount-missing",
    summary: "The pod template names a ServiceAccount that does not exist: its pods cannot be created.",
    severity: SeverityRule::fixed(Severity::High),
};

/// The ServiceAccount every namespace gets from its controller: never reported, since a snapshot from a file
/// rarely lists it and a cluster without it is broken well beyond one workload.
const DEFAULT_SERVICE_ACCOUNT: &str = "default";

impl Analyzer for ReferencesAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::Pod,
            Kind::Deployment,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::DaemonSet,
            Kind::Job,
            Kind::CronJob,
            Kind::ConfigMap,
            Kind::ServiceAccount,
        ]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[CONFIG_MAP_MISSING, CONFIG_MAP_KEY_MISSING, SERVICE_ACCOUNT_MISSING]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        let mut findings = Vec::new();
        for template in templates(snapshot) {
            for missing in missing(snapshot, template.meta, template.spec) {
                findings.push(finding(snapshot, &template, &missing));
            }
        }
        findings
    }
}

/// A pod spec and the object that owns it at the top: a workload, or a Pod without a controller.
pub(crate) struct Template<'a> {
    pub kind: Kind,
    pub meta: &'a ObjectMeta,
    pub spec: &'a PodSpec,
}

/// Every top-level pod template: workloads without a controller above them (a Deployment's ReplicaSets and a
/// CronJob's Jobs are judged through their owner), and Pods without one.
pub(crate) fn templates(snapshot: &Snapshot) -> Vec<Template<'_>> {
    let o = &snapshot.objects;
    let top = |meta: &ObjectMeta| {
        meta.deletion_timestamp.is_none() && !meta.owner_references.iter().flatten().any(|r| r.controller == Some(true))
    };
    let mut out = Vec::new();
    for d in o.deployments.iter().filter(|d| top(&d.metadata)) {
        if let Some(spec) = d.spec.as_ref().and_then(|s| s.template.spec.as_ref()) {
            out.push(Template { kind: Kind::Deployment, meta: &d.metadata, spec });
        }
    }
    for rs in o.replica_sets.iter().filter(|r| top(&r.metadata)) {
        if let Some(spec) = rs.spec.as_ref().and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref()) {
            out.push(Template { kind: Kind::ReplicaSet, meta: &rs.metadata, spec });
        }
    }
    for sts in o.stateful_sets.iter().filter(|s| top(&s.metadata)) {
        if let Some(spec) = sts.spec.as_ref().and_then(|s| s.template.spec.as_ref()) {
            out.push(Template { kind: Kind::StatefulSet, meta: &sts.metadata, spec });
        }
    }
    for ds in o.daemon_sets.iter().filter(|d| top(&d.metadata)) {
        if let Some(spec) = ds.spec.as_ref().and_then(|s| s.template.spec.as_ref()) {
            out.push(Template { kind: Kind::DaemonSet, meta: &ds.metadata, spec });
        }
    }
    for job in o.jobs.iter().filter(|j| top(&j.metadata)) {
        if let Some(spec) = job.spec.as_ref().and_then(|s| s.template.spec.as_ref()) {
            out.push(Template { kind: Kind::Job, meta: &job.metadata, spec });
        }
    }
    for cj in o.cron_jobs.iter().filter(|c| top(&c.metadata)) {
        if let Some(spec) = cj.spec.job_template.spec.as_ref().and_then(|j| j.template.spec.as_ref()) {
            out.push(Template { kind: Kind::CronJob, meta: &cj.metadata, spec });
        }
    }
    for pod in o.pods.iter().filter(|p| top(&p.metadata) && !crate::links::finished(p)) {
        if let Some(spec) = pod.spec.as_ref() {
            out.push(Template { kind: Kind::Pod, meta: &pod.metadata, spec });
        }
    }
    out
}

/// One missing thing a pod spec references, and where in the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    ConfigMap { name: String, place: String },
    ConfigMapKey { name: String, key: String, place: String },
    ServiceAccount { name: String },
}

impl Missing {
    /// The missing object (for a key: the ConfigMap that lacks it).
    pub(crate) fn object(&self, namespace: &str) -> ObjectRef {
        match self {
            Missing::ConfigMap { name, .. } | Missing::ConfigMapKey { name, .. } => {
                crate::links::object(Kind::ConfigMap, namespace, name)
            }
            Missing::ServiceAccount { name } => crate::links::object(Kind::ServiceAccount, namespace, name),
        }
    }

    /// What is missing, in words.
    pub(crate) fn describe(&self) -> String {
        match self {
            Missing::ConfigMap { name, place } => format!("{place} references ConfigMap {name}, which does not exist"),
            Missing::ConfigMapKey { name, key, place } => {
                format!("{place} references key {key} of ConfigMap {name}, which has no such key")
            }
            Missing::ServiceAccount { name } => {
                format!("spec.serviceAccountName names ServiceAccount {name}, which does not exist")
            }
        }
    }
}

/// A non-optional ConfigMap reference: the ConfigMap, the keys it must have, and where.
struct ConfigMapRef {
    name: String,
    keys: Vec<String>,
    place: String,
}

/// Everything the pod spec references that the snapshot shows missing, in spec order, each reported once.
pub(crate) fn missing(snapshot: &Snapshot, meta: &ObjectMeta, spec: &PodSpec) -> Vec<Missing> {
    let ns = namespace_of(meta);
    let mut out = Vec::new();
    if snapshot.has_read(Kind::ConfigMap) {
        for r in config_map_refs(spec) {
            match snapshot.objects.config_maps.get(ns, &r.name) {
                None => out.push(Missing::ConfigMap { name: r.name, place: r.place }),
                Some(cm) => {
                    let has = |key: &str| {
                        cm.data.as_ref().is_some_and(|d| d.contains_key(key))
                            || cm.binary_data.as_ref().is_some_and(|d| d.contains_key(key))
                    };
                    for key in r.keys.into_iter().filter(|k| !has(k)) {
                        out.push(Missing::ConfigMapKey { name: r.name.clone(), key, place: r.place.clone() });
                    }
                }
            }
        }
    }
    let account = spec.service_account_name.as_deref().or(spec.service_account.as_deref()).unwrap_or_default();
    if !account.is_empty()
        && account != DEFAULT_SERVICE_ACCOUNT
        && snapshot.has_read(Kind::ServiceAccount)
        && snapshot.objects.service_accounts.get(ns, account).is_none()
    {
        out.push(Missing::ServiceAccount { name: account.to_string() });
    }
    let mut unique = Vec::new();
    for m in out {
        let same_target = |u: &Missing| match (u, &m) {
            (Missing::ConfigMap { name: a, .. }, Missing::ConfigMap { name: b, .. }) => a == b,
            (Missing::ConfigMapKey { name: a, key: k, .. }, Missing::ConfigMapKey { name: b, key: l, .. }) => {
                a == b && k == l
            }
            _ => false,
        };
        if !unique.iter().any(same_target) {
            unique.push(m);
        }
    }
    unique
}

fn config_map_refs(spec: &PodSpec) -> Vec<ConfigMapRef> {
    let mut out = Vec::new();
    for container in spec.init_containers.iter().flatten().chain(spec.containers.iter()) {
        container_refs(container, &mut out);
    }
    for volume in spec.volumes.iter().flatten() {
        let place = format!("volume {}", volume.name);
        if let Some(cm) = volume.config_map.as_ref().filter(|c| c.optional != Some(true)) {
            let keys = cm.items.iter().flatten().map(|i| i.key.clone()).collect();
            out.push(ConfigMapRef { name: cm.name.clone(), keys, place: place.clone() });
        }
        for projection in volume.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(cm) = projection.config_map.as_ref().filter(|c| c.optional != Some(true)) {
                let keys = cm.items.iter().flatten().map(|i| i.key.clone()).collect();
                out.push(ConfigMapRef { name: cm.name.clone(), keys, place: place.clone() });
            }
        }
    }
    out.retain(|r| !r.name.is_empty());
    out
}

fn container_refs(container: &Container, out: &mut Vec<ConfigMapRef>) {
    for env in container.env.iter().flatten() {
        let r = env.value_from.as_ref().and_then(|f| f.config_map_key_ref.as_ref());
        if let Some(r) = r.filter(|r| r.optional != Some(true)) {
            let place = format!("env {} of container {}", env.name, container.name);
            out.push(ConfigMapRef { name: r.name.clone(), keys: vec![r.key.clone()], place });
        }
    }
    for env_from in container.env_from.iter().flatten() {
        if let Some(r) = env_from.config_map_ref.as_ref().filter(|r| r.optional != Some(true)) {
            let place = format!("envFrom of container {}", container.name);
            out.push(ConfigMapRef { name: r.name.clone(), keys: Vec::new(), place });
        }
    }
}

fn finding(snapshot: &Snapshot, template: &Template, missing: &Missing) -> Finding {
    let code = match missing {
        Missing::ConfigMap { .. } => &CONFIG_MAP_MISSING,
        Missing::ConfigMapKey { .. } => &CONFIG_MAP_KEY_MISSING,
        Missing::ServiceAccount { .. } => &SERVICE_ACCOUNT_MISSING,
    };
    let kind = template.kind;
    let object = ObjectRef::from_meta(kind.api_version(), kind.name(), template.meta);
    let ns = namespace_of(template.meta);
    let parent = snapshot.owner_chain(ns, template.meta).pop();
    let what = if kind == Kind::Pod { "" } else { "pod template: " };
    let consequence = match missing {
        Missing::ServiceAccount { .. } => "its pods cannot be created",
        _ => "its pods cannot start",
    };
    Finding::new(NAME, code, object, parent, Severity::High, format!("{what}{}: {consequence}", missing.describe()))
        .with_evidence([Evidence::field("missing", missing.object(ns).label())])
}
