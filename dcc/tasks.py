"""Background work of the DCC. Tasks take ids, call a service, and declare their retries.

Scheduled (see CELERY_BEAT_SCHEDULE): the daily call-list building, arrival reminders every
quarter hour, first-call SLA checks every few minutes. Each fans out one task per store, and each
store's work is idempotent by the data (unique keys and compare-and-set claims), so a job that runs
twice, or on two workers at once, sends and creates nothing twice.
"""

from __future__ import annotations

import time

from celery import shared_task
from django.db import OperationalError

from accounts.models import Store

from . import services

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}
CAMPAIGN_TIME_BUDGET = 60  # seconds of sending per task run before it hands over to a fresh one


def _active_store_ids() -> list[int]:
    return list(Store.objects.filter(is_active=True).values_list("id", flat=True))


def _store(store_id: int) -> Store | None:
    return Store.objects.filter(pk=store_id, is_active=True).first()


@shared_task
def build_call_lists_all() -> int:
    """Fan out the daily list building, one task per active store."""
    ids = _active_store_ids()
    for store_id in ids:
        build_call_lists.delay(store_id)
    return len(ids)


@shared_task(**RETRY)
def build_call_lists(store_id: int) -> dict[str, int]:
    store = _store(store_id)
    return services.call_lists_build(store=store) if store else {}


@shared_task(**RETRY)
def call_list_for_lead(lead_id: int) -> int | None:
    """The rules for one new or handed-over lead (enqueued on commit by the leads signals)."""
    task = services.call_tasks_for_lead(lead_id=lead_id)
    return task.pk if task else None


@shared_task
def arrival_reminders_all() -> int:
    ids = _active_store_ids()
    for store_id in ids:
        arrival_reminders.delay(store_id)
    return len(ids)


@shared_task(**RETRY)
def arrival_reminders(store_id: int) -> dict[str, int]:
    store = _store(store_id)
    return services.arrival_reminders_run(store=store) if store else {}


@shared_task(**RETRY)
def send_arrival_reminder(reminder_id: int) -> str:
    return services.arrival_reminder_send(reminder_id=reminder_id)


@shared_task
def first_call_sla_check_all() -> int:
    ids = _active_store_ids()
    for store_id in ids:
        first_call_sla_check.delay(store_id)
    return len(ids)


@shared_task(**RETRY)
def first_call_sla_check(store_id: int) -> int:
    store = _store(store_id)
    return services.first_call_sla_check(store=store) if store else 0


@shared_task(**RETRY)
def send_campaign(campaign_id: int) -> int:
    """Send a campaign's queued messages in claimed batches; after the time budget a fresh task
    takes over, so progress shows and no task runs for hours."""
    handled = 0
    started = time.monotonic()
    while True:
        count = services.campaign_send_batch(campaign_id=campaign_id)
        handled += count
        if count == 0:
            return handled
        if time.monotonic() - started > CAMPAIGN_TIME_BUDGET:
            send_campaign.delay(campaign_id)
            return handled
