//! The `constraints` tool: `mekhanikube constraints -n NAMESPACE -o json`, the observer view of what applies to the
//! namespace's workloads and what is blocking them. A developer-audience server answers for its namespace only.

use mekhanikube_analyzers::registry;

use super::error::ToolError;
use super::params::{ConstraintsParams, ScopeParams};
use super::scope::scope_settings;
use super::state::ServerState;
use crate::cluster::CrdSelection;
use crate::document::ConstraintsDocument;
use crate::pipeline::{self, ScopeSettings};

pub async fn constraints(state: &ServerState, params: &ConstraintsParams) -> Result<ConstraintsDocument, ToolError> {
    let developer = state.config.developer.as_deref();
    let namespace = params.namespace.clone().filter(|n| !n.is_empty()).or_else(|| developer.map(str::to_string));
    let Some(namespace) = namespace else {
        return Err(ToolError::Invalid("constraints shows one namespace: pass `namespace`".into()));
    };
    let scope = ScopeParams { namespace: Some(namespace.clone()), ..ScopeParams::default() };
    // Every analyzer, as the command runs them: a constraint is blocking when any finding says so.
    let scope = ScopeSettings {
        analyzers: registry().to_vec(),
        crds: CrdSelection::None,
        ..scope_settings(&scope, developer)?
    };
    let (doc, _) = pipeline::constraints(&state.printer, &state.config.input, &scope, &namespace)
        .await
        .map_err(|e| ToolError::failed(&e))?;
    Ok(doc)
}
