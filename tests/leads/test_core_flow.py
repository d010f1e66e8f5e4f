"""The lead's main road end to end through the services: create, follow up, invite, lose, approve."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads import services
from leads.models import Appointment, FollowUp, Grade, LeadStatus, LostReason, Source, Task

pytestmark = pytest.mark.django_db


def _new_lead(users, store, phone="13812345678"):
    return services.customer_with_lead_create(
        actor=users.consultant,
        store=store,
        customer_data={"name": "张三", "phone": phone},
        lead_data={"source": Source.objects.get(code="walk_in"), "purchase_time": "15d"},
        owner=users.consultant,
    )


def test_create_follow_up_invite_and_lose(users, store):
    customer, lead = _new_lead(users, store, "+86 138-1234-5678")
    assert customer.phone == "13812345678"
    assert lead.grade == Grade.A and lead.status == LeadStatus.NEW
    assert Task.objects.filter(lead=lead, kind=Task.Kind.FIRST_CONTACT, status="open").count() == 1

    with pytest.raises(services.DuplicateCustomer) as exc:
        _new_lead(users, store, "138 1234 5678")
    assert exc.value.customer == customer

    fu = services.followup_log(
        actor=users.consultant,
        lead=lead,
        channel="phone",
        content="想看车",
        result=FollowUp.Result.CONTACTED,
        grade="H",
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING and lead.grade == "H"
    # H cadence: next contact tomorrow at 10:00, as a task; the first-contact task is done.
    next_local = timezone.localtime(fu.next_follow_up_at)
    assert next_local.date() == timezone.localdate() + dt.timedelta(days=1) and next_local.hour == 10
    assert Task.objects.get(lead=lead, status="done").kind == Task.Kind.FIRST_CONTACT
    assert Task.objects.get(lead=lead, status="open").due_date == next_local.date()

    appointment = services.appointment_create(
        actor=users.consultant,
        lead=lead,
        scheduled_at=timezone.now() + dt.timedelta(days=2),
        receiver=users.consultant,
        purpose=Appointment.Purpose.TEST_DRIVE,
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED and appointment.origin == Appointment.Origin.SHOWROOM

    reason = LostReason.objects.get(code="other_brand")
    with pytest.raises(ValidationError):
        services.lost_request_create(actor=users.consultant, lead=lead, kind="lost", reason=reason)
    request = services.lost_request_create(
        actor=users.consultant, lead=lead, kind="lost", reason=reason, competitor_brand="丰田"
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST_REQUESTED and lead.owner == users.consultant
    with pytest.raises(ValidationError):
        services.lost_request_approve(actor=users.consultant, request=request)
    services.lost_request_approve(actor=users.sales_manager, request=request, comment="同意")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST and lead.grade == Grade.F
    assert not Task.objects.filter(lead=lead, status="open").exists()
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CANCELLED

    # After a lost lead a new enquiry opens a new lead for the same customer.
    lead2, created = services.lead_create(
        actor=users.consultant, customer=customer, owner=users.consultant, source=Source.objects.get(code="autohome")
    )
    assert created and lead2.pk != lead.pk
