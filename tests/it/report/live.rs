//! The deploy/ manifests on the real test bed: they apply, the CLI with a token of their service account writes
//! full reports (one problem fixed and one introduced between two runs) while the audit log shows only read verbs
//! for that account, and that account cannot read a Secret value (it may list no Secret at all) unless the
//! secret-names opt-in is applied.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mekhanikube_testenv::TestEnv;
use serde_json::{Value, json};

use super::deploy::{RBAC, cronjob_args, kinds_read};
use super::{after, before, html_section, key, keys, md_section};
use crate::common::{json, mekhanikube, repo_path, run};

const SA_USER: &str = "system:serviceaccount:mekhanikube:mekhanikube";
const NAMESPACE: &str = "mk-report-live";

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

fn kubectl(env: &TestEnv, args: &[&str]) -> String {
    let out = Command::new(&env.kubectl).arg("--kubeconfig").arg(&env.admin_kubeconfig).args(args).output().unwrap();
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The shop pods in the test namespace, as the API server would take them (it assigns uids).
fn shop(pods: Vec<Value>) -> Value {
    let mut items = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})];
    for mut pod in pods {
        pod["metadata"]["namespace"] = json!(NAMESPACE);
        pod["metadata"].as_object_mut().unwrap().remove("uid");
        items.push(pod);
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// A kubeconfig with a TokenRequest token of the CronJob's service account.
fn service_account_kubeconfig(env: &TestEnv, path: &Path) {
    let token = kubectl(env, &["create", "token", "mekhanikube", "-n", "mekhanikube", "--duration=1h"]);
    let admin: Value = serde_saphyr::from_str(&std::fs::read_to_string(&env.admin_kubeconfig).unwrap()).unwrap();
    let ca = admin["clusters"][0]["cluster"]["certificate-authority-data"].as_str().expect("CA data").to_string();
    let config = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "testenv", "cluster": {"server": env.apiserver_url, "certificate-authority-data": ca}}],
        "users": [{"name": "mekhanikube", "user": {"token": token.trim()}}],
        "contexts": [{"name": "cronjob", "context": {"cluster": "testenv", "user": "mekhanikube"}}],
        "current-context": "cronjob",
    });
    std::fs::write(path, serde_json::to_string(&config).unwrap()).unwrap();
}

#[test]
fn cronjob_service_account_writes_full_reports_with_read_verbs_only() {
    let env = TestEnv::from_env();
    let deploy = repo_path("deploy");
    let deploy = deploy.to_str().unwrap();
    // Server-side dry run needs the namespace to exist (NamespaceLifecycle), so it is created first.
    kubectl(&env, &["apply", "-f", &format!("{deploy}/namespace.yaml")]);
    let dry = kubectl(&env, &["apply", "--dry-run=server", "-k", deploy]);
    assert!(dry.contains("cronjob.batch/mekhanikube-report") && dry.contains("(server dry run)"), "{dry}");
    // A run before this one on the same test bed may have left the opt-in applied.
    kubectl(&env, &["delete", "--ignore-not-found", "-k", &format!("{deploy}/opt-in/secret-names")]);
    kubectl(&env, &["apply", "-k", deploy]);

    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("cronjob.kubeconfig");
    service_account_kubeconfig(&env, &kubeconfig);
    let reports = dir.path().join("reports");
    let report = || {
        run(mekhanikube()
            .args(cronjob_args(&reports))
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--namespace", NAMESPACE]))
    };

    block_on(env.load_value(shop(before()))).expect("first state loads");
    let first = report();
    assert_eq!(first.code, 1, "the first run's high findings are new (--fail-on-new=high): {}", first.stderr);
    let doc = json(&std::fs::read_to_string(reports.join("latest.json")).unwrap());
    let skipped = doc["analysis"]["skipped"].as_array().unwrap();
    // The shipped role holds nothing on custom resources either (deploy/clusterrole.yaml says how to grant them):
    // any the shared test bed serves (the demo's) are skipped too.
    let skipped_builtin: Vec<&Value> = skipped.iter().filter(|s| !s["kind"].as_str().unwrap().contains('.')).collect();
    assert_eq!(skipped_builtin.len(), 1, "the role reads every built-in kind but Secrets: {skipped:?}");
    assert_eq!(skipped_builtin[0]["kind"], "Secret");
    assert!(skipped.iter().all(|s| s["reason"].as_str().unwrap().starts_with("forbidden")), "{skipped:?}");
    assert_eq!(doc["analysis"]["source"]["mode"], "cluster");

    // Fix one problem and introduce another: statuses are rewritten in place.
    block_on(env.load_value(shop(after()))).expect("second state loads");
    let second = report();
    assert_eq!(second.code, 1, "the image pull failure is new and high: {}", second.stderr);
    let doc = json(&std::fs::read_to_string(reports.join("latest.json")).unwrap());
    assert_eq!(keys(&doc["diff"]["new"]), [key("pod-image-pull-failed", "Pod/web")]);
    assert_eq!(keys(&doc["diff"]["resolved"]), [key("pod-crash-loop", "Pod/api")]);
    assert_eq!(keys(&doc["diff"]["persisting"]), [key("pod-container-restarted", "Pod/flaky")]);
    let md = std::fs::read_to_string(reports.join("latest.md")).unwrap();
    assert!(md_section(&md, "New findings (1)").contains("Pod/web"));
    assert!(md_section(&md, "Resolved findings (1)").contains("Pod/api"));
    let html = std::fs::read_to_string(reports.join("latest.html")).unwrap();
    assert!(html_section(&html, "new").contains("Pod/web") && html_section(&html, "resolved").contains("Pod/api"));
    assert!(reports.join("history.sqlite").is_file(), "the history lives beside the reports, as in the PVC");

    // What the reviewer did as the shipped identity: read Secret values with kubectl. Refused.
    let sa_kubectl =
        |args: &[&str]| Command::new(&env.kubectl).arg("--kubeconfig").arg(&kubeconfig).args(args).output().unwrap();
    let values = sa_kubectl(&["get", "secrets", "-A", "-o", "yaml"]);
    let refusal = String::from_utf8_lossy(&values.stderr);
    assert!(!values.status.success() && refusal.contains("Forbidden"), "the account read Secrets: {refusal}");
    // kubectl still prints an empty List on a refusal.
    let printed: Value = serde_saphyr::from_slice(&values.stdout).unwrap_or(Value::Null);
    assert!(printed["items"].as_array().is_none_or(|items| items.is_empty()), "a Secret came back: {printed}");

    // The audit log: only reads, every kind listed, none refused but the Secrets list.
    let wanted: Vec<&str> = kinds_read()
        .iter()
        .map(|k| RBAC.iter().find(|(kind, _, _)| kind == k).map(|(_, _, plural)| *plural).unwrap())
        .collect();
    let events = block_on(env.wait_for_audit(SA_USER, Duration::from_secs(15), |events| {
        wanted.iter().all(|p| events.iter().any(|e| e.verb == "list" && e.resource.as_deref() == Some(p)))
    }))
    .unwrap_or_else(|e| {
        panic!("{e:#}\n(the audit policy in tests/testenv/up.sh must record {SA_USER} for this check)")
    });
    for e in &events {
        assert!(["get", "list", "watch"].contains(&e.verb.as_str()), "{SA_USER} sent {} {}", e.verb, e.request_uri);
        let custom = e.api_group.as_deref().is_some_and(|g| !mekhanikube_analyzers::custom::is_builtin_group(g));
        if e.resource.as_deref() == Some("secrets") {
            assert_eq!(e.code, Some(403), "the default role must not list Secrets: {} {}", e.verb, e.request_uri);
        } else if !custom {
            assert_ne!(e.code, Some(403), "refused: {} {}", e.verb, e.request_uri);
        }
        if let Some(kind) = &e.response_kind {
            assert_ne!(kind, "SecretList", "Secret values were read: {}", e.request_uri);
        }
    }

    // With the opt-in, the same account lists Secret names (metadata only) and nothing built in is skipped.
    let opt_in = format!("{deploy}/opt-in/secret-names");
    kubectl(&env, &["apply", "-k", &opt_in]);
    let with_names = wait_until_allowed(|| {
        let out = run(mekhanikube()
            .args(["analyze", "-o", "json", "--namespace", NAMESPACE, "--crds", "none", "--kubeconfig"])
            .arg(&kubeconfig));
        let doc = json(&out.stdout);
        doc["skipped"].as_array().unwrap().is_empty().then_some(doc)
    });
    kubectl(&env, &["delete", "-k", &opt_in]);
    assert!(with_names.is_some(), "with the opt-in applied, Secrets were still skipped");
}

/// RBAC changes reach the authorizer's cache within a moment; polls for up to 10 s.
fn wait_until_allowed<T>(mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
    for _ in 0..20 {
        if let Some(t) = attempt() {
            return Some(t);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}
