use std::collections::BTreeSet;

use mekhanikube_analyzers::registry;

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

/// docs/analyzers.md documents every code under a `### \`code\`` heading, and nothing else.
#[test]
fn docs_list_exactly_the_codes() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/analyzers.md")).unwrap();
    let documented: BTreeSet<String> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("### `").and_then(|r| r.strip_suffix('`')))
        .map(str::to_string)
        .collect();
    let declared: BTreeSet<String> =
        registry().iter().flat_map(|a| a.codes().iter().map(|c| c.code.to_string())).collect();
    let missing: Vec<_> = declared.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&declared).collect();
    assert!(missing.is_empty() && stale.is_empty(), "undocumented: {missing:?}; documented but unknown: {stale:?}");
}
