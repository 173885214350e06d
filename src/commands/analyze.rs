//! `mekhanikube analyze`: read (live or from files), analyze, rank, print; explain when asked. With several
//! contexts, the clusters are read concurrently and reported one after the other, each as a whole analysis.

use futures::StreamExt;

use super::{ExitStatus, explain, write_metrics};
use crate::document::{ClusterEntry, ClustersDocument};
use crate::pipeline::{self, Input};
use crate::printer::Printer;
use crate::render::{self, Format};
use crate::settings::AnalyzeSettings;

/// Clusters read at once: each read already keeps several lists in flight.
const CLUSTERS_IN_FLIGHT: usize = 4;

pub async fn run_analyze(printer: &Printer, settings: AnalyzeSettings) -> anyhow::Result<ExitStatus> {
    if settings.inputs.len() > 1 {
        return run_clusters(printer, settings).await;
    }
    let started = std::time::Instant::now();
    let (mut doc, snapshot) = pipeline::analysis(printer, &settings.inputs[0], &settings.scope).await?;
    let failing = doc.findings.iter().any(|f| f.severity.at_least(settings.fail_on));
    // Metrics count every finding of the analysis, whatever --min-severity hides from the view.
    if let Some(path) = &settings.metrics_file {
        write_metrics(path, &doc, started)?;
    }
    let filtered = std::time::Instant::now();
    doc.retain_at_least(settings.min_severity, &snapshot)?;
    pipeline::log_phase("filter", filtered, format_args!("{} findings shown", doc.findings.len()));

    // Findings are printed in full before any explanation, so a slow or dead model loses nothing.
    let mut explain_failed = false;
    match settings.format {
        Format::Text => {
            printer.out(&render::text(&doc, None, settings.flat))?;
            if let Some(model) = &settings.explain {
                explain_failed = explain::explain(printer, model, &snapshot, &doc, true).await?.1;
            }
        }
        Format::Json | Format::Yaml | Format::Markdown => {
            if let Some(model) = &settings.explain {
                let (entries, failed) = explain::explain(printer, model, &snapshot, &doc, false).await?;
                doc.explanations = Some(entries);
                explain_failed = failed;
            }
            let rendered = match settings.format {
                Format::Json => render::json(&doc)?,
                Format::Yaml => render::yaml(&doc)?,
                _ => render::report::markdown::analysis(&doc),
            };
            printer.out(&rendered)?;
        }
        Format::Sarif => printer.out(&render::sarif(&doc)?)?,
        Format::Junit => {
            let checked = pipeline::checked(&snapshot, &settings.scope);
            printer.out(&render::junit(&doc, &checked, settings.fail_on)?)?;
        }
    }
    pipeline::log_phase("run", started, format_args!("{} problems", doc.problems.len()));
    // The process ends next: freeing a big cluster's objects one by one took 5 s at 100,000 pods, for nothing.
    std::mem::forget(snapshot);
    Ok(status(explain_failed, failing))
}

fn status(explain_failed: bool, failing: bool) -> ExitStatus {
    if explain_failed {
        ExitStatus::Error
    } else if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    }
}

fn context_of(input: &Input) -> String {
    match input {
        Input::Cluster(options) => options.context.clone().unwrap_or_default(),
        Input::Snapshot(path) => path.display().to_string(),
    }
}

/// Several clusters: read side by side (their progress hushed), then reported in the order given. A cluster that
/// cannot be read is an entry with its error; the run fails (exit 2) only when none could be read.
async fn run_clusters(printer: &Printer, settings: AnalyzeSettings) -> anyhow::Result<ExitStatus> {
    let hushed = printer.hushed();
    let scope = &settings.scope;
    let results: Vec<(String, anyhow::Result<_>)> = futures::stream::iter(&settings.inputs)
        .map(|input| {
            let hushed = &hushed;
            async move { (context_of(input), pipeline::analysis(hushed, input, scope).await) }
        })
        .buffered(CLUSTERS_IN_FLIGHT)
        .collect()
        .await;

    let (mut failing, mut explain_failed, mut read) = (false, false, 0);
    let mut entries = Vec::new();
    for (context, result) in results {
        let (mut doc, snapshot) = match result {
            Ok(analysis) => analysis,
            Err(e) => {
                let line = super::error_line(&e);
                printer.warn(&format!("context {context}: {line}"));
                if settings.format == Format::Text {
                    printer.out(&format!("{}\n", render::unread_cluster(&context, &line)))?;
                }
                entries.push(ClusterEntry { context, analysis: None, error: Some(line) });
                continue;
            }
        };
        read += 1;
        failing |= doc.findings.iter().any(|f| f.severity.at_least(settings.fail_on));
        doc.retain_at_least(settings.min_severity, &snapshot)?;
        if settings.format == Format::Text {
            printer.out(&format!("{}\n", render::text(&doc, None, settings.flat)))?;
        }
        if let Some(model) = &settings.explain {
            let streamed = settings.format == Format::Text;
            let (answers, failed) = explain::explain(printer, model, &snapshot, &doc, streamed).await?;
            explain_failed |= failed;
            if !streamed {
                doc.explanations = Some(answers);
            }
        }
        entries.push(ClusterEntry { context, analysis: Some(doc), error: None });
    }
    let doc = ClustersDocument::new(entries);
    match settings.format {
        Format::Json => printer.out(&render::json(&doc)?)?,
        Format::Yaml => printer.out(&render::yaml(&doc)?)?,
        _ => {}
    }
    if read == 0 {
        anyhow::bail!("none of the {} contexts could be read (see above)", settings.inputs.len());
    }
    Ok(status(explain_failed, failing))
}
