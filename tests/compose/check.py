"""The compose test's assertions, over what tests/compose/test.sh collected in DIR. Prints one line per check and
exits 1 if any failed.

Usage: check.py DIR SHELL_EXIT_STATUS
"""

import json
import re
import sys
from pathlib import Path

failures = []
checks = 0


def check(ok, what, detail=""):
    global checks
    checks += 1
    print(f"[check] {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(what)


def main():
    d = Path(sys.argv[1])
    shell_rc = int(sys.argv[2])

    # `make run`: the demo cluster's findings, then explanations streamed from the model in the ollama container.
    run = (d / "make-run.log").read_text(errors="replace")
    check("docker compose run --rm mekhanikube analyze --explain" in run, "make run ran the compose command", run[:300])
    check(bool(re.search(r"(?m)^\d+ findings in \d+ problems", run)), "make run shows the findings summary", run[:2000])
    # tests/compose/config.yaml asks for the critical problems only.
    for what in ("CRITICAL Deployment shop/api: 0 of 2 replicas available", "webhook-service-missing",
                 "CRITICAL StorageClass fast-ssd → StatefulSet shop/db"):
        check(what in run, f"make run shows the demo cluster's finding {what!r}", run[:3000])
    # The model is on 127.0.0.1 (host network): local, so prompts are not anonymized.
    check(bool(re.search(r"(?m)^Explanations: \d+ problems with smollm2-135m \(local\)$", run)),
          "make run explains with the local model", run[-3000:])
    # Each problem: "[k/n] SEVERITY code — objects", the answer as it streamed, then "(first token S s, R tokens/s)".
    answers = re.findall(r"(?ms)^\[\d+/\d+\] CRITICAL [a-z-]+ — .*?\n(.*?)^\(first token [\d.]+ s", run)
    check(any(len(a.strip()) > 20 for a in answers), "an explanation was streamed", run[-3000:])

    # How the `make run` container ran, as Docker and the kernel saw it.
    inspect_file = d / "run-inspect.json"
    check(inspect_file.exists(), "the make run container was seen while it ran")
    if inspect_file.exists():
        c = json.loads(inspect_file.read_text())[0]
        check(c["Config"]["User"] == "65532:65532", "the container's user is 65532:65532", c["Config"]["User"])
        host = c["HostConfig"]
        check(host["ReadonlyRootfs"] is True, "the container's root file system is read-only")
        check("ALL" in (host.get("CapDrop") or []), "all capabilities are dropped", host.get("CapDrop"))
        check(any("no-new-privileges" in o for o in host.get("SecurityOpt") or []), "no-new-privileges is set")
        check(host.get("Init") is True, "an init runs as PID 1 (signals reach mekhanikube)", host.get("Init"))
        mounts = {m["Destination"]: m for m in c["Mounts"]}
        kube = mounts.get("/kube/config")
        check(kube is not None and kube["RW"] is False, "the kubeconfig is mounted read-only", kube)
        reports = mounts.get("/reports")
        check(reports is not None and reports["Type"] == "volume" and reports["RW"] is True,
              "/reports is a writable volume", reports)
    status_file = d / "run-proc-status.txt"
    check(status_file.exists(), "the container's process status was read from /proc")
    if status_file.exists():
        status = dict(line.split(":", 1) for line in status_file.read_text().splitlines() if ":" in line)
        uids, gids = status.get("Uid", "").split(), status.get("Gid", "").split()
        check(uids == ["65532"] * 4, "the process runs as uid 65532 (real, effective, saved, fs)", uids)
        check(gids == ["65532"] * 4, "the process runs as gid 65532", gids)
        check(status.get("CapEff", "").strip("0\t ") == "", "the process has no effective capabilities",
              status.get("CapEff"))

    # `make report`: the report written into the volume, read back from the volume's folder.
    report_log = (d / "make-report.log").read_text(errors="replace")
    check("wrote " in report_log and "latest.*" in report_log, "make report says what it wrote", report_log[-500:])
    reports = d / "reports"
    names = sorted(p.name for p in reports.iterdir()) if reports.exists() else []
    for name in ("latest.html", "latest.json", "history.sqlite"):
        check(name in names, f"the reports volume has {name}", names)
    latest = reports / "latest.json"
    if latest.exists():
        text = latest.read_text()
        check("pod-crash-loop" in text and "pvc-storage-class-missing" in text,
              "latest.json holds the demo cluster's findings")

    # The image: non-root, no shell anywhere, the binary where the entrypoint says.
    image = json.loads((d / "image-inspect.json").read_text())[0]
    check(image["Config"]["User"] == "65532:65532", "the image's user is 65532:65532", image["Config"]["User"])
    check(image["Config"]["Entrypoint"] == ["/usr/local/bin/mekhanikube"], "the entrypoint is the binary")
    files = [f.removeprefix("./").rstrip("/") for f in (d / "image-files.txt").read_text().splitlines()]
    shells = [f for f in files if re.search(r"(^|/)(sh|bash|dash|ash|busybox|zsh)$", f)]
    check(shells == [], "the image has no shell", shells)
    check("usr/local/bin/mekhanikube" in files, "the image has the binary")
    check(not any(f.startswith(("usr/bin/apt", "usr/bin/dpkg")) for f in files), "the image has no package manager")
    shell_log = (d / "shell.log").read_text(errors="replace")
    check(shell_rc != 0, "running /bin/sh in the image fails", f"exit {shell_rc}: {shell_log}")

    print(f"test-compose: {checks - len(failures)} passed, {len(failures)} failed")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
