//! StatefulSets: a missing governing Service, pods that are not ready, volume claim templates naming a
//! StorageClass that does not exist.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{int_or_percent, name_of, namespace_of, shortfall_severity};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::StatefulSet;
use crate::snapshot::Snapshot;

pub(crate) struct StatefulSetAnalyzer;

const NAME: &str = "statefulset";

const SERVICE_MISSING: CodeInfo = CodeInfo {
    code: "statefulset-service-missing",
    summary: "spec.serviceName names a governing Service that does not exist, so pods get no stable DNS names.",
    severity: SeverityRule::fixed(Severity::Medium),
};
const NOT_READY: CodeInfo = CodeInfo {
    code: "statefulset-pods-not-ready",
    summary: "Fewer pods are ready than spec.replicas, outside a rollout or ordered start-up.",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::Critical, Severity::High],
        when: "critical when no pod is ready, high when fewer than half are",
    },
};
const STORAGE_CLASS_MISSING: CodeInfo = CodeInfo {
    code: "statefulset-storage-class-missing",
    summary: "A volume claim template names a StorageClass that does not exist, so new claims cannot be provisioned.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium],
        when: "medium when every pod is ready",
    },
};

/// The deprecated annotation that predates `storageClassName` and still wins when set.
const STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

impl Analyzer for StatefulSetAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Services and StorageClasses to check that the ones named exist.
        &[Kind::StatefulSet, Kind::Service, Kind::StorageClass]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[SERVICE_MISSING, NOT_READY, STORAGE_CLASS_MISSING]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.stateful_sets.iter().flat_map(|s| analyze_stateful_set(snapshot, s)).collect()
    }
}

fn analyze_stateful_set(snapshot: &Snapshot, sts: &StatefulSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    if sts.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let Some(spec) = sts.spec.as_ref() else {
        return findings;
    };
    let desired = spec.replicas.unwrap_or(1);
    if desired <= 0 {
        return findings;
    }
    let ns = namespace_of(&sts.metadata);
    let status = sts.status.as_ref();
    let ready = status.and_then(|s| s.ready_replicas).unwrap_or(0);

    if let Some(service) = spec.service_name.as_deref().filter(|s| !s.is_empty())
        && snapshot.has_read(Kind::Service)
        && snapshot.objects.services.get(ns, service).is_none()
    {
        findings.push(
            snapshot
                .finding(
                    NAME,
                    &SERVICE_MISSING,
                    sts,
                    Severity::Medium,
                    format!(
                        "governing Service {service} does not exist in namespace {ns}; pods get no stable DNS names"
                    ),
                )
                .with_evidence([Evidence::field("spec.serviceName", service)]),
        );
    }

    if snapshot.has_read(Kind::StorageClass) {
        let missing: Vec<(String, String)> = spec
            .volume_claim_templates
            .iter()
            .flatten()
            .filter_map(|t| {
                let class = t
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(STORAGE_CLASS_ANNOTATION))
                    .or_else(|| t.spec.as_ref().and_then(|s| s.storage_class_name.as_ref()))?;
                // Absent means the default class; "" means no class (static binding). Both are fine.
                if class.is_empty() || snapshot.objects.storage_classes.get("", class).is_some() {
                    return None;
                }
                Some((name_of(&t.metadata).to_string(), class.clone()))
            })
            .collect();
        for (template, class) in missing {
            // Claims that already exist are bound; the missing class bites new replicas. It is likely the cause
            // when pods are not ready.
            let severity = if ready < desired { Severity::High } else { Severity::Medium };
            findings.push(
                snapshot
                    .finding(
                        NAME,
                        &STORAGE_CLASS_MISSING,
                        sts,
                        severity,
                        format!("volume claim template {template} uses StorageClass {class}, which does not exist"),
                    )
                    .with_evidence([
                        Evidence::field("volumeClaimTemplate", template),
                        Evidence::field("storageClassName", class),
                    ]),
            );
        }
    }

    if let Some(f) = not_ready_finding(snapshot, sts, desired, ready) {
        findings.push(f);
    }
    findings
}

fn not_ready_finding(snapshot: &Snapshot, sts: &StatefulSet, desired: i32, ready: i32) -> Option<Finding> {
    if ready >= desired {
        return None;
    }
    let spec = sts.spec.as_ref()?;
    let status = sts.status.as_ref()?;
    // The controller has not acted on the latest spec yet: the counts describe the previous one.
    if status.observed_generation.unwrap_or(0) < sts.metadata.generation.unwrap_or(0) {
        return None;
    }
    let (ns, name) = (namespace_of(&sts.metadata), name_of(&sts.metadata));
    let created = status.replicas;
    let not_ready = desired - ready;
    let failed_creates: Vec<_> = snapshot
        .warnings_for(Kind::StatefulSet, ns, name)
        .filter(|e| e.reason.as_deref() == Some("FailedCreate"))
        .collect();
    let creating = created < desired;

    // A rolling update the controller is still carrying out: revisions differ and fewer pods are updated than
    // the partition allows. (OnDelete and a partition reached leave revisions apart for good, by design.)
    let strategy = spec.update_strategy.as_ref();
    let rolling_strategy = strategy.and_then(|u| u.type_.as_deref()).unwrap_or("RollingUpdate") == "RollingUpdate";
    let rolling_update = strategy.and_then(|u| u.rolling_update.as_ref());
    let partition = rolling_update.and_then(|r| r.partition).unwrap_or(0).clamp(0, desired);
    let rolling = rolling_strategy
        && matches!((&status.current_revision, &status.update_revision), (Some(c), Some(u)) if c != u)
        && status.updated_replicas.unwrap_or(0) < desired - partition;
    let max_unavailable = rolling_update.and_then(|r| r.max_unavailable.as_ref());
    if rolling && !creating && not_ready <= scaled(max_unavailable, desired) {
        // A rolling update replaces pods a few at a time; those being replaced are briefly not ready.
        return None;
    }
    let ordered = spec.pod_management_policy.as_deref().unwrap_or("OrderedReady") == "OrderedReady";
    if creating && failed_creates.is_empty() && (!ordered || created - ready <= 1) {
        // Start-up or scale-up under way: in order, the next pod is created once the previous one is ready; in
        // parallel, the missing pods are being created. A pod stuck on the way is the pod analyzer's to explain.
        return None;
    }

    let severity = shortfall_severity(ready, desired);
    let mut message = format!("{ready} of {desired} pods ready");
    if rolling {
        let updated = status.updated_replicas.unwrap_or(0);
        let revision = status.update_revision.as_deref().unwrap_or_default();
        message.push_str(&format!(" during a rolling update to {revision} ({updated} updated)"));
    }
    if creating {
        message.push_str(&format!(", {created} created"));
        if let Some(detail) = failed_creates.first().and_then(|e| e.message.as_deref()) {
            message.push_str(&format!("; pods cannot be created: {detail}"));
        }
    }
    let mut evidence = vec![
        Evidence::field("spec.replicas", desired.to_string()),
        Evidence::field("status.replicas", created.to_string()),
        Evidence::field("status.readyReplicas", ready.to_string()),
    ];
    if rolling {
        evidence.push(Evidence::field("status.currentRevision", status.current_revision.clone().unwrap_or_default()));
        evidence.push(Evidence::field("status.updateRevision", status.update_revision.clone().unwrap_or_default()));
    }
    Some(
        snapshot
            .finding(NAME, &NOT_READY, sts, severity, message)
            .with_evidence(evidence)
            .with_evidence(recent_warnings(snapshot.warnings_for(Kind::StatefulSet, ns, name))),
    )
}

/// Resolves a rolling update's maxUnavailable against the replica count: an int, or a percentage rounded down;
/// at least 1, the default.
fn scaled(value: Option<&IntOrString>, total: i32) -> i32 {
    value.and_then(|v| int_or_percent(v, total, false)).unwrap_or(1).max(1)
}
