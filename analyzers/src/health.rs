//! The health score: the share of what runs in the cluster that is free of problems, weighted by how bad the worst
//! finding on each is, for the cluster and per namespace, with a letter grade. Unlike a count of findings, it moves
//! when one thing is fixed, whatever the size of the cluster, and reaches 0 only when everything is down.
//!
//! The units scored are the workloads (Deployments, StatefulSets, DaemonSets, CronJobs, and Jobs, ReplicaSets and
//! Pods that no controller owns) and the Nodes. A finding counts against its object's top controlling owner (the
//! Deployment of a crash-looping pod); a finding on anything else (a Service, a claim, a webhook) is a unit of its
//! own. Each unit costs by its worst finding: critical 1, high 0.7, medium 0.4, low 0.1, info nothing.
//! `score = round(100 × (1 − cost ÷ units))`; grades: A from 90, B from 80, C from 70, D from 60, F below.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// The health of one namespace ("" for cluster-scoped units such as Nodes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceHealth {
    pub namespace: String,
    pub score: u8,
    pub grade: String,
    /// Workloads and nodes scored.
    pub units: usize,
    /// Of those, how many have a finding.
    pub affected: usize,
}

/// The health of the whole scope, and of each namespace in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub score: u8,
    pub grade: String,
    pub units: usize,
    pub affected: usize,
    /// Worst first, then by name.
    pub namespaces: Vec<NamespaceHealth>,
}

fn cost(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 1.0,
        Severity::High => 0.7,
        Severity::Medium => 0.4,
        Severity::Low => 0.1,
        Severity::Info => 0.0,
    }
}

pub fn grade(score: u8) -> &'static str {
    match score {
        90.. => "A",
        80..=89 => "B",
        70..=79 => "C",
        60..=69 => "D",
        _ => "F",
    }
}

fn score(units: usize, cost: f64) -> u8 {
    if units == 0 {
        return 100;
    }
    (100.0 * (1.0 - cost / units as f64)).round().clamp(0.0, 100.0) as u8
}

/// A unit: (namespace, kind, name).
type Unit = (String, String, String);

fn is_unit(kind: Kind, meta: &ObjectMeta) -> bool {
    let controlled = meta.owner_references.iter().flatten().any(|o| o.controller == Some(true));
    match kind {
        Kind::Deployment | Kind::StatefulSet | Kind::DaemonSet | Kind::CronJob | Kind::Node => true,
        Kind::Job | Kind::ReplicaSet | Kind::Pod => !controlled,
        _ => false,
    }
}

pub fn health(snapshot: &Snapshot, findings: &[Finding]) -> Health {
    let mut worst: HashMap<Unit, Option<Severity>> = HashMap::new();
    for (kind, meta) in snapshot.objects.all_meta() {
        if is_unit(kind, meta) {
            let ns = meta.namespace.clone().unwrap_or_default();
            worst.insert((ns, kind.name().to_string(), meta.name.clone().unwrap_or_default()), None);
        }
    }
    for f in findings {
        let o = f.parent.as_ref().unwrap_or(&f.object);
        let unit = (o.namespace.clone().unwrap_or_default(), o.kind.clone(), o.name.clone());
        let entry = worst.entry(unit).or_insert(None);
        if entry.is_none_or(|w| f.severity.at_least(w) && f.severity != w) {
            *entry = Some(f.severity);
        }
    }
    let mut per_namespace: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
    for ((ns, _, _), severity) in &worst {
        let (units, affected, total) = per_namespace.entry(ns.clone()).or_default();
        *units += 1;
        if let Some(s) = severity {
            *affected += 1;
            *total += cost(*s);
        }
    }
    let mut namespaces: Vec<NamespaceHealth> = per_namespace
        .into_iter()
        .map(|(namespace, (units, affected, total))| {
            let score = score(units, total);
            NamespaceHealth { namespace, score, grade: grade(score).into(), units, affected }
        })
        .collect();
    namespaces.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.namespace.cmp(&b.namespace)));
    let units = worst.len();
    let affected = worst.values().filter(|s| s.is_some()).count();
    let total: f64 = worst.values().flatten().map(|s| cost(*s)).sum();
    let score = score(units, total);
    Health { score, grade: grade(score).into(), units, affected, namespaces }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_have_their_bounds() {
        assert_eq!(
            [grade(100), grade(90), grade(89), grade(70), grade(60), grade(59), grade(0)],
            ["A", "A", "B", "C", "D", "F", "F"]
        );
        assert_eq!(score(0, 0.0), 100, "nothing scanned is nothing wrong");
        assert_eq!(score(10, 1.0), 90);
        assert_eq!(score(4, 4.0), 0);
    }
}
