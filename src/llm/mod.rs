//! Explanations from a local model: findings grouped into problems, prompts rendered from templates, a
//! streaming Ollama client, an explanation cache, anonymization, and the orchestration that ties them.
//!
//! Typical use:
//! ```ignore
//! let endpoint = llm::check_llm_url(&url, allow_remote)?;
//! let client = llm::OllamaClient::new(endpoint.url.as_str(), llm::Timeouts::default())?;
//! let problems = llm::group_findings(&findings);
//! let options = llm::ExplainOptions { anonymize: anonymize || endpoint.force_anonymize, ..Default::default() };
//! let report = llm::explain(&client, &snapshot, &problems, &options, ctrl_c, &mut sink).await;
//! ```
//! See docs/prompts.md.

// Until every part is wired into the commands, not all of the API is used by the binary.
#![allow(dead_code, unused_imports)]

mod anonymize;
mod cache;
mod client;
mod data;
mod endpoint;
mod explain;
mod problem;
mod prompt;
mod sanitize;
mod spec;

#[cfg(test)]
mod tests;

pub use anonymize::{Anonymizer, AnonymizerBuilder};
pub use cache::{Cache, CacheKey, CachedAnswer};
pub use client::{
    ChatFailure, ChatOptions, ChatOutcome, ChatRequest, ChatStats, LlmError, OllamaClient, Retry, Timeouts,
    estimate_tokens,
};
pub use endpoint::{LlmEndpoint, check_llm_url};
pub use explain::{
    DEFAULT_CONCURRENCY, DEFAULT_LANGUAGE, DEFAULT_MODEL, ExplainOptions, ExplainReport, ExplainSink, Explanation,
    MAX_TIMEOUTS, NullSink, OutcomeStatus, ProblemOutcome, explain, explanation_schema, parse_explanation,
};
pub use problem::{Problem, group_findings, normalize_message};
pub use prompt::{
    PROBLEM_TEMPLATE, PreparedProblem, PromptError, PromptSet, PromptTemplate, RenderedPrompt, SYSTEM_TEMPLATE,
    TemplateOrigin, code_summary, prepare,
};
pub use sanitize::sanitize_for_terminal;
