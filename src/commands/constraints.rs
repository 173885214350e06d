//! `mekhanikube constraints -n NAMESPACE`: every constraint on the namespace's workloads, with what each touches
//! and whether it blocks something now; `--explain REF` explains one of them to a developer.

use anyhow::Context;

use super::{ExitStatus, explain};
use crate::pipeline;
use crate::printer::Printer;
use crate::render::{self, ListFormat};
use crate::settings::ConstraintsSettings;

pub async fn run_constraints(printer: &Printer, settings: ConstraintsSettings) -> anyhow::Result<ExitStatus> {
    let (mut doc, snapshot) =
        pipeline::constraints(printer, &settings.input, &settings.scope, &settings.namespace).await?;
    let asked = match &settings.explain {
        Some((reference, _)) => {
            Some(doc.constraints.iter().find(|c| &c.reference == reference).cloned().with_context(|| {
                let known: Vec<&str> = doc.constraints.iter().map(|c| c.reference.as_str()).collect();
                let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                format!("no constraint {reference} applies in namespace {} (there are: {known})", doc.namespace)
            })?)
        }
        None => None,
    };
    let mut failed = false;
    match settings.format {
        ListFormat::Text => {
            printer.out(&render::constraints_text(&doc))?;
            if let (Some(c), Some((_, model))) = (&asked, &settings.explain) {
                failed = explain::explain_constraint(printer, model, &snapshot, &doc, c, true).await?.1;
            }
        }
        ListFormat::Json | ListFormat::Yaml => {
            if let (Some(c), Some((_, model))) = (&asked, &settings.explain) {
                let (entry, explain_failed) =
                    explain::explain_constraint(printer, model, &snapshot, &doc, c, false).await?;
                doc.explanation = entry;
                failed = explain_failed;
            }
            let rendered = if settings.format == ListFormat::Json { render::json(&doc)? } else { render::yaml(&doc)? };
            printer.out(&rendered)?;
        }
    }
    Ok(if failed { ExitStatus::Error } else { ExitStatus::Ok })
}
