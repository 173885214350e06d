//! What every tool call shares: the settings the server was started with, and the printer for notes on stderr.
//! Nothing is cached between calls: each reads the cluster or the snapshot file afresh, so an answer is never
//! older than its call (docs/mcp.md says why).

use super::ServerConfig;
use crate::printer::Printer;

pub struct ServerState {
    pub config: ServerConfig,
    pub printer: Printer,
}
