//! DaemonSets: pods that are not ready on the nodes that should run them, imagePullSecrets that do not exist.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{int_or_percent, name_of, namespace_of, shortfall_severity};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::DaemonSet;
use crate::snapshot::Snapshot;

pub(crate) struct DaemonSetAnalyzer;

const NAME: &str = "daemonset";

const NOT_READY: CodeInfo = CodeInfo {
    code: "daemonset-pods-not-ready",
    summary: "Fewer pods are ready than nodes that should run one (numberReady below desiredNumberScheduled).",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::Critical, Severity::High],
        when: "critical when no pod is ready, high when fewer than half are",
    },
};
const PULL_SECRET_MISSING: CodeInfo = CodeInfo {
    code: "daemonset-image-pull-secret-missing",
    summary: "The pod template names an imagePullSecret that does not exist in the namespace (or, when Secrets may not be read, that the kubelet reported it could not retrieve).",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium],
        when: "medium when every pod is ready",
    },
};

/// The kubelet's event reason when an imagePullSecret of a pod cannot be found.
const PULL_SECRET_EVENT: &str = "FailedToRetrieveImagePullSecret";

impl Analyzer for DaemonSetAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Secrets (metadata only) to check that the imagePullSecrets named exist; when they may not be read, the
        // kubelet's events on the DaemonSet's pods say the same.
        &[Kind::DaemonSet, Kind::Secret, Kind::Pod]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[NOT_READY, PULL_SECRET_MISSING]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.daemon_sets.iter().flat_map(|d| analyze_daemon_set(snapshot, d)).collect()
    }
}

fn analyze_daemon_set(snapshot: &Snapshot, ds: &DaemonSet) -> Vec<Finding> {
    let mut findings = Vec::new();
    if ds.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let (Some(_), Some(status)) = (ds.spec.as_ref(), ds.status.as_ref()) else {
        return findings;
    };
    let desired = status.desired_number_scheduled;
    if desired <= 0 {
        // No node matches its selector and tolerations: nothing should run.
        return findings;
    }
    let ready = status.number_ready;
    if let Some(f) = missing_pull_secret_finding(snapshot, ds, desired, ready) {
        findings.push(f);
    }

    if let Some(f) = not_ready_finding(snapshot, ds, desired, ready) {
        findings.push(f);
    }
    findings
}

/// Pull secrets named by the template that are absent: looked up when Secrets were read, otherwise taken from the
/// kubelet's `FailedToRetrieveImagePullSecret` events on the DaemonSet's pods.
fn missing_pull_secret_finding(snapshot: &Snapshot, ds: &DaemonSet, desired: i32, ready: i32) -> Option<Finding> {
    let ns = namespace_of(&ds.metadata);
    let named: Vec<&str> = ds
        .spec
        .as_ref()?
        .template
        .spec
        .iter()
        .flat_map(|p| p.image_pull_secrets.iter().flatten())
        .map(|r| r.name.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    let (missing, evidence): (Vec<&str>, Vec<Evidence>) = if snapshot.has_read(Kind::Secret) {
        let missing: Vec<&str> =
            named.iter().copied().filter(|s| snapshot.objects.secrets.get(ns, s).is_none()).collect();
        let evidence = missing.iter().map(|s| Evidence::field("imagePullSecret", *s)).collect();
        (missing, evidence)
    } else {
        let events = pull_secret_events(snapshot, ds);
        let newest = events.first()?;
        let reported = reported_secret_names(newest.message.as_deref().unwrap_or_default());
        let missing = named.iter().copied().filter(|s| reported.contains(s)).collect();
        (missing, vec![Evidence::event(newest)])
    };
    if missing.is_empty() {
        return None;
    }
    // Images already cached on the nodes keep running; it is likely the cause when pods are not ready.
    let severity = if ready < desired { Severity::High } else { Severity::Medium };
    let list = missing.join(", ");
    let message = if snapshot.has_read(Kind::Secret) {
        format!("pod template uses imagePullSecrets that do not exist in namespace {ns}: {list}")
    } else {
        format!("the kubelet cannot retrieve imagePullSecrets of the pod template in namespace {ns}: {list}")
    };
    Some(snapshot.finding(NAME, &PULL_SECRET_MISSING, ds, severity, message).with_evidence(evidence))
}

/// The kubelet's pull-secret warnings on pods this DaemonSet controls, newest first.
fn pull_secret_events<'a>(snapshot: &'a Snapshot, ds: &DaemonSet) -> Vec<&'a k8s_openapi::api::core::v1::Event> {
    let (ns, name) = (namespace_of(&ds.metadata), name_of(&ds.metadata));
    let mut events: Vec<_> = snapshot
        .objects
        .pods
        .in_namespace(ns)
        .filter(|p| {
            p.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && o.kind == "DaemonSet" && o.name == name)
        })
        .flat_map(|p| snapshot.warnings_for(Kind::Pod, ns, name_of(&p.metadata)))
        .filter(|e| e.reason.as_deref() == Some(PULL_SECRET_EVENT))
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(crate::evidence::event_last_time(e)));
    events
}

/// The secret names the kubelet lists in parentheses: `Unable to retrieve some image pull secrets (a, b); ...`.
fn reported_secret_names(message: &str) -> Vec<&str> {
    let Some((_, rest)) = message.split_once('(') else { return Vec::new() };
    let Some((list, _)) = rest.split_once(')') else { return Vec::new() };
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn not_ready_finding(snapshot: &Snapshot, ds: &DaemonSet, desired: i32, ready: i32) -> Option<Finding> {
    if ready >= desired {
        return None;
    }
    let spec = ds.spec.as_ref()?;
    let status = ds.status.as_ref()?;
    // The controller has not acted on the latest spec yet: the counts describe the previous one.
    if status.observed_generation.unwrap_or(0) < ds.metadata.generation.unwrap_or(0) {
        return None;
    }
    let not_ready = desired - ready;
    let (ns, name) = (namespace_of(&ds.metadata), name_of(&ds.metadata));
    let failed_creates =
        snapshot.warnings_for(Kind::DaemonSet, ns, name).any(|e| e.reason.as_deref() == Some("FailedCreate"));
    // A rolling update under way, unless pods cannot be created at all (a node without a pod also counts as not
    // updated, so the counts alone cannot tell).
    let strategy = spec.update_strategy.as_ref();
    let rolling_update = strategy.and_then(|u| u.rolling_update.as_ref());
    let rolling = strategy.and_then(|u| u.type_.as_deref()).unwrap_or("RollingUpdate") == "RollingUpdate"
        && status.updated_number_scheduled.unwrap_or(0) < desired
        && !failed_creates;
    if rolling {
        // A rolling update takes down (or surges) this many nodes' pods at a time.
        let unavailable = scaled(rolling_update.and_then(|r| r.max_unavailable.as_ref()), desired, 1);
        let surge = scaled(rolling_update.and_then(|r| r.max_surge.as_ref()), desired, 0);
        if not_ready <= unavailable.max(surge).max(1) {
            return None;
        }
    }

    let severity = shortfall_severity(ready, desired);
    let unavailable = status.number_unavailable.unwrap_or(not_ready);
    let mut message = format!("{ready} of {desired} pods ready ({unavailable} unavailable)");
    if rolling {
        let updated = status.updated_number_scheduled.unwrap_or(0);
        message.push_str(&format!(" during a rolling update ({updated} of {desired} updated)"));
    }
    if status.current_number_scheduled < desired {
        let missing = desired - status.current_number_scheduled;
        message.push_str(&format!(", {missing} {} without a pod", if missing == 1 { "node" } else { "nodes" }));
    }
    Some(
        snapshot
            .finding(NAME, &NOT_READY, ds, severity, message)
            .with_evidence([
                Evidence::field("status.desiredNumberScheduled", desired.to_string()),
                Evidence::field("status.currentNumberScheduled", status.current_number_scheduled.to_string()),
                Evidence::field("status.numberReady", ready.to_string()),
                Evidence::field("status.numberUnavailable", unavailable.to_string()),
                Evidence::field("status.numberMisscheduled", status.number_misscheduled.to_string()),
            ])
            .with_evidence(recent_warnings(snapshot.warnings_for(Kind::DaemonSet, ns, name))),
    )
}

/// Resolves a rolling update's maxUnavailable or maxSurge against the node count: an int, or a percentage
/// rounded up as the DaemonSet controller does.
fn scaled(value: Option<&IntOrString>, total: i32, default: i32) -> i32 {
    value.and_then(|v| int_or_percent(v, total, true)).unwrap_or(default)
}
