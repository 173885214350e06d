//! Against a real Ollama (ignored unless asked for).

use super::*;

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
