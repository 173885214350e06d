//! Planning: pure functions over the (normalized) fixture items, unit-tested below.

use std::collections::HashMap;

use anyhow::{Result, bail};
use serde_json::Value;

/// The `group` part of an apiVersion (`""` for the core group).
fn group_of(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(g, _)| g)
}

pub(super) fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Identity of a fixture item, as references name it.
#[derive(Debug)]
struct Ident<'a> {
    group: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    uid: Option<&'a str>,
}

fn ident(v: &Value) -> Ident<'_> {
    Ident {
        group: group_of(str_at(v, "/apiVersion").unwrap_or("")),
        kind: str_at(v, "/kind").unwrap_or(""),
        name: str_at(v, "/metadata/name").unwrap_or(""),
        namespace: str_at(v, "/metadata/namespace"),
        uid: str_at(v, "/metadata/uid"),
    }
}

/// A reference from one item to another item of the same fixture, whose `uid` must be the target's live uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    /// JSON pointer to the object holding the `uid` field (an ownerReference, involvedObject, targetRef...).
    at: String,
    target: usize,
    /// Ownership orders creation; other references (events, endpoint targets) only need the uid if it is known.
    owner: bool,
}

/// In what order to create the items and which uids to rewrite.
#[derive(Debug)]
pub(super) struct Plan {
    /// Item indices by creation wave; each wave only depends on earlier ones.
    pub(super) levels: Vec<Vec<usize>>,
    pub(super) links: Vec<Vec<Link>>,
}

/// Kinds whose presence changes how the API server treats later writes (admission webhooks and policies, quotas,
/// limit ranges): created last so they cannot reject or rewrite the rest of the fixture. up.sh disables those
/// admission plugins anyway; this keeps fixtures loadable against a server that has them on.
fn is_late(group: &str, kind: &str) -> bool {
    matches!((group, kind), ("admissionregistration.k8s.io", _) | ("", "ResourceQuota") | ("", "LimitRange"))
}

/// Every item by fixture uid and by identity, built once so that resolving all references stays linear in the
/// size of the fixture (a scan per reference made a 10,000-pod fixture take minutes to plan).
struct Index<'a> {
    by_uid: HashMap<&'a str, usize>,
    /// (group, kind, name, namespace or "" for cluster-scoped items) → the first item with that identity.
    by_ident: HashMap<(&'a str, &'a str, &'a str, &'a str), usize>,
}

impl<'a> Index<'a> {
    fn new(items: &'a [Value]) -> Index<'a> {
        let mut index = Index { by_uid: HashMap::new(), by_ident: HashMap::new() };
        for (i, v) in items.iter().enumerate() {
            let id = ident(v);
            if let Some(uid) = id.uid {
                index.by_uid.entry(uid).or_insert(i);
            }
            index.by_ident.entry((id.group, id.kind, id.name, id.namespace.unwrap_or(""))).or_insert(i);
        }
        index
    }

    /// Finds the item a reference points at: by the fixture uid if the target declares one, else by group, kind,
    /// name and namespace (`namespace` None matches cluster-scoped items; a namespaced reference also matches them,
    /// since an owner reference carries no namespace of its own). The first such item in fixture order wins.
    fn resolve(
        &self,
        api_version: &str,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        uid: Option<&str>,
    ) -> Option<usize> {
        if let Some(i) = uid.and_then(|u| self.by_uid.get(u)) {
            return Some(*i);
        }
        let group = group_of(api_version);
        let cluster_scoped = self.by_ident.get(&(group, kind, name, ""));
        let namespaced =
            namespace.filter(|ns| !ns.is_empty()).and_then(|ns| self.by_ident.get(&(group, kind, name, ns)));
        cluster_scoped.into_iter().chain(namespaced).min().copied()
    }
}

/// References inside `v` to other items, as (pointer to the referencing object, the referencing object, whether it
/// is an owner reference, namespace to assume when the reference names none).
fn references(v: &Value) -> Vec<(String, &Value, bool, Option<&str>)> {
    let own_ns = str_at(v, "/metadata/namespace");
    let mut refs = Vec::new();
    if let Some(owners) = v.pointer("/metadata/ownerReferences").and_then(Value::as_array) {
        for (k, r) in owners.iter().enumerate() {
            refs.push((format!("/metadata/ownerReferences/{k}"), r, true, own_ns));
        }
    }
    // core/v1 Events name their object in involvedObject, events.k8s.io/v1 ones in regarding (and related).
    for field in ["involvedObject", "regarding", "related"] {
        if let Some(r) = v.get(field).filter(|r| r.is_object()) {
            refs.push((format!("/{field}"), r, false, own_ns));
        }
    }
    // Endpoints and EndpointSlices point at their Pods.
    if let Some(subsets) = v.get("subsets").and_then(Value::as_array) {
        for (s, subset) in subsets.iter().enumerate() {
            for list in ["addresses", "notReadyAddresses"] {
                for (a, addr) in subset.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
                    if let Some(r) = addr.get("targetRef") {
                        refs.push((format!("/subsets/{s}/{list}/{a}/targetRef"), r, false, own_ns));
                    }
                }
            }
        }
    }
    if let Some(endpoints) = v.get("endpoints").and_then(Value::as_array) {
        for (e, ep) in endpoints.iter().enumerate() {
            if let Some(r) = ep.get("targetRef") {
                refs.push((format!("/endpoints/{e}/targetRef"), r, false, own_ns));
            }
        }
    }
    refs
}

pub(super) fn plan(items: &[Value]) -> Result<Plan> {
    let index = Index::new(items);
    let links: Vec<Vec<Link>> = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            references(v)
                .into_iter()
                .filter_map(|(at, r, owner, default_ns)| {
                    let target = index.resolve(
                        str_at(r, "/apiVersion").unwrap_or("v1"),
                        str_at(r, "/kind")?,
                        str_at(r, "/name")?,
                        str_at(r, "/namespace").or(default_ns),
                        str_at(r, "/uid"),
                    )?;
                    (target != i).then_some(Link { at, target, owner })
                })
                .collect()
        })
        .collect();

    check_owner_cycles(items, &links)?;

    // Every reference orders creation (an Event after its object, so its uid is known). Owner cycles are excluded
    // above, so a back edge here closes a cycle through some other reference: it is dropped from the ordering. Roots
    // without such references go first and owner links are followed first, so that the dropped edge is the
    // non-owner one.
    const LATE: usize = 1 << 20;
    fn level_of(i: usize, items: &[Value], links: &[Vec<Link>], levels: &mut [Option<Option<usize>>]) -> usize {
        // None: not visited; Some(None): on the current path; Some(Some(l)): done.
        if let Some(Some(l)) = levels[i] {
            return l;
        }
        levels[i] = Some(None);
        let id = ident(&items[i]);
        let mut level = if id.group.is_empty() && id.kind == "Namespace" {
            0
        } else if is_late(id.group, id.kind) {
            LATE
        } else {
            1
        };
        let ordered = links[i].iter().filter(|l| l.owner).chain(links[i].iter().filter(|l| !l.owner));
        for link in ordered {
            if levels[link.target] != Some(None) {
                level = level.max(level_of(link.target, items, links, levels) + 1);
            }
        }
        levels[i] = Some(Some(level));
        level
    }
    let mut levels = vec![None; items.len()];
    let has_other_refs = |i: usize| links[i].iter().any(|l| !l.owner);
    let roots = (0..items.len()).filter(|&i| !has_other_refs(i)).chain((0..items.len()).filter(|&i| has_other_refs(i)));
    let mut by_level: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in roots {
        level_of(i, items, &links, &mut levels);
    }
    for (i, level) in levels.into_iter().enumerate() {
        by_level.entry(level.flatten().expect("every item was visited")).or_default().push(i);
    }
    Ok(Plan { levels: by_level.into_values().collect(), links })
}

/// Fails on ownerReferences that form a cycle: no order could give each owner's uid to its dependents.
fn check_owner_cycles(items: &[Value], links: &[Vec<Link>]) -> Result<()> {
    // 0: new, 1: on the current path, 2: done.
    fn visit(i: usize, items: &[Value], links: &[Vec<Link>], marks: &mut [u8], path: &mut Vec<usize>) -> Result<()> {
        match marks[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let names: Vec<String> = path[start..]
                    .iter()
                    .chain([&i])
                    .map(|&p| format!("{} {}", ident(&items[p]).kind, ident(&items[p]).name))
                    .collect();
                bail!("ownerReferences form a cycle: {}", names.join(" -> "));
            }
            _ => {}
        }
        marks[i] = 1;
        path.push(i);
        for link in links[i].iter().filter(|l| l.owner) {
            visit(link.target, items, links, marks, path)?;
        }
        path.pop();
        marks[i] = 2;
        Ok(())
    }
    let mut marks = vec![0u8; items.len()];
    for i in 0..items.len() {
        visit(i, items, links, &mut marks, &mut Vec::new())?;
    }
    Ok(())
}

/// Points every linked `uid` at the live uid of its target (targets not created yet are left alone).
pub(super) fn rewrite_uids(v: &mut Value, links: &[Link], live_uids: &[Option<String>]) {
    for link in links {
        if let Some(uid) = &live_uids[link.target]
            && let Some(Value::Object(r)) = v.pointer_mut(&link.at)
        {
            r.insert("uid".into(), Value::String(uid.clone()));
        }
    }
}

/// Removes what the server owns; creating with it fails (`resourceVersion`) or is ignored.
pub(super) fn strip_server_fields(v: &mut Value) {
    if let Some(Value::Object(meta)) = v.get_mut("metadata") {
        for f in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "selfLink",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta.remove(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Value {
        let mut v = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let Some(ns) = ns {
            v["metadata"]["namespace"] = json!(ns);
        }
        v
    }

    fn owned_by(mut v: Value, api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
        v["metadata"]["ownerReferences"] =
            json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": true}]);
        v
    }

    fn level_index(plan: &Plan, item: usize) -> usize {
        plan.levels.iter().position(|l| l.contains(&item)).expect("every item is planned")
    }

    /// A fixture listed dependents-first, as people write them by accident.
    fn shop() -> Vec<Value> {
        vec![
            // 0: event about the pod
            {
                let mut e = obj("v1", "Event", Some("shop"), "web-1.17a");
                e["involvedObject"] = json!({"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "old-pod"});
                e
            },
            // 1: pod owned by the ReplicaSet
            owned_by(obj("v1", "Pod", Some("shop"), "web-1"), "apps/v1", "ReplicaSet", "web-rs", "old-rs"),
            // 2: ReplicaSet owned by the Deployment
            owned_by(obj("apps/v1", "ReplicaSet", Some("shop"), "web-rs"), "apps/v1", "Deployment", "web", "old-d"),
            // 3: a webhook configuration
            obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", None, "deny-all"),
            // 4: Deployment
            obj("apps/v1", "Deployment", Some("shop"), "web"),
            // 5: Namespace
            obj("v1", "Namespace", None, "shop"),
            // 6: Node (cluster-scoped, no dependencies)
            obj("v1", "Node", None, "node-1"),
        ]
    }

    #[test]
    fn namespaces_first_owners_before_dependents_admission_kinds_last() {
        let items = shop();
        let plan = plan(&items).unwrap();
        assert_eq!(plan.levels[0], vec![5], "the Namespace comes alone, first");
        let l = |i| level_index(&plan, i);
        assert!(l(4) < l(2), "Deployment before its ReplicaSet");
        assert!(l(2) < l(1), "ReplicaSet before its Pod");
        assert!(l(1) < l(0), "Pod before the Event about it");
        assert_eq!(l(6), l(4), "independent objects share the first wave after Namespaces");
        assert_eq!(l(3), plan.levels.len() - 1, "webhook configurations last");
        assert_eq!(plan.levels.iter().map(Vec::len).sum::<usize>(), items.len());
    }

    #[test]
    fn links_point_at_the_referenced_items() {
        let items = shop();
        let plan = plan(&items).unwrap();
        assert_eq!(plan.links[1], vec![Link { at: "/metadata/ownerReferences/0".into(), target: 2, owner: true }]);
        assert_eq!(plan.links[0], vec![Link { at: "/involvedObject".into(), target: 1, owner: false }]);
        assert!(plan.links[4].is_empty() && plan.links[5].is_empty());
    }

    #[test]
    fn uids_are_rewritten_to_live_ones_and_foreign_ones_kept() {
        let mut items = shop();
        // A second owner that is not in the file: its uid must stay.
        items[1]["metadata"]["ownerReferences"]
            .as_array_mut()
            .unwrap()
            .push(json!({"apiVersion": "v1", "kind": "Node", "name": "elsewhere", "uid": "keep-me"}));
        let plan = plan(&items).unwrap();
        let mut live: Vec<Option<String>> = vec![None; items.len()];
        live[2] = Some("live-rs".into());
        live[1] = Some("live-pod".into());
        let mut pod = items[1].clone();
        rewrite_uids(&mut pod, &plan.links[1], &live);
        assert_eq!(pod["metadata"]["ownerReferences"][0]["uid"], "live-rs");
        assert_eq!(pod["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(pod["metadata"]["ownerReferences"][1]["uid"], "keep-me");
        let mut event = items[0].clone();
        rewrite_uids(&mut event, &plan.links[0], &live);
        assert_eq!(event["involvedObject"]["uid"], "live-pod");
    }

    #[test]
    fn references_match_by_fixture_uid_before_name() {
        // Two ReplicaSets with the same name in different namespaces; the fixture uid picks the right one even
        // though the pod's owner reference alone would be ambiguous by name.
        let mut a = obj("apps/v1", "ReplicaSet", Some("a"), "rs");
        a["metadata"]["uid"] = json!("uid-a");
        let mut b = obj("apps/v1", "ReplicaSet", Some("b"), "rs");
        b["metadata"]["uid"] = json!("uid-b");
        let pod = owned_by(obj("v1", "Pod", Some("a"), "p"), "apps/v1", "ReplicaSet", "rs", "uid-b");
        let items = vec![pod, a, b];
        let plan = plan(&items).unwrap();
        assert_eq!(plan.links[0][0].target, 2);
        // Without a uid match, name + namespace decide.
        let pod = owned_by(obj("v1", "Pod", Some("b"), "p"), "apps/v1", "ReplicaSet", "rs", "");
        let items = vec![pod, items[1].clone(), items[2].clone()];
        assert_eq!(super::plan(&items).unwrap().links[0][0].target, 2);
    }

    #[test]
    fn owner_references_need_the_same_namespace_or_a_cluster_scoped_owner() {
        let d = obj("apps/v1", "Deployment", Some("other"), "web");
        let rs = owned_by(obj("apps/v1", "ReplicaSet", Some("shop"), "web-rs"), "apps/v1", "Deployment", "web", "x");
        let node = obj("v1", "Node", None, "n1");
        let lease =
            owned_by(obj("coordination.k8s.io/v1", "Lease", Some("kube-node-lease"), "n1"), "v1", "Node", "n1", "x");
        let plan = plan(&[d, rs, node, lease]).unwrap();
        assert!(plan.links[1].is_empty(), "an owner in another namespace is not this one's owner");
        assert_eq!(plan.links[3][0].target, 2);
        assert!(level_index(&plan, 2) < level_index(&plan, 3));
    }

    /// A big fixture plans with every pod linked to its own ReplicaSet and every event to its pod. (Resolving each
    /// reference by a scan made this quadratic: minutes at this size.)
    #[test]
    fn a_large_fixture_links_every_reference_to_its_own_target() {
        const PODS: usize = 20_000;
        let mut items = Vec::with_capacity(PODS * 2 + PODS / 10);
        for r in 0..PODS / 10 {
            items.push(obj("apps/v1", "ReplicaSet", Some("scale"), &format!("rs-{r}")));
        }
        for p in 0..PODS {
            let rs = format!("rs-{}", p / 10);
            items.push(owned_by(
                obj("v1", "Pod", Some("scale"), &format!("pod-{p}")),
                "apps/v1",
                "ReplicaSet",
                &rs,
                "",
            ));
            let mut event = obj("v1", "Event", Some("scale"), &format!("pod-{p}.1"));
            event["involvedObject"] =
                json!({"apiVersion": "v1", "kind": "Pod", "name": format!("pod-{p}"), "namespace": "scale"});
            items.push(event);
        }
        let plan = plan(&items).unwrap();
        let replica_sets = PODS / 10;
        for p in 0..PODS {
            let (pod, event) = (replica_sets + 2 * p, replica_sets + 2 * p + 1);
            assert_eq!(plan.links[pod][0].target, p / 10, "pod-{p}");
            assert_eq!(plan.links[event][0].target, pod, "event of pod-{p}");
        }
        assert_eq!(plan.levels.len(), 3, "ReplicaSets, then pods, then events");
    }

    #[test]
    fn owner_cycles_are_reported() {
        let a = owned_by(obj("v1", "ConfigMap", Some("x"), "a"), "v1", "ConfigMap", "b", "1");
        let b = owned_by(obj("v1", "ConfigMap", Some("x"), "b"), "v1", "ConfigMap", "a", "2");
        let err = plan(&[a, b]).unwrap_err().to_string();
        assert!(err.contains("cycle"), "{err}");
        assert!(err.contains("ConfigMap a") && err.contains("ConfigMap b"), "{err}");
    }

    #[test]
    fn a_non_owner_reference_cycle_is_not_an_error() {
        // An Endpoints' targetRef to a Pod that names the Endpoints as its owner (odd but legal).
        let mut ep = obj("v1", "Endpoints", Some("x"), "svc");
        ep["subsets"] =
            json!([{"addresses": [{"ip": "10.0.0.1", "targetRef": {"kind": "Pod", "name": "p", "namespace": "x"}}]}]);
        let pod = owned_by(obj("v1", "Pod", Some("x"), "p"), "v1", "Endpoints", "svc", "1");
        let plan = plan(&[ep, pod]).unwrap();
        assert_eq!(plan.levels.iter().map(Vec::len).sum::<usize>(), 2);
        assert!(level_index(&plan, 0) < level_index(&plan, 1), "the owner still comes first");
    }

    #[test]
    fn server_fields_are_stripped_and_the_rest_kept() {
        let mut v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "p", "namespace": "x", "uid": "u", "resourceVersion": "5", "creationTimestamp": "2024-01-01T00:00:00Z",
            "managedFields": [], "labels": {"a": "b"}, "annotations": {"c": "d"}}, "spec": {"containers": []}});
        strip_server_fields(&mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x",
                "labels": {"a": "b"}, "annotations": {"c": "d"}}, "spec": {"containers": []}})
        );
    }
}
