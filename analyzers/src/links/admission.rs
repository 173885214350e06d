//! Admission: a controller that cannot create pods, and the object that refused them, read from the documented
//! parts of the `FailedCreate` message (the ReplicaFailure condition, else the controller's warning events):
//!
//! - `exceeded quota: NAME` and `failed quota: NAME` (the ResourceQuota admission plugin);
//! - `error looking up service account NS/NAME` (the ServiceAccount admission plugin);
//! - `admission webhook "HOOK" denied the request` and `failed calling webhook "HOOK"` (the webhook
//!   dispatcher), linked to the configuration that declares HOOK when it is in the snapshot;
//! - `ValidatingAdmissionPolicy 'NAME' with binding 'BINDING' denied request` (the in-process CEL policies),
//!   linked to the policy NAME.
//!
//! LimitRange refusals (`maximum memory usage per Container is ...`) do not name the LimitRange: they are linked
//! to the range of the namespace that the controller's template breaks, when there is one (kinds/limitrange.rs).

use k8s_openapi::Metadata;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Ctx, Link, LinkKind, name_after, object, of, quoted_after};
use crate::finding::ObjectRef;
use crate::kind::Kind;
use crate::kinds::limitrange;
use crate::kinds::references::Missing;
use crate::kinds::{condition, name_of, namespace_of};
use crate::model::{Deployment, ReplicaSet};

/// Who refused, as the message names it.
#[derive(Debug, PartialEq, Eq)]
enum Refusal<'a> {
    Quota(&'a str),
    ServiceAccount(&'a str, &'a str),
    Webhook(&'a str),
    AdmissionPolicy(&'a str),
}

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let objects = &ctx.snapshot.objects;
    let mut links: Vec<Link> = objects.replica_sets.iter().flat_map(|rs| replica_set_links(ctx, rs)).collect();
    links.extend(objects.deployments.iter().filter_map(|d| deployment_link(ctx, d)));
    links.extend(from_events(ctx, Kind::StatefulSet, objects.stateful_sets.iter()));
    links.extend(from_events(ctx, Kind::DaemonSet, objects.daemon_sets.iter()));
    links.extend(from_events(ctx, Kind::Job, objects.jobs.iter()));
    // A template naming a ServiceAccount shown missing: its pods will be refused, seen or not yet.
    links.extend(super::template_links(ctx, LinkKind::ServiceAccountMissing, |m| {
        matches!(m, Missing::ServiceAccount { .. })
    }));
    links
}

/// A ReplicaSet with fewer pods than it wants: its ReplicaFailure message, else its FailedCreate events. One
/// that has every pod is not refused any more, whatever old events say.
fn replica_set_links(ctx: &Ctx, rs: &ReplicaSet) -> Vec<Link> {
    let have = rs.status.as_ref().map(|s| s.replicas).unwrap_or(0);
    if have >= rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) {
        return Vec::new();
    }
    let failure = condition!(rs.status, "ReplicaFailure")
        .filter(|c| c.status == "True" && c.reason.as_deref() == Some("FailedCreate"));
    let mut messages: Vec<&str> = failure.and_then(|c| c.message.as_deref()).into_iter().collect();
    messages.extend(event_messages(ctx, Kind::ReplicaSet, &rs.metadata));
    messages.into_iter().filter_map(|m| link(ctx, m, Kind::ReplicaSet, &rs.metadata)).collect()
}

/// A Deployment's ReplicaFailure condition quotes its ReplicaSet's refusal.
fn deployment_link(ctx: &Ctx, deploy: &Deployment) -> Option<Link> {
    let failure = condition!(deploy.status, "ReplicaFailure").filter(|c| c.status == "True")?;
    link(ctx, failure.message.as_deref()?, Kind::Deployment, &deploy.metadata)
}

/// FailedCreate events of controllers the analyzers found short of pods (their events outlive the refusal).
fn from_events<'a, K: Metadata<Ty = ObjectMeta> + 'a>(
    ctx: &Ctx,
    kind: Kind,
    items: impl Iterator<Item = &'a K>,
) -> Vec<Link> {
    let mut links = Vec::new();
    for meta in items.map(|item| item.metadata()) {
        if !ctx.has_finding(&of(kind, meta), FAILING) {
            continue;
        }
        links.extend(event_messages(ctx, kind, meta).into_iter().filter_map(|m| link(ctx, m, kind, meta)));
    }
    links
}

/// The findings that say a StatefulSet, DaemonSet or Job is short of pods or failed.
const FAILING: &[&str] = &["statefulset-pods-not-ready", "daemonset-pods-not-ready", "job-failed"];

fn event_messages<'a>(ctx: &'a Ctx, kind: Kind, meta: &ObjectMeta) -> Vec<&'a str> {
    ctx.snapshot
        .warnings_for(kind, namespace_of(meta), name_of(meta))
        .filter(|e| e.reason.as_deref() == Some("FailedCreate"))
        .filter_map(|e| e.message.as_deref())
        .collect()
}

fn link(ctx: &Ctx, message: &str, kind: Kind, meta: &ObjectMeta) -> Option<Link> {
    let ns = namespace_of(meta);
    let mut evidence = format!("{} {} cannot create pods (FailedCreate): {message}", kind.name(), name_of(meta));
    let (link_kind, cause) = match parse(message) {
        Some(Refusal::Quota(name)) => (LinkKind::QuotaExceeded, object(Kind::ResourceQuota, ns, name)),
        Some(Refusal::ServiceAccount(sa_ns, name)) => {
            (LinkKind::ServiceAccountMissing, object(Kind::ServiceAccount, sa_ns, name))
        }
        Some(Refusal::Webhook(hook)) => (LinkKind::WebhookRefused, webhook_config(ctx, hook)?),
        Some(Refusal::AdmissionPolicy(policy)) => {
            // A policy deleted since the refusal is no cause any more (the next attempt will not meet it).
            let gone = ctx.snapshot.has_read(Kind::ValidatingAdmissionPolicy)
                && ctx.snapshot.objects.validating_admission_policies.get("", policy).is_none();
            if gone {
                return None;
            }
            (LinkKind::AdmissionPolicyRefused, object(Kind::ValidatingAdmissionPolicy, "", policy))
        }
        // The LimitRanger names no range: the one the controller's template breaks, by the analyzer's reckoning.
        None => {
            let (range, why) = limitrange::refusing_range(ctx.snapshot, ns, kind.name(), name_of(meta), message)?;
            evidence.push_str(&format!("; its template breaks LimitRange {}: {why}", name_of(&range.metadata)));
            (LinkKind::LimitRangeRefused, of(Kind::LimitRange, &range.metadata))
        }
    };
    Some(Link::new(link_kind, cause, of(kind, meta), evidence))
}

fn parse(message: &str) -> Option<Refusal<'_>> {
    if let Some(name) = name_after(message, "exceeded quota: ").or_else(|| name_after(message, "failed quota: ")) {
        return Some(Refusal::Quota(name.trim_end_matches(['.', ':'])));
    }
    if let Some(qualified) = name_after(message, "error looking up service account ") {
        let (ns, name) = qualified.trim_end_matches(['.', ':']).split_once('/')?;
        return Some(Refusal::ServiceAccount(ns, name));
    }
    if let Some(policy) = single_quoted_after(message, "ValidatingAdmissionPolicy ") {
        return Some(Refusal::AdmissionPolicy(policy));
    }
    quoted_after(message, "admission webhook ")
        .or_else(|| quoted_after(message, "failed calling webhook "))
        .map(Refusal::Webhook)
}

/// The text between the `'` after `marker` and the next `'` (how the policy plugin quotes names).
fn single_quoted_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let start = text.find(marker)? + marker.len();
    let rest = text[start..].strip_prefix('\'')?;
    rest.find('\'').map(|end| &rest[..end]).filter(|n| !n.is_empty())
}

/// The configuration that declares a webhook of this name.
fn webhook_config(ctx: &Ctx, hook: &str) -> Option<ObjectRef> {
    let objects = &ctx.snapshot.objects;
    let declares = |hooks: Option<Vec<&str>>| hooks.unwrap_or_default().contains(&hook);
    if let Some(c) = objects
        .validating_webhook_configurations
        .iter()
        .find(|c| declares(c.webhooks.as_ref().map(|w| w.iter().map(|w| w.name.as_str()).collect())))
    {
        return Some(of(Kind::ValidatingWebhookConfiguration, &c.metadata));
    }
    let c = objects
        .mutating_webhook_configurations
        .iter()
        .find(|c| declares(c.webhooks.as_ref().map(|w| w.iter().map(|w| w.name.as_str()).collect())))?;
    Some(of(Kind::MutatingWebhookConfiguration, &c.metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_message_forms() {
        let quota = "pods \"search-x\" is forbidden: exceeded quota: shop-quota, requested: limits.memory=2Gi";
        assert_eq!(parse(quota), Some(Refusal::Quota("shop-quota")));
        assert_eq!(
            parse("pods \"a\" is forbidden: failed quota: q1: must specify limits.cpu"),
            Some(Refusal::Quota("q1"))
        );
        let sa = "pods \"a\" is forbidden: error looking up service account shop/builder: serviceaccount \"builder\" not found";
        assert_eq!(parse(sa), Some(Refusal::ServiceAccount("shop", "builder")));
        let denied = "admission webhook \"validate.policy.example.com\" denied the request: no latest tags";
        assert_eq!(parse(denied), Some(Refusal::Webhook("validate.policy.example.com")));
        let policy = "pods \"a\" is forbidden: ValidatingAdmissionPolicy 'require-team' with binding 'require-team-all' \
                      denied request: failed expression: 'team' in object.metadata.labels";
        assert_eq!(parse(policy), Some(Refusal::AdmissionPolicy("require-team")));
        let limit = "pods \"a\" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi";
        assert_eq!(parse(limit), None, "a LimitRange refusal names no object");
    }
}
