#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for SECONDS, with bounded memory and a per-input timeout.
# Usage: scripts/fuzz.sh SECONDS [TARGET...]     (all targets when none is named)
# The corpus grows in fuzz/corpus/TARGET (not committed); fuzz/seeds/TARGET and, for the snapshot loader, the
# analyzer fixtures seed it. A crash leaves its input in fuzz/artifacts/TARGET and fails the run. Logs:
# fuzz/logs/TARGET.log. The build is kept outside the work tree, in $MEKHANIKUBE_FUZZ_TARGET_DIR (default
# ~/.cache/mekhanikube-fuzz/target), so that a fresh clone (CI) reuses the compiled dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 && $1 =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2; exit 2; }
seconds=$1; shift
scripts/install-tools.sh fuzz

# cargo fuzz passes -Z flags (sanitizer, coverage passes) to rustc; the stable toolchain takes them with this.
export RUSTC_BOOTSTRAP=1

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi

target_dir=${MEKHANIKUBE_FUZZ_TARGET_DIR:-$HOME/.cache/mekhanikube-fuzz/target}
start=$(date +%s)
cargo fuzz build --target-dir "$target_dir"
echo "fuzz: targets built in $(($(date +%s) - start)) s" >&2

mkdir -p fuzz/logs
for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target
    mkdir -p "$corpus"
    seeds=()
    [[ -d fuzz/seeds/$target ]] && seeds+=("fuzz/seeds/$target")
    [[ $target == snapshot ]] && seeds+=(analyzers/tests/fixtures)
    log=fuzz/logs/$target.log
    if ! cargo fuzz run --target-dir "$target_dir" "$target" "$corpus" "${seeds[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz: $target FAILED; the input is in fuzz/artifacts/$target, the log in $log" >&2
        exit 1
    fi
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    echo "fuzz: $target ok: $runs runs in ${seconds} s, corpus $(find "$corpus" -type f | wc -l) inputs" >&2
done
