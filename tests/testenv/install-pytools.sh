#!/usr/bin/env bash
# Builds the Python tools that check output formats with their real consumers (a JUnit parser, the Prometheus
# text parser, the MCP client SDK), pinned, in a virtual environment cached beside the test bed. Prints the
# environment's python on success. Only PyPI is needed.
set -euo pipefail
cache="${MEKHANIKUBE_TESTENV_CACHE:-$HOME/.cache/mekhanikube-testenv}"
venv="$cache/pytools-1"
pins=(junitparser==5.0.3 prometheus-client==0.26.0 mcp==2.3.0)
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import junitparser, prometheus_client, mcp.client.stdio' 2>/dev/null; then
  mkdir -p "$cache"
  rm -rf "$venv.tmp"
  python3 -m venv "$venv.tmp" >&2
  "$venv.tmp/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
  rm -rf "$venv"
  mv "$venv.tmp" "$venv"
fi
echo "$venv/bin/python"
