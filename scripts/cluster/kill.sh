#!/usr/bin/env bash
# SIGKILLs every container of a pod through containerd, as the kernel's OOM killer or a node crash would: no SIGTERM,
# no grace period, no shutdown hook. (Deleting a pod, even with --grace-period=0, makes the kubelet send SIGTERM
# first.) The kubelet then restarts the containers in place. Usage: scripts/cluster/kill.sh NAMESPACE POD
source "$(dirname "$0")/common.sh"
fail() { log "FAIL: $*"; exit 1; }
[ $# -eq 2 ] || fail "usage: $0 NAMESPACE POD"
ids=$("${KUBECTL[@]}" get pod -n "$1" "$2" -o jsonpath='{range .status.containerStatuses[*]}{.containerID}{"\n"}{end}')
[ -n "$ids" ] || fail "pod $1/$2 has no running container"
for id in $ids; do
  "${CTR[@]}" task kill --signal SIGKILL "${id#containerd://}"
done
log "SIGKILLed the containers of $1/$2"
