//! The problems of a report, as both views list them first: the root cause in words, what it takes down, and
//! whether it is new. A problem is new when its root finding is new since the previous run; new, resolved and
//! persisting findings are still matched by finding identity (diff.rs).

use std::collections::HashSet;

use mekhanikube_analyzers::Severity;

use super::text;
use crate::document::{AnalysisDocument, ReportDocument};

/// One problem, cleaned for display; each view escapes it for its own syntax.
pub struct ProblemRow {
    pub severity: Severity,
    pub new: bool,
    pub summary: String,
    /// `Deployment shop/api 0/2 available`, one per object it takes down.
    pub blast: Vec<String>,
    pub findings: usize,
}

pub fn rows(doc: &ReportDocument) -> Vec<ProblemRow> {
    let new: HashSet<&str> = doc.diff.new_problems.iter().map(String::as_str).collect();
    rows_of(&doc.analysis, &new)
}

/// The problems of one analysis, with no history to call any of them new.
pub fn analysis_rows(a: &AnalysisDocument) -> Vec<ProblemRow> {
    rows_of(a, &HashSet::new())
}

fn rows_of(a: &AnalysisDocument, new: &HashSet<&str>) -> Vec<ProblemRow> {
    a.problems
        .iter()
        .map(|p| ProblemRow {
            severity: p.severity,
            new: new.contains(p.root.as_str()),
            summary: text::clean(&p.summary),
            blast: p.blast_radius.iter().map(|b| text::clean(&format!("{} {}", b.object.label(), b.state))).collect(),
            findings: p.members.len(),
        })
        .collect()
}
