//! `mekhanikube analyze`: read (live or from files), analyze, rank, print; explain when asked.

use super::{ExitStatus, explain};
use crate::cli::{AnalyzeArgs, OutputFormat};
use crate::printer::Printer;
use crate::{pipeline, render, settings};

pub async fn run_analyze(printer: &Printer, args: AnalyzeArgs) -> anyhow::Result<ExitStatus> {
    let min_severity = settings::severity(args.min_severity);
    let fail_on = settings::severity(args.fail_on);
    let explain =
        if args.llm.explain { Some(explain::settings(&args.llm, args.output != OutputFormat::Text)?) } else { None };
    let input = settings::input(&args.cluster, &args.snapshot)?;
    let scope = settings::scope(&args.scope)?;
    let (mut doc, snapshot) = pipeline::analysis(printer, &input, &scope).await?;
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
