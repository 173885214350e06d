use mekhanikube_analyzers::Severity;

use crate::common::{analyze, assert_no_findings, assert_severity, codes_and_names, find};

#[test]
fn orphaned_bindings_missing_parameters_type_errors_and_unbound_policies() {
    let findings = analyze("admissionpolicy", "admissionpolicy/broken.yaml");
    let mut got = codes_and_names(&findings);
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("admission-policy-binding-orphaned", "require-team-label-binding"),
        ("admission-policy-param-missing", "replica-limit-lab"),
        ("admission-policy-param-missing", "replica-limit-shop"),
        ("admission-policy-type-error", "lenient"),
        ("admission-policy-type-error", "require-probes"),
        ("admission-policy-unbound", "forgotten"),
    ]
    .iter()
    .map(|(c, n)| (c.to_string(), n.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert_severity(
        find(&findings, "admission-policy-binding-orphaned", "require-team-label-binding"),
        Severity::Medium,
    );
    assert_severity(find(&findings, "admission-policy-unbound", "forgotten"), Severity::Info);
}

#[test]
fn a_missing_parameter_refuses_everything_only_when_both_actions_deny() {
    let findings = analyze("admissionpolicy", "admissionpolicy/broken.yaml");
    let deny = find(&findings, "admission-policy-param-missing", "replica-limit-shop");
    assert_severity(deny, Severity::High);
    assert_eq!(
        deny.message,
        "parameter ConfigMap replica-limits in namespace policy-params of policy replica-limit does not exist: every \
         request it matches is refused"
    );
    let allow = find(&findings, "admission-policy-param-missing", "replica-limit-lab");
    assert_severity(allow, Severity::Low);
    assert!(allow.message.ends_with("the policy does not apply (parameterNotFoundAction: Allow)"), "{}", allow.message);
}

#[test]
fn a_type_error_with_fail_and_a_denying_binding_blocks_what_it_matches() {
    let findings = analyze("admissionpolicy", "admissionpolicy/broken.yaml");
    let typed = find(&findings, "admission-policy-type-error", "require-probes");
    assert_severity(typed, Severity::High);
    assert_eq!(
        typed.message,
        "1 expression(s) fail type checking, such as spec.validations[1].expression: apps/v1, Kind=Deployment: ERROR: \
         <input>:1:12: undefined field 'templat'; with failurePolicy Fail, binding require-probes refuses every request \
         it matches"
    );
    let lenient = find(&findings, "admission-policy-type-error", "lenient");
    assert_severity(lenient, Severity::Low);
    assert!(lenient.message.ends_with("; the check does not hold"), "{}", lenient.message);
}

#[test]
fn findings_snapshot() {
    insta::assert_json_snapshot!(analyze("admissionpolicy", "admissionpolicy/broken.yaml"));
}

#[test]
fn present_parameters_unjudgeable_references_clean_types_and_warn_only_bindings_are_not_findings() {
    assert_no_findings("admissionpolicy", "admissionpolicy/healthy.yaml");
}
