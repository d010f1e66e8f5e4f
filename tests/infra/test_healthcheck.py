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


def test_web_check_asks_as_the_public_host_over_https(healthcheck, monkeypatch):
    sent = []

    class Answer:
        status = 200

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        sent.append(request)
        return Answer()

    monkeypatch.setattr(healthcheck.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setenv("ALLOWED_HOSTS", ".crm.example.com,www.crm.example.com")
    monkeypatch.setenv("PORT", "8123")

    assert healthcheck.check_web() == "web answers"
    assert sent[0].full_url == "http://127.0.0.1:8123/login/"
    assert sent[0].get_header("Host") == "crm.example.com"
    assert sent[0].get_header("X-forwarded-proto") == "https"


@pytest.mark.django_db
def test_such_a_request_reaches_the_login_page_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["crm.example.com"]

    assert client.get("/login/", HTTP_HOST="crm.example.com", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    # Without the proxy's header the same request is redirected to HTTPS: the check would not see 200.
    assert client.get("/login/", HTTP_HOST="crm.example.com").status_code == 301
