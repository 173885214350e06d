//! What an object may keep once it enters a snapshot. Every object passes through here, live or loaded from a file,
//! so values that look like credentials never reach a saved snapshot, an output, a prompt, the cache or a report.
//!
//! - Secrets: no payload ever, and only the annotations on [`SECRET_ANNOTATIONS`] (a Secret applied with kubectl
//!   carries its whole payload in `kubectl.kubernetes.io/last-applied-configuration`).
//! - Unless values are kept on purpose ([`ValuePolicy::Keep`]): every object loses that annotation (it repeats the
//!   spec, env values included), and pod specs lose env `value`s (names and `valueFrom` references stay), header
//!   values of probes whose names say they carry credentials, and credential-like arguments and URL passwords in
//!   commands, args and exec probes.
//! - ConfigMaps: the key names of `data` and `binaryData` only, whatever the policy: every value becomes empty,
//!   and kubectl's last-applied annotation (which repeats them) goes too. Analyzers need to know which keys exist,
//!   never what they hold, and a ConfigMap holds configuration that may well be secret in all but name.
//! - Always: `managedFields`, which only adds bulk.

use crate::model::{
    Container, CronJob, DaemonSet, Deployment, Job, Pod, PodSpec, PodTemplateSpec, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::core::v1::{ConfigMap, EphemeralContainer, HTTPHeader, LifecycleHandler, Probe, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The annotation kubectl writes on `apply`; it holds the applied object verbatim.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Secret annotations worth keeping: they name who owns the Secret, never what it holds.
const SECRET_ANNOTATIONS: &[&str] = &[
    "kubernetes.io/service-account.name",
    "kubernetes.io/service-account.uid",
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
];
/// Annotation prefixes kept on Secrets: cert-manager records the issuer and the certificate there.
const SECRET_ANNOTATION_PREFIXES: &[&str] = &["cert-manager.io/"];

/// The placeholder that replaces a redacted value.
pub const REDACTED: &str = "<redacted>";

/// Whether values that may be credentials are kept (`mekhanikube snapshot --keep-values`) or dropped (default).
/// Secret payloads are dropped either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValuePolicy {
    #[default]
    Redact,
    Keep,
}

/// Scrubbing of one kind. Every kind in the kind table implements it, so a new kind cannot skip this step.
pub trait Scrub {
    fn scrub(&mut self, policy: ValuePolicy);
}

/// Metadata rules shared by every kind.
pub(crate) fn scrub_meta(meta: &mut ObjectMeta, policy: ValuePolicy) {
    meta.managed_fields = None;
    // Decoded straight from text, an array has room for four (see `model::exact`).
    if let Some(owners) = meta.owner_references.as_mut() {
        owners.shrink_to_fit();
    }
    if policy == ValuePolicy::Redact
        && let Some(annotations) = meta.annotations.as_mut()
    {
        annotations.remove(LAST_APPLIED);
    }
}

impl Scrub for Secret {
    fn scrub(&mut self, _policy: ValuePolicy) {
        self.data = None;
        self.string_data = None;
        if let Some(annotations) = self.metadata.annotations.as_mut() {
            annotations.retain(|key, _| {
                SECRET_ANNOTATIONS.contains(&key.as_str())
                    || SECRET_ANNOTATION_PREFIXES.iter().any(|p| key.starts_with(p))
            });
        }
    }
}

impl Scrub for ConfigMap {
    fn scrub(&mut self, _policy: ValuePolicy) {
        // Not even `--keep-values` keeps them: key names are all any analyzer needs.
        for value in self.data.iter_mut().flat_map(|d| d.values_mut()) {
            value.clear();
        }
        for value in self.binary_data.iter_mut().flat_map(|d| d.values_mut()) {
            value.0.clear();
        }
        if let Some(annotations) = self.metadata.annotations.as_mut() {
            annotations.remove(LAST_APPLIED);
        }
    }
}

impl Scrub for Pod {
    fn scrub(&mut self, policy: ValuePolicy) {
        scrub_pod_spec(self.spec.as_mut(), policy);
    }
}

macro_rules! scrub_template {
    ($($ty:ty => |$obj:ident| $template:expr),* $(,)?) => {
        $(impl Scrub for $ty {
            fn scrub(&mut self, policy: ValuePolicy) {
                let $obj = self;
                scrub_template($template, policy);
            }
        })*
    };
}

scrub_template! {
    Deployment => |o| o.spec.as_mut().map(|s| &mut s.template),
    ReplicaSet => |o| o.spec.as_mut().and_then(|s| s.template.as_mut()),
    StatefulSet => |o| o.spec.as_mut().map(|s| &mut s.template),
    DaemonSet => |o| o.spec.as_mut().map(|s| &mut s.template),
    Job => |o| o.spec.as_mut().map(|s| &mut s.template),
    CronJob => |o| o.spec.job_template.spec.as_mut().map(|s| &mut s.template),
}

/// Kinds whose objects hold nothing beyond what the metadata rules cover.
macro_rules! metadata_only {
    ($($ty:ty),* $(,)?) => { $(impl Scrub for $ty { fn scrub(&mut self, _policy: ValuePolicy) {} })* };
}

metadata_only!(
    k8s_openapi::api::core::v1::Namespace,
    k8s_openapi::api::core::v1::Node,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::Endpoints,
    k8s_openapi::api::discovery::v1::EndpointSlice,
    k8s_openapi::api::networking::v1::Ingress,
    k8s_openapi::api::networking::v1::IngressClass,
    k8s_openapi::api::core::v1::PersistentVolumeClaim,
    k8s_openapi::api::storage::v1::StorageClass,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration,
    k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration,
    // CEL expressions and messages written by cluster admins; parameters live in the objects `paramRef` names.
    k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy,
    k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
    k8s_openapi::api::core::v1::Event,
    k8s_openapi::api::core::v1::ResourceQuota,
    k8s_openapi::api::core::v1::LimitRange,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::core::v1::PersistentVolume,
    k8s_openapi::api::scheduling::v1::PriorityClass,
);

fn scrub_template(template: Option<&mut PodTemplateSpec>, policy: ValuePolicy) {
    if let Some(template) = template {
        if let Some(meta) = template.metadata.as_mut() {
            scrub_meta(meta, policy);
        }
        scrub_pod_spec(template.spec.as_mut(), policy);
    }
}

fn scrub_pod_spec(spec: Option<&mut PodSpec>, policy: ValuePolicy) {
    let Some(spec) = spec else { return };
    if policy == ValuePolicy::Keep {
        return;
    }
    for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
        scrub_container(c);
    }
    for c in spec.ephemeral_containers.iter_mut().flatten() {
        scrub_ephemeral_container(c);
    }
}

/// Containers and ephemeral containers are two types in the API with the same fields.
macro_rules! scrub_container_fields {
    ($c:expr) => {{
        let c = $c;
        // Values dropped, names kept.
        for var in c.env.iter_mut().flatten() {
            var.value = None;
        }
        scrub_args(c.command.as_mut());
        scrub_args(c.args.as_mut());
        for probe in [&mut c.liveness_probe, &mut c.readiness_probe, &mut c.startup_probe] {
            // Boxed in the compact container, inline in the API's ephemeral one.
            scrub_probe(probe.as_mut().map(|p| std::borrow::BorrowMut::<Probe>::borrow_mut(p)));
        }
        if let Some(lifecycle) = c.lifecycle.as_mut() {
            scrub_handler(lifecycle.post_start.as_mut());
            scrub_handler(lifecycle.pre_stop.as_mut());
        }
    }};
}

fn scrub_container(c: &mut Container) {
    scrub_container_fields!(c)
}

fn scrub_ephemeral_container(c: &mut EphemeralContainer) {
    scrub_container_fields!(c)
}

fn scrub_args(args: Option<&mut Vec<String>>) {
    if let Some(args) = args {
        *args = redact_args(args);
    }
}

fn scrub_probe(probe: Option<&mut Probe>) {
    let Some(probe) = probe else { return };
    if let Some(exec) = probe.exec.as_mut() {
        scrub_args(exec.command.as_mut());
    }
    if let Some(http) = probe.http_get.as_mut() {
        scrub_headers(http.http_headers.as_mut());
    }
}

fn scrub_handler(handler: Option<&mut LifecycleHandler>) {
    let Some(handler) = handler else { return };
    if let Some(exec) = handler.exec.as_mut() {
        scrub_args(exec.command.as_mut());
    }
    if let Some(http) = handler.http_get.as_mut() {
        scrub_headers(http.http_headers.as_mut());
    }
}

fn scrub_headers(headers: Option<&mut Vec<HTTPHeader>>) {
    for header in headers.into_iter().flatten() {
        if is_credential_name(&header.name) {
            header.value = REDACTED.to_string();
        }
    }
}

/// Whether a flag, variable or header name says that its value is a credential.
pub fn is_credential_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["pass", "secret", "token", "apikey", "api-key", "api_key", "credential", "auth", "private"]
        .iter()
        .any(|w| lower.contains(w))
}

/// A command line with the values of credential-like flags (`--password x`, `--token=x`, `DB_PASS=x`) and the
/// passwords of URLs replaced by [`REDACTED`].
pub fn redact_args<S: AsRef<str>>(items: &[S]) -> Vec<String> {
    let mut out = Vec::with_capacity(items.len());
    let mut redact_next = false;
    for item in items.iter().map(AsRef::as_ref) {
        let mut text = item.to_string();
        if redact_next && !item.starts_with('-') {
            text = REDACTED.to_string();
        }
        redact_next = false;
        if let Some((key, _)) = item.split_once('=') {
            if is_credential_name(key) {
                text = format!("{key}={REDACTED}");
            }
        } else if item.starts_with('-') && is_credential_name(item) {
            redact_next = true;
        }
        out.push(redact_url_passwords(&text));
    }
    out
}

/// Replaces the password of every `scheme://user:password@host` in a text.
pub fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // Quotes do not end the authority: `'` is legal in a password, and stopping at one let the rest through.
        let end = tail.find(|c: char| c.is_whitespace() || c == '/').unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@').map(|at| (at, authority[..at].split_once(':'))) {
            Some((at, Some((user, _)))) => {
                out.push_str(user);
                out.push(':');
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A container's log line with what looks like a credential replaced by [`REDACTED`]: the value after a
/// credential-like name (`password=x`, `token: x`, `"apiKey":"x"`), the credentials of `Authorization`-style
/// schemes (`Bearer x`, `Basic x`), JSON Web Tokens and URL passwords. Logs are free text, so this errs on the
/// side of hiding: a value is whatever runs to the next space, quote, comma or semicolon.
pub fn redact_log_line(line: &str) -> String {
    let line = redact_url_passwords(line);
    let mut out = String::with_capacity(line.len());
    let mut state = Wait::None;
    // Words end at spaces and at the punctuation between pairs of JSON and query strings (`{"a":"b","c":"d"}`).
    let mut rest = line.as_str();
    while !rest.is_empty() {
        let end = rest.find([' ', ',', '{', '}', '&', ';']).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let delimiter = after.chars().next();
        rest = delimiter.map_or(after, |d| &after[d.len_utf8()..]);
        let lower = word.to_ascii_lowercase();
        let bare = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let separator = !word.is_empty() && word.chars().all(|c| matches!(c, ':' | '=' | '"' | '\''));
        let (shown, next) = match state {
            _ if word.is_empty() => (word.to_string(), state),
            Wait::Value if separator || matches!(bare, "bearer" | "basic") => (word.to_string(), Wait::Value),
            Wait::Value => (redact_value(word), Wait::None),
            Wait::Name if separator => (word.to_string(), Wait::Value),
            _ => redact_word(word, bare),
        };
        out.push_str(&shown);
        out.extend(delimiter);
        // Punctuation other than a space ends a value that was waiting (`token:,` holds none).
        state = if delimiter.is_some_and(|d| d != ' ') && !word.is_empty() { Wait::None } else { next };
    }
    out
}

/// Where a credential's value may come: after a credential-like name and a separator (`token = x`), or right
/// after a name that ends in one (`password: x`, `Bearer x`).
#[derive(Clone, Copy)]
enum Wait {
    None,
    Name,
    Value,
}

/// A value, keeping the quotes and punctuation around it: `"x",` becomes `"<redacted>",`.
fn redact_value(word: &str) -> String {
    let start = word.find(|c: char| !matches!(c, '"' | '\'' | '(' | '[')).unwrap_or(word.len());
    let value = &word[start..];
    let end = value.find(['"', '\'', ',', ';', '}', ')', ']', '&']).unwrap_or(value.len());
    format!("{}{REDACTED}{}", &word[..start], &value[end..])
}

/// One space-separated word outside a name/value pair: `name=value`, `name:value` or `"name":"value"` with a
/// credential-like name keeps the name; a JSON Web Token goes whole; a credential-like name alone waits for its
/// value.
fn redact_word(word: &str, bare: &str) -> (String, Wait) {
    if looks_like_jwt(word) {
        return (REDACTED.to_string(), Wait::None);
    }
    if matches!(bare, "bearer" | "basic") {
        return (word.to_string(), Wait::Value);
    }
    if let Some(at) = word.find(['=', ':']) {
        let name = word[..at].trim_matches(|c: char| matches!(c, '"' | '\'' | '{' | ',' | '['));
        if !is_credential_name(name) {
            return (word.to_string(), Wait::None);
        }
        let rest = &word[at..];
        let value_start = rest.find(|c: char| !matches!(c, ':' | '=' | '"' | '\'')).unwrap_or(rest.len());
        if value_start == rest.len() {
            return (word.to_string(), Wait::Value);
        }
        return (format!("{}{}", &word[..at + value_start], redact_value(&rest[value_start..])), Wait::None);
    }
    if word.len() < 40 && is_credential_name(bare) {
        return (word.to_string(), Wait::Name);
    }
    (word.to_string(), Wait::None)
}

/// Three base64url segments, the first a JSON header (`eyJ`).
fn looks_like_jwt(word: &str) -> bool {
    let token = word.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')));
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && token.starts_with("eyJ")
        && parts.iter().all(|p| p.len() >= 8 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_log_lines_are_redacted() {
        let cases = [
            ("connecting with password=hunter2 to db", "connecting with password=<redacted> to db"),
            ("DB_PASSWORD: hunter2", "DB_PASSWORD: <redacted>"),
            (
                r#"{"level":"error","apiKey":"abc123","msg":"denied"}"#,
                r#"{"level":"error","apiKey":"<redacted>","msg":"denied"}"#,
            ),
            ("Authorization: Bearer abc.def", "Authorization: Bearer <redacted>"),
            ("token = s3cr3t; retrying", "token = <redacted>; retrying"),
            ("got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2lnbmF0dXJlMTIz back", "got <redacted> back"),
            ("dial postgres://app:hunter2@db:5432/x failed", "dial postgres://app:<redacted>@db:5432/x failed"),
        ];
        for (line, want) in cases {
            assert_eq!(redact_log_line(line), want, "{line}");
        }
    }

    #[test]
    fn ordinary_log_lines_are_kept() {
        for line in [
            "Error: connect ECONNREFUSED 10.0.0.1:5432",
            "panic: runtime error: index out of range [3] with length 2",
            "level=info msg=\"listening on :8080\" user=me",
            "2026-11-30T10:00:00Z starting server version=1.2.3",
            "the token bucket is empty",
        ] {
            assert_eq!(redact_log_line(line), line);
        }
    }

    #[test]
    fn flags_assignments_and_url_passwords_are_redacted() {
        let args = ["/bin/server", "--db-password", "hunter2", "--token=abc", "--url=postgres://u:pw@db:5432/x"];
        assert_eq!(
            redact_args(&args),
            [
                "/bin/server",
                "--db-password",
                "<redacted>",
                "--token=<redacted>",
                "--url=postgres://u:<redacted>@db:5432/x"
            ]
        );
    }

    #[test]
    fn ordinary_arguments_are_kept() {
        let args = ["--port", "8080", "--log-level=debug", "http://example.invalid/path", "--verbose", "x"];
        assert_eq!(redact_args(&args), args);
        assert_eq!(redact_url_passwords("user@host and ssh://git@host/repo"), "user@host and ssh://git@host/repo");
    }

    #[test]
    fn a_flag_followed_by_another_flag_redacts_nothing() {
        assert_eq!(redact_args(&["--password", "--debug", "x"]), ["--password", "--debug", "x"]);
    }
}
