//! ReplicaSets: pods the controller cannot create (quota, missing ServiceAccount, admission webhook or
//! PodSecurity denial).

use super::{condition, condition_evidence, name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::ReplicaSet;
use crate::snapshot::Snapshot;

pub(crate) struct ReplicaSetAnalyzer;

const NAME: &str = "replicaset";

const CREATE_FAILED: CodeInfo = CodeInfo {
    code: "replicaset-create-failed",
    summary: "The controller cannot create pods (ReplicaFailure/FailedCreate): quota, missing ServiceAccount, admission denial.",
    severity: SeverityRule::fixed(Severity::High),
};

impl Analyzer for ReplicaSetAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Deployments only to name the parent of a ReplicaSet.
        &[Kind::ReplicaSet, Kind::Deployment]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[CREATE_FAILED]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.replica_sets.iter().filter_map(|rs| analyze_replica_set(snapshot, rs)).collect()
    }
}

fn analyze_replica_set(snapshot: &Snapshot, rs: &ReplicaSet) -> Option<Finding> {
    if rs.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let desired = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let current = rs.status.as_ref().map(|s| s.replicas).unwrap_or(0);
    // Old ReplicaSets scaled to zero, and ReplicaSets that already have every pod, have nothing to create:
    // a leftover condition or FailedCreate event is history.
    if desired <= 0 || current >= desired {
        return None;
    }
    let (ns, name) = (namespace_of(&rs.metadata), name_of(&rs.metadata));
    let failure = condition!(rs.status, "ReplicaFailure")
        .filter(|c| c.status == "True" && c.reason.as_deref() == Some("FailedCreate"));
    let failed_creates: Vec<_> = snapshot
        .warnings_for(Kind::ReplicaSet, ns, name)
        .filter(|e| e.reason.as_deref() == Some("FailedCreate"))
        .collect();
    let detail = match (failure, failed_creates.first()) {
        (Some(c), _) => c.message.clone().unwrap_or_else(|| "no message".into()),
        (None, Some(event)) => event.message.clone().unwrap_or_else(|| "no message".into()),
        (None, None) => return None,
    };
    Some(
        snapshot
            .finding(
                NAME,
                &CREATE_FAILED,
                rs,
                Severity::High,
                format!("cannot create pods ({current} of {desired} exist): {detail}"),
            )
            .with_evidence(failure.map(|c| condition_evidence!(c)))
            .with_evidence([
                Evidence::field("spec.replicas", desired.to_string()),
                Evidence::field("status.replicas", current.to_string()),
            ])
            .with_evidence(recent_warnings(failed_creates.into_iter())),
    )
}
