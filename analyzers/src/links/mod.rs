//! Typed links between objects: which object's failure explains another's, and the fact that shows it.
//!
//! Derived from the snapshot alone, plus the findings for the few health questions an analyzer has already
//! answered (whether a Service has ready endpoints, whether a Deployment is unavailable). A link is drawn only
//! when its cause is down by a structured field (a condition, a phase, a waiting reason, a controller's
//! FailedCreate message in its documented form): a crash-looping pod on a healthy node is not linked to the
//! node, and nothing is ever linked by the likeness of names. One file per family; docs/problems.md has an
//! example of each kind.

mod admission;
mod config;
mod custom;
mod owner;
mod scheduling;
mod serving;
mod storage;

use std::collections::HashMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, ObjectRef};
use crate::kind::Kind;
use crate::model::Pod;
use crate::snapshot::Snapshot;

/// The families of links, one per file of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinkFamily {
    Owner,
    Scheduling,
    Storage,
    Config,
    Serving,
    Admission,
}

/// What a link says. The cause is upstream, the effect downstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// A not-ready Pod, a ReplicaSet short of ready pods or a failed Job, and the controller that owns it.
    ControlledBy,
    /// A Node that is not ready, and a Pod bound to it.
    RunsOn,
    /// A claim that is not bound (or missing), and a pending Pod that mounts it.
    MountsClaim,
    /// A StorageClass that does not exist, and a pending claim or a claim template that names it.
    UsesStorageClass,
    /// The PersistentVolume of a lost claim.
    BoundVolume,
    /// A ConfigMap (or a key of it) that a Pod which cannot start, or a workload's template, references.
    ConfigMapRef,
    /// A Secret that does not exist (or a key of it), referenced by a Pod which cannot start.
    SecretRef,
    /// An image pull Secret that does not exist, named by a Pod that cannot pull or a DaemonSet template.
    PullSecretRef,
    /// A Pod that is not ready, and a Service that selects it.
    Selects,
    /// A Service without ready endpoints (or missing), and an Ingress routing to it.
    RoutesTo,
    /// A Service without ready endpoints (or missing), and an admission webhook configuration calling it.
    CallsService,
    /// A scale target that is missing or unavailable, and the HorizontalPodAutoscaler scaling it.
    ScalesTarget,
    /// A ResourceQuota that refused a controller's pods (`exceeded quota: NAME`).
    QuotaExceeded,
    /// A LimitRange whose bounds the controller's template breaks, and the LimitRanger refused its pods.
    LimitRangeRefused,
    /// A ServiceAccount that does not exist, so the controller cannot create pods (or a template names it).
    ServiceAccountMissing,
    /// An admission webhook that denied, or could not be called for, a controller's pods.
    WebhookRefused,
    /// A failing custom resource (a cert-manager Certificate, an ExternalSecret) and the missing Secret it writes.
    ProducesSecret,
    /// A ValidatingAdmissionPolicy that denied a controller's pods.
    AdmissionPolicyRefused,
}

impl LinkKind {
    /// The kebab-case name, as serialized.
    pub fn as_str(self) -> &'static str {
        use LinkKind::*;
        match self {
            ControlledBy => "controlled-by",
            RunsOn => "runs-on",
            MountsClaim => "mounts-claim",
            UsesStorageClass => "uses-storage-class",
            BoundVolume => "bound-volume",
            ConfigMapRef => "config-map-ref",
            SecretRef => "secret-ref",
            PullSecretRef => "pull-secret-ref",
            Selects => "selects",
            RoutesTo => "routes-to",
            CallsService => "calls-service",
            ScalesTarget => "scales-target",
            QuotaExceeded => "quota-exceeded",
            LimitRangeRefused => "limit-range-refused",
            ServiceAccountMissing => "service-account-missing",
            WebhookRefused => "webhook-refused",
            ProducesSecret => "produces-secret",
            AdmissionPolicyRefused => "admission-policy-refused",
        }
    }

    pub fn family(self) -> LinkFamily {
        use LinkKind::*;
        match self {
            ControlledBy => LinkFamily::Owner,
            RunsOn => LinkFamily::Scheduling,
            MountsClaim | UsesStorageClass | BoundVolume => LinkFamily::Storage,
            ConfigMapRef | SecretRef | PullSecretRef | ProducesSecret => LinkFamily::Config,
            Selects | RoutesTo | CallsService | ScalesTarget => LinkFamily::Serving,
            QuotaExceeded | LimitRangeRefused | ServiceAccountMissing | WebhookRefused | AdmissionPolicyRefused => {
                LinkFamily::Admission
            }
        }
    }

    /// Whether the cause is at fault by itself (missing, used up, refusing, down), so that a chain may start
    /// there when it carries no finding. A Pod or ReplicaSet that is merely not ready only carries a failure
    /// along: without a finding or a further link it explains nothing.
    pub fn blames_cause(self) -> bool {
        !matches!(self, LinkKind::ControlledBy | LinkKind::Selects)
    }

    /// Whether a finding with this code, on the effect of this link, is a consequence of the cause. A finding
    /// about something else on the same object (a StatefulSet's missing governing Service, a paused
    /// Deployment) is not.
    pub fn explains(self, code: &str) -> bool {
        use LinkKind::*;
        let codes: &[&str] = match self {
            ControlledBy => &[
                "deployment-unavailable",
                "deployment-progress-deadline-exceeded",
                "statefulset-pods-not-ready",
                "daemonset-pods-not-ready",
                "job-failed",
                "cronjob-last-run-failed",
            ],
            // A node that stopped reporting explains whatever its pods show.
            RunsOn => return code.starts_with("pod-"),
            MountsClaim => &["pod-unschedulable", "pod-volume-mount-failed"],
            UsesStorageClass => {
                &["pvc-storage-class-missing", "pvc-provisioning-failed", "statefulset-storage-class-missing"]
            }
            BoundVolume => &["pvc-lost"],
            // The effect is a Secret, which no analyzer reports on: the link only carries a failure along.
            ProducesSecret => &[],
            ConfigMapRef => &[
                "pod-container-config-error",
                "pod-volume-mount-failed",
                "reference-configmap-missing",
                "reference-configmap-key-missing",
            ],
            SecretRef => &["pod-container-config-error", "pod-volume-mount-failed"],
            PullSecretRef => &["pod-image-pull-failed", "daemonset-image-pull-secret-missing"],
            Selects => &["service-no-ready-endpoints"],
            RoutesTo => &["ingress-backend-service-missing"],
            CallsService => &["webhook-service-missing", "webhook-no-ready-endpoints"],
            ScalesTarget => &["hpa-target-missing", "hpa-scaling-inactive"],
            ServiceAccountMissing if code == "reference-serviceaccount-missing" => return true,
            QuotaExceeded | LimitRangeRefused | ServiceAccountMissing | WebhookRefused | AdmissionPolicyRefused => &[
                "replicaset-create-failed",
                "deployment-unavailable",
                "statefulset-pods-not-ready",
                "daemonset-pods-not-ready",
                "job-failed",
            ],
        };
        codes.contains(&code)
    }
}

/// One link: `effect` is down, or degraded, because `cause` is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub kind: LinkKind,
    pub family: LinkFamily,
    pub cause: ObjectRef,
    pub effect: ObjectRef,
    /// The fact that makes the link, naming the fields it was read from.
    pub evidence: String,
}

impl Link {
    pub(crate) fn new(kind: LinkKind, cause: ObjectRef, effect: ObjectRef, evidence: impl Into<String>) -> Link {
        Link { kind, family: kind.family(), cause, effect, evidence: crate::finding::one_line(&evidence.into()) }
    }
}

/// Every link the snapshot shows, in a stable order, without duplicates.
pub fn derive(snapshot: &Snapshot, findings: &[Finding]) -> Vec<Link> {
    let mut codes: HashMap<Key, Vec<&str>> = HashMap::new();
    for f in findings {
        codes.entry(key(&f.object)).or_default().push(&f.code);
    }
    let ctx = Ctx { snapshot, codes };
    let mut links = Vec::new();
    links.extend(owner::links(&ctx));
    links.extend(scheduling::links(&ctx));
    links.extend(storage::links(&ctx));
    links.extend(config::links(&ctx));
    links.extend(serving::links(&ctx));
    links.extend(admission::links(&ctx));
    links.extend(custom::links(&ctx));
    let mut seen = std::collections::HashSet::new();
    links.retain(|l| seen.insert((l.kind, key(&l.cause), key(&l.effect))));
    links
}

/// An object's identity in the link graph: kind, namespace ("" when cluster-scoped), name.
pub(crate) type Key = (String, String, String);

pub(crate) fn key(object: &ObjectRef) -> Key {
    (object.kind.clone(), object.namespace.clone().unwrap_or_default(), object.name.clone())
}

/// What every family reads: the snapshot, and the codes of the findings on each object.
pub(crate) struct Ctx<'a> {
    pub snapshot: &'a Snapshot,
    codes: HashMap<Key, Vec<&'a str>>,
}

impl Ctx<'_> {
    /// Whether the object has a finding with one of these codes.
    pub fn has_finding(&self, object: &ObjectRef, codes: &[&str]) -> bool {
        self.codes.get(&key(object)).is_some_and(|found| found.iter().any(|c| codes.contains(c)))
    }

    /// Whether an object of a readable kind is known to be absent: its kind was read and it is not there.
    pub fn absent(&self, kind: Kind, namespace: &str, name: &str) -> bool {
        self.snapshot.has_read(kind) && self.snapshot.objects.meta(kind, namespace, name).is_none()
    }
}

/// A reference to an object of a readable kind, present or not (uid left out: links match by name).
pub(crate) fn object(kind: Kind, namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: kind.api_version().to_string(),
        kind: kind.name().to_string(),
        namespace: kind.namespaced().then(|| namespace.to_string()).filter(|n| !n.is_empty()),
        name: name.to_string(),
        uid: None,
    }
}

/// A reference to an object of a kind the snapshot does not hold (a PersistentVolume, an owner of another kind).
pub(crate) fn other(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.map(str::to_string),
        name: name.into(),
        uid: None,
    }
}

/// A reference from an object's metadata.
/// Links from the objects a top-level pod template (a workload, or a Pod without a controller) references and the
/// snapshot shows missing, those `wanted` picks, to the template: the spec and the snapshot say it all.
fn template_links(ctx: &Ctx, kind: LinkKind, wanted: impl Fn(&crate::kinds::references::Missing) -> bool) -> Vec<Link> {
    use crate::kinds::references;
    let mut links = Vec::new();
    for template in references::templates(ctx.snapshot) {
        let ns = crate::kinds::namespace_of(template.meta);
        for missing in references::missing(ctx.snapshot, template.meta, template.spec).into_iter().filter(&wanted) {
            links.push(Link::new(kind, missing.object(ns), of(template.kind, template.meta), missing.describe()));
        }
    }
    links
}

pub(crate) fn of(kind: Kind, meta: &ObjectMeta) -> ObjectRef {
    object(kind, meta.namespace.as_deref().unwrap_or(""), meta.name.as_deref().unwrap_or(""))
}

/// The controlling owner reference, only when marked `controller: true`.
pub(crate) fn controller(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references.as_ref()?.iter().find(|o| o.controller == Some(true))
}

/// The owner as a reference in the owned object's namespace (owners of namespaced objects are namespaced).
pub(crate) fn owner_object(owner: &OwnerReference, namespace: &str) -> ObjectRef {
    match Kind::from_type(&owner.api_version, &owner.kind) {
        Some(kind) => object(kind, namespace, &owner.name),
        None => other(&owner.api_version, &owner.kind, Some(namespace).filter(|n| !n.is_empty()), &owner.name),
    }
}

/// `Succeeded` or `Failed`: a finished pod serves nothing and waits for nothing.
pub(crate) fn finished(pod: &Pod) -> bool {
    matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
}

/// The pod's `Ready` condition as `Ready=False (reason)`, or None when it is `True`. A pod without the
/// condition (not scheduled yet) is not ready.
pub(crate) fn not_ready(pod: &Pod) -> Option<String> {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Unknown");
    match crate::kinds::condition!(pod.status, "Ready") {
        Some(c) if c.status == "True" => None,
        Some(c) => Some(match &c.reason {
            Some(reason) => format!("Ready={} ({reason})", c.status),
            None => format!("Ready={}", c.status),
        }),
        None => Some(format!("phase {phase}, no Ready condition")),
    }
}

/// The waiting reasons and messages of every container (init containers included).
pub(crate) fn waiting(pod: &Pod) -> Vec<(&str, &str)> {
    let Some(status) = pod.status.as_ref() else { return Vec::new() };
    let all = status.init_container_statuses.iter().flatten().chain(status.container_statuses.iter().flatten());
    all.filter_map(|c| c.state.as_ref()?.waiting.as_ref())
        .map(|w| (w.reason.as_deref().unwrap_or(""), w.message.as_deref().unwrap_or("")))
        .collect()
}

/// The text after `marker` up to the first character that cannot be part of an object name.
pub(crate) fn name_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let start = text.find(marker)? + marker.len();
    let rest = &text[start..];
    let end =
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/'))).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|n| !n.is_empty())
}

/// The text between the `"` after `marker` and the next `"`.
pub(crate) fn quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let start = text.find(marker)? + marker.len();
    let rest = text[start..].strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end]).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_at_the_first_separator() {
        let m = "pods \"x\" is forbidden: exceeded quota: shop-quota, requested: limits.memory=2Gi";
        assert_eq!(name_after(m, "exceeded quota: "), Some("shop-quota"));
        assert_eq!(name_after("no marker", "exceeded quota: "), None);
        assert_eq!(quoted_after("failed calling webhook \"a.b.c\": x", "failed calling webhook "), Some("a.b.c"));
        assert_eq!(quoted_after("failed calling webhook a", "failed calling webhook "), None);
    }

    #[test]
    fn names_match_serde() {
        for kind in [LinkKind::ControlledBy, LinkKind::UsesStorageClass, LinkKind::ServiceAccountMissing] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn every_kind_explains_something_and_pod_codes_belong_to_runs_on() {
        assert!(LinkKind::RunsOn.explains("pod-crash-loop"));
        assert!(!LinkKind::RunsOn.explains("deployment-unavailable"));
        assert!(!LinkKind::ControlledBy.explains("statefulset-service-missing"));
        assert!(!LinkKind::Selects.explains("service-no-pods"), "no pods selected is never caused by a pod");
    }
}
