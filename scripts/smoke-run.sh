#!/usr/bin/env bash
# End-to-end check of the embedded default, as `make run` starts it: migrate (and with SMOKE_SEED=1 load the
# demo data), then run_embedded on a fresh SQLite database with the file-system broker; the login page
# answers, a static file is served, beat fires the heartbeat through the worker, and Ctrl-C (SIGINT to the
# process group) leaves no process behind.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
TIMEOUT=${SMOKE_TIMEOUT:-120}

var_dir=$(mktemp -d /tmp/dealercrm-smoke.XXXXXX)
log=$var_dir/run.log
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
launcher=""

say() { echo "smoke-run: $*"; }
fail() {
    say "FAILED: $*" >&2
    echo "----- last lines of the run log -----" >&2
    tail -n 40 "$log" >&2
    exit 1
}
http_status() {  # $1 = path
    "$PY" - "http://127.0.0.1:$port$1" <<'PYEOF'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=20) as response:
        print(response.status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError as exc:
    print(f"no answer ({exc})")
PYEOF
}
# Processes (not zombies) whose command line mentions this run's folder: the worker, its beat, gunicorn.
our_processes() {
    "$PY" - "$var_dir" <<'PYEOF'
import os, sys
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        continue
    if sys.argv[1] in cmdline and state != "Z" and int(pid) != os.getpid():
        print(pid, cmdline[:150])
PYEOF
}
stop_group() {  # the launcher runs in its own session: its pid is its process group id
    [ -n "$launcher" ] && kill -0 "$launcher" 2>/dev/null || return 0
    kill -INT -- "-$launcher" 2>/dev/null || true
    for _ in $(seq 60); do
        kill -0 "$launcher" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -KILL -- "-$launcher" 2>/dev/null || true
}
cleanup() {
    stop_group
    rm -rf "$var_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DEALERCRM_VAR_DIR=$var_dir HEARTBEAT_SECONDS=2 PORT=$port HOST=127.0.0.1
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND CELERY_TASK_ALWAYS_EAGER

say "migrate a fresh SQLite database"
"$PY" manage.py migrate --noinput >"$log" 2>&1 || fail "migrate failed"
if [ "${SMOKE_SEED:-0}" = 1 ]; then  # the demo data takes minutes to load on two cores: only when asked
    say "load the demo data"
    CELERY_TASK_ALWAYS_EAGER=true LOG_LEVEL=WARNING "$PY" manage.py seed_demo --quiet-logins >>"$log" 2>&1 || fail "seed_demo failed"
fi

say "start run_embedded on 127.0.0.1:$port"
setsid "$PY" manage.py run_embedded >>"$log" 2>&1 &
launcher=$!

deadline=$((SECONDS + TIMEOUT))
until grep -q "DealerCRM is running: http://127.0.0.1:$port/" "$log"; do
    kill -0 "$launcher" 2>/dev/null || fail "run_embedded exited early"
    [ $SECONDS -lt $deadline ] || fail "no banner within ${TIMEOUT}s"
    sleep 0.5
done
grep -q "s1_consultant" "$log" || fail "the banner does not list the demo logins"

code=$(http_status /login/)
[ "$code" = 200 ] || fail "GET /login/ answered $code"
code=$(http_status /static/bootstrap/css/bootstrap.min.css)
[ "$code" = 200 ] || fail "GET /static/bootstrap/css/bootstrap.min.css answered $code"
say "login page and static files answer 200"

runs=0
until [ "${runs:-0}" -ge 2 ]; do
    runs=$("$PY" - "$var_dir/db.sqlite3" <<'PYEOF'
import sqlite3, sys
try:
    row = sqlite3.connect(sys.argv[1], timeout=5).execute("select runs from accounts_schedulerheartbeat where name = 'beat'").fetchone()
except sqlite3.Error:
    row = None
print(row[0] if row else 0)
PYEOF
)
    [ $SECONDS -lt $deadline ] || fail "the scheduler heartbeat did not run twice within ${TIMEOUT}s (runs=$runs)"
    [ "${runs:-0}" -ge 2 ] || sleep 1
done
say "beat fired the heartbeat through the worker (runs=$runs)"

[ -n "$(our_processes)" ] || fail "no worker or web process found"
kill -INT -- "-$launcher"
for _ in $(seq 60); do
    kill -0 "$launcher" 2>/dev/null || break
    sleep 0.5
done
kill -0 "$launcher" 2>/dev/null && fail "run_embedded did not stop within 30 s of SIGINT"
wait "$launcher"
status=$?
launcher=""
[ "$status" = 0 ] || fail "run_embedded exited with code $status after Ctrl-C"
sleep 1
left=$(our_processes)
[ -z "$left" ] || fail "still running after Ctrl-C: $left"
grep -q "DealerCRM stopped." "$log" || fail "no 'DealerCRM stopped.' message"
say "Ctrl-C stopped the web app and the worker; nothing left running"
