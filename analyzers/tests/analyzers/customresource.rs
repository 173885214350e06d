use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_severity, codes_and_names, find, load};

const ANALYZER: &str = "customresource";

#[test]
fn reports_each_failing_shape_once() {
    let findings = analyze(ANALYZER, "customresource/broken.yaml");
    let mut got = codes_and_names(&findings);
    got.sort();
    let mut expected: Vec<(String, String)> = [
        ("custom-resource-not-ready", "web-tls"),
        ("custom-resource-not-ready", "db"),
        ("custom-resource-not-ready", "podinfo"),
        ("custom-resource-not-ready", "shop-assets"),
        ("custom-resource-not-ready", "orders"),
        ("custom-resource-not-ready", "admin-tls"),
        ("custom-resource-failed", "shop"),
        ("custom-resource-failed", "billing"),
        ("custom-resource-failed", "nightly-20261130"),
        ("custom-resource-stuck-progressing", "web"),
        ("custom-resource-stuck-progressing", "infra"),
        ("custom-resource-not-observed", "orders-db"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn severity_follows_which_condition_and_how_long() {
    let findings = analyze(ANALYZER, "customresource/broken.yaml");
    let certificate = find(&findings, "custom-resource-not-ready", "web-tls");
    assert_severity(certificate, Severity::High);
    assert_eq!(
        certificate.message,
        "Certificate Ready is False (Failed): The certificate request has failed to complete and will be retried: \
         ACME order is in state invalid (since 2026-11-30T10:00:00Z)"
    );
    assert_eq!(certificate.object.api_version, "cert-manager.io/v1");
    // Young: still being set up. No time: how long is unknown.
    assert_severity(find(&findings, "custom-resource-not-ready", "admin-tls"), Severity::Low);
    assert_severity(find(&findings, "custom-resource-not-ready", "orders"), Severity::Medium);
    // Ready is named before Stalled, and both are evidence.
    let release = find(&findings, "custom-resource-not-ready", "podinfo");
    assert!(release.message.starts_with("HelmRelease Ready is False (UpgradeFailed)"), "{}", release.message);
    assert_eq!(release.evidence.len(), 2);
    // Synced=False is reported though Ready=True.
    let bucket = find(&findings, "custom-resource-not-ready", "shop-assets");
    assert!(bucket.message.starts_with("Bucket Synced is False (ReconcileError)"), "{}", bucket.message);
    assert!(bucket.object.namespace.is_none(), "cluster-scoped");
}

#[test]
fn phases_health_and_stalls() {
    let findings = analyze(ANALYZER, "customresource/broken.yaml");
    let degraded = find(&findings, "custom-resource-failed", "shop");
    assert_severity(degraded, Severity::High);
    assert!(degraded.message.contains("exceeded its progress deadline"), "{}", degraded.message);
    assert_severity(find(&findings, "custom-resource-failed", "billing"), Severity::Medium);
    assert_severity(find(&findings, "custom-resource-failed", "nightly-20261130"), Severity::High);
    // A failure reason on a transient condition, though Available=True.
    assert_severity(find(&findings, "custom-resource-stuck-progressing", "web"), Severity::High);
    let infra = find(&findings, "custom-resource-stuck-progressing", "infra");
    assert_severity(infra, Severity::Medium);
    assert!(infra.message.ends_with("(since 2026-11-30T11:15:00Z)"), "{}", infra.message);
    let unobserved = find(&findings, "custom-resource-not-observed", "orders-db");
    assert!(unobserved.message.contains("generation 4"), "{}", unobserved.message);
    assert!(unobserved.message.ends_with("last written at 2026-11-30T11:00:00Z"), "{}", unobserved.message);
}

/// The failure mode users hate most: healthy resources of many operators, with conditions of every polarity,
/// strings where numbers are expected, reconciles in flight and spec writes seconds old.
#[test]
fn healthy_resources_of_many_operators_are_not_findings() {
    let snapshot = load("customresource/healthy.yaml");
    assert!(snapshot.custom.len() >= 25, "the fixture loads: {}", snapshot.custom.len());
    let findings = analyze(ANALYZER, "customresource/healthy.yaml");
    let serious: Vec<_> = findings.iter().filter(|f| f.severity.at_least(Severity::Medium)).collect();
    assert!(serious.is_empty(), "{serious:#?}");
    // The Certificate issued seconds ago is the only thing said, and only as low.
    assert_eq!(codes_and_names(&findings), [("custom-resource-not-ready".to_string(), "new-tls".to_string())]);
    assert_severity(&findings[0], Severity::Low);
}

#[test]
fn without_a_clock_ages_are_unknown_and_nothing_is_called_young_or_stuck() {
    let text = std::fs::read_to_string(crate::common::fixture_path("customresource/broken.yaml")).unwrap();
    let mut value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let items = value["items"].as_array_mut().unwrap();
    // Keep only objects with no observed time: strip every time field, which removes the clock.
    for item in items.iter_mut() {
        strip_times(item);
    }
    let mut builder = mekhanikube_analyzers::SnapshotBuilder::new();
    builder.add_document("no-clock", value).unwrap();
    let snapshot = builder.build();
    assert_eq!(snapshot.read_at(), None);
    let findings = mekhanikube_analyzers::run(&mekhanikube_analyzers::select(&[ANALYZER.into()]).unwrap(), &snapshot);
    let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    assert!(!codes.contains(&"custom-resource-not-observed"), "{codes:?}");
    assert!(findings.iter().filter(|f| f.code == "custom-resource-not-ready").all(|f| f.severity == Severity::Medium));
    // Only the failure reason remains a stall without a clock.
    let stalls: Vec<&str> = findings
        .iter()
        .filter(|f| f.code == "custom-resource-stuck-progressing")
        .map(|f| f.object.name.as_str())
        .collect();
    assert_eq!(stalls, ["web"]);
}

fn strip_times(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !mekhanikube_analyzers::clock::OBSERVED_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(strip_times);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_times),
        _ => {}
    }
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze(ANALYZER, "customresource/broken.yaml"));
}
