#!/usr/bin/env bash
# Cache benchmark: the seed's four cached types (user_profiles write-through, recipes write-behind, search_results
# cache-aside over RecipeSearch's HNSW query, taste_profiles write-through) with their seed TTLs, one at a time and
# together, against (a) PostgreSQL directly, (b) Redis only, (c) the client library's L1 + L2 warm and cold; on an
# idle database, then with a select-only pgbench taking its CPU. Counts stale reads across two client instances.
# Uses the shared PostgreSQL and Redis (scripts/start-services.sh); its databases and keys are removed afterwards.
# Writes bench/results/cache.md (about 9 minutes). Extra key=value arguments override the defaults of
# CacheBenchmark.Settings, e.g. bash bench/cache.sh measureSeconds=10 users=50000
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bash scripts/start-services.sh
./mvnw -B -ntp -q -f client/pom.xml test-compile exec:java \
  -Dexec.args="schema=$ROOT/samples/recipe-schema.yaml out=$ROOT/bench/results/cache.md $*"
