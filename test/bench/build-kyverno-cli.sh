#!/usr/bin/env bash
# Builds the Kyverno CLI (kubectl-kyverno, the version whose tests .ci/setup-kyverno-tests.sh fetches)
# from the Go module proxy into /var/cache/parapet/bin/kyverno, for kyverno.bench.mjs. Not part of
# .ci/run: the CLI pulls in several hundred modules and takes far longer to compile than CI's budget
# allows (test/bench/README.md has the measured time). Idempotent: a stamp names the built version.
set -euo pipefail

VERSION="v1.19.1"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
BIN="$CACHE/bin/kyverno"
STAMP="$CACHE/kyverno-cli.stamp"

log() { echo "build-kyverno-cli: $*"; }

if [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION" ]; then
  log "kyverno $VERSION already at $BIN"
  exit 0
fi

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
[ -n "$GO" ] || { log "go is required (Go 1.26+)" >&2; exit 1; }

export GOMODCACHE="$CACHE/go-mod" GOCACHE="$CACHE/go-build" GOFLAGS=-mod=mod GOTOOLCHAIN=local
dir="$(cd "$CACHE" && "$GO" mod download -json "github.com/kyverno/kyverno@$VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -d "$dir/cmd/cli/kubectl-kyverno" ] || { log "module source not found (dir: ${dir:-none})" >&2; exit 1; }
mkdir -p "$CACHE/bin"
start=$(date +%s)
log "downloading the CLI's modules"
(cd "$dir" && "$GO" mod download)
log "compiling kubectl-kyverno $VERSION (nice 19)"
tmp="$(mktemp "$CACHE/bin/.kyverno.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
(cd "$dir" && nice -n 19 "$GO" build -trimpath \
  -ldflags "-X github.com/kyverno/kyverno/pkg/version.BuildVersion=$VERSION" \
  -o "$tmp" ./cmd/cli/kubectl-kyverno)
chmod 0755 "$tmp"
mv -f "$tmp" "$BIN"
echo "$VERSION" >"$STAMP"
log "built $BIN in $(( $(date +%s) - start )) s"
