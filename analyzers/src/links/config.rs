//! Configuration references: a Pod that cannot start (`CreateContainerConfigError`, or stuck creating with
//! `FailedMount` events) and the ConfigMap, Secret or key it references; a Pod that cannot pull its image and
//! the pull Secret it names; a DaemonSet template naming a missing pull Secret.
//!
//! Every link starts from a reference in the pod spec (env, envFrom, volumes, projected volumes; `optional`
//! ones never block). A Secret is known missing when Secrets were read; a ConfigMap, or a key of one, when
//! ConfigMaps were read (their key names are kept), and otherwise when the kubelet's message names it in its
//! fixed form (`configmap "NAME" not found`, `couldn't find key KEY in ConfigMap NS/NAME`) and the spec references
//! it. A workload whose template references a missing ConfigMap or key is linked too, so that its
//! `reference-configmap-*` finding and its pods' failures are one problem.

use super::{Ctx, Link, LinkKind, finished, name_after, object, of, quoted_after, waiting};
use crate::kind::Kind;
use crate::kinds::references::{self, Missing};
use crate::kinds::{name_of, namespace_of};
use crate::model::{Container, DaemonSet, Pod, PodSpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    ConfigMap,
    Secret,
}

/// One non-optional reference from a pod spec.
struct Reference {
    source: Source,
    name: String,
    /// Where in the spec, in words.
    place: String,
}

/// Whether the kubelet reported Secret `name` missing for a pod of `namespace`, in a waiting state or a
/// `FailedMount` event: proof of absence when Secrets could not be read.
pub(super) fn kubelet_reports_secret_missing(ctx: &Ctx, namespace: &str, name: &str) -> bool {
    ctx.snapshot.objects.pods.in_namespace(namespace).any(|pod| {
        let mut messages: Vec<&str> = waiting(pod).into_iter().map(|(_, m)| m).collect();
        let events = ctx.snapshot.warnings_for(Kind::Pod, namespace, name_of(&pod.metadata));
        messages
            .extend(events.filter(|e| e.reason.as_deref() == Some("FailedMount")).filter_map(|e| e.message.as_deref()));
        messages
            .into_iter()
            .any(|m| matches!(parse_kubelet_message(m), Some((Source::Secret, missing, None)) if missing == name))
    })
}

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let objects = &ctx.snapshot.objects;
    let mut links: Vec<Link> = objects.pods.iter().filter(|p| !finished(p)).flat_map(|p| pod_links(ctx, p)).collect();
    links.extend(objects.daemon_sets.iter().flat_map(|d| daemon_set_links(ctx, d)));
    links.extend(super::template_links(ctx, LinkKind::ConfigMapRef, |m| {
        matches!(m, Missing::ConfigMap { .. } | Missing::ConfigMapKey { .. })
    }));
    links
}

/// A Pod that cannot start, and the ConfigMaps or keys its spec references that the snapshot shows missing.
fn missing_config_map_links(ctx: &Ctx, pod: &Pod, spec: &PodSpec) -> Vec<Link> {
    let ns = namespace_of(&pod.metadata);
    references::missing(ctx.snapshot, &pod.metadata, spec)
        .into_iter()
        .filter(|m| matches!(m, Missing::ConfigMap { .. } | Missing::ConfigMapKey { .. }))
        .map(|m| Link::new(LinkKind::ConfigMapRef, m.object(ns), of(Kind::Pod, &pod.metadata), m.describe()))
        .collect()
}

fn pod_links(ctx: &Ctx, pod: &Pod) -> Vec<Link> {
    let Some(spec) = pod.spec.as_ref() else { return Vec::new() };
    let reasons: Vec<&str> = waiting(pod).into_iter().map(|(reason, _)| reason).collect();
    let mut links = Vec::new();
    if reasons.iter().any(|r| matches!(*r, "CreateContainerConfigError" | "ContainerCreating")) {
        let references = references(spec);
        links.extend(missing_secret_links(ctx, pod, &references));
        links.extend(missing_config_map_links(ctx, pod, spec));
        links.extend(message_links(ctx, pod, &references));
    }
    if reasons.iter().any(|r| matches!(*r, "ErrImagePull" | "ImagePullBackOff")) {
        links.extend(pull_secret_links(ctx, &pod.metadata, spec, Kind::Pod));
    }
    links
}

fn missing_secret_links(ctx: &Ctx, pod: &Pod, references: &[Reference]) -> Vec<Link> {
    let ns = namespace_of(&pod.metadata);
    references
        .iter()
        .filter(|r| r.source == Source::Secret && ctx.absent(Kind::Secret, ns, &r.name))
        .map(|r| {
            let evidence = format!("{} references Secret {}, which does not exist", r.place, r.name);
            Link::new(LinkKind::SecretRef, object(Kind::Secret, ns, &r.name), of(Kind::Pod, &pod.metadata), evidence)
        })
        .collect()
}

/// Links from the kubelet's messages (waiting states and FailedMount events), for names the spec references.
fn message_links(ctx: &Ctx, pod: &Pod, references: &[Reference]) -> Vec<Link> {
    let (ns, name) = (namespace_of(&pod.metadata), name_of(&pod.metadata));
    let mut messages: Vec<&str> = waiting(pod).into_iter().map(|(_, m)| m).collect();
    let events = ctx.snapshot.warnings_for(Kind::Pod, ns, name).filter(|e| e.reason.as_deref() == Some("FailedMount"));
    messages.extend(events.filter_map(|e| e.message.as_deref()));
    let mut links = Vec::new();
    for message in messages {
        let Some((source, missing, key)) = parse_kubelet_message(message) else { continue };
        let Some(reference) = references.iter().find(|r| r.source == source && r.name == missing) else { continue };
        let what = match key {
            Some(key) => format!("key {key} of "),
            None => String::new(),
        };
        let evidence = format!("{} references {what}{source:?} {missing}; kubelet: {message}", reference.place);
        let (kind, cause) = match source {
            Source::ConfigMap => (LinkKind::ConfigMapRef, object(Kind::ConfigMap, ns, missing)),
            Source::Secret => (LinkKind::SecretRef, object(Kind::Secret, ns, missing)),
        };
        links.push(Link::new(kind, cause, of(Kind::Pod, &pod.metadata), evidence));
    }
    links
}

/// `(source, name, key)` from the kubelet's fixed messages about missing configuration.
pub(super) fn parse_kubelet_message(message: &str) -> Option<(Source, &str, Option<&str>)> {
    if let Some(name) = quoted_after(message, "configmap ").filter(|_| message.contains("\" not found")) {
        return Some((Source::ConfigMap, name, None));
    }
    if let Some(name) = quoted_after(message, "secret ").filter(|_| message.contains("\" not found")) {
        return Some((Source::Secret, name, None));
    }
    let key = name_after(message, "couldn't find key ")?;
    for (marker, source) in [(" in ConfigMap ", Source::ConfigMap), (" in Secret ", Source::Secret)] {
        if let Some(qualified) = name_after(message, marker) {
            let name = qualified.rsplit('/').next().unwrap_or(qualified);
            return Some((source, name, Some(key)));
        }
    }
    None
}

fn pull_secret_links(
    ctx: &Ctx,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: &PodSpec,
    kind: Kind,
) -> Vec<Link> {
    let ns = namespace_of(meta);
    let names = spec.image_pull_secrets.iter().flatten().map(|s| s.name.as_str());
    names
        .filter(|name| !name.is_empty() && ctx.absent(Kind::Secret, ns, name))
        .map(|name| {
            let evidence = format!("spec.imagePullSecrets names Secret {name}, which does not exist");
            Link::new(LinkKind::PullSecretRef, object(Kind::Secret, ns, name), of(kind, meta), evidence)
        })
        .collect()
}

fn daemon_set_links(ctx: &Ctx, ds: &DaemonSet) -> Vec<Link> {
    let spec = ds.spec.as_ref().and_then(|s| s.template.spec.as_ref());
    spec.map(|spec| pull_secret_links(ctx, &ds.metadata, spec, Kind::DaemonSet)).unwrap_or_default()
}

/// Every non-optional ConfigMap and Secret reference of a pod spec.
fn references(spec: &PodSpec) -> Vec<Reference> {
    let mut out = Vec::new();
    let containers = spec.init_containers.iter().flatten().chain(spec.containers.iter());
    for container in containers {
        container_references(container, &mut out);
    }
    for volume in spec.volumes.iter().flatten() {
        let place = format!("volume {}", volume.name);
        if let Some(cm) = volume.config_map.as_ref().filter(|c| c.optional != Some(true)) {
            out.push(Reference { source: Source::ConfigMap, name: cm.name.clone(), place: place.clone() });
        }
        if let Some(secret) = volume.secret.as_ref().filter(|s| s.optional != Some(true)) {
            let name = secret.secret_name.clone().unwrap_or_default();
            out.push(Reference { source: Source::Secret, name, place: place.clone() });
        }
        for projection in volume.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(cm) = projection.config_map.as_ref().filter(|c| c.optional != Some(true)) {
                out.push(Reference { source: Source::ConfigMap, name: cm.name.clone(), place: place.clone() });
            }
            if let Some(secret) = projection.secret.as_ref().filter(|s| s.optional != Some(true)) {
                out.push(Reference { source: Source::Secret, name: secret.name.clone(), place: place.clone() });
            }
        }
    }
    out.retain(|r| !r.name.is_empty());
    out
}

fn container_references(container: &Container, out: &mut Vec<Reference>) {
    for env in container.env.iter().flatten() {
        let place = format!("env {} of container {}", env.name, container.name);
        let from = env.value_from.as_ref();
        if let Some(r) = from.and_then(|f| f.config_map_key_ref.as_ref()).filter(|r| r.optional != Some(true)) {
            out.push(Reference { source: Source::ConfigMap, name: r.name.clone(), place: place.clone() });
        }
        if let Some(r) = from.and_then(|f| f.secret_key_ref.as_ref()).filter(|r| r.optional != Some(true)) {
            out.push(Reference { source: Source::Secret, name: r.name.clone(), place });
        }
    }
    for env_from in container.env_from.iter().flatten() {
        let place = format!("envFrom of container {}", container.name);
        if let Some(r) = env_from.config_map_ref.as_ref().filter(|r| r.optional != Some(true)) {
            out.push(Reference { source: Source::ConfigMap, name: r.name.clone(), place: place.clone() });
        }
        if let Some(r) = env_from.secret_ref.as_ref().filter(|r| r.optional != Some(true)) {
            out.push(Reference { source: Source::Secret, name: r.name.clone(), place });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kubelet_forms_only() {
        assert_eq!(
            parse_kubelet_message("configmap \"app-cfg\" not found"),
            Some((Source::ConfigMap, "app-cfg", None))
        );
        assert_eq!(parse_kubelet_message("secret \"db\" not found"), Some((Source::Secret, "db", None)));
        assert_eq!(
            parse_kubelet_message("couldn't find key url in ConfigMap shop/app-cfg"),
            Some((Source::ConfigMap, "app-cfg", Some("url")))
        );
        assert_eq!(parse_kubelet_message("the configmap app-cfg looks odd"), None);
    }
}
