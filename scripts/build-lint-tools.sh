#!/usr/bin/env bash
# Builds the third-party checkers of scripts/lint-chart.sh into the state directory, from their Go modules, and
# unpacks the schemas kubeconform needs (offline: the Kubernetes OpenAPI document of the k8s.io/kubernetes module that
# scripts/build-kube-binaries.sh already downloads, and the Prometheus Operator's CRDs from its module). Cached: a second
# run returns at once. Cold (empty Go module and build caches, 2 shared cores): kubeconform 1 min 51 s, kube-score
# 6 min 23 s, dashboard-linter 6 min 16 s, the schemas 10 s.
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || { log "Go is required to build the lint tools"; exit 1; }
mkdir -p "$LINT_BIN_DIR"
export GOFLAGS="${GOFLAGS:-} -mod=mod" CGO_ENABLED=0

# go install of an exact release, skipped when the binary of that version is there.
install_tool() {
  local name=$1 package=$2 version=$3
  if [ -x "$LINT_BIN_DIR/$name" ] && [ "$(cat "$LINT_BIN_DIR/$name.version" 2>/dev/null)" = "$version" ]; then
    return 0
  fi
  log "building $name $version from its Go module"
  GOBIN="$LINT_BIN_DIR" go install -trimpath -ldflags "-s -w" "$package@$version"
  echo "$version" > "$LINT_BIN_DIR/$name.version"
}

install_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
# kube-linter is not served by the Go module proxy here (neither golang.stackrox.io/kube-linter nor
# github.com/stackrox/kube-linter); kube-score is the third-party linter in its place (helm/databaseunit-operator/README.md).
install_tool kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION"

# dashboard-linter has no release the proxy serves and its commit is not in the checksum database: tools/dashboard-linter
# pins it by commit, with go.sum hashes checked once against the repository's own tree (see that go.mod).
src="$ROOT/tools/dashboard-linter"
stamp="$(cat "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)"
if ! [ -x "$LINT_BIN_DIR/dashboard-linter" ] || [ "$(cat "$LINT_BIN_DIR/dashboard-linter.version" 2>/dev/null)" != "$stamp" ]; then
  log "building dashboard-linter (tools/dashboard-linter)"
  (cd "$src" && GOFLAGS="-mod=readonly" go build -trimpath -ldflags "-s -w" -o "$LINT_BIN_DIR/dashboard-linter" github.com/grafana/dashboard-linter)
  echo "$stamp" > "$LINT_BIN_DIR/dashboard-linter.version"
fi

# kubeconform's schemas, strict, for Kubernetes $K8S_VERSION, the chart's CRDs and the Prometheus Operator's kinds.
stamp="$(cat "$ROOT"/crds/*.yml "$ROOT/scripts/lint/openapi2jsonschema.py" | sha256sum | cut -c1-16)-$K8S_VERSION-$PROMETHEUS_OPERATOR_VERSION"
if [ "$(cat "$KUBECONFORM_SCHEMAS/.source" 2>/dev/null)" != "$stamp" ]; then
  ensure_packages python3 python3-yaml
  kube=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  promop=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$KUBECONFORM_SCHEMAS"
  /usr/bin/python3 "$ROOT/scripts/lint/openapi2jsonschema.py" "$KUBECONFORM_SCHEMAS" "$kube/api/openapi-spec/swagger.json" \
    "$ROOT"/crds/*.yml "$promop"/example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,podmonitors,prometheusrules}.yaml
  echo "$stamp" > "$KUBECONFORM_SCHEMAS/.source"
fi
