#!/usr/bin/env bash
# Builds the Pod Security Admission parity oracle (test/pss-oracle, issue 2): a small Go program that
# runs the upstream k8s.io/pod-security-admission checks (at any policy version), which
# test/policies/pss-parity.test.ts and test/policies/pss-conformance.test.ts
# compare parapet's PSS policies against. The conformance suite also reads the module's own test data
# (test/testdata/{baseline,restricted}/v1.N/...) from the Go module cache this script fills.
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
module_version="$(awk '$1 == "k8s.io/pod-security-admission" { print $2 }' "$SRC/go.mod")"
testdata="$CACHE/go-mod/k8s.io/pod-security-admission@$module_version/test/testdata"

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go

if [ -x "$ORACLE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$source_hash" ] && [ -d "$testdata" ]; then
  log "pss-oracle already built from these sources at $ORACLE"
  exit 0
fi

if [ -z "$GO" ]; then
  log "go is required to build the oracle (install Go 1.26+); the parity suites will skip without it" >&2
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
if [ ! -d "$testdata" ]; then
  (cd "$SRC" && GOMODCACHE="$CACHE/go-mod" GOFLAGS="-mod=readonly" "$GO" mod download k8s.io/pod-security-admission)
fi
[ -d "$testdata" ] || { log "the module's test data is missing at $testdata" >&2; exit 1; }
chmod 0755 "$tmp"
mv -f "$tmp" "$ORACLE"
echo "$source_hash" >"$STAMP"
log "built $ORACLE ($("$ORACLE" --list-checks | cut -c1-80)...)"
