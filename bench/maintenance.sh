#!/usr/bin/env bash
# pgbench through a private PgBouncer while maintenance runs: naive (terminate backends, tasks, restart PgBouncer)
# vs the operator's drain-based MaintenanceWindow, side by side. Writes bench/results/maintenance.md. About 2 minutes.
# Usage: bench/maintenance.sh [seconds per run, default 30] [clients, default 8]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/build-kube-binaries.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.bench.MaintenanceBench -Dexec.args="$*"
