//! CronJobs: schedules Kubernetes cannot parse or that never fire, a most recent run that failed, suspension.
//!
//! Kubernetes parses `spec.schedule` with robfig/cron v3 (`ParseStandard`): five fields or a descriptor, with a
//! few liberties (`?` in any field, `N/step`, names in any case) and a few restrictions (no `L`, `W`, `#`, no
//! seconds field, case-sensitive descriptors). croner alone disagrees on several of these, so the schedule is
//! first checked and rewritten here the way robfig reads it, and croner then expands the canonical fields.

use super::job::{cron_job_owner, failure, failure_evidence, failure_summary};
use super::{name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::cron::{never_fires, parse_schedule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::{CronJob, Job};
use crate::snapshot::Snapshot;

pub(crate) struct CronJobAnalyzer;

const NAME: &str = "cronjob";

const INVALID_SCHEDULE: CodeInfo = CodeInfo {
    code: "cronjob-invalid-schedule",
    summary: "spec.schedule does not parse as a Kubernetes cron schedule, so no Job is ever created.",
    severity: SeverityRule::fixed(Severity::High),
};
const NEVER_RUNS: CodeInfo = CodeInfo {
    code: "cronjob-schedule-never-runs",
    summary: "spec.schedule parses but names no date that exists (such as 30 February), so no Job is ever created.",
    severity: SeverityRule::fixed(Severity::High),
};
const LAST_RUN_FAILED: CodeInfo = CodeInfo {
    code: "cronjob-last-run-failed",
    summary: "The most recent Job the CronJob created has failed.",
    severity: SeverityRule::fixed(Severity::High),
};
const SUSPENDED: CodeInfo = CodeInfo {
    code: "cronjob-suspended",
    summary: "The CronJob is suspended (spec.suspend): no new Jobs are created until it is resumed.",
    severity: SeverityRule::fixed(Severity::Info),
};

impl Analyzer for CronJobAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Jobs to find the CronJob's most recent run.
        &[Kind::CronJob, Kind::Job]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[INVALID_SCHEDULE, NEVER_RUNS, LAST_RUN_FAILED, SUSPENDED]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.cron_jobs.iter().flat_map(|c| analyze_cron_job(snapshot, c)).collect()
    }
}

fn analyze_cron_job(snapshot: &Snapshot, cron: &CronJob) -> Vec<Finding> {
    let mut findings = Vec::new();
    if cron.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let (ns, name) = (namespace_of(&cron.metadata), name_of(&cron.metadata));
    let schedule = cron.spec.schedule.as_str();
    let schedule_evidence = || Evidence::field("spec.schedule", schedule);

    match parse_schedule(schedule) {
        Err(why) => findings.push(
            snapshot
                .finding(
                    NAME,
                    &INVALID_SCHEDULE,
                    cron,
                    Severity::High,
                    format!("schedule \"{schedule}\" does not parse: {why}"),
                )
                .with_evidence([schedule_evidence()])
                .with_evidence(recent_warnings(snapshot.warnings_for(Kind::CronJob, ns, name))),
        ),
        Ok(Some(fields)) => {
            if let Some(why) = never_fires(&fields) {
                findings.push(
                    snapshot
                        .finding(
                            NAME,
                            &NEVER_RUNS,
                            cron,
                            Severity::High,
                            format!("schedule \"{schedule}\" never fires: {why}"),
                        )
                        .with_evidence([schedule_evidence()]),
                );
            }
        }
        Ok(None) => {}
    }

    if cron.spec.suspend == Some(true) {
        findings.push(
            snapshot
                .finding(
                    NAME,
                    &SUSPENDED,
                    cron,
                    Severity::Info,
                    "cronjob is suspended: no new jobs are created until it is resumed",
                )
                .with_evidence([Evidence::field("spec.suspend", "true")]),
        );
    }

    let newest = snapshot
        .objects
        .jobs
        .in_namespace(ns)
        .filter(|j| cron_job_owner(j) == Some(name))
        .max_by(|a, b| run_time(a).cmp(&run_time(b)).then_with(|| name_of(&a.metadata).cmp(name_of(&b.metadata))));
    if let Some(job) = newest
        && job.metadata.deletion_timestamp.is_none()
        && let Some(failed) = failure(job)
    {
        let job_name = name_of(&job.metadata);
        findings.push(
            snapshot
                .finding(
                    NAME,
                    &LAST_RUN_FAILED,
                    cron,
                    Severity::High,
                    format!("most recent run, job {job_name}, {}", failure_summary(job, failed)),
                )
                .with_evidence([Evidence::field("job", job_name)])
                .with_evidence(failure_evidence(job, failed))
                .with_evidence(recent_warnings(snapshot.warnings_for(Kind::Job, ns, job_name))),
        );
    }
    findings
}

/// When a run started, or when its Job was created if it has not started.
fn run_time(job: &Job) -> Option<jiff::Timestamp> {
    job.status.as_ref().and_then(|s| s.start_time.as_ref()).or(job.metadata.creation_timestamp.as_ref()).map(|t| t.0)
}
