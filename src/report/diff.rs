//! New, resolved and persisting findings between two runs.
//!
//! A finding is "the same" across runs when its code and its object's apiVersion, kind, namespace and name match.
//! Not the uid (a recreated pod with the same name is the same problem to the reader), not the message (it
//! carries counts and timestamps that change every run).

use std::collections::HashSet;

use mekhanikube_analyzers::{Finding, Problem};

use crate::document::{Diff, Identity, RunSummary};

/// Compares `current` with the previous run. Orders are kept: both lists come sorted in report order.
pub fn diff(previous: Option<(RunSummary, Vec<Finding>)>, current: &[Finding], score: u8) -> Diff {
    let Some((run, before)) = previous else {
        return Diff { new: current.to_vec(), ..Diff::default() };
    };
    let before_ids: HashSet<Identity> = before.iter().map(Identity::of).collect();
    let now_ids: HashSet<Identity> = current.iter().map(Identity::of).collect();
    let (persisting, new): (Vec<&Finding>, Vec<&Finding>) =
        current.iter().partition(|f| before_ids.contains(&Identity::of(f)));
    // One resolved entry per identity, even if the previous run had several findings sharing it.
    let mut seen = HashSet::new();
    let resolved = before
        .iter()
        .filter(|f| {
            let id = Identity::of(f);
            !now_ids.contains(&id) && seen.insert(id)
        })
        .cloned()
        .collect();
    Diff {
        health_score_change: Some(i32::from(score) - i32::from(run.summary.health_score)),
        previous: Some(run),
        new: new.into_iter().cloned().collect(),
        resolved,
        persisting: persisting.into_iter().cloned().collect(),
        new_problems: Vec::new(),
    }
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
    use mekhanikube_analyzers::{Severity, Summary};

    use super::*;

    fn finding(code: &str, name: &str, uid: &str, message: &str) -> Finding {
        let mut finding = crate::test_support::pod_finding(Some("shop"), name, message);
        finding.code = code.into();
        finding.object.uid = Some(uid.into());
        finding
    }

    fn run(score: u8) -> RunSummary {
        RunSummary {
            report: "report-1".into(),
            generated_at: "2026-11-23T14:05:01Z".into(),
            summary: Summary { health_score: score, ..Summary::default() },
        }
    }

    #[test]
    fn matches_by_code_and_object_not_uid_or_message() {
        let before = vec![
            finding("pod-crash-loop", "api", "uid-1", "7 restarts"),
            finding("pod-oom-killed", "worker", "uid-2", "exit 137"),
        ];
        let now = vec![
            finding("pod-crash-loop", "api", "uid-9", "8 restarts"),
            finding("pod-image-pull-failed", "web", "uid-3", "not found"),
        ];
        let d = diff(Some((run(80), before)), &now, 72);
        let names = |v: &[Finding]| v.iter().map(|f| f.object.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&d.persisting), ["api"]);
        assert_eq!(d.persisting[0].message, "8 restarts", "persisting findings are shown as they are now");
        assert_eq!(names(&d.new), ["web"]);
        assert_eq!(names(&d.resolved), ["worker"]);
        assert_eq!(d.health_score_change, Some(-8));
    }

    #[test]
    fn a_different_code_on_the_same_object_is_new() {
        let before = vec![finding("pod-crash-loop", "api", "u", "m")];
        let now = vec![finding("pod-oom-killed", "api", "u", "m")];
        let d = diff(Some((run(90), before)), &now, 90);
        assert_eq!((d.new.len(), d.resolved.len(), d.persisting.len()), (1, 1, 0));
    }

    #[test]
    fn first_run_counts_everything_as_new() {
        let now = vec![finding("pod-crash-loop", "api", "u", "m")];
        let d = diff(None, &now, 92);
        assert_eq!(d.new.len(), 1);
        assert!(d.previous.is_none() && d.health_score_change.is_none());
        assert!(d.has_new_at_least(Severity::High));
        assert!(!d.has_new_at_least(Severity::Critical));
    }

    #[test]
    fn duplicate_identities_resolve_once() {
        let before = vec![
            finding("pod-container-restarted", "api", "u", "a"),
            finding("pod-container-restarted", "api", "u", "b"),
        ];
        let d = diff(Some((run(90), before)), &[], 100);
        assert_eq!(d.resolved.len(), 1);
    }

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
