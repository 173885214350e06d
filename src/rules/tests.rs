use super::*;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CERTIFICATES: &str = r#"
name: certificates
rules:
- code: certificate-expiring-soon
  match: {apiVersion: cert-manager.io/v1, kind: Certificate}
  condition: has(object.status.notAfter) && timestamp(object.status.notAfter) - now < duration('336h')
  severity: medium
  message: "certificate {{ object.metadata.name }} expires at {{ object.status.notAfter }}"
- code: pod-without-limits
  match: {apiVersion: v1, kind: Pod}
  condition: object.spec.containers.exists(c, !has(c.resources) || !has(c.resources.limits))
  severity: low
  message: "a container of {{ object.metadata.name }} has no limits"
"#;

fn snapshot() -> Snapshot {
    let text = r#"
kind: List
items:
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: soon, namespace: shop}
  status: {notAfter: "2026-12-05T00:00:00Z"}
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: later, namespace: shop}
  status: {notAfter: "2027-06-01T00:00:00Z"}
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: new, namespace: shop}
- apiVersion: v1
  kind: Pod
  metadata: {name: free, namespace: shop, creationTimestamp: "2026-11-30T12:00:00Z"}
  spec: {containers: [{name: a, image: a}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: bounded, namespace: shop}
  spec: {containers: [{name: a, image: a, resources: {limits: {memory: 1Gi}}}]}
"#;
    let mut builder = mekhanikube_analyzers::SnapshotBuilder::new();
    builder.add_text("rules.yaml", text).unwrap();
    builder.build()
}

#[test]
fn rules_match_built_in_and_custom_kinds_against_the_snapshot_clock() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "certificates.yaml", CERTIFICATES);
    let loaded = load_dir(dir.path(), &[]).unwrap();
    assert_eq!(loaded.len(), 1);
    let analyzer = loaded[0];
    assert_eq!(analyzer.name(), "certificates");
    assert!(analyzer.reads_custom());
    assert_eq!(analyzer.kinds(), [Kind::Pod, Kind::Event]);
    let findings = mekhanikube_analyzers::run(&[analyzer as &dyn Analyzer], &snapshot());
    let got: Vec<(&str, &str, &str)> =
        findings.iter().map(|f| (f.code.as_str(), f.object.name.as_str(), f.message.as_str())).collect();
    assert_eq!(
        got,
        [
            ("certificate-expiring-soon", "soon", "certificate soon expires at 2026-12-05T00:00:00Z"),
            ("pod-without-limits", "free", "a container of free has no limits"),
        ]
    );
    assert_eq!(findings[0].severity, Severity::Medium);
    assert_eq!(findings[0].object.api_version, "cert-manager.io/v1");
}

/// Each mistake is one line naming the file and the rule.
#[test]
fn bad_rule_files_give_one_line_naming_file_and_rule() {
    let cases = [
        ("malformed.yaml", "name: x\nrules: [", "not a rule file"),
        (
            "syntax.yaml",
            "name: x\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: Pod}, condition: 'object.x +', severity: low, message: m}\n",
            "rule a-b: condition: ",
        ),
        (
            "types.yaml",
            "name: x\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: Pod}, condition: 'object.metadata.name + 1 == 2', severity: low, message: m}\n",
            "rule a-b: condition: ",
        ),
        (
            "not-bool.yaml",
            "name: x\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: Pod}, condition: 'object.metadata.name', severity: low, message: m}\n",
            "rule a-b: condition: must be a boolean, not a string",
        ),
        (
            "severity.yaml",
            "name: x\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: Pod}, condition: 'true', severity: huge, message: m}\n",
            "rule a-b: unknown severity 'huge'",
        ),
        (
            "taken.yaml",
            "name: x\nrules:\n- {code: pod-crash-loop, match: {apiVersion: v1, kind: Pod}, condition: 'true', severity: low, message: m}\n",
            "rule pod-crash-loop: the code is already in use",
        ),
        (
            "unread.yaml",
            "name: x\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: PodTemplate}, condition: 'true', severity: low, message: m}\n",
            "rule a-b: v1 PodTemplate is not a kind mekhanikube reads",
        ),
        (
            "template.yaml",
            "name: x\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: Pod}, condition: 'true', severity: low, message: 'x {{ object.'}\n",
            "rule a-b: message: ",
        ),
    ];
    for (file, text, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), file, text);
        let err = load_dir(dir.path(), &[("pod", vec!["pod-crash-loop"])]).map(|_| ()).unwrap_err().to_string();
        assert!(err.starts_with(&dir.path().join(file).display().to_string()), "{file}: {err}");
        assert!(err.contains(expected), "{file}: {err}");
        assert_eq!(err.lines().count(), 1, "{file}: {err}");
    }
}

#[test]
fn shipped_example_rules_load() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/rules");
    let loaded = load_dir(Path::new(dir), &[]).unwrap();
    assert!(!loaded.is_empty());
}
