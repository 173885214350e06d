//! Groups findings into problems: one model call per problem, however many objects share it.
//!
//! Two findings are the same problem when they have the same code, the same owner kind, and the same message
//! once the names, numbers, hashes and quoted strings in it are normalized away. 200 pods of one Deployment
//! crash-looping with the same exit code form one problem; so do pods of different Deployments that fail the
//! same way.

use mekhanikube_analyzers::{Evidence, Finding, ObjectRef, Severity};
use serde::Serialize;

/// Findings that share one explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub code: String,
    /// The most severe severity among the findings.
    pub severity: Severity,
    /// The kind of the top owner (`Deployment`), or the object's own kind when it has no owner.
    pub owner_kind: String,
    /// The normalized message that the findings share.
    pub pattern: String,
    /// In the order they were given; the first one is the representative the prompt is built from.
    pub findings: Vec<Finding>,
}

impl Problem {
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

    /// Every affected object, in finding order, without duplicates.
    pub fn objects(&self) -> Vec<&ObjectRef> {
        let mut out: Vec<&ObjectRef> = Vec::new();
        for f in &self.findings {
            if !out.contains(&&f.object) {
                out.push(&f.object);
            }
        }
        out
    }
}

/// Groups findings into problems, ordered by severity, then by the position of each problem's first finding.
pub fn group_findings(findings: &[Finding]) -> Vec<Problem> {
    let mut problems: Vec<(usize, Problem)> = Vec::new();
    for (index, finding) in findings.iter().enumerate() {
        let owner_kind = finding.parent.as_ref().unwrap_or(&finding.object).kind.clone();
        let pattern = normalize_message(finding);
        match problems
            .iter_mut()
            .find(|(_, p)| p.code == finding.code && p.owner_kind == owner_kind && p.pattern == pattern)
        {
            Some((_, p)) => {
                p.severity = p.severity.min(finding.severity);
                p.findings.push(finding.clone());
            }
            None => problems.push((
                index,
                Problem {
                    code: finding.code.clone(),
                    severity: finding.severity,
                    owner_kind,
                    pattern,
                    findings: vec![finding.clone()],
                },
            )),
        }
    }
    problems.sort_by_key(|(first, p)| (p.severity, *first));
    problems.into_iter().map(|(_, p)| p).collect()
}

/// The message with what differs between objects of one problem taken out: the finding's own names
/// (object, namespace, owner, containers) become `<name>`, quoted strings `"…"`, and any run of letters and
/// digits that contains a digit (counts, exit codes, durations, hashes, pod-template-hash suffixes) `#`.
pub fn normalize_message(finding: &Finding) -> String {
    let mut names: Vec<&str> = vec![finding.object.name.as_str()];
    names.extend(finding.object.namespace.as_deref());
    if let Some(p) = &finding.parent {
        names.push(&p.name);
    }
    for e in &finding.evidence {
        if let Evidence::ContainerState { container, .. } = e {
            names.push(container);
        }
    }
    names.retain(|n| !n.is_empty());
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();

    let mut out = String::with_capacity(finding.message.len());
    let text = finding.message.as_str();
    let mut i = 0;
    let mut prev: Option<char> = None;
    'outer: while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or_default();
        if matches!(c, '"' | '`')
            && let Some(end) = rest[1..].find(c)
        {
            out.push_str("\"…\"");
            i += end + 2;
            prev = Some(c);
            continue;
        }
        if prev.is_none_or(|p| !(p.is_alphanumeric() || p == '-' || p == '_')) {
            for name in &names {
                if let Some(after) = rest.strip_prefix(name)
                    && after.chars().next().is_none_or(|n| !(n.is_alphanumeric() || n == '_'))
                {
                    out.push_str("<name>");
                    i += name.len();
                    prev = name.chars().last();
                    continue 'outer;
                }
            }
        }
        if c.is_alphanumeric() {
            let len = rest.find(|ch: char| !ch.is_alphanumeric()).unwrap_or(rest.len());
            let word = &rest[..len];
            if word.chars().any(|ch| ch.is_ascii_digit()) {
                out.push('#');
            } else {
                out.push_str(word);
            }
            prev = word.chars().last();
            i += len;
            continue;
        }
        out.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    out
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
    fn normalizes_names_numbers_hashes_and_quotes() {
        let f = pod_finding(
            "shop",
            "web-7d9f8b6c5d-x2x4z",
            Some("web"),
            r#"container app of web-7d9f8b6c5d-x2x4z is crash-looping: exit code 137, 12 restarts; configmap "web-cfg" missing on node-3 (replicaset web-7d9f8b6c5d)"#,
        );
        assert_eq!(
            normalize_message(&f),
            r#"container app of <name> is crash-looping: exit code #, # restarts; configmap "…" missing on node-# (replicaset <name>-#)"#
        );
    }

    #[test]
    fn identical_pods_form_one_problem_and_order_is_by_severity_then_first() {
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
        findings.insert(0, low);
        let other_owner_kind = {
            let mut f =
                pod_finding("prod", "db-0", Some("db"), "container api is crash-looping: exit code 1, 3 restarts");
            f.parent.as_mut().unwrap().kind = "StatefulSet".into();
            f
        };
        findings.push(other_owner_kind);
        let problems = group_findings(&findings);
        assert_eq!(problems.len(), 3);
        assert_eq!(problems[0].findings.len(), 200);
        assert_eq!(problems[0].owner_kind, "Deployment");
        assert_eq!(problems[1].owner_kind, "StatefulSet");
        assert_eq!(problems[2].code, "pod-evicted");
        assert_eq!(problems[0].objects().len(), 200);
        assert_eq!(problems[0].owners().len(), 1);
    }
}
