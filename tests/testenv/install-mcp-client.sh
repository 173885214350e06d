#!/usr/bin/env bash
# Builds the MCP client the tests drive `mekhanikube mcp` with (the Python `mcp` SDK, pinned), in a virtual
# environment cached beside the test bed. Prints the environment's python on success. Only PyPI is needed.
set -euo pipefail
cache="${MEKHANIKUBE_TESTENV_CACHE:-$HOME/.cache/mekhanikube-testenv}"
venv="$cache/mcp-client-1"
pins=(mcp==2.3.0)
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import mcp.client.stdio' 2>/dev/null; then
  mkdir -p "$cache"
  rm -rf "$venv.tmp"
  python3 -m venv "$venv.tmp" >&2
  "$venv.tmp/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
  rm -rf "$venv"
  mv "$venv.tmp" "$venv"
fi
echo "$venv/bin/python"
