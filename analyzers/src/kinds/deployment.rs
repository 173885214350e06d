//! Deployments: replicas below the minimum availability, rollouts past their progress deadline, paused rollouts.

use super::{condition, condition_evidence, name_of, namespace_of, shortfall_severity};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::Deployment;
use crate::snapshot::Snapshot;

pub(crate) struct DeploymentAnalyzer;

const NAME: &str = "deployment";

const UNAVAILABLE: CodeInfo = CodeInfo {
    code: "deployment-unavailable",
    summary: "Fewer replicas are available than the rollout strategy allows (Available=False).",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::Critical, Severity::High],
        when: "critical when no replica is available, high when fewer than half are",
    },
};
const DEADLINE_EXCEEDED: CodeInfo = CodeInfo {
    code: "deployment-progress-deadline-exceeded",
    summary: "The rollout made no progress within progressDeadlineSeconds (ProgressDeadlineExceeded).",
    severity: SeverityRule::fixed(Severity::High),
};
const PAUSED: CodeInfo = CodeInfo {
    code: "deployment-paused",
    summary: "The rollout is paused: template changes are not rolled out until it is resumed.",
    severity: SeverityRule::fixed(Severity::Info),
};

/// Progressing=True reasons of a rollout still under way; the progress deadline bounds how long they last.
const ROLLOUT_UNDER_WAY: &[&str] = &["NewReplicaSetCreated", "FoundNewReplicaSet", "ReplicaSetUpdated"];

impl Analyzer for DeploymentAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Everything comes from the Deployment's own status: the controller folds the availability of its
        // ReplicaSets and their ReplicaFailure condition into it.
        &[Kind::Deployment]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[UNAVAILABLE, DEADLINE_EXCEEDED, PAUSED]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.deployments.iter().flat_map(|d| analyze_deployment(snapshot, d)).collect()
    }
}

fn analyze_deployment(snapshot: &Snapshot, deployment: &Deployment) -> Vec<Finding> {
    let mut findings = Vec::new();
    if deployment.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let spec = deployment.spec.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    if desired <= 0 {
        // Scaled to zero on purpose: nothing should be running.
        return findings;
    }
    let status = deployment.status.as_ref();
    let available = status.and_then(|s| s.available_replicas).unwrap_or(0);
    let unavailable = status.and_then(|s| s.unavailable_replicas).unwrap_or((desired - available).max(0));
    let updated = status.and_then(|s| s.updated_replicas).unwrap_or(0);
    let (ns, name) = (namespace_of(&deployment.metadata), name_of(&deployment.metadata));
    let warnings = || recent_warnings(snapshot.warnings_for(Kind::Deployment, ns, name));
    let counts = || {
        [
            Evidence::field("spec.replicas", desired.to_string()),
            Evidence::field("status.availableReplicas", available.to_string()),
            Evidence::field("status.unavailableReplicas", unavailable.to_string()),
            Evidence::field("status.updatedReplicas", updated.to_string()),
        ]
    };
    let progressing = condition!(deployment.status, "Progressing");
    let replica_failure = condition!(deployment.status, "ReplicaFailure").filter(|c| c.status == "True");

    if spec.and_then(|s| s.paused) == Some(true) {
        findings.push(
            snapshot
                .finding(
                    NAME,
                    &PAUSED,
                    deployment,
                    Severity::Info,
                    "rollout is paused: template changes are not rolled out until it is resumed",
                )
                .with_evidence([Evidence::field("spec.paused", "true")]),
        );
    }

    if let Some(p) = progressing
        && p.status == "False"
        && p.reason.as_deref() == Some("ProgressDeadlineExceeded")
    {
        let deadline = spec.and_then(|s| s.progress_deadline_seconds).unwrap_or(600);
        let detail = p.message.as_deref().unwrap_or("no message");
        findings.push(
            snapshot
                .finding(
                    NAME,
                    &DEADLINE_EXCEEDED,
                    deployment,
                    Severity::High,
                    format!(
                        "rollout made no progress within {deadline}s ({updated} of {desired} replicas updated, {available} available): {detail}"
                    ),
                )
                .with_evidence([condition_evidence!(p)])
                .with_evidence(replica_failure.map(|c| condition_evidence!(c)))
                .with_evidence(counts())
                .with_evidence(warnings()),
        );
    }

    if let Some(a) = condition!(deployment.status, "Available")
        && a.status == "False"
        && available < desired
    {
        // A rollout under way (new ReplicaSet created, pods coming up) is given until its progress deadline,
        // unless pods cannot even be created.
        let under_way = progressing
            .is_some_and(|p| p.status == "True" && p.reason.as_deref().is_some_and(|r| ROLLOUT_UNDER_WAY.contains(&r)));
        if !under_way || replica_failure.is_some() {
            let severity = shortfall_severity(available, desired);
            let mut message = format!("{available} of {desired} replicas available ({unavailable} unavailable)");
            if let Some(f) = replica_failure {
                message
                    .push_str(&format!("; pods cannot be created: {}", f.message.as_deref().unwrap_or("no message")));
            }
            findings.push(
                snapshot
                    .finding(NAME, &UNAVAILABLE, deployment, severity, message)
                    .with_evidence([condition_evidence!(a)])
                    .with_evidence(progressing.map(|c| condition_evidence!(c)))
                    .with_evidence(replica_failure.map(|c| condition_evidence!(c)))
                    .with_evidence(counts())
                    .with_evidence(warnings()),
            );
        }
    }
    findings
}
