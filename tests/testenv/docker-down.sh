#!/usr/bin/env bash
# Stops the dockerd that docker-up.sh started for DIR (TERM: it stops its containers first; KILL after 60 s), by
# its PID and only if that process still names DIR's run folder. Idempotent. Images, volumes and the build cache
# stay in the data root (the test-bed cache) for the next run.
# Usage: docker-down.sh DIR
set -euo pipefail
[[ $# -eq 1 && -n "$1" ]] || { echo "usage: docker-down.sh DIR" >&2; exit 2; }
[[ -d "$1" ]] || exit 0
dir="$(cd "$1" && pwd)"

running() { [[ -r /proc/$1/stat ]] && [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]]; }
run="$(cat "$dir/docker.run" 2>/dev/null)" || run=""
pid="$(cat "$dir/dockerd.pid" 2>/dev/null)" || pid=""
if [[ "$pid" =~ ^[0-9]+$ && -n "$run" ]] && running "$pid" \
  && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$run"; then
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 600); do running "$pid" || break; sleep 0.1; done
  if running "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
  fi
fi
# The run folder holds only sockets and state files once dockerd has stopped; never cross into a mount.
if [[ -n "$run" && "$run" == /tmp/mk-docker.* ]] && ! { [[ -n "$pid" ]] && running "$pid"; }; then
  rm -rf --one-file-system "$run" 2>/dev/null || true
fi
rm -f "$dir/dockerd.pid" "$dir/docker.env" "$dir/docker.run"
