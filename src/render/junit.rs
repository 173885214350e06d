//! JUnit XML for CI test reports: one test suite per analyzer, one test case per object it checked, failed when
//! the analyzer found something on that object at or above `--fail-on`. Findings below the threshold leave the
//! case passed, listed in its output. Written by `quick-junit` (the writer nextest uses), which also drops the
//! characters XML cannot carry.

use std::collections::BTreeMap;

use mekhanikube_analyzers::{Finding, ObjectRef, Severity};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::RenderError;
use crate::document::{AnalysisDocument, Checked};

pub fn junit(doc: &AnalysisDocument, checked: &[Checked], fail_on: Severity) -> Result<String, RenderError> {
    let mut report = Report::new("mekhanikube");
    for analyzer in checked {
        report.add_test_suite(suite(analyzer, &doc.findings, fail_on));
    }
    report.to_string().map_err(|e| RenderError { format: "JUnit", detail: e.to_string() })
}

fn suite(checked: &Checked, findings: &[Finding], fail_on: Severity) -> TestSuite {
    // Every object checked, and every object the analyzer reported on (some findings are about an object of
    // another kind than the one it checks), each once, in a stable order.
    let mut cases: BTreeMap<String, (&ObjectRef, Vec<&Finding>)> =
        checked.objects.iter().map(|o| (o.display(), (o, Vec::new()))).collect();
    for f in findings.iter().filter(|f| f.analyzer == checked.analyzer) {
        cases.entry(f.object.display()).or_insert((&f.object, Vec::new())).1.push(f);
    }
    let mut suite = TestSuite::new(checked.analyzer.as_str());
    for (name, (_, found)) in cases {
        suite.add_test_case(case(&checked.analyzer, name, &found, fail_on));
    }
    suite
}

fn case(analyzer: &str, name: String, found: &[&Finding], fail_on: Severity) -> TestCase {
    let failing: Vec<&&Finding> = found.iter().filter(|f| f.severity.at_least(fail_on)).collect();
    let status = match failing.first() {
        None => TestCaseStatus::success(),
        Some(worst) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!("{} ({}): {}", worst.code, worst.severity, worst.message))
                .set_type(worst.code.as_str())
                .set_description(lines(&failing.iter().map(|f| **f).collect::<Vec<_>>()));
            status
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(analyzer);
    let below: Vec<&Finding> = found.iter().copied().filter(|f| !f.severity.at_least(fail_on)).collect();
    if !below.is_empty() {
        case.set_system_out(lines(&below));
    }
    case
}

/// `severity code: message`, one finding per line.
fn lines(findings: &[&Finding]) -> String {
    findings.iter().map(|f| format!("{} {}: {}\n", f.severity, f.code, f.message)).collect()
}
