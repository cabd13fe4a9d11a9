#!/usr/bin/env bash
# The logical backup pipeline alone: old (pg_dump's zlib) vs ours vs `pg_dump -Z0 | zstd -1`, on a generated recipe
# database (defaults: 5,000 users × 20 recipes, an embedding for every 10th recipe, ~0.28 GB). Writes its section of
# bench/results/backup.md. Run it under the services lock. Usage: bench/backup-stages.sh [users] [recipesPerUser] [embeddingEvery]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp -o test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.bench.BackupStagesBench -Dexec.args="$*"
