//! The Markdown view: readable as plain text in a terminal or a mail, and rendered by any Markdown viewer.

use std::collections::HashSet;
use std::fmt::Write;

use mekhanikube_analyzers::Finding;

use super::diff::Identity;
use super::{ReportDocument, text};

/// How many runs the Markdown trend table lists (the HTML chart shows the whole trend).
const TABLE_RUNS: usize = 10;

pub fn render(doc: &ReportDocument) -> String {
    let a = &doc.analysis;
    let d = &doc.diff;
    let mut out = String::new();
    let _ = writeln!(out, "# mekhanikube report\n");
    let _ = writeln!(out, "**Source:** {}  ", esc(&text::source(&a.source)));
    let _ = writeln!(out, "**Scope:** {}  ", esc(&text::scope(&a.scope)));
    let _ = writeln!(
        out,
        "**Generated:** {} \u{b7} report `{}` \u{b7} history key `{}`\n",
        text::when(&doc.generated_at),
        doc.report,
        doc.history.key
    );

    let _ = writeln!(out, "## Summary\n");
    let change = d.health_score_change.map(|c| format!(" ({})", text::signed(c))).unwrap_or_default();
    let _ = writeln!(out, "| Health score | Findings | New | Resolved | Persisting |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| **{}**/100{change} | {} | {} | {} | {} |\n",
        a.summary.health_score,
        esc(&text::counts(&a.summary)),
        d.new.len(),
        d.resolved.len(),
        d.persisting.len()
    );
    match &d.previous {
        Some(prev) => {
            let _ = writeln!(
                out,
                "Compared with the previous run of {} (`{}`, health score {}).\n",
                text::when(&prev.generated_at),
                prev.report,
                prev.summary.health_score
            );
        }
        None => {
            let _ = writeln!(out, "First run for this history key: every finding counts as new.\n");
        }
    }

    problems_section(&mut out, doc);
    let _ = writeln!(out, "## New findings ({})\n", d.new.len());
    short_table(&mut out, &d.new);
    let _ = writeln!(out, "## Resolved findings ({})\n", d.resolved.len());
    short_table(&mut out, &d.resolved);

    let new_ids: HashSet<Identity> = d.new.iter().map(Identity::of).collect();
    let _ = writeln!(out, "## All findings ({})\n", a.findings.len());
    if a.findings.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        let _ = writeln!(out, "| # | Severity | Status | Code | Namespace | Object | Owner | Message |");
        let _ = writeln!(out, "|---:|---|---|---|---|---|---|---|");
        for (i, f) in a.findings.iter().enumerate() {
            let status = if new_ids.contains(&Identity::of(f)) { "**new**" } else { "persisting" };
            let _ = writeln!(
                out,
                "| {} | {} | {status} | `{}` | {} | {} | {} | {} |",
                i + 1,
                f.severity,
                f.code,
                esc(&text::namespace(&f.object)),
                esc(&text::object(&f.object)),
                esc(&text::parent(f).unwrap_or_else(|| "-".into())),
                esc(&text::clean(&f.message))
            );
        }
        out.push('\n');
        evidence(&mut out, &a.findings);
    }

    let explanations = text::explanations(a);
    if !explanations.is_empty() {
        let _ = writeln!(out, "## Explanations\n");
        for e in explanations {
            let _ = writeln!(out, "### {}\n", esc(&e.heading));
            if !e.objects.is_empty() {
                let objects: Vec<String> = e.objects.iter().map(|o| esc(o)).collect();
                let _ = writeln!(out, "Affects: {}\n", objects.join(", "));
            }
            // The model writes Markdown; keep it, but no raw HTML.
            let _ = writeln!(out, "{}\n", e.body.replace('<', "&lt;").replace('>', "&gt;").trim_end());
        }
    }

    let _ = writeln!(out, "## Trend\n");
    let _ = writeln!(out, "| Run | Generated | Health | Critical | High | Medium | Low | Info | Total |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let skip = doc.trend.len().saturating_sub(TABLE_RUNS);
    for run in &doc.trend[skip..] {
        let s = &run.summary;
        let mark = if run.report == doc.report { " (this run)" } else { "" };
        let _ = writeln!(
            out,
            "| `{}`{mark} | {} | {} | {} | {} | {} | {} | {} | {} |",
            esc(&run.report),
            text::when(&run.generated_at),
            s.health_score,
            s.critical,
            s.high,
            s.medium,
            s.low,
            s.info,
            s.total
        );
    }
    out.push('\n');

    if !a.skipped.is_empty() {
        let _ = writeln!(out, "## Not read\n");
        let _ = writeln!(out, "Checks that need these kinds were not made.\n");
        for s in &a.skipped {
            let _ = writeln!(out, "- {}: {}", esc(&text::clean(&s.kind)), esc(&text::clean(&s.reason)));
        }
        out.push('\n');
    }
    out
}

/// The problems first: root cause, what it takes down, and whether its root is new.
fn problems_section(out: &mut String, doc: &ReportDocument) {
    let rows = super::problems::rows(doc);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Problems ({})\n", rows.len());
    let _ = writeln!(out, "| # | Severity | Status | Root cause | Takes down | Findings |");
    let _ = writeln!(out, "|---:|---|---|---|---|---:|");
    for (i, p) in rows.iter().enumerate() {
        let status = if p.new { "**new**" } else { "persisting" };
        let blast = if p.blast.is_empty() { "-".to_string() } else { esc(&p.blast.join(", ")) };
        let _ =
            writeln!(out, "| {} | {} | {status} | {} | {blast} | {} |", i + 1, p.severity, esc(&p.summary), p.findings);
    }
    out.push('\n');
}

fn short_table(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    let _ = writeln!(out, "| Severity | Code | Namespace | Object | Message |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            f.severity,
            f.code,
            esc(&text::namespace(&f.object)),
            esc(&text::object(&f.object)),
            esc(&text::clean(&f.message))
        );
    }
    out.push('\n');
}

fn evidence(out: &mut String, findings: &[Finding]) {
    if findings.iter().all(|f| f.evidence.is_empty()) {
        return;
    }
    let _ = writeln!(out, "### Evidence\n");
    for (i, f) in findings.iter().enumerate().filter(|(_, f)| !f.evidence.is_empty()) {
        let _ =
            writeln!(out, "**{}. {} `{}` {}**\n", i + 1, f.severity, f.code, esc(&text::clean(&f.object.display())));
        for e in &f.evidence {
            let _ = writeln!(out, "- {}", esc(&text::evidence(e)));
        }
        out.push('\n');
    }
}

/// Cluster text in Markdown: the characters that would start formatting, links, HTML or a table cell are
/// backslash-escaped (CommonMark allows it for any ASCII punctuation).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_table_breakers() {
        assert_eq!(esc("a|b <script> *x* [l](u)"), "a\\|b \\<script\\> \\*x\\* \\[l\\](u)");
        assert_eq!(esc("shop/Pod/api-1"), "shop/Pod/api-1");
    }
}
