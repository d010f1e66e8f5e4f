"""Customer service's beat entries (the day's callbacks and reminders before opening, escalation every
few minutes) and the daily catch-up of ladders a delivery signal did not schedule. The jobs on a real
worker are in test_worker.py."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from complaints import services
from complaints.models import Callback
from dealercrm.celery import app

from .conftest import deliver_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "daily"),
    [
        ("complaints.tasks.create_callbacks_all", True),
        ("complaints.tasks.create_service_reminders_all", True),
        ("complaints.tasks.escalate_complaints_all", False),
    ],
)
def test_beat_runs_the_customer_service_jobs(task, daily):
    app.loader.import_default_modules()
    assert task in app.tasks
    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == task]
    assert len(entries) == 1, entries
    schedule = entries[0]["schedule"]
    if daily:  # once a day, before opening
        assert isinstance(schedule, crontab) and len(schedule.hour) == 1 and len(schedule.minute) == 1
        assert next(iter(schedule.hour)) < 9
    else:  # every few minutes
        assert isinstance(schedule, dt.timedelta) and schedule <= dt.timedelta(minutes=15)


def test_a_lost_ladder_is_scheduled_by_the_daily_job(store, other_store, users, other_users, trim):
    now = timezone.now()
    recent = deliver_order(store, users, trim, at=now - dt.timedelta(days=5))
    old = deliver_order(store, users, trim, at=now - dt.timedelta(days=services.CATCH_UP_DAYS + 5), name="老客户")
    elsewhere = deliver_order(other_store, other_users, trim, at=now - dt.timedelta(days=5))
    # No delivery signal ran (its callbacks were never committed): no order has callbacks.
    assert not Callback.objects.exists()

    assert services.callbacks_schedule_missing(store=store) == 8
    assert set(Callback.objects.values_list("order_id", flat=True)) == {recent.pk}
    assert Callback.objects.get(order=recent, kind=Callback.Kind.SAME_DAY).due_date == timezone.localdate(
        recent.delivered_at
    )
    assert services.callbacks_create_daily() == {"scheduled": 8, "extended": 0}  # the other store's
    assert services.callbacks_create_daily() == {"scheduled": 0, "extended": 0}
    assert Callback.objects.filter(order=elsewhere).count() == 8
    assert not Callback.objects.filter(order=old).exists()  # too old to call now: left alone
