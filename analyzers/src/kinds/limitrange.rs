//! LimitRanges that refuse pods: a container whose requests or limits, once the range's defaults are injected,
//! fall outside its `min`/`max` or exceed its `maxLimitRequestRatio`. The LimitRanger's refusal names no
//! LimitRange, so a refusal is pinned on a range only when the refused controller's template breaks that range
//! by our own reckoning (here, and for the `limit-range-refused` link of links/admission.rs). Defaults that would be injected are not a fault: a container without resources in a
//! namespace whose defaults fit is fine.
//!
//! Items of type `Container` bound each container; items of type `Pod` bound the sum over a pod's containers (or
//! its largest init container, when that is larger: what the pod needs at any one time), on the values after the
//! range's Container defaults; items of type `PersistentVolumeClaim` bound a claim's storage request (checked on
//! StatefulSets' claim templates and on existing claims).

use k8s_openapi::api::core::v1::{LimitRange, LimitRangeItem, PersistentVolumeClaimSpec};

use super::references::templates;
use super::{name_of, namespace_of, refusal};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::{Container, PodSpec};
use crate::quantity::Quantity;
use crate::snapshot::Snapshot;

pub(crate) struct LimitRangeAnalyzer;

const NAME: &str = "limitrange";

const REFUSED: CodeInfo = CodeInfo {
    code: "limitrange-refused-pods",
    summary: "The limit range is refusing pods: a controller short of pods reports the LimitRanger's refusal, and its template breaks this range.",
    severity: SeverityRule::fixed(Severity::High),
};
const VIOLATED: CodeInfo = CodeInfo {
    code: "limitrange-violated",
    summary: "A pod template's requests or limits (per container or summed over the pod), or a claim template's storage request, fall outside the limit range: its next pods or claims will be refused.",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::Low],
        when: "low when only running pods without a controller, or existing claims, break it (they were admitted before the range)",
    },
};

/// The fixed parts of the LimitRanger's refusals.
const LIMIT_RANGER_FORMS: &[&str] = &[
    "usage per Container is",
    "usage per Pod is",
    "usage per PersistentVolumeClaim is",
    "limit to request ratio per Container is",
    "limit to request ratio per Pod is",
];

impl Analyzer for LimitRangeAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::LimitRange,
            Kind::Pod,
            Kind::Deployment,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::DaemonSet,
            Kind::Job,
            Kind::CronJob,
            Kind::PersistentVolumeClaim,
        ]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[REFUSED, VIOLATED]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.limit_ranges.iter().filter_map(|lr| analyze_range(snapshot, lr)).collect()
    }
}

fn analyze_range(snapshot: &Snapshot, range: &LimitRange) -> Option<Finding> {
    let ns = namespace_of(&range.metadata);
    let items: Vec<&LimitRangeItem> = range.spec.as_ref()?.limits.iter().filter(|i| checked(i)).collect();
    if items.is_empty() {
        return None;
    }
    // Refusals first: a controller short of pods, refused by the LimitRanger, whose template breaks this range.
    let mut refused = Vec::new();
    for r in refusal::in_namespace(snapshot, ns) {
        if !is_limit_ranger_refusal(r.message) {
            continue;
        }
        let broken = controller_violations(snapshot, ns, &r.controller.kind, &r.controller.name, &items);
        if let Some(first) = broken.into_iter().next() {
            refused.push((r, first));
        }
    }
    if let Some((first, why)) = refused.first() {
        let mut controllers: Vec<String> = refused.iter().map(|(r, _)| r.controller.label()).collect();
        controllers.dedup();
        let message = format!("refuses pods of {}: {why}", controllers.join(", "));
        return Some(
            snapshot
                .finding(NAME, &REFUSED, range, Severity::High, message)
                .with_evidence(first.event.map(Evidence::event))
                .with_evidence([Evidence::field("refusal", crate::finding::one_line(first.message))]),
        );
    }
    let defaults = namespace_defaults(snapshot, ns);
    let mut broken: Vec<(String, bool, String)> = Vec::new();
    for template in templates(snapshot).into_iter().filter(|t| namespace_of(t.meta) == ns) {
        if let Some(why) = violations(template.spec, &items, defaults).into_iter().next() {
            let label = format!("{} {}", template.kind.name(), name_of(template.meta));
            broken.push((label, template.kind == Kind::Pod, why));
        }
    }
    // Claims: a StatefulSet's templates make its next claims; an existing claim was admitted before the range.
    for sts in snapshot.objects.stateful_sets.in_namespace(ns).filter(|s| s.metadata.deletion_timestamp.is_none()) {
        let claims = sts.spec.as_ref().and_then(|s| s.volume_claim_templates.as_ref());
        let why = claims.into_iter().flatten().find_map(|c| {
            let spec = c.spec.as_ref()?;
            claim_violations(&format!("claim template {}", name_of(&c.metadata)), spec, &items).into_iter().next()
        });
        if let Some(why) = why {
            broken.push((format!("StatefulSet {}", name_of(&sts.metadata)), false, why));
        }
    }
    for pvc in snapshot.objects.persistent_volume_claims.in_namespace(ns) {
        let Some(spec) = pvc.spec.as_ref() else { continue };
        let label = format!("claim {}", name_of(&pvc.metadata));
        if let Some(why) = claim_violations(&label, spec, &items).into_iter().next() {
            broken.push((format!("PersistentVolumeClaim {}", name_of(&pvc.metadata)), true, why));
        }
    }
    let (label, _, why) = broken.first()?;
    let severity = if broken.iter().all(|(_, pod, _)| *pod) { Severity::Low } else { Severity::Medium };
    let message = format!("{} template(s) or pod(s) break it, such as {label}: {why}", broken.len());
    let listed = broken.iter().map(|(l, _, _)| l.as_str()).collect::<Vec<_>>().join(", ");
    Some(
        snapshot
            .finding(NAME, &VIOLATED, range, severity, message)
            .with_evidence([Evidence::field("breaking", listed)]),
    )
}

/// Whether a refusal has the LimitRanger's fixed form (which names no LimitRange).
pub(crate) fn is_limit_ranger_refusal(message: &str) -> bool {
    LIMIT_RANGER_FORMS.iter().any(|f| message.contains(f))
}

/// The LimitRange of the namespace behind a LimitRanger refusal of a controller's pods: the first (by name) whose
/// Container items the controller's template breaks, with the first broken bound in words. None when the message
/// is not the LimitRanger's, or no range of the snapshot is broken by the template.
pub(crate) fn refusing_range<'a>(
    snapshot: &'a Snapshot,
    ns: &str,
    kind: &str,
    name: &str,
    message: &str,
) -> Option<(&'a LimitRange, String)> {
    if !is_limit_ranger_refusal(message) {
        return None;
    }
    // The ranges of the namespace, by name (a filter, so that the result borrows from the snapshot only).
    snapshot.objects.limit_ranges.iter().filter(|r| namespace_of(&r.metadata) == ns).find_map(|range| {
        let items: Vec<&LimitRangeItem> = range.spec.as_ref()?.limits.iter().filter(|i| checked(i)).collect();
        controller_violations(snapshot, ns, kind, name, &items).into_iter().next().map(|why| (range, why))
    })
}

/// The item types checked: per container, per pod, per claim.
fn checked(item: &LimitRangeItem) -> bool {
    matches!(item.type_.as_str(), "Container" | "Pod" | "PersistentVolumeClaim")
}

/// How a refused controller's pod template, or a StatefulSet's claim templates, break the items.
fn controller_violations(
    snapshot: &Snapshot,
    ns: &str,
    kind: &str,
    name: &str,
    items: &[&LimitRangeItem],
) -> Vec<String> {
    let defaults = namespace_defaults(snapshot, ns);
    let mut out =
        controller_template(snapshot, ns, kind, name).map(|s| violations(s, items, defaults)).unwrap_or_default();
    if kind == "StatefulSet"
        && let Some(sts) = snapshot.objects.stateful_sets.get(ns, name)
    {
        for claim in sts.spec.as_ref().and_then(|s| s.volume_claim_templates.as_ref()).into_iter().flatten() {
            if let Some(spec) = claim.spec.as_ref() {
                out.extend(claim_violations(&format!("claim template {}", name_of(&claim.metadata)), spec, items));
            }
        }
    }
    out
}

/// How a claim's storage request breaks the PersistentVolumeClaim items (`min`/`max` on `storage`).
fn claim_violations(label: &str, spec: &PersistentVolumeClaimSpec, items: &[&LimitRangeItem]) -> Vec<String> {
    let request = get(spec.resources.as_ref().and_then(|r| r.requests.as_ref()), "storage");
    let mut out = Vec::new();
    for item in items.iter().filter(|i| i.type_ == "PersistentVolumeClaim") {
        let (Some(text), Some(asked)) = (request, request.and_then(Quantity::parse)) else {
            if let Some(min) = get(item.min.as_ref(), "storage") {
                out.push(format!("{label} requests no storage, and the minimum is {min}"));
            }
            continue;
        };
        if let Some(max) = get(item.max.as_ref(), "storage").filter(|m| Quantity::parse(m).is_some_and(|m| asked > m)) {
            out.push(format!("{label}'s storage request {text} is above the maximum {max}"));
        }
        if let Some(min) = get(item.min.as_ref(), "storage").filter(|m| Quantity::parse(m).is_some_and(|m| asked < m)) {
            out.push(format!("{label}'s storage request {text} is below the minimum {min}"));
        }
    }
    out
}

/// The pod template of a controller named in a refusal.
fn controller_template<'a>(snapshot: &'a Snapshot, ns: &str, kind: &str, name: &str) -> Option<&'a PodSpec> {
    let o = &snapshot.objects;
    match kind {
        "Deployment" => o.deployments.get(ns, name)?.spec.as_ref()?.template.spec.as_ref(),
        "ReplicaSet" => o.replica_sets.get(ns, name)?.spec.as_ref()?.template.as_ref()?.spec.as_ref(),
        "StatefulSet" => o.stateful_sets.get(ns, name)?.spec.as_ref()?.template.spec.as_ref(),
        "DaemonSet" => o.daemon_sets.get(ns, name)?.spec.as_ref()?.template.spec.as_ref(),
        "Job" => o.jobs.get(ns, name)?.spec.as_ref()?.template.spec.as_ref(),
        _ => None,
    }
}

/// The Container item whose defaults the LimitRanger injects in a namespace: the first, by range name, that has
/// any (every range's defaults are injected before any range's bounds are checked).
fn namespace_defaults<'a>(snapshot: &'a Snapshot, ns: &'a str) -> Option<&'a LimitRangeItem> {
    snapshot.objects.limit_ranges.in_namespace(ns).find_map(|r| {
        r.spec
            .as_ref()?
            .limits
            .iter()
            .find(|i| i.type_ == "Container" && (i.default.is_some() || i.default_request.is_some() || i.max.is_some()))
    })
}

/// Every way the containers of a pod spec break the range's Container and Pod items, in words; `defaults` is the
/// namespace's Container item whose defaults are injected before Pod items sum the containers.
fn violations(spec: &PodSpec, items: &[&LimitRangeItem], defaults: Option<&LimitRangeItem>) -> Vec<String> {
    let containers = spec.init_containers.iter().flatten().chain(spec.containers.iter());
    let mut out = Vec::new();
    let container_items: Vec<&LimitRangeItem> = items.iter().copied().filter(|i| i.type_ == "Container").collect();
    for container in containers {
        for item in &container_items {
            out.extend(container_violations(container, item));
        }
    }
    for item in items.iter().filter(|i| i.type_ == "Pod") {
        out.extend(pod_violations(spec, item, defaults));
    }
    out
}

/// One resource of a whole pod, as the LimitRanger sums it: the app containers' values added up, or the largest
/// init container's when larger (init containers run one at a time, before the others); None when no container
/// has a value. `limit` picks limits, else requests; `defaults` is the range's Container item, whose defaults
/// are injected first.
fn pod_total(spec: &PodSpec, resource: &str, limit: bool, defaults: Option<&LimitRangeItem>) -> Option<Quantity> {
    let value = |c: &Container| -> Option<Quantity> {
        let (request, lim) = match defaults {
            Some(item) => effective(c, item, resource),
            None => {
                let r = c.resources.as_ref();
                (get(r.and_then(|r| r.requests.as_ref()), resource), get(r.and_then(|r| r.limits.as_ref()), resource))
            }
        };
        Quantity::parse(if limit { lim? } else { request? })
    };
    let sum = spec.containers.iter().filter_map(value).reduce(Quantity::plus);
    let init = spec.init_containers.iter().flatten().filter_map(value).max();
    match (sum, init) {
        (Some(s), Some(i)) => Some(s.max(i)),
        (s, i) => s.or(i),
    }
}

fn pod_violations(spec: &PodSpec, item: &LimitRangeItem, defaults: Option<&LimitRangeItem>) -> Vec<String> {
    let mut out = Vec::new();
    for (resource, max) in item.max.iter().flatten() {
        let Some(m) = Quantity::parse(&max.0) else { continue };
        match pod_total(spec, resource, true, defaults) {
            None => out.push(format!("the pod sets no {resource} limit, and the maximum per pod is {}", max.0)),
            Some(total) if total > m => out.push(format!(
                "the pod's {resource} limits add up to {}, above the maximum per pod {}",
                total.text(),
                max.0
            )),
            _ => {}
        }
    }
    for (resource, min) in item.min.iter().flatten() {
        let Some(m) = Quantity::parse(&min.0) else { continue };
        match pod_total(spec, resource, false, defaults) {
            None => out.push(format!("the pod sets no {resource} request, and the minimum per pod is {}", min.0)),
            Some(total) if total < m => out.push(format!(
                "the pod's {resource} requests add up to {}, below the minimum per pod {}",
                total.text(),
                min.0
            )),
            _ => {}
        }
    }
    for (resource, ratio) in item.max_limit_request_ratio.iter().flatten() {
        let (Some(l), Some(r), Some(max)) = (
            pod_total(spec, resource, true, defaults),
            pod_total(spec, resource, false, defaults),
            Quantity::parse(&ratio.0),
        ) else {
            continue;
        };
        if let Some(actual) = l.ratio_to(r)
            && actual > max.to_f64()
        {
            out.push(format!(
                "the pod's {resource} limits ({}) are {actual:.1} times its requests ({}), above the ratio per pod {}",
                l.text(),
                r.text(),
                ratio.0
            ));
        }
    }
    out
}

fn get<'a>(map: Option<&'a impl crate::model::Amounts>, resource: &str) -> Option<&'a str> {
    map.and_then(|m| m.amount(resource)).map(|q| q.0.as_str())
}

/// The effective request and limit of one resource, as the API server and the LimitRanger would set them: a
/// missing limit takes the range's `default` (itself `max` when unset); a missing request takes the limit the
/// container sets, else the range's `defaultRequest` (itself `default` when unset).
fn effective<'a>(
    container: &'a Container,
    item: &'a LimitRangeItem,
    resource: &str,
) -> (Option<&'a str>, Option<&'a str>) {
    let resources = container.resources.as_ref();
    let own_limit = get(resources.and_then(|r| r.limits.as_ref()), resource);
    let own_request = get(resources.and_then(|r| r.requests.as_ref()), resource);
    let default = get(item.default.as_ref(), resource).or_else(|| get(item.max.as_ref(), resource));
    let default_request = get(item.default_request.as_ref(), resource).or(default);
    let limit = own_limit.or(default);
    let request = own_request.or(own_limit).or(default_request);
    (request, limit)
}

fn container_violations(container: &Container, item: &LimitRangeItem) -> Vec<String> {
    let mut out = Vec::new();
    let c = &container.name;
    let parse = |text: Option<&str>| text.and_then(Quantity::parse);
    for (resource, max) in item.max.iter().flatten() {
        let (_, limit) = effective(container, item, resource);
        match (parse(limit), Quantity::parse(&max.0)) {
            (None, Some(_)) => {
                out.push(format!("container {c} sets no {resource} limit, and the maximum is {}", max.0))
            }
            (Some(l), Some(m)) if l > m => out.push(format!(
                "container {c}'s {resource} limit {} is above the maximum {}",
                limit.unwrap_or_default(),
                max.0
            )),
            _ => {}
        }
    }
    for (resource, min) in item.min.iter().flatten() {
        let (request, _) = effective(container, item, resource);
        match (parse(request), Quantity::parse(&min.0)) {
            (None, Some(_)) => {
                out.push(format!("container {c} sets no {resource} request, and the minimum is {}", min.0))
            }
            (Some(r), Some(m)) if r < m => out.push(format!(
                "container {c}'s {resource} request {} is below the minimum {}",
                request.unwrap_or_default(),
                min.0
            )),
            _ => {}
        }
    }
    for (resource, ratio) in item.max_limit_request_ratio.iter().flatten() {
        let (request, limit) = effective(container, item, resource);
        let (Some(r), Some(l), Some(max)) = (parse(request), parse(limit), Quantity::parse(&ratio.0)) else { continue };
        if let Some(actual) = l.ratio_to(r)
            && actual > max.to_f64()
        {
            out.push(format!(
                "container {c}'s {resource} limit {} is {actual:.1} times its request {}, above the ratio {}",
                limit.unwrap_or_default(),
                request.unwrap_or_default(),
                ratio.0
            ));
        }
    }
    out
}
