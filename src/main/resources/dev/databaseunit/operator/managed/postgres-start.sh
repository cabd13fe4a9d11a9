# The managed PostgreSQL container's command: sh -c <this> postgres <postgres -c settings...>
# It relies only on what the upstream postgres/pgvector images and the locally built one both provide: sh,
# initdb, pg_ctl, psql (15 or newer, for \getenv) and postgres on PATH, running as the image's postgres user
# (uid 999), and the pod's emptyDirs /tmp and /var/run/postgresql. Environment: PGDATA, POSTGRES_USER and
# POSTGRES_PASSWORD (the superuser's Secret), OPERATOR_USER and OPERATOR_PASSWORD (the operator's role),
# APP_USER and APP_PASSWORD (the application's role), POSTGRES_DB. No image entrypoint is used.
#
# First start (no $PGDATA/PG_VERSION): initdb next to PGDATA (the password reaches initdb as a file in the
# /tmp emptyDir, never on a command line or in a log), write pg_hba.conf (network connections must use TLS with a
# password; the local socket admits the image's own user), then move the directory in place: a start cut short
# leaves nothing that looks initialised and is simply done again.
#
# Every start, before postgres listens: the bootstrap below runs as the superuser through a server listening on a
# private socket only (probes and clients do not see it), so a data directory of any earlier version gets the roles
# too, and a changed password in a role's Secret takes effect on the next start. The superuser is used for nothing
# else: the operator logs in as OPERATOR_USER, applications as APP_USER.
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
  printf '%s\n' '# Written by the DatabaseUnit operator on the first start: TLS and a password over the network.' \
    '# TYPE  DATABASE  USER  ADDRESS    METHOD' \
    'local   all       all              peer' \
    'hostssl all       all   0.0.0.0/0  scram-sha-256' \
    'hostssl all       all   ::/0       scram-sha-256' > "$init/pg_hba.conf"
  mv "$init" "$PGDATA"
  echo "database cluster initialised in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)" >&2
fi
unset POSTGRES_PASSWORD
printf '%s\n' 'local all all trust' > "$scratch/bootstrap-hba.conf"
# Crash recovery happens in this server: it may take as long as the startup probe allows (120 x 5 s), not pg_ctl's 60 s.
pg_ctl -D "$PGDATA" -w -t 600 -s -o "-c listen_addresses='' -c unix_socket_directories='$scratch' -c unix_socket_permissions=0700 -c hba_file='$scratch/bootstrap-hba.conf'" start
bootstrap() {
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$scratch" -U "$POSTGRES_USER" -d "$1"
}
# The roles, their attributes and passwords (psql reads the passwords from the environment and quotes them).
bootstrap postgres <<'SQL'
\getenv db POSTGRES_DB
\getenv op OPERATOR_USER
\getenv op_password OPERATOR_PASSWORD
\getenv app APP_USER
\getenv app_password APP_PASSWORD
SELECT format('CREATE ROLE %I', name) FROM unnest(ARRAY[:'op', :'app']) AS name
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
ALTER ROLE :"op" LOGIN INHERIT CREATEDB NOSUPERUSER NOCREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD :'op_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOREPLICATION PASSWORD :'app_password';
SELECT format('REVOKE %I FROM %I', :'op', :'app') WHERE pg_has_role(:'app', :'op', 'MEMBER') \gexec
GRANT :"app" TO :"op";
GRANT pg_monitor, pg_signal_backend TO :"op";
SELECT format('GRANT pg_maintain TO %I', :'op') WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = 'pg_maintain') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'op') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"op";
SQL
# Extensions only a superuser may create, in the database and in template1 (restore tests' scratch databases). They
# lose their comments: a dump would carry COMMENT ON EXTENSION, which only their owner, the superuser, may restore.
# amcheck grants its functions to nobody (pgstattuple's go to pg_stat_scan_tables, in pg_monitor): the operator's
# role gets them, for maintenance and restore tests.
for database in template1 "$POSTGRES_DB"; do
  bootstrap "$database" <<'SQL'
SELECT format('CREATE EXTENSION IF NOT EXISTS %I', name) FROM pg_available_extensions
  WHERE name IN ('vector', 'amcheck', 'pgstattuple', 'pg_stat_statements') ORDER BY name \gexec
SELECT format('COMMENT ON EXTENSION %I IS NULL', extname) FROM pg_extension
  WHERE extname IN ('vector', 'amcheck', 'pgstattuple', 'pg_stat_statements') ORDER BY extname \gexec
\getenv op OPERATOR_USER
SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p.oid::regprocedure, :'op') FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'amcheck' ORDER BY 1 \gexec
SQL
done
# The database's objects: the operator's role owns the schema and what it creates, the application gets DML on it
# and may create objects of its own. Objects the superuser owns (everything, in a data directory of a version
# that ran all as the superuser) go to the operator's role, with DML for the application except on the GDPR
# tables. Extension members stay the extension's.
bootstrap "$POSTGRES_DB" <<'SQL'
\getenv op OPERATOR_USER
\getenv app APP_USER
ALTER SCHEMA public OWNER TO :"op";
GRANT USAGE, CREATE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"op" GRANT USAGE ON SCHEMAS TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"op" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"op" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app";
SET databaseunit.operator TO :'op';
SET databaseunit.app TO :'app';
DO $$
DECLARE
  op text := current_setting('databaseunit.operator');
  app text := current_setting('databaseunit.app');
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER SCHEMA %1$I OWNER TO %2$I; GRANT USAGE ON SCHEMA %1$I TO %3$I', n.nspname, op, app)
      FROM pg_namespace n WHERE n.nspowner = current_user::regrole AND n.nspname NOT LIKE 'pg\_%'
        AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
    UNION ALL
    -- a sequence that belongs to a column follows its table; the GDPR tables get no grant
    SELECT concat_ws('; ',
        CASE WHEN NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
          THEN format('ALTER %s %s OWNER TO %I', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
            WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass, op) END,
        CASE WHEN c.relname IN ('gdpr_erasure_ledger', 'gdpr_subject_salt')
            OR EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'append_only') THEN NULL
          WHEN c.relkind = 'S' THEN format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO %I', c.oid::regclass, app)
          ELSE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', c.oid::regclass, app) END)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = current_user::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, op)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proowner = current_user::regrole AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, op)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typowner = current_user::regrole AND t.typtype IN ('e', 'd', 'r') AND t.typrelid = 0
        AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    -- one object that cannot be handed over must not keep the database from starting: it stays as it was, and says so
    BEGIN
      EXECUTE statement;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'databaseunit bootstrap: % failed: %', statement, SQLERRM;
    END;
  END LOOP;
END $$;
SQL
pg_ctl -D "$PGDATA" -w -t 600 -s -m fast stop
rm -f "$scratch/bootstrap-hba.conf"
unset OPERATOR_PASSWORD APP_PASSWORD
exec postgres -D "$PGDATA" "$@"
