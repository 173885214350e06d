//! Problems: a root finding and its consequences. A finding whose cause is itself a finding (or an object at the
//! start of a chain, such as a missing StorageClass) is folded under it; identical symptoms of one owner are one
//! problem. A problem's severity is the worst of its members, and it carries its blast radius: the workloads,
//! Services and Ingresses that lost capacity or endpoints because of it. See docs/problems.md.

mod fold;
mod group;
mod impact;

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::links::{self, Link};
use crate::snapshot::Snapshot;

pub use group::normalize_message;

/// One distinct problem: a root cause and what it takes down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The id of the root finding.
    pub root: String,
    /// The worst severity among the members: the root inherits the blast radius.
    pub severity: Severity,
    /// Where the chain starts when that object carries no finding itself: a StorageClass that does not exist, a
    /// ResourceQuota that is used up, a Secret that is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<ObjectRef>,
    /// The root cause in plain words.
    pub summary: String,
    /// Ids of every finding of the problem: the root first, then the rest in report order.
    pub members: Vec<String>,
    /// The links that fold the members under the root and reach the blast radius, with their evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// What lost capacity or endpoints because of it, most severe loss first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blast_radius: Vec<Impact>,
}

/// One object that lost capacity or endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    pub object: ObjectRef,
    /// Its state in words: `0/2 available`, `no ready endpoints`, `backend api down`.
    pub state: String,
    /// Whether it lost everything (no replica available, no ready endpoint) rather than part of it.
    pub down: bool,
}

impl Problem {
    /// The member findings, root first, looked up by id in `findings`.
    pub fn findings<'a>(&self, findings: &'a [Finding]) -> Vec<&'a Finding> {
        self.members.iter().filter_map(|id| findings.iter().find(|f| &f.id == id)).collect()
    }

    /// The member findings that are the same symptom as the root on other objects (the root included).
    pub fn alike<'a>(&self, findings: &'a [Finding]) -> Vec<&'a Finding> {
        let members = self.findings(findings);
        let Some(root) = members.first() else { return Vec::new() };
        let key = group::group_key(root);
        members.into_iter().filter(|f| group::group_key(f) == key).collect()
    }
}

/// Links the findings into problems, ordered by blast radius, then severity, then the root's report order. Each
/// finding that is a consequence gets an [`Evidence::Cause`] naming its cause (any such evidence from an
/// earlier call is replaced). `findings` must be in report order with unique ids, as [`crate::run`] gives them.
pub fn problems(snapshot: &Snapshot, findings: &mut [Finding]) -> Vec<Problem> {
    for f in findings.iter_mut() {
        f.evidence.retain(|e| !matches!(e, Evidence::Cause { .. }));
    }
    let links = links::derive(snapshot, findings);
    let folded = fold::fold(&links, findings);
    let graph = impact::Graph::new(snapshot, &links, findings);
    let mut problems: Vec<(usize, Problem)> =
        folded.groups.iter().map(|g| (g.root, build_problem(&graph, &links, findings, g))).collect();
    problems.sort_by_key(|(root, p)| (std::cmp::Reverse(p.blast_radius.len()), p.severity, *root));
    annotate(findings, &links, &folded.causes);
    problems.into_iter().map(|(_, p)| p).collect()
}

fn build_problem(graph: &impact::Graph, links: &[Link], findings: &[Finding], group: &fold::Group) -> Problem {
    let root = &findings[group.root];
    let severity = group.members.iter().map(|&i| findings[i].severity).min().unwrap_or(root.severity);
    let radius = impact::blast_radius(graph, findings, group);
    let mut used: BTreeSet<usize> = group.links.clone();
    used.extend(radius.links);
    let summary = match &group.source {
        Some(cause) => format!("{} → {}: {}", cause.label(), root.object.label(), root.message),
        None => format!("{}: {}", root.object.label(), root.message),
    };
    Problem {
        root: root.id.clone(),
        severity,
        cause: group.source.clone(),
        summary,
        members: group.members.iter().map(|&i| findings[i].id.clone()).collect(),
        links: used.into_iter().map(|i| links[i].clone()).collect(),
        blast_radius: radius.impacts,
    }
}

/// Adds to each consequence the evidence naming its nearest cause.
fn annotate(findings: &mut [Finding], links: &[Link], causes: &BTreeMap<usize, (ObjectRef, usize)>) {
    for (&i, (object, link)) in causes {
        let link = &links[*link];
        findings[i].evidence.push(Evidence::Cause {
            object: object.clone(),
            link: link.kind,
            message: link.evidence.clone(),
        });
    }
}
