#!/usr/bin/env bash
# Cache benchmark: a Zipf read/write workload over the seed schema's users and recipes, run side by side in one
# process against (a) PostgreSQL directly, (b) Redis only, (c) the client library's L1 + L2, warm and cold.
# Uses the shared PostgreSQL and Redis (scripts/start-services.sh); its database and keys are removed afterwards.
# Writes bench/results/cache.md. Extra key=value arguments override the defaults of CacheBenchmark.Settings,
# e.g. bash bench/cache.sh ops=40000 keys=20000
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/start-services.sh
./mvnw -B -ntp -q -f client/pom.xml test-compile exec:java \
  -Dexec.args="schema=$ROOT/samples/recipe-schema.yaml out=$ROOT/bench/results/cache.md $*"
