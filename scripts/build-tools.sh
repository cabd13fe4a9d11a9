#!/usr/bin/env bash
# Builds the Helm CLI from its Go module (no Debian package provides it) into the state directory, for the
# chart tests (helm lint/template). Cached: a second run returns at once.
source "$(dirname "$0")/lib.sh"

if [ -x "$HELM_BIN" ] && "$HELM_BIN" version --short 2>/dev/null | grep -q "v$HELM_VERSION"; then
  log "Helm v$HELM_VERSION cached at $HELM_BIN"
  exit 0
fi
command -v go >/dev/null || { log "Go is required to build Helm"; exit 1; }
mkdir -p "$(dirname "$HELM_BIN")"
log "building Helm v$HELM_VERSION from its Go module (cold: a few minutes on 2 cores)"
GOFLAGS="${GOFLAGS:-} -mod=mod" CGO_ENABLED=0 GOBIN="$(dirname "$HELM_BIN")" \
  go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
"$HELM_BIN" version --short
