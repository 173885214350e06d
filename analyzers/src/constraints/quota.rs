//! ResourceQuotas: each resource's use against its hard limit. A quota counts every pod of the namespace (its
//! scopes, when it has any, are said in words), so it touches every workload.

use super::workloads::Workloads;
use super::{Constraint, ConstraintKind, Detail, QuotaUse, entry, object_ref};
use crate::kind::Kind;
use crate::kinds::name_of;
use crate::quantity::Quantity;
use crate::snapshot::Snapshot;

pub(super) fn constraints(snapshot: &Snapshot, namespace: &str, workloads: &Workloads) -> Vec<Constraint> {
    let mut out = Vec::new();
    for quota in snapshot.objects.resource_quotas.in_namespace(namespace) {
        let status = quota.status.as_ref();
        let spec = quota.spec.as_ref();
        // The enforced limits are the status's; a quota the controller has not seen yet has only a spec.
        let hard = status.and_then(|s| s.hard.as_ref()).or_else(|| spec.and_then(|s| s.hard.as_ref()));
        let used = status.and_then(|s| s.used.as_ref());
        let resources: Vec<QuotaUse> = hard
            .into_iter()
            .flatten()
            .map(|(resource, hard)| {
                let used = used.and_then(|u| u.get(resource)).map(|q| q.0.clone()).unwrap_or_else(|| "0".into());
                let percent = Quantity::parse(&used)
                    .zip(Quantity::parse(&hard.0))
                    .and_then(|(u, h)| u.percent_of(h))
                    .map(|p| p.clamp(0, u32::MAX as i128) as u32);
                QuotaUse { resource: resource.clone(), used, hard: hard.0.clone(), percent }
            })
            .collect();
        let mut rules: Vec<String> = resources
            .iter()
            .map(|r| {
                let share = r.percent.map(|p| format!(" ({p}%)")).unwrap_or_default();
                let full = if r.percent.is_some_and(|p| p >= 100) { ": used up, the next one is refused" } else { "" };
                format!("{}: {} of {} used{share}{full}", r.resource, r.used, r.hard)
            })
            .collect();
        if resources.is_empty() {
            rules.push("sets no hard limit".into());
        }
        let scopes: Vec<String> = spec.and_then(|s| s.scopes.clone()).unwrap_or_default();
        if !scopes.is_empty() {
            rules.push(format!("counts only pods in scope {}", scopes.join(", ")));
        }
        let name = name_of(&quota.metadata);
        out.push(entry(
            ConstraintKind::Quota,
            format!("quota/{name}"),
            object_ref(Kind::ResourceQuota, &quota.metadata),
            rules,
            Detail::Quota { resources },
            workloads.all(),
        ));
    }
    out
}
