//! The CI and monitoring formats, each read back by its real consumer: SARIF by the published SARIF 2.1.0 schema
//! (the copy the `serde-sarif` crate is generated from), JUnit by Python's `junitparser`, the metrics file by the
//! Prometheus text parser of `prometheus_client` (the format node_exporter's textfile collector reads), Markdown by
//! a CommonMark parser. The Python tools come from tests/testenv/install-pytools.sh.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::common::{json, mekhanikube, repo_path, run};

fn demo() -> String {
    repo_path("examples/demo-cluster.yaml").display().to_string()
}

fn analyze(args: &[&str]) -> crate::common::Output {
    let out = run(mekhanikube().args(["analyze", "--snapshot", &demo()]).args(args));
    assert!(out.code == 0 || out.code == 1, "exit {}: {}", out.code, out.stderr);
    out
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The tools' python; None only off CI and outside `make test`, when they cannot be installed.
fn python() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let out =
                std::process::Command::new("bash").arg(repo_path("tests/testenv/install-pytools.sh")).output().unwrap();
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if out.status.success() && path.exists() {
                return Some(path);
            }
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(!ci() && !cfg!(feature = "live"), "the Python format checkers are required by `make test`: {why}");
            None
        })
        .clone()
}

/// Runs `script` with the tools' python on `input`; returns its stdout as JSON.
fn python_json(script: &str, input: &str) -> Option<serde_json::Value> {
    let python = python()?;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    std::fs::write(&file, input).unwrap();
    let out = std::process::Command::new(python).arg("-c").arg(script).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(json(&String::from_utf8_lossy(&out.stdout)))
}

#[allow(clippy::print_stderr)]
fn skipped(what: &str) {
    eprintln!("note: skipped {what}: the Python tools could not be installed (`make test` and CI=true make this fail)");
}

/// The findings of the demo cluster, as `-o json` gives them.
fn demo_findings() -> Vec<serde_json::Value> {
    json(&analyze(&["-o", "json"]).stdout)["findings"].as_array().unwrap().clone()
}

/// The published SARIF 2.1.0 schema, from the sources of the crate whose types are generated from it.
fn sarif_schema() -> serde_json::Value {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let registry = cargo_home.join("registry/src");
    for index in std::fs::read_dir(&registry).unwrap() {
        let candidate = index.unwrap().path().join("serde-sarif-0.8.0/src/schema.json");
        if candidate.is_file() {
            return serde_json::from_str(&std::fs::read_to_string(candidate).unwrap()).unwrap();
        }
    }
    panic!("serde-sarif's schema.json not found under {}", registry.display());
}

#[test]
fn sarif_is_valid_against_the_published_schema_and_carries_every_finding() {
    let schema = sarif_schema();
    assert_eq!(schema["title"], "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema");
    let sarif = json(&analyze(&["-o", "sarif"]).stdout);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "SARIF does not validate: {errors:#?}");

    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let findings = demo_findings();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (result, finding) in results.iter().zip(&findings) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "ruleIndex points at the rule");
        assert_eq!(result["ruleId"], finding["code"]);
        let o = &finding["object"];
        let name = match o["namespace"].as_str() {
            Some(ns) => format!("{ns}/{}/{}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()),
            None => format!("{}/{}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()),
        };
        assert_eq!(result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], name.as_str());
        assert_eq!(result["partialFingerprints"]["mekhanikube/v1"], finding["id"]);
        let level = match finding["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(result["level"], level);
    }
    let crash = rules.iter().find(|r| r["id"] == "pod-crash-loop").expect("a rule per code");
    assert!(!crash["shortDescription"]["text"].as_str().unwrap().is_empty());
    assert_eq!(crash["defaultConfiguration"]["level"], "error");
}

const JUNIT_SUMMARY: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
suites = {}
for suite in xml:
    cases = {}
    for case in suite:
        failures = [r for r in case.result if isinstance(r, Failure)]
        cases[case.name] = {"classname": case.classname, "failure": failures[0].type if failures else None,
                            "out": case.system_out or ""}
    suites[suite.name] = {"tests": suite.tests, "failures": suite.failures, "cases": cases}
print(json.dumps(suites))
"#;

#[test]
fn junit_parses_with_a_case_per_object_checked_failed_at_the_threshold() {
    let xml = analyze(&["-o", "junit", "--fail-on", "high"]).stdout;
    let Some(suites) = python_json(JUNIT_SUMMARY, &xml) else { return skipped("the JUnit check") };
    let findings = demo_findings();
    for finding in &findings {
        let o = &finding["object"];
        let case = format!(
            "{}/{}/{}",
            o["namespace"].as_str().unwrap_or(""),
            o["kind"].as_str().unwrap(),
            o["name"].as_str().unwrap()
        );
        let case = case.trim_start_matches('/');
        let analyzer = finding["analyzer"].as_str().unwrap();
        let got = &suites[analyzer]["cases"][case];
        assert_eq!(got["classname"], analyzer, "{case} in suite {analyzer}: {suites}");
        match finding["severity"].as_str().unwrap() {
            "critical" | "high" => assert!(got["failure"].is_string(), "{case} fails: {got}"),
            _ => assert!(got["out"].as_str().unwrap().contains(finding["code"].as_str().unwrap()), "{case}: {got}"),
        }
    }
    // Objects checked without a finding pass: the web pods are healthy.
    let web = &suites["pod"]["cases"]["shop/Pod/web-6f7d8c9b5-h2k9x"];
    assert!(web["failure"].is_null() && web["out"] == "", "{web}");
    // The threshold moves failures, not cases.
    let critical_only = analyze(&["-o", "junit", "--fail-on", "critical"]).stdout;
    let strict = python_json(JUNIT_SUMMARY, &critical_only).unwrap();
    let total = |s: &serde_json::Value, key: &str| -> u64 {
        s.as_object().unwrap().values().map(|v| v[key].as_u64().unwrap()).sum()
    };
    assert_eq!(total(&strict, "tests"), total(&suites, "tests"));
    assert!(total(&strict, "failures") < total(&suites, "failures"));
}

#[test]
fn junit_counts_only_objects_in_scope() {
    let xml = analyze(&["-o", "junit", "--resource", "deployment/api", "-n", "shop"]).stdout;
    let Some(suites) = python_json(JUNIT_SUMMARY, &xml) else { return skipped("the JUnit scope check") };
    let names: Vec<String> = suites
        .as_object()
        .unwrap()
        .values()
        .flat_map(|s| s["cases"].as_object().unwrap().keys().cloned().collect::<Vec<_>>())
        .collect();
    assert!(!names.is_empty());
    for name in &names {
        assert!(name.contains("/api"), "{name} is outside deployment/api: {names:?}");
    }
}

const METRICS_SUMMARY: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    out[family.name] = {"type": family.type,
                        "samples": [{"labels": s.labels, "value": s.value} for s in family.samples]}
print(json.dumps(out))
"#;

#[test]
fn metrics_file_parses_as_prometheus_text_and_counts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mekhanikube.prom");
    let out = analyze(&["-o", "json", "--min-severity", "critical", "--metrics-file", file.to_str().unwrap()]);
    let doc = json(&out.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "node_exporter reads it as another user");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let Some(families) = python_json(METRICS_SUMMARY, &text) else { return skipped("the metrics check") };
    let findings = demo_findings();
    let sum = |name: &str| -> f64 {
        families[name]["samples"].as_array().unwrap().iter().map(|s| s["value"].as_f64().unwrap()).sum()
    };
    // Every finding counts, whatever --min-severity hides from the view.
    assert_eq!(sum("mekhanikube_findings_by_severity") as usize, findings.len());
    assert_eq!(sum("mekhanikube_findings") as usize, findings.len());
    assert_eq!(families["mekhanikube_findings_by_severity"]["samples"].as_array().unwrap().len(), 5);
    assert_eq!(
        families["mekhanikube_health_score"]["samples"][0]["value"],
        doc["summary"]["healthScore"].as_f64().unwrap()
    );
    assert_eq!(
        sum("mekhanikube_problems") as usize,
        json(&analyze(&["-o", "json"]).stdout)["problems"].as_array().unwrap().len()
    );
    let finished = families["mekhanikube_last_success_timestamp_seconds"]["samples"][0]["value"].as_f64().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - finished).abs() < 300.0, "{finished} is now");
    for family in families.as_object().unwrap().values() {
        assert_eq!(family["type"], "gauge");
    }
    // No object name leaves through metrics.
    assert!(!text.contains("api-7c9d5f6b8"), "{text}");
}

#[test]
fn markdown_is_the_report_view_of_one_analysis_and_stays_inert() {
    let md = analyze(&["-o", "markdown"]).stdout;
    crate::markdown_inert::assert_inert(&md);
    let findings = demo_findings();
    assert!(md.starts_with("# mekhanikube analysis\n"), "{md}");
    assert!(md.contains(&format!("## Findings ({})", findings.len())));
    assert!(md.contains("## Problems (") && !md.contains("## Trend") && !md.contains("persisting"));
    for f in &findings {
        assert!(md.contains(&format!("`{}`", f["code"].as_str().unwrap())));
    }
}

#[test]
fn explain_is_refused_where_a_format_has_no_place_for_it() {
    for format in ["sarif", "junit"] {
        let out =
            run(mekhanikube().args(["analyze", "--snapshot", &demo(), "-o", format, "--explain", "--model", "m"]));
        assert_eq!(out.code, 2, "{format}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(&format!("-o {format}")) && out.stdout.is_empty(), "{}", out.stderr);
    }
}

#[test]
fn report_writes_the_metrics_file_after_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics/mekhanikube.prom");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let out =
        run(mekhanikube().args(["report", "--snapshot", &demo(), "--out"]).arg(dir.path().join("reports")).args([
            "--history",
            dir.path().join("history.db").to_str().unwrap(),
            "--metrics-file",
            file.to_str().unwrap(),
        ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(dir.path().join("reports/latest.json").is_file());
    let text = std::fs::read_to_string(&file).unwrap();
    let Some(families) = python_json(METRICS_SUMMARY, &text) else { return skipped("the report metrics check") };
    let total: f64 = families["mekhanikube_findings_by_severity"]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"].as_f64().unwrap())
        .sum();
    assert_eq!(total as usize, demo_findings().len());

    // A run that fails leaves the last good metrics in place: their last-success time is what alerts read.
    let before = std::fs::read_to_string(&file).unwrap();
    let bad = run(mekhanikube()
        .args(["report", "--snapshot", "/nonexistent.yaml", "--out"])
        .arg(dir.path().join("reports"))
        .args([
            "--history",
            dir.path().join("history.db").to_str().unwrap(),
            "--metrics-file",
            file.to_str().unwrap(),
        ]));
    assert_eq!(bad.code, 2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}
