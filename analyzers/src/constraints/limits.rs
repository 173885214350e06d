//! LimitRanges: per item type and resource, the bounds and defaults in plain words. Container and Pod items
//! apply to every pod of the namespace; PersistentVolumeClaim items to claims only, so they touch no workload.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::workloads::Workloads;
use super::{Constraint, ConstraintKind, Detail, LimitBound, entry, object_ref};
use crate::kind::Kind;
use crate::kinds::name_of;
use crate::snapshot::Snapshot;

pub(super) fn constraints(snapshot: &Snapshot, namespace: &str, workloads: &Workloads) -> Vec<Constraint> {
    let mut out = Vec::new();
    for range in snapshot.objects.limit_ranges.in_namespace(namespace) {
        let items = range.spec.as_ref().map(|s| s.limits.as_slice()).unwrap_or_default();
        let mut limits = Vec::new();
        for item in items {
            let resources: BTreeSet<&String> =
                [&item.min, &item.max, &item.default, &item.default_request, &item.max_limit_request_ratio]
                    .into_iter()
                    .flat_map(|m| m.iter().flat_map(|m| m.keys()))
                    .collect();
            for resource in resources {
                limits.push(LimitBound {
                    item_type: item.type_.clone(),
                    resource: resource.clone(),
                    min: get(&item.min, resource),
                    max: get(&item.max, resource),
                    default_limit: get(&item.default, resource),
                    default_request: get(&item.default_request, resource),
                    max_limit_request_ratio: get(&item.max_limit_request_ratio, resource),
                });
            }
        }
        let rules = limits.iter().map(words).collect();
        let touches =
            if limits.iter().any(|l| l.item_type != "PersistentVolumeClaim") { workloads.all() } else { Vec::new() };
        out.push(entry(
            ConstraintKind::LimitRange,
            format!("limitrange/{}", name_of(&range.metadata)),
            object_ref(Kind::LimitRange, &range.metadata),
            rules,
            Detail::LimitRange { limits },
            touches,
        ));
    }
    out
}

/// One resource's value in one of an item's maps.
fn get(map: &Option<BTreeMap<String, Quantity>>, resource: &str) -> Option<String> {
    map.as_ref().and_then(|m| m.get(resource)).map(|q| q.0.clone())
}

/// `each container: memory limit at most 512Mi; when unset, limit 256Mi and request 256Mi`.
fn words(l: &LimitBound) -> String {
    let who = match l.item_type.as_str() {
        "Container" => "each container".to_string(),
        "Pod" => "each pod (all containers together)".to_string(),
        "PersistentVolumeClaim" => "each volume claim".to_string(),
        other => format!("each {other}"),
    };
    let r = &l.resource;
    let mut parts = Vec::new();
    match (&l.min, &l.max) {
        (Some(min), Some(max)) => parts.push(format!("{r} between {min} (request) and {max} (limit)")),
        (Some(min), None) => parts.push(format!("{r} request at least {min}")),
        (None, Some(max)) => parts.push(format!("{r} limit at most {max}")),
        (None, None) => {}
    }
    if let Some(ratio) = &l.max_limit_request_ratio {
        parts.push(format!("{r} limit at most {ratio} times the request"));
    }
    match (&l.default_limit, &l.default_request) {
        (Some(limit), Some(request)) => parts.push(format!("when unset, {r} limit {limit} and request {request}")),
        (Some(limit), None) => parts.push(format!("when unset, {r} limit {limit}")),
        (None, Some(request)) => parts.push(format!("when unset, {r} request {request}")),
        (None, None) => {}
    }
    format!("{who}: {}", parts.join("; "))
}
