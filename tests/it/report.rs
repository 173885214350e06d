//! `mekhanikube report`: diffs across runs in all three formats and exit codes here; crash safety and concurrent
//! runs in `safety`; the HTML in a real headless Chromium in `browser`; the Docker, compose and Kubernetes files
//! in `deploy`; the CronJob's service account against the real test bed in `live`.

mod browser;
mod deploy;
#[cfg(feature = "live")]
mod live;
mod safety;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{json, mekhanikube, run};

// Snapshots made in the test: one problem fixed and one introduced between two states of the same shop.

fn container_status(state: Value, restarts: u32, last: Option<Value>) -> Value {
    let mut s = json!({"name": "app", "image": "registry.example/shop/app:1", "imageID": "", "ready": false,
                       "restartCount": restarts, "state": state});
    if let Some(last) = last {
        s["lastState"] = last;
    }
    s
}

fn healthy() -> Value {
    let mut c = container_status(json!({"running": {"startedAt": "2026-11-20T10:00:00Z"}}), 0, None);
    c["ready"] = json!(true);
    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [c]})
}

fn crash_loop(restarts: u32) -> Value {
    let c = container_status(
        json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=app"}}),
        restarts,
        Some(json!({"terminated": {"exitCode": 1, "reason": "Error"}})),
    );
    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [c]})
}

/// The waiting message carries markup: the HTML report must show it as text, never as an element.
fn image_pull() -> Value {
    let c = container_status(
        json!({"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image <img src=x onerror=alert(1)>"}}),
        0,
        None,
    );
    json!({"phase": "Pending", "containerStatuses": [c]})
}

/// Ready but restarted: a low finding whose message carries the restart count.
fn restarted(restarts: u32) -> Value {
    let mut c = container_status(
        json!({"running": {"startedAt": "2026-11-20T10:00:00Z"}}),
        restarts,
        Some(json!({"terminated": {"exitCode": 2, "reason": "Error"}})),
    );
    c["ready"] = json!(true);
    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [c]})
}

fn pod(name: &str, uid: &str, status: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "shop", "uid": uid, "labels": {"app": name}},
           "spec": {"containers": [{"name": "app", "image": "registry.example/shop/app:1"}]},
           "status": status})
}

/// Before: `api` crash-loops, `web` is fine, `flaky` has restarted 3 times.
fn before() -> Vec<Value> {
    vec![
        pod("api", "u-api-1", crash_loop(7)),
        pod("web", "u-web-1", healthy()),
        pod("flaky", "u-flaky-1", restarted(3)),
    ]
}

/// After: `api` fixed, `web` cannot pull its image, `flaky` recreated (new uid) with another restart count (new
/// message): still the same finding.
fn after() -> Vec<Value> {
    vec![pod("api", "u-api-1", healthy()), pod("web", "u-web-1", image_pull()), pod("flaky", "u-flaky-2", restarted(5))]
}

fn write_snapshot(path: &Path, items: Vec<Value>) {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(path, serde_json::to_string_pretty(&list).unwrap()).unwrap();
}

// Helpers

struct Bed {
    dir: tempfile::TempDir,
}

impl Bed {
    fn new() -> Bed {
        Bed { dir: tempfile::tempdir().unwrap() }
    }
    fn snapshot(&self) -> PathBuf {
        self.dir.path().join("snapshot.json")
    }
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
    fn history(&self) -> PathBuf {
        self.dir.path().join("history.sqlite")
    }
    fn report(&self) -> assert_cmd::Command {
        let mut cmd = mekhanikube();
        cmd.arg("report")
            .arg("--snapshot")
            .arg(self.snapshot())
            .arg("--out")
            .arg(self.out())
            .arg("--history")
            .arg(self.history());
        cmd
    }
    fn latest(&self, ext: &str) -> String {
        std::fs::read_to_string(self.out().join(format!("latest.{ext}"))).unwrap()
    }
    fn latest_json(&self) -> Value {
        json(&self.latest("json"))
    }
    /// Timestamped report stems, oldest first.
    fn stems(&self) -> Vec<String> {
        let mut stems: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(self.out())
            .map(|d| d.filter_map(|e| e.ok()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let stem = name.strip_prefix("report-")?.strip_suffix(".json")?.to_string();
                Some((e.metadata().unwrap().modified().unwrap(), format!("report-{stem}")))
            })
            .collect();
        stems.sort();
        stems.into_iter().map(|(_, s)| s).collect()
    }
    fn runs(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.history()).unwrap();
        let mut stmt = conn.prepare("SELECT report FROM runs ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    }
    fn integrity(&self) -> String {
        let conn = rusqlite::Connection::open(self.history()).unwrap();
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
    }
}

/// `(code, kind/name)` of each finding in a JSON list.
fn keys(findings: &Value) -> Vec<(String, String)> {
    findings
        .as_array()
        .expect("array")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                format!("{}/{}", f["object"]["kind"].as_str().unwrap(), f["object"]["name"].as_str().unwrap()),
            )
        })
        .collect()
}

fn key(code: &str, object: &str) -> (String, String) {
    (code.to_string(), object.to_string())
}

/// The Markdown section under a `## ` heading that starts with `heading`, up to the next `## ` heading.
fn md_section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(&format!("## {heading}")).unwrap_or_else(|| panic!("no section {heading}:\n{md}"));
    let rest = &md[start + 3..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// One section of the HTML, with the line-break hints inside names (`Pod/<wbr>web`) taken out.
fn html_section(html: &str, id: &str) -> String {
    let start = html.find(&format!(r#"<section id="{id}">"#)).unwrap_or_else(|| panic!("no section {id}"));
    let rest = &html[start..];
    rest[..rest.find("</section>").unwrap()].replace("<wbr>", "")
}

// The diff, in every format

/// The issue's "done when": one problem fixed and one introduced between two runs show exactly one resolved and
/// one new finding in Markdown, HTML and JSON.
#[test]
fn second_run_shows_one_new_and_one_resolved_finding_in_every_format() {
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), before());
    let first = run(&mut bed.report());
    assert_eq!(first.code, 0, "{}", first.stderr);
    let first_doc = bed.latest_json();
    assert!(first_doc["diff"]["previous"].is_null());
    let first_stem = first_doc["report"].as_str().unwrap().to_string();
    let first_md = bed.latest("md");

    write_snapshot(&bed.snapshot(), after());
    let second = run(bed.report().args(["--fail-on-new", "high"]));
    assert_eq!(second.code, 1, "a new high finding fails the run: {}", second.stderr);
    assert!(second.stderr.contains("1 new, 1 resolved, 1 persisting"), "{}", second.stderr);

    // JSON
    let doc = bed.latest_json();
    assert_eq!(doc["kind"], "Report");
    assert_eq!(doc["diff"]["previous"]["report"], first_stem.as_str());
    assert_eq!(keys(&doc["diff"]["new"]), [key("pod-image-pull-failed", "Pod/web")]);
    assert_eq!(keys(&doc["diff"]["resolved"]), [key("pod-crash-loop", "Pod/api")]);
    assert_eq!(keys(&doc["diff"]["persisting"]), [key("pod-container-restarted", "Pod/flaky")]);
    assert_eq!(doc["diff"]["persisting"][0]["object"]["uid"], "u-flaky-2", "persisting findings are shown as now");
    assert_eq!(doc["diff"]["healthScoreChange"], 0, "one high fixed, one high introduced");
    assert_eq!(doc["trend"].as_array().unwrap().len(), 2);
    assert_eq!(doc["analysis"]["apiVersion"], "mekhanikube.io/v1alpha1", "the analysis document is embedded whole");

    // Markdown
    let md = bed.latest("md");
    let new = md_section(&md, "New findings (1)");
    assert!(new.contains("`pod-image-pull-failed`") && new.contains("Pod/web"), "{new}");
    assert!(!new.contains("Pod/api") && !new.contains("Pod/flaky"), "{new}");
    let resolved = md_section(&md, "Resolved findings (1)");
    assert!(resolved.contains("`pod-crash-loop`") && resolved.contains("Pod/api"), "{resolved}");
    assert!(!resolved.contains("Pod/web"), "{resolved}");
    assert!(md_section(&md, "All findings (2)").contains("| **new** | `pod-image-pull-failed`"));
    assert!(md.contains(&format!("`{first_stem}`")), "the comparison names the previous report");

    // HTML
    let html = bed.latest("html");
    let new = html_section(&html, "new");
    assert!(
        new.contains(r#"<span class="count">1</span>"#) && new.contains("Pod/web") && !new.contains("Pod/api"),
        "{new}"
    );
    assert_eq!(new.matches("<tr>").count(), 2, "header and one row: {new}");
    let resolved = html_section(&html, "resolved");
    assert!(resolved.contains(r#"<span class="count">1</span>"#) && resolved.contains("Pod/api"), "{resolved}");
    assert_eq!(resolved.matches("<tr>").count(), 2, "{resolved}");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img"), "cluster text is escaped");
    assert_eq!(html_section(&html, "trend").matches(r#"<g class="run">"#).count(), 2);

    // The first run's files are untouched, and latest.* are copies of the second run's.
    assert_eq!(std::fs::read_to_string(bed.out().join(format!("{first_stem}.md"))).unwrap(), first_md);
    let second_stem = doc["report"].as_str().unwrap();
    for ext in ["md", "html", "json"] {
        assert_eq!(std::fs::read_to_string(bed.out().join(format!("{second_stem}.{ext}"))).unwrap(), bed.latest(ext));
    }

    // Nothing changed: nothing new, nothing resolved, and --fail-on-new passes.
    let third = run(bed.report().args(["--fail-on-new", "info"]));
    assert_eq!(third.code, 0, "{}", third.stderr);
    let doc = bed.latest_json();
    assert_eq!(
        (doc["diff"]["new"].as_array().unwrap().len(), doc["diff"]["resolved"].as_array().unwrap().len()),
        (0, 0)
    );
    assert_eq!(doc["diff"]["persisting"].as_array().unwrap().len(), 2);
    assert_eq!(bed.runs().len(), 3);
}

#[test]
fn fail_on_new_respects_the_threshold_and_errors_exit_2() {
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), before());
    // First run: every finding is new; the crash loop is high, nothing is critical.
    let first = run(bed.report().args(["--fail-on-new", "critical"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    // The new image-pull failure is high: below a critical threshold, at a high one.
    write_snapshot(&bed.snapshot(), after());
    let below = run(bed.report().args(["--fail-on-new", "critical"]));
    assert_eq!(below.code, 0, "{}", below.stderr);
    // Recorded now, so no longer new.
    let again = run(bed.report().args(["--fail-on-new", "info"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    // A new low finding trips a low threshold but not a medium one; the threshold is inclusive.
    let mut more = after();
    more.push(pod("cache", "u-cache-1", restarted(2)));
    write_snapshot(&bed.snapshot(), more);
    // Against a copy of the history, so that both thresholds see the same previous run.
    let copy = bed.dir.path().join("copy.sqlite");
    std::fs::copy(bed.history(), &copy).unwrap();
    let medium = run(mekhanikube()
        .arg("report")
        .arg("--snapshot")
        .arg(bed.snapshot())
        .arg("--out")
        .arg(bed.out())
        .arg("--history")
        .arg(&copy)
        .args(["--fail-on-new", "medium"]));
    assert_eq!(medium.code, 0, "{}", medium.stderr);
    let low = run(bed.report().args(["--fail-on-new", "low"]));
    assert_eq!(low.code, 1, "the new cache finding is low: {}", low.stderr);

    let missing = run(mekhanikube()
        .args(["report", "--snapshot", "/nonexistent/snap.yaml", "--out"])
        .arg(bed.out())
        .arg("--history")
        .arg(bed.history()));
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    let not_a_dir = bed.dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let bad_out = run(mekhanikube()
        .arg("report")
        .arg("--snapshot")
        .arg(bed.snapshot())
        .arg("--out")
        .arg(&not_a_dir)
        .arg("--history")
        .arg(bed.history()));
    assert_eq!(bad_out.code, 2, "{}", bad_out.stderr);
    assert!(bad_out.stderr.contains("report directory"), "{}", bad_out.stderr);
}

#[test]
fn history_is_kept_per_source_and_scope_or_per_named_key() {
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), before());
    assert_eq!(run(&mut bed.report()).code, 0);
    // Another scope of the same source starts its own history.
    let scoped = run(bed.report().args(["--namespace", "shop"]));
    assert_eq!(scoped.code, 0, "{}", scoped.stderr);
    assert!(bed.latest_json()["diff"]["previous"].is_null(), "a namespace scope has its own history");
    let filtered = run(bed.report().args(["--filter", "pod"]));
    assert_eq!(filtered.code, 0);
    assert!(bed.latest_json()["diff"]["previous"].is_null(), "an analyzer filter has its own history");
    let again = run(&mut bed.report());
    assert_eq!(again.code, 0);
    assert!(!bed.latest_json()["diff"]["previous"].is_null(), "the unscoped history continues");

    // Snapshots saved under new names each time compare through a named key.
    let other = bed.dir.path().join("snapshot-2.json");
    write_snapshot(&other, after());
    let named = |path: &Path| {
        run(mekhanikube()
            .arg("report")
            .arg("--snapshot")
            .arg(path)
            .arg("--out")
            .arg(bed.out())
            .arg("--history")
            .arg(bed.history())
            .args(["--history-key", "nightly"]))
    };
    assert_eq!(named(&bed.snapshot()).code, 0);
    assert_eq!(named(&other).code, 0);
    let doc = bed.latest_json();
    assert_eq!(doc["history"]["label"], "nightly");
    assert_eq!(keys(&doc["diff"]["new"]), [key("pod-image-pull-failed", "Pod/web")]);

    // Without --history the XDG state directory holds it.
    let state = tempfile::tempdir().unwrap();
    let out = run(mekhanikube()
        .env("XDG_STATE_HOME", state.path())
        .arg("report")
        .arg("--snapshot")
        .arg(bed.snapshot())
        .arg("--out")
        .arg(bed.out()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(state.path().join("mekhanikube/history.sqlite").is_file());
}

#[test]
fn keep_reports_deletes_old_sets_but_not_latest_or_history() {
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), before());
    for _ in 0..3 {
        let out = run(bed.report().args(["--keep-reports", "2"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let stems = bed.stems();
    assert_eq!(stems.len(), 2, "{stems:?}");
    let runs = bed.runs();
    assert_eq!(runs.len(), 3, "the history keeps every run");
    assert_eq!(stems, runs[1..], "the newest sets are kept");
    assert_eq!(bed.latest_json()["report"], runs[2].as_str());
    for ext in ["md", "html"] {
        assert!(!bed.out().join(format!("{}.{ext}", runs[0])).exists());
    }
}

/// Says on the test's stderr why a check was left out (shown with --nocapture or when the test fails).
#[allow(clippy::print_stderr)]
fn note(text: &str) {
    eprintln!("note: {text}");
}

// Problems

/// The items of a links fixture (analyzers/tests/fixtures/links).
fn link_fixture_items(name: &str) -> Vec<Value> {
    let path = crate::common::fixture(&format!("links/{name}.yaml"));
    let list: Value = serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    list["items"].as_array().unwrap().clone()
}

/// Reports list the problems first. Between two runs, a problem is new when its root finding is: the unrelated
/// crash loop and the down node of the second run are new problems, while the api Service that stopped serving
/// because of the persisting api crash loop is a new finding but not a new problem.
#[test]
fn problems_come_first_and_are_new_when_their_root_is() {
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), link_fixture_items("owner"));
    assert_eq!(run(&mut bed.report()).code, 0);

    let mut items = link_fixture_items("owner");
    items.extend(link_fixture_items("scheduling-traps"));
    items.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
                      "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}}));
    write_snapshot(&bed.snapshot(), items);
    let second = run(&mut bed.report());
    assert_eq!(second.code, 0, "{}", second.stderr);

    let doc = bed.latest_json();
    let new: Vec<String> = serde_json::from_value(doc["diff"]["newProblems"].clone()).unwrap();
    let problems: Vec<mekhanikube_analyzers::Problem> =
        serde_json::from_value(doc["analysis"]["problems"].clone()).unwrap();
    assert_eq!(problems.len(), 4);
    let summaries: Vec<&str> = problems.iter().filter(|p| new.contains(&p.root)).map(|p| p.summary.as_str()).collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(
        summaries.iter().any(|s| s.starts_with("Node node-b"))
            && summaries.iter().any(|s| s.starts_with("Pod shop/api-0"))
    );
    assert!(keys(&doc["diff"]["new"]).contains(&key("service-no-ready-endpoints", "Service/api")));

    let md = bed.latest("md");
    let section = md_section(&md, "Problems (4)");
    assert!(md.find("## Problems (4)").unwrap() < md.find("## New findings").unwrap(), "problems come first");
    assert_eq!(section.matches("| **new** |").count(), 2, "{section}");
    assert!(section.contains("Deployment shop/api 0/2 available, Service shop/api no ready endpoints"), "{section}");
    let html = bed.latest("html");
    let section = html_section(&html, "problems");
    assert_eq!(section.matches("<b>new</b>").count(), 2, "{section}");
    assert!(html.find(r#"<section id="problems">"#).unwrap() < html.find(r#"<section id="new">"#).unwrap());
}
