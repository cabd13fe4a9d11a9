#!/usr/bin/env bash
# Builds kstatus-check (tools/kstatus: cli-utils' kstatus, the status library of Flux, kpt and kubectl apply --wait, as
# a filter from an object's JSON to its verdict) into the state directory, for KstatusIT. Cached on the source: a
# second run returns at once.
source "$(dirname "$0")/lib.sh"

src="$ROOT/tools/kstatus"
stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
if [ -x "$KSTATUS_BIN" ] && [ "$(cat "$KSTATUS_BIN.source" 2>/dev/null)" = "$stamp" ]; then
  log "kstatus-check cached at $KSTATUS_BIN"
  exit 0
fi
command -v go >/dev/null || { log "Go is required to build kstatus-check"; exit 1; }
mkdir -p "$(dirname "$KSTATUS_BIN")"
log "building kstatus-check from sigs.k8s.io/cli-utils (tools/kstatus)"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$KSTATUS_BIN" .)
echo "$stamp" > "$KSTATUS_BIN.source"
echo '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"probe"}}' | "$KSTATUS_BIN" >/dev/null
