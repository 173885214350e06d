//! Streams an explanation to the client as MCP progress notifications: each carries the text written since the
//! previous one as its message, and the number of text pieces so far as its (increasing) progress.
//!
//! A structured answer is not streamed as it is written (it is checked first: an unsafe command must never reach
//! the client as advice), so its checked text is sent once complete.
//!
//! The sink is called synchronously from the explanation loop, so it only queues; a task sends the queue,
//! merging what piled up while the previous notification was being written.

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use tokio::sync::mpsc;

use crate::llm::{ExplainSink, Problem, ProblemOutcome};

pub struct ProgressSink {
    queue: Option<mpsc::UnboundedSender<String>>,
    sender: tokio::task::JoinHandle<()>,
    /// Whether the current answer's text came as tokens.
    streamed: bool,
}

impl ProgressSink {
    pub fn start(peer: Peer<RoleServer>, token: ProgressToken) -> ProgressSink {
        let (queue, mut rx) = mpsc::unbounded_channel::<String>();
        let sender = tokio::spawn(async move {
            let mut pieces = 0u64;
            while let Some(mut text) = rx.recv().await {
                pieces += 1;
                while let Ok(more) = rx.try_recv() {
                    pieces += 1;
                    text.push_str(&more);
                }
                let param = ProgressNotificationParam::new(token.clone(), pieces as f64).with_message(text);
                // A client that went away ends the session; the explanation still completes for the cache.
                if peer.notify_progress(param).await.is_err() {
                    break;
                }
            }
        });
        ProgressSink { queue: Some(queue), sender, streamed: false }
    }

    fn send(&self, text: String) {
        if let Some(queue) = &self.queue {
            let _ = queue.send(text);
        }
    }

    /// Waits until every queued notification is sent, so they all precede the tool's result.
    pub async fn finish(mut self) {
        self.queue = None;
        let _ = self.sender.await;
    }
}

impl ExplainSink for ProgressSink {
    fn notice(&mut self, text: &str) {
        self.send(format!("note: {text}\n"));
    }

    fn problem_start(&mut self, _index: usize, problem: &Problem) {
        self.streamed = false;
        let objects: Vec<String> = problem.objects().iter().map(|o| o.display()).collect();
        self.send(format!("{} {}: {}\n", problem.severity.as_str(), problem.code, objects.join(", ")));
    }

    fn token(&mut self, _index: usize, text: &str) {
        self.streamed = true;
        self.send(text.to_string());
    }

    fn problem_end(&mut self, _index: usize, outcome: &ProblemOutcome) {
        if !self.streamed && !outcome.text.is_empty() {
            self.send(format!("{}\n", outcome.text));
        }
        if let Some(error) = &outcome.error {
            self.send(format!("\nexplanation unavailable: {error}\n"));
        }
    }
}
