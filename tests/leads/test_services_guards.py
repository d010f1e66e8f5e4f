"""Who may do what: guards on fleet upgrades, DCC hand-over, comments, and the overdue link filter."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.filters import LeadFilterSet
from leads.models import FollowUp, Lead, LeadStatus
from tests.leads.factories import make_customer, make_lead, make_team, walk_status

pytestmark = pytest.mark.django_db


def test_fleet_upgrade_needs_the_permission_and_a_living_lead(store, users, other_users):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.lead_upgrade_fleet(actor=users.consultant, lead=lead)
    with pytest.raises(ValidationError):
        services.lead_upgrade_fleet(actor=other_users.sales_manager, lead=lead)
    services.lead_upgrade_fleet(actor=users.sales_manager, lead=lead, company_name="华东物流")
    lead.refresh_from_db()
    assert lead.is_fleet and lead.customer.is_fleet and lead.customer.company_name == "华东物流"

    invalid = make_lead(store, users.consultant)
    walk_status(invalid, LeadStatus.INVALID_REQUESTED, LeadStatus.INVALID)
    with pytest.raises(ValidationError):
        services.lead_upgrade_fleet(actor=users.sales_manager, lead=invalid)


def test_hand_to_dcc_refuses_leads_outside_the_actors_reach(store, users, other_users):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.lead_hand_to_dcc(actor=users.consultant, leads=[lead])
    with pytest.raises(ValidationError):
        services.lead_hand_to_dcc(actor=other_users.sales_manager, leads=[lead])
    assert services.lead_hand_to_dcc(actor=users.sales_manager, leads=[lead]) == 1
    assert Lead.objects.get(pk=lead.pk).with_dcc


def test_a_supervisor_comments_only_on_the_teams_follow_ups(store, users):
    from tests.factories import make_member

    outsider = make_member(store, "consultant", username="a_outsider")
    make_team(store, users.sales_supervisor, [users.consultant])
    own = make_lead(store, users.consultant)
    other = make_lead(store, outsider)
    fu_own = services.followup_log(
        actor=users.consultant, lead=own, channel="phone", content="聊了", result=FollowUp.Result.CONTACTED
    )
    fu_other = services.followup_log(
        actor=outsider, lead=other, channel="phone", content="聊了", result=FollowUp.Result.CONTACTED
    )
    services.followup_comment_add(actor=users.sales_supervisor, follow_up=fu_own, body="明天再约试驾")
    with pytest.raises(ValidationError):
        services.followup_comment_add(actor=users.sales_supervisor, follow_up=fu_other, body="不该看到")
    services.followup_comment_add(actor=users.sales_manager, follow_up=fu_other, body="经理可以")


def test_overdue_link_from_notifications_filters(store, users, client_for):
    late = make_lead(store, users.consultant, customer=make_customer(store, users.consultant, name="逾期客户"))
    Lead.objects.filter(pk=late.pk).update(next_follow_up_at=timezone.now() - dt.timedelta(days=5))
    fresh = make_lead(store, users.consultant, customer=make_customer(store, users.consultant, name="按时客户"))
    Lead.objects.filter(pk=fresh.pk).update(next_follow_up_at=timezone.now() + dt.timedelta(days=2))
    for value in ("1", "true"):
        filtered = LeadFilterSet({"overdue": value}, queryset=Lead.objects.all()).qs
        assert list(filtered) == [late]
    response = client_for(users.sales_manager).get(reverse("leads:lead_list") + "?overdue=1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "逾期客户" in page and "按时客户" not in page


def test_a_lost_request_pauses_the_follow_up_tasks_and_a_rejection_brings_one_back(store, users):
    from leads.models import LostReason, Task

    lead = make_lead(store, users.consultant)
    assert Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
    request = services.lost_request_create(
        actor=users.consultant, lead=lead, kind="lost", reason=LostReason.objects.get(code="price")
    )
    assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
    services.lost_request_reject(actor=users.sales_manager, request=request, comment="再跟一周")
    assert list(Task.objects.filter(lead=lead, status=Task.Status.OPEN).values_list("kind", flat=True)) == [
        Task.Kind.LOST_REJECTED
    ]


def test_approvers_are_store_managers_and_the_owners_supervisor_only(store, users):
    from leads.selectors import lead_approvers
    from tests.factories import make_member

    other_supervisor = make_member(store, "sales_supervisor", username="a_other_supervisor")
    make_team(store, users.sales_supervisor, [users.consultant])
    lead = make_lead(store, users.consultant)
    approvers = {u.username for u in lead_approvers(lead)}
    assert approvers == {users.sales_supervisor.username, users.sales_manager.username, users.gm.username}
    assert other_supervisor.username not in approvers
