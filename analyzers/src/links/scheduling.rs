//! Scheduling: a Pod bound (`spec.nodeName`) to a Node whose `Ready` condition is not `True`. A pod on a healthy
//! node is never linked to it, whatever the pod's trouble. Pending pods are linked to what the scheduler names
//! only where that is an object (an unbound claim: see storage.rs); taints, affinity and resources name none.

use std::collections::BTreeMap;

use super::{Ctx, Link, LinkKind, finished, object, of};
use crate::kind::Kind;
use crate::kinds::{condition, name_of, namespace_of};

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let down = nodes_down(ctx);
    if down.is_empty() {
        return Vec::new();
    }
    let mut links = Vec::new();
    for pod in ctx.snapshot.objects.pods.iter().filter(|p| !finished(p)) {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else { continue };
        let Some(state) = down.get(node) else { continue };
        let evidence = format!(
            "Pod {}/{} is bound to Node {node} (spec.nodeName), whose {state}",
            namespace_of(&pod.metadata),
            name_of(&pod.metadata)
        );
        links.push(Link::new(LinkKind::RunsOn, object(Kind::Node, "", node), of(Kind::Pod, &pod.metadata), evidence));
    }
    links
}

/// Nodes whose `Ready` condition is `False` or `Unknown`, with the condition in words. A node without the
/// condition is left out: nothing says it is down.
fn nodes_down(ctx: &Ctx) -> BTreeMap<String, String> {
    let mut down = BTreeMap::new();
    for node in ctx.snapshot.objects.nodes.iter() {
        let Some(ready) = condition!(node.status, "Ready") else { continue };
        if ready.status == "True" {
            continue;
        }
        let reason = ready.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        down.insert(name_of(&node.metadata).to_string(), format!("Ready condition is {}{reason}", ready.status));
    }
    down
}
