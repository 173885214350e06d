//! Explanations from a local model: findings grouped into problems, prompts rendered from templates, a
//! streaming Ollama client, an explanation cache, anonymization, and the orchestration that ties them.
//!
//! Typical use:
//! ```ignore
//! let endpoint = llm::check_llm_url(&url, allow_remote)?;
//! let client = llm::OllamaClient::for_endpoint(&endpoint, llm::Timeouts::default())?;
//! let problems = llm::group_findings(&findings);
//! let options = llm::ExplainOptions { anonymize: anonymize || endpoint.force_anonymize, ..Default::default() };
//! let report = llm::explain(&client, &snapshot, &problems, &options, ctrl_c, &mut sink).await;
//! ```
//! See docs/prompts.md.

mod anonymize;
mod answer;
mod cache;
mod client;
mod commands;
mod context;
mod data;
mod endpoint;
mod explain;
mod grounding;
mod problem;
mod prompt;
mod request;
mod spec;
mod stream;

#[cfg(test)]
mod tests;

pub use cache::Cache;
pub use client::{
    ChatOptions, DEFAULT_FIRST_TOKEN_SECS, DEFAULT_MAX_TOKENS, OllamaClient, SMALL_MODEL_BILLIONS, Timeouts,
};
pub use endpoint::{check_llm_url, display_url, has_credentials};
pub use explain::{
    DEFAULT_MODEL, ExplainOptions, ExplainReport, ExplainSink, NullSink, OutcomeStatus, ProblemOutcome, explain,
};
pub use problem::Problem;
pub use prompt::PromptSet;
