use mekhanikube_analyzers::{Evidence, Severity};

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names};

#[test]
fn reports_each_webhook_failure_with_its_code() {
    let findings = analyze("webhook", "webhook/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("webhook-no-ready-endpoints", "kyverno-resource-validating-webhook-cfg"),
        ("webhook-no-ready-endpoints", "kyverno-resource-validating-webhook-cfg"),
        ("webhook-service-missing", "istio-sidecar-injector"),
        ("webhook-no-ready-endpoints", "gatekeeper-validating-webhook-configuration"),
        ("webhook-no-ready-endpoints", "policy-webhook"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

fn message_of<'a>(
    findings: &'a [mekhanikube_analyzers::Finding],
    config: &str,
    webhook: &str,
) -> &'a mekhanikube_analyzers::Finding {
    findings
        .iter()
        .find(|f| f.object.name == config && f.message.contains(webhook))
        .unwrap_or_else(|| panic!("no finding on {config} naming {webhook}"))
}

#[test]
fn severity_follows_the_failure_policy() {
    let findings = analyze("webhook", "webhook/broken.yaml");
    let config = "kyverno-resource-validating-webhook-cfg";
    let fail = message_of(&findings, config, "validate.kyverno.svc-fail");
    assert_severity(fail, Severity::Critical);
    assert_eq!(
        fail.message,
        "webhook validate.kyverno.svc-fail calls service kyverno/kyverno-svc, which has no ready endpoints \
         (selector app.kubernetes.io/component=admission-controller matches 1 pod, not ready); \
         failurePolicy Fail: matching requests are rejected"
    );
    let ignore = message_of(&findings, config, "validate.kyverno.svc-ignore");
    assert_severity(ignore, Severity::Medium);
    assert!(ignore.evidence.contains(&Evidence::field("failurePolicy", "Ignore")), "{:?}", ignore.evidence);
    // No failurePolicy means Fail in admissionregistration/v1.
    let gatekeeper = message_of(&findings, "gatekeeper-validating-webhook-configuration", "validation.gatekeeper.sh");
    assert_severity(gatekeeper, Severity::Critical);
    assert!(gatekeeper.message.contains("matches no pods"), "{}", gatekeeper.message);
}

#[test]
fn webhooks_sharing_a_missing_service_are_one_finding_on_the_configuration() {
    let findings = analyze("webhook", "webhook/broken.yaml");
    let istio = message_of(&findings, "istio-sidecar-injector", "rev.object.sidecar-injector.istio.io");
    assert_eq!(istio.code, "webhook-service-missing");
    assert_eq!(istio.object.kind, "MutatingWebhookConfiguration");
    assert_severity(istio, Severity::Critical);
    assert!(
        istio.message.starts_with(
            "webhooks rev.namespace.sidecar-injector.istio.io, rev.object.sidecar-injector.istio.io call service \
             istio-system/istiod, which does not exist"
        ),
        "{}",
        istio.message
    );
}

#[test]
fn selector_less_service_without_endpoints_is_reported() {
    let findings = analyze("webhook", "webhook/broken.yaml");
    let policy = message_of(&findings, "policy-webhook", "check.policy.example.com");
    assert!(policy.message.contains("no endpoints written for this selector-less service"), "{}", policy.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("webhook", "webhook/broken.yaml"));
}

#[test]
fn url_external_name_and_manual_endpoint_webhooks_are_not_findings() {
    assert_no_findings("webhook", "webhook/healthy.yaml");
}

#[test]
fn services_that_were_not_read_are_not_reported_missing() {
    assert_no_findings("webhook", "webhook/not-read.yaml");
}
