//! The tools as MCP sees them: names, descriptions, annotations and argument schemas. Each body is one call into
//! the module of its concern; every failure becomes a tool error (`isError: true`), never a panic or a closed
//! session. Arguments that do not match a tool's schema are refused by rmcp with a JSON-RPC invalid-params error.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, tool, tool_handler, tool_router};

use super::error::{ToolError, json_result, respond};
use super::params::{AnalyzeParams, ConstraintsParams, DescribeParams, DiffParams, ExplainParams};
use super::progress::ProgressSink;
use super::state::ServerState;
use super::{analyze, constraints, describe, diff, explain};

const INSTRUCTIONS: &str = "Read-only diagnosis of one Kubernetes cluster (or saved snapshot), chosen when this \
server was started. Call `analyze` first: it returns findings and problems (root causes with what they take \
down). `explain` gives a local model's explanation of one problem by its `root` id, `describe` shows one object \
as read (Secrets as metadata only), `diff` compares with the last run `mekhanikube report` recorded, \
`constraints` lists what applies to one namespace's workloads (quotas, limit ranges, disruption budgets, network \
and admission policies) and what is blocking them. Every call reads afresh; nothing is changed anywhere.";

#[derive(Clone)]
pub struct McpServer {
    state: Arc<ServerState>,
    // Read by the code `tool_handler` generates.
    #[allow(dead_code)]
    tool_router: ToolRouter<McpServer>,
}

impl McpServer {
    pub fn new(state: ServerState) -> McpServer {
        McpServer { state: Arc::new(state), tool_router: Self::tool_router() }
    }
}

#[tool_router]
impl McpServer {
    /// Analyze the cluster (or snapshot): findings ranked by severity and the problems they form (a root finding,
    /// its consequences, its blast radius), as the analysis document of `mekhanikube analyze -o json`.
    #[tool(annotations(
        title = "Analyze the cluster",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn analyze(&self, Parameters(params): Parameters<AnalyzeParams>) -> CallToolResult {
        let state = self.state.clone();
        on_own_thread(async move || respond(analyze::analyze(&state, &params).await.map(|doc| json_result(&doc)))).await
    }

    /// Explain one problem with the local model: its cause, impact and the steps to fix it. `problem` is the
    /// problem's `root` id from `analyze`; pass the same scope as that call. Streams the answer as progress
    /// notifications when the call carries a progress token. Answers are cached on this host.
    #[tool(annotations(
        title = "Explain a problem",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn explain(
        &self,
        Parameters(params): Parameters<ExplainParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let state = self.state.clone();
        on_own_thread(async move || {
            let progress =
                context.meta.get_progress_token().map(|token| ProgressSink::start(context.peer.clone(), token));
            // A client's `notifications/cancelled` stops the model as Ctrl-C does in the CLI.
            let cancel = context.ct.cancelled();
            respond(explain::explain(&state, &params, progress, cancel).await.map(|r| json_result(&r)))
        })
        .await
    }

    /// Show one object as mekhanikube read it (a Secret as metadata only; credential-like values dropped).
    #[tool(annotations(
        title = "Describe an object",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn describe(&self, Parameters(params): Parameters<DescribeParams>) -> CallToolResult {
        let state = self.state.clone();
        on_own_thread(async move || respond(describe::describe(&state, &params).await.map(|o| json_result(&o)))).await
    }

    /// List every constraint on the workloads of one namespace, as `mekhanikube constraints -n NAMESPACE -o json`:
    /// quotas with their use, limit ranges, disruption budgets with the evictions they allow, network policies and
    /// admission policies in plain words, which workloads each touches and whether it is blocking something now.
    #[tool(annotations(
        title = "Constraints of a namespace",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn constraints(&self, Parameters(params): Parameters<ConstraintsParams>) -> CallToolResult {
        let state = self.state.clone();
        on_own_thread(async move || {
            respond(constraints::constraints(&state, &params).await.map(|doc| json_result(&doc)))
        })
        .await
    }

    /// Compare this analysis with the last run that `mekhanikube report` recorded for the same source and scope
    /// (or `history_key`): new, resolved and persisting findings, and the change of the health score. Reads the
    /// history without writing to it.
    #[tool(annotations(
        title = "Diff against the last report",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn diff(&self, Parameters(params): Parameters<DiffParams>) -> CallToolResult {
        let state = self.state.clone();
        on_own_thread(async move || respond(diff::diff(&state, &params).await.map(|d| json_result(&d)))).await
    }
}

/// Runs one tool call on a blocking thread of the runtime, driven there to completion. The pipeline's futures are
/// not `Send` (the cluster read shares one builder among its tasks) while rmcp's tool futures must be; and a
/// panic in a call becomes a tool error here instead of ending the session.
async fn on_own_thread<F, Fut>(call: F) -> CallToolResult
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = CallToolResult>,
{
    let runtime = tokio::runtime::Handle::current();
    match tokio::task::spawn_blocking(move || runtime.block_on(call())).await {
        Ok(result) => result,
        Err(e) => ToolError::Failed(format!("the call failed inside the server: {e}")).into_result(),
    }
}

#[tool_handler]
impl ServerHandler for McpServer {
    fn get_info(&self) -> rmcp::model::ServerConfig {
        rmcp::model::ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("mekhanikube", env!("CARGO_PKG_VERSION")).with_title("mekhanikube"))
            .with_instructions(INSTRUCTIONS)
    }
}
