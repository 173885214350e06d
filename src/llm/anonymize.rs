//! `--anonymize`: replaces every cluster name that goes into a prompt with a stable token (`pod-1`, `ns-2`,
//! `container-1`, `image-1`, ...) and puts the real names back into the answer.
//!
//! Names are collected first (from findings, evidence, spec snippets, the snapshot objects involved), then
//! tokens are assigned in collection order, so the same input always gives the same tokens (and the same cache
//! key). Replacement is longest-name-first at each position and only on name boundaries: `web` inside
//! `web-api` is left for `web-api`, `app` inside `apps` is not touched, while `web` in `web.ns.svc` or in a
//! ReplicaSet name `web-5d8f` is replaced.

use std::collections::{BTreeMap, BTreeSet};

use mekhanikube_analyzers::{Evidence, Finding, Kind, ObjectRef};

/// Names that identify nothing and are kept as they are, so the model still reads them.
const KEEP: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Collects names, then builds an [`Anonymizer`].
#[derive(Clone, Debug, Default)]
pub struct AnonymizerBuilder {
    entries: Vec<(String, String)>,
    seen: BTreeSet<String>,
    /// Free texts (messages), scanned at build time for `name.namespace.svc` host names.
    texts: Vec<String>,
}

impl AnonymizerBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one name under a token prefix (`pod`, `ns`, `container`, `image`, `node`, `host`, `label`, ...).
    /// Empty names, numbers, booleans and one-character names are ignored (replacing them would mangle the
    /// text without hiding anything).
    pub fn add(&mut self, category: &str, name: &str) -> &mut Self {
        let name = name.trim();
        if name.chars().count() < 2
            || KEEP.contains(&name)
            || matches!(
                name.to_ascii_lowercase().as_str(),
                "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none"
            )
            || name.chars().all(|c| c.is_ascii_digit() || c == '.')
            || !name.chars().any(|c| c.is_alphanumeric())
        {
            return self;
        }
        if self.seen.insert(name.to_string()) {
            self.entries.push((category.to_string(), name.to_string()));
        }
        self
    }

    /// Adds an object reference: its namespace and its name under the kind's prefix.
    pub fn add_object(&mut self, object: &ObjectRef) -> &mut Self {
        if let Some(ns) = &object.namespace {
            self.add("ns", ns);
        }
        self.add(kind_prefix(&object.kind), &object.name)
    }

    /// Adds an image reference and the parts of it that messages quote on their own: the repository without
    /// tag or digest, the registry host, the path, and the last path component.
    pub fn add_image(&mut self, image: &str) -> &mut Self {
        let image = image.trim();
        if image.is_empty() {
            return self;
        }
        self.add("image", image);
        let without_digest = image.split('@').next().unwrap_or(image);
        let repo = match without_digest.rfind(':') {
            Some(i) if !without_digest[i..].contains('/') => &without_digest[..i],
            _ => without_digest,
        };
        self.add("image", repo);
        let mut parts: Vec<&str> = repo.split('/').collect();
        if parts.len() > 1 && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost") {
            let host = parts.remove(0);
            self.add("host", host);
            self.add("host", host.split(':').next().unwrap_or(host));
            self.add("image", &parts.join("/"));
        }
        if let Some(last) = parts.last() {
            self.add("image", last);
        }
        // Runtimes quote short names in their normalized form.
        if !repo.contains('/') {
            self.add("image", &format!("docker.io/library/{image}"));
        }
        self
    }

    /// Adds a host name or URL's host.
    pub fn add_host(&mut self, host_or_url: &str) -> &mut Self {
        let host = match url::Url::parse(host_or_url) {
            Ok(u) if u.host_str().is_some() => u.host_str().unwrap_or_default().to_string(),
            _ => host_or_url.trim_start_matches("*.").to_string(),
        };
        if host.parse::<std::net::IpAddr>().is_err() {
            self.add("host", &host);
        }
        self
    }

    /// Adds everything a finding names: its object and parent, containers in its evidence, and quoted
    /// DNS-like names in its message and evidence texts.
    pub fn add_finding(&mut self, finding: &Finding) -> &mut Self {
        self.add_object(&finding.object);
        if let Some(parent) = &finding.parent {
            self.add_object(parent);
        }
        for e in &finding.evidence {
            if let Evidence::ContainerState { container, .. } = e {
                self.add("container", container);
            }
        }
        self.add_text(&finding.message);
        for e in &finding.evidence {
            match e {
                Evidence::Condition { message: Some(m), .. } => {
                    self.add_text(m);
                }
                Evidence::ContainerState { message: Some(m), .. } => {
                    self.add_text(m);
                }
                Evidence::Event(ev) => {
                    self.add_text(&ev.message);
                }
                Evidence::Field { value, .. } => {
                    self.add_text(value);
                }
                Evidence::Logs { lines, note, .. } => {
                    for line in lines.iter().chain(note) {
                        self.add_text(line);
                    }
                }
                Evidence::Cause { object, .. } => {
                    self.add_object(object);
                }
                _ => {}
            }
        }
        self
    }

    /// Adds the names a free text gives away: quoted DNS-like names now, and at build time the service in
    /// any `service.namespace.svc` (or `service.namespace:port`) host name whose namespace is known.
    pub fn add_text(&mut self, text: &str) -> &mut Self {
        self.add_quoted(text);
        // `key=value` pairs (label selectors, `container=app` in kubelet messages): the value is a name.
        for word in
            text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';' | '[' | ']' | '{' | '}'))
        {
            if let Some((key, value)) = word.split_once('=') {
                let value = value.trim_matches(|c| matches!(c, '"' | '\'' | '.' | ':'));
                if !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
                    && looks_like_name(value)
                {
                    self.add("label", value);
                }
            }
        }
        self.texts.push(text.to_string());
        self
    }

    /// Adds every double-quoted or backquoted string in `text` that looks like a Kubernetes name (a DNS
    /// label or subdomain): event messages quote the names they are about.
    pub fn add_quoted(&mut self, text: &str) -> &mut Self {
        for quote in ['"', '`', '\''] {
            let parts: Vec<&str> = text.split(quote).collect();
            // Odd segments are inside quotes; the last one is inside only if a closing quote followed it.
            for (i, inside) in parts.iter().enumerate() {
                if i % 2 == 1 && i + 1 < parts.len() && looks_like_name(inside) {
                    self.add("name", inside);
                }
            }
        }
        self
    }

    pub fn build(mut self) -> Anonymizer {
        let namespaces: Vec<String> = self.entries.iter().filter(|(c, _)| c == "ns").map(|(_, n)| n.clone()).collect();
        let texts = std::mem::take(&mut self.texts);
        for text in &texts {
            for ns in &namespaces {
                for (at, _) in text.match_indices(&format!(".{ns}")) {
                    let after = &text[at + ns.len() + 1..];
                    if !(after.starts_with(".svc") || after.starts_with(':') || after.starts_with(".pod")) {
                        continue;
                    }
                    let before = &text[..at];
                    let start = before
                        .rfind(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
                        .map_or(0, |i| i + 1);
                    let service = before[start..].to_string();
                    self.add("service", &service);
                }
            }
        }
        let names: BTreeSet<&str> = self.entries.iter().map(|(_, n)| n.as_str()).collect();
        let mut counters: BTreeMap<&str, usize> = BTreeMap::new();
        let mut pairs = Vec::new();
        for (category, name) in &self.entries {
            let counter = counters.entry(category.as_str()).or_insert(0);
            let token = loop {
                *counter += 1;
                let candidate = format!("{category}-{counter}");
                // A real name that happens to look like a token must not be confused with one.
                if !names.contains(candidate.as_str()) {
                    break candidate;
                }
            };
            pairs.push((name.clone(), token));
        }
        Anonymizer::from_pairs(pairs)
    }
}

fn looks_like_name(s: &str) -> bool {
    let len = s.len();
    (2..=253).contains(&len)
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// The token prefix for an object kind.
pub fn kind_prefix(kind: &str) -> &'static str {
    if let Some(kind) = Kind::from_name(kind) {
        return kind.token_prefix();
    }
    // Kinds that objects refer to but that are not read.
    match kind {
        "PersistentVolume" => "pv",
        "ConfigMap" => "configmap",
        _ => "object",
    }
}

/// Replaces collected names with tokens, and tokens with names. Built by [`AnonymizerBuilder`].
#[derive(Clone, Debug, Default)]
pub struct Anonymizer {
    /// (name, token), longest name first.
    forward: Vec<(String, String)>,
    /// (token, name), longest token first.
    backward: Vec<(String, String)>,
}

impl Anonymizer {
    #[cfg(test)]
    pub fn builder() -> AnonymizerBuilder {
        AnonymizerBuilder::new()
    }

    /// An anonymizer that changes nothing.
    pub fn identity() -> Anonymizer {
        Anonymizer::default()
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Anonymizer {
        let mut forward = pairs.clone();
        forward.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let mut backward: Vec<(String, String)> = pairs.into_iter().map(|(n, t)| (t, n)).collect();
        backward.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Anonymizer { forward, backward }
    }

    pub fn is_empty(&self) -> bool {
        self.forward.is_empty()
    }

    #[cfg(test)]
    pub fn token_for(&self, name: &str) -> Option<&str> {
        self.forward.iter().find(|(n, _)| n == name).map(|(_, t)| t.as_str())
    }

    pub fn anonymize(&self, text: &str) -> String {
        replace_names(text, &self.forward)
    }

    pub fn restore(&self, text: &str) -> String {
        replace_names(text, &self.backward)
    }
}

/// Characters that continue a name. `_` is not one: no Kubernetes name contains it, and runtimes glue names
/// with it (`pod_namespace(uid)`).
fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// Replaces each `from` with its `to` where it starts after a character that is not a letter, digit or `-`,
/// and ends before one that is not a letter or digit (`-`, `.` and `_` allowed, so derived names, DNS names
/// and runtime ids like `pod_namespace` are caught).
/// `pairs` must be sorted longest first.
fn replace_names(text: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut prev: Option<char> = None;
    'outer: while i < text.len() {
        let rest = &text[i..];
        let left_ok = prev.is_none_or(|p| !(is_word(p) || p == '-'));
        if left_ok {
            for (from, to) in pairs {
                if rest.starts_with(from.as_str()) {
                    let next = rest[from.len()..].chars().next();
                    if next.is_none_or(|n| !is_word(n)) {
                        out.push_str(to);
                        i += from.len();
                        prev = from.chars().last();
                        continue 'outer;
                    }
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(names: &[(&str, &str)]) -> Anonymizer {
        let mut b = Anonymizer::builder();
        for (c, n) in names {
            b.add(c, n);
        }
        b.build()
    }

    #[test]
    fn longest_first_and_boundaries() {
        let a = anon(&[("deployment", "web"), ("deployment", "web-api"), ("container", "app"), ("ns", "shop")]);
        assert_eq!(a.anonymize("web-api and web"), "deployment-2 and deployment-1");
        assert_eq!(a.anonymize("apps use app, app_x, app2"), "apps use container-1, container-1_x, app2");
        assert_eq!(a.anonymize("web-api-1_shop(uid)"), "deployment-2-1_ns-1(uid)");
        assert_eq!(a.anonymize("web.shop.svc.cluster.local"), "deployment-1.ns-1.svc.cluster.local");
        assert_eq!(a.anonymize("replicaset web-5d8f7c and my-web"), "replicaset deployment-1-5d8f7c and my-web");
        assert_eq!(a.anonymize("pod shop/web-api-1"), "pod ns-1/deployment-2-1");
        let round = "web-api in shop, container app";
        assert_eq!(a.restore(&a.anonymize(round)), round);
    }

    #[test]
    fn tokens_never_collide_with_real_names() {
        let a = anon(&[("pod", "pod-1"), ("pod", "cache")]);
        assert_eq!(a.token_for("pod-1"), Some("pod-2"));
        assert_eq!(a.token_for("cache"), Some("pod-3"));
        assert_eq!(a.restore(&a.anonymize("pod-1 cache")), "pod-1 cache");
    }

    #[test]
    fn restore_does_not_touch_longer_tokens() {
        let mut b = Anonymizer::builder();
        for i in 0..12 {
            b.add("pod", &format!("name{i}x"));
        }
        let a = b.build();
        assert_eq!(a.restore("pod-1 pod-12 pod-1."), "name0x name11x name0x.");
    }

    #[test]
    fn images_and_hosts() {
        let mut b = Anonymizer::builder();
        b.add_image("registry.corp.example:5000/team/billing:1.2.3")
            .add_image("nginx:1.25")
            .add_host("https://api.corp.example/x");
        let a = b.build();
        let text = "pull registry.corp.example:5000/team/billing:1.2.3 failed; registry.corp.example unreachable; \
                    team/billing; nginx and docker.io/library/nginx:1.25 at api.corp.example";
        let out = a.anonymize(text);
        for leak in ["corp", "billing", "team", "nginx"] {
            assert!(!out.contains(leak), "{leak} leaked: {out}");
        }
        assert_eq!(a.restore(&out), text);
    }

    #[test]
    fn keeps_unidentifying_words() {
        let a = anon(&[("ns", "default"), ("label", "true"), ("label", "1"), ("pod", "x")]);
        assert!(a.is_empty());
    }

    #[test]
    fn quoted_names_in_messages() {
        let mut b = Anonymizer::builder();
        b.add_quoted(r#"configmap "app-settings" not found; secret `db-creds`; "Not A Name""#);
        let a = b.build();
        assert_eq!(a.token_for("app-settings"), Some("name-1"));
        assert_eq!(a.token_for("db-creds"), Some("name-2"));
        assert_eq!(a.token_for("Not A Name"), None);
    }

    #[test]
    fn service_host_names_in_texts() {
        let mut b = Anonymizer::builder();
        b.add("ns", "payments").add_text("dial tcp orders-db.payments.svc:5432 and cache.payments:6379; x.other.svc");
        let a = b.build();
        assert_eq!(a.token_for("orders-db"), Some("service-1"));
        assert_eq!(a.token_for("cache"), Some("service-2"));
        assert_eq!(a.token_for("x"), None);
    }

    #[test]
    fn key_value_pairs_in_texts() {
        let mut b = Anonymizer::builder();
        b.add_text("selector control-plane=controller-manager,gatekeeper.sh/operation=webhook matches; failed container=app pod=x; exitCode=1 policy=Fail");
        let a = b.build();
        assert_eq!(a.token_for("controller-manager"), Some("label-1"));
        assert_eq!(a.token_for("webhook"), Some("label-2"));
        assert_eq!(a.token_for("app"), Some("label-3"));
        assert_eq!(a.token_for("1"), None);
        assert_eq!(a.token_for("Fail"), None);
    }
}
