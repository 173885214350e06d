//! Prometheus text exposition (0.0.4) of one run, for node_exporter's textfile collector: findings by severity
//! (every severity always present, so an alert on zero works), by code and namespace, problems, the health score,
//! kinds that could not be read, how long the run took and when it last succeeded. Encoded by
//! `prometheus-client`. Counts and codes only: no object name or message goes into metrics.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use mekhanikube_analyzers::Severity;
use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::RenderError;
use crate::document::AnalysisDocument;

const SEVERITIES: [Severity; 5] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

type Labels = Vec<(&'static str, String)>;

/// What the command measured about the run, beside the document.
pub struct RunTimes {
    pub duration_seconds: f64,
    /// Unix time at which the run finished.
    pub finished_at: f64,
}

pub fn metrics(doc: &AnalysisDocument, run: &RunTimes) -> Result<String, RenderError> {
    let mut registry = Registry::with_prefix("mekhanikube");

    let by_severity = Family::<Labels, Gauge>::default();
    for severity in SEVERITIES {
        let n = doc.findings.iter().filter(|f| f.severity == severity).count();
        by_severity.get_or_create(&vec![("severity", severity.to_string())]).set(n as i64);
    }
    registry.register("findings_by_severity", "Findings of this run by severity", by_severity);

    let mut detailed: BTreeMap<Labels, i64> = BTreeMap::new();
    for f in &doc.findings {
        let labels = vec![
            ("severity", f.severity.to_string()),
            ("code", f.code.clone()),
            ("namespace", f.object.namespace.clone().unwrap_or_default()),
        ];
        *detailed.entry(labels).or_default() += 1;
    }
    let findings = Family::<Labels, Gauge>::default();
    for (labels, n) in &detailed {
        findings.get_or_create(labels).set(*n);
    }
    registry.register(
        "findings",
        "Findings of this run by severity, code and namespace (\"\" when cluster-scoped)",
        findings,
    );

    let problems = Family::<Labels, Gauge>::default();
    for severity in SEVERITIES {
        let n = doc.problems.iter().filter(|p| p.severity == severity).count();
        problems.get_or_create(&vec![("severity", severity.to_string())]).set(n as i64);
    }
    registry.register("problems", "Problems (root causes with what they take down) by severity", problems);

    let skipped = Family::<Labels, Gauge>::default();
    for s in &doc.skipped {
        skipped.get_or_create(&vec![("kind", s.kind.clone())]).set(1);
    }
    registry.register(
        "kind_skipped",
        "Kinds that could not be read (1 each); checks that need them were not made",
        skipped,
    );

    let score = Gauge::<i64>::default();
    score.set(i64::from(doc.summary.health_score));
    registry.register("health_score", "Health score of this run, 0 to 100", score);

    let by_namespace = Family::<Labels, Gauge>::default();
    for n in &doc.summary.namespaces {
        by_namespace.get_or_create(&vec![("namespace", n.namespace.clone())]).set(i64::from(n.score));
    }
    registry.register(
        "namespace_health_score",
        "Health score per namespace (\"\" for cluster-scoped objects)",
        by_namespace,
    );

    let duration = Gauge::<f64, AtomicU64>::default();
    duration.set(run.duration_seconds);
    registry.register("run_duration_seconds", "How long the run took", duration);
    let finished = Gauge::<f64, AtomicU64>::default();
    finished.set(run.finished_at);
    registry.register(
        "last_success_timestamp_seconds",
        "Unix time at which the last successful run finished",
        finished,
    );

    let mut out = String::new();
    encode(&mut out, &registry).map_err(|e| RenderError { format: "Prometheus text", detail: e.to_string() })?;
    Ok(out)
}
