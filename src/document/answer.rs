//! The structured answer of a model, after the checks of src/llm/answer.rs: its commands classified (unsafe ones
//! removed), the names it uses looked up in the snapshot. Grown additively in v1alpha1: `cause`, `impact`,
//! `steps`, `parsed` and `raw` keep their meaning for readers of earlier documents.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A structured answer. When the model did not follow the answer format (even after one retry), `parsed` is
/// false, the fields are empty and `raw` holds its text as free text, checked the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub cause: String,
    pub impact: String,
    /// Each step kept, as one line (`text: `command``); unsafe steps are not here (see `removed`).
    pub steps: Vec<String>,
    pub parsed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// The steps kept, with their command and its class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_details: Vec<AnswerStep>,
    /// Commands taken out of the answer, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RemovedCommand>,
    /// Names the answer uses that are not in the cluster (nor in the data the model was given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in_cluster: Vec<UnknownName>,
    /// How many times the model was asked again because its answer did not follow the schema (0 or 1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub schema_retries: u32,
    /// Why the answer did not follow the schema, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_error: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One fix step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnswerStep {
    /// Its number in the model's answer (1-based): kept when steps before it were removed, so the notes on
    /// removed steps and the list agree.
    #[serde(default)]
    pub number: usize,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The command's class, as mekhanikube parsed it (not as the model said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_class: Option<CommandClass>,
    /// The command changes the cluster: mekhanikube classified it as a write, or the model said so.
    #[serde(default)]
    pub changes_cluster: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum CommandClass {
    /// A kubectl command that only reads (get, describe, logs, events, top, auth can-i...).
    Read,
    /// A kubectl command that changes the cluster (apply, patch, delete, scale, rollout restart...): review first.
    Write,
    /// Not kubectl, and not one of the kinds removed: shown, not vouched for.
    Unchecked,
}

/// A command removed from the answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovedCommand {
    pub command: String,
    /// `pipes a download into a shell`, `uses sudo`, `deletes files`, `touches the container runtime`...
    pub reason: String,
    /// Where it was: `cause`, `impact`, `step 2`, `answer`.
    pub location: String,
}

/// A name the answer uses that the snapshot does not have.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnknownName {
    pub name: String,
    /// The kind the answer gives it (`StorageClass`, `namespace`), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Where it was: `cause`, `impact`, `step 2`, `answer`.
    pub location: String,
    /// `not in this cluster`, or `an anonymization token the model changed`.
    pub reason: String,
}

/// What a step that changes the cluster is labelled with, everywhere.
pub const WRITE_LABEL: &str = "changes the cluster — review first";

impl Answer {
    /// The answer as plain text, as every view shows it: the parts, each step with its command and label, then
    /// what was removed and which names are not in the cluster. A free-text answer is labelled as such. Old
    /// documents (no `stepDetails`) show their `steps` lines.
    pub fn to_text(&self) -> String {
        let mut parts = Vec::new();
        if !self.parsed {
            let why = self.schema_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            parts.push(format!(
                "(free text: the model did not answer in the requested shape{why}; its text, checked:)\n{}",
                self.raw.as_deref().unwrap_or_default()
            ));
        }
        if !self.cause.trim().is_empty() {
            parts.push(format!("Cause: {}", self.cause));
        }
        if !self.impact.trim().is_empty() {
            parts.push(format!("Impact: {}", self.impact));
        }
        if !self.step_details.is_empty() {
            let list: Vec<String> = self.step_details.iter().enumerate().map(|(i, s)| step_text(i, s)).collect();
            parts.push(format!("Steps:\n{}", list.join("\n")));
        } else if !self.steps.is_empty() {
            let list: Vec<String> = self.steps.iter().enumerate().map(|(i, s)| format!("{}. {s}", i + 1)).collect();
            parts.push(format!("Steps:\n{}", list.join("\n")));
        }
        if !self.removed.is_empty() {
            let list: Vec<String> =
                self.removed.iter().map(|r| format!("- {}: a command that {}", r.location, r.reason)).collect();
            // The command itself is in the document (`removed[].command`), not in the text people copy from.
            parts.push(format!("Removed from the answer, not safe to run:\n{}", list.join("\n")));
        }
        if !self.not_in_cluster.is_empty() {
            let list: Vec<String> = self
                .not_in_cluster
                .iter()
                .map(|u| {
                    let kind = u.kind.as_deref().map(|k| format!("{k} ")).unwrap_or_default();
                    format!("- {kind}{} ({}): {}", u.name, u.location, u.reason)
                })
                .collect();
            parts.push(format!(
                "Names the model used that are not in this cluster — do not take them as fact:\n{}",
                list.join("\n")
            ));
        }
        // Blank lines between the parts: separate paragraphs in Markdown, spaced lines in HTML.
        parts.join("\n\n")
    }
}

fn step_text(i: usize, step: &AnswerStep) -> String {
    let number = if step.number > 0 { step.number } else { i + 1 };
    let mut line = format!("{number}. {}", step.text);
    if let Some(command) = &step.command {
        line.push_str(&format!("\n   $ {command}"));
    }
    if step.changes_cluster {
        line.push_str(&format!("\n   ({WRITE_LABEL})"));
    } else if step.command_class == Some(CommandClass::Unchecked) {
        line.push_str("\n   (not a kubectl command: not checked, review first)");
    }
    line
}
