#!/usr/bin/env bash
# HNSW vs exact scan on synthetic clustered 1536-dim embeddings: build time, recall@10 and latency at
# ef_search 20/40/80/160. Writes bench/results/vector.md. Not part of the test run.
# Usage: bench/vector.sh [rows]   (default 100000; see bench/results/vector.md for the size last used and why)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ROWS="${1:-100000}"
bash scripts/start-services.sh
./mvnw -B -ntp -q test-compile
./mvnw -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" -Xmx2g \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  dev.databaseunit.operator.bench.VectorBench "$ROWS" bench/results/vector.md
