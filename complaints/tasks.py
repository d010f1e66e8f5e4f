"""Scheduled work of customer service; idempotent by the data (see the services)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def escalate_complaints_all() -> dict[str, int]:
    """Every few minutes: tell the sales managers and the GM of tickets at risk or past due, once each."""
    return services.complaints_escalate()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def create_callbacks_all() -> dict[str, int]:
    """Daily before opening: the day's callbacks — ladders missing from recent deliveries, and the
    next ongoing and repeat-purchase rungs that came due."""
    return services.callbacks_create_daily()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def extend_callback_ladders_all() -> int:
    """Daily before opening: schedule the next ongoing and repeat-purchase callbacks that came due."""
    return services.callbacks_extend()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def create_service_reminders_all() -> int:
    """Daily before opening: the vehicle-service reminders of the coming week."""
    return services.reminders_create()
