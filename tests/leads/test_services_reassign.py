"""Reassignment (再分配): history with from/to/reason, tasks follow the lead, both sides told, scope."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditLog, Notification
from leads import services
from leads.models import LeadEvent, LeadStatus, Task
from tests.leads.factories import (
    add_member,
    make_delivered,
    make_lead,
    make_team,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_mate(store):
    return add_member(store, "consultant", "a_consultant_mate")


@pytest.fixture
def outsider(store):
    return add_member(store, "consultant", "a_consultant_outside")


@pytest.fixture
def team(users, store, team_mate):
    return make_team(store, users.sales_supervisor, [users.consultant, team_mate])


def test_reassign_keeps_history_moves_tasks_and_tells_both(users, store, outsider):
    lead = make_lead(store, users.consultant)
    Notification.objects.all().delete()
    moved = services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=outsider, reason="顾问休假")
    assert moved == 1
    lead.refresh_from_db()
    assert lead.owner == outsider
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.REASSIGNED)
    assert (event.from_value, event.to_value, event.note) == (str(users.consultant), str(outsider), "顾问休假")
    assert event.actor == users.sales_manager
    assert Task.objects.get(lead=lead, status=Task.Status.OPEN).assignee == outsider
    assert Notification.objects.filter(recipient=outsider, body="顾问休假").count() == 1
    assert Notification.objects.filter(recipient=users.consultant, body="顾问休假").count() == 1
    assert AuditLog.objects.filter(action="lead.reassign", object_id=str(lead.pk)).exists()


def test_reassign_several_leads_notifies_once_per_person(users, store, outsider):
    leads = [make_lead(store, users.consultant) for _ in range(3)]
    Notification.objects.all().delete()
    assert services.lead_reassign(actor=users.sales_manager, leads=leads, to_user=outsider, reason="离职交接") == 3
    assert Notification.objects.filter(recipient=outsider).count() == 1
    assert Notification.objects.filter(recipient=users.consultant).count() == 1


def test_appointment_tasks_stay_with_the_receiver(users, store, outsider):
    import datetime as dt

    from django.utils import timezone

    lead = make_lead(store, users.consultant)
    services.appointment_create(
        actor=users.consultant,
        lead=lead,
        scheduled_at=timezone.now() + dt.timedelta(days=2),
        receiver=users.sales_supervisor,
    )
    services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=outsider, reason="调整")
    assert Task.objects.get(lead=lead, kind=Task.Kind.APPOINTMENT).assignee == users.sales_supervisor


def test_reason_is_required(users, store, outsider):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError) as exc:
        services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=outsider, reason="  ")
    assert "reason" in exc.value.message_dict
    lead.refresh_from_db()
    assert lead.owner == users.consultant


def test_reassign_to_the_same_owner_changes_nothing(users, store):
    lead = make_lead(store, users.consultant)
    assert services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=users.consultant, reason="x") == 0
    assert not LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.REASSIGNED).exists()


def test_supervisor_reassigns_within_the_team(users, store, team, team_mate, outsider):
    lead = make_lead(store, users.consultant)
    services.lead_reassign(actor=users.sales_supervisor, leads=[lead], to_user=team_mate, reason="平衡工作量")
    lead.refresh_from_db()
    assert lead.owner == team_mate
    # Not the lead of a consultant outside the team …
    other = make_lead(store, outsider)
    with pytest.raises(ValidationError):
        services.lead_reassign(actor=users.sales_supervisor, leads=[other], to_user=team_mate, reason="抢单")
    # … and not to a consultant outside the team either.
    with pytest.raises(ValidationError):
        services.lead_reassign(actor=users.sales_supervisor, leads=[lead], to_user=outsider, reason="外调")
    lead.refresh_from_db()
    assert lead.owner == team_mate


def test_manager_reassigns_anywhere_in_the_store(users, store, team, outsider):
    lead = make_lead(store, users.consultant)
    services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=outsider, reason="跨组调整")
    lead.refresh_from_db()
    assert lead.owner == outsider


def test_consultants_and_other_stores_may_not_reassign(users, store, other_users, outsider):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.lead_reassign(actor=users.consultant, leads=[lead], to_user=outsider, reason="送给同事")
    with pytest.raises(ValidationError):
        services.lead_reassign(actor=other_users.sales_manager, leads=[lead], to_user=outsider, reason="x")


def test_target_must_own_leads_in_the_store(users, store, other_users):
    lead = make_lead(store, users.consultant)
    for target in (users.cs_agent, users.reception, other_users.consultant):
        with pytest.raises(ValidationError):
            services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=target, reason="x")


def test_closed_leads_cannot_be_reassigned_but_lost_ones_can(users, store, outsider):
    delivered = make_delivered(make_lead(store, users.consultant))
    with pytest.raises(ValidationError):
        services.lead_reassign(actor=users.sales_manager, leads=[delivered], to_user=outsider, reason="x")
    lost = make_lead(store, users.consultant)
    services.lead_set_status(lead=lost, to=LeadStatus.LOST_REQUESTED, actor=users.consultant)
    services.lead_set_status(lead=lost, to=LeadStatus.LOST, actor=users.sales_manager)
    assert services.lead_reassign(actor=users.sales_manager, leads=[lost], to_user=outsider, reason="战败再分配") == 1


def test_assigning_a_pool_lead_takes_it_out_of_the_pool(users, store, outsider):
    lead = make_lead(store, None, actor=users.reception)
    from django.utils import timezone

    lead.__class__.objects.filter(pk=lead.pk).update(in_pool_since=timezone.now())
    services.lead_reassign(actor=users.sales_manager, leads=[lead], to_user=outsider, reason="分配公海线索")
    lead.refresh_from_db()
    assert lead.owner == outsider and lead.in_pool_since is None
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.REASSIGNED)
    assert event.to_value == str(outsider)
