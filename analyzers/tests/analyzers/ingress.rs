use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn reports_each_ingress_failure_with_its_code() {
    let findings = analyze("ingress", "ingress/broken.yaml");
    let got = codes_and_names(&findings);
    let expected = [
        ("ingress-class-not-found", "storefront"),
        ("ingress-no-class", "legacy-site"),
        ("ingress-backend-service-missing", "api"),
        ("ingress-backend-port-missing", "api"),
        ("ingress-backend-port-missing", "api"),
        ("ingress-tls-secret-missing", "shop-tls"),
        ("ingress-tls-secret-missing", "blog"),
        ("ingress-tls-secret-other-namespace", "promo"),
    ];
    for (code, name) in expected {
        assert!(got.contains(&(code.to_string(), name.to_string())), "missing {code} for {name}; got {got:?}");
    }
    assert_eq!(got.len(), expected.len(), "unexpected extra findings: {got:?}");
}

#[test]
fn class_findings_name_the_class() {
    let findings = analyze("ingress", "ingress/broken.yaml");
    let not_found = find(&findings, "ingress-class-not-found", "storefront");
    assert_severity(not_found, Severity::High);
    assert_eq!(not_found.message, "ingress class nginx-internal does not exist (existing classes: nginx)");
    assert_severity(find(&findings, "ingress-no-class", "legacy-site"), Severity::Medium);
}

#[test]
fn backends_are_checked_by_service_then_port_and_reported_once() {
    let findings = analyze("ingress", "ingress/broken.yaml");
    let missing = find(&findings, "ingress-backend-service-missing", "api");
    assert_severity(missing, Severity::High);
    assert_eq!(missing.message, "path api.example.com/v2 routes to service api-v2, which does not exist");
    let ports: Vec<&str> =
        findings.iter().filter(|f| f.code == "ingress-backend-port-missing").map(|f| f.message.as_str()).collect();
    assert!(
        ports.contains(&"default backend routes to port 80 of service default-http, which exposes 8080 (http)"),
        "{ports:?}"
    );
    assert!(
        ports.contains(
            &"path api.example.com/metrics routes to port metrics of service api-v1, which exposes 80 (http)"
        ),
        "{ports:?}"
    );
}

#[test]
fn tls_secret_missing_is_less_severe_while_cert_manager_issues_it() {
    let findings = analyze("ingress", "ingress/broken.yaml");
    let plain = find(&findings, "ingress-tls-secret-missing", "shop-tls");
    assert_severity(plain, Severity::High);
    assert_eq!(
        plain.message,
        "secret shop-example-tls (TLS for shop.example.com, www.shop.example.com) does not exist"
    );
    let issued = find(&findings, "ingress-tls-secret-missing", "blog");
    assert_severity(issued, Severity::Medium);
    assert!(issued.message.contains("cert-manager.io/cluster-issuer=letsencrypt-prod"), "{}", issued.message);
}

#[test]
fn a_tls_secret_of_another_namespace_is_named_by_its_own_code() {
    let findings = analyze("ingress", "ingress/broken.yaml");
    let elsewhere = find(&findings, "ingress-tls-secret-other-namespace", "promo");
    assert_severity(elsewhere, Severity::High);
    assert_eq!(
        elsewhere.message,
        "secret wildcard-tls (TLS for promo.shop.example.com) does not exist in namespace shop: a Secret of that name \
         exists only in another namespace, and an Ingress can use only its own namespace's"
    );
    // The other namespace is evidence only (not in the message), so an audience that must not see it can drop it.
    assert!(!elsewhere.message.contains("certs"));
    assert!(elsewhere.evidence.iter().any(|e| matches!(e,
        mekhanikube_analyzers::Evidence::Field { name, value } if name == "foundInNamespaces" && value == "certs")));
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("ingress", "ingress/broken.yaml"));
}

#[test]
fn healthy_ingresses_are_not_findings() {
    assert_no_findings("ingress", "ingress/healthy.yaml");
}

#[test]
fn classes_and_secrets_that_were_not_read_are_not_reported_missing() {
    assert_no_findings("ingress", "ingress/not-read.yaml");
}
