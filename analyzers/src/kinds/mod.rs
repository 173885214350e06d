//! Built-in analyzers, one file per resource kind, all of the same shape: a unit struct, its codes as
//! constants, and `analyze` walking the snapshot's stores.

use crate::analyzer::Analyzer;

mod admissionpolicy;
mod cronjob;
mod customresource;
mod daemonset;
mod deletion;
mod deployment;
mod hpa;
mod ingress;
mod job;
pub(crate) mod limitrange;
pub(crate) mod networkpolicy;
mod node;
pub(crate) mod pdb;
mod pod;
mod policy;
mod pvc;
pub(crate) mod references;
mod refusal;
mod replicaset;
mod resourcequota;
mod service;
mod statefulset;
mod webhook;

pub(crate) static ALL: &[&dyn Analyzer] = &[
    &pod::PodAnalyzer,
    &deployment::DeploymentAnalyzer,
    &replicaset::ReplicaSetAnalyzer,
    &statefulset::StatefulSetAnalyzer,
    &daemonset::DaemonSetAnalyzer,
    &job::JobAnalyzer,
    &cronjob::CronJobAnalyzer,
    &service::ServiceAnalyzer,
    &ingress::IngressAnalyzer,
    &pvc::PvcAnalyzer,
    &node::NodeAnalyzer,
    &webhook::WebhookAnalyzer,
    &admissionpolicy::AdmissionPolicyAnalyzer,
    &hpa::HpaAnalyzer,
    &resourcequota::ResourceQuotaAnalyzer,
    &pdb::PdbAnalyzer,
    &networkpolicy::NetworkPolicyAnalyzer,
    &limitrange::LimitRangeAnalyzer,
    &references::ReferencesAnalyzer,
    &policy::PolicyAnalyzer,
    &customresource::CustomResourceAnalyzer,
    &deletion::DeletionAnalyzer,
];

/// Looks up a condition by type in any `conditions` list.
macro_rules! condition {
    ($status:expr, $type:expr) => {
        $status.as_ref().and_then(|s| s.conditions.as_ref()).and_then(|cs| cs.iter().find(|c| c.type_ == $type))
    };
}
pub(crate) use condition;

/// Evidence for a condition of any `*Condition` type (they share field names but not a type).
macro_rules! condition_evidence {
    ($c:expr) => {
        crate::evidence::Evidence::condition(&$c.type_, &$c.status, $c.reason.as_ref(), $c.message.as_ref())
    };
}
pub(crate) use condition_evidence;

/// The namespace of an object, "" when cluster-scoped.
pub(crate) fn namespace_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or("")
}

pub(crate) fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

/// How bad a replica shortfall is: nothing ready is an outage, under half is high, otherwise degraded.
pub(crate) fn shortfall_severity(ready: i32, desired: i32) -> crate::finding::Severity {
    use crate::finding::Severity;
    if ready == 0 {
        Severity::Critical
    } else if ready * 2 < desired {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// A `maxUnavailable`/`maxSurge` value: a count, or a percentage of `total` rounded as the controller rounds it.
pub(crate) fn int_or_percent(
    value: &k8s_openapi::apimachinery::pkg::util::intstr::IntOrString,
    total: i32,
    round_up: bool,
) -> Option<i32> {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    match value {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(s) => {
            let percent = s.strip_suffix('%')?.trim().parse::<i64>().ok()?;
            let scaled = percent * i64::from(total);
            Some((if round_up { (scaled + 99) / 100 } else { scaled / 100 }) as i32)
        }
    }
}
