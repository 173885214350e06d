//! Ingresses: an IngressClass that does not exist (or no class at all), backends that name a missing Service or
//! a port the Service does not expose, and TLS Secrets that do not exist.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, IngressServiceBackend};

use super::{name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct IngressAnalyzer;

const NAME: &str = "ingress";

/// The pre-IngressClass way of choosing a controller; its value is a controller's class, not an object name.
const LEGACY_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";
/// Annotations that make cert-manager issue the TLS Secret of an Ingress.
const CERT_MANAGER_ANNOTATIONS: [&str; 3] =
    ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer", "kubernetes.io/tls-acme"];

const CLASS_NOT_FOUND: CodeInfo = CodeInfo {
    code: "ingress-class-not-found",
    summary: "The Ingress names an IngressClass that does not exist, so no controller serves it.",
    severity: SeverityRule::fixed(Severity::High),
};
const NO_CLASS: CodeInfo = CodeInfo {
    code: "ingress-no-class",
    summary: "The Ingress has no class and the cluster has no default IngressClass, so controllers may ignore it.",
    severity: SeverityRule::fixed(Severity::Medium),
};
const SERVICE_MISSING: CodeInfo = CodeInfo {
    code: "ingress-backend-service-missing",
    summary: "A backend of the Ingress names a Service that does not exist.",
    severity: SeverityRule::fixed(Severity::High),
};
const PORT_MISSING: CodeInfo = CodeInfo {
    code: "ingress-backend-port-missing",
    summary: "A backend of the Ingress names a port its Service does not expose.",
    severity: SeverityRule::fixed(Severity::High),
};
const TLS_SECRET_MISSING: CodeInfo = CodeInfo {
    code: "ingress-tls-secret-missing",
    summary: "A TLS entry of the Ingress names a Secret that does not exist, so the controller serves a default certificate.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium],
        when: "medium when a cert-manager annotation says the Secret is still to be issued",
    },
};

const TLS_SECRET_ELSEWHERE: CodeInfo = CodeInfo {
    code: "ingress-tls-secret-other-namespace",
    summary: "A TLS entry of the Ingress names a Secret that does not exist in its namespace but does in another: an Ingress can only use a Secret of its own namespace, so the controller serves a default certificate.",
    severity: SeverityRule::fixed(Severity::High),
};

impl Analyzer for IngressAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Ingress, Kind::IngressClass, Kind::Service, Kind::Secret]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[CLASS_NOT_FOUND, NO_CLASS, SERVICE_MISSING, PORT_MISSING, TLS_SECRET_MISSING, TLS_SECRET_ELSEWHERE]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.ingresses.iter().flat_map(|ing| analyze_ingress(snapshot, ing)).collect()
    }
}

fn analyze_ingress(snapshot: &Snapshot, ing: &Ingress) -> Vec<Finding> {
    let mut findings = Vec::new();
    if ing.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let Some(spec) = ing.spec.as_ref() else {
        return findings;
    };
    let ns = namespace_of(&ing.metadata);
    let annotation = |key: &str| ing.metadata.annotations.as_ref().and_then(|a| a.get(key)).map(String::as_str);

    if snapshot.has_read(Kind::IngressClass) && annotation(LEGACY_CLASS_ANNOTATION).is_none() {
        findings.extend(class_finding(snapshot, ing, spec.ingress_class_name.as_deref()));
    }

    if snapshot.has_read(Kind::Service) {
        // Each distinct backend once, at the first place it is used.
        let mut seen = BTreeSet::new();
        for (place, backend) in service_backends(ing) {
            let port = port_text(backend);
            if seen.insert((backend.name.as_str(), port.clone())) {
                findings.extend(backend_finding(snapshot, ing, ns, &place, backend, &port));
            }
        }
    }

    if snapshot.has_read(Kind::Secret) {
        let cert_manager = CERT_MANAGER_ANNOTATIONS.iter().find_map(|k| annotation(k).map(|v| (*k, v)));
        let mut seen = BTreeSet::new();
        for tls in spec.tls.iter().flatten() {
            // No secretName: the controller's default certificate is used on purpose.
            let Some(secret) = tls.secret_name.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            if !seen.insert(secret) || snapshot.objects.secrets.get(ns, secret).is_some() {
                continue;
            }
            let hosts = tls.hosts.as_deref().unwrap_or_default().join(", ");
            let for_hosts = if hosts.is_empty() { String::new() } else { format!(" (TLS for {hosts})") };
            // Namespaces that hold a Secret of that name (only those read: a namespaced read sees none other).
            let elsewhere: Vec<&str> = snapshot
                .objects
                .secrets
                .iter()
                .filter(|s| name_of(&s.metadata) == secret && namespace_of(&s.metadata) != ns)
                .map(|s| namespace_of(&s.metadata))
                .collect();
            if cert_manager.is_none() && !elsewhere.is_empty() {
                let namespaces = elsewhere.join(", ");
                findings.push(
                    snapshot
                        .finding(
                            NAME,
                            &TLS_SECRET_ELSEWHERE,
                            ing,
                            Severity::High,
                            format!(
                                "secret {secret}{for_hosts} does not exist in namespace {ns}: a Secret of that name \
                                 exists only in another namespace, and an Ingress can use only its own namespace's"
                            ),
                        )
                        .with_evidence([
                            Evidence::field("secretName", secret),
                            Evidence::field("foundInNamespaces", namespaces),
                        ])
                        .with_evidence((!hosts.is_empty()).then(|| Evidence::field("hosts", hosts))),
                );
                continue;
            }
            // cert-manager creates the Secret once the certificate is issued; until then this is expected to heal.
            let (severity, issuing) = match cert_manager {
                Some((key, issuer)) => (Severity::Medium, format!(", not issued yet by cert-manager ({key}={issuer})")),
                None => (Severity::High, String::new()),
            };
            findings.push(
                snapshot
                    .finding(
                        NAME,
                        &TLS_SECRET_MISSING,
                        ing,
                        severity,
                        format!("secret {secret}{for_hosts} does not exist{issuing}"),
                    )
                    .with_evidence([Evidence::field("secretName", secret)])
                    .with_evidence((!hosts.is_empty()).then(|| Evidence::field("hosts", hosts))),
            );
        }
    }
    findings
}

fn class_finding(snapshot: &Snapshot, ing: &Ingress, class: Option<&str>) -> Option<Finding> {
    let classes = &snapshot.objects.ingress_classes;
    match class.filter(|c| !c.is_empty()) {
        Some(class) if classes.get("", class).is_none() => {
            let known = classes.iter().map(|c| name_of(&c.metadata)).collect::<Vec<_>>();
            let known = if known.is_empty() {
                "no IngressClass exists".to_string()
            } else {
                format!("existing classes: {}", known.join(", "))
            };
            Some(
                snapshot
                    .finding(
                        NAME,
                        &CLASS_NOT_FOUND,
                        ing,
                        Severity::High,
                        format!("ingress class {class} does not exist ({known})"),
                    )
                    .with_evidence([Evidence::field("ingressClassName", class)]),
            )
        }
        Some(_) => None,
        None => {
            let has_default = classes.iter().any(|c| {
                c.metadata.annotations.as_ref().and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION)).map(String::as_str)
                    == Some("true")
            });
            (!has_default).then(|| {
                snapshot.finding(
                    NAME,
                    &NO_CLASS,
                    ing,
                    Severity::Medium,
                    "ingress has no ingressClassName and no IngressClass is marked default",
                )
            })
        }
    }
}

/// Every Service backend with where it is used: the default backend, then each rule path in order. Resource
/// backends are not Services and are left out.
fn service_backends(ing: &Ingress) -> Vec<(String, &IngressServiceBackend)> {
    let mut out = Vec::new();
    let Some(spec) = ing.spec.as_ref() else {
        return out;
    };
    if let Some(svc) = spec.default_backend.as_ref().and_then(|b| b.service.as_ref()) {
        out.push(("default backend".to_string(), svc));
    }
    for rule in spec.rules.iter().flatten() {
        let host = rule.host.as_deref().unwrap_or("*");
        for path in rule.http.iter().flat_map(|h| h.paths.iter()) {
            if let Some(svc) = path.backend.service.as_ref() {
                out.push((format!("path {host}{}", path.path.as_deref().unwrap_or("/")), svc));
            }
        }
    }
    out
}

fn port_text(backend: &IngressServiceBackend) -> String {
    let port = backend.port.as_ref();
    match (port.and_then(|p| p.number), port.and_then(|p| p.name.as_deref())) {
        (Some(n), _) => n.to_string(),
        (None, Some(name)) => name.to_string(),
        (None, None) => String::new(),
    }
}

fn backend_finding(
    snapshot: &Snapshot,
    ing: &Ingress,
    ns: &str,
    place: &str,
    backend: &IngressServiceBackend,
    port: &str,
) -> Option<Finding> {
    let name = backend.name.as_str();
    let evidence = [Evidence::field("service", name), Evidence::field("port", port)];
    let Some(svc) = snapshot.objects.services.get(ns, name) else {
        return Some(
            snapshot
                .finding(
                    NAME,
                    &SERVICE_MISSING,
                    ing,
                    Severity::High,
                    format!("{place} routes to service {name}, which does not exist"),
                )
                .with_evidence(evidence),
        );
    };
    if !port_missing(svc, backend) {
        return None;
    }
    let exposed: Vec<String> = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .map(|p| match p.name.as_deref() {
            Some(n) if !n.is_empty() => format!("{} ({n})", p.port),
            _ => p.port.to_string(),
        })
        .collect();
    let exposed = if exposed.is_empty() { "no ports".to_string() } else { exposed.join(", ") };
    Some(
        snapshot
            .finding(
                NAME,
                &PORT_MISSING,
                ing,
                Severity::High,
                format!("{place} routes to port {port} of service {name}, which exposes {exposed}"),
            )
            .with_evidence(evidence),
    )
}

/// Whether the backend's port, by number or by name, is absent from the Service. ExternalName Services forward
/// to whatever port is asked and are never judged.
fn port_missing(svc: &Service, backend: &IngressServiceBackend) -> bool {
    let Some(spec) = svc.spec.as_ref() else {
        return false;
    };
    if spec.type_.as_deref() == Some("ExternalName") {
        return false;
    }
    let ports = spec.ports.as_deref().unwrap_or_default();
    let wanted = backend.port.as_ref();
    match (wanted.and_then(|p| p.number), wanted.and_then(|p| p.name.as_deref())) {
        (Some(number), _) => !ports.iter().any(|p| p.port == number),
        (None, Some(name)) => !ports.iter().any(|p| p.name.as_deref() == Some(name)),
        (None, None) => false,
    }
}
