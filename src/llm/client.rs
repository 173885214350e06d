//! A small Ollama client on reqwest: version, model presence, and a streaming `/api/chat` that never loses
//! data (ollama-rs 0.3.6 does; see docs/prompts.md).
//!
//! The stream is NDJSON. Bytes are buffered and split on `\n`; UTF-8 is decoded only on whole lines, so a
//! chunk boundary inside a multi-byte character is harmless. An `{"error": ...}` line becomes an error that
//! keeps the text streamed so far; a stream that ends without `done` is an error too.
//!
//! Timeouts: `connect` (TCP connect), `first_token` (from sending the request to the first streamed token,
//! model load included; time spent queued behind another request of this client while that one streams does
//! not count), `idle` (the longest gap between two chunks after that). Connection failures and 5xx
//! answers are retried with backoff, only before the first token: once text has been streamed, a retry would
//! repeat it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use url::Url;

use super::endpoint::{LlmEndpoint, display_url};
use super::stream::{AnswerSoFar, Lines, WireChat};

/// Name resolution for an Ollama on this host: `localhost`, with or without the root's trailing dot, is
/// 127.0.0.1 and ::1, and any other name is refused. The system resolver would ask DNS for `localhost.`, and a
/// hostile DNS server could then send prompts off the host.
#[derive(Debug)]
pub struct LoopbackOnly;

#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a loopback name; it is not looked up")]
pub struct NotLoopback(String);

impl LoopbackOnly {
    pub fn addresses(name: &str) -> Result<Vec<std::net::SocketAddr>, NotLoopback> {
        if name.strip_suffix('.').unwrap_or(name).eq_ignore_ascii_case("localhost") {
            // Port 0: the connector puts the URL's port in.
            Ok(vec![(std::net::Ipv4Addr::LOCALHOST, 0).into(), (std::net::Ipv6Addr::LOCALHOST, 0).into()])
        } else {
            Err(NotLoopback(name.to_string()))
        }
    }
}

impl reqwest::dns::Resolve for LoopbackOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let result = Self::addresses(name.as_str())
            .map(|addrs| Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
        Box::pin(std::future::ready(result))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_token: Duration,
    pub idle: Duration,
}

/// What `/api/show` tells of a model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelDetails {
    /// As Ollama writes it: `135M`, `1.5B`, `7B`.
    pub parameter_size: Option<String>,
}

impl ModelDetails {
    /// Billions of parameters, when the size is given.
    pub fn billions(&self) -> Option<f64> {
        let size = self.parameter_size.as_deref()?.trim();
        let (number, unit) = size.split_at(size.find(|c: char| c.is_ascii_alphabetic())?);
        let scale = match unit.to_ascii_uppercase().as_str() {
            "K" => 1e-6,
            "M" => 1e-3,
            "B" => 1.0,
            "T" => 1e3,
            _ => return None,
        };
        number.trim().parse::<f64>().ok().map(|n| n * scale)
    }
}

/// Below this many billions of parameters, a model's explanations are not worth trusting: said once per run.
pub const SMALL_MODEL_BILLIONS: f64 = 1.0;

/// Seconds to the first token unless `--llm-timeout` says otherwise: generous enough for a CPU-only host loading
/// a 1.5B model. The flag's default is this constant, so there is one default.
pub const DEFAULT_FIRST_TOKEN_SECS: u64 = 120;

impl Default for Timeouts {
    /// 5 s to connect, [`DEFAULT_FIRST_TOKEN_SECS`] to the first token, 60 s between chunks.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            first_token: Duration::from_secs(DEFAULT_FIRST_TOKEN_SECS),
            idle: Duration::from_secs(60),
        }
    }
}

/// Retries before the first token: `attempts` in all, waiting `base_delay`, then twice as long each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub base_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { attempts: 3, base_delay: Duration::from_millis(500) }
    }
}

/// Model options sent with every chat request. All of them are part of the cache key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatOptions {
    /// Context window in tokens, always sent: Ollama's default (2048 or 4096 depending on version) silently
    /// truncates long prompts.
    pub num_ctx: u32,
    pub temperature: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Upper bound on answer tokens, so a rambling small model cannot run for minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_predict: Option<i32>,
}

/// Answer tokens at most, unless `--llm-max-tokens` says otherwise: the schema bounds a structured answer to
/// about 2,700 characters of text (src/llm/answer.rs), 700–900 tokens with its JSON, so a 1.5B model's answer
/// finishes with room to spare. The flag's default is this constant.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

/// The context window sent with every request. A prompt is trimmed to fit it with room for the answer
/// (docs/prompts.md); 4096 is what every supported model offers at least.
pub const DEFAULT_NUM_CTX: u32 = 4096;

impl Default for ChatOptions {
    fn default() -> Self {
        ChatOptions {
            num_ctx: DEFAULT_NUM_CTX,
            temperature: 0.2,
            seed: Some(42),
            num_predict: Some(DEFAULT_MAX_TOKENS as i32),
        }
    }
}

/// One chat call: a system and a user message.
#[derive(Clone, Debug)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub system: &'a str,
    pub user: &'a str,
    pub options: &'a ChatOptions,
    /// A JSON schema for structured output, sent as `format`.
    pub format: Option<&'a serde_json::Value>,
}

/// Counters Ollama reports with `done`, and what the client measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatStats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_eval_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_duration_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<String>,
    /// From sending the request to the first token, as seen by the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    #[serde(default)]
    pub wall_ms: u64,
}

impl ChatStats {
    /// Generation speed as Ollama measured it.
    pub fn tokens_per_second(&self) -> Option<f64> {
        match (self.eval_count, self.eval_duration_ns) {
            (Some(n), Some(d)) if d > 0 => Some(n as f64 / (d as f64 / 1e9)),
            _ => None,
        }
    }
}

/// A finished answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatOutcome {
    pub content: String,
    pub stats: ChatStats,
    /// One line each: a truncated prompt, an answer cut at `num_predict`.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LlmError {
    #[error("invalid LLM URL '{url}': {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error(
        "refusing to send cluster data to {host}: the LLM URL must be on this host (127.0.0.1, ::1 or localhost); pass --allow-remote-llm to allow it (names are then anonymized)"
    )]
    RemoteNotAllowed { host: String },
    #[error("cannot reach Ollama at {url}: {reason} (is `ollama serve` running?)")]
    Unreachable { url: String, reason: String },
    #[error("model '{model}' is not available in Ollama: run `ollama pull {model}`")]
    ModelNotFound { model: String },
    #[error("Ollama answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("Ollama reported an error: {0}")]
    Server(String),
    #[error("no answer from the model within {}s (first token); the model may be too large for this host", .0.as_secs())]
    FirstTokenTimeout(Duration),
    #[error("the model stopped sending for {}s", .0.as_secs())]
    IdleTimeout(Duration),
    #[error("the answer stream ended before it was complete")]
    Incomplete,
    #[error("the answer stream broke: {0}")]
    Stream(String),
    #[error("unexpected answer from Ollama: {0}")]
    Protocol(String),
}

impl LlmError {
    /// Whether every later request would fail the same way (Ollama down, model missing), so there is no
    /// point in trying the other problems.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            LlmError::Unreachable { .. }
                | LlmError::ModelNotFound { .. }
                | LlmError::InvalidUrl { .. }
                | LlmError::RemoteNotAllowed { .. }
        )
    }
}

/// A failed chat: the error, and the text streamed before it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatFailure {
    pub error: LlmError,
    pub partial: String,
    pub stats: ChatStats,
}

#[derive(Clone, Debug)]
pub struct OllamaClient {
    http: reqwest::Client,
    base: Url,
    timeouts: Timeouts,
    retry: Retry,
    /// When any stream of this client (and its clones) last received bytes. Ollama queues requests it cannot
    /// run in parallel; a queued request waits silently while another one streams, and that wait must not
    /// count against its first-token timeout.
    activity: Arc<Mutex<Option<tokio::time::Instant>>>,
}

impl OllamaClient {
    /// A client for the Ollama server at `base_url` (e.g. `http://127.0.0.1:11434`) on this host. Check the URL
    /// with [`super::check_llm_url`] first. Proxies from the environment are ignored and redirects are not
    /// followed, so requests go exactly where the URL says; names are never looked up in DNS ([`LoopbackOnly`]).
    #[cfg(test)]
    pub fn new(base_url: &str, timeouts: Timeouts) -> Result<OllamaClient, LlmError> {
        Self::build(base_url, timeouts, true)
    }

    /// The client for a checked endpoint: DNS is used only for a remote one (`--allow-remote-llm`).
    pub fn for_endpoint(endpoint: &LlmEndpoint, timeouts: Timeouts) -> Result<OllamaClient, LlmError> {
        Self::build(endpoint.url.as_str(), timeouts, endpoint.loopback)
    }

    fn build(base_url: &str, timeouts: Timeouts, loopback: bool) -> Result<OllamaClient, LlmError> {
        let invalid = |reason: String| LlmError::InvalidUrl { url: display_url(base_url), reason };
        let base = Url::parse(base_url).map_err(|e| invalid(e.to_string()))?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mekhanikube/", env!("CARGO_PKG_VERSION")));
        if loopback {
            builder = builder.dns_resolver(Arc::new(LoopbackOnly));
        }
        let http = builder.build().map_err(|e| invalid(error_chain(&e)))?;
        Ok(OllamaClient { http, base, timeouts, retry: Retry::default(), activity: Arc::default() })
    }

    #[cfg(test)]
    pub fn with_retry(mut self, retry: Retry) -> OllamaClient {
        self.retry = retry;
        self
    }

    fn touch(&self) {
        if let Ok(mut last) = self.activity.lock() {
            *last = Some(tokio::time::Instant::now());
        }
    }

    /// The first-token deadline of a request sent at `sent`: `first_token` after the later of the send and the
    /// last bytes any other stream received, so "the server has been silent for `first_token`".
    fn first_token_deadline(&self, sent: tokio::time::Instant) -> tokio::time::Instant {
        let last = self.activity.lock().ok().and_then(|l| *l).unwrap_or(sent);
        sent.max(last) + self.timeouts.first_token
    }

    /// Awaits `fut` until the first-token deadline, which moves while other streams make progress.
    async fn before_first_token<F: Future>(&self, sent: tokio::time::Instant, fut: F) -> Result<F::Output, LlmError> {
        let mut fut = std::pin::pin!(fut);
        loop {
            let deadline = self.first_token_deadline(sent);
            match tokio::time::timeout_at(deadline, &mut fut).await {
                Ok(out) => return Ok(out),
                Err(_) if self.first_token_deadline(sent) > deadline => continue,
                Err(_) => return Err(LlmError::FirstTokenTimeout(self.timeouts.first_token)),
            }
        }
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url
    }

    fn unreachable(&self, e: &reqwest::Error) -> LlmError {
        let url = display_url(self.base.as_str().trim_end_matches('/'));
        LlmError::Unreachable { url, reason: error_chain(e) }
    }

    /// A small JSON document the server serves at `path` (`GET`), decoded.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, LlmError> {
        let resp = self
            .http
            .get(self.endpoint(path))
            .timeout(self.timeouts.connect + Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| LlmError::Stream(error_chain(&e)))?;
        if !status.is_success() {
            return Err(http_error(status.as_u16(), &body, None));
        }
        serde_json::from_str(&body).map_err(|e| LlmError::Protocol(format!("{path}: {e}")))
    }

    /// The server version (`GET /api/version`).
    pub async fn version(&self) -> Result<String, LlmError> {
        #[derive(Deserialize)]
        struct V {
            version: String,
        }
        self.get_json::<V>("/api/version").await.map(|v| v.version)
    }

    /// Whether the model is available locally (`POST /api/show`), without loading it.
    #[cfg(test)]
    pub async fn has_model(&self, model: &str) -> Result<bool, LlmError> {
        self.show_model(model).await.map(|details| details.is_some())
    }

    /// What the server says of a model (`/api/show`); None when it does not have it.
    pub async fn show_model(&self, model: &str) -> Result<Option<ModelDetails>, LlmError> {
        let resp = self
            .http
            .post(self.endpoint("/api/show"))
            .timeout(self.timeouts.connect + Duration::from_secs(20))
            .json(&serde_json::json!({ "model": model }))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        let body = resp.text().await.map_err(|e| LlmError::Stream(error_chain(&e)))?;
        if !(200..300).contains(&status) {
            return Err(http_error(status, &body, None));
        }
        // Only what we use; a server that says less is still a server that has the model.
        let show: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let parameter_size = show.pointer("/details/parameter_size").and_then(|v| v.as_str()).map(str::to_string);
        Ok(Some(ModelDetails { parameter_size }))
    }

    /// The size in bytes of a local model (`GET /api/tags`); None when the server does not have it. A name
    /// without a tag means `:latest`, as in `ollama pull`.
    pub async fn model_bytes(&self, model: &str) -> Result<Option<u64>, LlmError> {
        #[derive(Deserialize)]
        struct Tags {
            #[serde(default)]
            models: Vec<Tag>,
        }
        #[derive(Deserialize)]
        struct Tag {
            name: String,
            #[serde(default)]
            size: u64,
        }
        let tags: Tags = self.get_json("/api/tags").await?;
        let wanted = if model.contains(':') { model.to_string() } else { format!("{model}:latest") };
        Ok(tags.models.into_iter().find(|t| t.name == wanted).map(|t| t.size))
    }

    /// Streams one chat answer, calling `on_token` with each piece of text as it arrives.
    pub async fn chat(
        &self,
        request: &ChatRequest<'_>,
        on_token: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatOutcome, ChatFailure> {
        let start = Instant::now();
        let sent = tokio::time::Instant::now();
        let early = |error: LlmError| ChatFailure { error, partial: String::new(), stats: ChatStats::default() };
        let body = serde_json::to_vec(&WireChat::new(request)).map_err(|e| early(LlmError::Protocol(e.to_string())))?;
        let response = self.send_chat(&body, request.model, sent).await.map_err(early)?;

        let mut stream = response.bytes_stream();
        let mut lines = Lines::default();
        let mut answer = AnswerSoFar::new(start);
        let result = loop {
            let next = if answer.started() {
                tokio::time::timeout(self.timeouts.idle, stream.next())
                    .await
                    .map_err(|_| LlmError::IdleTimeout(self.timeouts.idle))
            } else {
                self.before_first_token(sent, stream.next()).await
            };
            let eof = match next {
                Err(e) => break Err(e),
                Ok(Some(Err(e))) => break Err(LlmError::Stream(error_chain(&e))),
                Ok(Some(Ok(bytes))) => {
                    self.touch();
                    lines.extend(&bytes);
                    false
                }
                Ok(None) => true,
            };
            match answer.read_lines(&mut lines, eof, on_token) {
                Err(e) => break Err(e),
                Ok(true) => break Ok(()),
                Ok(false) if eof => break Err(LlmError::Incomplete),
                Ok(false) => {}
            }
        };
        let (content, stats) = answer.finish();
        match result {
            Ok(()) => {
                let warnings = warnings_for(&stats, request);
                Ok(ChatOutcome { content, stats, warnings })
            }
            Err(error) => Err(ChatFailure { error, partial: content, stats }),
        }
    }

    /// Sends the chat request and returns the response once its head is in, retrying connection failures and
    /// 5xx answers with backoff while the first-token deadline allows.
    async fn send_chat(
        &self,
        body: &[u8],
        model: &str,
        sent: tokio::time::Instant,
    ) -> Result<reqwest::Response, LlmError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let send = self
                .http
                .post(self.endpoint("/api/chat"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec())
                .send();
            let retryable = match self.before_first_token(sent, send).await? {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let text = match self.before_first_token(sent, resp.text()).await {
                        Ok(Ok(t)) => t,
                        _ => String::new(),
                    };
                    let err = http_error(status, &text, Some(model));
                    if status < 500 {
                        return Err(err);
                    }
                    err
                }
                Err(e) if e.is_connect() || e.is_request() => self.unreachable(&e),
                Err(e) => return Err(self.unreachable(&e)),
            };
            if attempt >= self.retry.attempts.max(1) {
                return Err(retryable);
            }
            let delay = self.retry.base_delay * 2u32.saturating_pow(attempt - 1);
            if tokio::time::Instant::now() + delay >= self.first_token_deadline(sent) {
                return Err(retryable);
            }
            tracing::debug!(attempt, ?delay, error = %retryable, "retrying Ollama chat request");
            tokio::time::sleep(delay).await;
        }
    }
}

/// A rough token count for a prompt (about 4 bytes per token for English and YAML), to spot truncation.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

fn warnings_for(stats: &ChatStats, request: &ChatRequest<'_>) -> Vec<String> {
    let mut warnings = Vec::new();
    let num_ctx = u64::from(request.options.num_ctx);
    let estimate = estimate_tokens(request.system) + estimate_tokens(request.user);
    match stats.prompt_eval_count {
        Some(n) if n >= num_ctx => warnings.push(format!(
            "the prompt filled the whole context window ({n} tokens, num_ctx {num_ctx}): it was probably truncated; raise num_ctx"
        )),
        // Ollama reports only the tokens it had to evaluate; a reused prompt prefix can lower the count, but
        // never below the user message, so "far below the estimate" means the prompt was cut.
        Some(n) if estimate >= num_ctx && n * 3 < estimate => warnings.push(format!(
            "the prompt may have been truncated: about {estimate} tokens were sent but the model read {n} (num_ctx {num_ctx})"
        )),
        _ => {}
    }
    if stats.done_reason.as_deref() == Some("length") {
        warnings.push(format!(
            "the answer was cut at {} tokens (num_predict)",
            request.options.num_predict.map_or("the maximum".to_string(), |n| n.to_string())
        ));
    }
    warnings
}

/// Classifies a non-success answer: a 404 that says the model is not found becomes [`LlmError::ModelNotFound`].
fn http_error(status: u16, body: &str, model: Option<&str>) -> LlmError {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.trim().chars().take(200).collect());
    if status == 404
        && let Some(model) = model
        && (message.contains("not found") || message.contains("pull"))
    {
        return LlmError::ModelNotFound { model: model.to_string() };
    }
    LlmError::Http { status, message: crate::sanitize::sanitize_for_terminal(&message).replace('\n', " ") }
}

/// An error and its sources on one line ("error sending request: client error (Connect): Connection refused").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
