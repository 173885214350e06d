//! Property tests over the public API: `run` orders and deduplicates whatever the analyzers return, and the
//! hygiene redaction never lets a URL password through. Random inputs, shrunk to a minimal case on failure.

use mekhanikube_analyzers::hygiene::{redact_args, redact_url_passwords};
use mekhanikube_analyzers::{Analyzer, CodeInfo, Evidence, Finding, Kind, ObjectRef, Severity, SnapshotBuilder, run};
use proptest::prelude::*;

/// An analyzer that returns a fixed list of findings, whatever the snapshot.
struct Canned(Vec<Finding>);

impl Analyzer for Canned {
    fn name(&self) -> &'static str {
        "canned"
    }
    fn kinds(&self) -> &'static [Kind] {
        &[]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[]
    }
    fn analyze(&self, _snapshot: &mekhanikube_analyzers::Snapshot) -> Vec<Finding> {
        self.0.clone()
    }
}

/// Findings drawn from tiny alphabets, so that equal sort keys, equal findings, and findings that differ only in
/// what the sort key leaves out (analyzer, uid, parent, evidence) are all common.
fn finding() -> impl Strategy<Value = Finding> {
    (
        prop::sample::select(vec![Severity::High, Severity::Low]),
        prop::option::of(Just("ns1")),
        prop::sample::select(vec!["a", "b"]),
        prop::sample::select(vec!["pod", "service"]),
        prop::option::of(Just("uid-1")),
        prop::option::of(Just("web")),
        prop::option::of(Just("x")),
    )
        .prop_map(|(severity, namespace, name, analyzer, uid, parent, evidence)| Finding {
            id: String::new(),
            analyzer: analyzer.into(),
            code: "code-a".into(),
            severity,
            object: ObjectRef { uid: uid.map(Into::into), ..object(namespace, "Pod", name) },
            parent: parent.map(|p| object(namespace, "Deployment", p)),
            message: "m".into(),
            evidence: evidence.into_iter().map(|v| Evidence::field("f", v)).collect(),
        })
}

fn without_id(f: &Finding) -> Finding {
    Finding { id: String::new(), ..f.clone() }
}

fn object(namespace: Option<&str>, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: if kind == "Deployment" { "apps/v1" } else { "v1" }.into(),
        kind: kind.into(),
        namespace: namespace.map(Into::into),
        name: name.into(),
        uid: None,
    }
}

proptest! {
    // Failures are kept as plain tests below, with the input inline, rather than in a regressions file.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(512) })]

    /// Sorted by the report order, no finding twice, and every finding that went in comes out.
    #[test]
    fn run_sorts_and_deduplicates(first in prop::collection::vec(finding(), 0..24),
                                  second in prop::collection::vec(finding(), 0..24)) {
        let analyzers: [&dyn Analyzer; 2] = [&Canned(first.clone()), &Canned(second.clone())];
        let with_ids = run(&analyzers, &SnapshotBuilder::new().build());
        let ids: std::collections::BTreeSet<&str> = with_ids.iter().map(|f| f.id.as_str()).collect();
        prop_assert_eq!(ids.len(), with_ids.len(), "ids are unique");
        // Ids are given by `run`; the rest of each finding is what the analyzers said.
        let findings: Vec<Finding> = with_ids.iter().map(without_id).collect();
        for pair in findings.windows(2) {
            prop_assert!(pair[0].sort_key() <= pair[1].sort_key(), "out of order: {:?}", pair);
        }
        for (i, f) in findings.iter().enumerate() {
            prop_assert!(!findings[i + 1..].contains(f), "twice: {f:?}");
        }
        for f in first.iter().chain(&second) {
            prop_assert!(findings.contains(f), "lost: {f:?}");
        }
    }

    /// `scheme://user:password@host` loses its password, alone, after a flag, or embedded in a longer text.
    #[test]
    fn url_passwords_never_leak(scheme in "[a-z][a-z0-9+.-]{0,8}",
                                user in r"[^@/:\s]{0,12}",
                                password in r"[^@/:\s]{1,12}",
                                host in "[a-z0-9.-]{1,12}(:[0-9]{1,5})?",
                                path in "(/[a-z0-9]{0,6}){0,2}",
                                before in r"[a-z=\- ]{0,6}") {
        let url = format!("{scheme}://{user}:{password}@{host}{path}");
        let expected = format!("{scheme}://{user}:<redacted>@{host}{path}");
        prop_assert_eq!(redact_url_passwords(&url), expected.clone());
        prop_assert_eq!(redact_url_passwords(&format!("{before}{url} tail")), format!("{before}{expected} tail"));
        // A command line may redact more (a user named `token=x` makes the item look like an assignment), never
        // less: `:password@` can only come from the URL, since neither the user nor the host holds an `@`.
        let leaked = format!(":{password}@");
        for args in [vec!["--url".to_string(), url.clone()], vec![format!("--endpoint={url}")], vec![url.clone()]] {
            let out = redact_args(&args).join(" ");
            prop_assert!(!out.contains(&leaked), "{args:?} -> {out}");
            prop_assert!(out.contains("<redacted>"), "{args:?} -> {out}");
        }
    }
}

// Regressions found by the properties above.

/// Two equal findings with a third of the same sort key between them (stable sort kept A, B, A; `dedup` only
/// drops neighbours).
#[test]
fn run_drops_a_duplicate_that_is_not_a_neighbour() {
    let base = Finding {
        id: String::new(),
        analyzer: "pod".into(),
        code: "code-a".into(),
        severity: Severity::High,
        object: object(None, "Pod", "a"),
        parent: None,
        message: "m".into(),
        evidence: vec![Evidence::field("f", "x")],
    };
    let other = Finding { evidence: Vec::new(), ..base.clone() };
    let findings = run(&[&Canned(vec![base.clone(), other.clone(), base.clone()])], &SnapshotBuilder::new().build());
    assert_eq!(findings.iter().map(without_id).collect::<Vec<_>>(), [base, other]);
}

/// A quote in a password ended the URL's authority before the `@`, and the password was kept.
#[test]
fn a_quote_in_a_password_is_redacted_too() {
    assert_eq!(redact_url_passwords("a://:'@-"), "a://:<redacted>@-");
    assert_eq!(
        redact_args(&["--dsn=postgres://app:it's\"x@db:5432/shop"]),
        ["--dsn=postgres://app:<redacted>@db:5432/shop"]
    );
    // Quotes around a URL still end up outside what is replaced.
    assert_eq!(redact_url_passwords("url='https://u:pw@h' ok"), "url='https://u:<redacted>@h' ok");
}
