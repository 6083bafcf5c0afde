#!/usr/bin/env bash
# Installs pre-commit from PyPI into a virtual environment under /var/cache/parapet, for the test
# that runs the repository's hook (.pre-commit-hooks.yaml) with `pre-commit try-repo`
# (test/packaging/pre-commit.test.ts).
set -euo pipefail
. "$(dirname "$0")/pypi-venv.sh"

PRE_COMMIT_VERSION="${PRE_COMMIT_VERSION:-4.3.0}"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
pypi_venv_install pre-commit pre-commit "$PRE_COMMIT_VERSION" pre-commit
echo "setup-pre-commit: $("$CACHE/bin/pre-commit" --version) at $CACHE/bin/pre-commit"
