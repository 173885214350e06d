//! Offline, with a mock model: no Secret value and no credential-like value of a loaded snapshot reaches any
//! output, prompt, cache entry or report. (`live_values` proves the same against the real API server and Ollama.)

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{Output, files_under, fixture, mekhanikube, run};

const VALUES: &[&str] = &[
    "s3cr3t-Pa55word-7731",
    "czNjcjN0LVBhNTV3b3JkLTc3MzE=",
    "env-value-D8f2Qz",
    "arg-pass-Kq93",
    "url-pass-Zz81",
    "hdr-token-Pp02",
    "cm-value-Xq47",
    "cm-bin-Yb52",
    "Y20tYmluLVliNTI=",
];

/// The analyzers' value fixture with the pod crash-looping, so that there is a problem to explain.
fn snapshot_with_a_problem(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("hygiene/values.yaml")).unwrap();
    let mut list: Value = serde_saphyr::from_str(&text).unwrap();
    for item in list["items"].as_array_mut().unwrap() {
        if item["kind"] == "Pod" {
            item["status"] = json!({"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "registry.example/shop/api:1", "imageID": "", "ready": false,
                "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]});
        }
    }
    let path = dir.join("values.json");
    std::fs::write(&path, list.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn no_value_reaches_outputs_prompts_cache_or_reports() {
    let model = crate::common::mock_ollama("Restart loop.", None).await;
    let dir = tempfile::tempdir().unwrap();
    let snapshot = snapshot_with_a_problem(dir.path());
    let snapshot = snapshot.to_str().unwrap().to_string();
    let (cache, reports) = (dir.path().join("cache"), dir.path().join("reports"));
    let uri = model.uri();
    let explain = ["--explain", "--model", "m", "--ollama-url", &uri];
    let runs: Vec<Vec<String>> = [
        vec!["analyze", "--snapshot", &snapshot],
        vec!["analyze", "--snapshot", &snapshot, "-o", "json"],
        vec!["analyze", "--snapshot", &snapshot, "-o", "yaml"],
        [&["analyze", "--snapshot", &snapshot][..], &explain].concat(),
        [&["analyze", "--snapshot", &snapshot, "-o", "json", "--no-cache"][..], &explain].concat(),
        [&["report", "--snapshot", &snapshot, "--out", reports.to_str().unwrap()][..], &explain].concat(),
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_string).collect())
    .collect();
    let history = dir.path().join("history.sqlite");
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        runs.iter()
            .map(|args| {
                run(mekhanikube().args(args).env("XDG_CACHE_HOME", &cache).env("MEKHANIKUBE_HISTORY", &history))
            })
            .collect()
    })
    .await
    .unwrap();
    for out in &outputs {
        assert!(matches!(out.code, 0 | 1), "{}", out.stderr);
    }
    assert!(outputs[1].stdout.contains("pod-crash-loop"), "there is a problem to explain: {}", outputs[1].stdout);
    // The typed explanations are what the published schema says.
    let explained = crate::common::json(&outputs[4].stdout);
    assert_eq!(explained["explanations"][0]["status"], "explained", "{explained}");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(crate::common::repo_path("docs/analysis.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&explained).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let prompts = crate::common::chat_prompts(&model).await;
    assert!(prompts.len() >= 2, "the model was asked: {}", prompts.len());
    assert!(prompts[0].contains("API_KEY") && prompts[0].contains("<redacted>"), "the spec is in the prompt");

    let mut places = Vec::new();
    files_under(dir.path(), &mut places);
    assert!(places.iter().any(|(p, _)| p.contains("/cache/")), "cache entries were written");
    assert!(places.iter().any(|(p, _)| p.ends_with("latest.md")), "reports were written");
    places.retain(|(p, _)| !p.ends_with("values.json"));
    places.extend(prompts.into_iter().map(|p| ("a prompt".to_string(), p)));
    for (i, out) in outputs.iter().enumerate() {
        places.push((format!("stdout of run {i}"), out.stdout.clone()));
        places.push((format!("stderr of run {i}"), out.stderr.clone()));
    }
    for (place, text) in &places {
        for value in VALUES {
            assert!(!text.contains(value), "{value} reached {place}");
        }
    }
}
