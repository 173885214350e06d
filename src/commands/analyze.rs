//! `mekhanikube analyze`: read (live or from files), analyze, rank, print; explain when asked.

use super::{ExitStatus, explain};
use crate::printer::Printer;
use crate::render::{self, Format};
use crate::{pipeline, settings::AnalyzeSettings};

pub async fn run_analyze(printer: &Printer, settings: AnalyzeSettings) -> anyhow::Result<ExitStatus> {
    let (mut doc, snapshot) = pipeline::analysis(printer, &settings.input, &settings.scope).await?;
    let failing = doc.findings.iter().any(|f| f.severity.at_least(settings.fail_on));
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
        Format::Json | Format::Yaml => {
            if let Some(model) = &settings.explain {
                let (entries, failed) = explain::explain(printer, model, &snapshot, &doc, false).await?;
                doc.explanations = Some(entries);
                explain_failed = failed;
            }
            let rendered = if settings.format == Format::Json { render::json(&doc)? } else { render::yaml(&doc)? };
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
