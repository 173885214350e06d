//! `--explain` for `analyze` and `report`: a terminal sink that streams answers, and the
//! per-problem results that go into JSON/YAML documents and reports.

use mekhanikube_analyzers::Snapshot;
use owo_colors::OwoColorize;

use mekhanikube_analyzers::constraints::Constraint;

use crate::audience::{Audience, Redactor};
use crate::document::{AnalysisDocument, ConstraintsDocument, ExplanationEntry};
use crate::llm::{self, ExplainOptions, ExplainReport, ExplainSink, NullSink, OutcomeStatus, Problem, ProblemOutcome};
use crate::printer::{OutputClosed, Printer};
use crate::sanitize::sanitize_for_terminal;
use crate::settings::ExplainSettings;

/// Explains the findings, grouped into problems. With `stream`, answers are printed as they arrive; either way
/// the per-problem results come back for documents, with whether anything went wrong (already reported on
/// stderr in one line). Ctrl-C stops generation and keeps what was printed.
pub async fn explain(
    printer: &Printer,
    settings: &ExplainSettings,
    snapshot: &Snapshot,
    doc: &AnalysisDocument,
    stream: bool,
) -> Result<(Vec<ExplanationEntry>, bool), OutputClosed> {
    // One call per problem of the document: its root cause, with the chain and the blast radius in the prompt.
    let problems = llm::Problem::from_core(&doc.problems, &doc.findings);
    let options = for_audience(&settings.options, snapshot, doc.scope.audience, doc.scope.namespace.as_deref());
    explain_problems(printer, &settings.client, &options, snapshot, &problems, stream, "problem").await
}

/// Explains one constraint of the constraints view to the namespace's developer (`constraints --explain`).
pub async fn explain_constraint(
    printer: &Printer,
    settings: &ExplainSettings,
    snapshot: &Snapshot,
    doc: &ConstraintsDocument,
    constraint: &Constraint,
    stream: bool,
) -> Result<(Option<ExplanationEntry>, bool), OutputClosed> {
    let problems = [llm::Problem::from_constraint(constraint)];
    let options = for_audience(&settings.options, snapshot, doc.audience, Some(&doc.namespace));
    let (entries, failed) =
        explain_problems(printer, &settings.client, &options, snapshot, &problems, stream, "constraint").await?;
    Ok((entries.into_iter().next(), failed))
}

/// The options with the developer audience's redaction of prompts (src/audience.rs) when that is the audience.
fn for_audience(options: &ExplainOptions, snapshot: &Snapshot, audience: Audience, ns: Option<&str>) -> ExplainOptions {
    let redactor = match (audience, ns) {
        (Audience::Developer, Some(ns)) => Some(std::sync::Arc::new(Redactor::for_namespace(snapshot, ns))),
        _ => None,
    };
    ExplainOptions { redactor, ..options.clone() }
}

async fn explain_problems(
    printer: &Printer,
    client: &llm::OllamaClient,
    options: &ExplainOptions,
    snapshot: &Snapshot,
    problems: &[Problem],
    stream: bool,
    noun: &str,
) -> Result<(Vec<ExplanationEntry>, bool), OutputClosed> {
    // Ctrl-C, or the reader of stdout going away (`| head`), stops generation.
    let cancel = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = printer.output_closed() => {}
        }
    };
    let report = if stream {
        if !problems.is_empty() {
            printer.out(&format!(
                "\n{} {} with {} (local)\n",
                "Explanations:".bold(),
                crate::render::count(problems.len(), noun),
                sanitize_for_terminal(&options.model)
            ))?;
        }
        let mut sink = TerminalSink { printer, total: problems.len() };
        llm::explain(client, snapshot, problems, options, cancel, &mut sink).await
    } else {
        let report = llm::explain(client, snapshot, problems, options, cancel, &mut NullSink).await;
        if let Some(notice) = &report.notice {
            printer.warn(&sanitize_for_terminal(notice));
        }
        report
    };
    printer.check_open()?;
    let entries = problems.iter().zip(&report.outcomes).map(|(p, o)| p.entry(o)).collect();
    let failed = match summary_line(&report) {
        Some(line) => {
            printer.error(&line);
            true
        }
        None => false,
    };
    Ok((entries, failed))
}

/// One line for stderr when something went wrong, so the exit code's reason is visible.
fn summary_line(report: &ExplainReport) -> Option<String> {
    if let Some(fatal) = &report.fatal {
        return Some(format!("explanations unavailable: {fatal}"));
    }
    if report.cancelled {
        return Some("explanations stopped by the user".to_string());
    }
    report
        .had_error()
        .then(|| format!("{} could not be explained (see above)", crate::render::count(report.failed, "problem")))
}

/// Shows each answer under a heading naming the problem and the objects it covers. A structured answer is
/// shown once it is complete and checked (the explain loop never streams its raw text, where an unsafe command
/// could reach the terminal before it is removed); prose streams.
struct TerminalSink<'a> {
    printer: &'a Printer,
    total: usize,
}

// Write results are ignored here: a closed stdout cancels the whole run through `output_closed`.
impl ExplainSink for TerminalSink<'_> {
    fn notice(&mut self, text: &str) {
        self.printer.warn(&sanitize_for_terminal(text));
    }

    fn problem_start(&mut self, index: usize, problem: &Problem) {
        let objects: Vec<String> = problem.objects().iter().map(|o| sanitize_for_terminal(&o.display())).collect();
        let shown = objects.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let more = objects.len().saturating_sub(3);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        let _ = self.printer.out(&format!(
            "\n{} {} {} — {}: {shown}{more}\n",
            format!("[{}/{}]", index + 1, self.total).bold(),
            problem.severity.as_str().to_uppercase().bold(),
            problem.code.cyan(),
            crate::render::count(objects.len(), "object")
        ));
        // What the problem takes down, as the problems list above says it.
        let blast: Vec<String> =
            problem.core.blast_radius.iter().map(|b| format!("{} {}", b.object.label(), b.state)).collect();
        if !blast.is_empty() {
            let _ = self.printer.out(&format!("→ {}\n", sanitize_for_terminal(&blast.join(", "))));
        }
    }

    fn token(&mut self, _index: usize, text: &str) {
        let _ = self.printer.out(text);
    }

    fn problem_end(&mut self, _index: usize, outcome: &ProblemOutcome) {
        if let Some(answer) = &outcome.explanation {
            let _ = self.printer.out(&crate::render::answer(Some(answer), &outcome.text));
        }
        match (&outcome.status, &outcome.error) {
            (OutcomeStatus::Explained, _) => {
                let note = if outcome.cached { " (cached)".to_string() } else { stats_note(outcome) };
                // After a checked answer the note is a line of its own; after streamed prose it ends the text.
                let note = if outcome.explanation.is_some() { note.trim_start().to_string() } else { note };
                let _ = self.printer.out(&format!("{}\n", note.dimmed()));
            }
            (_, Some(error)) => {
                let _ = self.printer.out(&format!("\n{} {}\n", "explanation unavailable:".yellow(), error));
            }
            (_, None) => {
                let _ = self.printer.out("\n");
            }
        }
        for warning in &outcome.warnings {
            self.printer.warn(warning);
        }
    }
}

/// ` (first token 1.2 s, 48 tokens/s)` after a fresh answer: what a slow model costs is visible.
fn stats_note(outcome: &ProblemOutcome) -> String {
    let Some(stats) = &outcome.stats else { return String::new() };
    let first = stats.first_token_ms.map(|ms| format!("first token {:.1} s", ms as f64 / 1000.0));
    let speed = stats.tokens_per_second().map(|t| format!("{t:.0} tokens/s"));
    let parts: Vec<String> = first.into_iter().chain(speed).collect();
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}
