#!/usr/bin/env bash
# Installs pre-commit from PyPI into a virtual environment under /var/cache/parapet, for the test
# that runs the repository's hook (.pre-commit-hooks.yaml) with `pre-commit try-repo`
# (test/packaging/pre-commit.test.ts). Idempotent: a stamp records the installed version.
set -euo pipefail

PRE_COMMIT_VERSION="${PRE_COMMIT_VERSION:-4.3.0}"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
VENV="$CACHE/pre-commit-venv"
STAMP="$CACHE/pre-commit.stamp"
mkdir -p "$CACHE/bin"

log() { echo "setup-pre-commit: $*"; }

if [ -x "$VENV/bin/pre-commit" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PRE_COMMIT_VERSION" ]; then
  log "pre-commit $PRE_COMMIT_VERSION already installed in $VENV"
else
  PYTHON="$(command -v python3 || true)"
  if [ -z "$PYTHON" ] || ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
    log "installing Debian's python3-venv"
    apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends python3 python3-venv >/dev/null
    PYTHON="$(command -v python3)"
  fi
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION"
  echo "$PRE_COMMIT_VERSION" >"$STAMP"
fi
ln -sf "$VENV/bin/pre-commit" "$CACHE/bin/pre-commit"
log "$("$CACHE/bin/pre-commit" --version) at $CACHE/bin/pre-commit"
