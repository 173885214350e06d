//! Structured evidence attached to findings, and helpers that extract it from typed objects.

use crate::model::ContainerStatus;
use k8s_openapi::api::core::v1::Event;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One fact behind a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Evidence {
    /// A status condition of the object.
    Condition {
        condition: String,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// The state of one container.
    ContainerState {
        container: String,
        #[serde(default)]
        init: bool,
        /// waiting, running or terminated; `lastTerminated` for the previous run.
        state: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        restart_count: i32,
    },
    /// A related event.
    Event(EventSummary),
    /// Any other field worth showing (a spec value, a count).
    Field { name: String, value: String },
    /// The last lines a crashed container printed (`--logs`, live only): fetched once per problem for its
    /// representative pod, redacted like everything else. `note` says why there are no lines (not allowed, the
    /// API server could not reach the node, a saved snapshot).
    Logs {
        container: String,
        /// The previous run's log (the container restarted), not the current one.
        previous: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lines: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// What this finding is a consequence of: the nearest object upstream that carries a finding, or the object
    /// where the chain starts (a missing StorageClass, an exhausted ResourceQuota). Added by the problems stage.
    Cause {
        object: crate::finding::ObjectRef,
        /// How the cause reaches this finding's object: the first link out of the cause.
        link: crate::links::LinkKind,
        /// The fact behind that link, in words.
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventSummary {
    pub event_type: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_time: Option<String>,
}

/// The last time an event was seen, whichever field the emitter filled.
pub(crate) fn event_last_time(event: &Event) -> Option<jiff::Timestamp> {
    event
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref().map(|t| t.0))
        .or_else(|| event.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.first_timestamp.as_ref().map(|t| t.0))
}

impl Evidence {
    pub fn event(event: &Event) -> Evidence {
        let count = event.series.as_ref().and_then(|s| s.count).or(event.count).unwrap_or(1);
        Evidence::Event(EventSummary {
            event_type: event.type_.clone().unwrap_or_else(|| "Normal".into()),
            reason: event.reason.clone().unwrap_or_default(),
            message: crate::finding::one_line(event.message.as_deref().unwrap_or_default()),
            count,
            last_time: event_last_time(event).map(|t| t.to_string()),
        })
    }

    pub fn field(name: impl Into<String>, value: impl Into<String>) -> Evidence {
        Evidence::Field { name: name.into(), value: value.into() }
    }

    pub fn condition(condition: &str, status: &str, reason: Option<&String>, message: Option<&String>) -> Evidence {
        Evidence::Condition {
            condition: condition.to_string(),
            status: status.to_string(),
            reason: reason.cloned(),
            message: message.map(|m| crate::finding::one_line(m)),
        }
    }

    /// Evidence for a container's current state and, when it has one, its last termination.
    pub fn container(status: &ContainerStatus, init: bool) -> Vec<Evidence> {
        let mut out = Vec::new();
        let state_evidence = |state: &crate::model::ContainerState, last: bool| {
            if let Some(w) = &state.waiting {
                Some(("waiting", w.reason.clone(), w.message.clone(), None))
            } else if let Some(t) = &state.terminated {
                Some((
                    if last { "lastTerminated" } else { "terminated" },
                    t.reason.clone(),
                    t.message.clone(),
                    Some(t.exit_code),
                ))
            } else {
                state.running.as_ref().map(|_| ("running", None, None, None))
            }
        };
        let mut push = |state: Option<&crate::model::ContainerState>, last: bool| {
            if let Some((name, reason, message, exit_code)) = state.and_then(|s| state_evidence(s, last)) {
                out.push(Evidence::ContainerState {
                    container: status.name.clone(),
                    init,
                    state: name.to_string(),
                    reason,
                    message: message.map(|m| crate::finding::one_line(&m)),
                    exit_code,
                    restart_count: status.restart_count,
                });
            }
        };
        push(status.state.as_ref(), false);
        if status.last_state.as_ref().is_some_and(|s| s.terminated.is_some()) {
            push(status.last_state.as_deref(), true);
        }
        out
    }
}

/// The newest few warning events, as evidence. Capped so one noisy object cannot flood a report.
pub(crate) fn recent_warnings<'a>(events: impl Iterator<Item = &'a Event>) -> Vec<Evidence> {
    events.take(5).map(Evidence::event).collect()
}
