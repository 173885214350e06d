//! The report document: one analysis with its history, the diff against the previous run and the trend. The JSON
//! report is exactly this; the Markdown and HTML reports are views of it (src/render/report).

use mekhanikube_analyzers::{Finding, Severity, Summary};
use serde::{Deserialize, Serialize};

use super::AnalysisDocument;

/// The JSON report; the Markdown and HTML reports are views of exactly this.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportDocument {
    /// Always `mekhanikube.io/v1alpha1`.
    pub api_version: String,
    /// Always `Report`.
    pub kind: String,
    /// The file stem of this report, e.g. `report-20261123T140501Z`.
    pub report: String,
    pub generated_at: String,
    pub history: HistoryInfo,
    pub analysis: AnalysisDocument,
    pub diff: Diff,
    /// The last runs of the same history key, oldest first, ending with this one.
    pub trend: Vec<RunSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryInfo {
    /// A digest of the source and scope (or of --history-key); runs with the same key are compared.
    pub key: String,
    /// What the key stands for, in words.
    pub label: String,
}

/// One recorded run, as the trend and the diff show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub report: String,
    pub generated_at: String,
    pub summary: Summary,
}

impl ReportDocument {
    /// This run as the history records it.
    pub fn run_summary(&self) -> RunSummary {
        self.trend.last().cloned().expect("the trend always ends with this run")
    }
}

/// What makes a finding "the same" across runs: its code and its object's apiVersion, kind, namespace and
/// name. Not the uid (a recreated pod with the same name is the same problem to the reader), not the message (it
/// carries counts and timestamps that change every run).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity<'a> {
    code: &'a str,
    api_version: &'a str,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
}

impl<'a> Identity<'a> {
    pub fn of(f: &'a Finding) -> Identity<'a> {
        Identity {
            code: &f.code,
            api_version: &f.object.api_version,
            kind: &f.object.kind,
            namespace: f.object.namespace.as_deref().unwrap_or(""),
            name: &f.object.name,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// The run compared against; absent on the first run of a history key, when every finding counts as new.
    pub previous: Option<RunSummary>,
    /// Findings of this run that the previous run did not have.
    pub new: Vec<Finding>,
    /// Findings of the previous run that this run no longer has (as the previous run recorded them).
    pub resolved: Vec<Finding>,
    /// Findings of this run that the previous run had too (as this run sees them).
    pub persisting: Vec<Finding>,
    /// Root finding ids of this run's problems whose root is new (filled in by the report; additive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_problems: Vec<String>,
    /// This run's health score minus the previous run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_score_change: Option<i32>,
}

impl Diff {
    /// Whether a new finding at or above `threshold` appeared: the `--fail-on-new` test.
    pub fn has_new_at_least(&self, threshold: Severity) -> bool {
        self.new.iter().any(|f| f.severity.at_least(threshold))
    }
}
