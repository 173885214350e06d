//! Turns raw arguments (and the environment clap already read) into validated settings. Commands never see
//! clap structs, and every invalid input is rejected here with a message that says what to fix.

use std::path::PathBuf;
use std::time::Duration;

use mekhanikube_analyzers::{Analyzer, LabelQuery, ResourceRef, Scope, Severity, registry, select_from};

use anyhow::Context;
use mekhanikube_analyzers::ValuePolicy;

use crate::cli::{
    AnalyzeArgs, AnalyzeFormat, AudienceArg, ClusterArgs, ConstraintsArgs, ModelArgs, OutputFormat, ReportArgs,
    RulesArgs, ScopeArgs, SeverityArg, SnapshotArgs,
};
use crate::cluster::{ClusterOptions, CrdSelection};
use crate::document::ScopeInfo;
use crate::llm::{self, Cache, ChatOptions, ExplainOptions, OllamaClient, PromptSet, Timeouts};
use crate::pipeline::{Input, Logs, ScopeSettings};
use crate::render::{Format, ListFormat};

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
    #[error("--crds: {0}")]
    Crds(String),
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
    #[error("snapshot {0} does not exist")]
    MissingSnapshot(String),
    #[error("this command reads one cluster: pass one --context, not {0}")]
    OneContext(usize),
    #[error("--snapshot reads a file: leave out --context a,b and --all-contexts")]
    SnapshotAndContexts,
    #[error("{0} cannot hold several clusters: use -o text, json or yaml")]
    FormatForOneCluster(&'static str),
    #[error("--metrics-file describes one cluster: leave it out with several contexts")]
    MetricsForOneCluster,
    #[error("--audience developer shows one namespace to its developers: pass -n NAMESPACE")]
    DeveloperNeedsNamespace,
    #[error("constraints shows one namespace: pass -n NAMESPACE")]
    ConstraintsNeedNamespace,
    #[error("mcp takes -n only with --audience developer: an operator's server answers for every namespace")]
    McpNamespaceWithoutDeveloper,
    #[error(
        "--explain takes a reference as the list shows it (quota/NAME, limitrange/NAME, pdb/NAME, netpol/NAME, admission/N), not '{0}'"
    )]
    ConstraintRef(String),
    #[error("--all-contexts")]
    Contexts(#[source] crate::cluster::ClusterError),
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
    if args.context.len() > 1 {
        return Err(SettingsError::OneContext(args.context.len()));
    }
    if args.connect_timeout == 0 {
        return Err(SettingsError::ZeroTimeout { flag: "connect-timeout" });
    }
    if args.request_timeout == 0 {
        return Err(SettingsError::ZeroTimeout { flag: "request-timeout" });
    }
    Ok(ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.first().cloned(),
        connect_timeout: Duration::from_secs(args.connect_timeout),
        read_timeout: Duration::from_secs(args.request_timeout),
    })
}

/// The rule-file analyzers: from `--rules` (or the config key), else `<config dir>/mekhanikube/rules` when it
/// exists; each file checked now, so a bad rule fails the run before anything is read.
pub fn rule_analyzers(args: &RulesArgs) -> Result<Vec<&'static crate::rules::RuleAnalyzer>, SettingsError> {
    let dir = match &args.rules {
        Some(dir) => dir.clone(),
        None => match dirs::config_dir().map(|d| d.join("mekhanikube").join("rules")) {
            Some(d) if d.is_dir() => d,
            _ => return Ok(Vec::new()),
        },
    };
    let taken: Vec<(&str, Vec<&str>)> =
        registry().iter().map(|a| (a.name(), a.codes().iter().map(|c| c.code).collect())).collect();
    Ok(crate::rules::load_dir(&dir, &taken)?)
}

/// Every analyzer: the built-in ones, then those of the rule files.
pub fn all_analyzers(args: &RulesArgs) -> Result<Vec<&'static dyn Analyzer>, SettingsError> {
    let mut all: Vec<&'static dyn Analyzer> = registry().to_vec();
    all.extend(rule_analyzers(args)?.into_iter().map(|a| a as &'static dyn Analyzer));
    Ok(all)
}

pub fn scope(args: &ScopeArgs) -> Result<ScopeSettings, SettingsError> {
    let analyzers = select_from(&all_analyzers(&args.rules)?, &args.filter)?;
    let selector = args.selector.as_deref().map(LabelQuery::parse).transpose()?;
    let resource = args.resource.as_deref().map(ResourceRef::parse).transpose()?;
    let namespace = if args.all_namespaces { None } else { args.namespace.clone() };
    let crds = CrdSelection::parse(&args.crds).map_err(SettingsError::Crds)?;
    let info = ScopeInfo {
        namespace: namespace.clone(),
        selector: args.selector.clone(),
        resource: args.resource.clone(),
        analyzers: analyzers.iter().map(|a| a.name().to_string()).collect(),
        audience: crate::document::Audience::Operator,
    };
    Ok(ScopeSettings { scope: Scope { namespace, selector, resource }, info, analyzers, crds, logs: Logs::Off })
}

/// Sets who reads the output: the developer audience needs one namespace.
fn set_audience(arg: AudienceArg, scope: &mut ScopeSettings) -> Result<(), SettingsError> {
    scope.info.audience = match arg {
        AudienceArg::Operator => crate::document::Audience::Operator,
        AudienceArg::Developer if scope.scope.namespace.is_none() => {
            return Err(SettingsError::DeveloperNeedsNamespace);
        }
        AudienceArg::Developer => crate::document::Audience::Developer,
    };
    Ok(())
}

/// The live cluster, or the saved snapshot when `--snapshot` names one (which must exist).
pub fn input(cluster: &ClusterArgs, snapshot: &Option<PathBuf>) -> Result<Input, SettingsError> {
    match snapshot {
        Some(p) if !p.exists() => Err(SettingsError::MissingSnapshot(p.display().to_string())),
        Some(p) => Ok(Input::Snapshot(p.clone())),
        None => Ok(Input::Cluster(cluster_options(cluster)?)),
    }
}

/// One input per cluster: several with `--context a,b` or `--all-contexts` (read concurrently by the command),
/// otherwise the one of [`input`].
pub fn inputs(
    cluster: &ClusterArgs,
    clusters: &crate::cli::ClustersArgs,
    snapshot: &Option<PathBuf>,
) -> Result<Vec<Input>, SettingsError> {
    let contexts = if clusters.all_contexts {
        crate::cluster::context_names(cluster.kubeconfig.as_deref()).map_err(SettingsError::Contexts)?
    } else {
        cluster.context.clone()
    };
    if contexts.len() <= 1 && !clusters.all_contexts {
        return Ok(vec![input(cluster, snapshot)?]);
    }
    if snapshot.is_some() {
        return Err(SettingsError::SnapshotAndContexts);
    }
    let one = ClusterArgs { context: Vec::new(), ..cluster.clone() };
    let base = cluster_options(&one)?;
    Ok(contexts.into_iter().map(|c| Input::Cluster(ClusterOptions { context: Some(c), ..base.clone() })).collect())
}

/// The colour choice for the printer, which knows nothing of the command line.
pub fn color(choice: crate::cli::ColorChoice) -> anstream::ColorChoice {
    match choice {
        crate::cli::ColorChoice::Auto => anstream::ColorChoice::Auto,
        crate::cli::ColorChoice::Always => anstream::ColorChoice::Always,
        crate::cli::ColorChoice::Never => anstream::ColorChoice::Never,
    }
}

/// Everything `--explain` needs, checked before the cluster is read so a bad URL fails at once.
pub struct ExplainSettings {
    pub client: OllamaClient,
    pub options: ExplainOptions,
}

pub fn explain(args: &ModelArgs) -> anyhow::Result<ExplainSettings> {
    let endpoint = llm::check_llm_url(&args.ollama_url, args.allow_remote_llm)?;
    let timeouts = Timeouts { first_token: Duration::from_secs(args.llm_timeout.max(1)), ..Timeouts::default() };
    let client = OllamaClient::for_endpoint(&endpoint, timeouts)?;
    let prompts = match &args.prompts {
        Some(dir) => {
            PromptSet::from_dir(dir).with_context(|| format!("loading prompt templates from {}", dir.display()))?
        }
        None => PromptSet::builtin(),
    };
    let options = ExplainOptions {
        model: args.model.clone().unwrap_or_else(|| llm::DEFAULT_MODEL.to_string()),
        language: args.language.clone(),
        // Every view asks for the checked, structured answer (docs/prompts.md).
        structured: true,
        concurrency: args.llm_concurrency.max(1),
        cache: if args.no_cache { None } else { Cache::at_default() },
        anonymize: args.anonymize || endpoint.force_anonymize,
        prompts,
        chat: ChatOptions { num_predict: Some(args.llm_max_tokens.max(1) as i32), ..ChatOptions::default() },
        ..ExplainOptions::default()
    };
    Ok(ExplainSettings { client, options })
}

/// `analyze`, resolved: where to read, what to scope to, how to print, what fails the run.
pub struct AnalyzeSettings {
    /// One per cluster.
    pub inputs: Vec<Input>,
    pub scope: ScopeSettings,
    pub format: Format,
    pub metrics_file: Option<PathBuf>,
    pub flat: bool,
    pub min_severity: Severity,
    pub fail_on: Severity,
    pub explain: Option<ExplainSettings>,
}

/// The explain settings are resolved first, so a bad model URL fails before anything else is looked at.
pub fn analyze(args: &AnalyzeArgs) -> anyhow::Result<AnalyzeSettings> {
    let format = analyze_format(args.output);
    if args.llm.explain && !format.carries_explanations() {
        anyhow::bail!("--explain cannot be combined with -o {}: use -o json, yaml or markdown", format.name());
    }
    let inputs = inputs(&args.cluster, &args.clusters, &args.snapshot)?;
    if inputs.len() > 1 && !matches!(format, Format::Text | Format::Json | Format::Yaml) {
        return Err(SettingsError::FormatForOneCluster(format.name()).into());
    }
    if inputs.len() > 1 && args.metrics_file.is_some() {
        return Err(SettingsError::MetricsForOneCluster.into());
    }
    let explain = if args.llm.explain { Some(explain(&args.llm.model)?) } else { None };
    let mut scope = ScopeSettings { logs: logs(&args.llm), ..scope(&args.scope)? };
    set_audience(args.audience, &mut scope)?;
    Ok(AnalyzeSettings {
        inputs,
        scope,
        format,
        metrics_file: args.metrics_file.clone(),
        flat: args.flat,
        min_severity: severity(args.min_severity),
        fail_on: severity(args.fail_on),
        explain,
    })
}

/// `--logs`: every problem's crashed container, whether or not it is explained (the logs are evidence too).
fn logs(args: &crate::cli::LlmArgs) -> Logs {
    if args.logs { Logs::Every } else { Logs::Off }
}

/// `report`, resolved.
pub struct ReportSettings {
    /// One per cluster; each keeps its own history and writes under OUT/CONTEXT.
    pub inputs: Vec<Input>,
    pub scope: ScopeSettings,
    pub out: PathBuf,
    pub history: PathBuf,
    pub history_key: Option<String>,
    pub fail_on_new: Option<Severity>,
    pub keep_reports: Option<usize>,
    pub metrics_file: Option<PathBuf>,
    pub explain: Option<ExplainSettings>,
}

pub fn report(args: &ReportArgs) -> anyhow::Result<ReportSettings> {
    let history = match &args.history {
        Some(path) => path.clone(),
        None => crate::report::default_history_path()
            .context("no state or data directory for the history on this system; pass --history PATH")?,
    };
    let explain = if args.llm.explain { Some(explain(&args.llm.model)?) } else { None };
    let inputs = inputs(&args.cluster, &args.clusters, &args.snapshot)?;
    if inputs.len() > 1 && args.metrics_file.is_some() {
        return Err(SettingsError::MetricsForOneCluster.into());
    }
    let mut scope = ScopeSettings { logs: logs(&args.llm), ..scope(&args.scope)? };
    set_audience(args.audience, &mut scope)?;
    Ok(ReportSettings {
        inputs,
        scope,
        out: args.out.clone(),
        history,
        history_key: args.history_key.clone(),
        fail_on_new: args.fail_on_new.map(severity),
        keep_reports: args.keep_reports.map(|n| n as usize),
        metrics_file: args.metrics_file.clone(),
        explain,
    })
}

/// `constraints`, resolved: one namespace, read with every analyzer (their findings say what is blocking).
pub struct ConstraintsSettings {
    pub input: Input,
    pub scope: ScopeSettings,
    pub namespace: String,
    pub format: ListFormat,
    /// The reference of the constraint to explain, and the model.
    pub explain: Option<(String, ExplainSettings)>,
}

pub fn constraints(args: &ConstraintsArgs) -> anyhow::Result<ConstraintsSettings> {
    let namespace = args.namespace.clone().filter(|n| !n.is_empty()).ok_or(SettingsError::ConstraintsNeedNamespace)?;
    let explain = match &args.explain {
        Some(reference) => {
            let valid = reference.split_once('/').is_some_and(|(kind, name)| {
                !name.is_empty()
                    && mekhanikube_analyzers::constraints::ConstraintKind::ALL.iter().any(|k| k.prefix() == kind)
            });
            if !valid {
                return Err(SettingsError::ConstraintRef(reference.clone()).into());
            }
            Some((reference.clone(), explain(&args.model)?))
        }
        None => None,
    };
    let input = input(&args.cluster, &args.snapshot)?;
    let analyzers: Vec<&'static dyn Analyzer> = registry().to_vec();
    let mut scope = ScopeSettings {
        scope: Scope { namespace: Some(namespace.clone()), selector: None, resource: None },
        info: ScopeInfo {
            namespace: Some(namespace.clone()),
            analyzers: analyzers.iter().map(|a| a.name().to_string()).collect(),
            ..ScopeInfo::default()
        },
        analyzers,
        // Custom resources constrain nothing here yet: not read.
        crds: CrdSelection::None,
        logs: Logs::Off,
    };
    set_audience(args.audience, &mut scope)?;
    Ok(ConstraintsSettings { input, scope, namespace, format: format(args.output), explain })
}

/// `doctor`, resolved: what to check. Nothing is validated here beyond the flags themselves: every other
/// problem is one of the checks' findings.
pub struct DoctorSettings {
    pub cluster: ClusterOptions,
    pub ollama_url: String,
    pub allow_remote_llm: bool,
    pub model: String,
    pub prompts: Option<PathBuf>,
    pub history: Option<PathBuf>,
}

pub fn doctor(args: &crate::cli::DoctorArgs) -> anyhow::Result<DoctorSettings> {
    Ok(DoctorSettings {
        cluster: cluster_options(&args.cluster)?,
        ollama_url: args.ollama_url.clone(),
        allow_remote_llm: args.allow_remote_llm,
        model: args.model.clone().unwrap_or_else(|| llm::DEFAULT_MODEL.to_string()),
        prompts: args.prompts.clone(),
        history: args.history.clone().or_else(crate::report::default_history_path),
    })
}

/// `snapshot`, resolved.
pub struct SnapshotSettings {
    pub cluster: ClusterOptions,
    pub scope: ScopeSettings,
    /// None: YAML to stdout.
    pub file: Option<PathBuf>,
    pub json: bool,
    pub values: ValuePolicy,
}

pub fn snapshot(args: &SnapshotArgs) -> anyhow::Result<SnapshotSettings> {
    let to_stdout = args.output.as_os_str() == "-";
    Ok(SnapshotSettings {
        cluster: cluster_options(&args.cluster)?,
        scope: scope(&args.scope)?,
        file: (!to_stdout).then(|| args.output.clone()),
        json: !to_stdout && args.output.extension().is_some_and(|e| e == "json"),
        values: if args.keep_values { ValuePolicy::Keep } else { ValuePolicy::Redact },
    })
}

pub fn format(arg: OutputFormat) -> ListFormat {
    match arg {
        OutputFormat::Text => ListFormat::Text,
        OutputFormat::Json => ListFormat::Json,
        OutputFormat::Yaml => ListFormat::Yaml,
    }
}

fn analyze_format(arg: AnalyzeFormat) -> Format {
    match arg {
        AnalyzeFormat::Text => Format::Text,
        AnalyzeFormat::Json => Format::Json,
        AnalyzeFormat::Yaml => Format::Yaml,
        AnalyzeFormat::Markdown => Format::Markdown,
        AnalyzeFormat::Sarif => Format::Sarif,
        AnalyzeFormat::Junit => Format::Junit,
    }
}

/// `mcp`, resolved: the model is checked at startup (a remote one is refused unless allowed), so a bad
/// configuration fails when the client starts the server rather than at the first `explain`.
#[cfg(feature = "mcp")]
pub fn mcp(args: &crate::cli::McpArgs) -> anyhow::Result<crate::mcp::ServerConfig> {
    let ExplainSettings { client, options } = explain(&args.llm.model)?;
    Ok(crate::mcp::ServerConfig {
        input: input(&args.cluster, &args.snapshot)?,
        explain: crate::mcp::ExplainConfig { client, options },
        history: args.history.clone().or_else(crate::report::default_history_path),
        logs: args.llm.logs,
        developer: match (args.audience, &args.namespace) {
            (AudienceArg::Developer, Some(ns)) => Some(ns.clone()),
            (AudienceArg::Developer, None) => return Err(SettingsError::DeveloperNeedsNamespace.into()),
            (AudienceArg::Operator, Some(_)) => return Err(SettingsError::McpNamespaceWithoutDeveloper.into()),
            (AudienceArg::Operator, None) => None,
        },
    })
}

#[cfg(all(test, feature = "mcp"))]
mod mcp_tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn resolve(extra: &[&str]) -> anyhow::Result<crate::mcp::ServerConfig> {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-cluster.yaml");
        let cli = Cli::try_parse_from(["mekhanikube", "mcp", "--snapshot", demo].iter().chain(extra)).unwrap();
        let Command::Mcp(args) = cli.command else { panic!("parsed as another command") };
        super::mcp(&args)
    }

    /// The server's model follows the CLI's rules: loopback by default, a remote one only when allowed, and then
    /// with names anonymized whatever the flags say.
    #[test]
    fn a_remote_model_needs_the_opt_in_and_forces_anonymization() {
        assert!(!resolve(&[]).unwrap().explain.options.anonymize);
        let refused = resolve(&["--ollama-url", "http://192.0.2.10:11434"]).err().expect("refused");
        assert!(refused.to_string().contains("--allow-remote-llm"), "{refused}");
        let allowed = resolve(&["--ollama-url", "http://192.0.2.10:11434", "--allow-remote-llm"]).unwrap();
        assert!(allowed.explain.options.anonymize, "a remote model gets anonymized prompts");
        assert!(resolve(&["--anonymize"]).unwrap().explain.options.anonymize);
    }

    /// `--logs` reaches the server (its `explain` tool then reads the one problem's log); off by default.
    #[test]
    fn logs_are_off_unless_asked_for() {
        assert!(!resolve(&[]).unwrap().logs);
        assert!(resolve(&["--logs"]).unwrap().logs);
    }
}

#[cfg(test)]
mod logs_tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    use crate::pipeline::Logs;

    /// `analyze --logs` and `report --logs` read the logs of every problem; without the flag, none.
    #[test]
    fn logs_are_every_problem_when_asked_for_and_off_otherwise() {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-cluster.yaml");
        let parse = |args: &[&str]| {
            let snapshot = ["--snapshot", demo];
            Cli::try_parse_from(["mekhanikube"].iter().chain(args).chain(&snapshot)).unwrap().command
        };
        let Command::Analyze(on) = parse(&["analyze", "--logs"]) else { panic!() };
        assert_eq!(super::analyze(&on).unwrap().scope.logs, Logs::Every);
        let Command::Analyze(off) = parse(&["analyze"]) else { panic!() };
        assert_eq!(super::analyze(&off).unwrap().scope.logs, Logs::Off);
        let Command::Report(report) = parse(&["report", "--out", "/tmp/r", "--history", "/tmp/h", "--logs"]) else {
            panic!()
        };
        assert_eq!(super::report(&report).unwrap().scope.logs, Logs::Every);
    }
}
