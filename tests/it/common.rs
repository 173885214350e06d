use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// An analyzer fixture from analyzers/tests/fixtures.
pub fn fixture(relative: &str) -> PathBuf {
    repo_path("analyzers/tests/fixtures").join(relative)
}

/// The binary under test, isolated from the caller's kubeconfig, colour settings and Ollama.
pub fn mekhanikube() -> Command {
    Command::from_std(mekhanikube_process())
}

/// The same, as a plain process, for tests that drive its pipes themselves.
pub fn mekhanikube_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("mekhanikube"));
    cmd.env_remove("KUBECONFIG")
        .env_remove("OLLAMA_HOST")
        .env_remove("MEKHANIKUBE_MODEL")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("MEKHANIKUBE_CONFIG")
        .env("HOME", std::env::temp_dir().join("mekhanikube-test-home"))
        .env("XDG_CACHE_HOME", std::env::temp_dir().join("mekhanikube-test-home/cache"))
        .env("XDG_STATE_HOME", std::env::temp_dir().join("mekhanikube-test-home/state"));
    cmd
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// `(code, object name)` of every finding in a JSON analysis document.
pub fn finding_keys(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["object"]["name"].as_str().unwrap().to_string()))
        .collect()
}

/// The bodies of the chat requests a mock model received, in order: the prompts a run sent.
pub async fn chat_prompts(model: &wiremock::MockServer) -> Vec<String> {
    let requests = model.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path() == "/api/chat")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

/// An Ollama that has every model and answers every chat with `answer` as NDJSON (after `delay`, if any).
pub async fn mock_ollama(answer: &str, delay: Option<std::time::Duration>) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let chunk = serde_json::json!({"model": "m", "message": {"role": "assistant", "content": answer}, "done": false});
    let done = serde_json::json!({"model": "m", "message": {"role": "assistant", "content": ""}, "done": true,
                                  "done_reason": "stop", "eval_count": 10, "eval_duration": 1_000_000u64});
    let mut chat = ResponseTemplate::new(200).set_body_raw(format!("{chunk}\n{done}\n"), "application/x-ndjson");
    if let Some(delay) = delay {
        chat = chat.set_delay(delay);
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/api/chat")).respond_with(chat).mount(&server).await;
    server
}

/// Every file under `dir`, recursively, as `(path, contents)`: for tests that search everything a run wrote.
pub fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push((path.display().to_string(), String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into()));
        }
    }
}
