#!/usr/bin/env bash
# Stops the services started by start-services.sh; their data stays for the next start.
source "$(dirname "$0")/lib.sh"
PGDATA="$SERVICE_DIR/pgdata"
[ -f "$PGDATA/PG_VERSION" ] && as_service_user "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
for svc in pgbouncer redis s3proxy; do
  pidfile="$SERVICE_DIR/$svc.pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
done
log "services stopped"
