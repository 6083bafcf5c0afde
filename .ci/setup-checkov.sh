#!/usr/bin/env bash
# Installs Checkov from PyPI into a virtual environment under /var/cache/parapet, for the
# differential tests that run Checkov and parapet on the same fixtures (policies that name a
# Checkov id under `equivalents.checkov`).
set -euo pipefail
. "$(dirname "$0")/pypi-venv.sh"

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
pypi_venv_install checkov checkov "$CHECKOV_VERSION" checkov
echo "setup-checkov: $("$CACHE/bin/checkov" --version 2>/dev/null | tail -1) at $CACHE/bin/checkov"
