#!/usr/bin/env bash
# Fetches Kyverno's CLI conformance tests (issue 22): they ship inside its Go module, so the module
# proxy serves them like any Go module. test/kyverno/conformance.test.ts runs the validate-only ones
# through `parapet test`.
#
# Idempotent: the module is unpacked under /var/cache/parapet/go-mod (GOMODCACHE) and a stamp names
# the version; a warm run only reads the stamp. Prints nothing but its log lines.
set -euo pipefail

VERSION="v1.19.1"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
STAMP="$CACHE/kyverno-tests.stamp"
LINK="$CACHE/kyverno-tests"

log() { echo "setup-kyverno-tests: $*"; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION" ] && [ -d "$LINK/test/cli" ]; then
  log "kyverno $VERSION CLI tests already at $LINK/test/cli"
  exit 0
fi

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  log "go is required to fetch the Kyverno module (install Go 1.24+); the conformance suite will skip without it" >&2
  exit 1
fi

mkdir -p "$CACHE/go-mod"
log "downloading github.com/kyverno/kyverno@$VERSION from the Go module proxy"
dir="$(cd "$CACHE" && GOMODCACHE="$CACHE/go-mod" GOFLAGS=-mod=mod GO111MODULE=on \
  "$GO" mod download -json "github.com/kyverno/kyverno@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [ -z "$dir" ] || [ ! -d "$dir/test/cli" ]; then
  log "the downloaded module has no test/cli folder (dir: ${dir:-none})" >&2
  exit 1
fi
ln -sfn "$dir" "$LINK"
echo "$VERSION" >"$STAMP"
log "kyverno $VERSION CLI tests at $LINK/test/cli"
