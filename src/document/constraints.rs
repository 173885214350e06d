//! The constraints document behind `mekhanikube constraints -o json|yaml`: every constraint on one namespace's
//! workloads (the core's `constraints` model), with the run's source and audience. Its JSON Schema is published
//! in docs/constraints.schema.json, kept in sync by the same test as the analysis schema.

use mekhanikube_analyzers::Skipped;
use mekhanikube_analyzers::constraints::{Constraint, ConstraintState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{API_VERSION, Audience, ExplanationEntry, Source};

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConstraintsDocument {
    /// Always `mekhanikube.io/v1alpha1`.
    pub api_version: String,
    /// Always `Constraints`.
    pub kind: String,
    /// When the view was made (RFC 3339).
    pub generated_at: String,
    pub source: Source,
    pub namespace: String,
    /// `developer`: cluster-scoped policies and other namespaces' objects are said without their names.
    pub audience: Audience,
    pub summary: ConstraintsSummary,
    /// Quotas, limit ranges, disruption budgets, network policies, then admission; each kind by name.
    pub constraints: Vec<Constraint>,
    /// Kinds that could not be read, and why: constraints of those kinds may be missing.
    pub skipped: Vec<Skipped>,
    /// Present with --explain: the explanation of the one constraint asked about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<ExplanationEntry>,
}

/// How many constraints apply, and how many are in the way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConstraintsSummary {
    pub total: usize,
    pub blocking: usize,
    pub warning: usize,
    /// The namespace's workloads (top-level pod templates and bare pods) that at least one blocking constraint
    /// touches.
    pub workloads_blocked: usize,
}

impl ConstraintsDocument {
    pub fn new(
        source: Source,
        namespace: String,
        audience: Audience,
        constraints: Vec<Constraint>,
        skipped: Vec<Skipped>,
    ) -> ConstraintsDocument {
        let count = |state| constraints.iter().filter(|c| c.state == state).count();
        let mut blocked: Vec<&mekhanikube_analyzers::ObjectRef> = constraints
            .iter()
            .filter(|c| c.state == ConstraintState::Blocking)
            .flat_map(|c| c.touches.iter())
            .collect();
        blocked.sort();
        blocked.dedup();
        let summary = ConstraintsSummary {
            total: constraints.len(),
            blocking: count(ConstraintState::Blocking),
            warning: count(ConstraintState::Warning),
            workloads_blocked: blocked.len(),
        };
        ConstraintsDocument {
            api_version: API_VERSION.into(),
            kind: "Constraints".into(),
            generated_at: jiff::Timestamp::now().to_string(),
            source,
            namespace,
            audience,
            summary,
            constraints,
            skipped,
            explanation: None,
        }
    }
}
