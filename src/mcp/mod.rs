//! `mekhanikube mcp`: a Model Context Protocol server on stdio (the official `rmcp` SDK) whose tools are
//! read-only views of the same pipeline as `analyze`: analyze, explain one problem, describe one object, diff
//! against the last report. The cluster or snapshot, the model and the history are chosen at startup by the same
//! flags as `analyze` and `report`, so a client's configuration decides them; tools only scope within them.
//! Nothing writes to the cluster, and nothing is written to disk but the explanation cache. See docs/mcp.md.

mod analyze;
mod constraints;
mod describe;
mod diff;
mod error;
mod explain;
mod params;
mod progress;
mod scope;
mod server;
mod state;

use std::path::PathBuf;

use anyhow::Context;
use rmcp::ServiceExt;

use crate::llm::{ExplainOptions, OllamaClient};
use crate::pipeline::Input;
use crate::printer::Printer;

/// The server's settings, resolved from the command line before it starts.
pub struct ServerConfig {
    pub input: Input,
    pub explain: ExplainConfig,
    /// The history `diff` reads; None when this system has no state directory and none was given.
    pub history: Option<PathBuf>,
    /// `--logs`: the `explain` tool reads the last lines of the problem's crashed container.
    pub logs: bool,
    /// `--audience developer -n NS`: every tool answers for this namespace only, redacted for its developers.
    pub developer: Option<String>,
}

/// The model `explain` asks, already checked (loopback unless allowed; anonymization forced for a remote one).
pub struct ExplainConfig {
    pub client: OllamaClient,
    pub options: ExplainOptions,
}

/// Serves on stdin/stdout until the client closes the stream. stdout carries only protocol messages; notes and
/// logs go to stderr.
pub async fn serve(printer: &Printer, config: ServerConfig) -> anyhow::Result<()> {
    let state = state::ServerState { config, printer: printer.clone() };
    let service = server::McpServer::new(state)
        .serve(rmcp::transport::stdio())
        .await
        .context("starting the MCP session on stdin/stdout")?;
    service.waiting().await.context("serving MCP on stdin/stdout")?;
    Ok(())
}
