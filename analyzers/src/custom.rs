//! Custom resources (and any other kind outside the typed table whose group is not built into Kubernetes), kept
//! unstructured: the typed metadata, and the rest of the object as JSON.
//!
//! What is kept: everything but the field sets of `metadata.managedFields` (who wrote the object and when stay: the
//! newest spec write tells how long a controller has left a new generation unobserved), kubectl's last-applied annotation (unless values are
//! kept) and the top-level `data`, `stringData` and `binaryData` fields, which is where Secret-like kinds
//! (SealedSecrets aside, which are encrypted) carry payloads. The rest is kept as the server returned it: a
//! custom resource's spec is the user's and no rule can know which of its fields hold credentials.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta};

use crate::finding::ObjectRef;
use crate::hygiene::ValuePolicy;

/// API groups built into Kubernetes (served by kube-apiserver itself or its standard aggregated APIs). Objects of
/// other groups are custom resources; objects of these groups that the table does not know are ignored.
pub const BUILTIN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "extensions",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "metrics.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// Top-level fields dropped from every custom object: where Secret-like kinds keep their payload.
const PAYLOAD_FIELDS: &[&str] = &["data", "stringData", "binaryData"];

/// The metadata rules of every kind, except that managed-field entries keep their writer and time.
fn scrub(mut metadata: ObjectMeta, policy: ValuePolicy) -> ObjectMeta {
    let managed = metadata.managed_fields.take().map(|entries| {
        entries
            .into_iter()
            .map(|e| ManagedFieldsEntry { fields_v1: None, fields_type: None, api_version: None, ..e })
            .collect()
    });
    crate::hygiene::scrub_meta(&mut metadata, policy);
    metadata.managed_fields = managed;
    metadata
}

/// The group of an `apiVersion` (`cert-manager.io/v1` → `cert-manager.io`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

pub fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group)
}

/// One custom object: its typed metadata and the rest of it (apiVersion, kind, spec, status, ...).
#[derive(Clone, Debug)]
pub struct CustomObject {
    pub metadata: ObjectMeta,
    pub api_version: String,
    pub kind: String,
    /// The object without `metadata`; `apiVersion` and `kind` are still in it.
    pub body: serde_json::Map<String, serde_json::Value>,
}

impl CustomObject {
    /// Splits a decoded object; `value` is moved, never copied.
    pub fn from_value(value: serde_json::Value, policy: ValuePolicy) -> Result<CustomObject, serde_json::Error> {
        let serde_json::Value::Object(mut body) = value else {
            return Err(serde::de::Error::custom("not an object"));
        };
        let metadata: ObjectMeta = match body.remove("metadata") {
            Some(m) => serde_json::from_value(m)?,
            None => ObjectMeta::default(),
        };
        let metadata = scrub(metadata, policy);
        for field in PAYLOAD_FIELDS {
            body.remove(*field);
        }
        let text = |key: &str| body.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        Ok(CustomObject { metadata, api_version, kind, body })
    }

    /// Builds one from a live read's parts (typed metadata, the rest as JSON), with the same filter.
    pub fn from_parts(
        api_version: &str,
        kind: &str,
        metadata: ObjectMeta,
        rest: serde_json::Value,
        policy: ValuePolicy,
    ) -> CustomObject {
        let metadata = scrub(metadata, policy);
        let mut body = match rest {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        body.remove("metadata");
        for field in PAYLOAD_FIELDS {
            body.remove(*field);
        }
        body.insert("apiVersion".into(), api_version.into());
        body.insert("kind".into(), kind.into());
        CustomObject { metadata, api_version: api_version.into(), kind: kind.into(), body }
    }

    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// A field of the body by JSON pointer (`/status/conditions`).
    pub fn pointer(&self, pointer: &str) -> Option<&serde_json::Value> {
        let rest = pointer.strip_prefix('/')?;
        let (first, tail) = rest.split_once('/').map_or((rest, ""), |(f, t)| (f, t));
        let value = self.body.get(first)?;
        if tail.is_empty() { Some(value) } else { value.pointer(&format!("/{tail}")) }
    }

    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::from_meta(&self.api_version, &self.kind, &self.metadata)
    }

    /// The whole object again, as a `kind: List` item.
    pub fn to_value(&self) -> serde_json::Value {
        let mut map = self.body.clone();
        map.insert("metadata".into(), serde_json::to_value(&self.metadata).unwrap_or_default());
        serde_json::Value::Object(map)
    }
}

/// A custom kind: its group and kind (the version is whichever was read).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CustomKind {
    pub group: String,
    pub kind: String,
}

impl std::fmt::Display for CustomKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() { f.write_str(&self.kind) } else { write!(f, "{}.{}", self.kind, self.group) }
    }
}

/// Every custom object, by kind, then namespace and name, so iteration order is stable.
#[derive(Clone, Debug, Default)]
pub struct CustomObjects {
    kinds: BTreeMap<CustomKind, BTreeMap<(String, String), CustomObject>>,
}

impl CustomObjects {
    pub fn insert(&mut self, object: CustomObject) {
        let kind = CustomKind { group: object.group().to_string(), kind: object.kind.clone() };
        let key = (object.namespace().to_string(), object.name().to_string());
        self.kinds.entry(kind).or_default().insert(key, object);
    }

    /// Records a kind as read even when it has no objects.
    pub fn mark_kind(&mut self, kind: CustomKind) {
        self.kinds.entry(kind).or_default();
    }

    pub fn kinds(&self) -> impl Iterator<Item = &CustomKind> {
        self.kinds.keys()
    }

    pub fn iter(&self) -> impl Iterator<Item = &CustomObject> {
        self.kinds.values().flat_map(|objects| objects.values())
    }

    pub fn of_kind<'a>(&'a self, group: &str, kind: &str) -> impl Iterator<Item = &'a CustomObject> + 'a {
        let key = CustomKind { group: group.to_string(), kind: kind.to_string() };
        self.kinds.get(&key).into_iter().flat_map(|objects| objects.values())
    }

    pub fn get(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Option<&CustomObject> {
        let key = CustomKind { group: group.to_string(), kind: kind.to_string() };
        self.kinds.get(&key)?.get(&(namespace.to_string(), name.to_string()))
    }

    pub fn len(&self) -> usize {
        self.kinds.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn absorb(&mut self, other: CustomObjects) {
        for (kind, objects) in other.kinds {
            self.kinds.entry(kind).or_default().extend(objects);
        }
    }

    pub(crate) fn retain_groups(&mut self, keep: impl Fn(&str) -> bool) {
        self.kinds.retain(|kind, _| keep(&kind.group));
    }

    /// Keeps namespaced objects of one namespace, and every cluster-scoped one.
    pub(crate) fn retain_namespace(&mut self, namespace: &str) {
        for objects in self.kinds.values_mut() {
            objects.retain(|(ns, _), _| ns.is_empty() || ns == namespace);
        }
    }

    pub fn to_list_items(&self) -> Vec<serde_json::Value> {
        self.iter().map(CustomObject::to_value).collect()
    }
}

/// Which custom resources to read (`--crds`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CrdSelection {
    None,
    #[default]
    All,
    Groups(BTreeSet<String>),
}

impl CrdSelection {
    /// Parses `none`, `all`, or a comma-separated list of API groups.
    pub fn parse(text: &str) -> Result<CrdSelection, String> {
        match text.trim() {
            "none" => return Ok(CrdSelection::None),
            "all" | "" => return Ok(CrdSelection::All),
            _ => {}
        }
        let mut groups = BTreeSet::new();
        for group in text.split(',').map(str::trim) {
            if group.is_empty() || group.contains(|c: char| c.is_whitespace() || c == '/') {
                return Err(format!(
                    "'{group}' is not an API group (expected none, all or GROUP,... like cert-manager.io)"
                ));
            }
            if is_builtin_group(group) {
                return Err(format!("'{group}' is built into Kubernetes, not a custom resource group"));
            }
            groups.insert(group.to_string());
        }
        Ok(CrdSelection::Groups(groups))
    }

    pub fn includes(&self, group: &str) -> bool {
        match self {
            CrdSelection::None => false,
            CrdSelection::All => !is_builtin_group(group) && !NOT_CUSTOM.contains(&group),
            CrdSelection::Groups(groups) => groups.contains(group),
        }
    }
}

/// Aggregated APIs outside Kubernetes that serve no objects to list (metrics adapters).
pub const NOT_CUSTOM: &[&str] = &["custom.metrics.k8s.io", "external.metrics.k8s.io"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_managed_fields_and_last_applied_are_dropped() {
        let value = serde_json::json!({
            "apiVersion": "example.com/v1", "kind": "Vault",
            "metadata": {"name": "v", "namespace": "ns", "managedFields": [{"manager": "kubectl", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "yes"}},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "x"}, "binaryData": {"k": "AA=="},
            "spec": {"replicas": 1}
        });
        let object = CustomObject::from_value(value, ValuePolicy::Redact).unwrap();
        assert_eq!(object.group(), "example.com");
        assert_eq!((object.namespace(), object.name()), ("ns", "v"));
        let managed = object.metadata.managed_fields.clone().unwrap();
        assert_eq!(managed[0].manager.as_deref(), Some("kubectl"));
        assert!(managed[0].fields_v1.is_none());
        let annotations = object.metadata.annotations.clone().unwrap();
        assert_eq!(annotations.keys().collect::<Vec<_>>(), ["keep"]);
        let text = serde_json::to_string(&object.to_value()).unwrap();
        for gone in ["aHVudGVyMg", "token", "binaryData"] {
            assert!(!text.contains(gone), "{gone} kept: {text}");
        }
        assert_eq!(object.pointer("/spec/replicas"), Some(&serde_json::json!(1)));
        assert_eq!(object.pointer("/status/phase"), None);
    }

    #[test]
    fn builtin_groups_are_recognised() {
        assert!(is_builtin_group(group_of("v1")));
        assert!(is_builtin_group(group_of("rbac.authorization.k8s.io/v1")));
        // Gateway API and snapshot CRDs live under k8s.io names but are custom resources.
        assert!(!is_builtin_group(group_of("gateway.networking.k8s.io/v1")));
        assert!(!is_builtin_group(group_of("cert-manager.io/v1")));
    }
}
