//! Policy engines' own audit results, read as custom resources: Kyverno's (and any other producer's)
//! `PolicyReport`/`ClusterPolicyReport` (wgpolicyk8s.io) and their successors `Report`/`ClusterReport`
//! (openreports.io), and Gatekeeper constraints of any kind (constraints.gatekeeper.sh) with their
//! `status.violations`. Each failing result becomes a finding on the object it names, one per object and
//! policy/rule (or constraint), however many times the engine repeated it.
//!
//! Which results count: `fail` and `error`. `pass` and `skip` say nothing is wrong; `warn` is a failure of a
//! policy its author marked as not scored (Kyverno's `policies.kyverno.io/scored: "false"`), so it is not held
//! against the object either.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::custom::CustomObject;
use crate::evidence::Evidence;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct PolicyAnalyzer;

const NAME: &str = "policy";

/// The report kinds, by group: the wg-policy prototype and the OpenReports API that succeeds it.
const REPORT_KINDS: &[(&str, &str)] = &[
    ("wgpolicyk8s.io", "PolicyReport"),
    ("wgpolicyk8s.io", "ClusterPolicyReport"),
    ("openreports.io", "Report"),
    ("openreports.io", "ClusterReport"),
];
/// Every kind of this group is a Gatekeeper constraint (one CRD per ConstraintTemplate).
const GATEKEEPER_GROUP: &str = "constraints.gatekeeper.sh";

const FAIL: CodeInfo = CodeInfo {
    code: "policy-report-fail",
    summary: "A policy report (wgpolicyk8s.io or openreports.io, written by Kyverno and other engines) records a `fail` result of a policy rule for the object.",
    severity: SeverityRule {
        default: Severity::Low,
        others: &[Severity::High, Severity::Medium],
        when: "high when the result's own `severity` field holds one of the two top grades of the wg-policy scale; medium when it holds the middle grade",
    },
};
const ERROR: CodeInfo = CodeInfo {
    code: "policy-report-error",
    summary: "A policy report records an `error` result for the object: the engine could not evaluate the rule on it, so the policy does not hold there.",
    severity: SeverityRule::fixed(Severity::Low),
};
const STALE: CodeInfo = CodeInfo {
    code: "policy-report-stale",
    summary: "A policy report still carries failing results for objects that no longer exist: the engine has not cleaned it up, and those results are not findings.",
    severity: SeverityRule::fixed(Severity::Low),
};
const VIOLATION: CodeInfo = CodeInfo {
    code: "gatekeeper-violation",
    summary: "A Gatekeeper constraint's audit lists the object among its violations (`status.violations`).",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::Low],
        when: "low when the violation's enforcement action is dryrun or warn (the constraint only reports; with deny, or scoped, the next change to the object is refused)",
    },
};

impl Analyzer for PolicyAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Reports and constraints come from discovery (`custom_groups`); the workloads they name are read to
        // tell a stale result from a live one and to find the owner.
        &[
            Kind::Event,
            Kind::Pod,
            Kind::Deployment,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::DaemonSet,
            Kind::Job,
            Kind::CronJob,
            Kind::Service,
            Kind::Namespace,
        ]
    }
    fn subjects(&self) -> &'static [Kind] {
        &[]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[FAIL, ERROR, STALE, VIOLATION]
    }
    fn custom_groups(&self) -> &'static [&'static str] {
        &["wgpolicyk8s.io", "openreports.io", GATEKEEPER_GROUP]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (group, kind) in REPORT_KINDS {
            for report in snapshot.custom.of_kind(group, kind) {
                findings.extend(report_findings(snapshot, report));
            }
        }
        for constraint in snapshot.custom.iter().filter(|o| o.group() == GATEKEEPER_GROUP) {
            findings.extend(constraint_findings(snapshot, constraint));
        }
        findings
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// An object a result names: an ObjectReference (apiVersion, kind, namespace, name, uid).
fn object_ref(value: &Value, default_namespace: &str) -> Option<ObjectRef> {
    let kind = text(value, "kind")?;
    let name = text(value, "name")?;
    let api_version = text(value, "apiVersion").unwrap_or_default();
    let table = Kind::from_reference(api_version, kind);
    let namespace = match table {
        Some(k) if !k.namespaced() => None,
        _ => text(value, "namespace").or(Some(default_namespace)).filter(|n| !n.is_empty()),
    };
    Some(ObjectRef {
        api_version: table.map_or(api_version, |k| k.api_version()).to_string(),
        kind: kind.to_string(),
        namespace: namespace.map(str::to_string),
        name: name.to_string(),
        uid: text(value, "uid").map(str::to_string),
    })
}

/// Whether the named object is known to exist, known to be gone, or cannot be told (a kind not read, a
/// namespace outside what was read).
enum Presence {
    There(Option<ObjectRef>),
    Gone,
    Unknown,
}

fn presence(snapshot: &Snapshot, object: &ObjectRef, report_namespace: &str) -> Presence {
    let Some(kind) = object.table_kind().filter(|k| snapshot.has_read(*k)) else {
        return Presence::Unknown;
    };
    let ns = object.namespace.as_deref().unwrap_or_default();
    match snapshot.objects.meta(kind, ns, &object.name) {
        Some(meta) => Presence::There(snapshot.owner_chain(ns, meta).pop()),
        // A namespaced report names objects of its own namespace, which was read whole; a cluster-scoped report
        // or constraint may name a namespace outside a namespaced read.
        None if !kind.namespaced() || ns == report_namespace || namespace_was_read(snapshot, ns) => Presence::Gone,
        None => Presence::Unknown,
    }
}

/// Whether objects of a namespace were read: anything of the workload kinds is there.
fn namespace_was_read(snapshot: &Snapshot, ns: &str) -> bool {
    let o = &snapshot.objects;
    o.pods.in_namespace(ns).next().is_some()
        || o.deployments.in_namespace(ns).next().is_some()
        || o.replica_sets.in_namespace(ns).next().is_some()
        || o.stateful_sets.in_namespace(ns).next().is_some()
        || o.daemon_sets.in_namespace(ns).next().is_some()
        || o.services.in_namespace(ns).next().is_some()
}

/// One finding per object and policy/rule: the first result of each, in report order.
fn report_findings(snapshot: &Snapshot, report: &CustomObject) -> Vec<Finding> {
    let Some(results) = report.pointer("/results").and_then(Value::as_array) else {
        return Vec::new();
    };
    let report_ns = report.namespace();
    // Per-resource reports (Kyverno 1.10 and later) name the object once, in `scope`, not in each result.
    let scope = report.pointer("/scope").and_then(|s| object_ref(s, report_ns));
    let mut seen = BTreeSet::new();
    let mut gone: BTreeSet<String> = BTreeSet::new();
    let mut findings = Vec::new();
    for result in results {
        let outcome = text(result, "result").unwrap_or_default();
        let code = match outcome {
            "fail" => &FAIL,
            "error" => &ERROR,
            _ => continue,
        };
        let policy = text(result, "policy").unwrap_or("(unnamed policy)");
        let rule = text(result, "rule");
        let mut objects: Vec<ObjectRef> = result
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| object_ref(r, report_ns))
            .collect();
        if objects.is_empty() {
            objects.extend(scope.clone());
        }
        for object in objects {
            if !seen.insert((object.clone(), code.code, policy, rule)) {
                continue;
            }
            let parent = match presence(snapshot, &object, report_ns) {
                Presence::Gone => {
                    gone.insert(object.label());
                    continue;
                }
                Presence::There(parent) => parent,
                Presence::Unknown => None,
            };
            findings.push(result_finding(report, result, code, object, parent, policy, rule));
        }
    }
    if !gone.is_empty() {
        let listed = gone.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        let message = format!(
            "{} has failing results for {} object(s) that no longer exist ({listed}); the policy engine has not \
             refreshed it",
            report.kind,
            gone.len()
        );
        let parent = snapshot.owner_chain(report_ns, &report.metadata).pop();
        findings.push(
            Finding::new(NAME, &STALE, report.object_ref(), parent, Severity::Low, message)
                .with_evidence([Evidence::field("gone", listed)]),
        );
    }
    findings
}

/// The severity of a `fail` result, from its own `severity` field (the wg-policy enumeration).
fn fail_severity(result: &Value) -> Severity {
    match text(result, "severity") {
        Some("critical" | "high") => Severity::High,
        Some("medium") => Severity::Medium,
        _ => Severity::Low,
    }
}

fn result_finding(
    report: &CustomObject,
    result: &Value,
    code: &CodeInfo,
    object: ObjectRef,
    parent: Option<ObjectRef>,
    policy: &str,
    rule: Option<&str>,
) -> Finding {
    let severity = if code.code == FAIL.code { fail_severity(result) } else { Severity::Low };
    let engine = text(result, "source").map(|s| format!("{s} ")).unwrap_or_default();
    let rule_text = rule.map(|r| format!(" (rule {r})")).unwrap_or_default();
    let verb = if code.code == FAIL.code { "fails" } else { "could not be checked against" };
    let detail = text(result, "message").map(|m| format!(": {m}")).unwrap_or_default();
    let message = format!("{verb} {engine}policy {policy}{rule_text}{detail}");
    let mut evidence = vec![Evidence::field("policy", policy)];
    evidence.extend(rule.map(|r| Evidence::field("rule", r)));
    evidence.push(Evidence::field("result", text(result, "result").unwrap_or_default()));
    evidence.extend(text(result, "severity").map(|s| Evidence::field("severity", s)));
    evidence.extend(text(result, "category").map(|c| Evidence::field("category", c)));
    // The report's kind, not its name: engines name reports after the namespace or a uid, which says nothing more
    // and would carry names past a prompt's anonymizer.
    evidence.push(Evidence::field("report", report.api_version.clone() + " " + &report.kind));
    Finding::new(NAME, code, object, parent, severity, message).with_evidence(evidence)
}

/// One finding per violating object of a constraint (the audit may list an object once per violated field).
fn constraint_findings(snapshot: &Snapshot, constraint: &CustomObject) -> Vec<Finding> {
    let Some(violations) = constraint.pointer("/status/violations").and_then(Value::as_array) else {
        return Vec::new();
    };
    let spec_action = constraint.pointer("/spec/enforcementAction").and_then(Value::as_str).unwrap_or("deny");
    let total = constraint.pointer("/status/totalViolations").and_then(Value::as_i64);
    // Per object: its reference, the actions and messages of its violations, in audit order.
    let mut by_object: BTreeMap<ObjectRef, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    let mut order = Vec::new();
    for v in violations {
        let Some(object) = violation_ref(v) else { continue };
        let entry = by_object.entry(object.clone()).or_insert_with(|| {
            order.push(object);
            (Vec::new(), Vec::new())
        });
        entry.0.push(text(v, "enforcementAction").unwrap_or(spec_action));
        entry.1.extend(text(v, "message"));
    }
    let name = constraint.name();
    let mut findings = Vec::new();
    for object in order {
        let (actions, messages) = &by_object[&object];
        let parent = match presence(snapshot, &object, "") {
            Presence::There(parent) => parent,
            // The audit runs every minute or so: an object gone since is not reported.
            Presence::Gone => continue,
            Presence::Unknown => None,
        };
        let enforced = actions.iter().any(|a| !matches!(*a, "dryrun" | "warn"));
        let severity = if enforced { Severity::Medium } else { Severity::Low };
        let action =
            if enforced { actions.iter().find(|a| !matches!(**a, "dryrun" | "warn")) } else { actions.first() };
        let action = action.copied().unwrap_or(spec_action);
        let mut unique: Vec<&str> = Vec::new();
        for m in messages {
            if !unique.contains(m) {
                unique.push(m);
            }
        }
        let detail = if unique.is_empty() { String::new() } else { format!(": {}", unique.join("; ")) };
        let message = format!("violates Gatekeeper constraint {} {name} ({action}){detail}", constraint.kind);
        let mut evidence = vec![
            Evidence::field("constraint", format!("{} {name}", constraint.kind)),
            Evidence::field("enforcementAction", action),
        ];
        evidence.extend(total.map(|t| Evidence::field("totalViolations", t.to_string())));
        findings.push(Finding::new(NAME, &VIOLATION, object, parent, severity, message).with_evidence(evidence));
    }
    findings
}

/// A violation names its object by group, version, kind, namespace and name.
fn violation_ref(v: &Value) -> Option<ObjectRef> {
    let version = text(v, "version").unwrap_or("v1");
    let api_version = match text(v, "group") {
        Some(group) => format!("{group}/{version}"),
        None => version.to_string(),
    };
    let mut reference = serde_json::Map::new();
    reference.insert("apiVersion".into(), api_version.into());
    for key in ["kind", "name", "namespace"] {
        if let Some(value) = v.get(key) {
            reference.insert(key.into(), value.clone());
        }
    }
    object_ref(&Value::Object(reference), "")
}
