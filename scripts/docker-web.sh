#!/bin/sh
# The web container's start: migrate (unless MIGRATE_ON_START=false), collect static files, run gunicorn.
set -eu
cd /app
if [ "${MIGRATE_ON_START:-true}" = "true" ]; then
    python manage.py migrate --noinput
fi
python manage.py collectstatic --noinput --verbosity 0
# Sync workers: measured fastest here, and each holds one persistent database connection (DB_CONN_MAX_AGE).
exec gunicorn dealercrm.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${WEB_CONCURRENCY:-3}" \
    --worker-class sync \
    --timeout 120 \
    --max-requests 5000 --max-requests-jitter 500 \
    --access-logfile - \
    --no-control-socket
