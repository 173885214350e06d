#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the HTML report test, when it is missing. Needs root (CI and
# the dev machines run as root); prints the browser's path on success.
set -eu
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  if [[ -x "$candidate" ]]; then
    echo "$candidate"
    exit 0
  fi
done
if [[ "$(id -u)" != 0 ]]; then
  echo "install-chromium.sh: chromium is missing and this is not root; run: sudo apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; a failing update still lets a cached list install.
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
echo /usr/bin/chromium
