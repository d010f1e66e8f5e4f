"""The DCC's scheduled jobs on a real Celery worker and beat (Redis, PostgreSQL): list building and
arrival reminders run again and again, and create and send nothing twice.

Uses the worker fixture of ``tests/celery`` and a beat of its own that fires the DCC schedule every
second (DCC_BEAT_SECONDS=1). Marked ``celery_worker``: ``make test`` runs it with PostgreSQL and Redis.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.utils import timezone

from dcc.models import ArrivalReminder, CallTask, DccSettings
from leads import services as lead_services
from leads.models import Appointment
from tests.celery.conftest import (  # noqa: F401 - fixtures used here
    CeleryProcess,
    _celery_prerequisites,
    _die_with_parent,
    _stop,
    celery_worker_proc,
)
from tests.dcc.conftest import new_lead, open_every_day
from tests.leads.factories import make_lead

# serialized_rollback: the roles, sources and script the migrations seeded come back after each flush.
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def dcc_beat_proc(celery_worker_proc, transactional_db, tmp_path):  # noqa: F811
    """``celery beat`` firing the DCC jobs every second, sending to the session worker's queue."""
    env = {**celery_worker_proc.env, "HEARTBEAT_SECONDS": "60", "DCC_BEAT_SECONDS": "1"}
    command = [
        sys.executable, "-m", "celery", "-A", "dealercrm", "beat", "-l", "info",
        "-s", str(tmp_path / "celerybeat-schedule"), "--pidfile", str(tmp_path / "beat.pid"),
    ]  # fmt: skip
    log_path = tmp_path / "beat.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
    beat = CeleryProcess(process=process, log_path=log_path, env=env)
    try:
        yield beat
    finally:
        _stop(process)
        celery_worker_proc.drain(timeout=60)


def prepare(store, users) -> dict:
    """Leads for the first-call rule (made with the rule off, so the worker is the one to list them)
    and appointments tomorrow booked yesterday (a day-before reminder due now: the hour is 0)."""
    open_every_day(store, dt.time(0), dt.time(23, 59))
    DccSettings.objects.update_or_create(
        store=store,
        defaults={"rule_new_outreach_online": False, "rule_new_purchased_oem": False, "reminder_day_before_hour": 0},
    )
    leads = [new_lead(store, source_code="purchased_list", owner=users.consultant) for _ in range(3)]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    appointments = []
    for _ in range(2):
        lead = make_lead(store, users.consultant)
        appointments.append(
            lead_services.appointment_create(
                actor=users.consultant,
                lead=lead,
                scheduled_at=timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(11))),
                receiver=users.consultant,
            )
        )
    Appointment.objects.filter(pk__in=[a.pk for a in appointments]).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    DccSettings.objects.filter(store=store).update(rule_new_purchased_oem=True)
    return {"leads": leads, "appointments": appointments}


def sent_lines(worker, reminder: ArrivalReminder) -> int:
    """How often the worker's log backend wrote this reminder's message."""
    return len(re.findall(rf"\[reminder:{reminder.pk}\]", worker.log(last_lines=100_000)))


def test_list_building_and_reminders_run_twice_on_the_worker_and_do_nothing_twice(
    celery_worker_proc,  # noqa: F811
    store,
    users,
):
    world = prepare(store, users)
    first = celery_worker_proc.run("dcc.tasks.build_call_lists", args=[store.pk])
    second = celery_worker_proc.run("dcc.tasks.build_call_lists", args=[store.pk])
    assert first["created"] == 3 and second["created"] == 0
    assert CallTask.objects.filter(store=store).count() == 3

    assert celery_worker_proc.run("dcc.tasks.arrival_reminders", args=[store.pk])["sent"] == 2
    assert celery_worker_proc.run("dcc.tasks.arrival_reminders", args=[store.pk])["sent"] == 0
    reminders = list(ArrivalReminder.objects.filter(appointment__in=world["appointments"]))
    assert len(reminders) == 2 and {r.status for r in reminders} == {"sent"}
    for reminder in reminders:
        assert sent_lines(celery_worker_proc, reminder) == 1


def test_beat_fires_the_dcc_jobs_repeatedly_and_nothing_happens_twice(
    celery_worker_proc,  # noqa: F811
    dcc_beat_proc,
    store,
    users,
):
    world = prepare(store, users)
    deadline = time.monotonic() + 60
    wanted = ("dcc-build-call-lists", "dcc-arrival-reminders", "dcc-first-call-sla")
    while True:
        log = dcc_beat_proc.log(last_lines=10_000)
        fired = {name: log.count(f"Sending due task {name}") for name in wanted}
        if min(fired.values()) >= 3:
            break
        if dcc_beat_proc.process.poll() is not None:
            pytest.fail(f"celery beat exited with code {dcc_beat_proc.process.returncode}:\n{dcc_beat_proc.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the DCC jobs fired {fired} in 60 s\n{dcc_beat_proc.log()}\n{celery_worker_proc.log()}")
        time.sleep(0.5)
    celery_worker_proc.drain(timeout=60)

    for lead in world["leads"]:
        assert CallTask.objects.filter(lead=lead).count() == 1
    reminders = list(ArrivalReminder.objects.filter(appointment__in=world["appointments"], kind="day_before"))
    assert len(reminders) == 2 and {r.status for r in reminders} == {"sent"}
    for reminder in reminders:
        assert sent_lines(celery_worker_proc, reminder) == 1
    assert "dcc.tasks.build_call_lists" in celery_worker_proc.log(last_lines=100_000)
