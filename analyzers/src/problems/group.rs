//! Identical symptoms: findings with the same code, the same top owner and the same message once names,
//! numbers, hashes and quoted strings are taken out. 200 pods of one Deployment crash-looping with one exit code
//! are one problem; pods of two Deployments failing alike are two (two owners, two causes to fix).

use crate::evidence::Evidence;
use crate::finding::Finding;
use crate::links::{Key, key};

/// What identical symptoms share.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct GroupKey {
    code: String,
    owner: Key,
    pattern: String,
}

pub(crate) fn group_key(finding: &Finding) -> GroupKey {
    GroupKey {
        code: finding.code.clone(),
        owner: key(finding.parent.as_ref().unwrap_or(&finding.object)),
        pattern: normalize_message(finding),
    }
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
    use crate::finding::{ObjectRef, Severity};

    fn pod_finding(ns: &str, pod: &str, deploy: Option<&str>, message: &str) -> Finding {
        let object = ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some(ns.into()),
            name: pod.into(),
            uid: None,
        };
        let parent = deploy.map(|d| ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: d.into(),
            ..object.clone()
        });
        Finding {
            id: String::new(),
            analyzer: "pod".into(),
            code: "pod-crash-loop".into(),
            severity: Severity::High,
            object,
            parent,
            message: message.into(),
            evidence: Vec::new(),
        }
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
    fn same_owner_and_pattern_group_other_owners_do_not() {
        let a = pod_finding(
            "prod",
            "api-5c6d-aaaaa",
            Some("api"),
            "container api is crash-looping: exit code 1, 3 restarts",
        );
        let b = pod_finding(
            "prod",
            "api-5c6d-bbbbb",
            Some("api"),
            "container api is crash-looping: exit code 1, 9 restarts",
        );
        let c = pod_finding(
            "prod",
            "web-5c6d-ccccc",
            Some("web"),
            "container api is crash-looping: exit code 1, 3 restarts",
        );
        assert_eq!(group_key(&a), group_key(&b));
        assert_ne!(group_key(&a), group_key(&c));
    }
}
