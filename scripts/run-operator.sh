#!/usr/bin/env bash
# Runs the operator process against the cluster of the current kubeconfig (KUBECONFIG or ~/.kube/config),
# outside the cluster. Environment: WATCH_NAMESPACES, LEADER_ELECTION, OPERATOR_NAMESPACE, MANAGEMENT_PORT.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
./mvnw -q -B -ntp compile
classpath="target/classes:$(./mvnw -q -B -ntp dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/dev/stdout)"
exec "$(newest_jdk)/bin/java" -cp "$classpath" dev.databaseunit.operator.Main
