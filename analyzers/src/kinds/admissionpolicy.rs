//! ValidatingAdmissionPolicies (CEL, run inside the API server) and their bindings: a binding whose policy does not
//! exist, a binding whose parameter object does not exist, a policy whose expressions fail type checking, and a
//! policy nothing binds. A policy that denies what it was written to deny is working, and no finding.

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};

use super::name_of;
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::custom::{group_of, is_builtin_group};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct AdmissionPolicyAnalyzer;

const NAME: &str = "admissionpolicy";

const POLICY_MISSING: CodeInfo = CodeInfo {
    code: "admission-policy-binding-orphaned",
    summary: "A ValidatingAdmissionPolicyBinding names a policy that does not exist: what it was meant to enforce is not enforced.",
    severity: SeverityRule::fixed(Severity::Medium),
};
const PARAM_MISSING: CodeInfo = CodeInfo {
    code: "admission-policy-param-missing",
    summary: "A binding's `paramRef` names a parameter object (of the policy's `paramKind`) that does not exist.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Low],
        when: "low unless `parameterNotFoundAction` is Deny and the binding's `validationActions` include Deny (then every request it matches is refused; otherwise the policy silently does not apply, or only warns or audits)",
    },
};
const TYPE_ERROR: CodeInfo = CodeInfo {
    code: "admission-policy-type-error",
    summary: "The API server's type checking of the policy's expressions reports warnings (`status.typeChecking.expressionWarnings`): the expressions fail on the objects they name.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Low],
        when: "low unless `failurePolicy` is Fail (the default) and a binding with the Deny action binds the policy (then the failing expression refuses every request the binding matches)",
    },
};
const UNBOUND: CodeInfo = CodeInfo {
    code: "admission-policy-unbound",
    summary: "No ValidatingAdmissionPolicyBinding binds the policy, so it checks nothing.",
    severity: SeverityRule::fixed(Severity::Info),
};

impl Analyzer for AdmissionPolicyAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::ValidatingAdmissionPolicy, Kind::ValidatingAdmissionPolicyBinding, Kind::ConfigMap]
    }
    fn subjects(&self) -> &'static [Kind] {
        &[Kind::ValidatingAdmissionPolicy, Kind::ValidatingAdmissionPolicyBinding]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[POLICY_MISSING, PARAM_MISSING, TYPE_ERROR, UNBOUND]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        let o = &snapshot.objects;
        let mut findings = Vec::new();
        for binding in o.validating_admission_policy_bindings.iter() {
            findings.extend(binding_finding(snapshot, binding));
        }
        for policy in o.validating_admission_policies.iter() {
            findings.extend(policy_findings(snapshot, policy));
        }
        findings
    }
}

fn spec_of(
    binding: &ValidatingAdmissionPolicyBinding,
) -> Option<&k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBindingSpec> {
    Some(&binding.spec)
}

fn denies(binding: &ValidatingAdmissionPolicyBinding) -> bool {
    spec_of(binding).is_some_and(|s| s.validation_actions.iter().any(|a| a == "Deny"))
}

/// The bindings of a policy, by name.
fn bindings_of<'a>(snapshot: &'a Snapshot, policy: &str) -> Vec<&'a ValidatingAdmissionPolicyBinding> {
    let bindings = &snapshot.objects.validating_admission_policy_bindings;
    bindings.iter().filter(|b| spec_of(b).is_some_and(|s| s.policy_name == policy)).collect()
}

fn binding_finding(snapshot: &Snapshot, binding: &ValidatingAdmissionPolicyBinding) -> Option<Finding> {
    if binding.metadata.deletion_timestamp.is_some() || !snapshot.has_read(Kind::ValidatingAdmissionPolicy) {
        return None;
    }
    let spec = spec_of(binding)?;
    let actions = spec.validation_actions.join(", ");
    let Some(policy) = snapshot.objects.validating_admission_policies.get("", &spec.policy_name) else {
        let message = format!("binds policy {}, which does not exist: nothing is enforced", spec.policy_name);
        return Some(
            snapshot
                .finding(NAME, &POLICY_MISSING, binding, Severity::Medium, message)
                .with_evidence([Evidence::field("policyName", &spec.policy_name)]),
        );
    };
    param_finding(snapshot, binding, policy, &actions)
}

/// A `paramRef` by name whose object is known to be absent: its kind was read and it is not there. A reference
/// by selector, or by name without a namespace for a namespaced kind (looked up in each request's namespace), is
/// not judged.
fn param_finding(
    snapshot: &Snapshot,
    binding: &ValidatingAdmissionPolicyBinding,
    policy: &ValidatingAdmissionPolicy,
    actions: &str,
) -> Option<Finding> {
    let param_ref = spec_of(binding)?.param_ref.as_ref()?;
    let name = param_ref.name.as_deref().filter(|n| !n.is_empty())?;
    let param_kind = policy.spec.as_ref()?.param_kind.as_ref()?;
    let (api_version, kind) = (param_kind.api_version.as_deref()?, param_kind.kind.as_deref()?);
    let namespace = param_ref.namespace.as_deref().unwrap_or_default();
    let exists = match Kind::from_type(api_version, kind) {
        Some(k) if snapshot.has_read(k) => {
            if k.namespaced() && namespace.is_empty() {
                return None;
            }
            snapshot.objects.meta(k, if k.namespaced() { namespace } else { "" }, name).is_some()
        }
        Some(_) => return None,
        None => {
            let group = group_of(api_version);
            let read = snapshot.custom.kinds().any(|c| c.group == group && c.kind == kind);
            if is_builtin_group(group) || !read {
                return None;
            }
            snapshot.custom.get(group, kind, namespace, name).is_some()
        }
    };
    if exists {
        return None;
    }
    let not_found = param_ref.parameter_not_found_action.as_deref().unwrap_or("Deny");
    let refuses = not_found == "Deny" && denies(binding);
    let (severity, effect) = if refuses {
        (Severity::High, "every request it matches is refused")
    } else if not_found == "Deny" {
        (Severity::Low, "the requests it matches get the failure only as a warning or audit annotation")
    } else {
        (Severity::Low, "the policy does not apply (parameterNotFoundAction: Allow)")
    };
    let place = if namespace.is_empty() { String::new() } else { format!(" in namespace {namespace}") };
    let message =
        format!("parameter {kind} {name}{place} of policy {} does not exist: {effect}", name_of(&policy.metadata));
    Some(snapshot.finding(NAME, &PARAM_MISSING, binding, severity, message).with_evidence([
        Evidence::field("paramKind", format!("{api_version}/{kind}")),
        Evidence::field("paramRef", format!("{namespace}/{name}").trim_start_matches('/').to_string()),
        Evidence::field("parameterNotFoundAction", not_found),
        Evidence::field("validationActions", actions),
    ]))
}

fn policy_findings(snapshot: &Snapshot, policy: &ValidatingAdmissionPolicy) -> Vec<Finding> {
    let mut findings = Vec::new();
    if policy.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let name = name_of(&policy.metadata);
    let bindings = bindings_of(snapshot, name);
    let warnings = policy
        .status
        .as_ref()
        .and_then(|s| s.type_checking.as_ref())
        .and_then(|t| t.expression_warnings.as_ref())
        .filter(|w| !w.is_empty());
    if let Some(warnings) = warnings {
        let failure_policy = policy.spec.as_ref().and_then(|s| s.failure_policy.as_deref()).unwrap_or("Fail");
        let denying: Vec<&str> = bindings.iter().filter(|b| denies(b)).map(|b| name_of(&b.metadata)).collect();
        let blocks = failure_policy == "Fail" && !denying.is_empty();
        let severity = if blocks { Severity::High } else { Severity::Low };
        let first = &warnings[0];
        let effect = if blocks {
            format!("with failurePolicy Fail, binding {} refuses every request it matches", denying.join(", "))
        } else {
            "the check does not hold".to_string()
        };
        let message = format!(
            "{} expression(s) fail type checking, such as {}: {}; {effect}",
            warnings.len(),
            first.field_ref,
            first.warning
        );
        findings.push(
            snapshot
                .finding(NAME, &TYPE_ERROR, policy, severity, message)
                .with_evidence(warnings.iter().map(|w| Evidence::field(&w.field_ref, &w.warning)))
                .with_evidence([Evidence::field("failurePolicy", failure_policy)]),
        );
    }
    if bindings.is_empty() && snapshot.has_read(Kind::ValidatingAdmissionPolicyBinding) {
        findings.push(snapshot.finding(
            NAME,
            &UNBOUND,
            policy,
            Severity::Info,
            "no ValidatingAdmissionPolicyBinding binds this policy, so it checks nothing",
        ));
    }
    findings
}
