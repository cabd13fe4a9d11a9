#!/usr/bin/env bash
# The developer stack, without a cluster: installs and starts PostgreSQL+pgvector, PgBouncer, Redis and s3proxy
# on loopback (scripts/start-services.sh), then a local kube-apiserver with the operator in-process; applies
# samples/ rewritten to external mode on those services (testing/LocalSamples creates their databases, buckets and
# Secrets) and shows them reconciled. Ctrl-C stops the control plane and operator; the services keep running
# (scripts/stop-services.sh stops them). Pass --exit to stop right after showing the status.
# scripts/demo.sh is the real thing: the same samples in managed mode on a local Kubernetes cluster.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/install-deps.sh
bash scripts/build-kube-binaries.sh
bash scripts/start-services.sh
./mvnw -q -B -ntp test-compile exec:java -Dexec.args="$*"
