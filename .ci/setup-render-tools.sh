#!/usr/bin/env bash
# Installs helm and kustomize for the tests of `parapet check CHART_DIR` / `check KUSTOMIZATION_DIR`
# (test/inputs/render.test.ts), built from their Go modules through the Go module proxy:
# helm.sh/helm/v3/cmd/helm and sigs.k8s.io/kustomize/kustomize/v5, at pinned versions.
#
# Idempotent: one stamp per binary records the version it was built from; a warm run only checks
# the stamps. Go modules and the build cache live under /var/cache/parapet (shared with the other
# setup scripts, so the Kubernetes libraries helm needs are mostly there already).
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.19.5}"
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.1}"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
BIN="$CACHE/bin"
STAMPS="$CACHE/render-tools-stamps"
mkdir -p "$BIN" "$STAMPS" "$CACHE/go-mod" "$CACHE/go-build"

log() { echo "setup-render-tools: $*"; }

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go

install_tool() { # name module version
  local name="$1" module="$2" version="$3"
  if [ -x "$BIN/$name" ] && [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$module@$version" ]; then
    log "$name $version already at $BIN/$name"
    return 0
  fi
  if [ -z "$GO" ]; then
    log "go is required to build $name (install Go 1.24+); the rendering tests skip without it" >&2
    return 1
  fi
  log "building $name from $module@$version with $("$GO" version)"
  local gobin
  gobin="$(mktemp -d)"
  GOBIN="$gobin" GOMODCACHE="$CACHE/go-mod" GOCACHE="$CACHE/go-build" GOFLAGS="-mod=mod -buildvcs=false" \
    CGO_ENABLED=0 "$GO" install -trimpath -ldflags="-s -w" "$module@$version"
  mv -f "$gobin/$name" "$BIN/$name"
  rm -rf "$gobin"
  echo "$module@$version" >"$STAMPS/$name"
  log "built $BIN/$name"
}

install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
"$BIN/helm" version --short
"$BIN/kustomize" version
