use std::collections::{BTreeMap, BTreeSet};

use mekhanikube_analyzers::{CodeInfo, Severity, registry, run};

use crate::common::{all_fixtures, load};

fn all_codes() -> impl Iterator<Item = &'static CodeInfo> {
    registry().iter().flat_map(|a| a.codes().iter())
}

/// The severity names a text mentions, in order.
fn severity_words(text: &str) -> Vec<Severity> {
    text.split(|c: char| !c.is_ascii_alphabetic()).filter_map(|w| w.parse().ok()).collect()
}

#[test]
fn codes_are_unique_and_kebab_case() {
    let mut seen = BTreeSet::new();
    for analyzer in registry() {
        assert!(!analyzer.codes().is_empty(), "{} declares no codes", analyzer.name());
        assert!(!analyzer.kinds().is_empty(), "{} reads no kinds", analyzer.name());
        for code in analyzer.codes() {
            let kebab = code
                .code
                .split('-')
                .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            assert!(kebab, "{} is not kebab-case", code.code);
            assert!(seen.insert(code.code), "{} is declared twice", code.code);
            assert!(code.summary.ends_with('.'), "{}: summary should be a sentence", code.code);
        }
    }
}

#[test]
fn analyzer_names_are_unique() {
    let names: Vec<_> = registry().iter().map(|a| a.name()).collect();
    let unique: BTreeSet<_> = names.iter().collect();
    assert_eq!(names.len(), unique.len());
}

/// Each rule is complete and says one thing once: `when` is empty exactly when there are no other severities, and
/// otherwise names each of them, in the declared order (most severe first), and nothing else.
#[test]
fn severity_rules_are_well_formed() {
    for code in all_codes() {
        let rule = &code.severity;
        let id = code.code;
        assert!(!rule.others.contains(&rule.default), "{id}: the default is also among the others");
        assert!(rule.others.windows(2).all(|w| w[0] < w[1]), "{id}: others must be distinct, most severe first");
        assert_eq!(rule.when.is_empty(), rule.others.is_empty(), "{id}: `when` is needed exactly with others");
        assert_eq!(
            severity_words(rule.when),
            rule.others,
            "{id}: `when` must name the others, in order, and only them"
        );
        assert!(
            !rule.when.ends_with('.') && rule.when.trim() == rule.when,
            "{id}: `when` is a clause: {:?}",
            rule.when
        );
    }
}

/// docs/analyzers.md documents every code under a `### \`code\`` heading, and nothing else; each section has
/// exactly one `Severity:` line, equal to what the code's rule describes.
#[test]
fn docs_list_exactly_the_codes() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/analyzers.md")).unwrap();
    let mut sections: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in docs.lines() {
        if line.starts_with('#') {
            current = line.strip_prefix("### `").and_then(|r| r.strip_suffix('`')).map(str::to_string);
            if let Some(code) = &current {
                assert!(sections.insert(code.clone(), Vec::new()).is_none(), "{code} is documented twice");
            }
        } else if let Some(code) = &current
            && line.starts_with("Severity:")
        {
            sections.get_mut(code).unwrap().push(line);
        }
    }
    let documented: BTreeSet<String> = sections.keys().cloned().collect();
    let declared: BTreeSet<String> = all_codes().map(|c| c.code.to_string()).collect();
    let missing: Vec<_> = declared.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&declared).collect();
    assert!(missing.is_empty() && stale.is_empty(), "undocumented: {missing:?}; documented but unknown: {stale:?}");
    let wrong: Vec<String> = all_codes()
        .filter(|c| sections[c.code] != [c.severity.describe().as_str()])
        .map(|c| format!("{}: docs say {:?}, the code says {:?}", c.code, sections[c.code], c.severity.describe()))
        .collect();
    assert!(wrong.is_empty(), "severity lines out of sync:\n{}", wrong.join("\n"));
}

/// Severities are stated once: below the legend, no prose line of docs/analyzers.md names a severity, so it cannot
/// contradict the `Severity:` lines.
#[test]
fn docs_name_severities_only_in_severity_lines() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/analyzers.md")).unwrap();
    let body = &docs[docs.find("\n## ").expect("analyzer sections")..];
    let stray: Vec<&str> =
        body.lines().filter(|l| !l.starts_with("Severity:") && !severity_words(l).is_empty()).collect();
    assert!(stray.is_empty(), "severity named outside a Severity line:\n{}", stray.join("\n"));
}

/// Every analyzer over every fixture (not only its own: a pod fixture also holds Deployments and Services) reports
/// each code only at a severity its rule declares. Checked here besides `Snapshot::finding`'s debug assertion so
/// that it holds in release test runs too.
#[test]
fn fixture_findings_have_declared_severities() {
    let rules: BTreeMap<&str, &CodeInfo> = all_codes().map(|c| (c.code, c)).collect();
    let fixtures = all_fixtures();
    assert!(fixtures.len() > 1, "no fixtures found");
    let mut undeclared = Vec::new();
    for fixture in &fixtures {
        for f in run(registry(), &load(fixture)) {
            let info = rules.get(f.code.as_str()).unwrap_or_else(|| panic!("{fixture}: undeclared code {}", f.code));
            if !info.severity.allows(f.severity) {
                undeclared.push(format!("{fixture}: {} on {} at {}", f.code, f.object.name, f.severity));
            }
        }
    }
    assert!(undeclared.is_empty(), "severities outside the code's rule:\n{}", undeclared.join("\n"));
}

/// Severities a rule declares that no fixture exercises yet. Kept exact, so that a new fixture shrinks it and a
/// rule declaring a severity its analyzer cannot reach is noticed.
const NOT_YET_IN_FIXTURES: &[(&str, Severity)] =
    &[("daemonset-pods-not-ready", Severity::High), ("webhook-service-missing", Severity::Medium)];

/// The other direction: every severity a rule declares is one the fixtures see the analyzer report, so the rules
/// are not wider than the code.
#[test]
fn declared_severities_are_reached_by_fixtures() {
    let mut seen = BTreeSet::new();
    for fixture in all_fixtures() {
        seen.extend(run(registry(), &load(&fixture)).into_iter().map(|f| (f.code, f.severity)));
    }
    let unreached: Vec<(&str, Severity)> = all_codes()
        .flat_map(|c| std::iter::once(c.severity.default).chain(c.severity.others.iter().copied()).map(|s| (c.code, s)))
        .filter(|(code, s)| !seen.contains(&(code.to_string(), *s)))
        .collect();
    assert_eq!(unreached, NOT_YET_IN_FIXTURES, "declared severities no fixture reaches");
}
