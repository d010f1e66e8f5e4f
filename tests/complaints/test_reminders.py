"""Vehicle-service reminders (first service, insurance, inspection, birthday) created once by the
daily job and worked from the agent's list; the enquiries log, answered or passed on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Notification
from complaints import services, tasks
from complaints.models import Enquiry, ServiceReminder

from .conftest import deliver_order

pytestmark = pytest.mark.django_db
K = ServiceReminder.Kind


def test_reminders_created_once(store, users, trim):
    # Delivered 10:00 on 10 January 2026 in Shanghai.
    order = deliver_order(store, users, trim, at=dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC))
    order.customer.birthday = dt.date(1990, 4, 12)
    order.customer.save(update_fields=["birthday"])
    assert services.reminders_create(today=dt.date(2026, 4, 5)) == 2  # first service 10 April, birthday 12 April
    assert services.reminders_create(today=dt.date(2026, 4, 5)) == 0
    assert set(ServiceReminder.objects.values_list("kind", "due_date")) == {
        (K.FIRST_SERVICE, dt.date(2026, 4, 10)),
        (K.BIRTHDAY, dt.date(2026, 4, 12)),
    }
    # Insurance: a month before the first anniversary (10 January 2027).
    assert services.reminders_create(today=dt.date(2026, 12, 8)) == 1
    assert ServiceReminder.objects.filter(kind=K.INSURANCE, due_date=dt.date(2026, 12, 11)).exists()
    # Inspection sticker: every two years.
    assert services.reminders_create(today=dt.date(2028, 1, 8)) == 1
    assert ServiceReminder.objects.filter(kind=K.INSPECTION, due_date=dt.date(2028, 1, 10)).exists()
    assert tasks.create_service_reminders_all() >= 0


def test_agent_works_reminders(client_for, store, users, other_users, trim):
    order = deliver_order(store, users, trim)
    reminder = ServiceReminder.objects.create(
        store=store, customer=order.customer, order=order, kind=K.INSURANCE, due_date=dt.date.today()
    )
    agent = client_for(users.cs_agent)
    assert f'id="reminder-{reminder.pk}"' in agent.get(reverse("complaints:reminders")).content.decode()
    url = reverse("complaints:reminder_done", args=[reminder.pk])
    response = agent.post(url, {"result": ""}, follow=True)
    assert "alert-danger" in response.content.decode()
    assert client_for(other_users.cs_agent).post(url, {"result": "x"}).status_code == 404
    assert client_for(users.consultant).post(url, {"result": "x"}).status_code == 403
    agent.post(url, {"result": "客户已在本店续保"})
    reminder.refresh_from_db()
    assert reminder.done_by == users.cs_agent
    assert f'id="reminder-{reminder.pk}"' not in agent.get(reverse("complaints:reminders")).content.decode()


def test_enquiries_logged_and_passed_on(client_for, store, users):
    agent = client_for(users.cs_agent)
    url = reverse("complaints:enquiries")
    response = agent.post(url, {"caller_name": "", "phone": "13900001111", "kind": "help", "summary": "车辆抛锚"})
    assert response.status_code == 200 and 'id="error-caller_name"' in response.content.decode()
    assert "车辆抛锚" in response.content.decode()
    agent.post(url, {"caller_name": "陈先生", "phone": "13900001111", "kind": "help", "summary": "车辆抛锚在高速"})
    enquiry = Enquiry.objects.get()
    handle = reverse("complaints:enquiry_handle", args=[enquiry.pk])
    agent.post(handle, {"result": "已联系救援，转售后经理跟进", "passed_to": users.sales_manager.pk})
    enquiry.refresh_from_db()
    assert enquiry.handled_by == users.cs_agent and enquiry.passed_to == users.sales_manager
    assert Notification.objects.filter(recipient=users.sales_manager, title__contains="陈先生").exists()
    response = agent.post(handle, {"result": "again"}, follow=True)
    assert "alert-danger" in response.content.decode()


def test_agent_skips_a_reminder_saying_why(client_for, store, users, trim):
    order = deliver_order(store, users, trim)
    reminder = ServiceReminder.objects.create(
        store=store, customer=order.customer, order=order, kind=K.INSPECTION, due_date=dt.date.today()
    )
    agent = client_for(users.cs_agent)
    url = reverse("complaints:reminder_done", args=[reminder.pk])
    assert f'id="skip-{reminder.pk}"' in agent.get(reverse("complaints:reminders")).content.decode()
    response = agent.post(url, {"result": "", "step": "skip"}, follow=True)
    assert "alert-danger" in response.content.decode()
    agent.post(url, {"result": "车已转卖", "step": "skip"})
    reminder.refresh_from_db()
    assert reminder.skipped and reminder.result == "车已转卖" and reminder.done_by == users.cs_agent
    assert f'id="reminder-{reminder.pk}"' not in agent.get(reverse("complaints:reminders")).content.decode()
