//! Reports for scheduled runs: a history of past runs per cluster and scope, the diff against the previous run,
//! and the same data written as Markdown, HTML and JSON (the views live in src/render/report).
//!
//! Order of a run, chosen so that a process killed at any point leaves the previous reports and history usable:
//! analysis (no lock) → lock → read the previous run → render in memory → write the timestamped files (each
//! atomic, never overwriting) → record the run in one SQLite transaction → replace the `latest.*` copies → unlock.
//! A run killed before the commit leaves only orphan timestamped files; the next run diffs against the last
//! committed one.

mod diff;
pub mod files;
mod key;
mod lock;
mod store;

use crate::document::{API_VERSION, AnalysisDocument, Diff, HistoryInfo, ReportDocument, RunSummary};

pub use diff::diff;
#[cfg(feature = "mcp")]
pub use diff::new_problems;
pub use files::{checkpoint, pick_stem, write_latest, write_reports};
pub use key::{HistoryKey, history_key};
pub use lock::HistoryLock;
pub use store::{History, default_history_path};

/// How many runs the trend (chart and table) covers, this one included.
pub const TREND_RUNS: usize = 20;

/// The report of one run: this analysis, its diff against the previous run (with the problems whose root is new)
/// and the trend of the last [`TREND_RUNS`] runs, ending with this one.
pub fn assemble(
    report: String,
    key: &HistoryKey,
    analysis: AnalysisDocument,
    mut diff: Diff,
    mut trend: Vec<RunSummary>,
) -> ReportDocument {
    diff.new_problems = diff::new_problems(&analysis.problems, &analysis.findings, &diff.new);
    trend.push(RunSummary {
        report: report.clone(),
        generated_at: analysis.generated_at.clone(),
        summary: analysis.summary.clone(),
    });
    let skip = trend.len().saturating_sub(TREND_RUNS);
    trend.drain(..skip);
    ReportDocument {
        api_version: API_VERSION.to_string(),
        kind: "Report".to_string(),
        report,
        generated_at: analysis.generated_at.clone(),
        history: HistoryInfo { key: key.id.clone(), label: key.label.clone() },
        analysis,
        diff,
        trend,
    }
}
