//! Client and orchestration tests against wiremock and a tiny hand-written HTTP server (for bodies split at
//! awkward places, streams that stop, and servers that go quiet).
//!
//! Shared helpers live here; the tests are split by subject: `client.rs` (streaming, NDJSON, timeouts, retries),
//! `orchestration.rs` (grouping, cache, problem order, failures, cancellation), `anonymize.rs`, and `live.rs` (a
//! real Ollama, ignored by default).

mod anonymize;
mod client;
mod commands;
mod grounding;
mod guard;
mod live;
mod orchestration;
mod properties;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mekhanikube_analyzers::{Finding, Snapshot, SnapshotBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::anonymize::Anonymizer;
use super::answer::*;
use super::cache::*;
use super::client::*;
use super::context::*;
use super::explain::*;
use super::problem::*;
use super::prompt::*;
use super::*;

// ---------------------------------------------------------------------------------------------------------
// Helpers

fn chunk_line(content: &str) -> String {
    serde_json::json!({"model": "m", "created_at": "2026-11-23T00:00:00Z", "message": {"role": "assistant", "content": content}, "done": false})
        .to_string()
        + "\n"
}

fn done_line(prompt_eval_count: u64) -> String {
    serde_json::json!({
        "model": "m", "created_at": "2026-11-23T00:00:01Z", "message": {"role": "assistant", "content": ""},
        "done": true, "done_reason": "stop", "total_duration": 2_000_000_000u64, "load_duration": 1_000_000u64,
        "prompt_eval_count": prompt_eval_count, "prompt_eval_duration": 500_000_000u64,
        "eval_count": 20, "eval_duration": 1_000_000_000u64
    })
    .to_string()
        + "\n"
}

/// An NDJSON chat body streaming `text` in pieces of a few characters.
fn ndjson(text: &str) -> String {
    let mut body = String::new();
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(3) {
        body.push_str(&chunk_line(&piece.iter().collect::<String>()));
    }
    body.push_str(&done_line(100));
    body
}

fn quick_timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(2), first_token: Duration::from_secs(5), idle: Duration::from_secs(5) }
}

fn client(url: &str) -> OllamaClient {
    OllamaClient::new(url, quick_timeouts())
        .unwrap()
        .with_retry(Retry { attempts: 3, base_delay: Duration::from_millis(20) })
}

fn options(cache: Option<Cache>) -> ExplainOptions {
    ExplainOptions {
        model: "smollm2-135m".into(),
        language: "English".into(),
        structured: false,
        concurrency: 2,
        cache,
        anonymize: false,
        chat: ChatOptions::default(),
        prompts: PromptSet::builtin(),
        preflight: true,
        redactor: None,
    }
}

fn request() -> (ChatOptions, &'static str, &'static str) {
    (ChatOptions::default(), "system prompt", "user prompt")
}

async fn chat_text(client: &OllamaClient) -> (Result<ChatOutcome, ChatFailure>, String) {
    let (opts, system, user) = request();
    let req = ChatRequest { model: "m", system, user, options: &opts, format: None };
    let mut seen = String::new();
    let result = client.chat(&req, &mut |t: &str| seen.push_str(t)).await;
    (result, seen)
}

#[derive(Clone)]
enum Finish {
    /// End the chunked body properly.
    Complete,
    /// Close the socket mid-body.
    Abort,
    /// Keep the connection open and send nothing more.
    Hang,
}

#[derive(Clone)]
struct RawResponse {
    /// Silence before the response head (a request queued behind another).
    wait: Duration,
    status: u16,
    chunks: Vec<Vec<u8>>,
    delay: Duration,
    finish: Finish,
}

impl RawResponse {
    /// A 200 that sends `chunks` at once and ends the body.
    fn complete(chunks: Vec<Vec<u8>>) -> RawResponse {
        RawResponse { wait: Duration::ZERO, status: 200, chunks, delay: Duration::ZERO, finish: Finish::Complete }
    }

    /// A 200 that sends `chunks` at once and then keeps the connection open, silent.
    fn hanging(chunks: Vec<Vec<u8>>) -> RawResponse {
        RawResponse { wait: Duration::ZERO, status: 200, chunks, delay: Duration::ZERO, finish: Finish::Hang }
    }
}

/// A one-response-per-connection HTTP/1.1 server that writes the body as separate chunked-encoding chunks,
/// flushing and pausing between them. Returns its URL and a connection counter.
async fn raw_server(responses: Vec<RawResponse>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let response = responses[n.min(responses.len() - 1)].clone();
            tokio::spawn(async move {
                socket.set_nodelay(true).ok();
                // Read the request head and body.
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                let head_end = loop {
                    let Ok(read) = socket.read(&mut tmp).await else { return };
                    if read == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..read]);
                    if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let Ok(read) = socket.read(&mut tmp).await else { return };
                    if read == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..read]);
                }
                tokio::time::sleep(response.wait).await;
                let head = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                    response.status
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for chunk in &response.chunks {
                    let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                    frame.extend_from_slice(chunk);
                    frame.extend_from_slice(b"\r\n");
                    if socket.write_all(&frame).await.is_err() || socket.flush().await.is_err() {
                        return;
                    }
                    tokio::time::sleep(response.delay).await;
                }
                match response.finish {
                    Finish::Complete => {
                        let _ = socket.write_all(b"0\r\n\r\n").await;
                        let _ = socket.shutdown().await;
                    }
                    Finish::Abort => drop(socket),
                    Finish::Hang => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
        }
    });
    (url, count)
}

fn split_every(bytes: &[u8], n: usize) -> Vec<Vec<u8>> {
    bytes.chunks(n).map(<[u8]>::to_vec).collect()
}

fn fixture_snapshot() -> Snapshot {
    let mut b = SnapshotBuilder::new();
    b.add_text("crashloop.yaml", include_str!("../testdata/crashloop.yaml")).unwrap();
    b.build()
}

fn fixture_findings(snapshot: &Snapshot) -> Vec<Finding> {
    let analyzers = mekhanikube_analyzers::select(&[]).unwrap();
    mekhanikube_analyzers::run(&analyzers, snapshot)
}

/// Records what a sink receives, as a flat list of events.
#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    text: Vec<String>,
}

impl ExplainSink for Recorder {
    fn notice(&mut self, text: &str) {
        self.events.push(format!("notice {text}"));
    }
    fn problem_start(&mut self, index: usize, _: &Problem) {
        self.events.push(format!("start {index}"));
        self.text.push(String::new());
    }
    fn token(&mut self, index: usize, text: &str) {
        assert_eq!(self.text.len(), index + 1, "tokens only for the problem being shown");
        self.text[index].push_str(text);
        if self.events.last().is_none_or(|e| e != &format!("token {index}")) {
            self.events.push(format!("token {index}"));
        }
    }
    fn problem_end(&mut self, index: usize, outcome: &ProblemOutcome) {
        self.events.push(format!("end {index} {:?}", outcome.status));
    }
}

/// `explain` with the default test options and an empty snapshot, never cancelled: what most orchestration tests need.
async fn explain_default(url: &str, problems: &[Problem], sink: &mut dyn ExplainSink) -> ExplainReport {
    explain(&client(url), &Snapshot::default(), problems, &options(None), std::future::pending(), sink).await
}

/// Answers `/api/show` (the preflight model check) with success.
async fn mount_show_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(server)
        .await;
}

async fn ollama_mock(answer: &str) -> MockServer {
    let server = MockServer::start().await;
    mount_show_ok(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ndjson(answer), "application/x-ndjson"))
        .mount(&server)
        .await;
    server
}

fn chat_requests(requests: &[Request]) -> Vec<serde_json::Value> {
    requests.iter().filter(|r| r.url.path() == "/api/chat").map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Prompts

#[test]
fn rendered_prompts_for_the_fixture() {
    let snapshot = fixture_snapshot();
    let problems = group_findings(&fixture_findings(&snapshot));
    let crash = problems.iter().find(|p| p.code == "pod-crash-loop").unwrap();
    assert_eq!(crash.findings.len(), 3);
    let set = PromptSet::builtin();
    let plain = set.render(&prepare(crash, &snapshot, false), "English", false).unwrap();
    // The snapshots stay where they were before the tests became a directory: src/llm/snapshots, named after
    // this module (llm::tests).
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    let _snapshots = settings.bind_to_scope();
    insta::assert_snapshot!("crashloop_system", plain.system);
    insta::assert_snapshot!("crashloop_problem", plain.user);
    let anonymized = set.render(&prepare(crash, &snapshot, true), "English", true).unwrap();
    insta::assert_snapshot!("crashloop_problem_anonymized", anonymized.user);
}

/// Every prompt of the demo cluster, plain and anonymized: each kind's spec view, evidence shape and link
/// appears at least once, so any change to what a prompt carries shows up here.
#[test]
fn rendered_prompts_for_every_problem_of_the_demo_cluster() {
    let mut b = SnapshotBuilder::new();
    b.add_text("demo-cluster.yaml", include_str!("../../../examples/demo-cluster.yaml")).unwrap();
    let snapshot = b.build();
    let mut findings = fixture_findings(&snapshot);
    let core = mekhanikube_analyzers::problems(&snapshot, &mut findings);
    let problems = Problem::from_core(&core, &findings);
    assert!(problems.len() > 10, "the demo cluster has many problems");
    let set = PromptSet::builtin();
    let mut all = String::new();
    for problem in &problems {
        for anonymize in [false, true] {
            let prompt = set.render(&prepare(problem, &snapshot, anonymize), "English", false).unwrap();
            all.push_str(&format!("===== {} (anonymized: {anonymize})\n{}\n", problem.code, prompt.user));
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    let _snapshots = settings.bind_to_scope();
    insta::assert_snapshot!("demo_cluster_prompts", all);
}
