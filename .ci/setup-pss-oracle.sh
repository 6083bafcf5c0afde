#!/usr/bin/env bash
# Builds the Pod Security Admission parity oracle (test/pss-oracle, issue 2): a small Go program that
# runs the upstream k8s.io/pod-security-admission checks, which test/policies/pss-parity.test.ts
# compares parapet's PSS policies against.
#
# Idempotent: the binary is cached at /var/cache/parapet/bin/pss-oracle with a stamp holding the hash
# of the oracle's sources (go.mod, go.sum, *.go); a warm run only compares the hash (well under a
# second). Go modules and build cache live under /var/cache/parapet too, so a rebuild after a source
# change takes seconds, not minutes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/test/pss-oracle"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
BIN="$CACHE/bin"
ORACLE="$BIN/pss-oracle"
STAMP="$CACHE/pss-oracle.stamp"

log() { echo "setup-pss-oracle: $*"; }

source_hash="$(cd "$SRC" && cat go.mod go.sum $(ls ./*.go | sort) | sha256sum | cut -d' ' -f1)"

if [ -x "$ORACLE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$source_hash" ]; then
  log "pss-oracle already built from these sources at $ORACLE"
  exit 0
fi

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  log "go is required to build the oracle (install Go 1.24+); the parity suite will skip without it" >&2
  exit 1
fi

mkdir -p "$BIN" "$CACHE/go-mod" "$CACHE/go-build"
log "building pss-oracle with $("$GO" version)"
tmp="$(mktemp "$BIN/.pss-oracle.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(
  cd "$SRC"
  GOMODCACHE="$CACHE/go-mod" GOCACHE="$CACHE/go-build" GOFLAGS="-mod=readonly -buildvcs=false" \
    "$GO" build -trimpath -o "$tmp" .
)
chmod 0755 "$tmp"
mv -f "$tmp" "$ORACLE"
echo "$source_hash" >"$STAMP"
log "built $ORACLE ($("$ORACLE" --list-checks | cut -c1-80)...)"
