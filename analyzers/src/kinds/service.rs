//! Services: selectors that match no pods, and selected pods of which none is ready. Also the shared answer to
//! "how many ready endpoints does this Service have", which the webhook analyzer asks too.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ObjectReference, Service};

use super::{name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct ServiceAnalyzer;

const NAME: &str = "service";

const NO_PODS: CodeInfo = CodeInfo {
    code: "service-no-pods",
    summary: "The Service's selector matches no running pods, so it has no backends.",
    severity: SeverityRule::fixed(Severity::High),
};
const NO_READY_ENDPOINTS: CodeInfo = CodeInfo {
    code: "service-no-ready-endpoints",
    summary: "The Service selects pods but none of them is ready, so traffic to it has nowhere to go.",
    severity: SeverityRule::fixed(Severity::High),
};

impl Analyzer for ServiceAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Service, Kind::Pod, Kind::Endpoints, Kind::EndpointSlice]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[NO_PODS, NO_READY_ENDPOINTS]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.services.iter().filter_map(|svc| analyze_service(snapshot, svc)).collect()
    }
}

/// Ready and not-ready endpoints of one Service, each counted once (dual-stack Services list a pod in two slices).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct EndpointCounts {
    pub ready: usize,
    pub not_ready: usize,
}

/// The endpoints of a Service, from its EndpointSlices or, when it has none, its core Endpoints object. `None`
/// when neither kind was read, so nothing can be said. A read kind with no object for the Service counts as zero
/// endpoints. An endpoint whose `ready` condition is unset counts as ready, as the API says consumers should.
pub(crate) fn endpoint_counts(snapshot: &Snapshot, namespace: &str, service: &str) -> Option<EndpointCounts> {
    let mut ready = BTreeSet::new();
    let mut not_ready = BTreeSet::new();
    let mut found = false;
    if snapshot.has_read(Kind::EndpointSlice) {
        for slice in snapshot.endpoint_slices_of(namespace, service) {
            found = true;
            for ep in slice.endpoints.iter().flatten() {
                let key = endpoint_key(ep.target_ref.as_ref(), ep.addresses.first().map(String::as_str));
                if ep.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
                    not_ready.insert(key);
                } else {
                    ready.insert(key);
                }
            }
        }
    }
    if !found
        && snapshot.has_read(Kind::Endpoints)
        && let Some(endpoints) = snapshot.objects.endpoints.get(namespace, service)
    {
        found = true;
        for subset in endpoints.subsets.iter().flatten() {
            for a in subset.addresses.iter().flatten() {
                ready.insert(endpoint_key(a.target_ref.as_ref(), Some(&a.ip)));
            }
            for a in subset.not_ready_addresses.iter().flatten() {
                not_ready.insert(endpoint_key(a.target_ref.as_ref(), Some(&a.ip)));
            }
        }
    }
    if !found && !snapshot.has_read(Kind::EndpointSlice) && !snapshot.has_read(Kind::Endpoints) {
        return None;
    }
    Some(EndpointCounts { ready: ready.len(), not_ready: not_ready.difference(&ready).count() })
}

/// One endpoint: the object behind it when known (a pod), else its first address.
fn endpoint_key(target: Option<&ObjectReference>, address: Option<&str>) -> String {
    match target.and_then(|t| t.name.as_deref().map(|n| (t.kind.as_deref().unwrap_or_default(), n))) {
        Some((kind, name)) => format!("{kind}/{name}"),
        None => address.unwrap_or_default().to_string(),
    }
}

/// Pods of a namespace that a Service-style selector picks: `(live, finished)`, where finished pods
/// (`Succeeded` or `Failed`) never back a Service. `None` when Pods were not read.
pub(crate) fn selected_pods(
    snapshot: &Snapshot,
    namespace: &str,
    selector: &BTreeMap<String, String>,
) -> Option<(usize, usize)> {
    if !snapshot.has_read(Kind::Pod) {
        return None;
    }
    let (mut live, mut finished) = (0, 0);
    for pod in snapshot.pods_selected_by(namespace, selector) {
        match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Succeeded" | "Failed") => finished += 1,
            _ => live += 1,
        }
    }
    Some((live, finished))
}

/// `app=web,tier=front`, as kubectl prints a Service selector.
pub(crate) fn selector_text(selector: &BTreeMap<String, String>) -> String {
    selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

fn analyze_service(snapshot: &Snapshot, svc: &Service) -> Option<Finding> {
    if svc.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let (ns, name) = (namespace_of(&svc.metadata), name_of(&svc.metadata));
    let spec = svc.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") || (ns == "default" && name == "kubernetes") {
        return None;
    }
    // No selector: the endpoints are managed by hand or by another controller, and are not ours to judge.
    let selector = spec.selector.as_ref().filter(|s| !s.is_empty())?;
    let selector_shown = selector_text(selector);
    let pods = selected_pods(snapshot, ns, selector);

    if let Some((0, finished)) = pods {
        let ignored = match finished {
            0 => String::new(),
            1 => " (1 finished pod ignored)".to_string(),
            n => format!(" ({n} finished pods ignored)"),
        };
        return Some(
            snapshot
                .finding(
                    NAME,
                    &NO_PODS,
                    svc,
                    Severity::High,
                    format!("selector {selector_shown} matches no pods{ignored}"),
                )
                .with_evidence([Evidence::field("selector", &selector_shown)]),
        );
    }

    // Such Services (usually headless, for peer discovery) publish pods whether they are ready or not.
    if spec.publish_not_ready_addresses == Some(true) {
        return None;
    }
    let counts = endpoint_counts(snapshot, ns, name)?;
    if counts.ready > 0 {
        return None;
    }
    let message = match pods {
        Some((live, _)) => format!(
            "selector {selector_shown} matches {live} {} but none is ready: 0 ready endpoints, {} not ready",
            if live == 1 { "pod" } else { "pods" },
            counts.not_ready
        ),
        // Without Pods, only endpoints that exist but are not ready show that something is selected.
        None if counts.not_ready > 0 => {
            format!("none of the {} endpoints selected by {selector_shown} is ready", counts.not_ready)
        }
        None => return None,
    };
    Some(
        snapshot
            .finding(NAME, &NO_READY_ENDPOINTS, svc, Severity::High, message)
            .with_evidence([
                Evidence::field("selector", &selector_shown),
                Evidence::field("readyEndpoints", "0"),
                Evidence::field("notReadyEndpoints", counts.not_ready.to_string()),
            ])
            .with_evidence(pods.map(|(live, _)| Evidence::field("selectedPods", live.to_string()))),
    )
}
