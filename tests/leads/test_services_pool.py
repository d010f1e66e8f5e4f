"""The shared pool (公海): unworked leads go back after the store's limit; consultants claim them."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from leads import services
from leads.models import Lead, LeadEvent, LeadSettings, LeadStatus, PoolClaim, Task
from tests.leads.factories import (
    add_member,
    make_lead,
    walk_status,
)

pytestmark = pytest.mark.django_db


def _days_later(days):
    return timezone.now() + dt.timedelta(days=days)


def _pool_lead(store, owner, users):
    """A lead that went back to the pool through the service."""
    lead = make_lead(store, owner)
    services.pool_return_overdue(store=store, now=_days_later(7))
    lead.refresh_from_db()
    assert lead.in_pool_since is not None
    return lead


def test_lead_returns_after_pool_return_days(users, store):
    lead = make_lead(store, users.consultant)  # its first-contact task is due today
    Notification.objects.all().delete()
    assert services.pool_return_overdue(store=store, now=_days_later(6)) == 0
    lead.refresh_from_db()
    assert lead.owner == users.consultant and lead.in_pool_since is None

    later = _days_later(7)
    assert services.pool_return_overdue(store=store, now=later) == 1
    lead.refresh_from_db()
    assert lead.owner is None and lead.in_pool_since == later
    assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
    assert Task.objects.get(lead=lead).status == Task.Status.CANCELLED
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.POOL_RETURNED)
    assert event.from_value == str(users.consultant)
    notice = Notification.objects.get()
    assert notice.recipient == users.consultant and "1" in notice.title
    # Running again changes nothing and tells nobody twice.
    assert services.pool_return_overdue(store=store, now=_days_later(8)) == 0
    assert Notification.objects.count() == 1


def test_store_setting_changes_the_pool_limit(users, store):
    LeadSettings.objects.create(store=store, pool_return_days=3)
    make_lead(store, users.consultant)
    assert services.pool_return_overdue(store=store, now=_days_later(2)) == 0
    assert services.pool_return_overdue(store=store, now=_days_later(3)) == 1


def test_one_notice_per_owner_with_the_count(users, store):
    for _ in range(3):
        make_lead(store, users.consultant)
    Notification.objects.all().delete()
    assert services.pool_return_overdue(store=store, now=_days_later(10)) == 3
    notice = Notification.objects.get(recipient=users.consultant)
    assert "3" in notice.title


def test_appointment_tasks_and_closed_leads_do_not_return(users, store):
    lead = make_lead(store, users.consultant)
    walk_status(lead, LeadStatus.FOLLOWING, LeadStatus.INVITED, LeadStatus.VISITED, LeadStatus.ORDERED)
    assert services.pool_return_overdue(store=store, now=_days_later(30)) == 0
    lead.refresh_from_db()
    assert lead.owner == users.consultant


def test_claim_takes_the_lead_and_plans_a_follow_up(users, store):
    lead = _pool_lead(store, users.consultant, users)
    claimer = add_member(store, "consultant", "a_claimer")
    services.pool_claim(actor=claimer, lead=lead)
    lead.refresh_from_db()
    assert lead.owner == claimer and lead.in_pool_since is None
    assert PoolClaim.objects.get(lead=lead).user == claimer
    task = Task.objects.get(lead=lead, status=Task.Status.OPEN)
    assert task.assignee == claimer and task.due_date == timezone.localdate()
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.CLAIMED, actor=claimer).exists()


def test_the_second_claim_of_a_lead_is_refused(users, store):
    lead = _pool_lead(store, users.consultant, users)
    first, second = add_member(store, "consultant", "a_first"), add_member(store, "consultant", "a_second")
    services.pool_claim(actor=first, lead=lead)
    stale = Lead.objects.get(pk=lead.pk)
    with pytest.raises(ValidationError) as exc:
        services.pool_claim(actor=second, lead=stale)
    assert exc.value.code == "taken"
    assert Lead.objects.get(pk=lead.pk).owner == first
    assert PoolClaim.objects.filter(lead=lead).count() == 1


def test_a_lead_not_in_the_pool_cannot_be_claimed(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.pool_claim(actor=add_member(store, "consultant", "a_thief"), lead=lead)
    assert Lead.objects.get(pk=lead.pk).owner == users.consultant


def test_daily_cap_per_person(users, store):
    LeadSettings.objects.create(store=store, pool_claim_daily_cap=2)
    leads = [make_lead(store, users.consultant) for _ in range(4)]
    services.pool_return_overdue(store=store, now=_days_later(7))
    claimer = add_member(store, "consultant", "a_greedy")
    services.pool_claim(actor=claimer, lead=leads[0])
    services.pool_claim(actor=claimer, lead=leads[1])
    with pytest.raises(ValidationError) as exc:
        services.pool_claim(actor=claimer, lead=leads[2])
    assert exc.value.code == "cap"
    assert Lead.objects.get(pk=leads[2].pk).in_pool_since is not None
    # The cap is per person: someone else still may.
    services.pool_claim(actor=users.consultant, lead=leads[3])
    # And per day: yesterday's claims do not count today.
    PoolClaim.objects.filter(user=claimer).update(claimed_on=timezone.localdate() - dt.timedelta(days=1))
    services.pool_claim(actor=claimer, lead=leads[2])
    assert Lead.objects.get(pk=leads[2].pk).owner == claimer


def test_who_may_claim(users, store, other_users):
    lead = _pool_lead(store, users.consultant, users)
    for user in (users.reception, users.sales_manager, users.cs_agent, other_users.consultant):
        with pytest.raises(ValidationError) as exc:
            services.pool_claim(actor=user, lead=lead)
        assert exc.value.code == "forbidden"
    services.pool_claim(actor=users.dcc_agent, lead=lead)
