//! `mekhanikube analyze`: read (live or from files), analyze, rank, print; explain when asked.

use anyhow::Context;
use mekhanikube_analyzers::{Snapshot, run};

use super::{EXIT_FINDINGS, EXIT_OK, read_cluster, read_snapshot_files};
use crate::cli::{AnalyzeArgs, OutputFormat};
use crate::document::{AnalysisDocument, Source};
use crate::printer::Printer;
use crate::{render, settings};

pub async fn run_analyze(printer: &Printer, args: AnalyzeArgs) -> anyhow::Result<u8> {
    let scope = settings::scope(&args.scope)?;
    let min_severity = settings::severity(args.min_severity);
    let fail_on = settings::severity(args.fail_on);
    let (snapshot, source) = load(printer, &args, &scope).await?;

    let mut findings = run(&scope.analyzers, &snapshot);
    scope.scope.retain(&mut findings, &snapshot);
    let failing = findings.iter().any(|f| f.severity.at_least(fail_on));
    findings.retain(|f| f.severity.at_least(min_severity));

    let doc = AnalysisDocument::new(source, scope.info.clone(), findings, snapshot.skipped.clone());
    let rendered = match args.output {
        OutputFormat::Text => render::text(&doc, None),
        OutputFormat::Json => render::json(&doc)?,
        OutputFormat::Yaml => render::yaml(&doc)?,
    };
    printer.out(&rendered);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_OK })
}

/// Reads the snapshot from files or from the cluster, whichever the arguments ask for.
pub async fn load(
    printer: &Printer,
    args: &AnalyzeArgs,
    scope: &settings::ScopeSettings,
) -> anyhow::Result<(Snapshot, Source)> {
    match settings::snapshot_path(&args.snapshot)? {
        Some(path) => {
            let snapshot = read_snapshot_files(&path, scope)?;
            let source = Source { mode: "snapshot".into(), snapshot: Some(path.display().to_string()), ..Source::default() };
            Ok((snapshot, source))
        }
        None => {
            let options = settings::cluster_options(&args.cluster)?;
            let (builder, info) = read_cluster(printer, &options, scope).await.context("reading the cluster")?;
            let source = Source { mode: "cluster".into(), context: info.context, server: Some(info.server), snapshot: None };
            Ok((builder.build(), source))
        }
    }
}
