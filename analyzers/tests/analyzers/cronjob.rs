use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_cron_job_problem_with_its_code() {
    let findings = analyze("cronjob", "cronjob/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("cronjob-invalid-schedule", "cleanup-fields"),
        ("cronjob-invalid-schedule", "rotate-logs"),
        ("cronjob-invalid-schedule", "payroll"),
        ("cronjob-invalid-schedule", "month-end"),
        ("cronjob-schedule-never-runs", "leap-audit"),
        ("cronjob-suspended", "newsletter"),
        ("cronjob-last-run-failed", "db-backup"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn invalid_schedules_say_why() {
    let findings = analyze("cronjob", "cronjob/broken.yaml");
    let fields = find(&findings, "cronjob-invalid-schedule", "cleanup-fields");
    assert_severity(fields, Severity::High);
    assert!(fields.message.starts_with("schedule \"0 3 * *\" does not parse"), "{}", fields.message);
    assert!(fields.message.contains("expected 5 fields"), "{}", fields.message);
    let hour = find(&findings, "cronjob-invalid-schedule", "rotate-logs");
    assert!(hour.message.contains("hour field \"24\": 24 is above the maximum 23"), "{}", hour.message);
    let descriptor = find(&findings, "cronjob-invalid-schedule", "payroll");
    assert!(descriptor.message.contains("unknown descriptor @fortnightly"), "{}", descriptor.message);
    let never = find(&findings, "cronjob-schedule-never-runs", "leap-audit");
    assert_severity(never, Severity::High);
    assert!(never.message.contains("no month among feb has day 30"), "{}", never.message);
}

#[test]
fn most_recent_run_failed_names_the_job() {
    let findings = analyze("cronjob", "cronjob/broken.yaml");
    let failed = find(&findings, "cronjob-last-run-failed", "db-backup");
    assert_severity(failed, Severity::High);
    assert!(failed.message.contains("db-backup-29013210"), "{}", failed.message);
    assert!(failed.message.contains("(BackoffLimitExceeded)"), "{}", failed.message);
}

#[test]
fn suspension_is_info() {
    let findings = analyze("cronjob", "cronjob/broken.yaml");
    assert_severity(find(&findings, "cronjob-suspended", "newsletter"), Severity::Info);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("cronjob", "cronjob/broken.yaml"));
}

#[test]
fn valid_schedules_and_recovered_cron_jobs_are_not_findings() {
    assert_no_findings("cronjob", "cronjob/healthy.yaml");
}
