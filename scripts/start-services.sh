#!/usr/bin/env bash
# Starts the local services the tests and the demo use, each on a loopback port: PostgreSQL 15 with pgvector,
# PgBouncer in front of it, Redis, and an S3-compatible server (s3proxy). Idempotent: running services are
# left alone. Writes their coordinates to $STATE_DIR/services.properties, which the Java test harness reads.
source "$(dirname "$0")/lib.sh"
# The services below outlive this script: they must not keep what its caller left open.
close_inherited_fds

mkdir -p "$SERVICE_DIR"
chown "$SERVICE_USER" "$SERVICE_DIR" 2>/dev/null || true
chmod 0755 "$SERVICE_DIR"
PGDATA="$SERVICE_DIR/pgdata"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 name=$2 i
  for i in $(seq 1 120); do port_open "$port" && return 0; sleep 0.5; done
  log "$name did not open port $port"; return 1
}

# --- PostgreSQL -------------------------------------------------------------------------------------------
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "initialising PostgreSQL $PG_MAJOR in $PGDATA"
  pwfile="$SERVICE_DIR/.pgpass-init"
  printf '%s\n' "$PG_SUPERUSER_PASSWORD" > "$pwfile"
  chown "$SERVICE_USER" "$pwfile" 2>/dev/null || true
  as_service_user "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  # A local test server: durability traded for speed (fsync off), loopback only.
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SERVICE_DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = 'pg_stat_statements'
log_min_messages = warning
CONF
fi
if ! port_open "$PG_PORT"; then
  # A server killed uncleanly can leave a postmaster still shutting down; finish it before starting anew.
  as_service_user "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_service_user "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$SERVICE_DIR/postgresql.log" -w -t 60 start >/dev/null
fi
wait_port "$PG_PORT" PostgreSQL

# TLS for the local PostgreSQL: a test CA and a server certificate for localhost/127.0.0.1 (made once), so tests
# can connect with sslmode=verify-full. Plain connections stay allowed (pg_hba "host" lines match both).
# ssl is a reload-time setting since PostgreSQL 10: enabling it or changing the files needs no restart.
TLS_DIR="$SERVICE_DIR/tls"
if [ ! -s "$TLS_DIR/server.crt" ] || [ ! -s "$TLS_DIR/server.key" ] || [ ! -s "$TLS_DIR/ca.crt" ]; then
  log "creating a test CA and server certificate in $TLS_DIR"
  rm -rf "$TLS_DIR.tmp" && mkdir -p "$TLS_DIR.tmp"
  (
    cd "$TLS_DIR.tmp"
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.crt \
      -subj "/CN=DatabaseUnit local test CA" >/dev/null 2>&1
    openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr -subj "/CN=localhost" >/dev/null 2>&1
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
      "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile server.ext -out server.crt >/dev/null 2>&1
    rm -f server.csr server.ext ca.srl
  )
  rm -rf "$TLS_DIR" && mv "$TLS_DIR.tmp" "$TLS_DIR"
fi
chown -R "$SERVICE_USER" "$TLS_DIR" 2>/dev/null || true
chmod 0755 "$TLS_DIR"; chmod 0600 "$TLS_DIR/server.key" "$TLS_DIR/ca.key"; chmod 0644 "$TLS_DIR/ca.crt" "$TLS_DIR/server.crt"
pg_setting() { as_service_user psql -h "$SERVICE_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -tAqc "SHOW $1"; }
if [ "$(pg_setting ssl)" != on ] || [ "$(pg_setting ssl_cert_file)" != "$TLS_DIR/server.crt" ] \
    || [ "$(pg_setting ssl_min_protocol_version)" != TLSv1.2 ]; then
  log "enabling TLS on PostgreSQL (reload, no restart)"
  as_service_user psql -h "$SERVICE_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -qX <<SQL >/dev/null
ALTER SYSTEM SET ssl_cert_file = '$TLS_DIR/server.crt';
ALTER SYSTEM SET ssl_key_file = '$TLS_DIR/server.key';
ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1.2';
ALTER SYSTEM SET ssl = on;
SELECT pg_reload_conf();
SQL
  sleep 1
fi
# Prove it: a verify-full handshake with the test CA, at TLS 1.2 or newer.
tls_version=$(PGPASSWORD="$PG_SUPERUSER_PASSWORD" psql "host=localhost port=$PG_PORT user=$PG_SUPERUSER dbname=postgres \
  sslmode=verify-full sslrootcert=$TLS_DIR/ca.crt" -tAqXc "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()") \
  || { log "PostgreSQL does not accept verify-full TLS with $TLS_DIR/ca.crt (see $SERVICE_DIR/postgresql.log)"; exit 1; }
case "$tls_version" in TLSv1.2|TLSv1.3) ;; *) log "PostgreSQL negotiated '$tls_version', expected TLSv1.2+"; exit 1 ;; esac

# --- PgBouncer --------------------------------------------------------------------------------------------
# Any database name falls through to the local server, so a test's fresh database is reachable at once.
cat > "$SERVICE_DIR/userlist.txt" <<USERS
"$PG_SUPERUSER" "$PG_SUPERUSER_PASSWORD"
"$PGBOUNCER_ADMIN" "$PGBOUNCER_ADMIN_PASSWORD"
USERS
cat > "$SERVICE_DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir = $SERVICE_DIR
auth_type = scram-sha-256
auth_file = $SERVICE_DIR/userlist.txt
admin_users = $PGBOUNCER_ADMIN
stats_users = $PGBOUNCER_ADMIN
pool_mode = transaction
default_pool_size = 10
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,options
pidfile = $SERVICE_DIR/pgbouncer.pid
logfile = $SERVICE_DIR/pgbouncer.log
INI
chown "$SERVICE_USER" "$SERVICE_DIR/userlist.txt" "$SERVICE_DIR/pgbouncer.ini" 2>/dev/null || true
chmod 0600 "$SERVICE_DIR/userlist.txt"
if ! port_open "$PGBOUNCER_PORT"; then
  log "starting PgBouncer on 127.0.0.1:$PGBOUNCER_PORT"
  as_service_user pgbouncer -d -q "$SERVICE_DIR/pgbouncer.ini"
fi
wait_port "$PGBOUNCER_PORT" PgBouncer

# --- Redis ------------------------------------------------------------------------------------------------
if ! port_open "$REDIS_PORT"; then
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$SERVICE_DIR/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no \
    --dir "$SERVICE_DIR/redis" --logfile "$SERVICE_DIR/redis.log" --pidfile "$SERVICE_DIR/redis.pid" >/dev/null
fi
wait_port "$REDIS_PORT" Redis

# --- S3-compatible object storage (s3proxy on a filesystem backend) --------------------------------------
S3PROXY_JAR="$HOME/.m2/repository/org/gaul/s3proxy/$S3PROXY_VERSION/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
if [ ! -f "$S3PROXY_JAR" ]; then
  "$ROOT/mvnw" -q -B dependency:get -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" -Dtransitive=false
fi
if ! port_open "$S3_PORT"; then
  log "starting s3proxy on 127.0.0.1:$S3_PORT"
  mkdir -p "$SERVICE_DIR/s3"
  cat > "$SERVICE_DIR/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem
jclouds.filesystem.basedir=$SERVICE_DIR/s3
CONF
  nohup "$(newest_jdk)/bin/java" -Xmx256m -jar "$S3PROXY_JAR" --properties "$SERVICE_DIR/s3proxy.conf" \
    > "$SERVICE_DIR/s3proxy.log" 2>&1 &
  echo $! > "$SERVICE_DIR/s3proxy.pid"
fi
wait_port "$S3_PORT" s3proxy

cat > "$STATE_DIR/services.properties" <<PROPS
# Written by scripts/start-services.sh; read by the test harness (dev.databaseunit.operator.testing).
postgres.host=127.0.0.1
postgres.port=$PG_PORT
postgres.user=$PG_SUPERUSER
postgres.password=$PG_SUPERUSER_PASSWORD
postgres.caFile=$TLS_DIR/ca.crt
pgbouncer.port=$PGBOUNCER_PORT
pgbouncer.adminUser=$PGBOUNCER_ADMIN
pgbouncer.adminPassword=$PGBOUNCER_ADMIN_PASSWORD
redis.port=$REDIS_PORT
s3.endpoint=http://127.0.0.1:$S3_PORT
s3.accessKey=$S3_ACCESS_KEY
s3.secretKey=$S3_SECRET_KEY
kube.version=$K8S_VERSION
PROPS
log "services up: postgres :$PG_PORT, pgbouncer :$PGBOUNCER_PORT, redis :$REDIS_PORT, s3 :$S3_PORT"
