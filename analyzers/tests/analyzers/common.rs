use std::path::PathBuf;

use mekhanikube_analyzers::{Finding, Severity, Snapshot, SnapshotBuilder, run, select};

pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
}

/// Every fixture file, as paths relative to the fixtures folder, sorted.
pub fn all_fixtures() -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json") {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = fixture_path("");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// Loads one fixture file into a snapshot.
pub fn load(fixture: &str) -> Snapshot {
    let path = fixture_path(fixture);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut builder = SnapshotBuilder::new();
    builder.add_text(fixture, &text).unwrap_or_else(|e| panic!("{e}"));
    builder.build()
}

/// Loads one fixture file and runs one analyzer over it.
pub fn analyze(analyzer: &str, fixture: &str) -> Vec<Finding> {
    let analyzers = select(&[analyzer.to_string()]).expect("known analyzer");
    run(&analyzers, &load(fixture))
}

/// `(code, object name)` pairs, in report order.
pub fn codes_and_names(findings: &[Finding]) -> Vec<(String, String)> {
    findings.iter().map(|f| (f.code.clone(), f.object.name.clone())).collect()
}

pub fn find<'a>(findings: &'a [Finding], code: &str, name: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == code && f.object.name == name)
        .unwrap_or_else(|| panic!("no {code} finding for {name}; got {:?}", codes_and_names(findings)))
}

pub fn assert_no_findings(analyzer: &str, fixture: &str) {
    let findings = analyze(analyzer, fixture);
    assert!(findings.is_empty(), "{fixture}: expected no findings, got {:#?}", codes_and_names(&findings));
}

pub fn assert_severity(finding: &Finding, severity: Severity) {
    assert_eq!(finding.severity, severity, "{} on {}", finding.code, finding.object.name);
}

/// Loads a fixture (a path under tests/fixtures, or from the repository root with `../../`), runs every
/// analyzer and links the findings into problems.
pub fn linked(fixture: &str) -> (Vec<Finding>, Vec<mekhanikube_analyzers::Problem>) {
    let path = fixture_path(fixture);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut builder = SnapshotBuilder::new();
    builder.add_text(fixture, &text).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = builder.build();
    let mut findings = run(&select(&[]).expect("all analyzers"), &snapshot);
    let problems = mekhanikube_analyzers::problems(&snapshot, &mut findings);
    (findings, problems)
}

/// Each problem as `root code root-object-name: [member code member-name, ...]`, for readable assertions.
pub fn outline(findings: &[Finding], problems: &[mekhanikube_analyzers::Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let members: Vec<String> =
                p.findings(findings).iter().map(|f| format!("{} {}", f.code, f.object.name)).collect();
            members.join(" | ")
        })
        .collect()
}

/// Every link the fixture shows, whether or not a problem walks it.
pub fn all_links(fixture: &str) -> Vec<mekhanikube_analyzers::Link> {
    let path = fixture_path(fixture);
    let mut builder = SnapshotBuilder::new();
    builder.add_text(fixture, &std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = builder.build();
    let findings = run(&select(&[]).expect("all analyzers"), &snapshot);
    mekhanikube_analyzers::derive_links(&snapshot, &findings)
}
