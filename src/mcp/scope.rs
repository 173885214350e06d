//! A tool's scope arguments turned into the pipeline's scope, checked as `settings::scope` checks the flags.

use mekhanikube_analyzers::{LabelQuery, ResourceRef, Scope, Severity, select};

use super::error::ToolError;
use super::params::{ScopeParams, SeverityParam};
use crate::document::ScopeInfo;
use crate::pipeline::ScopeSettings;

/// `developer`: the namespace a developer-audience server answers for; a call naming another is refused.
pub fn scope_settings(params: &ScopeParams, developer: Option<&str>) -> Result<ScopeSettings, ToolError> {
    let invalid = |e: &dyn std::fmt::Display| ToolError::Invalid(e.to_string());
    let analyzers = select(&params.analyzers).map_err(|e| invalid(&e))?;
    let selector = params.selector.as_deref().map(LabelQuery::parse).transpose().map_err(|e| invalid(&e))?;
    let resource = params.resource.as_deref().map(ResourceRef::parse).transpose().map_err(|e| invalid(&e))?;
    // An empty namespace is how some clients send "none": all namespaces, as with -A.
    let mut namespace = params.namespace.clone().filter(|n| !n.is_empty());
    let mut audience = crate::document::Audience::Operator;
    if let Some(served) = developer {
        if namespace.as_deref().is_some_and(|n| n != served) {
            return Err(ToolError::Invalid(format!("this server answers for namespace {served} only")));
        }
        namespace = Some(served.to_string());
        audience = crate::document::Audience::Developer;
    }
    let info = ScopeInfo {
        namespace: namespace.clone(),
        selector: params.selector.clone(),
        resource: params.resource.clone(),
        analyzers: analyzers.iter().map(|a| a.name().to_string()).collect(),
        audience,
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
