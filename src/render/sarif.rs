//! SARIF 2.1.0 for code-scanning dashboards and CI: one rule per code of the analyzers that ran (its summary and
//! default severity), one result per finding, located logically at `namespace/Kind/name` since a cluster object
//! has no file. Built on the `serde-sarif` types, which are generated from the published schema.

use std::collections::BTreeMap;

use mekhanikube_analyzers::{CodeInfo, Finding, Severity};
use serde_sarif::sarif::{
    Location, LogicalLocation, Message, MultiformatMessageString, PropertyBag, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, SCHEMA_URL, Sarif, Tool, ToolComponent,
};

use super::RenderError;
use crate::document::AnalysisDocument;

/// SARIF has three levels: critical and high fail a scan, medium warns, low and info are notes.
fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn properties(pairs: impl IntoIterator<Item = (&'static str, serde_json::Value)>) -> PropertyBag {
    let additional_properties: BTreeMap<String, serde_json::Value> =
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    PropertyBag::builder().additional_properties(additional_properties).build()
}

fn rule(info: &CodeInfo) -> ReportingDescriptor {
    ReportingDescriptor::builder()
        .id(info.code)
        .short_description(MultiformatMessageString::builder().text(info.summary).build())
        .full_description(MultiformatMessageString::builder().text(info.severity.describe()).build())
        .default_configuration(
            ReportingConfiguration::builder().level(serde_json::json!(level(info.severity.default))).build(),
        )
        .properties(properties([("severity", serde_json::json!(info.severity.default))]))
        .build()
}

fn result(finding: &Finding, rule_index: Option<usize>) -> SarifResult {
    let o = &finding.object;
    let location =
        LogicalLocation::builder().fully_qualified_name(o.display()).name(o.name.as_str()).kind("resource").build();
    let mut props =
        vec![("severity", serde_json::json!(finding.severity)), ("analyzer", finding.analyzer.clone().into())];
    if let Some(parent) = &finding.parent {
        props.push(("owner", parent.display().into()));
    }
    let builder = SarifResult::builder()
        .rule_id(finding.code.as_str())
        .level(level(finding.severity))
        .message(Message::builder().text(finding.message.as_str()).build())
        .locations(vec![Location::builder().logical_locations(vec![location]).build()])
        // The finding id is stable across runs (code and object identity), so dashboards track it as one alert.
        .partial_fingerprints(BTreeMap::from([("mekhanikube/v1".to_string(), finding.id.clone())]))
        .properties(properties(props));
    match rule_index {
        Some(i) => builder.rule_index(i as i64).build(),
        None => builder.build(),
    }
}

pub fn sarif(doc: &AnalysisDocument) -> Result<String, RenderError> {
    let ran: Vec<&CodeInfo> = mekhanikube_analyzers::registry()
        .iter()
        .filter(|a| doc.scope.analyzers.iter().any(|name| name == a.name()))
        .flat_map(|a| a.codes().iter())
        .collect();
    let results: Vec<SarifResult> =
        doc.findings.iter().map(|f| result(f, ran.iter().position(|info| info.code == f.code))).collect();
    let driver = ToolComponent::builder()
        .name("mekhanikube")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(ran.into_iter().map(rule).collect::<Vec<_>>())
        .build();
    let run = Run::builder().tool(Tool::builder().driver(driver).build()).results(results).build();
    let log = Sarif::builder().schema(SCHEMA_URL).version(serde_json::json!("2.1.0")).runs(vec![run]).build();
    serde_json::to_string_pretty(&log)
        .map(|s| s + "\n")
        .map_err(|e| RenderError { format: "SARIF", detail: e.to_string() })
}
