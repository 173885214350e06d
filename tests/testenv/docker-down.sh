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
# Once dockerd has stopped, the run folder holds sockets, state files and the host network namespace that dockerd
# bind-mounted at exec/netns/default (and leaves mounted): unmount what is under it, then remove it, never crossing
# into a mount that is still there.
if [[ -n "$run" && "$run" == /tmp/mk-docker.* ]] && ! { [[ -n "$pid" ]] && running "$pid"; }; then
  awk -v run="$run/" 'index($2, run) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$run" 2>/dev/null || true
fi
rm -f "$dir/dockerd.pid" "$dir/docker.env" "$dir/docker.run"
