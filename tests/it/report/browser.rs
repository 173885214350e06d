//! The HTML report in a real headless Chromium (Debian's package, installed by tests/testenv/install-chromium.sh):
//! no console messages (a CSP violation or script error would be one), every finding rendered, a screenshot taken;
//! and the demo's report at 1280 and 1920 px, measured in the browser: every message cell fully visible, no name
//! broken inside one of its parts.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{Bed, after, before, note, write_snapshot};
use crate::common::{mekhanikube, repo_path, run};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Debian's Chromium, installed by the repo's script when missing. None only off CI, when it cannot be installed.
fn chromium() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let out = std::process::Command::new("bash")
                .arg(repo_path("tests/testenv/install-chromium.sh"))
                .output()
                .unwrap();
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if out.status.success() && path.is_file() {
                return Some(path);
            }
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                !ci() && !cfg!(feature = "live"),
                "chromium is required by `make test` and CI and could not be installed: {why}"
            );
            None
        })
        .clone()
}

/// Runs headless Chromium on a file with the flags that keep it off the network; returns (stdout, stderr).
fn headless(browser: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let work = tempfile::tempdir().unwrap();
    let (stdout_path, stderr_path) = (work.path().join("stdout"), work.path().join("stderr"));
    let mut child = std::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--no-first-run"])
        .arg(format!("--user-data-dir={}", work.path().join("profile").display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            assert!(status.success(), "chromium failed ({status}): {stderr}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (std::fs::read_to_string(stdout_path).unwrap(), std::fs::read_to_string(stderr_path).unwrap())
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        note("skipped: chromium is not installed and cannot be (`make test` and CI=true make this fail)");
        return;
    };
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), before());
    assert_eq!(run(&mut bed.report()).code, 0);
    write_snapshot(&bed.snapshot(), after());
    assert_eq!(run(&mut bed.report()).code, 0);
    let page = bed.out().join("latest.html");
    let doc = bed.latest_json();

    let (dom, log) = headless(&browser, &page, &["--enable-logging=stderr", "--v=0", "--dump-dom"]);
    // Names carry line-break hints between their parts (`Pod/<wbr>web`).
    let dom = dom.replace("<wbr>", "");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages (CSP violations or script errors): {console:#?}");
    for list in ["findings"] {
        for f in doc["analysis"][list].as_array().unwrap() {
            let name = format!("{}/{}", f["object"]["kind"].as_str().unwrap(), f["object"]["name"].as_str().unwrap());
            assert!(dom.contains(&name), "{name} missing from the rendered page");
        }
    }
    assert!(dom.contains("Pod/api"), "the resolved finding is shown");
    assert!(dom.contains("onerror=alert(1)") && !dom.contains("<img"), "markup in cluster text stays text");
    assert!(dom.contains("<svg") && dom.contains(r#"class="health""#), "the chart is there");

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-latest.png");
    let _ = std::fs::remove_file(&shot);
    headless(&browser, &page, &[&format!("--screenshot={}", shot.display()), "--window-size=1280,2000"]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (width, height) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((width, height), (1280, 2000));
    assert!(png.len() > 40_000, "the screenshot looks blank ({} bytes): {}", png.len(), shot.display());
}

/// Measures the page it is added to, once laid out, and writes what it found into `<pre id="visibility">`: each
/// message cell must show all of its content (no overflow, inside the viewport, its scrolling table not wider
/// than its box), and each part of a name (the text between two line-break hints) must sit on one line unless
/// it is wider than its cell.
const MEASURE: &str = r#"<script>
(() => {
  const viewport = document.documentElement.clientWidth;
  const hidden = [];
  const cells = document.querySelectorAll('td.message');
  for (const td of cells) {
    const r = td.getBoundingClientRect();
    if (td.scrollWidth > td.clientWidth + 1 || r.left < -0.5 || r.right > viewport + 0.5) {
      hidden.push(`${td.textContent.slice(0, 60)}: right ${r.right} of ${viewport}, scroll ${td.scrollWidth} > ${td.clientWidth}`);
    }
  }
  for (const box of document.querySelectorAll('.scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) hidden.push(`table in #${box.parentElement.id} scrolls: ${box.scrollWidth} > ${box.clientWidth}`);
  }
  const broken = [];
  for (const td of document.querySelectorAll('td.object, td.name')) {
    for (const node of td.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1 && range.getBoundingClientRect().width <= td.clientWidth) broken.push(node.textContent);
    }
  }
  const out = document.createElement('pre');
  out.id = 'visibility';
  out.textContent = JSON.stringify({window: innerWidth, viewport, cells: cells.length, hidden, broken});
  document.body.appendChild(out);
})();
</script>"#;

/// A pod with a 63-character name in a long namespace, pulling an image by a long path and digest: the longest
/// unbroken tokens a report shows.
const LONG_NAMES: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: checkout-service-payments-reconciler-worker-7c9d5f6b8d-4xj2n
    namespace: platform-observability-and-payments-reconciliation
  spec:
    containers:
    - name: reconciler-sidecar-with-a-descriptive-name
      image: registry.internal.example.com/platform/payments/checkout-service-payments-reconciler@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
  status:
    phase: Pending
    containerStatuses:
    - name: reconciler-sidecar-with-a-descriptive-name
      image: registry.internal.example.com/platform/payments/checkout-service-payments-reconciler@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0
      imageID: ''
      ready: false
      restartCount: 0
      state:
        waiting:
          reason: ImagePullBackOff
          message: Back-off pulling image "registry.internal.example.com/platform/payments/checkout-service-payments-reconciler@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
"#;

/// The demo's report at the widths people read it at: every message visible, names broken only between parts.
#[test]
fn demo_report_shows_every_message_at_1280_and_1920_px() {
    let Some(browser) = chromium() else {
        note("skipped: chromium is not installed and cannot be (`make test` and CI=true make this fail)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The demo, and a pod whose names and image are as long as Kubernetes allows.
    let cluster = dir.path().join("cluster");
    std::fs::create_dir(&cluster).unwrap();
    std::fs::copy(repo_path("examples/demo-cluster.yaml"), cluster.join("demo.yaml")).unwrap();
    std::fs::write(cluster.join("long.yaml"), LONG_NAMES).unwrap();
    let out = run(mekhanikube()
        .arg("report")
        .arg("--snapshot")
        .arg(&cluster)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--history")
        .arg(dir.path().join("history.sqlite")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(dir.path().join("out/latest.html")).unwrap();
    let messages = html.matches(r#"class="message""#).count();
    assert!(messages > 30, "the demo has findings and problems: {messages} message cells");
    // A copy whose policy lets the measuring script run; the report itself allows no script.
    let csp = "default-src 'none';";
    assert!(html.contains(csp));
    let measured = html
        .replace(csp, "default-src 'none'; script-src 'unsafe-inline';")
        .replace("</body>", &format!("{MEASURE}</body>"));
    let page = dir.path().join("measured.html");
    std::fs::write(&page, measured).unwrap();

    for width in [1280, 1920] {
        let size = format!("--window-size={width},1000");
        let (dom, _) = headless(&browser, &page, &[&size, "--dump-dom"]);
        let start = dom.find(r#"<pre id="visibility">"#).expect("the measuring script ran") + 21;
        let text = &dom[start..start + dom[start..].find("</pre>").unwrap()];
        let result: serde_json::Value = serde_json::from_str(&text.replace("&quot;", "\"").replace("&amp;", "&"))
            .unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(result["window"], width, "the page was laid out at {width} px: {result}");
        assert_eq!(result["cells"], messages, "{result}");
        assert_eq!(result["hidden"], serde_json::json!([]), "messages not fully visible at {width} px");
        assert_eq!(result["broken"], serde_json::json!([]), "name parts broken mid-word at {width} px");

        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-demo-{width}.png"));
        let _ = std::fs::remove_file(&shot);
        headless(
            &browser,
            &page,
            &[&format!("--screenshot={}", shot.display()), &format!("--window-size={width},2000")],
        );
        let png = std::fs::read(&shot).expect("a screenshot");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let size =
            (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
        assert_eq!(size, (width, 2000));
        assert!(png.len() > 40_000, "the screenshot looks blank ({} bytes): {}", png.len(), shot.display());
    }
}
