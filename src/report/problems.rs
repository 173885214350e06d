//! The problems of a report, as both views list them first: the root cause in words, what it takes down, and
//! whether it is new. A problem is new when its root finding is new since the previous run; new, resolved and
//! persisting findings are still matched by finding identity (diff.rs).

use std::collections::HashSet;

use mekhanikube_analyzers::{Finding, Problem, Severity};

use super::diff::Identity;
use super::{ReportDocument, text};

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
    let a = &doc.analysis;
    let new: HashSet<&str> = doc.diff.new_problems.iter().map(String::as_str).collect();
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

/// The root ids of the problems whose root finding is among `new`.
pub fn new_problems(problems: &[Problem], findings: &[Finding], new: &[Finding]) -> Vec<String> {
    let new: HashSet<Identity> = new.iter().map(Identity::of).collect();
    problems
        .iter()
        .filter(|p| findings.iter().find(|f| f.id == p.root).is_some_and(|root| new.contains(&Identity::of(root))))
        .map(|p| p.root.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_new_when_its_root_is() {
        let root = crate::test_support::pod_finding(Some("shop"), "api-1", "crash");
        let mut consequence = crate::test_support::pod_finding(Some("shop"), "api", "unavailable");
        consequence.code = "deployment-unavailable".into();
        let problem = |root: &Finding, members: Vec<String>| Problem {
            root: root.id.clone(),
            severity: Severity::High,
            cause: None,
            summary: String::new(),
            members,
            links: Vec::new(),
            blast_radius: Vec::new(),
        };
        let all = vec![root.clone(), consequence.clone()];
        let problems = vec![problem(&root, vec![root.id.clone(), consequence.id.clone()])];
        assert_eq!(new_problems(&problems, &all, std::slice::from_ref(&root)), vec![root.id.clone()]);
        assert!(new_problems(&problems, &all, &[consequence]).is_empty(), "a new consequence is not a new problem");
    }
}
