#!/usr/bin/env bash
# Builds the x509_decode oracle (test/x509-oracle, issue 22): a standard-library Go program that prints
# a PEM certificate or request as Kyverno's x509_decode JMESPath function returns it (Go's x509
# structure as JSON). test/kyverno/x509.test.ts compares parapet's decoder with it field by field.
#
# Idempotent: the binary is cached at /var/cache/parapet/bin/x509-oracle with a stamp holding the hash
# of its sources; a warm run only compares the hash. No module downloads (standard library only).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/test/x509-oracle"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
BIN="$CACHE/bin"
ORACLE="$BIN/x509-oracle"
STAMP="$CACHE/x509-oracle.stamp"

log() { echo "setup-x509-oracle: $*"; }

source_hash="$(cd "$SRC" && cat go.mod $(ls ./*.go | sort) | sha256sum | cut -d' ' -f1)"

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go

if [ -x "$ORACLE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$source_hash" ]; then
  log "x509-oracle already built from these sources at $ORACLE"
  exit 0
fi

if [ -z "$GO" ]; then
  log "go is required to build the oracle (install Go 1.26+); the x509 suite will skip without it" >&2
  exit 1
fi

mkdir -p "$BIN" "$CACHE/go-build"
log "building x509-oracle with $("$GO" version)"
tmp="$(mktemp "$BIN/.x509-oracle.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(
  cd "$SRC"
  GOCACHE="$CACHE/go-build" GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local \
    "$GO" build -trimpath -o "$tmp" .
)
chmod 0755 "$tmp"
mv -f "$tmp" "$ORACLE"
echo "$source_hash" >"$STAMP"
log "built $ORACLE"
