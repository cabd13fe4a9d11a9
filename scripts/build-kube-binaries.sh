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

(
  k8s_wrapper_module "$BUILD/k8s" kube-apiserver kubectl
  ldflags=$(k8s_ldflags)
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
