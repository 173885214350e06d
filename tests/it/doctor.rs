//! `mekhanikube doctor` against mock servers: one line per check, what to fix on each ✗, exit 1 when any fails,
//! and GETs only towards the API server (the kinds probed by `limit=1` metadata lists). The live test bed runs it
//! too (tests/it/live_doctor.rs).

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{json, mekhanikube, run};

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// An Ollama that has `model` (135M parameters, 90 MB), or no model at all.
async fn ollama(model: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"version": "0.24.0"})))
        .mount(&server)
        .await;
    let show = match model {
        Some(_) => ResponseTemplate::new(200).set_body_json(serde_json::json!({"details": {"parameter_size": "135M"}})),
        None => ResponseTemplate::new(404).set_body_json(serde_json::json!({"error": "model not found"})),
    };
    Mock::given(method("POST")).and(path("/api/show")).respond_with(show).mount(&server).await;
    if let Some(model) = model {
        let tags = serde_json::json!({"models": [{"name": format!("{model}:latest"), "size": 94_371_840u64}]});
        Mock::given(method("GET"))
            .and(path("/api/tags"))
            .respond_with(ResponseTemplate::new(200).set_body_json(tags))
            .mount(&server)
            .await;
    }
    server
}

/// Makes the API server refuse to list `resource` (a core kind), as RBAC would.
async fn forbid(server: &MockServer, resource: &str) {
    let status = serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
        "message": format!("{resource} is forbidden: User \"limited\" cannot list resource \"{resource}\""), "code": 403});
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/{resource}")))
        .respond_with(ResponseTemplate::new(403).set_body_json(&status))
        .with_priority(1)
        .mount(server)
        .await;
}

/// How many kinds the analyzers read (Events always): the kinds `doctor` probes.
fn kinds_read() -> usize {
    let listed = json(&run(mekhanikube().args(["analyzers", "-o", "json"])).stdout);
    let mut kinds: std::collections::BTreeSet<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["kinds"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()))
        .collect();
    kinds.insert("Event".into());
    kinds.len()
}

fn kubeconfig(dir: &std::path::Path, server: &str) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, crate::fake_cluster::kubeconfig_text(server, false)).unwrap();
    path
}

#[test]
fn all_green_exits_zero_with_one_line_per_check() {
    let api = block_on(crate::fake_cluster::mock_apiserver());
    let model = block_on(ollama(Some("tiny")));
    let dir = tempfile::tempdir().unwrap();
    let out = run(mekhanikube()
        .arg("doctor")
        .arg("--kubeconfig")
        .arg(kubeconfig(dir.path(), &api.uri()))
        .args(["--ollama-url", &model.uri(), "--model", "tiny", "--history"])
        .arg(dir.path().join("state/history.sqlite")));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.iter().all(|l| l.starts_with("✓ ") || l.starts_with("- ")), "{}", out.stdout);
    let n = kinds_read();
    let all = format!("may list {n} of {n} kinds");
    for expected in [
        "kubeconfig: context t",
        "Kubernetes v1.36.0",
        all.as_str(),
        "Ollama 0.24.0",
        "model tiny: 135M parameters, 90 MB",
        "tiny: its explanations will be unreliable",
        "report history directory",
    ] {
        assert!(out.stdout.contains(expected), "{expected} missing:\n{}", out.stdout);
    }
    // Read-only: every request to the API server is a GET, and each kind is probed once with limit=1.
    let requests = block_on(api.received_requests()).unwrap();
    assert!(requests.iter().all(|r| r.method.as_str() == "GET"), "{requests:?}");
    let lists: Vec<_> = requests.iter().filter(|r| r.url.path() != "/version").collect();
    assert_eq!(lists.len(), n, "one probe per kind");
    assert!(lists.iter().all(|r| r.url.query().is_some_and(|q| q.contains("limit=1"))), "{lists:?}");
    let secrets = lists.iter().find(|r| r.url.path() == "/api/v1/secrets").expect("secrets probed");
    let accept = secrets.headers.get("accept").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(accept.contains("as=PartialObjectMetadataList"), "metadata only, never values: {accept}");
}

#[test]
fn each_failure_names_its_fix_and_exits_one() {
    let api = block_on(async {
        let server = crate::fake_cluster::mock_apiserver().await;
        forbid(&server, "nodes").await;
        forbid(&server, "secrets").await;
        server
    });
    let model = block_on(ollama(None));
    let dir = tempfile::tempdir().unwrap();
    let out = run(mekhanikube().arg("doctor").arg("--kubeconfig").arg(kubeconfig(dir.path(), &api.uri())).args([
        "--ollama-url",
        &model.uri(),
        "--model",
        "missing-model",
    ]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let failed: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("✗ ")).collect();
    assert!(
        failed.iter().any(|l| l.contains("nodes: list forbidden") && l.contains("grant get/list on nodes")),
        "{failed:?}"
    );
    // Secrets refused is the shipped RBAC working as meant: a note, not a failure.
    assert!(!failed.iter().any(|l| l.contains("secrets")), "{failed:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("- secrets: not listable")), "{}", out.stdout);
    assert!(
        failed
            .iter()
            .any(|l| l.contains("model missing-model: not in Ollama") && l.contains("ollama pull missing-model")),
        "{failed:?}"
    );

    // A remote Ollama without the opt-in, and an API server that is not there.
    let out = run(mekhanikube()
        .arg("doctor")
        .arg("--kubeconfig")
        .arg(kubeconfig(dir.path(), "https://127.0.0.1:1"))
        .args(["--connect-timeout", "1", "--ollama-url", "http://192.0.2.1:11434"]));
    assert_eq!(out.code, 1);
    let failed: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("✗ ")).collect();
    assert!(failed.iter().any(|l| l.starts_with("✗ API server:")), "{}", out.stdout);
    assert!(failed.iter().any(|l| l.contains("Ollama URL") && l.contains("--allow-remote-llm")), "{}", out.stdout);
}
