"""Customer service's scheduled jobs on a real Celery worker against the test database: a ticket past
due is escalated once however often the job runs; the day's callbacks (a ladder whose delivery signal
was lost, the next repeating rung) and the week's vehicle-service reminders are created once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Notification
from complaints.models import Callback, CallbackSettings, Complaint, ServiceReminder
from tests.celery.conftest import (  # noqa: F401 - the shared real-worker fixtures
    _celery_prerequisites,
    celery_worker_proc,
)

from .conftest import register
from .conftest import trim as trim  # noqa: PLC0414 - the fixture, for this module

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_escalation_runs_once_on_the_worker(celery_worker_proc, store, users, trim):  # noqa: F811
    from .conftest import deliver_order

    order = deliver_order(store, users, trim)
    complaint = register(store, users, order)
    past = complaint.registered_at - dt.timedelta(hours=25)
    Complaint.objects.filter(pk=complaint.pk).update(registered_at=past, due_at=past + dt.timedelta(hours=24))

    first = celery_worker_proc.run("complaints.tasks.escalate_complaints_all")
    second = celery_worker_proc.run("complaints.tasks.escalate_complaints_all")

    assert first == {"at_risk": 0, "overdue": 1} and second == {"at_risk": 0, "overdue": 0}
    complaint.refresh_from_db()
    assert complaint.breached and complaint.overdue_escalated_at is not None
    assert Notification.objects.filter(recipient=users.gm, level=Notification.Level.URGENT).count() == 1
    assert celery_worker_proc.run("complaints.tasks.extend_callback_ladders_all") == 0


def test_the_days_callbacks_are_created_once_on_the_worker(celery_worker_proc, store, users, trim):  # noqa: F811
    from .conftest import deliver_order

    CallbackSettings.objects.create(store=store, ongoing_every=15)
    order = deliver_order(store, users, trim, at=timezone.now() - dt.timedelta(days=20))
    # The delivery's ladder was lost (its receiver failed): the daily job finds it missing.
    Callback.objects.filter(order=order).delete()

    first = celery_worker_proc.run("complaints.tasks.create_callbacks_all")
    second = celery_worker_proc.run("complaints.tasks.create_callbacks_all")

    # The whole ladder, and the ongoing rung (due on day 15, gone) extended to day 30.
    assert first == {"scheduled": 8, "extended": 1} and second == {"scheduled": 0, "extended": 0}
    ongoing = Callback.objects.filter(order=order, kind=Callback.Kind.ONGOING).order_by("due_date")
    delivered_on = timezone.localdate(order.delivered_at)
    assert [c.due_date - delivered_on for c in ongoing] == [dt.timedelta(days=15), dt.timedelta(days=30)]
    assert Callback.objects.filter(order=order).count() == 9


def test_the_weeks_reminders_are_created_once_on_the_worker(celery_worker_proc, store, users, trim):  # noqa: F811
    from .conftest import deliver_order

    # Delivered 88 days ago: the first service (90 days) is due in two days.
    order = deliver_order(store, users, trim, at=timezone.now() - dt.timedelta(days=88))

    first = celery_worker_proc.run("complaints.tasks.create_service_reminders_all")
    second = celery_worker_proc.run("complaints.tasks.create_service_reminders_all")

    assert (first, second) == (1, 0)
    reminder = ServiceReminder.objects.get()
    assert (reminder.order_id, reminder.kind) == (order.pk, ServiceReminder.Kind.FIRST_SERVICE)
    assert reminder.due_date == timezone.localdate(order.delivered_at) + dt.timedelta(days=90)
