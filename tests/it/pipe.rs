//! A reader of stdout that goes away (`| head`) ends the run quietly with status 0, and stops explanations that
//! nobody will read.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{mekhanikube_process, repo_path};

fn demo() -> String {
    repo_path("examples/demo-cluster.yaml").display().to_string()
}

/// Runs the binary with `args`, its stdout closed from the start: the exit code and stderr.
fn with_stdout_closed(args: &mut std::process::Command) -> (Option<i32>, String) {
    let mut child = args.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn closed_stdout_is_not_an_error() {
    let (code, stderr) =
        with_stdout_closed(mekhanikube_process().args(["analyze", "--snapshot", &demo(), "-o", "json"]));
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "nothing to report: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_stdout_stops_explanations() {
    let model = crate::common::mock_ollama("Because.", Some(Duration::from_millis(1500))).await;
    let uri = model.uri();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_path_buf();
    let (status, stderr) = tokio::task::spawn_blocking(move || {
        let mut child = mekhanikube_process()
            .args(["analyze", "--snapshot", &demo(), "--explain", "--model", "m", "--ollama-url", &uri])
            .env("XDG_CACHE_HOME", &cache_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read the findings, then go away while the first answers are still coming.
        let mut first = [0u8; 256];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
        std::thread::sleep(Duration::from_millis(500));
        drop(child.stdout.take());
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (child.wait().unwrap(), stderr)
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    let chats = model.received_requests().await.unwrap().iter().filter(|r| r.url.path() == "/api/chat").count();
    // The demo has 18 problems; generation stopped after the first ones that were in flight.
    assert!(chats < 18, "{chats} model calls: explanations went on for a closed stdout");
}

/// A kubeconfig for a fake API server, and the runtime that serves it beside the binary under test.
fn fake_cluster(dir: &std::path::Path) -> (tokio::runtime::Runtime, wiremock::MockServer, std::path::PathBuf) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(crate::fake_cluster::mock_apiserver());
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, crate::fake_cluster::kubeconfig_text(&server.uri(), false)).unwrap();
    (rt, server, kubeconfig)
}

/// `snapshot -o -` is written as it is encoded, and is the text `snapshot -o FILE` writes (but for the time read).
#[test]
fn a_snapshot_on_stdout_is_the_file_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (_rt, _server, kubeconfig) = fake_cluster(dir.path());
    let saved = dir.path().join("saved.yaml");
    let to_file = crate::common::run(
        crate::common::mekhanikube().arg("snapshot").arg("--kubeconfig").arg(&kubeconfig).arg("-o").arg(&saved),
    );
    assert_eq!(to_file.code, 0, "{}", to_file.stderr);
    let to_stdout = crate::common::run(
        crate::common::mekhanikube().arg("snapshot").arg("--kubeconfig").arg(&kubeconfig).args(["-o", "-"]),
    );
    assert_eq!(to_stdout.code, 0, "{}", to_stdout.stderr);
    let without_time = |text: &str| -> Vec<String> {
        text.lines().filter(|l| !l.contains("mekhanikube.io/read-at")).map(str::to_string).collect()
    };
    let file = std::fs::read_to_string(&saved).unwrap();
    assert!(file.contains("mekhanikube-snapshot-info") && file.contains("kind: List"), "{file}");
    assert_eq!(without_time(&to_stdout.stdout), without_time(&file));
}

#[test]
fn a_snapshot_whose_reader_has_gone_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_rt, _server, kubeconfig) = fake_cluster(dir.path());
    let (code, stderr) = with_stdout_closed(
        mekhanikube_process().arg("snapshot").arg("--kubeconfig").arg(&kubeconfig).args(["-o", "-"]),
    );
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}
