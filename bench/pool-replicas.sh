#!/usr/bin/env bash
# One PgBouncer against two, each sized by the operator's replica loop within one connection budget, under the stepped
# pgbench load of bench/pool.sh (8 → 60 → 8 clients), through private PgBouncers. Writes bench/results/pool-replicas.md.
# Not part of the tests; about 5 minutes. Run it under the services lock so nothing else shares the machine.
# Usage: bench/pool-replicas.sh [lowClients] [spikeClients] [lowSeconds] [spikeSeconds] [afterSeconds]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.pool.PoolReplicasBench -Dexec.args="$*"
