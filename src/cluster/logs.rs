//! `--logs`: the last lines a crashed container printed, for each problem's representative pod. One bounded GET
//! of `pods/log` per problem (never per pod), through the same read-only client as the lists; every line is
//! redacted as it arrives. A refusal or a failure is a note in the evidence, never an error of the run.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, LogParams};
use mekhanikube_analyzers::hygiene::redact_log_line;
use mekhanikube_analyzers::{Evidence, Finding, Problem};

/// Lines asked for (`tailLines`): what an SRE reads first for an exit code 1, and short enough for a prompt.
pub const LOG_LINES: i64 = 30;
/// Bytes asked for (`limitBytes`), whatever the lines hold.
pub const LOG_BYTES: i64 = 8 * 1024;
/// A line longer than this is cut (a stack trace on one line, a JSON dump).
const LINE_CHARS: usize = 300;
/// Log requests in flight at once.
const IN_FLIGHT: usize = 4;

/// The container a log is wanted for: the first one of the evidence that restarted after failing (its previous
/// run's log) or that is terminated with a failure (its own log).
pub fn crashed_container(finding: &Finding) -> Option<(String, bool)> {
    if finding.object.kind != "Pod" || finding.object.namespace.is_none() {
        return None;
    }
    finding.evidence.iter().find_map(|e| match e {
        Evidence::ContainerState { container, restart_count, .. } if *restart_count > 0 => {
            Some((container.clone(), true))
        }
        Evidence::ContainerState { container, state, exit_code: Some(code), .. }
            if state == "terminated" && *code != 0 =>
        {
            Some((container.clone(), false))
        }
        _ => None,
    })
}

/// Adds a [`Evidence::Logs`] to the representative finding of each problem whose representative is a pod with a
/// crashed container: one request per problem, at most [`IN_FLIGHT`] at once.
pub async fn attach_logs(client: &Client, findings: &mut [Finding], problems: &[Problem]) {
    let wanted: Vec<(usize, String, String, String, bool)> = problems
        .iter()
        .filter_map(|p| {
            let representative = p.alike(findings).into_iter().next()?;
            let (container, previous) = crashed_container(representative)?;
            let index = findings.iter().position(|f| f.id == representative.id)?;
            let object = &representative.object;
            Some((index, object.namespace.clone()?, object.name.clone(), container, previous))
        })
        .collect();
    let fetched: Vec<(usize, Evidence)> = futures::stream::iter(wanted)
        .map(|(index, namespace, pod, container, previous)| async move {
            (index, container_log(client, &namespace, &pod, &container, previous).await)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    for (index, evidence) in fetched {
        findings[index].evidence.push(evidence);
    }
}

/// One GET of `pods/log` with `previous`, `tailLines` and `limitBytes`; its lines redacted, or a note.
pub async fn container_log(client: &Client, namespace: &str, pod: &str, container: &str, previous: bool) -> Evidence {
    let params = LogParams {
        container: Some(container.to_string()),
        previous,
        tail_lines: Some(LOG_LINES),
        limit_bytes: Some(LOG_BYTES),
        ..LogParams::default()
    };
    let (lines, note) = match Api::<Pod>::namespaced(client.clone(), namespace).logs(pod, &params).await {
        Ok(text) if text.trim().is_empty() => (Vec::new(), Some("the container printed nothing".to_string())),
        Ok(text) => (lines(&text), None),
        Err(e) => (Vec::new(), Some(failure_note(&e))),
    };
    Evidence::Logs { container: container.to_string(), previous, lines, note }
}

/// The last [`LOG_LINES`] lines, each cleaned of control characters, cut and redacted.
fn lines(text: &str) -> Vec<String> {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = all.len().saturating_sub(LOG_LINES as usize);
    all[start..]
        .iter()
        .map(|line| {
            let clean = crate::sanitize::sanitize_for_terminal(line).replace('\t', " ");
            let cut: String = clean.chars().take(LINE_CHARS).collect();
            redact_log_line(cut.trim_end())
        })
        .collect()
}

/// Why there is no log, in one line that says what to do about it.
fn failure_note(error: &kube::Error) -> String {
    let text = match error {
        kube::Error::Api(status) if status.code == 403 => {
            "not allowed to read pods/log: it needs `get` on pods/log (deploy/opt-in/pod-logs)".to_string()
        }
        kube::Error::Api(status) => {
            format!("the API server could not return the log ({}): {}", status.code, one_line(&status.message))
        }
        e => format!("the log could not be read: {}", one_line(&e.to_string())),
    };
    redact_log_line(&crate::sanitize::sanitize_for_terminal(&text))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use http::{Request, Response, StatusCode};
    use kube::client::Body;
    use mekhanikube_analyzers::{ObjectRef, Severity};

    use super::*;
    use crate::cluster::ReadOnlyLayer;

    /// A fake API server at the request level: answers every request with `status` and `body`, and records the
    /// method, path and query of each.
    fn fake_client(seen: Arc<Mutex<Vec<(String, String, String)>>>, status: StatusCode, body: &'static str) -> Client {
        let service = tower::service_fn(move |req: Request<Body>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((
                    req.method().to_string(),
                    req.uri().path().to_string(),
                    req.uri().query().unwrap_or("").to_string(),
                ));
                let mut response = Response::new(Body::from(body.as_bytes().to_vec()));
                *response.status_mut() = status;
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let service = tower::ServiceBuilder::new().layer(ReadOnlyLayer).service(service);
        Client::new(service, "default")
    }

    fn crashing_pod(name: &str, restarts: i32) -> Finding {
        let object = ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some("shop".into()),
            name: name.into(),
            uid: None,
        };
        Finding {
            id: mekhanikube_analyzers::finding_id("pod-crash-loop-back-off", &object),
            analyzer: "pod".into(),
            code: "pod-crash-loop-back-off".into(),
            severity: Severity::High,
            object,
            parent: None,
            message: "container app is crash-looping".into(),
            evidence: vec![Evidence::ContainerState {
                container: "app".into(),
                init: false,
                state: "waiting".into(),
                reason: Some("CrashLoopBackOff".into()),
                message: None,
                exit_code: None,
                restart_count: restarts,
            }],
        }
    }

    /// Two pods crash-looping the same way are one problem: exactly one GET, of the representative's previous
    /// log, bounded in lines and bytes; the token in its log is redacted before it reaches the evidence.
    #[tokio::test]
    async fn one_bounded_previous_log_per_problem_and_tokens_redacted() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = fake_client(
            seen.clone(),
            StatusCode::OK,
            "starting\nusing token=abc123secret for the API\nError: connect ECONNREFUSED 10.0.0.7:5432\n",
        );
        let mut findings = vec![crashing_pod("api-1", 4), crashing_pod("api-2", 3)];
        for f in &mut findings {
            f.parent = Some(ObjectRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: "api".into(),
                uid: None,
            });
        }
        let snapshot = mekhanikube_analyzers::SnapshotBuilder::new().build();
        let problems = mekhanikube_analyzers::problems(&snapshot, &mut findings);
        assert_eq!(problems.len(), 1, "the two pods are one problem: {problems:#?}");
        attach_logs(&client, &mut findings, &problems).await;

        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "one request per problem: {seen:?}");
        let (method, path, query) = &seen[0];
        assert_eq!(method, "GET");
        let representative = problems[0].alike(&findings)[0].object.name.clone();
        assert_eq!(path, &format!("/api/v1/namespaces/shop/pods/{representative}/log"));
        let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
        params.sort();
        assert_eq!(params, ["container=app", "limitBytes=8192", "previous=true", "tailLines=30"]);

        let logs: Vec<&Evidence> =
            findings.iter().flat_map(|f| &f.evidence).filter(|e| matches!(e, Evidence::Logs { .. })).collect();
        assert_eq!(logs.len(), 1, "on the representative only");
        let Evidence::Logs { container, previous, lines, note } = logs[0] else { unreachable!() };
        assert_eq!((container.as_str(), *previous, note), ("app", true, &None));
        assert_eq!(
            lines,
            &["starting", "using token=<redacted> for the API", "Error: connect ECONNREFUSED 10.0.0.7:5432"]
        );
        assert!(!format!("{findings:?}").contains("abc123secret"));
    }

    /// A refusal is a note that says which permission is missing; the run goes on.
    #[tokio::test]
    async fn a_forbidden_log_is_a_note() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let forbidden = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"api-1\" is forbidden: User \"reader\" cannot get resource \"pods/log\"","reason":"Forbidden","code":403}"#;
        let client = fake_client(seen.clone(), StatusCode::FORBIDDEN, forbidden);
        let Evidence::Logs { lines, note, .. } = container_log(&client, "shop", "api-1", "app", true).await else {
            unreachable!()
        };
        assert!(lines.is_empty());
        assert_eq!(
            note.as_deref(),
            Some("not allowed to read pods/log: it needs `get` on pods/log (deploy/opt-in/pod-logs)")
        );
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn only_crashed_containers_of_pods_are_wanted() {
        assert_eq!(crashed_container(&crashing_pod("a", 2)), Some(("app".into(), true)));
        assert_eq!(crashed_container(&crashing_pod("a", 0)), None, "never restarted, not terminated");
        let mut failed = crashing_pod("a", 0);
        failed.evidence = vec![Evidence::ContainerState {
            container: "job".into(),
            init: false,
            state: "terminated".into(),
            reason: Some("Error".into()),
            message: None,
            exit_code: Some(1),
            restart_count: 0,
        }];
        assert_eq!(crashed_container(&failed), Some(("job".into(), false)), "a failed run's own log");
        let mut deployment = crashing_pod("a", 2);
        deployment.object.kind = "Deployment".into();
        assert_eq!(crashed_container(&deployment), None);
    }

    #[test]
    fn long_logs_keep_their_last_lines_cut_and_clean() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let kept = lines(&text);
        assert_eq!(kept.len(), LOG_LINES as usize);
        assert_eq!(kept.last().unwrap(), "line 99");
        let long = format!("\u{1b}[31m{}\n", "x".repeat(1000));
        assert_eq!(lines(&long), ["x".repeat(LINE_CHARS)]);
    }
}
