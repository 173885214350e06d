//! `mekhanikube mcp`: serve the read-only tools over MCP on stdio until the client disconnects (src/mcp).

use super::ExitStatus;
use crate::printer::Printer;

pub async fn run_mcp(printer: &Printer, config: crate::mcp::ServerConfig) -> anyhow::Result<ExitStatus> {
    crate::mcp::serve(printer, config).await?;
    Ok(ExitStatus::Ok)
}
