//! Pods: container waiting reasons, terminations, scheduling, stuck sandbox or volume setup, failing probes,
//! evictions.

use super::{condition, condition_evidence, name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::{Evidence, recent_warnings};
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::ContainerStatus;
use crate::model::Pod;
use crate::snapshot::Snapshot;

pub(crate) struct PodAnalyzer;

const NAME: &str = "pod";

const CRASH_LOOP: CodeInfo = CodeInfo {
    code: "pod-crash-loop",
    summary: "A container keeps exiting and the kubelet is backing off restarts (CrashLoopBackOff).",
    severity: SeverityRule::fixed(Severity::High),
};
const OOM_KILLED: CodeInfo = CodeInfo {
    code: "pod-oom-killed",
    summary: "A container was killed for exceeding its memory limit (OOMKilled).",
    severity: SeverityRule {
        default: Severity::High,
        others: &[Severity::Medium],
        when: "medium when the container is running again",
    },
};
const IMAGE_PULL: CodeInfo = CodeInfo {
    code: "pod-image-pull-failed",
    summary: "The image cannot be pulled (ImagePullBackOff or ErrImagePull): wrong name or tag, or missing credentials.",
    severity: SeverityRule::fixed(Severity::High),
};
const INVALID_IMAGE: CodeInfo = CodeInfo {
    code: "pod-invalid-image-name",
    summary: "The image reference does not parse (InvalidImageName).",
    severity: SeverityRule::fixed(Severity::High),
};
const CONFIG_ERROR: CodeInfo = CodeInfo {
    code: "pod-container-config-error",
    summary: "The container cannot be configured (CreateContainerConfigError): usually a missing ConfigMap, Secret or key.",
    severity: SeverityRule::fixed(Severity::High),
};
const START_ERROR: CodeInfo = CodeInfo {
    code: "pod-container-start-error",
    summary: "The runtime failed to create or start the container (CreateContainerError or RunContainerError).",
    severity: SeverityRule::fixed(Severity::High),
};
const EXIT_ERROR: CodeInfo = CodeInfo {
    code: "pod-container-restarted",
    summary: "A running container has restarted after exiting with an error.",
    severity: SeverityRule::fixed(Severity::Low),
};
const UNSCHEDULABLE: CodeInfo = CodeInfo {
    code: "pod-unschedulable",
    summary: "The scheduler found no node for the pod; the message says which constraint failed.",
    severity: SeverityRule::fixed(Severity::High),
};
const MOUNT_FAILED: CodeInfo = CodeInfo {
    code: "pod-volume-mount-failed",
    summary: "The pod is stuck in ContainerCreating because a volume cannot be attached or mounted (FailedMount).",
    severity: SeverityRule::fixed(Severity::High),
};
const SANDBOX_FAILED: CodeInfo = CodeInfo {
    code: "pod-sandbox-failed",
    summary: "The pod is stuck in ContainerCreating because its sandbox (network, runtime) cannot be created.",
    severity: SeverityRule::fixed(Severity::High),
};
const PROBE_FAILING: CodeInfo = CodeInfo {
    code: "pod-probe-failing",
    summary: "The pod runs but is not ready, and its probes are failing (Unhealthy events).",
    severity: SeverityRule::fixed(Severity::Medium),
};
const EVICTED: CodeInfo = CodeInfo {
    code: "pod-evicted",
    summary: "The pod was evicted from its node, usually under resource pressure.",
    severity: SeverityRule::fixed(Severity::Medium),
};

impl Analyzer for PodAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Pod, Kind::ReplicaSet, Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet, Kind::Job, Kind::CronJob]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[
            CRASH_LOOP,
            OOM_KILLED,
            IMAGE_PULL,
            INVALID_IMAGE,
            CONFIG_ERROR,
            START_ERROR,
            EXIT_ERROR,
            UNSCHEDULABLE,
            MOUNT_FAILED,
            SANDBOX_FAILED,
            PROBE_FAILING,
            EVICTED,
        ]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        snapshot.objects.pods.iter().flat_map(|pod| analyze_pod(snapshot, pod)).collect()
    }
}

fn analyze_pod(snapshot: &Snapshot, pod: &Pod) -> Vec<Finding> {
    let mut findings = Vec::new();
    if pod.metadata.deletion_timestamp.is_some() {
        return findings;
    }
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
    let (ns, name) = (namespace_of(&pod.metadata), name_of(&pod.metadata));
    let warnings = || snapshot.warnings_for(Kind::Pod, ns, name);

    if phase == "Failed" && status.and_then(|s| s.reason.as_deref()) == Some("Evicted") {
        let message = status.and_then(|s| s.message.clone()).unwrap_or_default();
        findings.push(
            snapshot
                .finding(NAME, &EVICTED, pod, Severity::Medium, format!("pod was evicted: {message}"))
                .with_evidence([Evidence::field("reason", "Evicted")]),
        );
        return findings;
    }
    if phase == "Succeeded" || phase == "Failed" {
        // Finished pods are judged through their Job; a leftover failed pod alone is not a live problem.
        return findings;
    }

    if let Some(scheduled) = condition!(pod.status, "PodScheduled")
        && scheduled.status == "False"
        && scheduled.reason.as_deref() == Some("Unschedulable")
    {
        let why = scheduled.message.clone().unwrap_or_else(|| "no reason given".into());
        findings.push(
            snapshot
                .finding(NAME, &UNSCHEDULABLE, pod, Severity::High, format!("pod cannot be scheduled: {why}"))
                .with_evidence([condition_evidence!(scheduled)])
                .with_evidence(recent_warnings(warnings().filter(|e| e.reason.as_deref() == Some("FailedScheduling")))),
        );
        return findings;
    }

    let init = status.and_then(|s| s.init_container_statuses.as_deref()).unwrap_or_default();
    let main = status.and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
    let mut creating = false;
    for (cs, is_init) in init.iter().map(|c| (c, true)).chain(main.iter().map(|c| (c, false))) {
        let waiting_reason = cs.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.as_deref());
        if waiting_reason == Some("ContainerCreating") || waiting_reason == Some("PodInitializing") {
            creating = true;
        }
        if let Some(f) = container_finding(snapshot, pod, cs, is_init, waiting_reason) {
            findings.push(f);
        }
    }

    if creating && findings.is_empty() {
        let stuck: Vec<_> = warnings()
            .filter(|e| {
                matches!(e.reason.as_deref(), Some("FailedMount" | "FailedAttachVolume" | "FailedCreatePodSandBox"))
            })
            .collect();
        if let Some(first) = stuck.first() {
            let (code, what) = if first.reason.as_deref() == Some("FailedCreatePodSandBox") {
                (&SANDBOX_FAILED, "its sandbox cannot be created")
            } else {
                (&MOUNT_FAILED, "a volume cannot be mounted")
            };
            let detail = first.message.as_deref().unwrap_or_default();
            findings.push(
                snapshot
                    .finding(
                        NAME,
                        code,
                        pod,
                        Severity::High,
                        format!("pod is stuck in ContainerCreating: {what}: {detail}"),
                    )
                    .with_evidence(recent_warnings(stuck.into_iter())),
            );
        }
    }

    if phase == "Running" && findings.is_empty() && condition!(pod.status, "Ready").is_some_and(|c| c.status == "False")
    {
        let unhealthy: Vec<_> = warnings().filter(|e| e.reason.as_deref() == Some("Unhealthy")).collect();
        if let Some(first) = unhealthy.first() {
            let detail = first.message.as_deref().unwrap_or_default();
            findings.push(
                snapshot
                    .finding(
                        NAME,
                        &PROBE_FAILING,
                        pod,
                        Severity::Medium,
                        format!("pod is running but not ready: {detail}"),
                    )
                    .with_evidence(condition!(pod.status, "Ready").map(|c| condition_evidence!(c)))
                    .with_evidence(recent_warnings(unhealthy.into_iter())),
            );
        }
    }
    findings
}

fn container_finding(
    snapshot: &Snapshot,
    pod: &Pod,
    cs: &ContainerStatus,
    is_init: bool,
    waiting_reason: Option<&str>,
) -> Option<Finding> {
    let what = if is_init { format!("init container {}", cs.name) } else { format!("container {}", cs.name) };
    let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
    let waiting_message = cs.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.message.clone());
    let image = &cs.image;
    let (code, severity, message) = match waiting_reason {
        Some("CrashLoopBackOff") if last.is_some_and(|t| t.reason.as_deref() == Some("OOMKilled")) => (
            &OOM_KILLED,
            Severity::High,
            format!(
                "{what} is crash-looping: killed for exceeding its memory limit (OOMKilled), {} restarts",
                cs.restart_count
            ),
        ),
        Some("CrashLoopBackOff") => {
            let exit = last
                .map(|t| format!("last exit code {} ({})", t.exit_code, t.reason.as_deref().unwrap_or("no reason")))
                .unwrap_or_else(|| "no previous exit recorded".into());
            (&CRASH_LOOP, Severity::High, format!("{what} is crash-looping: {exit}, {} restarts", cs.restart_count))
        }
        Some(r @ ("ImagePullBackOff" | "ErrImagePull")) => {
            (&IMAGE_PULL, Severity::High, format!("{what} cannot pull image {image} ({r})"))
        }
        Some("InvalidImageName") => {
            (&INVALID_IMAGE, Severity::High, format!("{what} has an invalid image name {image}"))
        }
        Some("CreateContainerConfigError") => (
            &CONFIG_ERROR,
            Severity::High,
            format!("{what} cannot be configured: {}", waiting_message.clone().unwrap_or_default()),
        ),
        Some(r @ ("CreateContainerError" | "RunContainerError")) => (
            &START_ERROR,
            Severity::High,
            format!("{what} cannot start ({r}): {}", waiting_message.clone().unwrap_or_default()),
        ),
        _ => {
            let running = cs.state.as_ref().is_some_and(|s| s.running.is_some());
            let t = last.filter(|t| running && cs.restart_count > 0 && t.exit_code != 0)?;
            if t.reason.as_deref() == Some("OOMKilled") {
                (
                    &OOM_KILLED,
                    Severity::Medium,
                    format!(
                        "{what} was killed for exceeding its memory limit (OOMKilled), {} restarts",
                        cs.restart_count
                    ),
                )
            } else {
                (
                    &EXIT_ERROR,
                    Severity::Low,
                    format!(
                        "{what} restarted {} times; last exit code {} ({})",
                        cs.restart_count,
                        t.exit_code,
                        t.reason.as_deref().unwrap_or("no reason")
                    ),
                )
            }
        }
    };
    let (ns, name) = (namespace_of(&pod.metadata), name_of(&pod.metadata));
    Some(
        snapshot
            .finding(NAME, code, pod, severity, message)
            .with_evidence(Evidence::container(cs, is_init))
            .with_evidence(recent_warnings(snapshot.warnings_for(Kind::Pod, ns, name))),
    )
}
