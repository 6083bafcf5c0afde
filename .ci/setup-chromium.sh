#!/usr/bin/env bash
# Debian's chromium, for the HTML report test (test/reporters/html.browser.test.ts drives it through
# playwright-core). Idempotent: returns at once when chromium is already installed. The .deb files
# are kept under /var/cache/parapet/apt so that a reinstall on the same machine does not download
# them again. `.ci/run` runs `apt-get update` before the setup scripts.
set -euo pipefail

if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then
  echo "setup-chromium: $(/usr/bin/chromium --version) already installed"
  exit 0
fi

cache=/var/cache/parapet/apt
mkdir -p "$cache/partial"
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache policy chromium | grep 'Candidate: [0-9]' >/dev/null; then
  apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends -o "Dir::Cache::Archives=$cache" \
  chromium fonts-dejavu-core >/dev/null
echo "setup-chromium: $(/usr/bin/chromium --version) installed"
