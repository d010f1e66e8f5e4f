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
