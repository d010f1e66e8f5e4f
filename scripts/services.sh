#!/usr/bin/env bash
# PostgreSQL and Redis for the test suite.
#
# Use an already running server when it really answers (psql 'select 1', redis-cli PING); otherwise start
# a throwaway one on a free port under a temporary folder, and stop only what was started, by its pid.
#
#   source scripts/services.sh; services_up; trap services_down EXIT   # from another bash script
#   scripts/services.sh -- COMMAND [ARGS...]                            # run one command with both
#
# services_up exports:
#   DEALERCRM_TEST_PG_URL     postgresql://postgres@HOST:PORT   (a superuser; add /DBNAME yourself)
#   DEALERCRM_TEST_REDIS_URL  redis://HOST:PORT/0
# and returns non-zero with a message when a service can neither be found nor started.

_SVC_PG_HOST=127.0.0.1
_SVC_PG_PORT=${PGPORT_DEFAULT:-5432}
_SVC_REDIS_PORT=${REDIS_PORT_DEFAULT:-6379}
_SVC_STARTED_PG_DIR=""
_SVC_STARTED_PG_PID=""
_SVC_STARTED_REDIS_DIR=""
_SVC_STARTED_REDIS_PID=""
_SVC_APT_UPDATED=""

_svc_log() { echo "services: $*" >&2; }

_svc_is_root() { [ "$(id -u)" = 0 ]; }

_svc_apt_install() {
    _svc_is_root && command -v apt-get >/dev/null 2>&1 || return 1
    if [ -z "$_SVC_APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
        _SVC_APT_UPDATED=1
    fi
    _svc_log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

_svc_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_svc_pg_answers() {  # $1 = server URL without database
    command -v psql >/dev/null 2>&1 || return 1
    PGCONNECT_TIMEOUT=3 psql "$1/postgres" -Atqc 'select 1' 2>/dev/null | grep -qx 1
}

_svc_find_pg_bin() {  # $1 = initdb | pg_ctl
    if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return 0; fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && echo "$found"
}

_svc_start_pg() {
    local initdb pg_ctl port dir owner run
    initdb=$(_svc_find_pg_bin initdb)
    if [ -z "$initdb" ]; then
        _svc_apt_install postgresql >/dev/null 2>&1 || { _svc_log "PostgreSQL is not installed (Debian: apt-get install postgresql)"; return 1; }
        initdb=$(_svc_find_pg_bin initdb)
    fi
    pg_ctl=$(_svc_find_pg_bin pg_ctl)
    command -v psql >/dev/null 2>&1 || _svc_apt_install postgresql-client || true
    port=$(_svc_free_port)
    dir=$(mktemp -d /tmp/dealercrm-pg.XXXXXX)
    chmod 755 "$dir"
    # initdb and the server refuse to run as root: run them as the postgres user from a folder it can read.
    if _svc_is_root; then
        id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        chown postgres: "$dir"
        run=(runuser -u postgres --)
    else
        run=()
    fi
    _svc_log "starting a throwaway PostgreSQL on 127.0.0.1:$port ($dir)"
    if ! (cd / && "${run[@]}" "$initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1); then
        cat "$dir/initdb.log" >&2; return 1
    fi
    if ! (cd / && "${run[@]}" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null); then
        cat "$dir/server.log" >&2; return 1
    fi
    _SVC_STARTED_PG_DIR=$dir
    _SVC_STARTED_PG_PID=$(head -n 1 "$dir/data/postmaster.pid")
    _SVC_PG_PORT=$port
}

_svc_redis_answers() {  # $1 = port
    command -v redis-cli >/dev/null 2>&1 || return 1
    [ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]
}

_svc_start_redis() {
    local port dir i
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        _svc_apt_install redis-server >/dev/null 2>&1 || { _svc_log "Redis is not installed (Debian: apt-get install redis-server)"; return 1; }
    fi
    port=$(_svc_free_port)
    dir=$(mktemp -d /tmp/dealercrm-redis.XXXXXX)
    _svc_log "starting a throwaway Redis on 127.0.0.1:$port ($dir)"
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
        --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" || return 1
    for i in $(seq 50); do
        _svc_redis_answers "$port" && break
        sleep 0.1
    done
    _svc_redis_answers "$port" || { cat "$dir/redis.log" >&2; return 1; }
    _SVC_STARTED_REDIS_DIR=$dir
    _SVC_STARTED_REDIS_PID=$(cat "$dir/redis.pid")
    _SVC_REDIS_PORT=$port
}

services_up() {
    if _svc_pg_answers "postgresql://postgres@$_SVC_PG_HOST:$_SVC_PG_PORT"; then
        _svc_log "PostgreSQL answers on $_SVC_PG_HOST:$_SVC_PG_PORT"
    else
        _svc_log "no PostgreSQL answers on $_SVC_PG_HOST:$_SVC_PG_PORT"
        _svc_start_pg || { _svc_log "could not start PostgreSQL"; return 1; }
        _svc_pg_answers "postgresql://postgres@$_SVC_PG_HOST:$_SVC_PG_PORT" \
            || { _svc_log "the PostgreSQL just started does not answer"; return 1; }
    fi
    export DEALERCRM_TEST_PG_URL="postgresql://postgres@$_SVC_PG_HOST:$_SVC_PG_PORT"

    if _svc_redis_answers "$_SVC_REDIS_PORT"; then
        _svc_log "Redis answers on 127.0.0.1:$_SVC_REDIS_PORT"
    else
        _svc_log "no Redis answers on 127.0.0.1:$_SVC_REDIS_PORT"
        _svc_start_redis || { _svc_log "could not start Redis"; return 1; }
    fi
    export DEALERCRM_TEST_REDIS_URL="redis://127.0.0.1:$_SVC_REDIS_PORT/0"
}

_svc_stop_pid() {  # $1 = pid, $2 = signal; wait up to 15 s, then SIGKILL
    local pid=$1 sig=$2 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for i in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

services_down() {
    if [ -n "$_SVC_STARTED_REDIS_PID" ]; then
        _svc_log "stopping the Redis it started (pid $_SVC_STARTED_REDIS_PID)"
        _svc_stop_pid "$_SVC_STARTED_REDIS_PID" TERM
        rm -rf "$_SVC_STARTED_REDIS_DIR"
        _SVC_STARTED_REDIS_PID=""
    fi
    if [ -n "$_SVC_STARTED_PG_PID" ]; then
        _svc_log "stopping the PostgreSQL it started (pid $_SVC_STARTED_PG_PID)"
        _svc_stop_pid "$_SVC_STARTED_PG_PID" INT  # SIGINT = fast shutdown
        rm -rf "$_SVC_STARTED_PG_DIR"
        _SVC_STARTED_PG_PID=""
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # Run as a program: scripts/services.sh -- COMMAND [ARGS...]
    [ "${1:-}" = "--" ] && shift
    if [ $# = 0 ]; then
        echo "usage: $0 -- COMMAND [ARGS...]   (runs COMMAND with DEALERCRM_TEST_PG_URL and DEALERCRM_TEST_REDIS_URL set)" >&2
        exit 2
    fi
    trap services_down EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    services_up || exit 1
    "$@"
fi
