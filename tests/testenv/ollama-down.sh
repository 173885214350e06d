#!/usr/bin/env bash
# Stops the `ollama serve` (and its runner processes) that ollama-up.sh started in DIR: TERM, then KILL.
# Idempotent. Keeps DIR and the log; the shared model store is never touched.
# Usage: ollama-down.sh DIR
set -euo pipefail
[[ $# -eq 1 && -n "$1" ]] || { echo "usage: ollama-down.sh DIR" >&2; exit 2; }
[[ -d "$1" ]] || exit 0
dir="$(cd "$1" && pwd)"

running() { [[ -r /proc/$1/stat ]] && [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]]; }
pid="$(cat "$dir/ollama.pid" 2>/dev/null)" || exit 0
# Only a process whose environment names DIR (HOME=DIR/ollama-home) is ours; a reused PID is left alone.
info="$(cat "/proc/$pid/cmdline" "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n')" || true
if [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" && [[ "$info" == *"$dir"* ]]; then
  # The whole process group: the server runs the model in child runner processes.
  for sig in TERM KILL; do
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 150); do running "$pid" || break; sleep 0.1; done
    running "$pid" || break
  done
fi
rm -f "$dir/ollama.pid" "$dir/ollama.env"
