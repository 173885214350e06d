//! HorizontalPodAutoscalers (autoscaling/v2): a scale target that does not exist or cannot be read, metrics the
//! autoscaler cannot get.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

use super::{condition, condition_evidence, name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct HpaAnalyzer;

const NAME: &str = "hpa";

const TARGET_MISSING: CodeInfo = CodeInfo {
    code: "hpa-target-missing",
    summary: "The scale target does not exist, or the autoscaler cannot read its scale (AbleToScale=False, FailedGetScale).",
    severity: SeverityRule::fixed(Severity::High),
};
const SCALING_INACTIVE: CodeInfo = CodeInfo {
    code: "hpa-scaling-inactive",
    summary: "The autoscaler cannot compute a replica count (ScalingActive=False), usually because its metrics are unavailable.",
    severity: SeverityRule::fixed(Severity::Medium),
};

impl Analyzer for HpaAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // The workload kinds to check that the scale target exists.
        &[Kind::HorizontalPodAutoscaler, Kind::Deployment, Kind::StatefulSet, Kind::ReplicaSet]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[TARGET_MISSING, SCALING_INACTIVE]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.horizontal_pod_autoscalers.iter().filter_map(|h| analyze_hpa(snapshot, h)).collect()
    }
}

fn analyze_hpa(snapshot: &Snapshot, hpa: &HorizontalPodAutoscaler) -> Option<Finding> {
    if hpa.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let (ns, name) = (namespace_of(&hpa.metadata), name_of(&hpa.metadata));
    let target = &hpa.spec.scale_target_ref;
    let target_text = format!("{} {}", target.kind, target.name);
    let warnings = || recent_warnings(snapshot.warnings_for(Kind::HorizontalPodAutoscaler, ns, name));
    let target_evidence = || Evidence::field("spec.scaleTargetRef", target_text.clone());

    let target_kind = match target.kind.as_str() {
        "Deployment" => Some(Kind::Deployment),
        "StatefulSet" => Some(Kind::StatefulSet),
        "ReplicaSet" => Some(Kind::ReplicaSet),
        _ => None,
    };
    let known_missing = target_kind
        .filter(|k| snapshot.has_read(*k))
        .is_some_and(|k| snapshot.objects.meta(k, ns, &target.name).is_none());
    let get_scale_failed = condition!(hpa.status, "AbleToScale")
        .filter(|c| c.status == "False" && c.reason.as_deref() == Some("FailedGetScale"));

    if known_missing || get_scale_failed.is_some() {
        let message = if known_missing {
            format!("scale target {target_text} does not exist in namespace {ns}")
        } else {
            let detail = get_scale_failed.and_then(|c| c.message.as_deref()).unwrap_or("no message");
            format!("cannot read the scale of target {target_text}: {detail}")
        };
        return Some(
            snapshot
                .finding(NAME, &TARGET_MISSING, hpa, Severity::High, message)
                .with_evidence([target_evidence()])
                .with_evidence(get_scale_failed.map(|c| condition_evidence!(c)))
                .with_evidence(warnings()),
        );
    }

    // ScalingDisabled: the target is scaled to zero, which switches autoscaling off on purpose.
    let inactive = condition!(hpa.status, "ScalingActive")
        .filter(|c| c.status == "False" && c.reason.as_deref() != Some("ScalingDisabled"))?;
    let reason = inactive.reason.as_deref().unwrap_or("no reason given");
    let detail = inactive.message.as_deref().filter(|m| !m.is_empty()).unwrap_or("no message");
    Some(
        snapshot
            .finding(
                NAME,
                &SCALING_INACTIVE,
                hpa,
                Severity::Medium,
                format!("autoscaler for {target_text} cannot compute a replica count ({reason}): {detail}"),
            )
            .with_evidence([condition_evidence!(inactive), target_evidence()])
            .with_evidence(warnings()),
    )
}
