//! Raw command-line structs. Only clap lives here; `settings` turns these into validated settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Diagnose a Kubernetes cluster read-only, and explain what is wrong with a local model.
///
/// mekhanikube lists what it needs once (get/list only; Secrets as metadata only), runs its analyzers, and ranks
/// the findings by severity. With --explain, a local Ollama model explains each problem; nothing leaves the host.
#[derive(Debug, Parser)]
#[command(name = "mekhanikube", version, propagate_version = true, max_term_width = 110)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print no progress or notes on stderr, only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log detail on stderr (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output. NO_COLOR and non-terminal output turn colour off under `auto`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze a live cluster (or a saved snapshot) and print findings.
    Analyze(AnalyzeArgs),
    /// Save what the analyzers would read as a `kind: List` file, for offline analysis.
    Snapshot(SnapshotArgs),
    /// List the analyzers, the kinds each reads and the codes each can emit.
    Analyzers(AnalyzersArgs),
    /// Show every constraint on one namespace's workloads (quotas, limit ranges, disruption budgets, network
    /// policies, admission webhooks), in plain words, with what each touches and whether it blocks something now.
    Constraints(ConstraintsArgs),
    /// Analyze and write a timestamped report (Markdown, HTML, JSON) with the diff against the previous run.
    Report(ReportArgs),
    /// Manage the explanation cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Serve read-only tools (analyze, explain, describe, diff) to AI assistants over MCP on stdio.
    #[cfg(feature = "mcp")]
    Mcp(McpArgs),
    /// Check the setup: kubeconfig, API server, which kinds may be listed, Ollama and the model, directories.
    Doctor(DoctorArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Write man pages (mekhanikube.1 and one per subcommand) into DIR: `make man`.
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Ollama's address. Only loopback is allowed unless --allow-remote-llm.
    #[arg(
        long,
        env = "OLLAMA_HOST",
        value_name = "URL",
        default_value = "http://127.0.0.1:11434",
        help_heading = "Explanations"
    )]
    pub ollama_url: String,
    /// The model to look for.
    #[arg(long, env = "MEKHANIKUBE_MODEL", value_name = "NAME", help_heading = "Explanations")]
    pub model: Option<String>,
    /// Allow an Ollama that is not on this host.
    #[arg(long, env = "MEKHANIKUBE_ALLOW_REMOTE_LLM", value_parser = clap::builder::FalseyValueParser::new(),
          help_heading = "Explanations")]
    pub allow_remote_llm: bool,
    /// A directory of prompt templates to check.
    #[arg(long, value_name = "DIR", help_heading = "Explanations")]
    pub prompts: Option<PathBuf>,
    /// The report history to check (default: under the XDG state directory).
    #[arg(long, value_name = "PATH", env = "MEKHANIKUBE_HISTORY")]
    pub history: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// The command-line definition, for completions and man pages.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Delete every cached explanation.
    Clear,
}

#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// Path to a kubeconfig file. Default: $KUBECONFIG (several paths merge), then ~/.kube/config, then the
    /// in-cluster service account when run in a pod.
    #[arg(long, value_name = "PATH", help_heading = "Cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use. Default: its current-context. `analyze` and `report` take several,
    /// comma-separated, and read them concurrently.
    #[arg(long, value_name = "NAME", value_delimiter = ',', help_heading = "Cluster")]
    pub context: Vec<String>,
    /// Seconds to wait for a connection to the API server.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, help_heading = "Cluster")]
    pub connect_timeout: u64,
    /// Seconds to wait for any one API response.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, help_heading = "Cluster")]
    pub request_timeout: u64,
}

/// Several clusters in one run (`analyze`, `report`).
#[derive(Debug, Clone, Args)]
pub struct ClustersArgs {
    /// Every context of the kubeconfig, read concurrently.
    #[arg(long, conflicts_with = "context", help_heading = "Cluster")]
    pub all_contexts: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ScopeArgs {
    /// Analyze one namespace only.
    #[arg(short, long, value_name = "NAME", help_heading = "Scope", conflicts_with = "all_namespaces")]
    pub namespace: Option<String>,
    /// Analyze all namespaces (the default).
    #[arg(short = 'A', long, help_heading = "Scope")]
    pub all_namespaces: bool,
    /// Keep findings whose object or owner matches this label query (kubectl syntax: app=web,tier!=cache).
    #[arg(short = 'l', long, value_name = "QUERY", help_heading = "Scope")]
    pub selector: Option<String>,
    /// Keep findings about one object and what it owns, e.g. deployment/web.
    #[arg(long, value_name = "KIND/NAME", help_heading = "Scope")]
    pub resource: Option<String>,
    /// Run only these analyzers (comma-separated; see `mekhanikube analyzers`).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',', help_heading = "Scope")]
    pub filter: Vec<String>,
    /// Custom resources to read: all (the groups not built into Kubernetes), none, or API groups
    /// (comma-separated, e.g. cert-manager.io,argoproj.io). Applies to saved snapshots too.
    #[arg(long, value_name = "none|all|GROUP,...", default_value = "all", help_heading = "Scope")]
    pub crds: String,
    #[command(flatten)]
    pub rules: RulesArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// A directory of rule files (YAML with CEL conditions; docs/rules.md), each one more analyzer. Default:
    /// <config dir>/mekhanikube/rules when it exists.
    #[arg(long, value_name = "DIR", help_heading = "Scope")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Yaml,
}

/// The formats of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    Text,
    Json,
    Yaml,
    /// The report's Markdown view of this analysis (no history).
    Markdown,
    /// SARIF 2.1.0: one rule per code, one result per finding.
    Sarif,
    /// JUnit XML: a suite per analyzer, a case per object checked, failed at or above --fail-on.
    Junit,
}

/// Who reads the output (docs/constraints.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AudienceArg {
    /// The cluster's operators: every name is shown.
    Operator,
    /// A namespace's developers: objects of other namespaces and cluster-wide policies appear only as what they
    /// do to this namespace, without their names (needs -n).
    Developer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub clusters: ClustersArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Analyze a saved snapshot instead of a live cluster: a `kind: List` (YAML or JSON), multi-document YAML,
    /// or a directory of such files, as `kubectl get -o yaml` prints them.
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    pub snapshot: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = AnalyzeFormat::Text, help_heading = "Output")]
    pub output: AnalyzeFormat,
    /// Also write Prometheus metrics of this run to PATH (atomically), for node_exporter's textfile collector.
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    pub metrics_file: Option<PathBuf>,
    /// Show the per-finding table only, without the problems (root causes and what they affect) first.
    #[arg(long, help_heading = "Output")]
    pub flat: bool,
    /// Hide findings below this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Info, help_heading = "Output")]
    pub min_severity: SeverityArg,
    /// Exit with code 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = SeverityArg::High, help_heading = "Output")]
    pub fail_on: SeverityArg,
    /// Who reads the output: operator (everything) or developer (one namespace; other namespaces' objects and
    /// cluster-wide policies appear only as what they do to it, without names; needs -n).
    #[arg(long, value_enum, default_value_t = AudienceArg::Operator, help_heading = "Output")]
    pub audience: AudienceArg,
    #[command(flatten)]
    pub llm: LlmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LlmArgs {
    /// Explain each problem with a local Ollama model, streamed as it is written.
    #[arg(long, help_heading = "Explanations")]
    pub explain: bool,
    /// Read the last lines each problem's crashed container printed (one bounded `pods/log` GET per problem, its
    /// previous run's log), redacted, into the evidence and the prompt. Needs `get` on pods/log; live only.
    #[arg(long, help_heading = "Explanations")]
    pub logs: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The model behind explanations, for every command that explains something.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Ollama's address. Only loopback is allowed unless --allow-remote-llm.
    #[arg(
        long,
        env = "OLLAMA_HOST",
        value_name = "URL",
        default_value = "http://127.0.0.1:11434",
        help_heading = "Explanations"
    )]
    pub ollama_url: String,
    /// The model to ask (`ollama pull` it first).
    #[arg(long, env = "MEKHANIKUBE_MODEL", value_name = "NAME", help_heading = "Explanations")]
    pub model: Option<String>,
    /// Language of the explanations.
    #[arg(long, value_name = "LANGUAGE", default_value = "English", help_heading = "Explanations")]
    pub language: String,
    /// How many problems to explain at once.
    #[arg(long, value_name = "N", default_value_t = 2, help_heading = "Explanations")]
    pub llm_concurrency: usize,
    /// Neither read nor write the explanation cache.
    #[arg(long, help_heading = "Explanations")]
    pub no_cache: bool,
    /// Replace every name in prompts with stable tokens; answers are shown with the real names.
    #[arg(long, help_heading = "Explanations")]
    pub anonymize: bool,
    /// Allow an Ollama that is not on this host (forces --anonymize).
    #[arg(long, env = "MEKHANIKUBE_ALLOW_REMOTE_LLM", value_parser = clap::builder::FalseyValueParser::new(),
          help_heading = "Explanations")]
    pub allow_remote_llm: bool,
    /// A directory of prompt templates overriding the built-in ones, file by file.
    #[arg(long, value_name = "DIR", help_heading = "Explanations")]
    pub prompts: Option<PathBuf>,
    /// Most tokens per answer, so a rambling model cannot run for minutes.
    #[arg(long, value_name = "N", default_value_t = crate::llm::DEFAULT_MAX_TOKENS, help_heading = "Explanations")]
    pub llm_max_tokens: u32,
    /// Seconds to wait for the model's first token.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::llm::DEFAULT_FIRST_TOKEN_SECS, help_heading = "Explanations")]
    pub llm_timeout: u64,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Where to write the snapshot; `.json` writes JSON, anything else YAML. `-` writes YAML to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Keep env values, credential-like arguments and kubectl's last-applied annotation (dropped by default, so a
    /// snapshot can be attached to a bug report). Secret values are never read, whatever this says.
    #[arg(long)]
    pub keep_values: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzersArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// `--help` prints the default and the environment value of each flag; for the Ollama URL (`OLLAMA_HOST`, or
/// `ollamaUrl` from the config file) they are shown with any credentials masked instead.
pub fn mask_url_credentials(mut command: clap::Command) -> clap::Command {
    const ID: &str = "ollama_url";
    let env = std::env::var("OLLAMA_HOST").ok();
    let names: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| {
            let Some(arg) = sub.get_arguments().find(|a| a.get_id() == ID) else { return sub };
            let default = arg.get_default_values().first().map(|v| v.to_string_lossy().into_owned());
            let secret = |v: &Option<String>| v.as_deref().is_some_and(crate::llm::has_credentials);
            if !secret(&default) && !secret(&env) {
                return sub;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            // In clap's order: environment, then default.
            let default = default.map(|d| format!(" [default: {}]", crate::llm::display_url(&d))).unwrap_or_default();
            let env =
                format!(" [env: OLLAMA_HOST={}]", env.as_deref().map(crate::llm::display_url).unwrap_or_default());
            sub.mut_arg(ID, |arg| arg.hide_default_value(true).hide_env(true).help(format!("{help}{env}{default}")))
        });
    }
    command
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub clusters: ClustersArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Analyze a saved snapshot instead of a live cluster (see `analyze --snapshot`).
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    pub snapshot: Option<PathBuf>,
    /// Directory for the reports (created when missing): report-<UTC time>.{md,html,json} and latest.* copies.
    #[arg(long, value_name = "DIR", help_heading = "Report")]
    pub out: PathBuf,
    /// The history database [default: $XDG_STATE_HOME/mekhanikube/history.sqlite].
    #[arg(long, value_name = "PATH", env = "MEKHANIKUBE_HISTORY", help_heading = "Report")]
    pub history: Option<PathBuf>,
    /// Compare with earlier runs recorded under this name, instead of those of the same source and scope (for
    /// snapshots saved under a new file name each time).
    #[arg(long, value_name = "NAME", help_heading = "Report")]
    pub history_key: Option<String>,
    /// Exit with code 1 when a finding at or above this severity is new since the previous run (on the first
    /// run, every finding is new). Without it, a written report exits 0.
    #[arg(long, value_enum, value_name = "SEVERITY", help_heading = "Report")]
    pub fail_on_new: Option<SeverityArg>,
    /// Keep only the newest N timestamped report sets in --out, deleting older ones after writing [default: keep
    /// all]. latest.* and files not named by mekhanikube are never deleted.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Report")]
    pub keep_reports: Option<u32>,
    /// Also write Prometheus metrics of this run to PATH (atomically), for node_exporter's textfile collector.
    #[arg(long, value_name = "PATH", help_heading = "Report")]
    pub metrics_file: Option<PathBuf>,
    /// Who reads the output: operator (everything) or developer (one namespace; other namespaces' objects and
    /// cluster-wide policies appear only as what they do to it, without names; needs -n).
    #[arg(long, value_enum, default_value_t = AudienceArg::Operator, help_heading = "Output")]
    pub audience: AudienceArg,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// `mcp`: the cluster or snapshot, the model and the history are fixed here, by the client's configuration; the
/// tools scope within them.
#[cfg(feature = "mcp")]
#[derive(Debug, Args)]
// The `explain` tool is always offered: the flag that turns explanations on elsewhere means nothing here.
#[command(mut_arg("explain", |a| a.hide(true)))]
pub struct McpArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Serve a saved snapshot instead of a live cluster (see `analyze --snapshot`).
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    pub snapshot: Option<PathBuf>,
    /// The history the `diff` tool reads (never writes) [default: $XDG_STATE_HOME/mekhanikube/history.sqlite].
    #[arg(long, value_name = "PATH", env = "MEKHANIKUBE_HISTORY", help_heading = "Report")]
    pub history: Option<PathBuf>,
    /// Who the tools answer: operator (everything) or developer (one namespace, given with -n: every tool answers
    /// for it only, and cluster-wide policies and other namespaces appear without their names).
    #[arg(long, value_enum, default_value_t = AudienceArg::Operator, help_heading = "Output")]
    pub audience: AudienceArg,
    /// The namespace served to its developers (with --audience developer).
    #[arg(short, long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// The model of the `explain` tool.
    #[command(flatten)]
    pub llm: LlmArgs,
}

#[derive(Debug, Args)]
pub struct ConstraintsArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The namespace whose constraints to show (required).
    #[arg(short, long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Read a saved snapshot instead of a live cluster (see `analyze --snapshot`).
    #[arg(long, value_name = "PATH", help_heading = "Input")]
    pub snapshot: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text, help_heading = "Output")]
    pub output: OutputFormat,
    /// Who reads the output: operator (everything) or developer (cluster-wide policies and other namespaces'
    /// objects appear only as what they do to this namespace, without names).
    #[arg(long, value_enum, default_value_t = AudienceArg::Operator, help_heading = "Output")]
    pub audience: AudienceArg,
    /// Explain one constraint with the local model, by its reference as the list shows it: quota/NAME,
    /// limitrange/NAME, pdb/NAME, netpol/NAME or admission/N.
    #[arg(long, value_name = "REF", help_heading = "Explanations")]
    pub explain: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
}
