use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_failed_job() {
    let findings = analyze("job", "job/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("job-failed", "db-migrate"),
        ("job-failed", "catalog-import"),
        ("job-failed", "render-thumbnails"),
        ("job-failed", "shard-reindex"),
        ("job-failed", "nightly-report-29012340"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn message_gives_reason_and_pod_counts() {
    let findings = analyze("job", "job/broken.yaml");
    let backoff = find(&findings, "job-failed", "db-migrate");
    assert_severity(backoff, Severity::High);
    assert_eq!(
        backoff.message,
        "job failed (BackoffLimitExceeded): Job has reached the specified backoff limit; 5 pods failed, 0 succeeded"
    );
    let deadline = find(&findings, "job-failed", "catalog-import");
    assert!(deadline.message.starts_with("job failed (DeadlineExceeded)"), "{}", deadline.message);
    let indexes = find(&findings, "job-failed", "shard-reindex");
    assert!(indexes.message.contains("failed indexes 3,7"), "{}", indexes.message);
}

#[test]
fn failure_target_counts_before_failed_is_set() {
    let findings = analyze("job", "job/broken.yaml");
    let policy = find(&findings, "job-failed", "render-thumbnails");
    assert_severity(policy, Severity::High);
    assert!(policy.message.contains("(PodFailurePolicy)"), "{}", policy.message);
    assert!(policy.message.contains("exit code 42"), "{}", policy.message);
}

#[test]
fn a_cron_job_run_is_a_past_failure_under_its_cron_job() {
    let findings = analyze("job", "job/broken.yaml");
    let run = find(&findings, "job-failed", "nightly-report-29012340");
    assert_severity(run, Severity::Medium);
    let parent = run.parent.as_ref().expect("parent");
    assert_eq!((parent.kind.as_str(), parent.name.as_str()), ("CronJob", "nightly-report"));
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("job", "job/broken.yaml"));
}

#[test]
fn running_completed_suspended_and_deleted_jobs_are_not_findings() {
    assert_no_findings("job", "job/healthy.yaml");
}
