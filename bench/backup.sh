#!/usr/bin/env bash
# Logical backup and restore-test speed, ours before/after vs raw pg_dump -Fc and -Fd -j2, on a generated recipe database (defaults: 10,000
# users × 20 recipes, an embedding for every 10th recipe, ~0.5 GB). Writes bench/results/backup.md. Not part of
# the tests. Usage: bench/backup.sh [users] [recipesPerUser] [embeddingEvery]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.bench.BackupBench -Dexec.args="$*"
