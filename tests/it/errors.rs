//! Bad input: one line on stderr that says what to fix, exit code 2, quickly.

use std::time::{Duration, Instant};

use crate::common::{fixture, mekhanikube, run};

fn assert_one_line_error(out: &crate::common::Output, needle: &str) {
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {}", out.stderr);
    assert!(lines[0].contains(needle), "expected '{needle}' in: {}", lines[0]);
    assert!(out.stdout.is_empty(), "stdout must stay clean: {}", out.stdout);
}

#[test]
fn unknown_analyzer_in_filter() {
    let out =
        run(mekhanikube().args(["analyze", "--filter", "pod,podz", "--snapshot"]).arg(fixture("pod/broken.yaml")));
    assert_one_line_error(&out, "unknown analyzer 'podz'");
}

#[test]
fn unknown_output_format() {
    let out = run(mekhanikube().args(["analyze", "-o", "xml", "--snapshot"]).arg(fixture("pod/broken.yaml")));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("invalid value 'xml'"), "{}", out.stderr);
}

#[test]
fn snapshot_that_is_not_a_list_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scalar.yaml");
    std::fs::write(&path, "just a string\n").unwrap();
    let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path));
    assert_one_line_error(&out, "scalar.yaml");
    assert!(out.stderr.contains("expected a `kind: List`"), "{}", out.stderr);
}

#[test]
fn snapshot_item_without_kind_names_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.yaml");
    std::fs::write(&path, "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: ok}\n- metadata: {name: mystery}\n").unwrap();
    let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path));
    assert_one_line_error(&out, "item 1 (mystery) has no apiVersion/kind");
}

#[test]
fn snapshot_with_an_invalid_object_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.yaml");
    std::fs::write(&path, "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: web}\n  spec: {containers: 12}\n").unwrap();
    let out = run(mekhanikube().args(["analyze", "--snapshot"]).arg(&path));
    assert_one_line_error(&out, "item 0 (Pod web) is not a valid Pod");
}

#[test]
fn missing_snapshot_path() {
    let out = run(mekhanikube().args(["analyze", "--snapshot", "/nonexistent/snap.yaml"]));
    assert_one_line_error(&out, "snapshot /nonexistent/snap.yaml does not exist");
}

#[test]
fn missing_kubeconfig_file() {
    let out = run(mekhanikube().args(["analyze", "--kubeconfig", "/nonexistent/kubeconfig"]));
    assert_one_line_error(&out, "cannot read kubeconfig /nonexistent/kubeconfig");
}

#[test]
fn malformed_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, "clusters: [unclosed\n").unwrap();
    let out = run(mekhanikube().args(["analyze", "--kubeconfig"]).arg(&path));
    assert_one_line_error(&out, "cannot read kubeconfig");
}

fn kubeconfig_for(server: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("config");
    std::fs::write(&path, crate::fake_cluster::kubeconfig_text(server, false)).unwrap();
    path
}

#[test]
fn unknown_context() {
    let dir = tempfile::tempdir().unwrap();
    let path = kubeconfig_for("https://127.0.0.1:1", dir.path());
    let out = run(mekhanikube().args(["analyze", "--context", "nope", "--kubeconfig"]).arg(&path));
    assert_one_line_error(&out, "nope");
}

#[test]
fn unreachable_server_fails_within_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: connection refused at once.
    let path = kubeconfig_for("https://127.0.0.1:1", dir.path());
    let start = Instant::now();
    let out = run(mekhanikube().args(["analyze", "--connect-timeout", "2", "--kubeconfig"]).arg(&path));
    assert_one_line_error(&out, "cannot reach the API server at https://127.0.0.1:1");
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}

#[test]
fn silent_server_times_out() {
    // Accepts connections but never answers: the request timeout must fire.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            held.push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = kubeconfig_for(&format!("https://127.0.0.1:{port}"), dir.path());
    let start = Instant::now();
    let out = run(mekhanikube()
        .args(["analyze", "--connect-timeout", "1", "--request-timeout", "2", "--kubeconfig"])
        .arg(&path));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("did not answer within") || out.stderr.contains("cannot reach"), "{}", out.stderr);
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
}

#[test]
fn zero_timeout_is_rejected() {
    let out = run(mekhanikube().args(["analyze", "--connect-timeout", "0"]));
    assert_one_line_error(&out, "--connect-timeout must be at least 1 second");
}

#[test]
fn bad_selector_and_resource() {
    let out = run(mekhanikube().args(["analyze", "-l", "app in web", "--snapshot"]).arg(fixture("pod/broken.yaml")));
    assert_one_line_error(&out, "invalid label selector");
    let out = run(mekhanikube()
        .args(["analyze", "--resource", "frobnicator/x", "--snapshot"])
        .arg(fixture("pod/broken.yaml")));
    assert_one_line_error(&out, "unknown kind 'frobnicator'");
}

/// A server whose certificate the kubeconfig does not trust: the error says it is a certificate problem.
#[test]
fn untrusted_certificate_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept", &format!("127.0.0.1:{port}"), "-cert"])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let path = kubeconfig_for(&format!("https://127.0.0.1:{port}"), dir.path());
    let out = run(mekhanikube().args(["analyze", "--connect-timeout", "2", "--kubeconfig"]).arg(&path));
    server.kill().ok();
    server.wait().ok();
    assert_one_line_error(&out, "presented a TLS certificate that was not accepted");
    assert!(!out.stderr.contains("is the cluster running"), "{}", out.stderr);
}

/// A typo in the scope must not turn a CI gate green: a namespace or resource that is not there, and a snapshot
/// with nothing in it, are errors, not "no findings".
#[test]
fn a_scope_or_snapshot_that_matches_nothing_is_an_error() {
    let demo = crate::common::repo_path("examples/demo-cluster.yaml");
    let out = run(mekhanikube().args(["analyze", "-n", "NoSuchNamespace", "--snapshot"]).arg(&demo));
    assert_one_line_error(&out, "namespace 'NoSuchNamespace' does not exist here");
    let out = run(mekhanikube().args(["analyze", "--resource", "pod/nope", "--snapshot"]).arg(&demo));
    assert_one_line_error(&out, "Pod/nope does not exist: check --resource");
    let out = run(mekhanikube().args(["analyze", "-n", "shop", "--resource", "deploy/nope", "--snapshot"]).arg(&demo));
    assert_one_line_error(&out, "Deployment/nope does not exist in namespace shop");
    let out = run(mekhanikube().args(["analyze", "--snapshot", "/dev/null"]));
    assert_one_line_error(&out, "snapshot /dev/null holds no Kubernetes objects");
    // A file with objects, none of them in the namespace asked for: the namespace is what is wrong.
    let out = run(mekhanikube().args(["analyze", "-n", "elsewhere", "--snapshot"]).arg(fixture("pod/broken.yaml")));
    assert_one_line_error(&out, "namespace 'elsewhere' does not exist here");
    // What does exist is still fine.
    let out = run(mekhanikube().args(["analyze", "-n", "shop", "--resource", "deploy/api", "--snapshot"]).arg(&demo));
    assert_eq!(out.code, 1, "{}", out.stderr);
}
