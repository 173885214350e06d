//! NetworkPolicies in plain words: which pods a policy selects, who may reach them (ingress) and where they may
//! connect (egress), and whether its egress rules let them reach the cluster DNS.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::workloads::{Workloads, merge};
use super::{Constraint, ConstraintKind, Detail, entry, object_ref, selector_words};
use crate::kind::Kind;
use crate::kinds::name_of;
use crate::kinds::networkpolicy::{policy_allows_dns, selects, types};
use crate::snapshot::Snapshot;

/// The label the API server sets on every namespace to its name.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub(super) fn constraints(snapshot: &Snapshot, namespace: &str, workloads: &Workloads) -> Vec<Constraint> {
    let policies: Vec<&NetworkPolicy> = snapshot.objects.network_policies.in_namespace(namespace).collect();
    let mut out = Vec::new();
    for policy in &policies {
        let spec = policy.spec.as_ref();
        let everything = LabelSelector::default();
        let selector = spec.and_then(|s| s.pod_selector.as_ref()).unwrap_or(&everything);
        let pods: Vec<_> = snapshot
            .objects
            .pods
            .in_namespace(namespace)
            .filter(|p| !crate::links::finished(p) && selects(policy, p))
            .collect();
        let which = match selector_words(Some(selector)) {
            s if s.is_empty() => "every pod of the namespace".to_string(),
            s => format!("pods {s}"),
        };
        let directions = types(policy);
        let ingress = directions.contains(&"Ingress").then(|| {
            let rules = spec.and_then(|s| s.ingress.as_ref());
            let rules: Vec<String> = rules
                .into_iter()
                .flatten()
                .map(|r| format!("from {} on {}", peers(r.from.as_deref(), "anyone"), ports(r.ports.as_deref())))
                .collect();
            rules
        });
        let egress = directions.contains(&"Egress").then(|| {
            let rules = spec.and_then(|s| s.egress.as_ref());
            rules
                .into_iter()
                .flatten()
                .map(|r| format!("to {} on {}", peers(r.to.as_deref(), "anywhere"), ports(r.ports.as_deref())))
                .collect::<Vec<String>>()
        });
        let dns_allowed = egress.is_some().then(|| policy_allows_dns(snapshot, policy));
        let mut rules = vec![format!("applies to {which} ({} now)", count(pods.len(), "pod"))];
        if let Some(list) = &ingress {
            rules.push(match list.is_empty() {
                true => "ingress: nothing may connect to them (all ingress denied)".to_string(),
                false => format!("ingress: only {}", list.join("; or ")),
            });
        }
        if let Some(list) = &egress {
            let dns = match dns_allowed {
                Some(true) => "DNS allowed".to_string(),
                // Another egress policy selecting the same pods may allow it: the union counts.
                _ if dns_elsewhere(snapshot, &policies, policy, &pods) => {
                    "DNS not allowed by this policy, but by another one selecting the same pods".to_string()
                }
                _ => "DNS not allowed (name lookups time out)".to_string(),
            };
            rules.push(match list.is_empty() {
                true => format!("egress: they may connect nowhere (all egress denied); {dns}"),
                false => format!("egress: only {}; {dns}", list.join("; or ")),
            });
        }
        let mut touches = workloads.owning(&pods);
        merge(&mut touches, workloads.selected_by(Some(selector)));
        out.push(entry(
            ConstraintKind::NetworkPolicy,
            format!("netpol/{}", name_of(&policy.metadata)),
            object_ref(Kind::NetworkPolicy, &policy.metadata),
            rules,
            Detail::NetworkPolicy { ingress, egress, dns_allowed },
            touches,
        ));
    }
    out
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// Whether another egress policy of the namespace, selecting one of these pods, allows DNS.
fn dns_elsewhere(
    snapshot: &Snapshot,
    policies: &[&NetworkPolicy],
    this: &NetworkPolicy,
    pods: &[&crate::model::Pod],
) -> bool {
    policies.iter().any(|other| {
        !std::ptr::eq(*other, this)
            && types(other).contains(&"Egress")
            && pods.iter().any(|p| selects(other, p))
            && policy_allows_dns(snapshot, other)
    })
}

/// The peers of a rule in words; none or an empty list means everyone.
fn peers(list: Option<&[NetworkPolicyPeer]>, everyone: &str) -> String {
    let Some(list) = list.filter(|l| !l.is_empty()) else { return everyone.to_string() };
    list.iter().map(peer).collect::<Vec<_>>().join(" or ")
}

fn peer(p: &NetworkPolicyPeer) -> String {
    if let Some(block) = &p.ip_block {
        let except = block.except.clone().unwrap_or_default();
        return match except.is_empty() {
            true => format!("addresses {}", block.cidr),
            false => format!("addresses {} except {}", block.cidr, except.join(", ")),
        };
    }
    let pods = match p.pod_selector.as_ref().map(|s| selector_words(Some(s))) {
        Some(s) if !s.is_empty() => format!("pods {s}"),
        _ => "every pod".to_string(),
    };
    let Some(ns) = &p.namespace_selector else { return format!("{pods} of this namespace") };
    let only_name = ns.match_expressions.as_ref().is_none_or(|e| e.is_empty())
        && ns.match_labels.as_ref().is_some_and(|m| m.len() == 1 && m.contains_key(NAME_LABEL));
    let where_ = if only_name {
        format!("namespace {}", ns.match_labels.as_ref().and_then(|m| m.get(NAME_LABEL)).cloned().unwrap_or_default())
    } else {
        match selector_words(Some(ns)) {
            s if s.is_empty() => "any namespace".to_string(),
            s => format!("namespaces {s}"),
        }
    };
    format!("{pods} in {where_}")
}

/// The ports of a rule in words; none means every port.
fn ports(list: Option<&[NetworkPolicyPort]>) -> String {
    let Some(list) = list.filter(|l| !l.is_empty()) else { return "any port".to_string() };
    list.iter()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            match (&p.port, p.end_port) {
                (None, _) => format!("any {protocol} port"),
                (Some(IntOrString::Int(n)), Some(end)) => format!("{protocol} {n}-{end}"),
                (Some(IntOrString::Int(n)), None) => format!("{protocol} {n}"),
                (Some(IntOrString::String(name)), _) => format!("{protocol} port named {name}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
