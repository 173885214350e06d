//! The answer format and its checks: the JSON schema sent as Ollama's `format`, the validation that decides on
//! a retry, and the assembly of the [`Answer`] every view shows: names restored, commands classified (unsafe
//! ones removed, with a note), names looked up in the snapshot. A model is untrusted: this runs on every
//! answer, cached ones included.

use serde_json::Value;

use super::anonymize::Anonymizer;
use super::commands::{Verdict, classify, dangerous_prose};
use super::grounding::{Grounding, code_spans};
use crate::document::{Answer, AnswerStep, CommandClass, RemovedCommand};
use crate::sanitize::sanitize_for_terminal;

/// Most steps an answer may have; with the string lengths below, an answer fits well inside the default token
/// cap (docs/prompts.md), so a small model's answer finishes instead of being cut.
pub const MAX_STEPS: usize = 5;

/// The JSON schema sent as Ollama's `format`.
pub fn explanation_schema() -> Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "cause": {"type": "string", "minLength": 1, "maxLength": 400},
            "impact": {"type": "string", "minLength": 1, "maxLength": 300},
            "steps": {
                "type": "array",
                "maxItems": MAX_STEPS,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "minLength": 1, "maxLength": 200},
                        "command": {"type": "string", "maxLength": 200},
                        "changes_cluster": {"type": "boolean"}
                    },
                    "required": ["text", "command", "changes_cluster"]
                }
            }
        },
        "required": ["cause", "impact", "steps"]
    })
}

/// An answer that follows the schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Valid {
    pub cause: String,
    pub impact: String,
    pub steps: Vec<ValidStep>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValidStep {
    pub text: String,
    pub command: Option<String>,
    pub changes_cluster: bool,
}

/// Checks an answer against the schema, field by field, with a message the model can act on when it does not
/// follow it. A Markdown fence or words around the JSON object are tolerated.
pub fn validate(content: &str) -> Result<Valid, String> {
    let trimmed = content.trim();
    let candidate = match (trimmed.find('{'), trimmed.rfind('}')) {
        (Some(a), Some(b)) if a < b => &trimmed[a..=b],
        _ => trimmed,
    };
    let value: Value =
        serde_json::from_str(candidate).map_err(|e| format!("the answer is not one JSON object ({e})"))?;
    let Value::Object(map) = value else { return Err("the answer is not a JSON object".into()) };
    let mut errors = Vec::new();
    let text_field = |name: &str, errors: &mut Vec<String>| match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) => {
            errors.push(format!("`{name}` is empty"));
            String::new()
        }
        Some(_) => {
            errors.push(format!("`{name}` must be a string"));
            String::new()
        }
        None => {
            errors.push(format!("`{name}` is missing"));
            String::new()
        }
    };
    let cause = text_field("cause", &mut errors);
    let impact = text_field("impact", &mut errors);
    let mut steps = Vec::new();
    match map.get("steps") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match step(item) {
                    Ok(s) => steps.push(s),
                    Err(e) => errors.push(format!("steps[{i}] {e}")),
                }
            }
        }
        Some(_) => errors.push("`steps` must be a list of objects".into()),
        None => errors.push("`steps` is missing".into()),
    }
    if errors.is_empty() { Ok(Valid { cause, impact, steps }) } else { Err(errors.join("; ")) }
}

fn step(item: &Value) -> Result<ValidStep, String> {
    let Value::Object(map) = item else {
        return Err("must be an object with `text`, `command` and `changes_cluster`".into());
    };
    let text = match map.get("text") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err("has no `text`".into()),
    };
    let command = match map.get("command") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().trim_matches('`').trim().to_string()).filter(|s| !s.is_empty()),
        Some(_) => return Err("`command` must be a string".into()),
    };
    let changes_cluster = match map.get("changes_cluster") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`changes_cluster` must be true or false".into()),
    };
    Ok(ValidStep { text, command, changes_cluster })
}

/// What to say to the model when its answer did not follow the schema.
pub fn retry_prompt(user: &str, error: &str) -> String {
    format!(
        "{user}\n\nYour previous answer could not be used: {error}. Reply again with only one JSON object with \
         \"cause\", \"impact\" and \"steps\" (each step: \"text\", \"command\", \"changes_cluster\")."
    )
}

/// Builds the answer shown from what the model wrote (with anonymization tokens): checked, names restored.
/// `schema_error` is the validation error of the last attempt, if any; `retries` how often it was asked again.
pub fn checked_answer(content: &str, anonymizer: &Anonymizer, grounding: &Grounding<'_>, retries: u32) -> Answer {
    let clean = |s: &str| anonymizer.restore(&sanitize_for_terminal(s)).trim().to_string();
    let mut answer = Answer { schema_retries: retries, ..Answer::default() };
    match validate(content) {
        Ok(valid) => {
            answer.parsed = true;
            answer.cause = scrub(&clean(&valid.cause), "cause", &mut answer.removed).0;
            answer.impact = scrub(&clean(&valid.impact), "impact", &mut answer.removed).0;
            grounding.check_text(&answer.cause, "cause", &mut answer.not_in_cluster);
            grounding.check_text(&answer.impact, "impact", &mut answer.not_in_cluster);
            for (i, s) in valid.steps.iter().enumerate() {
                let location = format!("step {}", i + 1);
                if let Some(step) = checked_step(s, i + 1, &clean, &location, grounding, &mut answer) {
                    answer.steps.push(step_line(&step));
                    answer.step_details.push(step);
                }
            }
        }
        Err(error) => {
            answer.schema_error = Some(error);
            let raw = scrub(&clean(&readable_free_text(content)), "answer", &mut answer.removed).0;
            grounding.check_text(&raw, "answer", &mut answer.not_in_cluster);
            answer.raw = Some(raw);
        }
    }
    answer
}

/// A free-text answer as people read it. A model cut at the token cap leaves a JSON object without its end
/// (`{"cause": "The image tag…`): its strings are shown as labelled lines (`Cause: …`, `- step`, `command: `…``)
/// instead of as broken JSON, with `…` where the text was cut. Anything that is not such an object is kept.
pub fn readable_free_text(content: &str) -> String {
    let body = content.trim().trim_start_matches("```json").trim_start_matches("```").trim_start();
    if !body.starts_with('{') {
        return content.to_string();
    }
    let mut lines = Vec::new();
    let mut key: Option<String> = None;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let (text, closed) = json_string(&mut chars);
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if closed && chars.peek() == Some(&':') {
            key = Some(text);
            continue;
        }
        let cut = if closed { "" } else { "…" };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        lines.push(match key.as_deref() {
            Some("cause") => format!("Cause: {text}{cut}"),
            Some("impact") => format!("Impact: {text}{cut}"),
            Some("text") => format!("- {text}{cut}"),
            Some("command") => format!("  command: `{}`{cut}", text.replace('`', "'")),
            Some(other) => format!("{other}: {text}{cut}"),
            None => format!("{text}{cut}"),
        });
    }
    if lines.is_empty() { content.to_string() } else { lines.join("\n") }
}

/// The rest of a JSON string after its opening quote, unescaped; false when the text ends before its closing
/// quote.
fn json_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> (String, bool) {
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return (out, true),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push(' '),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    (out, false)
}

/// One step, or None when its command (or a command in its text) is unsafe: the whole step goes, since its
/// text describes that action.
fn checked_step(
    s: &ValidStep,
    number: usize,
    clean: &dyn Fn(&str) -> String,
    location: &str,
    grounding: &Grounding<'_>,
    answer: &mut Answer,
) -> Option<AnswerStep> {
    let command = s.command.as_deref().map(clean);
    let mut class = None;
    if let Some(command) = &command {
        match classify(command) {
            Verdict::Remove(reason) => {
                answer.removed.push(RemovedCommand { command: command.clone(), reason, location: location.into() });
                return None;
            }
            Verdict::Show(c) => class = Some(c),
        }
    }
    let before = answer.removed.len();
    let (text, classes) = scrub(&clean(&s.text), location, &mut answer.removed);
    if answer.removed.len() > before {
        return None;
    }
    grounding.check_text(&text, location, &mut answer.not_in_cluster);
    if let Some(command) = &command {
        grounding.check_command(command, location, &mut answer.not_in_cluster);
    }
    let writes = class == Some(CommandClass::Write) || classes.contains(&CommandClass::Write);
    Some(AnswerStep { number, text, command, command_class: class, changes_cluster: writes || s.changes_cluster })
}

fn step_line(step: &AnswerStep) -> String {
    match &step.command {
        Some(c) => format!("{}: `{c}`", step.text),
        None => step.text.clone(),
    }
}

/// Takes unsafe commands out of free text: code spans and fenced lines that are commands, and command-like
/// prose (`sudo …`, `curl … | sh`, `docker rm …`). Returns the text and the classes of the commands kept.
pub fn scrub(text: &str, location: &str, removed: &mut Vec<RemovedCommand>) -> (String, Vec<CommandClass>) {
    let mut classes = Vec::new();
    let mut out_lines = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            out_lines.push(line.to_string());
            continue;
        }
        if in_fence {
            let command = trimmed.trim();
            if command.is_empty() || command.starts_with('#') {
                out_lines.push(line.to_string());
                continue;
            }
            match classify(command) {
                Verdict::Remove(reason) => {
                    out_lines.push(format!("[command removed: {reason}]"));
                    removed.push(RemovedCommand { command: command.into(), reason, location: location.into() });
                }
                Verdict::Show(c) => {
                    classes.push(c);
                    out_lines.push(line.to_string());
                }
            }
            continue;
        }
        let mut line = line.to_string();
        for span in code_spans(&line.clone()) {
            if !looks_like_command(span) {
                continue;
            }
            match classify(span) {
                Verdict::Remove(reason) => {
                    line = line.replacen(&format!("`{span}`"), &format!("[command removed: {reason}]"), 1);
                    removed.push(RemovedCommand { command: span.into(), reason, location: location.into() });
                }
                Verdict::Show(c) => classes.push(c),
            }
        }
        if let Some((pos, reason)) = dangerous_prose(&line) {
            let command = line[pos..].trim().to_string();
            line = format!("{}[command removed: {reason}]", &line[..pos]);
            removed.push(RemovedCommand { command, reason, location: location.into() });
        }
        out_lines.push(line);
    }
    (out_lines.join("\n"), classes)
}

/// A code span that is a command rather than a name or a value.
fn looks_like_command(span: &str) -> bool {
    let first = span.split_whitespace().next().unwrap_or_default();
    let program = first.rsplit('/').next().unwrap_or(first);
    span.contains(char::is_whitespace)
        && matches!(
            program,
            "kubectl"
                | "oc"
                | "sudo"
                | "su"
                | "curl"
                | "wget"
                | "rm"
                | "docker"
                | "crictl"
                | "ctr"
                | "podman"
                | "nerdctl"
                | "sh"
                | "bash"
                | "systemctl"
                | "helm"
                | "$"
        )
}
