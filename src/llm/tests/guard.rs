//! The checks on answers, end to end with a mock model that answers as badly as the issue's small model did:
//! an unsafe pipeline, an invented StorageClass, a kubectl command that does not exist, a mangled token, and
//! answers that do not follow the schema.

use super::*;
use crate::document::CommandClass;
use crate::llm::grounding::{MANGLED_TOKEN, NOT_IN_CLUSTER};

/// The issue's answer, in the schema's shape.
const BAD_ANSWER: &str = r#"{"cause": "The StorageClass ultra-fast-ssd of the QuantumStore driver is missing for checkout-api.",
 "impact": "payments-prod/checkout-api serves nothing.",
 "steps": [
  {"text": "Look at the last crash.", "command": "kubectl logs checkout-api-5d8f7c9b4-qx7zt -n payments-prod --previous", "changes_cluster": false},
  {"text": "Clean the node.", "command": "sudo curl -sL https://get.example.com/fix.sh | sudo docker rm -r", "changes_cluster": false},
  {"text": "Raise the quota.", "command": "kubectl quota increase --namespace payments-prod", "changes_cluster": true},
  {"text": "Restart the rollout.", "command": "kubectl rollout restart deployment/checkout-api -n payments-prod", "changes_cluster": false},
  {"text": "Or run `docker rm -f checkout` on the node.", "command": "", "changes_cluster": false}
 ]}"#;

/// A chat body that ends with `done_reason`.
fn ndjson_ending(text: &str, done_reason: &str) -> String {
    ndjson(text).replace("\"done_reason\":\"stop\"", &format!("\"done_reason\":\"{done_reason}\""))
}

/// A mock Ollama that gives `answers` in turn, the last one for every later request.
async fn ollama_answers(answers: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    mount_show_ok(&server).await;
    for (i, answer) in answers.iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .and(path("/api/chat"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(ndjson(answer), "application/x-ndjson"));
        let mock = if i + 1 < answers.len() { mock.up_to_n_times(1) } else { mock };
        mock.with_priority(u8::try_from(i + 1).unwrap()).mount(&server).await;
    }
    server
}

fn structured(cache: Option<Cache>) -> ExplainOptions {
    ExplainOptions { structured: true, ..options(cache) }
}

/// Explains the crash-looping checkout pod of the fixture.
async fn explain_fixture(url: &str, opts: &ExplainOptions, sink: &mut dyn ExplainSink) -> ExplainReport {
    let snapshot = fixture_snapshot();
    let problems = group_findings(&fixture_findings(&snapshot));
    assert_eq!(problems.len(), 1, "the fixture is one problem");
    explain(&client(url), &snapshot, &problems, opts, std::future::pending(), sink).await
}

#[tokio::test]
async fn the_issues_answer_is_checked_before_anyone_sees_it() {
    let server = ollama_answers(&[BAD_ANSWER]).await;
    let mut sink = Recorder::default();
    let report = explain_fixture(&server.uri(), &structured(None), &mut sink).await;
    let outcome = &report.outcomes[0];
    let answer = outcome.explanation.as_ref().expect("a structured answer");
    assert!(answer.parsed);
    assert_eq!(report.schema_retries, 0);

    let kept: Vec<(Option<&str>, Option<CommandClass>, bool)> =
        answer.step_details.iter().map(|s| (s.command.as_deref(), s.command_class, s.changes_cluster)).collect();
    assert_eq!(
        kept,
        vec![
            (
                Some("kubectl logs checkout-api-5d8f7c9b4-qx7zt -n payments-prod --previous"),
                Some(CommandClass::Read),
                false
            ),
            // The model said it changes nothing; the parser knows better.
            (Some("kubectl rollout restart deployment/checkout-api -n payments-prod"), Some(CommandClass::Write), true),
        ]
    );
    let removed: Vec<(&str, &str)> = answer.removed.iter().map(|r| (r.location.as_str(), r.reason.as_str())).collect();
    assert_eq!(
        removed,
        vec![
            ("step 2", "uses sudo"),
            ("step 3", "does not exist (kubectl has no `quota` command)"),
            ("step 5", "touches the container runtime"),
        ]
    );
    let unknown: Vec<(&str, Option<&str>, &str)> =
        answer.not_in_cluster.iter().map(|u| (u.name.as_str(), u.kind.as_deref(), u.reason.as_str())).collect();
    assert_eq!(unknown, vec![("ultra-fast-ssd", Some("StorageClass"), NOT_IN_CLUSTER)]);

    // What people read: no unsafe command, the write labelled, the invented name marked.
    for shown in [&outcome.text, &answer.to_text()] {
        for unsafe_text in ["sudo curl", "curl -sL", "docker rm", "quota increase"] {
            assert!(!shown.contains(unsafe_text), "'{unsafe_text}' shown: {shown}");
        }
        assert!(shown.contains("$ kubectl rollout restart deployment/checkout-api -n payments-prod\n   (changes the cluster — review first)"), "{shown}");
        assert!(shown.contains("- StorageClass ultra-fast-ssd (cause): not in this cluster"), "{shown}");
        assert!(shown.contains("- step 2: a command that uses sudo"), "{shown}");
        assert!(
            shown.contains("\n4. Restart the rollout.\n"),
            "the model's numbers stay, as the notes use them: {shown}"
        );
    }
    // Nothing of the raw answer reached the sink while it streamed.
    assert!(sink.text.iter().all(String::is_empty), "{:?}", sink.text);
    assert_eq!(sink.events, vec!["start 0", "end 0 Explained"]);
}

#[tokio::test]
async fn an_answer_off_the_schema_is_asked_again_once_with_the_error() {
    let off = r#"{"cause": "Bad config.", "steps": ["kubectl get pods"]}"#;
    let good = r#"{"cause": "Bad config.", "impact": "Down.", "steps": [{"text": "Look.", "command": "kubectl get pods -n payments-prod", "changes_cluster": false}]}"#;
    let server = ollama_answers(&[off, good]).await;
    let report = explain_fixture(&server.uri(), &structured(None), &mut NullSink).await;
    let bodies = chat_requests(&server.received_requests().await.unwrap());
    assert_eq!(bodies.len(), 2, "one retry");
    assert_eq!(bodies[0]["format"], explanation_schema());
    let retry = bodies[1]["messages"][1]["content"].as_str().unwrap();
    assert!(retry.ends_with("Reply again with only one JSON object with \"cause\", \"impact\" and \"steps\" (each step: \"text\", \"command\", \"changes_cluster\")."), "{retry}");
    assert!(retry.contains("`impact` is missing; steps[0] must be an object"), "{retry}");
    let outcome = &report.outcomes[0];
    let answer = outcome.explanation.as_ref().unwrap();
    assert!(answer.parsed);
    assert_eq!((answer.schema_retries, outcome.schema_retries, report.schema_retries), (1, 1, 1));
    assert_eq!(answer.steps, vec!["Look.: `kubectl get pods -n payments-prod`"]);
    assert!(outcome.warnings[0].starts_with("the answer did not follow the answer format"), "{:?}", outcome.warnings);
    assert_eq!(report.model_requests, 1, "a retry is part of its request");
}

#[tokio::test]
async fn a_second_miss_falls_back_to_checked_free_text() {
    let prose = "The pod crashes. Fix:\n```\nsudo rm -rf /var/lib/etcd\nkubectl delete pod checkout-api-5d8f7c9b4-qx7zt -n payments-prod\n```\nThen `kubectl get pods -n payments`.";
    let server = ollama_answers(&[prose]).await;
    let report = explain_fixture(&server.uri(), &structured(None), &mut NullSink).await;
    assert_eq!(chat_requests(&server.received_requests().await.unwrap()).len(), 2);
    let answer = report.outcomes[0].explanation.as_ref().unwrap();
    assert!(!answer.parsed);
    assert_eq!(answer.schema_retries, 1);
    assert!(answer.schema_error.as_deref().unwrap().starts_with("the answer is not one JSON object"));
    let raw = answer.raw.as_deref().unwrap();
    assert!(raw.contains("[command removed: uses sudo]") && !raw.contains("rm -rf"), "{raw}");
    assert!(raw.contains("kubectl delete pod checkout-api-5d8f7c9b4-qx7zt"), "a write stays, as text: {raw}");
    assert_eq!(answer.not_in_cluster.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), vec!["payments"]);
    let text = answer.to_text();
    assert!(
        text.starts_with(
            "(free text: the model did not answer in the requested shape: the answer is not one JSON object"
        ),
        "{text}"
    );
    assert_eq!(report.outcomes[0].text, text);
}

#[tokio::test]
async fn an_answer_cut_at_the_token_cap_is_not_asked_again() {
    let server = MockServer::start().await;
    mount_show_ok(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/chat"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(ndjson_ending(r#"{"cause": "The container exi"#, "length"), "application/x-ndjson"),
        )
        .mount(&server)
        .await;
    let report = explain_fixture(&server.uri(), &structured(None), &mut NullSink).await;
    assert_eq!(chat_requests(&server.received_requests().await.unwrap()).len(), 1);
    let outcome = &report.outcomes[0];
    let answer = outcome.explanation.as_ref().unwrap();
    assert!(!answer.parsed);
    assert!(outcome.warnings.iter().any(|w| w.contains("cut at 1024 tokens")), "{:?}", outcome.warnings);
    // Shown as text, labelled, never as the broken JSON the model left.
    assert_eq!(answer.raw.as_deref(), Some("Cause: The container exi…"));
    assert!(outcome.text.starts_with("(free text:") && !outcome.text.contains('{'), "{}", outcome.text);
}

/// A cut JSON answer is read as text before it is checked: its strings are labelled lines, and an unsafe command
/// inside it is removed like one in prose.
#[test]
fn a_cut_json_answer_reads_as_labelled_text_and_is_checked() {
    use crate::llm::answer::readable_free_text;
    let cut = r#"```json
{"cause": "The tag \"v9\" does not exist.", "impact": "No pods run.", "steps": [{"text": "Clean up.", "command": "sudo docker rm -f $(docker ps -aq)", "changes_cluster": false}, {"text": "Fix the tag in the Deploy"#;
    assert_eq!(
        readable_free_text(cut),
        "Cause: The tag \"v9\" does not exist.\nImpact: No pods run.\n- Clean up.\n  command: `sudo docker rm -f $(docker ps -aq)`\n- Fix the tag in the Deploy\u{2026}"
    );
    let mut removed = Vec::new();
    let (text, _) = crate::llm::answer::scrub(&readable_free_text(cut), "answer", &mut removed);
    assert!(!text.contains("sudo") && removed.len() == 1, "{text}");
    assert_eq!(readable_free_text("The pod crashes.\nFix it."), "The pod crashes.\nFix it.", "prose is kept");
}

#[tokio::test]
async fn mangled_tokens_are_marked_when_anonymizing() {
    let answer = r#"{"cause": "pod-7 crashes.", "impact": "Down.", "steps": [{"text": "Read its log.", "command": "kubectl logs pod-1 -n ns-9", "changes_cluster": false}]}"#;
    let server = ollama_answers(&[answer]).await;
    let opts = ExplainOptions { anonymize: true, ..structured(None) };
    let report = explain_fixture(&server.uri(), &opts, &mut NullSink).await;
    let answer = report.outcomes[0].explanation.as_ref().unwrap();
    let command = answer.step_details[0].command.as_deref().unwrap();
    assert!(
        command.starts_with("kubectl logs checkout-api-5d8f7c9b4-") && command.ends_with(" -n ns-9"),
        "the token is restored: {command}"
    );
    let unknown: Vec<(&str, &str)> =
        answer.not_in_cluster.iter().map(|u| (u.name.as_str(), u.reason.as_str())).collect();
    assert_eq!(unknown, vec![("pod-7", MANGLED_TOKEN), ("ns-9", MANGLED_TOKEN)]);
}

#[tokio::test]
async fn cached_answers_are_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = ollama_answers(&[BAD_ANSWER]).await;
    let opts = structured(Some(Cache::new(dir.path().to_path_buf())));
    let first = explain_fixture(&server.uri(), &opts, &mut NullSink).await;
    let second = explain_fixture(&server.uri(), &opts, &mut NullSink).await;
    assert_eq!(second.cache_hits, 1);
    assert_eq!(chat_requests(&server.received_requests().await.unwrap()).len(), 1);
    let (a, b) = (first.outcomes[0].explanation.as_ref().unwrap(), second.outcomes[0].explanation.as_ref().unwrap());
    assert_eq!(a, b, "the cache stores what the model said; the checks run on every read");
    assert_eq!(b.removed.len(), 3);
    assert!(!second.outcomes[0].text.contains("sudo curl"));
}

#[tokio::test]
async fn a_prompt_too_long_for_the_context_is_trimmed_by_the_rule() {
    let good = r#"{"cause": "c", "impact": "i", "steps": []}"#;
    let server = ollama_answers(&[good]).await;
    let full = explain_fixture(&server.uri(), &structured(None), &mut NullSink).await;
    let sent = &chat_requests(&server.received_requests().await.unwrap())[0];
    let size = |b: &serde_json::Value| {
        b["messages"][0]["content"].as_str().unwrap().len() + b["messages"][1]["content"].as_str().unwrap().len()
    };
    let full_tokens = (size(sent) as u64).div_ceil(3);
    assert!(full.outcomes[0].warnings.is_empty(), "{:?}", full.outcomes[0].warnings);
    assert!(sent["messages"][1]["content"].as_str().unwrap().contains("spec:"));

    // A window that leaves the answer's 200 tokens and a few less than the full prompt needs.
    let server = ollama_answers(&[good]).await;
    let mut opts = structured(None);
    opts.chat.num_predict = Some(200);
    opts.chat.num_ctx = u32::try_from(full_tokens + 200 - 50).unwrap();
    let trimmed = explain_fixture(&server.uri(), &opts, &mut NullSink).await;
    let sent = &chat_requests(&server.received_requests().await.unwrap())[0];
    assert!((size(sent) as u64).div_ceil(3) <= full_tokens - 50, "it fits the window with the answer's room");
    let user = sent["messages"][1]["content"].as_str().unwrap();
    assert!(!user.contains("spec:"), "the spec goes before the finding: {user} {:?}", trimmed.outcomes[0].warnings);
    assert!(user.contains("CrashLoopBackOff"), "the finding stays");
    assert_eq!(
        trimmed.outcomes[0].warnings,
        vec![format!(
            "the prompt was trimmed to fit the context window (num_ctx {}): the spec left out",
            opts.chat.num_ctx
        )]
    );
}
