"""The container health checks that docker-compose.yml runs (scripts/healthcheck.py)."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import SchedulerHeartbeat

SCRIPT = Path(__file__).resolve().parents[2] / "scripts/healthcheck.py"


@pytest.fixture(scope="module")
def healthcheck():
    spec = importlib.util.spec_from_file_location("dealercrm_healthcheck", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_beat_is_healthy_only_while_the_heartbeat_is_fresh(healthcheck, monkeypatch):
    monkeypatch.setenv("HEARTBEAT_SECONDS", "60")
    with pytest.raises(RuntimeError, match="never ran"):
        healthcheck.check_beat()

    beat = SchedulerHeartbeat.objects.create(name="beat", last_run_at=timezone.now() - dt.timedelta(seconds=30), runs=5)
    assert "heartbeat" in healthcheck.check_beat()

    beat.last_run_at = timezone.now() - dt.timedelta(minutes=10)
    beat.save()
    with pytest.raises(RuntimeError, match="last ran"):
        healthcheck.check_beat()


@pytest.mark.django_db(transaction=True)
def test_web_check_asks_as_the_public_host_over_https(healthcheck, live_server, monkeypatch, settings):
    settings.SECURE_SSL_REDIRECT = True  # production: a plain-HTTP request would be redirected
    settings.ALLOWED_HOSTS = ["crm.example.com"]
    monkeypatch.setenv("ALLOWED_HOSTS", "crm.example.com,www.crm.example.com")
    monkeypatch.setenv("PORT", live_server.url.rsplit(":", 1)[1])

    assert healthcheck.check_web() == "web answers"

    monkeypatch.setenv("ALLOWED_HOSTS", "other.example.com")
    with pytest.raises(OSError):  # 400 Bad Request for a host Django does not serve
        healthcheck.check_web()
