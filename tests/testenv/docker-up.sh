#!/usr/bin/env bash
# Starts a Docker engine of its own for the compose test: Debian's dockerd (installed if missing), as root, with
# its socket and run state in a short folder under /tmp, its images and build cache in the test-bed cache (so they
# survive between runs), and writes DIR/docker.env (DOCKER_HOST, DOCKERD_PID). Idempotent: exits at once when DIR's engine answers.
# Only one engine may use the data root at a time: a second one waits for the lock (at most 10 minutes).
# The default bridge (docker0, with its NAT rules) is kept: `docker compose build` runs the Dockerfile's RUN steps
# on it, and cargo needs crates.io there. Compose cannot build on the host's network (buildx bake asks for the
# network.host entitlement, which compose does not pass).
# Usage: docker-up.sh DIR
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v go >/dev/null 2>&1 || go() { :; }
source "$here/lib.sh"
set -o pipefail

[[ $# -eq 1 && -n "$1" ]] || die "usage: docker-up.sh DIR"
[[ $(id -u) -eq 0 ]] || die "dockerd needs root"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
dockerd=/usr/sbin/dockerd
[[ -x $dockerd ]] || die "$dockerd is missing: install it with tests/testenv/build.sh docker"
data="$(docker_data_dir)"
mkdir -p "$data"

exec 9>"$dir/.docker-up.lock"
flock 9

answers() { DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if [[ -s "$dir/docker.env" ]]; then
  host="$(sed -n 's/^DOCKER_HOST=//p' "$dir/docker.env")"
  if [[ -n "$host" ]] && answers "$host"; then log "dockerd already up at $host ($dir)"; exit 0; fi
  log "stale $dir/docker.env: stopping leftovers and starting afresh"
fi
"$here/docker-down.sh" "$dir" >/dev/null 2>&1 || true

ok=0
trap '[[ $ok == 1 ]] || "$here/docker-down.sh" "$dir" >/dev/null 2>&1 || true' EXIT
started=$SECONDS
# containerd's sockets live under the exec root: a unix socket path has at most 107 bytes, so keep it short.
run="$(mktemp -d /tmp/mk-docker.XXXXXX)"
echo "$run" >"$dir/docker.run"
host="unix://$run/docker.sock"

printf '\n==== dockerd start %s\n' "$(date -Is)" >>"$dir/dockerd.log"
rm -f "$dir/dockerd.pid"
# The wrapper takes the data root's lock on fd 7 (dockerd inherits it, so it is held as long as dockerd lives),
# writes its PID and becomes dockerd, in its own session so that it outlives this script.
# shellcheck disable=SC2016 # $$, $0, $1 and $@ are the inner shell's.
setsid bash -c 'exec 7>"$1/.lock"; flock -w 600 7 || exit 75; echo $$ >"$0"; shift; exec "$@"' \
  "$dir/dockerd.pid" "$data" "$dockerd" --data-root "$data" --exec-root "$run/exec" -H "$host" \
  --pidfile "$run/docker.pid" --log-level warn \
  >>"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
for _ in $(seq 6000); do [[ -s "$dir/dockerd.pid" ]] && break; sleep 0.1; done
pid="$(cat "$dir/dockerd.pid" 2>/dev/null)" || die "dockerd did not start (another engine holds $data/.lock?)"
running() { [[ -r /proc/$1/stat ]] && [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]]; }
for _ in $(seq 300); do
  answers "$host" && break
  running "$pid" || { log "dockerd exited; last lines of $dir/dockerd.log:"; tail -n 40 "$dir/dockerd.log" >&2; exit 1; }
  sleep 0.2
done
answers "$host" || { log "dockerd not answering after 60 s:"; tail -n 40 "$dir/dockerd.log" >&2; exit 1; }

cat >"$dir/docker.env.tmp" <<EOF
DOCKER_HOST=$host
DOCKERD_PID=$pid
EOF
mv "$dir/docker.env.tmp" "$dir/docker.env"
ok=1
log "dockerd $(DOCKER_HOST="$host" docker version --format '{{.Server.Version}}') at $host (data $data) in $((SECONDS - started)) s"
