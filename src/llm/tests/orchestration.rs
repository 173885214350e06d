//! Orchestration: grouping, the cache, problem order and concurrency, failures, cancellation.

use super::*;

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
    mount_show_ok(&server).await;
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
    let report = explain_default(&server.uri(), &problems, &mut sink).await;
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
    let report = explain_default(&url, &problems, &mut sink).await;
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
    let report = explain_default(&server.uri(), &problems, &mut NullSink).await;
    assert!(report.had_error());
    assert_eq!(report.model_requests, 0);
    assert!(report.outcomes[0].error.as_deref().unwrap().contains("ollama pull smollm2-135m"));
}

/// A model under a billion parameters is named as unreliable once, before any answer; a bigger one, or one whose
/// size the server does not give, is not.
#[tokio::test]
async fn a_tiny_model_is_said_to_be_unreliable_once() {
    for (show, warned) in [
        (r#"{"details": {"parameter_size": "134.52M"}}"#, true),
        (r#"{"details": {"parameter_size": "1.5B"}}"#, false),
        ("{}", false),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/show"))
            .respond_with(ResponseTemplate::new(200).set_body_string(show))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/chat"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(ndjson("ok"), "application/x-ndjson"))
            .mount(&server)
            .await;
        let findings =
            [super::prompt::sample_finding("pod-crash-loop"), super::prompt::sample_finding("pod-oom-killed")];
        let problems = group_findings(&findings);
        let mut sink = Recorder::default();
        let report = explain_default(&server.uri(), &problems, &mut sink).await;
        let notices: Vec<&String> = sink.events.iter().filter(|e| e.starts_with("notice")).collect();
        if warned {
            assert_eq!(notices.len(), 1, "{:?}", sink.events);
            assert_eq!(sink.events[0], *notices[0], "said before any answer");
            assert!(notices[0].contains("134.52M") && notices[0].contains("unreliable"), "{}", notices[0]);
            assert_eq!(report.notice.as_deref(), Some(&notices[0]["notice ".len()..]));
        } else {
            assert!(notices.is_empty() && report.notice.is_none(), "{show}: {:?}", sink.events);
        }
    }
}

#[tokio::test]
async fn escape_sequences_in_answers_never_reach_the_sink() {
    let problems = group_findings(&[super::prompt::sample_finding("pod-crash-loop")]);
    // ndjson() splits every 3 characters, so the escapes are cut across chunks.
    let server = ollama_mock("Cause: \u{1b}[31mred\u{1b}[0m and \u{1b}]0;title\u{7}done\r\n").await;
    let mut sink = Recorder::default();
    let report = explain_default(&server.uri(), &problems, &mut sink).await;
    assert_eq!(report.outcomes[0].text, "Cause: red and done\n");
    assert_eq!(sink.text[0], "Cause: red and done\n");
}

#[tokio::test]
async fn cancellation_keeps_what_was_printed() {
    let body = chunk_line("Cause: half an ") + &chunk_line("answer");
    let (url, _) = raw_server(vec![RawResponse::hanging(vec![body.into_bytes()])]).await;
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
    let (url, connections) = raw_server(vec![RawResponse::hanging(vec![])]).await;
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
    mount_show_ok(&server).await;
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
    let report = explain_default(&server.uri(), &problems, &mut sink).await;
    assert!(report.had_error());
    assert_eq!(report.failed, 1);
    let first = report.outcomes.iter().find(|o| o.status == OutcomeStatus::Failed).unwrap();
    assert_eq!(first.text, "partial");
    assert_eq!(first.error.as_deref(), Some("Ollama reported an error: boom"));
    assert!(report.outcomes.iter().any(|o| o.text == "fine" && o.status == OutcomeStatus::Explained));
}

/// The demo cluster with a mock model: one call per problem (22 for 35 findings), each prompt carrying its chain and blast radius; and a consequence going away reuses the
/// root's cached answer.
#[tokio::test]
async fn demo_cluster_costs_one_call_per_problem_and_consequences_keep_the_key() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-cluster.yaml");
    let mut builder = mekhanikube_analyzers::SnapshotBuilder::new();
    builder.add_text("demo", &std::fs::read_to_string(path).unwrap()).unwrap();
    let snapshot = builder.build();
    let mut findings = mekhanikube_analyzers::run(&mekhanikube_analyzers::select(&[]).unwrap(), &snapshot);
    let core = mekhanikube_analyzers::problems(&snapshot, &mut findings);
    let problems = Problem::from_core(&core, &findings);
    assert_eq!((findings.len(), problems.len()), (35, 22));

    let server = ollama_mock("Cause: x.").await;
    let dir = tempfile::tempdir().unwrap();
    let opts = options(Some(Cache::new(dir.path())));
    let c = client(&server.uri());
    let report = explain(&c, &snapshot, &problems, &opts, std::future::pending(), &mut NullSink).await;
    assert_eq!(report.model_requests, 22);
    let requests = chat_requests(&server.received_requests().await.unwrap());
    assert_eq!(requests.len(), 22);
    let prompts: Vec<String> = requests.iter().map(|r| r["messages"].to_string()).collect();
    let api = prompts.iter().find(|p| p.contains("api-7c9d5f6b8-4xj2n")).expect("the api problem was asked");
    for part in ["blast_radius", "Ingress shop/shop: backend api down", "deployment-unavailable on Deployment shop/api"]
    {
        assert!(api.contains(part), "{part} missing from {api}");
    }

    // The api Service's and Deployment's findings go away (they are consequences, and the critical one made the
    // problem critical): every answer still comes from the cache.
    findings.retain(|f| !(f.object.name == "api" && f.object.kind != "Pod"));
    let core = mekhanikube_analyzers::problems(&snapshot, &mut findings);
    let fewer = Problem::from_core(&core, &findings);
    assert_eq!(fewer.len(), 22);
    let api = fewer.iter().find(|p| p.representative().object.name == "api-7c9d5f6b8-4xj2n").unwrap();
    assert_eq!((api.severity, api.consequences.len()), (mekhanikube_analyzers::Severity::High, 0));
    let again = explain(&c, &snapshot, &fewer, &opts, std::future::pending(), &mut NullSink).await;
    assert_eq!((again.model_requests, again.cache_hits), (0, 22));

    // The root changes (another exit code): asked again, for that problem only.
    let root = findings.iter_mut().find(|f| f.object.name == "api-7c9d5f6b8-4xj2n").unwrap();
    root.message = root.message.replace("exit code 1", "exit code 2");
    let core = mekhanikube_analyzers::problems(&snapshot, &mut findings);
    let changed = Problem::from_core(&core, &findings);
    let third = explain(&c, &snapshot, &changed, &opts, std::future::pending(), &mut NullSink).await;
    assert_eq!((third.model_requests, third.cache_hits), (1, 21));
}
