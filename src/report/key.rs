//! The history key: which earlier runs a report is compared with. Runs share a key when they read the same
//! source (API server and context, or snapshot path) with the same scope (namespace, selector, resource,
//! analyzers), or when the user names the key with --history-key.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::document::{ScopeInfo, Source};
use crate::render::report::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryKey {
    /// 16 hex digits of a SHA-256 over the canonical key: short enough to show, long enough never to collide.
    pub id: String,
    pub label: String,
}

pub fn history_key(source: &Source, scope: &ScopeInfo, named: Option<&str>) -> HistoryKey {
    if let Some(name) = named {
        return HistoryKey { id: digest(&serde_json::json!({"name": name})), label: text::clean(name) };
    }
    let origin = match (source.mode.as_str(), &source.snapshot) {
        // The same file reached through another relative path or a symlink is the same history.
        ("snapshot", Some(path)) => serde_json::json!({
            "snapshot": std::fs::canonicalize(Path::new(path)).map(|p| p.display().to_string()).unwrap_or(path.clone())
        }),
        _ => serde_json::json!({"server": source.server, "context": source.context}),
    };
    // "all" rather than the list, so that a release adding an analyzer does not start a new history.
    let all = mekhanikube_analyzers::registry().len() == scope.analyzers.len();
    let mut analyzers = scope.analyzers.clone();
    analyzers.sort();
    let canonical = serde_json::json!({
        "origin": origin,
        "namespace": scope.namespace,
        "selector": scope.selector,
        "resource": scope.resource,
        "analyzers": if all { serde_json::json!("all") } else { serde_json::json!(analyzers) },
    });
    HistoryKey { id: digest(&canonical), label: format!("{} \u{b7} {}", text::source(source), text::scope(scope)) }
}

fn digest(value: &serde_json::Value) -> String {
    // Built by json! in a fixed order (and sorted when serde_json's preserve_order is off): canonical either way.
    let hash = Sha256::digest(value.to_string().as_bytes());
    hex::encode(&hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_analyzers() -> Vec<String> {
        mekhanikube_analyzers::registry().iter().map(|a| a.name().to_string()).collect()
    }

    fn cluster(server: &str, context: Option<&str>) -> Source {
        Source {
            mode: "cluster".into(),
            server: Some(server.into()),
            context: context.map(str::to_string),
            snapshot: None,
        }
    }

    #[test]
    fn same_source_and_scope_share_a_key() {
        let scope = ScopeInfo { analyzers: all_analyzers(), ..ScopeInfo::default() };
        let a = history_key(&cluster("https://10.0.0.1:6443", Some("prod")), &scope, None);
        let b = history_key(&cluster("https://10.0.0.1:6443", Some("prod")), &scope, None);
        assert_eq!(a, b);
        assert_eq!(a.id.len(), 16);
        assert!(a.label.contains("context prod") && a.label.contains("all namespaces"), "{}", a.label);
    }

    #[test]
    fn server_context_namespace_selector_and_analyzers_each_change_the_key() {
        let scope = ScopeInfo { analyzers: all_analyzers(), ..ScopeInfo::default() };
        let base = history_key(&cluster("https://a", Some("x")), &scope, None).id;
        let variants = [
            history_key(&cluster("https://b", Some("x")), &scope, None).id,
            history_key(&cluster("https://a", Some("y")), &scope, None).id,
            history_key(
                &cluster("https://a", Some("x")),
                &ScopeInfo { namespace: Some("shop".into()), ..scope.clone() },
                None,
            )
            .id,
            history_key(
                &cluster("https://a", Some("x")),
                &ScopeInfo { selector: Some("app=web".into()), ..scope.clone() },
                None,
            )
            .id,
            history_key(
                &cluster("https://a", Some("x")),
                &ScopeInfo { resource: Some("deploy/web".into()), ..scope.clone() },
                None,
            )
            .id,
            history_key(
                &cluster("https://a", Some("x")),
                &ScopeInfo { analyzers: vec!["pod".into()], ..scope.clone() },
                None,
            )
            .id,
        ];
        for v in &variants {
            assert_ne!(v, &base);
        }
    }

    #[test]
    fn analyzer_order_does_not_matter_and_a_name_overrides() {
        let one = ScopeInfo { analyzers: vec!["pod".into(), "node".into()], ..ScopeInfo::default() };
        let two = ScopeInfo { analyzers: vec!["node".into(), "pod".into()], ..ScopeInfo::default() };
        let src = cluster("https://a", None);
        assert_eq!(history_key(&src, &one, None).id, history_key(&src, &two, None).id);
        let named = history_key(&src, &one, Some("nightly"));
        assert_eq!(named, history_key(&cluster("https://other", None), &two, Some("nightly")));
        assert_eq!(named.label, "nightly");
    }
}
