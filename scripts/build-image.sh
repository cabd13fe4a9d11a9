#!/usr/bin/env bash
# Builds the operator image with Docker: packages the operator jar with its runtime dependencies into
# target/image/lib (the image's /app/lib, run as `java -cp /app/lib/* ...`), then `docker build`.
# Usage: scripts/build-image.sh [--no-package] [--stage-only] [image:tag]
#   --no-package  use the jar already in target/ (the e2e test runs inside a Maven build that has packaged it;
#                 a nested `package` would rewrite the jar under the running tests)
#   --stage-only  only fill target/image/lib (needs no Docker engine: to check the layout)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PACKAGE=1
STAGE_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-package) PACKAGE=0; shift ;;
    --stage-only) STAGE_ONLY=1; shift ;;
    *) break ;;
  esac
done
IMAGE="${1:-databaseunit-operator:dev}"
if [ "$STAGE_ONLY" = 0 ]; then
  command -v docker >/dev/null && docker info >/dev/null 2>&1 \
    || { log "no Docker engine reachable: the image can only be built where one exists"; exit 1; }
fi
if [ "$PACKAGE" = 1 ]; then
  # No stale jar of an older version may end up on the classpath beside the new one.
  rm -f target/databaseunit-operator-*.jar
  ./mvnw -q -B -ntp package -DskipTests
fi
jars=(target/databaseunit-operator-*.jar)
[ "${#jars[@]}" = 1 ] && [ -f "${jars[0]}" ] \
  || { log "expected exactly one operator jar in target/, found: ${jars[*]}"; exit 1; }
rm -rf target/image && mkdir -p target/image/lib
cp "${jars[0]}" target/image/lib/
./mvnw -q -B -ntp org.apache.maven.plugins:maven-dependency-plugin:3.7.0:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory=target/image/lib
log "staged $(ls target/image/lib | wc -l) jars in target/image/lib"
[ "$STAGE_ONLY" = 1 ] && exit 0
docker build -t "$IMAGE" .
log "built $IMAGE"
