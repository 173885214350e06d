//! `mekhanikube report`: analyze, diff against the previous run of the same cluster and scope, write Markdown,
//! HTML and JSON reports, and record the run in the history. See src/report/mod.rs for the crash-safe order;
//! the views are in src/render/report.

use std::time::Duration;

use anyhow::Context;

use super::{ExitStatus, explain, write_metrics};
use crate::pipeline;
use crate::printer::Printer;
use crate::render::report as views;
use crate::report::{self, History, HistoryLock, TREND_RUNS, checkpoint};
use crate::settings::ReportSettings;

/// Waiting longer than this for another run means that run is stuck: the locked section takes milliseconds.
const LOCK_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run_report(printer: &Printer, settings: ReportSettings) -> anyhow::Result<ExitStatus> {
    let [input] = settings.inputs.as_slice() else {
        return run_reports(printer, &settings).await;
    };
    report_one(printer, &settings, input, &settings.out).await
}

/// One report per context, each under OUT/CONTEXT with its own history key (the key includes the context); one
/// after the other, since each holds the history lock. A cluster that fails is reported and skipped; the run
/// fails (exit 2) only when none could be reported.
async fn run_reports(printer: &Printer, settings: &ReportSettings) -> anyhow::Result<ExitStatus> {
    let mut worst = ExitStatus::Ok;
    let mut written = 0;
    for input in &settings.inputs {
        let context = match input {
            pipeline::Input::Cluster(options) => options.context.clone().unwrap_or_default(),
            pipeline::Input::Snapshot(_) => unreachable!("several inputs are always contexts"),
        };
        let out = settings.out.join(report::files::dir_name(&context));
        match report_one(printer, settings, input, &out).await {
            Ok(status) => {
                written += 1;
                if status as u8 > worst as u8 {
                    worst = status;
                }
            }
            Err(e) => printer.error(&format!("context {context}: {}", super::error_line(&e))),
        }
    }
    if written == 0 {
        anyhow::bail!("none of the {} contexts could be reported (see above)", settings.inputs.len());
    }
    Ok(worst)
}

async fn report_one(
    printer: &Printer,
    settings: &ReportSettings,
    input: &pipeline::Input,
    out: &std::path::Path,
) -> anyhow::Result<ExitStatus> {
    let started = std::time::Instant::now();
    let history_path = &settings.history;
    let (mut doc, snapshot) = pipeline::analysis(printer, input, &settings.scope).await?;
    // A report is written even when the model fails: the explanations then carry their error.
    let mut explain_failed = false;
    if let Some(model) = &settings.explain {
        let (entries, failed) = explain::explain(printer, model, &snapshot, &doc, false).await?;
        doc.explanations = Some(entries);
        explain_failed = failed;
    }
    checkpoint("analysis");

    let key = report::history_key(&doc.source, &doc.scope, settings.history_key.as_deref());
    report::files::create_dir(out)?;
    let mut history = History::open(history_path)?;
    let lock = HistoryLock::acquire(history_path, LOCK_TIMEOUT, printer)?;
    checkpoint("lock");
    let previous = history.previous(&key.id)?;
    let trend = history.trend(&key.id, TREND_RUNS - 1)?;
    let diff = report::diff(previous, &doc.findings, doc.summary.health_score);
    let stem = report::pick_stem(out, &doc.generated_at);
    let report_doc = report::assemble(stem.clone(), &key, doc, diff, trend);
    let rendered = views::render(&report_doc).context("encoding the JSON report")?;
    report::write_reports(out, &stem, &rendered)?;
    checkpoint("reports");
    history.record(&key, &report_doc.run_summary(), &report_doc.analysis.findings)?;
    checkpoint("history");
    report::write_latest(out, &rendered)?;
    if let Some(keep) = settings.keep_reports {
        report::files::prune(out, keep)?;
    }
    drop(lock);
    // Last, so that the last-success time is only ever that of a run whose report and history were written.
    if let Some(path) = &settings.metrics_file {
        write_metrics(path, &report_doc.analysis, started)?;
    }

    let d = &report_doc.diff;
    let change = d.health_score_change.map(|c| format!(" ({})", views::text::signed(c))).unwrap_or_default();
    printer.note(&format!(
        "wrote {stem}.{{{}}} and latest.* in {}: {} new, {} resolved, {} persisting; health score {}{change}",
        report::files::extensions(),
        out.display(),
        d.new.len(),
        d.resolved.len(),
        d.persisting.len(),
        report_doc.analysis.summary.health_score,
    ));
    let failing = settings.fail_on_new.is_some_and(|s| d.has_new_at_least(s));
    Ok(if explain_failed {
        ExitStatus::Error
    } else if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}
