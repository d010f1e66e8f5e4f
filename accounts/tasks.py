"""Background work for accounts: notification delivery, the scheduler heartbeat, housekeeping."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import IntegrityError
from django.utils import timezone

from . import services
from .channels import configured_channels
from .models import Notification, NotificationDelivery

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(notification_id: int) -> dict[str, str]:
    """Send one notification through every configured channel, each at most once."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return {}
    done = set(notification.deliveries.values_list("channel", flat=True))
    results = {}
    for channel in configured_channels():
        if channel.code in done:
            continue
        status, detail = channel.deliver(notification)
        try:
            NotificationDelivery.objects.create(
                notification=notification, channel=channel.code, status=status, detail=detail[:300]
            )
        except IntegrityError:
            continue  # another worker delivered it meanwhile
        results[channel.code] = status
    return results


@shared_task
def scheduler_heartbeat() -> int:
    return services.scheduler_heartbeat_record().runs


@shared_task
def purge_old_notifications(days: int = 180) -> int:
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    return deleted
