//! New, resolved and persisting findings between two runs.
//!
//! A finding is "the same" across runs when its code and its object's apiVersion, kind, namespace and name match.
//! Not the uid (a recreated pod with the same name is the same problem to the reader), not the message (it
//! carries counts and timestamps that change every run).

use std::collections::HashSet;

use mekhanikube_analyzers::{Finding, Severity};
use serde::{Deserialize, Serialize};

use super::RunSummary;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity<'a> {
    code: &'a str,
    api_version: &'a str,
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
}

impl<'a> Identity<'a> {
    pub fn of(f: &'a Finding) -> Identity<'a> {
        Identity {
            code: &f.code,
            api_version: &f.object.api_version,
            kind: &f.object.kind,
            namespace: f.object.namespace.as_deref().unwrap_or(""),
            name: &f.object.name,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    /// The run compared against; absent on the first run of a history key, when every finding counts as new.
    pub previous: Option<RunSummary>,
    /// Findings of this run that the previous run did not have.
    pub new: Vec<Finding>,
    /// Findings of the previous run that this run no longer has (as the previous run recorded them).
    pub resolved: Vec<Finding>,
    /// Findings of this run that the previous run had too (as this run sees them).
    pub persisting: Vec<Finding>,
    /// Root finding ids of this run's problems whose root is new (filled in by the report; additive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_problems: Vec<String>,
    /// This run's health score minus the previous run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_score_change: Option<i32>,
}

impl Diff {
    /// Whether a new finding at or above `threshold` appeared: the `--fail-on-new` test.
    pub fn has_new_at_least(&self, threshold: Severity) -> bool {
        self.new.iter().any(|f| f.severity.at_least(threshold))
    }
}

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

#[cfg(test)]
mod tests {
    use mekhanikube_analyzers::Summary;

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
}
