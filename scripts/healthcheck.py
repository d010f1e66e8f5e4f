"""Container health checks for docker-compose.yml: ``python scripts/healthcheck.py web|worker|beat``.

web     GET /login/ answers 200, asked as the first ALLOWED_HOSTS name over the proxy's HTTPS header
        (so host validation and SECURE_SSL_REDIRECT behave as for a real request).
worker  this container's Celery worker answers a ping through the broker.
beat    the scheduler's heartbeat task ran recently: beat sends it every HEARTBEAT_SECONDS and a worker
        runs it, so a stale heartbeat means scheduled jobs are not firing.
"""

import os
import socket
import sys
import urllib.request
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealercrm.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check_web() -> str:
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h.strip()]
    host = hosts[0].strip().lstrip(".") if hosts else "localhost"
    if host == "*":
        host = "localhost"
    request = urllib.request.Request(
        f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/login/",
        headers={"Host": host, "X-Forwarded-Proto": "https", "User-Agent": "dealercrm-healthcheck"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a fixed local URL
        if response.status != 200:
            raise RuntimeError(f"/login/ answered {response.status}")
    return "web answers"


def check_worker() -> str:
    from dealercrm.celery import app

    node = f"celery@{socket.gethostname()}"
    replies = app.control.ping(destination=[node], timeout=5)
    if not replies:
        raise RuntimeError(f"{node} did not answer a ping")
    return f"{node} answers"


def check_beat() -> str:
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import SchedulerHeartbeat

    interval = int(os.environ.get("HEARTBEAT_SECONDS") or 60)
    allowed = timedelta(seconds=max(3 * interval, 180))
    last = SchedulerHeartbeat.objects.filter(name="beat").values_list("last_run_at", flat=True).first()
    if last is None:
        raise RuntimeError("the scheduler heartbeat never ran")
    age = timezone.now() - last
    if age > allowed:
        raise RuntimeError(f"the scheduler heartbeat last ran {age} ago")
    return f"heartbeat {int(age.total_seconds())} s ago"


CHECKS = {"web": check_web, "worker": check_worker, "beat": check_beat}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(CHECKS)}")
    try:
        print(CHECKS[sys.argv[1]]())
    except Exception as exc:  # any failure at all means unhealthy
        print(f"unhealthy: {exc}", file=sys.stderr)
        sys.exit(1)
