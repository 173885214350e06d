//! The `describe` tool: one object as the snapshot holds it. The snapshot is already scrubbed by the analyzers'
//! hygiene (Secrets are read as metadata only, credential-like values are dropped); a Secret's `data` and
//! `stringData` are removed here once more, so that a snapshot file written by hand cannot leak one either.

use mekhanikube_analyzers::Kind;
use serde_json::Value;

use super::analyze::analysis;
use super::error::ToolError;
use super::params::{DescribeParams, ScopeParams};
use super::state::ServerState;
use crate::audience::Redactor;

pub async fn describe(state: &ServerState, params: &DescribeParams) -> Result<Value, ToolError> {
    let kind = Kind::parse_user(&params.kind).ok_or_else(|| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        ToolError::Invalid(format!("unknown kind {:?}; known kinds: {}", params.kind, known.join(", ")))
    })?;
    let namespace = match (kind.namespaced(), params.namespace.as_deref().filter(|n| !n.is_empty())) {
        (true, Some(ns)) => ns,
        (true, None) => return Err(ToolError::Invalid(format!("{} is namespaced: pass its namespace", kind.name()))),
        (false, Some(_)) => {
            return Err(ToolError::Invalid(format!("{} is cluster-scoped: leave the namespace out", kind.name())));
        }
        (false, None) => "",
    };
    // A developer-audience server shows its namespace's objects only (redacted below), never cluster-scoped ones.
    if let Some(served) = state.config.developer.as_deref()
        && namespace != served
    {
        return Err(ToolError::Invalid(format!("this server shows objects of namespace {served} only")));
    }
    // Every analyzer: the snapshot then holds every kind that mekhanikube reads; a live read is narrowed to the
    // object's namespace (an unknown one is said as such).
    let scope = ScopeParams { namespace: Some(namespace.to_string()), ..ScopeParams::default() };
    let (_, snapshot, _) = analysis(state, &scope).await?;
    if snapshot.objects.meta(kind, namespace, &params.name).is_none() {
        let place = if namespace.is_empty() { String::new() } else { format!(" in namespace {namespace}") };
        return Err(ToolError::NotFound(format!("no {} named {:?}{place}", kind.name(), params.name)));
    }
    let wanted = |item: &Value| {
        let meta = &item["metadata"];
        item["kind"] == kind.name()
            && item["apiVersion"] == kind.api_version()
            && meta["name"] == params.name.as_str()
            && meta["namespace"].as_str().unwrap_or("") == namespace
    };
    let mut object = snapshot
        .objects
        .to_list_items()
        .into_iter()
        .find(wanted)
        .ok_or_else(|| ToolError::Failed(format!("{} {:?} could not be encoded", kind.name(), params.name)))?;
    if kind == Kind::Secret
        && let Some(fields) = object.as_object_mut()
    {
        fields.remove("data");
        fields.remove("stringData");
    }
    match state.config.developer.as_deref() {
        Some(served) => Redactor::for_namespace(&snapshot, served)
            .document(&object, "the object")
            .map_err(|e| ToolError::Failed(e.to_string())),
        None => Ok(object),
    }
}
