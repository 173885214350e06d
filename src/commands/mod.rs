//! One file per subcommand. Each returns the process exit status or an error for `main` to print.

pub mod analyze;
pub mod analyzers;
pub mod cache;
pub mod explain;
pub mod report;
pub mod snapshot;

use mekhanikube_analyzers::{Snapshot, SnapshotBuilder, ValuePolicy, needed_kinds};

use crate::cluster::{self, ClusterInfo, ClusterOptions, ReadProgress};
use crate::printer::Printer;
use crate::sanitize::sanitize_for_terminal;
use crate::settings::ScopeSettings;

/// How a run ends, as the process exit status documented in README.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the threshold (`--fail-on`, `--fail-on-new`).
    Ok = 0,
    /// Something at or above the threshold.
    Findings = 1,
    /// Bad input, an unreachable cluster or model: what to fix was printed on stderr.
    Error = 2,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status as u8)
    }
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
/// credentials are kept (only `snapshot --keep-values` keeps them).
pub async fn read_cluster(
    printer: &Printer,
    options: &ClusterOptions,
    scope: &ScopeSettings,
    values: ValuePolicy,
) -> anyhow::Result<(SnapshotBuilder, ClusterInfo)> {
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
    let builder = SnapshotBuilder::new().with_values(values);
    let namespace = scope.scope.namespace.as_deref();
    let result = cluster::read(&client, &info, &kinds, namespace, options.read_timeout, &progress, builder).await;
    bar.finish_and_clear();
    log_phase("read", progress.started, format_args!("{} kinds", kinds.len()));
    Ok((result?, info))
}

/// Loads a saved snapshot, narrowed to the namespace as a live read would be.
pub fn read_snapshot_files(path: &std::path::Path, scope: &ScopeSettings) -> anyhow::Result<Snapshot> {
    let started = std::time::Instant::now();
    let mut builder = SnapshotBuilder::new();
    let files = crate::snapshot_io::load(path, &mut builder)?;
    if let Some(ns) = &scope.scope.namespace {
        builder.retain_namespace(ns);
    }
    log_phase("load", started, format_args!("{files} file(s)"));
    Ok(builder.build())
}
