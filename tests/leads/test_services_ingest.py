"""Online leads through ``lead_ingest``: idempotency keys, dedupe by phone, round robin, DCC queue."""

import pytest

from leads import services
from leads.models import Customer, IngestRecord, Lead, LeadEvent, LeadSettings, Task
from tests.leads.factories import (
    add_member,
    make_lead,
    source,
)

pytestmark = pytest.mark.django_db


def _ingest(users, store, key, phone="13812345678", **data):
    payload = {"phone": phone, "name": "汽车之家用户", "source": source("autohome"), **data}
    return services.lead_ingest(actor=users.admin, store=store, idempotency_key=key, data=payload)


def test_same_key_answers_the_same_lead(users, store):
    lead, created = _ingest(users, store, "autohome-1001", campaign="双十一")
    assert created and lead.source.code == "autohome" and lead.campaign == "双十一"
    again, created = _ingest(users, store, "autohome-1001", campaign="双十一")
    assert again.pk == lead.pk and created is False
    assert Lead.objects.count() == 1 and IngestRecord.objects.count() == 1
    assert not LeadEvent.objects.filter(kind=LeadEvent.Kind.ENQUIRY).exists()  # a replay is not a new enquiry


def test_keys_are_per_store(users, store, other_users, other_store):
    ours, _ = _ingest(users, store, "k-1")
    theirs, created = services.lead_ingest(
        actor=other_users.admin,
        store=other_store,
        idempotency_key="k-1",
        data={"phone": "13812345678", "source": source("autohome")},
    )
    assert created and theirs.store == other_store and theirs.pk != ours.pk


def test_an_existing_phone_attaches_to_the_open_lead(users, store):
    lead = make_lead(
        store,
        users.consultant,
        customer=services.customer_create(actor=None, store=store, name="老客户", phone="13812345678"),
    )
    attached, created = _ingest(users, store, "dongchedi-7", phone="+86 138 1234 5678", source=source("dongchedi"))
    assert attached.pk == lead.pk and created is False
    assert Customer.objects.filter(store=store).count() == 1
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.ENQUIRY).count() == 1
    assert IngestRecord.objects.get(idempotency_key="dongchedi-7").created_lead is False


def test_an_existing_customer_without_an_open_lead_gets_a_new_lead(users, store):
    customer = services.customer_create(actor=None, store=store, name="老客户", phone="13812345678")
    lead, created = _ingest(users, store, "yiche-1", source=source("yiche"), purchase_time="7d")
    assert created and lead.customer == customer and lead.grade == "H"


def test_round_robin_cycles_through_consultants_in_order(users, store):
    second = add_member(store, "consultant", "a_consultant_2")
    third = add_member(store, "consultant", "a_consultant_3")
    expected = [users.consultant, second, third, users.consultant, second]
    owners = [_ingest(users, store, f"rr-{i}", phone=f"1390000000{i}")[0].owner for i in range(5)]
    assert owners == expected
    for lead in Lead.objects.all():
        assert Task.objects.filter(lead=lead, kind=Task.Kind.FIRST_CONTACT, assignee=lead.owner).exists()


def test_an_attached_enquiry_does_not_use_up_a_turn(users, store):
    second = add_member(store, "consultant", "a_consultant_2")
    first_lead, _ = _ingest(users, store, "rr-a", phone="13900000001")
    assert first_lead.owner == users.consultant
    _ingest(users, store, "rr-b", phone="13900000001")  # same customer again: attaches, nobody's turn
    next_lead, _ = _ingest(users, store, "rr-c", phone="13900000002")
    assert next_lead.owner == second


def test_inactive_consultants_are_skipped(users, store):
    second = add_member(store, "consultant", "a_consultant_2")
    users.consultant.is_active = False
    users.consultant.save()
    owners = {_ingest(users, store, f"k{i}", phone=f"1390000000{i}")[0].owner for i in range(3)}
    assert owners == {second}


def test_dcc_assignment_leaves_the_owner_empty(users, store):
    LeadSettings.objects.create(store=store, ingest_assignment=LeadSettings.IngestAssignment.DCC)
    lead, created = _ingest(users, store, "oem-1", source=source("oem"))
    assert created and lead.owner is None and lead.with_dcc is True
    assert not Task.objects.filter(lead=lead).exists()
    assert LeadSettings.objects.get(store=store).round_robin_last_user is None


def test_ingest_without_name_uses_a_placeholder_and_keeps_consent(users, store):
    lead, _ = services.lead_ingest(
        actor=users.admin,
        store=store,
        idempotency_key="x",
        data={"phone": "13812345678", "source": source("brand_site"), "consent_marketing": True},
    )
    assert lead.customer.name and lead.customer.consent_marketing is True


def test_a_bad_phone_is_refused_and_leaves_nothing(users, store):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _ingest(users, store, "bad-1", phone="12345")
    assert not IngestRecord.objects.exists() and not Customer.objects.exists()
