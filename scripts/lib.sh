# Shared settings for the project's environment scripts. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Everything the scripts install or start lives under one state directory, outside the work tree.
STATE_DIR="${DU_STATE_DIR:-$HOME/.cache/databaseunit}"
mkdir -p "$STATE_DIR"
# Service data and sockets: PostgreSQL and PgBouncer refuse to run as root, so when we are root they run as
# the `postgres` OS user and their directory must be reachable by it (not under /root).
if [ "$(id -u)" = 0 ]; then
  SERVICE_USER=postgres
  SERVICE_DIR="${DU_SERVICE_DIR:-/var/tmp/databaseunit}"
else
  SERVICE_USER="$(id -un)"
  SERVICE_DIR="${DU_SERVICE_DIR:-$STATE_DIR/services}"
fi

# Versions of the Kubernetes control plane built from Go modules (see DESIGN.md §4).
K8S_VERSION="${K8S_VERSION:-1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
KUBEAPITEST_DIR="$HOME/.kubeapitest/k8s/${K8S_VERSION}-linux-amd64"
# Helm, built from its Go module by scripts/build-tools.sh for the chart tests.
HELM_VERSION="${HELM_VERSION:-3.22.0}"
HELM_BIN="$STATE_DIR/bin/helm"
# kstatus-check (tools/kstatus), built by scripts/build-kstatus.sh for KstatusIT.
KSTATUS_BIN="$STATE_DIR/bin/kstatus-check"
# kubectl-dbu (tools/kubectl-dbu), the kubectl plugin, built by scripts/build-plugin.sh; its release archives beside it.
KUBECTL_DBU_BIN="$STATE_DIR/bin/kubectl-dbu"
PLUGIN_RELEASE_DIR="$STATE_DIR/plugin-release"

# Third-party checkers of the chart and dashboards (scripts/build-lint-tools.sh, scripts/lint-chart.sh).
LINT_BIN_DIR="$STATE_DIR/lint/bin"
KUBECONFORM_VERSION=v0.8.0
KUBE_SCORE_VERSION=v1.20.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0
KUBECONFORM_SCHEMAS="$STATE_DIR/lint/schemas"

# Loopback ports of the local test services; override with the environment.
PG_PORT="${DU_PG_PORT:-55432}"
PGBOUNCER_PORT="${DU_PGBOUNCER_PORT:-56432}"
REDIS_PORT="${DU_REDIS_PORT:-56379}"
S3_PORT="${DU_S3_PORT:-58080}"
PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
# Credentials of the local, loopback-only test services (not secrets: nothing else can reach them).
PG_SUPERUSER=postgres
PG_SUPERUSER_PASSWORD="${DU_PG_PASSWORD:-local-test-superuser}"
PGBOUNCER_ADMIN=pgbouncer_admin
PGBOUNCER_ADMIN_PASSWORD="${DU_PGBOUNCER_ADMIN_PASSWORD:-local-test-admin}"
S3_ACCESS_KEY="${DU_S3_ACCESS_KEY:-local-test-access}"
S3_SECRET_KEY="${DU_S3_SECRET_KEY:-local-test-secret}"
S3PROXY_VERSION=2.6.0

# Runs a command as the service user (a no-op switch when we are not root).
as_service_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$SERVICE_USER" -- "$@"; else "$@"; fi
}

# Closes every descriptor above stderr this shell inherited (bash's script descriptor 255 excepted). A daemon
# started afterwards would otherwise hold them for life: a caller's `flock` on a lock file, for one, would stay
# held for as long as the cluster or the services run, and every later run would wait on it.
close_inherited_fds() {
  local self=$BASHPID fd
  for fd in $(ls "/proc/$self/fd"); do
    case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
  done
}
log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# The newest JDK under /usr/lib/jvm (the project compiles at Java 21 language level).
newest_jdk() {
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*/; do
    [ -x "$d/bin/javac" ] || continue
    v=$("$d/bin/javac" -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')
    if [[ "$v" =~ ^[0-9]+$ ]] && (( v > best_v )); then best_v=$v; best=${d%/}; fi
  done
  [ -n "$best" ] || { log "no JDK found under /usr/lib/jvm"; return 1; }
  (( best_v >= 21 )) || { log "newest JDK is $best_v; Java 21+ needed"; return 1; }
  echo "$best"
}

# The machine's own Debian mirror, read from its apt sources (deb822 or one-line format), so no script names a
# mirror host: whatever this machine's apt uses is what a debootstrap or a private apt configuration uses too.
debian_mirror() {
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true
}

# Installs the Debian packages among "$@" that are not installed yet (one apt-get update, only when needed).
ensure_packages() {
  local p missing=() sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Makes DIR a wrapper Go module that builds the given k8s.io/kubernetes/cmd/<name> commands of $K8S_VERSION and
# cd's into it. k8s.io/kubernetes points its staging modules at ./staging; the wrapper replaces each with the
# published k8s.io/<name> v0.<minor>.<patch> of the same release. Needs GOFLAGS=-mod=mod (set here).
k8s_wrapper_module() {
  local dir=$1 cmd modfile staging_version m; shift
  case " ${GOFLAGS:-} " in *" -mod=mod "*) ;; *) export GOFLAGS="${GOFLAGS:-} -mod=mod" ;; esac
  export CGO_ENABLED=0
  mkdir -p "$dir" && cd "$dir"
  printf 'module databaseunit.dev/kubebuild\n\ngo 1.24\n' > go.mod
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for cmd in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
    printf ')\n'; } > tools.go
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging_version="v0.${K8S_VERSION#1.}"
  for m in $(grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$modfile" | awk '{print $1}'); do
    go mod edit -replace="$m=$m@$staging_version"
  done
  go mod tidy
}

# The -ldflags that stamp $K8S_VERSION into Kubernetes binaries (what `--version` and the API report).
k8s_ldflags() {
  local f="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  f="$f -X k8s.io/component-base/version.gitMinor=${K8S_VERSION#1.} -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  echo "$f"
}
