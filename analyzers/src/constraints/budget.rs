//! PodDisruptionBudgets: how many of the selected pods must stay up, how many evictions it allows right now
//! (`status.disruptionsAllowed`), and the pods and workloads it selects.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::workloads::{Workloads, merge};
use super::{Constraint, ConstraintKind, Detail, entry, object_ref, selector_words};
use crate::kind::Kind;
use crate::kinds::name_of;
use crate::kinds::pdb::selected_pods;
use crate::snapshot::Snapshot;

pub(super) fn constraints(snapshot: &Snapshot, namespace: &str, workloads: &Workloads) -> Vec<Constraint> {
    let mut out = Vec::new();
    for budget in snapshot.objects.pod_disruption_budgets.in_namespace(namespace) {
        let spec = budget.spec.as_ref();
        let selector = spec.and_then(|s| s.selector.as_ref());
        let pods = selected_pods(snapshot, budget);
        let which = match selector_words(selector) {
            s if s.is_empty() && selector.is_some() => "the pods of the namespace".to_string(),
            s if s.is_empty() => "no pods (it has no selector)".to_string(),
            s => format!("the pods {s}"),
        };
        let text = |v: &IntOrString| match v {
            IntOrString::Int(n) => n.to_string(),
            IntOrString::String(s) => s.clone(),
        };
        let min_available = spec.and_then(|s| s.min_available.as_ref()).map(text);
        let max_unavailable = spec.and_then(|s| s.max_unavailable.as_ref()).map(text);
        let mut rules = Vec::new();
        match (&min_available, &max_unavailable) {
            (_, Some(max)) => rules.push(format!("lets at most {max} of {which} be evicted at a time")),
            (Some(min), None) => rules.push(format!("keeps at least {min} of {which} available during evictions")),
            (None, None) => rules.push(format!("covers {which} with no minimum set")),
        }
        let status = budget.status.as_ref();
        let allowed = status.and_then(|s| s.disruptions_allowed);
        if let Some(n) = allowed {
            let now = match n {
                0 => "allows no eviction right now: a node drain waits".to_string(),
                1 => "allows 1 eviction right now".to_string(),
                n => format!("allows {n} evictions right now"),
            };
            let healthy = status.and_then(|s| s.current_healthy.zip(s.desired_healthy));
            rules.push(match healthy {
                Some((current, desired)) => format!("{now} ({current} healthy, {desired} needed)"),
                None => now,
            });
        }
        if pods.is_empty() {
            rules.push("selects no pod now".into());
        } else {
            rules.push(format!("selects {} pod(s)", pods.len()));
        }
        let mut touches = workloads.owning(&pods);
        merge(&mut touches, workloads.selected_by(selector));
        out.push(entry(
            ConstraintKind::DisruptionBudget,
            format!("pdb/{}", name_of(&budget.metadata)),
            object_ref(Kind::PodDisruptionBudget, &budget.metadata),
            rules,
            Detail::DisruptionBudget {
                min_available,
                max_unavailable,
                disruptions_allowed: allowed,
                pods: pods.iter().map(|p| name_of(&p.metadata).to_string()).collect(),
            },
            touches,
        ));
    }
    out
}
