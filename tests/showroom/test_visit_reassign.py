"""Reassigning a visit (the desk or the sales manager): the receiving consultant owns the lead of a
first visit, so its lead follows the visit; a return visit never takes the lead from its owner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Notification
from leads import services as lead_services
from leads.models import Lead, LeadEvent, LeadStatus, Source, Task
from showroom import services
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def third(store):
    return make_member(store, "consultant", username="a_consultant3", full_name="第三顾问")


def test_first_visit_reassigned_takes_its_lead_along(client_for, store, users, consultants):
    first, second = consultants
    visit = services.visit_register(actor=users.reception, store=store, phone="13900005551", visitor_name="周先生")
    lead = visit.lead
    assert visit.is_first_visit and visit.consultant == first and lead.owner == first
    Task.objects.create(
        store=store, lead=lead, assignee=first, kind=Task.Kind.FOLLOW_UP, due_at=visit.arrived_at, due_date="2030-01-01"
    )
    response = client_for(users.reception).post(
        reverse("showroom:visit_reassign", args=[visit.pk]), {"consultant": second.pk, "reason": "顾问在忙"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.consultant == second and lead.owner == second
    assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exclude(assignee=second).exists()
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.REASSIGNED)
    assert (event.from_value, event.to_value, event.note, event.actor) == (
        str(first),
        str(second),
        "顾问在忙",
        users.reception,
    )
    assert AuditLog.objects.filter(action="lead.reassign", object_id=str(lead.pk)).exists()
    assert Notification.objects.filter(recipient=first, url=f"/leads/customers/{lead.customer_id}/").exists()
    # The new owner now sees the number in full on the board.
    assert "13900005551" in client_for(second).get(reverse("showroom:board")).content.decode()


def test_return_visit_reassigned_leaves_the_lead_with_its_owner(store, users, consultants):
    first, second = consultants
    earlier = services.visit_register(actor=users.reception, store=store, phone="13900005552", visitor_name="吴女士")
    services.visit_depart(actor=users.reception, visit=earlier)
    again = services.visit_register(actor=users.reception, store=store, phone="13900005552")
    assert not again.is_first_visit and again.consultant == first
    services.visit_reassign(actor=users.sales_manager, visit=again, consultant=second, reason="顾问休息")
    again.refresh_from_db()
    assert again.consultant == second
    assert Lead.objects.get(pk=again.lead_id).owner == first
    assert not LeadEvent.objects.filter(lead_id=again.lead_id, kind=LeadEvent.Kind.REASSIGNED).exists()


def test_first_visit_of_another_consultants_lead_does_not_move_it(store, users, consultants, third):
    """The customer's lead is the first consultant's (filed by phone, never visited); the desk had the
    second receive them, then gives the visit to a third: the lead was never the second's to give."""
    first, second = consultants
    _customer, lead = lead_services.customer_with_lead_create(
        actor=first,
        store=store,
        customer_data={"name": "郑先生", "phone": "13900005553"},
        lead_data={"source": Source.objects.get(code="autohome")},
        owner=first,
    )
    visit = services.visit_register(actor=users.reception, store=store, phone="13900005553", consultant=second)
    assert visit.is_first_visit and visit.lead_id == lead.pk and visit.consultant == second
    services.visit_reassign(actor=users.reception, visit=visit, consultant=third)
    assert Lead.objects.get(pk=lead.pk).owner == first


def test_first_visit_of_a_closed_lead_stays_closed_with_its_owner(store, users, consultants):
    first, second = consultants
    visit = services.visit_register(actor=users.reception, store=store, phone="13900005554")
    Lead.objects.filter(pk=visit.lead_id).update(status=LeadStatus.LOST)
    services.visit_reassign(actor=users.reception, visit=visit, consultant=second)
    assert Lead.objects.get(pk=visit.lead_id).owner == first


def test_visit_without_a_lead_is_simply_reassigned(store, users, consultants):
    first, second = consultants
    visit = services.visit_register(actor=users.reception, store=store, visitor_name="不留电话")
    assert visit.lead_id is None and visit.consultant == first
    services.visit_reassign(actor=users.reception, visit=visit, consultant=second)
    visit.refresh_from_db()
    assert visit.consultant == second
