//! The blast radius: every workload, Service, Ingress and admission webhook reached downstream of a problem's
//! members (and of its source), other than the root's own object, with its state read from its status.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

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

/// What every problem's walk reads, built once: the links leaving each object, and the Services the service
/// analyzer found without any ready endpoint.
pub(crate) struct Graph<'a> {
    snapshot: &'a Snapshot,
    links: &'a [Link],
    out_of: HashMap<Key, Vec<usize>>,
    services_down: HashSet<Key>,
}

impl<'a> Graph<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot, links: &'a [Link], findings: &[Finding]) -> Graph<'a> {
        let mut out_of: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, l) in links.iter().enumerate() {
            out_of.entry(key(&l.cause)).or_default().push(i);
        }
        let services_down =
            findings.iter().filter(|f| SERVICE_DOWN.contains(&f.code.as_str())).map(|f| key(&f.object)).collect();
        Graph { snapshot, links, out_of, services_down }
    }
}

pub(crate) fn blast_radius(graph: &Graph, findings: &[Finding], group: &Group) -> Radius {
    let links = graph.links;
    let mut seen: BTreeSet<Key> = BTreeSet::new();
    let starts = group.members.iter().map(|&m| &findings[m].object).chain(group.source.as_ref());
    let mut reached: Vec<ObjectRef> = starts.filter(|o| seen.insert(key(o))).cloned().collect();
    let mut queue: VecDeque<ObjectRef> = reached.iter().cloned().collect();
    let mut walked = BTreeSet::new();
    while let Some(object) = queue.pop_front() {
        for &l in graph.out_of.get(&key(&object)).into_iter().flatten() {
            walked.insert(l);
            if seen.insert(key(&links[l].effect)) {
                reached.push(links[l].effect.clone());
                queue.push_back(links[l].effect.clone());
            }
        }
    }
    let root = key(&findings[group.root].object);
    let mut impacts: Vec<Impact> =
        reached.iter().filter(|o| key(o) != root).filter_map(|o| state(graph, &walked, o)).collect();
    impacts.sort_by_key(|i| !i.down);
    Radius { impacts, links: walked }
}

/// The object's loss in words, for the kinds a blast radius lists; None for others and for absent objects.
fn state(graph: &Graph, walked: &BTreeSet<usize>, object: &ObjectRef) -> Option<Impact> {
    let kind = Kind::from_type(&object.api_version, &object.kind)?;
    let (ns, name) = (object.namespace.as_deref().unwrap_or(""), object.name.as_str());
    let (objects, links) = (&graph.snapshot.objects, graph.links);
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
            if graph.services_down.contains(&key(object)) {
                ("no ready endpoints".to_string(), true)
            } else {
                ("some endpoints not ready".to_string(), false)
            }
        }
        Kind::Ingress => {
            objects.ingresses.get(ns, name)?;
            let (down, degraded) = services(graph, causes(links, walked, object, LinkKind::RoutesTo));
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
            let (down, degraded) = services(graph, causes(links, walked, object, LinkKind::CallsService));
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
fn services(graph: &Graph, services: Vec<&ObjectRef>) -> (Vec<String>, Vec<String>) {
    let (down, degraded): (Vec<&ObjectRef>, Vec<&ObjectRef>) = services.into_iter().partition(|svc| {
        let ns = svc.namespace.as_deref().unwrap_or("");
        graph.snapshot.objects.services.get(ns, &svc.name).is_none() || graph.services_down.contains(&key(svc))
    });
    let names = |v: Vec<&ObjectRef>| v.into_iter().map(|s| s.name.clone()).collect();
    (names(down), names(degraded))
}
