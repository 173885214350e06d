# shellcheck shell=bash
# Shared settings for the test-bed scripts. Sourced, not run.
# Versions are pinned here; the binaries are cached outside the repo, one folder per tool and version.
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
OLLAMA_VERSION="${OLLAMA_VERSION:-v0.24.0}"
SMOLLM2_WHEEL_VERSION="${SMOLLM2_WHEEL_VERSION:-0.1.2}"
MINIAUDIO_VERSION="${MINIAUDIO_VERSION:-1.71}"
TESTENV_CACHE="${MEKHANIKUBE_TESTENV_CACHE:-$HOME/.cache/mekhanikube-testenv}"

# Only the module proxy is reachable: never fall back to fetching from source hosts.
GOPROXY="$(go env GOPROXY | tr '|' ',' | tr ',' '\n' | grep -v '^direct$' | grep -v '^off$' | paste -sd, -)"
export GOPROXY
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export OLLAMA_NO_CLOUD=1

k8s_dir() { echo "$TESTENV_CACHE/kubernetes-$K8S_VERSION"; }
# The inference engine is compiled by cgo; without -march it has no vector instructions and SmolLM2 crawls at
# about 1.5 tokens/s. Build for x86-64-v3 (AVX2, FMA) where the CPU has it, in a folder of its own.
ollama_cpu_level() {
  if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then echo x86-64-v3; else echo generic; fi
}
ollama_dir() { echo "$TESTENV_CACHE/ollama-$OLLAMA_VERSION-$(ollama_cpu_level)"; }
model_dir() { echo "$TESTENV_CACHE/smollm2-$SMOLLM2_WHEEL_VERSION"; }
# etcd's version is the one Kubernetes pins for its client, so it is known only after the k8s step.
etcd_version() { cat "$(k8s_dir)/etcd-version" 2>/dev/null; }
etcd_dir() { echo "$TESTENV_CACHE/etcd-$(etcd_version)"; }

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a named step and prints how long it took, so a slow first run shows where time goes.
timed() {
  local name="$1"; shift
  local start=$SECONDS
  log "$name: start"
  "$@"
  log "$name: done in $((SECONDS - start)) s"
}
