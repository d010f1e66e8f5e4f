"""Working a call: each outcome, inbound calls, the telephony hook, the first-call SLA in opening hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from accounts.models import Holiday, Notification
from dcc import services
from dcc.models import ArrivalReminder, Call, CallTask, DccSettings, Rule
from dcc.services import CallInput, InboundInput
from dcc.telephony import CallDetails, NoTelephony
from leads.models import Appointment, FollowUp, Lead, LeadStatus, LostRequest, Task
from tests.dcc.conftest import local, make_agent, new_lead, open_every_day
from tests.leads.factories import make_lead, next_phone, reason, source

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)  # a Wednesday
NOW = local(TODAY, 10)


@pytest.fixture
def listed(dcc_store, users):
    """An online lead on the agent's list (owned by nobody: it came into the DCC queue)."""
    with freeze_time(NOW):
        lead = new_lead(dcc_store, source_code="autohome", name="王芳")
        services.call_lists_build(store=dcc_store, now=NOW)
    return CallTask.objects.get(lead=lead)


def record(task, actor, at=NOW, **data):
    with freeze_time(at):
        return services.call_record(actor=actor, task=task, data=CallInput(**data))


def test_no_answer_retries_until_the_attempts_run_out(listed, users):
    DccSettings.objects.filter(store=listed.store).update(max_attempts=2, retry_minutes=60)
    call = record(listed, users.dcc_agent, outcome="no_answer")
    listed.refresh_from_db()
    assert call.direction == Call.Direction.OUTBOUND and call.outcome == "no_answer"
    assert listed.status == CallTask.Status.OPEN and listed.attempts == 1
    assert listed.due_at == NOW + dt.timedelta(minutes=60)
    assert listed.first_call_at == NOW  # an attempt is the first call for the SLA
    # The lead is the agent's now, and the attempt is on its history.
    lead = Lead.objects.get(pk=listed.lead_id)
    assert lead.owner == users.dcc_agent and lead.with_dcc
    assert FollowUp.objects.get(lead=lead).result == FollowUp.Result.NO_ANSWER
    record(listed, users.dcc_agent, at=NOW + dt.timedelta(hours=1), outcome="busy")
    listed.refresh_from_db()
    assert listed.status == CallTask.Status.DONE and listed.attempts == 2 and listed.result == "busy"


def test_call_back_reschedules_the_task(listed, users):
    at = NOW + dt.timedelta(days=1, hours=4)
    record(listed, users.dcc_agent, outcome="call_back", callback_at=at, note="客户开会，明天下午再打")
    listed.refresh_from_db()
    assert listed.status == CallTask.Status.OPEN and listed.due_at == at
    follow_up = FollowUp.objects.get(lead_id=listed.lead_id)
    assert follow_up.result == FollowUp.Result.CONTACTED and follow_up.next_follow_up_at == at


def test_call_back_needs_a_future_time(listed, users):
    with pytest.raises(ValidationError) as excinfo:
        record(listed, users.dcc_agent, outcome="call_back")
    assert "callback_at" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        record(listed, users.dcc_agent, outcome="call_back", callback_at=NOW - dt.timedelta(days=1))
    assert "callback_at" in excinfo.value.message_dict
    assert not Call.objects.exists()


def test_wrong_number_asks_for_an_invalid_lead(listed, users):
    record(listed, users.dcc_agent, outcome="wrong_number", note="空号")
    listed.refresh_from_db()
    assert listed.status == CallTask.Status.DONE
    request = LostRequest.objects.get(lead_id=listed.lead_id)
    assert request.kind == "invalid" and request.reason.code == "wrong_number"
    assert Lead.objects.get(pk=listed.lead_id).status == LeadStatus.INVALID_REQUESTED


def test_not_interested_closes_the_task(listed, users):
    record(listed, users.dcc_agent, outcome="not_interested", grade="C")
    listed.refresh_from_db()
    assert listed.status == CallTask.Status.DONE and listed.result == "not_interested"
    assert FollowUp.objects.get(lead_id=listed.lead_id).result == FollowUp.Result.NOT_INTERESTED


def test_invitation_books_the_appointment_tells_the_consultant_and_confirms_to_the_customer(
    listed, users, outbox, django_capture_on_commit_callbacks
):
    scheduled = local(TODAY + dt.timedelta(days=3), 14)
    with django_capture_on_commit_callbacks(execute=True):
        call = record(
            listed,
            users.dcc_agent,
            outcome="invited",
            scheduled_at=scheduled,
            receiver=users.consultant,
            purpose="test_drive",
            note="客户周六下午来试驾",
            script_steps=(1, 2, 3),
            grade="A",
        )
    appointment = Appointment.objects.get(lead_id=listed.lead_id)
    assert call.appointment == appointment and call.script_steps == [1, 2, 3]
    assert appointment.origin == Appointment.Origin.DCC and appointment.created_by == users.dcc_agent
    assert appointment.receiver == users.consultant and appointment.scheduled_at == scheduled
    lead = Lead.objects.get(pk=listed.lead_id)
    assert lead.status == LeadStatus.INVITED and lead.grade == "A"
    # The receiving consultant owns the lead now (the desk sends the customer to the owner) ...
    assert lead.owner == users.consultant and lead.with_dcc
    assert Task.objects.filter(lead=lead, kind=Task.Kind.APPOINTMENT, assignee=users.consultant).exists()
    assert Notification.objects.filter(recipient=users.consultant, title__contains="王芳").exists()
    # ... and the customer got the confirmation, once.
    [message] = outbox
    assert message.to == lead.customer.phone and "王芳" in message.body
    confirmation = ArrivalReminder.objects.get(appointment=appointment)
    assert confirmation.kind == ArrivalReminder.Kind.CONFIRMATION and confirmation.status == "sent"
    listed.refresh_from_db()
    assert listed.status == CallTask.Status.DONE


def test_invitation_checks_time_receiver_and_opening_hours(listed, users):
    cases = [
        ({}, {"scheduled_at", "receiver"}),
        ({"scheduled_at": NOW - dt.timedelta(days=1), "receiver": users.consultant}, {"scheduled_at"}),
        ({"scheduled_at": local(TODAY + dt.timedelta(days=1), 22), "receiver": users.consultant}, {"scheduled_at"}),
        ({"scheduled_at": local(TODAY + dt.timedelta(days=1), 11), "receiver": users.dcc_agent}, {"receiver"}),
        ({"scheduled_at": local(TODAY + dt.timedelta(days=1), 11), "receiver": users.cs_agent}, {"receiver"}),
    ]
    for data, fields in cases:
        with pytest.raises(ValidationError) as excinfo:
            record(listed, users.dcc_agent, outcome="invited", **data)
        assert set(excinfo.value.message_dict) == fields, data
    assert not Appointment.objects.exists()


def test_a_direct_sales_agent_receives_their_own_invitee(listed, users):
    from tests.dcc.conftest import set_profile

    set_profile(listed.store, users.dcc_agent, skill_direct=True)
    record(
        listed,
        users.dcc_agent,
        outcome="invited",
        scheduled_at=local(TODAY + dt.timedelta(days=1), 11),
        receiver=users.dcc_agent,
    )
    lead = Lead.objects.get(pk=listed.lead_id)
    assert lead.owner == users.dcc_agent
    assert Appointment.objects.get(lead=lead).receiver == users.dcc_agent


def test_only_the_agent_holding_the_task_or_a_manager_records_it(listed, users, other_users):
    other = make_agent(listed.store, "someone_else")
    for outsider in (other, users.consultant, other_users.dcc_agent, other_users.dcc_manager):
        with pytest.raises(ValidationError, match="not on your list|DCC"):
            record(listed, outsider, outcome="no_answer")
    record(listed, users.dcc_manager, outcome="no_answer")
    assert Call.objects.get().agent == users.dcc_manager


def test_a_closed_task_takes_no_more_calls(listed, users):
    record(listed, users.dcc_agent, outcome="not_interested")
    with pytest.raises(ValidationError, match="closed"):
        record(listed, users.dcc_agent, outcome="no_answer")


def test_reactivation_reopens_a_lost_lead_only_when_the_customer_is_interested(dcc_store, users):
    def lost():
        with freeze_time(NOW - dt.timedelta(days=70)):
            lead = make_lead(dcc_store, users.consultant)
            request = services.lead_services.lost_request_create(
                actor=users.consultant, lead=lead, kind="lost", reason=reason("postponed")
            )
            services.lead_services.lost_request_approve(actor=users.sales_manager, request=request)
        return lead

    stays_lost, comes_back = lost(), lost()
    with freeze_time(NOW):
        services.call_lists_build(store=dcc_store, now=NOW)
    record(CallTask.objects.get(lead=stays_lost), users.dcc_agent, outcome="not_interested")
    stays_lost.refresh_from_db()
    assert stays_lost.status == LeadStatus.LOST and stays_lost.owner == users.consultant
    record(
        CallTask.objects.get(lead=comes_back),
        users.dcc_agent,
        outcome="call_back",
        callback_at=NOW + dt.timedelta(days=2),
    )
    comes_back.refresh_from_db()
    assert comes_back.status == LeadStatus.FOLLOWING and comes_back.owner == users.dcc_agent
    assert CallTask.objects.get(lead=comes_back).status == CallTask.Status.OPEN


def test_the_telephony_hook_supplies_duration_and_recording(listed, users, settings):
    settings.DCC_TELEPHONY_BACKEND = "tests.dcc.test_calls.FakeTelephony"
    call = record(listed, users.dcc_agent, outcome="talked", started_at=NOW - dt.timedelta(minutes=3))
    assert call.duration_seconds == 95 and call.recording_ref == f"rec://{users.dcc_agent.username}/1"
    assert call.started_at == NOW - dt.timedelta(minutes=3)


def test_without_telephony_nothing_is_invented(listed, users):
    call = record(listed, users.dcc_agent, outcome="talked")
    assert call.duration_seconds is None and call.recording_ref == ""
    assert NoTelephony().dial_url("13912345678") == "tel:13912345678"


class FakeTelephony(NoTelephony):
    def call_details(self, *, agent, phone, started_at):
        return CallDetails(duration_seconds=95, recording_ref=f"rec://{agent.username}/1")


# --- inbound calls -------------------------------------------------------------------------------


def inbound(store, actor, phone, **call):
    data = InboundInput(
        phone=phone,
        name="赵六",
        source=source("hotline_400"),
        call=CallInput(**({"outcome": "talked", "note": "询问车型价格"} | call)),
        purchase_time="15d",
    )
    with freeze_time(NOW):
        return services.inbound_call_log(actor=actor, store=store, data=data)


def test_inbound_call_creates_customer_and_lead_graded_and_filed(dcc_store, users, django_capture_on_commit_callbacks):
    phone = next_phone()
    with django_capture_on_commit_callbacks(execute=True):
        call = inbound(dcc_store, users.dcc_agent, phone, grade="A")
    lead = Lead.objects.get(pk=call.lead_id)
    assert call.direction == Call.Direction.INBOUND and call.task is None
    assert lead.customer.phone == phone and lead.customer.name == "赵六"
    assert lead.owner == users.dcc_agent and lead.with_dcc and lead.source.code == "hotline_400"
    assert lead.grade == "A" and lead.status == LeadStatus.FOLLOWING
    # Already talked to: no first-call or hand-over task for it.
    assert not CallTask.objects.filter(lead=lead).exists()


def test_inbound_call_of_a_known_customer_uses_their_open_lead(dcc_store, users):
    phone = next_phone()
    first = inbound(dcc_store, users.dcc_agent, phone)
    second = inbound(dcc_store, users.dcc_agent, " " + phone[:3] + "-" + phone[3:7] + "-" + phone[7:])
    assert second.lead == first.lead
    assert Lead.objects.filter(customer=first.lead.customer).count() == 1


def test_inbound_call_on_a_listed_lead_counts_as_the_first_call(listed, users):
    lead = Lead.objects.select_related("customer").get(pk=listed.lead_id)
    call = inbound(listed.store, users.dcc_agent, lead.customer.phone, outcome="not_interested")
    listed.refresh_from_db()
    assert call.task == listed and listed.first_call_at == NOW and listed.status == CallTask.Status.DONE


def test_inbound_call_for_a_consultants_customer_tells_the_consultant(dcc_store, users):
    lead = make_lead(dcc_store, users.consultant)
    call = inbound(dcc_store, users.dcc_agent, lead.customer.phone, note="客户想改预约时间")
    lead.refresh_from_db()
    assert call.lead == lead and lead.owner == users.consultant
    assert Notification.objects.filter(recipient=users.consultant, body="客户想改预约时间").exists()
    with pytest.raises(ValidationError) as excinfo:
        inbound(
            dcc_store,
            users.dcc_agent,
            lead.customer.phone,
            outcome="invited",
            scheduled_at=local(TODAY + dt.timedelta(days=1), 11),
            receiver=users.consultant,
        )
    assert "outcome" in excinfo.value.message_dict


def test_inbound_form_errors_are_field_messages(dcc_store, users):
    with pytest.raises(ValidationError) as excinfo:
        inbound(dcc_store, users.dcc_agent, "12345")
    assert "phone" in excinfo.value.message_dict
    with pytest.raises(ValidationError, match="DCC"):
        inbound(dcc_store, users.consultant, next_phone())


# --- first-call SLA in opening hours ------------------------------------------------------------


def online_lead_at(store, when, django_capture_on_commit_callbacks):
    with freeze_time(when), django_capture_on_commit_callbacks(execute=True):
        lead = new_lead(store, source_code="autohome")
    return CallTask.objects.get(lead=lead)


def test_sla_counts_opening_minutes(dcc_store, users, django_capture_on_commit_callbacks):
    task = online_lead_at(dcc_store, local(TODAY, 10, 0), django_capture_on_commit_callbacks)
    assert task.sla_due_at == local(TODAY, 10, 15)
    assert task.rule == Rule.FIRST_CALL and task.agent == users.dcc_agent
    # Five minutes before closing: the rest of the quarter hour runs the next morning.
    evening = online_lead_at(dcc_store, local(TODAY, 17, 55), django_capture_on_commit_callbacks)
    assert evening.sla_due_at == local(TODAY + dt.timedelta(days=1), 9, 10)
    # At night: 15 minutes after the next opening.
    night = online_lead_at(dcc_store, local(TODAY, 23, 30), django_capture_on_commit_callbacks)
    assert night.sla_due_at == local(TODAY + dt.timedelta(days=1), 9, 15)


def test_sla_skips_holidays(dcc_store, users, django_capture_on_commit_callbacks):
    Holiday.objects.create(store=dcc_store, date=TODAY + dt.timedelta(days=1), name="清明节")
    task = online_lead_at(dcc_store, local(TODAY, 17, 50), django_capture_on_commit_callbacks)
    assert task.sla_due_at == local(TODAY + dt.timedelta(days=2), 9, 5)


def test_sla_follows_the_store_setting_and_a_lunch_break(dcc_store, users, django_capture_on_commit_callbacks):
    from accounts.models import OpeningHours

    open_every_day(dcc_store, dt.time(9), dt.time(12))
    OpeningHours.objects.bulk_create(
        OpeningHours(store=dcc_store, weekday=day, opens_at=dt.time(13, 30), closes_at=dt.time(18)) for day in range(7)
    )
    DccSettings.objects.filter(store=dcc_store).update(first_call_sla_minutes=30)
    task = online_lead_at(dcc_store, local(TODAY, 11, 50), django_capture_on_commit_callbacks)
    assert task.sla_due_at == local(TODAY, 13, 50)


def test_sla_breach_is_flagged_and_told_once(dcc_store, users, django_capture_on_commit_callbacks):
    task = online_lead_at(dcc_store, local(TODAY, 10, 0), django_capture_on_commit_callbacks)
    assert services.first_call_sla_check(store=dcc_store, now=local(TODAY, 10, 14)) == 0
    assert services.first_call_sla_check(store=dcc_store, now=local(TODAY, 10, 16)) == 1
    assert services.first_call_sla_check(store=dcc_store, now=local(TODAY, 10, 30)) == 0
    task.refresh_from_db()
    assert task.sla_breached_at == local(TODAY, 10, 16)
    assert Notification.objects.filter(recipient=users.dcc_agent, level="urgent").count() == 1
    assert Notification.objects.filter(recipient=users.dcc_manager, level="urgent").count() == 1


def test_a_call_in_time_meets_the_sla(dcc_store, users, django_capture_on_commit_callbacks):
    task = online_lead_at(dcc_store, local(TODAY, 10, 0), django_capture_on_commit_callbacks)
    record(task, users.dcc_agent, at=local(TODAY, 10, 9), outcome="no_answer")
    assert services.first_call_sla_check(store=dcc_store, now=local(TODAY, 11)) == 0
    task.refresh_from_db()
    assert task.first_call_at == local(TODAY, 10, 9) and task.sla_breached_at is None
