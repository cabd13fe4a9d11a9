#!/usr/bin/env bash
# Smoke check of the local cluster (up.sh first): in a namespace that enforces the restricted Pod Security
# Standard, PostgreSQL (the pgvector image, uid 999, read-only root) on a local-path PVC behind a ClusterIP
# Service, queried by its DNS name from another pod; then, without sending any packet off the machine, that
# the pod network has no route and no NAT rule beyond the node. Usage: scripts/cluster/check.sh [--keep]
source "$(dirname "$0")/common.sh"
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
NS=du-check
T0=$SECONDS
k() { "${KUBECTL[@]}" "$@"; }
fail() { log "FAIL: $*"; exit 1; }
ok() { log "ok: $*"; }
[ -s "$KUBECONFIG_ADMIN" ] && k get --raw /readyz >/dev/null 2>&1 || fail "the cluster is not up (scripts/cluster/up.sh)"

k delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
# The restricted profile's securityContext, shared by both pods.
SC='{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: [ALL]}}'
PSC='{runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: {type: RuntimeDefault}}'
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: v1
kind: Secret
metadata: {name: pg, namespace: $NS}
stringData: {password: check-only-password}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pg-data, namespace: $NS}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 256Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: pg, namespace: $NS, labels: {app: pg}}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 5
  securityContext: $PSC
  containers:
  - name: postgres
    image: $POSTGRES_IMAGE
    imagePullPolicy: IfNotPresent
    env:
    - {name: POSTGRES_USER, value: check}
    - {name: POSTGRES_DB, value: checkdb}
    - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
    - name: POSTGRES_PASSWORD
      valueFrom: {secretKeyRef: {name: pg, key: password}}
    ports: [{name: postgres, containerPort: 5432}]
    readinessProbe:
      exec: {command: [sh, -c, 'pg_isready -h 127.0.0.1 -U check -d checkdb']}
      periodSeconds: 2
    securityContext: $SC
    resources: {requests: {cpu: 50m, memory: 128Mi}, limits: {memory: 512Mi}}
    volumeMounts:
    - {name: data, mountPath: /var/lib/postgresql/data}
    - {name: run, mountPath: /var/run/postgresql}
    - {name: tmp, mountPath: /tmp}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: pg-data}}
  - {name: run, emptyDir: {}}
  - {name: tmp, emptyDir: {}}
---
apiVersion: v1
kind: Service
metadata: {name: pg, namespace: $NS}
spec:
  selector: {app: pg}
  ports: [{name: postgres, port: 5432, targetPort: postgres}]
YAML
ok "namespace $NS enforces pod-security restricted"
k -n "$NS" wait --for=condition=Ready pod/pg --timeout=180s >/dev/null \
  || { k -n "$NS" describe pod pg | tail -20 >&2; k -n "$NS" logs pg >&2 || true; fail "PostgreSQL pod not Ready"; }
[ "$(k -n "$NS" get pvc pg-data -o jsonpath='{.status.phase}')" = Bound ] || fail "PVC not Bound"
ok "PostgreSQL Ready as uid $(k -n "$NS" exec pg -- id -u) with a read-only root, PVC $(k -n "$NS" get pvc pg-data -o jsonpath='{.spec.volumeName}') Bound"
k -n "$NS" exec pg -- sh -c 'touch /usr/local/x' >/dev/null 2>&1 && fail "the root filesystem is writable"

# The client: another pod of the same image, through the Service's DNS name (CoreDNS + kube-proxy).
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: $NS}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 0
  restartPolicy: Never
  securityContext: $PSC
  containers:
  - name: psql
    image: $POSTGRES_IMAGE
    imagePullPolicy: IfNotPresent
    command: [sleep, "600"]
    securityContext: $SC
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 128Mi}}
YAML
k -n "$NS" wait --for=condition=Ready pod/client --timeout=120s >/dev/null || fail "client pod not Ready"
out=$(k -n "$NS" exec client -- env PGPASSWORD=check-only-password PGCONNECT_TIMEOUT=10 \
  psql "host=pg.$NS.svc.$CLUSTER_DOMAIN user=check dbname=checkdb" -tAXq \
  -c "CREATE EXTENSION IF NOT EXISTS vector" -c "SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector, current_user, inet_server_addr()") \
  || fail "psql from the client pod to pg.$NS.svc.$CLUSTER_DOMAIN failed"
[ "${out%%|*}" = 1 ] || fail "unexpected answer: $out"
ok "psql via pg.$NS.svc.$CLUSTER_DOMAIN (ClusterIP $(k -n "$NS" get svc pg -o jsonpath='{.spec.clusterIP}')): $out (pgvector works)"
# Hairpin: the server pod reaches itself through its own Service.
hp=$(k -n "$NS" exec pg -- env PGPASSWORD=check-only-password PGCONNECT_TIMEOUT=10 \
  psql "host=pg.$NS.svc.$CLUSTER_DOMAIN user=check dbname=checkdb" -tAXqc "SELECT 'hairpin'") || fail "hairpin (pod to its own Service) failed"
[ "$hp" = hairpin ] || fail "hairpin answer: $hp"
ok "hairpin: the PostgreSQL pod reaches itself through its Service"
k -n "$NS" exec client -- pgbench --version >/dev/null || fail "pgbench missing from the image"
# A name outside the cluster is NXDOMAIN from CoreDNS itself: it forwards nothing.
k -n "$NS" exec client -- getent hosts "kubernetes.default.svc.$CLUSTER_DOMAIN" >/dev/null || fail "cluster DNS does not resolve the kubernetes Service"
if k -n "$NS" exec client -- getent hosts example.org >/dev/null 2>&1; then fail "an outside name resolved"; fi
ok "DNS: cluster names resolve, outside names do not (no upstream)"

# --- Isolation, read from configuration only -------------------------------------------------------
# Routes inside a pod (its /proc/net/route, hex little-endian): only the pod subnet and the service range.
routes=$(k -n "$NS" exec client -- cat /proc/net/route | awk 'NR > 1 {print $2, $8}')
seen=""
while read -r dst mask; do
  [ "$dst" != 00000000 ] || fail "a pod has a default route"
  ip=$(printf '%d.%d.%d.%d' "0x${dst:6:2}" "0x${dst:4:2}" "0x${dst:2:2}" "0x${dst:0:2}")
  m=$(printf '%d.%d.%d.%d' "0x${mask:6:2}" "0x${mask:4:2}" "0x${mask:2:2}" "0x${mask:0:2}")
  case "$ip/$m" in
    "${POD_CIDR%/*}/255.255.255.0"|"${SERVICE_CIDR%/*}/255.255.0.0") ;;
    *) fail "unexpected route in a pod: $ip/$m" ;;
  esac
  seen="$seen $ip/$m"
done <<<"$routes"
ok "pod routes:$seen (pod subnet and service range only, no default route)"
# The node routes the cluster ranges to the bridge only.
[ "$(ip route show "$POD_CIDR" | awk '{print $3}')" = "$BRIDGE" ] || fail "the pod subnet is not on $BRIDGE"
[ "$(ip route show "$SERVICE_CIDR" | awk '{print $3}')" = "$BRIDGE" ] || fail "the service range is not routed to $BRIDGE"
ok "node routes: $POD_CIDR and $SERVICE_CIDR on $BRIDGE"
# NAT: the one MASQUERADE is kube-proxy's, for service traffic it marked (hairpin); nothing for the pod range.
nat=$(iptables -t nat -S)
masq=$(grep -E -- '-j (MASQUERADE|SNAT)' <<<"$nat" || true)
while read -r rule; do
  [ -n "$rule" ] || continue
  case "$rule" in "-A KUBE-POSTROUTING "*) ;; *) fail "NAT rule beyond kube-proxy's: $rule" ;; esac
done <<<"$masq"
grep -q -- '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN' <<<"$nat" || fail "kube-proxy's MASQUERADE is not limited to marked service traffic"
marks=$(grep -- '-j KUBE-MARK-MASQ' <<<"$nat" | grep -vE -- '-A KUBE-SEP-[A-Z0-9]+ -s [0-9.]+/32 |-A KUBE-SVC-[A-Z0-9]+ ! -s '"${CLUSTER_CIDR//./\\.}" || true)
[ -z "$marks" ] || fail "traffic marked for MASQUERADE other than hairpin or off-cluster-to-service: $marks"
ok "NAT: no MASQUERADE/SNAT for pod traffic (only kube-proxy's, for marked service hairpin traffic)"
# Forwarding between the bridge and any other interface is dropped (mangle FORWARD, before every ACCEPT).
iptables -t mangle -C FORWARD -j DU-ISOLATION 2>/dev/null || fail "DU-ISOLATION is not in mangle FORWARD"
[ "$(iptables -t mangle -S FORWARD | sed -n 2p)" = "-A FORWARD -j DU-ISOLATION" ] || fail "DU-ISOLATION is not first in mangle FORWARD"
iptables -t mangle -C DU-ISOLATION -i "$BRIDGE" ! -o "$BRIDGE" -j DROP 2>/dev/null || fail "no drop of traffic leaving $BRIDGE"
iptables -t mangle -C DU-ISOLATION ! -i "$BRIDGE" -o "$BRIDGE" -j DROP 2>/dev/null || fail "no drop of traffic entering $BRIDGE"
ok "forwarding: $BRIDGE <-> other interfaces dropped"
# Listening sockets of the cluster: loopback or the node's bridge address only.
# Only this cluster's processes (by their PID files): tests may run a private API server of their own meanwhile.
own=$(cat "$PIDS"/*.pid 2>/dev/null | paste -sd'|' -)
listen=$(ss -Htlnp | awk '{print $4, $6}' | grep -E "pid=($own)," | awk '{print $1}' \
  | grep -vE "^(127\.0\.0\.1|\[::1\]|$NODE_IP):" || true)
[ -z "$listen" ] || fail "cluster components listen beyond loopback and $NODE_IP: $listen"
ok "listeners: loopback and $NODE_IP only"

[ "$KEEP" = 1 ] || k delete namespace "$NS" --wait=false >/dev/null
log "all checks passed in $((SECONDS - T0)) s"
