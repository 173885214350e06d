//! `--explain` end to end: the live API server of the test bed, a real Ollama serving SmolLM2-135M, and a
//! counting relay between them. A 135M model writes poor prose; these tests check the pipeline.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mekhanikube_testenv::TestEnv;

use crate::common::{json, mekhanikube, run};
use crate::proxy::CountingProxy;

const PODS: usize = 12;
pub(crate) const NAMESPACE: &str = "explain-crash";

/// The shared test bed with a Deployment whose pods all crash-loop the same way.
pub(crate) fn env() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let env = TestEnv::from_env();
        assert!(env.ollama.is_some(), "the test bed has no Ollama: run through `make test`");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(env.load_value(crash_loop_fixture()))
            .expect("fixture loads");
        env
    })
}

fn ollama_host(env: &TestEnv) -> String {
    env.ollama.as_ref().unwrap().url.trim_start_matches("http://").to_string()
}

pub(crate) fn model(env: &TestEnv) -> String {
    env.ollama.as_ref().unwrap().model.clone()
}

fn explain_cmd(env: &TestEnv, url: &str, cache: &Path) -> assert_cmd::Command {
    let mut cmd = mekhanikube();
    cmd.args(["analyze", "-n", NAMESPACE, "--explain", "--llm-max-tokens", "48", "--model", &model(env)])
        .args(["--ollama-url", url, "--kubeconfig"])
        .arg(&env.reader_kubeconfig)
        .env("XDG_CACHE_HOME", cache);
    cmd
}

#[test]
fn identical_pods_cost_one_model_call_and_a_second_run_none() {
    let env = env();
    let proxy = CountingProxy::start(&ollama_host(env));
    let cache = tempfile::tempdir().unwrap();
    let first = run(&mut explain_cmd(env, &proxy.url, cache.path()));
    assert_eq!(first.code, 1, "findings at high, explanation fine: {}", first.stderr);
    assert!(first.stdout.matches("pod-crash-loop").count() >= PODS, "{}", first.stdout);
    assert!(first.stdout.contains(&format!("{PODS} objects")), "one problem covers every pod: {}", first.stdout);
    assert_eq!(proxy.chat_requests(), 1, "{PODS} identical pods must cost exactly one model request");

    let second = run(&mut explain_cmd(env, &proxy.url, cache.path()));
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(second.stdout.contains("(cached)"), "{}", second.stdout);
    assert_eq!(proxy.chat_requests(), 1, "the second run must be served from the cache");

    let json_run = run(explain_cmd(env, &proxy.url, cache.path()).args(["-o", "json", "--no-cache"]));
    let doc = json(&json_run.stdout);
    let explanations = doc["explanations"].as_array().expect("explanations in the document");
    assert_eq!(explanations.len(), 1);
    assert_eq!(explanations[0]["objects"].as_array().unwrap().len(), PODS);
    assert_eq!(proxy.chat_requests(), 2, "--no-cache asks the model again");
}

/// The text view shows the structured answer once it is complete and checked, never its raw JSON as it streams
/// (an unsafe command could be on the terminal before it is removed).
#[test]
fn the_text_view_shows_the_checked_answer_not_its_json() {
    let env = env();
    let cache = tempfile::tempdir().unwrap();
    let url = env.ollama.as_ref().unwrap().url.clone();
    let mut child = spawn_explain(env, &url, "48", cache.path(), Stdio::null());
    let (seen, _) = read_stream(&mut child, |_| {});
    child.wait().unwrap();
    let header = seen.find(" objects: ").expect("problem header printed");
    let answer = &seen[header..];
    assert!(!answer.contains("{\"cause\""), "raw JSON printed: {answer}");
    assert!(
        answer.contains("Cause: ") || answer.contains("(free text: "),
        "a checked answer, or labelled free text: {answer}"
    );
}

#[test]
fn missing_model_prints_findings_and_says_how_to_pull() {
    let env = env();
    let cache = tempfile::tempdir().unwrap();
    let url = env.ollama.as_ref().unwrap().url.clone();
    let out = run(mekhanikube()
        .args(["analyze", "-n", NAMESPACE, "--explain", "--model", "no-such-model:1b", "--ollama-url", &url])
        .arg("--kubeconfig")
        .arg(&env.reader_kubeconfig)
        .env("XDG_CACHE_HOME", cache.path()));
    assert_eq!(out.code, 2, "an explanation error is an error: {}", out.stderr);
    assert!(out.stdout.matches("pod-crash-loop").count() >= PODS, "findings printed in full: {}", out.stdout);
    assert!(out.stderr.contains("ollama pull no-such-model:1b"), "{}", out.stderr);
}

#[test]
fn ollama_down_prints_findings_and_one_error_line() {
    let env = env();
    let cache = tempfile::tempdir().unwrap();
    let out = run(&mut explain_cmd(env, "http://127.0.0.1:1", cache.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.contains("pod-crash-loop"), "{}", out.stdout);
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(errors[0].contains("127.0.0.1:1"), "{}", errors[0]);
}

#[test]
fn remote_llm_is_refused_before_anything_is_sent() {
    let env = env();
    let start = Instant::now();
    let out = run(mekhanikube()
        .args(["analyze", "--explain", "--ollama-url", "http://192.0.2.10:11434", "--kubeconfig"])
        .arg(&env.reader_kubeconfig));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--allow-remote-llm"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "refused before the cluster was even read");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn anonymized_prompts_carry_no_original_name_and_answers_restore_them() {
    let env = env();
    let proxy = CountingProxy::start(&ollama_host(env));
    let cache = tempfile::tempdir().unwrap();
    let out = run(explain_cmd(env, &proxy.url, cache.path()).args(["--anonymize", "-o", "json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(proxy.chat_requests(), 1);
    let sent = proxy.sent_text();
    assert!(sent.contains("/api/chat"), "nothing captured");
    for name in [NAMESPACE, "checkout", "checkout-7d4b9c8f6", "registry.example.com/shop/checkout:4.2.0", "node-a"] {
        assert!(!sent.contains(name), "'{name}' reached the model");
    }
    let doc = json(&out.stdout);
    let objects = doc["explanations"][0]["objects"].to_string();
    assert!(objects.contains("checkout-7d4b9c8f6-"), "real names shown to the user: {objects}");
}

/// A private Ollama is killed while it streams: the findings stay, the explanation says what happened, exit 2.
#[test]
fn ollama_killed_mid_stream_is_graceful() {
    let env = env();
    let dir = tempfile::Builder::new().prefix("mekhanikube-ollama-kill-").tempdir().unwrap();
    let up = Command::new(mekhanikube_testenv::scripts_dir().join("ollama-up.sh")).arg(dir.path()).output().unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    let ollama_env = std::fs::read_to_string(dir.path().join("ollama.env")).unwrap();
    let field =
        |key: &str| ollama_env.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_default().to_string();
    let (url, pid) = (field("OLLAMA_URL"), field("OLLAMA_PID"));
    let cache = tempfile::tempdir().unwrap();
    let mut child = spawn_explain(env, &url, "2000", cache.path(), Stdio::piped());
    // Nothing is printed while a structured answer is written: kill the model a second after the problem's
    // heading, while it generates up to 2000 tokens.
    let mut killer = None;
    let (seen, _) = read_stream(&mut child, |seen| {
        if killer.is_none() && seen.contains(" objects: ") {
            let pid = pid.clone();
            killer = Some(std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(1));
                Command::new("kill").args(["-9", &pid]).status().unwrap();
            }));
        }
    });
    let killed = killer.is_some_and(|k| k.join().is_ok());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let _ = Command::new(mekhanikube_testenv::scripts_dir().join("ollama-down.sh")).arg(dir.path()).status();
    assert!(killed, "the answer never started streaming: {seen}");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(seen.contains("pod-crash-loop"), "findings printed: {seen}");
    assert!(seen.contains("explanation unavailable"), "{seen}");
}

/// Starts an uncached `analyze --explain` of the test namespace with stdout piped, for tests that watch it stream.
fn spawn_explain(env: &TestEnv, url: &str, max_tokens: &str, cache: &Path, stderr: Stdio) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("mekhanikube"))
        .args(["analyze", "-n", NAMESPACE, "--explain", "--no-cache", "--llm-max-tokens", max_tokens])
        .args(["--model", &model(env), "--ollama-url", url, "--kubeconfig"])
        .arg(&env.reader_kubeconfig)
        .env("XDG_CACHE_HOME", cache)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Reads a child's stdout to the end, noting when each piece arrived; `on_piece` sees the text so far.
fn read_stream(child: &mut std::process::Child, mut on_piece: impl FnMut(&str)) -> (String, Vec<(Instant, usize)>) {
    let mut stdout = child.stdout.take().unwrap();
    let (mut seen, mut arrivals) = (String::new(), Vec::new());
    let mut buf = [0u8; 4096];
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        arrivals.push((Instant::now(), seen.len()));
        on_piece(&seen);
    }
    (seen, arrivals)
}

/// A Deployment, its ReplicaSet and identical crash-looping pods.
fn crash_loop_fixture() -> serde_json::Value {
    let image = "registry.example.com/shop/checkout:4.2.0";
    let mut items = vec![
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "checkout", "namespace": NAMESPACE, "uid": "d-1"},
            "spec": {"replicas": PODS, "selector": {"matchLabels": {"app": "checkout"}},
                     "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [{"name": "checkout", "image": image}]}}}}),
        serde_json::json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "checkout-7d4b9c8f6", "namespace": NAMESPACE, "uid": "rs-1",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout", "uid": "d-1", "controller": true}]},
            "spec": {"replicas": PODS, "selector": {"matchLabels": {"app": "checkout"}},
                     "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [{"name": "checkout", "image": image}]}}}}),
    ];
    for i in 0..PODS {
        items.push(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("checkout-7d4b9c8f6-{i:05x}"), "namespace": NAMESPACE, "labels": {"app": "checkout"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "checkout-7d4b9c8f6", "uid": "rs-1", "controller": true}]},
            "spec": {"nodeName": "node-a", "containers": [{"name": "checkout", "image": image}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "checkout", "image": image, "imageID": "", "ready": false,
                "restartCount": 6 + i, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}}));
    }
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// `doctor` on the test bed: all green with the reader's kubeconfig and the real Ollama (SmolLM2 noted as tiny),
/// then one ✗ with what to fix when Ollama is not there (a port nothing listens on stands in for a stopped one).
#[test]
fn doctor_is_green_on_the_test_bed_and_names_a_missing_ollama() {
    let env = env();
    let ollama = env.ollama.as_ref().unwrap();
    let state = tempfile::tempdir().unwrap();
    let doctor = |url: &str| {
        run(mekhanikube()
            .arg("doctor")
            .arg("--kubeconfig")
            .arg(&env.reader_kubeconfig)
            .args(["--ollama-url", url, "--model", &ollama.model, "--history"])
            .arg(state.path().join("history.sqlite")))
    };
    let out = doctor(&ollama.url);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains('✗'), "{}", out.stdout);
    let kinds = out.stdout.lines().find(|l| l.contains("may list")).unwrap_or_default().to_string();
    let counts: Vec<&str> = kinds.split_whitespace().filter(|w| w.chars().all(|c| c.is_ascii_digit())).collect();
    assert!(out.stdout.contains("Kubernetes v1.36") && counts.len() == 2 && counts[0] == counts[1], "{}", out.stdout);
    assert!(out.stdout.contains(&format!("model {}", ollama.model)) && out.stdout.contains("tiny"), "{}", out.stdout);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = doctor(&url);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let failed: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with('✗')).collect();
    assert_eq!(failed.len(), 1, "{}", out.stdout);
    assert!(failed[0].contains("start `ollama serve`"), "{}", failed[0]);
}
