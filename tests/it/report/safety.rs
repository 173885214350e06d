//! Crash safety and concurrent runs. The abort and pause hooks exist in debug builds only, so these tests are
//! compiled in debug builds only.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{Bed, after, before, write_snapshot};
use crate::common::{json, run};

/// A run killed at each step of writing leaves the previous reports and history readable, and the next run works
/// and compares with the last run that was recorded.
#[test]
#[cfg(debug_assertions)]
fn a_run_killed_half_way_leaves_reports_and_history_intact() {
    // (phase, whether the killed run is recorded by then)
    let phases = [
        ("analysis", false),
        ("lock", false),
        ("first-report-file", false),
        ("reports", false),
        ("history-insert", false),
        ("history", true),
    ];
    for (phase, recorded) in phases {
        let bed = Bed::new();
        write_snapshot(&bed.snapshot(), before());
        assert_eq!(run(&mut bed.report()).code, 0);
        let first_stem = bed.latest_json()["report"].as_str().unwrap().to_string();
        let latest_before: Vec<String> = ["md", "html", "json"].iter().map(|e| bed.latest(e)).collect();

        write_snapshot(&bed.snapshot(), after());
        let killed = bed.report().env("MEKHANIKUBE_TEST_ABORT_AFTER", phase).output().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(killed.status.signal(), Some(6), "{phase}: expected an abort, got {:?}", killed.status);

        let latest_after: Vec<String> = ["md", "html", "json"].iter().map(|e| bed.latest(e)).collect();
        assert_eq!(latest_before, latest_after, "{phase}: latest.* changed");
        assert!(bed.out().join(format!("{first_stem}.html")).is_file(), "{phase}");
        assert_eq!(bed.integrity(), "ok", "{phase}");
        let runs = bed.runs();
        assert_eq!(runs.len(), if recorded { 2 } else { 1 }, "{phase}: {runs:?}");
        let leftovers: Vec<_> = std::fs::read_dir(bed.out())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{phase}: {leftovers:?}");

        let next = run(&mut bed.report());
        assert_eq!(next.code, 0, "{phase}: {}", next.stderr);
        let doc = bed.latest_json();
        let expected_previous = if recorded { runs[1].as_str() } else { first_stem.as_str() };
        assert_eq!(doc["diff"]["previous"]["report"], expected_previous, "{phase}");
        assert_eq!(bed.runs().len(), runs.len() + 1, "{phase}");
    }
}

/// Runs started together queue on the history lock, so each compares with the one before it: no two runs diff
/// against the same previous run, no report is overwritten, and the database stays consistent.
#[test]
#[cfg(debug_assertions)]
fn concurrent_runs_each_diff_against_a_distinct_previous_run() {
    let bed = Bed::new();
    write_snapshot(&bed.snapshot(), before());
    assert_eq!(run(&mut bed.report()).code, 0);
    // Each run holds the lock a while, so the others are sure to arrive while it is held.
    let children: Vec<std::process::Child> = (0..3)
        .map(|_| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mekhanikube"));
            cmd.env("MEKHANIKUBE_TEST_SLEEP_AFTER", "lock:400")
                .env("XDG_STATE_HOME", bed.dir.path().join("state"))
                .arg("report")
                .arg("--snapshot")
                .arg(bed.snapshot())
                .arg("--out")
                .arg(bed.out())
                .arg("--history")
                .arg(bed.history())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let started = Instant::now();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(started.elapsed() >= Duration::from_millis(1200), "the runs did not queue: {:?}", started.elapsed());
    let runs = bed.runs();
    assert_eq!(runs.len(), 4, "{runs:?}");
    assert_eq!(bed.integrity(), "ok");
    let mut stems = bed.stems();
    stems.sort();
    let mut sorted_runs = runs.clone();
    sorted_runs.sort();
    assert_eq!(stems, sorted_runs, "one report set per recorded run");
    for pair in runs.windows(2) {
        let doc = json(&std::fs::read_to_string(bed.out().join(format!("{}.json", pair[1]))).unwrap());
        assert_eq!(doc["diff"]["previous"]["report"], pair[0].as_str(), "{} compared with the wrong run", pair[1]);
    }
}
