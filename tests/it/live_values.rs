//! No Secret value, and no credential-like value, in any byte the tool writes or sends: a Secret applied with
//! kubectl (so its payload sits in the last-applied annotation too) and a workload with a password in env, args,
//! an exec probe and a probe header, read by the real API server; then every snapshot, output, prompt sent to the
//! real Ollama, cache entry and report file is searched for the values.

use std::path::Path;
use std::process::Command;

use mekhanikube_testenv::TestEnv;
use serde_json::{Value, json};

use crate::common::{json, mekhanikube, repo_path, run};
use crate::proxy::CountingProxy;

const NAMESPACE: &str = "mk-values";
const SECRET_VALUES: &[&str] = &["s3cr3t-Pa55word-7731", "czNjcjN0LVBhNTV3b3JkLTc3MzE="];
const OTHER_VALUES: &[&str] = &["env-value-D8f2Qz", "arg-pass-Kq93", "url-pass-Zz81", "hdr-token-Pp02"];
/// A ConfigMap applied with kubectl: its values, in data, binaryData and kubectl's annotation, are never kept.
const CONFIG_MAP_VALUES: &[&str] = &["cm-value-Xq47", "cm-bin-Yb52", "Y20tYmluLVliNTI="];

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// The analyzers' value fixture, moved into this test's namespace; the pod crash-loops so there is a problem to
/// explain with its spec in the prompt.
fn fixture() -> (Vec<Value>, Value) {
    let text = std::fs::read_to_string(repo_path("analyzers/tests/fixtures/hygiene/values.yaml")).unwrap();
    let list: Value = serde_saphyr::from_str(&text).unwrap();
    let mut applied = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})];
    let mut pod = Value::Null;
    for mut item in list["items"].as_array().unwrap().clone() {
        item["metadata"]["namespace"] = json!(NAMESPACE);
        // kubectl writes its own last-applied annotation: the real one, with the real payload.
        item["metadata"]["annotations"]
            .as_object_mut()
            .map(|a| a.remove("kubectl.kubernetes.io/last-applied-configuration"));
        if item["kind"] == "Pod" {
            item["status"] = json!({"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "registry.example/shop/api:1", "imageID": "", "ready": false,
                "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]});
            pod = item;
        } else {
            applied.push(item);
        }
    }
    (applied, pod)
}

fn apply_with_kubectl(env: &TestEnv, items: Vec<Value>, dir: &Path) {
    let file = dir.join("applied.json");
    std::fs::write(&file, json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()).unwrap();
    let out = Command::new(&env.kubectl)
        .arg("--kubeconfig")
        .arg(&env.admin_kubeconfig)
        .args(["apply", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "kubectl apply: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(file).unwrap();
}

/// Every file under `dir`, as text (lossy), with its path.
fn all_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out
}

#[test]
fn no_value_reaches_any_snapshot_output_prompt_cache_or_report() {
    let env = TestEnv::from_env();
    let ollama = env.ollama.as_ref().expect("the test bed has no Ollama: run through `make test`");
    let dir = tempfile::tempdir().unwrap();
    let (applied, pod) = fixture();
    apply_with_kubectl(&env, applied, dir.path());
    block_on(env.load_value(json!({"apiVersion": "v1", "kind": "List", "items": [pod]}))).expect("pod loads");

    // The annotation really carries the payload on the server: the test would prove nothing otherwise.
    let admin_view = Command::new(&env.kubectl)
        .arg("--kubeconfig")
        .arg(&env.admin_kubeconfig)
        .args(["get", "secret", "db-creds", "-n", NAMESPACE, "-o", "json"])
        .output()
        .unwrap();
    let admin_view = String::from_utf8_lossy(&admin_view.stdout);
    assert!(admin_view.contains("last-applied-configuration") && admin_view.contains(SECRET_VALUES[0]), "{admin_view}");

    let proxy = CountingProxy::start(ollama.url.trim_start_matches("http://"));
    let cache = dir.path().join("cache");
    let with_reader = |args: &[&str]| {
        let mut cmd = mekhanikube();
        cmd.args(args).arg("--kubeconfig").arg(&env.reader_kubeconfig).env("XDG_CACHE_HOME", &cache);
        run(&mut cmd)
    };
    let explain = ["--explain", "--llm-max-tokens", "16", "--model", &ollama.model, "--ollama-url", &proxy.url];
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    let mut outputs = Vec::new();
    for file in ["s.yaml", "s.json"] {
        let out = with_reader(&["snapshot", "-n", NAMESPACE, "-o", saved.join(file).to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        outputs.push(out);
    }
    outputs.push(with_reader(&["analyze", "-n", NAMESPACE, "-o", "json"]));
    outputs.push(with_reader(&["analyze", "-n", NAMESPACE, "-o", "yaml"]));
    outputs.push(with_reader(&[&["analyze", "-n", NAMESPACE][..], &explain].concat()));
    outputs.push(with_reader(&[&["analyze", "-n", NAMESPACE, "-o", "json", "--no-cache"][..], &explain].concat()));
    let reports = dir.path().join("reports");
    let history = dir.path().join("history.sqlite");
    outputs.push(with_reader(
        &[
            &["report", "-n", NAMESPACE, "--out", reports.to_str().unwrap(), "--history"][..],
            &[history.to_str().unwrap()],
            &explain,
        ]
        .concat(),
    ));
    for out in &outputs {
        assert!(matches!(out.code, 0 | 1), "{}", out.stderr);
    }
    assert!(proxy.chat_requests() >= 2, "the model was asked: {}", proxy.chat_requests());

    let snapshot = std::fs::read_to_string(saved.join("s.json")).unwrap();
    for kept in ["db-creds", "API_KEY", "DB_PASSWORD", "<redacted>"] {
        assert!(snapshot.contains(kept), "{kept} is what the analyzers need and must be kept: {snapshot}");
    }
    // The ConfigMap was read, and keeps its key names with their values emptied.
    let doc: Value = serde_json::from_str(&snapshot).unwrap();
    let config_map = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "ConfigMap" && i["metadata"]["name"] == "api-config")
        .unwrap_or_else(|| panic!("the ConfigMap was read: {snapshot}"));
    assert_eq!(config_map["data"], json!({"feature-flags": ""}), "{config_map}");
    assert_eq!(config_map["binaryData"], json!({"blob": ""}), "{config_map}");
    let mut places: Vec<(String, String)> = all_files(dir.path());
    places.push(("the bytes sent to the model".into(), proxy.sent_text()));
    for (i, out) in outputs.iter().enumerate() {
        places.push((format!("stdout of run {i}"), out.stdout.clone()));
        places.push((format!("stderr of run {i}"), out.stderr.clone()));
    }
    assert!(
        places.iter().any(|(p, _)| p.contains("cache")),
        "the cache holds entries: {:?}",
        places.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    assert!(places.iter().any(|(p, _)| p.ends_with("latest.md")), "reports were written");
    for (place, text) in &places {
        for value in SECRET_VALUES.iter().chain(OTHER_VALUES).chain(CONFIG_MAP_VALUES) {
            assert!(!text.contains(value), "{value} reached {place}");
        }
    }

    // Values kept on purpose are kept, but never a Secret's.
    let kept = saved.join("kept.json");
    let out = with_reader(&["snapshot", "--keep-values", "-n", NAMESPACE, "-o", kept.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let kept = std::fs::read_to_string(kept).unwrap();
    assert!(OTHER_VALUES.iter().all(|v| kept.contains(v)), "--keep-values keeps env values and arguments");
    for value in SECRET_VALUES.iter().chain(CONFIG_MAP_VALUES) {
        assert!(!kept.contains(value), "a Secret or ConfigMap value reached a --keep-values snapshot: {value}");
    }
    let doc = json(&outputs[2].stdout);
    assert!(doc["skipped"].as_array().unwrap().is_empty(), "the reader holds the Secrets opt-in: {}", doc["skipped"]);
}
