//! One problem's request: the chat streamed to the explain loop, and in structured mode one more request when
//! the answer does not follow the schema (src/llm/answer.rs), with the validation error appended.

use std::future::Future;
use std::pin::Pin;

use super::anonymize::Anonymizer;
use super::answer::{retry_prompt, validate};
use super::client::{ChatFailure, ChatOutcome, ChatRequest, ChatStats, OllamaClient};
use super::explain::{ExplainOptions, StreamFilter, one_line};
use super::prompt::RenderedPrompt;

/// A request's result: the problem, the answer (or failure) of the last attempt, and the schema retries made.
pub(crate) type RequestFuture<'a> = Pin<Box<dyn Future<Output = (usize, Result<ChatOutcome, ChatFailure>, u32)> + 'a>>;

/// One streaming request for problem `i`; its text goes to `tx` as it arrives, filtered and with names restored.
/// In structured mode, an answer that does not follow the schema is asked for once more with the validation
/// error appended, unless it was cut at the token cap (asking again would cut it again).
pub(crate) fn start_request<'a>(
    client: &'a OllamaClient,
    options: &'a ExplainOptions,
    schema: Option<&'a serde_json::Value>,
    i: usize,
    prompt: &'a RenderedPrompt,
    anonymizer: &'a Anonymizer,
    tx: tokio::sync::mpsc::UnboundedSender<(usize, String)>,
) -> RequestFuture<'a> {
    Box::pin(async move {
        let first = stream_chat(client, options, schema, i, &prompt.system, &prompt.user, anonymizer, &tx).await;
        let error = match (&first, schema) {
            (Ok(answer), Some(_)) if answer.stats.done_reason.as_deref() != Some("length") => {
                validate(&answer.content).err()
            }
            _ => None,
        };
        let (Some(error), Ok(first)) = (error, &first) else { return (i, first, 0) };
        let user = retry_prompt(&prompt.user, &error);
        let second = stream_chat(client, options, schema, i, &prompt.system, &user, anonymizer, &tx).await;
        let note = format!("the answer did not follow the answer format ({error}); asked once more");
        let merged = match second {
            Ok(mut second) => {
                second.stats = merged_stats(&first.stats, &second.stats);
                second.warnings.insert(0, note);
                Ok(second)
            }
            // The retry failing leaves the first answer, which is still checked and shown as free text.
            Err(failure) => {
                let mut first = first.clone();
                first.warnings.push(note);
                first.warnings.push(format!("the second answer failed: {}", one_line(&failure.error.to_string())));
                Ok(first)
            }
        };
        (i, merged, 1)
    })
}

#[allow(clippy::too_many_arguments)]
async fn stream_chat(
    client: &OllamaClient,
    options: &ExplainOptions,
    schema: Option<&serde_json::Value>,
    i: usize,
    system: &str,
    user: &str,
    anonymizer: &Anonymizer,
    tx: &tokio::sync::mpsc::UnboundedSender<(usize, String)>,
) -> Result<ChatOutcome, ChatFailure> {
    let request = ChatRequest { model: &options.model, system, user, options: &options.chat, format: schema };
    let mut filter = StreamFilter::new(anonymizer);
    let result = {
        let mut on_token = |t: &str| {
            let out = filter.push(t);
            if !out.is_empty() {
                let _ = tx.send((i, out));
            }
        };
        client.chat(&request, &mut on_token).await
    };
    let tail = filter.finish();
    if !tail.is_empty() {
        let _ = tx.send((i, tail));
    }
    result
}

/// The counters of two attempts: the first token of the first, the time and tokens of both.
fn merged_stats(first: &ChatStats, second: &ChatStats) -> ChatStats {
    let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    ChatStats {
        eval_count: sum(first.eval_count, second.eval_count),
        eval_duration_ns: sum(first.eval_duration_ns, second.eval_duration_ns),
        total_duration_ns: sum(first.total_duration_ns, second.total_duration_ns),
        first_token_ms: first.first_token_ms,
        wall_ms: first.wall_ms + second.wall_ms,
        ..second.clone()
    }
}
