#!/usr/bin/env bash
# Builds and caches everything the local cluster runs that Debian does not package: kubelet,
# kube-controller-manager, kube-scheduler and kube-proxy (the k8s.io/kubernetes release of kube-apiserver,
# see scripts/build-kube-binaries.sh), CoreDNS, rancher's local-path-provisioner and the static pause binary.
# Installs the node's Debian packages (containerd, runc, CNI plugins, iptables, image tools) when missing.
# Idempotent: a second run checks versions and returns in a second or two.
source "$(dirname "$0")/common.sh"

ensure_packages "${CLUSTER_PACKAGES[@]}" gcc libc6-dev
# Debian's containerd starts a system-wide daemon on /run/containerd; the cluster runs its own instance.
if systemctl is-enabled containerd >/dev/null 2>&1 || systemctl is-active containerd >/dev/null 2>&1; then
  systemctl disable --now containerd >/dev/null 2>&1 || true
fi

"$ROOT/scripts/build-kube-binaries.sh"
command -v go >/dev/null || { log "Go is required to build the cluster's binaries"; exit 1; }
mkdir -p "$CLUSTER_BIN" "$CLUSTER_BUILD"

# --- Kubernetes node and control-plane components -----------------------------------------------------
missing=()
for c in kubelet kube-controller-manager kube-scheduler kube-proxy; do
  [ "$("$CLUSTER_BIN/$c" --version 2>/dev/null)" = "Kubernetes v$K8S_VERSION" ] || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
  (
    # A wrapper module of its own: the one of build-kube-binaries.sh lists only the apiserver and kubectl.
    k8s_wrapper_module "$CLUSTER_BUILD/k8s" kubelet kube-controller-manager kube-scheduler kube-proxy
    for c in "${missing[@]}"; do
      log "building $c v$K8S_VERSION"
      go build -trimpath -ldflags "$(k8s_ldflags)" -o "$CLUSTER_BIN/$c.tmp" "k8s.io/kubernetes/cmd/$c"
      mv "$CLUSTER_BIN/$c.tmp" "$CLUSTER_BIN/$c"
    done
  )
fi

# --- CoreDNS ------------------------------------------------------------------------------------------
# (Version checks capture the output first: `cmd | grep -q` fails under pipefail when grep exits early.)
if [[ "$("$CLUSTER_BIN/coredns" -version 2>/dev/null)" != *"CoreDNS-$COREDNS_VERSION"* ]]; then
  log "building CoreDNS v$COREDNS_VERSION (cold: ~3 min on 2 cores)"
  GOFLAGS="${GOFLAGS:-} -mod=mod" CGO_ENABLED=0 GOBIN="$CLUSTER_BUILD/gobin" \
    go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@v$COREDNS_VERSION"
  mv "$CLUSTER_BUILD/gobin/coredns" "$CLUSTER_BIN/coredns"
fi

# --- local-path-provisioner ---------------------------------------------------------------------------
if [[ "$("$CLUSTER_BIN/local-path-provisioner" --version 2>/dev/null)" != *"v$LOCAL_PATH_VERSION"* ]]; then
  log "building local-path-provisioner v$LOCAL_PATH_VERSION"
  src=$(GOFLAGS=-mod=mod go mod download -json "github.com/rancher/local-path-provisioner@v$LOCAL_PATH_VERSION" \
    | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src" ] || { log "cannot download github.com/rancher/local-path-provisioner@v$LOCAL_PATH_VERSION"; exit 1; }
  # Built in a writable copy of the module (its go.sum pins the dependencies); module zips carry no vendor/ tree.
  rm -rf "$CLUSTER_BUILD/local-path" && cp -r "$src" "$CLUSTER_BUILD/local-path" && chmod -R u+w "$CLUSTER_BUILD/local-path"
  rm -rf "$CLUSTER_BUILD/local-path/vendor"
  ( cd "$CLUSTER_BUILD/local-path" && GOFLAGS=-mod=mod CGO_ENABLED=0 \
      go build -trimpath -ldflags "-s -w -X main.VERSION=v$LOCAL_PATH_VERSION" -o "$CLUSTER_BIN/local-path-provisioner" . )
fi

# --- pause ----------------------------------------------------------------------------------------------
# The sandbox process of every pod, from the same Kubernetes release; static, so the image holds one file.
PAUSE_VERSION=${PAUSE_IMAGE##*:}
if [[ "$("$CLUSTER_BIN/pause" -v 2>/dev/null)" != *"pause.c v$PAUSE_VERSION"* ]]; then
  log "building pause v$PAUSE_VERSION"
  k8s_src=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  gcc -Os -static -Wall -Werror -DVERSION="v$PAUSE_VERSION" -o "$CLUSTER_BIN/pause" "$k8s_src/build/pause/linux/pause.c"
  strip "$CLUSTER_BIN/pause"
fi

for b in kubelet kube-controller-manager kube-scheduler kube-proxy coredns local-path-provisioner pause; do
  printf '  %-24s %s\n' "$b" "$(du -h "$CLUSTER_BIN/$b" | cut -f1)" >&2
done
log "cluster binaries ready in $CLUSTER_BIN"
