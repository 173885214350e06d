//! The CLI on saved snapshots: formats, ordering, scope flags, exit codes, the published schema.

use mekhanikube_analyzers::{Evidence, Finding, Problem};

use crate::common::{finding_keys, fixture, json, mekhanikube, repo_path, run};

#[test]
fn analyzers_lists_every_analyzer_with_codes() {
    let out = run(mekhanikube().args(["analyzers", "-o", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list = json(&out.stdout);
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    for expected in [
        "pod",
        "deployment",
        "replicaset",
        "statefulset",
        "daemonset",
        "job",
        "cronjob",
        "service",
        "ingress",
        "pvc",
        "node",
        "webhook",
        "hpa",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let pod = list.as_array().unwrap().iter().find(|a| a["name"] == "pod").unwrap();
    assert!(pod["codes"].as_array().unwrap().iter().any(|c| c["code"] == "pod-crash-loop"));
    assert!(pod["kinds"].as_array().unwrap().iter().any(|k| k == "Pod"));
    let code = |name: &str| pod["codes"].as_array().unwrap().iter().find(|c| c["code"] == name).unwrap().clone();
    assert_eq!(code("pod-crash-loop")["severity"], serde_json::json!({"default": "high", "others": [], "when": ""}));
    assert_eq!(
        code("pod-oom-killed")["severity"],
        serde_json::json!({"default": "high", "others": ["medium"], "when": "medium when the container is running again"})
    );
}

#[test]
fn analyzers_table_gives_each_code_its_severity() {
    let out = run(mekhanikube().args(["analyzers"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.lines().any(|l| l.contains("CODES") && l.contains("SEVERITY")), "{}", out.stdout);
    // Codes and severities are listed line by line in neighbouring columns: each code's line carries its own.
    let severity_of = |code: &str| {
        let line = out.stdout.lines().find(|l| l.contains(code)).unwrap_or_else(|| panic!("{code}: {}", out.stdout));
        let cells: Vec<&str> = line.split(['│', '┆']).map(str::trim).collect();
        assert_eq!(cells.get(3), Some(&code), "{line}");
        cells.get(4).map(|s| s.to_string()).unwrap_or_default()
    };
    assert_eq!(severity_of("pod-crash-loop"), "high");
    assert_eq!(severity_of("pod-oom-killed"), "high (or medium)");
    assert_eq!(severity_of("deployment-unavailable"), "medium (or critical, high)");
    assert_eq!(severity_of("node-cordoned"), "info");
}

#[test]
fn json_document_is_versioned_sorted_and_counted() {
    let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(fixture("pod/broken.yaml")).args(["-o", "json"]));
    assert_eq!(out.code, 1, "high findings exit 1: {}", out.stderr);
    let doc = json(&out.stdout);
    assert_eq!(doc["apiVersion"], "mekhanikube.io/v1alpha1");
    assert_eq!(doc["kind"], "Analysis");
    assert_eq!(doc["source"]["mode"], "snapshot");
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(doc["summary"]["total"].as_u64().unwrap() as usize, findings.len());
    let rank = |s: &str| ["critical", "high", "medium", "low", "info"].iter().position(|x| *x == s).unwrap();
    let keys: Vec<(usize, String, String)> = findings
        .iter()
        .map(|f| {
            (
                rank(f["severity"].as_str().unwrap()),
                f["object"]["namespace"].as_str().unwrap_or("").to_string(),
                f["object"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings are ordered by severity, namespace, name");
    let score = doc["summary"]["healthScore"].as_u64().unwrap();
    assert!(score < 100);
    // lower camelCase keys only
    assert!(doc["findings"][0].get("object").unwrap().get("apiVersion").is_some());
}

#[test]
fn json_and_yaml_carry_the_same_document() {
    let path = fixture("pod/broken.yaml");
    let from_json = json(&run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json"])).stdout);
    let yaml_out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "yaml"]));
    let from_yaml: serde_json::Value = serde_saphyr::from_str(&yaml_out.stdout).expect("valid YAML");
    assert_eq!(finding_keys(&from_json), finding_keys(&from_yaml));
    assert_eq!(from_json["summary"], from_yaml["summary"]);
}

#[test]
fn output_validates_against_the_published_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path("docs/analysis.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for fixture_name in ["pod/broken.yaml", "pod/healthy.yaml", "../../../examples/demo-cluster.yaml"] {
        let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(fixture(fixture_name)).args(["-o", "json"]));
        let doc = json(&out.stdout);
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{fixture_name}: {errors:?}");
    }
}

#[test]
fn min_severity_hides_and_fail_on_sets_the_exit_code() {
    let path = fixture("pod/broken.yaml");
    let all = json(&run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json"])).stdout);
    let high =
        run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json", "--min-severity", "high"]));
    let high_doc = json(&high.stdout);
    assert!(
        high_doc["findings"].as_array().unwrap().iter().all(|f| f["severity"] == "high" || f["severity"] == "critical")
    );
    assert!(high_doc["findings"].as_array().unwrap().len() < all["findings"].as_array().unwrap().len());
    let lenient =
        run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json", "--fail-on", "critical"]));
    assert_eq!(lenient.code, 0, "no critical finding in the pod fixture");
    let healthy = run(mekhanikube().args(["analyze", "--snapshot"]).arg(fixture("pod/healthy.yaml")));
    assert_eq!(healthy.code, 0);
    assert!(healthy.stdout.contains("no findings"), "{}", healthy.stdout);
}

#[test]
fn scope_flags_narrow_findings() {
    let path = fixture("pod/broken.yaml");
    let by_resource = json(
        &run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args([
            "-o",
            "json",
            "--resource",
            "deployment/api",
        ]))
        .stdout,
    );
    assert_eq!(finding_keys(&by_resource), vec![("pod-crash-loop".to_string(), "api-5d8f7c9b6-crash".to_string())]);
    let by_label = json(
        &run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json", "-l", "app=api"])).stdout,
    );
    assert_eq!(finding_keys(&by_label), finding_keys(&by_resource));
    // A namespace with nothing in it is a typo, not a clean bill of health (errors.rs has the message).
    let other_ns =
        run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json", "-n", "elsewhere"]));
    assert_eq!(other_ns.code, 2, "{}", other_ns.stderr);
    assert!(other_ns.stdout.is_empty());
    let filtered = json(
        &run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path).args(["-o", "json", "--filter", "service,node"]))
            .stdout,
    );
    assert!(filtered["findings"].as_array().unwrap().is_empty(), "the pod analyzer was not selected");
    assert_eq!(filtered["scope"]["analyzers"], serde_json::json!(["service", "node"]));
}

#[test]
fn directories_multi_document_yaml_and_json_load_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(fixture("pod/broken.yaml")).unwrap();
    let list: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    let items = list["items"].as_array().unwrap();
    // Half as a JSON List, half as multi-document YAML of single objects.
    let (first, second) = items.split_at(items.len() / 2);
    std::fs::write(
        dir.path().join("a.json"),
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": first}).to_string(),
    )
    .unwrap();
    let docs: Vec<String> = second.iter().map(|i| serde_saphyr::to_string(i).unwrap()).collect();
    std::fs::write(dir.path().join("b.yaml"), docs.join("---\n")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let from_dir =
        json(&run(mekhanikube().args(["analyze", "--snapshot"]).arg(dir.path()).args(["-o", "json"])).stdout);
    let from_file = json(
        &run(mekhanikube().args(["analyze", "--snapshot"]).arg(fixture("pod/broken.yaml")).args(["-o", "json"])).stdout,
    );
    assert_eq!(finding_keys(&from_dir), finding_keys(&from_file));
}

#[test]
fn text_output_is_plain_when_piped_or_no_color() {
    let path = fixture("pod/broken.yaml");
    let piped = run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path));
    assert!(!piped.stdout.contains('\u{1b}'), "no escapes when stdout is not a terminal");
    assert!(piped.stdout.contains("pod-crash-loop"));
    assert!(piped.stdout.contains("SEVERITY"), "summary table present");
    let forced = run(mekhanikube().args(["analyze", "--color", "always", "--snapshot"]).arg(&path));
    assert!(forced.stdout.contains('\u{1b}'), "--color always keeps colour");
    let no_color = run(mekhanikube().env("NO_COLOR", "1").args(["analyze", "--snapshot"]).arg(&path));
    assert!(!no_color.stdout.contains('\u{1b}'));
}

#[test]
fn help_reads_well() {
    let out = run(mekhanikube().args(["analyze", "--help"]));
    assert_eq!(out.code, 0);
    for flag in [
        "--kubeconfig",
        "--context",
        "--namespace",
        "--all-namespaces",
        "--selector",
        "--resource",
        "--filter",
        "--snapshot",
        "--min-severity",
        "--fail-on",
        "--explain",
    ] {
        assert!(out.stdout.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn hostile_object_names_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.json");
    let pod = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "evil\u{1b}[2J\u{1b}]0;owned\u{7}", "namespace": "x"},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "image": "i\u{1b}[31m", "imageID": "", "ready": false, "restartCount": 3,
            "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
    }]});
    std::fs::write(&path, pod.to_string()).unwrap();
    let out = run(mekhanikube().args(["analyze", "--color", "always", "--snapshot"]).arg(&path));
    assert!(out.stdout.contains("pod-image-pull-failed"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("\u{1b}[2J") && !out.stdout.contains("\u{1b}]0;"),
        "escape sequences from the cluster were printed"
    );
}

#[test]
fn cache_clear_empties_the_cache_directory() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("mekhanikube/explanations");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{}.json", "ab".repeat(32))), "{}").unwrap();
    let out = run(mekhanikube().args(["cache", "clear"]).env("XDG_CACHE_HOME", home.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("removed 1 cached explanation"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0), 0);
}

#[test]
fn config_file_sets_defaults_that_flags_override() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "failOn: critical\nminSeverity: high\nmodel: tiny:1b\n").unwrap();
    let path = fixture("pod/broken.yaml");
    let from_config =
        run(mekhanikube().env("MEKHANIKUBE_CONFIG", &config).args(["analyze", "-o", "json", "--snapshot"]).arg(&path));
    assert_eq!(from_config.code, 0, "failOn: critical from the file: {}", from_config.stderr);
    let doc = json(&from_config.stdout);
    assert!(doc["findings"].as_array().unwrap().iter().all(|f| f["severity"] == "high"), "minSeverity from the file");
    let flag_wins = run(mekhanikube()
        .env("MEKHANIKUBE_CONFIG", &config)
        .args(["analyze", "--fail-on", "high", "--snapshot"])
        .arg(&path));
    assert_eq!(flag_wins.code, 1, "a flag overrides the file");
    let help = run(mekhanikube().env("MEKHANIKUBE_CONFIG", &config).args(["analyze", "--help"]));
    assert!(help.stdout.contains("[default: tiny:1b]"), "the file's values show as defaults in --help");
}

#[test]
fn bad_config_file_is_one_line_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    for (text, needle) in [("failOn: severe\n", "failOn: invalid value 'severe'"), ("modle: x\n", "unknown key modle")]
    {
        std::fs::write(&config, text).unwrap();
        let out = run(mekhanikube().env("MEKHANIKUBE_CONFIG", &config).args(["analyzers"]));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains("config.yaml") && out.stderr.contains(needle), "{}", out.stderr);
    }
    let missing = run(mekhanikube().env("MEKHANIKUBE_CONFIG", dir.path().join("nope.yaml")).args(["analyzers"]));
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot read config file"), "{}", missing.stderr);
    // Help and the version still work, saying what is wrong with the file.
    std::fs::write(&config, "failOn: severe\n").unwrap();
    for args in [&["--version"][..], &["--help"], &["analyze", "--help"], &["-V"]] {
        let out = run(mekhanikube().env("MEKHANIKUBE_CONFIG", &config).args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(!out.stdout.is_empty(), "{args:?}");
        assert!(out.stderr.contains("failOn: invalid value 'severe'"), "{args:?}: {}", out.stderr);
    }
}

fn demo() -> std::path::PathBuf {
    repo_path("examples/demo-cluster.yaml")
}

/// The typed findings and problems of a JSON document.
fn findings_and_problems(doc: &serde_json::Value) -> (Vec<Finding>, Vec<Problem>) {
    let findings = serde_json::from_value(doc["findings"].clone()).expect("findings");
    let problems = serde_json::from_value(doc["problems"].clone()).expect("problems");
    (findings, problems)
}

#[test]
fn text_view_opens_with_the_problems_and_flat_keeps_the_table_alone() {
    let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(demo()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("35 findings in 22 problems"), "{}", out.stdout);
    let problems = out.stdout.find("Problems, by what they take down").expect("problems section");
    let table = out.stdout.find("SEVERITY").expect("table");
    assert!(problems < table, "problems come first");
    let lines: Vec<&str> = out.stdout[problems..].lines().collect();
    assert!(
        lines[1].contains("Pod shop/api-7c9d5f6b8-4xj2n") && lines[1].contains("(and 1 more like it)"),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2].trim(),
        "→ Deployment shop/api 0/2 available, Service shop/api no ready endpoints, Ingress shop/shop backend api down"
    );
    assert!(out.stdout.contains("caused by Pod shop/api-7c9d5f6b8-4xj2n (controlled-by)"), "the Deployment's details");

    let flat = run(mekhanikube().args(["analyze", "--flat", "--snapshot"]).arg(demo()));
    assert!(!flat.stdout.contains("Problems, by what they take down"), "{}", flat.stdout);
    assert!(flat.stdout.contains("35 findings: ") && flat.stdout.contains("SEVERITY"));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "flat: true\n").unwrap();
    let from_config = run(mekhanikube().env("MEKHANIKUBE_CONFIG", &config).args(["analyze", "--snapshot"]).arg(demo()));
    assert_eq!(from_config.stdout, flat.stdout, "flat: true in the config file is --flat");
}

#[test]
fn json_problems_hold_every_finding_once_by_stable_id() {
    let out = run(mekhanikube().args(["analyze", "-o", "json", "--snapshot"]).arg(demo()));
    let (findings, problems) = findings_and_problems(&json(&out.stdout));
    assert_eq!((findings.len(), problems.len()), (35, 22));
    let mut ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.iter().all(|id| id.len() == 12), "{ids:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 35, "ids are unique");
    let mut members: Vec<&str> = problems.iter().flat_map(|p| p.members.iter().map(String::as_str)).collect();
    members.sort();
    assert_eq!(members, ids, "every finding is a member of exactly one problem");
    for p in &problems {
        assert_eq!(p.members[0], p.root, "the root comes first");
        assert!(p.links.iter().all(|l| !l.evidence.is_empty()));
        let worst = p.findings(&findings).iter().map(|f| f.severity).min().unwrap();
        assert_eq!(p.severity, worst);
    }
    // Ids are the same in another run, and in a run of another scope.
    let again = run(mekhanikube().args(["analyze", "-o", "json", "-n", "shop", "--snapshot"]).arg(demo()));
    let (scoped, _) = findings_and_problems(&json(&again.stdout));
    for f in &scoped {
        assert!(findings.iter().any(|g| g.id == f.id && g.code == f.code && g.object == f.object));
    }
    // A consequence names its cause in its evidence.
    let pod = findings.iter().find(|f| f.code == "pod-unschedulable").unwrap();
    assert!(
        pod.evidence.iter().any(|e| matches!(e, Evidence::Cause { object, .. } if object.name == "data-db-0")),
        "{:?}",
        pod.evidence
    );
}

/// The whole text view of the demo cluster, as a reader sees it piped: problems, table, details.
#[test]
fn demo_text_view_snapshot() {
    let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(demo()));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&demo().display().to_string()), "[demo-cluster.yaml]");
    settings.bind(|| insta::assert_snapshot!("demo_text_view", out.stdout));
}

fn regex_escape(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '/' { c.to_string() } else { format!("\\{c}") }).collect()
}

/// Completion scripts for every shell clap_complete knows, each naming the subcommands; bash's parses.
#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(mekhanikube().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        for sub in ["analyze", "report", "snapshot", "analyzers"] {
            assert!(out.stdout.contains(sub), "{shell} completion lacks {sub}");
        }
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let script = dir.path().join("mekhanikube.bash");
            std::fs::write(&script, &out.stdout).unwrap();
            let check = std::process::Command::new("bash").arg("-n").arg(&script).status().unwrap();
            assert!(check.success(), "bash -n rejects the script");
        }
    }
    let out = run(mekhanikube().args(["completions", "tcsh"]));
    assert_eq!(out.code, 2, "an unknown shell is a usage error");
}

/// `make man` writes a page per visible subcommand, each a roff document with the command's flags.
#[test]
fn man_pages_cover_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(mekhanikube().arg("man").arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut pages: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    for page in ["mekhanikube.1", "mekhanikube-analyze.1", "mekhanikube-report.1", "mekhanikube-snapshot.1"] {
        assert!(pages.contains(&page.to_string()), "{page} missing: {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("-man")), "the hidden man command has no page: {pages:?}");
    let analyze = std::fs::read_to_string(dir.path().join("mekhanikube-analyze.1")).unwrap();
    assert!(analyze.starts_with(".ie") || analyze.contains(".TH"), "roff: {}", &analyze[..80.min(analyze.len())]);
    assert!(analyze.contains("metrics\\-file"), "the page lists the flags");
}

/// Rule files are analyzers: listed with their source, selected by `--filter`, and a bad one stops the run with one
/// line naming the file, the rule and the CEL error (exit 2).
#[test]
fn rule_files_are_analyzers_and_a_bad_rule_is_one_line() {
    let rules = repo_path("examples/rules");
    let listed = run(mekhanikube().args(["analyzers", "-o", "json", "--rules"]).arg(&rules));
    let listed = json(&listed.stdout);
    let cert = listed.as_array().unwrap().iter().find(|a| a["name"] == "cert-manager").expect("listed");
    assert!(cert["source"].as_str().unwrap().ends_with("examples/rules/cert-manager.yaml"), "{cert}");
    assert_eq!(cert["customResources"], true);

    let out = run(mekhanikube()
        .args(["analyze", "-o", "json", "--filter", "workload-policy", "--rules"])
        .arg(&rules)
        .arg("--snapshot")
        .arg(demo()));
    let doc = json(&out.stdout);
    let codes: std::collections::BTreeSet<&str> =
        doc["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["deployment-single-replica"].into_iter().collect());
    assert_eq!(doc["scope"]["analyzers"], serde_json::json!(["workload-policy"]));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "name: bad\nrules:\n- {code: a-b, match: {apiVersion: v1, kind: Pod}, condition: \"object.metadata.name + 1 == 2\", severity: low, message: m}\n",
    )
    .unwrap();
    let bad = run(mekhanikube().arg("analyze").arg("--rules").arg(dir.path()).arg("--snapshot").arg(demo()));
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("bad.yaml: rule a-b: condition: Unsupported binary operator"), "{}", bad.stderr);
}

/// The policy analyzer's groups are kept from a saved file whatever `--crds` selects, as a live read reads them;
/// the custom resources of other groups follow `--crds`.
#[test]
fn policy_reports_are_read_from_a_file_even_with_crds_none() {
    let findings = |crds: &str| -> Vec<String> {
        let out = run(mekhanikube().args(["analyze", "-o", "json", "--crds", crds, "--snapshot"]).arg(demo()));
        let doc = json(&out.stdout);
        doc["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
    };
    let none = findings("none");
    for code in ["policy-report-fail", "gatekeeper-violation"] {
        assert!(none.iter().any(|c| c == code), "{code} missing with --crds none: {none:?}");
    }
    assert!(!none.iter().any(|c| c == "custom-resource-not-ready"), "the Certificate follows --crds: {none:?}");
    assert!(findings("all").iter().any(|c| c == "custom-resource-not-ready"));
}

/// `--logs` on a saved snapshot: a snapshot holds no logs, so one clear note and the usual analysis, not an error.
#[test]
fn logs_on_a_snapshot_is_a_note_not_an_error() {
    let out = run(mekhanikube().args(["analyze", "--logs", "-o", "json", "--snapshot"]).arg(demo()));
    assert_eq!(out.code, 1, "findings at or above high, as without --logs: {}", out.stderr);
    assert_eq!(
        out.stderr.matches("--logs: a saved snapshot holds no container logs, so none are shown").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(r#""type": "logs""#) && !out.stdout.contains(r#""type":"logs""#));
}
