#!/usr/bin/env bash
# The seed's fixed HNSW settings vs ef_search tuned by the operator's recall probe to 0.95, next to the exact scan,
# on clustered and on uniform 1536-dim embeddings. Writes bench/results/vector.md. Not part of the test run.
# Usage: bench/vector.sh [rows per shape]   (default 50000; with the autoRebuild steps, up to about 35 minutes on 2 cores)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ROWS="${1:-50000}"
bash scripts/start-services.sh
./mvnw -B -ntp -q test-compile
./mvnw -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java" -Xmx2g \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  dev.databaseunit.operator.bench.VectorBench "$ROWS" bench/results/vector.md
