//! Plain-text pieces shared by the Markdown and HTML views, so both say the same thing. Every string from the
//! cluster or the model is cleaned of control characters here; each view escapes for its own syntax.

use mekhanikube_analyzers::{Evidence, Finding, ObjectRef, Severity, Summary};

use crate::document::{AnalysisDocument, ExplanationEntry, ScopeInfo, Source};

/// Drops control characters (escape sequences included) but keeps the text on one line.
pub fn clean(text: &str) -> String {
    crate::sanitize::sanitize_for_terminal(text).replace(['\n', '\t'], " ")
}

/// `2026-11-23 14:05 UTC` from an RFC 3339 timestamp; the raw value when it does not parse.
pub fn when(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => clean(rfc3339),
    }
}

/// `11-23 14:05`, for chart labels.
pub fn when_short(rfc3339: &str) -> String {
    match rfc3339.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.strftime("%m-%d %H:%M").to_string(),
        Err(_) => String::new(),
    }
}

pub fn source(source: &Source) -> String {
    match (source.mode.as_str(), &source.snapshot) {
        ("snapshot", Some(path)) => format!("snapshot {}", clean(path)),
        _ => {
            let server = source.server.as_deref().map(clean).unwrap_or_else(|| "(unknown server)".into());
            match &source.context {
                Some(ctx) => format!("cluster {server} (context {})", clean(ctx)),
                None => format!("cluster {server}"),
            }
        }
    }
}

pub fn scope(scope: &ScopeInfo) -> String {
    let mut parts = vec![match &scope.namespace {
        Some(ns) => format!("namespace {}", clean(ns)),
        None => "all namespaces".to_string(),
    }];
    if let Some(sel) = &scope.selector {
        parts.push(format!("selector {}", clean(sel)));
    }
    if let Some(res) = &scope.resource {
        parts.push(format!("resource {}", clean(res)));
    }
    let all = mekhanikube_analyzers::registry().len();
    if scope.analyzers.is_empty() {
        parts.push("no analyzers".to_string());
    } else if scope.analyzers.len() == all {
        parts.push(format!("all {all} analyzers"));
    } else {
        parts.push(format!("analyzers {}", clean(&scope.analyzers.join(", "))));
    }
    parts.join(", ")
}

/// `3 findings: 1 critical, 2 high`, or `no findings`.
pub fn counts(summary: &Summary) -> String {
    if summary.total == 0 {
        return "no findings".to_string();
    }
    let parts: Vec<String> = Severity::ALL
        .iter()
        .filter(|s| summary.count(**s) > 0)
        .map(|s| format!("{} {}", summary.count(*s), s.as_str()))
        .collect();
    let noun = if summary.total == 1 { "finding" } else { "findings" };
    format!("{} {noun}: {}", summary.total, parts.join(", "))
}

/// `+5`, `−8` or `±0`.
pub fn signed(change: i32) -> String {
    match change {
        c if c > 0 => format!("+{c}"),
        c if c < 0 => format!("\u{2212}{}", -c),
        _ => "\u{b1}0".to_string(),
    }
}

pub fn object(object: &ObjectRef) -> String {
    clean(&format!("{}/{}", object.kind, object.name))
}

pub fn namespace(object: &ObjectRef) -> String {
    object.namespace.as_deref().map(clean).unwrap_or_else(|| "-".to_string())
}

pub fn parent(finding: &Finding) -> Option<String> {
    finding.parent.as_ref().map(object)
}

pub fn evidence(e: &Evidence) -> String {
    clean(&crate::render::evidence_line(e))
}

/// One explanation as the views show it: a heading, the model's text, and the objects it covers.
pub struct Explanation {
    pub heading: String,
    pub body: String,
    pub objects: Vec<String>,
}

pub fn explanations(doc: &AnalysisDocument) -> Vec<Explanation> {
    doc.explanations.iter().flatten().map(|e| explanation(e, root_message(doc, &e.problem))).collect()
}

/// The message of a problem's root finding, with its real names (the entry's `pattern` has them taken out).
fn root_message<'a>(doc: &'a AnalysisDocument, root: &str) -> Option<&'a str> {
    doc.findings.iter().find(|f| f.id == root).map(|f| f.message.as_str())
}

fn explanation(entry: &ExplanationEntry, root_message: Option<&str>) -> Explanation {
    // What people read: the root's own words, or else the problem's code and first object; never the pattern,
    // whose placeholders (`<name>`, `#`) are for grouping.
    let what = root_message.map(str::to_string).or_else(|| entry.objects.first().cloned()).unwrap_or_default();
    let heading = format!("{} \u{b7} {} \u{b7} {what}", entry.severity.as_str(), entry.code);
    let mut body = match &entry.explanation {
        Some(answer) if answer.parsed || answer.raw.is_some() => answer.to_text(),
        _ => entry.text.clone(),
    };
    if let Some(error) = &entry.error {
        body.push_str(&format!("\n(not fully explained: {error})"));
    }
    let mut objects: Vec<String> = Vec::new();
    for name in entry.objects.iter().map(|o| clean(o)) {
        if !objects.contains(&name) {
            objects.push(name);
        }
    }
    // The model's text keeps its line breaks; only control characters go.
    let body = crate::sanitize::sanitize_for_terminal(&body);
    Explanation { heading: clean(&heading), body, objects }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Answer;

    #[test]
    fn clean_strips_escapes_and_newlines() {
        assert_eq!(clean("web\u{1b}[31m-api\nnext"), "web-api next");
    }

    #[test]
    fn signed_changes() {
        assert_eq!(signed(5), "+5");
        assert_eq!(signed(-8), "\u{2212}8");
        assert_eq!(signed(0), "\u{b1}0");
    }

    fn entry(text: &str, explanation: Option<Answer>, error: Option<&str>) -> ExplanationEntry {
        ExplanationEntry {
            problem: "abc".into(),
            code: "pod-oom-killed".into(),
            severity: mekhanikube_analyzers::Severity::High,
            owner_kind: "Deployment".into(),
            pattern: "container # was killed".into(),
            objects: vec!["shop/Pod/w".into(), "shop/Pod/w".into(), "shop/Pod/x\u{1b}[31m".into()],
            status: crate::document::ExplanationStatus::Explained,
            cached: false,
            text: text.into(),
            explanation,
            error: error.map(str::to_string),
            warnings: Vec::new(),
            timing: None,
        }
    }

    #[test]
    fn explanations_show_the_structured_answer_or_else_the_text() {
        let answer = Answer {
            cause: "Too little memory.".into(),
            impact: "Restarts.".into(),
            steps: vec!["Raise the limit.".into()],
            parsed: true,
            ..Answer::default()
        };
        let structured = explanation(&entry("{raw json}", Some(answer), Some("timed out")), None);
        assert_eq!(structured.heading, "high \u{b7} pod-oom-killed \u{b7} shop/Pod/w", "no placeholders");
        assert_eq!(
            structured.body,
            "Cause: Too little memory.\n\nImpact: Restarts.\n\nSteps:\n1. Raise the limit.\n(not fully explained: timed out)"
        );
        assert_eq!(structured.objects, vec!["shop/Pod/w", "shop/Pod/x"], "deduplicated and cleaned");
        let unparsed = Answer { parsed: false, raw: Some("{\"cause\": \"cut".into()), ..Answer::default() };
        let shown = explanation(&entry("{\"cause\": \"cut", Some(unparsed), None), Some("container w was killed"));
        assert_eq!(shown.heading, "high \u{b7} pod-oom-killed \u{b7} container w was killed");
        assert_eq!(
            shown.body,
            "(free text: the model did not answer in the requested shape; its text, checked:)\n{\"cause\": \"cut",
            "an unparsed answer is labelled, not shown as if it were the explanation"
        );
        assert_eq!(explanation(&entry("It crashes.\nFix it.", None, None), None).body, "It crashes.\nFix it.");
    }
}
