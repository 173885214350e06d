# Every install step lives in the repo's own scripts; the first run of `make demo` or `make test` builds the
# test bed (kube-apiserver, etcd, Ollama) from package registries and caches it in ~/.cache/mekhanikube-testenv.
SHELL := bash
CARGO ?= cargo
TESTENV := tests/testenv
DEMO_DIR := .testenv/demo
TEST_DIR := .testenv/test
BIN := target/debug/mekhanikube
LIVE_FEATURES := mekhanikube/live,mekhanikube-testenv/live

.PHONY: all build test lint unit demo demo-down bench bench-live run report test-compose clean-testenv man install eval-explain

all: build

build:
	$(CARGO) build --locked

## The full suite: format, lints, unit and fixture tests, and the live tests against the real test bed.
test: lint fuzz-smoke
	MEKHANIKUBE_TESTENV_DIR=$(TEST_DIR) $(TESTENV)/with-testenv.sh $(CARGO) test --locked --workspace --features $(LIVE_FEATURES)
	$(TESTENV)/check-audit.sh $(TEST_DIR)
	$(MAKE) --no-print-directory test-compose

lint: shellcheck deny
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) clippy --locked --workspace --all-targets --features $(LIVE_FEATURES) -- -D warnings

## Tests that need no test bed (fixtures, mock HTTP, CLI on snapshots): what a plain `cargo test` runs.
unit:
	$(CARGO) test --locked --workspace

## Builds what is missing (the first run takes 20-35 minutes on 2 cores), starts a local API server and Ollama,
## loads a small broken shop, and analyzes it live with explanations.
demo: build
	$(TESTENV)/demo.sh $(DEMO_DIR)

## Explanation quality over tests/eval/ (docs/prompts.md): `make eval-explain MODEL=qwen2.5:1.5b
## OLLAMA_URL=http://127.0.0.1:11434`; without OLLAMA_URL, against the test bed's SmolLM2 (plumbing, not quality).
## The table is printed and written to target/eval-explain.md.
EVAL_TEST := $(CARGO) test --locked --features $(LIVE_FEATURES) --test it eval_explain -- --nocapture
eval-explain:
ifeq ($(OLLAMA_URL),)
	MEKHANIKUBE_TESTENV_DIR=$(TEST_DIR) $(TESTENV)/with-testenv.sh $(EVAL_TEST)
else
	MEKHANIKUBE_EVAL_MODEL=$(or $(MODEL),qwen2.5:1.5b) MEKHANIKUBE_EVAL_OLLAMA_URL=$(OLLAMA_URL) $(EVAL_TEST)
endif

demo-down:
	$(TESTENV)/down.sh $(DEMO_DIR)
	$(TESTENV)/ollama-down.sh $(DEMO_DIR)

bench:
	$(CARGO) bench --locked -p mekhanikube-analyzers

## The live benchmark: for each size a fresh test bed with a synthetic cluster; mekhanikube (release) against one
## `kubectl get` of the same kinds, medians of BENCH_RUNS interleaved runs, requests from the audit log, and the
## snapshot round trip in YAML and JSON. 30k pods take about 10 minutes on 2 cores, mostly loading.
BENCH_SIZES ?= 1000 10000 30000
BENCH_RUNS ?= 5
bench-live:
	$(CARGO) build --locked --release --bin mekhanikube
	$(CARGO) build --locked -p mekhanikube-testenv --bin testenv-bench
	target/debug/testenv-bench --offline 100000 $(BENCH_RUNS) target/release/mekhanikube
	for n in $(BENCH_SIZES); do \
		MEKHANIKUBE_TESTENV_DIR=.testenv/bench-$$n $(TESTENV)/with-testenv.sh \
			target/debug/testenv-bench $$n $(BENCH_RUNS) target/release/mekhanikube || exit 1; \
	done

## `make run` and `make report` in containers against the test bed, with a Docker engine of its own (root only;
## one line and a skip where it cannot start one). Cold about 45 minutes on 2 busy cores, most of it the release
## build; with the caches warm about 6 minutes in a fresh clone (docs/docker.md).
test-compose:
	tests/compose/test.sh .testenv/compose

run:
	docker compose run --rm mekhanikube analyze --explain

report:
	docker compose run --rm mekhanikube report --out /reports

## Man pages from the clap definitions, one per subcommand, into target/man.
man: build
	$(BIN) man target/man

## Installs the binary, `kubectl-mekhanikube` (so `kubectl mekhanikube analyze` works), the man pages and the
## bash, zsh and fish completions under PREFIX (default /usr/local; DESTDIR for packaging).
PREFIX ?= /usr/local
install: man
	$(CARGO) install --locked --path . --root "$(DESTDIR)$(PREFIX)" --force
	ln -sf mekhanikube "$(DESTDIR)$(PREFIX)/bin/kubectl-mekhanikube"
	install -d "$(DESTDIR)$(PREFIX)/share/man/man1"
	install -m 0644 target/man/*.1 "$(DESTDIR)$(PREFIX)/share/man/man1/"
	install -d "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"
	$(BIN) completions bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/mekhanikube"
	$(BIN) completions zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_mekhanikube"
	$(BIN) completions fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/mekhanikube.fish"

clean-testenv:
	-$(TESTENV)/down.sh $(DEMO_DIR)
	-$(TESTENV)/down.sh $(TEST_DIR)
	rm -rf .testenv

## Hardening (docs/testing.md): license, ban and source checks, ShellCheck, fuzzing, SBOM. Tools are installed
## pinned by scripts/install-tools.sh, once. `lint` runs shellcheck and deny; `test` runs fuzz-smoke.
.PHONY: shellcheck deny deny-advisories fuzz-smoke fuzz-long sbom

FUZZ_SMOKE_SECONDS ?= 20
FUZZ_LONG_SECONDS ?= 600

shellcheck:
	scripts/shellcheck.sh

deny:
	scripts/install-tools.sh deny
	$(CARGO) deny --locked check licenses bans sources

## Needs the RustSec advisory database, a git repository on GitHub: not reachable from this project's machines.
deny-advisories:
	scripts/install-tools.sh deny
	$(CARGO) deny --locked check advisories

## Each fuzz target for FUZZ_SMOKE_SECONDS (after building them all).
fuzz-smoke:
	scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

## Each fuzz target for FUZZ_LONG_SECONDS (10 minutes each): about 50 minutes for the five.
fuzz-long:
	scripts/fuzz.sh $(FUZZ_LONG_SECONDS)

## A CycloneDX SBOM of the mekhanikube binary's dependencies: target/sbom/mekhanikube.cdx.json.
sbom:
	scripts/sbom.sh
