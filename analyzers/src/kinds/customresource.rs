//! Custom resources, generically: the health their controllers report in the shapes most operators share
//! (`status.conditions` of known polarity, `status.observedGeneration`, `status.phase`, Argo CD's
//! `status.health`). Condition types outside the lists below are never guessed at, and severity comes from which
//! condition says what and for how long (by the snapshot clock), never from message text. Messages give times, not
//! ages, so they read the same live and from a saved snapshot, and from one run to the next.

use jiff::SignedDuration;

use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::clock::age;
use crate::custom::CustomObject;
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct CustomResourceAnalyzer;

const NAME: &str = "customresource";

/// Good when True, bad when False; Unknown is a transition and never reported.
const GOOD_WHEN_TRUE: &[&str] = &["Ready", "Available", "Synced", "Healthy", "Established", "Succeeded"];
/// Bad when True.
const BAD_WHEN_TRUE: &[&str] = &["Stalled", "Degraded", "Failed", "Error"];
/// Work in progress: bad only when it lasts, or when its reason names a failure.
const TRANSIENT: &[&str] = &["Reconciling", "Progressing"];
/// Reason words (CamelCase tokens, not free text) that say a transient condition ended in failure.
const FAILURE_REASON_WORDS: &[&str] = &["Fail", "Error", "DeadlineExceeded"];

/// A bad condition this recent is a resource still being set up (a Certificate being issued).
const SETTLING: SignedDuration = SignedDuration::from_mins(10);
/// Reconciling this long without being good is stuck.
const STUCK: SignedDuration = SignedDuration::from_mins(30);
/// A spec written this long ago and still not observed: the controller is not acting.
const UNOBSERVED: SignedDuration = SignedDuration::from_mins(15);

const NOT_READY: CodeInfo = CodeInfo {
    code: "custom-resource-not-ready",
    summary: "A condition of known polarity says the custom resource is unhealthy: Ready, Available, Synced, Healthy, Established or Succeeded is False, or Stalled, Degraded, Failed or Error is True.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium, Severity::Low],
        when: "medium when the condition has no transition time or the snapshot has no clock; low when it changed less than 10 minutes before the snapshot was read (a resource still being set up)",
    },
};
const FAILED: CodeInfo = CodeInfo {
    code: "custom-resource-failed",
    summary: "The custom resource's `status.phase` is Failed or Error, or its `status.health.status` (the Argo CD shape) is Degraded or Missing.",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium],
        when: "medium when `status.health.status` is Missing",
    },
};
const STUCK_PROGRESSING: CodeInfo = CodeInfo {
    code: "custom-resource-stuck-progressing",
    summary: "A Reconciling or Progressing condition has held for 30 minutes or more while no condition says the resource is good, or its reason names a failure (Fail, Error, DeadlineExceeded).",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::High],
        when: "high when the reason names a failure",
    },
};
const NOT_OBSERVED: CodeInfo = CodeInfo {
    code: "custom-resource-not-observed",
    summary: "`status.observedGeneration` is behind `metadata.generation` 15 minutes or more after the spec was last written (by `metadata.managedFields`): the controller is not acting on the resource.",
    severity: SeverityRule::fixed(Severity::Medium),
};

impl Analyzer for CustomResourceAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Custom resources come from discovery (`reads_custom`); events are read for every analyzer anyway.
        &[Kind::Event]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[NOT_READY, FAILED, STUCK_PROGRESSING, NOT_OBSERVED]
    }
    fn reads_custom(&self) -> bool {
        true
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot
            .custom
            .iter()
            .filter(|o| o.metadata.deletion_timestamp.is_none())
            .flat_map(|o| analyze_object(snapshot, o))
            .collect()
    }
}

/// One entry of `status.conditions`, borrowed.
pub(crate) struct Condition<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub message: Option<&'a str>,
    pub changed: Option<&'a str>,
}

impl Condition<'_> {
    fn evidence(&self) -> Evidence {
        Evidence::Condition {
            condition: self.type_.into(),
            status: self.status.into(),
            reason: self.reason.map(str::to_string),
            message: self.message.map(str::to_string),
        }
    }

    fn is_bad(&self) -> bool {
        (GOOD_WHEN_TRUE.contains(&self.type_) && self.status == "False")
            || (BAD_WHEN_TRUE.contains(&self.type_) && self.status == "True")
    }

    fn reason_names_failure(&self) -> bool {
        self.reason.is_some_and(|r| FAILURE_REASON_WORDS.iter().any(|w| r.contains(w)))
    }

    /// ` (since 2026-11-30T10:00:00Z)`, or nothing without a transition time.
    fn since(&self) -> String {
        self.changed.map(|t| format!(" (since {t})")).unwrap_or_default()
    }

    /// `Ready is False (Reason): message`.
    fn describe(&self) -> String {
        let mut text = format!("{} is {}", self.type_, self.status);
        if let Some(reason) = self.reason.filter(|r| !r.is_empty()) {
            text.push_str(&format!(" ({reason})"));
        }
        if let Some(message) = self.message.filter(|m| !m.is_empty()) {
            text.push_str(&format!(": {message}"));
        }
        text
    }
}

fn text<'a>(c: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    c.get(key).and_then(|v| v.as_str())
}

/// The object's `status.conditions`, skipping entries without a type or status.
pub(crate) fn conditions(object: &CustomObject) -> Vec<Condition<'_>> {
    let Some(list) = object.pointer("/status/conditions").and_then(|c| c.as_array()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|c| {
            Some(Condition {
                type_: text(c, "type")?,
                status: text(c, "status")?,
                reason: text(c, "reason"),
                message: text(c, "message"),
                changed: text(c, "lastTransitionTime"),
            })
        })
        .collect()
}

/// A finding about a custom object, with its top owner as the parent.
pub(crate) fn custom_finding(
    snapshot: &Snapshot,
    code: &CodeInfo,
    analyzer: &str,
    object: &CustomObject,
    severity: Severity,
    message: String,
) -> Finding {
    debug_assert!(code.severity.allows(severity), "{} reported at {severity}", code.code);
    let parent = snapshot.owner_chain(object.namespace(), &object.metadata).pop();
    Finding::new(analyzer, code, object.object_ref(), parent, severity, message)
}

fn analyze_object(snapshot: &Snapshot, object: &CustomObject) -> Vec<Finding> {
    let clock = snapshot.read_at();
    let conditions = conditions(object);
    let mut findings = Vec::new();
    // One health finding per object, the most direct signal first: a condition, then a phase, then a stall.
    if let Some(finding) = not_ready(snapshot, object, &conditions)
        .or_else(|| failed(snapshot, object))
        .or_else(|| stuck(snapshot, object, &conditions))
    {
        findings.push(finding);
    }
    if let Some(finding) = not_observed(snapshot, object, clock) {
        findings.push(finding);
    }
    findings
}

fn not_ready(snapshot: &Snapshot, object: &CustomObject, conditions: &[Condition]) -> Option<Finding> {
    // Good-when-True types first, in list order (Ready before Synced), then the bad-when-True ones.
    let rank =
        |c: &Condition| GOOD_WHEN_TRUE.iter().chain(BAD_WHEN_TRUE).position(|t| *t == c.type_).unwrap_or(usize::MAX);
    let mut bad: Vec<&Condition> = conditions.iter().filter(|c| c.is_bad()).collect();
    bad.sort_by_key(|c| rank(c));
    let first = bad.first()?;
    let held = age(snapshot.read_at(), first.changed);
    let severity = match held {
        None => Severity::Medium,
        Some(d) if d < SETTLING => Severity::Low,
        Some(_) => Severity::High,
    };
    let message = format!("{} {}{}", object.kind, first.describe(), first.since());
    Some(
        custom_finding(snapshot, &NOT_READY, NAME, object, severity, message)
            .with_evidence(bad.iter().map(|c| c.evidence())),
    )
}

fn failed(snapshot: &Snapshot, object: &CustomObject) -> Option<Finding> {
    let text = |p: &str| object.pointer(p).and_then(|v| v.as_str());
    if let Some(phase) = text("/status/phase").filter(|p| matches!(*p, "Failed" | "Error")) {
        let detail = text("/status/message").or_else(|| text("/status/reason"));
        let message = match detail {
            Some(d) => format!("{} phase is {phase}: {d}", object.kind),
            None => format!("{} phase is {phase}", object.kind),
        };
        return Some(
            custom_finding(snapshot, &FAILED, NAME, object, Severity::High, message)
                .with_evidence([Evidence::field("status.phase", phase)]),
        );
    }
    let health = text("/status/health/status").filter(|h| matches!(*h, "Degraded" | "Missing"))?;
    let severity = if health == "Missing" { Severity::Medium } else { Severity::High };
    let message = match text("/status/health/message") {
        Some(m) => format!("{} health is {health}: {m}", object.kind),
        None => format!("{} health is {health}", object.kind),
    };
    Some(
        custom_finding(snapshot, &FAILED, NAME, object, severity, message)
            .with_evidence([Evidence::field("status.health.status", health)]),
    )
}

fn stuck(snapshot: &Snapshot, object: &CustomObject, conditions: &[Condition]) -> Option<Finding> {
    let good = conditions.iter().any(|c| GOOD_WHEN_TRUE.contains(&c.type_) && c.status == "True");
    let transient = conditions.iter().filter(|c| TRANSIENT.contains(&c.type_));
    for c in transient {
        if c.reason_names_failure() {
            let message = format!("{} {}", object.kind, c.describe());
            return Some(
                custom_finding(snapshot, &STUCK_PROGRESSING, NAME, object, Severity::High, message)
                    .with_evidence([c.evidence()]),
            );
        }
        let held = age(snapshot.read_at(), c.changed).is_some_and(|d| d >= STUCK);
        if !good && c.status == "True" && held {
            let message = format!("{} {}{}", object.kind, c.describe(), c.since());
            return Some(
                custom_finding(snapshot, &STUCK_PROGRESSING, NAME, object, Severity::Medium, message)
                    .with_evidence([c.evidence()]),
            );
        }
    }
    None
}

fn not_observed(snapshot: &Snapshot, object: &CustomObject, clock: Option<jiff::Timestamp>) -> Option<Finding> {
    let generation = object.metadata.generation?;
    let observed = object.pointer("/status/observedGeneration").and_then(|v| v.as_i64())?;
    if observed >= generation {
        return None;
    }
    // The newest write that was not a status write: when the current generation began, or later.
    let written = object
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter(|e| e.subresource.as_deref().unwrap_or_default().is_empty())
        .filter_map(|e| e.time.as_ref().map(|t| t.0))
        .max()?;
    let held = clock?.duration_since(written);
    if held < UNOBSERVED {
        return None;
    }
    let message = format!(
        "{} generation {generation} has not been observed by its controller (observed: {observed}); the spec was \
         last written at {written}",
        object.kind
    );
    Some(custom_finding(snapshot, &NOT_OBSERVED, NAME, object, Severity::Medium, message).with_evidence([
        Evidence::field("metadata.generation", generation.to_string()),
        Evidence::field("status.observedGeneration", observed.to_string()),
    ]))
}
