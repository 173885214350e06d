//! The `analyze` tool: the pipeline of `mekhanikube analyze`, scoped by the call's arguments.

use mekhanikube_analyzers::Snapshot;

use super::error::ToolError;
use super::params::{AnalyzeParams, ScopeParams};
use super::scope::{scope_settings, severity};
use super::state::ServerState;
use crate::document::AnalysisDocument;
use crate::pipeline::{self, ScopeSettings};

/// Reads (live or from the snapshot) and analyzes within the scope: the same document `analyze -o json` prints.
pub async fn analysis(
    state: &ServerState,
    params: &ScopeParams,
) -> Result<(AnalysisDocument, Snapshot, ScopeSettings), ToolError> {
    analysis_with_logs(state, params, pipeline::Logs::Off).await
}

/// The same, reading the crashed container's log of the problems `logs` names (the `explain` tool, `--logs`).
pub async fn analysis_with_logs(
    state: &ServerState,
    params: &ScopeParams,
    logs: pipeline::Logs,
) -> Result<(AnalysisDocument, Snapshot, ScopeSettings), ToolError> {
    let scope = ScopeSettings { logs, ..scope_settings(params, state.config.developer.as_deref())? };
    let (doc, snapshot) =
        pipeline::analysis(&state.printer, &state.config.input, &scope).await.map_err(|e| ToolError::failed(&e))?;
    Ok((doc, snapshot, scope))
}

pub async fn analyze(state: &ServerState, params: &AnalyzeParams) -> Result<AnalysisDocument, ToolError> {
    let (mut doc, snapshot, _) = analysis(state, &params.scope).await?;
    if let Some(min) = params.min_severity {
        doc.retain_at_least(severity(min), &snapshot).map_err(|e| ToolError::failed(&e.into()))?;
    }
    Ok(doc)
}
