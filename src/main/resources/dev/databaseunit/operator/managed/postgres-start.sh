# The managed PostgreSQL container's command: sh -c <this> postgres <postgres -c settings...>
# It relies only on what the upstream postgres/pgvector images and the locally built one both provide: sh,
# initdb, pg_ctl, psql and postgres on PATH, running as the image's postgres user (uid 999), and the pod's
# emptyDirs /tmp and /var/run/postgresql. Environment: PGDATA, POSTGRES_USER, POSTGRES_PASSWORD (from the
# superuser Secret), POSTGRES_DB. No image entrypoint is used.
#
# First start (no $PGDATA/PG_VERSION): initdb next to PGDATA (the password reaches initdb as a file in the
# /tmp emptyDir, never on a command line or in a log), create the database with a server listening on a private
# socket only (probes do not see it), write pg_hba.conf (network connections must use TLS with a password; the
# local socket admits the image's own user), then move the directory in place: a start cut short leaves nothing
# that looks initialised and is simply done again. Every later start just runs postgres.
set -eu
umask 077
scratch="${TMPDIR:-/tmp}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -e "$PGDATA" ] && ! rmdir "$PGDATA" 2>/dev/null; then
    echo "$PGDATA is not empty and holds no database cluster (no PG_VERSION): refusing to initialise over it" >&2
    exit 1
  fi
  init="$PGDATA.init"
  rm -rf "$init"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$scratch/superuser-password"
  initdb -D "$init" -U "$POSTGRES_USER" --pwfile="$scratch/superuser-password" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=reject > /dev/null
  rm -f "$scratch/superuser-password"
  pg_ctl -D "$init" -w -s -o "-c listen_addresses='' -c unix_socket_directories='$scratch'" start
  printf '%s\n' "SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')" \
    '\gexec' | psql -X -q -v ON_ERROR_STOP=1 -v db="$POSTGRES_DB" -h "$scratch" -U "$POSTGRES_USER" -d postgres
  pg_ctl -D "$init" -w -s -m fast stop
  printf '%s\n' '# Written by the DatabaseUnit operator on the first start: TLS and a password over the network.' \
    '# TYPE  DATABASE  USER  ADDRESS    METHOD' \
    'local   all       all              peer' \
    'hostssl all       all   0.0.0.0/0  scram-sha-256' \
    'hostssl all       all   ::/0       scram-sha-256' > "$init/pg_hba.conf"
  mv "$init" "$PGDATA"
  echo "database cluster initialised in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)" >&2
fi
unset POSTGRES_PASSWORD
exec postgres -D "$PGDATA" "$@"
