#!/usr/bin/env bash
# Installs Debian's docker-registry (the CNCF distribution registry) for the image tests, which
# start it on loopback themselves. Idempotent: returns at once when the binary is already there.
# `.ci/run` has already run `apt-get update`.
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1; then
  echo "setup-registry: docker-registry already installed ($(command -v docker-registry))"
  exit 0
fi

# Keep the package's own service from starting: the tests run their own instances.
policy_rc=/usr/sbin/policy-rc.d
created_policy_rc=0
if [ ! -e "$policy_rc" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
  chmod +x "$policy_rc"
  created_policy_rc=1
fi
trap '[ "$created_policy_rc" = 1 ] && rm -f "$policy_rc"' EXIT

mkdir -p /var/cache/parapet/apt
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  -o Dir::Cache::archives=/var/cache/parapet/apt docker-registry
command -v docker-registry >/dev/null
echo "setup-registry: installed $(docker-registry --version 2>/dev/null || echo docker-registry)"
