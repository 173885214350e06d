//! Formats only: every decision (what to show, in which order) is made before rendering.

mod text;

pub use text::{evidence_line, text};

use crate::document::AnalysisDocument;

#[derive(Debug, thiserror::Error)]
#[error("cannot encode the analysis as {format}: {detail}")]
pub struct RenderError {
    format: &'static str,
    detail: String,
}

pub fn json(doc: &AnalysisDocument) -> Result<String, RenderError> {
    serde_json::to_string_pretty(doc)
        .map(|s| s + "\n")
        .map_err(|e| RenderError { format: "JSON", detail: e.to_string() })
}

pub fn yaml(doc: &AnalysisDocument) -> Result<String, RenderError> {
    serde_saphyr::to_string(doc).map_err(|e| RenderError { format: "YAML", detail: e.to_string() })
}
