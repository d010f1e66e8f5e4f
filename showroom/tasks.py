"""Scheduled work of the showroom: the cross-check of walk-ins without a follow-up."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from accounts.models import Store

from . import services


@shared_task
def cross_check_all() -> int:
    """Fan out one cross-check per active store (beat: hourly; idempotent, each visit is flagged once)."""
    store_ids = list(Store.objects.filter(is_active=True).values_list("id", flat=True))
    for store_id in store_ids:
        cross_check_store.delay(store_id)
    return len(store_ids)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def cross_check_store(store_id: int) -> int:
    """Flag to the sales manager the store's walk-ins that got no follow-up in time; returns how many."""
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        return 0
    return services.visits_flag_without_follow_up(store=store)
