#!/usr/bin/env bash
# The test command: installs and starts everything the tests need (idempotent, fast when cached), then runs
# unit tests, CRD checks and the integration tests against the real services and a real kube-apiserver.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start=$(date +%s)
bash scripts/install-deps.sh
bash scripts/build-kube-binaries.sh
bash scripts/start-services.sh
log "environment ready in $(( $(date +%s) - start ))s"
./mvnw -B -ntp verify "$@"
log "tests finished in $(( $(date +%s) - start ))s"
