//! The `explain` tool: one problem, by the id of its root finding, explained by the model the server was started
//! with, through the same `llm::explain` as `analyze --explain` (loopback only unless --allow-remote-llm, names
//! anonymized when forced or asked, the explanation cache). The answer streams to the client as progress
//! notifications when the call carries a progress token; the result is the document's explanation entry.

use std::sync::Arc;

use serde::Serialize;

use super::analyze::analysis_with_logs;
use super::error::ToolError;
use super::params::ExplainParams;
use super::progress::ProgressSink;
use super::state::ServerState;
use crate::audience::Redactor;
use crate::document::{ExplanationEntry, ExplanationStatus};
use crate::llm::{self, ExplainOptions, NullSink, Problem};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainResult {
    pub model: String,
    /// Whether names were replaced by tokens in the prompt (answers show the real names).
    pub anonymized: bool,
    /// What the reader must know about the answer (a model too small to trust).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub explanation: ExplanationEntry,
}

pub async fn explain(
    state: &ServerState,
    params: &ExplainParams,
    progress: Option<ProgressSink>,
    cancel: impl Future<Output = ()>,
) -> Result<ExplainResult, ToolError> {
    let logs = if state.config.logs {
        crate::pipeline::Logs::Problem(params.problem.clone())
    } else {
        crate::pipeline::Logs::Off
    };
    let (doc, snapshot, _) = analysis_with_logs(state, &params.scope, logs).await?;
    let problems = Problem::from_core(&doc.problems, &doc.findings);
    let Some(problem) = problems.iter().find(|p| p.core.root == params.problem) else {
        let owner = doc.problems.iter().find(|p| p.members.contains(&params.problem));
        return Err(ToolError::NotFound(match owner {
            Some(p) => format!("{} is a consequence in problem {}: explain that one", params.problem, p.root),
            None => {
                format!("no problem with root finding {:?} in this scope: call analyze for the ids", params.problem)
            }
        }));
    };
    let settings = &state.config.explain;
    // The developer audience's prompts are redacted as the CLI's are (src/audience.rs).
    let redactor = state.config.developer.as_deref().map(|ns| Arc::new(Redactor::for_namespace(&snapshot, ns)));
    let options = ExplainOptions { redactor, ..settings.options.clone() };
    let one = std::slice::from_ref(problem);
    let report = match progress {
        Some(mut sink) => {
            let report = llm::explain(&settings.client, &snapshot, one, &options, cancel, &mut sink).await;
            sink.finish().await;
            report
        }
        None => llm::explain(&settings.client, &snapshot, one, &options, cancel, &mut NullSink).await,
    };
    if let Some(fatal) = report.fatal {
        return Err(ToolError::Failed(format!("explanation unavailable: {fatal}")));
    }
    let outcome = report.outcomes.first().ok_or_else(|| ToolError::Failed("the model returned nothing".into()))?;
    let entry = problem.entry(outcome);
    if entry.status != ExplanationStatus::Explained {
        let why = entry.error.clone().unwrap_or_else(|| "stopped before the answer was complete".into());
        return Err(ToolError::Failed(format!("explanation unavailable: {why}")));
    }
    Ok(ExplainResult {
        model: settings.options.model.clone(),
        anonymized: settings.options.anonymize,
        notice: report.notice,
        explanation: entry,
    })
}
