"""Background work of the reports app: exports, the purge of expired ones, the report center's
morning build with its subscription emails, and the daily summaries the reports read."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from accounts.models import Store

from . import services, summary


@shared_task(acks_late=True, max_retries=0)
def run_export(job_id: int) -> int | None:
    job = services.export_run(job_id=job_id)
    return job.rows if job else None


@shared_task
def purge_exports() -> int:
    return services.exports_purge()


@shared_task
def purge_report_center() -> int:
    return services.report_center_purge()


@shared_task
def build_report_center_all(day: str | None = None) -> int:
    """Every morning: one build per active store for ``day`` (yesterday unless given)."""
    day = day or (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    store_ids = list(Store.objects.filter(is_active=True).values_list("id", flat=True))
    for store_id in store_ids:
        build_report_center_store.delay(store_id, day)
    return len(store_ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def build_report_center_store(store_id: int, day: str) -> dict[str, int]:
    """The store's report-center files for ``day`` (a rerun replaces them), then the subscribers'
    emails (at most one a day each)."""
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        return {}
    reported = dt.date.fromisoformat(day)
    files = services.report_center_build(store=store, day=reported)
    emails = services.report_subscriptions_send(store=store, day=reported)
    return {"files": len(files), "emails": emails}


@shared_task
def refresh_daily_counts_all() -> int:
    """Every morning, before the report center: each active store's daily summaries brought up to date."""
    store_ids = list(Store.objects.filter(is_active=True).values_list("id", flat=True))
    for store_id in store_ids:
        refresh_daily_counts.delay(store_id)
    return len(store_ids)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_daily_counts(store_id: int) -> int:
    """The store's last days and every day changed since the previous run, counted afresh (idempotent)."""
    store = Store.objects.filter(pk=store_id, is_active=True).first()
    if store is None:
        return 0
    return summary.summary_refresh(store=store)
