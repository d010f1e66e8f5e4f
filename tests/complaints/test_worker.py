"""Customer service's scheduled jobs on a real Celery worker against the test database: a ticket past
due is escalated once however often the job runs; the ladder's repeating rungs are extended once."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Notification
from complaints.models import Complaint
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
