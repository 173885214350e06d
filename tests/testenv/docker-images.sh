#!/usr/bin/env bash
# Builds the base images the compose test needs, without a registry, into the engine at $DOCKER_HOST, and writes
# DIR/images.env with their names (RUST_IMAGE, RUNTIME_IMAGE, OLLAMA_IMAGE):
#   rust     Debian bookworm (debootstrap, minbase + gcc, libc6-dev, ca-certificates) with the host's Rust toolchain
#            in /usr/local/rust (rustup's servers are not reachable from a container): the Dockerfile's builder.
#   runtime  only the files of libc6, libgcc-s1 and ca-certificates from that root, a passwd/group naming uid and
#            gid 65532 "nonroot", /tmp and /home/nonroot; no shell, no package manager: in place of distroless/cc.
#   ollama   the bookworm root with the test bed's Ollama binary and the SmolLM2-135M model pre-loaded in
#            /root/.ollama/models (a fresh named volume mounted there starts with it): in place of ollama/ollama.
# Every tag carries a hash of what went into it; an image the engine already has is not rebuilt. The debootstrap
# root is cached as tar files under the test-bed cache, keyed by suite, variant, packages and mirror.
# Usage: DOCKER_HOST=... docker-images.sh DIR
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v go >/dev/null 2>&1 || go() { :; }
source "$here/lib.sh"
set -o pipefail

[[ $# -eq 1 && -n "$1" ]] || die "usage: docker-images.sh DIR"
[[ -n "${DOCKER_HOST:-}" ]] || die "DOCKER_HOST is not set (source DIR/docker.env from docker-up.sh)"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"

suite=bookworm
packages=gcc,libc6-dev,ca-certificates
# The mirror this machine's apt uses, so that debootstrap reaches what apt reaches.
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
key() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }
root_key="$(key "$suite" minbase "$packages" "$mirror" rootfs-v1)"
rootfs_dir="$TESTENV_CACHE/rootfs"
rootfs_tar="$rootfs_dir/$suite-minbase-$root_key.tar"
runtime_tar="$rootfs_dir/runtime-$root_key.tar"
mkdir -p "$rootfs_dir"

build_rootfs() {
  [[ -s $rootfs_tar && -s $runtime_tar ]] && { log "rootfs $suite ($root_key): cached"; return; }
  command -v debootstrap >/dev/null || die "debootstrap is missing: tests/testenv/build.sh docker installs it"
  local work="$rootfs_dir/work-$root_key"
  rm -rf "$work"
  debootstrap --variant=minbase --include="$packages" "$suite" "$work" "$mirror" >"$dir/debootstrap.log" 2>&1 \
    || { log "debootstrap failed; last lines of $dir/debootstrap.log:"; tail -n 30 "$dir/debootstrap.log" >&2; exit 1; }
  rm -rf "${work:?}"/var/cache/apt/archives/*.deb "${work:?}"/var/lib/apt/lists/* "${work:?}"/dev/*
  tar -C "$work" --numeric-owner -cf "$rootfs_tar.part" .
  python3 "$here/runtime-rootfs.py" "$work" "$runtime_tar.part" libc6 libgcc-s1 ca-certificates
  mv "$rootfs_tar.part" "$rootfs_tar"
  mv "$runtime_tar.part" "$runtime_tar"
  rm -rf "$work"
  log "rootfs: $(du -h "$rootfs_tar" | cut -f1) $rootfs_tar; runtime: $(du -h "$runtime_tar" | cut -f1)"
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
# Builds TAG from a context streamed as a tar: the Dockerfile read from stdin, and the files named in TAR-ARGS
# (tar's -C DIR NAME... arguments). The classic builder suffices: FROM, COPY, ENV.
build_from() { # TAG TAR-ARGS...
  local tag="$1"; shift
  local ctx; ctx="$(mktemp -d)"
  cat >"$ctx/Dockerfile"
  tar -cf - --owner=0 --group=0 -C "$ctx" Dockerfile "$@" \
    | DOCKER_BUILDKIT=0 docker build -q -t "$tag" - >/dev/null 2>"$dir/image-build.log" \
    || { rm -rf "$ctx"; cat "$dir/image-build.log" >&2; die "building $tag failed"; }
  rm -rf "$ctx"
  log "built $tag"
}

# The debootstrap root as it is: the base of the Rust and Ollama images.
base_image() {
  local tag="mekhanikube-test/bookworm:$root_key"
  if ! have_image "$tag"; then
    docker import "$rootfs_tar" "$tag" >/dev/null || die "docker import $rootfs_tar failed"
    log "built $tag"
  fi
  echo "$tag"
}

# The Rust image: the toolchain rustc runs from (its sysroot, without the docs) in /usr/local/rust, and the CA
# certificates this host added to its trust store (/usr/local/share/ca-certificates: where egress goes through a
# TLS-inspecting proxy, cargo in the build stage must trust the same CA as cargo here).
rust_image() {
  local sysroot version tag cas
  sysroot="$(rustc --print sysroot)"
  version="$(rustc -V | awk '{print $2}')"
  cas="$(mktemp -d)"
  mkdir -p "$cas/local-ca"
  find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$cas/local-ca/" \; 2>/dev/null || true
  tag="mekhanikube-test/rust:$version-$(key "$root_key" "$(rustc -vV)" "$(cargo -V)" \
    "$(cat "$cas"/local-ca/*.crt 2>/dev/null | sha256sum)")"
  have_image "$tag" || build_from "$tag" -C "$sysroot" bin lib libexec -C "$cas" local-ca <<EOF
FROM $base
COPY bin /usr/local/rust/bin/
COPY lib /usr/local/rust/lib/
COPY libexec /usr/local/rust/libexec/
COPY local-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV CARGO_HOME=/usr/local/cargo
ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
  rm -rf "$cas"
  echo "$tag"
}

runtime_image() {
  local tag="mekhanikube-test/runtime:$root_key"
  if ! have_image "$tag"; then
    docker import --change 'USER 65532:65532' --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      "$runtime_tar" "$tag" >/dev/null || die "docker import $runtime_tar failed"
    log "built $tag"
  fi
  echo "$tag"
}

# The model as `ollama create` stored it in the test bed's store: its manifest and the blobs it names.
ollama_image() {
  local ollama models manifest blobs tag
  ollama="$(ollama_dir)/bin/ollama"
  models="$TESTENV_CACHE/ollama-models"
  manifest="manifests/registry.ollama.ai/library/smollm2-135m/latest"
  [[ -x $ollama ]] || die "$ollama is missing: tests/testenv/build.sh ollama"
  [[ -s $models/$manifest ]] || die "$models/$manifest is missing: tests/testenv/ollama-up.sh imports it"
  blobs="$(python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
for d in [m["config"]] + m["layers"]: print("blobs/" + d["digest"].replace(":", "-"))' "$models/$manifest")"
  tag="mekhanikube-test/ollama:$OLLAMA_VERSION-$(key "$root_key" "$(sha256sum "$ollama")" "$(sha256sum "$models/$manifest")")"
  # shellcheck disable=SC2086 # one blob path per word
  have_image "$tag" || build_from "$tag" -C "$(dirname "$ollama")" ollama -C "$models" "$manifest" $blobs <<EOF
FROM $base
COPY ollama /usr/bin/ollama
COPY manifests /root/.ollama/models/manifests
COPY blobs /root/.ollama/models/blobs
ENV OLLAMA_HOST=0.0.0.0:11434 OLLAMA_NO_CLOUD=1
ENTRYPOINT ["/usr/bin/ollama"]
CMD ["serve"]
EOF
  echo "$tag"
}

timed "rootfs" build_rootfs
base="$(base_image)"
rust="$(rust_image)"
runtime="$(runtime_image)"
ollama="$(ollama_image)"
cat >"$dir/images.env" <<EOF
RUST_IMAGE=$rust
RUNTIME_IMAGE=$runtime
OLLAMA_IMAGE=$ollama
EOF
# Older tags of these images (another toolchain, root or model) would only fill the data root.
docker images --format '{{.Repository}}:{{.Tag}}' | grep '^mekhanikube-test/' \
  | grep -vxF -e "$base" -e "$rust" -e "$runtime" -e "$ollama" | xargs -r docker rmi >/dev/null 2>&1 || true
log "images: $rust $runtime $ollama"
