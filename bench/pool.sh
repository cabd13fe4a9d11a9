#!/usr/bin/env bash
# Static pool 10, static pool 50 and the adaptive pool loop side by side under one stepped pgbench load
# (low → spike → low) through private PgBouncers. Writes bench/results/pool.md. Not part of the tests; about 8 minutes.
# Usage: bench/pool.sh [lowClients] [spikeClients] [lowSeconds] [spikeSeconds] [afterSeconds]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.pool.PoolBench -Dexec.args="$*"
