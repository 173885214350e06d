//! `make bench`: indexing a snapshot, running every analyzer and linking the findings into problems over
//! synthetic clusters of growing size.
//! Prints medians over repeated runs and the cost per object, so a non-linear analyzer shows up as a ratio
//! well above 1 between sizes. The machine is shared: read ratios, not single timings.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use mekhanikube_analyzers::{SnapshotBuilder, problems, registry, run};

/// A namespace per 100 pods: a Deployment, its ReplicaSet, a Service and EndpointSlice, pods (every tenth
/// crash-looping) and a warning event per broken pod.
fn cluster(pods: usize) -> serde_json::Value {
    let mut items = Vec::new();
    for i in 0..pods {
        let ns = format!("ns-{}", i / 100);
        let app = format!("app-{}", i / 100);
        if i % 100 == 0 {
            items.push(serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "namespace": ns},
                "spec": {"replicas": 100, "selector": {"matchLabels": {"app": app}},
                         "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
                "status": {"replicas": 100, "availableReplicas": 90, "readyReplicas": 90, "unavailableReplicas": 10,
                           "conditions": [{"type": "Available", "status": "True"}]}}));
            items.push(serde_json::json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": format!("{app}-abc"), "namespace": ns,
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "uid": "u", "controller": true}]},
                "spec": {"selector": {"matchLabels": {"app": app}}}}));
            items.push(
                serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
                "spec": {"selector": {"app": app}, "ports": [{"port": 80}]}}),
            );
        }
        let crash = i % 10 == 0;
        let name = format!("{app}-abc-{i:06}");
        items.push(serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": app},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-abc"), "uid": "u", "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if crash { "False" } else { "True" }}],
                       "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": !crash, "restartCount": if crash { 4 } else { 0 },
                           "state": if crash { serde_json::json!({"waiting": {"reason": "CrashLoopBackOff"}}) } else { serde_json::json!({"running": {}}) }}]}}));
        if crash {
            items.push(serde_json::json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": format!("{name}.1"), "namespace": ns},
                "involvedObject": {"kind": "Pod", "name": name, "namespace": ns}, "type": "Warning", "reason": "BackOff",
                "message": "Back-off restarting failed container", "count": 5}));
        }
    }
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items})
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    const RUNS: usize = 11;
    let mut per_object = Vec::new();
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>10} {:>14}",
        "pods", "index (ms)", "analyze (ms)", "link (ms)", "findings", "µs per pod"
    );
    for pods in [1_000usize, 5_000, 20_000] {
        let doc = cluster(pods);
        let (mut index, mut analyze, mut link) = (Vec::new(), Vec::new(), Vec::new());
        let mut findings = 0;
        for _ in 0..RUNS {
            let start = Instant::now();
            let mut builder = SnapshotBuilder::new();
            builder.add_document("bench", doc.clone()).expect("valid");
            let snapshot = builder.build();
            index.push(start.elapsed());
            let start = Instant::now();
            let mut found = run(registry(), &snapshot);
            analyze.push(start.elapsed());
            findings = found.len();
            let start = Instant::now();
            problems(&snapshot, &mut found);
            link.push(start.elapsed());
        }
        let (index, analyze, link) = (median(index), median(analyze), median(link));
        let us_per_pod = (index + analyze + link).as_secs_f64() * 1e6 / pods as f64;
        per_object.push(us_per_pod);
        println!(
            "{pods:>8} {:>12.1} {:>12.1} {:>12.1} {findings:>10} {us_per_pod:>14.2}",
            index.as_secs_f64() * 1e3,
            analyze.as_secs_f64() * 1e3,
            link.as_secs_f64() * 1e3
        );
    }
    println!("cost per pod, 20k vs 1k: {:.2}x (near 1 means linear)", per_object[2] / per_object[0]);
}
