//! What analyzers produce: a coded, ranked statement about one object, with the evidence behind it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::evidence::Evidence;

/// How bad a finding is. Ordered from most to least severe, so sorting ascending puts critical first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Whether this is as severe as `threshold` or more.
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown severity '{s}' (expected critical, high, medium, low or info)"))
    }
}

/// Identifies an object the way `kubectl` would print it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl ObjectRef {
    /// The kind of the table this object is of, if any (see [`crate::Kind::from_reference`]).
    pub fn table_kind(&self) -> Option<crate::Kind> {
        crate::Kind::from_reference(&self.api_version, &self.kind)
    }

    pub fn from_meta(api_version: &str, kind: &str, meta: &ObjectMeta) -> ObjectRef {
        ObjectRef {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace: meta.namespace.clone().filter(|n| !n.is_empty()),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().filter(|u| !u.is_empty()),
        }
    }

    /// `Kind namespace/name`, or `Kind name` when cluster-scoped: how a sentence names the object.
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// `Kind/name`, or `namespace/Kind/name` when namespaced.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// One problem with one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable across runs: 12 hex digits of a hash of the code and the object's apiVersion, kind, namespace and
    /// name (`-2`, `-3` for a repeated identity). Additive in v1alpha1: documents of earlier releases have none.
    #[serde(default)]
    pub id: String,
    /// The analyzer that produced it.
    pub analyzer: String,
    /// Stable kebab-case code; see docs/analyzers.md.
    pub code: String,
    pub severity: Severity,
    pub object: ObjectRef,
    /// The top controlling owner (a Deployment for a Pod of a ReplicaSet), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ObjectRef>,
    /// One line.
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

impl Finding {
    pub fn new(
        analyzer: &str,
        code: &crate::CodeInfo,
        object: ObjectRef,
        parent: Option<ObjectRef>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            id: finding_id(code.code, &object),
            analyzer: analyzer.to_string(),
            code: code.code.to_string(),
            severity,
            object,
            parent,
            message: one_line(&message.into()),
            evidence: Vec::new(),
        }
    }

    pub fn with_evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Finding {
        self.evidence.extend(evidence);
        self
    }

    /// The report order: severity, namespace, kind, name, then code and message so ties never depend on input.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.severity,
            self.object.namespace.as_deref().unwrap_or(""),
            self.object.kind.as_str(),
            self.object.name.as_str(),
            self.code.as_str(),
            self.message.as_str(),
        )
    }
}

/// 12 hex digits of FNV-1a (64-bit) over the code and the object's apiVersion, kind, namespace and name: the
/// identity reports match runs by, so the id of a finding is the same in every run that has it. Not the uid
/// (a recreated pod is the same finding to the reader), not the message (it carries counts).
pub fn finding_id(code: &str, object: &ObjectRef) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let ns = object.namespace.as_deref().unwrap_or("");
    let mut hash = OFFSET;
    for part in [code, &object.api_version, &object.kind, ns, &object.name] {
        // A separator after each part, so ("ab", "c") and ("a", "bc") differ.
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{:012x}", hash >> 16)
}

/// Makes ids unique within one run: a second finding with the same identity (two containers of one pod
/// restarting, say) gets `-2`, then `-3`, in report order.
pub(crate) fn disambiguate_ids(findings: &mut [Finding]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in findings {
        let base = finding_id(&f.code, &f.object);
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        f.id = if *n == 1 { base } else { format!("{base}-{n}") };
    }
}

/// Folds any run of whitespace (newlines included) into one space.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Counts by severity and a 0–100 health score for a set of findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub total: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// 0 to 100: the share of workloads and nodes free of problems, each weighted by its worst finding (the
    /// formula is in docs/health.md). Runs recorded before this formula used a count of findings instead.
    pub health_score: u8,
    /// A from 90, B from 80, C from 70, D from 60, F below; empty in documents of earlier releases.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub grade: String,
    /// The workloads and nodes scored, and how many of them have a finding.
    #[serde(default)]
    pub units: usize,
    #[serde(default)]
    pub affected: usize,
    /// The same score per namespace ("" for Nodes and other cluster-scoped objects), worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<crate::health::NamespaceHealth>,
}

impl Summary {
    /// The counts of `findings`, with the health of `snapshot` as they leave it.
    pub fn of(findings: &[Finding], snapshot: &crate::snapshot::Snapshot) -> Summary {
        let mut s = Summary::counts(findings);
        s.set_health(crate::health::health(snapshot, findings));
        s
    }

    /// The counts only; the health fields say nothing is known to be wrong until [`Summary::set_health`].
    pub fn counts(findings: &[Finding]) -> Summary {
        let mut s = Summary { total: findings.len(), health_score: 100, ..Summary::default() };
        for f in findings {
            *match f.severity {
                Severity::Critical => &mut s.critical,
                Severity::High => &mut s.high,
                Severity::Medium => &mut s.medium,
                Severity::Low => &mut s.low,
                Severity::Info => &mut s.info,
            } += 1;
        }
        s
    }

    /// New counts for `findings`, the health kept: hiding findings from a view does not change the cluster.
    pub fn recount(&mut self, findings: &[Finding]) {
        let counts = Summary::counts(findings);
        (self.total, self.critical, self.high, self.medium, self.low, self.info) =
            (counts.total, counts.critical, counts.high, counts.medium, counts.low, counts.info);
    }

    pub fn set_health(&mut self, health: crate::health::Health) {
        self.health_score = health.score;
        self.grade = health.grade;
        self.units = health.units;
        self.affected = health.affected;
        self.namespaces = health.namespaces;
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }
}
