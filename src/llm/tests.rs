//! Client and orchestration tests against wiremock and a tiny hand-written HTTP server (for bodies split at
//! awkward places, streams that stop, and servers that go quiet).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mekhanikube_analyzers::{Finding, Snapshot, SnapshotBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::anonymize::Anonymizer;
use super::cache::*;
use super::client::*;
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
    b.add_text("crashloop.yaml", include_str!("testdata/crashloop.yaml")).unwrap();
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

async fn ollama_mock(answer: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
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
// Client

#[tokio::test]
async fn stream_split_at_awkward_places_including_inside_utf8() {
    let text = "Cause: the pod ÿ crashed — 日本語 🚀 naïve. Fix: `kubectl logs` ✓";
    let mut body = String::new();
    for piece in ["Cause: the pod ÿ ", "crashed — 日本語 ", "🚀 naïve. ", "Fix: `kubectl logs` ✓"] {
        body.push_str(&chunk_line(piece));
    }
    body.push_str(&done_line(321));
    // Chunks of 1, 2, 3, 5 and 7 bytes: boundaries fall inside multi-byte characters, JSON strings and "\n".
    for size in [1, 2, 3, 5, 7] {
        let chunks = split_every(body.as_bytes(), size);
        assert!(chunks.iter().any(|c| std::str::from_utf8(c).is_err()), "some chunk splits a character");
        let (url, _) = raw_server(vec![RawResponse {
            wait: Duration::ZERO,
            status: 200,
            chunks,
            delay: Duration::ZERO,
            finish: Finish::Complete,
        }])
        .await;
        let (result, seen) = chat_text(&client(&url)).await;
        let outcome = result.unwrap_or_else(|f| panic!("size {size}: {:?}", f.error));
        assert_eq!(outcome.content, text);
        assert_eq!(seen, text);
        assert_eq!(outcome.stats.prompt_eval_count, Some(321));
        assert_eq!(outcome.stats.eval_count, Some(20));
        assert_eq!(outcome.stats.tokens_per_second(), Some(20.0));
        assert!(outcome.stats.first_token_ms.is_some());
        assert!(outcome.warnings.is_empty());
    }
}

#[tokio::test]
async fn mid_stream_error_line_is_an_error_that_keeps_the_text() {
    let body =
        chunk_line("Partial answer ") + &chunk_line("so far") + "{\"error\":\"llama runner process has terminated\"}\n";
    let (url, _) = raw_server(vec![RawResponse {
        wait: Duration::ZERO,
        status: 200,
        chunks: split_every(body.as_bytes(), 11),
        delay: Duration::from_millis(1),
        finish: Finish::Complete,
    }])
    .await;
    let (result, seen) = chat_text(&client(&url)).await;
    let failure = result.unwrap_err();
    assert_eq!(failure.error, LlmError::Server("llama runner process has terminated".into()));
    assert_eq!(failure.partial, "Partial answer so far");
    assert_eq!(seen, "Partial answer so far");
}

#[tokio::test]
async fn stream_cut_before_done_is_an_error() {
    let body = chunk_line("Cause: out of ") + &chunk_line("memory");
    for finish in [Finish::Complete, Finish::Abort] {
        let (url, connections) = raw_server(vec![RawResponse {
            wait: Duration::ZERO,
            status: 200,
            chunks: split_every(body.as_bytes(), 9),
            delay: Duration::from_millis(1),
            finish,
        }])
        .await;
        let (result, _) = chat_text(&client(&url)).await;
        let failure = result.unwrap_err();
        assert!(matches!(failure.error, LlmError::Incomplete | LlmError::Stream(_)), "{:?}", failure.error);
        assert_eq!(failure.partial, "Cause: out of memory");
        // Text was streamed: never retried.
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn model_not_found_says_ollama_pull() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string(r#"{"error":"model \"qwen9:7b\" not found, try pulling it first"}"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(404).set_body_string(r#"{"error":"model 'qwen9:7b' not found"}"#))
        .mount(&server)
        .await;
    let c = client(&server.uri());
    let (opts, system, user) = request();
    let req = ChatRequest { model: "qwen9:7b", system, user, options: &opts, format: None };
    let failure = c.chat(&req, &mut |_| {}).await.unwrap_err();
    assert_eq!(failure.error, LlmError::ModelNotFound { model: "qwen9:7b".into() });
    assert!(failure.error.to_string().contains("ollama pull qwen9:7b"), "{}", failure.error);
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "a 404 is not retried");
    assert!(!c.has_model("qwen9:7b").await.unwrap());
}

#[tokio::test]
async fn idle_timeout_after_first_token() {
    let body = chunk_line("Cause: ");
    let (url, connections) = raw_server(vec![RawResponse {
        wait: Duration::ZERO,
        status: 200,
        chunks: vec![body.into_bytes()],
        delay: Duration::ZERO,
        finish: Finish::Hang,
    }])
    .await;
    let c = OllamaClient::new(&url, Timeouts { idle: Duration::from_millis(300), ..quick_timeouts() }).unwrap();
    let started = std::time::Instant::now();
    let (result, _) = chat_text(&c).await;
    let failure = result.unwrap_err();
    assert_eq!(failure.error, LlmError::IdleTimeout(Duration::from_millis(300)));
    assert_eq!(failure.partial, "Cause: ");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn first_token_timeout_when_the_server_is_silent() {
    let (url, _) = raw_server(vec![RawResponse {
        wait: Duration::ZERO,
        status: 200,
        chunks: vec![],
        delay: Duration::ZERO,
        finish: Finish::Hang,
    }])
    .await;
    let c = OllamaClient::new(&url, Timeouts { first_token: Duration::from_millis(300), ..quick_timeouts() }).unwrap();
    let (result, _) = chat_text(&c).await;
    assert_eq!(result.unwrap_err().error, LlmError::FirstTokenTimeout(Duration::from_millis(300)));
}

#[tokio::test]
async fn time_queued_behind_a_streaming_request_does_not_count_as_first_token_wait() {
    // The first request streams for about 1.2 s; the second is answered only after 1 s of silence, as Ollama
    // does with a request it queues. A first-token timeout of 500 ms must not fire for the queued one.
    let slow = RawResponse {
        wait: Duration::ZERO,
        status: 200,
        chunks: (0..12)
            .map(|i| chunk_line(&format!("{i} ")).into_bytes())
            .chain([done_line(10).into_bytes()])
            .collect(),
        delay: Duration::from_millis(100),
        finish: Finish::Complete,
    };
    let queued = RawResponse {
        wait: Duration::from_millis(1000),
        status: 200,
        chunks: vec![(chunk_line("late") + &done_line(10)).into_bytes()],
        delay: Duration::ZERO,
        finish: Finish::Complete,
    };
    let (url, _) = raw_server(vec![slow, queued]).await;
    let c = OllamaClient::new(&url, Timeouts { first_token: Duration::from_millis(500), ..quick_timeouts() }).unwrap();
    let (opts, system, user) = request();
    let req = ChatRequest { model: "m", system, user, options: &opts, format: None };
    let (mut ignore_a, mut ignore_b) = (|_: &str| {}, |_: &str| {});
    let first = c.chat(&req, &mut ignore_a);
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        c.chat(&req, &mut ignore_b).await
    };
    let (a, b) = tokio::join!(first, second);
    assert_eq!(a.unwrap().content, "0 1 2 3 4 5 6 7 8 9 10 11 ");
    assert_eq!(b.map(|o| o.content).map_err(|f| f.error), Ok("late".to_string()));
}

#[tokio::test]
async fn retries_5xx_before_the_first_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(503).set_body_string(r#"{"error":"server busy"}"#))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ndjson("ok"), "application/x-ndjson"))
        .with_priority(2)
        .mount(&server)
        .await;
    let (result, seen) = chat_text(&client(&server.uri())).await;
    assert_eq!(result.unwrap().content, "ok");
    assert_eq!(seen, "ok");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn connection_refused_is_unreachable_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (result, _) = chat_text(&client(&url)).await;
    let failure = result.unwrap_err();
    assert!(matches!(failure.error, LlmError::Unreachable { .. }), "{:?}", failure.error);
    assert!(failure.error.to_string().contains("ollama serve"));
    assert!(failure.error.is_fatal());
}

#[tokio::test]
async fn request_body_sets_num_ctx_and_format() {
    let server = ollama_mock("{\"cause\":\"c\",\"impact\":\"i\",\"steps\":[\"s\"]}").await;
    let c = client(&server.uri());
    let opts = ChatOptions { num_ctx: 8192, ..ChatOptions::default() };
    let schema = explanation_schema();
    let req = ChatRequest { model: "m", system: "sys", user: "usr", options: &opts, format: Some(&schema) };
    c.chat(&req, &mut |_| {}).await.unwrap();
    let body = &chat_requests(&server.received_requests().await.unwrap())[0];
    assert_eq!(body["options"]["num_ctx"], 8192);
    assert_eq!(body["stream"], true);
    assert_eq!(body["format"], schema);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "usr");
}

#[tokio::test]
async fn truncated_prompt_is_a_warning() {
    let body = chunk_line("answer") + &done_line(4096);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/x-ndjson"))
        .mount(&server)
        .await;
    let (result, _) = chat_text(&client(&server.uri())).await;
    let outcome = result.unwrap();
    assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
    assert!(outcome.warnings[0].contains("truncated"));
}

#[tokio::test]
async fn version_and_has_model() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/version"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"version":"0.24.0"}"#))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .and(body_string_contains("smollm2-135m"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/api/show")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let c = client(&server.uri());
    assert_eq!(c.version().await.unwrap(), "0.24.0");
    assert!(c.has_model("smollm2-135m").await.unwrap());
    assert!(!c.has_model("other").await.unwrap());
}

// ---------------------------------------------------------------------------------------------------------
// Orchestration

#[tokio::test]
async fn identical_pods_cost_one_request_and_a_second_run_none() {
    let snapshot = fixture_snapshot();
    let findings = fixture_findings(&snapshot);
    let crash: Vec<Finding> = findings.iter().filter(|f| f.code == "pod-crash-loop").cloned().collect();
    assert_eq!(crash.len(), 3, "{findings:#?}");
    // 200 pods the same way: the three of the fixture, and copies under other names.
    let mut many = Vec::new();
    for i in 0..200 {
        let mut f = crash[i % 3].clone();
        f.object.name = format!("checkout-api-5d8f7c9b4-{i:05x}");
        f.message = f.message.replace(&crash[i % 3].object.name, &f.object.name);
        many.push(f);
    }
    let problems = group_findings(&many);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].objects().len(), 200);

    let server = ollama_mock("Cause: the database is down.\nImpact: checkout fails.\nFix:\n1. `kubectl get svc`").await;
    let dir = tempfile::tempdir().unwrap();
    let opts = options(Some(Cache::new(dir.path())));
    let c = client(&server.uri());
    let mut sink = Recorder::default();
    let report = explain(&c, &snapshot, &problems, &opts, std::future::pending(), &mut sink).await;
    assert_eq!(report.model_requests, 1);
    assert_eq!(report.cache_hits, 0);
    assert!(!report.had_error());
    assert_eq!(report.outcomes[0].status, OutcomeStatus::Explained);
    assert_eq!(
        report.outcomes[0].text,
        "Cause: the database is down.\nImpact: checkout fails.\nFix:\n1. `kubectl get svc`"
    );
    assert_eq!(sink.text[0], report.outcomes[0].text);
    assert_eq!(chat_requests(&server.received_requests().await.unwrap()).len(), 1);

    let mut sink2 = Recorder::default();
    let report2 = explain(&c, &snapshot, &problems, &opts, std::future::pending(), &mut sink2).await;
    assert_eq!(report2.model_requests, 0);
    assert_eq!(report2.cache_hits, 1);
    assert!(report2.outcomes[0].cached);
    assert_eq!(report2.outcomes[0].text, report.outcomes[0].text);
    assert_eq!(sink2.text[0], report.outcomes[0].text);
    assert_eq!(chat_requests(&server.received_requests().await.unwrap()).len(), 1, "no new request");

    // --no-cache: neither read nor written.
    let report3 = explain(&c, &snapshot, &problems, &options(None), std::future::pending(), &mut NullSink).await;
    assert_eq!(report3.model_requests, 1);
    assert_eq!(report3.cache_hits, 0);
    // A different model is a different key.
    let other = ExplainOptions { model: "llama3.2:1b".into(), ..opts.clone() };
    let report4 = explain(&c, &snapshot, &problems, &other, std::future::pending(), &mut NullSink).await;
    assert_eq!(report4.model_requests, 1);
    assert_eq!(Cache::new(dir.path()).clear().unwrap(), 2);
}

#[tokio::test]
async fn anonymized_prompt_contains_no_original_name_and_answer_gets_them_back() {
    let snapshot = fixture_snapshot();
    let findings = fixture_findings(&snapshot);
    let problems = group_findings(&findings);
    let crash = problems.iter().position(|p| p.code == "pod-crash-loop").unwrap();
    let problems = vec![problems[crash].clone()];

    // The answer mentions the tokens the prompt used; they must come back as real names.
    let prepared = prepare(&problems[0], &snapshot, true);
    let pod_token = prepared.anonymizer.token_for("checkout-api-5d8f7c9b4-qx7zt").unwrap().to_string();
    let ns_token = prepared.anonymizer.token_for("payments-prod").unwrap().to_string();
    let answer = format!(
        "Cause: {pod_token} in {ns_token} cannot reach its database.\nFix: kubectl -n {ns_token} logs {pod_token}"
    );
    let server = ollama_mock(&answer).await;
    let mut opts = options(None);
    opts.anonymize = true;
    let mut sink = Recorder::default();
    let report = explain(&client(&server.uri()), &snapshot, &problems, &opts, std::future::pending(), &mut sink).await;
    assert_eq!(report.model_requests, 1);

    let requests = server.received_requests().await.unwrap();
    let sent: Vec<String> = requests.iter().map(|r| String::from_utf8_lossy(&r.body).into_owned()).collect();
    let all = sent.join("\n");
    assert!(all.contains("CrashLoopBackOff") && all.contains(&pod_token), "{all}");
    for name in [
        "checkout-api",
        "5d8f7c9b4",
        "qx7zt",
        "payments-prod",
        "payment-worker",
        "registry.acme-corp.example",
        "acme",
        "payments/checkout",
        "stripe-credentials",
        "checkout-settings",
        "checkout-tls",
        "checkout-runner",
        "revenue-ops",
        "ip-10-1-2-3",
        "orders-db",
        "Sup3rSecret",
    ] {
        // /api/show carries only the model name; every other byte sent is checked.
        assert!(!all.contains(name), "'{name}' leaked into a request:\n{all}");
    }
    let expected = "Cause: checkout-api-5d8f7c9b4-qx7zt in payments-prod cannot reach its database.\n\
                    Fix: kubectl -n payments-prod logs checkout-api-5d8f7c9b4-qx7zt";
    assert_eq!(report.outcomes[0].text, expected);
    assert_eq!(sink.text[0], expected, "tokens split across chunks are restored in the stream too");
}

#[tokio::test]
async fn output_is_in_problem_order_while_later_problems_generate_concurrently() {
    let findings: Vec<Finding> = ["pod-crash-loop", "pod-oom-killed", "pod-image-pull-failed"]
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let mut f = super::prompt::sample_finding(code);
            f.object.name = format!("pod-{code}");
            f.message = format!("message {i}");
            f
        })
        .collect();
    let problems = group_findings(&findings);
    assert_eq!(problems.len(), 3);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    // The first problem is the slowest: the second finishes first and must wait for its turn.
    for (code, delay, answer) in [
        ("pod-crash-loop", 600, "first answer"),
        ("pod-oom-killed", 0, "second answer"),
        ("pod-image-pull-failed", 100, "third answer"),
    ] {
        Mock::given(method("POST"))
            .and(path("/api/chat"))
            .and(body_string_contains(format!("Problem {code}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(ndjson(answer), "application/x-ndjson")
                    .set_delay(Duration::from_millis(delay)),
            )
            .mount(&server)
            .await;
    }
    let mut sink = Recorder::default();
    let started = std::time::Instant::now();
    let report = explain(
        &client(&server.uri()),
        &Snapshot::default(),
        &problems,
        &options(None),
        std::future::pending(),
        &mut sink,
    )
    .await;
    assert_eq!(report.model_requests, 3);
    assert_eq!(
        sink.events,
        [
            "start 0",
            "token 0",
            "end 0 Explained",
            "start 1",
            "token 1",
            "end 1 Explained",
            "start 2",
            "token 2",
            "end 2 Explained"
        ]
    );
    assert_eq!(sink.text, ["first answer", "second answer", "third answer"]);
    // Two at a time: 600 ms for the first while the second and third run behind it.
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn ollama_down_fails_each_problem_in_one_line_without_requests() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let findings =
        vec![super::prompt::sample_finding("pod-crash-loop"), super::prompt::sample_finding("pod-oom-killed")];
    let problems = group_findings(&findings);
    let mut sink = Recorder::default();
    let report =
        explain(&client(&url), &Snapshot::default(), &problems, &options(None), std::future::pending(), &mut sink)
            .await;
    assert!(report.had_error());
    assert_eq!(report.model_requests, 0);
    assert_eq!(report.failed, 2);
    assert!(report.fatal.as_deref().unwrap().contains("cannot reach Ollama"));
    for o in &report.outcomes {
        assert_eq!(o.status, OutcomeStatus::Failed);
        let e = o.error.as_deref().unwrap();
        assert!(!e.contains('\n') && e.contains("cannot reach Ollama"), "{e}");
    }
    assert_eq!(sink.events, ["start 0", "end 0 Failed", "start 1", "end 1 Failed"]);
}

#[tokio::test]
async fn missing_model_fails_with_pull_hint() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/api/show")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let problems = group_findings(&[super::prompt::sample_finding("pod-crash-loop")]);
    let report = explain(
        &client(&server.uri()),
        &Snapshot::default(),
        &problems,
        &options(None),
        std::future::pending(),
        &mut NullSink,
    )
    .await;
    assert!(report.had_error());
    assert_eq!(report.model_requests, 0);
    assert!(report.outcomes[0].error.as_deref().unwrap().contains("ollama pull smollm2-135m"));
}

#[tokio::test]
async fn structured_answers_are_parsed_or_kept_raw() {
    let problems = group_findings(&[super::prompt::sample_finding("pod-crash-loop")]);
    let server = ollama_mock(r#"{"cause": "bad config", "impact": "down", "steps": ["kubectl logs x", "kubectl rollout undo deploy/sample"]}"#).await;
    let mut opts = options(None);
    opts.structured = true;
    let report =
        explain(&client(&server.uri()), &Snapshot::default(), &problems, &opts, std::future::pending(), &mut NullSink)
            .await;
    let e = report.outcomes[0].explanation.clone().unwrap();
    assert!(e.parsed);
    assert_eq!(e.cause, "bad config");
    assert_eq!(e.steps.len(), 2);
    let body = &chat_requests(&server.received_requests().await.unwrap())[0];
    assert_eq!(body["format"], explanation_schema());

    let server = ollama_mock("I think the cause is { not json").await;
    let report =
        explain(&client(&server.uri()), &Snapshot::default(), &problems, &opts, std::future::pending(), &mut NullSink)
            .await;
    let e = report.outcomes[0].explanation.clone().unwrap();
    assert!(!e.parsed);
    assert_eq!(e.raw.as_deref(), Some("I think the cause is { not json"));
    assert_eq!(report.outcomes[0].status, OutcomeStatus::Explained);
}

#[tokio::test]
async fn escape_sequences_in_answers_never_reach_the_sink() {
    let problems = group_findings(&[super::prompt::sample_finding("pod-crash-loop")]);
    // ndjson() splits every 3 characters, so the escapes are cut across chunks.
    let server = ollama_mock("Cause: \u{1b}[31mred\u{1b}[0m and \u{1b}]0;title\u{7}done\r\n").await;
    let mut sink = Recorder::default();
    let report = explain(
        &client(&server.uri()),
        &Snapshot::default(),
        &problems,
        &options(None),
        std::future::pending(),
        &mut sink,
    )
    .await;
    assert_eq!(report.outcomes[0].text, "Cause: red and done\n");
    assert_eq!(sink.text[0], "Cause: red and done\n");
}

#[tokio::test]
async fn cancellation_keeps_what_was_printed() {
    let body = chunk_line("Cause: half an ") + &chunk_line("answer");
    let (url, _) = raw_server(vec![RawResponse {
        wait: Duration::ZERO,
        status: 200,
        chunks: vec![body.into_bytes()],
        delay: Duration::ZERO,
        finish: Finish::Hang,
    }])
    .await;
    let findings =
        vec![super::prompt::sample_finding("pod-crash-loop"), super::prompt::sample_finding("pod-oom-killed")];
    let problems = group_findings(&findings);
    let mut opts = options(None);
    opts.preflight = false;
    let mut sink = Recorder::default();
    let started = std::time::Instant::now();
    let cancel = tokio::time::sleep(Duration::from_millis(400));
    let report = explain(&client(&url), &Snapshot::default(), &problems, &opts, cancel, &mut sink).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(report.cancelled);
    assert_eq!(report.outcomes[0].status, OutcomeStatus::Cancelled);
    assert_eq!(report.outcomes[0].text, "Cause: half an answer");
    assert_eq!(sink.text[0], "Cause: half an answer");
    assert_eq!(sink.events, ["start 0", "token 0", "end 0 Cancelled"]);
    assert_eq!(report.outcomes[1].status, OutcomeStatus::Cancelled);
}

#[tokio::test]
async fn after_two_timeouts_the_rest_is_not_tried() {
    let (url, connections) = raw_server(vec![RawResponse {
        wait: Duration::ZERO,
        status: 200,
        chunks: vec![],
        delay: Duration::ZERO,
        finish: Finish::Hang,
    }])
    .await;
    let findings: Vec<Finding> = ["pod-crash-loop", "pod-oom-killed", "pod-image-pull-failed", "pod-evicted"]
        .iter()
        .map(|code| super::prompt::sample_finding(code))
        .collect();
    let problems = group_findings(&findings);
    let c = OllamaClient::new(&url, Timeouts { first_token: Duration::from_millis(200), ..quick_timeouts() }).unwrap();
    let mut opts = options(None);
    opts.preflight = false;
    opts.concurrency = 1;
    let report = explain(&c, &Snapshot::default(), &problems, &opts, std::future::pending(), &mut NullSink).await;
    assert_eq!(report.model_requests, 2);
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    assert_eq!(report.failed, 4);
    assert!(report.fatal.as_deref().unwrap().contains("timed out on 2 problems"), "{:?}", report.fatal);
    assert!(report.outcomes[3].error.as_deref().unwrap().starts_with("not tried"));
}

#[tokio::test]
async fn a_failure_mid_stream_is_one_problem_and_the_rest_go_on() {
    let findings =
        vec![super::prompt::sample_finding("pod-crash-loop"), super::prompt::sample_finding("pod-oom-killed")];
    let problems = group_findings(&findings);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .and(body_string_contains("Problem pod-crash-loop"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(chunk_line("partial") + "{\"error\":\"boom\"}\n", "application/x-ndjson"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ndjson("fine"), "application/x-ndjson"))
        .mount(&server)
        .await;
    let mut sink = Recorder::default();
    let report = explain(
        &client(&server.uri()),
        &Snapshot::default(),
        &problems,
        &options(None),
        std::future::pending(),
        &mut sink,
    )
    .await;
    assert!(report.had_error());
    assert_eq!(report.failed, 1);
    let first = report.outcomes.iter().find(|o| o.status == OutcomeStatus::Failed).unwrap();
    assert_eq!(first.text, "partial");
    assert_eq!(first.error.as_deref(), Some("Ollama reported an error: boom"));
    assert!(report.outcomes.iter().any(|o| o.text == "fine" && o.status == OutcomeStatus::Explained));
}

#[test]
fn stream_filter_restores_tokens_split_across_chunks() {
    let mut b = Anonymizer::builder();
    b.add("pod", "real-pod-name").add("pod", "another");
    let a = b.build();
    let mut f = super::explain::StreamFilter::new(&a);
    let mut out = String::new();
    for piece in ["see po", "d-", "1 and pod-", "2.", " \u{1b}[", "1mok\u{1b}", "[0m pod-1"] {
        out.push_str(&f.push(piece));
    }
    out.push_str(&f.finish());
    assert_eq!(out, "see real-pod-name and another. ok real-pod-name");
}

#[test]
fn rendered_prompts_for_the_fixture() {
    let snapshot = fixture_snapshot();
    let problems = group_findings(&fixture_findings(&snapshot));
    let crash = problems.iter().find(|p| p.code == "pod-crash-loop").unwrap();
    assert_eq!(crash.findings.len(), 3);
    let set = PromptSet::builtin();
    let plain = set.render(&prepare(crash, &snapshot, false), "English", false).unwrap();
    insta::assert_snapshot!("crashloop_system", plain.system);
    insta::assert_snapshot!("crashloop_problem", plain.user);
    let anonymized = set.render(&prepare(crash, &snapshot, true), "English", true).unwrap();
    insta::assert_snapshot!("crashloop_problem_anonymized", anonymized.user);
}

/// Against a real Ollama: `MEKHANIKUBE_TEST_OLLAMA=http://127.0.0.1:PORT cargo test --bin mekhanikube
/// llm::tests::live -- --ignored --nocapture` (model from `MEKHANIKUBE_TEST_MODEL`, default `smollm2-135m`).
#[tokio::test]
#[ignore = "needs a running Ollama"]
#[allow(clippy::print_stderr)]
async fn live_ollama_explains_the_fixture() {
    let Ok(url) = std::env::var("MEKHANIKUBE_TEST_OLLAMA") else {
        eprintln!("MEKHANIKUBE_TEST_OLLAMA not set; skipping");
        return;
    };
    let model = std::env::var("MEKHANIKUBE_TEST_MODEL").unwrap_or_else(|_| "smollm2-135m".into());
    let endpoint = check_llm_url(&url, false).unwrap();
    let c = OllamaClient::new(
        endpoint.url.as_str(),
        Timeouts { first_token: Duration::from_secs(300), idle: Duration::from_secs(60), ..Timeouts::default() },
    )
    .unwrap();
    eprintln!("ollama {}", c.version().await.unwrap());
    assert!(c.has_model(&model).await.unwrap());
    let snapshot = fixture_snapshot();
    let problems = group_findings(&fixture_findings(&snapshot));
    let dir = tempfile::tempdir().unwrap();
    for (structured, anonymize) in [(false, false), (true, true)] {
        let mut opts = options(Some(Cache::new(dir.path())));
        opts.model = model.clone();
        opts.structured = structured;
        opts.anonymize = anonymize;
        opts.chat.num_predict = Some(160);
        let started = std::time::Instant::now();
        let mut sink = Recorder::default();
        let report = explain(&c, &snapshot, &problems[..1], &opts, std::future::pending(), &mut sink).await;
        let o = &report.outcomes[0];
        let stats = o.stats.clone().unwrap_or_default();
        eprintln!(
            "structured={structured} anonymize={anonymize}: {:?} in {:?}; first token {:?} ms, prompt {:?} tokens in {:?} ms, {:?} tokens at {:.1} tokens/s; warnings {:?}; error {:?}",
            o.status,
            started.elapsed(),
            stats.first_token_ms,
            stats.prompt_eval_count,
            stats.prompt_eval_duration_ns.map(|d| d / 1_000_000),
            stats.eval_count,
            stats.tokens_per_second().unwrap_or_default(),
            o.warnings,
            o.error,
        );
        eprintln!("--- answer ---\n{}\n--- explanation: {:?}", o.text, o.explanation);
        assert_eq!(o.status, OutcomeStatus::Explained);
        assert_eq!(sink.text[0], o.text);
        let again = explain(&c, &snapshot, &problems[..1], &opts, std::future::pending(), &mut NullSink).await;
        assert_eq!((again.model_requests, again.cache_hits), (0, 1));
    }
}

/// Every analyzer fixture: each problem renders, and with anonymization no name of its findings' objects (or
/// their namespaces and owners) is left in the data block.
#[test]
fn every_fixture_problem_renders_and_anonymizes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("analyzers/tests/fixtures");
    let Ok(dirs) = std::fs::read_dir(&root) else { return };
    let set = PromptSet::builtin();
    let mut rendered = 0;
    for dir in dirs.flatten() {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                continue;
            }
            let mut b = SnapshotBuilder::new();
            if b.add_text(&path.display().to_string(), &std::fs::read_to_string(&path).unwrap()).is_err() {
                continue;
            }
            let snapshot = b.build();
            for problem in group_findings(&fixture_findings(&snapshot)) {
                let prepared = prepare(&problem, &snapshot, true);
                let prompt = set.render(&prepared, "English", false).unwrap();
                if let Ok(dump) = std::env::var("MEKHANIKUBE_DUMP_PROMPTS") {
                    let name = format!("{}-{rendered}-{}.txt", dir.file_name().to_string_lossy(), problem.code);
                    std::fs::write(std::path::Path::new(&dump).join(name), &prompt.user).unwrap();
                }
                let data = prepared.context.get("data_yaml").and_then(|d| d.as_str()).unwrap().to_string();
                assert!(prompt.user.contains(&data));
                let rep = problem.representative();
                let mut names = vec![rep.object.name.clone()];
                names.extend(rep.object.namespace.clone());
                names.extend(rep.parent.iter().map(|p| p.name.clone()));
                for name in names.iter().filter(|n| n.len() > 2 && !["default", "kube-system"].contains(&n.as_str())) {
                    let leaked = data.match_indices(name.as_str()).any(|(i, _)| {
                        let before = data[..i].chars().next_back();
                        let after = data[i + name.len()..].chars().next();
                        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
                    });
                    assert!(!leaked, "{}: '{name}' left in the prompt for {}:\n{data}", path.display(), problem.code);
                }
                rendered += 1;
            }
        }
    }
    assert!(rendered > 20, "rendered {rendered} problems");
}
