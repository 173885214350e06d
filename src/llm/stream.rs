//! The `/api/chat` wire format and the reading of its NDJSON stream: bytes are buffered and split on `\n`, UTF-8
//! is decoded only on whole lines (a chunk boundary inside a multi-byte character is harmless), and each line
//! adds to the answer so far.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::client::{ChatOptions, ChatRequest, ChatStats, LlmError};

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
pub struct WireChat<'a> {
    model: &'a str,
    messages: [WireMessage<'a>; 2],
    stream: bool,
    options: &'a ChatOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'a serde_json::Value>,
}

impl<'a> WireChat<'a> {
    pub fn new(request: &ChatRequest<'a>) -> WireChat<'a> {
        WireChat {
            model: request.model,
            messages: [
                WireMessage { role: "system", content: request.system },
                WireMessage { role: "user", content: request.user },
            ],
            stream: true,
            options: request.options,
            format: request.format,
        }
    }
}

#[derive(Deserialize, Default)]
struct WireChunk {
    #[serde(default)]
    message: Option<WireChunkMessage>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
    #[serde(default)]
    eval_count: Option<u64>,
    #[serde(default)]
    eval_duration: Option<u64>,
    #[serde(default)]
    prompt_eval_duration: Option<u64>,
    #[serde(default)]
    load_duration: Option<u64>,
    #[serde(default)]
    total_duration: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireChunkMessage {
    #[serde(default)]
    content: String,
    #[serde(default)]
    thinking: Option<String>,
}

/// Bytes received and not yet split into lines.
#[derive(Default)]
pub struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole line; at the end of the stream, whatever is left is the last line.
    fn next_line(&mut self, eof: bool) -> Option<Vec<u8>> {
        match self.buf.iter().position(|b| *b == b'\n') {
            Some(pos) => Some(self.buf.drain(..=pos).collect()),
            None if eof && !self.buf.is_empty() => Some(std::mem::take(&mut self.buf)),
            None => None,
        }
    }
}

/// The text streamed so far and the counters, until the `done` line.
pub struct AnswerSoFar {
    start: Instant,
    content: String,
    stats: ChatStats,
    started: bool,
}

impl AnswerSoFar {
    pub fn new(start: Instant) -> AnswerSoFar {
        AnswerSoFar { start, content: String::new(), stats: ChatStats::default(), started: false }
    }

    /// Whether the model has sent its first token (text or thinking): from then on the idle timeout applies.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Reads every whole line buffered; `Ok(true)` once the `done` line has come.
    pub fn read_lines(
        &mut self,
        lines: &mut Lines,
        eof: bool,
        on_token: &mut (dyn FnMut(&str) + Send),
    ) -> Result<bool, LlmError> {
        while let Some(line) = lines.next_line(eof) {
            let line = std::str::from_utf8(&line)
                .map_err(|e| LlmError::Protocol(format!("invalid UTF-8 in stream: {e}")))?
                .trim();
            if !line.is_empty() && self.read_line(line, on_token)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn read_line(&mut self, line: &str, on_token: &mut (dyn FnMut(&str) + Send)) -> Result<bool, LlmError> {
        let chunk: WireChunk = serde_json::from_str(line).map_err(|e| {
            let shown: String = line.chars().take(120).collect();
            LlmError::Protocol(format!("{e} in line: {shown}"))
        })?;
        if let Some(err) = chunk.error {
            let message = match err {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            return Err(LlmError::Server(message));
        }
        if let Some(m) = &chunk.message
            && (!m.content.is_empty() || m.thinking.as_deref().is_some_and(|t| !t.is_empty()))
        {
            if !self.started {
                self.started = true;
                self.stats.first_token_ms = Some(elapsed_ms(self.start));
            }
            if !m.content.is_empty() {
                self.content.push_str(&m.content);
                on_token(&m.content);
            }
        }
        if chunk.done {
            let s = &mut self.stats;
            s.prompt_eval_count = chunk.prompt_eval_count;
            s.eval_count = chunk.eval_count;
            s.eval_duration_ns = chunk.eval_duration;
            s.prompt_eval_duration_ns = chunk.prompt_eval_duration;
            s.load_duration_ns = chunk.load_duration;
            s.total_duration_ns = chunk.total_duration;
            s.done_reason = chunk.done_reason;
        }
        Ok(chunk.done)
    }

    /// The text and the counters, with the wall time up to now.
    pub fn finish(mut self) -> (String, ChatStats) {
        self.stats.wall_ms = elapsed_ms(self.start);
        (self.content, self.stats)
    }
}

pub fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
