//! Shared by the binary's unit tests and the integration tests: a kubeconfig for a given server, and an API server
//! that answers the version check and every list, empty.

/// A kubeconfig with one context for `server` (a bearer token, no CA), with `insecure-skip-tls-verify` when asked.
pub fn kubeconfig_text(server: &str, insecure: bool) -> String {
    let skip = if insecure { "\n    insecure-skip-tls-verify: true" } else { "" };
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: {server}{skip}\n\
         users:\n- name: t\n  user:\n    token: t0ken\ncontexts:\n- name: t\n  context: {{cluster: t, user: t}}\n"
    )
}

/// Answers `GET /version` and every other GET with an empty `kind: List`.
pub async fn mock_apiserver() -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let version = serde_json::json!({"major": "1", "minor": "36", "gitVersion": "v1.36.0", "gitCommit": "x",
        "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1", "compiler": "gc",
        "platform": "linux/amd64"});
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(version))
        .mount(&server)
        .await;
    let empty = serde_json::json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": []});
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(empty)).mount(&server).await;
    server
}
