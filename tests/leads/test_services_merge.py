"""Merging duplicate customers (合并): everything moves to the survivor; the rules that refuse a merge."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditLog
from leads import services, signals
from leads.models import (
    Appointment,
    Customer,
    FollowUp,
    Lead,
    LeadEvent,
    LeadStatus,
    LostRequest,
    Task,
)
from leads.selectors import suggested_duplicates
from tests.leads.factories import (
    make_customer,
    make_delivered,
    make_lead,
    reason,
    walk_status,
)

pytestmark = pytest.mark.django_db


def _log(lead, actor, content):
    return services.followup_log(actor=actor, lead=lead, channel="phone", content=content, result="contacted")


@pytest.fixture
def pair(users, store):
    """Two records of one person: the survivor with an open lead, the absorbed with an open lead,
    a follow-up, an appointment, a pending lost request, an old lost lead, and a referral."""
    survivor = make_customer(store, users.consultant, name="陈晨", phone="13812345678", wechat="")
    absorbed = make_customer(store, users.consultant, name="陈辰", phone="13812345679", wechat="chenchen88")
    kept = make_lead(store, users.consultant, customer=survivor)
    kept_follow_up = _log(kept, users.consultant, "第一次沟通")

    old = make_lead(store, users.consultant, customer=absorbed)
    old_request = services.lost_request_create(
        actor=users.consultant, lead=old, kind="lost", reason=reason("postponed")
    )
    services.lost_request_approve(actor=users.sales_manager, request=old_request)
    merged = make_lead(store, users.consultant, customer=absorbed)
    merged_follow_up = _log(merged, users.consultant, "另一个号码的沟通")
    appointment = services.appointment_create(
        actor=users.consultant,
        lead=merged,
        scheduled_at=timezone.now() + dt.timedelta(days=2),
        receiver=users.consultant,
    )
    pending = services.lost_request_create(actor=users.consultant, lead=merged, kind="lost", reason=reason("price"))
    referred = make_lead(store, users.consultant, referred_by_customer=absorbed, source_code="customer_referral")
    return {
        "survivor": survivor,
        "absorbed": absorbed,
        "kept": kept,
        "kept_follow_up": kept_follow_up,
        "old": old,
        "old_request": old_request,
        "merged": merged,
        "merged_follow_up": merged_follow_up,
        "appointment": appointment,
        "pending": pending,
        "referred": referred,
    }


def test_merge_moves_everything_to_the_survivor(users, store, pair):
    received = []
    signals.customers_merged.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test-merge")
    try:
        survivor = services.customer_merge(
            actor=users.sales_manager, survivor=pair["survivor"], absorbed=[pair["absorbed"]]
        )
    finally:
        signals.customers_merged.disconnect(dispatch_uid="test-merge")

    absorbed = Customer.objects.get(pk=pair["absorbed"].pk)
    assert absorbed.merged_into == survivor and absorbed.is_merged
    assert not Lead.objects.filter(customer=absorbed).exists()
    # Two open leads → the survivor's is kept, the other is merged into it.
    kept, merged = Lead.objects.get(pk=pair["kept"].pk), Lead.objects.get(pk=pair["merged"].pk)
    assert kept.customer == survivor and kept.is_open
    assert merged.status == LeadStatus.MERGED and merged.merged_into == kept and merged.closed_at is not None
    assert Lead.objects.filter(customer=survivor, status__in=["new", "following", "invited"]).count() == 1
    # The merged lead's work now hangs on the kept lead.
    assert FollowUp.objects.get(pk=pair["merged_follow_up"].pk).lead == kept
    assert Appointment.objects.get(pk=pair["appointment"].pk).lead == kept
    pending = LostRequest.objects.get(pk=pair["pending"].pk)
    assert pending.lead == kept and pending.status == LostRequest.Status.REJECTED
    assert not Task.objects.filter(lead=merged).exists()
    assert Task.objects.filter(lead=kept, status=Task.Status.CANCELLED).exists()
    assert Task.objects.filter(lead=kept, status=Task.Status.OPEN).count() >= 1
    # Closed leads and referrals move with the customer.
    assert Lead.objects.get(pk=pair["old"].pk).customer == survivor
    assert LostRequest.objects.get(pk=pair["old_request"].pk).lead_id == pair["old"].pk
    assert Lead.objects.get(pk=pair["referred"].pk).referred_by_customer == survivor
    # History, audit and the signal for the higher apps.
    assert LeadEvent.objects.filter(lead=merged, kind=LeadEvent.Kind.MERGED, to_value=f"#{kept.pk}").exists()
    assert LeadEvent.objects.filter(lead=kept, kind=LeadEvent.Kind.MERGED).exists()
    audit = AuditLog.objects.get(action="customer.merge")
    assert audit.actor == users.sales_manager and audit.object_id == str(survivor.pk)
    assert received and received[0]["lead_map"] == {merged.pk: kept.pk}
    assert received[0]["absorbed"] == [absorbed]


def test_chosen_values_are_kept(users, store, pair):
    survivor, absorbed = pair["survivor"], pair["absorbed"]
    services.customer_merge(
        actor=users.sales_manager,
        survivor=survivor,
        absorbed=[absorbed],
        values={"name": absorbed.pk, "wechat": absorbed.pk, "phone": survivor.pk, "phone2": absorbed.pk},
    )
    survivor.refresh_from_db()
    assert survivor.name == "陈辰" and survivor.wechat == "chenchen88" and survivor.phone == "13812345678"


def test_survivor_may_take_the_absorbed_number(users, store):
    survivor = make_customer(store, users.consultant, name="周一", phone="13812345678")
    absorbed = make_customer(store, users.consultant, name="周一", phone="13912345678")
    services.customer_merge(
        actor=users.sales_manager, survivor=survivor, absorbed=[absorbed], values={"phone": absorbed.pk}
    )
    survivor.refresh_from_db()
    assert survivor.phone == "13912345678"
    assert services.customer_find_by_phone(store, "13912345678") == survivor


def test_merge_without_open_leads_on_the_survivor_keeps_the_absorbed_lead(users, store):
    survivor = make_customer(store, users.consultant, name="吴二")
    absorbed = make_customer(store, users.consultant, name="吴二")
    lead = make_lead(store, users.consultant, customer=absorbed)
    services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=[absorbed])
    lead.refresh_from_db()
    assert lead.customer == survivor and lead.is_open


def test_three_way_merge(users, store):
    survivor, *absorbed = (make_customer(store, users.consultant, name="郑三") for _ in range(3))
    leads = [make_lead(store, users.consultant, customer=c) for c in absorbed]
    walk_status(leads[1], LeadStatus.FOLLOWING, LeadStatus.INVITED)
    services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=absorbed)
    open_leads = Lead.objects.filter(customer=survivor).open()
    assert [lead.pk for lead in open_leads] == [leads[1].pk]  # the most advanced one stays open
    assert Lead.objects.get(pk=leads[0].pk).status == LeadStatus.MERGED


@pytest.mark.parametrize("who", ["consultant", "sales_supervisor", "gm"])
def test_only_managers_merge(users, store, pair, who):
    with pytest.raises(ValidationError) as exc:
        services.customer_merge(actor=users[who], survivor=pair["survivor"], absorbed=[pair["absorbed"]])
    assert exc.value.code == "forbidden"
    assert Customer.objects.get(pk=pair["absorbed"].pk).merged_into is None


def test_fleet_customers_are_refused(users, store):
    survivor = make_customer(store, users.consultant)
    fleet = make_customer(store, users.consultant, is_fleet=True, company_name="顺丰")
    with pytest.raises(ValidationError) as exc:
        services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=[fleet])
    assert exc.value.code == "fleet"


@pytest.mark.parametrize("ordered_status", ["ordered", "delivered"])
def test_customers_with_an_order_are_refused(users, store, ordered_status):
    survivor = make_customer(store, users.consultant)
    buyer = make_customer(store, users.consultant)
    lead = make_lead(store, users.consultant, customer=buyer)
    if ordered_status == "ordered":
        walk_status(lead, LeadStatus.FOLLOWING, LeadStatus.ORDERED)
    else:
        make_delivered(lead)
    with pytest.raises(ValidationError) as exc:
        services.customer_merge(actor=users.sales_manager, survivor=buyer, absorbed=[survivor])
    assert exc.value.code == "ordered"


def test_different_stores_are_refused(users, store, other_users, other_store):
    ours = make_customer(store, users.consultant, phone="13812345678")
    theirs = make_customer(other_store, other_users.consultant, phone="13812345678")
    with pytest.raises(ValidationError):
        services.customer_merge(actor=users.sales_manager, survivor=ours, absorbed=[theirs])
    assert Customer.objects.get(pk=theirs.pk).merged_into is None


def test_other_invalid_merges(users, store, pair):
    survivor = pair["survivor"]
    with pytest.raises(ValidationError):
        services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=[])
    with pytest.raises(ValidationError):
        services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=[survivor])
    with pytest.raises(ValidationError):  # a field that cannot be chosen
        services.customer_merge(
            actor=users.sales_manager, survivor=survivor, absorbed=[pair["absorbed"]], values={"store": survivor.pk}
        )
    services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=[pair["absorbed"]])
    with pytest.raises(ValidationError) as exc:  # merged once is merged for good
        services.customer_merge(
            actor=users.sales_manager, survivor=survivor, absorbed=[Customer.objects.get(pk=pair["absorbed"].pk)]
        )
    assert exc.value.code == "merged"


def test_suggested_duplicates_same_name_similar_phone(users, store):
    a = make_customer(store, users.consultant, name="黄六", phone="13812345678")
    b = make_customer(store, users.consultant, name="黄六", phone="13812345670")
    make_customer(store, users.consultant, name="黄六", phone="15000000000")  # same name, other number
    pairs = suggested_duplicates(store)
    assert [{p.first, p.second} for p in pairs] == [{a, b}]
    services.customer_merge(actor=users.sales_manager, survivor=a, absorbed=[b])
    assert suggested_duplicates(store) == []
