//! The arguments of each tool, as clients see them in `tools/list` (JSON Schema derived from these structs).
//! Unknown fields are refused where serde can do it, which is not beside a flattened struct (the scope).

use schemars::JsonSchema;
use serde::Deserialize;

/// Which part of the cluster to analyze: the same scope as `analyze`'s flags.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub struct ScopeParams {
    /// One namespace only (default: all namespaces).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Keep findings whose object or owner matches this label query (kubectl syntax: `app=web,tier!=cache`).
    #[serde(default)]
    pub selector: Option<String>,
    /// Keep findings about one object and what it owns, e.g. `deployment/web`.
    #[serde(default)]
    pub resource: Option<String>,
    /// Run only these analyzers (names as `mekhanikube analyzers` lists them; default: all).
    #[serde(default)]
    pub analyzers: Vec<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SeverityParam {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AnalyzeParams {
    #[serde(flatten)]
    pub scope: ScopeParams,
    /// Hide findings below this severity (default: info, so every finding).
    #[serde(default)]
    pub min_severity: Option<SeverityParam>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExplainParams {
    /// The problem's id: the id of its root finding, as `analyze` returns it in `problems[].root`.
    pub problem: String,
    /// The scope the problem was found in (default: the whole cluster); pass the one given to `analyze`.
    #[serde(flatten)]
    pub scope: ScopeParams,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeParams {
    /// The kind, as kubectl names it: `Deployment`, `deployment`, `deploy`, `pods`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// Its namespace; leave out for cluster-scoped kinds (Node, Namespace, StorageClass, ...).
    #[serde(default)]
    pub namespace: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DiffParams {
    #[serde(flatten)]
    pub scope: ScopeParams,
    /// Compare with the runs recorded under this name (`report --history-key`) instead of those of the same
    /// source and scope.
    #[serde(default)]
    pub history_key: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConstraintsParams {
    /// The namespace whose constraints to list (a developer-audience server's own namespace when left out).
    #[serde(default)]
    pub namespace: Option<String>,
}
