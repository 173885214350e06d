//! Admission control that intercepts requests in the namespace: the validating and mutating webhooks whose
//! `namespaceSelector` matches it and whose rules cover namespaced resources. One entry per configuration, said
//! without its name, its selectors or its rule source: it is cluster-scoped, and its words are shown to the
//! namespace's developers as they are.
//!
//! ValidatingAdmissionPolicies count through their bindings: one entry per binding whose resources match the
//! namespace, said the same way. Another source of admission policies (a policy engine) adds one
//! [`AdmissionSource`] variant and one function here, called from [`constraints`].

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{MatchResources, RuleWithOperations};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::workloads::Workloads;
use super::{AdmissionHook, AdmissionSource, Constraint, ConstraintKind, Detail, entry, object_ref};
use crate::kind::Kind;
use crate::selector::label_selector_matches;
use crate::snapshot::Snapshot;

/// What one webhook declares, whatever its configuration's kind.
struct Hook<'a> {
    name: &'a str,
    /// False for a policy binding that only warns or audits.
    refuses: bool,
    rules: &'a [RuleWithOperations],
    failure_policy: Option<&'a str>,
    namespace_selector: Option<&'a LabelSelector>,
    object_selector: Option<&'a LabelSelector>,
}

pub(super) fn constraints(snapshot: &Snapshot, namespace: &str, workloads: &Workloads) -> Vec<Constraint> {
    let labels = namespace_labels(snapshot, namespace);
    let mut out = webhooks(snapshot, &labels, workloads);
    out.extend(admission_policies(snapshot, &labels, workloads));
    for (i, c) in out.iter_mut().enumerate() {
        c.reference = format!("admission/{}", i + 1);
    }
    out
}

/// The namespace's labels, with the name label the API server sets on every namespace.
fn namespace_labels(snapshot: &Snapshot, namespace: &str) -> BTreeMap<String, String> {
    let mut labels =
        snapshot.objects.namespaces.get("", namespace).and_then(|n| n.metadata.labels.clone()).unwrap_or_default();
    labels.insert("kubernetes.io/metadata.name".into(), namespace.into());
    labels
}

/// Validating then mutating webhook configurations, each by name.
fn webhooks(snapshot: &Snapshot, labels: &BTreeMap<String, String>, workloads: &Workloads) -> Vec<Constraint> {
    // The two webhook types are distinct structs with the same fields.
    macro_rules! configurations {
        ($store:ident, $kind:expr, $source:expr) => {
            snapshot.objects.$store.iter().filter_map(|config| {
                let hooks = config.webhooks.iter().flatten().map(|w| Hook {
                    name: &w.name,
                    refuses: true,
                    rules: w.rules.as_deref().unwrap_or_default(),
                    failure_policy: w.failure_policy.as_deref(),
                    namespace_selector: w.namespace_selector.as_ref(),
                    object_selector: w.object_selector.as_ref(),
                });
                configuration(($kind, $source), &config.metadata, hooks.collect(), labels, workloads)
            })
        };
    }
    let validating = configurations!(
        validating_webhook_configurations,
        Kind::ValidatingWebhookConfiguration,
        AdmissionSource::ValidatingWebhook
    );
    let mutating = configurations!(
        mutating_webhook_configurations,
        Kind::MutatingWebhookConfiguration,
        AdmissionSource::MutatingWebhook
    );
    validating.chain(mutating).collect()
}

/// Each binding of an existing ValidatingAdmissionPolicy: the policy's rules, its failure policy, and the
/// namespace and object selectors of both (a request must match the policy's and the binding's).
fn admission_policies(
    snapshot: &Snapshot,
    labels: &BTreeMap<String, String>,
    workloads: &Workloads,
) -> Vec<Constraint> {
    let o = &snapshot.objects;
    let mut out = Vec::new();
    for binding in o.validating_admission_policy_bindings.iter() {
        let spec = &binding.spec;
        let Some(policy) = o.validating_admission_policies.get("", &spec.policy_name) else {
            continue;
        };
        let Some(policy_spec) = policy.spec.as_ref() else { continue };
        let constraints = policy_spec.match_constraints.as_ref();
        let selects = |m: Option<&MatchResources>| {
            m.and_then(|m| m.namespace_selector.as_ref()).is_none_or(|s| label_selector_matches(s, Some(labels)))
        };
        if binding.metadata.deletion_timestamp.is_some() || !selects(constraints) {
            continue;
        }
        let rules: Vec<RuleWithOperations> = constraints
            .and_then(|c| c.resource_rules.as_ref())
            .into_iter()
            .flatten()
            .map(|r| RuleWithOperations {
                api_groups: r.api_groups.clone(),
                api_versions: r.api_versions.clone(),
                operations: r.operations.clone(),
                resources: r.resources.clone(),
                scope: r.scope.clone(),
            })
            .collect();
        let actions = &spec.validation_actions;
        let object_selector = spec
            .match_resources
            .as_ref()
            .and_then(|m| m.object_selector.as_ref())
            .or_else(|| constraints.and_then(|c| c.object_selector.as_ref()));
        let hook = Hook {
            name: binding.metadata.name.as_deref().unwrap_or_default(),
            refuses: actions.iter().any(|a| a == "Deny"),
            rules: &rules,
            failure_policy: policy_spec.failure_policy.as_deref(),
            namespace_selector: spec.match_resources.as_ref().and_then(|m| m.namespace_selector.as_ref()),
            object_selector,
        };
        let kind = (Kind::ValidatingAdmissionPolicy, AdmissionSource::ValidatingAdmissionPolicy);
        out.extend(configuration(kind, &policy.metadata, vec![hook], labels, workloads));
    }
    out
}

fn configuration(
    (kind, source): (Kind, AdmissionSource),
    meta: &ObjectMeta,
    hooks: Vec<Hook>,
    labels: &BTreeMap<String, String>,
    workloads: &Workloads,
) -> Option<Constraint> {
    if meta.deletion_timestamp.is_some() {
        return None;
    }
    let mut matching = Vec::new();
    let mut rules = Vec::new();
    let mut touches = Vec::new();
    for hook in hooks {
        // No namespaceSelector, or an empty one, matches every namespace.
        if !hook.namespace_selector.is_none_or(|s| label_selector_matches(s, Some(labels))) {
            continue;
        }
        let namespaced: Vec<&RuleWithOperations> =
            hook.rules.iter().filter(|r| r.scope.as_deref().is_none_or(|s| s != "Cluster")).collect();
        if namespaced.is_empty() {
            continue;
        }
        let operations = unique(namespaced.iter().flat_map(|r| r.operations.iter().flatten().cloned()));
        let resources = unique(namespaced.iter().flat_map(|r| {
            let groups = r.api_groups.clone().unwrap_or_default();
            r.resources.iter().flatten().flat_map(move |res| {
                let groups = if groups.is_empty() { vec![String::new()] } else { groups.clone() };
                groups.into_iter().map(move |g| if g.is_empty() { res.clone() } else { format!("{g}/{res}") })
            })
        }));
        // The resources without group, subresources left out: a hook on `pods/exec` does not see pods created.
        let plain: Vec<&str> = namespaced
            .iter()
            .flat_map(|r| r.resources.iter().flatten())
            .map(String::as_str)
            .filter(|r| !r.contains('/'))
            .collect();
        // failurePolicy defaults to Fail in admissionregistration/v1.
        let fails_closed = hook.failure_policy != Some("Ignore");
        let selective = hook.object_selector.is_some_and(|s| *s != LabelSelector::default());
        rules.push(format!(
            "{} {} {} of {} in this namespace{} ({})",
            source.words(),
            if hook.refuses { "intercepts" } else { "only warns or audits on" },
            words(&operations, "every operation"),
            words(&resources, "every resource"),
            if selective { ", for some objects only (object selector)" } else { "" },
            source.failure_words(fails_closed)
        ));
        for w in &workloads.list {
            let kind_hit = plain.iter().any(|r| covers(r, w.kind));
            let labels_ok = hook.object_selector.is_none_or(|s| label_selector_matches(s, Some(&w.labels)));
            if kind_hit && labels_ok && !touches.contains(&w.object) {
                touches.push(w.object.clone());
            }
        }
        matching.push(AdmissionHook { name: hook.name.to_string(), operations, resources, fails_closed });
    }
    if matching.is_empty() {
        return None;
    }
    Some(entry(
        ConstraintKind::Admission,
        String::new(),
        object_ref(kind, meta),
        rules,
        Detail::Admission { source, hooks: matching },
        touches,
    ))
}

/// Whether a rule's resource covers a workload: its own kind, the pods it creates, or everything.
fn covers(plain: &str, kind: Kind) -> bool {
    plain == "*" || plain == "pods" || plain == kind.plural()
        // Deployments create ReplicaSets, CronJobs create Jobs: a hook on those touches the owner's work too.
        || (plain == "replicasets" && kind == Kind::Deployment)
        || (plain == "jobs" && kind == Kind::CronJob)
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn words(list: &[String], all: &str) -> String {
    if list.is_empty() || list.iter().any(|s| s == "*") {
        return all.to_string();
    }
    list.join(", ")
}
