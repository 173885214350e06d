//! Owner chains: a Pod that is not ready takes capacity from its ReplicaSet, StatefulSet, DaemonSet or Job; a
//! ReplicaSet short of ready pods from its Deployment; a failed Job from its CronJob. Only `controller: true`
//! owner references count.

use super::{Ctx, Link, LinkKind, controller, finished, not_ready, of, owner_object};
use crate::kind::Kind;
use crate::kinds::{condition, namespace_of};
use crate::model::{Job, Pod, ReplicaSet};

pub(super) fn links(ctx: &Ctx) -> Vec<Link> {
    let objects = &ctx.snapshot.objects;
    let mut links: Vec<Link> = objects.pods.iter().filter_map(pod_link).collect();
    links.extend(objects.replica_sets.iter().filter_map(replica_set_link));
    links.extend(objects.jobs.iter().filter_map(job_link));
    links
}

fn pod_link(pod: &Pod) -> Option<Link> {
    if finished(pod) {
        return None;
    }
    let state = not_ready(pod)?;
    let owner = controller(&pod.metadata)?;
    let evidence = format!("the Pod is not ready ({state}); {} {} controls it", owner.kind, owner.name);
    Some(Link::new(
        LinkKind::ControlledBy,
        of(Kind::Pod, &pod.metadata),
        owner_object(owner, namespace_of(&pod.metadata)),
        evidence,
    ))
}

fn replica_set_link(rs: &ReplicaSet) -> Option<Link> {
    let desired = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
    if desired <= 0 || ready >= desired {
        return None;
    }
    let owner = controller(&rs.metadata)?;
    let evidence = format!(
        "the ReplicaSet has {ready}/{desired} ready pods (status.readyReplicas); {} {} controls it",
        owner.kind, owner.name
    );
    Some(Link::new(
        LinkKind::ControlledBy,
        of(Kind::ReplicaSet, &rs.metadata),
        owner_object(owner, namespace_of(&rs.metadata)),
        evidence,
    ))
}

fn job_link(job: &Job) -> Option<Link> {
    let failed = ["Failed", "FailureTarget"]
        .into_iter()
        .find_map(|t| condition!(job.status, t).filter(|c| c.status == "True"))?;
    let owner = controller(&job.metadata)?;
    let reason = failed.reason.as_deref().unwrap_or("no reason");
    let evidence =
        format!("the Job failed ({}=True, {reason}); {} {} created it", failed.type_, owner.kind, owner.name);
    Some(Link::new(
        LinkKind::ControlledBy,
        of(Kind::Job, &job.metadata),
        owner_object(owner, namespace_of(&job.metadata)),
        evidence,
    ))
}
