//! The versioned analysis document behind `-o json|yaml` and reports. Its JSON Schema is published in
//! docs/analysis.schema.json and kept in sync by a test.

use mekhanikube_analyzers::{Finding, Problem, Severity, Skipped, Snapshot, Summary};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::audience::{RedactError, Redactor};

mod answer;
mod constraints;
mod report;

pub use answer::{Answer, AnswerStep, CommandClass, RemovedCommand, UnknownName, WRITE_LABEL};

pub use constraints::ConstraintsDocument;
pub use report::{Diff, HistoryInfo, Identity, ReportDocument, RunSummary};

pub const API_VERSION: &str = "mekhanikube.io/v1alpha1";

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisDocument {
    /// Always `mekhanikube.io/v1alpha1` for this shape.
    pub api_version: String,
    /// Always `Analysis`.
    pub kind: String,
    /// When the analysis ran (RFC 3339).
    pub generated_at: String,
    pub source: Source,
    pub scope: ScopeInfo,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// The distinct problems: each a root finding, the findings that are its consequences, the links between
    /// them with their evidence, and its blast radius; ranked by blast radius, then severity (docs/problems.md).
    /// Additive in v1alpha1: documents of earlier releases have none.
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// Kinds that could not be read, and why. Checks that need them were not made.
    pub skipped: Vec<Skipped>,
    /// Present with --explain: one entry per problem, in the order of `problems`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanations: Option<Vec<ExplanationEntry>>,
}

/// The objects one analyzer checked within the scope, for formats that report what passed as well as what failed
/// (JUnit). Not part of the published document.
#[derive(Debug, Clone)]
pub struct Checked {
    pub analyzer: String,
    pub objects: Vec<mekhanikube_analyzers::ObjectRef>,
}

/// The explanation of one problem, as `--explain` produced it. The model's words are untrusted text: every view
/// shows them as text, never as markup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExplanationEntry {
    /// The id of the problem's root finding (`problems[].root`).
    pub problem: String,
    /// The root finding's code.
    pub code: String,
    /// The problem's severity: the worst of its members.
    pub severity: Severity,
    /// The kind of the root's top owner, or of the root object itself.
    pub owner_kind: String,
    /// The root's message with names, numbers and quoted strings taken out.
    pub pattern: String,
    /// The objects of the root and its identical symptoms (`namespace/Kind/name`).
    pub objects: Vec<String>,
    pub status: ExplanationStatus,
    /// Served from the explanation cache.
    #[serde(default)]
    pub cached: bool,
    /// The answer as shown: names restored, terminal controls stripped. Partial when failed or cancelled.
    pub text: String,
    /// The structured answer, checked against the snapshot (names) and for unsafe commands. Every view shows
    /// this when it is present; earlier releases set it with `-o json|yaml` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Answer>,
    /// One line, when failed or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// How long the model took, when it was asked (not for a cached answer). Additive in v1alpha1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

/// Time to the first token and in all (every request of the problem, a schema retry included).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    pub total_ms: u64,
    /// Tokens the model generated, when Ollama said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ExplanationStatus {
    /// A complete answer (from the model or the cache).
    Explained,
    /// No complete answer: see `error`; `text` holds what was streamed before the failure.
    Failed,
    /// Stopped by the user; `text` holds what was streamed.
    Cancelled,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `cluster` or `snapshot`.
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub analyzers: Vec<String>,
    /// `developer` when names of other namespaces and cluster-scoped policies were taken out (docs/constraints.md).
    /// Additive in v1alpha1: absent means `operator`.
    #[serde(default, skip_serializing_if = "Audience::is_operator")]
    pub audience: Audience,
}

/// Who the output is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Audience {
    /// The cluster's operators: every name is shown.
    #[default]
    Operator,
    /// One namespace's developers: other namespaces' objects and cluster-scoped policies appear only as what they
    /// do to it, without their names.
    Developer,
}

impl Audience {
    pub fn is_operator(&self) -> bool {
        *self == Audience::Operator
    }
}

impl AnalysisDocument {
    pub fn new(source: Source, scope: ScopeInfo, findings: Vec<Finding>, skipped: Vec<Skipped>) -> AnalysisDocument {
        AnalysisDocument {
            api_version: API_VERSION.to_string(),
            kind: "Analysis".to_string(),
            generated_at: jiff::Timestamp::now().to_string(),
            source,
            scope,
            summary: Summary::counts(&findings),
            findings,
            problems: Vec::new(),
            skipped,
            explanations: None,
        }
    }

    /// Keeps the findings at or above `min`, then recounts and relinks them into problems: a consequence whose
    /// cause is hidden becomes a root of its own.
    pub fn retain_at_least(
        &mut self,
        min: mekhanikube_analyzers::Severity,
        snapshot: &Snapshot,
    ) -> Result<(), RedactError> {
        let before = self.findings.len();
        self.findings.retain(|f| f.severity.at_least(min));
        if self.findings.len() == before {
            return Ok(());
        }
        self.summary.recount(&self.findings);
        self.problems = mekhanikube_analyzers::problems(snapshot, &mut self.findings);
        self.for_audience(snapshot)
    }

    /// Links the findings into problems (and adds the cause evidence of each consequence), and scores the
    /// health of what the snapshot holds.
    pub fn link(&mut self, snapshot: &Snapshot) -> Result<(), RedactError> {
        self.problems = mekhanikube_analyzers::problems(snapshot, &mut self.findings);
        self.summary.set_health(mekhanikube_analyzers::health(snapshot, &self.findings));
        self.for_audience(snapshot)
    }

    /// The developer audience's redaction (src/audience.rs), made each time the findings are linked: after the
    /// scope, before anything renders them or builds a prompt from them. Links and problems are derived from the
    /// whole snapshot, so they are redacted again whenever they are derived again.
    fn for_audience(&mut self, snapshot: &Snapshot) -> Result<(), RedactError> {
        if let (Audience::Developer, Some(ns)) = (self.scope.audience, self.scope.namespace.clone()) {
            *self = Redactor::for_namespace(snapshot, &ns).document(self, "analysis")?;
        }
        Ok(())
    }
}

/// `analyze` over several clusters (`--context a,b`, `--all-contexts`): one entry per cluster, in the order the
/// contexts were given. Each analysis is a whole [`AnalysisDocument`], so its findings and problems belong to it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClustersDocument {
    /// Always `mekhanikube.io/v1alpha1`.
    pub api_version: String,
    /// Always `ClusterAnalyses`.
    pub kind: String,
    pub clusters: Vec<ClusterEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEntry {
    /// The kubeconfig context.
    pub context: String,
    /// The analysis, when the cluster could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisDocument>,
    /// Why it could not, on one line; the other clusters are still reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ClustersDocument {
    pub fn new(clusters: Vec<ClusterEntry>) -> ClustersDocument {
        ClustersDocument { api_version: API_VERSION.into(), kind: "ClusterAnalyses".into(), clusters }
    }
}

/// The JSON Schema of [`AnalysisDocument`], as published in docs/ (checked by a test).
#[cfg(test)]
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(AnalysisDocument);
    serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"
}

/// The schema of [`ConstraintsDocument`], published as docs/constraints.schema.json.
#[cfg(test)]
pub fn constraints_schema_json() -> String {
    let schema = schemars::schema_for!(ConstraintsDocument);
    serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"
}

/// The schema of [`ClustersDocument`], published as docs/clusters.schema.json.
#[cfg(test)]
pub fn clusters_schema_json() -> String {
    let schema = schemars::schema_for!(ClustersDocument);
    serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::{clusters_schema_json, constraints_schema_json, schema_json};

    /// The published schemas must be the ones the binary implements. Regenerate with
    /// `MEKHANIKUBE_UPDATE_SCHEMA=1 cargo test --bin mekhanikube document::`.
    #[test]
    fn published_schema_is_current() {
        for (file, generated) in [
            ("analysis.schema.json", schema_json()),
            ("clusters.schema.json", clusters_schema_json()),
            ("constraints.schema.json", constraints_schema_json()),
        ] {
            let path = format!("{}/docs/{file}", env!("CARGO_MANIFEST_DIR"));
            if std::env::var_os("MEKHANIKUBE_UPDATE_SCHEMA").is_some() {
                std::fs::write(&path, &generated).unwrap();
            }
            let published = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(published == generated, "docs/{file} is stale: regenerate it (see this test's doc)");
        }
    }
}
