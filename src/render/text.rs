//! The terminal view: a summary, the problems (root cause, then what it affects), a table of findings, then
//! details per finding. `flat` leaves the problems out.

use comfy_table::{Cell, ContentArrangement, Table, presets};
use mekhanikube_analyzers::{Evidence, Finding, Problem, Severity};
use owo_colors::OwoColorize;

use crate::document::AnalysisDocument;
use crate::sanitize::sanitize_for_terminal;

/// A cluster of a several-cluster run that could not be read: the heading its analysis would have had, and why.
pub fn unread_cluster(context: &str, error: &str) -> String {
    format!(
        "{} {}\n{} could not be read: {}\n",
        "mekhanikube analysis of".bold(),
        sanitize_for_terminal(&format!("context {context}")),
        "✗".red().bold(),
        sanitize_for_terminal(error)
    )
}

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
        out.push_str(&format!("{} no findings — health score {}\n", "✓".green().bold(), score_text(s)));
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter(|sev| s.count(**sev) > 0)
            .map(|sev| format!("{} {}", s.count(*sev), severity_label(*sev)))
            .collect();
        let problems =
            if flat { String::new() } else { format!(" in {}", super::count(doc.problems.len(), "problem")) };
        out.push_str(&format!(
            "{}{problems}: {} — health score {}\n",
            super::count(s.total, "finding"),
            counts.join(", "),
            score_text(s)
        ));
        out.push_str(&namespaces_line(s));
        out.push('\n');
        // A big cluster's findings would run to thousands of lines: the problems view then stands alone.
        let table = flat || doc.findings.len() <= TABLE_UP_TO;
        if !flat && !doc.problems.is_empty() {
            out.push_str(&problems_view(&doc.problems, &doc.findings, table));
            out.push('\n');
        }
        if table {
            out.push_str(&findings_table(&doc.findings, width));
            for (i, finding) in doc.findings.iter().enumerate() {
                out.push('\n');
                out.push_str(&details(i + 1, finding));
            }
        } else {
            out.push_str(&format!(
                "{}\n",
                format!(
                    "The {} and their evidence: --flat, or -o json for everything.",
                    super::count(doc.findings.len(), "finding")
                )
                .dimmed()
            ));
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

/// Problems whose roots share a code and a message pattern (100 Deployments crash-looping the same way) are
/// listed this many times; the rest of them on one line.
const ALIKE_SHOWN: usize = 3;
/// Above this many findings, the table and the details are left to `--flat` and `-o json`.
const TABLE_UP_TO: usize = 100;
/// How many of the folded problems' roots the fold line names.
const FOLDED_NAMED: usize = 5;

/// One entry per problem: the root cause in words, what it takes down, and (with the table) its findings by table
/// number. Problems alike beyond [`ALIKE_SHOWN`] fold into one line naming their roots.
fn problems_view(problems: &[Problem], findings: &[Finding], numbers: bool) -> String {
    let root = |p: &Problem| findings.iter().find(|f| f.id == p.root);
    // Each problem's pattern, computed once; its place among the problems alike is its order of arrival.
    let keys: Vec<Option<(String, String)>> = problems
        .iter()
        .map(|p| root(p).map(|f| (f.code.clone(), mekhanikube_analyzers::normalize_message(f))))
        .collect();
    let mut groups: std::collections::HashMap<&(String, String), Vec<usize>> = std::collections::HashMap::new();
    let mut places = vec![0; problems.len()];
    for (i, key) in keys.iter().enumerate() {
        if let Some(key) = key {
            let group = groups.entry(key).or_default();
            places[i] = group.len();
            group.push(i);
        }
    }
    let mut out = format!("{}\n", "Problems, by what they take down:".bold());
    for (i, p) in problems.iter().enumerate() {
        let group = keys[i].as_ref().and_then(|key| groups.get(key)).map(Vec::as_slice).unwrap_or_default();
        let place = places[i];
        if place >= ALIKE_SHOWN {
            continue;
        }
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
        if numbers {
            let numbers: Vec<String> = p
                .members
                .iter()
                .filter_map(|id| findings.iter().position(|f| &f.id == id))
                .map(|n| format!("#{}", n + 1))
                .collect();
            out.push_str(&format!("     {}\n", format!("findings {}", numbers.join(" ")).dimmed()));
        }
        if place + 1 == ALIKE_SHOWN && group.len() > ALIKE_SHOWN {
            let folded = &group[ALIKE_SHOWN..];
            let named: Vec<String> = folded
                .iter()
                .take(FOLDED_NAMED)
                .filter_map(|&g| root(&problems[g]))
                .map(|f| f.parent.as_ref().unwrap_or(&f.object).label())
                .collect();
            let rest = folded.len().saturating_sub(FOLDED_NAMED);
            let rest = if rest > 0 { format!(" and {rest} more") } else { String::new() };
            out.push_str(&format!(
                "     … {} like it: {}{rest}\n",
                super::count(folded.len(), "more problem"),
                sanitize_for_terminal(&named.join(", "))
            ));
        }
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

/// `72/100 (C), 5 of 40 workloads and nodes affected`, coloured by grade.
fn score_text(s: &mekhanikube_analyzers::Summary) -> String {
    let score = format!("{}/100", s.health_score);
    let score = match s.health_score {
        80..=100 => score.green().to_string(),
        60..=79 => score.yellow().to_string(),
        _ => score.red().bold().to_string(),
    };
    if s.grade.is_empty() {
        return score;
    }
    format!("{score} ({}), {} of {} workloads and nodes affected", s.grade, s.affected, s.units)
}

/// The namespaces below an A, worst first (at most five), when there is more than one namespace.
fn namespaces_line(s: &mekhanikube_analyzers::Summary) -> String {
    const SHOWN: usize = 5;
    if s.namespaces.len() < 2 {
        return String::new();
    }
    let low: Vec<String> = s
        .namespaces
        .iter()
        .filter(|n| n.grade != "A")
        .take(SHOWN)
        .map(|n| {
            let name = if n.namespace.is_empty() { "cluster-scoped" } else { n.namespace.as_str() };
            format!("{} {} ({})", sanitize_for_terminal(name), n.score, n.grade)
        })
        .collect();
    if low.is_empty() { String::new() } else { format!("{}\n", format!("by namespace: {}", low.join(", ")).dimmed()) }
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
        Evidence::Logs { container, previous, lines, note } => {
            let run = if *previous { "previous run" } else { "this run" };
            match note {
                Some(note) => format!("log of container {container} ({run}): none, {note}"),
                // One evidence line: the log's own lines are joined by a visible return sign.
                None => {
                    format!("log of container {container} ({run}, last {}): {}", lines.len(), lines.join(" \u{23ce} "))
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use mekhanikube_analyzers::{ObjectRef, Snapshot};

    use crate::document::{AnalysisDocument, ScopeInfo, Source};

    /// `--logs` evidence: its lines on one evidence line, or the note saying why there are none.
    #[test]
    fn log_evidence_shows_its_lines_or_its_note() {
        use mekhanikube_analyzers::Evidence;
        let lines = Evidence::Logs {
            container: "app".into(),
            previous: true,
            lines: vec!["starting".into(), "password=<redacted> refused".into()],
            note: None,
        };
        assert_eq!(
            super::evidence_line(&lines),
            "log of container app (previous run, last 2): starting \u{23ce} password=<redacted> refused"
        );
        let note = Evidence::Logs {
            container: "app".into(),
            previous: false,
            lines: Vec::new(),
            note: Some("not allowed to read pods/log".into()),
        };
        assert_eq!(super::evidence_line(&note), "log of container app (this run): none, not allowed to read pods/log");
    }

    /// `n` crash-looping pods, each of its own Deployment: `n` problems alike.
    fn alike(n: usize) -> AnalysisDocument {
        let findings = (0..n)
            .map(|i| {
                let mut f = crate::test_support::pod_finding(
                    Some("shop"),
                    &format!("app-{i}-5d8f7-x{i}"),
                    "container app is crash-looping: last exit code 1, 7 restarts",
                );
                f.id = format!("{i:012}");
                f.parent = Some(ObjectRef {
                    api_version: "apps/v1".into(),
                    kind: "Deployment".into(),
                    namespace: Some("shop".into()),
                    name: format!("app-{i}"),
                    uid: None,
                });
                f
            })
            .collect();
        let mut doc = AnalysisDocument::new(Source::default(), ScopeInfo::default(), findings, Vec::new());
        doc.link(&Snapshot::default()).unwrap();
        doc
    }

    /// The text without colour, so tests read what a person reads.
    fn plain(text: &str) -> String {
        crate::sanitize::sanitize_for_terminal(text)
    }

    /// The numbered problem entries of the problems view.
    fn entries(text: &str) -> usize {
        let section = text.split("Problems, by what they take down:").nth(1).unwrap_or_default();
        let section = section.split("\n\n").next().unwrap_or_default();
        section
            .lines()
            .filter(|l| l.trim_start().split_once(". ").is_some_and(|(n, _)| n.parse::<usize>().is_ok()))
            .count()
    }

    #[test]
    fn problems_alike_fold_after_three_and_name_their_owners() {
        let doc = alike(8);
        assert_eq!(doc.problems.len(), 8);
        let text = plain(&super::text(&doc, Some(120), false));
        assert_eq!(entries(&text), 3, "{text}");
        let fold = text.lines().find(|l| l.contains("… 5 more problems like it:")).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(fold.matches("Deployment shop/app-").count(), 5, "{fold}");
        assert!(!fold.contains("more\n") && !fold.contains(" and "), "all five named: {fold}");
        assert!(text.contains("findings #"), "the table is there, so the numbers are: {text}");

        let three = plain(&super::text(&alike(3), Some(120), false));
        assert_eq!(entries(&three), 3);
        assert!(!three.contains("like it:"), "{three}");
    }

    #[test]
    fn a_big_cluster_keeps_the_problems_and_leaves_the_table_to_flat() {
        let doc = alike(150);
        let text = plain(&super::text(&doc, Some(120), false));
        assert!(text.lines().count() < 20, "{text}");
        assert!(text.contains("… 147 more problems like it:") && text.contains("and 142 more"), "{text}");
        assert!(text.contains("The 150 findings and their evidence: --flat, or -o json for everything."), "{text}");
        assert!(!text.contains("findings #"), "no numbers without the table: {text}");

        let flat = plain(&super::text(&doc, Some(120), true));
        assert!(!flat.contains("Problems, by what they take down"));
        assert_eq!(flat.matches("app-149-5d8f7-x149").count(), 2, "a table row and its details: {flat}");
    }
}
