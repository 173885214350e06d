//! What one model call explains: a problem of the core (`mekhanikube_analyzers::problems`: a root cause, its
//! consequences and its blast radius), with its findings at hand. There is one notion of problem in the
//! product; this module only splits the members into the root's identical symptoms and its consequences.

use mekhanikube_analyzers::constraints::Constraint;
use mekhanikube_analyzers::{Evidence, Finding, ObjectRef, Severity, Snapshot, normalize_message};

/// A core problem with its findings.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The root finding's code.
    pub code: String,
    /// The most severe severity among all members: the root inherits its consequences'.
    pub severity: Severity,
    /// The kind of the root's top owner (`Deployment`), or the root object's own kind when it has no owner.
    pub owner_kind: String,
    /// The root's message with names, numbers and quoted strings taken out.
    pub pattern: String,
    /// The root and its identical symptoms on other objects of the same owner, root first: the prompt is built
    /// from the first.
    pub findings: Vec<Finding>,
    /// The other members: findings that are consequences of the root, in report order.
    pub consequences: Vec<Finding>,
    /// The problem as the core built it: cause, links with their evidence, blast radius.
    pub core: mekhanikube_analyzers::Problem,
    /// A constraint asked about (`constraints --explain`) rather than a problem found: the prompt is
    /// prompts/constraint.j2, written for the namespace's developer.
    pub constraint: bool,
}

impl Problem {
    /// Wraps core problems, keeping their order.
    pub fn from_core(problems: &[mekhanikube_analyzers::Problem], findings: &[Finding]) -> Vec<Problem> {
        problems.iter().filter_map(|p| Problem::wrap(p, findings)).collect()
    }

    fn wrap(core: &mekhanikube_analyzers::Problem, findings: &[Finding]) -> Option<Problem> {
        let alike: Vec<Finding> = core.alike(findings).into_iter().cloned().collect();
        let root = alike.first()?.clone();
        let consequences = core.findings(findings).into_iter().filter(|f| !alike.contains(f)).cloned().collect();
        Some(Problem {
            code: root.code.clone(),
            severity: core.severity,
            owner_kind: root.parent.as_ref().unwrap_or(&root.object).kind.clone(),
            pattern: normalize_message(&root),
            findings: alike,
            consequences,
            core: core.clone(),
            constraint: false,
        })
    }

    /// One constraint of the constraints view, as a problem of one finding: its plain words are the message, and
    /// its figures, the workloads it touches and the findings that show it blocking are the evidence. The
    /// object's spec reaches the prompt as a problem's would.
    pub fn from_constraint(c: &Constraint) -> Problem {
        let code = format!("constraint-{}", c.kind.prefix());
        let severity = c.findings.first().map(|f| f.severity).unwrap_or(Severity::Info);
        let mut evidence = vec![
            Evidence::field("constraint", c.reference.clone()),
            Evidence::field("state", c.state.as_str()),
            Evidence::field(
                "touches",
                c.touches.iter().map(|o| format!("{} {}", o.kind, o.name)).collect::<Vec<_>>().join(", "),
            ),
        ];
        evidence.extend(c.rules.iter().enumerate().map(|(i, r)| Evidence::field(format!("rule {}", i + 1), r.clone())));
        evidence.extend(c.findings.iter().map(|f| {
            Evidence::field(
                format!("finding on {} {}", f.object.kind, f.object.name),
                format!("{} ({}): {}", f.code, f.severity, f.message),
            )
        }));
        let finding = Finding {
            id: mekhanikube_analyzers::finding_id(&code, &c.object),
            analyzer: "constraints".into(),
            code: code.clone(),
            severity,
            object: c.object.clone(),
            parent: None,
            message: c.rules.join("; "),
            evidence,
        };
        let core = mekhanikube_analyzers::Problem {
            root: finding.id.clone(),
            severity,
            cause: None,
            summary: finding.message.clone(),
            members: vec![finding.id.clone()],
            links: Vec::new(),
            blast_radius: Vec::new(),
        };
        Problem {
            code,
            severity,
            owner_kind: c.object.kind.clone(),
            pattern: normalize_message(&finding),
            findings: vec![finding],
            consequences: Vec::new(),
            core,
            constraint: true,
        }
    }

    /// The finding the prompt describes.
    pub fn representative(&self) -> &Finding {
        &self.findings[0]
    }

    #[cfg(test)]
    pub fn owners(&self) -> Vec<&ObjectRef> {
        let mut out: Vec<&ObjectRef> = Vec::new();
        for p in self.findings.iter().filter_map(|f| f.parent.as_ref()) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// Every object that shows the root's symptom, in finding order, without duplicates.
    pub fn objects(&self) -> Vec<&ObjectRef> {
        let mut out: Vec<&ObjectRef> = Vec::new();
        for f in &self.findings {
            if !out.contains(&&f.object) {
                out.push(&f.object);
            }
        }
        out
    }

    /// This problem's explanation as the analysis document records it (the CLI's `-o json` and the MCP server).
    pub fn entry(&self, outcome: &super::ProblemOutcome) -> crate::document::ExplanationEntry {
        crate::document::ExplanationEntry {
            problem: self.core.root.clone(),
            code: self.code.clone(),
            severity: self.severity,
            owner_kind: self.owner_kind.clone(),
            pattern: self.pattern.clone(),
            objects: self.objects().iter().map(|o| o.display()).collect(),
            status: outcome.status,
            cached: outcome.cached,
            text: outcome.text.clone(),
            explanation: outcome.explanation.clone(),
            error: outcome.error.clone(),
            warnings: outcome.warnings.clone(),
            // What the model took, for a fresh answer; a cached one took nothing.
            timing: outcome.stats.as_ref().filter(|_| !outcome.cached).map(|s| crate::document::Timing {
                first_token_ms: s.first_token_ms,
                total_ms: s.wall_ms,
                tokens: s.eval_count,
            }),
        }
    }
}

/// Links findings into problems as the analysis does, with no snapshot: identical symptoms only. For tests and
/// callers that have findings alone. `findings` must be in report order.
pub fn group_findings(findings: &[Finding]) -> Vec<Problem> {
    let mut findings = findings.to_vec();
    ensure_ids(&mut findings);
    let problems = mekhanikube_analyzers::problems(&Snapshot::default(), &mut findings);
    Problem::from_core(&problems, &findings)
}

/// Gives findings built by hand (without ids, or with repeated ones) ids the problems can refer to.
fn ensure_ids(findings: &mut [Finding]) {
    let mut seen = std::collections::HashSet::new();
    for (i, f) in findings.iter_mut().enumerate() {
        if f.id.is_empty() || !seen.insert(f.id.clone()) {
            f.id = format!("{}-{i}", mekhanikube_analyzers::finding_id(&f.code, &f.object));
            seen.insert(f.id.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn pod_finding(ns: &str, pod: &str, deploy: Option<&str>, message: &str) -> Finding {
        let parent = deploy.map(|d| ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some(ns.into()),
            name: d.into(),
            uid: None,
        });
        Finding { parent, ..crate::test_support::pod_finding(Some(ns), pod, message) }
    }

    #[test]
    fn identical_pods_of_one_owner_form_one_problem_ordered_by_severity_then_first() {
        let mut findings = Vec::new();
        for i in 0..200 {
            let pod = format!("api-5c6d7e8f9a-{:05}", i);
            findings.push(pod_finding(
                "prod",
                &pod,
                Some("api"),
                &format!("container api is crash-looping: exit code 1, {i} restarts"),
            ));
        }
        let mut low = pod_finding("prod", "batch-x", None, "pod was evicted: The node was low on resource: memory.");
        low.code = "pod-evicted".into();
        low.severity = Severity::Medium;
        findings.push(low);
        let other_owner = {
            let mut f =
                pod_finding("prod", "db-0", Some("db"), "container api is crash-looping: exit code 1, 3 restarts");
            f.parent.as_mut().unwrap().kind = "StatefulSet".into();
            f
        };
        findings.insert(0, other_owner);
        let problems = group_findings(&findings);
        assert_eq!(problems.len(), 3);
        assert_eq!(problems[0].owner_kind, "StatefulSet", "first in report order among equals");
        assert_eq!(problems[1].findings.len(), 200);
        assert_eq!(problems[1].owner_kind, "Deployment");
        assert_eq!(problems[2].code, "pod-evicted");
        assert_eq!(problems[1].objects().len(), 200);
        assert_eq!(problems[1].owners().len(), 1);
        assert!(problems.iter().all(|p| p.consequences.is_empty()), "no snapshot, no links");
    }
}
