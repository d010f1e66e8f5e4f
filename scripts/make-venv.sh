#!/usr/bin/env bash
# Create the project's virtualenv. Usage: scripts/make-venv.sh PYTHON VENV_DIR
# Debian's python3 ships without ensurepip until python3-venv is installed: install it when we are root.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python not found; install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: DealerCRM needs Python 3.11 or newer; $python is $("$python" -V 2>&1)" >&2
    exit 1
fi

if "$python" -m venv "$venv" 2>/tmp/dealercrm-venv.$$.err; then
    rm -f /tmp/dealercrm-venv.$$.err
else
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "python3 -m venv failed; installing Debian's python3-venv" >&2
        pyver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${pyver}-venv" >/dev/null \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$python" -m venv "$venv"
    else
        cat /tmp/dealercrm-venv.$$.err >&2
        rm -f /tmp/dealercrm-venv.$$.err
        echo "error: could not create $venv; on Debian/Ubuntu run: sudo apt-get install python3-venv" >&2
        exit 1
    fi
fi
echo "created $venv ($("$venv/bin/python" -V))"
