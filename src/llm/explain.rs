//! Orchestration: one model call per problem, bounded concurrency, output in problem order.
//!
//! Structured answers (what every command asks for) reach the sink only in their outcome, checked
//! (src/llm/answer.rs); a prompt too long for the context window is trimmed first ([`render_to_fit`]). In prose
//! mode the head-of-line problem streams its tokens live through the sink. Problems behind it generate at the
//! same time (up to `concurrency` requests in flight) and are shown when their turn comes.
//! Cache hits need no request. Failures are per problem and one line each; when Ollama is down or the model
//! is missing, the remaining problems fail with that line without further requests. Cancellation (Ctrl-C)
//! drops the requests in flight, ends the current problem with what was already printed, and returns.

use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use mekhanikube_analyzers::Snapshot;
use serde::{Deserialize, Serialize};

use super::anonymize::Anonymizer;
use super::answer::{checked_answer, explanation_schema, scrub};
use super::cache::{CACHE_FORMAT, Cache, CacheKey, CachedAnswer, now_secs};
use super::client::{
    ChatFailure, ChatOptions, ChatOutcome, ChatStats, LlmError, ModelDetails, OllamaClient, SMALL_MODEL_BILLIONS,
};
use super::context::{PreparedProblem, prepare};
use super::grounding::{ClusterNames, Grounding};
use super::problem::Problem;
use super::prompt::{PromptSet, RenderedPrompt};
use super::request::{RequestFuture, start_request};
use crate::sanitize::{complete_prefix_len, sanitize_for_terminal};

/// The documented default model: small enough for a CPU-only host, good enough to explain Kubernetes errors.
pub const DEFAULT_MODEL: &str = "qwen2.5:1.5b";
pub const DEFAULT_LANGUAGE: &str = "English";
pub const DEFAULT_CONCURRENCY: usize = 2;
/// After this many timed-out answers, the remaining problems are not tried: the model is too slow here.
pub const MAX_TIMEOUTS: usize = 2;

#[derive(Clone, Debug)]
pub struct ExplainOptions {
    pub model: String,
    /// The answer language, as words the model understands ("English", "French", "Deutsch").
    pub language: String,
    /// Ask for a JSON answer `{cause, impact, steps}` checked before it is shown (every command does); prose is
    /// streamed unchecked and is kept for tests of the stream.
    pub structured: bool,
    /// Requests in flight at most (`--llm-concurrency`); 0 counts as 1.
    pub concurrency: usize,
    /// `None` is `--no-cache`: neither read nor written.
    pub cache: Option<Cache>,
    pub anonymize: bool,
    pub chat: ChatOptions,
    pub prompts: PromptSet,
    /// Check once that Ollama is up and has the model before the first request (default true).
    pub preflight: bool,
    /// The developer audience (src/audience.rs): every prompt is redacted as it is rendered, and written for the
    /// namespace's developer.
    pub redactor: Option<std::sync::Arc<crate::audience::Redactor>>,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            model: DEFAULT_MODEL.into(),
            language: DEFAULT_LANGUAGE.into(),
            structured: true,
            concurrency: DEFAULT_CONCURRENCY,
            cache: Cache::at_default(),
            anonymize: false,
            chat: ChatOptions::default(),
            prompts: PromptSet::builtin(),
            preflight: true,
            redactor: None,
        }
    }
}

/// Receives the explanation as it is produced, in problem order. Every `problem_start` is followed by any
/// number of `token`s and one `problem_end` with the same index, before the next `problem_start`. Text given
/// to `token` is already sanitized for a terminal and has real names restored.
pub trait ExplainSink {
    /// Something the reader must know before any answer (a model too small to trust), said once.
    fn notice(&mut self, _text: &str) {}
    fn problem_start(&mut self, index: usize, problem: &Problem);
    fn token(&mut self, index: usize, text: &str);
    fn problem_end(&mut self, index: usize, outcome: &ProblemOutcome);
}

/// A sink that ignores everything (for `-o json|yaml`, where only the report matters).
pub struct NullSink;

impl ExplainSink for NullSink {
    fn problem_start(&mut self, _: usize, _: &Problem) {}
    fn token(&mut self, _: usize, _: &str) {}
    fn problem_end(&mut self, _: usize, _: &ProblemOutcome) {}
}

/// The structured answer, as the analysis document carries it.
pub type Explanation = crate::document::Answer;

/// How one problem's explanation ended, as the analysis document records it.
pub type OutcomeStatus = crate::document::ExplanationStatus;

/// What happened to one problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemOutcome {
    pub status: OutcomeStatus,
    #[serde(default)]
    pub cached: bool,
    /// The answer as shown: names restored, terminal controls stripped. Partial when failed or cancelled.
    pub text: String,
    /// Structured mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    /// One line, when failed or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ChatStats>,
    /// Times the model was asked again because its answer did not follow the schema.
    #[serde(default)]
    pub schema_retries: u32,
}

impl ProblemOutcome {
    fn failed(error: impl Into<String>, text: String) -> ProblemOutcome {
        ProblemOutcome {
            status: OutcomeStatus::Failed,
            cached: false,
            text,
            explanation: None,
            error: Some(error.into()),
            warnings: vec![],
            stats: None,
            schema_retries: 0,
        }
    }

    fn cancelled(text: String) -> ProblemOutcome {
        ProblemOutcome {
            status: OutcomeStatus::Cancelled,
            error: Some("cancelled".into()),
            ..ProblemOutcome::failed("", text)
        }
    }
}

/// The result of [`explain`]: one outcome per problem, in problem order, and counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainReport {
    pub outcomes: Vec<ProblemOutcome>,
    /// Chat requests sent to the model (retries of one request count once).
    pub model_requests: usize,
    pub cache_hits: usize,
    /// Answers asked again because they did not follow the schema (each counts in `model_requests` once).
    #[serde(default)]
    pub schema_retries: usize,
    pub failed: usize,
    pub cancelled: bool,
    /// The error that stopped all requests (Ollama down, model missing), if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fatal: Option<String>,
    /// What the reader must know about the answers (a model too small to trust).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

impl ExplainReport {
    /// Whether any problem could not be explained (the caller exits 2, say, while still printing findings).
    pub fn had_error(&self) -> bool {
        self.failed > 0 || self.fatal.is_some()
    }
}

/// Holds back what cannot be shown yet: an incomplete escape sequence, and (when names are restored) a
/// trailing word that may be the first half of a token like `pod-1`.
pub(crate) struct StreamFilter<'a> {
    anonymizer: &'a Anonymizer,
    /// Raw text from an escape sequence that is not complete yet.
    raw: String,
    /// Sanitized text not shown yet: a trailing word that may be half a token.
    clean: String,
}

impl<'a> StreamFilter<'a> {
    pub(crate) fn new(anonymizer: &'a Anonymizer) -> Self {
        StreamFilter { anonymizer, raw: String::new(), clean: String::new() }
    }

    pub(crate) fn push(&mut self, chunk: &str) -> String {
        self.raw.push_str(chunk);
        let complete = complete_prefix_len(&self.raw);
        let ready: String = self.raw.drain(..complete).collect();
        self.clean.push_str(&sanitize_for_terminal(&ready));
        let mut cut = self.clean.len();
        if !self.anonymizer.is_empty() {
            let word_start = self
                .clean
                .char_indices()
                .rev()
                .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(0);
            // A very long "word" (a URL, a base64 blob) is shown rather than held forever.
            if cut - word_start < 256 {
                cut = word_start;
            }
        }
        let shown: String = self.clean.drain(..cut).collect();
        self.anonymizer.restore(&shown)
    }

    pub(crate) fn finish(&mut self) -> String {
        let raw = std::mem::take(&mut self.raw);
        self.clean.push_str(&sanitize_for_terminal(&raw));
        let rest = std::mem::take(&mut self.clean);
        self.anonymizer.restore(&rest)
    }
}

enum Prepared {
    /// The outcome is known without a request (cache hit, template error).
    Ready(Box<ProblemOutcome>),
    Request {
        prompt: RenderedPrompt,
        key: Option<String>,
        anonymizer: Anonymizer,
        /// The prompt with names restored: what the model was told, for [`Grounding`].
        told: String,
        /// What was left out of the prompt to fit the context window.
        trimmed: Option<String>,
    },
}

/// Explains each problem, streaming through `sink` in problem order. `cancel` completes to stop (pass
/// `std::future::pending()` for never). Never fails as a whole: see each outcome and
/// [`ExplainReport::had_error`].
///
/// The steps: render every prompt and answer what the cache can ([`prepare_all`]); check once that the server has
/// the model ([`preflight`]); then keep up to `concurrency` requests running in problem order, show each problem
/// when its turn comes ([`Show`]), and turn each result into an outcome ([`Requests::finish`]).
pub async fn explain(
    client: &OllamaClient,
    snapshot: &Snapshot,
    problems: &[Problem],
    options: &ExplainOptions,
    cancel: impl Future<Output = ()>,
    sink: &mut dyn ExplainSink,
) -> ExplainReport {
    let n = problems.len();
    let schema = options.structured.then(explanation_schema);
    let mut report = ExplainReport {
        outcomes: vec![],
        model_requests: 0,
        cache_hits: 0,
        schema_retries: 0,
        failed: 0,
        cancelled: false,
        fatal: None,
        notice: None,
    };
    let names = ClusterNames::of(snapshot);
    let prepared = prepare_all(problems, snapshot, &names, options, schema.as_ref(), &mut report);
    let mut cancel = std::pin::pin!(cancel);
    let mut requests = Requests {
        outcomes: prepared
            .iter()
            .map(|p| match p {
                Prepared::Ready(o) => Some(o.as_ref().clone()),
                Prepared::Request { .. } => None,
            })
            .collect(),
        fatal: None,
        timeouts: 0,
    };
    if options.preflight && requests.outcomes.iter().any(Option::is_none) {
        requests.fatal = preflight(client, options, &mut cancel, &mut report).await;
        if let Some(notice) = &report.notice {
            sink.notice(notice);
        }
    }

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, String)>();
    let mut running: FuturesUnordered<RequestFuture<'_>> = FuturesUnordered::new();
    // A structured answer reaches the sink only checked, in its outcome: its raw text could hold an unsafe
    // command that the checks remove.
    let stream = !options.structured;
    let mut show = Show { texts: vec![String::new(); n], shown: vec![false; n], head: 0, head_started: false, stream };
    let mut next_start = 0;
    let concurrency = options.concurrency.max(1);

    while !report.cancelled {
        // Keep the pipeline full, in problem order.
        while running.len() < concurrency && next_start < n {
            let i = next_start;
            next_start += 1;
            if requests.outcomes[i].is_some() {
                continue;
            }
            if let Some(f) = &requests.fatal {
                requests.outcomes[i] = Some(ProblemOutcome::failed(one_line(f), String::new()));
                continue;
            }
            let Prepared::Request { prompt, anonymizer, .. } = &prepared[i] else { continue };
            report.model_requests += 1;
            running.push(start_request(client, options, schema.as_ref(), i, prompt, anonymizer, tx.clone()));
        }
        if show.ready(problems, &requests.outcomes, sink) {
            break;
        }
        tokio::select! {
            biased;
            _ = &mut cancel => {
                report.cancelled = true;
            }
            Some(msg) = rx.recv() => show.deliver(sink, msg),
            Some((i, result, retries)) = running.next(), if !running.is_empty() => {
                while let Ok(msg) = rx.try_recv() {
                    show.deliver(sink, msg);
                }
                report.schema_retries += retries as usize;
                requests.finish(i, result, retries, &prepared[i], &show.texts[i], &names, options);
            }
        }
    }

    if report.cancelled {
        // Drop the requests in flight, keep what was streamed, and close the problem being shown.
        drop(running);
        while let Ok(msg) = rx.try_recv() {
            show.deliver(sink, msg);
        }
        for (i, slot) in requests.outcomes.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = Some(ProblemOutcome::cancelled(show.texts[i].clone()));
            }
        }
        if show.head < n && show.head_started {
            sink.problem_end(show.head, requests.outcomes[show.head].as_ref().expect("filled above"));
        }
    }

    report.outcomes = requests.outcomes.into_iter().map(|o| o.expect("every problem has an outcome")).collect();
    report.failed = report.outcomes.iter().filter(|o| o.status == OutcomeStatus::Failed).count();
    report.fatal = requests.fatal.map(|e| one_line(&e));
    report
}

/// Renders every prompt and answers what the cache can: cache hits need no server at all.
fn prepare_all(
    problems: &[Problem],
    snapshot: &Snapshot,
    names: &ClusterNames,
    options: &ExplainOptions,
    schema: Option<&serde_json::Value>,
    report: &mut ExplainReport,
) -> Vec<Prepared> {
    let template_version = options.prompts.version();
    let mut prepared = Vec::with_capacity(problems.len());
    for problem in problems {
        let mut p = prepare(problem, snapshot, options.anonymize);
        if options.redactor.is_some() {
            p.context.reader = "developer".into();
            p.key_context.reader = "developer".into();
        }
        let (prompt, trimmed) = match render_to_fit(&mut p, options) {
            Ok(rendered) => rendered,
            Err(e) => {
                prepared
                    .push(Prepared::Ready(Box::new(ProblemOutcome::failed(one_line(&e.to_string()), String::new()))));
                continue;
            }
        };
        // The key follows the root: rendered without the consequences, so they may come and go (docs/prompts.md).
        let key_prompt = options
            .cache
            .as_ref()
            .and_then(|_| options.prompts.render_key(&p, &options.language, options.structured).ok())
            .map(|key_prompt| redacted(key_prompt, options));
        let key = key_prompt.map(|key_prompt| {
            CacheKey {
                model: &options.model,
                options: &options.chat,
                format: schema,
                template_version: &template_version,
                language: &options.language,
                system: &key_prompt.system,
                prompt: &key_prompt.user,
            }
            .digest()
        });
        let hit = match (&options.cache, &key) {
            (Some(cache), Some(key)) => cache.get(key),
            _ => None,
        };
        let told = p.anonymizer.restore(&format!("{}\n{}", prompt.system, prompt.user));
        match hit {
            Some(answer) => {
                report.cache_hits += 1;
                let grounding = Grounding::new(names, &told, options.anonymize);
                let mut outcome = cached_outcome(answer, &p.anonymizer, &grounding, options);
                outcome.warnings.extend(trimmed);
                prepared.push(Prepared::Ready(Box::new(outcome)));
            }
            None => {
                let anonymizer = p.anonymizer;
                prepared.push(Prepared::Request { prompt, key, anonymizer, told, trimmed });
            }
        }
    }
    prepared
}

/// Renders a problem's prompts, trimming them by [`trim_prompt`]'s rule until they fit the context window with
/// room for the answer. Returns the prompts and, when something was dropped, a note saying what.
fn render_to_fit(
    p: &mut PreparedProblem,
    options: &ExplainOptions,
) -> Result<(RenderedPrompt, Option<String>), super::prompt::PromptError> {
    let budget = prompt_budget(&options.chat);
    let render = |p: &PreparedProblem| {
        options.prompts.render(p, &options.language, options.structured).map(|prompt| redacted(prompt, options))
    };
    let mut prompt = render(p)?;
    let mut dropped = Vec::new();
    let mut step = 0;
    while prompt_tokens(&prompt) > budget {
        let Some(what) = p.context.trim_step(step) else { break };
        step += 1;
        if let Some(what) = what {
            dropped.push(what);
            prompt = render(p)?;
        }
    }
    let note = (!dropped.is_empty()).then(|| {
        format!(
            "the prompt was trimmed to fit the context window (num_ctx {}): {} left out",
            options.chat.num_ctx,
            dropped.join(", ")
        )
    });
    Ok((prompt, note))
}

/// A rendered prompt as the model may see it: for the developer audience, without the names it must not carry.
fn redacted(prompt: RenderedPrompt, options: &ExplainOptions) -> RenderedPrompt {
    match &options.redactor {
        Some(r) => RenderedPrompt { system: r.text(&prompt.system), user: r.text(&prompt.user) },
        None => prompt,
    }
}

/// Tokens a prompt may take: the context window less the answer's cap.
pub fn prompt_budget(chat: &ChatOptions) -> u64 {
    let answer = chat.num_predict.map_or(1024, |n| u64::try_from(n.max(0)).unwrap_or(0));
    u64::from(chat.num_ctx).saturating_sub(answer)
}

/// A cautious token count: YAML full of names takes about one token per 3 bytes, more than English prose.
pub fn prompt_tokens(prompt: &RenderedPrompt) -> u64 {
    ((prompt.system.len() + prompt.user.len()) as u64).div_ceil(3)
}

fn cached_outcome(
    answer: CachedAnswer,
    anonymizer: &Anonymizer,
    grounding: &Grounding<'_>,
    options: &ExplainOptions,
) -> ProblemOutcome {
    let explanation = options.structured.then(|| checked_answer(&answer.content, anonymizer, grounding, 0));
    let text = match &explanation {
        Some(e) => e.to_text(),
        None => anonymizer.restore(&sanitize_for_terminal(&answer.content)),
    };
    ProblemOutcome {
        status: OutcomeStatus::Explained,
        cached: true,
        text,
        explanation,
        error: None,
        warnings: answer.warnings,
        stats: Some(answer.stats),
        schema_retries: 0,
    }
}

/// One check that the server is up and has the model, instead of N failing requests. Returns the error that
/// stops every request, if there is one.
async fn preflight(
    client: &OllamaClient,
    options: &ExplainOptions,
    cancel: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    report: &mut ExplainReport,
) -> Option<String> {
    tokio::select! {
        biased;
        _ = cancel => {
            report.cancelled = true;
            None
        }
        has = client.show_model(&options.model) => match has {
            Ok(Some(details)) => {
                report.notice = small_model_notice(&options.model, &details);
                None
            }
            Ok(None) => Some(LlmError::ModelNotFound { model: options.model.clone() }.to_string()),
            Err(e) if e.is_fatal() => Some(e.to_string()),
            Err(e) => {
                tracing::debug!(error = %e, "model check failed; trying the requests anyway");
                None
            }
        },
    }
}

/// Says that answers will be unreliable when the model is below [`SMALL_MODEL_BILLIONS`]; nothing when its size
/// is not given.
fn small_model_notice(model: &str, details: &ModelDetails) -> Option<String> {
    let billions = details.billions().filter(|b| *b < SMALL_MODEL_BILLIONS)?;
    let size = details.parameter_size.as_deref().unwrap_or_default();
    Some(format!(
        "{model} has {size} parameters ({billions:.2}B): its explanations will be unreliable, read them as a test of \
         the plumbing only; use a model of 1.5B or more for real answers (docs/prompts.md)"
    ))
}

/// The outcome of each problem, as far as known, and what stops the requests not started yet.
struct Requests {
    outcomes: Vec<Option<ProblemOutcome>>,
    fatal: Option<String>,
    timeouts: usize,
}

impl Requests {
    /// Records the result of problem `i`'s request: the answer (cached for next time) or the failure, which stops
    /// the rest when it is fatal or when the model has timed out too often.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        i: usize,
        result: Result<ChatOutcome, ChatFailure>,
        retries: u32,
        prepared: &Prepared,
        streamed: &str,
        names: &ClusterNames,
        options: &ExplainOptions,
    ) {
        let Prepared::Request { key, anonymizer, told, trimmed, .. } = prepared else {
            unreachable!("only requests run")
        };
        let outcome = match result {
            Ok(answer) => {
                let mut warnings: Vec<String> = trimmed.iter().cloned().chain(answer.warnings.clone()).collect();
                if let (Some(cache), Some(key)) = (&options.cache, key) {
                    let stored = CachedAnswer {
                        format: CACHE_FORMAT,
                        model: options.model.clone(),
                        content: answer.content.clone(),
                        warnings: answer.warnings.clone(),
                        stats: answer.stats.clone(),
                        created: now_secs(),
                    };
                    if let Err(e) = cache.put(key, &stored) {
                        warnings
                            .push(format!("could not write the explanation cache in {}: {e}", cache.dir().display()));
                    }
                }
                let grounding = Grounding::new(names, told, options.anonymize);
                let explanation =
                    options.structured.then(|| checked_answer(&answer.content, anonymizer, &grounding, retries));
                ProblemOutcome {
                    status: OutcomeStatus::Explained,
                    cached: false,
                    text: explanation.as_ref().map_or_else(|| streamed.to_string(), Explanation::to_text),
                    explanation,
                    error: None,
                    warnings,
                    stats: Some(answer.stats),
                    schema_retries: retries,
                }
            }
            Err(failure) => {
                if matches!(failure.error, LlmError::FirstTokenTimeout(_) | LlmError::IdleTimeout(_)) {
                    self.timeouts += 1;
                }
                if self.fatal.is_none() {
                    if failure.error.is_fatal() {
                        self.fatal = Some(failure.error.to_string());
                    } else if self.timeouts >= MAX_TIMEOUTS {
                        self.fatal = Some(format!(
                            "not tried: the model timed out on {} problems (last: {})",
                            self.timeouts, failure.error
                        ));
                    }
                }
                // A partial answer is unchecked text: unsafe commands are taken out of it all the same.
                let partial = if options.structured {
                    scrub(streamed, "answer", &mut Vec::new()).0
                } else {
                    streamed.to_string()
                };
                ProblemOutcome {
                    stats: Some(failure.stats),
                    schema_retries: retries,
                    ..ProblemOutcome::failed(one_line(&failure.error.to_string()), partial)
                }
            }
        };
        self.outcomes[i] = Some(outcome);
    }
}

/// What has been streamed per problem, and which problem the sink is showing: answers appear in problem order,
/// whatever order they arrive in.
struct Show {
    texts: Vec<String>,
    shown: Vec<bool>,
    head: usize,
    head_started: bool,
    /// Text goes to the sink as it comes (prose only).
    stream: bool,
}

impl Show {
    /// Shows every problem whose turn has come and whose outcome is known; true when all have been shown.
    fn ready(&mut self, problems: &[Problem], outcomes: &[Option<ProblemOutcome>], sink: &mut dyn ExplainSink) -> bool {
        while self.head < problems.len() {
            let head = self.head;
            if !self.head_started {
                sink.problem_start(head, &problems[head]);
                self.head_started = true;
                if self.stream && !self.texts[head].is_empty() {
                    sink.token(head, &self.texts[head]);
                }
                self.shown[head] = true;
            }
            let Some(outcome) = &outcomes[head] else { break };
            if self.stream && outcome.cached && !outcome.text.is_empty() {
                sink.token(head, &outcome.text);
            }
            sink.problem_end(head, outcome);
            self.head += 1;
            self.head_started = false;
        }
        self.head >= problems.len()
    }

    /// Records streamed text for problem `i`, and shows it now if the problem is the one being shown.
    fn deliver(&mut self, sink: &mut dyn ExplainSink, (i, text): (usize, String)) {
        if self.stream && self.shown[i] {
            sink.token(i, &text);
        }
        self.texts[i].push_str(&text);
    }
}

pub(crate) fn one_line(s: &str) -> String {
    sanitize_for_terminal(s).split_whitespace().collect::<Vec<_>>().join(" ")
}
