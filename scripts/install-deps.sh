#!/usr/bin/env bash
# Installs the system packages the tests and the local stack need: PostgreSQL 15 with pgvector, PgBouncer,
# Redis, promtool (from Debian's prometheus package, for the alert rule tests), Lua (Argo CD health checks),
# openssl (test certificates) and build tools. Idempotent: it does nothing when everything is present.
source "$(dirname "$0")/lib.sh"

PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-contrib pgbouncer redis-server prometheus lua5.4 openssl make gcc dpkg-dev)
VECTOR_CONTROL="/usr/share/postgresql/$PG_MAJOR/extension/vector.control"

ensure_packages "${PACKAGES[@]}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
# Debian's packages start system-wide services we do not use: our own instances run on private ports.
for svc in postgresql pgbouncer redis-server prometheus; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO service "$svc" stop >/dev/null 2>&1 || true
done

if [ ! -f "$VECTOR_CONTROL" ]; then
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" = "trixie" ] && apt-cache show "postgresql-$PG_MAJOR-pgvector" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-$PG_MAJOR-pgvector" >/dev/null
  else
    # Bookworm has no pgvector package: build it from trixie's source package, with a private apt
    # configuration so the system's package lists stay untouched.
    mirror=$(debian_mirror)
    [ -n "$mirror" ] || { log "cannot find a Debian mirror in the apt sources"; exit 1; }
    APT_DIR="$STATE_DIR/apt-trixie"
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/src"
    echo "deb-src $mirror trixie main" > "$APT_DIR/sources.list"
    APT_OPTS=(-o APT::Sandbox::User=root -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$APT_DIR/lists")
    log "building pgvector from Debian trixie's source package"
    apt-get "${APT_OPTS[@]}" update -qq
    ( cd "$APT_DIR/src" && rm -rf pgvector-* && apt-get "${APT_OPTS[@]}" source -qq --download-only pgvector >/dev/null \
      && dpkg-source -x --no-check pgvector_*.dsc >/dev/null )
    src=$(find "$APT_DIR/src" -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
    make -s -C "$src" PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
    $SUDO make -s -C "$src" PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" install >/dev/null
  fi
fi
[ -f "$VECTOR_CONTROL" ] || { log "pgvector is not installed"; exit 1; }
log "PostgreSQL $PG_MAJOR + pgvector $(sed -n "s/default_version = '\(.*\)'/\1/p" "$VECTOR_CONTROL"), PgBouncer, Redis present"
