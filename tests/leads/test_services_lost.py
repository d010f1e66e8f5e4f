"""Lost (战败) and invalid requests: the rules of asking, who may decide, approve, reject, reopen."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from leads import services
from leads.models import Appointment, Grade, Lead, LeadEvent, LeadStatus, LostRequest, Task
from leads.selectors import lead_approvers, pending_requests_for
from tests.leads.factories import (
    add_member,
    local_dt,
    make_lead,
    make_team,
    reason,
    walk_status,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(users, store):
    """销售一组: the supervisor leads ``users.consultant``; ``outsider`` is a consultant of no team."""
    return make_team(store, users.sales_supervisor, [users.consultant])


@pytest.fixture
def outsider(store):
    return add_member(store, "consultant", "a_consultant_outside")


def _request_lost(lead, actor, code="price", **kwargs):
    return services.lost_request_create(actor=actor, lead=lead, kind="lost", reason=reason(code), **kwargs)


def _request_invalid(lead, actor, code="wrong_number"):
    return services.lost_request_create(actor=actor, lead=lead, kind="invalid", reason=reason(code))


# --- Asking --------------------------------------------------------------------------------------


def test_competitor_is_required_when_the_reason_asks(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError) as exc:
        _request_lost(lead, users.consultant, "other_brand")
    assert "competitor_brand" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _request_lost(lead, users.consultant, "other_brand", competitor_brand="   ")
    request = _request_lost(lead, users.consultant, "other_brand", competitor_brand=" 丰田 ", competitor_model="凯美瑞")
    assert request.competitor_brand == "丰田" and request.competitor_model == "凯美瑞"


def test_other_reasons_need_no_competitor(users, store):
    request = _request_lost(make_lead(store, users.consultant), users.consultant, "price")
    assert request.competitor_brand == ""


def test_reason_kind_must_match(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError) as exc:
        services.lost_request_create(actor=users.consultant, lead=lead, kind="lost", reason=reason("wrong_number"))
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.lost_request_create(actor=users.consultant, lead=lead, kind="invalid", reason=reason("price"))


def test_request_keeps_the_owner_and_remembers_the_status(users, store, team):
    lead = walk_status(make_lead(store, users.consultant), LeadStatus.FOLLOWING, LeadStatus.INVITED)
    request = _request_lost(lead, users.consultant)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST_REQUESTED and lead.owner == users.consultant
    assert request.previous_status == LeadStatus.INVITED and request.status == LostRequest.Status.PENDING
    # The approvers are told: the team's supervisor and the store's managers, not the requester.
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"a_sales_supervisor", "a_sales_manager", "a_gm"}


def test_a_request_cannot_be_made_twice(users, store):
    lead = make_lead(store, users.consultant)
    _request_lost(lead, users.consultant)
    with pytest.raises(ValidationError):
        _request_lost(lead, users.consultant)
    with pytest.raises(ValidationError):
        _request_invalid(lead, users.consultant)


def test_only_someone_who_works_the_lead_may_ask(users, store, outsider):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        _request_lost(lead, outsider)


# --- Deciding ------------------------------------------------------------------------------------


def test_approve_lost_sets_grade_f_and_ends_the_work(users, store):
    lead = make_lead(store, users.consultant)
    appointment = services.appointment_create(
        actor=users.consultant,
        lead=lead,
        scheduled_at=local_dt(timezone.localdate() + dt.timedelta(days=3)),
        receiver=users.consultant,
    )
    request = _request_lost(lead, users.consultant, "other_brand", competitor_brand="比亚迪")
    services.lost_request_approve(actor=users.sales_manager, request=request, comment="同意战败")
    lead.refresh_from_db()
    request.refresh_from_db()
    assert lead.status == LeadStatus.LOST and lead.grade == Grade.F
    assert lead.closed_at is not None and lead.next_follow_up_at is None
    assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
    assert Task.objects.filter(lead=lead, status=Task.Status.CANCELLED).count() == 2  # first contact + appointment
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CANCELLED
    assert request.status == LostRequest.Status.APPROVED and request.decided_by == users.sales_manager
    assert request.decision_comment == "同意战败" and request.decision_time is not None
    assert Notification.objects.filter(recipient=users.consultant, title__contains=lead.customer.name).exists()


def test_invalid_is_kept_apart_from_lost(users, store):
    lead = make_lead(store, users.consultant, purchase_time="15d")
    request = _request_invalid(lead, users.consultant)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVALID_REQUESTED
    services.lost_request_approve(actor=users.sales_manager, request=request)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVALID and lead.grade == Grade.A  # not F: it was never a lost sale
    assert not Lead.objects.filter(status=LeadStatus.LOST).exists()
    # An invalid lead is final: it can be neither reopened nor moved on.
    with pytest.raises(ValidationError):
        services.lead_reopen(actor=users.sales_manager, lead=lead, to_user=users.consultant, reason="再试试")


def test_reject_needs_a_comment(users, store):
    request = _request_lost(make_lead(store, users.consultant), users.consultant)
    with pytest.raises(ValidationError) as exc:
        services.lost_request_reject(actor=users.sales_manager, request=request, comment="  ")
    assert "comment" in exc.value.message_dict
    assert LostRequest.objects.get(pk=request.pk).status == LostRequest.Status.PENDING


def test_reject_sends_the_lead_back_with_a_task_and_a_notice(users, store):
    lead = walk_status(make_lead(store, users.consultant), LeadStatus.FOLLOWING, LeadStatus.INVITED)
    request = _request_lost(lead, users.consultant)
    Notification.objects.all().delete()
    services.lost_request_reject(actor=users.sales_manager, request=request, comment="客户还有意向，继续跟进")
    lead.refresh_from_db()
    request.refresh_from_db()
    assert lead.status == LeadStatus.INVITED  # back where it came from
    assert request.status == LostRequest.Status.REJECTED and request.decision_comment == "客户还有意向，继续跟进"
    task = Task.objects.get(lead=lead, kind=Task.Kind.LOST_REJECTED)
    assert task.status == Task.Status.OPEN and task.assignee == users.consultant
    assert task.due_date == timezone.localdate() and "继续跟进" in task.title
    notice = Notification.objects.get(recipient=users.consultant)
    assert notice.body == "客户还有意向，继续跟进"
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STATUS, note="客户还有意向，继续跟进").exists()


def test_consultant_may_not_decide(users, store):
    request = _request_lost(make_lead(store, users.consultant), users.consultant)
    for user in (users.consultant, users.reception, users.dcc_agent, users.dcc_manager):
        with pytest.raises(ValidationError) as exc:
            services.lost_request_approve(actor=user, request=request)
        assert exc.value.code == "forbidden"


def test_supervisor_decides_only_for_the_team(users, store, team, outsider):
    ours = _request_lost(make_lead(store, users.consultant), users.consultant)
    theirs = _request_lost(make_lead(store, outsider), outsider)
    assert set(pending_requests_for(users.sales_supervisor)) == {ours}
    with pytest.raises(ValidationError):
        services.lost_request_approve(actor=users.sales_supervisor, request=theirs)
    services.lost_request_approve(actor=users.sales_supervisor, request=ours)
    assert LostRequest.objects.get(pk=ours.pk).status == LostRequest.Status.APPROVED
    assert users.sales_supervisor not in lead_approvers(theirs.lead)
    assert users.sales_supervisor in lead_approvers(Lead.objects.get(pk=ours.lead_id))


def test_manager_and_gm_decide_for_the_whole_store(users, store, outsider):
    first = _request_lost(make_lead(store, outsider), outsider)
    second = _request_invalid(make_lead(store, users.consultant), users.consultant)
    services.lost_request_approve(actor=users.sales_manager, request=first)
    services.lost_request_reject(actor=users.gm, request=second, comment="号码是对的，再打")
    assert LostRequest.objects.get(pk=first.pk).status == LostRequest.Status.APPROVED
    assert LostRequest.objects.get(pk=second.pk).status == LostRequest.Status.REJECTED


def test_another_store_may_not_decide(users, store, other_users):
    request = _request_lost(make_lead(store, users.consultant), users.consultant)
    for user in (other_users.sales_manager, other_users.gm, other_users.sales_supervisor):
        with pytest.raises(ValidationError):
            services.lost_request_approve(actor=user, request=request)
        with pytest.raises(ValidationError):
            services.lost_request_reject(actor=user, request=request, comment="不行")
    assert not pending_requests_for(other_users.sales_manager).exists()


def test_nobody_decides_their_own_request(users, store):
    lead = make_lead(store, users.sales_manager)
    request = _request_lost(lead, users.sales_manager)
    with pytest.raises(ValidationError):
        services.lost_request_approve(actor=users.sales_manager, request=request)
    services.lost_request_approve(actor=users.gm, request=request)


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_request_cannot_be_decided_twice(users, store, first):
    request = _request_lost(make_lead(store, users.consultant), users.consultant)
    if first == "approve":
        services.lost_request_approve(actor=users.sales_manager, request=request)
    else:
        services.lost_request_reject(actor=users.sales_manager, request=request, comment="继续跟")
    for decide in (
        lambda: services.lost_request_approve(actor=users.gm, request=request),
        lambda: services.lost_request_reject(actor=users.gm, request=request, comment="再议"),
    ):
        with pytest.raises(ValidationError) as exc:
            decide()
        assert exc.value.code == "decided"


# --- Reopening a lost lead -------------------------------------------------------------------------


def _lost_lead(users, store, owner=None):
    lead = make_lead(store, owner or users.consultant)
    request = _request_lost(lead, owner or users.consultant, "postponed")
    services.lost_request_approve(actor=users.sales_manager, request=request)
    lead.refresh_from_db()
    return lead


def test_reopen_a_lost_lead_to_another_consultant(users, store, outsider):
    lead = _lost_lead(users, store)
    services.lead_reopen(actor=users.sales_manager, lead=lead, to_user=outsider, reason="战败激活：客户重新询价")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING and lead.grade == Grade.C and lead.owner == outsider
    assert lead.closed_at is None and lead.next_follow_up_at is not None
    task = Task.objects.get(lead=lead, status=Task.Status.OPEN)
    assert task.assignee == outsider and task.due_date == timezone.localdate()
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.REASSIGNED).exists()


def test_reopen_to_the_same_owner(users, store):
    lead = _lost_lead(users, store)
    services.lead_reopen(actor=users.sales_manager, lead=lead, to_user=users.consultant, reason="客户回来了")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING and lead.owner == users.consultant
    assert not LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.REASSIGNED).exists()


def test_reopen_rules(users, store, other_users):
    open_lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.lead_reopen(actor=users.sales_manager, lead=open_lead, to_user=users.consultant, reason="x")
    lead = _lost_lead(users, store)
    with pytest.raises(ValidationError):
        services.lead_reopen(actor=users.consultant, lead=lead, to_user=users.consultant, reason="x")
    with pytest.raises(ValidationError):
        services.lead_reopen(actor=other_users.sales_manager, lead=lead, to_user=users.consultant, reason="x")
    # A new enquiry already opened a lead for the customer: that one is worked instead.
    services.lead_create(actor=users.consultant, customer=lead.customer, owner=users.consultant, source=lead.source)
    with pytest.raises(ValidationError) as exc:
        services.lead_reopen(actor=users.sales_manager, lead=lead, to_user=users.consultant, reason="x")
    assert exc.value.code == "open_lead"
