//! The analyzer contract and the registry of built-in analyzers.

use std::collections::BTreeSet;

use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// A finding code an analyzer can emit, with the one-line meaning and the severity rule documented in
/// docs/analyzers.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: &'static str,
    pub summary: &'static str,
    pub severity: SeverityRule,
}

/// Every severity a code can be reported at: its default, and the others with the structured condition that
/// selects each, in words. Findings of the code never carry a severity outside `default` and `others`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeverityRule {
    pub default: Severity,
    /// Most severe first; empty when the code always has its default.
    pub others: &'static [Severity],
    /// When each of `others` applies, starting with that severity ("medium when ..."); "" when `others` is empty.
    pub when: &'static str,
}

impl SeverityRule {
    /// A code that is always reported at one severity.
    pub const fn fixed(default: Severity) -> SeverityRule {
        SeverityRule { default, others: &[], when: "" }
    }

    /// Whether a finding of this code may carry `severity`.
    pub fn allows(&self, severity: Severity) -> bool {
        severity == self.default || self.others.contains(&severity)
    }

    /// The Markdown line docs/analyzers.md carries under the code's heading, such as
    /// `Severity: **high**; medium when the container is running again.`
    pub fn describe(&self) -> String {
        if self.when.is_empty() {
            format!("Severity: **{}**.", self.default)
        } else {
            format!("Severity: **{}**; {}.", self.default, self.when)
        }
    }
}

/// One check over a snapshot. Pure: everything it needs is in the snapshot, and it never fails.
pub trait Analyzer: Sync {
    /// The name users pass to `--filter`.
    fn name(&self) -> &'static str;
    /// Every kind it reads; the cluster reader lists exactly the union of these for the enabled analyzers.
    fn kinds(&self) -> &'static [Kind];
    /// The kinds of the objects it checks (the others it reads for context): the first kind it reads, unless it
    /// says otherwise. Formats that list what passed (JUnit) count these objects.
    fn subjects(&self) -> &'static [Kind] {
        let kinds = self.kinds();
        &kinds[..kinds.len().min(1)]
    }
    fn codes(&self) -> &'static [CodeInfo];
    /// Whether it reads custom resources, which the cluster reader then discovers and lists (`--crds`).
    fn reads_custom(&self) -> bool {
        false
    }
    /// Custom API groups it reads whatever `--crds` selects (policy reports for the `policy` analyzer): the
    /// cluster reader discovers and lists them whenever the analyzer runs.
    fn custom_groups(&self) -> &'static [&'static str] {
        &[]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding>;
}

/// Every built-in analyzer, in a fixed order.
pub fn registry() -> &'static [&'static dyn Analyzer] {
    crate::kinds::ALL
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    #[error("unknown analyzer '{name}' in --filter (known: {known})")]
    Unknown { name: String, known: String },
}

/// Picks built-in analyzers by name; an empty filter means all of them.
pub fn select(filter: &[String]) -> Result<Vec<&'static dyn Analyzer>, AnalyzerError> {
    select_from(registry(), filter)
}

/// Picks analyzers by name among `all`: the built-in registry plus any made at run time (rule files).
pub fn select_from(
    all: &[&'static dyn Analyzer],
    filter: &[String],
) -> Result<Vec<&'static dyn Analyzer>, AnalyzerError> {
    if filter.is_empty() {
        return Ok(all.to_vec());
    }
    let mut picked = Vec::new();
    for name in filter {
        let wanted = name.trim().to_ascii_lowercase();
        let found = all.iter().copied().find(|a| a.name() == wanted).ok_or_else(|| AnalyzerError::Unknown {
            name: name.clone(),
            known: all.iter().map(|a| a.name()).collect::<Vec<_>>().join(", "),
        })?;
        if !picked.iter().any(|a: &&dyn Analyzer| a.name() == found.name()) {
            picked.push(found);
        }
    }
    Ok(picked)
}

/// The kinds a set of analyzers reads, plus Events, which every analyzer may cite as evidence.
pub fn needed_kinds(analyzers: &[&dyn Analyzer]) -> BTreeSet<Kind> {
    let mut kinds: BTreeSet<Kind> = analyzers.iter().flat_map(|a| a.kinds().iter().copied()).collect();
    kinds.insert(Kind::Event);
    kinds
}

/// The custom API groups a set of analyzers reads whatever `--crds` selects.
pub fn needed_custom_groups(analyzers: &[&dyn Analyzer]) -> BTreeSet<String> {
    analyzers.iter().flat_map(|a| a.custom_groups().iter().map(|g| g.to_string())).collect()
}

/// Runs the analyzers and returns their findings in report order.
pub fn run(analyzers: &[&dyn Analyzer], snapshot: &Snapshot) -> Vec<Finding> {
    let mut findings: Vec<Finding> = analyzers.iter().flat_map(|a| a.analyze(snapshot)).collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // Equal findings share a sort key but need not be neighbours within it (`dedup` would keep A, B, A).
    let mut unique: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        if !unique.iter().rev().take_while(|u| u.sort_key() == finding.sort_key()).any(|u| *u == finding) {
            unique.push(finding);
        }
    }
    crate::finding::disambiguate_ids(&mut unique);
    unique
}
