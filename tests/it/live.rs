//! Live tests against the real test bed (a kube-apiserver + etcd with RBAC and an audit log), started by
//! `make test`. The fixtures are the same `kind: List` files the offline tests read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mekhanikube_testenv::TestEnv;

use crate::common::{json, mekhanikube, repo_path, run};

/// The shared test bed with the demo cluster loaded once for the whole test binary.
fn shared() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let env = TestEnv::from_env();
        block_on(env.load_fixture(&demo_fixture())).expect("demo fixture loads");
        env
    })
}

fn demo_fixture() -> PathBuf {
    repo_path("examples/demo-cluster.yaml")
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// Findings without uids: a file loaded into a cluster gets new uids, everything else must match.
fn comparable(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let mut f = f.clone();
            for key in ["object", "parent"] {
                if let Some(o) = f.get_mut(key).and_then(|o| o.as_object_mut()) {
                    o.remove("uid");
                }
            }
            f
        })
        .collect()
}

fn analyze_live(kubeconfig: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(kubeconfig).args(["-o", "json"]).args(extra));
    assert!(out.code == 0 || out.code == 1, "analyze failed ({}): {}", out.code, out.stderr);
    (out.code, json(&out.stdout))
}

fn analyze_offline(path: &Path, extra: &[&str]) -> serde_json::Value {
    let out = run(mekhanikube().arg("analyze").arg("--snapshot").arg(path).args(["-o", "json"]).args(extra));
    assert!(out.code == 0 || out.code == 1, "offline analyze failed: {}", out.stderr);
    json(&out.stdout)
}

#[test]
fn live_offline_and_saved_snapshot_agree() {
    let env = shared();
    let (code, live) = analyze_live(&env.reader_kubeconfig, &[]);
    assert_eq!(code, 1, "the demo cluster has high findings");
    let offline = analyze_offline(&demo_fixture(), &[]);
    assert!(!comparable(&offline).is_empty());
    // Other tests load their own namespaces into the shared API server; compare what the demo holds.
    let demo_namespaces: BTreeSet<String> =
        comparable(&offline).iter().filter_map(|f| f["object"]["namespace"].as_str().map(str::to_string)).collect();
    let in_demo = |findings: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        findings
            .into_iter()
            .filter(|f| f["object"]["namespace"].as_str().is_none_or(|ns| demo_namespaces.contains(ns)))
            .collect()
    };
    assert_eq!(in_demo(comparable(&live)), comparable(&offline), "live and offline findings differ");
    let demo_ids: BTreeSet<String> =
        comparable(&offline).iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(problems_of(&live, &demo_ids), problems_of(&offline, &demo_ids), "live and offline problems differ");
    assert_eq!(problems_of(&offline, &demo_ids).len(), 22, "the demo's distinct problems");
    // The failing Certificate (a custom resource) is read live and is the root of the storefront pod's problem.
    let certificate = comparable(&live)
        .into_iter()
        .find(|f| f["object"]["kind"] == "Certificate" && f["object"]["name"] == "storefront-tls")
        .expect("the Certificate's finding, live");
    assert_eq!(certificate["code"], "custom-resource-not-ready");
    // Policy engines' results and admission policies are read live too: a Kyverno report, a Gatekeeper constraint
    // (a kind discovered in constraints.gatekeeper.sh, its violations written through /status) and a binding.
    let live_codes: BTreeSet<(String, String)> = comparable(&live)
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["object"]["name"].as_str().unwrap().to_string()))
        .collect();
    for (code, name) in [
        ("policy-report-fail", "ledger"),
        ("gatekeeper-violation", "web"),
        ("admission-policy-binding-orphaned", "require-owner-label"),
    ] {
        assert!(live_codes.contains(&(code.to_string(), name.to_string())), "{code} on {name} not read live");
    }
    // The demo exercises every analyzer but `deletion`, so this parity covers them against a real API server. A
    // live deletion is as old as the load that made it (seconds), never stuck: stuck ones are tested offline.
    let analyzers_out = run(mekhanikube().args(["analyzers", "-o", "json"]));
    let all: BTreeSet<String> = json(&analyzers_out.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    let hit: BTreeSet<String> = comparable(&live).iter().map(|f| f["analyzer"].as_str().unwrap().to_string()).collect();
    let all: BTreeSet<String> = all.into_iter().filter(|a| a != "deletion").collect();
    assert_eq!(hit, all, "every analyzer has a finding in the demo cluster");
    assert!(live["skipped"].as_array().unwrap().is_empty(), "the reader may read every kind: {}", live["skipped"]);

    let dir = tempfile::tempdir().unwrap();
    for name in ["saved.yaml", "saved.json"] {
        let saved = dir.path().join(name);
        let out =
            run(mekhanikube().arg("snapshot").arg("--kubeconfig").arg(&env.reader_kubeconfig).arg("-o").arg(&saved));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let text = std::fs::read_to_string(&saved).unwrap();
        // Custom resources keep who wrote them and when (for custom-resource-not-observed), never the field sets.
        assert!(!text.contains("fieldsV1"), "managed field sets must be stripped");
        assert!(!text.contains("ZGVtby1ub3QtYS1zZWNyZXQ"), "a Secret value reached the snapshot");
        assert!(text.contains("storefront-tls") && text.contains("external-secrets.io/v1"), "custom resources saved");
        assert!(text.contains("mekhanikube.io/read-at"), "the analysis clock is saved");
        let from_saved = analyze_offline(&saved, &[]);
        assert_eq!(comparable(&from_saved), comparable(&live), "{name}: saved snapshot analyzes differently");
        assert_eq!(in_demo(comparable(&from_saved)), comparable(&offline));
        assert_eq!(problems_of(&from_saved, &demo_ids), problems_of(&offline, &demo_ids), "{name}: problems differ");
    }
}

/// The problems whose root is one of `roots` (other tests load their own namespaces into the shared server).
/// Links and blast radius name objects without uids, so they compare across a load into a cluster as is.
fn problems_of(doc: &serde_json::Value, roots: &BTreeSet<String>) -> Vec<mekhanikube_analyzers::Problem> {
    let problems: Vec<mekhanikube_analyzers::Problem> =
        serde_json::from_value(doc["problems"].clone()).expect("problems");
    problems.into_iter().filter(|p| roots.contains(&p.root)).collect()
}

#[test]
fn namespace_scope_matches_offline() {
    let env = shared();
    let (_, live) = analyze_live(&env.reader_kubeconfig, &["-n", "shop"]);
    let offline = analyze_offline(&demo_fixture(), &["-n", "shop"]);
    assert_eq!(comparable(&live), comparable(&offline));
    assert!(comparable(&live).iter().all(|f| f["object"]["namespace"] == "shop"));
    let ids: BTreeSet<String> = comparable(&offline).iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(problems_of(&live, &ids), problems_of(&offline, &ids));
}

#[test]
fn least_privilege_reader_gets_the_rest_and_lists_what_it_skipped() {
    let env = shared();
    // Scoped to the demo's namespace: other tests load theirs into the same server meanwhile.
    let (_, full) = analyze_live(&env.reader_kubeconfig, &["-n", "shop"]);
    let (_, limited) = analyze_live(&env.limited_kubeconfig, &["-n", "shop"]);
    let skipped: Vec<&str> =
        limited["skipped"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    // ExternalSecrets are a custom kind the limited user may not list (tests/testenv/rbac.yaml).
    for kind in [
        "ExternalSecret.external-secrets.io",
        "MutatingWebhookConfiguration",
        "Node",
        "Secret",
        "ValidatingWebhookConfiguration",
    ] {
        assert!(skipped.contains(&kind), "{kind} not in skipped: {skipped:?}");
    }
    // The constraint kinds are not granted to `limited` (tests/testenv/rbac.yaml): skipped, not an error.
    for kind in ["ConfigMap", "LimitRange", "NetworkPolicy", "PodDisruptionBudget", "ResourceQuota"] {
        assert!(skipped.contains(&kind), "{kind} not in skipped: {skipped:?}");
    }
    // Nor are admission policies and policy engines' results, read by the policy analyzer whatever --crds says.
    for kind in [
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "PolicyReport.wgpolicyk8s.io",
        "ClusterPolicyReport.wgpolicyk8s.io",
        "K8sRequiredLabels.constraints.gatekeeper.sh",
    ] {
        assert!(skipped.contains(&kind), "{kind} not in skipped: {skipped:?}");
    }
    assert!(limited["skipped"][0]["reason"].as_str().unwrap().starts_with("forbidden"), "{}", limited["skipped"]);
    let denied = [
        "Node",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ResourceQuota",
        "LimitRange",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ];
    // Without the reports and constraints, their results on workloads are not known.
    let needs_policy_results = ["policy-report-fail", "policy-report-error", "gatekeeper-violation"];
    // Without Secrets, a missing TLS or pull Secret is only known from events, and the demo has none of those.
    let needs_secrets = ["ingress-tls-secret-missing", "daemonset-image-pull-secret-missing"];
    // Without ConfigMaps, a missing ConfigMap or key is not known (the demo's `shop` has none anyway).
    let needs_config_maps = ["reference-configmap-missing", "reference-configmap-key-missing"];
    let expected: Vec<_> = comparable(&full)
        .into_iter()
        .filter(|f| !denied.contains(&f["object"]["kind"].as_str().unwrap()))
        .filter(|f| !needs_secrets.contains(&f["code"].as_str().unwrap()))
        .filter(|f| !needs_config_maps.contains(&f["code"].as_str().unwrap()))
        .filter(|f| !needs_policy_results.contains(&f["code"].as_str().unwrap()))
        .collect();
    assert!(
        comparable(&full).iter().any(|f| f["code"] == "gatekeeper-violation"),
        "the reader sees the Gatekeeper audit's violation in shop"
    );
    assert_eq!(comparable(&limited), expected, "the limited reader must get every finding it can read");
}

/// Over everything the suite's reader did so far (and a run of its own): only get/list/watch, no Secret fetched,
/// every Secret list answered as metadata only; and every request of its own run carries `mekhanikube/VERSION`.
#[test]
fn audit_log_proves_read_only_and_metadata_only_secrets() {
    let env = shared();
    let before = env.audit_events("reader").expect("audit log parses").len();
    analyze_live(&env.reader_kubeconfig, &[]);
    let events = env.audit_events("reader").expect("audit log parses");
    assert!(events.len() > before, "the audit log recorded nothing for the reader's run");
    // Since this run began only the CLI has acted as the reader: each request names it, so admins can tell.
    let agent = format!("mekhanikube/{}", env!("CARGO_PKG_VERSION"));
    for e in &events[before..] {
        assert_eq!(e.user_agent.as_deref(), Some(agent.as_str()), "a request without our user agent: {e:?}");
    }
    let mut verbs: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        *verbs.entry(e.verb.clone()).or_default() += 1;
        assert!(matches!(e.verb.as_str(), "get" | "list" | "watch"), "write verb by the reader: {e:?}");
        if e.resource.as_deref() == Some("secrets") {
            assert_eq!(e.verb, "list", "a Secret was fetched: {e:?}");
            if e.code == Some(200) {
                assert_eq!(
                    e.response_kind.as_deref(),
                    Some("PartialObjectMetadataList"),
                    "Secret values came back: {e:?}"
                );
            }
        }
    }
    assert!(verbs.get("list").copied().unwrap_or(0) >= 20, "expected one list per kind, got {verbs:?}");
    std::fs::write(env.dir.join("reader-verbs.json"), serde_json::to_string_pretty(&verbs).unwrap()).unwrap();
}

/// A separate API server with a few thousand pods: an analyze issues one list per kind plus pages, and no
/// per-object request.
#[test]
fn request_count_is_one_list_per_kind_plus_pages() {
    let dir = tempfile::Builder::new().prefix("mekhanikube-scale-").tempdir().unwrap();
    let env = TestEnv::start(dir.path()).expect("second API server starts");
    let _stop = StopOnDrop(&env);
    const PODS: usize = 3000;
    block_on(env.load_value(scale_list(PODS))).expect("scale fixture loads");
    let before = env.audit_events("reader").unwrap().len();
    let (code, doc) = analyze_live(&env.reader_kubeconfig, &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["summary"]["total"].as_u64().unwrap() as usize, PODS / 10, "every tenth pod crash-loops");
    let events = env.audit_events("reader").unwrap();
    let run_events = &events[before..];
    let mut per_resource: BTreeMap<String, usize> = BTreeMap::new();
    for e in run_events {
        assert!(e.verb != "get" || e.resource.is_none(), "a per-object get (only /version may be fetched): {e:?}");
        if e.verb == "list" {
            *per_resource.entry(e.resource.clone().unwrap_or_default()).or_default() += 1;
        }
    }
    let pages = PODS.div_ceil(500);
    assert_eq!(per_resource.get("pods"), Some(&pages), "{per_resource:?}");
    assert!(per_resource.iter().filter(|(r, _)| r.as_str() != "pods").all(|(_, n)| *n == 1), "{per_resource:?}");
    let total: usize = per_resource.values().sum();
    std::fs::write(
        repo_path("target/request-economy.json"),
        serde_json::json!({"pods": PODS, "lists": total, "perResource": per_resource}).to_string(),
    )
    .unwrap();
}

/// The API server is killed while a run is under way: a clear error and exit 2, within the timeout.
#[test]
fn api_server_stopped_mid_run_gives_a_clear_error() {
    let dir = tempfile::Builder::new().prefix("mekhanikube-fault-").tempdir().unwrap();
    let env = TestEnv::start(dir.path()).expect("fault API server starts");
    let _stop = StopOnDrop(&env);
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mekhanikube"))
        .args(["analyze", "--request-timeout", "5", "--connect-timeout", "2", "-o", "json", "--kubeconfig"])
        .arg(&env.reader_kubeconfig)
        .env("MEKHANIKUBE_TEST_SLOW_LIST_MS", "400")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    env.stop().unwrap();
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(stderr.lines().count() == 1, "one line: {stderr}");
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    assert!(out.stdout.is_empty(), "no partial document on stdout");
}

struct StopOnDrop<'a>(&'a TestEnv);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.stop();
    }
}

/// Many identical Deployments' pods in one namespace: every tenth crash-loops, the rest run.
fn scale_list(pods: usize) -> serde_json::Value {
    let mut items = vec![serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "scale"}})];
    for i in 0..pods {
        let crash = i % 10 == 0;
        let state = if crash {
            serde_json::json!({"waiting": {"reason": "CrashLoopBackOff"}})
        } else {
            serde_json::json!({"running": {"startedAt": "2026-11-23T09:00:00Z"}})
        };
        items.push(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("app-{i:05}"), "namespace": "scale", "labels": {"app": "app"}},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "app", "image": "registry.example.com/app:1", "imageID": "", "ready": !crash,
                "restartCount": if crash { 5 } else { 0 }, "state": state,
                "lastState": if crash { serde_json::json!({"terminated": {"exitCode": 1, "reason": "Error"}}) } else { serde_json::json!({}) }
            }]}
        }));
    }
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Installed as `kubectl-mekhanikube` on the PATH, the binary is a kubectl plugin: the test bed's real kubectl
/// finds it and runs it with the user's flags, and the result is the same as running it directly.
#[test]
fn runs_as_a_kubectl_plugin() {
    let env = shared();
    let bin = tempfile::tempdir().unwrap();
    let plugin = bin.path().join("kubectl-mekhanikube");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("mekhanikube"), &plugin).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    let kubectl = |args: &[&str]| {
        // The same isolated environment as the binary's other tests get, plus the plugin on the PATH.
        let isolated = crate::common::mekhanikube_process();
        let mut cmd = std::process::Command::new(&env.kubectl);
        for (key, value) in isolated.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let out = cmd.args(args).env("PATH", &path).output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, listed) = kubectl(&["plugin", "list", "--name-only"]);
    assert_eq!(code, 0);
    assert!(listed.lines().any(|l| l.trim() == "kubectl-mekhanikube"), "{listed}");

    let kubeconfig = env.reader_kubeconfig.to_str().unwrap();
    let (code, stdout) = kubectl(&["mekhanikube", "analyze", "--kubeconfig", kubeconfig, "-n", "shop", "-o", "json"]);
    assert!(code == 0 || code == 1, "kubectl mekhanikube exited {code}");
    let (_, direct) = analyze_live(&env.reader_kubeconfig, &["-n", "shop"]);
    assert_eq!(comparable(&json(&stdout)), comparable(&direct));
}

/// Two contexts of the test bed in one kubeconfig (the reader and the least-privilege user): one run reads both,
/// and each analysis is what a run of that context alone gives.
#[test]
fn two_contexts_in_one_run_match_their_single_runs() {
    let env = shared();
    let dir = tempfile::tempdir().unwrap();
    let read =
        |path: &Path| -> serde_json::Value { serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() };
    let (reader, limited) = (read(&env.reader_kubeconfig), read(&env.limited_kubeconfig));
    let user = |config: &serde_json::Value, name: &str| {
        let mut user = config["users"][0].clone();
        user["name"] = name.into();
        user
    };
    let merged = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "reader",
        "clusters": [reader["clusters"][0]],
        "users": [user(&reader, "reader"), user(&limited, "limited")],
        "contexts": [
            {"name": "reader", "context": {"cluster": reader["clusters"][0]["name"], "user": "reader"}},
            {"name": "limited", "context": {"cluster": reader["clusters"][0]["name"], "user": "limited"}}
        ]
    });
    let config = dir.path().join("kubeconfig");
    std::fs::write(&config, serde_json::to_string(&merged).unwrap()).unwrap();

    let out = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(&config).args([
        "--all-contexts",
        "-n",
        "shop",
        "-o",
        "json",
    ]));
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let doc = json(&out.stdout);
    let clusters = doc["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    let (_, alone) = analyze_live(&env.reader_kubeconfig, &["-n", "shop"]);
    assert_eq!(comparable(&clusters[0]["analysis"]), comparable(&alone));
    let (_, limited_alone) = analyze_live(&env.limited_kubeconfig, &["-n", "shop"]);
    assert_eq!(comparable(&clusters[1]["analysis"]), comparable(&limited_alone));
    assert!(!clusters[1]["analysis"]["skipped"].as_array().unwrap().is_empty(), "the limited user skips kinds");
}

fn constraints_of(source: &[&str]) -> serde_json::Value {
    let out = run(mekhanikube().args(["constraints", "-n", "shop", "-o", "json"]).args(source));
    assert_eq!(out.code, 0, "constraints failed: {}", out.stderr);
    json(&out.stdout)
}

/// `constraints -n shop` read live says what it says from the demo's file: the same entries, the same plain
/// words, the same findings showing the shop webhook blocking. Read with the least-privilege user, the
/// constraint kinds it may not list are skipped and said so, not an error.
#[test]
fn constraints_of_shop_match_offline() {
    let env = shared();
    let kubeconfig = env.reader_kubeconfig.display().to_string();
    let live = constraints_of(&["--kubeconfig", &kubeconfig]);
    let demo = demo_fixture().display().to_string();
    let offline = constraints_of(&["--snapshot", &demo]);
    assert_eq!(live["constraints"], offline["constraints"]);
    assert_eq!(live["summary"], offline["summary"]);
    let states: Vec<(&str, &str)> = live["constraints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["ref"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("limitrange/shop-limits", "ok"),
            ("pdb/web", "ok"),
            ("netpol/db-ingress", "ok"),
            ("admission/1", "ok"),
            ("admission/2", "blocking"),
        ]
    );

    let developer =
        run(mekhanikube().args(["constraints", "-n", "shop", "--audience", "developer", "--kubeconfig", &kubeconfig]));
    assert_eq!(developer.code, 0, "{}", developer.stderr);
    for hidden in ["shop-policy", "org-image-policy", "checkout", "app=cart"] {
        assert!(!developer.stdout.contains(hidden), "{hidden} shown to developers: {}", developer.stdout);
    }

    let limited = env.limited_kubeconfig.display().to_string();
    let out = run(mekhanikube().args(["constraints", "-n", "shop", "-o", "json", "--kubeconfig", &limited]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = json(&out.stdout);
    let skipped: Vec<&str> = doc["skipped"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    for kind in
        ["LimitRange", "NetworkPolicy", "PodDisruptionBudget", "ResourceQuota", "ValidatingWebhookConfiguration"]
    {
        assert!(skipped.contains(&kind), "{kind} not in skipped: {skipped:?}");
    }
    assert_eq!(doc["summary"]["total"], 0, "nothing it could not read is shown: {doc}");
}

/// The evidence entries of type `logs` in a document.
fn log_evidence(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    let findings = doc["findings"].as_array().unwrap();
    findings
        .iter()
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["type"] == "logs")
        .collect()
}

/// `--logs` on the test bed. The reader holds the pods/log opt-in, but this API server has no kubelet to fetch a
/// log from, so every request is answered with an error: that is a note in the evidence, and the run succeeds.
/// One bounded GET per problem (audit log). The limited user may not read logs: a note naming the permission.
#[test]
fn logs_that_cannot_be_read_are_notes_one_bounded_get_per_problem() {
    let env = shared();
    let before = env.audit_events("reader").expect("audit log parses").len();
    let (_, doc) = analyze_live(&env.reader_kubeconfig, &["-n", "shop", "--logs"]);
    let logs = log_evidence(&doc);
    assert!(!logs.is_empty(), "the demo's crash-looping pods get a logs entry");
    assert!(logs.len() <= doc["problems"].as_array().unwrap().len(), "at most one per problem");
    for l in &logs {
        let note = l["note"].as_str().unwrap_or_else(|| panic!("no kubelet, so no lines: {l}"));
        assert!(
            note.starts_with("the API server could not return the log")
                || note.starts_with("the log could not be read"),
            "{note}"
        );
        assert!(l.get("lines").is_none(), "{l}");
    }
    let events = env.audit_events("reader").expect("audit log parses");
    // A log is a streamed response: its audit event is logged when it starts and again when it completes.
    let log_gets: Vec<_> = events[before..]
        .iter()
        .filter(|e| e.subresource.as_deref() == Some("log") && e.stage == "ResponseComplete")
        .collect();
    assert_eq!(log_gets.len(), logs.len(), "one request per logs entry: {log_gets:#?}");
    for e in &log_gets {
        assert_eq!((e.verb.as_str(), e.resource.as_deref()), ("get", Some("pods")), "{e:?}");
        assert!(e.request_uri.contains("tailLines=30") && e.request_uri.contains("limitBytes=8192"), "{e:?}");
        assert!(e.request_uri.contains("previous=true"), "the demo's pods restarted: {e:?}");
    }

    let (_, limited) = analyze_live(&env.limited_kubeconfig, &["-n", "shop", "--logs"]);
    let refused = log_evidence(&limited);
    assert_eq!(refused.len(), logs.len());
    for l in &refused {
        assert!(l["note"].as_str().unwrap().starts_with("not allowed to read pods/log"), "{l}");
    }
}
