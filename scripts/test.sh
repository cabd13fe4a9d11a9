#!/usr/bin/env bash
# The test command: installs and starts everything the tests need (idempotent, fast when cached), then runs
# the chart and dashboard linters, unit tests, CRD checks, the integration tests against the real services and a real
# kube-apiserver, and the e2e on the local cluster (the chart installed with Helm, managed units as pods, fault scenarios).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start=$(date +%s)
bash scripts/install-deps.sh
bash scripts/build-kube-binaries.sh
bash scripts/build-tools.sh
bash scripts/build-kstatus.sh
bash scripts/build-lint-tools.sh
bash scripts/build-plugin.sh
bash scripts/start-services.sh
# The local single-node cluster the e2e runs on (docs/local-cluster.md) and every image it needs but the operator's,
# which the e2e builds from the jar this build packages.
bash scripts/cluster/up.sh >/dev/null
bash scripts/cluster/images.sh pause coredns local-path local-path-helper postgres pgbouncer redis s3proxy
log "environment ready in $(( $(date +%s) - start ))s"
status=0
# The chart and dashboards through third-party checkers (kubeconform, kube-score, dashboard-linter): a finding fails the run.
bash scripts/lint-chart.sh || status=$?
./mvnw -B -ntp verify "$@" || status=$?
# The application-side cache library is its own Maven project (no operator dependency); its tests use the same
# shared PostgreSQL and Redis, plus a private redis-server they start and kill themselves.
./mvnw -B -ntp -f client/pom.xml verify || status=$?
# Surefire counts skips but prints no reasons; a skipped test must say why, so list them here.
awk '/<testcase /{match($0,/name="[^"]*"/); t=substr($0,RSTART+6,RLENGTH-7); match($0,/classname="[^"]*"/); c=substr($0,RSTART+11,RLENGTH-12)}
     /<skipped message=/{match($0,/message="[^"]*"/); print "skipped: " c "." t " -- " substr($0,RSTART+9,RLENGTH-10)}' \
  target/surefire-reports/TEST-*.xml target/failsafe-reports/TEST-*.xml \
  client/target/surefire-reports/TEST-*.xml client/target/failsafe-reports/TEST-*.xml >&2 2>/dev/null || true
log "tests finished in $(( $(date +%s) - start ))s"
exit $status
