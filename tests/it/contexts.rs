//! Several clusters in one run (`--context a,b`, `--all-contexts`): read side by side, reported one after the
//! other, each a whole analysis; a cluster that cannot be read is an entry with its error, and only a run where
//! none could be read fails.

use crate::common::{json, mekhanikube, run};

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// A kubeconfig with one context per (name, server), in that order.
fn kubeconfig(dir: &std::path::Path, contexts: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = format!("apiVersion: v1\nkind: Config\ncurrent-context: {}\nclusters:\n", contexts[0].0);
    for (name, server) in contexts {
        text.push_str(&format!("- name: {name}\n  cluster:\n    server: {server}\n"));
    }
    text.push_str("users:\n- name: u\n  user:\n    token: t0ken\ncontexts:\n");
    for (name, _) in contexts {
        text.push_str(&format!("- name: {name}\n  context: {{cluster: {name}, user: u}}\n"));
    }
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// Two API servers that answer, and one address where nothing listens.
fn three_clusters(dir: &std::path::Path) -> (Vec<wiremock::MockServer>, std::path::PathBuf) {
    let servers =
        vec![block_on(crate::fake_cluster::mock_apiserver()), block_on(crate::fake_cluster::mock_apiserver())];
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = kubeconfig(dir, &[("east", &servers[0].uri()), ("west", &servers[1].uri()), ("gone", &dead)]);
    (servers, config)
}

#[test]
fn each_context_is_a_whole_analysis_and_an_unreachable_one_an_error_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (servers, config) = three_clusters(dir.path());
    let out = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(&config).args([
        "--context",
        "west,gone,east",
        "--connect-timeout",
        "2",
        "-o",
        "json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = json(&out.stdout);
    assert_eq!(doc["kind"], "ClusterAnalyses");
    let clusters = doc["clusters"].as_array().unwrap();
    let contexts: Vec<&str> = clusters.iter().map(|c| c["context"].as_str().unwrap()).collect();
    assert_eq!(contexts, ["west", "gone", "east"], "in the order given");
    assert_eq!(clusters[0]["analysis"]["source"]["context"], "west");
    assert_eq!(clusters[2]["analysis"]["source"]["server"].as_str(), Some(servers[0].uri().as_str()));
    assert!(
        clusters[1]["analysis"].is_null() && clusters[1]["error"].as_str().unwrap().contains("cannot reach"),
        "{}",
        clusters[1]
    );
    assert_eq!(out.stderr.lines().filter(|l| l.contains("context gone")).count(), 1, "{}", out.stderr);
    for server in &servers {
        let requests = block_on(server.received_requests()).unwrap();
        assert!(requests.iter().all(|r| r.method.as_str() == "GET") && requests.len() > 10);
    }

    let text = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(&config).args([
        "--all-contexts",
        "--connect-timeout",
        "2",
    ]));
    assert_eq!(text.code, 0, "{}", text.stderr);
    let headings: Vec<&str> = text.stdout.lines().filter(|l| l.contains("mekhanikube analysis of")).collect();
    assert_eq!(headings.len(), 3, "{}", text.stdout);
    assert!(
        headings[0].ends_with("context east") && headings[2].ends_with("context gone"),
        "kubeconfig order: {headings:?}"
    );
    assert!(text.stdout.contains("could not be read"), "{}", text.stdout);
}

#[test]
fn only_a_run_where_no_context_can_be_read_fails() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let config = kubeconfig(dir.path(), &[("a", &dead), ("b", &dead)]);
    let out = run(mekhanikube().arg("analyze").arg("--kubeconfig").arg(&config).args([
        "--all-contexts",
        "--connect-timeout",
        "1",
        "-o",
        "json",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("none of the 2 contexts could be read"), "{}", out.stderr);
}

#[test]
fn formats_and_commands_made_for_one_cluster_refuse_several() {
    let dir = tempfile::tempdir().unwrap();
    let (_servers, config) = three_clusters(dir.path());
    for args in [
        vec!["analyze", "--context", "east,west", "-o", "sarif"],
        vec!["analyze", "--context", "east,west", "--metrics-file", "m.prom"],
        vec!["snapshot", "--context", "east,west", "-o", "-"],
        vec!["doctor", "--context", "east,west"],
    ] {
        let out = run(mekhanikube().args(&args[..1]).arg("--kubeconfig").arg(&config).args(&args[1..]));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn reports_keep_a_history_and_a_directory_per_context() {
    let dir = tempfile::tempdir().unwrap();
    let (_servers, config) = three_clusters(dir.path());
    let reports = dir.path().join("reports");
    let out = run(mekhanikube()
        .arg("report")
        .arg("--kubeconfig")
        .arg(&config)
        .args(["--context", "east,gone,west", "--connect-timeout", "2", "--out"])
        .arg(&reports)
        .arg("--history")
        .arg(dir.path().join("history.sqlite")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let east = json(&std::fs::read_to_string(reports.join("east/latest.json")).unwrap());
    let west = json(&std::fs::read_to_string(reports.join("west/latest.json")).unwrap());
    assert_ne!(east["history"]["key"], west["history"]["key"], "one history per cluster");
    assert!(!reports.join("gone").join("latest.json").exists());
    assert!(out.stderr.contains("context gone"), "{}", out.stderr);
}
