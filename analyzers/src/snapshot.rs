//! The typed, indexed, in-memory picture of a cluster that every analyzer reads. Built once per run, from a live
//! read or from saved `kind: List` files; the two paths meet in [`SnapshotBuilder`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};
use serde::{Deserialize, Serialize};

use crate::custom::{CustomKind, CustomObject, CustomObjects};
use crate::finding::ObjectRef;
use crate::hygiene::ValuePolicy;
use crate::kind::{Kind, KindObject, Objects};
use crate::model::Pod;

/// Objects of one kind, keyed by namespace then name, so iteration order is stable. The key is one string,
/// `namespace\0name` (`\0` sorts before every character a name may hold, so the order is that of the pair), one
/// allocation per object instead of two. Each object is boxed: B-tree nodes hold their values inline, half empty
/// after sorted inserts, which doubled the memory of a big cluster.
#[derive(Clone, Debug)]
pub struct Store<K> {
    items: BTreeMap<Box<str>, Box<K>>,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store { items: BTreeMap::new() }
    }
}

fn store_key(namespace: &str, name: &str) -> String {
    format!("{namespace}\0{name}")
}

impl<K: Metadata<Ty = ObjectMeta>> Store<K> {
    pub fn insert(&mut self, object: K) {
        let meta = object.metadata();
        let key = store_key(meta.namespace.as_deref().unwrap_or_default(), meta.name.as_deref().unwrap_or_default());
        self.items.insert(key.into_boxed_str(), Box::new(object));
    }
    /// `namespace` is "" for cluster-scoped kinds.
    pub fn get(&self, namespace: &str, name: &str) -> Option<&K> {
        self.items.get(store_key(namespace, name).as_str()).map(|o| &**o)
    }
    pub fn iter(&self) -> impl Iterator<Item = &K> {
        self.items.values().map(|o| &**o)
    }
    pub fn in_namespace<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a K> + 'a {
        // Keys sort by namespace first, so one range walk visits only this namespace.
        let prefix = store_key(namespace, "");
        self.items
            .range::<str, _>((std::ops::Bound::Included(prefix.as_str()), std::ops::Bound::Unbounded))
            .take_while(move |(key, _)| key.starts_with(prefix.as_str()))
            .map(|(_, o)| &**o)
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub(crate) fn retain_namespace(&mut self, namespace: &str) {
        let prefix = store_key(namespace, "");
        self.items.retain(|key, _| key.starts_with(prefix.as_str()));
    }
    pub(crate) fn absorb(&mut self, other: Store<K>) {
        self.items.extend(other.items);
    }
}

/// The kinds decoded straight from an item's text: the compact model's, whose arrays are shrunk as they are
/// decoded (`model::exact`). Other kinds go through a JSON value, which gives every array its length.
pub(crate) const DECODED_FROM_TEXT: &[Kind] =
    &[Kind::Pod, Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet, Kind::DaemonSet, Kind::Job, Kind::CronJob];

/// A kind that could not be read, and why (RBAC denial, API not served, ...).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub kind: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{source_name}: not YAML or JSON: {message}")]
    Syntax { source_name: String, message: String },
    #[error("{source_name}: expected a `kind: List` or Kubernetes objects, found {found}")]
    NotAList { source_name: String, found: String },
    #[error("{source_name}: item {index} ({what}) has no apiVersion/kind")]
    MissingType { source_name: String, index: usize, what: String },
    #[error("{source_name}: item {index} ({kind} {name}) is not a valid {kind}: {message}")]
    Invalid { source_name: String, index: usize, kind: String, name: String, message: String },
}

/// Collects objects, then indexes them once into a [`Snapshot`].
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    objects: Objects,
    read: BTreeSet<Kind>,
    skipped: Vec<Skipped>,
    pub(crate) ignored_kinds: BTreeSet<String>,
    /// Set when objects came from files: what was read is then what the file says, or everything.
    pub(crate) from_files: bool,
    pub(crate) saved_info: Option<SavedInfo>,
    values: ValuePolicy,
    custom: CustomObjects,
    /// When a live read started (see [`crate::clock`]).
    read_at: Option<jiff::Timestamp>,
    /// The newest past-event time seen in loaded items: the clock of a file that records none.
    pub(crate) newest_observed: Option<jiff::Timestamp>,
}

/// Name of the item `mekhanikube snapshot` adds to a saved List to record which kinds were read and which were
/// skipped. A ConfigMap, so kubectl still accepts the file.
pub const SNAPSHOT_INFO_NAME: &str = "mekhanikube-snapshot-info";
pub(crate) const READ_ANNOTATION: &str = "mekhanikube.io/read-kinds";
pub(crate) const SKIPPED_ANNOTATION: &str = "mekhanikube.io/skipped";
pub(crate) const READ_AT_ANNOTATION: &str = "mekhanikube.io/read-at";

#[derive(Debug, Default)]
pub(crate) struct SavedInfo {
    /// None when the item does not say (a hand-written info item that only sets the clock): everything was read.
    pub(crate) read: Option<BTreeSet<Kind>>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) read_at: Option<jiff::Timestamp>,
}

impl SnapshotBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps env values, credential-like arguments and kubectl's last-applied annotation (Secret payloads are
    /// dropped whatever the policy): for `mekhanikube snapshot --keep-values`.
    pub fn with_values(mut self, values: ValuePolicy) -> Self {
        self.values = values;
        self
    }

    /// Records that `kind` was listed in full, even if the list was empty: analyzers only report a missing
    /// object (a Service behind an Ingress, say) when its kind was read.
    pub fn mark_read(&mut self, kind: Kind) {
        self.read.insert(kind);
    }

    pub fn skip(&mut self, kind: Kind, reason: impl Into<String>) {
        self.skipped.push(Skipped { kind: kind.name().to_string(), reason: reason.into() });
    }

    /// Records a custom kind that could not be read (`Certificate.cert-manager.io`, say).
    pub fn skip_custom(&mut self, kind: &CustomKind, reason: impl Into<String>) {
        self.skipped.push(Skipped { kind: kind.to_string(), reason: reason.into() });
    }

    /// Sets the analysis clock: when the live read started.
    pub fn set_read_at(&mut self, at: jiff::Timestamp) {
        self.read_at = Some(at);
    }

    /// Adds one custom object (see [`crate::custom`] for what is kept of it).
    pub fn insert_custom(&mut self, value: serde_json::Value) -> Result<(), serde_json::Error> {
        self.custom.insert(CustomObject::from_value(value, self.values)?);
        Ok(())
    }

    /// Adds one custom object as a live read decodes it.
    pub fn insert_custom_parts(
        &mut self,
        api_version: &str,
        kind: &str,
        metadata: ObjectMeta,
        rest: serde_json::Value,
    ) {
        self.custom.insert(CustomObject::from_parts(api_version, kind, metadata, rest, self.values));
    }

    /// Keeps the custom objects whose group `keep` accepts (`--crds` applied to a file as to a live read).
    pub fn retain_custom_groups(&mut self, keep: impl Fn(&str) -> bool) {
        self.custom.retain_groups(keep);
    }

    /// Records that a custom kind was listed in full, even if the list was empty.
    pub fn mark_custom_read(&mut self, kind: CustomKind) {
        self.custom.mark_kind(kind);
    }

    /// Adds one typed object of a known kind.
    pub fn insert_value(&mut self, kind: Kind, mut value: serde_json::Value) -> Result<(), serde_json::Error> {
        crate::load::drop_secret_payload(kind, &mut value);
        self.objects.insert_value(kind, value, self.values)?;
        self.read.insert(kind);
        Ok(())
    }

    /// Adds one object of a known kind from its JSON text, as a live page or a saved file holds it. The kinds of
    /// the compact model are decoded straight from the text, their arrays shrunk as they are decoded
    /// (`model::exact`); other kinds go through a JSON value, which gives every array its length and is where a
    /// Secret's payload is dropped.
    pub fn insert_json(&mut self, kind: Kind, text: &str) -> Result<(), serde_json::Error> {
        if DECODED_FROM_TEXT.contains(&kind) {
            self.objects.insert_text(kind, text, self.values)?;
            self.read.insert(kind);
            Ok(())
        } else {
            self.insert_value(kind, serde_json::from_str(text)?)
        }
    }

    /// Adds one decoded object, as a live read does page by page.
    pub fn insert<K: KindObject>(&mut self, object: K) {
        self.objects.insert_object(object, self.values);
        self.read.insert(K::TABLE_KIND);
    }

    /// An empty builder with the same value policy, to fill concurrently and [`absorb`](Self::absorb) later.
    pub fn fragment(&self) -> SnapshotBuilder {
        SnapshotBuilder::new().with_values(self.values)
    }

    /// Moves the objects and read kinds of a fragment in.
    pub fn absorb(&mut self, fragment: SnapshotBuilder) {
        self.objects.absorb(fragment.objects);
        self.read.extend(fragment.read);
        self.skipped.extend(fragment.skipped);
        self.custom.absorb(fragment.custom);
    }

    /// Type strings (`apiVersion/kind`) that were present but that no analyzer reads.
    pub fn ignored_kinds(&self) -> impl Iterator<Item = &str> {
        self.ignored_kinds.iter().map(String::as_str)
    }

    /// Keeps namespaced objects of one namespace only, as a namespaced live read would.
    pub fn retain_namespace(&mut self, namespace: &str) {
        self.objects.retain_namespace(namespace);
        self.custom.retain_namespace(namespace);
    }

    /// How many objects were added, built-in and custom.
    pub fn object_count(&self) -> usize {
        self.objects.count() + self.custom.len()
    }

    pub fn build(mut self) -> Snapshot {
        if self.from_files {
            // A file says nothing about kinds it does not contain unless it was saved by us: then trust what it
            // records, otherwise take it as the whole picture so that live and offline analysis agree.
            let info = self.saved_info.take().unwrap_or_default();
            self.read = info.read.unwrap_or_else(|| Kind::ALL.iter().copied().collect());
            self.skipped.extend(info.skipped);
            self.read_at = self.read_at.or(info.read_at).or(self.newest_observed);
        }
        let mut snapshot = Snapshot::index(self.objects, self.read, self.skipped);
        snapshot.custom = self.custom;
        snapshot.read_at = self.read_at;
        snapshot
    }

    /// The info item that records what this builder read and skipped, for a saved List.
    pub fn info_item(&self) -> serde_json::Value {
        let read: Vec<&str> = self.read.iter().map(|k| k.name()).collect();
        let mut info = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": SNAPSHOT_INFO_NAME,
                "annotations": {
                    READ_ANNOTATION: read.join(","),
                    SKIPPED_ANNOTATION: serde_json::to_string(&self.skipped).unwrap_or_default(),
                }
            }
        });
        if let (Some(at), Some(annotations)) =
            (self.read_at, info.pointer_mut("/metadata/annotations").and_then(|a| a.as_object_mut()))
        {
            annotations.insert(READ_AT_ANNOTATION.into(), at.to_string().into());
        }
        info
    }

    pub fn objects(&self) -> &Objects {
        &self.objects
    }

    pub fn custom(&self) -> &CustomObjects {
        &self.custom
    }
}

type ObjectKey = (Kind, String, String);

/// The label the EndpointSlice controllers (and the mirroring controller) put on every slice of a Service.
pub(crate) const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The read-only view analyzers get: objects, which kinds were read, and indexes built once.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub objects: Objects,
    read: BTreeSet<Kind>,
    pub skipped: Vec<Skipped>,
    /// Event names (in their namespace) by the object they are about, newest first.
    events_by_object: HashMap<ObjectKey, Vec<(String, String)>>,
    /// Pod names by namespace and label, in name order: selecting the pods of every Service by scanning its
    /// namespace was quadratic (30,000 pods behind 3,000 Services: 90 million label comparisons).
    /// A pod's name is shared by the entries of all its labels.
    pods_by_label: HashMap<(String, String, String), Vec<Arc<str>>>,
    /// EndpointSlice names by namespace and the Service they belong to (their `kubernetes.io/service-name`
    /// label): finding every Service's slices by scanning its namespace was quadratic.
    slices_by_service: HashMap<(String, String), Vec<String>>,
    /// Custom resources, unstructured (see [`crate::custom`]).
    pub custom: CustomObjects,
    read_at: Option<jiff::Timestamp>,
}

impl Snapshot {
    fn index(objects: Objects, read: BTreeSet<Kind>, mut skipped: Vec<Skipped>) -> Snapshot {
        let mut about: HashMap<ObjectKey, Vec<&Event>> = HashMap::new();
        for event in objects.events.iter() {
            let involved = &event.involved_object;
            let (Some(kind), Some(name)) = (involved.kind.as_deref(), involved.name.as_deref()) else {
                continue;
            };
            let api_version = involved.api_version.as_deref().unwrap_or_default();
            let kind = Kind::from_reference(api_version, kind);
            let Some(kind) = kind else { continue };
            let namespace = if kind.namespaced() {
                involved.namespace.clone().or_else(|| event.metadata.namespace.clone()).unwrap_or_default()
            } else {
                String::new()
            };
            about.entry((kind, namespace, name.to_string())).or_default().push(event);
        }
        // The events are held once, in their store; the index keeps their names.
        let events_by_object: HashMap<ObjectKey, Vec<(String, String)>> = about
            .into_iter()
            .map(|(object, mut events)| {
                // Newest first; ties broken by reason so the order never depends on input order.
                events.sort_by(|a, b| {
                    crate::evidence::event_last_time(b)
                        .cmp(&crate::evidence::event_last_time(a))
                        .then_with(|| a.reason.cmp(&b.reason))
                        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
                });
                let names = events
                    .iter()
                    .map(|e| {
                        let meta = &e.metadata;
                        (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
                    })
                    .collect();
                (object, names)
            })
            .collect();
        skipped.sort();
        skipped.dedup();
        let mut pods_by_label: HashMap<(String, String, String), Vec<Arc<str>>> = HashMap::new();
        for pod in objects.pods.iter() {
            let namespace = pod.metadata.namespace.clone().unwrap_or_default();
            let name: Arc<str> = Arc::from(pod.metadata.name.as_deref().unwrap_or_default());
            for (key, value) in pod.metadata.labels.iter().flatten() {
                let names = pods_by_label.entry((namespace.clone(), key.clone(), value.clone())).or_default();
                names.push(name.clone());
            }
        }
        let mut slices_by_service: HashMap<(String, String), Vec<String>> = HashMap::new();
        for slice in objects.endpoint_slices.iter() {
            let meta = &slice.metadata;
            if let Some(service) = meta.labels.as_ref().and_then(|l| l.get(SERVICE_NAME_LABEL)) {
                let key = (meta.namespace.clone().unwrap_or_default(), service.clone());
                slices_by_service.entry(key).or_default().push(meta.name.clone().unwrap_or_default());
            }
        }
        Snapshot {
            objects,
            read,
            skipped,
            events_by_object,
            pods_by_label,
            slices_by_service,
            custom: CustomObjects::default(),
            read_at: None,
        }
    }

    /// The analysis clock (see [`crate::clock`]): every age is measured against it, never the wall clock. None
    /// for a file with no time in it: age-dependent checks then stay silent.
    pub fn read_at(&self) -> Option<jiff::Timestamp> {
        self.read_at
    }

    /// Whether the kind was read in full, so an absent object of it really is absent.
    pub fn has_read(&self, kind: Kind) -> bool {
        self.read.contains(&kind)
    }

    pub fn read_kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.read.iter().copied()
    }

    /// Events about one object, newest first.
    pub fn events_for<'a>(&'a self, kind: Kind, namespace: &str, name: &str) -> impl Iterator<Item = &'a Event> + 'a {
        let namespace = if kind.namespaced() { namespace } else { "" };
        let names = self.events_by_object.get(&(kind, namespace.to_string(), name.to_string()));
        names.into_iter().flatten().filter_map(|(ns, name)| self.objects.events.get(ns, name))
    }

    /// The EndpointSlices of a Service, in name order.
    pub fn endpoint_slices_of<'a>(
        &'a self,
        namespace: &'a str,
        service: &str,
    ) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
        let names = self.slices_by_service.get(&(namespace.to_string(), service.to_string()));
        names.into_iter().flatten().filter_map(move |name| self.objects.endpoint_slices.get(namespace, name))
    }

    /// The pods of a namespace whose labels include every label of `selector`, in name order; none for an empty
    /// selector (a Service without one selects nothing).
    pub fn pods_selected_by<'a>(&'a self, namespace: &str, selector: &BTreeMap<String, String>) -> Vec<&'a Pod> {
        let candidates = selector
            .iter()
            .map(|(k, v)| self.pods_by_label.get(&(namespace.to_string(), k.clone(), v.clone())))
            .min_by_key(|names| names.map_or(0, Vec::len));
        let Some(Some(names)) = candidates else { return Vec::new() };
        names
            .iter()
            .filter_map(|name| self.objects.pods.get(namespace, name))
            .filter(|pod| crate::selector::map_selects(selector, pod.metadata.labels.as_ref()))
            .collect()
    }

    /// Warning events about one object, newest first.
    pub fn warnings_for<'a>(&'a self, kind: Kind, namespace: &str, name: &str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events_for(kind, namespace, name).filter(|e| e.type_.as_deref() == Some("Warning"))
    }

    /// The chain of controlling owners above an object, nearest first. Owners are resolved by kind and name
    /// (not uid, which differs between a saved file and a cluster it was loaded into); an owner that is not in
    /// the snapshot ends the chain with the reference itself.
    pub fn owner_chain(&self, namespace: &str, meta: &ObjectMeta) -> Vec<ObjectRef> {
        let mut chain = Vec::new();
        let mut current = meta.clone();
        for _ in 0..8 {
            let Some(owners) = current.owner_references.as_ref() else {
                break;
            };
            let Some(owner) = owners.iter().find(|o| o.controller == Some(true)).or_else(|| owners.first()) else {
                break;
            };
            let kind = Kind::from_type(&owner.api_version, &owner.kind);
            let owner_ns = match kind {
                Some(k) if !k.namespaced() => "",
                _ => namespace,
            };
            let found = kind.and_then(|k| self.objects.meta(k, owner_ns, &owner.name).map(|m| (k, m)));
            match found {
                Some((k, owner_meta)) => {
                    chain.push(ObjectRef::from_meta(k.api_version(), k.name(), owner_meta));
                    current = owner_meta.clone();
                }
                None => {
                    chain.push(ObjectRef {
                        api_version: owner.api_version.clone(),
                        kind: owner.kind.clone(),
                        namespace: (!owner_ns.is_empty()).then(|| owner_ns.to_string()),
                        name: owner.name.clone(),
                        uid: Some(owner.uid.clone()).filter(|u| !u.is_empty()),
                    });
                    break;
                }
            }
        }
        chain
    }

    /// Starts a finding about `object`, with its top owner filled in as the parent. `severity` must be one that
    /// `code` declares.
    pub fn finding<K>(
        &self,
        analyzer: &'static str,
        code: &crate::CodeInfo,
        object: &K,
        severity: crate::Severity,
        message: impl Into<String>,
    ) -> crate::Finding
    where
        K: Resource + Metadata<Ty = ObjectMeta>,
    {
        debug_assert!(
            code.severity.allows(severity),
            "{} reported at {severity}, which its CodeInfo does not declare",
            code.code
        );
        let meta = object.metadata();
        let namespace = meta.namespace.clone().unwrap_or_default();
        let parent = self.owner_chain(&namespace, meta).pop();
        crate::Finding::new(
            analyzer,
            code,
            ObjectRef::from_meta(K::API_VERSION, K::KIND, meta),
            parent,
            severity,
            message,
        )
    }
}
