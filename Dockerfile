# DealerCRM production image. One image for every role: the web app (gunicorn), the Celery worker and beat;
# docker-compose.yml picks the command. Build: docker compose build
FROM python:3.11-slim AS source
# Only the application's own files go on: no virtualenv, local data, test output or VCS metadata.
COPY . /src
RUN cd /src \
    && rm -rf .git .venv var test-artifacts node_modules bench/data .ruff_cache .pytest_cache .env \
    && find . -name __pycache__ -prune -exec rm -rf {} +

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=dealercrm.settings \
    DEALERCRM_VAR_DIR=/app/var

# gettext: msgfmt, to compile the Chinese translations below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 dealercrm \
    && useradd --system --uid 10001 --gid dealercrm --home-dir /app --no-create-home --shell /usr/sbin/nologin dealercrm

WORKDIR /app
COPY requirements.txt /app/requirements.txt
RUN pip install -r requirements.txt

COPY --from=source /src /app
RUN python manage.py compilemessages --ignore .venv --ignore node_modules \
    && mkdir -p /app/var/static /app/var/media /app/var/beat \
    && chown -R dealercrm:dealercrm /app/var

USER dealercrm
EXPOSE 8000
CMD ["scripts/docker-web.sh"]
