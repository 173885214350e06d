//! Custom resources that produce what workloads need: a cert-manager Certificate or an External Secrets
//! ExternalSecret that is failing, and the Secret it should write, when that Secret does not exist. A Pod that
//! cannot start for want of the Secret (`secret-ref`) then folds under the custom resource's own finding.
//!
//! Drawn only when the producer carries a `customresource` finding and the Secret is known absent (Secrets were
//! read and it is not there, or the kubelet reported it not found for a pod of the namespace): a failing renewal
//! while the old Secret is still there breaks nothing yet.

use super::{Ctx, Link, LinkKind, object};
use crate::custom::CustomObject;
use crate::kind::Kind;

/// The producers known, and where each names the Secret it writes.
const PRODUCERS: &[(&str, &str, &str)] = &[
    ("cert-manager.io", "Certificate", "/spec/secretName"),
    ("external-secrets.io", "ExternalSecret", "/spec/target/name"),
];

/// The findings of a producer that mean it is not writing its Secret.
const FAILING: &[&str] = &["custom-resource-not-ready", "custom-resource-failed", "custom-resource-stuck-progressing"];

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let mut links = Vec::new();
    for (group, kind, pointer) in PRODUCERS {
        for producer in ctx.snapshot.custom.of_kind(group, kind) {
            links.extend(secret_link(ctx, producer, pointer));
        }
    }
    links
}

fn secret_link(ctx: &Ctx, producer: &CustomObject, pointer: &str) -> Option<Link> {
    let explicit = producer.pointer(pointer).and_then(|v| v.as_str()).filter(|n| !n.is_empty());
    // An ExternalSecret without `spec.target.name` writes a Secret of its own name.
    let secret = match (explicit, producer.kind.as_str()) {
        (Some(name), _) => name,
        (None, "ExternalSecret") => producer.name(),
        (None, _) => return None,
    };
    let ns = producer.namespace();
    // Without the uid, as every link names objects: a file loaded into a cluster links the same.
    let cause = crate::finding::ObjectRef { uid: None, ..producer.object_ref() };
    let missing =
        ctx.absent(Kind::Secret, ns, secret) || super::config::kubelet_reports_secret_missing(ctx, ns, secret);
    if !ctx.has_finding(&cause, FAILING) || !missing {
        return None;
    }
    let field = pointer.trim_start_matches('/').replace('/', ".");
    let evidence = format!(
        "{} {} writes Secret {secret} ({field}), which does not exist while the {} is failing",
        producer.kind,
        producer.name(),
        producer.kind
    );
    Some(Link::new(LinkKind::ProducesSecret, cause, object(Kind::Secret, ns, secret), evidence))
}
