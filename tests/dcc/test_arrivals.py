"""Invitations after the call: reminders sent once, arrivals matched at the desk, no-shows back on the
list, direct-sales orders counted as DCC sales, and the DCC figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from freezegun import freeze_time

from catalog.models import Brand, Series, Trim, VehicleModel
from dcc import selectors, services
from dcc.models import ArrivalReminder, Call, CallTask, Campaign, MessageTemplate, Rule
from dcc.services import CallInput
from leads import services as lead_services
from leads.models import Appointment, LeadStatus
from showroom import services as showroom_services
from tests.dcc.conftest import local, new_lead, set_profile
from tests.leads.factories import make_lead

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def trim(db):
    brand = Brand.objects.create(name="大众", code="vw")
    series = Series.objects.create(brand=brand, name="朗逸")
    model = VehicleModel.objects.create(series=series, name="朗逸 2026款", model_year=2026)
    return Trim.objects.create(model=model, name="1.5L 自动舒适版", guide_price=Decimal("119900"))


def dcc_invitation(store, users, *, when, scheduled, receiver=None, **customer):
    """An online lead the agent calls at ``when`` and invites for ``scheduled``."""
    with freeze_time(when):
        lead = new_lead(store, source_code="autohome", **customer)
        services.call_lists_build(store=store, now=when)
        task = CallTask.objects.get(lead=lead)
        call = services.call_record(
            actor=users.dcc_agent,
            task=task,
            data=CallInput(outcome="invited", scheduled_at=scheduled, receiver=receiver or users.consultant),
        )
    return call.appointment


def run_reminders(store, at):
    with freeze_time(at):
        return services.arrival_reminders_run(store=store, now=at)


# --- reminders ------------------------------------------------------------------------------------


def test_reminders_go_the_day_before_and_on_the_morning_once_each(dcc_store, users, outbox):
    appointment = dcc_invitation(
        dcc_store, users, when=local(TODAY - dt.timedelta(days=2), 11), scheduled=local(TOMORROW, 14), name="李雷"
    )
    outbox.clear()  # the confirmation went out on commit in real life; not captured here
    assert run_reminders(dcc_store, local(TODAY, 9)) == {"sent": 0, "skipped": 0, "failed": 0}
    assert run_reminders(dcc_store, local(TODAY, 10, 30))["sent"] == 1
    assert run_reminders(dcc_store, local(TODAY, 16))["sent"] == 0
    assert [m.body for m in outbox] == [outbox[0].body] and "李雷" in outbox[0].body and "明天" not in outbox[0].to
    assert run_reminders(dcc_store, local(TOMORROW, 7))["sent"] == 0
    assert run_reminders(dcc_store, local(TOMORROW, 8, 5))["sent"] == 1
    assert run_reminders(dcc_store, local(TOMORROW, 9))["sent"] == 0
    assert len(outbox) == 2
    kinds = set(ArrivalReminder.objects.filter(appointment=appointment).values_list("kind", "status"))
    assert {("day_before", "sent"), ("same_day", "sent")} <= kinds


def test_reminders_use_the_store_template(dcc_store, users, outbox):
    services.template_save(
        actor=users.dcc_manager,
        store=dcc_store,
        kind=MessageTemplate.Kind.DAY_BEFORE,
        channel="sms",
        name="明日提醒",
        body="【{store}】{name}您好，明天{time}见，接待顾问{receiver}。",
    )
    dcc_invitation(dcc_store, users, when=local(TODAY - dt.timedelta(days=1), 11), scheduled=local(TOMORROW, 15))
    outbox.clear()
    run_reminders(dcc_store, local(TODAY, 11))
    [message] = outbox
    assert message.body.startswith(f"【{dcc_store.name}】") and f"{TOMORROW:%Y-%m-%d} 15:00" in message.body
    assert users.consultant.display_name in message.body


def test_no_reminder_for_do_not_disturb_cancelled_or_booked_today(dcc_store, users, outbox):
    quiet = dcc_invitation(
        dcc_store, users, when=local(TODAY - dt.timedelta(days=1), 11), scheduled=local(TOMORROW, 15)
    )
    lead_services.customer_update(actor=users.dcc_manager, customer=quiet.lead.customer, do_not_disturb=True)
    called_off = dcc_invitation(
        dcc_store, users, when=local(TODAY - dt.timedelta(days=1), 12), scheduled=local(TOMORROW, 16)
    )
    lead_services.appointment_cancel(actor=users.consultant, appointment=called_off, reason="客户有事")
    booked_today = dcc_invitation(dcc_store, users, when=local(TODAY, 9, 30), scheduled=local(TOMORROW, 10))
    outbox.clear()
    counts = run_reminders(dcc_store, local(TODAY, 11))
    assert counts == {"sent": 0, "skipped": 1, "failed": 0}
    assert outbox == []
    assert ArrivalReminder.objects.get(appointment=quiet, kind="day_before").status == "skipped"
    assert not ArrivalReminder.objects.filter(appointment=called_off, kind="day_before").exists()
    assert not ArrivalReminder.objects.filter(appointment=booked_today, kind="day_before").exists()


def test_a_reminder_claimed_by_one_worker_is_not_sent_by_another(dcc_store, users, outbox):
    appointment = dcc_invitation(
        dcc_store, users, when=local(TODAY - dt.timedelta(days=1), 11), scheduled=local(TOMORROW, 15)
    )
    reminder = ArrivalReminder.objects.create(store=dcc_store, appointment=appointment, kind="day_before")
    outbox.clear()
    assert services.arrival_reminder_send(reminder_id=reminder.pk) == "sent"
    assert services.arrival_reminder_send(reminder_id=reminder.pk) == ""
    assert len(outbox) == 1


def test_confirmation_is_sent_once_after_the_booking_commits(
    dcc_store, users, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = dcc_invitation(
            dcc_store, users, when=local(TODAY, 10), scheduled=local(TOMORROW, 11), name="韩梅梅"
        )
    assert len(outbox) == 1 and "韩梅梅" in outbox[0].body
    assert (
        services.arrival_reminder_send(
            reminder_id=ArrivalReminder.objects.get(appointment=appointment, kind="confirmation").pk
        )
        == ""
    )
    assert len(outbox) == 1


# --- arrivals and no-shows -----------------------------------------------------------------------


def test_a_visit_at_the_desk_on_the_day_marks_the_dcc_invitation_arrived(dcc_store, users):
    appointment = dcc_invitation(
        dcc_store, users, when=local(TODAY - dt.timedelta(days=1), 11), scheduled=local(TODAY, 14), name="张伟"
    )
    with freeze_time(local(TODAY, 13, 50)):
        visit = showroom_services.visit_register(
            actor=users.reception, store=dcc_store, phone=appointment.lead.customer.phone
        )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED and visit.appointment == appointment
    # The receiving consultant owns the lead, so the desk sent the customer to them.
    assert visit.consultant == users.consultant
    figures = selectors.invitation_arrival(dcc_store, TODAY, TODAY)
    assert (figures.appointments, figures.arrived, figures.rate) == (1, 1, 1.0)
    assert figures.by_agent == {users.dcc_agent.pk: (1, 1)}


def test_a_visit_on_another_day_is_not_an_arrival(dcc_store, users):
    appointment = dcc_invitation(
        dcc_store,
        users,
        when=local(TODAY - dt.timedelta(days=2), 11),
        scheduled=local(TODAY - dt.timedelta(days=1), 14),
    )
    with freeze_time(local(TODAY, 15)):
        services.call_lists_build(store=dcc_store, now=local(TODAY, 15))  # marks yesterday's no-shows
        showroom_services.visit_register(actor=users.reception, store=dcc_store, phone=appointment.lead.customer.phone)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    figures = selectors.invitation_arrival(dcc_store, TODAY - dt.timedelta(days=1), TODAY)
    assert (figures.appointments, figures.arrived) == (1, 0)


def test_no_shows_come_back_to_the_agent_to_reschedule(dcc_store, users):
    appointment = dcc_invitation(
        dcc_store,
        users,
        when=local(TODAY - dt.timedelta(days=3), 11),
        scheduled=local(TODAY - dt.timedelta(days=1), 14),
    )
    with freeze_time(local(TODAY, 7, 30)):
        services.call_lists_build(store=dcc_store, now=local(TODAY, 7, 30))
    task = CallTask.objects.get(lead=appointment.lead, status=CallTask.Status.OPEN)
    assert task.rule == Rule.NO_SHOW and task.agent == users.dcc_agent
    assert list(selectors.call_list(users.dcc_agent, dcc_store)) == [task]
    # The agent reschedules: a new invitation, and the lead goes to the receiver again.
    with freeze_time(local(TODAY, 9, 10)):
        call = services.call_record(
            actor=users.dcc_agent,
            task=task,
            data=CallInput(
                outcome="invited", scheduled_at=local(TODAY + dt.timedelta(days=2), 10), receiver=users.consultant
            ),
        )
    assert call.appointment.status == Appointment.Status.SCHEDULED
    appointment.lead.refresh_from_db()
    assert appointment.lead.status == LeadStatus.INVITED and appointment.lead.owner == users.consultant


# --- direct sales and DCC sales -----------------------------------------------------------------


def test_direct_sales_orders_count_as_dcc_sales(dcc_store, users, trim):
    set_profile(dcc_store, users.dcc_agent, skill_direct=True)
    appointment = dcc_invitation(
        dcc_store,
        users,
        when=local(TODAY - dt.timedelta(days=1), 11),
        scheduled=local(TODAY, 10),
        receiver=users.dcc_agent,
    )
    with freeze_time(local(TODAY, 10, 5)):
        showroom_services.visit_register(
            actor=users.reception, store=dcc_store, phone=appointment.lead.customer.phone, consultant=users.dcc_agent
        )
        order = showroom_services.order_create(
            actor=users.dcc_agent, lead=appointment.lead, trim=trim, price=Decimal("119900")
        )
        showroom_services.order_confirm(actor=users.dcc_agent, order=order)
    assert order.is_dcc_sale
    # A consultant's order on a DCC-invited lead counts as a DCC order too, not as a direct sale.
    other = dcc_invitation(dcc_store, users, when=local(TODAY - dt.timedelta(days=1), 12), scheduled=local(TODAY, 15))
    showroom_lead = make_lead(dcc_store, users.consultant)
    with freeze_time(local(TODAY, 15, 30)):
        for lead in (other.lead, showroom_lead):
            lead.refresh_from_db()
            o = showroom_services.order_create(actor=users.consultant, lead=lead, trim=trim, price=Decimal("119900"))
            showroom_services.order_confirm(actor=users.consultant, order=o)
    [march] = selectors.dcc_sales_by_month(dcc_store, TODAY.replace(day=1), TODAY)
    assert (march.orders, march.direct_sales, march.deliveries) == (2, 1, 0)
    assert set(selectors.dcc_orders(dcc_store).values_list("lead_id", flat=True)) == {
        appointment.lead_id,
        other.lead_id,
    }
    with freeze_time(local(TODAY, 17)):
        showroom_services.order_deliver(actor=users.dcc_agent, order=order, vin="LSVAU033612345678")
    [march] = selectors.dcc_sales_by_month(dcc_store, TODAY.replace(day=1), TODAY)
    assert march.deliveries == 1


# --- figures ----------------------------------------------------------------------------------


def test_figures_calls_per_agent_connect_rate_sla_and_campaign_reach(dcc_store, users):
    with freeze_time(local(TODAY, 10)):
        leads = [new_lead(dcc_store, source_code="autohome") for _ in range(3)]
    with freeze_time(local(TODAY, 10, 1)):
        services.call_lists_build(store=dcc_store, now=local(TODAY, 10, 1))
    tasks = [CallTask.objects.get(lead=lead) for lead in leads]
    with freeze_time(local(TODAY, 10, 10)):
        services.call_record(actor=users.dcc_agent, task=tasks[0], data=CallInput(outcome="no_answer"))
        services.call_record(
            actor=users.dcc_agent,
            task=tasks[1],
            data=CallInput(outcome="invited", scheduled_at=local(TOMORROW, 10), receiver=users.consultant),
        )
    with freeze_time(local(TODAY, 11)):
        services.call_record(actor=users.dcc_agent, task=tasks[2], data=CallInput(outcome="talked"))
        campaign = services.campaign_create(
            actor=users.dcc_manager, store=dcc_store, name="周末试驾", kind="sms", body="{name}您好"
        )
        Campaign.objects.filter(pk=campaign.pk).update(
            queued_at=local(TODAY, 11), audience_count=10, excluded_count=2, sent_count=7, failed_count=1
        )
    with freeze_time(local(TODAY, 18)):
        figures = selectors.dcc_figures(dcc_store, TODAY, TODAY)
    [agent] = figures.agents
    assert (agent.agent, agent.calls, agent.connected, agent.invitations) == (users.dcc_agent, 3, 2, 1)
    assert agent.connect_rate == pytest.approx(2 / 3)
    assert figures.totals.calls == 3 and figures.invitations == 1
    assert (figures.sla.due, figures.sla.met, figures.sla.late) == (3, 2, 1)
    assert figures.sla.compliance == pytest.approx(2 / 3)
    assert (figures.campaigns.matched, figures.campaigns.sent) == (10, 7) and figures.campaigns.reach == 0.7
    assert Call.objects.filter(store=dcc_store).count() == 3
