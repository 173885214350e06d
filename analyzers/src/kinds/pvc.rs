//! PersistentVolumeClaims: provisioning that fails, a StorageClass that does not exist, and claims that lost
//! their volume.

use k8s_openapi::api::core::v1::PersistentVolumeClaim;

use super::{name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct PvcAnalyzer;

const NAME: &str = "pvc";

/// Before `spec.storageClassName`, the class was named by this annotation; the API server still honours it.
const LEGACY_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

const PROVISIONING_FAILED: CodeInfo = CodeInfo {
    code: "pvc-provisioning-failed",
    summary: "The claim is Pending because its volume cannot be provisioned (ProvisioningFailed events).",
    severity: SeverityRule::fixed(Severity::High),
};
const STORAGE_CLASS_MISSING: CodeInfo = CodeInfo {
    code: "pvc-storage-class-missing",
    summary: "The claim is Pending because it names a StorageClass that does not exist.",
    severity: SeverityRule::fixed(Severity::High),
};
const LOST: CodeInfo = CodeInfo {
    code: "pvc-lost",
    summary: "The claim is Lost: its bound PersistentVolume no longer exists, and the data behind it may be gone.",
    severity: SeverityRule::fixed(Severity::Critical),
};

impl Analyzer for PvcAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::PersistentVolumeClaim, Kind::StorageClass]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[PROVISIONING_FAILED, STORAGE_CLASS_MISSING, LOST]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.persistent_volume_claims.iter().filter_map(|pvc| analyze_pvc(snapshot, pvc)).collect()
    }
}

fn analyze_pvc(snapshot: &Snapshot, pvc: &PersistentVolumeClaim) -> Option<Finding> {
    if pvc.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let (ns, name) = (namespace_of(&pvc.metadata), name_of(&pvc.metadata));
    let phase = pvc.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
    let volume = pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref()).filter(|v| !v.is_empty());

    if phase == "Lost" {
        let message = match volume {
            Some(v) => format!("claim is Lost: its volume {v} no longer exists"),
            None => "claim is Lost: its volume no longer exists".to_string(),
        };
        return Some(
            snapshot
                .finding(NAME, &LOST, pvc, Severity::Critical, message)
                .with_evidence([Evidence::field("phase", "Lost")])
                .with_evidence(volume.map(|v| Evidence::field("volumeName", v)))
                .with_evidence(recent_warnings(snapshot.warnings_for(Kind::PersistentVolumeClaim, ns, name))),
        );
    }
    if phase != "Pending" {
        return None;
    }

    // An empty class means "bind to a pre-created volume, never provision": waiting for one is not a fault here.
    let class = pvc
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(LEGACY_CLASS_ANNOTATION))
        .or_else(|| pvc.spec.as_ref().and_then(|s| s.storage_class_name.as_ref()))
        .map(String::as_str)
        .filter(|c| !c.is_empty());
    if let Some(class) = class
        && snapshot.has_read(Kind::StorageClass)
        && snapshot.objects.storage_classes.get("", class).is_none()
    {
        return Some(
            snapshot
                .finding(
                    NAME,
                    &STORAGE_CLASS_MISSING,
                    pvc,
                    Severity::High,
                    format!("claim is Pending: StorageClass {class} does not exist"),
                )
                .with_evidence([Evidence::field("storageClassName", class)])
                .with_evidence(recent_warnings(snapshot.warnings_for(Kind::PersistentVolumeClaim, ns, name))),
        );
    }

    // The newest provisioning outcome decides: a failure followed by a success is a claim about to bind.
    let events: Vec<_> = snapshot.events_for(Kind::PersistentVolumeClaim, ns, name).collect();
    let outcome = events
        .iter()
        .copied()
        .find(|e| matches!(e.reason.as_deref(), Some("ProvisioningFailed" | "ProvisioningSucceeded")))?;
    if outcome.reason.as_deref() != Some("ProvisioningFailed") || outcome.type_.as_deref() != Some("Warning") {
        return None;
    }
    let detail = outcome.message.as_deref().unwrap_or("no message");
    Some(
        snapshot
            .finding(
                NAME,
                &PROVISIONING_FAILED,
                pvc,
                Severity::High,
                format!("claim is Pending: provisioning failed: {detail}"),
            )
            .with_evidence(class.map(|c| Evidence::field("storageClassName", c)))
            .with_evidence(recent_warnings(events.iter().copied().filter(|e| {
                e.type_.as_deref() == Some("Warning") && e.reason.as_deref() == Some("ProvisioningFailed")
            }))),
    )
}
