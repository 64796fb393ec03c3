#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers for the tests and benchmarks. Installs nothing.
#   scripts/services.sh start [postgres|redis]...   start what is installed (idempotent; default
#                               both); print `export ...` lines for eval
#   scripts/services.sh stop    stop both and wait until they have exited
#   scripts/services.sh env     print the `export ...` lines for what is running
# State (data, sockets, logs) lives in $GUARDIAN_SERVICES_DIR (default: .services/ in the checkout).
# Ports: $GUARDIAN_PG_PORT (55432), $GUARDIAN_REDIS_PORT (56379).
# GUARDIAN_PG_FAST=1 starts PostgreSQL with fsync off: for test speed only, never for durability
# benchmarks. A cluster running in the other mode is restarted.
# PostgreSQL refuses to run as root: as root, its files belong to `postgres` and it runs via runuser.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${GUARDIAN_SERVICES_DIR:-$ROOT/.services}
PG_PORT=${GUARDIAN_PG_PORT:-55432}
REDIS_PORT=${GUARDIAN_REDIS_PORT:-56379}
PG_DIR=$DIR/postgres
REDIS_DIR=$DIR/redis
PG_MODE=$([ "${GUARDIAN_PG_FAST:-0}" = 1 ] && echo fast || echo durable)

log() { echo "services: $*" >&2; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_url() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/postgres"; }
redis_url() { echo "redis://127.0.0.1:$REDIS_PORT/0"; }

pg_running() {
  local bin; bin=$(pg_bin) || return 1
  [ -f "$PG_DIR/data/PG_VERSION" ] && as_pg "$bin/pg_ctl" status -D "$PG_DIR/data" >/dev/null 2>&1
}

redis_pid() {
  [ -f "$REDIS_DIR/redis.pid" ] || return 1
  local pid; pid=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start_pg() {
  local bin; bin=$(pg_bin) || { log "PostgreSQL not installed: skipped"; return 0; }
  if pg_running; then
    [ "$(cat "$PG_DIR/mode" 2>/dev/null)" = "$PG_MODE" ] && return 0
    log "PostgreSQL runs in another fsync mode: restarting it ($PG_MODE)"
    stop_pg
  fi
  mkdir -p "$PG_DIR/run"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    mkdir -p "$PG_DIR/data"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$PG_DIR"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
      { log "initdb failed, see $PG_DIR/initdb.log"; return 1; }
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres: "$PG_DIR"
  local opts="-p $PG_PORT -k $PG_DIR/run -c listen_addresses=127.0.0.1 -c max_connections=200"
  [ "$PG_MODE" = fast ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  as_pg "$bin/pg_ctl" start -w -t 60 -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "$opts" >/dev/null ||
    { log "PostgreSQL did not start, see $PG_DIR/server.log"; return 1; }
  echo "$PG_MODE" >"$PG_DIR/mode"
}

stop_pg() {
  local bin; bin=$(pg_bin) || return 0
  pg_running || return 0
  as_pg "$bin/pg_ctl" stop -w -t 60 -m fast -D "$PG_DIR/data" >/dev/null
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || { log "redis-server not installed: skipped"; return 0; }
  redis_pid >/dev/null && return 0
  mkdir -p "$REDIS_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" >/dev/null
  local i
  for i in $(seq 50); do redis_pid >/dev/null && return 0; sleep 0.1; done
  log "Redis did not start, see $REDIS_DIR/redis.log"; return 1
}

stop_redis() {
  local pid i; pid=$(redis_pid) || return 0
  kill "$pid"
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$REDIS_DIR/redis.pid"; return 0; }; sleep 0.05; done
  log "Redis ($pid) did not exit in 5 s"; return 1
}

print_env() {
  pg_running && echo "export GUARDIAN_TEST_POSTGRES_URL=$(pg_url)"
  redis_pid >/dev/null && echo "export GUARDIAN_TEST_REDIS_URL=$(redis_url)"
  return 0
}

# wants NAME "$@": is NAME among the services named after the command (all when none are)?
wants() { local name=$1; shift; shift; [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; }

case "${1:-}" in
  start)
    if wants postgres "$@"; then start_pg; fi
    if wants redis "$@"; then start_redis; fi
    print_env ;;
  stop) stop_pg; stop_redis ;;
  env) print_env ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
