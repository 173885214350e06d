//! The step every command shares: read the cluster (live or from saved files), run the selected analyzers, apply
//! the scope and link the findings into problems. `analyze`, `report` and `snapshot` call it; they see only
//! resolved settings, never the command line.

use std::path::PathBuf;

use anyhow::Context;
use mekhanikube_analyzers::{
    Analyzer, ObjectRef, Scope, Snapshot, SnapshotBuilder, ValuePolicy, needed_custom_groups, needed_kinds, run,
};

use crate::audience::{Audience, Redactor};
use crate::cluster::{self, ClusterInfo, ClusterOptions, CrdSelection, ReadProgress};
use crate::document::{AnalysisDocument, Checked, ConstraintsDocument, ScopeInfo, Source};
use crate::printer::Printer;
use crate::sanitize::sanitize_for_terminal;

/// What part of the cluster to analyze, and with which analyzers.
pub struct ScopeSettings {
    pub scope: Scope,
    pub info: ScopeInfo,
    pub analyzers: Vec<&'static dyn Analyzer>,
    /// Which custom resources to read, when an analyzer reads any.
    pub crds: CrdSelection,
    /// Whose crashed containers' logs to read (`--logs`).
    pub logs: Logs,
}

/// `--logs`: for which problems the last lines of a crashed container are read (one request each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Logs {
    #[default]
    Off,
    /// Every problem of the analysis (`analyze`, `report`).
    Every,
    /// The problem with this root finding (the MCP `explain` tool).
    Problem(String),
}

impl ScopeSettings {
    /// The custom resources to read: none unless a selected analyzer looks at them.
    fn custom_selection(&self) -> CrdSelection {
        if self.analyzers.iter().any(|a| a.reads_custom()) { self.crds.clone() } else { CrdSelection::None }
    }

    /// The custom groups the selected analyzers read whatever `--crds` says (policy reports).
    fn required_groups(&self) -> std::collections::BTreeSet<String> {
        needed_custom_groups(&self.analyzers)
    }
}

/// Where the objects come from.
pub enum Input {
    Cluster(ClusterOptions),
    /// A `kind: List` file or a directory of them.
    Snapshot(PathBuf),
}

/// Reads, runs the selected analyzers, applies the scope and links the findings into problems. The snapshot is
/// returned too, for explanations that need the objects behind the findings.
pub async fn analysis(
    printer: &Printer,
    input: &Input,
    scope: &ScopeSettings,
) -> anyhow::Result<(AnalysisDocument, Snapshot)> {
    let (snapshot, source, client) = read(printer, input, scope).await?;
    let started = std::time::Instant::now();
    let mut findings = run(&scope.analyzers, &snapshot);
    log_phase("analyze", started, format_args!("{} findings", findings.len()));
    scope.scope.retain(&mut findings, &snapshot);
    let started = std::time::Instant::now();
    let mut doc = AnalysisDocument::new(source, scope.info.clone(), findings, snapshot.skipped.clone());
    doc.link(&snapshot)?;
    log_phase("link", started, format_args!("{} problems", doc.problems.len()));
    if let Some(client) = client.filter(|_| scope.logs != Logs::Off) {
        let problems: Vec<_> = match &scope.logs {
            Logs::Problem(root) => doc.problems.iter().filter(|p| &p.root == root).cloned().collect(),
            _ => doc.problems.clone(),
        };
        let started = std::time::Instant::now();
        let spinner = printer.spinner("reading the logs of crashed containers");
        cluster::attach_logs(&client, &mut doc.findings, &problems).await;
        spinner.finish_and_clear();
        log_phase("logs", started, format_args!("{} problems", problems.len()));
    }
    Ok((doc, snapshot))
}

/// The constraints on the workloads of the scope's namespace, with the findings of every analyzer over what was
/// read (not narrowed by the scope: a cluster-wide webhook's own finding matters to the namespace), redacted for
/// the developer audience as an analysis is.
pub async fn constraints(
    printer: &Printer,
    input: &Input,
    scope: &ScopeSettings,
    namespace: &str,
) -> anyhow::Result<(ConstraintsDocument, Snapshot)> {
    let (snapshot, source, _) = read(printer, input, scope).await?;
    let started = std::time::Instant::now();
    let findings = run(&scope.analyzers, &snapshot);
    let constraints = mekhanikube_analyzers::constraints::collect(&snapshot, namespace, &findings);
    log_phase("constraints", started, format_args!("{} constraints", constraints.len()));
    let audience = scope.info.audience;
    let doc = ConstraintsDocument::new(source, namespace.to_string(), audience, constraints, snapshot.skipped.clone());
    let doc = match audience {
        Audience::Developer => Redactor::for_namespace(&snapshot, namespace).document(&doc, "constraints")?,
        Audience::Operator => doc,
    };
    Ok((doc, snapshot))
}

/// Reads the snapshot (live or from files, narrowed to the scope's namespace as a live read is) and checks that
/// the scope names what is there; live, the client too, for the logs.
async fn read(
    printer: &Printer,
    input: &Input,
    scope: &ScopeSettings,
) -> anyhow::Result<(Snapshot, Source, Option<kube::Client>)> {
    let mut client = None;
    let (snapshot, source) = match input {
        Input::Snapshot(path) => {
            if scope.logs != Logs::Off {
                printer.note("--logs: a saved snapshot holds no container logs, so none are shown");
            }
            let snapshot = read_snapshot_files(path, scope)?;
            let source =
                Source { mode: "snapshot".into(), snapshot: Some(path.display().to_string()), ..Source::default() };
            (snapshot, source)
        }
        Input::Cluster(options) => {
            let (builder, info, live) =
                read_cluster(printer, options, scope, ValuePolicy::Redact).await.context("reading the cluster")?;
            client = Some(live);
            let source =
                Source { mode: "cluster".into(), context: info.context, server: Some(info.server), snapshot: None };
            let started = std::time::Instant::now();
            let snapshot = builder.build();
            log_phase("index", started, format_args!("{} objects", snapshot.objects.count()));
            (snapshot, source)
        }
    };
    scope.scope.check_exists(&snapshot)?;
    Ok((snapshot, source, client))
}

/// Moves the progress bar, and logs each kind's count and time since the read began (`-v`).
struct BarProgress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
}

impl ReadProgress for BarProgress {
    fn kind_done(&self, kind: mekhanikube_analyzers::Kind, count: usize) {
        self.bar.inc(1);
        self.bar.set_message(format!("read {count} {}", kind.plural()));
        tracing::debug!("read {count} {} at {:.2} s", kind.plural(), self.started.elapsed().as_secs_f64());
    }
}

/// Logs one phase of a run with its time and what it produced (`-v`), so a slow run shows where it went.
pub fn log_phase(phase: &str, started: std::time::Instant, what: std::fmt::Arguments) {
    tracing::debug!("phase {phase}: {:.3} s, {what}", started.elapsed().as_secs_f64());
}

/// Reads what the selected analyzers need from the live cluster; `values` says whether values that may be
/// credentials are kept (only `snapshot --keep-values` keeps them). The client comes back for `--logs`.
pub async fn read_cluster(
    printer: &Printer,
    options: &ClusterOptions,
    scope: &ScopeSettings,
    values: ValuePolicy,
) -> anyhow::Result<(SnapshotBuilder, ClusterInfo, kube::Client)> {
    let prepared = cluster::prepare(options).await?;
    if prepared.insecure_tls() {
        printer.warn(&format!(
            "the kubeconfig turns off certificate checks for {} (insecure-skip-tls-verify): the server is not \
             authenticated, so anyone on the path could read or change what is read",
            sanitize_for_terminal(&prepared.info().server)
        ));
    }
    let spinner = printer.spinner("connecting to the API server");
    let started = std::time::Instant::now();
    let connected = prepared.connect().await;
    spinner.finish_and_clear();
    let (client, info) = connected?;
    log_phase("connect", started, format_args!("{}", info.server));
    let kinds = needed_kinds(&scope.analyzers);
    let bar = printer.progress(kinds.len() as u64, "reading the cluster");
    let progress = BarProgress { bar: bar.clone(), started: std::time::Instant::now() };
    let mut builder = SnapshotBuilder::new().with_values(values);
    // The analysis clock: ages are measured from when the read started, and a saved snapshot keeps this time.
    builder.set_read_at(jiff::Timestamp::now());
    let namespace = scope.scope.namespace.as_deref();
    let result = cluster::read(&client, &info, &kinds, namespace, options.read_timeout, &progress, builder).await;
    bar.finish_and_clear();
    log_phase("read", progress.started, format_args!("{} kinds", kinds.len()));
    let builder = result?;
    let selection = scope.custom_selection();
    let required = scope.required_groups();
    if selection == CrdSelection::None && required.is_empty() {
        return Ok((builder, info, client));
    }
    let spinner = printer.spinner("reading custom resources");
    let started = std::time::Instant::now();
    let builder = cluster::read_custom(&client, &selection, &required, namespace, builder).await;
    spinner.finish_and_clear();
    log_phase("read custom resources", started, format_args!("{} objects", builder.custom().len()));
    Ok((builder, info, client))
}

/// Loads a saved snapshot, narrowed to the namespace as a live read would be.
fn read_snapshot_files(path: &std::path::Path, scope: &ScopeSettings) -> anyhow::Result<Snapshot> {
    let started = std::time::Instant::now();
    let mut builder = SnapshotBuilder::new();
    let files = crate::snapshot_io::load(path, &mut builder)?;
    // Before narrowing: a file whose objects are all in other namespaces is a wrong `-n`, said by the scope check.
    if builder.object_count() == 0 {
        anyhow::bail!("snapshot {} holds no Kubernetes objects: is it the right file?", path.display());
    }
    if let Some(ns) = &scope.scope.namespace {
        builder.retain_namespace(ns);
    }
    // The same custom resources as a live read of the same selection would have.
    let selection = scope.custom_selection();
    let required = scope.required_groups();
    builder.retain_custom_groups(|group| selection.includes(group) || required.contains(group));
    log_phase("load", started, format_args!("{files} file(s)"));
    Ok(builder.build())
}

/// The objects each analyzer checked (the kinds it checks, within the scope), in analyzer order.
pub fn checked(snapshot: &Snapshot, scope: &ScopeSettings) -> Vec<Checked> {
    let all = snapshot.objects.all_meta();
    scope
        .analyzers
        .iter()
        .map(|analyzer| {
            let objects = all
                .iter()
                .filter(|(kind, _)| analyzer.subjects().contains(kind))
                .map(|(kind, meta)| ObjectRef {
                    api_version: kind.api_version().to_string(),
                    kind: kind.name().to_string(),
                    namespace: meta.namespace.clone(),
                    name: meta.name.clone().unwrap_or_default(),
                    uid: None,
                })
                .filter(|o| scope.scope.keeps_object(o, snapshot))
                .collect();
            Checked { analyzer: analyzer.name().to_string(), objects }
        })
        .collect()
}
