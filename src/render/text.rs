//! The terminal view: a summary, the problems (root cause, then what it affects), a table of findings, then
//! details per finding. `flat` leaves the problems out.

use comfy_table::{Cell, ContentArrangement, Table, presets};
use mekhanikube_analyzers::{Evidence, Finding, Problem, Severity};
use owo_colors::OwoColorize;

use crate::document::AnalysisDocument;
use crate::sanitize::sanitize_for_terminal;

/// Renders the document; `width` fixes the table width (tests), None lets it follow the terminal; `flat` shows
/// findings only, as a table.
pub fn text(doc: &AnalysisDocument, width: Option<u16>, flat: bool) -> String {
    let mut out = String::new();
    let s = &doc.summary;
    let where_ = match (&doc.source.context, &doc.source.snapshot) {
        (_, Some(path)) => format!("snapshot {path}"),
        (Some(ctx), None) => format!("context {ctx}"),
        (None, None) => doc.source.server.clone().unwrap_or_default(),
    };
    out.push_str(&format!("{} {}\n", "mekhanikube analysis of".bold(), sanitize_for_terminal(&where_)));
    if s.total == 0 {
        out.push_str(&format!("{} no findings — health score {}/100\n", "✓".green().bold(), s.health_score));
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter(|sev| s.count(**sev) > 0)
            .map(|sev| format!("{} {}", s.count(*sev), severity_label(*sev)))
            .collect();
        let problems =
            if flat { String::new() } else { format!(" in {}", super::count(doc.problems.len(), "problem")) };
        out.push_str(&format!(
            "{}{problems}: {} — health score {}/100\n\n",
            super::count(s.total, "finding"),
            counts.join(", "),
            score_colored(s.health_score)
        ));
        if !flat && !doc.problems.is_empty() {
            out.push_str(&problems_view(&doc.problems, &doc.findings));
            out.push('\n');
        }
        out.push_str(&findings_table(&doc.findings, width));
        for (i, finding) in doc.findings.iter().enumerate() {
            out.push('\n');
            out.push_str(&details(i + 1, finding));
        }
    }
    for skipped in &doc.skipped {
        out.push_str(&format!(
            "\n{} {} not read: {}",
            "skipped:".yellow(),
            sanitize_for_terminal(&skipped.kind),
            sanitize_for_terminal(&skipped.reason)
        ));
    }
    if !doc.skipped.is_empty() {
        out.push('\n');
    }
    out
}

/// One entry per problem: the root cause in words, what it takes down, and its findings by table number.
fn problems_view(problems: &[Problem], findings: &[Finding]) -> String {
    let mut out = format!("{}\n", "Problems, by what they take down:".bold());
    for (i, p) in problems.iter().enumerate() {
        let alike = p.alike(findings).len();
        let more = if alike > 1 { format!(" (and {} more like it)", alike - 1) } else { String::new() };
        out.push_str(&format!(
            "{:>3} {} {}{more}\n",
            format!("{}.", i + 1).bold(),
            severity_label(p.severity),
            sanitize_for_terminal(&p.summary)
        ));
        if !p.blast_radius.is_empty() {
            let hit: Vec<String> = p.blast_radius.iter().map(|b| format!("{} {}", b.object.label(), b.state)).collect();
            out.push_str(&format!("     → {}\n", sanitize_for_terminal(&hit.join(", "))));
        }
        let numbers: Vec<String> = p
            .members
            .iter()
            .filter_map(|id| findings.iter().position(|f| &f.id == id))
            .map(|n| format!("#{}", n + 1))
            .collect();
        out.push_str(&format!("     {}\n", format!("findings {}", numbers.join(" ")).dimmed()));
    }
    out
}

fn severity_label(severity: Severity) -> String {
    let label = severity.as_str().to_uppercase();
    match severity {
        Severity::Critical => label.white().on_red().bold().to_string(),
        Severity::High => label.red().bold().to_string(),
        Severity::Medium => label.yellow().bold().to_string(),
        Severity::Low => label.cyan().to_string(),
        Severity::Info => label.dimmed().to_string(),
    }
}

fn score_colored(score: u8) -> String {
    match score {
        80..=100 => score.green().to_string(),
        50..=79 => score.yellow().to_string(),
        _ => score.red().bold().to_string(),
    }
}

fn findings_table(findings: &[Finding], width: Option<u16>) -> String {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.force_no_tty().set_width(w);
    }
    table.set_header(["#", "SEVERITY", "NAMESPACE", "OBJECT", "CODE"]);
    for (i, f) in findings.iter().enumerate() {
        table.add_row([
            Cell::new(i + 1),
            Cell::new(f.severity.as_str().to_uppercase()),
            Cell::new(sanitize_for_terminal(f.object.namespace.as_deref().unwrap_or("-"))),
            Cell::new(sanitize_for_terminal(&format!("{}/{}", f.object.kind, f.object.name))),
            Cell::new(&f.code),
        ]);
    }
    table.to_string() + "\n"
}

fn details(index: usize, f: &Finding) -> String {
    let mut out = format!(
        "{} {} {}",
        format!("{index}.").bold(),
        severity_label(f.severity),
        sanitize_for_terminal(&f.object.display()).bold()
    );
    if let Some(parent) = &f.parent {
        out.push_str(&format!(" (in {}/{})", sanitize_for_terminal(&parent.kind), sanitize_for_terminal(&parent.name)));
    }
    out.push_str(&format!("  {}\n", f.code.dimmed()));
    out.push_str(&format!("   {}\n", sanitize_for_terminal(&f.message)));
    for e in &f.evidence {
        out.push_str(&format!("   {} {}\n", "·".dimmed(), sanitize_for_terminal(&evidence_line(e)).dimmed()));
    }
    out
}

/// One line describing a piece of evidence, shared by the terminal view and reports. Not sanitized.
pub fn evidence_line(e: &Evidence) -> String {
    match e {
        Evidence::Condition { condition, status, reason, message } => {
            let mut line = format!("condition {condition}={status}");
            if let Some(r) = reason {
                line.push_str(&format!(" ({r})"));
            }
            if let Some(m) = message {
                line.push_str(&format!(": {m}"));
            }
            line
        }
        Evidence::ContainerState { container, init, state, reason, message, exit_code, restart_count } => {
            let mut line = format!("{}container {container} {state}", if *init { "init " } else { "" });
            if let Some(r) = reason {
                line.push_str(&format!(" {r}"));
            }
            if let Some(code) = exit_code {
                line.push_str(&format!(" exit {code}"));
            }
            line.push_str(&format!(", {restart_count} restarts"));
            if let Some(m) = message {
                line.push_str(&format!(": {m}"));
            }
            line
        }
        Evidence::Event(ev) => {
            let when = ev.last_time.as_deref().map(|t| format!(", last {t}")).unwrap_or_default();
            format!("event {} {} ×{}{when}: {}", ev.event_type, ev.reason, ev.count, ev.message)
        }
        Evidence::Field { name, value } => format!("{name}: {value}"),
        Evidence::Cause { object, link, message } => {
            format!("caused by {} ({}): {message}", object.label(), link.as_str())
        }
    }
}

/// A checked answer for the terminal (its text when there is no structured answer): commands set apart, the
/// label of a command that changes the cluster and the notes on removed commands and unknown names in colour.
pub fn answer(answer: Option<&crate::document::Answer>, text: &str) -> String {
    let body = match answer {
        Some(a) if a.parsed || a.raw.is_some() => a.to_text(),
        _ => sanitize_for_terminal(text),
    };
    let mut out = String::new();
    for line in body.lines() {
        let trimmed = line.trim_start();
        let shown = if trimmed.starts_with('(') && trimmed.contains(crate::document::WRITE_LABEL) {
            line.yellow().to_string()
        } else if trimmed.starts_with("$ ") {
            line.cyan().to_string()
        } else if line.starts_with("Removed from the answer") || line.starts_with("Names the model used") {
            line.yellow().bold().to_string()
        } else if line.starts_with("(free text:") {
            line.yellow().to_string()
        } else {
            line.to_string()
        };
        out.push_str(&shown);
        out.push('\n');
    }
    out
}
