//! Why a tool call failed, said to the client as a tool error (`isError: true`) so the model can read it and
//! correct the call; the server goes on serving.

use rmcp::model::{CallToolResult, ContentBlock};

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// An argument that cannot be used: an unparseable selector, an unknown analyzer or kind.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// What the call names is not there.
    #[error("{0}")]
    NotFound(String),
    /// Reading the cluster, the snapshot, the history or the model failed.
    #[error("{0}")]
    Failed(String),
}

impl ToolError {
    /// The whole chain of an error on one line, as the CLI prints it.
    pub fn failed(error: &anyhow::Error) -> ToolError {
        ToolError::Failed(format!("{error:#}"))
    }

    pub fn into_result(self) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(self.to_string())])
    }
}

/// A successful result: the value as structured content, and as JSON text for clients that read only text.
pub fn json_result<T: serde::Serialize>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(value) => CallToolResult::structured(value),
        Err(e) => ToolError::Failed(format!("encoding the result: {e}")).into_result(),
    }
}

/// A tool body's outcome as the client receives it: a result, or a tool error.
pub fn respond(outcome: Result<CallToolResult, ToolError>) -> CallToolResult {
    outcome.unwrap_or_else(ToolError::into_result)
}
