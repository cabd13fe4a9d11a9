#!/usr/bin/env bash
# Stops the local cluster started by up.sh and removes what it left on the machine: pods and their
# containerd shims, mounts, network namespaces, the bridge, the iptables chains and rules of kube-proxy, the
# kubelet and the CNI plugins (KUBE-*, CNI-*, DU-*). The cluster's data stays, so up.sh brings the same
# cluster back. Usage: scripts/cluster/down.sh [--purge]
#   --purge  also delete the cluster's state (etcd data, certificates, PVC data, logs); the build caches,
#            image archives and containerd's image store stay.
source "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || { log "run as root"; exit 1; }
PURGE=0
[ "${1:-}" = --purge ] && PURGE=1

stop() { stop_component "$@"; }

# The kubelet first, so that it recreates nothing; then kube-proxy and the controllers.
stop kubelet
stop kube-proxy kube-scheduler kube-controller-manager

# Pods: kill every task of containerd's k8s.io namespace, delete the containers (and their snapshots), and
# remember the network namespaces of the sandboxes to remove them below.
NETNS=()
if containerd_up; then
  mapfile -t ids < <("${CTR[@]}" containers ls -q 2>/dev/null)
  if [ ${#ids[@]} -gt 0 ]; then
    log "removing ${#ids[@]} pod containers"
    for id in "${ids[@]}"; do
      ns=$("${CTR[@]}" containers info "$id" 2>/dev/null \
        | jq -r '.Spec.linux.namespaces[]? | select(.type == "network") | .path // empty' 2>/dev/null || true)
      case $ns in /run/netns/*|/var/run/netns/*) NETNS+=("$ns") ;; esac
      "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    sleep 1
    for id in "${ids[@]}"; do
      "${CTR[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true
      "${CTR[@]}" containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
fi
stop containerd
# Shims of this containerd that outlived it (matched by its socket address in their command line).
for p in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
  case "$cmd" in
    *containerd-shim*"$CONTAINERD_SOCK"*) log "killing shim ${p#/proc/}"; kill -KILL "${p#/proc/}" 2>/dev/null || true ;;
  esac
done
stop kube-apiserver
stop etcd

# Mounts under the cluster's directories (deepest first), then the sandboxes' network namespaces.
mapfile -t mounts < <(awk '{print $2}' /proc/self/mounts \
  | grep -E "^($CLUSTER_DIR|$CONTAINERD_ROOT|$CONTAINERD_STATE)(/|$)" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
[ ${#mounts[@]} -eq 0 ] || log "unmounted ${#mounts[@]} mounts"
for ns in "${NETNS[@]}"; do
  mountpoint -q "$ns" 2>/dev/null && umount "$ns" 2>/dev/null
  rm -f "$ns"
done

# The pods' cgroups (empty now), so that no stale hierarchy is left to the next kubelet.
for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
done

# Network: the bridge (its veths went with the namespaces), the chains and the rules that jump to them.
ip link show "$BRIDGE" >/dev/null 2>&1 && { ip link del "$BRIDGE"; log "removed bridge $BRIDGE"; }
for ipt in iptables ip6tables; do
  command -v "$ipt" >/dev/null || continue
  for table in filter nat mangle raw; do
    rules=$("$ipt" -t "$table" -S 2>/dev/null) || continue
    mapfile -t chains < <(grep -E '^-N (KUBE-|CNI-|DU-)' <<<"$rules" | awk '{print $2}')
    [ ${#chains[@]} -gt 0 ] || continue
    # Rules in other chains that jump to ours.
    while read -r rule; do
      [ -n "$rule" ] || continue
      eval "$ipt -t $table -D ${rule#-A }" 2>/dev/null || true
    done < <(grep -E '^-A ' <<<"$rules" | grep -vE '^-A (KUBE-|CNI-|DU-)' | grep -E -- '-j (KUBE-|CNI-|DU-)')
    for c in "${chains[@]}"; do "$ipt" -t "$table" -F "$c" 2>/dev/null || true; done
    for c in "${chains[@]}"; do "$ipt" -t "$table" -X "$c" 2>/dev/null || true; done
    log "removed ${#chains[@]} $ipt chains from table $table"
  done
done
# The sysctls up.sh changed, back to what they were before.
if [ -s "$CLUSTER_DIR/sysctl.orig" ]; then
  while read -r key value; do sysctl -qw "$key=$value" 2>/dev/null || true; done < "$CLUSTER_DIR/sysctl.orig"
  rm -f "$CLUSTER_DIR/sysctl.orig"
fi
# IP addresses handed out by host-local, and containerd's runtime state: every pod is gone.
rm -rf "$CLUSTER_DIR/cni/ipam" "$CONTAINERD_STATE"

if [ "$PURGE" = 1 ]; then
  log "purging the cluster state in $CLUSTER_DIR (build caches and images stay)"
  rm -rf "$CLUSTER_DIR"
fi
log "cluster down"
