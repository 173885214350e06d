//! The blast radius: every workload, Service, Ingress and admission webhook reached downstream of a problem's
//! members (and of its source), other than the root's own object, with its state read from its status.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::Impact;
use super::fold::Group;
use crate::finding::{Finding, ObjectRef};
use crate::kind::Kind;
use crate::links::{Key, Link, LinkKind, controller, key};
use crate::snapshot::Snapshot;

const SERVICE_DOWN: &[&str] = &["service-no-ready-endpoints", "service-no-pods"];

pub(crate) struct Radius {
    pub impacts: Vec<Impact>,
    /// The links walked to reach them.
    pub links: BTreeSet<usize>,
}

/// The links leaving each object, built once for every problem's walk.
pub(crate) fn out_of(links: &[Link]) -> HashMap<Key, Vec<usize>> {
    let mut out: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, l) in links.iter().enumerate() {
        out.entry(key(&l.cause)).or_default().push(i);
    }
    out
}

pub(crate) fn blast_radius(
    snapshot: &Snapshot,
    links: &[Link],
    out_of: &HashMap<Key, Vec<usize>>,
    findings: &[Finding],
    group: &Group,
) -> Radius {
    let mut seen: BTreeSet<Key> = BTreeSet::new();
    let starts = group.members.iter().map(|&m| &findings[m].object).chain(group.source.as_ref());
    let mut reached: Vec<ObjectRef> = starts.filter(|o| seen.insert(key(o))).cloned().collect();
    let mut queue: VecDeque<ObjectRef> = reached.iter().cloned().collect();
    let mut walked = BTreeSet::new();
    while let Some(object) = queue.pop_front() {
        for &l in out_of.get(&key(&object)).into_iter().flatten() {
            walked.insert(l);
            if seen.insert(key(&links[l].effect)) {
                reached.push(links[l].effect.clone());
                queue.push_back(links[l].effect.clone());
            }
        }
    }
    let root = key(&findings[group.root].object);
    let mut impacts: Vec<Impact> = reached
        .iter()
        .filter(|o| key(o) != root)
        .filter_map(|o| state(snapshot, links, &walked, findings, o))
        .collect();
    impacts.sort_by_key(|i| !i.down);
    Radius { impacts, links: walked }
}

/// The object's loss in words, for the kinds a blast radius lists; None for others and for absent objects.
fn state(
    snapshot: &Snapshot,
    links: &[Link],
    walked: &BTreeSet<usize>,
    findings: &[Finding],
    object: &ObjectRef,
) -> Option<Impact> {
    let kind = Kind::from_type(&object.api_version, &object.kind)?;
    let (ns, name) = (object.namespace.as_deref().unwrap_or(""), object.name.as_str());
    let objects = &snapshot.objects;
    let (state, down) = match kind {
        Kind::Deployment => {
            let d = objects.deployments.get(ns, name)?;
            let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let have = d.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0);
            (format!("{have}/{want} available"), have == 0)
        }
        Kind::StatefulSet => {
            let s = objects.stateful_sets.get(ns, name)?;
            let want = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let have = s.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
            (format!("{have}/{want} ready"), have == 0)
        }
        Kind::DaemonSet => {
            let status = objects.daemon_sets.get(ns, name)?.status.as_ref()?;
            (format!("{}/{} ready", status.number_ready, status.desired_number_scheduled), status.number_ready == 0)
        }
        // A ReplicaSet or Job is shown through its controller when it has one.
        Kind::ReplicaSet => {
            let rs = objects.replica_sets.get(ns, name).filter(|rs| controller(&rs.metadata).is_none())?;
            let want = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let have = rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
            (format!("{have}/{want} ready"), have == 0)
        }
        Kind::Job => {
            objects.jobs.get(ns, name).filter(|j| controller(&j.metadata).is_none())?;
            ("failed".to_string(), true)
        }
        Kind::CronJob => {
            objects.cron_jobs.get(ns, name)?;
            ("last run failed".to_string(), true)
        }
        Kind::Service => {
            objects.services.get(ns, name)?;
            let k = key(object);
            let all = findings.iter().any(|f| key(&f.object) == k && SERVICE_DOWN.contains(&f.code.as_str()));
            if all { ("no ready endpoints".to_string(), true) } else { ("some endpoints not ready".to_string(), false) }
        }
        Kind::Ingress => {
            objects.ingresses.get(ns, name)?;
            let (down, degraded) = services(snapshot, findings, causes(links, walked, object, LinkKind::RoutesTo));
            let mut parts = Vec::new();
            if !down.is_empty() {
                parts.push(format!("backend {} down", down.join(", ")));
            }
            if !degraded.is_empty() {
                parts.push(format!("backend {} degraded", degraded.join(", ")));
            }
            (parts.join(", "), false)
        }
        Kind::ValidatingWebhookConfiguration | Kind::MutatingWebhookConfiguration => {
            objects.meta(kind, "", name)?;
            let (down, degraded) = services(snapshot, findings, causes(links, walked, object, LinkKind::CallsService));
            match (down.is_empty(), degraded.is_empty()) {
                (false, _) => (format!("calls {}, which is down", down.join(", ")), true),
                _ => (format!("calls {}, which is degraded", degraded.join(", ")), false),
            }
        }
        _ => return None,
    };
    // Without uid, like every object of a link: a saved file loaded into a cluster gets new uids.
    let object = ObjectRef { uid: None, ..object.clone() };
    Some(Impact { object, state, down })
}

/// The causes of walked links of one kind into `object`.
fn causes<'a>(links: &'a [Link], walked: &BTreeSet<usize>, object: &ObjectRef, kind: LinkKind) -> Vec<&'a ObjectRef> {
    let k = key(object);
    let mut causes: Vec<&ObjectRef> =
        walked.iter().map(|&l| &links[l]).filter(|l| l.kind == kind && key(&l.effect) == k).map(|l| &l.cause).collect();
    causes.dedup();
    causes
}

/// The names of Services that are down (missing, or no ready endpoint) and of those only degraded.
fn services(snapshot: &Snapshot, findings: &[Finding], services: Vec<&ObjectRef>) -> (Vec<String>, Vec<String>) {
    let (down, degraded): (Vec<&ObjectRef>, Vec<&ObjectRef>) = services.into_iter().partition(|svc| {
        let ns = svc.namespace.as_deref().unwrap_or("");
        let k = key(svc);
        snapshot.objects.services.get(ns, &svc.name).is_none()
            || findings.iter().any(|f| key(&f.object) == k && SERVICE_DOWN.contains(&f.code.as_str()))
    });
    let names = |v: Vec<&ObjectRef>| v.into_iter().map(|s| s.name.clone()).collect();
    (names(down), names(degraded))
}
