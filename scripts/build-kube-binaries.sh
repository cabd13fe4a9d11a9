#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from their Go modules (no registry serves the binaries) and
# puts them where io.fabric8:kube-api-test looks for them. Cached: a second run returns at once.
source "$(dirname "$0")/lib.sh"

if [ -x "$KUBEAPITEST_DIR/kube-apiserver" ] && [ -x "$KUBEAPITEST_DIR/etcd" ] && [ -x "$KUBEAPITEST_DIR/kubectl" ]; then
  log "Kubernetes $K8S_VERSION binaries cached in $KUBEAPITEST_DIR"
  exit 0
fi
command -v go >/dev/null || { log "Go is required to build the Kubernetes API server"; exit 1; }

BUILD="$STATE_DIR/kube-build"
mkdir -p "$BUILD/k8s" "$BUILD/etcd" "$KUBEAPITEST_DIR"
export GOFLAGS="${GOFLAGS:-} -mod=mod" CGO_ENABLED=0

# k8s.io/kubernetes points its staging modules at ./staging; a wrapper module replaces each with the
# published k8s.io/<name> v0.<minor>.<patch> of the same release.
(
  cd "$BUILD/k8s"
  cat > go.mod <<MOD
module databaseunit.dev/kubebuild

go 1.24
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_version="v0.${K8S_VERSION#1.}"
  for m in $(grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$modfile" | awk '{print $1}'); do
    go mod edit -replace="$m=$m@$staging_version"
  done
  go mod tidy
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${K8S_VERSION#1.}"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  log "building kube-apiserver v$K8S_VERSION (cold: 10-20 min on 2 cores)"
  go build -trimpath -ldflags "$ldflags" -o "$KUBEAPITEST_DIR/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  log "building kubectl v$K8S_VERSION"
  go build -trimpath -ldflags "$ldflags" -o "$KUBEAPITEST_DIR/kubectl" k8s.io/kubernetes/cmd/kubectl
)
(
  cd "$BUILD/etcd"
  cat > go.mod <<MOD
module databaseunit.dev/etcdbuild

go 1.24
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  go mod edit -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go mod tidy
  log "building etcd v$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$KUBEAPITEST_DIR/etcd" go.etcd.io/etcd/server/v3
)
log "Kubernetes binaries ready in $KUBEAPITEST_DIR"
