#!/usr/bin/env bash
# Starts the cached `ollama serve` on 127.0.0.1 (free port), logs and HOME in DIR, imports SmolLM2-135M once into
# the shared model store, and writes DIR/ollama.env. Idempotent: exits at once when DIR's server already answers.
# Usage: ollama-up.sh DIR
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v go >/dev/null 2>&1 || go() { :; }
source "$here/lib.sh"
set -o pipefail

[[ $# -eq 1 && -n "$1" ]] || die "usage: ollama-up.sh DIR"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"
ollama="$(ollama_dir)/bin/ollama"
gguf="$(model_dir)/model.gguf"
[[ -x "$ollama" ]] || die "$ollama is missing: build it first with tests/testenv/build.sh ollama"
[[ -s "$gguf" ]] || die "$gguf is missing: fetch it first with tests/testenv/build.sh model"
model=smollm2-135m
# Shared across runs and DIRs: the import (a 98 MB copy) is done once per cache.
models="$TESTENV_CACHE/ollama-models"
mkdir -p "$models" "$dir/ollama-home"

exec 9>"$dir/.ollama-up.lock"
flock 9

version() { curl -s --max-time 2 "http://127.0.0.1:$1/api/version" 2>/dev/null; }

if [[ -s "$dir/ollama.env" ]]; then
  port="$(sed -n 's/^OLLAMA_PORT=//p' "$dir/ollama.env")"
  if [[ -n "$port" ]] && version "$port" | grep -q '"version"'; then
    log "ollama already up at http://127.0.0.1:$port ($dir)"
    exit 0
  fi
  log "stale $dir/ollama.env: stopping leftovers and starting afresh"
fi
"$here/ollama-down.sh" "$dir" >/dev/null 2>&1 || true

ok=0
trap '[[ $ok == 1 ]] || "$here/ollama-down.sh" "$dir" >/dev/null 2>&1 || true' EXIT
started=$SECONDS
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export OLLAMA_HOST="127.0.0.1:$port"

running() { [[ -r /proc/$1/stat ]] && [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]]; }
# OLLAMA_NO_CLOUD stops the server from polling the internet; HOME holds the key it generates on first start.
# Own session, so it outlives this script; the wrapper writes its PID and becomes the server.
printf '\n==== ollama start %s\n' "$(date -Is)" >>"$dir/ollama.log"
rm -f "$dir/ollama.pid"
# shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's: it writes its own pid, then becomes Ollama.
OLLAMA_MODELS="$models" HOME="$dir/ollama-home" OLLAMA_NO_CLOUD=1 OLLAMA_KEEP_ALIVE=30m \
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/ollama.pid" "$ollama" serve \
  >>"$dir/ollama.log" 2>&1 </dev/null 9>&- &
for _ in $(seq 50); do [[ -s "$dir/ollama.pid" ]] && break; sleep 0.1; done
pid="$(cat "$dir/ollama.pid" 2>/dev/null)" || die "ollama did not start"
for _ in $(seq 300); do
  version "$port" | grep -q '"version"' && break
  running "$pid" || { log "ollama exited; last lines of $dir/ollama.log:"; tail -n 40 "$dir/ollama.log" >&2; exit 1; }
  sleep 0.2
done
version "$port" | grep -q '"version"' \
  || { log "ollama not answering after 60 s; last lines of $dir/ollama.log:"; tail -n 40 "$dir/ollama.log" >&2; exit 1; }
log "ollama $(version "$port") on http://127.0.0.1:$port in $((SECONDS - started)) s"

# Import under a lock on the shared store, so parallel first runs do not import twice.
has_model() { local l; l="$("$ollama" list 2>/dev/null)" && [[ $'\n'"$l" == *$'\n'"$model:latest "* ]]; }
if ! has_model; then
  exec 8>"$models/.import.lock"
  flock 8
  if ! has_model; then
    import_start=$SECONDS
    cat >"$dir/Modelfile" <<EOF
FROM $gguf
TEMPLATE """{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""
PARAMETER stop "<|im_end|>"
PARAMETER temperature 0
PARAMETER seed 42
EOF
    "$ollama" create "$model" -f "$dir/Modelfile" >"$dir/ollama-create.log" 2>&1 \
      || { log "ollama create failed:"; tail -n 20 "$dir/ollama-create.log" >&2; exit 1; }
    log "imported $model in $((SECONDS - import_start)) s"
  fi
  flock -u 8
fi

# A tiny chat proves the model loads and answers (the first one also pays the model load).
chat_start="$(date +%s.%N)"
reply="$(curl -s --max-time 120 "http://127.0.0.1:$port/api/chat" -d '{"model":"'"$model"'","stream":false,
  "messages":[{"role":"user","content":"Say hello."}],"options":{"num_predict":8}}')" \
  || die "chat request to ollama failed"
grep -q '"done":true' <<<"$reply" || die "unexpected chat reply from ollama: $reply"
log "$model answered a tiny chat in $(python3 -c "import time; print(f'{time.time() - $chat_start:.2f}')") s"

cat >"$dir/ollama.env.tmp" <<EOF
OLLAMA_URL=http://127.0.0.1:$port
OLLAMA_PORT=$port
OLLAMA_PID=$pid
OLLAMA_MODEL=$model
OLLAMA_LOG=$dir/ollama.log
EOF
mv "$dir/ollama.env.tmp" "$dir/ollama.env"
ok=1
log "ollama up in $((SECONDS - started)) s: OLLAMA_HOST=127.0.0.1:$port"
