//! Who reads the output. For a namespace's developers (`--audience developer`), objects of other namespaces and
//! cluster-scoped policy objects (admission webhook configurations) appear only as what they do to the
//! namespace: their names never reach a document, a rendered view or a prompt.
//!
//! One step does it: a [`Redactor`] built from the snapshot and the namespace replaces each hidden name, as a
//! whole word, in every string of a typed document (after the scope, before any render), and in every prompt as
//! it is rendered. docs/constraints.md lists what is hidden and what is not.
//!
//! Cluster-scoped *policy* (webhook configurations; admission policies when they are read) is anonymous. Other
//! cluster-scoped kinds (Nodes, StorageClasses, PriorityClasses, IngressClasses, PersistentVolumes) are named by
//! the namespace's own objects (a pod's node, a claim's class) and stay visible.

use std::collections::BTreeSet;

use mekhanikube_analyzers::Snapshot;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::document::Audience;

/// What a hidden name of another namespace's object becomes.
pub const HIDDEN_OBJECT: &str = "(hidden)";
/// What the name of another namespace becomes.
pub const HIDDEN_NAMESPACE: &str = "(another namespace)";
/// What the name of a cluster-scoped policy (a webhook configuration, one of its webhooks) becomes.
pub const HIDDEN_POLICY: &str = "(cluster policy)";
/// What a label term (`app=db`) selecting pods or namespaces elsewhere becomes.
pub const HIDDEN_SELECTOR: &str = "(selector hidden)";

/// The namespace of the cluster DNS, named in network-policy findings even when the snapshot holds none of it.
const WELL_KNOWN_NAMESPACES: &[&str] = &["kube-system"];

#[derive(Debug, thiserror::Error)]
#[error("cannot redact the {what} for the developer audience: {source}")]
pub struct RedactError {
    what: &'static str,
    #[source]
    source: serde_json::Error,
}

/// Replaces hidden names, longest first, each only as a whole name (not inside a longer one).
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    hidden: Vec<(String, &'static str)>,
}

impl Redactor {
    /// Everything a developer of `namespace` must not see, from the snapshot: names of other namespaces, of
    /// their objects (custom resources included), and of cluster-scoped policies with their webhooks, the
    /// Services and URLs these call. A name that is also the name of something in the namespace stays.
    pub fn for_namespace(snapshot: &Snapshot, namespace: &str) -> Redactor {
        let mut own: BTreeSet<String> = BTreeSet::from([namespace.to_string()]);
        let mut hidden: Vec<(String, &'static str)> = Vec::new();
        let all = snapshot.objects.all_meta();
        let custom = snapshot.custom.iter().map(|c| &c.metadata);
        for meta in all.iter().map(|(_, m)| *m).chain(custom) {
            let name = meta.name.clone().unwrap_or_default();
            match meta.namespace.as_deref().filter(|n| !n.is_empty()) {
                Some(ns) if ns == namespace => {
                    own.insert(name);
                }
                Some(ns) => {
                    hidden.push((ns.to_string(), HIDDEN_NAMESPACE));
                    hidden.push((name, HIDDEN_OBJECT));
                }
                None => {}
            }
        }
        for ns in snapshot.objects.namespaces.iter().filter_map(|n| n.metadata.name.clone()) {
            hidden.push((ns, HIDDEN_NAMESPACE));
        }
        hidden.extend(WELL_KNOWN_NAMESPACES.iter().map(|n| (n.to_string(), HIDDEN_NAMESPACE)));
        hidden.extend(policy_names(snapshot).into_iter().map(|n| (n, HIDDEN_POLICY)));
        hidden.extend(selectors_elsewhere(snapshot, namespace).into_iter().map(|t| (t, HIDDEN_SELECTOR)));
        hidden.retain(|(name, _)| !name.is_empty() && !own.contains(name));
        // Longest first, so a long name is replaced whole before a shorter one inside it.
        hidden.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        hidden.dedup_by(|a, b| a.0 == b.0);
        Redactor { hidden }
    }

    /// The names this redactor hides.
    #[cfg(test)]
    pub fn hidden(&self) -> impl Iterator<Item = &str> {
        self.hidden.iter().map(|(n, _)| n.as_str())
    }

    /// The text with every hidden name replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, with) in &self.hidden {
            if out.contains(name.as_str()) {
                out = replace_word(&out, name, with);
            }
        }
        out
    }

    /// A typed document with every string in it redacted (keys stay: they are the schema's).
    pub fn document<T: Serialize + DeserializeOwned>(&self, doc: &T, what: &'static str) -> Result<T, RedactError> {
        let mut value = serde_json::to_value(doc).map_err(|source| RedactError { what, source })?;
        self.value(&mut value);
        serde_json::from_value(value).map_err(|source| RedactError { what, source })
    }

    fn value(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.text(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.value(v)),
            _ => {}
        }
    }
}

/// The names of the cluster-scoped policies: each webhook configuration, its webhooks, and the Service or URL
/// each calls.
fn policy_names(snapshot: &Snapshot) -> Vec<String> {
    use k8s_openapi::api::admissionregistration::v1::WebhookClientConfig;
    let o = &snapshot.objects;
    let mut out = Vec::new();
    let client = |c: &WebhookClientConfig, out: &mut Vec<String>| {
        if let Some(s) = &c.service {
            out.push(format!("{}/{}", s.namespace, s.name));
            out.push(s.namespace.clone());
            out.push(s.name.clone());
        }
        out.extend(c.url.clone());
    };
    for c in o.validating_webhook_configurations.iter() {
        out.extend(c.metadata.name.clone());
        for w in c.webhooks.iter().flatten() {
            out.push(w.name.clone());
            client(&w.client_config, &mut out);
        }
    }
    for c in o.mutating_webhook_configurations.iter() {
        out.extend(c.metadata.name.clone());
        for w in c.webhooks.iter().flatten() {
            out.push(w.name.clone());
            client(&w.client_config, &mut out);
        }
    }
    out.extend(o.validating_admission_policies.iter().filter_map(|p| p.metadata.name.clone()));
    for binding in o.validating_admission_policy_bindings.iter() {
        out.extend(binding.metadata.name.clone());
        out.push(binding.spec.policy_name.clone());
    }
    // Cluster-scoped custom objects: Gatekeeper constraints, cluster policy reports and the like.
    let cluster_scoped = snapshot.custom.iter().filter(|c| c.metadata.namespace.as_deref().is_none_or(str::is_empty));
    out.extend(cluster_scoped.filter_map(|c| c.metadata.name.clone()));
    out
}

/// The label terms (`app=db`, `team=b`, and `app: db` as YAML writes them) with which the namespace's own network policies select pods or
/// namespaces elsewhere: they describe other namespaces, and their values are often other namespaces' names.
fn selectors_elsewhere(snapshot: &Snapshot, namespace: &str) -> Vec<String> {
    use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
    let own_only = |p: &NetworkPolicyPeer| {
        p.namespace_selector.as_ref().is_none_or(|s| {
            s.match_expressions.as_ref().is_none_or(|e| e.is_empty())
                && s.match_labels.as_ref().is_some_and(|m| {
                    m.len() == 1 && m.get("kubernetes.io/metadata.name").map(String::as_str) == Some(namespace)
                })
        })
    };
    let mut out = Vec::new();
    for policy in snapshot.objects.network_policies.in_namespace(namespace) {
        let Some(spec) = &policy.spec else { continue };
        let ingress = spec.ingress.iter().flatten().flat_map(|r| r.from.iter().flatten());
        let egress = spec.egress.iter().flatten().flat_map(|r| r.to.iter().flatten());
        for peer in ingress.chain(egress).filter(|p| !own_only(p)) {
            for selector in peer.pod_selector.iter().chain(peer.namespace_selector.iter()) {
                // As words and views write them (`app=db`), and as a prompt's YAML spec does (`app: db`).
                for (k, v) in selector.match_labels.iter().flatten() {
                    out.extend([format!("{k}={v}"), format!("{k}: {v}")]);
                }
            }
        }
    }
    out
}

/// Whether a character continues a name: letters, digits, `-` and `_` (a `.` only between two of those, which
/// [`replace_word`] checks itself).
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Whether `name` occurs at `at` in `text` as a whole name: not preceded or followed by a name character, nor
/// by a dot joined to one (`a.name.b` is one name).
pub fn whole_word_at(text: &str, at: usize, name: &str) -> bool {
    let before: Vec<char> = text[..at].chars().rev().take(2).collect();
    let after: Vec<char> = text[at + name.len()..].chars().take(2).collect();
    let joined = |pair: &[char]| match pair {
        [c, ..] if name_char(*c) => true,
        ['.', c, ..] => c.is_ascii_alphanumeric(),
        _ => false,
    };
    !joined(&before) && !joined(&after)
}

fn replace_word(text: &str, name: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in text.match_indices(name) {
        if at < last || !whole_word_at(text, at, name) {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(with);
        last = at + name.len();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_names_only() {
        assert_eq!(replace_word("web and webhook and web-1 and web.", "web", "X"), "X and webhook and web-1 and X.");
        assert_eq!(replace_word("a.web.b web/x (web)", "web", "X"), "a.web.b X/x (X)");
        assert_eq!(replace_word("app=db,db", "db", "X"), "app=X,X");
    }

    #[test]
    fn hides_other_namespaces_and_cluster_policies_but_not_the_namespace_itself() {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-cluster.yaml");
        let mut builder = mekhanikube_analyzers::SnapshotBuilder::new();
        crate::snapshot_io::load(std::path::Path::new(demo), &mut builder).unwrap();
        let r = Redactor::for_namespace(&builder.build(), "checkout");
        let hidden: Vec<&str> = r.hidden().collect();
        for name in ["shop", "shop-policy", "validate.policy.shop.example.com", "web", "db", "kube-system", "app=db"] {
            assert!(hidden.contains(&name), "{name} not hidden: {hidden:?}");
        }
        for name in ["checkout", "cart", "checkout-quota", "node-a", "standard"] {
            assert!(!hidden.contains(&name), "{name} hidden");
        }
        assert_eq!(
            r.text("egress to pods app=db in namespace shop, checked by shop-policy; pod cart"),
            "egress to pods (selector hidden) in namespace (another namespace), checked by (cluster policy); pod cart"
        );
    }
}
