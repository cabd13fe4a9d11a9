#!/usr/bin/env bash
# Regenerates the chart's Prometheus rule file from AlertRuleSet (the seed's thresholds, three escalation
# levels per condition). Never hand-edit the rule file; AlertRulesTest fails when it is stale.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
./mvnw -q -B -ntp test-compile exec:java -Dexec.mainClass=dev.databaseunit.operator.monitoring.AlertRuleSet
