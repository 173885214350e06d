//! The API server's audit log, reduced to the events tests assert on.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::TestEnv;

/// One audit log entry, reduced to what tests assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub audit_id: String,
    /// `ResponseComplete`, or `ResponseStarted` for the start of a watch, or `Panic`.
    pub stage: String,
    pub user: String,
    pub verb: String,
    pub request_uri: String,
    pub user_agent: Option<String>,
    pub api_group: Option<String>,
    pub resource: Option<String>,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// HTTP status code of the response.
    pub code: Option<u16>,
    /// Kind of the response body; logged for secrets only (e.g. `PartialObjectMetadataList` when the CLI lists them
    /// metadata-only, `SecretList` if it ever fetched the data).
    pub response_kind: Option<String>,
    pub response_api_version: Option<String>,
}

impl TestEnv {
    /// Parses DIR/audit.log: every event of `user`, in log order. Unparsable lines (such as one being written right
    /// now) are skipped.
    pub fn audit_events(&self, user: &str) -> Result<Vec<AuditEvent>> {
        let text = match std::fs::read_to_string(&self.audit_log) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.audit_log.display())),
        };
        Ok(parse_audit_log(&text).into_iter().filter(|e| e.user == user).collect())
    }

    /// Polls the audit log until `done` accepts `user`'s events, or fails after `timeout`. Needed because the API
    /// server may write an event just after the client has its response.
    pub async fn wait_for_audit(
        &self,
        user: &str,
        timeout: Duration,
        done: impl Fn(&[AuditEvent]) -> bool,
    ) -> Result<Vec<AuditEvent>> {
        let deadline = Instant::now() + timeout;
        loop {
            let events = self.audit_events(user)?;
            if done(&events) {
                return Ok(events);
            }
            if Instant::now() >= deadline {
                bail!(
                    "audit log {} did not show the expected events of {user} within {timeout:?}; it has:\n{}",
                    self.audit_log.display(),
                    events
                        .iter()
                        .map(|e| format!("  {} {} -> {:?}", e.verb, e.request_uri, e.code))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAudit {
    #[serde(rename = "auditID", default)]
    audit_id: String,
    #[serde(default)]
    stage: String,
    #[serde(rename = "requestURI", default)]
    request_uri: String,
    #[serde(default)]
    verb: String,
    user: Option<RawUser>,
    user_agent: Option<String>,
    object_ref: Option<RawObjectRef>,
    response_status: Option<RawStatus>,
    response_object: Option<RawTypeMeta>,
}

#[derive(Deserialize)]
struct RawUser {
    #[serde(default)]
    username: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawObjectRef {
    api_group: Option<String>,
    resource: Option<String>,
    subresource: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawStatus {
    code: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTypeMeta {
    kind: Option<String>,
    api_version: Option<String>,
}

/// Parses JSON-lines audit events; lines that do not parse are skipped.
pub fn parse_audit_log(text: &str) -> Vec<AuditEvent> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<RawAudit>(line).ok())
        .map(|r| {
            let object_ref = r.object_ref;
            let (api_group, resource, subresource, namespace, name) = match object_ref {
                Some(o) => (o.api_group, o.resource, o.subresource, o.namespace, o.name),
                None => (None, None, None, None, None),
            };
            AuditEvent {
                audit_id: r.audit_id,
                stage: r.stage,
                user: r.user.map(|u| u.username).unwrap_or_default(),
                verb: r.verb,
                request_uri: r.request_uri,
                user_agent: r.user_agent,
                api_group,
                resource,
                subresource,
                namespace,
                name,
                code: r.response_status.and_then(|s| s.code),
                response_kind: r.response_object.as_ref().and_then(|o| o.kind.clone()),
                response_api_version: r.response_object.and_then(|o| o.api_version),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_lines_parse_and_bad_lines_are_skipped() {
        let log = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/secrets?limit=500","verb":"list","user":{"username":"reader","groups":["system:authenticated"]},"userAgent":"mk","objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"responseObject":{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1"}}
{"truncated
{"kind":"Event","auditID":"a2","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets/x","verb":"get","user":{"username":"limited"},"objectRef":{"resource":"secrets","namespace":"default","name":"x"},"responseStatus":{"code":403}}
"#;
        let events = parse_audit_log(log);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].user, "reader");
        assert_eq!(events[0].verb, "list");
        assert_eq!(events[0].code, Some(200));
        assert_eq!(events[0].response_kind.as_deref(), Some("PartialObjectMetadataList"));
        assert_eq!(events[0].response_api_version.as_deref(), Some("meta.k8s.io/v1"));
        assert_eq!(events[1].name.as_deref(), Some("x"));
        assert_eq!(events[1].namespace.as_deref(), Some("default"));
        assert_eq!(events[1].code, Some(403));
        assert_eq!(events[1].response_kind, None);
    }
}
