//! The HTML view: one self-contained file (inline CSS and SVG, no script) whose Content-Security-Policy forbids
//! every external request, so opening a report never reaches the network.

use std::collections::HashSet;
use std::fmt::Write;

use mekhanikube_analyzers::{Finding, Severity};

use super::{chart, text};
use crate::document::{Identity, ReportDocument};

const CSS: &str = include_str!("report.css");

pub fn render(doc: &ReportDocument) -> String {
    let a = &doc.analysis;
    let d = &doc.diff;
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mekhanikube {version}">
<title>mekhanikube report {generated}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>mekhanikube report</h1>
<dl class="meta">
<dt>Source</dt><dd>{source}</dd>
<dt>Scope</dt><dd>{scope}</dd>
<dt>Generated</dt><dd>{generated} · <code>{report}</code> · history key <code>{key}</code></dd>
</dl>
</header>
<main>
"#,
        version = env!("CARGO_PKG_VERSION"),
        generated = esc(&text::when(&doc.generated_at)),
        source = esc(&text::source(&a.source)),
        scope = esc(&text::scope(&a.scope)),
        report = esc(&doc.report),
        key = esc(&doc.history.key),
    );

    cards(&mut out, doc);
    let comparison = match &d.previous {
        Some(prev) => format!(
            "Compared with the previous run of {} ({}, health score {}).",
            text::when(&prev.generated_at),
            prev.report,
            prev.summary.health_score
        ),
        None => "First run for this history key: every finding counts as new.".to_string(),
    };
    let _ = writeln!(out, r#"<p class="comparison">{}</p>"#, esc(&comparison));

    let runs = match doc.trend.len() {
        1 => "this run only".to_string(),
        n => format!("last {n} runs"),
    };
    let _ = writeln!(out, r#"<section id="trend"><h2>Trend <small>{runs}</small></h2>"#);
    out.push_str(&chart::svg(&doc.trend, &doc.report));
    out.push_str("</section>\n");

    problems_section(&mut out, doc);
    let _ = writeln!(out, r#"<section id="new"><h2>New findings <span class="count">{}</span></h2>"#, d.new.len());
    short_table(&mut out, &d.new, "new");
    out.push_str("</section>\n");
    let _ = writeln!(
        out,
        r#"<section id="resolved"><h2>Resolved findings <span class="count">{}</span></h2>"#,
        d.resolved.len()
    );
    short_table(&mut out, &d.resolved, "resolved");
    out.push_str("</section>\n");

    let _ = writeln!(
        out,
        r#"<section id="findings"><h2>All findings <span class="count">{}</span></h2>"#,
        a.findings.len()
    );
    all_findings(&mut out, doc);
    out.push_str("</section>\n");

    explanations(&mut out, doc);

    if !a.skipped.is_empty() {
        out.push_str(
            r#"<section id="skipped"><h2>Not read</h2><p>Checks that need these kinds were not made.</p><ul>"#,
        );
        for s in &a.skipped {
            let _ = write!(out, "<li><b>{}</b>: {}</li>", esc(&text::clean(&s.kind)), esc(&text::clean(&s.reason)));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str(
        "</main>\n<footer>Written by mekhanikube, read-only. This file is self-contained: no scripts, no external \
         requests.</footer>\n</body>\n</html>\n",
    );
    out
}

fn cards(out: &mut String, doc: &ReportDocument) {
    let s = &doc.analysis.summary;
    let d = &doc.diff;
    let grade = match s.health_score {
        80..=100 => "good",
        60..=79 => "fair",
        _ => "poor",
    };
    let change = d
        .health_score_change
        .map(|c| format!(r#"<span class="change">{}</span>"#, esc(&text::signed(c))))
        .unwrap_or_default();
    let chips: String = Severity::ALL
        .iter()
        .filter(|sev| s.count(**sev) > 0)
        .map(|sev| format!(r#"<span class="sev sev-{0}">{1} {0}</span> "#, sev.as_str(), s.count(*sev)))
        .collect();
    let _ = write!(
        out,
        r#"<div class="cards">
<div class="card health {grade}"><div class="label">Health score</div><div class="value">{score}<small>/100 {letter}</small>{change}</div></div>
<div class="card"><div class="label">Findings</div><div class="value">{total}</div><div class="chips">{chips}</div></div>
<div class="card new"><div class="label">New</div><div class="value">{new}</div></div>
<div class="card resolved"><div class="label">Resolved</div><div class="value">{resolved}</div></div>
<div class="card"><div class="label">Persisting</div><div class="value">{persisting}</div></div>
</div>
"#,
        score = s.health_score,
        letter = esc(&s.grade),
        total = s.total,
        new = d.new.len(),
        resolved = d.resolved.len(),
        persisting = d.persisting.len(),
    );
}

/// The problems first: root cause, what it takes down, and whether its root is new.
fn problems_section(out: &mut String, doc: &ReportDocument) {
    let rows = super::problems::rows(doc);
    if rows.is_empty() {
        return;
    }
    let _ = write!(
        out,
        r#"<section id="problems"><h2>Problems <span class="count">{}</span></h2><div class="scroll"><table class="problems"><thead><tr><th>Severity</th><th>Status</th><th>Root cause</th><th>Takes down</th><th>Findings</th></tr></thead><tbody>"#,
        rows.len()
    );
    for p in &rows {
        let _ = write!(
            out,
            "<tr>{}<td>{}</td><td class=\"message\">{}</td><td class=\"message\">{}</td><td>{}</td></tr>",
            severity_cell(p.severity),
            if p.new { "<b>new</b>" } else { "persisting" },
            breakable(&p.summary),
            breakable(&p.blast.join(", ")),
            p.findings
        );
    }
    out.push_str("</tbody></table></div></section>\n");
}

fn short_table(out: &mut String, findings: &[Finding], class: &str) {
    if findings.is_empty() {
        out.push_str(r#"<p class="none">None.</p>"#);
        return;
    }
    let _ = write!(
        out,
        r#"<div class="scroll"><table class="{class}"><thead><tr><th>Severity</th><th>Code</th><th>Namespace</th><th>Object</th><th>Message</th></tr></thead><tbody>"#
    );
    for f in findings {
        let _ = write!(
            out,
            "<tr>{}<td class=\"code\"><code>{}</code></td><td class=\"name\">{}</td><td class=\"object\">{}</td><td class=\"message\">{}</td></tr>",
            severity_cell(f.severity),
            esc(&f.code),
            breakable(&text::namespace(&f.object)),
            breakable(&text::object(&f.object)),
            breakable(&text::clean(&f.message)),
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn all_findings(out: &mut String, doc: &ReportDocument) {
    let findings = &doc.analysis.findings;
    if findings.is_empty() {
        out.push_str(r#"<p class="none">No findings.</p>"#);
        return;
    }
    let new_ids: HashSet<Identity> = doc.diff.new.iter().map(Identity::of).collect();
    out.push_str(
        r#"<div class="scroll"><table class="all"><thead><tr><th>#</th><th>Severity</th><th>Status</th><th>Code</th><th>Namespace</th><th>Object</th><th>Owner</th><th>Message</th></tr></thead><tbody>"#,
    );
    for (i, f) in findings.iter().enumerate() {
        let status = if new_ids.contains(&Identity::of(f)) {
            r#"<span class="badge new">new</span>"#
        } else {
            r#"<span class="badge">persisting</span>"#
        };
        let mut message = breakable(&text::clean(&f.message));
        if !f.evidence.is_empty() {
            let items: String =
                f.evidence.iter().map(|e| format!("<li>{}</li>", breakable(&text::evidence(e)))).collect();
            let _ = write!(
                message,
                "<details><summary>evidence ({})</summary><ul>{items}</ul></details>",
                f.evidence.len()
            );
        }
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td>{}<td>{status}</td><td class=\"code\"><code>{}</code></td><td class=\"name\">{}</td><td class=\"object\">{}</td><td class=\"name\">{}</td><td class=\"message\">{message}</td></tr>",
            i + 1,
            severity_cell(f.severity),
            esc(&f.code),
            breakable(&text::namespace(&f.object)),
            breakable(&text::object(&f.object)),
            breakable(&text::parent(f).unwrap_or_else(|| "-".into())),
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn explanations(out: &mut String, doc: &ReportDocument) {
    let list = text::explanations(&doc.analysis);
    if list.is_empty() {
        return;
    }
    out.push_str(r#"<section id="explanations"><h2>Explanations</h2>"#);
    for e in list {
        let _ = write!(out, r#"<article class="explanation"><h3>{}</h3>"#, breakable(&e.heading));
        if !e.objects.is_empty() {
            let objects: Vec<String> = e.objects.iter().map(|o| breakable(o)).collect();
            let _ = write!(out, r#"<p class="affects">Affects: {}</p>"#, objects.join(", "));
        }
        let _ = write!(out, "<div class=\"body\">{}</div></article>", esc(e.body.trim_end()));
    }
    out.push_str("</section>\n");
}

fn severity_cell(severity: Severity) -> String {
    format!(r#"<td><span class="sev sev-{0}">{0}</span></td>"#, severity.as_str())
}

/// Escapes text for element content and offers a line break after each `/`, `-`, `.`, `:` and `_`, so that a
/// long name (`shop/Deployment/payment-gateway-7c9d5f6b8-4xj2n`, an image reference) wraps between its parts
/// rather than mid-word or not at all.
pub fn breakable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut run = 0;
    for c in text.chars() {
        out.push_str(&esc(c.encode_utf8(&mut [0; 4])));
        run = if c.is_whitespace() { 0 } else { run + 1 };
        // After a separator that ends a part (not one that opens a word, as in ` -v` or `.5`).
        if matches!(c, '/' | '-' | '.' | ':' | '_') && run > 1 {
            out.push_str("<wbr>");
        }
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{breakable, esc};

    #[test]
    fn names_break_between_their_parts_only() {
        assert_eq!(breakable("shop/Pod/api-7c9d.x"), "shop/<wbr>Pod/<wbr>api-<wbr>7c9d.<wbr>x");
        assert_eq!(breakable("<a>/b"), "&lt;a&gt;/<wbr>b", "escaped first");
        assert_eq!(breakable("run -v now"), "run -v now", "a flag is not split from its dash");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<img src=x onerror="a('b')">&"#),
            "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;"
        );
    }
}
