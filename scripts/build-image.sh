#!/usr/bin/env bash
# Builds the operator image with Docker: packages the operator jar with its runtime dependencies into
# target/image/lib, then `docker build`. Usage: scripts/build-image.sh [image:tag]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
IMAGE="${1:-databaseunit-operator:dev}"
command -v docker >/dev/null && docker info >/dev/null 2>&1 \
  || { log "no Docker engine reachable: the image can only be built where one exists"; exit 1; }
./mvnw -q -B -ntp package -DskipTests
rm -rf target/image && mkdir -p target/image/lib
cp target/databaseunit-operator-*.jar target/image/lib/
./mvnw -q -B -ntp dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/image/lib
docker build -t "$IMAGE" .
log "built $IMAGE"
