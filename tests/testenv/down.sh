#!/usr/bin/env bash
# Stops the kube-apiserver and etcd that up.sh started in DIR (TERM, then KILL). Idempotent. Keeps DIR and its logs
# for diagnosis unless --clean is given.
# Usage: down.sh [--clean] DIR
set -euo pipefail

# True while PID is a live process (a zombie left by a non-reaping init counts as stopped).
running() { [[ -r /proc/$1/stat ]] && [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]]; }
# Stops the process group led by the PID in PIDFILE, but only if that process still mentions DIR in its command line
# or environment: a PID reused by an unrelated process is left alone.
stop_pidfile() { # PIDFILE DIR
  local pid info
  pid="$(cat "$1" 2>/dev/null)" || return 0
  info="$(cat "/proc/$pid/cmdline" "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n')" || true
  if [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" && [[ "$info" == *"$2"* ]]; then
    for sig in TERM KILL; do
      kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
      for _ in $(seq 150); do running "$pid" || break; sleep 0.1; done
      running "$pid" || break
    done
  fi
  rm -f "$1"
}

clean=0
args=()
for a in "$@"; do
  case "$a" in
    --clean) clean=1 ;;
    *) args+=("$a") ;;
  esac
done
[[ ${#args[@]} -eq 1 && -n "${args[0]}" ]] || { echo "usage: down.sh [--clean] DIR" >&2; exit 2; }
[[ -d "${args[0]}" ]] || exit 0
dir="$(cd "${args[0]}" && pwd)"

# The API server first, so it does not spend its shutdown retrying a vanished etcd.
stop_pidfile "$dir/apiserver.pid" "$dir"
stop_pidfile "$dir/etcd.pid" "$dir"
rm -f "$dir/env"

if [[ $clean == 1 ]]; then
  rm -rf "$dir"
fi
