# Settings of the local single-node Kubernetes cluster (scripts/cluster/*.sh). Sourced, not run.
# See docs/local-cluster.md for what runs where.
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

# Build outputs and image archives: kept by `down.sh --purge`.
CLUSTER_BIN="$STATE_DIR/cluster-bin"
CLUSTER_BUILD="$STATE_DIR/cluster-build"
IMAGE_CACHE="$STATE_DIR/images"
# Runtime state of the cluster: PKI, etcd data, kubelet root, volumes, logs, PID files. `down.sh --purge` removes it.
CLUSTER_DIR="$STATE_DIR/cluster"
PKI="$CLUSTER_DIR/pki"
LOGS="$CLUSTER_DIR/logs"
PIDS="$CLUSTER_DIR/pids"
KUBECONFIG_ADMIN="$CLUSTER_DIR/kubeconfig"
LOCAL_PATH_DIR="$CLUSTER_DIR/local-path"
# containerd keeps the imported images in its root: outside CLUSTER_DIR, so a purge keeps them too.
# Its state (shim sockets, task bundles, rootfs mounts) belongs on tmpfs and is gone after a reboot anyway.
CONTAINERD_ROOT="$STATE_DIR/containerd"
CONTAINERD_STATE="/run/databaseunit-containerd"
CONTAINERD_SOCK="$CONTAINERD_STATE/containerd.sock"
CTR=(ctr --address "$CONTAINERD_SOCK" -n k8s.io)

COREDNS_VERSION=1.12.1
LOCAL_PATH_VERSION=0.0.30
# The pause image name containerd's CRI uses for pod sandboxes (its sandbox_image).
PAUSE_IMAGE=registry.k8s.io/pause:3.10
COREDNS_IMAGE="databaseunit.dev/coredns:$COREDNS_VERSION"
LOCAL_PATH_IMAGE="databaseunit.dev/local-path-provisioner:$LOCAL_PATH_VERSION"
LOCAL_PATH_HELPER_IMAGE="databaseunit.dev/local-path-helper:1"
POSTGRES_IMAGE="pgvector/pgvector:0.8.0-pg17"
PGBOUNCER_IMAGE="ghcr.io/cloudnative-pg/pgbouncer:1.24.1"
REDIS_IMAGE="redis:7.4-alpine"
S3PROXY_IMAGE="databaseunit.dev/s3proxy:$S3PROXY_VERSION"
OPERATOR_REPO="ghcr.io/databaseunit/databaseunit-operator"

# Network: everything lives on one bridge of the node; nothing is routed or NATed to other interfaces.
NODE_NAME=databaseunit-node
BRIDGE=du0
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SVC_IP=10.96.0.1
DNS_SVC_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
# Ports: the apiserver and kubelet on the node address; everything else on loopback, away from the test
# services (5xxxx) and kube-api-test's random ports.
APISERVER_PORT=6443
APISERVER_URL="https://$NODE_IP:$APISERVER_PORT"
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
CNI_NETWORK=databaseunit
CNI_CONF_DIR="$CLUSTER_DIR/cni/net.d"
CNI_BIN_DIR=/usr/lib/cni

KUBE_BIN="$KUBEAPITEST_DIR"
KUBECTL=("$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN")

# The packages the node needs from Debian (containerd ships ctr; conntrack lets kube-proxy flush stale UDP).
CLUSTER_PACKAGES=(containerd runc containernetworking-plugins iptables conntrack iproute2 openssl curl jq gettext-base debootstrap umoci skopeo)

# The PID of component $1 from its PID file, if that process still runs that component (after a reboot a PID
# file may name an unrelated process).
pid_of() {
  local f="$PIDS/$1.pid" pid
  [ -s "$f" ] && pid=$(cat "$f") && [ -r "/proc/$pid/cmdline" ] || return 1
  [[ "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" == *"$1 "* ]] || return 1
  echo "$pid"
}
pid_alive() { pid_of "$1" >/dev/null; }

# Waits up to $1 seconds for the command in "${@:2}" to succeed.
wait_for() {
  local t=$1 i; shift
  for ((i = 0; i < t * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

# Writes stdin to file $1 only when the content differs: kube-proxy exits when its configuration file changes
# (even to the same bytes), and containerd reloads on CNI configuration events.
write_if_changed() {
  local file=$1 tmp="$1.tmp.$$"
  cat > "$tmp"
  WROTE=0
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; else chmod "${2:-0644}" "$tmp"; mv "$tmp" "$file"; WROTE=1; fi
}

# Stops the components named in the arguments together (TERM, then KILL after 15 s); removes their PID files.
stop_component() {
  local name pid i t0=$SECONDS pids=() names=()
  for name in "$@"; do
    if pid=$(pid_of "$name"); then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); names+=("$name"); fi
    rm -f "$PIDS/$name.pid" "$PIDS/$name.args"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  local alive
  for ((i = 0; i < 150; i++)); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && { log "killing pid $pid: still running 15 s after SIGTERM"; kill -KILL "$pid" 2>/dev/null || true; }
  done
  log "stopped ${names[*]} ($((SECONDS - t0)) s)"
}

containerd_up() { [ -S "$CONTAINERD_SOCK" ] && ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; }

# Starts "${@:2}" as a daemon appending to log $1. setsid: it must outlive the shell and process group that
# started it (a CI step, an e2e, a session); close_inherited_fds: it must not hold what that shell inherited.
detach() {
  local log=$1; shift
  ( close_inherited_fds; exec setsid nohup "$@" >> "$log" 2>&1 < /dev/null ) &
}

# Starts the cluster's own containerd (own config, root, state and socket) unless it runs already.
start_containerd() {
  containerd_up && return 0
  mkdir -p "$CLUSTER_DIR/containerd" "$CONTAINERD_ROOT" "$CONTAINERD_STATE" "$LOGS" "$PIDS" "$CNI_CONF_DIR"
  # restrict_oom_score_adj: this VM lacks CAP_SYS_RESOURCE, so runc could not write the negative
  # oom_score_adj the kubelet asks for (sandbox creation fails with "can't get final child's PID from pipe").
  write_if_changed "$CLUSTER_DIR/containerd/config.toml" <<TOML
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_STATE/containerd.sock.ttrpc"
[debug]
  address = "$CONTAINERD_STATE/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  enable_unprivileged_ports = false
  enable_unprivileged_icmp = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
  # No registry is reachable: images are imported, never pulled.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
TOML
  log "starting containerd (socket $CONTAINERD_SOCK)"
  detach "$LOGS/containerd.log" containerd --config "$CLUSTER_DIR/containerd/config.toml"
  echo $! > "$PIDS/containerd.pid"
  wait_for 30 containerd_up || { log "containerd did not start; see $LOGS/containerd.log"; tail -20 "$LOGS/containerd.log" >&2; return 1; }
}
