//! `mekhanikube analyze`: read (live or from files), analyze, rank, print; explain when asked.

use super::{ExitStatus, explain, write_metrics};
use crate::printer::Printer;
use crate::render::{self, Format};
use crate::{pipeline, settings::AnalyzeSettings};

pub async fn run_analyze(printer: &Printer, settings: AnalyzeSettings) -> anyhow::Result<ExitStatus> {
    let started = std::time::Instant::now();
    let (mut doc, snapshot) = pipeline::analysis(printer, &settings.input, &settings.scope).await?;
    let failing = doc.findings.iter().any(|f| f.severity.at_least(settings.fail_on));
    // Metrics count every finding of the analysis, whatever --min-severity hides from the view.
    if let Some(path) = &settings.metrics_file {
        write_metrics(path, &doc, started)?;
    }
    doc.retain_at_least(settings.min_severity, &snapshot);

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
    Ok(if explain_failed {
        ExitStatus::Error
    } else if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}
