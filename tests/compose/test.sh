#!/usr/bin/env bash
# `make test-compose`: `make run` and `make report` for real, in containers, against the live test bed.
# Starts a Docker engine of its own (Debian's docker.io, as root), builds the base images locally (no registry is
# reachable), builds the project's image with the real Dockerfile through `docker compose build`, runs the
# Makefile's `run` and `report` with docker-compose.yml plus tests/compose/docker-compose.test.yml (host network,
# local images, a short answer length), and checks what came out and how the container ran. docs/docker.md says
# what is run and why. Prints one line and exits 0 when no engine can be started here (not root, no docker.io).
# Usage: tests/compose/test.sh [DIR]   (default: .testenv/compose; state, logs and the outputs checked)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
testenv="$repo/tests/testenv"

skip() { echo "test-compose: skipped: $*"; exit 0; }
# Where an engine could not be installed or started: a skip on a developer's machine, a failure in CI (CI=true),
# where it can, so that a regression does not pass as a skip.
skip_or_fail() {
  if [[ ${CI:-} == true ]]; then echo "test-compose: FAILED: $* (CI=true: a Docker engine is expected here)" >&2; exit 1; fi
  skip "$*"
}
[[ $(id -u) -eq 0 ]] || skip "starting a Docker engine (dockerd) needs root here; see docs/docker.md"
[[ -x /usr/sbin/dockerd ]] || command -v apt-get >/dev/null \
  || skip "no dockerd, and no apt-get to install Debian's docker.io"
command -v docker >/dev/null || [[ ! -x /usr/sbin/dockerd ]] || skip "dockerd is installed but no docker CLI"

# shellcheck source=../testenv/lib.sh
source "$testenv/lib.sh"
dir="${1:-$repo/.testenv/compose}"
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
start=$SECONDS

# Installing the engine is the one step that may fail for reasons of this machine, not of the project.
"$testenv/build.sh" docker >"$dir/install.log" 2>&1 \
  || skip_or_fail "Debian's docker.io could not be installed (see $dir/install.log)"
command -v docker >/dev/null || skip_or_fail "no docker CLI after installing docker.io"

project=mekhanikube-test
watcher=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -z $watcher ]] || kill "$watcher" 2>/dev/null || true
  # Only on the test's own engine and project, found by their labels (no compose file needed): never a user's.
  local host
  host="$(sed -n 's/^DOCKER_HOST=//p' "$dir/docker.env" 2>/dev/null)" || host=""
  if [[ -n $host ]]; then
    (cd "$dir" && DOCKER_HOST="$host" timeout 120 docker compose -p "$project" down --volumes --remove-orphans \
      >"$dir/compose-down.log" 2>&1) || true
  fi
  "$testenv/docker-down.sh" "$dir" || true
  "$testenv/down.sh" "$dir" || true
  [[ $rc == 0 ]] || log "test-compose FAILED (exit $rc); logs in $dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() { log "FAIL: $*"; exit 1; }

timed "build test bed and Docker CLI plugins (cached parts skipped)" \
  "$testenv/build.sh" k8s etcd model ollama compose buildx
# The Ollama image carries the model as the test bed's Ollama stored it: import it there once if needed.
if [[ ! -s "$TESTENV_CACHE/ollama-models/manifests/registry.ollama.ai/library/smollm2-135m/latest" ]]; then
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments.
  timed "import the model" bash -c '"$1/ollama-up.sh" "$2" && "$1/ollama-down.sh" "$2"' _ "$testenv" "$dir"
fi
timed "kube-apiserver + etcd up" "$testenv/up.sh" "$dir"
timed "load the demo cluster" cargo run -q --locked -p mekhanikube-testenv --bin testenv-load -- \
  "$dir" "$repo/examples/demo-cluster.yaml"
timed "dockerd up" "$testenv/docker-up.sh" "$dir" || skip_or_fail "dockerd did not start here (see $dir/dockerd.log)"
set -a
# shellcheck source=/dev/null # written by docker-up.sh
source "$dir/docker.env"
set +a

# The CLI finds `docker compose` and `docker buildx` in DOCKER_CONFIG/cli-plugins.
export DOCKER_CONFIG="$dir/docker-config"
mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -sfn "$(compose_dir)/cli-plugins/docker-compose" "$DOCKER_CONFIG/cli-plugins/docker-compose"
ln -sfn "$(buildx_dir)/cli-plugins/docker-buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"

timed "base images" "$testenv/docker-images.sh" "$dir"
# shellcheck source=/dev/null # written by docker-images.sh
source "$dir/images.env"

# The reader's kubeconfig (token and CA embedded, server https://127.0.0.1:PORT), readable by the image's user
# only, as docs/docker.md tells users to do.
kubeconfig="$dir/compose.kubeconfig"
install -m 0400 -o 65532 -g 65532 "$dir/reader.kubeconfig" "$kubeconfig"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

export COMPOSE_FILE="docker-compose.yml:tests/compose/docker-compose.test.yml"
export COMPOSE_PROJECT_NAME="$project"
export MEKHANIKUBE_KUBECONFIG="$kubeconfig"
export MEKHANIKUBE_MODEL=smollm2-135m
export OLLAMA_IMAGE
export MEKHANIKUBE_TEST_OLLAMA_PORT="$port"
export MEKHANIKUBE_TEST_RUST_IMAGE="$RUST_IMAGE"
export MEKHANIKUBE_TEST_RUNTIME_IMAGE="$RUNTIME_IMAGE"
export OLLAMA_NO_CLOUD=1
cd "$repo"
# A previous run killed half-way may have left the project's containers and volumes: start from nothing.
docker compose down --volumes --remove-orphans >/dev/null 2>&1 || true

build_start=$SECONDS
compose_build() { docker compose build --progress plain mekhanikube >"$dir/build.log" 2>&1; }
timed "docker compose build mekhanikube" compose_build \
  || { tail -n 60 "$dir/build.log" >&2; fail "docker compose build failed (log: $dir/build.log)"; }
build_secs=$((SECONDS - build_start))

# While `make run` runs, record how its mekhanikube container runs: inspect and the process's status from /proc
# (the image has no shell to ask from inside).
watch_container() {
  local id=""
  for _ in $(seq 3000); do
    id="$(docker ps -q --filter "label=com.docker.compose.project=$project" \
      --filter "label=com.docker.compose.service=mekhanikube" | head -1)"
    [[ -n $id ]] && break
    sleep 0.1
  done
  [[ -n $id ]] || return 0
  docker inspect "$id" >"$dir/run-inspect.json" 2>/dev/null || return 0
  local pid; pid="$(docker inspect -f '{{.State.Pid}}' "$id" 2>/dev/null)" || return 0
  cat "/proc/$pid/status" >"$dir/run-proc-status.txt" 2>/dev/null || true
}
rm -f "$dir/run-inspect.json" "$dir/run-proc-status.txt"
watch_container &
watcher=$!

log "make run"
run_start=$SECONDS
rc=0
make --no-print-directory run >"$dir/make-run.log" 2>&1 || rc=$?
run_secs=$((SECONDS - run_start))
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
watcher=""
cat "$dir/make-run.log"
# analyze exits 1 when it finds problems at or above --fail-on (high): the demo cluster has such problems, and
# make reports the recipe's status 1 as `Error 1`. Anything else is a failure.
if [[ $rc != 0 ]] && ! grep -q '\] Error 1$' "$dir/make-run.log"; then fail "make run exited $rc"; fi

log "make report"
make --no-print-directory report >"$dir/make-report.log" 2>&1 || { cat "$dir/make-report.log"; fail "make report failed"; }
cat "$dir/make-report.log"

# The image, as built: its file list (no shell anywhere), its size and its configuration.
image=mekhanikube:local
docker image inspect "$image" >"$dir/image-inspect.json"
cid="$(docker create "$image")"
docker export "$cid" | tar -t >"$dir/image-files.txt"
docker rm "$cid" >/dev/null
image_bytes="$(docker image inspect -f '{{.Size}}' "$image")"
shell_rc=0
docker run --rm --network none --entrypoint /bin/sh "$image" -c true >"$dir/shell.log" 2>&1 || shell_rc=$?

reports="$(docker volume inspect -f '{{.Mountpoint}}' "${project}_reports")"
ls -la "$reports" >"$dir/reports-ls.txt"
rm -rf "$dir/reports"
cp -r "$reports" "$dir/reports"

python3 "$here/check.py" "$dir" "$shell_rc"
# Each build leaves the previous mekhanikube:local untagged; the build cache (cargo's registry and target) stays.
docker image prune -f >/dev/null
log "test-compose passed in $((SECONDS - start)) s (image build $build_secs s, make run $run_secs s," \
  "image $((image_bytes / 1000000)) MB)"
