"""Scheduled work for leads: the daily maintenance of every store."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from accounts.models import Store

from . import services


@shared_task
def daily_maintenance_all() -> int:
    """Fan out one maintenance task per active store."""
    store_ids = list(Store.objects.filter(is_active=True).values_list("id", flat=True))
    for store_id in store_ids:
        daily_maintenance_store.delay(store_id)
    return len(store_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def daily_maintenance_store(store_id: int) -> dict[str, int]:
    """Today's tasks, overdue marks and alerts, no-shows, pool returns for one store (idempotent)."""
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        return {}
    return services.daily_maintenance(store=store)


@shared_task(bind=True, acks_late=True, max_retries=3)
def lead_import_run(self, batch_id: int) -> dict[str, int]:
    """Commit (or resume) one lead import batch; a database hiccup retries, resuming at the checkpoint.

    acks_late: a worker that dies midway leaves the message to be delivered again, and the rerun
    carries on after the last committed chunk.
    """
    from .importing import batch_notify_finished, batch_run

    try:
        batch = batch_run(batch_id)
    except OperationalError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=10 * (self.request.retries + 1))
        batch_notify_finished(batch_id)
        raise
    except Exception:
        batch_notify_finished(batch_id)
        raise
    batch_notify_finished(batch_id)
    return {"created": batch.created_rows, "duplicates": batch.duplicate_rows, "bad": batch.bad_rows}
