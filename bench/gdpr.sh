#!/usr/bin/env bash
# GDPR erasure of one subject with 10k recipes + embeddings + ingredients: the operator's transactional erasure in
# dependency order vs a hand-written single DELETE ... CASCADE on a copy of the schema with ON DELETE CASCADE keys,
# same data, side by side in one run. Writes bench/results/gdpr.md. Uses the local PostgreSQL (scratch databases,
# dropped afterwards). Not part of the tests.
# Usage: bench/gdpr.sh [recipes=10000] [rounds=3] [otherUsers=20] [otherRecipes=100]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh && bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.bench.GdprBench -Dexec.args="$*"
