//! `mekhanikube analyze`: read (live or from files), analyze, rank, print; explain when asked.

use anyhow::Context;
use std::path::PathBuf;

use mekhanikube_analyzers::{Snapshot, ValuePolicy, run};

use super::{ExitStatus, explain, read_cluster, read_snapshot_files};
use crate::cli::{AnalyzeArgs, ClusterArgs, OutputFormat, ScopeArgs};
use crate::document::{AnalysisDocument, Source};
use crate::printer::Printer;
use crate::{render, settings};

pub async fn run_analyze(printer: &Printer, args: AnalyzeArgs) -> anyhow::Result<ExitStatus> {
    let min_severity = settings::severity(args.min_severity);
    let fail_on = settings::severity(args.fail_on);
    let explain =
        if args.llm.explain { Some(explain::settings(&args.llm, args.output != OutputFormat::Text)?) } else { None };
    let (mut doc, snapshot) = analysis(printer, &args.cluster, &args.scope, &args.snapshot).await?;
    let failing = doc.findings.iter().any(|f| f.severity.at_least(fail_on));
    doc.retain_at_least(min_severity, &snapshot);

    // Findings are printed in full before any explanation, so a slow or dead model loses nothing.
    let mut explain_failed = false;
    match args.output {
        OutputFormat::Text => {
            printer.out(&render::text(&doc, None, args.flat))?;
            if let Some(settings) = &explain {
                explain_failed = explain::explain(printer, settings, &snapshot, &doc, true).await?.1;
            }
        }
        OutputFormat::Json | OutputFormat::Yaml => {
            if let Some(settings) = &explain {
                let (entries, failed) = explain::explain(printer, settings, &snapshot, &doc, false).await?;
                doc.explanations = Some(entries);
                explain_failed = failed;
            }
            let rendered = if args.output == OutputFormat::Json { render::json(&doc)? } else { render::yaml(&doc)? };
            printer.out(&rendered)?;
        }
    }
    Ok(if explain_failed {
        ExitStatus::Error
    } else if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}

/// Reads (live or from files), runs the selected analyzers, applies the scope: the analysis every command shares.
/// The snapshot is returned too, for explanations that need the objects behind the findings.
pub async fn analysis(
    printer: &Printer,
    cluster: &ClusterArgs,
    scope_args: &ScopeArgs,
    snapshot_path: &Option<PathBuf>,
) -> anyhow::Result<(AnalysisDocument, Snapshot)> {
    let scope = settings::scope(scope_args)?;
    let (snapshot, source) = match settings::snapshot_path(snapshot_path)? {
        Some(path) => {
            let snapshot = read_snapshot_files(&path, &scope)?;
            let source =
                Source { mode: "snapshot".into(), snapshot: Some(path.display().to_string()), ..Source::default() };
            (snapshot, source)
        }
        None => {
            let options = settings::cluster_options(cluster)?;
            let (builder, info) =
                read_cluster(printer, &options, &scope, ValuePolicy::Redact).await.context("reading the cluster")?;
            let source =
                Source { mode: "cluster".into(), context: info.context, server: Some(info.server), snapshot: None };
            let started = std::time::Instant::now();
            let snapshot = builder.build();
            super::log_phase("index", started, format_args!("{} objects", snapshot.objects.all_meta().len()));
            (snapshot, source)
        }
    };
    let started = std::time::Instant::now();
    let mut findings = run(&scope.analyzers, &snapshot);
    super::log_phase("analyze", started, format_args!("{} findings", findings.len()));
    scope.scope.retain(&mut findings, &snapshot);
    let mut doc = AnalysisDocument::new(source, scope.info.clone(), findings, snapshot.skipped.clone());
    doc.link(&snapshot);
    Ok((doc, snapshot))
}
