//! Stuck deletions, of any kind (built-in or custom, Namespaces included): a deletion requested long ago (by the
//! snapshot clock) that finalizers still hold. The finalizer is named, and for a Namespace the conditions that
//! say what is left in it.

use jiff::SignedDuration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct DeletionAnalyzer;

const NAME: &str = "deletion";

/// Finalizers normally finish within seconds; a deletion older than this is waiting on something that is not
/// happening (a controller gone, content that cannot be removed).
const STUCK_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// The Namespace conditions that say why a deletion is not finishing.
const NAMESPACE_CONDITIONS: &[&str] =
    &["NamespaceFinalizersRemaining", "NamespaceContentRemaining", "NamespaceDeletionContentFailure"];

const STUCK_DELETION: CodeInfo = CodeInfo {
    code: "stuck-deletion",
    summary: "The object was deleted 10 minutes or more before the snapshot was read and finalizers still hold it; for a Namespace, its NamespaceFinalizersRemaining and NamespaceContentRemaining conditions say what is left.",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::High],
        when: "high when the object is a Namespace (everything in it lingers and it cannot be created again)",
    },
};

impl Analyzer for DeletionAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[STUCK_DELETION]
    }
    fn reads_custom(&self) -> bool {
        true
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        let Some(clock) = snapshot.read_at() else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        for (kind, meta) in snapshot.objects.all_meta() {
            if kind == Kind::Namespace {
                continue;
            }
            let object = ObjectRef::from_meta(kind.api_version(), kind.name(), meta);
            findings.extend(stuck(snapshot, clock, object, meta, Vec::new()));
        }
        for namespace in snapshot.objects.namespaces.iter() {
            let object = ObjectRef::from_meta("v1", "Namespace", &namespace.metadata);
            // The namespace controller's own finalizer is in the spec, not the metadata.
            let spec_finalizers = namespace.spec.as_ref().and_then(|s| s.finalizers.clone()).unwrap_or_default();
            let finding = stuck(snapshot, clock, object, &namespace.metadata, spec_finalizers);
            findings.extend(finding.map(|f| namespace_detail(f, namespace)));
        }
        for custom in snapshot.custom.iter() {
            findings.extend(stuck(snapshot, clock, custom.object_ref(), &custom.metadata, Vec::new()));
        }
        findings
    }
}

fn stuck(
    snapshot: &Snapshot,
    clock: jiff::Timestamp,
    object: ObjectRef,
    meta: &ObjectMeta,
    extra_finalizers: Vec<String>,
) -> Option<Finding> {
    let deleted = meta.deletion_timestamp.as_ref()?.0;
    let mut finalizers: Vec<String> = meta.finalizers.clone().unwrap_or_default();
    finalizers.extend(extra_finalizers);
    let held = clock.duration_since(deleted);
    if finalizers.is_empty() || held < STUCK_AFTER {
        return None;
    }
    let severity = if object.kind == "Namespace" { Severity::High } else { Severity::Medium };
    let plural = if finalizers.len() == 1 { "" } else { "s" };
    // The time, not the age: the message reads the same live, from a saved snapshot and from one run to the next.
    let message = format!("deletion requested at {deleted} is held by finalizer{plural} {}", finalizers.join(", "));
    let namespace = meta.namespace.as_deref().unwrap_or_default();
    let parent = snapshot.owner_chain(namespace, meta).pop();
    Some(
        Finding::new(NAME, &STUCK_DELETION, object, parent, severity, message)
            .with_evidence([Evidence::field("metadata.deletionTimestamp", deleted.to_string())])
            .with_evidence(finalizers.into_iter().map(|f| Evidence::field("finalizer", f))),
    )
}

/// Adds what the namespace controller says is left: the conditions' messages, quoted in the message and kept as
/// evidence.
fn namespace_detail(mut finding: Finding, namespace: &k8s_openapi::api::core::v1::Namespace) -> Finding {
    let conditions = namespace.status.as_ref().and_then(|s| s.conditions.as_ref());
    let relevant: Vec<_> = conditions
        .into_iter()
        .flatten()
        .filter(|c| NAMESPACE_CONDITIONS.contains(&c.type_.as_str()) && c.status == "True")
        .collect();
    let quoted: Vec<&str> = relevant.iter().filter_map(|c| c.message.as_deref()).collect();
    if !quoted.is_empty() {
        finding.message = crate::finding::one_line(&format!("{}: {}", finding.message, quoted.join("; ")));
    }
    finding.with_evidence(relevant.iter().map(|c| super::condition_evidence!(c)))
}
