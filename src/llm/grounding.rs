//! Checks the names an answer uses against the snapshot, so an invented StorageClass or a mangled anonymization
//! token is marked "not in this cluster" instead of being read as fact.
//!
//! A name is known when an object of the snapshot has it (any kind, any namespace), when a pod runs it (images),
//! or when the prompt the model was given contains it: a finding about a missing ConfigMap names one that does
//! not exist, and the model repeating it invents nothing. Names are taken only where the answer clearly uses
//! them as names, so ordinary English is never flagged:
//! - the object and namespace arguments of kubectl commands (`kubectl describe pvc data -n shop`);
//! - `kind/name` (`deployment/web`, `sc/fast-ssd`) and `namespace/name` when the namespace exists;
//! - a name right after a kind word (`StorageClass fast-ssd`, ``the ConfigMap `web-cfg` ``, `image nginx:1.2`),
//!   when it is quoted or looks like a Kubernetes name with a `-`, `.` or digit in it;
//! - a backticked name with a `-` in it, or a backticked image reference;
//! - with anonymization, any word shaped like a token (`pod-7`) that is not one of the prompt's tokens.

use std::collections::HashSet;

use mekhanikube_analyzers::{Kind, Snapshot};

use super::commands::Kubectl;
use crate::document::UnknownName;

pub const NOT_IN_CLUSTER: &str = "not in this cluster";
pub const MANGLED_TOKEN: &str = "an anonymization token the model changed";

/// The names of a snapshot, collected once per run.
#[derive(Clone, Debug, Default)]
pub struct ClusterNames {
    names: HashSet<String>,
    namespaces: HashSet<String>,
    images: HashSet<String>,
}

impl ClusterNames {
    pub fn of(snapshot: &Snapshot) -> ClusterNames {
        let mut c = ClusterNames::default();
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            c.namespaces.insert(ns.to_string());
        }
        for (kind, meta) in snapshot.objects.all_meta() {
            if let Some(name) = &meta.name {
                c.names.insert(name.clone());
                if kind == Kind::Namespace {
                    c.namespaces.insert(name.clone());
                }
            }
            if let Some(ns) = &meta.namespace {
                c.namespaces.insert(ns.clone());
            }
        }
        for pod in snapshot.objects.pods.iter() {
            let spec = pod.spec.iter();
            for container in spec.flat_map(|s| s.containers.iter().chain(s.init_containers.iter().flatten())) {
                c.names.insert(container.name.clone());
                if let Some(image) = &container.image {
                    c.images.insert(image.clone());
                }
            }
        }
        c
    }
}

/// The check for one problem: the cluster's names and the words of the prompt sent for it (names restored).
pub struct Grounding<'a> {
    cluster: &'a ClusterNames,
    /// Every word of the prompt, and the parts of those with `/`, `:` or `@` (image paths, `ns/name`).
    prompt_words: HashSet<String>,
    /// The prompt's words as they are: a namespace must be one of these or of the cluster, not a path part.
    whole_words: HashSet<String>,
    /// Anonymization was on: token-shaped words left after restoring names are mangled tokens.
    tokens: bool,
}

/// Kind words that may precede a name in prose, and the kind they name.
const KIND_WORDS: &[(&str, &str)] = &[
    ("storageclass", "StorageClass"),
    ("configmap", "ConfigMap"),
    ("secret", "Secret"),
    ("node", "Node"),
    ("namespace", "Namespace"),
    ("pvc", "PersistentVolumeClaim"),
    ("persistentvolumeclaim", "PersistentVolumeClaim"),
    ("persistentvolume", "PersistentVolume"),
    ("pod", "Pod"),
    ("deployment", "Deployment"),
    ("statefulset", "StatefulSet"),
    ("daemonset", "DaemonSet"),
    ("service", "Service"),
    ("ingress", "Ingress"),
    ("serviceaccount", "ServiceAccount"),
    ("container", "container"),
    ("image", "image"),
];

/// Hyphenated English that may follow a kind word.
const STOPWORDS: &[&str] = &[
    "read-only",
    "built-in",
    "up-to-date",
    "well-known",
    "long-running",
    "so-called",
    "non-existent",
    "re-create",
    "e.g.",
    "i.e.",
    "etc.",
    "level",
    "named",
    "called",
];

/// Kinds that have no store in the snapshot but that kubectl users name (`cm/web-cfg`, `pv/data`).
const EXTRA_KINDS: &[&str] = &["configmap", "configmaps", "cm", "pv", "persistentvolume", "persistentvolumes"];

/// Token categories of the anonymizer besides the kinds' prefixes.
const TOKEN_CATEGORIES: &[&str] =
    &["image", "host", "container", "label", "name", "configmap", "pv", "object", "secret"];

impl<'a> Grounding<'a> {
    pub fn new(cluster: &'a ClusterNames, prompt: &str, tokens: bool) -> Grounding<'a> {
        let (mut prompt_words, mut whole_words) = (HashSet::new(), HashSet::new());
        for word in prompt.split(|c: char| !(c.is_ascii_alphanumeric() || "._:/@-".contains(c))) {
            let word = word.trim_matches(|c: char| ".:/-".contains(c));
            if word.is_empty() {
                continue;
            }
            prompt_words.insert(word.to_string());
            whole_words.insert(word.to_string());
            for part in word.split(['/', ':', '@']) {
                prompt_words.insert(part.trim_matches('.').to_string());
            }
        }
        Grounding { cluster, prompt_words, whole_words, tokens }
    }

    fn known(&self, name: &str) -> bool {
        self.prompt_words.contains(name) || self.cluster.names.contains(name) || self.cluster.images.contains(name)
    }

    fn known_namespace(&self, ns: &str) -> bool {
        self.cluster.namespaces.contains(ns) || self.whole_words.contains(ns)
    }

    /// A name an answer gives (with the kind it says), known or not. Placeholders (`<pod>`, `$POD`, `POD_NAME`)
    /// are not names.
    fn check_name(&self, kind: Option<&str>, name: &str, location: &str, out: &mut Vec<UnknownName>) {
        let name = name.trim_matches(|c: char| "\"'`,.;:()[]\\".contains(c));
        if is_placeholder(name) || name.is_empty() {
            return;
        }
        let known = match kind {
            Some("Namespace") => self.known_namespace(name),
            Some("image") => self.known(name) || self.cluster.images.iter().any(|i| i.ends_with(&format!("/{name}"))),
            // `web.shop.svc.cluster.local`: the Service and its namespace.
            _ if name.contains('.') && !self.known(name) => {
                let mut labels = name.split('.');
                let first = labels.next().unwrap_or_default();
                self.known(first) && labels.next().is_none_or(|ns| self.known_namespace(ns) || ns == "svc")
            }
            _ => self.known(name),
        };
        if !known {
            push(out, name, kind, location, NOT_IN_CLUSTER);
        }
    }

    /// Checks the names in a kubectl command (other commands name no objects the snapshot could know).
    pub fn check_command(&self, command: &str, location: &str, out: &mut Vec<UnknownName>) {
        let Some(words) = shlex::split(command.trim().trim_start_matches("$ ")) else { return };
        for (i, w) in words.iter().enumerate() {
            if w.rsplit('/').next() == Some("kubectl") {
                let end = words[i..].iter().position(|w| w == "|").map_or(words.len(), |p| p + i);
                self.check_kubectl(&Kubectl::parse(&words[i + 1..end]), location, out);
            }
        }
        self.check_tokens(command, location, out);
    }

    fn check_kubectl(&self, k: &Kubectl, location: &str, out: &mut Vec<UnknownName>) {
        if let Some(ns) = &k.namespace {
            self.check_name(Some("Namespace"), ns, location, out);
        }
        let verb: Vec<&str> = k.verb.iter().map(String::as_str).collect();
        // New objects (`create`, `run`, `expose`) and files (`apply -f`, `cp`) name nothing that must exist.
        // Only subcommands whose arguments are objects: `auth can-i list pods`, `create`, `apply -f` and the like
        // name verbs, new objects or files.
        let objects: &[String] = match verb.as_slice() {
            ["set", "image", ..] => k.positionals.get(..1).unwrap_or(&[]),
            [
                "get" | "describe" | "delete" | "edit" | "patch" | "label" | "annotate" | "scale" | "rollout" | "set"
                | "autoscale" | "wait" | "top" | "taint" | "logs" | "exec" | "port-forward" | "attach" | "debug"
                | "cordon" | "uncordon" | "drain",
                ..,
            ] => &k.positionals,
            _ => &[],
        };
        let by_type = matches!(
            verb.first().copied(),
            Some(
                "get"
                    | "describe"
                    | "delete"
                    | "edit"
                    | "patch"
                    | "label"
                    | "annotate"
                    | "scale"
                    | "rollout"
                    | "set"
                    | "autoscale"
                    | "wait"
                    | "top"
                    | "taint"
            )
        );
        let mut kind: Option<String> = None;
        for (i, arg) in objects.iter().enumerate() {
            if arg.contains('=') || arg.ends_with('-') {
                continue; // labels, annotations, taints, `key-` removals
            }
            if let Some((k, name)) = arg.split_once('/') {
                if let Some(kind) = kind_of(k) {
                    self.check_name(Some(&kind), name, location, out);
                }
            } else if by_type && i == 0 {
                kind = arg.split(',').next().and_then(kind_of);
            } else {
                let kind = match verb.first().copied() {
                    Some("cordon" | "uncordon" | "drain") => Some("Node".to_string()),
                    Some("logs" | "exec" | "port-forward" | "attach" | "debug") => Some("Pod".to_string()),
                    _ => kind.clone(),
                };
                self.check_name(kind.as_deref(), arg, location, out);
            }
        }
        if let Some(container) = &k.container {
            self.check_name(Some("container"), container, location, out);
        }
    }

    /// Checks the names in free text: commands in code spans, `kind/name`, kind words followed by a name,
    /// backticked names, mangled tokens.
    pub fn check_text(&self, text: &str, location: &str, out: &mut Vec<UnknownName>) {
        // Commands are read as commands only: `kubectl create deployment new-app` names a new object, which
        // the prose rules below would take for one that must exist.
        let mut prose = text.to_string();
        for span in code_spans(text) {
            if span.trim_start().starts_with("kubectl ") {
                self.check_command(span, location, out);
                let start = span.as_ptr() as usize - text.as_ptr() as usize;
                prose.replace_range(start..start + span.len(), &" ".repeat(span.len()));
            } else if !span.trim().contains(char::is_whitespace) {
                self.check_backticked(span.trim(), location, out);
            }
        }
        let words: Vec<(&str, bool)> = prose
            .split_whitespace()
            .map(|w| {
                // `\"` too: a cut JSON answer shown as free text keeps its escapes.
                let quoted = w.trim_start_matches('\\').starts_with(['`', '"', '\'']);
                (w.trim_matches(|c: char| "\"'`,;:()[]!?\\".contains(c)).trim_end_matches('.'), quoted)
            })
            .collect();
        for (i, (word, _)) in words.iter().enumerate() {
            if let Some((left, right)) = word.split_once('/')
                && !right.contains('/')
                && !right.is_empty()
            {
                if let Some(kind) = kind_of(left) {
                    self.check_name(Some(&kind), right, location, out);
                } else if self.cluster.namespaces.contains(left) && looks_like_name(right) {
                    self.check_name(None, right, location, out);
                }
                continue;
            }
            let lower = word.to_ascii_lowercase();
            let Some((_, kind)) = KIND_WORDS.iter().find(|(w, _)| *w == lower) else { continue };
            let mut next = i + 1;
            if words.get(next).is_some_and(|(w, _)| *w == "named" || *w == "called") {
                next += 1;
            }
            let Some((name, quoted)) = words.get(next) else { continue };
            let candidate = if *kind == "image" {
                name.contains([':', '/']) && !name.contains("://")
            } else {
                (*quoted && looks_like_name(name))
                    || (looks_like_name(name) && name.contains(['-', '.']) && !STOPWORDS.contains(name))
            };
            if candidate {
                self.check_name(Some(kind), name, location, out);
            }
        }
        self.check_tokens(text, location, out);
    }

    fn check_backticked(&self, span: &str, location: &str, out: &mut Vec<UnknownName>) {
        let kind_slash_name = span.contains('/') && kind_of(span.split('/').next().unwrap_or("")).is_some();
        if span.starts_with('-') || span.contains("://") || kind_slash_name {
            return; // flags, URLs; `kind/name` is checked with the words
        }
        if span.contains(':') || span.contains('/') {
            if looks_like_image(span) {
                self.check_name(Some("image"), span, location, out);
            }
        } else if looks_like_name(span) && span.contains('-') && !STOPWORDS.contains(&span) {
            self.check_name(None, span, location, out);
        }
    }

    /// With anonymization, a word shaped like a token that restoring left in the text: the model changed it.
    fn check_tokens(&self, text: &str, location: &str, out: &mut Vec<UnknownName>) {
        if !self.tokens {
            return;
        }
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            let Some((prefix, rest)) = word.split_once(['-', '_']) else { continue };
            let prefix_known =
                Kind::ALL.iter().any(|k| k.token_prefix() == prefix) || TOKEN_CATEGORIES.contains(&prefix);
            if prefix_known && rest.starts_with(|c: char| c.is_ascii_digit()) && !self.known(word) {
                push(out, word, None, location, MANGLED_TOKEN);
            }
        }
    }
}

fn push(out: &mut Vec<UnknownName>, name: &str, kind: Option<&str>, location: &str, reason: &str) {
    if let Some(known) = out.iter_mut().find(|u| u.name == name && u.location == location) {
        // A mangled token says more than "not in this cluster", a kind more than none.
        if reason == MANGLED_TOKEN {
            known.reason = reason.to_string();
        }
        if known.kind.is_none() {
            known.kind = kind.map(str::to_string);
        }
        return;
    }
    out.push(UnknownName {
        name: name.to_string(),
        kind: kind.map(str::to_string),
        location: location.to_string(),
        reason: reason.to_string(),
    });
}

/// The kind a kubectl type word names (`deploy`, `pods`, `StorageClass`, `cm`), as its `Kind` name.
fn kind_of(word: &str) -> Option<String> {
    let word = word.split('.').next().unwrap_or(word);
    if let Some(kind) = Kind::parse_user(word) {
        return Some(kind.name().to_string());
    }
    let lower = word.to_ascii_lowercase();
    EXTRA_KINDS
        .contains(&lower.as_str())
        .then(|| if lower.starts_with('c') { "ConfigMap".to_string() } else { "PersistentVolume".to_string() })
}

fn is_placeholder(name: &str) -> bool {
    name.contains(['<', '>', '$', '{', '}', '*', '[', ']', '|'])
        || name.chars().any(|c| c.is_ascii_uppercase())
        || name.contains("...")
        || name.contains('…')
}

/// A DNS-1123-like name: lowercase letters, digits, `-` and `.`, starting and ending alphanumeric.
pub fn looks_like_name(s: &str) -> bool {
    (2..=253).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn looks_like_image(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "._:/@-".contains(c))
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.ends_with(':')
}

/// The contents of Markdown code spans and fenced blocks (each line of a block on its own).
pub fn code_spans(text: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            if !trimmed.is_empty() {
                spans.push(trimmed);
            }
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            if end > 0 {
                spans.push(&after[..end]);
            }
            rest = &after[end + 1..];
        }
    }
    spans
}
