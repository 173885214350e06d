//! Plain-text pieces shared by the Markdown and HTML views, so both say the same thing. Every string from the
//! cluster or the model is cleaned of control characters here; each view escapes for its own syntax.

use mekhanikube_analyzers::{Evidence, Finding, ObjectRef, Severity, Summary};

use crate::document::{AnalysisDocument, ScopeInfo, Source};

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

/// One explanation, whatever shape src/llm gives it: a heading, the model's text, and the objects it covers.
/// Unknown shapes fall back to their JSON so nothing is silently dropped.
pub struct Explanation {
    pub heading: String,
    pub body: String,
    pub objects: Vec<String>,
}

pub fn explanations(doc: &AnalysisDocument) -> Vec<Explanation> {
    let Some(list) = &doc.explanations else { return Vec::new() };
    list.iter().map(explanation).collect()
}

fn explanation(value: &serde_json::Value) -> Explanation {
    let field = |names: &[&str]| names.iter().find_map(|n| value.get(*n).and_then(|v| v.as_str())).map(str::to_string);
    let heading = [field(&["severity"]), field(&["code"]), field(&["title", "pattern", "summary"])]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" \u{b7} ");
    let mut body = structured(value.get("explanation"))
        .or_else(|| field(&["explanation", "answer", "text", "markdown", "content"]))
        .unwrap_or_else(|| serde_json::to_string_pretty(value).unwrap_or_default());
    if let Some(error) = field(&["error"]) {
        body.push_str(&format!("\n(not fully explained: {error})"));
    }
    // `objects` as refs or strings, else the objects of the problem's findings.
    let refs = value.get("objects").or_else(|| value.get("findings")).and_then(|v| v.as_array());
    let mut objects: Vec<String> = Vec::new();
    for item in refs.into_iter().flatten() {
        let name = match item {
            serde_json::Value::String(s) => Some(clean(s)),
            other => serde_json::from_value::<ObjectRef>(other.get("object").unwrap_or(other).clone())
                .ok()
                .map(|r| clean(&r.display())),
        };
        if let Some(name) = name.filter(|n| !objects.contains(n)) {
            objects.push(name);
        }
    }
    // The model's text keeps its line breaks; only control characters go.
    let body = crate::sanitize::sanitize_for_terminal(&body);
    Explanation { heading: clean(if heading.is_empty() { "Explanation" } else { &heading }), body, objects }
}

/// A structured answer (`cause`, `impact`, `steps`) as text; None when absent or when the model's JSON did not
/// parse, so that the raw text is shown instead.
fn structured(value: Option<&serde_json::Value>) -> Option<String> {
    let v = value.filter(|v| v.is_object())?;
    if v.get("parsed").and_then(|p| p.as_bool()) == Some(false) {
        return None;
    }
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|s| !s.trim().is_empty());
    let mut parts = Vec::new();
    if let Some(cause) = text("cause") {
        parts.push(format!("Cause: {cause}"));
    }
    if let Some(impact) = text("impact") {
        parts.push(format!("Impact: {impact}"));
    }
    let steps: Vec<&str> =
        v.get("steps").and_then(|s| s.as_array()).into_iter().flatten().filter_map(|s| s.as_str()).collect();
    if !steps.is_empty() {
        let list: Vec<String> = steps.iter().enumerate().map(|(i, s)| format!("{}. {s}", i + 1)).collect();
        parts.push(format!("Steps:\n{}", list.join("\n")));
    }
    // Blank lines between the parts: separate paragraphs in Markdown, spaced lines in HTML.
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn explanation_of_known_and_unknown_shapes() {
        let known = explanation(&serde_json::json!({
            "code": "pod-crash-loop", "severity": "high", "explanation": "It crashes.\nFix the config.",
            "objects": [{"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "api"}, "Pod/b"]
        }));
        assert_eq!(known.heading, "high \u{b7} pod-crash-loop");
        assert_eq!(known.body, "It crashes.\nFix the config.");
        assert_eq!(known.objects, vec!["shop/Pod/api", "Pod/b"]);
        let structured = explanation(&serde_json::json!({
            "code": "pod-oom-killed", "text": "{raw json}", "error": "timed out",
            "explanation": {"cause": "Too little memory.", "impact": "Restarts.", "steps": ["Raise the limit."], "parsed": true},
            "findings": [{"object": {"apiVersion": "v1", "kind": "Pod", "name": "w"}}, {"object": {"apiVersion": "v1", "kind": "Pod", "name": "w"}}]
        }));
        assert_eq!(
            structured.body,
            "Cause: Too little memory.\n\nImpact: Restarts.\n\nSteps:\n1. Raise the limit.\n(not fully explained: timed out)"
        );
        assert_eq!(structured.objects, vec!["Pod/w"]);
        let unparsed =
            explanation(&serde_json::json!({"text": "plain answer", "explanation": {"parsed": false, "cause": ""}}));
        assert_eq!(unparsed.body, "plain answer");
        let unknown = explanation(&serde_json::json!({"weird": 1}));
        assert_eq!(unknown.heading, "Explanation");
        assert!(unknown.body.contains("\"weird\": 1"));
    }
}
