//! The `diff` tool: this analysis against the last run that `mekhanikube report` recorded under the same history
//! key. The history is opened read-only: nothing is recorded, and a missing history is no run yet.

use serde::Serialize;

use super::analyze::analysis;
use super::error::ToolError;
use super::params::DiffParams;
use super::state::ServerState;
use crate::audience::Redactor;
use crate::document::Diff;
use crate::report::{self, History};

/// What the tool returns: which history it compared with, this run's health score, and the diff (whose
/// `previous` is the run compared with, absent when there is none yet: every finding is then new).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffResult {
    pub history_key: String,
    pub history_label: String,
    pub health_score: u8,
    pub diff: Diff,
}

/// A developer-audience server's diff is redacted as its analysis is: the history holds the operator's view.
pub async fn diff(state: &ServerState, params: &DiffParams) -> Result<serde_json::Value, ToolError> {
    let path = state.config.history.as_ref().ok_or_else(|| {
        ToolError::Failed("no state or data directory for the history here: start the server with --history".into())
    })?;
    let (doc, snapshot, _) = analysis(state, &params.scope).await?;
    let key = report::history_key(&doc.source, &doc.scope, params.history_key.as_deref());
    let previous = match History::open_read_only(path).map_err(|e| ToolError::Failed(e.to_string()))? {
        Some(history) => history.previous(&key.id).map_err(|e| ToolError::Failed(e.to_string()))?,
        None => None,
    };
    let mut diff = report::diff(previous, &doc.findings, doc.summary.health_score);
    diff.new_problems = report::new_problems(&doc.problems, &doc.findings, &diff.new);
    let result =
        DiffResult { history_key: key.id, history_label: key.label, health_score: doc.summary.health_score, diff };
    let value = serde_json::to_value(&result).map_err(|e| ToolError::Failed(e.to_string()))?;
    match state.config.developer.as_deref() {
        Some(served) => Redactor::for_namespace(&snapshot, served)
            .document(&value, "the diff")
            .map_err(|e| ToolError::Failed(e.to_string())),
        None => Ok(value),
    }
}
