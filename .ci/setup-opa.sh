#!/usr/bin/env bash
# Installs the `opa` CLI that compiles Rego to Wasm (issue 8). Idempotent: the binary is built once
# with `go install` and cached under /var/cache/parapet/bin; later runs only link it onto PATH.
set -euo pipefail

OPA_VERSION="${OPA_VERSION:-v1.22.3}"
CACHE_BIN="${PARAPET_CACHE:-/var/cache/parapet}/bin"
OPA="$CACHE_BIN/opa"

if [ -x "$OPA" ] && "$OPA" version 2>/dev/null | grep "^Version: ${OPA_VERSION#v}$" >/dev/null; then
  echo "setup-opa: opa ${OPA_VERSION} already cached at $OPA"
else
  if ! command -v go >/dev/null 2>&1; then
    echo "setup-opa: go is required to build opa (install Go 1.24+ or put an opa binary at $OPA)" >&2
    exit 1
  fi
  echo "setup-opa: building opa ${OPA_VERSION} with go install (one-off, cached afterwards)"
  mkdir -p "$CACHE_BIN"
  GOBIN_DIR="$(mktemp -d)"
  trap 'rm -rf "$GOBIN_DIR"' EXIT
  GOBIN="$GOBIN_DIR" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
  install -m 0755 "$GOBIN_DIR/opa" "$OPA.tmp"
  mv -f "$OPA.tmp" "$OPA"
fi

# Make it visible to the rest of the CI run (tests look for `opa` on PATH).
if [ -w /usr/local/bin ] && [ "$(readlink -f /usr/local/bin/opa 2>/dev/null || true)" != "$OPA" ]; then
  ln -sf "$OPA" /usr/local/bin/opa
fi
# sed reads to the end of its input: `head` would end the pipe early and, under pipefail, fail
# the script with SIGPIPE (141) at random.
"$OPA" version | sed -n 1p
