//! Formats only: every decision (what to show, in which order) is made before rendering.

mod constraints;
mod junit;
mod metrics;
pub mod report;
mod sarif;
mod text;

pub use constraints::constraints_text;
pub use junit::junit;
pub use metrics::{RunTimes, metrics};
pub use sarif::sarif;
pub use text::{answer, evidence_line, text, unread_cluster};

#[derive(Debug, thiserror::Error)]
#[error("cannot encode the analysis as {format}: {detail}")]
pub struct RenderError {
    pub(crate) format: &'static str,
    pub(crate) detail: String,
}

/// The formats of the analysis document (`analyze -o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Yaml,
    Markdown,
    Sarif,
    Junit,
}

impl Format {
    /// As `-o` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }

    /// Whether explanations can be carried: SARIF and JUnit have no place for them.
    pub fn carries_explanations(self) -> bool {
        !matches!(self, Format::Sarif | Format::Junit)
    }
}

/// The formats of listings (`analyzers -o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
    Yaml,
}

/// `1 finding`, `2 findings`: counts in words people read.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

pub fn json<T: serde::Serialize>(doc: &T) -> Result<String, RenderError> {
    serde_json::to_string_pretty(doc)
        .map(|s| s + "\n")
        .map_err(|e| RenderError { format: "JSON", detail: e.to_string() })
}

pub fn yaml<T: serde::Serialize>(doc: &T) -> Result<String, RenderError> {
    serde_saphyr::to_string(doc).map_err(|e| RenderError { format: "YAML", detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use crate::document::{AnalysisDocument, ScopeInfo, Source};

    #[test]
    fn counts_are_singular_or_plural() {
        assert_eq!(super::count(1, "finding"), "1 finding");
        assert_eq!(super::count(0, "problem"), "0 problems");
        assert_eq!(super::count(24, "finding"), "24 findings");
    }

    /// Finding ids are hex digits: some look like numbers (`000000000123`, `1234e5678901`) and must come back
    /// from YAML as the same strings.
    #[test]
    fn yaml_keeps_number_like_ids_as_strings() {
        let ids = ["000000000123", "1234e5678901", "5fe7c583c2b4"];
        let findings = ids
            .iter()
            .map(|id| {
                let mut f = crate::test_support::pod_finding(Some("shop"), id, "m");
                f.id = id.to_string();
                f
            })
            .collect();
        let doc = AnalysisDocument::new(Source::default(), ScopeInfo::default(), findings, Vec::new());
        let text = super::yaml(&doc).unwrap();
        assert!(text.contains(r#"id: "1234e5678901""#), "quoted for every YAML parser: {text}");
        let back: AnalysisDocument = serde_saphyr::from_str(&text).unwrap();
        let got: Vec<&str> = back.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(got, ids);
    }
}
