#!/usr/bin/env bash
# Installs the tools that the hardening targets of the Makefile need, pinned, and only what is missing or at
# another version: cargo subcommands into ~/.cargo/bin (built from crates.io, a few minutes each the first time),
# ShellCheck from Debian's packages. Usage: scripts/install-tools.sh [fuzz] [deny] [sbom] [shellcheck]
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2
CARGO_DENY_VERSION=0.20.2
CARGO_CYCLONEDX_VERSION=0.5.9

# cargo_tool CRATE VERSION: installs CRATE at VERSION unless `cargo <subcommand> --version` already names it.
cargo_tool() {
    local crate=$1 version=$2 subcommand=${1#cargo-}
    if cargo "$subcommand" --version 2>/dev/null | grep -qF " $version"; then
        return 0
    fi
    echo "install-tools: building $crate $version (one time)" >&2
    cargo install --locked --quiet "$crate@$version"
}

shellcheck_tool() {
    if command -v shellcheck >/dev/null; then
        return 0
    fi
    echo "install-tools: installing shellcheck from Debian's packages (one time)" >&2
    if [[ $(id -u) -ne 0 ]]; then
        echo "install-tools: shellcheck is missing and installing it needs root: apt-get install shellcheck" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
}

[[ $# -gt 0 ]] || set -- fuzz deny sbom shellcheck
for tool in "$@"; do
    case $tool in
        fuzz) cargo_tool cargo-fuzz "$CARGO_FUZZ_VERSION" ;;
        deny) cargo_tool cargo-deny "$CARGO_DENY_VERSION" ;;
        sbom) cargo_tool cargo-cyclonedx "$CARGO_CYCLONEDX_VERSION" ;;
        shellcheck) shellcheck_tool ;;
        *) echo "install-tools: unknown tool $tool (fuzz, deny, sbom, shellcheck)" >&2; exit 2 ;;
    esac
done
