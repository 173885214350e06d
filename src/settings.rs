//! Turns raw arguments (and the environment clap already read) into validated settings. Commands never see
//! clap structs, and every invalid input is rejected here with a message that says what to fix.

use std::path::PathBuf;
use std::time::Duration;

use mekhanikube_analyzers::{LabelQuery, ResourceRef, Scope, Severity, select};

use crate::cli::{ClusterArgs, ScopeArgs, SeverityArg};
use crate::cluster::ClusterOptions;
use crate::document::ScopeInfo;
use crate::pipeline::{Input, ScopeSettings};

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Selector(#[from] mekhanikube_analyzers::SelectorError),
    #[error(transparent)]
    Scope(#[from] mekhanikube_analyzers::ScopeError),
    #[error(transparent)]
    Analyzer(#[from] mekhanikube_analyzers::AnalyzerError),
    #[error("--{flag} must be at least 1 second")]
    ZeroTimeout { flag: &'static str },
    #[error("snapshot {0} does not exist")]
    MissingSnapshot(String),
}

pub fn severity(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Critical => Severity::Critical,
        SeverityArg::High => Severity::High,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Info => Severity::Info,
    }
}

pub fn cluster_options(args: &ClusterArgs) -> Result<ClusterOptions, SettingsError> {
    if args.connect_timeout == 0 {
        return Err(SettingsError::ZeroTimeout { flag: "connect-timeout" });
    }
    if args.request_timeout == 0 {
        return Err(SettingsError::ZeroTimeout { flag: "request-timeout" });
    }
    Ok(ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        connect_timeout: Duration::from_secs(args.connect_timeout),
        read_timeout: Duration::from_secs(args.request_timeout),
    })
}

pub fn scope(args: &ScopeArgs) -> Result<ScopeSettings, SettingsError> {
    let analyzers = select(&args.filter)?;
    let selector = args.selector.as_deref().map(LabelQuery::parse).transpose()?;
    let resource = args.resource.as_deref().map(ResourceRef::parse).transpose()?;
    let namespace = if args.all_namespaces { None } else { args.namespace.clone() };
    let info = ScopeInfo {
        namespace: namespace.clone(),
        selector: args.selector.clone(),
        resource: args.resource.clone(),
        analyzers: analyzers.iter().map(|a| a.name().to_string()).collect(),
    };
    Ok(ScopeSettings { scope: Scope { namespace, selector, resource }, info, analyzers })
}

/// The live cluster, or the saved snapshot when `--snapshot` names one (which must exist).
pub fn input(cluster: &ClusterArgs, snapshot: &Option<PathBuf>) -> Result<Input, SettingsError> {
    match snapshot {
        Some(p) if !p.exists() => Err(SettingsError::MissingSnapshot(p.display().to_string())),
        Some(p) => Ok(Input::Snapshot(p.clone())),
        None => Ok(Input::Cluster(cluster_options(cluster)?)),
    }
}

/// The colour choice for the printer, which knows nothing of the command line.
pub fn color(choice: crate::cli::ColorChoice) -> anstream::ColorChoice {
    match choice {
        crate::cli::ColorChoice::Auto => anstream::ColorChoice::Auto,
        crate::cli::ColorChoice::Always => anstream::ColorChoice::Always,
        crate::cli::ColorChoice::Never => anstream::ColorChoice::Never,
    }
}
