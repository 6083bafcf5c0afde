#!/usr/bin/env bash
# Installs Checkov from PyPI into a virtual environment under /var/cache/parapet, for the
# differential tests that run Checkov and parapet on the same fixtures (policies that name a
# Checkov id under `equivalents.checkov`). Idempotent: a stamp records the installed version.
set -euo pipefail

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
VENV="$CACHE/checkov-venv"
STAMP="$CACHE/checkov.stamp"
mkdir -p "$CACHE/bin"

log() { echo "setup-checkov: $*"; }

if [ -x "$VENV/bin/checkov" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$CHECKOV_VERSION" ]; then
  log "checkov $CHECKOV_VERSION already installed in $VENV"
else
  PYTHON="$(command -v python3 || true)"
  if [ -z "$PYTHON" ] || ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
    log "installing Debian's python3-venv"
    apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends python3 python3-venv >/dev/null
    PYTHON="$(command -v python3)"
  fi
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  echo "$CHECKOV_VERSION" >"$STAMP"
fi
ln -sf "$VENV/bin/checkov" "$CACHE/bin/checkov"
log "$("$CACHE/bin/checkov" --version 2>/dev/null | tail -1) at $CACHE/bin/checkov"
