#!/usr/bin/env bash
# Event-driven cache invalidation on the seed schema: UPDATE throughput/latency without and with the operator's
# trigger + listener, side by side in one run, and the invalidation lag. Writes bench/results/cache-invalidation.md.
# Uses the local PostgreSQL and Redis (a scratch database and a unique key prefix, both removed). Not part of the tests.
# Usage: bench/cache-invalidation.sh [users] [secondsPerPhase] [clients] [rounds]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java \
  -Dexec.mainClass=dev.databaseunit.operator.cache.CacheInvalidationBench -Dexec.args="$*"
