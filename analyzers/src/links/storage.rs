//! Storage: a pending Pod and the claim it waits for, a pending claim (or a StatefulSet's claim template) and
//! the StorageClass it names when that class does not exist, a lost claim and its volume.
//!
//! A Pod waits for its claim when the claim is lost, or when the scheduler says so with the volume binding
//! plugin's fixed reason (`pod has unbound immediate PersistentVolumeClaims`). A claim in `WaitForFirstConsumer`
//! mode is pending because its pod is not scheduled, not the other way round, so a pending claim alone is not
//! enough.

use k8s_openapi::api::core::v1::PersistentVolumeClaim;

use super::{Ctx, Link, LinkKind, finished, object, of, other};
use crate::kind::Kind;
use crate::kinds::{condition, name_of, namespace_of};
use crate::model::{Pod, StatefulSet};

/// The reason the scheduler's volume binding plugin gives for a pod whose immediate-binding claims are unbound.
const UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";
const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let objects = &ctx.snapshot.objects;
    let mut links: Vec<Link> = objects.pods.iter().flat_map(|p| claim_links(ctx, p)).collect();
    for pvc in objects.persistent_volume_claims.iter() {
        links.extend(class_link(ctx, pvc));
        links.extend(volume_link(pvc));
    }
    links.extend(objects.stateful_sets.iter().flat_map(|s| template_class_links(ctx, s)));
    links
}

fn claim_links(ctx: &Ctx, pod: &Pod) -> Vec<Link> {
    if finished(pod) {
        return Vec::new();
    }
    let ns = namespace_of(&pod.metadata);
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    let claims =
        volumes.into_iter().flatten().filter_map(|v| Some((&v.name, &v.persistent_volume_claim.as_ref()?.claim_name)));
    let scheduler = scheduler_blames_claims(pod);
    let mut links = Vec::new();
    for (volume, claim) in claims {
        let pvc = ctx.snapshot.objects.persistent_volume_claims.get(ns, claim);
        let phase = match pvc {
            Some(pvc) => pvc.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into()),
            None if ctx.absent(Kind::PersistentVolumeClaim, ns, claim) => "missing".into(),
            None => continue,
        };
        let waits = phase == "Lost" || (phase != "Bound" && scheduler.is_some());
        if !waits {
            continue;
        }
        let mut evidence = format!("the Pod mounts claim {claim} (volume {volume}), which is {phase}");
        if let Some(message) = scheduler.filter(|_| phase != "Lost") {
            evidence.push_str(&format!("; scheduler: {message}"));
        }
        links.push(Link::new(
            LinkKind::MountsClaim,
            object(Kind::PersistentVolumeClaim, ns, claim),
            of(Kind::Pod, &pod.metadata),
            evidence,
        ));
    }
    links
}

/// The scheduler's message when it gives the unbound-claims reason.
fn scheduler_blames_claims(pod: &Pod) -> Option<&str> {
    let scheduled = condition!(pod.status, "PodScheduled")?;
    let message = scheduled.message.as_deref()?;
    (scheduled.status == "False" && message.contains(UNBOUND_IMMEDIATE)).then_some(message)
}

fn class_link(ctx: &Ctx, pvc: &PersistentVolumeClaim) -> Option<Link> {
    if pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound") {
        return None;
    }
    let annotation = pvc.metadata.annotations.as_ref().and_then(|a| a.get(BETA_CLASS_ANNOTATION));
    let (field, class) = match pvc.spec.as_ref().and_then(|s| s.storage_class_name.as_ref()) {
        Some(class) => ("spec.storageClassName", class),
        None => (BETA_CLASS_ANNOTATION, annotation?),
    };
    if class.is_empty() || !ctx.absent(Kind::StorageClass, "", class) {
        return None;
    }
    let evidence =
        format!("claim {} names StorageClass {class} ({field}), which does not exist", name_of(&pvc.metadata));
    Some(Link::new(
        LinkKind::UsesStorageClass,
        object(Kind::StorageClass, "", class),
        of(Kind::PersistentVolumeClaim, &pvc.metadata),
        evidence,
    ))
}

fn volume_link(pvc: &PersistentVolumeClaim) -> Option<Link> {
    if pvc.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Lost") {
        return None;
    }
    let volume = pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref()).filter(|v| !v.is_empty())?;
    let evidence = format!(
        "claim {} is Lost; it was bound to PersistentVolume {volume} (spec.volumeName)",
        name_of(&pvc.metadata)
    );
    Some(Link::new(
        LinkKind::BoundVolume,
        other("v1", "PersistentVolume", None, volume),
        of(Kind::PersistentVolumeClaim, &pvc.metadata),
        evidence,
    ))
}

fn template_class_links(ctx: &Ctx, sts: &StatefulSet) -> Vec<Link> {
    let templates = sts.spec.as_ref().and_then(|s| s.volume_claim_templates.as_ref());
    let mut links = Vec::new();
    for template in templates.into_iter().flatten() {
        let annotation = template.metadata.annotations.as_ref().and_then(|a| a.get(BETA_CLASS_ANNOTATION));
        let Some(class) = template.spec.as_ref().and_then(|s| s.storage_class_name.as_ref()).or(annotation) else {
            continue;
        };
        if class.is_empty() || !ctx.absent(Kind::StorageClass, "", class) {
            continue;
        }
        let evidence = format!(
            "claim template {} names StorageClass {class} (spec.volumeClaimTemplates), which does not exist",
            name_of(&template.metadata)
        );
        links.push(Link::new(
            LinkKind::UsesStorageClass,
            object(Kind::StorageClass, "", class),
            of(Kind::StatefulSet, &sts.metadata),
            evidence,
        ));
    }
    links
}
