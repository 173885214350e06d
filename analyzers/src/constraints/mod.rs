//! The observer view of one namespace: every constraint that applies to its workloads (quotas, limit ranges,
//! disruption budgets, network policies, admission webhooks), what each says in plain words, which workloads it
//! touches, and whether it is blocking something right now, read from the findings of the same run.
//!
//! Pure and deterministic like the analyzers: a function of the snapshot and the findings. One file per family;
//! an admission policy from another source (ValidatingAdmissionPolicy, a policy engine's reports) is one more
//! [`AdmissionSource`] variant and one more function in `admission.rs` feeding [`collect`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, ObjectRef, Severity};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

mod admission;
mod blocking;
mod budget;
mod limits;
mod network;
mod quota;
mod workloads;

/// What kind of constraint an entry is; its `ref` starts with [`ConstraintKind::prefix`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConstraintKind {
    Quota,
    LimitRange,
    DisruptionBudget,
    NetworkPolicy,
    Admission,
}

impl ConstraintKind {
    pub const ALL: [ConstraintKind; 5] = [
        ConstraintKind::Quota,
        ConstraintKind::LimitRange,
        ConstraintKind::DisruptionBudget,
        ConstraintKind::NetworkPolicy,
        ConstraintKind::Admission,
    ];

    /// The prefix of an entry's `ref` (`quota/NAME`), as `--explain` takes it.
    pub fn prefix(self) -> &'static str {
        match self {
            ConstraintKind::Quota => "quota",
            ConstraintKind::LimitRange => "limitrange",
            ConstraintKind::DisruptionBudget => "pdb",
            ConstraintKind::NetworkPolicy => "netpol",
            ConstraintKind::Admission => "admission",
        }
    }

    /// A heading for the kind, plural.
    pub fn title(self) -> &'static str {
        match self {
            ConstraintKind::Quota => "Resource quotas",
            ConstraintKind::LimitRange => "Limit ranges",
            ConstraintKind::DisruptionBudget => "Disruption budgets",
            ConstraintKind::NetworkPolicy => "Network policies",
            ConstraintKind::Admission => "Admission control",
        }
    }
}

/// Whether a constraint is in the way right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConstraintState {
    /// A finding of this run at medium or above is about it or is caused by it (a refusal, a used-up quota, a
    /// budget that never allows a disruption, pods cut off from DNS).
    Blocking,
    /// Only low findings: close to a limit, or selecting nothing.
    Warning,
    /// No finding is about it.
    Ok,
}

impl ConstraintState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintState::Blocking => "blocking",
            ConstraintState::Warning => "warning",
            ConstraintState::Ok => "ok",
        }
    }

    /// From the worst related finding: medium or above blocks.
    fn of(worst: Option<Severity>) -> ConstraintState {
        match worst {
            Some(s) if s.at_least(Severity::Medium) => ConstraintState::Blocking,
            Some(_) => ConstraintState::Warning,
            None => ConstraintState::Ok,
        }
    }
}

/// One constraint that applies to workloads of the namespace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Constraint {
    /// `quota/NAME`, `limitrange/NAME`, `pdb/NAME`, `netpol/NAME`, or `admission/N` (N counts the admission
    /// entries from 1, so a cluster-scoped policy can be named without its name).
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: ConstraintKind,
    /// The object that declares it.
    pub object: ObjectRef,
    /// Declared outside the namespace (a cluster-wide admission webhook): shown to developers only as what it does.
    pub cluster_scoped: bool,
    /// What it says, in plain words, one line each.
    pub rules: Vec<String>,
    pub detail: Detail,
    /// The workloads (top owners of pods, or bare pods) it applies to.
    pub touches: Vec<ObjectRef>,
    pub state: ConstraintState,
    /// The findings of this run about it or caused by it, most severe first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<RelatedFinding>,
}

/// A finding of the run that shows the constraint at work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelatedFinding {
    /// The finding's id in the analysis of the same run.
    pub id: String,
    pub code: String,
    pub severity: Severity,
    pub object: ObjectRef,
    pub message: String,
}

/// The figures behind the plain words, per family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Detail {
    #[serde(rename_all = "camelCase")]
    Quota { resources: Vec<QuotaUse> },
    #[serde(rename_all = "camelCase")]
    LimitRange { limits: Vec<LimitBound> },
    #[serde(rename_all = "camelCase")]
    DisruptionBudget {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_available: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_unavailable: Option<String>,
        /// `status.disruptionsAllowed`, when the controller has written it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disruptions_allowed: Option<i32>,
        /// The pods it selects now.
        pods: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    NetworkPolicy {
        /// Who may connect to the selected pods; absent when the policy does not isolate ingress.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ingress: Option<Vec<String>>,
        /// Where the selected pods may connect; absent when the policy does not isolate egress.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        egress: Option<Vec<String>>,
        /// Whether this policy's egress rules let the pods reach the cluster DNS (egress policies only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dns_allowed: Option<bool>,
    },
    #[serde(rename_all = "camelCase")]
    Admission {
        source: AdmissionSource,
        /// The webhooks (or policy rules) that match the namespace.
        hooks: Vec<AdmissionHook>,
    },
}

/// Where an admission entry comes from. A new source of admission policies is one more variant here and one
/// more function in `constraints/admission.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AdmissionSource {
    ValidatingWebhook,
    MutatingWebhook,
    /// A ValidatingAdmissionPolicy through one of its bindings: CEL rules the API server itself evaluates.
    ValidatingAdmissionPolicy,
}

impl AdmissionSource {
    /// In words, as a sentence starts with it.
    pub fn words(self) -> &'static str {
        match self {
            AdmissionSource::ValidatingWebhook => "a cluster-wide validating admission webhook",
            AdmissionSource::MutatingWebhook => "a cluster-wide mutating admission webhook",
            AdmissionSource::ValidatingAdmissionPolicy => "a cluster-wide admission policy",
        }
    }

    /// What its failure policy means when it cannot decide.
    pub fn failure_words(self, fails_closed: bool) -> &'static str {
        match (self, fails_closed) {
            (AdmissionSource::ValidatingAdmissionPolicy, true) => {
                "fails closed: a request its rules cannot be evaluated on is refused"
            }
            (AdmissionSource::ValidatingAdmissionPolicy, false) => {
                "fails open: a request its rules cannot be evaluated on is let through"
            }
            (_, true) => "fails closed: such requests are refused while it cannot be reached",
            (_, false) => "fails open: it is skipped while it cannot be reached",
        }
    }
}

/// One webhook (or rule) of an admission entry that matches the namespace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionHook {
    pub name: String,
    /// `CREATE`, `UPDATE`, ... (`*` for all).
    pub operations: Vec<String>,
    /// `group/resource` (`apps/deployments`; core resources without a group: `pods`).
    pub resources: Vec<String>,
    /// Whether a request is refused when the webhook cannot be reached (`failurePolicy: Fail`, the default).
    pub fails_closed: bool,
}

/// One resource of a quota.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuotaUse {
    pub resource: String,
    pub used: String,
    pub hard: String,
    /// Used as a share of hard; absent when either does not parse or hard is zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
}

/// One resource of one limit-range item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitBound {
    /// `Container`, `Pod` or `PersistentVolumeClaim`.
    #[serde(rename = "type")]
    pub item_type: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_limit_request_ratio: Option<String>,
}

/// Every constraint that applies to workloads of `namespace`, in kind order then by name, each with the
/// findings of `findings` about it or caused by it. `findings` are the run's findings over the whole snapshot:
/// a cluster-scoped webhook's own finding matters to every namespace it intercepts.
pub fn collect(snapshot: &Snapshot, namespace: &str, findings: &[Finding]) -> Vec<Constraint> {
    let workloads = workloads::Workloads::of(snapshot, namespace);
    let mut out = Vec::new();
    out.extend(quota::constraints(snapshot, namespace, &workloads));
    out.extend(limits::constraints(snapshot, namespace, &workloads));
    out.extend(budget::constraints(snapshot, namespace, &workloads));
    out.extend(network::constraints(snapshot, namespace, &workloads));
    out.extend(admission::constraints(snapshot, namespace, &workloads));
    blocking::attach(snapshot, findings, &mut out);
    out
}

/// A reference to an object of the kind table.
fn object_ref(kind: Kind, meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> ObjectRef {
    ObjectRef { uid: None, ..ObjectRef::from_meta(kind.api_version(), kind.name(), meta) }
}

/// An entry with no finding attached yet.
fn entry(
    kind: ConstraintKind,
    reference: String,
    object: ObjectRef,
    rules: Vec<String>,
    detail: Detail,
    touches: Vec<ObjectRef>,
) -> Constraint {
    Constraint {
        reference,
        kind,
        cluster_scoped: object.namespace.is_none(),
        object,
        rules,
        detail,
        touches,
        state: ConstraintState::Ok,
        findings: Vec::new(),
    }
}

/// A label selector in kubectl's words: `app=db,tier in (a,b)`; empty: `every pod`.
fn selector_words(selector: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>) -> String {
    let Some(selector) = selector else { return String::new() };
    let mut terms: Vec<String> = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        terms.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => format!("{} {other} ({values})", e.key),
        });
    }
    terms.join(",")
}
