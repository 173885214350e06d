//! PodDisruptionBudgets that block voluntary evictions for good: a budget that can never allow a disruption with
//! its spec and the replicas its pods' controllers want (a node drain or upgrade waits forever), pods selected by
//! more than one budget (the eviction API refuses them outright), and a budget that selects no pod.
//!
//! Judged from the spec and the controllers' `spec.replicas`, not from `status.disruptionsAllowed`: zero allowed
//! disruptions while a rollout or a failure keeps pods unhealthy is the budget doing its job.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{int_or_percent, name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::Pod;
use crate::selector::label_selector_matches;
use crate::snapshot::Snapshot;

pub(crate) struct PdbAnalyzer;

const NAME: &str = "pdb";

const NEVER_ALLOWS: CodeInfo = CodeInfo {
    code: "pdb-never-allows-disruption",
    summary: "The budget can never allow a disruption with its spec and the expected pods: node drains and upgrades block.",
    severity: SeverityRule::fixed(Severity::Medium),
};
const OVERLAPPING: CodeInfo = CodeInfo {
    code: "pdb-overlapping",
    summary: "Pods are selected by more than one disruption budget: the eviction API refuses to evict them.",
    severity: SeverityRule::fixed(Severity::Medium),
};
const NO_PODS: CodeInfo = CodeInfo {
    code: "pdb-selects-no-pods",
    summary: "The budget's selector matches no pod in its namespace.",
    severity: SeverityRule::fixed(Severity::Low),
};

impl Analyzer for PdbAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Pods to select, and their controllers for how many pods are expected.
        &[Kind::PodDisruptionBudget, Kind::Pod, Kind::ReplicaSet, Kind::Deployment, Kind::StatefulSet]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[NEVER_ALLOWS, OVERLAPPING, NO_PODS]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        let budgets: Vec<&PodDisruptionBudget> = snapshot
            .objects
            .pod_disruption_budgets
            .iter()
            .filter(|b| b.metadata.deletion_timestamp.is_none())
            .collect();
        let selected: Vec<Vec<&Pod>> = budgets.iter().map(|b| selected_pods(snapshot, b)).collect();
        let mut findings = Vec::new();
        for (i, budget) in budgets.iter().enumerate() {
            findings.extend(never_allows(snapshot, budget, &selected[i]));
            if snapshot.has_read(Kind::Pod) {
                if selected[i].is_empty() {
                    findings.push(no_pods(snapshot, budget));
                }
                findings.extend(overlapping(snapshot, &budgets, &selected, i));
            }
        }
        findings
    }
}

/// Unfinished pods of the budget's namespace that its selector selects (a missing selector selects none).
pub(crate) fn selected_pods<'a>(snapshot: &'a Snapshot, budget: &'a PodDisruptionBudget) -> Vec<&'a Pod> {
    let Some(selector) = budget.spec.as_ref().and_then(|s| s.selector.as_ref()) else { return Vec::new() };
    let namespace = namespace_of(&budget.metadata);
    let candidates: Vec<&Pod> = match selector.match_labels.as_ref().filter(|l| !l.is_empty()) {
        Some(labels) => snapshot.pods_selected_by(namespace, labels),
        None => snapshot.objects.pods.in_namespace(namespace).collect(),
    };
    candidates
        .into_iter()
        .filter(|p| !crate::links::finished(p))
        .filter(|p| label_selector_matches(selector, p.metadata.labels.as_ref()))
        .collect()
}

/// How many pods the selected pods' controllers want: the replicas of each Deployment, StatefulSet or bare
/// ReplicaSet above them, once each, plus one for each pod without such a controller. Also the controllers.
fn expected_pods(snapshot: &Snapshot, pods: &[&Pod]) -> (i32, Vec<String>) {
    let objects = &snapshot.objects;
    let mut controllers: BTreeMap<String, i32> = BTreeMap::new();
    let mut loose = 0;
    for pod in pods {
        let ns = namespace_of(&pod.metadata);
        let chain = snapshot.owner_chain(ns, &pod.metadata);
        let scaled = chain
            .iter()
            .find(|o| matches!(o.kind.as_str(), "Deployment" | "StatefulSet"))
            .or_else(|| chain.iter().find(|o| o.kind == "ReplicaSet"));
        let replicas = scaled.and_then(|o| match o.kind.as_str() {
            "Deployment" => objects.deployments.get(ns, &o.name).map(|d| d.spec.as_ref().and_then(|s| s.replicas)),
            "StatefulSet" => objects.stateful_sets.get(ns, &o.name).map(|s| s.spec.as_ref().and_then(|s| s.replicas)),
            _ => objects.replica_sets.get(ns, &o.name).map(|r| r.spec.as_ref().and_then(|s| s.replicas)),
        });
        match (scaled, replicas) {
            (Some(o), Some(replicas)) => {
                controllers.insert(o.label(), replicas.unwrap_or(1));
            }
            _ => loose += 1,
        }
    }
    (controllers.values().sum::<i32>() + loose, controllers.into_keys().collect())
}

fn describe(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

fn never_allows(snapshot: &Snapshot, budget: &PodDisruptionBudget, pods: &[&Pod]) -> Option<Finding> {
    let spec = budget.spec.as_ref()?;
    let (expected, controllers) = expected_pods(snapshot, pods);
    let (field, value, never) = match (&spec.max_unavailable, &spec.min_available) {
        (Some(max), _) => {
            // 0 or 0% never lets one pod go, however many there are.
            let allowed = int_or_percent(max, expected.max(1), true)?;
            ("maxUnavailable", describe(max), allowed <= 0)
        }
        (None, Some(min)) if expected > 0 => {
            let required = int_or_percent(min, expected, true)?;
            ("minAvailable", describe(min), required >= expected)
        }
        _ => return None,
    };
    if !never {
        return None;
    }
    let from = if controllers.is_empty() { String::new() } else { format!(" (from {})", controllers.join(", ")) };
    let message = format!(
        "can never allow a disruption: {field} {value} with {expected} expected pods{from}; draining a node that runs one of them, or upgrading it, waits forever"
    );
    let status = budget.status.as_ref();
    Some(
        snapshot.finding(NAME, &NEVER_ALLOWS, budget, Severity::Medium, message).with_evidence(
            [
                Some(Evidence::field(format!("spec.{field}"), value)),
                Some(Evidence::field("expected pods", expected.to_string())),
                status
                    .and_then(|s| s.disruptions_allowed)
                    .map(|n| Evidence::field("status.disruptionsAllowed", n.to_string())),
            ]
            .into_iter()
            .flatten(),
        ),
    )
}

fn no_pods(snapshot: &Snapshot, budget: &PodDisruptionBudget) -> Finding {
    let selector = budget.spec.as_ref().and_then(|s| s.selector.as_ref());
    let shown = selector.map(|s| serde_json::to_string(s).unwrap_or_default()).unwrap_or_else(|| "none".into());
    snapshot
        .finding(
            NAME,
            &NO_PODS,
            budget,
            Severity::Low,
            format!("selects no pod in namespace {}: it protects nothing", namespace_of(&budget.metadata)),
        )
        .with_evidence([Evidence::field("spec.selector", shown)])
}

fn overlapping(
    snapshot: &Snapshot,
    budgets: &[&PodDisruptionBudget],
    selected: &[Vec<&Pod>],
    i: usize,
) -> Option<Finding> {
    let mine: BTreeSet<&str> = selected[i].iter().map(|p| name_of(&p.metadata)).collect();
    let ns = namespace_of(&budgets[i].metadata);
    let mut others = Vec::new();
    let mut shared: BTreeSet<&str> = BTreeSet::new();
    for (j, other) in budgets.iter().enumerate() {
        if j == i || namespace_of(&other.metadata) != ns {
            continue;
        }
        let both: Vec<&str> = selected[j].iter().map(|p| name_of(&p.metadata)).filter(|n| mine.contains(n)).collect();
        if !both.is_empty() {
            others.push(name_of(&other.metadata).to_string());
            shared.extend(both);
        }
    }
    if others.is_empty() {
        return None;
    }
    let example = shared.iter().next().copied().unwrap_or_default();
    let message = format!(
        "{} pod(s) (such as {example}) are also selected by PodDisruptionBudget {}: the eviction API refuses to evict a pod with more than one budget, so drains block on them",
        shared.len(),
        others.join(", ")
    );
    Some(
        snapshot
            .finding(NAME, &OVERLAPPING, budgets[i], Severity::Medium, message)
            .with_evidence([Evidence::field("shared pods", shared.into_iter().collect::<Vec<_>>().join(", "))]),
    )
}
