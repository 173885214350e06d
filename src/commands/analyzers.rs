//! `mekhanikube analyzers`: what each analyzer reads and which codes it can emit.

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets};
use mekhanikube_analyzers::{Analyzer, Severity, SeverityRule, registry};
use serde::Serialize;

use super::ExitStatus;
use crate::printer::Printer;
use crate::render::ListFormat as Format;
use crate::rules::RuleAnalyzer;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnalyzerInfo {
    name: &'static str,
    /// `built-in`, or the rule file it was loaded from.
    source: String,
    kinds: Vec<&'static str>,
    /// Whether it also reads custom resources (found by discovery, chosen with `--crds`).
    custom_resources: bool,
    codes: Vec<CodeDoc>,
}

#[derive(Serialize)]
struct CodeDoc {
    code: &'static str,
    summary: &'static str,
    severity: SeverityDoc,
}

/// A code's [`SeverityRule`]: `when` says when one of `others` applies instead of `default` ("" when none can).
#[derive(Serialize)]
struct SeverityDoc {
    default: Severity,
    others: &'static [Severity],
    when: &'static str,
}

impl SeverityDoc {
    fn of(rule: &SeverityRule) -> SeverityDoc {
        SeverityDoc { default: rule.default, others: rule.others, when: rule.when }
    }

    /// The table cell: the default, and the others in parentheses ("medium (or critical, high)").
    fn cell(&self) -> String {
        if self.others.is_empty() {
            return self.default.to_string();
        }
        let others: Vec<&str> = self.others.iter().map(|s| s.as_str()).collect();
        format!("{} (or {})", self.default, others.join(", "))
    }
}

pub fn run_analyzers(printer: &Printer, format: Format, rules: &[&'static RuleAnalyzer]) -> anyhow::Result<ExitStatus> {
    let built_in = registry().iter().map(|a| (*a, "built-in".to_string()));
    let from_files = rules.iter().map(|r| (*r as &'static dyn Analyzer, r.source().display().to_string()));
    let infos: Vec<AnalyzerInfo> = built_in
        .chain(from_files)
        .map(|(a, source)| AnalyzerInfo {
            name: a.name(),
            source,
            kinds: a.kinds().iter().map(|k| k.name()).collect(),
            custom_resources: a.reads_custom(),
            codes: a
                .codes()
                .iter()
                .map(|c| CodeDoc { code: c.code, summary: c.summary, severity: SeverityDoc::of(&c.severity) })
                .collect(),
        })
        .collect();
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&infos)? + "\n",
        Format::Yaml => serde_saphyr::to_string(&infos)?,
        Format::Text => {
            let mut table = Table::new();
            table.load_style(presets::UTF8_FULL_CONDENSED);
            table.set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(["ANALYZER", "READS", "CODES", "SEVERITY"]);
            for info in &infos {
                let codes: Vec<&str> = info.codes.iter().map(|c| c.code).collect();
                let severities: Vec<String> = info.codes.iter().map(|c| c.severity.cell()).collect();
                let mut reads = info.kinds.join(", ");
                if info.custom_resources {
                    reads.push_str(", custom resources");
                }
                // A rule file's analyzer says where it came from, under its name.
                let name = match info.source.as_str() {
                    "built-in" => info.name.to_string(),
                    file => format!("{}\n({file})", info.name),
                };
                table.add_row([name, reads, codes.join("\n"), severities.join("\n")]);
            }
            // One line per code in both columns: only READS may wrap, or a code and its severity would drift apart.
            for column in [2, 3] {
                if let Some(c) = table.column_mut(column) {
                    c.set_constraint(ColumnConstraint::ContentWidth);
                }
            }
            table.to_string() + "\n"
        }
    };
    printer.out(&text)?;
    Ok(ExitStatus::Ok)
}
