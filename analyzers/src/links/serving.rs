//! Serving: a Service and the not-ready Pods its selector selects; an Ingress and the Services its backends
//! route to; an admission webhook and the Service it calls; a HorizontalPodAutoscaler and its scale target.
//!
//! A Service is "down" for the links that lead away from it when it does not exist (and Services were read),
//! when it selects a pod that is not ready, or when the service analyzer found it has no ready endpoint or no
//! pod. A Service whose selector matches nothing is never linked to some other failing pod: there is no pod to
//! link.

use std::collections::BTreeSet;

use k8s_openapi::api::admissionregistration::v1::ServiceReference;
use k8s_openapi::api::core::v1::Service;

use super::{Ctx, Key, Link, LinkKind, finished, key, not_ready, object, of};
use crate::finding::ObjectRef;
use crate::kind::Kind;
use crate::kinds::{name_of, namespace_of};

const SERVICE_DOWN: &[&str] = &["service-no-ready-endpoints", "service-no-pods"];
const TARGET_DOWN: &[&str] = &["deployment-unavailable", "statefulset-pods-not-ready", "replicaset-create-failed"];

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let mut links: Vec<Link> = ctx.snapshot.objects.services.iter().flat_map(|s| selects(ctx, s)).collect();
    let degraded: BTreeSet<Key> = links.iter().map(|l| key(&l.effect)).collect();
    let services = ServiceState { ctx, degraded };
    links.extend(ingress_links(&services));
    links.extend(webhook_links(&services));
    links.extend(hpa_links(ctx));
    links
}

fn selects(ctx: &Ctx, svc: &Service) -> Vec<Link> {
    let Some(spec) = svc.spec.as_ref() else { return Vec::new() };
    if spec.type_.as_deref() == Some("ExternalName") {
        return Vec::new();
    }
    let Some(selector) = spec.selector.as_ref().filter(|s| !s.is_empty()) else { return Vec::new() };
    let ns = namespace_of(&svc.metadata);
    let shown: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut links = Vec::new();
    for pod in ctx.snapshot.pods_selected_by(ns, selector) {
        if finished(pod) {
            continue;
        }
        let Some(state) = not_ready(pod) else { continue };
        let evidence = format!(
            "selector {} selects Pod {}, which is not ready ({state})",
            shown.join(","),
            name_of(&pod.metadata)
        );
        links.push(Link::new(
            LinkKind::Selects,
            of(Kind::Pod, &pod.metadata),
            of(Kind::Service, &svc.metadata),
            evidence,
        ));
    }
    links
}

struct ServiceState<'a> {
    ctx: &'a Ctx<'a>,
    /// Services that select a pod that is not ready.
    degraded: BTreeSet<Key>,
}

impl ServiceState<'_> {
    /// Why the Service cannot serve, in words, or None when nothing says so.
    fn down(&self, ns: &str, name: &str) -> Option<&'static str> {
        if self.ctx.absent(Kind::Service, ns, name) {
            return Some("does not exist");
        }
        let svc = object(Kind::Service, ns, name);
        if self.ctx.has_finding(&svc, SERVICE_DOWN) {
            Some("has no ready endpoint")
        } else if self.degraded.contains(&key(&svc)) {
            Some("selects pods that are not ready")
        } else {
            None
        }
    }
}

fn ingress_links(services: &ServiceState) -> Vec<Link> {
    let mut links = Vec::new();
    for ing in services.ctx.snapshot.objects.ingresses.iter() {
        let ns = namespace_of(&ing.metadata);
        let mut seen = BTreeSet::new();
        for (place, name) in ingress_backends(ing) {
            let Some(why) = services.down(ns, &name).filter(|_| seen.insert(name.clone())) else { continue };
            let evidence = format!("{place} routes to Service {name}, which {why}");
            links.push(Link::new(
                LinkKind::RoutesTo,
                object(Kind::Service, ns, &name),
                of(Kind::Ingress, &ing.metadata),
                evidence,
            ));
        }
    }
    links
}

/// Service backends with where they are used: the default backend, then each rule path.
fn ingress_backends(ing: &k8s_openapi::api::networking::v1::Ingress) -> Vec<(String, String)> {
    let Some(spec) = ing.spec.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(svc) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref()) {
        out.push(("the default backend".to_string(), svc.name.clone()));
    }
    for rule in spec.rules.iter().flatten() {
        for path in rule.http.iter().flat_map(|h| h.paths.iter()) {
            if let Some(svc) = path.backend.service.as_ref() {
                let host = rule.host.as_deref().unwrap_or("*");
                out.push((format!("path {host}{}", path.path.as_deref().unwrap_or("/")), svc.name.clone()));
            }
        }
    }
    out
}

/// One webhook's call: the configuration declaring it, its name, and the Service it calls.
struct WebhookCall {
    config: ObjectRef,
    hook: String,
    namespace: String,
    service: String,
}

fn webhook_calls(ctx: &Ctx) -> Vec<WebhookCall> {
    let objects = &ctx.snapshot.objects;
    let mut calls = Vec::new();
    let mut add = |config: ObjectRef, hook: &str, svc: Option<&ServiceReference>| {
        if let Some(svc) = svc {
            let (namespace, service) = (svc.namespace.clone(), svc.name.clone());
            calls.push(WebhookCall { config, hook: hook.to_string(), namespace, service });
        }
    };
    for c in objects.validating_webhook_configurations.iter() {
        for w in c.webhooks.iter().flatten() {
            add(of(Kind::ValidatingWebhookConfiguration, &c.metadata), &w.name, w.client_config.service.as_ref());
        }
    }
    for c in objects.mutating_webhook_configurations.iter() {
        for w in c.webhooks.iter().flatten() {
            add(of(Kind::MutatingWebhookConfiguration, &c.metadata), &w.name, w.client_config.service.as_ref());
        }
    }
    calls
}

fn webhook_links(services: &ServiceState) -> Vec<Link> {
    let mut links = Vec::new();
    let mut seen = BTreeSet::new();
    for call in webhook_calls(services.ctx) {
        let (ns, name) = (&call.namespace, &call.service);
        if !seen.insert((key(&call.config), ns.clone(), name.clone())) {
            continue;
        }
        let Some(why) = services.down(ns, name) else { continue };
        let evidence = format!("webhook {} calls Service {ns}/{name} (clientConfig.service), which {why}", call.hook);
        links.push(Link::new(LinkKind::CallsService, object(Kind::Service, ns, name), call.config, evidence));
    }
    links
}

fn hpa_links(ctx: &Ctx) -> Vec<Link> {
    let mut links = Vec::new();
    for hpa in ctx.snapshot.objects.horizontal_pod_autoscalers.iter() {
        let target = &hpa.spec.scale_target_ref;
        let Some(kind) = Kind::from_type(target.api_version.as_deref().unwrap_or("apps/v1"), &target.kind) else {
            continue;
        };
        if !matches!(kind, Kind::Deployment | Kind::StatefulSet | Kind::ReplicaSet) {
            continue;
        }
        let ns = namespace_of(&hpa.metadata);
        let cause: ObjectRef = object(kind, ns, &target.name);
        let why = if ctx.absent(kind, ns, &target.name) {
            "does not exist"
        } else if ctx.has_finding(&cause, TARGET_DOWN) {
            "is unavailable"
        } else {
            continue;
        };
        let evidence = format!("spec.scaleTargetRef names {} {}, which {why}", target.kind, target.name);
        links.push(Link::new(
            LinkKind::ScalesTarget,
            cause,
            of(Kind::HorizontalPodAutoscaler, &hpa.metadata),
            evidence,
        ));
    }
    links
}
