//! What part of the cluster a run is about: a namespace, a label query, one resource and what it owns.

use crate::finding::{Finding, ObjectRef};
use crate::kind::Kind;
use crate::selector::LabelQuery;
use crate::snapshot::Snapshot;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScopeError {
    #[error("invalid --resource '{0}': expected Kind/name, e.g. deployment/web")]
    ResourceSyntax(String),
    #[error("invalid --resource '{0}': unknown kind '{1}'")]
    UnknownKind(String, String),
    #[error("namespace '{0}' does not exist here, or holds none of the kinds read: check -n")]
    NoSuchNamespace(String),
    #[error("{kind}/{name} does not exist{where_}: check --resource")]
    NoSuchResource { kind: &'static str, name: String, where_: String },
}

/// `--resource Kind/name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef {
    pub kind: Kind,
    pub name: String,
}

impl ResourceRef {
    pub fn parse(text: &str) -> Result<ResourceRef, ScopeError> {
        let (kind, name) = text
            .split_once('/')
            .filter(|(k, n)| !k.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| ScopeError::ResourceSyntax(text.to_string()))?;
        let kind = Kind::parse_user(kind).ok_or_else(|| ScopeError::UnknownKind(text.to_string(), kind.to_string()))?;
        Ok(ResourceRef { kind, name: name.to_string() })
    }
}

/// Applied to findings after analysis, so that analyzers always see whole namespaces: narrowing what is read
/// by labels would make a Service look selector-less or an Ingress backend look missing.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// None means all namespaces.
    pub namespace: Option<String>,
    pub selector: Option<LabelQuery>,
    pub resource: Option<ResourceRef>,
}

impl Scope {
    /// Refuses a scope that names what is not there, so that a typo in `-n` or `--resource` is an error rather
    /// than a clean bill of health. Only kinds that were read are held against it.
    pub fn check_exists(&self, snapshot: &Snapshot) -> Result<(), ScopeError> {
        if self.namespace.is_none() && self.resource.is_none() {
            return Ok(());
        }
        let all = snapshot.objects.all_meta();
        if let Some(ns) = &self.namespace {
            let namespace_object = snapshot.objects.namespaces.get("", ns).is_some();
            let anything_in_it = all.iter().any(|(_, m)| m.namespace.as_deref() == Some(ns.as_str()));
            if !namespace_object && !anything_in_it {
                return Err(ScopeError::NoSuchNamespace(ns.clone()));
            }
        }
        if let Some(resource) = &self.resource
            && snapshot.has_read(resource.kind)
        {
            let found = all.iter().any(|(kind, m)| {
                *kind == resource.kind
                    && m.name.as_deref() == Some(resource.name.as_str())
                    && (!resource.kind.namespaced()
                        || self.namespace.is_none()
                        || m.namespace.as_deref() == self.namespace.as_deref())
            });
            if !found {
                let where_ = match (&self.namespace, resource.kind.namespaced()) {
                    (Some(ns), true) => format!(" in namespace {ns}"),
                    _ => String::new(),
                };
                return Err(ScopeError::NoSuchResource {
                    kind: resource.kind.name(),
                    name: resource.name.clone(),
                    where_,
                });
            }
        }
        Ok(())
    }

    pub fn retain(&self, findings: &mut Vec<Finding>, snapshot: &Snapshot) {
        findings.retain(|f| self.keeps(f, snapshot));
    }

    /// Whether an object, finding or not, is in scope: the same rules as for findings, with the object's top
    /// controlling owner in the place of a finding's parent.
    pub fn keeps_object(&self, object: &ObjectRef, snapshot: &Snapshot) -> bool {
        let ns = object.namespace.as_deref().unwrap_or("");
        let parent = Kind::from_type(&object.api_version, &object.kind)
            .and_then(|k| snapshot.objects.meta(k, ns, &object.name))
            .and_then(|m| snapshot.owner_chain(ns, m).pop());
        self.keeps_ref(object, parent.as_ref(), snapshot)
    }

    fn keeps(&self, finding: &Finding, snapshot: &Snapshot) -> bool {
        self.keeps_ref(&finding.object, finding.parent.as_ref(), snapshot)
    }

    fn keeps_ref(&self, object: &ObjectRef, parent: Option<&ObjectRef>, snapshot: &Snapshot) -> bool {
        let object_ns = object.namespace.as_deref().unwrap_or("");
        if let Some(ns) = &self.namespace
            && object_ns != ns
        {
            return false;
        }
        let kind = Kind::from_type(&object.api_version, &object.kind);
        let meta = kind.and_then(|k| snapshot.objects.meta(k, object_ns, &object.name));
        let chain = meta.map(|m| snapshot.owner_chain(object_ns, m)).unwrap_or_default();
        if let Some(query) = &self.selector {
            let own = meta.and_then(|m| m.labels.as_ref()).is_some_and(|l| query.matches(l));
            let parent = parent.and_then(|p| {
                let k = Kind::from_type(&p.api_version, &p.kind)?;
                snapshot.objects.meta(k, p.namespace.as_deref().unwrap_or(""), &p.name)
            });
            let parent_matches = parent.and_then(|m| m.labels.as_ref()).is_some_and(|l| query.matches(l));
            if !own && !parent_matches {
                return false;
            }
        }
        if let Some(resource) = &self.resource {
            let is = |kind: &str, name: &str| kind == resource.kind.name() && name == resource.name;
            let hit = is(&object.kind, &object.name) || chain.iter().any(|o| is(&o.kind, &o.name));
            if !hit {
                return false;
            }
        }
        true
    }
}
