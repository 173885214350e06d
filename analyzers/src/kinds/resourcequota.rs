//! ResourceQuotas: a quota that is refusing pods right now (a controller short of pods whose `FailedCreate` names
//! it), one used up to its hard limit, and one nearly so. The refused controller's own finding links to the quota
//! (links/admission.rs), so the quota is the root of that problem.

use k8s_openapi::api::core::v1::ResourceQuota;

use super::{name_of, namespace_of, refusal};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::links::name_after;
use crate::quantity::Quantity;
use crate::snapshot::Snapshot;

pub(crate) struct ResourceQuotaAnalyzer;

const NAME: &str = "resourcequota";

const REFUSED: CodeInfo = CodeInfo {
    code: "resourcequota-refused-pods",
    summary: "The quota is refusing pods: a controller short of pods reports FailedCreate naming it (exceeded or failed quota).",
    severity: SeverityRule::fixed(Severity::High),
};
const EXHAUSTED: CodeInfo = CodeInfo {
    code: "resourcequota-exhausted",
    summary: "A resource of the quota is used up to its hard limit: the next object that needs it will be refused.",
    severity: SeverityRule::fixed(Severity::Medium),
};
const NEARLY_EXHAUSTED: CodeInfo = CodeInfo {
    code: "resourcequota-nearly-exhausted",
    summary: "A resource of the quota is at 90% or more of its hard limit.",
    severity: SeverityRule::fixed(Severity::Low),
};

/// From this share of a hard limit on, a quota is worth a look.
const NEARLY_PERCENT: i128 = 90;

impl Analyzer for ResourceQuotaAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // The controllers whose FailedCreate events say which quota refused their pods.
        &[Kind::ResourceQuota, Kind::ReplicaSet, Kind::StatefulSet, Kind::DaemonSet, Kind::Job]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[REFUSED, EXHAUSTED, NEARLY_EXHAUSTED]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.resource_quotas.iter().filter_map(|q| analyze_quota(snapshot, q)).collect()
    }
}

/// One resource of the quota: name, used, hard, and used as a percentage of hard.
struct Usage {
    resource: String,
    used: String,
    hard: String,
    percent: i128,
}

fn usage(quota: &ResourceQuota) -> Vec<Usage> {
    let status = quota.status.as_ref();
    // The hard limits being enforced are the status's; a quota the controller has not seen yet has only a spec.
    let hard = status.and_then(|s| s.hard.as_ref()).or_else(|| quota.spec.as_ref().and_then(|s| s.hard.as_ref()));
    let used = status.and_then(|s| s.used.as_ref());
    let (Some(hard), Some(used)) = (hard, used) else { return Vec::new() };
    let mut out: Vec<Usage> = hard
        .iter()
        .filter_map(|(resource, hard)| {
            let used = used.get(resource)?;
            // A hard limit of zero forbids the resource on purpose: never "used up".
            let percent = Quantity::parse(&used.0)?.percent_of(Quantity::parse(&hard.0)?)?;
            Some(Usage { resource: resource.clone(), used: used.0.clone(), hard: hard.0.clone(), percent })
        })
        .collect();
    out.sort_by(|a, b| b.percent.cmp(&a.percent).then_with(|| a.resource.cmp(&b.resource)));
    out
}

/// Whether an admission message names this quota in the ResourceQuota plugin's fixed forms.
fn names_quota(message: &str, quota: &str) -> bool {
    ["exceeded quota: ", "failed quota: "]
        .iter()
        .any(|marker| name_after(message, marker).map(|n| n.trim_end_matches(['.', ':'])) == Some(quota))
}

fn analyze_quota(snapshot: &Snapshot, quota: &ResourceQuota) -> Option<Finding> {
    let (ns, name) = (namespace_of(&quota.metadata), name_of(&quota.metadata));
    let usage = usage(quota);
    let near: Vec<&Usage> = usage.iter().filter(|u| u.percent >= NEARLY_PERCENT).collect();
    let fields = near.iter().map(|u| {
        Evidence::field(format!("status.used.{}", u.resource), format!("{} of {} ({}%)", u.used, u.hard, u.percent))
    });
    let refusals: Vec<refusal::Refusal> =
        refusal::in_namespace(snapshot, ns).into_iter().filter(|r| names_quota(r.message, name)).collect();

    let finding = if let Some(first) = refusals.first() {
        let mut controllers: Vec<String> = refusals.iter().map(|r| r.controller.label()).collect();
        controllers.dedup();
        let message = format!(
            "refuses pods of {} (FailedCreate): {}",
            controllers.join(", "),
            crate::finding::one_line(first.message)
        );
        snapshot
            .finding(NAME, &REFUSED, quota, Severity::High, message)
            .with_evidence(fields)
            .with_evidence(refusals.iter().filter_map(|r| r.event).take(5).map(Evidence::event))
    } else {
        let worst = near.first()?;
        let (code, severity, what) = if worst.percent >= 100 {
            (&EXHAUSTED, Severity::Medium, "at its hard limit")
        } else {
            (&NEARLY_EXHAUSTED, Severity::Low, "near its hard limit")
        };
        let message =
            format!("{} is {what}: {} of {} used ({}%)", worst.resource, worst.used, worst.hard, worst.percent);
        snapshot.finding(NAME, code, quota, severity, message).with_evidence(fields)
    };
    Some(finding)
}
