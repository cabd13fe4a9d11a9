#!/usr/bin/env bash
# The demo, on a real single-node Kubernetes on this machine (as root; docs/local-cluster.md): the local cluster
# (built and started when needed), the images imported into it, the operator installed with its Helm chart,
# s3proxy as S3 inside the cluster (deploy/s3proxy.yaml), then samples/ in managed mode — PostgreSQL with pgvector,
# PgBouncer and Redis run by the operator — in a namespace that enforces the restricted Pod Security Standard.
# It waits until every sample is Ready, takes a backup and a restore test on demand, and prints what runs, the
# kubeconfig and where the metrics are. Every step is idempotent: a second run checks and updates in place.
# No credential is fixed: the S3 keys and the backups' key-encryption key are generated (openssl rand) on the
# first run and kept in the cluster's Secrets; the operator generates the database, PgBouncer and Redis passwords.
# Usage: scripts/demo.sh [--exit]   --exit stops after printing; without it the demo keeps showing the samples'
# Events, and Ctrl-C leaves the cluster running (scripts/cluster/down.sh stops it).
source "$(dirname "$0")/cluster/common.sh"
cd "$ROOT"
EXIT_AFTER=0
case "${1:-}" in
  --exit) EXIT_AFTER=1 ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--exit]" >&2; exit 2 ;;
esac
APP_NS=recipes
OPERATOR_NS=databaseunit-system
S3_NS=s3
RELEASE=databaseunit-operator
WAIT_SECONDS="${DU_DEMO_WAIT_SECONDS:-900}"
export KUBECONFIG="$KUBECONFIG_ADMIN"
T0=$SECONDS
k() { "${KUBECTL[@]}" "$@"; }
step() { printf '\n[demo %4d s] %s\n' "$((SECONDS - T0))" "$*"; }
fail() { printf '\n[demo %4d s] FAILED: %s\n' "$((SECONDS - T0))" "$*" >&2; exit 1; }
# The value of one key of a Secret, or nothing when it is missing.
secret_value() {
  k -n "$1" get secret "$2" -o "jsonpath={.data.$3}" 2>/dev/null | base64 -d 2>/dev/null || true
}
# A namespace that enforces the restricted Pod Security Standard.
restricted_namespace() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $1
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
YAML
}

step "1/7 the local cluster (scripts/cluster/up.sh: builds and starts what is missing)"
scripts/cluster/up.sh >/dev/null

step "2/7 images: the operator's jars, then the images the pods run (scripts/cluster/images.sh, cached)"
jar=$(ls target/image/lib/databaseunit-operator-*.jar 2>/dev/null | head -n1 || true)
if [ -z "$jar" ] || [ -n "$(find src/main pom.xml -newer "$jar" -print -quit)" ]; then
  scripts/build-image.sh --stage-only
fi
scripts/cluster/images.sh postgres pgbouncer redis s3proxy operator 2>&1 | grep -v '^  ' >&2 || true

step "3/7 the operator: helm upgrade --install $RELEASE helm/databaseunit-operator -n $OPERATOR_NS"
scripts/build-tools.sh >/dev/null
restricted_namespace "$OPERATOR_NS"
# The image key in the pod template: a rebuilt operator image (same name and tag) rolls the Deployment.
"$HELM_BIN" upgrade --install "$RELEASE" helm/databaseunit-operator --namespace "$OPERATOR_NS" \
  --set replicaCount=1 --set-string "podAnnotations.databaseunit\.dev/image-key=$(cat "$IMAGE_CACHE/archives/operator.tar.key")" \
  --wait --timeout 5m >/dev/null
k -n "$OPERATOR_NS" get deployment "$RELEASE"

step "4/7 S3 in the cluster: s3proxy in namespace $S3_NS, keys generated once"
restricted_namespace "$APP_NS"
k apply -f deploy/s3proxy.yaml >/dev/null
if [ -z "$(secret_value "$APP_NS" recipes-backup-s3 secretAccessKey)" ]; then
  # printf is a shell builtin: the generated values are on no command line.
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: recipes-backup-s3, namespace: %s}\nstringData:\n  accessKeyId: "%s"\n  secretAccessKey: "%s"\n' \
    "$APP_NS" "$(openssl rand -hex 10)" "$(openssl rand -hex 20)" | k apply -f - >/dev/null
  echo "generated the S3 keys (Secret $APP_NS/recipes-backup-s3)"
fi
config=$(printf 's3proxy.endpoint=http://0.0.0.0:8080\ns3proxy.authorization=aws-v2-or-v4\ns3proxy.identity=%s\ns3proxy.credential=%s\njclouds.provider=filesystem\njclouds.filesystem.basedir=/data\n' \
  "$(secret_value "$APP_NS" recipes-backup-s3 accessKeyId)" "$(secret_value "$APP_NS" recipes-backup-s3 secretAccessKey)")
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s3proxy-config, namespace: %s}\ndata:\n  s3proxy.conf: %s\n' \
  "$S3_NS" "$(printf '%s\n' "$config" | base64 -w0)" | k apply -f - >/dev/null
# s3proxy reads its configuration at start: new keys restart it.
k -n "$S3_NS" patch deployment s3proxy --type merge -p "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"databaseunit.dev/config-hash\":\"$(printf '%s' "$config" | sha256sum | cut -c1-16)\"}}}}}" >/dev/null
k -n "$S3_NS" rollout status deployment/s3proxy --timeout=300s

step "5/7 samples/ in managed mode in namespace $APP_NS (restricted Pod Security)"
if [ -z "$(secret_value "$APP_NS" recipes-backup-kek kek)" ]; then
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: recipes-backup-kek, namespace: %s}\nstringData:\n  kek: "%s"\n' \
    "$APP_NS" "$(openssl rand -base64 32)" | k apply -f - >/dev/null
  echo "generated the backups' key-encryption key (Secret $APP_NS/recipes-backup-kek)"
fi
k apply -n "$APP_NS" -f samples/

step "6/7 waiting until every sample is Ready (at most $WAIT_SECONDS s)"
deadline=$((SECONDS + WAIT_SECONDS))
last=""
while :; do
  state=$(k get -n "$APP_NS" databaseunits,backuppolicies,maintenancewindows,gdprrequests -o \
    'jsonpath={range .items[*]}{.kind}/{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}{"\n"}{end}' 2>/dev/null || true)
  if [ "$state" != "$last" ]; then
    # each object whose readiness changed since the last look (diff exits 1 when there is a change)
    { diff <(printf '%s\n' "$last") <(printf '%s\n' "$state") || true; } | sed -n "s/^> /  $((SECONDS - T0)) s  /p"
    last=$state
  fi
  [ -n "$state" ] && ! awk '$2 != "True" {found = 1} END {exit !found}' <<<"$state" && break
  if (( SECONDS >= deadline )); then
    k get pods -n "$APP_NS" -o wide >&2 || true
    k -n "$OPERATOR_NS" logs "deployment/$RELEASE" --tail=40 >&2 || true
    fail "not Ready after $WAIT_SECONDS s: $(awk '$2 != "True" {printf "%s (%s) ", $1, $3}' <<<"$state")"
  fi
  sleep 3
done

# A token per run, so each demo run takes one backup and one restore test (a token runs exactly once).
token=$(date -u +%Y%m%d%H%M%S)
on_demand() {  # annotation, status field, wanted outcome
  k -n "$APP_NS" annotate --overwrite backuppolicy/recipes-backups "databaseunit.dev/$1=$token" >/dev/null
  local outcome="" until=$((SECONDS + 300))
  while (( SECONDS < until )); do
    outcome=$(k -n "$APP_NS" get backuppolicy/recipes-backups -o "jsonpath={.status.$2.token} {.status.$2.outcome}")
    [ "${outcome%% *}" = "$token" ] && break
    sleep 2
  done
  outcome=${outcome#* }
  [ "$outcome" = "$3" ] || fail "$1 $token: ${outcome:-no outcome within 300 s} ($(k -n "$APP_NS" get backuppolicy/recipes-backups -o "jsonpath={.status.$2.message}"))"
  echo "  $((SECONDS - T0)) s  $1=$token: $outcome"
}
step "7/7 a backup to the in-cluster S3 and a restore test of it, on demand"
on_demand backup-now lastOnDemandBackup Succeeded
k -n "$APP_NS" get backuppolicy/recipes-backups -o 'jsonpath=  backup {.status.lastBackup.id}: {.status.lastBackup.sizeBytes} bytes (compressed, encrypted) at s3://recipes-backups/{.status.lastBackup.objectKey}{"\n"}'
on_demand restore-test-now lastOnDemandRestoreTest Passed
k -n "$APP_NS" get backuppolicy/recipes-backups -o 'jsonpath=  restore test of {.status.lastRestoreTest.backupId}: {.status.lastRestoreTest.outcome}, restored in {.status.lastRestoreTest.recoveryTimeSeconds} s (RTO met: {.status.lastRestoreTest.rtoMet}){"\n"}'

echo
echo "\$ kubectl get databaseunits,backuppolicies,maintenancewindows,gdprrequests -n $APP_NS"
k get databaseunits,backuppolicies,maintenancewindows,gdprrequests -n "$APP_NS"
echo
echo "\$ kubectl get pods -n $APP_NS -o wide"
k get pods -n "$APP_NS" -o wide
echo
metrics_ip=$(k -n "$OPERATOR_NS" get service "$RELEASE-metrics" -o 'jsonpath={.spec.clusterIP}')
metrics_port=$(k -n "$OPERATOR_NS" get service "$RELEASE-metrics" -o 'jsonpath={.spec.ports[0].port}')
series=$(curl -fsS --max-time 5 "http://$metrics_ip:$metrics_port/metrics" 2>/dev/null | grep -c '^databaseunit_' || true)
cat <<EOF
Ready in $((SECONDS - T0)) s. Everything runs as pods on node $NODE_NAME of the local cluster.
  export KUBECONFIG=$KUBECONFIG_ADMIN
  kubectl=$KUBE_BIN/kubectl   (helm: $HELM_BIN)
  $KUBE_BIN/kubectl get du,bp,mw,gdpr -n $APP_NS
Operator metrics ($series databaseunit_* series now): Service $OPERATOR_NS/$RELEASE-metrics,
  from this machine: curl http://$metrics_ip:$metrics_port/metrics
  or: $KUBE_BIN/kubectl -n $OPERATOR_NS port-forward service/$RELEASE-metrics 8080:$metrics_port
      then curl http://127.0.0.1:8080/metrics
The cluster is a machine service: it stays up after the demo. Stop it with scripts/cluster/down.sh
(scripts/cluster/down.sh --purge also deletes its data).
EOF
[ "$EXIT_AFTER" = 1 ] && exit 0
trap 'printf "\nThe cluster keeps running. Stop it with scripts/cluster/down.sh\n"; exit 0' INT TERM
echo
echo "Showing the samples' Events (Ctrl-C to stop watching):"
k get events -n "$APP_NS" --watch-only
