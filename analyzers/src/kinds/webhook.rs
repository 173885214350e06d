//! Validating and mutating admission webhooks whose Service is missing or has no ready endpoints: with
//! `failurePolicy: Fail` (the default) every request they match is rejected.

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{ServiceReference, WebhookClientConfig};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};

use super::service::{endpoint_counts, selected_pods, selector_text};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct WebhookAnalyzer;

const NAME: &str = "webhook";

const SERVICE_MISSING: CodeInfo = CodeInfo {
    code: "webhook-service-missing",
    summary: "A webhook calls a Service that does not exist, so every call to it fails.",
    severity: SeverityRule {
        default: Severity::Critical,
        others: &[Severity::Medium],
        when: "medium when failurePolicy is Ignore",
    },
};
const NO_READY_ENDPOINTS: CodeInfo = CodeInfo {
    code: "webhook-no-ready-endpoints",
    summary: "A webhook calls a Service with no ready endpoints, so every call to it fails.",
    severity: SeverityRule {
        default: Severity::Critical,
        others: &[Severity::Medium],
        when: "medium when failurePolicy is Ignore",
    },
};

impl Analyzer for WebhookAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn subjects(&self) -> &'static [Kind] {
        &[Kind::ValidatingWebhookConfiguration, Kind::MutatingWebhookConfiguration]
    }
    fn kinds(&self) -> &'static [Kind] {
        &[
            Kind::ValidatingWebhookConfiguration,
            Kind::MutatingWebhookConfiguration,
            Kind::Service,
            Kind::Endpoints,
            Kind::EndpointSlice,
            Kind::Pod,
        ]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[SERVICE_MISSING, NO_READY_ENDPOINTS]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        if !snapshot.has_read(Kind::Service) {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for config in snapshot.objects.validating_webhook_configurations.iter() {
            let hooks = config.webhooks.iter().flatten();
            findings.extend(analyze_config(
                snapshot,
                config,
                hooks.map(|w| (&w.name, &w.client_config, &w.failure_policy)),
            ));
        }
        for config in snapshot.objects.mutating_webhook_configurations.iter() {
            let hooks = config.webhooks.iter().flatten();
            findings.extend(analyze_config(
                snapshot,
                config,
                hooks.map(|w| (&w.name, &w.client_config, &w.failure_policy)),
            ));
        }
        findings
    }
}

/// What is wrong with one webhook's Service.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Problem {
    Missing,
    /// Why there is no ready endpoint, as a clause.
    NoReadyEndpoints(String),
}

/// One finding per configuration, Service, problem and failure policy, naming every webhook it concerns: a
/// configuration often registers several webhooks against one Service.
fn analyze_config<'a, K>(
    snapshot: &Snapshot,
    config: &K,
    webhooks: impl Iterator<Item = (&'a String, &'a WebhookClientConfig, &'a Option<String>)>,
) -> Vec<Finding>
where
    K: Resource + Metadata<Ty = ObjectMeta>,
{
    if config.metadata().deletion_timestamp.is_some() {
        return Vec::new();
    }
    let mut grouped: BTreeMap<(String, String, Problem, bool), Vec<&str>> = BTreeMap::new();
    for (name, client, policy) in webhooks {
        // A webhook reached by URL lives outside the cluster (or is addressed directly): nothing here to check.
        let Some(service) = client.service.as_ref() else {
            continue;
        };
        let Some(problem) = service_problem(snapshot, service) else {
            continue;
        };
        // admissionregistration/v1 defaults failurePolicy to Fail.
        let fails_closed = policy.as_deref() != Some("Ignore");
        grouped
            .entry((service.namespace.clone(), service.name.clone(), problem, fails_closed))
            .or_default()
            .push(name.as_str());
    }
    grouped
        .into_iter()
        .map(|((ns, svc, problem, fails_closed), names)| {
            let who = match names.as_slice() {
                [one] => format!("webhook {one} calls"),
                many => format!("webhooks {} call", many.join(", ")),
            };
            let (code, what) = match &problem {
                Problem::Missing => (&SERVICE_MISSING, "which does not exist".to_string()),
                Problem::NoReadyEndpoints(why) => {
                    (&NO_READY_ENDPOINTS, format!("which has no ready endpoints ({why})"))
                }
            };
            let (severity, policy, effect) = if fails_closed {
                (Severity::Critical, "Fail", "matching requests are rejected")
            } else {
                (Severity::Medium, "Ignore", "its calls fail and are skipped")
            };
            snapshot
                .finding(
                    NAME,
                    code,
                    config,
                    severity,
                    format!("{who} service {ns}/{svc}, {what}; failurePolicy {policy}: {effect}"),
                )
                .with_evidence([
                    Evidence::field("service", format!("{ns}/{svc}")),
                    Evidence::field("failurePolicy", policy),
                    Evidence::field("webhooks", names.join(", ")),
                ])
        })
        .collect()
}

fn service_problem(snapshot: &Snapshot, reference: &ServiceReference) -> Option<Problem> {
    let (ns, name) = (reference.namespace.as_str(), reference.name.as_str());
    let Some(service) = snapshot.objects.services.get(ns, name) else {
        return Some(Problem::Missing);
    };
    let spec = service.spec.as_ref()?;
    // An ExternalName Service resolves through DNS and has no endpoints of its own.
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    // Selector-less Services count through the Endpoints their owner writes by hand, like any other.
    let counts = endpoint_counts(snapshot, ns, name)?;
    if counts.ready > 0 {
        return None;
    }
    let selector = spec.selector.as_ref().filter(|s| !s.is_empty());
    let why = match selector.map(|s| (selector_text(s), selected_pods(snapshot, ns, s))) {
        Some((sel, Some((0, _)))) => format!("selector {sel} matches no pods"),
        Some((sel, Some((1, _)))) => format!("selector {sel} matches 1 pod, not ready"),
        Some((sel, Some((live, _)))) => format!("selector {sel} matches {live} pods, none ready"),
        _ if counts.not_ready > 0 => format!("{} not ready", counts.not_ready),
        Some(_) => "no endpoints".to_string(),
        None => "no endpoints written for this selector-less service".to_string(),
    };
    Some(Problem::NoReadyEndpoints(why))
}
