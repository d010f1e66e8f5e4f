#!/usr/bin/env bash
# Compile the translations (locale/*/LC_MESSAGES/django.po → .mo). Needs msgfmt from GNU gettext.
#   scripts/compile-messages.sh           make run: without msgfmt, install it as root or warn and go on
#   scripts/compile-messages.sh --strict  make test: without msgfmt, fail
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
strict=${1:-}

if ! command -v msgfmt >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "msgfmt not found: installing Debian's gettext"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
fi
if ! command -v msgfmt >/dev/null 2>&1; then
    if [ "$strict" = "--strict" ]; then
        echo "error: msgfmt (GNU gettext) is needed to compile translations: apt-get install gettext" >&2
        exit 1
    fi
    if compgen -G "locale/*/LC_MESSAGES/*.mo" >/dev/null; then
        echo "WARNING: msgfmt (GNU gettext) is missing; using the compiled translations already in locale/." >&2
    else
        echo "WARNING: msgfmt (GNU gettext) is missing and no compiled translations exist: the UI will show" >&2
        echo "WARNING: English text. Install gettext (Debian: sudo apt-get install gettext) and run make again." >&2
    fi
    exit 0
fi
exec "$PY" manage.py compilemessages --ignore .venv --ignore node_modules --verbosity 1
