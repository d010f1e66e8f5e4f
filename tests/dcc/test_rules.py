"""Call-list rules: each rule, its switch, do-not-disturb, and never two open tasks for a lead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from dcc import services
from dcc.models import CallTask, DccSettings, Rule
from dcc.selectors import call_list, dcc_settings
from leads import services as lead_services
from leads.models import Appointment, FollowUp, LeadStatus
from tests.dcc.conftest import local, new_lead
from tests.leads.factories import make_lead, reason

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)
NOW = local(TODAY, 10)


def tasks_of(lead):
    return list(CallTask.objects.filter(lead=lead))


def build(store, now=NOW):
    with freeze_time(now):
        return services.call_lists_build(store=store, now=now)


# --- first call ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source_code", ["autohome", "outreach", "offline_event", "purchased_list", "oem"])
def test_first_call_rule_lists_new_leads_of_its_sources(
    dcc_store, users, source_code, django_capture_on_commit_callbacks
):
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        lead = new_lead(dcc_store, source_code=source_code)
    [task] = tasks_of(lead)
    assert task.rule == Rule.FIRST_CALL and task.rule_key == f"first_call:{lead.pk}"
    assert task.status == CallTask.Status.OPEN
    assert task.agent == users.dcc_agent
    # Only online and OEM leads arrive electronically: they get the first-call SLA clock.
    assert (task.sla_due_at is not None) == (source_code in ("autohome", "oem"))


def test_walk_ins_and_referrals_are_not_first_called(dcc_store, users, django_capture_on_commit_callbacks):
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        walk_in = make_lead(dcc_store, users.consultant)
        referral = new_lead(dcc_store, source_code="customer_referral", owner=users.consultant)
    assert not tasks_of(walk_in) and not tasks_of(referral)
    build(dcc_store)
    assert not tasks_of(walk_in) and not tasks_of(referral)


@pytest.mark.parametrize(
    ("switch", "on_codes", "off_codes"),
    [
        ("rule_new_outreach_online", ["purchased_list", "oem"], ["autohome", "outreach", "offline_event"]),
        ("rule_new_purchased_oem", ["autohome", "outreach", "offline_event"], ["purchased_list", "oem"]),
    ],
)
def test_each_first_call_switch_stops_its_sources(dcc_store, users, switch, on_codes, off_codes):
    DccSettings.objects.filter(store=dcc_store).update(**{switch: False})
    with freeze_time(NOW):
        # Owned by a consultant (not sitting in the DCC queue, which the DCC works in any case).
        leads = {code: new_lead(dcc_store, source_code=code, owner=users.consultant) for code in on_codes + off_codes}
    build(dcc_store)
    for code in on_codes:
        assert len(tasks_of(leads[code])) == 1, code
    for code in off_codes:
        assert not tasks_of(leads[code]), code


def test_a_lead_already_followed_up_or_called_is_not_first_called(dcc_store, users):
    with freeze_time(NOW):
        followed = new_lead(dcc_store, source_code="autohome", owner=users.consultant)
        lead_services.followup_log(
            actor=users.consultant,
            lead=followed,
            channel=FollowUp.Channel.PHONE,
            content="已联系",
            result=FollowUp.Result.CONTACTED,
        )
    build(dcc_store)
    assert not tasks_of(followed)


def test_leads_older_than_the_lookback_are_left_alone(dcc_store, users):
    with freeze_time(NOW - dt.timedelta(days=91)):
        old = new_lead(dcc_store, source_code="autohome")
    with freeze_time(NOW - dt.timedelta(days=89)):
        recent = new_lead(dcc_store, source_code="autohome")
    build(dcc_store)
    assert not tasks_of(old)
    [task] = tasks_of(recent)
    assert task.sla_due_at is None  # backlog, not a new online lead: no SLA clock


# --- do not disturb --------------------------------------------------------------------------------


def test_do_not_disturb_customers_are_never_listed(dcc_store, users, django_capture_on_commit_callbacks):
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        quiet = new_lead(dcc_store, source_code="autohome", do_not_disturb=True)
    assert not tasks_of(quiet)
    build(dcc_store)
    assert not tasks_of(quiet)


def test_a_customer_who_asks_for_quiet_leaves_the_lists(dcc_store, users):
    with freeze_time(NOW):
        lead = new_lead(dcc_store, source_code="autohome")
    build(dcc_store)
    [task] = tasks_of(lead)
    assert list(call_list(users.dcc_agent, dcc_store)) == [task]
    lead_services.customer_update(actor=users.dcc_manager, customer=lead.customer, do_not_disturb=True)
    # Gone from the agent's list at once, and the next run ends the task.
    assert list(call_list(users.dcc_agent, dcc_store)) == []
    result = build(dcc_store, NOW + dt.timedelta(hours=1))
    assert result["cancelled"] == 1
    task.refresh_from_db()
    assert task.status == CallTask.Status.CANCELLED


# --- showroom invitations that never arrived (the 30-day rule) -------------------------------------


def invited_by_showroom(store, users, *, days_ago: int):
    when = NOW - dt.timedelta(days=days_ago)
    with freeze_time(when):
        lead = make_lead(store, users.consultant)
        appointment = lead_services.appointment_create(
            actor=users.consultant,
            lead=lead,
            scheduled_at=when + dt.timedelta(days=2),
            receiver=users.consultant,
        )
    return lead, appointment


def test_showroom_invitation_older_than_30_days_without_arrival_is_listed(dcc_store, users):
    old, appointment = invited_by_showroom(dcc_store, users, days_ago=31)
    fresh, _ = invited_by_showroom(dcc_store, users, days_ago=29)
    result = build(dcc_store)
    [task] = tasks_of(old)
    assert task.rule == Rule.UNINVITED and task.appointment == appointment
    assert not tasks_of(fresh)
    assert result[Rule.UNINVITED] == 1


def test_the_30_day_rule_follows_the_store_setting(dcc_store, users):
    lead, _ = invited_by_showroom(dcc_store, users, days_ago=20)
    DccSettings.objects.filter(store=dcc_store).update(uninvited_days=14)
    build(dcc_store)
    assert [t.rule for t in tasks_of(lead)] == [Rule.UNINVITED]


def test_30_day_rule_skips_customers_who_came_or_were_invited_again(dcc_store, users):
    came, appointment = invited_by_showroom(dcc_store, users, days_ago=40)
    with freeze_time(appointment.scheduled_at):
        lead_services.appointment_mark_arrived(actor=users.reception, appointment=appointment)
    visited, _ = invited_by_showroom(dcc_store, users, days_ago=40)
    lead_services.lead_touch_first_visit(lead=visited, at=NOW - dt.timedelta(days=35))
    again, _ = invited_by_showroom(dcc_store, users, days_ago=45)
    with freeze_time(NOW - dt.timedelta(days=5)):
        lead_services.appointment_create(
            actor=users.consultant, lead=again, scheduled_at=NOW + dt.timedelta(days=1), receiver=users.consultant
        )
    build(dcc_store)
    assert not tasks_of(came) and not tasks_of(visited) and not tasks_of(again)


def test_30_day_rule_switched_off(dcc_store, users):
    lead, _ = invited_by_showroom(dcc_store, users, days_ago=31)
    DccSettings.objects.filter(store=dcc_store).update(rule_uninvited=False)
    build(dcc_store)
    assert not tasks_of(lead)


# --- lost leads after the quiet period ---------------------------------------------------------------


def lost_lead(store, users, *, days_ago: int):
    with freeze_time(NOW - dt.timedelta(days=days_ago)):
        lead = make_lead(store, users.consultant)
        request = lead_services.lost_request_create(
            actor=users.consultant, lead=lead, kind="lost", reason=reason("price")
        )
        lead_services.lost_request_approve(actor=users.sales_manager, request=request)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST
    return lead


def test_lost_leads_come_back_after_the_quiet_period(dcc_store, users):
    quiet_enough = lost_lead(dcc_store, users, days_ago=61)
    too_soon = lost_lead(dcc_store, users, days_ago=59)
    build(dcc_store)
    assert [t.rule for t in tasks_of(quiet_enough)] == [Rule.REACTIVATION]
    assert not tasks_of(too_soon)


def test_no_reactivation_when_the_customer_has_an_open_lead(dcc_store, users):
    lead = lost_lead(dcc_store, users, days_ago=70)
    make_lead(dcc_store, users.consultant, customer=lead.customer)
    build(dcc_store)
    assert not tasks_of(lead)


# --- handed over by a manager ----------------------------------------------------------------------


def test_lead_handed_to_the_dcc_is_listed_at_once(dcc_store, users, django_capture_on_commit_callbacks):
    with freeze_time(NOW):
        lead = make_lead(dcc_store, users.consultant)
        with django_capture_on_commit_callbacks(execute=True):
            assert lead_services.lead_hand_to_dcc(actor=users.sales_manager, leads=[lead], note="请DCC邀约") == 1
    [task] = tasks_of(lead)
    assert task.rule == Rule.HANDOVER and task.agent == users.dcc_agent


def test_handover_switched_off(dcc_store, users, django_capture_on_commit_callbacks):
    DccSettings.objects.filter(store=dcc_store).update(rule_handover=False)
    with freeze_time(NOW):
        lead = make_lead(dcc_store, users.consultant)
        with django_capture_on_commit_callbacks(execute=True):
            lead_services.lead_hand_to_dcc(actor=users.sales_manager, leads=[lead])
    build(dcc_store)
    assert not tasks_of(lead)


# --- never two open tasks ----------------------------------------------------------------------------


def test_running_the_rules_twice_creates_nothing_twice(dcc_store, users):
    with freeze_time(NOW):
        leads = [new_lead(dcc_store, source_code="autohome") for _ in range(3)]
    lost = lost_lead(dcc_store, users, days_ago=65)
    first = build(dcc_store)
    second = build(dcc_store, NOW + dt.timedelta(minutes=5))
    assert first["created"] == 4 and second["created"] == 0
    assert CallTask.objects.filter(store=dcc_store).count() == 4
    for lead in [*leads, lost]:
        assert CallTask.objects.filter(lead=lead, status=CallTask.Status.OPEN).count() == 1


def test_a_lead_matching_two_rules_gets_one_task(dcc_store, users, django_capture_on_commit_callbacks):
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        lead = new_lead(dcc_store, source_code="autohome", owner=users.consultant)
        lead_services.lead_hand_to_dcc(actor=users.sales_manager, leads=[lead])
    build(dcc_store)
    assert [t.rule for t in tasks_of(lead)] == [Rule.FIRST_CALL]


def test_the_database_refuses_a_second_open_task(dcc_store, users):
    with freeze_time(NOW):
        lead = new_lead(dcc_store, source_code="autohome")
    build(dcc_store)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallTask.objects.create(
            store=dcc_store, lead=lead, rule=Rule.MANUAL, rule_key="manual:x", due_at=NOW, priority=30
        )


def test_manual_add_refuses_a_lead_already_listed(dcc_store, users):
    with freeze_time(NOW):
        lead = new_lead(dcc_store, source_code="autohome")
    build(dcc_store)
    with pytest.raises(Exception) as excinfo:
        services.call_task_add(actor=users.dcc_manager, lead=lead)
    assert "lead" in excinfo.value.message_dict


def test_settings_are_made_on_first_use(store):
    assert dcc_settings(store).first_call_sla_minutes == 15
    assert dcc_settings(store).reactivation_quiet_days == 60
    assert dcc_settings(store).uninvited_days == 30


def test_no_show_of_a_dcc_invitation_goes_back_to_the_inviting_agent(
    dcc_store, users, django_capture_on_commit_callbacks
):
    from tests.dcc.conftest import make_agent

    other = make_agent(dcc_store, "agent_other")
    with freeze_time(NOW - dt.timedelta(days=3)):
        lead = new_lead(dcc_store, source_code="autohome")
        services.call_lists_build(store=dcc_store)
        task = CallTask.objects.get(lead=lead)
        inviter = task.agent
        services.call_record(
            actor=inviter,
            task=task,
            data=services.CallInput(
                outcome="invited",
                note="客户同意周六到店",
                scheduled_at=local(TODAY - dt.timedelta(days=1), 11),
                receiver=users.consultant,
            ),
        )
    appointment = Appointment.objects.get(lead=lead)
    assert appointment.origin == Appointment.Origin.DCC
    # Other agents have work too: the no-show still goes to the inviting agent.
    assert inviter in (users.dcc_agent, other)
    result = build(dcc_store)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    assert result[Rule.NO_SHOW] == 1
    [no_show_task] = CallTask.objects.filter(lead=lead, status=CallTask.Status.OPEN)
    assert no_show_task.rule == Rule.NO_SHOW
    assert no_show_task.agent == inviter
    assert no_show_task.appointment == appointment
    assert build(dcc_store, NOW + dt.timedelta(hours=2))["created"] == 0
