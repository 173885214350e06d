//! `mekhanikube report`: analyze, diff against the previous run of the same cluster and scope, write Markdown,
//! HTML and JSON reports, and record the run in the history. See src/report/mod.rs for the crash-safe order.

use std::time::Duration;

use anyhow::Context;

use super::{ExitStatus, explain};
use crate::cli::ReportArgs;
use crate::pipeline;
use crate::printer::Printer;
use crate::report::{self, History, HistoryLock, ReportDocument, TREND_RUNS, checkpoint};
use crate::settings;

/// Waiting longer than this for another run means that run is stuck: the locked section takes milliseconds.
const LOCK_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run_report(printer: &Printer, args: ReportArgs) -> anyhow::Result<ExitStatus> {
    let history_path = match &args.history {
        Some(path) => path.clone(),
        None => report::default_history_path()
            .context("no state or data directory for the history on this system; pass --history PATH")?,
    };
    let explain_settings = if args.llm.explain { Some(explain::settings(&args.llm, true)?) } else { None };
    let input = settings::input(&args.cluster, &args.snapshot)?;
    let scope = settings::scope(&args.scope)?;
    let (mut doc, snapshot) = pipeline::analysis(printer, &input, &scope).await?;
    // A report is written even when the model fails: the explanations then carry their error.
    let mut explain_failed = false;
    if let Some(settings) = &explain_settings {
        let (entries, failed) = explain::explain(printer, settings, &snapshot, &doc, false).await?;
        doc.explanations = Some(entries);
        explain_failed = failed;
    }
    checkpoint("analysis");

    let key = report::history_key(&doc.source, &doc.scope, args.history_key.as_deref());
    report::files::create_dir(&args.out)?;
    let mut history = History::open(&history_path)?;
    let lock = HistoryLock::acquire(&history_path, LOCK_TIMEOUT, printer)?;
    checkpoint("lock");
    let previous = history.previous(&key.id)?;
    let trend = history.trend(&key.id, TREND_RUNS - 1)?;
    let diff = report::diff(previous, &doc.findings, doc.summary.health_score);
    let stem = report::pick_stem(&args.out, &doc.generated_at);
    let report_doc = ReportDocument::new(stem.clone(), &key, doc, diff, trend);
    let rendered = report::render(&report_doc).context("encoding the JSON report")?;
    report::write_reports(&args.out, &stem, &rendered)?;
    checkpoint("reports");
    history.record(&key, &report_doc.run_summary(), &report_doc.analysis.findings)?;
    checkpoint("history");
    report::write_latest(&args.out, &rendered)?;
    if let Some(keep) = args.keep_reports {
        report::files::prune(&args.out, keep as usize)?;
    }
    drop(lock);

    let d = &report_doc.diff;
    let change = d.health_score_change.map(|c| format!(" ({})", report::text::signed(c))).unwrap_or_default();
    printer.note(&format!(
        "wrote {stem}.{{{}}} and latest.* in {}: {} new, {} resolved, {} persisting; health score {}{change}",
        report::files::extensions(),
        args.out.display(),
        d.new.len(),
        d.resolved.len(),
        d.persisting.len(),
        report_doc.analysis.summary.health_score,
    ));
    let failing = args.fail_on_new.is_some_and(|s| d.has_new_at_least(settings::severity(s)));
    Ok(if explain_failed {
        ExitStatus::Error
    } else if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    })
}
