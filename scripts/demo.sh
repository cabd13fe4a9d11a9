#!/usr/bin/env bash
# The embedded default: installs and starts PostgreSQL+pgvector, PgBouncer, Redis and S3 locally, then a local
# kube-apiserver with the operator in-process, applies samples/ and shows them reconciled. Ctrl-C stops the
# control plane and operator; the services keep running (scripts/stop-services.sh stops them).
# Pass --exit to stop right after showing the status.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh
bash scripts/build-kube-binaries.sh
bash scripts/start-services.sh
# The sample DatabaseUnit's database on the local server.
as_service_user psql -h "$SERVICE_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'recipes'" | grep -q 1 \
  || as_service_user psql -h "$SERVICE_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -qc "CREATE DATABASE recipes"
# The samples' buckets (backups, their cross-region copy, GDPR exports): a bucket of s3proxy's filesystem
# backend is a directory. On a real cluster the buckets exist already; the operator never creates them.
for bucket in recipes-backups recipes-backups-dr recipes-gdpr-exports; do
  mkdir -p "$SERVICE_DIR/s3/$bucket"
done
./mvnw -q -B -ntp test-compile exec:java -Dexec.args="$*"
