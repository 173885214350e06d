//! A tool's scope arguments turned into the pipeline's scope, checked as `settings::scope` checks the flags.

use mekhanikube_analyzers::{LabelQuery, ResourceRef, Scope, Severity, select};

use super::error::ToolError;
use super::params::{ScopeParams, SeverityParam};
use crate::document::ScopeInfo;
use crate::pipeline::ScopeSettings;

pub fn scope_settings(params: &ScopeParams) -> Result<ScopeSettings, ToolError> {
    let invalid = |e: &dyn std::fmt::Display| ToolError::Invalid(e.to_string());
    let analyzers = select(&params.analyzers).map_err(|e| invalid(&e))?;
    let selector = params.selector.as_deref().map(LabelQuery::parse).transpose().map_err(|e| invalid(&e))?;
    let resource = params.resource.as_deref().map(ResourceRef::parse).transpose().map_err(|e| invalid(&e))?;
    // An empty namespace is how some clients send "none": all namespaces, as with -A.
    let namespace = params.namespace.clone().filter(|n| !n.is_empty());
    let info = ScopeInfo {
        namespace: namespace.clone(),
        selector: params.selector.clone(),
        resource: params.resource.clone(),
        analyzers: analyzers.iter().map(|a| a.name().to_string()).collect(),
        audience: crate::document::Audience::Operator,
    };
    // Custom resources as the CLI reads them by default: every group the server serves.
    let crds = crate::cluster::CrdSelection::default();
    Ok(ScopeSettings {
        scope: Scope { namespace, selector, resource },
        info,
        analyzers,
        crds,
        logs: crate::pipeline::Logs::Off,
    })
}

pub fn severity(param: SeverityParam) -> Severity {
    match param {
        SeverityParam::Critical => Severity::Critical,
        SeverityParam::High => Severity::High,
        SeverityParam::Medium => Severity::Medium,
        SeverityParam::Low => Severity::Low,
        SeverityParam::Info => Severity::Info,
    }
}
