"""The handling clock: due 24 hours (store-set) after registration, at risk at the store's share,
escalated to the sales managers and the GM once each, breaches counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Notification
from complaints import selectors, services, tasks
from complaints.models import Complaint

from .conftest import register

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # 06:00 on 1 April in Shanghai


def escalations(user):
    return Notification.objects.filter(recipient=user, url__contains="/service/complaints/").exclude(
        title__contains="signature"
    )


def test_due_24_hours_after_registration(store, users, delivered_order):
    with freeze_time(START):
        complaint = register(store, users, delivered_order)
    assert complaint.registered_at == START and complaint.due_at == START + dt.timedelta(hours=24)
    with freeze_time(START + dt.timedelta(hours=5)):
        clock = selectors.complaint_clock(complaint)
        assert clock.remaining == dt.timedelta(hours=19) and clock.waiting == dt.timedelta(hours=5)
        assert not clock.at_risk and not clock.overdue


def test_store_sets_the_handling_time(store, users, delivered_order):
    services.complaint_settings_save(actor=users.cs_manager, store=store, handling_hours=48, at_risk_percent=50)
    with freeze_time(START):
        complaint = register(store, users, delivered_order)
    assert complaint.due_at == START + dt.timedelta(hours=48)
    with freeze_time(START + dt.timedelta(hours=24, minutes=1)):
        assert selectors.complaint_clock(complaint).at_risk


def test_at_risk_then_past_due_escalated_once_each(store, users, delivered_order):
    with freeze_time(START):
        complaint = register(store, users, delivered_order)
    with freeze_time(START + dt.timedelta(hours=17)):  # 71%: not yet at risk (75%)
        assert services.complaints_escalate() == {"at_risk": 0, "overdue": 0}
    with freeze_time(START + dt.timedelta(hours=18)):
        assert selectors.complaint_clock(complaint).at_risk
        assert services.complaints_escalate() == {"at_risk": 1, "overdue": 0}
        assert services.complaints_escalate() == {"at_risk": 0, "overdue": 0}
    for user in (users.sales_manager, users.gm):
        assert escalations(user).count() == 1
    assert not escalations(users.consultant).exists()
    complaint.refresh_from_db()
    assert not complaint.breached
    with freeze_time(START + dt.timedelta(hours=24)):
        assert tasks.escalate_complaints_all() == {"at_risk": 0, "overdue": 1}
        assert tasks.escalate_complaints_all() == {"at_risk": 0, "overdue": 0}
        assert selectors.complaint_clock(Complaint.objects.get()).overdue
    for user in (users.sales_manager, users.gm):
        assert escalations(user).count() == 2
        assert escalations(user).filter(level=Notification.Level.URGENT).count() == 1
    complaint.refresh_from_db()
    assert complaint.breached and selectors.complaint_figures(store)["breached"] == 1


def test_handled_in_time_is_never_escalated(store, users, delivered_order):
    from .test_workflow import A, S, bring_to, sign

    with freeze_time(START):
        complaint = register(store, users, delivered_order)
    with freeze_time(START + dt.timedelta(hours=2)):
        complaint = bring_to(users, complaint, S.DISPATCHED)
        complaint = sign(users, complaint, A.HANDLE)
    steps = list(complaint.steps.all())
    assert all(step.waited == dt.timedelta() for step in steps[2:])
    assert steps[1].waited == dt.timedelta(hours=2)
    with freeze_time(START + dt.timedelta(hours=30)):
        assert services.complaints_escalate() == {"at_risk": 0, "overdue": 0}
    complaint.refresh_from_db()
    assert not complaint.breached


def test_handled_late_is_a_breach(store, users, delivered_order):
    from .test_workflow import A, S, bring_to, sign

    with freeze_time(START):
        complaint = register(store, users, delivered_order)
    with freeze_time(START + dt.timedelta(hours=25)):
        complaint = bring_to(users, complaint, S.DISPATCHED)
        complaint = sign(users, complaint, A.HANDLE)
    assert complaint.breached


def test_escalation_skips_other_stores_quiet_tickets(store, other_store, users, other_users, delivered_order):
    with freeze_time(START):
        register(store, users, delivered_order)
    with freeze_time(START + dt.timedelta(hours=23)):
        services.complaints_escalate(store=other_store)
    assert not escalations(other_users.gm).exists() and not escalations(users.gm).exists()
    assert timezone.now()  # sanity: time unfrozen
