#!/usr/bin/env bash
# A CycloneDX 1.5 SBOM (JSON) of what goes into the mekhanikube binary: every crate it links, build dependencies
# included (the bundled SQLite is compiled by one), dev-dependencies not. Written to target/sbom/ as
# mekhanikube.cdx.json, dated by the last commit so that the same commit gives the same file.
# Usage: scripts/sbom.sh [TARGET-TRIPLE]     (default: this machine's)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh sbom

triple=${1:-$(rustc -vV | sed -n 's/^host: //p')}
out=target/sbom
mkdir -p "$out"
# cargo-cyclonedx writes one file per binary next to each package's Cargo.toml; collect ours, drop the others.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s) \
    cargo cyclonedx --manifest-path Cargo.toml --format json --spec-version 1.5 --describe binaries \
    --target "$triple" -q
mv mekhanikube_bin.cdx.json "$out/mekhanikube.cdx.json"
rm -f tests/testenv/loader/*_bin.cdx.json analyzers/*.cdx.json

grep -q '"bomFormat": *"CycloneDX"' "$out/mekhanikube.cdx.json"
echo "sbom: $out/mekhanikube.cdx.json ($triple, $(grep -c '"purl"' "$out/mekhanikube.cdx.json") components)"
