"""Races the DCC must win on PostgreSQL: list building, reminders, campaign sending and SLA checks run
on two workers at once and still create, send and tell nothing twice.

Real threads, each with its own connection, released together. Skipped on SQLite (one writer at a
time: these races cannot happen there); run in the PostgreSQL step of ``make test``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections

from accounts.models import Notification
from dcc import services
from dcc.messaging import MemoryBackend
from dcc.models import ArrivalReminder, CallTask, CampaignMessage, DccSettings, Rule
from tests.dcc.conftest import local, new_lead
from tests.leads.factories import make_lead

pytestmark = [
    pytest.mark.postgres_only,
    # Committed data each thread can see; serialized_rollback restores what the migrations seeded.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so these races cannot happen there "
        "(run with DATABASE_URL=postgresql://…; make test does)",
    ),
]


def run_together(*calls: Callable[[], object], timeout: float = 60) -> list[tuple[str, object]]:
    """Each call in its own thread and connection, released together; ("ok"|"error", value) each."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, object]] = [("missing", None)] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = ("ok", call())
        except Exception as exc:  # the test inspects what each side got
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def errors(results, allowed=()):
    return [value for kind, value in results if kind == "error" and not isinstance(value, allowed)]


def quietly(store, make):
    """Make leads with the rules off (on a transactional test the ingest rule would run at once)."""
    DccSettings.objects.filter(store=store).update(rule_new_outreach_online=False, rule_new_purchased_oem=False)
    made = make()
    DccSettings.objects.filter(store=store).update(rule_new_outreach_online=True, rule_new_purchased_oem=True)
    return made


def test_two_list_builds_at_once_create_each_task_once(dcc_store, users):
    leads = quietly(
        dcc_store,
        lambda: [new_lead(dcc_store, source_code="purchased_list", owner=users.consultant) for _ in range(20)],
    )
    results = run_together(*(lambda: services.call_lists_build(store=dcc_store) for _ in range(3)))
    assert not errors(results)
    assert sum(value["created"] for _kind, value in results) == 20
    for lead in leads:
        assert CallTask.objects.filter(lead=lead, status=CallTask.Status.OPEN).count() == 1


def test_ingest_rule_and_daily_build_at_once_make_one_task(dcc_store, users):
    lead = quietly(dcc_store, lambda: new_lead(dcc_store, source_code="autohome", owner=users.consultant))
    assert not CallTask.objects.filter(lead=lead).exists()
    results = run_together(
        lambda: services.call_tasks_for_lead(lead_id=lead.pk),
        lambda: services.call_lists_build(store=dcc_store),
        lambda: services.call_tasks_for_lead(lead_id=lead.pk),
    )
    assert not errors(results)
    assert CallTask.objects.filter(lead=lead).count() == 1


def test_the_database_holds_one_open_task_per_lead_against_any_writer(dcc_store, users):
    lead = make_lead(dcc_store, users.consultant)

    def insert(key: str):
        return CallTask.objects.create(
            store=dcc_store, lead=lead, rule=Rule.MANUAL, rule_key=key, due_at=local(dt.date(2027, 3, 10)), priority=30
        )

    results = run_together(lambda: insert("manual:a"), lambda: insert("manual:b"), lambda: insert("manual:c"))
    assert len([r for r in results if r[0] == "ok"]) == 1
    assert all(isinstance(value, IntegrityError) for value in errors(results))
    assert CallTask.objects.filter(lead=lead, status=CallTask.Status.OPEN).count() == 1


def test_two_managers_adding_the_same_lead_at_once(dcc_store, users):
    lead = make_lead(dcc_store, users.consultant)
    results = run_together(
        lambda: services.call_task_add(actor=users.dcc_manager, lead=lead),
        lambda: services.call_task_add(actor=users.dcc_manager, lead=lead),
    )
    assert not errors(results, allowed=(ValidationError,))
    assert len([r for r in results if r[0] == "ok"]) == 1
    assert CallTask.objects.filter(lead=lead).count() == 1


def test_two_reminder_runs_at_once_send_each_reminder_once(dcc_store, users, settings):
    from django.utils import timezone

    settings.DCC_MESSAGE_BACKEND = "dcc.messaging.MemoryBackend"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    appointments = []
    for _ in range(5):
        lead = make_lead(dcc_store, users.consultant)
        appointment = services.lead_services.appointment_create(
            actor=users.consultant, lead=lead, scheduled_at=local(tomorrow, 11), receiver=users.consultant
        )
        appointments.append(appointment)
    # Booked "yesterday", so the day-before reminder is due; the store's hour is midnight.
    from leads.models import Appointment

    Appointment.objects.filter(pk__in=[a.pk for a in appointments]).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    DccSettings.objects.filter(store=dcc_store).update(reminder_day_before_hour=0)
    MemoryBackend.outbox.clear()
    results = run_together(*(lambda: services.arrival_reminders_run(store=dcc_store) for _ in range(3)))
    assert not errors(results)
    assert sum(value["sent"] for _kind, value in results) == 5
    assert len(MemoryBackend.outbox) == 5
    assert ArrivalReminder.objects.filter(kind="day_before", status="sent").count() == 5


def test_two_campaign_senders_at_once_send_each_message_once(dcc_store, users, settings, monkeypatch):
    settings.DCC_MESSAGE_BACKEND = "dcc.messaging.MemoryBackend"
    # Queue only: the senders below are the workers.
    monkeypatch.setattr("dcc.tasks.send_campaign.delay", lambda *args, **kwargs: None)
    for _ in range(30):
        lead = make_lead(dcc_store, users.consultant, grade="H")
        lead.customer.consent_marketing = True
        lead.customer.save()
    campaign = services.campaign_create(
        actor=users.dcc_manager, store=dcc_store, name="并发", kind="sms", body="{name}", filter_params={"grade": ["H"]}
    )
    campaign = services.campaign_queue(actor=users.dcc_manager, campaign=campaign)
    MemoryBackend.outbox.clear()

    def drain():
        handled = 0
        while count := services.campaign_send_batch(campaign_id=campaign.pk, limit=4):
            handled += count
        return handled

    results = run_together(drain, drain, drain)
    assert not errors(results)
    assert sum(value for _kind, value in results) == 30
    assert len(MemoryBackend.outbox) == 30 and len({m.to for m in MemoryBackend.outbox}) == 30
    assert CampaignMessage.objects.filter(campaign=campaign, status="sent").count() == 30
    campaign.refresh_from_db()
    assert (campaign.sent_count, campaign.status) == (30, "done")
    assert Notification.objects.filter(recipient=users.dcc_manager, title__contains="并发").count() == 1


def test_two_sla_checks_at_once_tell_once(dcc_store, users):
    from django.utils import timezone

    lead = new_lead(dcc_store, source_code="autohome")
    services.call_lists_build(store=dcc_store)
    assert CallTask.objects.filter(lead=lead).exists()
    CallTask.objects.filter(lead=lead).update(sla_due_at=timezone.now() - dt.timedelta(minutes=1))
    results = run_together(*(lambda: services.first_call_sla_check(store=dcc_store) for _ in range(3)))
    assert not errors(results)
    assert sum(value for _kind, value in results) == 1
    assert Notification.objects.filter(recipient=users.dcc_agent, level="urgent").count() == 1
