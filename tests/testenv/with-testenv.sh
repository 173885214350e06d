#!/usr/bin/env bash
# Runs a command against a live test bed: builds what is missing (cached), starts kube-apiserver + etcd and Ollama in
# one DIR, runs the command with MEKHANIKUBE_TESTENV=DIR and KUBECONFIG=DIR/reader.kubeconfig, then always stops
# both and returns the command's exit status.
# Usage: with-testenv.sh CMD [ARGS...]     DIR: $MEKHANIKUBE_TESTENV_DIR, else <repo>/.testenv
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: with-testenv.sh CMD [ARGS...]" >&2; exit 2; }
repo="$(cd "$here/../.." && pwd)"
dir="${MEKHANIKUBE_TESTENV_DIR:-$repo/.testenv}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

say() { printf '[with-testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
phase() { # NAME CMD...: runs one phase and reports its time
  local name="$1" t0 rc=0; shift
  t0="$(date +%s.%N)"
  "$@" || rc=$?
  say "$name: $(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s$([[ $rc == 0 ]] || echo " (failed, exit $rc)")"
  return "$rc"
}

# shellcheck disable=SC2317 # run by the EXIT trap below, which ShellCheck does not follow
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments.
  phase "stop" bash -c '"$1/ollama-down.sh" "$2"; "$1/down.sh" "$2"' _ "$here" "$dir" || true
  exit "$rc"
}
trap cleanup EXIT
# On Ctrl-C or kill, still stop the servers (they run in their own sessions, so no signal reaches them).
trap 'exit 130' INT
trap 'exit 143' TERM

phase "build (cached parts skipped)" "$here/build.sh" all
phase "kube-apiserver + etcd up" "$here/up.sh" "$dir"
phase "ollama up" "$here/ollama-up.sh" "$dir"

export MEKHANIKUBE_TESTENV="$dir"
export KUBECONFIG="$dir/reader.kubeconfig"
say "running: $* (MEKHANIKUBE_TESTENV=$dir)"
rc=0
phase "command" "$@" || rc=$?
exit "$rc"
