#!/usr/bin/env bash
# Checks the chart and the Grafana dashboards with third-party tools (built by scripts/build-lint-tools.sh): the chart,
# rendered with several value sets, must pass kubeconform in strict mode against the schemas of Kubernetes
# $K8S_VERSION, the chart's CRDs and the Prometheus Operator's kinds (no kind is skipped), and kube-score; the dashboards
# must pass Grafana's dashboard-linter. Exclusions live in scripts/lint/, each with its reason. Exits non-zero on any
# finding.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/build-lint-tools.sh
chart=helm/databaseunit-operator
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0

value_sets=(
  "defaults|"
  "namespaced|--set rbac.scope=namespaced --set watchNamespaces={apps,shop}"
  "everything-on|--set metrics.serviceMonitor.enabled=true --set metrics.podMonitor.enabled=true
    --set prometheusRule.enabled=true --set dashboards.enabled=true --set networkPolicy.enabled=true
    --set networkPolicy.apiServer.cidrs={10.96.0.1/32} --set networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring"
)
kubeconform() {
  "$LINT_BIN_DIR/kubeconform" -strict -summary -kubernetes-version "$K8S_VERSION" \
    -schema-location "$KUBECONFORM_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$@"
}
# Strictness first: every object in must-fail/ has an unknown field and must be reported invalid, one by one.
expected=$(grep -c '^kind:' scripts/lint/must-fail/unknown-fields.yaml)
invalid=$(kubeconform -output json scripts/lint/must-fail/unknown-fields.yaml | grep -c '"status": "statusInvalid"' || true)
if [ "$invalid" != "$expected" ]; then
  log "kubeconform reported $invalid of the $expected objects in scripts/lint/must-fail/ invalid: schemas missing or not strict"
  status=1
fi
mapfile -t score_args < <(grep -v '^#' scripts/lint/kube-score.args | awk 'NF {print $1}')
for entry in "${value_sets[@]}"; do
  name=${entry%%|*}
  # shellcheck disable=SC2086 # the value set is a list of words
  "$HELM_BIN" template t "$chart" --namespace ops --kube-version "$K8S_VERSION" ${entry#*|} > "$out/$name.yaml"
  log "chart ($name): kubeconform"
  kubeconform "$out/$name.yaml" || status=1
  log "chart ($name): kube-score"
  "$LINT_BIN_DIR/kube-score" score --kubernetes-version "v${K8S_VERSION%.*}" --output-format ci "${score_args[@]}" \
    "$out/$name.yaml" > "$out/$name.score" || true
  # kube-score exits non-zero only on CRITICAL; a WARNING is a finding too.
  if grep -vE '^\[(OK|SKIPPED)\]' "$out/$name.score" >&2; then status=1; fi
done

for dashboard in "$chart"/files/dashboards/*.json; do
  log "dashboard-linter: $dashboard"
  # It names every rule it ran, then its findings; show the findings only.
  found=$("$LINT_BIN_DIR/dashboard-linter" lint --strict --config scripts/lint/dashboard-linter.yaml "$dashboard" 2>&1) || status=1
  grep -v '^Checks that' <<< "$found" >&2 || true
done
[ "$status" = 0 ] && log "chart and dashboards: no findings"
exit $status
