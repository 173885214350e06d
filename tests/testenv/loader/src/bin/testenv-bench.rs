//! `testenv-bench PODS RUNS BIN`: the live benchmark behind `make bench-live`. `testenv-bench --offline PODS RUNS
//! BIN` needs no test bed: it writes the synthetic cluster as a JSON `kind: List` and times `analyze --snapshot`.
//! `testenv-bench --write PODS FILE` only writes that file, for a look at a big cluster's output. Both files are
//! shaped as `snapshot` saves them, with the info item first.
//!
//! The live benchmark: Loads a synthetic cluster of PODS
//! pods into the running test bed, then times `BIN analyze` against one `kubectl get` of the same kinds with
//! `-o json` (the yardstick, measured in the same run, interleaved A B A B), RUNS times each, and prints medians
//! of wall time and peak RSS (GNU time's accounting), the ratio, the API requests of one run (from the audit log),
//! and the snapshot round trip (YAML and JSON written by `snapshot`, read back by `analyze --snapshot`).
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mekhanikube_testenv::{TestEnv, synthetic};

/// One finished run: wall seconds and peak resident memory in KiB, as `/usr/bin/time` reports them.
#[derive(Clone, Copy)]
struct Sample {
    wall: f64,
    rss_kib: u64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// Runs `program args` under GNU time with stdout to `stdout` (a file, or /dev/null); fails on exit codes other
/// than those in `ok`.
fn timed(program: &Path, args: &[&str], stdout: &Path, ok: &[i32]) -> Result<Sample> {
    let report = tempfile_path("time");
    let out = std::fs::File::create(stdout)?;
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "-o"])
        .arg(&report)
        .arg(program)
        .args(args)
        .stdout(out)
        .status()
        .context("running /usr/bin/time (Debian package `time`)")?;
    if !ok.contains(&status.code().unwrap_or(-1)) {
        bail!("{} {} exited {status}", program.display(), args.join(" "));
    }
    let text = std::fs::read_to_string(&report)?;
    let last = text.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let wall = parts.next().and_then(|w| w.parse().ok()).context("time's wall seconds")?;
    let rss_kib = parts.next().and_then(|r| r.parse().ok()).context("time's peak RSS")?;
    Ok(Sample { wall, rss_kib })
}

fn tempfile_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("testenv-bench-{}-{name}", std::process::id()))
}

/// The kinds `analyze` reads, as kubectl names them (Secrets left out: kubectl would fetch their values).
fn kinds(bin: &Path) -> Result<String> {
    let out = Command::new(bin).args(["analyzers", "-o", "json"]).output()?;
    let analyzers: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut kinds: Vec<String> = analyzers
        .as_array()
        .context("analyzers list")?
        .iter()
        .flat_map(|a| a["kinds"].as_array().cloned().unwrap_or_default())
        .filter_map(|k| k.as_str().map(str::to_string))
        .chain(["Event".to_string()])
        .filter(|k| k != "Secret")
        .collect();
    kinds.sort();
    kinds.dedup();
    Ok(kinds.join(","))
}

fn findings(path: &Path) -> Result<Vec<(String, String)>> {
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut keys: Vec<(String, String)> = doc["findings"]
        .as_array()
        .context("findings")?
        .iter()
        .map(|f| {
            (f["code"].as_str().unwrap_or_default().into(), f["object"]["name"].as_str().unwrap_or_default().into())
        })
        .collect();
    keys.sort();
    Ok(keys)
}

fn mib(kib: f64) -> String {
    format!("{:.0} MB", kib / 1024.0)
}

async fn run(pods: usize, runs: usize, bin: &Path) -> Result<()> {
    let env = TestEnv::from_env();
    let started = Instant::now();
    let stats = env.load_value(synthetic::cluster(pods)).await.context("loading the synthetic cluster")?;
    eprintln!("loaded {pods} pods ({} objects created) in {:.1} s", stats.created, started.elapsed().as_secs_f64());

    let reader = env.reader_kubeconfig.to_str().context("kubeconfig path")?.to_string();
    let kinds = kinds(bin)?;
    let live_json = tempfile_path("live.json");
    let analyze = ["analyze", "--kubeconfig", &reader, "-o", "json"];
    let kubectl = ["--kubeconfig", &reader, "get", &kinds, "-A", "-o", "json"];
    let null = Path::new("/dev/null");
    timed(bin, &analyze, &live_json, &[0, 1])?; // warm-up: the API server's caches, the page cache
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        a.push(timed(bin, &analyze, null, &[0, 1])?);
        b.push(timed(&env.kubectl, &kubectl, null, &[0])?);
    }

    // Requests of one run, from the audit log (the API server writes an event just after the response).
    let complete =
        |events: &[mekhanikube_testenv::AuditEvent]| events.iter().filter(|e| e.stage == "ResponseComplete").count();
    let before = complete(&env.audit_events("reader")?);
    timed(bin, &analyze, &live_json, &[0, 1])?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let requests = complete(&env.audit_events("reader")?) - before;

    // The round trip: what `snapshot` writes, `analyze --snapshot` reads back to the same findings.
    let live = findings(&live_json)?;
    let mut trips = Vec::new();
    for ext in ["yaml", "json"] {
        let file = tempfile_path(&format!("snapshot.{ext}"));
        let written = timed(bin, &["snapshot", "--kubeconfig", &reader, "-o", file.to_str().unwrap()], null, &[0])?;
        let out = tempfile_path(&format!("offline-{ext}.json"));
        let read = timed(bin, &["analyze", "--snapshot", file.to_str().unwrap(), "-o", "json"], &out, &[0, 1])?;
        let same = findings(&out)? == live;
        let size = std::fs::metadata(&file)?.len();
        trips.push((ext, size, written, read, same));
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(&out);
    }

    let wall = |s: &[Sample]| median(s.iter().map(|s| s.wall).collect());
    let rss = |s: &[Sample]| median(s.iter().map(|s| s.rss_kib as f64).collect());
    let ratio = median(a.iter().zip(&b).map(|(a, b)| a.wall / b.wall).collect());
    println!("## {pods} pods, medians of {runs} interleaved runs");
    println!("| command | wall | peak RSS |");
    println!("|---|---:|---:|");
    println!("| mekhanikube analyze -o json | {:.2} s | {} |", wall(&a), mib(rss(&a)));
    println!("| kubectl get (same kinds) -A -o json | {:.2} s | {} |", wall(&b), mib(rss(&b)));
    println!("wall ratio analyze/kubectl: {ratio:.2} (median of pairs); API requests of one analyze: {requests}");
    println!("peak RSS per pod: {:.1} KB", rss(&a) / pods as f64);
    for (ext, size, written, read, same) in trips {
        println!(
            "snapshot {ext}: {:.1} MB written in {:.2} s ({}); analyze --snapshot {:.2} s, {}; findings as live: {}",
            size as f64 / 1e6,
            written.wall,
            mib(written.rss_kib as f64),
            read.wall,
            mib(read.rss_kib as f64),
            if same { "yes" } else { "NO" }
        );
        if !same {
            bail!("the {ext} snapshot does not read back to the live findings");
        }
    }
    let _ = std::fs::remove_file(&live_json);
    Ok(())
}

/// The offline path alone: a file of the synthetic cluster, read by `analyze --snapshot`.
fn run_offline(pods: usize, runs: usize, bin: &Path) -> Result<()> {
    let file = tempfile_path("offline.json");
    std::fs::write(&file, serde_json::to_vec(&synthetic::saved_file(pods))?)?;
    let size = std::fs::metadata(&file)?.len();
    let args = ["analyze", "--snapshot", file.to_str().context("path")?, "-o", "json"];
    let out = tempfile_path("offline-out.json");
    timed(bin, &args, Path::new("/dev/null"), &[0, 1])?;
    let samples: Vec<Sample> = (0..runs).map(|_| timed(bin, &args, &out, &[0, 1])).collect::<Result<_>>()?;
    let found = findings(&out)?.len();
    let wall = median(samples.iter().map(|s| s.wall).collect());
    let rss = median(samples.iter().map(|s| s.rss_kib as f64).collect());
    println!("## offline, {pods} pods ({:.0} MB JSON), medians of {runs} runs", size as f64 / 1e6);
    println!(
        "analyze --snapshot: {wall:.2} s, {} peak RSS ({:.1} KB per pod), {found} findings",
        mib(rss),
        rss / pods as f64
    );
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&out);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, pods, file] = args.as_slice()
        && flag == "--write"
    {
        let Ok(pods) = pods.parse::<usize>() else {
            eprintln!("error: PODS is a number");
            return ExitCode::from(2);
        };
        let list = serde_json::to_vec(&synthetic::saved_file(pods)).expect("a JSON value serializes");
        return match std::fs::write(file, list) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: writing {file}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let offline = args.first().is_some_and(|a| a == "--offline");
    if offline {
        args.remove(0);
    }
    let [pods, runs, bin] = args.as_slice() else {
        eprintln!("usage: testenv-bench PODS RUNS MEKHANIKUBE_BINARY (inside tests/testenv/with-testenv.sh)");
        return ExitCode::from(2);
    };
    let (Ok(pods), Ok(runs)) = (pods.parse::<usize>(), runs.parse::<usize>()) else {
        eprintln!("error: PODS and RUNS are numbers");
        return ExitCode::from(2);
    };
    let result = if offline {
        run_offline(pods, runs.max(1), Path::new(bin))
    } else {
        run(pods, runs.max(1), Path::new(bin)).await
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
