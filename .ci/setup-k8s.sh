#!/usr/bin/env bash
# Provides a real Kubernetes control plane for the admission webhook's end-to-end test (issue 4):
# etcd, kube-apiserver and kubectl, all cached under /var/cache/parapet/bin.
#
# - etcd: Debian's etcd-server when its version is one Kubernetes still supports (3.4.22+ or 3.5+);
#   otherwise (or with PARAPET_ETCD=module) etcd is built from the go.etcd.io/etcd/server/v3 module
#   at the version Kubernetes itself requires.
# - kube-apiserver and kubectl: built from the k8s.io/kubernetes Go module. Its go.mod `replace`s
#   every k8s.io/* library with a path under staging/, which module zips do not contain, so the
#   build runs in a temporary copy whose replaces are rewritten to the published k8s.io/* modules of
#   the same release (v1.X.Y -> v0.X.Y).
#   Debian's kubernetes-client is not used: bookworm ships kubectl 1.20, fourteen minor versions
#   behind the API server and far outside the supported version skew, and its /usr/bin/kubectl
#   collides with the image's own kubectl package.
#
# Idempotent: a stamp file per binary records the version it was built from; a warm run only checks
# the stamps and prints the versions (well under a second).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${PARAPET_CACHE:-/var/cache/parapet}"
BIN="$CACHE/bin"
STAMPS="$CACHE/k8s-stamps"
mkdir -p "$BIN" "$STAMPS"

log() { echo "setup-k8s: $*"; }

stamp_ok() { # name expected-content
  [ -x "$BIN/$1" ] && [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]
}

# --- etcd ------------------------------------------------------------------------------------------
etcd_supported() { # version string like 3.4.23 -> 0 when Kubernetes supports it
  local major minor patch
  IFS=. read -r major minor patch <<<"${1%%[-+]*}"
  [ "${major:-0}" -gt 3 ] && return 0
  [ "${major:-0}" -eq 3 ] || return 1
  [ "${minor:-0}" -ge 5 ] && return 0
  [ "${minor:-0}" -eq 4 ] && [ "${patch:-0}" -ge 22 ] && return 0
  return 1
}

ETCD_FROM="${PARAPET_ETCD:-debian}"
if [ "$ETCD_FROM" = debian ] && ! stamp_ok etcd "debian"; then
  if ! command -v etcd >/dev/null 2>&1 && [ ! -x /usr/bin/etcd ]; then
    log "installing Debian's etcd-server"
    # The package's service is never started here (no init system in CI); the test runs etcd itself.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends etcd-server >/dev/null ||
      { log "apt-get install etcd-server failed; building etcd from its Go module instead"; ETCD_FROM=module; }
  fi
  if [ "$ETCD_FROM" = debian ]; then
    debian_etcd_version="$(/usr/bin/etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
    if etcd_supported "$debian_etcd_version"; then
      ln -sf /usr/bin/etcd "$BIN/etcd"
      echo debian >"$STAMPS/etcd"
    else
      log "Debian's etcd $debian_etcd_version is too old for Kubernetes $K8S_VERSION; building etcd from its Go module"
      ETCD_FROM=module
    fi
  fi
fi

# --- the Kubernetes module copy (shared by kube-apiserver, kubectl and a module-built etcd) ---------
need_apiserver=1; need_kubectl=1; need_etcd=0
stamp_ok kube-apiserver "$K8S_VERSION" && need_apiserver=0
stamp_ok kubectl "$K8S_VERSION" && need_kubectl=0
if [ "$ETCD_FROM" = module ] && ! stamp_ok etcd "module-$K8S_VERSION"; then need_etcd=1; fi

if [ $((need_apiserver + need_kubectl + need_etcd)) -gt 0 ]; then
  command -v go >/dev/null 2>&1 || { log "go is required to build kube-apiserver" >&2; exit 1; }
  export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/parapet-k8s.XXXXXX")"
  trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
  log "downloading k8s.io/kubernetes@$K8S_VERSION"
  (cd "$WORK" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >download.json)
  SRC="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$WORK/download.json")"
  [ -d "$SRC" ] || { log "module download did not produce a source directory" >&2; exit 1; }
  cp -r "$SRC" "$WORK/kubernetes"
  chmod -R u+w "$WORK/kubernetes"
  cd "$WORK/kubernetes"
  # vendor/ is the staging-replaced tree; the module cache is used instead.
  rm -rf go.work go.work.sum vendor

  STAGING_VERSION="v0.${K8S_VERSION#v1.}"
  edits=()
  # Only modules replaced by a path under staging/ are rewritten (the `replace (...)` block lists them).
  while read -r module; do
    case "$module" in
      # Examples, not published for every release and never imported by the binaries built here.
      k8s.io/sample-*) edits+=("-dropreplace=$module" "-droprequire=$module") ;;
      *) edits+=("-dropreplace=$module" "-require=$module@$STAGING_VERSION") ;;
    esac
  done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*$#\1#p' go.mod)
  log "pointing the staging modules at their published $STAGING_VERSION releases (${#edits[@]} go.mod edits)"
  go mod edit "${edits[@]}"

  targets=()
  [ $need_apiserver -eq 1 ] && targets+=(kube-apiserver)
  [ $need_kubectl -eq 1 ] && targets+=(kubectl)
  version_pkg=k8s.io/component-base/version
  # Embed the release so `kube-apiserver --version` and the discovery /version endpoint tell the truth.
  ldflags="-s -w -X $version_pkg.gitVersion=$K8S_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $version_pkg.gitTreeState=clean"
  for target in "${targets[@]}"; do
    log "building $target $K8S_VERSION (first run only; several minutes on 2 cores)"
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN/$target.tmp" "./cmd/$target"
    mv -f "$BIN/$target.tmp" "$BIN/$target"
    echo "$K8S_VERSION" >"$STAMPS/$target"
  done
  if [ $need_etcd -eq 1 ]; then
    # The etcd server release this Kubernetes release is built and tested against.
    ETCD_VERSION="$(sed -n 's#^[[:space:]]*go\.etcd\.io/etcd/server/v3 \(v[0-9.]*\).*#\1#p' go.mod | sed -n 1p)"
    log "building etcd $ETCD_VERSION from the go.etcd.io/etcd/server/v3 module"
    # etcd's own go.mod replaces its sibling modules with ../ paths; in a wrapper module those
    # replaces do not apply and the published siblings of the same version are used.
    mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
    go mod init parapet.local/etcd >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/api/v3@$ETCD_VERSION" \
      "go.etcd.io/etcd/client/v3@$ETCD_VERSION" "go.etcd.io/etcd/client/pkg/v3@$ETCD_VERSION" "go.etcd.io/etcd/pkg/v3@$ETCD_VERSION"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3
    mv -f "$BIN/etcd.tmp" "$BIN/etcd"
    echo "module-$K8S_VERSION" >"$STAMPS/etcd"
  fi
fi

log "$("$BIN/kube-apiserver" --version)"
log "kubectl $("$BIN/kubectl" version --client 2>/dev/null | sed -n 's/^Client Version: //p')"
log "etcd $("$BIN/etcd" --version | sed -n 's/^etcd Version: //p')"
