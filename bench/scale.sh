#!/usr/bin/env bash
# The operator with many DatabaseUnits (default 1000 on 3 databases) on a real API server: time to Ready and
# steady-state CPU/heap/reconciles vs an idle operator. Writes bench/results/scale.md. Not part of the tests.
# Usage: bench/scale.sh [units] [databases] [steadySeconds] [pooler+cache]  (the last: units with the shared
# PgBouncer and Redis as pooler and cache, results in bench/results/scale-loops.md)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/build-kube-binaries.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.bench.ScaleBench -Dexec.args="$*" -Dbench.revision="$(git rev-parse --short HEAD)$(git diff --quiet || echo +changes)"
