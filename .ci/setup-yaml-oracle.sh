#!/usr/bin/env bash
# Builds the YAML oracle (test/yaml-oracle): a small Go program that reads YAML streams as kubectl,
# Helm and Argo CD do (k8s.io/apimachinery's multi-document reader, then sigs.k8s.io/yaml), which
# test/inputs/yaml-oracle.test.ts compares parapet's reading of manifests against.
#
# Idempotent: the binary is cached at /var/cache/parapet/bin/yaml-oracle with a stamp holding the hash
# of the oracle's sources (go.mod, go.sum, *.go); a warm run only compares the hash (well under a
# second). Go modules and build cache live under /var/cache/parapet too, so a rebuild after a source
# change takes seconds, not minutes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/test/yaml-oracle"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
BIN="$CACHE/bin"
ORACLE="$BIN/yaml-oracle"
STAMP="$CACHE/yaml-oracle.stamp"

log() { echo "setup-yaml-oracle: $*"; }

source_hash="$(cd "$SRC" && cat go.mod go.sum $(ls ./*.go | sort) | sha256sum | cut -d' ' -f1)"

if [ -x "$ORACLE" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$source_hash" ]; then
  log "yaml-oracle already built from these sources at $ORACLE"
  exit 0
fi

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  log "go is required to build the oracle (install Go 1.24+); the differential YAML test will skip without it" >&2
  exit 1
fi

mkdir -p "$BIN" "$CACHE/go-mod" "$CACHE/go-build"
log "building yaml-oracle with $("$GO" version)"
tmp="$(mktemp "$BIN/.yaml-oracle.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(
  cd "$SRC"
  GOMODCACHE="$CACHE/go-mod" GOCACHE="$CACHE/go-build" GOFLAGS="-mod=readonly -buildvcs=false" \
    "$GO" build -trimpath -o "$tmp" .
)
chmod 0755 "$tmp"
mv -f "$tmp" "$ORACLE"
probe="$(printf '%s\n' '"privileged: on\nmode: 0644\n"' | "$ORACLE")"
[ "$probe" = '{"docs":[{"mode":420,"privileged":true}]}' ] || { log "built oracle answers wrongly: $probe" >&2; exit 1; }
echo "$source_hash" >"$STAMP"
log "built $ORACLE"
