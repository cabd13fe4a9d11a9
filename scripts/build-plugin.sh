#!/usr/bin/env bash
# Builds kubectl-dbu (tools/kubectl-dbu), the kubectl plugin, into the state directory after its go tests pass, with
# kubectl-dbu-testclock beside it for KubectlDbuIT; cached on their sources: a second run returns at once. Put it on PATH to use it as `kubectl dbu` (README, "kubectl plugin").
#
#   --archive  also builds the release archives krew installs (tools/kubectl-dbu/krew/dbu.yaml), one per platform,
#              into $PLUGIN_RELEASE_DIR, prints their sha256 and checks them against the manifest. The archives are
#              reproducible (-trimpath, no VCS stamp, tar with fixed owner, order and times, gzip without a name), so
#              the same sources and Go version give the same sha256.
source "$(dirname "$0")/lib.sh"

src="$ROOT/tools/kubectl-dbu"
manifest="$src/krew/dbu.yaml"
version="v$(sed -nE 's/^appVersion: "?([^"]+)"?$/\1/p' "$ROOT/helm/databaseunit-operator/Chart.yaml")"
platforms="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64"
command -v go >/dev/null || { log "Go is required to build kubectl-dbu"; exit 1; }

build() { # GOOS GOARCH OUTPUT [go build flags]
  local os="$1" arch="$2" output="$3"
  shift 3
  (cd "$src" && CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath -buildvcs=false -ldflags "-s -w" "$@" -o "$output" .)
}

stamp="$(cd "$src" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"
if [ -x "$KUBECTL_DBU_BIN" ] && [ -x "$KUBECTL_DBU_BIN-testclock" ] && [ "$(cat "$KUBECTL_DBU_BIN.source" 2>/dev/null)" = "$stamp" ]; then
  log "kubectl-dbu cached at $KUBECTL_DBU_BIN"
else
  log "testing and building kubectl-dbu (tools/kubectl-dbu)"
  (cd "$src" && go vet . && go test -count=1 .)
  mkdir -p "$(dirname "$KUBECTL_DBU_BIN")"
  build "$(go env GOOS)" "$(go env GOARCH)" "$KUBECTL_DBU_BIN"
  # KubectlDbuIT's build: its clock is shifted to the test operator's (clock_testclock.go).
  build "$(go env GOOS)" "$(go env GOARCH)" "$KUBECTL_DBU_BIN-testclock" -tags testclock
  echo "$stamp" > "$KUBECTL_DBU_BIN.source"
  "$KUBECTL_DBU_BIN" help >/dev/null
fi

[ "${1:-}" = "--archive" ] || exit 0
mkdir -p "$PLUGIN_RELEASE_DIR"
mismatch=0
for platform in $platforms; do
  os="${platform%/*}" arch="${platform#*/}"
  archive="$PLUGIN_RELEASE_DIR/kubectl-dbu_${version}_${os}_${arch}.tar.gz"
  staging="$(mktemp -d)"
  build "$os" "$arch" "$staging/kubectl-dbu"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$staging" -cf - kubectl-dbu | gzip -9 -n > "$archive"
  rm -rf "$staging"
  sum="$(sha256sum "$archive" | cut -d' ' -f1)"
  echo "$sum  $archive"
  # The manifest's entry for this platform is the uri line naming the archive, then its sha256.
  listed="$(grep -A1 "/kubectl-dbu_${version}_${os}_${arch}.tar.gz" "$manifest" | sed -nE 's/^ *sha256: *"?([0-9a-f]{64})"?$/\1/p')"
  if [ "$listed" != "$sum" ]; then
    log "$manifest lists ${listed:-no sha256} for $os/$arch, the archive is $sum: update the manifest"
    mismatch=1
  fi
done
exit $mismatch
