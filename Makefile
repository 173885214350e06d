# Every install step lives in the repo's own scripts; the first run of `make demo` or `make test` builds the
# test bed (kube-apiserver, etcd, Ollama) from package registries and caches it in ~/.cache/mekhanikube-testenv.
SHELL := bash
CARGO ?= cargo
TESTENV := tests/testenv
DEMO_DIR := .testenv/demo
TEST_DIR := .testenv/test
BIN := target/debug/mekhanikube
LIVE_FEATURES := mekhanikube/live,mekhanikube-testenv/live

.PHONY: all build test lint unit demo demo-down bench run report clean-testenv

all: build

build:
	$(CARGO) build --locked

## The full suite: format, lints, unit and fixture tests, and the live tests against the real test bed.
test: lint
	MEKHANIKUBE_TESTENV_DIR=$(TEST_DIR) $(TESTENV)/with-testenv.sh $(CARGO) test --locked --workspace --features $(LIVE_FEATURES)
	$(TESTENV)/check-audit.sh $(TEST_DIR)

lint:
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

demo-down:
	$(TESTENV)/down.sh $(DEMO_DIR)
	$(TESTENV)/ollama-down.sh $(DEMO_DIR)

bench:
	$(CARGO) bench --locked -p mekhanikube-analyzers

run:
	docker compose run --rm mekhanikube analyze --explain

report:
	docker compose run --rm mekhanikube report --out /reports

clean-testenv:
	-$(TESTENV)/down.sh $(DEMO_DIR)
	-$(TESTENV)/down.sh $(TEST_DIR)
	rm -rf .testenv
