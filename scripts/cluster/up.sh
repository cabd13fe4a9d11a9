#!/usr/bin/env bash
# Brings up the local single-node Kubernetes cluster (see docs/local-cluster.md): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, the cluster's own containerd, kubelet and kube-proxy as processes
# of this machine, then CoreDNS and local-path-provisioner (default StorageClass `local-path`) as pods.
# Idempotent: on a healthy cluster it only checks and returns; a stopped component is started again.
# Prints the admin kubeconfig's path at the end. Run as root.
source "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || { log "run as root: the node needs containerd, mounts and iptables"; exit 1; }
T0=$SECONDS
mkdir -p "$CLUSTER_DIR" "$PKI" "$LOGS" "$PIDS" "$CNI_CONF_DIR" "$LOCAL_PATH_DIR"

COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

apiserver_ready() { curl -sf --cacert "$PKI/ca.crt" "$APISERVER_URL/readyz" >/dev/null; }
node_ready() {
  [ "$("${KUBECTL[@]}" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
deployment_ready() {
  local ns=$1 name=$2 want have
  want=$("${KUBECTL[@]}" -n "$ns" get deployment "$name" -o jsonpath='{.spec.replicas}' 2>/dev/null) || return 1
  have=$("${KUBECTL[@]}" -n "$ns" get deployment "$name" -o jsonpath='{.status.readyReplicas}' 2>/dev/null) || return 1
  [ -n "$want" ] && [ "${have:-0}" = "$want" ]
}
# The scripts and manifests this cluster was last brought up with: after a change, the full path runs again.
STAMP=$(cat "$ROOT"/scripts/cluster/{up.sh,common.sh} "$ROOT"/scripts/cluster/manifests/*.yaml | sha256sum | cut -c1-16)
healthy() {
  local c
  [ "$(cat "$CLUSTER_DIR/up.stamp" 2>/dev/null)" = "$STAMP" ] || return 1
  for c in "${COMPONENTS[@]}"; do pid_alive "$c" || return 1; done
  iptables -t mangle -C FORWARD -j DU-ISOLATION 2>/dev/null || return 1
  apiserver_ready && node_ready && deployment_ready kube-system coredns \
    && deployment_ready local-path-storage local-path-provisioner
}

if [ -s "$KUBECONFIG_ADMIN" ] && healthy; then
  log "cluster is up (node $NODE_NAME Ready, CoreDNS and local-path-provisioner Ready)"
  echo "$KUBECONFIG_ADMIN"
  exit 0
fi

"$ROOT/scripts/cluster/build.sh"

# Starts component $1 as "${@:2}" (detached, common.sh) unless its PID file names a live process.
# A running component whose command line differs from the one given is restarted.
start() {
  local name=$1 args; shift
  args=$(printf '%q ' "$@")
  if pid_alive "$name"; then
    [ "$(cat "$PIDS/$name.args" 2>/dev/null)" != "$args" ] || return 0
    log "the command line of $name changed: restarting it"
    stop_component "$name"
  fi
  log "starting $name (log $LOGS/$name.log)"
  detach "$LOGS/$name.log" "$@"
  echo $! > "$PIDS/$name.pid"
  echo "$args" > "$PIDS/$name.args"
}

# --- Network: one bridge, no route or NAT beyond the node ----------------------------------------------
# Pods sit on $BRIDGE with the node at $NODE_IP; the apiserver and kubelet listen on that address, so pods
# reach them, and nothing listens on the machine's other interfaces.
# A fixed MAC (locally administered, from the node address): a bridge without one takes the lowest MAC of its
# ports, which changes as pods come and go, and pods whose ARP entry for the gateway went stale lose packets
# (seen here as connection timeouts to a Service right after a new pod started).
BRIDGE_MAC=$(printf '02:42:%02x:%02x:%02x:%02x' ${NODE_IP//./ })
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" address "$BRIDGE_MAC" type bridge
fi
[ "$(cat "/sys/class/net/$BRIDGE/address")" = "$BRIDGE_MAC" ] || ip link set "$BRIDGE" address "$BRIDGE_MAC"
[[ "$(ip addr show dev "$BRIDGE")" == *"inet $NODE_IP/"* ]] || ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
# The service range is routed to the bridge too, from the node address: traffic to a ClusterIP that has no
# rule (yet) stays on the bridge instead of heading for the default route, and the node reaches Services
# from an address in the cluster range (no masquerading).
ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
# Forwarding is needed between pods on the bridge (a Service's DNAT routes through the node), and
# bridge-nf-call-iptables so that kube-proxy's rules see bridged pod-to-pod traffic. The previous values of
# both are restored by down.sh.
if [ ! -s "$CLUSTER_DIR/sysctl.orig" ]; then
  for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables; do
    echo "$key $(sysctl -n "$key")"
  done > "$CLUSTER_DIR/sysctl.orig"
fi
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1
# DU-ISOLATION: nothing forwarded enters or leaves the bridge from or to another interface. In the mangle
# table, which runs before the filter table's FORWARD, where kube-proxy's ACCEPT rules sit.
iptables -t mangle -N DU-ISOLATION 2>/dev/null || true
iptables -t mangle -F DU-ISOLATION
iptables -t mangle -A DU-ISOLATION -i "$BRIDGE" ! -o "$BRIDGE" -j DROP
iptables -t mangle -A DU-ISOLATION ! -i "$BRIDGE" -o "$BRIDGE" -j DROP
iptables -t mangle -C FORWARD -j DU-ISOLATION 2>/dev/null || iptables -t mangle -I FORWARD 1 -j DU-ISOLATION
# Pods get routes to the pod subnet (on-link) and the service range (via the node) only: no default route.
# ipMasq false: no MASQUERADE for pod traffic; portmap without SNAT.
write_if_changed "$CNI_CONF_DIR/10-$CNI_NETWORK.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CLUSTER_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$SERVICE_CIDR"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false}
  ]
}
JSON

# --- PKI ----------------------------------------------------------------------------------------------
# One CA signs everything; certificates are made once and kept in $PKI (a purge makes new ones).
cert() { # name CN O(or "") extendedKeyUsage SANs(or "") [CA name]
  local name=$1 cn=$2 o=$3 eku=$4 sans=$5 ca=${6:-ca} subj
  [ -s "$PKI/$name.crt" ] && [ -s "$PKI/$name.key" ] && return 0
  subj="/CN=$cn"; [ -z "$o" ] || subj="/O=$o$subj"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "$subj" 2>/dev/null
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"; [ -z "$sans" ] || echo "subjectAltName=$sans"; } > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial -sha256 -days 3650 \
    -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
  chmod 0600 "$PKI/$name.key"
}
ca() { # name CN
  [ -s "$PKI/$1.crt" ] && return 0
  log "creating CA $1 in $PKI"
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$PKI/$1.key" -out "$PKI/$1.crt" \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  chmod 0600 "$PKI/$1.key"
}
ca ca databaseunit-local-cluster-ca
# The front proxy's own CA: the apiserver's identity towards aggregated API servers (request headers).
ca front-proxy-ca databaseunit-local-front-proxy-ca
cert front-proxy-client front-proxy-client "" clientAuth "" front-proxy-ca
cert apiserver kube-apiserver "" serverAuth \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SVC_IP"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters clientAuth ""
cert admin databaseunit-admin system:masters clientAuth ""
cert controller-manager system:kube-controller-manager "" clientAuth ""
cert scheduler system:kube-scheduler "" clientAuth ""
cert kube-proxy system:kube-proxy "" clientAuth ""
cert kubelet-client "system:node:$NODE_NAME" system:nodes clientAuth ""
cert kubelet-serving "$NODE_NAME" "" serverAuth "DNS:$NODE_NAME,DNS:localhost,IP:$NODE_IP,IP:127.0.0.1"
if [ ! -s "$PKI/sa.key" ]; then
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null && openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 0600 "$PKI/sa.key"
fi
kubeconfig() { # file user cert-name
  local file=$1 user=$2 c=$3
  write_if_changed "$file" 0600 <<YAML
apiVersion: v1
kind: Config
clusters:
- name: databaseunit
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$c.crt")
    client-key-data: $(base64 -w0 < "$PKI/$c.key")
contexts:
- name: databaseunit
  context: {cluster: databaseunit, user: $user}
current-context: databaseunit
YAML
}
kubeconfig "$KUBECONFIG_ADMIN" admin admin
kubeconfig "$PKI/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
kubeconfig "$PKI/scheduler.kubeconfig" system:kube-scheduler scheduler
kubeconfig "$PKI/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
kubeconfig "$PKI/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet-client

# --- Control plane ------------------------------------------------------------------------------------
start etcd "$KUBE_BIN/etcd" --name databaseunit --data-dir "$CLUSTER_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "databaseunit=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
wait_for 60 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health" || { log "etcd is not healthy; see $LOGS/etcd.log"; exit 1; }

start kube-apiserver "$KUBE_BIN/kube-apiserver" \
  --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,PodSecurity \
  --profiling=false --event-ttl=1h --v=1
wait_for 120 apiserver_ready || { log "kube-apiserver is not ready; see $LOGS/kube-apiserver.log"; tail -20 "$LOGS/kube-apiserver.log" >&2; exit 1; }

start kube-controller-manager "$CLUSTER_BIN/kube-controller-manager" \
  --kubeconfig="$PKI/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --cluster-name=databaseunit \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --use-service-account-credentials=true \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false --v=1
start kube-scheduler "$CLUSTER_BIN/kube-scheduler" \
  --kubeconfig="$PKI/scheduler.kubeconfig" \
  --authentication-kubeconfig="$PKI/scheduler.kubeconfig" --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1

# --- Node ---------------------------------------------------------------------------------------------
start_containerd
"$ROOT/scripts/cluster/images.sh" pause coredns local-path local-path-helper

# oomScoreAdj 0 and containerd's restrict_oom_score_adj: nothing here may lower an oom_score_adj (no
# CAP_SYS_RESOURCE in this VM). The image GC thresholds at 100 %: imported images cannot be pulled again,
# so the kubelet must never remove one. resolvConf "": pods learn no upstream resolver.
write_if_changed "$CLUSTER_DIR/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
imageServiceEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
oomScoreAdj: 0
clusterDNS: [$DNS_SVC_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: ""
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 200Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
maxPods: 110
YAML
# A changed configuration takes effect only on a restart.
[ "$WROTE" = 0 ] || stop_component kubelet
start kubelet "$CLUSTER_BIN/kubelet" --config="$CLUSTER_DIR/kubelet-config.yaml" \
  --kubeconfig="$PKI/kubelet.kubeconfig" --root-dir="$CLUSTER_DIR/kubelet" --cert-dir="$PKI" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1

write_if_changed "$CLUSTER_DIR/kube-proxy-config.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
clusterCIDR: $CLUSTER_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
oomScoreAdj: 0
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {masqueradeAll: false, localhostNodePorts: false}
YAML
[ "$WROTE" = 0 ] || stop_component kube-proxy
start kube-proxy "$CLUSTER_BIN/kube-proxy" --config="$CLUSTER_DIR/kube-proxy-config.yaml" --v=1

log "waiting for node $NODE_NAME to be Ready"
wait_for 120 node_ready || { log "node is not Ready; see $LOGS/kubelet.log"; tail -20 "$LOGS/kubelet.log" >&2; exit 1; }

# --- Add-ons ------------------------------------------------------------------------------------------
export COREDNS_IMAGE LOCAL_PATH_IMAGE LOCAL_PATH_HELPER_IMAGE DNS_SVC_IP CLUSTER_DOMAIN LOCAL_PATH_DIR
for m in coredns local-path; do
  # The manifest's hash in the pod template: a changed ConfigMap rolls the Deployment.
  MANIFEST_HASH=$(sha256sum "$ROOT/scripts/cluster/manifests/$m.yaml" | cut -c1-16)
  export MANIFEST_HASH
  # shellcheck disable=SC2016
  envsubst '$COREDNS_IMAGE $LOCAL_PATH_IMAGE $LOCAL_PATH_HELPER_IMAGE $DNS_SVC_IP $CLUSTER_DOMAIN $LOCAL_PATH_DIR $MANIFEST_HASH' \
    < "$ROOT/scripts/cluster/manifests/$m.yaml" | "${KUBECTL[@]}" apply -f - >/dev/null
done
log "waiting for CoreDNS and local-path-provisioner"
wait_for 180 deployment_ready kube-system coredns || { log "CoreDNS is not Ready"; "${KUBECTL[@]}" -n kube-system get pods -o wide >&2; exit 1; }
wait_for 180 deployment_ready local-path-storage local-path-provisioner \
  || { log "local-path-provisioner is not Ready"; "${KUBECTL[@]}" -n local-path-storage get pods -o wide >&2; exit 1; }

# --- A PVC that binds: the provisioner, its helper pod and the scheduler all work ----------------------
# (local-path binds on first use: a pod must claim it.)
"${KUBECTL[@]}" delete pod,pvc -n default -l app.kubernetes.io/name=du-up-check --ignore-not-found --wait=true >/dev/null
"${KUBECTL[@]}" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: du-up-check, namespace: default, labels: {app.kubernetes.io/name: du-up-check}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: du-up-check, namespace: default, labels: {app.kubernetes.io/name: du-up-check}}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65535, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: pause
    image: $PAUSE_IMAGE
    imagePullPolicy: Never
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: du-up-check}}]
YAML
pvc_bound() { [ "$("${KUBECTL[@]}" -n default get pvc du-up-check -o jsonpath='{.status.phase}')" = Bound ]; }
wait_for 120 pvc_bound || { log "the check PVC did not bind"; "${KUBECTL[@]}" -n default describe pvc du-up-check >&2; exit 1; }
"${KUBECTL[@]}" -n default wait --for=condition=Ready pod/du-up-check --timeout=120s >/dev/null
"${KUBECTL[@]}" delete pod,pvc -n default -l app.kubernetes.io/name=du-up-check --wait=false >/dev/null

echo "$STAMP" > "$CLUSTER_DIR/up.stamp"
log "cluster up in $((SECONDS - T0)) s: node $NODE_NAME Ready, CoreDNS Ready, a PVC bound (StorageClass local-path)"
log "kubeconfig: export KUBECONFIG=$KUBECONFIG_ADMIN   (server $APISERVER_URL)"
echo "$KUBECONFIG_ADMIN"
