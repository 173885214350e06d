//! The Ollama client: streaming, NDJSON split anywhere, error lines, timeouts, retries, request bodies.

use super::*;

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
        let (url, _) = raw_server(vec![RawResponse::complete(chunks)]).await;
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
    let (url, connections) = raw_server(vec![RawResponse::hanging(vec![body.into_bytes()])]).await;
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
    let (url, _) = raw_server(vec![RawResponse::hanging(vec![])]).await;
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

/// `localhost` with the root's trailing dot reaches the server on 127.0.0.1 while the client never asks DNS: its
/// resolver answers loopback names itself and refuses any other name without looking it up (the error is the
/// resolver's, not the system's).
#[tokio::test]
async fn localhost_is_resolved_without_dns() {
    let server = ollama_mock("ok").await;
    let port = server.address().port();
    for host in ["localhost", "localhost.", "LocalHost."] {
        let url = format!("http://{host}:{port}");
        assert!(client(&url).has_model("m").await.unwrap(), "{url}");
        let endpoint = check_llm_url(&url, false).unwrap();
        let c = OllamaClient::for_endpoint(&endpoint, quick_timeouts()).unwrap();
        assert!(c.has_model("m").await.unwrap(), "{url}");
    }
    for name in ["ollama.example.com", "localhost.example.com", "127.0.0.1.nip.io"] {
        let err = client(&format!("http://{name}:{port}")).has_model("m").await.unwrap_err();
        assert!(err.to_string().contains(&format!("'{name}' is not a loopback name; it is not looked up")), "{err}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
}

/// Credentials in the URL are sent (as basic auth, which an authenticating proxy in front of Ollama needs) but
/// never shown: not in the unreachable error, not in an invalid-URL error.
#[tokio::test]
async fn url_credentials_are_sent_but_never_shown() {
    let server = ollama_mock("ok").await;
    let port = server.address().port();
    assert!(client(&format!("http://user:s3cret@127.0.0.1:{port}")).has_model("m").await.unwrap());
    let auth = server.received_requests().await.unwrap()[0].headers.get("authorization").cloned();
    assert_eq!(auth.unwrap().to_str().unwrap(), "Basic dXNlcjpzM2NyZXQ=");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = client(&format!("http://user:s3cret@127.0.0.1:{closed}")).has_model("m").await.unwrap_err();
    assert!(matches!(err, LlmError::Unreachable { .. }), "{err}");
    assert!(!err.to_string().contains("s3cret") && err.to_string().contains("***@127.0.0.1"), "{err}");
}

#[test]
fn model_sizes_are_read_in_billions() {
    let size = |s: &str| ModelDetails { parameter_size: Some(s.to_string()) }.billions();
    assert_eq!(size("135M"), Some(0.135));
    assert_eq!(size("1.5B"), Some(1.5));
    assert_eq!(size("7B"), Some(7.0));
    assert_eq!(size("134.52M").map(|b| (b * 1e5).round() / 1e5), Some(0.13452));
    assert_eq!(size("big"), None);
    assert_eq!(ModelDetails::default().billions(), None);
}
