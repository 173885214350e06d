//! `mekhanikube analyzers`: what each analyzer reads and which codes it can emit.

use comfy_table::{ContentArrangement, Table, presets};
use mekhanikube_analyzers::registry;
use serde::Serialize;

use super::ExitStatus;
use crate::cli::{AnalyzersArgs, OutputFormat};
use crate::printer::Printer;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnalyzerInfo {
    name: &'static str,
    kinds: Vec<&'static str>,
    codes: Vec<CodeDoc>,
}

#[derive(Serialize)]
struct CodeDoc {
    code: &'static str,
    summary: &'static str,
}

pub fn run_analyzers(printer: &Printer, args: AnalyzersArgs) -> anyhow::Result<ExitStatus> {
    let infos: Vec<AnalyzerInfo> = registry()
        .iter()
        .map(|a| AnalyzerInfo {
            name: a.name(),
            kinds: a.kinds().iter().map(|k| k.name()).collect(),
            codes: a.codes().iter().map(|c| CodeDoc { code: c.code, summary: c.summary }).collect(),
        })
        .collect();
    let text = match args.output {
        OutputFormat::Json => serde_json::to_string_pretty(&infos)? + "\n",
        OutputFormat::Yaml => serde_saphyr::to_string(&infos)?,
        OutputFormat::Text => {
            let mut table = Table::new();
            table.load_style(presets::UTF8_FULL_CONDENSED);
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(["ANALYZER", "READS", "CODES"]);
            for info in &infos {
                let codes: Vec<&str> = info.codes.iter().map(|c| c.code).collect();
                table.add_row([info.name.to_string(), info.kinds.join(", "), codes.join("\n")]);
            }
            table.to_string() + "\n"
        }
    };
    printer.out(&text)?;
    Ok(ExitStatus::Ok)
}
