//! Jobs: failed for good (backoff limit, active deadline, pod failure policy, failed indexes).

use k8s_openapi::api::batch::v1::JobCondition;

use super::{condition, condition_evidence, name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::Job;
use crate::snapshot::Snapshot;

pub(crate) struct JobAnalyzer;

const NAME: &str = "job";

const FAILED: CodeInfo = CodeInfo {
    code: "job-failed",
    summary: "The Job failed for good (Failed=True): backoff limit, active deadline, pod failure policy or failed indexes.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium],
        when: "medium for a Job created by a CronJob",
    },
};

impl Analyzer for JobAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // CronJob only to name it as the parent; a Job owned by a CronJob is recognised by its owner reference.
        &[Kind::Job, Kind::CronJob]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[FAILED]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.jobs.iter().filter_map(|job| analyze_job(snapshot, job)).collect()
    }
}

/// The condition that says a Job failed: `Failed=True`, or `FailureTarget=True`, which the controller sets as
/// soon as it has decided the Job fails, before its remaining pods have terminated and `Failed` is added.
pub(super) fn failure(job: &Job) -> Option<&JobCondition> {
    condition!(job.status, "Failed")
        .filter(|c| c.status == "True")
        .or_else(|| condition!(job.status, "FailureTarget").filter(|c| c.status == "True"))
}

/// Whether a CronJob created the Job (owner reference of kind CronJob).
pub(super) fn cron_job_owner(job: &Job) -> Option<&str> {
    let owners = job.metadata.owner_references.as_deref().unwrap_or_default();
    owners.iter().filter(|o| o.kind == "CronJob").min_by_key(|o| o.controller != Some(true)).map(|o| o.name.as_str())
}

/// "failed (Reason): message; 6 pods failed, 0 succeeded", shared with the CronJob analyzer.
pub(super) fn failure_summary(job: &Job, failed: &JobCondition) -> String {
    let reason = failed.reason.as_deref().unwrap_or("no reason given");
    let mut text = format!("failed ({reason})");
    if let Some(message) = failed.message.as_deref().filter(|m| !m.is_empty()) {
        text.push_str(&format!(": {message}"));
    }
    let status = job.status.as_ref();
    let failed_pods = status.and_then(|s| s.failed).unwrap_or(0);
    let succeeded = status.and_then(|s| s.succeeded).unwrap_or(0);
    let pods = if failed_pods == 1 { "pod" } else { "pods" };
    text.push_str(&format!("; {failed_pods} {pods} failed, {succeeded} succeeded"));
    if let Some(indexes) = status.and_then(|s| s.failed_indexes.as_deref()).filter(|i| !i.is_empty()) {
        text.push_str(&format!(", failed indexes {indexes}"));
    }
    text
}

/// The spec limit behind a failure reason, and the pod counts, as evidence.
pub(super) fn failure_evidence(job: &Job, failed: &JobCondition) -> Vec<Evidence> {
    let spec = job.spec.as_ref();
    let mut out = vec![condition_evidence!(failed)];
    match failed.reason.as_deref() {
        Some("BackoffLimitExceeded") => {
            let limit = spec.and_then(|s| s.backoff_limit).unwrap_or(6);
            out.push(Evidence::field("spec.backoffLimit", limit.to_string()));
        }
        Some("DeadlineExceeded") => {
            if let Some(deadline) = spec.and_then(|s| s.active_deadline_seconds) {
                out.push(Evidence::field("spec.activeDeadlineSeconds", deadline.to_string()));
            }
        }
        Some("FailedIndexes") => {
            if let Some(limit) = spec.and_then(|s| s.backoff_limit_per_index) {
                out.push(Evidence::field("spec.backoffLimitPerIndex", limit.to_string()));
            }
        }
        Some("MaxFailedIndexesExceeded") => {
            if let Some(limit) = spec.and_then(|s| s.max_failed_indexes) {
                out.push(Evidence::field("spec.maxFailedIndexes", limit.to_string()));
            }
        }
        _ => {}
    }
    let status = job.status.as_ref();
    out.push(Evidence::field("status.failed", status.and_then(|s| s.failed).unwrap_or(0).to_string()));
    out.push(Evidence::field("status.succeeded", status.and_then(|s| s.succeeded).unwrap_or(0).to_string()));
    out
}

fn analyze_job(snapshot: &Snapshot, job: &Job) -> Option<Finding> {
    if job.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let failed = failure(job)?;
    let (ns, name) = (namespace_of(&job.metadata), name_of(&job.metadata));
    // A CronJob's run that failed is a past failure: the next scheduled run starts afresh. The CronJob analyzer
    // reports the CronJob itself when its most recent run failed.
    let severity = if cron_job_owner(job).is_some() { Severity::Medium } else { Severity::High };
    Some(
        snapshot
            .finding(NAME, &FAILED, job, severity, format!("job {}", failure_summary(job, failed)))
            .with_evidence(failure_evidence(job, failed))
            .with_evidence(recent_warnings(snapshot.warnings_for(Kind::Job, ns, name))),
    )
}
